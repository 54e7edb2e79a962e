"""Form fields and cleaners every app's forms share (they import only Django).

Not an app: any app may import it, whatever its layer (docs/architecture.md, "Layers").

- :class:`IdChoiceField` and :class:`IdMultipleChoiceField`: a ``ModelChoiceField`` and a
  ``ModelMultipleChoiceField`` that refuse a posted id that is not a whole number a database
  can hold (at most 2**63-1), before any query. Django's own pass such a value to the database,
  where SQLite raises ``OverflowError`` (a 500) for a 20-digit number.
- :class:`FastSelect` and :class:`FastCheckboxSelectMultiple`: Django's ``Select`` (and
  ``SelectMultiple``) and ``CheckboxSelectMultiple`` with the same HTML, built in Python instead
  of by a template per option. A select whose options grow with the data (units, people,
  courses) rendered through Django's templates cost about 0.1 ms per option: the employee
  page's unit select of 392 options was most of its time (issue 21). ``IdChoiceField`` and
  ``IdMultipleChoiceField`` use them unless a form says otherwise.
- :class:`FastRenderer`, the project's ``FORM_RENDERER``: the same for every field, whatever its
  widget: Django's templates for the field, its label, its errors and the common widgets,
  written in Python (a page of 41 fields spent 80 % of its time in them).
- :class:`DateTimeField`: Django's, refusing a moment outside the years 1900 to 9998. A date
  and time near the ends of Python's calendar (9999-12-31 23:59 in a zone west of UTC) cannot
  be turned into UTC to be stored: Django raised ``OverflowError`` (a 500; the fuzz test found
  it on the outreach follow-up form). Every form's date and time field is this one.
- :func:`strip_bidi_controls` and :class:`PlainTextField`: text typed by a requester (a name, a
  message, contact details) keeps no bidirectional-override characters, which could make what
  the supporter reads look different from what was written (``tests/support``).
"""

import re
from html import escape as html_escape

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the implicit marks
# (U+200E, U+200F, U+061C). None is needed to write any language: the Unicode algorithm
# orders right-to-left scripts on its own; they only change the order in which text is shown.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")

BIGGEST_ID = 2**63 - 1

FIRST_YEAR, LAST_YEAR = 1900, 9998  # a moment's year, in any time zone, stays within 1..9999


class DateTimeField(forms.DateTimeField):
    default_error_messages = {
        "out_of_range": f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}.",
    }

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return moment


_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII digits only: int() also reads "١" and " 1"


def strip_bidi_controls(value):
    """``value`` without bidirectional formatting characters (other values unchanged)."""
    return BIDI_CONTROLS.sub("", value) if isinstance(value, str) else value


class PlainTextField(forms.CharField):
    """A ``CharField`` whose value keeps no bidirectional formatting characters (stripped
    before the length and required checks, so a value made only of them counts as empty)."""

    def to_python(self, value):
        return super().to_python(strip_bidi_controls(value))


def _id_is_storable(field: forms.ModelChoiceField, value) -> bool:
    """Whether ``value`` can be looked up as the choice's key without the database failing."""
    meta = field.queryset.model._meta
    key = meta.get_field(field.to_field_name) if field.to_field_name else meta.pk
    while key.is_relation:  # a one-to-one primary key: the key of the row it points at
        key = key.target_field
    if not isinstance(key, models.IntegerField):
        return True  # a UUID or text key: Django's own checks refuse a malformed value
    if isinstance(value, models.Model):
        return True
    text = str(value)
    return bool(_DIGITS.fullmatch(text)) and int(text) <= BIGGEST_ID


def _escape(value) -> str:
    """``conditional_escape``, without its wrapper for lazy text when ``value`` is plain text
    (nearly always): a select of 392 units escapes 800 values (1 ms through the wrapper)."""
    if type(value) is str:
        return html_escape(value)
    return conditional_escape(value)


