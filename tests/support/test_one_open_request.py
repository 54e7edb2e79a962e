"""One open request at a time (issue 19 item 2): a second one needs "this is about something
else"; a named supporter who is unavailable is shown so before sending, with the choice to wait
for them or go to the next available one."""

import pytest
from django.test import Client
from django.urls import reverse

from peersupport.roster.models import SupporterProfile
from peersupport.support import services
from peersupport.support.models import RequesterKind, SupportRequest

from ..factories import EmployeeFactory, UserFactory, enable_totp, grant
from .test_requests import ask_data, make_supporter

pytestmark = pytest.mark.django_db
ASK = reverse("support:ask")
PUBLIC_ASK = reverse("support:public_ask")


@pytest.fixture
def supporter(personas):
    return make_supporter(personas["supporter"])


def test_an_employee_with_a_request_open_is_asked_whether_it_is_about_something_else(
    client_for, supporter
):
    c = client_for("employee")
    c.post(ASK, ask_data(token="1"))
    first = SupportRequest.objects.get()
    page = c.get(ASK).content.decode()
    assert "You already have a request open" in page
    assert reverse("support:my_request", args=[first.public_id]) in page
    refused = c.post(ASK, ask_data(token="2"))
    assert refused.status_code == 400
    assert "You already have a request open" in refused.content.decode()
    assert SupportRequest.objects.count() == 1
    sent = c.post(ASK, ask_data(token="3", something_else="on"))
    assert sent.status_code == 302 and SupportRequest.objects.count() == 2


def test_once_withdrawn_a_new_request_needs_no_tick(client_for, supporter):
    c = client_for("employee")
    c.post(ASK, ask_data(token="1"))
    services.request_withdraw(request=SupportRequest.objects.get())
    assert "You already have a request open" not in c.get(ASK).content.decode()
    assert c.post(ASK, ask_data(token="2")).status_code == 302
    assert SupportRequest.objects.count() == 2


def test_another_employee_is_not_held_back(client_for, supporter):
    client_for("employee").post(ASK, ask_data(token="1"))
    assert client_for("supervisor").post(ASK, ask_data(token="2")).status_code == 302
    assert SupportRequest.objects.count() == 2


def test_a_family_member_is_recognised_by_the_same_browser_only(supporter):
    browser = Client()
    browser.post(PUBLIC_ASK, ask_data(kind=RequesterKind.FAMILY, token="1"))
    page = browser.get(PUBLIC_ASK).content.decode()
    assert "You already have a request open" in page and reverse("support:check") in page
    refused = browser.post(PUBLIC_ASK, ask_data(kind=RequesterKind.FAMILY, token="2"))
    assert refused.status_code == 400 and SupportRequest.objects.count() == 1
    other = Client().post(PUBLIC_ASK, ask_data(kind=RequesterKind.FAMILY, token="3"))
    assert other.status_code == 302
    again = browser.post(
        PUBLIC_ASK, ask_data(kind=RequesterKind.FAMILY, token="4", something_else="on")
    )
    assert again.status_code == 302 and SupportRequest.objects.count() == 3


@pytest.fixture
def named_off(dept):
    """A listed supporter who is off now, and another who is available."""
    user = UserFactory(email="named@pd.example.org")
    EmployeeFactory(user=user, unit=dept.squad, work_email=user.email, first_name="Robin")
    grant(user, "peer_supporter")
    enable_totp(user)
    return make_supporter(user, available=False)


def test_an_unavailable_named_supporter_is_shown_before_sending(client_for, supporter, named_off):
    c = client_for("employee")
    page = c.get(ASK, {"supporter": named_off.pk}).content.decode()
    assert "is not available right now" in page
    assert "Wait for them" in page and "next available supporter" in page
    # No choice made: refused, nothing sent.
    refused = c.post(ASK, ask_data(supporter=named_off.pk))
    assert refused.status_code == 400 and not SupportRequest.objects.exists()


def test_waiting_for_the_named_supporter_offers_it_to_nobody_else(client_for, supporter, named_off):
    c = client_for("employee")
    c.post(ASK, ask_data(supporter=named_off.pk, if_unavailable="wait"))
    req = SupportRequest.objects.get()
    assert req.status == SupportRequest.Status.WAITING and not req.offers.exists()
    services.offers_lapse()
    assert not req.offers.exists()  # the available supporter is not offered it
    named_off.availability = SupporterProfile.Availability.AVAILABLE
    named_off.save(update_fields=["availability"])
    services.offers_lapse()
    assert req.offers.get().supporter_id == named_off.user_id


def test_or_it_goes_to_the_next_available_supporter(client_for, supporter, named_off):
    client_for("employee").post(ASK, ask_data(supporter=named_off.pk, if_unavailable="next"))
    req = SupportRequest.objects.get()
    assert req.offers.get().supporter_id == supporter.user_id
    assert not req.wait_for_requested


def test_an_available_named_supporter_needs_no_choice(client_for, supporter):
    c = client_for("employee")
    page = c.get(ASK, {"supporter": supporter.pk}).content.decode()
    assert "is not available right now" not in page
    assert c.post(ASK, ask_data(supporter=supporter.pk)).status_code == 302
