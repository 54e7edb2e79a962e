"""Every piece of the product knows which agency it works for (docs/design/agencies.md §2.4).

Step 1 holds the background work to it: every task either runs per agency, takes the agency it
works for, or is listed here as install-wide with its reason. A new task fails this test until it
makes that choice. Steps 2 and 3 hold the models to it (``test_every_model_declares_its_agency``):
each is owned (its own agency), derived (its parent's), or install-wide with a reason; a new
model fails until it makes that choice. Step 3 holds what passes by the managers to it: every
function with hand-written SQL is reviewed for its agency predicate (``test_raw_sql_is_reviewed``)
and every crossing of agencies is listed with its reason (``test_crossings_are_listed``).
"""

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest
from django.tasks import Task
from django_tasks_db.models import DBTaskResult

from peersupport.accounts.models import Agency
from peersupport.notifications import scheduling
from peersupport.tenancy import AgencyManager, using_agency

ROOT = Path(__file__).resolve().parents[2] / "peersupport"

# Tasks that serve the whole install, not one agency, and why.
INSTALL_WIDE_TASKS = {
    "peersupport.web.tasks.kernel_tick": "the kernel's machinery: grant requests lapse, the "
    "audit chain (one for the install) is checkpointed, old task results are pruned",
    "peersupport.notifications.tasks.deliver_notification": "the outbox is one install-wide "
    "pipeline; a notification is delivered wherever it was queued",
}


def _tasks() -> dict[str, Task]:
    found = {}
    for path in sorted(ROOT.rglob("tasks.py")):
        module = importlib.import_module(
            ".".join(["peersupport", *path.relative_to(ROOT).with_suffix("").parts])
        )
        for value in vars(module).values():
            if isinstance(value, Task) and value.module_path.startswith(module.__name__ + "."):
                found[value.module_path] = value
    return found


def test_every_task_takes_an_agency():
    tasks = _tasks()
    assert len(tasks) >= 15, sorted(tasks)  # the reader finds them (14 and the kernel's)
    wrong = []
    for path, task in sorted(tasks.items()):
        source = inspect.getsource(task.func)
        periodic = path in scheduling._registry
        if path in INSTALL_WIDE_TASKS:
            if periodic and scheduling.is_per_agency(task):
                wrong.append(f"{path} is listed install-wide but registered per agency")
        elif periodic:
            if not scheduling.is_per_agency(task):
                wrong.append(f"{path} is registered install-wide: list it with its reason")
            elif f"run_tick({task.name}" not in source:
                wrong.append(f"{path} must run through scheduling.run_tick")
        elif "agency_id" not in inspect.signature(task.func).parameters:
            wrong.append(f"{path} takes no agency_id: run it per agency, or list it")
        elif "using_agency(agency_id" not in source:
            wrong.append(f"{path} takes an agency_id but does not enter it (using_agency)")
    assert not wrong, "\n".join(wrong)
    assert set(INSTALL_WIDE_TASKS) <= set(tasks), "a listed task that does not exist"


@pytest.mark.django_db
def test_what_enqueues_a_task_passes_the_current_agency(settings):
    """A write in an agency queues its follow-up work for that agency."""
    from peersupport.reports import builds
    from peersupport.reports.tasks import reports_rebuild
    from peersupport.training import services as training_services
    from peersupport.training.tasks import compliance_refresh_task

    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "accounts.E001"]
    other = Agency.objects.create(slug="b", name="B", time_zone=settings.TIME_ZONE)
    with using_agency(other):
        assert builds.request(delay=0)
        training_services._enqueue_refresh()
    for queued in (reports_rebuild, compliance_refresh_task):
        (row,) = DBTaskResult.objects.filter(task_path=queued.module_path, status="READY")
        assert row.args_kwargs["args"] == [other.pk], queued.name


# --- the models (steps 2 and 3) -------------------------------------------------------------------