def _attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html``: `` name="value"`` each, `` name`` for True,
    nothing for False."""
    return "".join(
        f" {_escape(name)}" if value is True else f' {_escape(name)}="{_escape(_text(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _text(value):
    """What ``|stringformat:'s'`` gives: the value as text, still safe if it was."""
    return value if isinstance(value, str) else f"{value}"


def _label(label) -> str:
    """What ``{{ label }}`` gives: localized (a number), escaped unless already safe."""
    return _escape(label if isinstance(label, str) else localize(label))


class FixedChoiceField(forms.ChoiceField):
    """A ``ChoiceField`` whose choices are fixed in the code (an enumeration's): shared by every
    copy of the form rather than deep-copied for each (``ChoiceField.__deepcopy__`` copies every
    option's tuple, a millisecond for the audit log's 127 actions). Give a form other choices by
    assigning ``field.choices``, which makes a new list, never by changing the list in place."""

    def __deepcopy__(self, memo):
        return forms.Field.__deepcopy__(self, memo)


class FastSelect(forms.Select):
    """``forms.Select`` with the HTML of ``django/forms/widgets/select.html`` and
    ``select_option.html`` written here: the same context (``get_context``: attributes, the
    ``required`` and ``aria-describedby`` a bound field adds, which options are selected), one
    string join instead of two template includes per option. tests/web/test_formfields.py
    compares the output with Django's."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        flat = _flat_select_html(self, name, value, attrs)
        if flat is not None:
            return flat
        return _select_html(self.get_context(name, value, attrs)["widget"])


def _flat_select_html(widget: forms.Select, name, value, attrs) -> SafeString | None:
    """A single select without groups written straight from its choices: what ``optgroups``
    and ``_select_html`` give, without a dictionary per option (a select of every supporter
    has four hundred). None for a select with groups, left to ``_select_html``."""
    # Through iter(): list() would first ask a model choice iterator its len(), a COUNT query.
    choices = list(iter(widget.choices))
    if any(isinstance(label, (list, tuple)) for _value, label in choices):
        return None
    values = widget.format_value(value)
    parts = [
        f'<select name="{conditional_escape(name)}"'
        f"{_attrs(widget.build_attrs(widget.attrs, attrs))}>"
    ]
    selected = False
    for option_value, label in choices:
        option_value = "" if option_value is None else option_value
        chosen = not selected and str(option_value) in values
        selected = selected or chosen
        parts.append(
            f'\n  <option value="{_escape(_text(option_value))}"'
            f"{' selected' if chosen else ''}>{_label(label)}</option>\n"
        )
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


class FastSelectMultiple(forms.SelectMultiple):
    """``forms.SelectMultiple`` rendered like :class:`FastSelect`."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        return _select_html(self.get_context(name, value, attrs)["widget"])


def _select_html(widget: dict) -> SafeString:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_label(group_name)}">')
        for option in options:
            attrs = option["attrs"]
            parts.append(
                f'\n  <option value="{_escape(_text(option["value"]))}"'
                f"{_attrs(attrs) if attrs else ''}>{_label(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


class _FastMultipleInput:
    """The HTML of ``multiple_input.html``, ``input_option.html`` and ``input.html`` written
    here (see :class:`FastSelect`): check boxes and radio buttons."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        return _multiple_input_html(self.get_context(name, value, attrs)["widget"])


def _multiple_input_html(widget: dict) -> SafeString:
    id_ = widget["attrs"].get("id")
    css = widget["attrs"].get("class")
    parts = [
        "<div",
        f' id="{conditional_escape(_text(id_))}"' if id_ else "",
        f' class="{conditional_escape(_text(css))}"' if css else "",
        ">",
    ]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_label(group)}</label>")
        for option in options:
            parts.append("<div>\n    ")
            parts.append(_input_option_html(option))
            parts.append("\n</div>")  # checkbox_option.html's own line end
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


class FastCheckboxSelectMultiple(_FastMultipleInput, forms.CheckboxSelectMultiple):
    """``forms.CheckboxSelectMultiple`` rendered in Python."""


class FastRadioSelect(_FastMultipleInput, forms.RadioSelect):
    """``forms.RadioSelect`` rendered in Python (about 70 % of the contact form's CPU time
    went on Django's four templates per option)."""


def _input_html(widget: dict) -> str:
    """``input.html``, with its line end."""
    value = widget["value"]
    return (
        f'<input type="{conditional_escape(_text(widget["type"]))}"'
        f' name="{conditional_escape(_text(widget["name"]))}"'
        + (f' value="{conditional_escape(_text(value))}"' if value is not None else "")
        + f"{_attrs(widget['attrs'])}>\n"
    )


def _input_option_html(option: dict) -> str:
    option_id = option["attrs"].get("id")
    html = _input_html(option)
    if not option["wrap_label"]:
        return html + "\n"  # input_option.html's line end
    label_for = f' for="{conditional_escape(_text(option_id))}"' if option_id else ""
    return f"<label{label_for}>{html} {_label(option['label'])}</label>\n"


