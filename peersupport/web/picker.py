"""The person picker: one form field that finds a person by name, for every form where someone
is picked (a colleague to nominate, an account to grant a role to...).

The field is a text input (the name typed) and, once a search has run, a group of radio
buttons ``<name>_id`` (the people found). With JavaScript, htmx asks ``person_search`` as the
name is typed and puts the matches under the field; without it, the *Search* button
(``<name>_search``) sends the form, which comes back with the matches and nothing recorded.
Who can be found, and by whom, is ``accounts.selectors.PERSON_POOLS``; every search and every
choice goes through ``people_search`` / ``person_pick``, so a posted id outside the viewer's
pool is refused like any unknown one. A typed work e-mail or employee number that matches one
person is taken as is.

A form using it mixes in ``PersonPickerForm`` and is made with ``viewer=request.user``.
"""

import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from peersupport.accounts.models import Employee, User
from peersupport.accounts.selectors import (
    PERSON_SEARCH_LIMIT,
    PERSON_SEARCH_MIN_CHARS,
    PersonMatches,
    people_search,
    person_pick,
    person_pool,
)

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


@dataclass(frozen=True)
class Picked:
    """What the picker's inputs hold: the name typed, the id chosen, whether *Search* was
    pressed."""

    query: str = ""
    chosen: str = ""
    searched: bool = False

    @property
    def chosen_id(self) -> int | None:
        text = self.chosen.strip()
        return int(text) if text.isdigit() and len(text) < 12 else None


def matches_context(*, viewer, pool: str, field: str, query: str, chosen=None) -> dict:
    """The context of ``web/_person_matches.html``: the people of ``pool`` matching ``query``
    that ``viewer`` may find, and which one is chosen (``chosen``: a user id)."""
    matches = people_search(viewer=viewer, pool=pool, query=query)
    people = matches.people
    if chosen is not None and all(p.pk != chosen for p in people):
        person = person_pick(viewer=viewer, pool=pool, person_id=chosen)
        if person is not None:
            people = [person, *people]
    if chosen is None and len(people) == 1:
        chosen = people[0].pk
    found = person_pool(viewer, pool)
    return {
        "field": field,
        "query": " ".join(query.split()),
        "people": [_row(person) for person in people],
        "more": matches.more,
        "too_short": matches.too_short,
        "chosen": chosen,
        "with_email": bool(found and found.with_email),
        "limit": PERSON_SEARCH_LIMIT,
        "min_chars": PERSON_SEARCH_MIN_CHARS,
    }


class PersonPickerWidget(forms.Widget):
    template_name = "web/_person_picker.html"

    def __init__(self, *, pool: str, attrs=None):
        super().__init__(attrs)
        self.pool = pool
        self.viewer: User | None = None

    def render(self, name, value, attrs=None, renderer=None):
        # The project's templates (templates/web/), not the form renderer's own directories.
        context = self.get_context(name, value, attrs)
        return mark_safe(render_to_string(self.template_name, context))  # noqa: S308

    def value_from_datadict(self, data, files, name) -> Picked:
        return Picked(
            query=str(data.get(name, "")),
            chosen=str(data.get(f"{name}_id", "")),
            searched=f"{name}_search" in data,
        )

    def value_omitted_from_data(self, data, files, name) -> bool:
        return name not in data and f"{name}_id" not in data

    def format_value(self, value):
        return value

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if isinstance(value, User | Employee):  # initial: a person already chosen
            value = Picked(query=_name_of(value), chosen=str(value.pk))
        value = value if isinstance(value, Picked) else Picked()
        matches_id = f"{context['widget']['attrs'].get('id', name)}_matches"
        context["widget"].update(
            query=value.query,
            search_url=reverse("web:person_search"),
            pool=self.pool,
            matches_id=matches_id,
        )
        context["matches"] = (
            matches_context(
                viewer=self.viewer,
                pool=self.pool,
                field=name,
                query=value.query,
                chosen=value.chosen_id,
            )
            if self.viewer is not None and value.query.strip()
            else {"field": name, "people": [], "query": ""}
        )
        return context


