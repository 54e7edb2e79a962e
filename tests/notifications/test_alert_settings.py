"""The alert settings page (/alerts/, peersupport/web/alert_settings.py): every signed-in person
sets their own channels per kind of alert relevant to their roles, and their quiet hours.
Refused input changes nothing and the page says what to correct; each change is audited
without content."""

from datetime import time

import pytest
from django.urls import reverse

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications import kinds
from peersupport.notifications.forms import field_name
from peersupport.notifications.models import AlertPreference, QuietHours

from ..factories import AlertPreferenceFactory, QuietHoursFactory

pytestmark = pytest.mark.django_db
URL = "/alerts/"
ESCALATION = "confidentiality/escalation_waiting"
SOON = "training/session_soon"


def _form(user, **changes):
    """What the page posts when nothing is changed (every channel ticked, no quiet hours),
    with ``changes`` (a kind -> its channels, or quiet_start/quiet_end) on top."""
    data = {"quiet_start": "", "quiet_end": ""}
    for kind in kinds.kinds_for(user.roles):
        data[field_name(kind.name)] = ["email", "sms", "push"]
    for key, value in changes.items():
        plain = key.startswith("quiet") or key == "phone"
        data[key if plain else field_name(key.replace("__", "/"))] = value
    return {k: v for k, v in data.items() if v != []}


def _soon() -> dict:
    """The context of a training reminder (any alert a supporter gets will do)."""
    from django.utils import timezone

    return {"course": "Update", "starts_at": timezone.now(), "place": "HQ", "link": "https://x/"}


def _events():
    return list(AuditEvent.objects.filter(action=AuditAction.ALERT_SETTINGS_CHANGED))


def test_the_url_and_the_profile_link():
    assert reverse("web:alert_settings") == URL


def test_the_profile_page_links_to_it(client_for):
    page = client_for("employee").get(reverse("accounts:profile"))
    assert f'href="{URL}"' in page.content.decode()


def test_a_supporter_sees_the_kinds_of_their_roles_only(client_for):
    page = client_for("supporter").get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert kinds.kind(SOON).label in html
    assert kinds.kind("selection/you_are_nominated").label in html  # as an employee too
    assert kinds.kind(ESCALATION).label not in html
    assert 'name="quiet_start"' in html and 'type="time"' in html


def test_the_bhs_manager_sees_escalations_marked_urgent(client_for):
    html = client_for("bhs_manager").get(URL).content.decode()
    assert kinds.kind(ESCALATION).label in html
    assert "keep at least one channel on" not in html  # no error yet
    assert "at least one channel stays on" in html
    assert kinds.kind(SOON).label not in html


def test_saving_choices_and_quiet_hours(client_for, personas):
    supporter = personas["supporter"]
    data = _form(
        supporter,
        training__session_soon=["sms"],
        quiet_start="22:00",
        quiet_end="06:30",
    )
    response = client_for("supporter").post(URL, data)
    assert response.status_code == 302 and response["Location"] == URL
    (preference,) = AlertPreference.objects.all()
    assert (preference.user, preference.kind) == (supporter, SOON)
    assert (preference.email, preference.sms, preference.push) == (False, True, False)
    quiet = QuietHours.objects.get(user=supporter)
    assert (quiet.start, quiet.end) == (time(22), time(6, 30))
    (event,) = _events()
    assert event.actor_id == supporter.pk
    assert event.details == {"kinds_changed": 1, "quiet_hours_changed": True}
    # Shown back as saved.
    html = client_for("supporter").get(URL).content.decode()
    assert 'value="22:00"' in html and 'value="06:30"' in html


def test_saving_again_unchanged_records_nothing(client_for, personas):
    client = client_for("supporter")
    client.post(URL, _form(personas["supporter"], quiet_start="22:00", quiet_end="07:00"))
    assert len(_events()) == 1
    client.post(URL, _form(personas["supporter"], quiet_start="22:00", quiet_end="07:00"))
    assert len(_events()) == 1


def test_back_to_every_channel_and_no_quiet_hours_keeps_no_rows(client_for, personas):
    supporter = personas["supporter"]
    AlertPreferenceFactory(user=supporter, kind=SOON, email=False, sms=True, push=True)
    QuietHoursFactory(user=supporter)
    response = client_for("supporter").post(URL, _form(supporter))
    assert response.status_code == 302
    assert not AlertPreference.objects.exists() and not QuietHours.objects.exists()
    assert _events()[0].details == {"kinds_changed": 1, "quiet_hours_changed": True}


