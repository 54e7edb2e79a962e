"""The error summary every page shows when what was sent has mistakes (the GOV.UK pattern).

``base.html`` collects, once per page, the errors of every bound form and formset in the
template context and the page's own ``errors`` list (messages not about a field). When there are
any, the page title starts with "Error: ", and a summary at the top of the main content lists
each error, linked to its field, and takes focus (``autofocus``, and static/js/forms.js), so
keyboard and screen-reader users hear what went wrong first and reach the field in one step.
The messages stay next to their fields too, tied to them by ``aria-describedby`` (Django).
No page builds its own summary: a form that re-renders with errors gets this one.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django import template
from django.forms import BaseForm
from django.forms.formsets import BaseFormSet

register = template.Library()


@dataclass(frozen=True)
class PageError:
    message: str
    href: str = ""  # "#<field id>", or "" for an error about the whole form


def _target(bound) -> str:
    """The id the error's link goes to: the field, or a group's first choice (its legend has
    no id to focus, and a radio group's first button is where the keyboard enters it)."""
    if bound.id_for_label:
        return bound.id_for_label
    widget = bound.field.widget
    if bound.auto_id and getattr(widget, "input_type", "") in ("radio", "checkbox"):
        return f"{bound.auto_id}_0" if getattr(widget, "choices", None) else bound.auto_id
    return bound.auto_id or ""


def _form_errors(form: BaseForm) -> Iterator[PageError]:
    if not form.is_bound or not form.errors:
        return
    for message in form.non_field_errors():
        yield PageError(str(message))
    for bound in form:
        if bound.is_hidden:
            # A hidden field has nothing to correct on the page: its message is the form's.
            yield from (PageError(str(message)) for message in bound.errors)
            continue
        label = str(bound.label or "").strip()
        target = _target(bound)
        for message in bound.errors:
            text = str(message)
            # "This field is required." says nothing about which field: name it.
            if label and label.lower() not in text.lower():
                text = f"{label}: {text}"
            yield PageError(text, f"#{target}" if target else "")


def _formset_errors(formset: BaseFormSet) -> Iterator[PageError]:
    if not formset.is_bound:
        return
    for message in formset.non_form_errors():
        yield PageError(str(message))
    for form in formset.forms:
        yield from _form_errors(form)


def _errors_of(value) -> Iterator[PageError]:
    # type(), not isinstance(): isinstance would evaluate the context's lazy objects (the
    # user, the CSP nonce) only to find they are not forms.
    kind = type(value)
    if issubclass(kind, BaseForm):
        yield from _form_errors(value)
    elif issubclass(kind, BaseFormSet):
        yield from _formset_errors(value)


def collect(values: Iterable, extra: Iterable = ()) -> list[PageError]:
    """Every error on the page, each once, in the order the page shows them."""
    found: list[PageError] = [PageError(str(message)) for message in extra if str(message)]
    seen_objects: set[int] = set()
    for value in values:
        candidates = value if type(value) in (list, tuple) else (value,)
        for candidate in candidates:
            if id(candidate) in seen_objects:
                continue
            seen_objects.add(id(candidate))
            found.extend(_errors_of(candidate))
    unique: list[PageError] = []
    for error in found:
        if error not in unique:
            unique.append(error)
    return unique


def _bound(value) -> bool:
    # type(), not isinstance(): see _errors_of.
    kind = type(value)
    return issubclass(kind, (BaseForm, BaseFormSet)) and value.is_bound


def _holds_bound_forms(value) -> bool:
    kind = type(value)
    if kind is list or kind is tuple:
        return any(_bound(candidate) for candidate in value)
    return _bound(value)


@register.simple_tag(takes_context=True)
def page_errors(context) -> list[PageError]:
    """``{% page_errors as page_errors %}``: the errors the page shows (see the module).

    Every page asks, and most show no bound form (every GET): only the context's bound forms
    and formsets are looked at, and a page with none and no ``errors`` stops there (issue 21)."""
    flat = context.flatten()
    extra = flat.get("errors") or ()
    if isinstance(extra, str):
        extra = (extra,)
    elif not isinstance(extra, (list, tuple)):
        extra = ()
    forms = [value for value in flat.values() if _holds_bound_forms(value)]
    if not forms and not extra:
        return []
    return collect(forms, extra)
