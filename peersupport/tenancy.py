"""The current agency: which of the install's agencies the code at hand works for (issue 23,
docs/design/agencies.md §2.2).

One context variable holds it. The web sets it for a whole request
(``accounts.middleware.AgencyMiddleware``), the worker for each agency's run of a periodic task
(``notifications.scheduling``) and for a task enqueued with an ``agency_id``. Reads of an
agency's rows go through ``AgencyManager``, which filters on it and raises ``NoAgency`` when
nothing set it: a forgotten context is a loud error, never rows of every agency. Work that must
cross agencies says so, with its reason, in ``all_agencies``.

Step 1 of the plan builds the context and proves the manager and the mixin here
(tests/test_tenancy.py); no model of the product uses them yet, so nothing is scoped. This
module imports only Django and the standard library, so every app, the kernel's lowest
included, may use it (tests/test_layering.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models


class NoAgency(RuntimeError):
    """Rows of an agency were asked for, or written, with no current agency."""


class WrongAgency(RuntimeError):
    """A row was written for another agency than the current one, or moved between agencies."""


@dataclass(frozen=True)
class _Everywhere:
    reason: str


# An agency id, an agency (or a lazy one: its pk is read at the first question), an
# ``_Everywhere``, or None when nothing has been said.
_current: ContextVar[object] = ContextVar("peersupport_agency", default=None)


def _id_of(agency) -> int:
    # ``type() is int`` rather than isinstance: isinstance would evaluate a lazy agency.
    if type(agency) is int:
        return agency
    pk = agency.pk
    if pk is None:
        raise NoAgency("an agency that is not saved has no rows")
    return pk


@contextmanager
def using_agency(agency) -> Iterator[None]:
    """Work for ``agency`` (an ``accounts.Agency``, a lazy one, or its id) inside the block.
    Blocks nest; leaving one, even by an exception, brings back what was current before."""
    if agency is None or type(agency) is bool:  # not isinstance: it would load a lazy agency
        raise TypeError("using_agency needs an agency or an agency id")
    token = _current.set(agency)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def all_agencies(reason: str) -> Iterator[None]:
    """Install-wide work inside the block: managers do not filter. Only for work that must see
    every agency (the outbox, the audit chain, counts with no agency in them); ``reason`` says
    why, and the design's allow-list (docs/design/agencies.md §2.3) names every use."""
    if not reason or not reason.strip():
        raise ValueError("all_agencies needs a reason")
    token = _current.set(_Everywhere(reason))
    try:
        yield
    finally:
        _current.reset(token)


def enter_for_process(agency) -> None:
    """Make ``agency`` current from here on in this thread, with no block to end it: only for a
    script that works for one agency from start to end (bench/, the tests' writer processes)."""
    if agency is None or type(agency) is bool:
        raise TypeError("enter_for_process needs an agency or an agency id")
    _current.set(agency)


def switch_to(agency) -> None:
    """Make ``agency`` current for the rest of the block already entered: for a request that
    learns its agency only in its authentication (the API's token). Only inside a request, whose
    ``AgencyMiddleware`` block puts back what was current when the request ends."""
    if agency is None or type(agency) is bool:
        raise TypeError("switch_to needs an agency or an agency id")
    if _current.get() is None:
        raise NoAgency("switch_to only inside a block that will end it (a request)")
    _current.set(agency)


def current_agency_id() -> int:
    """The current agency's id; ``NoAgency`` when none is set or inside ``all_agencies``."""
    current = _current.get()
    if current is None:
        raise NoAgency("no current agency: enter tenancy.using_agency(...) first")
    if isinstance(current, _Everywhere):
        raise NoAgency(f"inside all_agencies({current.reason!r}) there is no single agency")
    return _id_of(current)


def current_agency_id_or_none() -> int | None:
    """The current agency's id, or None (none set, or install-wide work)."""
    current = _current.get()
    if current is None or isinstance(current, _Everywhere):
        return None
    return _id_of(current)


def is_everywhere() -> bool:
    """True inside ``all_agencies``."""
    return isinstance(_current.get(), _Everywhere)


class _CurrentAgencyId(models.Expression):
    """The current agency's id, read when the query runs rather than when it is built: a
    queryset made where no agency is current (a form's choices, built when its module is
    imported) is scoped by the agency of the request that runs it, and one that runs with no
    agency raises ``NoAgency`` then."""

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection):
        return "%s", [current_agency_id()]


class AgencyManager(models.Manager):
    """The default manager of a model whose rows belong to an agency: only the current agency's
    rows. ``path`` leads from the model to its agency: "agency" for a model with its own
    column, "request__agency" for one that belongs to its request's agency. Declare it first,
    so that Django's implicit reads (related managers, ``validate_unique``, model forms, the
    admin) go through it too."""

    def __init__(self, path: str | None = None, *, include_null: bool | None = None):
        super().__init__()
        self._path = path
        # Rows with no agency count in every agency (an install system administrator's grant).
        self._include_null = include_null

    # Django makes a related manager (``activation.callouts``, ``user.role_grants``) as a
    # subclass of the model's default manager's class, constructed with no arguments: what the
    # model's own ``objects`` was given is read from it, so such a manager is scoped the same.
    def _declared(self) -> "AgencyManager":
        model = getattr(self, "model", None)
        default = getattr(model, "_default_manager", None) if model is not None else None
        return default if isinstance(default, AgencyManager) and default is not self else self

    @property
    def path(self) -> str:
        return self._path or self._declared()._path or "agency"

    @property
    def include_null(self) -> bool:
        if self._include_null is not None:
            return self._include_null
        return bool(self._declared()._include_null)

    def get_queryset(self):
        queryset = super().get_queryset()
        if is_everywhere():
            return queryset
        mine = models.Q(**{f"{self.path}_id": _CurrentAgencyId()})
        if self.include_null:
            mine |= models.Q(**{f"{self.path}__isnull": True})
        return queryset.filter(mine)


class AgencyOwnedMixin(models.Model):
    """For a model with its own ``agency`` foreign key. Its ``save()`` fills the agency from the
    context when the row has none, refuses a row for another agency than the current one (inside
    ``all_agencies`` any agency may be written, but it must be named), and refuses to move a
    saved row to another agency: rows derived from it follow its agency, so it never changes.
    ``QuerySet.update`` does not go through ``save()``; nothing may update ``agency`` so."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.agency_id is None:
            self.agency_id = current_agency_id()
        else:
            current = current_agency_id_or_none()
            if current is None and not is_everywhere():
                raise NoAgency("no current agency: enter tenancy.using_agency(...) first")
            if current is not None and self.agency_id != current:
                raise WrongAgency(
                    f"a {type(self).__name__} of agency {self.agency_id} written while "
                    f"working for agency {current}"
                )
        saved = getattr(self, "_agency_saved", None)
        if not self._state.adding and saved is not None and self.agency_id != saved:
            raise WrongAgency(f"a {type(self).__name__}'s agency never changes")
        super().save(*args, **kwargs)
        self._agency_saved = self.agency_id

    def clean_fields(self, exclude=None):
        # A new row's agency, before ``full_clean`` says it is missing or checks a uniqueness
        # within the agency; ``save()`` would give it the same one.
        if self.agency_id is None and (current := current_agency_id_or_none()) is not None:
            self.agency_id = current
        super().clean_fields(exclude=exclude)

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._agency_saved = instance.__dict__.get("agency_id")
        return instance
