"""Training records and compliance in the API, for the training unit's own system (scope
``training.read``): the rows of the hours export (views.export) of the supporters on the
compliance board (never a candidate: being one is private) and each supporter's compliance
for a year, as the compliance board judges it.

Both name people (their employee number and name, as the export does), so each call is audited
as the export is (``TRAINING_EXPORTED``): one event per call, no person as its actor, the
token's key in its details. Nothing here says why anyone trained or anything of support.

Recording a completed training is not offered: ``services.attendance_record`` is the
coordinator's or the session's instructor's, and a token is neither.
"""

import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from peersupport.accounts.models import Employee, person_name
from peersupport.audit.models import AuditAction
from peersupport.integrations.api import Page, PageQuery, Text, audit_read, paginate, token

from . import selectors
from .models import Attendance, AttendanceCorrection

TRAINING_READ = "training.read"
FIRST_YEAR = 2000

router = Router(tags=["training"], auth=token(TRAINING_READ))


def _this_year() -> int:
    return timezone.localdate().year


class YearQuery(PageQuery):
    year: int | None = Field(
        None, ge=FIRST_YEAR, le=2100, description="The calendar year; this year if not given."
    )
    employee_number: Text | None = Field(
        None, max_length=32, description="Only this person (their HR employee number)."
    )


class RecordOut(Schema):
    employee_number: str
    name: str
    course: str
    kind: str
    date: datetime.date
    hours_credited: Decimal
    hours_of_day: Decimal
    corrected: bool


class RecordPage(Page):
    year: int
    items: list[RecordOut]


class ComplianceOut(Schema):
    employee_number: str
    name: str
    supporter_status: str
    status: str
    status_label: str
    initial_completed_on: datetime.date | None
    update_hours: Decimal
    other_hours: Decimal
    target: Decimal
    expected: Decimal
    behind: Decimal
    quarter_hours: list[Decimal]
    quarters_required: list[bool]


class CompliancePage(Page):
    year: int
    items: list[ComplianceOut]


def _records(year: int, employee_number: str | None):
    """The attendance of ``year``, a row per person and day, in the export's order (the
    export's query, selectors.hours_csv, as plain values), of the supporters on the compliance
    board only (``BOARD_STATUSES``, as /compliance): a candidate in training is not named, as
    being one is private (accounts/selectors.py)."""
    start = timezone.make_aware(datetime.datetime(year, 1, 1))  # noqa: DTZ001
    end = timezone.make_aware(datetime.datetime(year + 1, 1, 1))  # noqa: DTZ001
    corrected = AttendanceCorrection.objects.filter(attendance=OuterRef("pk"))
    found = Attendance.objects.filter(
        day__starts_at__gte=start,
        day__starts_at__lt=end,
        user__supporter_profile__status__in=list(selectors.BOARD_STATUSES),
    )
    if employee_number is not None:
        found = found.filter(user__employee__employee_number=employee_number.strip().upper())
    return (
        found.annotate(corrected=Exists(corrected))
        .order_by("day__starts_at", "user_id", "pk")
        .values_list(
            "user__employee__employee_number",
            "user__employee__preferred_name",
            "user__employee__first_name",
            "user__employee__last_name",
            "user__display_name",
            "user__email",
            "day__session__course__title",
            "day__session__course__kind",
            "day__starts_at",
            "hours",
            "day__hours",
            "corrected",
        )
    )


def _record(values) -> dict:
    number, preferred, first, last, display, email, title, kind, starts, hours, day, fixed = values
    return {
        "employee_number": number or "",
        "name": person_name(preferred, first, last, display, email),
        "course": title,
        "kind": kind,
        "date": timezone.localdate(starts),
        "hours_credited": hours,
        "hours_of_day": day,
        "corrected": fixed,
    }


@router.get("/records", response=RecordPage, url_name="training_records", summary="Records")
def training_records(request, query: Query[YearQuery]):
    """Each supporter's hours credited for each day of training in the year, the hours export's
    rows, for the supporters on the compliance board (appointed, active, inactive): never a
    candidate's. Audited."""
    year = query.year or _this_year()
    page = paginate(_records(year, query.employee_number), query)
    page["items"] = [_record(values) for values in page["items"]]
    audit_read(
        request,
        AuditAction.TRAINING_EXPORTED,
        via="api",
        what="records",
        year=year,
        rows=len(page["items"]),
    )
    return page | {"year": year}


def _compliance(row) -> dict:
    judged = row.compliance
    employee = getattr(row.user, "employee", None)
    return {
        "employee_number": employee.employee_number if employee is not None else "",
        "name": row.name,
        "supporter_status": row.profile.status if row.profile is not None else "",
        "status": judged.status,
        "status_label": judged.status_label,
        "initial_completed_on": judged.initial_completed_on,
        "update_hours": judged.update_hours,
        "other_hours": judged.other_hours,
        "target": judged.target,
        "expected": judged.expected,
        "behind": judged.behind,
        "quarter_hours": list(judged.quarter_hours),
        "quarters_required": list(judged.required),
    }


@router.get(
    "/compliance", response=CompliancePage, url_name="training_compliance", summary="Compliance"
)
def training_compliance(request, query: Query[YearQuery]):
    """Every supporter on the compliance board (appointed, active, inactive) with their
    compliance for the year, worked out now, by name. Audited."""
    year = query.year or _this_year()
    user_ids = None
    if query.employee_number is not None:
        number = query.employee_number.strip().upper()
        user_ids = Employee.objects.filter(employee_number=number).values_list("user_id", flat=True)
    rows = selectors.compliance_rows(year=year, sort="name", user_ids=user_ids)
    page = paginate(rows, query)
    page["items"] = [_compliance(row) for row in page["items"]]
    audit_read(
        request,
        AuditAction.TRAINING_EXPORTED,
        via="api",
        what="compliance",
        year=year,
        rows=len(page["items"]),
    )
    return page | {"year": year}


def ready() -> None:
    from peersupport.integrations.api import register_router
    from peersupport.integrations.registry import register_scope

    register_scope(
        TRAINING_READ,
        label="Training records and compliance",
        description="Read every supporter's training hours and compliance "
        "(GET /api/v1/training/records, /compliance), by name. Each call is audited.",
        names_people=True,
    )
    register_router("training", router)
