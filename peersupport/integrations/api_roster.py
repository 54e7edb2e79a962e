"""The HR roster sync of the API (scope ``roster.import``): the CSV of docs/hr-import.md, sent
as the body of a POST, planned by ``roster_sync.roster_plan`` and applied by
``roster_sync.roster_apply`` (the upload page's and the command's one code path).

A call is a dry run unless ``apply=true``: it answers with the counts of what would change and
every error by line, as the upload page's preview does. ``apply=true`` applies exactly the plan
this call just computed (its fingerprint), so records changed meanwhile refuse it rather than
apply something else. Imports through the API run one at a time (409 for a second one while the
first runs), and ``roster_apply`` serialises them with the command and the upload page.

What the import may separate is ``guard``'s to say, as for SCIM: ``SCIM_SEPARATIONS_PER_DAY``
people a day per token (SCIM's and this one's together; ``allow_many_separated`` only answers
the tenth-of-the-department warning and never lifts it), and nobody who holds a confidential
or administrator role. A refusal is a 403, audited, and changes nothing.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from peersupport.accounts.roster_sync import (
    LineError,
    file_digest,
    many_separated,
    parse_roster,
    roster_apply,
    roster_plan,
)

from . import guard
from .api import token
from .registry import register_scope

ROSTER_IMPORT = "roster.import"
_RUNNING = "api-roster-import"
_RUNNING_SECONDS = 600  # a lock older than this is a process that died mid-import

router = Router(tags=["roster sync"], auth=token(ROSTER_IMPORT))


class ImportQuery(Schema):
    apply: bool = False
    full: bool = False
    allow_many_separated: bool = False


class LineErrorOut(Schema):
    line: int
    message: str


class Counts(Schema):
    rows: int
    added: int
    changed: int
    moved: int
    separated: int
    units_added: int
    unit_supervisors: int
    unchanged: int
    errors: int


class ImportOut(Schema):
    applied: bool
    full: bool
    counts: Counts
    many_separated: bool
    fingerprint: str
    errors: list[LineErrorOut]


class RefusedOut(ImportOut):
    detail: str


_BODY = {
    "requestBody": {
        "required": True,
        "description": "The roster in the CSV layout of docs/hr-import.md (UTF-8).",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def _body(request) -> bytes:
    limit = settings.ROSTER_IMPORT_MAX_BYTES
    data = request.read(limit + 1)
    if len(data) > limit:
        raise HttpError(413, f"The roster is larger than {limit:,} bytes, the most accepted.")
    return data


def _answer(plan, *, applied: bool, full: bool, errors) -> dict:
    return {
        "applied": applied,
        "full": full,
        "counts": plan.counts,
        "many_separated": many_separated(plan),
        "fingerprint": "" if errors else plan.fingerprint,
        "errors": [{"line": e.line, "message": e.message} for e in errors],
    }


def _no_plan(errors) -> dict:
    counts = dict.fromkeys(Counts.model_fields, 0) | {"errors": len(errors)}
    return {
        "applied": False,
        "full": False,
        "counts": counts,
        "many_separated": False,
        "fingerprint": "",
        "errors": [{"line": e.line, "message": e.message} for e in errors],
    }


@router.post(
    "/import",
    response={200: ImportOut, 400: ImportOut, 403: RefusedOut},
    url_name="roster_import",
    openapi_extra=_BODY,
    summary="Plan (dry run) or apply an HR roster",
)
def roster_import(request, query: Query[ImportQuery]):
    data = _body(request)
    rows, problems = parse_roster(data)
    if problems:
        return Status(400, _no_plan(problems))
    plan = roster_plan(rows, full=query.full)
    if plan.errors or not query.apply:
        status = 400 if plan.errors else 200
        return Status(status, _answer(plan, applied=False, full=query.full, errors=plan.errors))
    if query.full and many_separated(plan) and not query.allow_many_separated:
        raise HttpError(
            400,
            f"This full import would separate {len(plan.separated):,} people, a tenth of the "
            "department or more: a unit's export or a file cut short? Nothing was imported; "
            "send allow_many_separated=true if it is meant.",
        )
    if not cache.add(_RUNNING, 1, timeout=_RUNNING_SECONDS):
        raise HttpError(409, "Another roster import is running: try again when it ends.")
    key = request.auth.key
    try:
        with transaction.atomic():
            # The guard locks this token, then counts what it separated (guard.py): the
            # plan applied is exactly this one (its fingerprint), so its separations are
            # those counted here.
            guard.check_separations(key, [person["employee_number"] for person in plan.separated])
            applied = roster_apply(
                rows,
                actor=None,
                full=query.full,
                digest=file_digest(data),
                source="api",
                details={"token": key},
                previewed=plan.fingerprint,
            )
    except guard.Refused as exc:
        guard.audit_refused(exc, token_key=key, source="api")
        return Status(403, _refused(plan, exc, full=query.full))
    finally:
        cache.delete(_RUNNING)
    if applied.errors:  # the records changed between the plan and the apply
        return Status(400, _answer(applied, applied=False, full=query.full, errors=applied.errors))
    return Status(200, _answer(applied, applied=True, full=query.full, errors=[]))


def _refused(plan, exc, *, full: bool) -> dict:
    """The guard's refusal as an answer: its reason, and for the people it protects, one
    error each on their line (line 0: someone a full file leaves out)."""
    lines = {person["employee_number"]: person["line"] or 0 for person in plan.separated}
    errors = [
        LineError(lines[number], exc.detail)
        if lines.get(number)
        else LineError(0, f"Employee number {number}, whom this full file leaves out: {exc.detail}")
        for number in exc.numbers
    ]
    return _answer(plan, applied=False, full=full, errors=errors) | {"detail": exc.detail}


def ready() -> None:
    """Called from IntegrationsConfig.ready: accounts is the kernel, so the kernel serves it."""
    from .api import register_router

    register_scope(
        ROSTER_IMPORT,
        label="HR roster sync",
        description="Send the HR roster (docs/hr-import.md) to POST /api/v1/roster/import: a "
        "dry run, or applied with apply=true. Adds, changes and separates employee records.",
    )
    register_router("roster", router)
