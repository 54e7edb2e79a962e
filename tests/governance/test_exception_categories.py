"""Exception categories (PROGRAM.md rule 4): the BHS manager adds, edits, retires and restores
them; the coordinator and the Chief read them. Every write is audited with ids and codes only;
duplicates are refused with nothing written; the code never changes; and a change reaches the
confidentiality notice only through a new notice version the Chief approves."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.governance import defaults, selectors, services
from peersupport.governance.models import ExceptionCategory, PolicyDocument, PolicyVersion
from peersupport.governance.notice import current_notice

pytestmark = pytest.mark.django_db

CATEGORY_ACTIONS = (
    AuditAction.CATEGORY_CREATED,
    AuditAction.CATEGORY_UPDATED,
    AuditAction.CATEGORY_RETIRED,
    AuditAction.CATEGORY_RESTORED,
)
READERS = ("bhs_manager", "coordinator", "chief")
NOT_READERS = (
    "employee",
    "supporter",
    "advocacy_supervisor",
    "supervisor",
    "panelist",
    "committee_member",
    "sysadmin",
)
NOT_KEEPERS = ("coordinator", "chief", *NOT_READERS)


@pytest.fixture(autouse=True)
def installed(db):
    """The defaults of the data migration (a transactional test elsewhere may have flushed)."""
    defaults.install_defaults(
        ExceptionCategory=ExceptionCategory,
        PolicyDocument=PolicyDocument,
        PolicyVersion=PolicyVersion,
        today=timezone.localdate(),
    )


def fields(**over) -> dict:
    return {
        "name": "State reporting law",
        "explanation": "The state requires a report.",
        "action": "Escalate to the BHS manager.",
        "crisis_resources": False,
        "order": 90,
    } | over


def form_data(**over) -> dict:
    data = {"code": "state-law", **fields()} | over
    data = {k: v for k, v in data.items() if v is not False}  # an unticked box is not sent
    return {k: ("on" if v is True else v) for k, v in data.items()}


def create(personas, code="state-law", **over) -> ExceptionCategory:
    return services.exception_category_create(
        actor=personas["bhs_manager"], code=code, **fields(**over)
    )


def category(code: str) -> ExceptionCategory:
    return ExceptionCategory.objects.get(code=code)


def rows() -> list[dict]:
    return list(ExceptionCategory.objects.order_by("pk").values())


def category_events():
    return AuditEvent.objects.filter(action__in=CATEGORY_ACTIONS).order_by("seq")


# --- Services -------------------------------------------------------------------------------


def test_create_saves_an_active_category_and_audits_its_code(personas):
    made = create(personas, code="  State-Law ", name="  State   reporting law ")
    made.refresh_from_db()
    assert (made.code, made.name, made.active) == ("state-law", "State reporting law", True)
    assert made.action == "Escalate to the BHS manager." and made.order == 90
    event = category_events().get()
    assert event.action == AuditAction.CATEGORY_CREATED
    assert event.actor_id == personas["bhs_manager"].pk
    assert (event.target_type, event.target_id) == ("governance.exceptioncategory", str(made.pk))
    assert event.details == {"code": "state-law"}  # ids and codes only, never the wording


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"code": "danger-to-self"}, "code", "The code is taken by “Danger to self”"),
        ({"code": "DANGER-TO-SELF"}, "code", "The code is taken"),
        ({"name": "danger  TO self"}, "name", "There is already a category with this name"),
    ],
)
def test_duplicates_are_refused_and_nothing_is_written(personas, over, field, message):
    before, events = rows(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        create(personas, **over)
    assert message in " ".join(exc.value.message_dict[field])
    assert rows() == before
    assert AuditEvent.objects.count() == events


def test_a_retired_categorys_code_and_name_stay_taken_and_say_restore_it(personas):
    old = category("narcotic-offenses")
    services.exception_category_retire(actor=personas["bhs_manager"], category=old)
    before = rows()
    with pytest.raises(ValidationError, match="Restore that one instead"):
        create(personas, code="narcotic-offenses")
    with pytest.raises(ValidationError, match="A retired category has this name"):
        create(personas, name="Narcotic offenses")
    assert rows() == before


def test_update_changes_the_fields_and_audits_which(personas):
    target = category("elder-abuse")
    services.exception_category_update(
        actor=personas["bhs_manager"],
        category=target,
        **fields(name="Elder or dependent adult abuse", crisis_resources=False, order=65),
    )
    target.refresh_from_db()
    assert target.name == "Elder or dependent adult abuse" and target.code == "elder-abuse"
    event = category_events().get()
    assert event.action == AuditAction.CATEGORY_UPDATED
    assert event.details == {
        "code": "elder-abuse",
        "fields": ["name", "explanation", "action", "order"],
    }


def test_update_keeps_its_own_name_and_refuses_another_categorys(personas):
    target = category("elder-abuse")
    services.exception_category_update(
        actor=personas["bhs_manager"], category=target, **fields(name="ELDER abuse")
    )
    before = rows()
    with pytest.raises(ValidationError, match="already a category with this name"):
        services.exception_category_update(
            actor=personas["bhs_manager"], category=target, **fields(name="Domestic violence")
        )
    assert rows() == before


def test_the_code_cannot_be_changed(personas):
    target = category("elder-abuse")
    with pytest.raises(ValueError, match="code"):
        services.exception_category_update(
            actor=personas["bhs_manager"], category=target, code="renamed"
        )
    assert category("elder-abuse").pk == target.pk


def test_retire_and_restore_are_audited(personas):
    bhs = personas["bhs_manager"]
    target = category("elder-abuse")
    services.exception_category_retire(actor=bhs, category=target)
    assert not category("elder-abuse").active
    assert target not in ExceptionCategory.objects.filter(active=True)  # not offered any more
    services.exception_category_restore(actor=bhs, category=target)
    assert category("elder-abuse").active
    assert [(e.action, e.details) for e in category_events()] == [
        (AuditAction.CATEGORY_RETIRED, {"code": "elder-abuse"}),
        (AuditAction.CATEGORY_RESTORED, {"code": "elder-abuse"}),
    ]


def test_retiring_twice_and_restoring_an_active_one_are_refused(personas):
    bhs = personas["bhs_manager"]
    target = category("elder-abuse")
    with pytest.raises(ValidationError, match="already active"):
        services.exception_category_restore(actor=bhs, category=target)
    services.exception_category_retire(actor=bhs, category=target)
    with pytest.raises(ValidationError, match="already retired"):
        services.exception_category_retire(actor=bhs, category=target)
    assert category_events().count() == 1


def test_the_last_active_category_cannot_be_retired(personas):
    bhs = personas["bhs_manager"]
    ExceptionCategory.objects.exclude(code="danger-to-self").update(active=False)
    with pytest.raises(ValidationError, match="last active category"):
        services.exception_category_retire(actor=bhs, category=category("danger-to-self"))
    assert category("danger-to-self").active
    assert not category_events().exists()


@pytest.mark.parametrize("persona", NOT_KEEPERS)
def test_services_refuse_anyone_but_the_bhs_manager(personas, persona):
    actor, target = personas[persona], category("elder-abuse")
    before, events = rows(), AuditEvent.objects.count()
    calls = [
        lambda: services.exception_category_create(actor=actor, code="x", **fields()),
        lambda: services.exception_category_update(actor=actor, category=target, **fields()),
        lambda: services.exception_category_retire(actor=actor, category=target),
        lambda: services.exception_category_restore(actor=actor, category=target),
    ]
    for call in calls:
        with pytest.raises(ValidationError, match="Only the BHS manager"):
            call()
    assert rows() == before
    assert AuditEvent.objects.count() == events


# --- How a change reaches the notice --------------------------------------------------------


def _draft_notice(personas) -> PolicyVersion:
    return services.policy_version_draft(
        actor=personas["bhs_manager"],
        document=PolicyDocument.objects.get(kind=PolicyDocument.Kind.CONFIDENTIALITY_NOTICE),
        effective_date=timezone.localdate(),
        intro="Before.",
        closing="After.",
    )


def test_added_and_edited_categories_flow_into_the_next_draft_and_retired_ones_do_not(personas):
    bhs = personas["bhs_manager"]
    shown_before = current_notice()
    create(personas, order=25)
    services.exception_category_update(
        actor=bhs,
        category=category("elder-abuse"),
        **fields(name="Elder abuse", explanation="An older adult may be harmed.", order=60),
    )
    services.exception_category_retire(actor=bhs, category=category("narcotic-offenses"))
    # The notice in force is untouched until a new version is approved.
    assert current_notice() == shown_before

    version = _draft_notice(personas)
    codes = [item["code"] for item in version.exceptions]
    assert "state-law" in codes and "narcotic-offenses" not in codes
    assert codes.index("state-law") == codes.index("danger-to-others") + 1  # by its order
    assert {"code": "elder-abuse", "name": "Elder abuse"}.items() <= next(
        item for item in version.exceptions if item["code"] == "elder-abuse"
    ).items()

    services.policy_version_submit(actor=bhs, version=version)
    services.policy_version_approve(actor=personas["chief"], version=version)
    notice = current_notice()
    assert "State reporting law: The state requires a report." in notice.exceptions
    assert "Elder abuse: An older adult may be harmed." in notice.exceptions
    assert not any("Narcotic" in line for line in notice.exceptions)

    # Later changes leave the approved notice as the Chief approved it.
    services.exception_category_update(
        actor=bhs, category=category("state-law"), **fields(name="Renamed")
    )
    assert current_notice() == notice


def test_a_draft_in_progress_copies_the_categories_again_when_saved(personas):
    version = _draft_notice(personas)
    create(personas)
    assert "state-law" not in [item["code"] for item in version.exceptions]
    version = services.policy_version_edit(
        actor=personas["bhs_manager"],
        version=version,
        effective_date=timezone.localdate(),
        intro="Before.",
        closing="After.",
    )
    assert "state-law" in [item["code"] for item in version.exceptions]


# --- Pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", READERS)
def test_readers_see_active_and_retired_categories(personas, client_for, persona):
    services.exception_category_retire(
        actor=personas["bhs_manager"], category=category("narcotic-offenses")
    )
    resp = client_for(persona).get(reverse("governance:categories"))
    assert resp.status_code == 200
    assert [c.code for c in resp.context["retired"]] == ["narcotic-offenses"]
    assert "danger-to-self" in [c.code for c in resp.context["active"]]
    page = resp.content.decode()
    assert "only when the BHS manager drafts a new version of the notice" in page
    editing = reverse("governance:category_edit", args=[category("danger-to-self").pk])
    assert (editing in page) == (persona == "bhs_manager")
    assert (reverse("governance:category_create") in page) == (persona == "bhs_manager")


@pytest.mark.parametrize("persona", NOT_READERS)
def test_everyone_else_is_refused_the_list(client_for, persona):
    assert client_for(persona).get(reverse("governance:categories")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    resp = client.get(reverse("governance:categories"))
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("account_login"))


def _editing_urls() -> list[str]:
    pk = category("elder-abuse").pk
    return [
        reverse("governance:category_create"),
        reverse("governance:category_edit", args=[pk]),
        reverse("governance:category_retire", args=[pk]),
        reverse("governance:category_restore", args=[pk]),
    ]


@pytest.mark.parametrize("persona", NOT_KEEPERS)
def test_everyone_but_the_bhs_manager_is_refused_editing(client_for, persona):
    before, events = rows(), category_events().count()
    c = client_for(persona)
    for url in _editing_urls():
        assert c.get(url).status_code == 403, url
        assert c.post(url, form_data(name="Taken over")).status_code == 403, url
    assert rows() == before
    assert category_events().count() == events


def test_bhs_manager_opens_every_editing_page(client_for):
    c = client_for("bhs_manager")
    for url in _editing_urls()[:3]:
        assert c.get(url).status_code == 200, url
    # Restoring an active category changes nothing and says so.
    resp = c.get(_editing_urls()[3], follow=True)
    assert resp.redirect_chain[-1][0] == reverse("governance:categories")
    assert "is not retired; nothing changed" in resp.content.decode()


def test_the_add_page_suggests_a_place_after_the_others(client_for):
    resp = client_for("bhs_manager").get(reverse("governance:category_create"))
    assert resp.context["form"]["order"].value() == 90  # the defaults go 10 ... 80


def test_bhs_manager_adds_a_category(client_for, personas):
    resp = client_for("bhs_manager").post(
        reverse("governance:category_create"), form_data(crisis_resources=True)
    )
    assert resp.status_code == 302 and resp["Location"] == reverse("governance:categories")
    made = category("state-law")
    assert made.active and made.crisis_resources and made.name == "State reporting law"
    assert category_events().get().action == AuditAction.CATEGORY_CREATED


def test_a_duplicate_code_through_the_page_is_a_form_error_and_nothing_is_written(client_for):
    c = client_for("bhs_manager")
    before, events = rows(), AuditEvent.objects.count()
    resp = c.post(reverse("governance:category_create"), form_data(code="danger-to-self"))
    assert resp.status_code == 400
    assert "The code is taken by “Danger to self”" in " ".join(resp.context["form"].errors["code"])
    assert "The code is taken by" in resp.content.decode()
    assert rows() == before
    assert AuditEvent.objects.count() == events


def test_a_duplicate_name_through_the_page_is_a_form_error(client_for):
    before = rows()
    resp = client_for("bhs_manager").post(
        reverse("governance:category_create"), form_data(name="Elder Abuse")
    )
    assert resp.status_code == 400
    assert "already a category with this name" in " ".join(resp.context["form"].errors["name"])
    assert rows() == before


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"code": ""}, "code", "Give the category a code."),
        ({"code": "two words!"}, "code", "Use only lower-case letters, digits and hyphens"),
        ({"code": "x" * 65}, "code", "at most 64 characters"),
        ({"name": "   "}, "name", "Give the category a name."),
        ({"name": "n" * 121}, "name", "at most 120 characters"),
        ({"action": ""}, "action", "Say what the supporter does when it arises."),
        ({"explanation": "e" * 1001}, "explanation", "at most 1000 characters"),
        ({"order": ""}, "order", "Give a place in the list"),
        ({"order": "first"}, "order", "Enter a whole number."),
        ({"order": "-1"}, "order", "greater than or equal to 0"),
        ({"order": "99999999999999999999"}, "order", "less than or equal to 32767"),
    ],
)
def test_bad_input_is_a_400_with_the_message_and_nothing_is_written(
    client_for, over, field, message
):
    c = client_for("bhs_manager")
    before, events = rows(), AuditEvent.objects.count()
    resp = c.post(reverse("governance:category_create"), form_data(**over))
    assert resp.status_code == 400
    assert message in " ".join(resp.context["form"].errors[field])
    assert rows() == before
    assert AuditEvent.objects.count() == events


def test_an_empty_post_is_a_400_not_a_blank_page(client_for):
    resp = client_for("bhs_manager").post(reverse("governance:category_create"), {})
    assert resp.status_code == 400
    assert set(resp.context["form"].errors) >= {"code", "name", "action", "order"}


def test_bhs_manager_edits_a_category_and_a_posted_code_is_ignored(client_for):
    target = category("elder-abuse")
    resp = client_for("bhs_manager").post(
        reverse("governance:category_edit", args=[target.pk]),
        form_data(code="hijacked", name="Elder and dependent adult abuse", order="60"),
    )
    assert resp.status_code == 302
    target.refresh_from_db()
    assert target.code == "elder-abuse" and target.name == "Elder and dependent adult abuse"
    assert not ExceptionCategory.objects.filter(code="hijacked").exists()
    page = client_for("bhs_manager").get(reverse("governance:categories")).content.decode()
    assert "The notice shows the change from its next approved version." in page


def test_the_edit_page_shows_the_code_fixed_and_the_stored_values(client_for):
    target = category("elder-abuse")
    resp = client_for("bhs_manager").get(reverse("governance:category_edit", args=[target.pk]))
    assert "code" not in resp.context["form"].fields
    assert resp.context["form"]["name"].value() == "Elder abuse"
    assert "fixed: escalations refer to it" in resp.content.decode()


def test_a_bad_edit_changes_nothing(client_for):
    target = category("elder-abuse")
    before = rows()
    resp = client_for("bhs_manager").post(
        reverse("governance:category_edit", args=[target.pk]),
        form_data(name="Danger to self"),
    )
    assert resp.status_code == 400
    assert "already a category with this name" in resp.content.decode()
    assert rows() == before


def test_bhs_manager_retires_and_restores_through_the_pages(client_for):
    c = client_for("bhs_manager")
    target = category("elder-abuse")
    page = c.get(reverse("governance:category_retire", args=[target.pk])).content.decode()
    assert "no longer offered when a supporter raises an escalation" in page
    resp = c.post(reverse("governance:category_retire", args=[target.pk]), follow=True)
    assert resp.redirect_chain[-1][0] == reverse("governance:categories")
    assert "Retired “Elder abuse”." in resp.content.decode()
    assert not category("elder-abuse").active
    # Retiring again changes nothing.
    again = c.post(reverse("governance:category_retire", args=[target.pk]), follow=True)
    assert "is already retired; nothing changed" in again.content.decode()
    resp = c.post(reverse("governance:category_restore", args=[target.pk]), follow=True)
    assert "Restored “Elder abuse”." in resp.content.decode()
    assert category("elder-abuse").active
    assert [e.action for e in category_events()] == [
        AuditAction.CATEGORY_RETIRED,
        AuditAction.CATEGORY_RESTORED,
    ]


def test_a_refused_retirement_is_shown_on_the_page(client_for):
    ExceptionCategory.objects.exclude(code="danger-to-self").update(active=False)
    url = reverse("governance:category_retire", args=[category("danger-to-self").pk])
    resp = client_for("bhs_manager").post(url)
    assert resp.status_code == 400
    assert "This is the last active category." in resp.content.decode()
    assert category("danger-to-self").active


@pytest.mark.parametrize("name", ["category_edit", "category_retire", "category_restore"])
def test_an_unknown_category_is_404(client_for, name):
    c = client_for("bhs_manager")
    assert c.get(reverse(f"governance:{name}", args=[999999])).status_code == 404
    assert c.post(reverse(f"governance:{name}", args=[999999])).status_code == 404


def test_the_pages_say_where_a_notice_version_is(personas, client_for):
    c = client_for("bhs_manager")
    page = c.get(reverse("governance:categories")).content.decode()
    assert "Draft a new version of the confidentiality notice" in page
    version = _draft_notice(personas)
    page = c.get(reverse("governance:categories")).content.decode()
    assert f"Version {version.number} of the notice</a> is draft" in page
    assert "copies the active categories again each time it is saved" in page
    services.policy_version_submit(actor=personas["bhs_manager"], version=version)
    page = c.get(reverse("governance:categories")).content.decode()
    assert "is with the Chief, with the categories as they were" in page


def test_the_selectors_list_active_then_retired(personas):
    services.exception_category_retire(
        actor=personas["bhs_manager"], category=category("danger-to-self")
    )
    active, retired = selectors.exception_categories()
    assert [c.code for c in retired] == ["danger-to-self"]
    assert [c.code for c in active] == [c[0] for c in defaults.EXCEPTION_CATEGORIES[1:]]