def test_a_kind_off_entirely(client_for, personas):
    supporter = personas["supporter"]
    client_for("supporter").post(URL, _form(supporter, training__session_soon=[]))
    preference = AlertPreference.objects.get(user=supporter, kind=SOON)
    assert not (preference.email or preference.sms or preference.push)


def _refused(client, data, *messages):
    response = client.post(URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved." in html
    for message in messages:
        assert message in html
    assert not AlertPreference.objects.exists()
    assert not QuietHours.objects.exists()
    assert not _events()
    return html


def test_an_urgent_kind_cannot_be_switched_off(client_for, personas):
    html = _refused(
        client_for("bhs_manager"),
        _form(personas["bhs_manager"], confidentiality__escalation_waiting=[]),
        "This alert is urgent: keep at least one channel on.",
    )
    # The error summary links to the field (its first box, where the keyboard enters it).
    assert f'href="#id_{field_name(ESCALATION)}_0"' in html


@pytest.mark.parametrize(
    ("quiet", "message"),
    [
        ({"quiet_start": "22:00"}, "Give both the start and the end, or neither."),
        ({"quiet_end": "07:00"}, "Give both the start and the end, or neither."),
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "The end must differ from the start."),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "Enter a valid time."),
        ({"quiet_start": "late", "quiet_end": "07:00"}, "Enter a valid time."),
    ],
)
def test_quiet_hours_refused(client_for, personas, quiet, message):
    _refused(client_for("supporter"), _form(personas["supporter"], **quiet), message)


def test_a_channel_that_is_not_offered_is_refused(client_for, personas):
    _refused(
        client_for("supporter"),
        _form(personas["supporter"], training__session_soon=["fax"]),
        "Select a valid choice.",
    )


def test_a_kind_of_another_role_cannot_be_set(client_for, personas):
    """A posted field for a kind the page does not list is ignored, not saved."""
    data = _form(personas["supporter"])
    data[field_name(ESCALATION)] = []
    response = client_for("supporter").post(URL, data)
    assert response.status_code == 302
    assert not AlertPreference.objects.exists()


def test_the_service_refuses_what_the_form_would(personas):
    from django.core.exceptions import ValidationError

    from peersupport.notifications.services import alert_settings_save

    with pytest.raises(ValidationError, match="urgent"):
        alert_settings_save(actor=personas["bhs_manager"], choices={ESCALATION: set()})
    with pytest.raises(ValidationError, match="not one of yours"):
        alert_settings_save(actor=personas["supporter"], choices={ESCALATION: {"email"}})
    with pytest.raises(ValidationError, match="not offered"):
        alert_settings_save(actor=personas["supporter"], choices={SOON: {"pigeon"}})
    with pytest.raises(ValidationError, match="both"):
        alert_settings_save(actor=personas["supporter"], choices={}, quiet_start=time(1))
    assert not AlertPreference.objects.exists() and not _events()


def test_a_number_for_text_alerts_is_kept_encrypted_and_used(client_for, personas, settings):
    from peersupport.notifications.messages import notify_message
    from peersupport.notifications.models import AlertPhone, Notification

    supporter = personas["supporter"]
    settings.SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"
    client = client_for("supporter")
    assert 'name="phone"' in client.get(URL).content.decode()
    response = client.post(URL, _form(supporter, phone=" +1 (555) 0100-200 "))
    assert response.status_code == 302
    assert AlertPhone.objects.get(user=supporter).phone == "+1 (555) 0100-200"
    (event,) = _events()
    assert event.details == {
        "kinds_changed": 0,
        "quiet_hours_changed": False,
        "text_number_changed": True,
    }
    assert "555" not in str(event.details)
    # An alert of a kind with text messages on now goes to that number too.
    notify_message(key="soon:1", user=supporter, message="training/session_soon", **_soon())
    sms = Notification.objects.get(key="soon:1:sms")
    assert sms.address == "+1 (555) 0100-200"
    # Removed: no more text messages.
    client.post(URL, _form(supporter, phone=""))
    assert not AlertPhone.objects.exists()
    notify_message(key="soon:2", user=supporter, message="training/session_soon", **_soon())
    assert not Notification.objects.filter(key="soon:2:sms").exists()


@pytest.mark.parametrize("phone", ["call me", "12345", "+1 555 0100 200 300 400 500"])
def test_a_number_that_is_not_one_is_refused(client_for, personas, phone):
    from peersupport.notifications.models import AlertPhone

    _refused(client_for("supporter"), _form(personas["supporter"], phone=phone), "phone number")
    assert not AlertPhone.objects.exists()