# A non-null ``agency`` foreign key, and ``objects`` scoped on it (``everywhere`` for crossings).
OWNED = {
    "accounts.Unit",
    "accounts.Employee",
    "accounts.RoleGrant",  # agency NULL only for the install sysadmin: counted in every agency
    "accounts.RoleGrantRequest",
    "notifications.WebhookEndpoint",
    "integrations.ApiToken",
    "resources.Resource",
    "governance.ExceptionCategory",
    "governance.PolicyDocument",
    "roster.SupporterProfile",  # the supporter's home; listed wherever they hold the role (§2.3)
    "training.Course",
    "training.ComplianceRecord",  # the supporter's home agency judges them
    "support.SupportRequest",  # where it was asked
    "support.Contact",  # own: its request may be none, and a lent supporter's home is another
    "support.FollowUp",
    "support.DebriefRequest",  # the supporter's home agency
    "selection.NominationRound",
    "selection.Candidacy",  # the nominee's employee agency (selection.services)
    "committee.CommitteeSeat",
    "committee.Election",
    "cism.TeamMember",  # one person may be on several agencies' teams, once on each
    "cism.Activation",
    "reports.Publication",
    "reports.PeriodClosure",
    "reports.Build",  # one per agency
    "reports.Rendered",
    "reports.SealedCounts",
    "releases.Release",  # its request is SET_NULL (purged long before it)
    "confidentiality.DutyAssignment",
    "confidentiality.Escalation",  # its request and contact are both nullable
    "outreach.PlanStep",
    "outreach.Outreach",
}
# No column: scoped through a parent whose agency never changes (every hop a non-null FK).
DERIVED = {
    "accounts.FamilyMember": "employee__agency",
    "governance.PolicyVersion": "document__agency",
    "governance.PolicyAcknowledgement": "version__document__agency",
    "roster.SupporterArea": "profile__agency",
    "roster.OnCallShift": "profile__agency",
    "training.TrainingSession": "course__agency",
    "training.SessionDay": "session__course__agency",
    "training.Enrolment": "session__course__agency",
    "training.Attendance": "day__session__course__agency",
    "training.AttendanceCorrection": "attendance__day__session__course__agency",
    "training.CourseFeed": "course__agency",
    "support.Offer": "request__agency",
    "support.Message": "request__agency",
    "selection.Nomination": "candidacy__agency",
    "selection.Interview": "candidacy__agency",
    "selection.ChainStep": "candidacy__agency",
    "selection.CandidacyEvent": "candidacy__agency",
    "selection.Panelist": "interview__candidacy__agency",
    "selection.PanelScore": "interview__candidacy__agency",
    "committee.Membership": "seat__agency",
    "committee.Candidate": "election__agency",
    "committee.Voter": "election__agency",
    "committee.Ballot": "election__agency",  # no column: nothing new beside a sealed ballot
    "cism.Callout": "activation__agency",
    "cism.Session": "activation__agency",
    "releases.Disclosure": "release__agency",
    "confidentiality.EscalationRecipient": "escalation__agency",
    "outreach.AffectedPerson": "outreach__agency",
    "outreach.Assignment": "person__outreach__agency",  # never via the supporter (may be lent)
    "outreach.Responder": "outreach__agency",
    "outreach.FollowUpTask": "person__outreach__agency",
    "outreach.Attempt": "task__person__outreach__agency",
    "outreach.GroupSession": "outreach__agency",
}
INSTALL_WIDE = {
    "accounts.Agency": "the agencies themselves",
    "accounts.User": "one account may hold roles in several agencies",
    "accounts.Language": "a shared vocabulary",
    "audit.AuditEvent": "one chain for the install; agency_id is a column the viewer filters on",
    "audit.AuditChainHead": "one chain for the install (step 9 may split it)",
    "crypto.KeyFingerprint": "the keys are the install's",
    "notifications.Notification": "one outbox; agency_id only for the link",
    "notifications.AlertPreference": "the person's own",
    "notifications.QuietHours": "the person's own",
    "notifications.PushSubscription": "the person's own devices",
    "notifications.AlertPhone": "the person's own",
    "notifications.WorkerHeartbeat": "the install's worker",
    "calendars.Feed": "a personal token; each source is read per agency",
    "training.CalendarFeed": "a personal token",
}


def _product_models() -> dict:
    from django.apps import apps

    return {m._meta.label: m for m in apps.get_models() if m.__module__.startswith("peersupport.")}


def test_every_model_declares_its_agency():
    models = _product_models()
    lists = (OWNED, set(DERIVED), set(INSTALL_WIDE))
    listed = [label for names in lists for label in names]
    assert len(listed) == len(set(listed)), "a model is in two lists"
    assert set(listed) == set(models), {
        "not declared": sorted(set(models) - set(listed)),
        "no such model": sorted(set(listed) - set(models)),
    }
    wrong = []
    for label in OWNED:
        model = models[label]
        field = model._meta.get_field("agency")
        manager = model._default_manager
        if field.related_model._meta.label != "accounts.Agency":
            wrong.append(f"{label}.agency does not point at accounts.Agency")
        if field.null and label not in {"accounts.RoleGrant", "accounts.RoleGrantRequest"}:
            wrong.append(f"{label}.agency may be empty")
        if not isinstance(manager, AgencyManager) or manager.path != "agency":
            wrong.append(f"{label}'s default manager is not scoped on its agency")
        if not hasattr(model, "everywhere"):
            wrong.append(f"{label} has no explicit crossing manager (everywhere)")
    for label, path in DERIVED.items():
        model = models[label]
        manager = model._default_manager
        if not isinstance(manager, AgencyManager) or manager.path != path:
            wrong.append(f"{label}'s default manager is not scoped on {path}")
        hop = model
        for name in path.split("__"):
            field = hop._meta.get_field(name)
            if field.null:
                wrong.append(f"{label}: {hop._meta.label}.{name} may be empty")
            hop = field.related_model
    for label in INSTALL_WIDE:
        if isinstance(models[label]._default_manager, AgencyManager):
            wrong.append(f"{label} is scoped: move it to OWNED or DERIVED")
    assert not wrong, wrong