def _employee_of(person: User | Employee) -> Employee | None:
    return person if isinstance(person, Employee) else getattr(person, "employee", None)


def _name_of(person: User | Employee) -> str:
    employee = _employee_of(person)
    return employee.full_name if employee is not None else str(person)


def _row(person: User | Employee) -> dict:
    """What a match shows: the name, rank or title and unit, and the account's e-mail (shown
    only where the pool says so)."""
    employee = _employee_of(person)
    return {
        "pk": person.pk,
        "name": _name_of(person),
        "detail": f"{employee.rank_title}, {employee.unit}" if employee is not None else "",
        "email": getattr(person, "email", ""),
    }


class PersonField(forms.Field):
    """A person of ``pool`` (accounts.selectors.PERSON_POOLS), found by name; cleans to the
    ``User`` (the ``Employee`` for an "employee" pool). ``what``: who is picked, in words
    ("your colleague")."""

    def __init__(self, *, pool: str, what: str = "the person", **kwargs):
        self.pool, self.what = pool, what
        self.viewer: User | None = None
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("required", f"Type {what}'s name, then choose them.")
        super().__init__(widget=PersonPickerWidget(pool=pool), **kwargs)

    def set_viewer(self, viewer: User) -> None:
        self.viewer = self.widget.viewer = viewer

    def clean(self, value):
        value = value if isinstance(value, Picked) else Picked()
        if self.viewer is None:  # a programming error, never the user's
            raise ValueError("PersonField needs the viewer (PersonPickerForm)")
        query = " ".join(value.query.split())
        if value.searched:
            if not query:
                raise ValidationError(f"Type {self.what}'s name, then search.", code="search")
            raise ValidationError(self._found(query), code="search")
        if value.chosen.strip():
            person = value.chosen_id and person_pick(
                viewer=self.viewer, pool=self.pool, person_id=value.chosen_id
            )
            if not person:
                raise ValidationError(f"Choose {self.what} from the people found.")
            return person
        if not query:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        matches = people_search(viewer=self.viewer, pool=self.pool, query=query)
        if len(matches.people) == 1 and _is_exact(matches.people[0], query):
            return matches.people[0]
        raise ValidationError(self._found(query, matches))

    def _found(self, query: str, matches: PersonMatches | None = None) -> str:
        matches = matches or people_search(viewer=self.viewer, pool=self.pool, query=query)
        if matches.too_short:
            return f"Type at least {PERSON_SEARCH_MIN_CHARS} letters of {self.what}'s name."
        if not matches.people:
            return (
                f"Nobody matches “{query}”. Check the spelling, or type {self.what}'s work "
                "e-mail or employee number."
            )
        if matches.more:
            return (
                f"More than {PERSON_SEARCH_LIMIT} people match “{query}”: type more of the "
                f"name, or choose {self.what} below."
            )
        count = len(matches.people)
        people = "1 person matches" if count == 1 else f"{count} people match"
        return f"{people} “{query}”: choose {self.what} below."


def _is_exact(person: User | Employee, query: str) -> bool:
    """Whether ``query`` is the person's work e-mail, account e-mail or employee number."""
    query = query.lower()
    employee = _employee_of(person)
    known = {getattr(person, "email", "").lower()}
    if employee is not None:
        known |= {(employee.work_email or "").lower(), employee.employee_number.lower()}
    return query in known


class PersonPickerForm:
    """Mix into a form with PersonFields; make it with ``viewer=request.user``. A press of a
    picker's *Search* shows that picker's matches without judging the rest of the form."""

    def __init__(self, *args, viewer: User, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, PersonField):
                field.set_viewer(viewer)

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or self._errors is None:
            return
        searched = [
            name
            for name, field in self.fields.items()
            if isinstance(field, PersonField) and f"{self.add_prefix(name)}_search" in self.data
        ]
        if searched:
            self._errors = ErrorDict({n: e for n, e in self._errors.items() if n in searched})
