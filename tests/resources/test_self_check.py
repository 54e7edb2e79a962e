"""The private self-check page: public, the published wording and cut-offs, nothing that could
send the answers (no action, no method, no submit without the page's script), and the links to
ask a supporter that suit who is reading. The scoring itself runs in the browser and is tested
in tests/browser/test_self_check.py."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from demo.resources import load_demo
from peersupport.audit.models import AuditEvent
from peersupport.resources import selfcheck

pytestmark = pytest.mark.django_db

URL = reverse("resources:self_check")


class _Tags(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str, name: str) -> list[dict]:
    parser = _Tags()
    parser.feed(html)
    return [attrs for tag, attrs in parser.tags if tag == name]


def _page(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_anyone_opens_it_without_an_account_and_nothing_is_kept():
    client = Client()
    before = AuditEvent.objects.count()
    response = client.get(URL)
    assert response.status_code == 200
    assert "Private self-check" in response.content.decode()
    # No session, no CSRF cookie, nothing written about the visit.
    assert not response.cookies
    assert AuditEvent.objects.count() == before


def test_the_form_cannot_send_the_answers_anywhere():
    html = _page(Client())
    (form,) = [f for f in _tags(html, "form") if "data-self-check" in f]
    assert "action" not in form and "method" not in form
    assert form["autocomplete"] == "off"
    # Without the page's script the only submit button is disabled and hidden, so neither a
    # click nor Enter can submit the form.
    submits = [b for b in _tags(html, "button") if b.get("type") == "submit"]
    self_check_submits = [b for b in submits if "data-self-check-submit" in b]
    assert len(self_check_submits) == 1
    assert "disabled" in self_check_submits[0] and "hidden" in self_check_submits[0]
    # Only radio buttons: nothing to type, nothing hidden.
    inputs = [i for i in _tags(html, "input")]
    assert inputs and all(i["type"] == "radio" for i in inputs)
    # The script is the project's own file, loaded under the page's nonce; nothing inline.
    scripts = [s for s in _tags(html, "script") if "self-check" in s.get("src", "")]
    assert len(scripts) == 1 and scripts[0]["nonce"]
    assert "This page needs JavaScript to add up your answers" in html


def test_the_page_prints_the_instruments_wording_answers_and_cut_offs():
    html = _page(Client())
    for instrument in selfcheck.INSTRUMENTS:
        assert instrument.stem in html
        for item in instrument.items:
            assert item.text.replace("'", "&#x27;") in html
        assert instrument.licence.replace("'", "&#x27;") in html
    assert selfcheck.PCPTSD5_EVENT.text in html
    for example in selfcheck.PCPTSD5_EVENT_EXAMPLES:
        assert example in html
    # Each PHQ-4 item offers the four published answers with their points.
    for item in selfcheck.PHQ4.items:
        values = [i["value"] for i in _tags(html, "input") if i["name"] == item.key]
        assert values == ["0", "1", "2", "3"]
    for item in (selfcheck.PCPTSD5_EVENT, *selfcheck.PCPTSD5.items):
        values = [i["value"] for i in _tags(html, "input") if i["name"] == item.key]
        assert values == ["1", "0"]
    form = next(f for f in _tags(html, "form") if "data-self-check" in f)
    assert form["data-phq4-pair-flag"] == "3"
    assert form["data-phq4-distress-from"] == "3"
    assert form["data-phq4-crisis-from"] == "9"
    assert form["data-pcptsd5-flag"] == "3"
    assert "This is not a diagnosis." in html


def test_the_bands_cover_every_total_once():
    for total in range(selfcheck.PHQ4_MAX + 1):
        band = selfcheck.phq4_band(total)
        assert band.low <= total <= band.high
    assert [selfcheck.phq4_band(t).label for t in (0, 2, 3, 5, 6, 8, 9, 12)] == [
        "none or minimal",
        "none or minimal",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
        "severe",
    ]
    with pytest.raises(ValueError):
        selfcheck.phq4_band(13)


def test_a_family_member_is_sent_to_the_public_pages():
    html = _page(Client())
    assert f'href="{reverse("support:public_ask")}"' in html
    assert f'href="{reverse("resources:public_list")}"' in html
    assert f'href="{reverse("support:ask")}"' not in html


def test_an_employee_asks_from_their_own_page(client_for):
    html = _page(client_for("employee"))
    assert f'href="{reverse("support:ask")}"' in html
    assert f'href="{reverse("resources:list")}"' in html
    assert f'href="{reverse("support:public_ask")}"' not in html.split("<footer")[0]


def test_an_account_without_an_employee_record_uses_the_public_ask_page(client_for):
    html = _page(client_for("sysadmin"))
    main = html.split("<footer")[0]
    assert f'href="{reverse("support:public_ask")}"' in main
    assert f'href="{reverse("support:ask")}"' not in main


def test_the_crisis_lines_come_from_the_directory():
    load_demo()
    html = _page(Client())
    crisis = html.split('data-show="crisis"')[1].split("</section>")[0]
    assert 'href="tel:988"' in crisis
    assert "Crisis Text Line" in crisis


def test_the_page_is_linked_from_home_the_public_footer_and_the_directory(client_for):
    link = f'href="{URL}"'
    assert link in client_for("employee").get(reverse("web:home")).content.decode()
    assert link in Client().get(reverse("resources:public_list")).content.decode()
    # The footer of every page seen without an account.
    footer = Client().get(reverse("support:public_ask")).content.decode().split("<footer")[1]
    assert link in footer


def test_only_get_is_answered():
    assert Client().post(URL, {"phq4-1": "3"}).status_code == 405


def test_no_clinical_number_is_written_into_the_script():
    from pathlib import Path

    from django.conf import settings

    script = (Path(settings.BASE_DIR) / "static/js/self-check.js").read_text()
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", script, flags=re.S)
    assert not re.search(r"\b(?:[2-9]|1[0-2])\b", code), "cut-offs belong in selfcheck.py"
    for word in ("fetch(", "XMLHttpRequest", "sendBeacon", "localStorage", "sessionStorage"):
        assert word not in code
    assert "document.cookie" not in code