@pytest.mark.django_db
@pytest.mark.no_agency
def test_a_scoped_read_outside_any_agency_fails_loudly():
    from peersupport.accounts.models import Employee, RoleGrant, Unit
    from peersupport.tenancy import NoAgency

    for model in (Unit, Employee, RoleGrant):
        with pytest.raises(NoAgency):
            list(model.objects.all())


# --- what bypasses the managers (step 3d) ----------------------------------------------------

# Hand-written SQL (a cursor, ``RawSQL``, ``rawsql.compiled``, ``.raw``, ``.extra``) goes around
# the scoped managers: each function that writes some is listed with how it stays inside the
# current agency, or why it serves the install. A new one fails until it is reviewed here.
_RAW_SQL = re.compile(r"\.cursor\(\)|\bRawSQL\(|\bcompiled\(|\.raw\(|\.extra\(")
RAW_SQL_REVIEWED = {
    "accounts/models.py:get": "install: an account by its id (accounts are the install's)",
    "accounts/roster_sync.py:_one_import_at_a_time": "no rows: a PostgreSQL advisory lock",
    "accounts/selectors.py:role_rows": (
        "every agency's grants and employee records, each row with its agency_id; roles_of keeps "
        "one agency's"
    ),
    "accounts/sessions.py:_session_data_from_db": "install: a session by its key",
    "audit/maintenance.py:audit_maintenance": "install: the one audit chain's table maintenance",
    "audit/selectors.py:_run": (
        "the viewer's compiled SQL, keyed by agency; it filters agency_id itself"
    ),
    "audit/selectors.py:_timed": (
        "the viewer's statements, run with the agency_id parameter they were built with"
    ),
    "audit/selectors.py:audit_days": (
        "filters agency_id (and NULL rows for the default agency) as the viewer does"
    ),
    "audit/selectors.py:data_version": "install: the one chain head's write counter",
    "confidentiality/selectors.py:banner_for": "e.agency_id = the current agency (bound)",
    "crypto/migration_ops.py:_checked_now": (
        "install: key rotation over every row of a table (migrations, rotate_keys)"
    ),
    "crypto/migration_ops.py:_deferred_again": "install: key rotation",
    "crypto/migration_ops.py:forward": "install: key rotation",
    "crypto/migration_ops.py:backward": "install: key rotation",
    "crypto/migration_ops.py:rebind": "install: key rotation",
    "crypto/stored.py:key_ids_in_use": "install: which keys encrypt any row (check_keys)",
    "crypto/stored.py:rows_not_under": "install: rows not yet under the newest key (rotate_keys)",
    "crypto/stored.py:replace_value": "install: one row's value re-encrypted by id (rotate_keys)",
    "outreach/selectors.py:people_of": (
        "each part joins the outreach and binds o.agency_id = the current agency"
    ),
    "outreach/selectors.py:suggest_supporters": (
        "the grant, the chain of command and the load are the current agency's (bound)"
    ),
    "resources/selectors.py:_choices_sql": (
        "compiles a scoped queryset (its agency a parameter), kept per agency"
    ),
    "roster/selectors.py:_labelled": (
        "_labels_params: only people holding the current agency's peer-supporter grant"
    ),
    "roster/selectors.py:language_options": "install: the shared list of languages",
    "roster/selectors.py:directory_page": (
        "_directory_where: a current peer-supporter grant in the current agency (bound)"
    ),
    "roster/selectors.py:_roster_counts": (
        "_CONCERN_COUNTS_SQL: p.agency_id = the current agency (bound)"
    ),
    "roster/selectors.py:roster_page": (
        "_concern_params: home profiles of the current agency (bound)"
    ),
    "support/selectors.py:pending_offers": "r.agency_id = the current agency (bound)",
    "support/selectors.py:open_and_recently_closed": "both halves bind the current agency",
    "support/selectors.py:recent_contacts": "c.agency_id = the current agency (bound)",
    "support/selectors.py:inbox_followups": "both halves bind the current agency",
    "support/selectors.py:_count_contacts_since": "c.agency_id = the current agency (bound)",
    "support/selectors.py:overdue_followups": "f.agency_id = the current agency (bound)",
    "support/selectors.py:coordinator_overview": "every statement binds the current agency",
    "training/selectors.py:_board_page_sql": (
        "compiles scoped querysets (agency a parameter), kept per agency"
    ),
    "training/selectors.py:_raw_values": "runs a scoped queryset compiled now (the current agency)",
    "web/views.py:healthz": "no rows: SELECT 1",
}


