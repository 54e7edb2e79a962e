"""Contact details people will dial from a phone: they must be numbers a phone can call or text.

The department is in the United States, so a number is a North American one (ten digits, with or
without the leading 1), a three-digit service number such as 988 or 211, or, written with a
leading +, an international number. Texts may also go to a five- or six-digit short code such as
741741. Separators people write (spaces, dots, dashes, brackets) are allowed and kept for display;
the ``tel:`` and ``sms:`` links use the digits alone.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

PHONE_MESSAGE = (
    "Enter a phone number a phone can dial, such as 988, (555) 555-0100 or +44 20 7946 0000. "
    "Add an extension as “ext. 12”; use digits, not letters."
)
TEXT_MESSAGE = (
    "Enter a number that can receive texts: a short code such as 741741, a three-digit number "
    "such as 988, or a phone number such as (555) 555-0100."
)
EMAIL_MESSAGE = "Enter an e-mail address such as help@example.org."
WEBSITE_MESSAGE = "Enter a web address such as https://example.org."
WEBSITE_SCHEME_MESSAGE = "Enter a web address that starts with https:// or http://."

_SHAPE = re.compile(r"^\+?[0-9 ().\-]+(?:\s*(?:ext\.?|x)\s*([0-9]{1,6}))?$", re.IGNORECASE)
_EXTENSION = re.compile(r"\s*(?:ext\.?|x)\s*[0-9]{1,6}$", re.IGNORECASE)
_VALID_URL = URLValidator()


def _parts(value: str) -> tuple[bool, str, str] | None:
    """(international, digits, extension) of a number as written, or None if it is not one."""
    value = value.strip()
    match = _SHAPE.match(value)
    if match is None:
        return None
    main = _EXTENSION.sub("", value)
    digits = re.sub(r"[^0-9]", "", main)
    return main.startswith("+"), digits, match.group(1) or ""


def _is_phone(international: bool, digits: str) -> bool:
    if international:
        return 8 <= len(digits) <= 15
    return len(digits) == 3 or len(digits) == 10 or (len(digits) == 11 and digits.startswith("1"))


def validate_phone(value: str) -> None:
    parts = _parts(value)
    if parts is None or not _is_phone(parts[0], parts[1]):
        raise ValidationError(PHONE_MESSAGE, code="invalid")


def validate_text_number(value: str) -> None:
    parts = _parts(value)
    if parts is None or parts[2]:
        raise ValidationError(TEXT_MESSAGE, code="invalid")
    international, digits, _ = parts
    if not (_is_phone(international, digits) or (not international and len(digits) in (5, 6))):
        raise ValidationError(TEXT_MESSAGE, code="invalid")


def validate_web_scheme(value: str) -> None:
    """Only web pages: URLField alone also accepts ftp:// addresses. A malformed address is left
    to URLField's own validator, so that it is reported once."""
    try:
        _VALID_URL(value)
    except ValidationError:
        return
    if not value.lower().startswith(("https://", "http://")):
        raise ValidationError(WEBSITE_SCHEME_MESSAGE, code="invalid_scheme")


def dial_href(value: str, scheme: str = "tel") -> str:
    """A ``tel:`` or ``sms:`` link for a number that passed validation; "" for an empty one.

    Ten-digit numbers get +1 so that a phone roaming abroad still reaches them; an extension is
    dialled after a pause (the comma), which phones understand better than RFC 3966's ``;ext=``.
    """
    parts = _parts(value) if value else None
    if parts is None:
        return ""
    international, digits, extension = parts
    if international:
        number = f"+{digits}"
    elif len(digits) == 10:
        number = f"+1{digits}"
    elif len(digits) == 11:
        number = f"+{digits}"
    else:
        number = digits
    if extension and scheme == "tel":
        number += f",{extension}"
    return f"{scheme}:{number}"
