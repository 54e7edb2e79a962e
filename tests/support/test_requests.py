"""Asking for support: signed in, from the public page, anonymously with a codename."""

import logging

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse

from peersupport.accounts.models import Role
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.roster.models import SupporterProfile
from peersupport.support import services
from peersupport.support.codenames import normalise, word_list
from peersupport.support.models import ContactMethod, Message, Offer, RequesterKind, SupportRequest

from ..factories import EmployeeFactory, UserFactory, enable_totp, grant

pytestmark = pytest.mark.django_db
# Version 1 of the confidentiality notice, approved by the governance migration.
NOTICE = "program-default-1"
ASK = reverse("support:ask")
PUBLIC_ASK = reverse("support:public_ask")
CHECK = reverse("support:check")
STATUS = reverse("support:status")


def make_supporter(user, *, available=True) -> SupporterProfile:
    return SupporterProfile.objects.create(
        user=user,
        status=SupporterProfile.Status.ACTIVE,
        availability=(
            SupporterProfile.Availability.AVAILABLE
            if available
            else SupporterProfile.Availability.OFF
        ),
    )


@pytest.fixture
def supporter(personas):
    return make_supporter(personas["supporter"])


def ask_data(**over):
    data = {
        "contact_method": ContactMethod.PHONE,
        "contact_detail": "555 0100 1234",
        "best_times": "evenings",
        "limits_read": "on",
        "notice_version": NOTICE,
        "token": "t-" + over.pop("token", "1"),
    }
    data.update(over)
    return data


def _raw_request_row(pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM support_supportrequest WHERE id = %s", [pk])
        return repr(cursor.fetchone())


# --- Signed in ------------------------------------------------------------------------------


def test_employee_asks_and_it_is_offered_to_a_supporter(client_for, personas, supporter):
    resp = client_for("employee").post(ASK, ask_data(name="Officer Canarywood"))
    req = SupportRequest.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == reverse("support:my_request", args=[req.public_id])
    assert req.kind == RequesterKind.EMPLOYEE and req.status == SupportRequest.Status.OFFERED
    assert req.notice_version == NOTICE
    assert req.offers.get().supporter == personas["supporter"]
    # Who asked is encrypted; the database does not link the request to the account.
    raw = _raw_request_row(req.pk)
    assert "Canarywood" not in raw and "555 0100" not in raw
    assert req.identity["user_id"] == personas["employee"].pk
    event = AuditEvent.objects.get(action=AuditAction.REQUEST_CREATED)
    assert event.actor_id is None and event.details == {
        "kind": "employee",
        "named_supporter": False,
    }


def test_limits_must_be_read_first(client_for, supporter):
    data = ask_data()
    del data["limits_read"]
    resp = client_for("employee").post(ASK, data)
    assert resp.status_code == 400
    assert "read the limits of confidentiality" in resp.content.decode()
    assert not SupportRequest.objects.exists()


def test_changed_notice_must_be_read_again(client_for, supporter):
    resp = client_for("employee").post(ASK, ask_data(notice_version="old-version"))
    assert resp.status_code == 400
    assert "changed" in resp.content.decode()
    assert not SupportRequest.objects.exists()


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"contact_method": "phone", "contact_detail": ""}, "Give a phone number"),
        ({"contact_method": "text", "contact_detail": "call me maybe"}, "Give a phone number"),
        ({"contact_method": "email", "contact_detail": "nope@"}, "valid e-mail"),
        ({"contact_method": "pigeon"}, "valid choice"),
        ({"employee_type": "astronaut"}, "valid choice"),
        ({"areas": ["telepathy"]}, "valid choice"),
    ],
)
def test_bad_input_changes_nothing(client_for, supporter, over, message):
    resp = client_for("employee").post(ASK, ask_data(**over))
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert not SupportRequest.objects.exists()


def test_messages_only_needs_no_detail(client_for, supporter):
    resp = client_for("employee").post(ASK, ask_data(contact_method="messages", contact_detail=""))
    assert resp.status_code == 302


