"""Form fields and cleaners every app's forms share (they import only Django).

Not an app: any app may import it, whatever its layer (docs/architecture.md, "Layers").

- :class:`IdChoiceField` and :class:`IdMultipleChoiceField`: a ``ModelChoiceField`` and a
  ``ModelMultipleChoiceField`` that refuse a posted id that is not a whole number a database
  can hold (at most 2**63-1), before any query. Django's own pass such a value to the database,
  where SQLite raises ``OverflowError`` (a 500) for a 20-digit number.
- :func:`strip_bidi_controls` and :class:`PlainTextField`: text typed by a requester (a name, a
  message, contact details) keeps no bidirectional-override characters, which could make what
  the supporter reads look different from what was written (``tests/support``).
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the implicit marks
# (U+200E, U+200F, U+061C). None is needed to write any language: the Unicode algorithm
# orders right-to-left scripts on its own; they only change the order in which text is shown.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")

BIGGEST_ID = 2**63 - 1
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


class IdChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` refusing, as an invalid choice, an id no row can have."""

    def to_python(self, value):
        if value not in self.empty_values and not _id_is_storable(self, value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ``ModelMultipleChoiceField`` refusing, as an invalid choice, an id no row can have."""

    def _check_values(self, value):
        for pk in value if isinstance(value, (list, tuple, set, frozenset)) else [value]:
            if not _id_is_storable(self, pk):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)