def test_raw_sql_is_reviewed():
    found = _outermost_functions(_RAW_SQL, {"rawsql.py"})
    assert len(found) >= 30, sorted(found)  # the reader finds them
    assert found == set(RAW_SQL_REVIEWED), {
        "not reviewed": sorted(found - set(RAW_SQL_REVIEWED)),
        "reviewed but gone": sorted(set(RAW_SQL_REVIEWED) - found),
    }


# Reads and writes across agencies (``Model.everywhere``, ``tenancy.all_agencies``): each
# function that makes one is listed with why (docs/design/agencies.md §2.3). A new crossing
# fails until it is reviewed here.
_CROSSING = re.compile(r"\.everywhere\b|\ball_agencies\(")
CROSSINGS = {
    "accounts/selectors.py:pending_roles": (
        "a person's waiting grant requests in every agency (separation of duties, MFA)"
    ),
    "accounts/selectors.py:user_is_guarded": (
        "an account holding a confidential role anywhere is guarded everywhere"
    ),
    "accounts/selectors.py:guarded_user_ids": "the same, for a list",
    "accounts/selectors.py:_of_this_agency": (
        "an account with no role in any agency yet is nobody's: whoever grants roles finds it"
    ),
    "cism/services.py:_is_active_supporter": (
        "a supporter's profile is at home; one may serve on another agency's team"
    ),
    "integrations/services.py:authenticate": (
        "a token is found in any agency, then the API works inside the token's"
    ),
    "notifications/monitoring.py:read_all": "/metrics: the install's totals, no agency label",
    "notifications/webhooks.py:resolve": (
        "delivery is the install's outbox; the endpoint names its agency"
    ),
    "notifications/webhooks.py:send": "the same",
    "roster/api.py:coverage": "the shifts of the supporters listed here, whatever their home",
    "roster/selectors.py:_on_call_exists": "a listed supporter's shifts live at home",
    "roster/selectors.py:is_available_now": "one person's own profile, wherever it lives",
    "roster/selectors.py:_listed_profiles": (
        "listed here = a current peer-supporter grant here, whatever the home (§2.3)"
    ),
    "roster/selectors.py:_listed": "the areas of the listed profiles, at their homes",
    "roster/selectors.py:directory": "the listed profiles' areas",
    "roster/selectors.py:matching_supporters": "the listed profiles' areas",
    "roster/selectors.py:suggested_supporters": "the listed profiles' areas",
    "roster/selectors.py:home_agency_id": (
        "which agency a supporter belongs to (a debrief goes home)"
    ),
    "roster/selectors.py:own_profile": "one person's own profile, wherever it lives",
    "roster/selectors.py:upcoming_shifts": "one person's own shifts",
    "roster/selectors.py:serves": "whether one person serves, by their own profile",
    "roster/selectors.py:oncall_feed_events": "the feed owner's own shifts",
    "roster/selectors.py:listed_profile_ids": "the listed profiles' ids, whatever their home",
    "roster/services.py:supporter_profile_create": (
        "one profile per person: a second is refused with a message, not a database error"
    ),
    "training/selectors.py:feed_course": (
        "a calendar app signs in to nothing: the token is found in any agency, then read in the "
        "course's"
    ),
}


def _outermost_functions(pattern: re.Pattern, skip: set[str]) -> set[str]:
    """``file:function`` of each outermost function of peersupport/ whose source matches."""
    found = set()
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts or path.name in skip:
            continue
        source = path.read_text()
        if not pattern.search(source):
            continue
        functions = [
            node
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and pattern.search(ast.get_source_segment(source, node))
        ]
        for node in functions:
            inner = any(
                other is not node
                and other.lineno >= node.lineno
                and other.end_lineno <= node.end_lineno
                for other in functions
            )
            if not inner:
                found.add(f"{path.relative_to(ROOT).as_posix()}:{node.name}")
    return found


def test_crossings_are_listed():
    found = _outermost_functions(_CROSSING, {"tenancy.py"})
    assert len(found) >= 20, sorted(found)  # the reader finds them
    assert found == set(CROSSINGS), {
        "not listed": sorted(found - set(CROSSINGS)),
        "listed but gone": sorted(set(CROSSINGS) - found),
    }