def test_double_submission_creates_one_request(client_for, supporter):
    c = client_for("employee")
    first = c.post(ASK, ask_data(token="same"))
    second = c.post(ASK, ask_data(token="same"))
    assert first.status_code == 302 and second.status_code == 302
    assert SupportRequest.objects.count() == 1


def test_named_supporter_is_offered_first(client_for, personas, dept, supporter):
    other = UserFactory()
    EmployeeFactory(user=other, unit=dept.squad)
    grant(other, Role.PEER_SUPPORTER)
    picked = make_supporter(other)
    client_for("employee").post(ASK, ask_data(supporter=picked.pk))
    assert SupportRequest.objects.get().offers.get().supporter == other


def test_own_chain_of_command_is_left_out(client_for, personas, dept):
    # The only supporter available is the employee's own sergeant.
    sergeant = personas["supervisor"]
    grant(sergeant, Role.PEER_SUPPORTER)
    make_supporter(sergeant)
    client_for("employee").post(ASK, ask_data(exclude_chain="on"))
    req = SupportRequest.objects.get()
    assert req.status == SupportRequest.Status.WAITING and not req.offers.exists()
    # Without the option the sergeant may be offered it.
    client_for("employee").post(ASK, ask_data(token="2", something_else="on"))
    assert SupportRequest.objects.exclude(pk=req.pk).get().offers.get().supporter == sergeant


def test_nobody_available_leaves_the_request_waiting(client_for, personas):
    make_supporter(personas["supporter"], available=False)
    client_for("employee").post(ASK, ask_data())
    assert SupportRequest.objects.get().status == SupportRequest.Status.WAITING


def test_employee_sees_only_their_own_requests(client_for, personas, supporter, dept):
    client_for("employee").post(ASK, ask_data())
    req = SupportRequest.objects.get()
    mine = client_for("employee").get(reverse("support:my_requests"))
    assert reverse("support:my_request", args=[req.public_id]) in mine.content.decode()
    other = client_for("panelist")
    assert other.get(reverse("support:my_request", args=[req.public_id])).status_code == 404
    assert req.public_id.hex not in other.get(reverse("support:my_requests")).content.decode()


def test_employee_replies_and_withdraws(client_for, supporter):
    c = client_for("employee")
    c.post(ASK, ask_data())
    req = SupportRequest.objects.get()
    url = reverse("support:my_request", args=[req.public_id])
    c.post(url, {"action": "reply", "body": "Thanks, evenings are best."})
    msg = Message.objects.get()
    assert msg.body == "Thanks, evenings are best." and msg.sender == "requester"
    bad = c.post(url, {"action": "reply", "body": "   "})
    assert bad.status_code == 400 and Message.objects.count() == 1
    # Withdrawing asks first: the first press changes nothing.
    asked = c.post(url, {"action": "withdraw"})
    assert asked.status_code == 200 and "Yes, withdraw my request" in asked.content.decode()
    req.refresh_from_db()
    assert req.status == SupportRequest.Status.OFFERED
    c.post(url, {"action": "withdraw", "confirm": "yes"})
    req.refresh_from_db()
    assert req.status == SupportRequest.Status.WITHDRAWN
    assert req.offers.get().answer == Offer.Answer.WITHDRAWN


# --- Public, with a codename ---------------------------------------------------------------


def _public_ask(client, **over):
    resp = client.post(PUBLIC_ASK, ask_data(kind=RequesterKind.FAMILY, **over))
    assert resp.status_code == 302, resp.content.decode()[:500]
    assert resp["Location"] == reverse("support:codename")
    return client.get(resp["Location"]).context["codename"]


def test_public_request_gets_a_codename_shown_once_and_never_stored(client, supporter):
    codename = _public_ask(client, name="Spouse Canaryfield")
    words = codename.split()
    assert len(words) == 7 and all(w in word_list() for w in words)
    req = SupportRequest.objects.get()
    assert req.kind == RequesterKind.FAMILY and req.requester_tag == ""
    raw = _raw_request_row(req.pk)
    assert codename not in raw and "Canaryfield" not in raw
    # Found by an HMAC under the codename key, verified by Argon2id with a salt of its own.
    assert len(req.codename_lookup) == 64 and req.codename_hash.startswith("$argon2id$")
    assert len(word_list()) >= 7000


