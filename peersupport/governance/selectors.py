"""Reads of policy documents, versions and acknowledgements, with the role rules applied."""

import datetime

from django.db.models import Max, QuerySet
from django.http import Http404
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.accounts.selectors import role_holder_ids

from .models import ExceptionCategory, PolicyAcknowledgement, PolicyDocument, PolicyVersion

# Who reads every version, drafts included.
POLICY_READERS = frozenset({Role.BHS_MANAGER, Role.CHIEF, Role.COORDINATOR})
MAX_CATEGORY_ORDER = 32767  # the largest PositiveSmallIntegerField on every database


def current_version(kind: str, *, today: datetime.date | None = None) -> PolicyVersion | None:
    """The approved version in force: the latest effective date on or before today (the highest
    number on a tie). A version approved with a later date takes over on that date by itself."""
    today = today or timezone.localdate()
    return (
        PolicyVersion.objects.select_related("document")
        .filter(
            document__kind=kind,
            status=PolicyVersion.Status.APPROVED,
            effective_date__lte=today,
        )
        .order_by("-effective_date", "-number")
        .first()
    )


def active_exception_snapshot() -> list[dict]:
    """The active exception categories, as a notice version keeps them."""
    return [
        {"code": c.code, "name": c.name, "explanation": c.explanation}
        for c in ExceptionCategory.objects.filter(active=True)
    ]


def exception_categories() -> tuple[list[ExceptionCategory], list[ExceptionCategory]]:
    """Every category: the active ones (as the notice and escalations list them), then the
    retired ones."""
    categories = list(ExceptionCategory.objects.all())
    return [c for c in categories if c.active], [c for c in categories if not c.active]


def exception_category(category_id: int) -> ExceptionCategory:
    category = ExceptionCategory.objects.filter(pk=category_id).first()
    if category is None:
        raise Http404("No such exception category.")
    return category


def next_category_order() -> int:
    """An order that puts a new category after the others (they go in steps of ten)."""
    highest = ExceptionCategory.objects.aggregate(n=Max("order"))["n"]
    return 0 if highest is None else min(highest + 10, MAX_CATEGORY_ORDER)


def notice_versions_in_force_and_open() -> tuple[PolicyVersion | None, PolicyVersion | None]:
    """The notice in force and the notice version in progress (drafted, returned or waiting
    for the Chief), if any: what a change to the categories does and does not reach."""
    in_force = current_version(PolicyDocument.Kind.CONFIDENTIALITY_NOTICE)
    in_progress = (
        PolicyVersion.objects.filter(
            document__kind=PolicyDocument.Kind.CONFIDENTIALITY_NOTICE,
            status__in=(
                PolicyVersion.Status.DRAFT,
                PolicyVersion.Status.SUBMITTED,
                PolicyVersion.Status.RETURNED,
            ),
        )
        .order_by("-number")
        .first()
    )
    return in_force, in_progress


def documents_with_history() -> list[tuple[PolicyDocument, PolicyVersion | None, list]]:
    documents = PolicyDocument.objects.prefetch_related("versions")
    rows = []
    for document in documents:
        current = current_version(document.kind)
        rows.append((document, current, list(document.versions.all())))
    return rows


def document_by_kind(kind: str) -> PolicyDocument:
    document = PolicyDocument.objects.filter(kind=kind).first()
    if document is None:
        raise Http404("No such policy document.")
    return document


def version_for_viewer(*, viewer: User, version_id: int) -> PolicyVersion:
    """Policy readers see every version; a peer supporter only approved program policy."""
    version = (
        PolicyVersion.objects.select_related("document", "drafted_by", "submitted_by")
        .select_related("decided_by")
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        raise Http404("No such policy version.")
    if viewer.has_role(*POLICY_READERS):
        return version
    if (
        viewer.has_role(Role.PEER_SUPPORTER)
        and version.document.kind == PolicyDocument.Kind.PROGRAM_POLICY
        and version.status == PolicyVersion.Status.APPROVED
    ):
        return version
    raise Http404("No such policy version.")


def has_acknowledged(*, user: User, version: PolicyVersion) -> bool:
    return PolicyAcknowledgement.objects.filter(user=user, version=version).exists()


def active_supporters() -> QuerySet[User]:
    """Accounts holding the peer supporter role now."""
    # A subquery: the holders' accounts are not read to be listed again (400 of them).
    holders = role_holder_ids(Role.PEER_SUPPORTER)
    return User.objects.filter(pk__in=holders).order_by("display_name", "email", "pk")


def supporters_not_acknowledged(version: PolicyVersion | None) -> QuerySet[User]:
    supporters = active_supporters()
    if version is None:
        return supporters.none()
    done = PolicyAcknowledgement.objects.filter(version=version).values("user_id")
    return supporters.exclude(pk__in=done)
