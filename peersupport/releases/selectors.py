"""Reads of releases and disclosures. Each applies the rule of who may see what and answers 404
otherwise.

- The peer supporter holding a release sees all of it; opening it is audited.
- The BHS manager sees every release and its accounting of disclosures (they oversee them and
  may record disclosures), but the person's name and signature only on releases that name the
  BHS manager among those who may disclose: otherwise the release alone would tell them who
  sought help (PROGRAM.md rule 1).
- The person sees their own releases and every disclosure under them on their own request's
  page (``for_request``). That reading is not audited: an audit event naming the employee and
  the release would itself say who sought help.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, QuerySet
from django.http import Http404

from peersupport.accounts.models import Role, User
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.support.models import SupportRequest
from peersupport.support.selectors import held_request, held_requests, own_requests

from .models import Disclosure, Release, ReleaseStatus


def _with_accounting(releases: QuerySet[Release]) -> QuerySet[Release]:
    return releases.select_related("supporter", "revoked_by", "ended_by").prefetch_related(
        Prefetch("disclosures", queryset=Disclosure.objects.select_related("by"))
    )


def _summary(releases: QuerySet[Release]) -> QuerySet[Release]:
    """For lists: no protected field is read (they are deferred), only dates and counts."""
    return releases.defer(
        "person_name", "items", "recipients", "purpose", "expiry_event", "signature"
    ).annotate(
        disclosure_count=Count("disclosures"), last_disclosed=Max("disclosures__disclosed_on")
    )


# --- The supporter -------------------------------------------------------------------------------


def held_releases(user: User) -> QuerySet[Release]:
    return _summary(Release.objects.filter(supporter=user)).order_by("-created_at", "-pk")


def held_request_for_releases(user: User, request_id: int) -> SupportRequest:
    """A request the supporter holds, by id; 404 for any other. Its identity is not read."""
    req = held_requests(user).filter(pk=request_id).first()
    if req is None:
        raise Http404
    return req


def held_request_with_identity(user: User, req: SupportRequest) -> SupportRequest:
    """The same request with who asked, read through the support app (which audits it)."""
    return held_request(user, req.public_id, audit=True)


def releases_of_request(req: SupportRequest) -> QuerySet[Release]:
    return _summary(Release.objects.filter(request=req)).order_by("-created_at", "-pk")


# --- One release ---------------------------------------------------------------------------------


def may_see_person(viewer: User, release: Release) -> bool:
    """Whether the viewer may see who the person is (name, signature, the PDF)."""
    if release.supporter_id == viewer.pk and viewer.has_role(Role.PEER_SUPPORTER):
        return True
    return release.bhs_may_disclose and viewer.has_role(Role.BHS_MANAGER)


def release_for_viewer(
    viewer: User, release_id: int, *, audit: bool = True, part: str = "page"
) -> Release:
    """The release, for its supporter or the BHS manager; 404 for anyone else. Reading it is
    audited (``part`` says what was read: the page, the PDF's content, the signature)."""
    release = _with_accounting(Release.objects.filter(pk=release_id)).first()
    if release is None:
        raise Http404
    holds = release.supporter_id == viewer.pk and viewer.has_role(Role.PEER_SUPPORTER)
    if not holds and not viewer.has_role(Role.BHS_MANAGER):
        raise Http404
    if audit:
        record(
            actor=viewer,
            action=AuditAction.RELEASE_VIEWED,
            target=release,
            details={"part": part, "person_shown": may_see_person(viewer, release)},
        )
    return release


def release_with_person(viewer: User, release_id: int, *, part: str) -> Release:
    """The release for a reading that shows who the person is; 404 to whoever may not."""
    release = release_for_viewer(viewer, release_id, audit=False)
    if not may_see_person(viewer, release):
        raise Http404
    if part != "pdf":  # printing is audited as RELEASE_PDF by the view
        record(
            actor=viewer,
            action=AuditAction.RELEASE_VIEWED,
            target=release,
            details={"part": part, "person_shown": True},
        )
    return release


# --- The person ----------------------------------------------------------------------------------


def for_request(req: SupportRequest) -> list[Release]:
    """The person's own releases and their disclosures, for the request page they reached with
    their account or codename. The caller has already checked that it is theirs."""
    return list(_with_accounting(Release.objects.filter(request=req)).order_by("-created_at"))


def person_release(req: SupportRequest, release_id: int, *, pdf: bool = False) -> Release:
    """One of the person's own releases, under the request they reached with their account or
    codename (the caller checked that); 404 for any other release. Printing it (``pdf``) is
    audited, with no actor: the log must not say who asked."""
    release = _with_accounting(Release.objects.filter(request=req, pk=release_id)).first()
    if release is None:
        raise Http404
    if pdf:
        record(actor=None, action=AuditAction.RELEASE_PDF, target=release, details={"by": "person"})
    return release


def own_release(user: User, release_id: int) -> Release:
    """A release under one of the requests ``user`` made with their account; 404 for any
    other (another person's, or one for a request made without an account)."""
    release = Release.objects.filter(request__in=own_requests(user), pk=release_id).first()
    if release is None:
        raise Http404
    return release


# --- The BHS manager's accounting ----------------------------------------------------------------


@dataclass(frozen=True)
class AccountingFilter:
    status: str = ""
    supporter_id: int | None = None
    signed_from: datetime.date | None = None
    signed_to: datetime.date | None = None
    disclosed_only: bool = False


def accounting(filters: AccountingFilter) -> QuerySet[Release]:
    """Every release with its disclosures, newest first, narrowed by the filters."""
    releases = Release.objects.all()
    if filters.status in ReleaseStatus.values:
        releases = releases.with_status(filters.status)
    if filters.supporter_id:
        releases = releases.filter(supporter_id=filters.supporter_id)
    if filters.signed_from:
        releases = releases.filter(signed_on__gte=filters.signed_from)
    if filters.signed_to:
        releases = releases.filter(signed_on__lte=filters.signed_to)
    if filters.disclosed_only:
        releases = releases.filter(disclosures__isnull=False).distinct()
    return _with_accounting(releases).order_by("-created_at", "-pk")


def supporters_with_releases() -> QuerySet[User]:
    # Through the scoped releases: a join from the accounts would find every agency's.
    return (
        User.objects.filter(pk__in=Release.objects.values("supporter_id"))
        .only("pk", "display_name", "email")  # what an option shows
        .order_by("display_name")
    )


def record_accounting_viewed(viewer: User, releases: list[Release]) -> None:
    record(
        actor=viewer,
        action=AuditAction.RELEASE_VIEWED,
        details={"part": "accounting", "releases": [r.pk for r in releases]},
    )
