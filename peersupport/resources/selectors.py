"""Reads of the resource directory. The directory is public; only retired entries are kept to
the coordinator, who may bring them back."""

import functools

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.http import Http404

from peersupport.accounts.models import Role
from peersupport.rawsql import Compiled, compiled, run
from peersupport.tenancy import current_agency_id_or_none

from .models import Category, Resource

# The directory's order: the categories as declared (crisis lines first), then by name.
CATEGORY_ORDER = Case(
    *[When(category=c.value, then=Value(i)) for i, c in enumerate(Category)],
    default=Value(len(Category)),
    output_field=IntegerField(),
)


def _ordered(qs: QuerySet[Resource]) -> QuerySet[Resource]:
    return qs.alias(category_order=CATEGORY_ORDER).order_by("category_order", Lower("name"), "pk")


@functools.lru_cache(maxsize=64)
def _active(agency_id: int | None) -> QuerySet[Resource]:
    # Built once per process and agency, and handed out as clones: building the order's CASE
    # cost more than running the query (issue 21). Never evaluated itself. Keyed by the agency
    # because a scoped manager (docs/design/agencies.md, step 3a) filters when it is built.
    return _ordered(Resource.objects.active())


def resources_active() -> QuerySet[Resource]:
    return _active(current_agency_id_or_none()).all()


@functools.lru_cache(maxsize=64)
def _choices_sql(agency_id: int | None) -> Compiled:
    return compiled(_active(agency_id).values_list("pk", "name"))


def resource_choices() -> tuple[tuple[int, str], ...]:
    """The active entries as (id, name), in the order of ``resources_active``: what a list of
    referrals shows (``Resource.__str__`` is the name), read without building the rows, by SQL
    compiled once per process (it has no parameter that changes)."""
    return tuple(run(_choices_sql(current_agency_id_or_none())))


def resources_retired() -> QuerySet[Resource]:
    return Resource.objects.retired().order_by("-retired_at", "pk")


def resource_search(
    *, query: str = "", category: str = "", around_the_clock: bool = False
) -> QuerySet[Resource]:
    """Active entries matching every filter given: words in the name or in what they help with
    (each word must appear in one of them), a category, open 24/7."""
    qs = resources_active()
    for word in query.split()[:10]:
        qs = qs.filter(Q(name__icontains=word) | Q(description__icontains=word))
    if category:
        qs = qs.filter(category=category)
    if around_the_clock:
        qs = qs.filter(available_24_7=True)
    return qs


def resources_help_now(*, limit: int | None = None) -> list[Resource]:
    """What to show someone who needs help right now: the crisis lines first, then the other
    services open around the clock, each group by name; at most ``limit`` of them."""
    qs = Resource.objects.active().filter(Q(category=Category.CRISIS_LINE) | Q(available_24_7=True))
    crisis_first = Case(
        When(category=Category.CRISIS_LINE, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    qs = qs.alias(crisis_first=crisis_first).order_by("crisis_first", Lower("name"), "pk")
    return list(qs[:limit] if limit is not None else qs)


def crisis_lines() -> list[Resource]:
    """The crisis lines of the directory, by name: the panel on the pages where people ask."""
    return list(
        Resource.objects.active().filter(category=Category.CRISIS_LINE).order_by(Lower("name"))
    )


def resources_visible_to(user) -> QuerySet[Resource]:
    """The entries a person may open: every active one, and the retired ones too for the
    coordinator. Anyone else asking for a retired entry gets 404."""
    if user.is_authenticated and user.has_role(Role.COORDINATOR):
        return Resource.objects.all()
    return Resource.objects.active()


def resource_for(user, resource_id: int) -> Resource:
    """A resource ``user`` may see (``resources_visible_to``); 404 for any other."""
    resource = resources_visible_to(user).filter(pk=resource_id).first()
    if resource is None:
        raise Http404
    return resource


def active_resource(resource_id: int) -> Resource:
    """A resource in the public directory; 404 for a retired or unknown one."""
    resource = resources_active().filter(pk=resource_id).first()
    if resource is None:
        raise Http404
    return resource