def test_codename_opens_the_request(client, supporter):
    codename = _public_ask(client)
    visitor = Client()
    resp = visitor.post(CHECK, {"codename": "  " + codename.upper().replace(" ", "-") + " "})
    assert resp.status_code == 302 and resp["Location"] == STATUS
    page = visitor.get(STATUS)
    assert page.status_code == 200 and "Offered to a supporter" in page.content.decode()
    visitor.post(STATUS, {"action": "reply", "body": "Is anyone there?"})
    assert Message.objects.get().body == "Is anyone there?"
    visitor.post(reverse("support:leave"))
    assert visitor.get(STATUS).status_code == 404


def test_wrong_codename_says_only_not_found(client, supporter):
    _public_ask(client)
    resp = Client().post(CHECK, {"codename": " ".join(["apple"] * 7)})
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "Not found." in body
    assert Client().get(STATUS).status_code == 404


def test_codename_checks_have_a_ceiling_for_everyone(client, supporter, settings):
    settings.CODENAME_CHECKS_PER_MINUTE = 3
    codename = _public_ask(client)
    for n in range(3):
        wrong = Client(REMOTE_ADDR=f"198.51.100.{n}")
        assert wrong.post(CHECK, {"codename": " ".join(["apple"] * 7)}).status_code == 400
    # Past the ceiling even the right codename waits (tests/support/test_limits.py: one client
    # alone cannot reach it).
    resp = Client(REMOTE_ADDR="198.51.100.9").post(CHECK, {"codename": codename})
    assert resp.status_code == 429
    assert "wait a few minutes" in resp.content.decode()


def test_public_pages_store_nothing_about_the_browser(client, supporter, caplog):
    caplog.set_level(logging.DEBUG)
    marker_ip, marker_ua = "203.0.113.199", "CanaryBrowser/77.1"
    headers = {"REMOTE_ADDR": marker_ip, "HTTP_USER_AGENT": marker_ua}
    resp = client.post(PUBLIC_ASK, ask_data(kind=RequesterKind.ANONYMOUS), **headers)
    assert resp.status_code == 302
    codename = client.get(resp["Location"], **headers).context["codename"]
    client.post(CHECK, {"codename": codename}, **headers)
    client.post(CHECK, {"codename": "wrong " * 7}, **headers)
    client.get(STATUS, **headers)
    for model in apps.get_models():
        for row in model._base_manager.all().values():
            text = repr(row)
            assert marker_ip not in text and marker_ua not in text, model
    assert marker_ip not in caplog.text and marker_ua not in caplog.text
    assert normalise(codename) not in caplog.text


def test_public_double_submission_creates_one_request(client, supporter):
    codename = _public_ask(client, token="dup")
    # Sent again from the same browser (a reload of the POST): its codename page again.
    resp = client.post(PUBLIC_ASK, ask_data(kind=RequesterKind.FAMILY, token="dup"), follow=True)
    assert resp.status_code == 200 and resp.context["codename"] == codename
    # Once the codename is written down and forgotten here, the page says it was sent.
    client.post(reverse("support:codename"), {"written": "on"})
    resp = client.post(PUBLIC_ASK, ask_data(kind=RequesterKind.FAMILY, token="dup"))
    assert resp.status_code == 409
    assert SupportRequest.objects.count() == 1


def test_public_form_needs_who_is_asking(client, supporter):
    resp = client.post(PUBLIC_ASK, ask_data())
    assert resp.status_code == 400
    assert not SupportRequest.objects.exists()


# --- Supporter unavailable, lapse, purge -----------------------------------------------------