class _OptionRowsIterator(ModelChoiceIterator):
    """The options of an :class:`IdChoiceField` given ``options``: (id, label) pairs that
    function reads from the field's queryset, not one model instance (and its related ones)
    per option."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.field.options(self.queryset)


class IdChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` refusing, as an invalid choice, an id no row can have. Its
    options grow with the data, so it renders them with :class:`FastSelect`; ``options``, if
    given, reads them as (id, label) pairs from the queryset (``values_list``), which for a
    few hundred people costs a tenth of building each option's model instances. The posted
    choice is still checked against the queryset."""

    widget = FastSelect

    def __init__(self, *args, options=None, **kwargs):
        self.options = options
        if options is not None:
            self.iterator = _OptionRowsIterator
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not _id_is_storable(self, value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ``ModelMultipleChoiceField`` refusing, as an invalid choice, an id no row can have.
    Renders with :class:`FastSelectMultiple` (see :class:`IdChoiceField`)."""

    widget = FastSelectMultiple

    def _check_values(self, value):
        for pk in value if isinstance(value, (list, tuple, set, frozenset)) else [value]:
            if not _id_is_storable(self, pk):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


# The form renderer: Django's form templates written in Python.
#
# Every form field on a page goes through Django's ``field.html``, which renders ``label.html``
# (or the legend), the error list's two templates, and the widget's two or three: about ten
# template renders, 0.15 ms, for one text box; the alert settings page's 41 fields were 80 % of
# its time. ``FastRenderer`` gives the same HTML from the same contexts (the ``field`` a bound
# field gives, ``widget`` a widget gives), without the template engine. A template it does not
# know, or an option rendered with another template, goes to Django's templates as before.
# tests/web/test_formfields.py renders forms of every widget both ways and compares them, and
# fails if Django changes one of the templates written here.


def _field_html(context: dict) -> str:
    """``django/forms/field.html``."""
    field = context["field"]
    if field.use_fieldset:
        described = field.aria_describedby
        head = (
            "\n  <fieldset"
            + (f' aria-describedby="{conditional_escape(described)}"' if described else "")
            + ">\n  "
            + (conditional_escape(field.legend_tag()) if field.label else "")
        )
    else:
        head = "\n  " + (conditional_escape(field.label_tag()) if field.label else "")
    help_html = ""
    if field.help_text:
        auto_id = field.auto_id
        id_html = f' id="{conditional_escape(auto_id)}_helptext"' if auto_id else ""
        help_html = f'<div class="helptext"{id_html}>{field.help_text}</div>'
    return (
        f"{head}\n\n{help_html}\n{conditional_escape(field.errors)}\n"
        f"{conditional_escape(field)}{'</fieldset>' if field.use_fieldset else ''}\n"
    )


def _label_tag_html(context: dict) -> str:
    """``django/forms/label.html`` (a label, or a legend)."""
    label = _label(context["label"])
    if not context["use_tag"]:
        return label
    tag = conditional_escape(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{label}</{tag}>"


def _error_list_html(context: dict) -> str:
    """``django/forms/errors/list/ul.html`` (which ``default.html`` includes)."""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    id_html = f' id="{conditional_escape(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{_label(error)}</li>" for error in errors)
    return f'<ul class="{conditional_escape(context["error_class"])}"{id_html}>{items}</ul>'


def _textarea_html(context: dict) -> str:
    widget = context["widget"]
    value = widget["value"]
    return (
        f'<textarea name="{conditional_escape(_text(widget["name"]))}"{_attrs(widget["attrs"])}>'
        f"\n{_label(value) if value else ''}</textarea>"
    )


def _options_use(widget: dict, templates: set[str]) -> bool:
    """Whether every option of ``widget`` is rendered with one of ``templates``."""
    return all(
        option["template_name"] in templates
        for _group, options, _index in widget["optgroups"]
        for option in options
    )


_WIDGETS = "django/forms/widgets/"
_SELECT_OPTION = {_WIDGETS + "select_option.html"}
# Both are input_option.html and a line end, which _multiple_input_html writes.
_INPUT_OPTIONS = {_WIDGETS + "checkbox_option.html", _WIDGETS + "radio_option.html"}


def _select_context_html(context: dict) -> str | None:
    widget = context["widget"]
    return _select_html(widget) if _options_use(widget, _SELECT_OPTION) else None


def _multiple_input_context_html(context: dict) -> str | None:
    widget = context["widget"]
    return _multiple_input_html(widget) if _options_use(widget, _INPUT_OPTIONS) else None


# Each of these widgets' templates is only ``{% include "django/forms/widgets/input.html" %}``.
INPUT_WIDGETS = (
    *("text", "number", "email", "url", "color", "search", "tel", "password", "hidden"),
    *("date", "datetime", "time", "checkbox"),
)

# Template name -> a function of its context giving its HTML (None: use the template after all).
PYTHON_TEMPLATES = {
    "django/forms/field.html": _field_html,
    "django/forms/label.html": _label_tag_html,
    "django/forms/errors/list/default.html": _error_list_html,
    "django/forms/errors/list/ul.html": _error_list_html,
    _WIDGETS + "textarea.html": _textarea_html,
    _WIDGETS + "select.html": _select_context_html,
    _WIDGETS + "checkbox_select.html": _multiple_input_context_html,
    _WIDGETS + "radio.html": _multiple_input_context_html,
    **{
        f"{_WIDGETS}{name}.html": lambda context: _input_html(context["widget"])
        for name in ("input", *INPUT_WIDGETS)
    },
}


class FastRenderer(DjangoTemplates):
    """The project's ``FORM_RENDERER``: Django's own, except that the templates in
    :data:`PYTHON_TEMPLATES` are written in Python (see above). Like Django's, the HTML is
    stripped of the whitespace around it."""

    def render(self, template_name, context, request=None):
        python = PYTHON_TEMPLATES.get(template_name)
        html = python(context) if python is not None else None
        if html is None:
            return super().render(template_name, context, request)
        return html.strip()
