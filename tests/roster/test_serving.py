"""Only a serving supporter (active, or inactive after serving) logs contacts and raises
exceptions: one appointed and still in initial training gets neither form, their POSTs change
nothing, and so no contact of theirs counts in the program's figures."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peersupport.confidentiality import services as confidentiality
from peersupport.confidentiality.models import Escalation
from peersupport.governance.models import ExceptionCategory
from peersupport.governance.notice import current_notice
from peersupport.roster.models import SupporterProfile
from peersupport.roster.rules import NOT_SERVING
from peersupport.roster.selectors import serves
from peersupport.support import services as support
from peersupport.support.models import Contact

from ..factories import ContactFactory, SupporterProfileFactory

pytestmark = pytest.mark.django_db

Status = SupporterProfile.Status


def _contact_post() -> dict:
    return {
        "notice_version": current_notice().version,
        "date": timezone.localdate().isoformat(),
        "duration_minutes": "30",
        "mode": Contact.Mode.PHONE,
        "requester_type": Contact.RequesterType.SWORN,
        "topics": ["work_stress"],
        "limits_explained": "on",
    }


def _log(actor):
    return support.contact_log(
        actor=actor,
        date=timezone.localdate(),
        duration_minutes=30,
        mode=Contact.Mode.PHONE,
        requester_type=Contact.RequesterType.SWORN,
        topics=["work_stress"],
        limits_explained=True,
        notice_version=current_notice().version,
    )


@pytest.mark.parametrize(
    ("status", "serving"),
    [
        (Status.CANDIDATE, False),
        (Status.APPOINTED, False),
        (Status.ACTIVE, True),
        (Status.INACTIVE, True),
        (Status.RETIRED, False),
        (Status.REMOVED, False),
    ],
)
def test_who_serves(personas, status, serving):
    SupporterProfileFactory(user=personas["supporter"], status=status)
    assert serves(personas["supporter"]) is serving


def test_without_a_profile_nobody_serves(personas):
    assert serves(personas["supporter"]) is False


def test_an_appointed_supporter_is_told_why_and_logs_nothing(personas, client_for):
    SupporterProfileFactory(user=personas["supporter"], status=Status.APPOINTED)
    client = client_for("supporter")
    page = client.get(reverse("support:contact_new"))
    assert page.status_code == 200
    assert NOT_SERVING in page.text
    assert reverse("training:mine") in page.text
    assert 'name="limits_explained"' not in page.text

    refused = client.post(reverse("support:contact_new"), _contact_post())
    assert refused.status_code == 403
    assert NOT_SERVING in refused.text
    assert not Contact.objects.exists()
    with pytest.raises(ValidationError, match="initial training is complete"):
        _log(personas["supporter"])
    assert not Contact.objects.exists()


def test_an_appointed_supporter_raises_no_exception(personas, client_for):
    SupporterProfileFactory(user=personas["supporter"], status=Status.APPOINTED)
    # A contact from before the rule, as an old database may hold.
    contact = ContactFactory(supporter=personas["supporter"])
    category = ExceptionCategory.objects.filter(active=True).first()
    url = reverse("confidentiality:raise_for_contact", args=[contact.pk])
    client = client_for("supporter")
    assert NOT_SERVING in client.get(url).text
    refused = client.post(url, {"category": category.pk, "note": "Needs the BHS manager now."})
    assert refused.status_code == 403
    with pytest.raises(ValidationError, match="initial training is complete"):
        confidentiality.escalation_raise(
            actor=personas["supporter"], category=category, note="Now.", contact=contact
        )
    assert not Escalation.objects.exists()


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.INACTIVE])
def test_a_serving_supporter_logs_contacts(personas, client_for, status):
    SupporterProfileFactory(user=personas["supporter"], status=status)
    resp = client_for("supporter").post(reverse("support:contact_new"), _contact_post())
    assert resp.status_code == 302
    assert Contact.objects.filter(supporter=personas["supporter"]).count() == 1