def test_request_for_a_supporter_who_became_unavailable_is_reoffered(personas, dept):
    first = make_supporter(personas["supporter"])
    other = UserFactory()
    EmployeeFactory(user=other, unit=dept.bureau)
    grant(other, Role.PEER_SUPPORTER)
    enable_totp(other)
    make_supporter(other)
    created = services.request_create(
        requester=None,
        kind=RequesterKind.ANONYMOUS,
        contact_method=ContactMethod.MESSAGES,
        notice_version=NOTICE,
    )
    offer = created.request.offers.get()
    # The supporter who got it goes off duty; it lapses and moves on, never lost.
    first_user = offer.supporter
    SupporterProfile.objects.filter(user=first_user).update(
        availability=SupporterProfile.Availability.OFF
    )
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=20)):
        counts = services.offers_lapse()
    assert counts["lapsed"] == 1 and counts["reoffered"] == 1
    offers = list(created.request.offers.order_by("offered_at"))
    assert offers[0].answer == Offer.Answer.LAPSED
    assert offers[1].supporter != first_user and offers[1].answer == Offer.Answer.PENDING
    del first


def test_purge_forgets_who_asked(client, supporter, settings):
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    settings.SUPPORT_RETENTION_DAYS = 30
    codename = _public_ask(client, name="Purge Canary")
    req = SupportRequest.objects.get()
    services.message_send(request=req, sender="requester", body="hello")
    services.request_withdraw(request=req)
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "purged 0 request(s)" in out.getvalue()  # not old enough yet
    SupportRequest.objects.filter(pk=req.pk).update(
        closed_at=timezone.now() - timezone.timedelta(days=31)
    )
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "purged 1 request(s), 1 message(s) and 0 release(s)" in out.getvalue()
    req.refresh_from_db()
    assert req.identity == {} and req.codename_hash == "" and req.purged_at
    assert not Message.objects.exists()
    # The codename no longer opens anything.
    assert Client().post(CHECK, {"codename": codename}).status_code == 400


def test_the_least_loaded_available_supporter_gets_the_request(personas, dept):
    busy = make_supporter(personas["supporter"])
    other = UserFactory(email="zz.other@pd.example.org")
    EmployeeFactory(user=other, unit=dept.bureau, last_name="Zz")
    grant(other, Role.PEER_SUPPORTER)
    make_supporter(other)
    first = services.request_create(
        requester=None,
        kind=RequesterKind.ANONYMOUS,
        contact_method=ContactMethod.MESSAGES,
        notice_version=NOTICE,
    )
    holder = first.request.offers.get().supporter
    second = services.request_create(
        requester=None,
        kind=RequesterKind.ANONYMOUS,
        contact_method=ContactMethod.MESSAGES,
        notice_version=NOTICE,
    )
    # The first supporter has an offer waiting; the second request goes to the other one.
    assert second.request.offers.get().supporter != holder
    del busy


# --- Bidirectional-override characters -----------------------------------------------------

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


def test_bidi_overrides_in_what_a_requester_types_are_neither_stored_nor_shown(
    client, client_for, supporter
):
    """U+202E and its kin could make the supporter read a name, a phone number or a message
    in another order than it was written: they are dropped where the requester types."""
    codename = _public_ask(
        client,
        name="Spouse \u202eenoB\u202c Canary",
        contact_method=ContactMethod.EMAIL,
        contact_detail="\u2066ana@example.org\u2069",
        best_times="\u202eevenings\u202c",
    )
    req = SupportRequest.objects.get()
    assert not set(BIDI) & set(repr(req.identity))
    assert req.identity["name"] == "Spouse enoB Canary"
    visitor = Client()
    visitor.post(CHECK, {"codename": codename})
    visitor.post(STATUS, {"action": "reply", "body": "Call me \u202e0010 555\u202c please"})
    assert Message.objects.get().body == "Call me 0010 555 please"

    helper = client_for("supporter")
    offer = req.offers.get()
    helper.post(reverse("support:offer_answer", args=[offer.pk]), {"answer": "accept"})
    page = helper.get(reverse("support:held", args=[req.pk])).content.decode()
    assert "Spouse enoB Canary" in page and "Call me 0010 555 please" in page
    assert not set(BIDI) & set(page)


def test_a_message_of_only_bidi_overrides_is_empty(client, supporter):
    codename = _public_ask(client)
    visitor = Client()
    visitor.post(CHECK, {"codename": codename})
    resp = visitor.post(STATUS, {"action": "reply", "body": "\u202e\u202c"})
    assert resp.status_code == 400
    assert not Message.objects.exists()
