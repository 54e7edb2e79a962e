"""The crisis panel of the requester's pages (issue 19 item 8): every crisis line of the
resource directory with its numbers complete; the family notice without a chain of command."""

import re

import pytest
from django.urls import reverse

from peersupport.resources import services
from peersupport.resources.models import Category
from peersupport.support.models import RequesterKind

from ..factories import ResourceFactory
from .test_requests import ask_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines():
    ResourceFactory(
        name="Crisis Text Line",
        category=Category.CRISIS_LINE,
        phone="",
        text_number="741741",
        text_keyword="HOME",
        hours="24/7",
    )
    ResourceFactory(
        name="Veterans Crisis Line",
        category=Category.CRISIS_LINE,
        phone="988",
        phone_then="then press 1",
        text_number="838255",
        hours="24/7",
    )
    retired = ResourceFactory(name="Retired line", category=Category.CRISIS_LINE, phone="555 0100")
    services.resource_retire(actor=None, resource=retired, reason="Closed")
    ResourceFactory(name="Not a crisis line", category=Category.EAP, phone="555 0101")


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


@pytest.mark.parametrize("who", [None, "employee"])
def test_the_ask_pages_show_every_number(client, client_for, lines, who):
    c = client if who is None else client_for(who)
    url = reverse("support:public_ask") if who is None else reverse("support:ask")
    text = _text(c.get(url).content.decode())
    assert "Crisis Text Line (24/7): text HOME to 741741" in text
    assert "Veterans Crisis Line (24/7): call 988, then press 1, or text 838255" in text
    assert "Retired line" not in text and "Not a crisis line" not in text


def test_the_codename_page_shows_them_too(client, lines, personas):
    client.post(reverse("support:public_ask"), ask_data(kind=RequesterKind.FAMILY))
    text = _text(client.get(reverse("support:codename")).content.decode())
    assert "text HOME to 741741" in text and "call 988, then press 1" in text


def test_the_family_notice_speaks_of_no_chain_of_command(client):
    text = _text(client.get(reverse("support:public_ask")).content.decode())
    assert "chain of command" not in text
    assert "No one above you or your family member in the department" in text
