"""SCIM filters (RFC 7644 §3.4.2.2) read into a small tree, then turned into a query.

scim2-filter-parser transpiles to SQL text for a table layout of its own; the ORM wants ``Q``
objects, and units are filtered by their path, which is computed, not stored. So this is a
small recursive-descent parser of the whole grammar (``and``, ``or``, ``not``, parentheses,
``pr``, every comparison, value paths such as ``emails[type eq "work"]``) and each resource
says which attributes it can filter on and how. Anything else is ``FilterError``, which the
views answer with 400 ``invalidFilter``.
"""

import json
import re
from dataclasses import dataclass

OPERATORS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")
MAX_LENGTH = 2000  # a filter longer than this is refused unread
MAX_DEPTH = 20
MAX_TOKENS = 200


class FilterError(ValueError):
    """The filter is not SCIM, or asks for what this server does not filter on."""


@dataclass(frozen=True)
class Compare:
    attr: str  # lower case, sub-attributes joined by ".", schema URNs removed
    op: str  # one of OPERATORS, or "pr"
    value: object = None


@dataclass(frozen=True)
class Logical:
    op: str  # "and" or "or"
    left: object
    right: object


@dataclass(frozen=True)
class Not:
    inner: object


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lpar>\() | (?P<rpar>\)) | (?P<lbr>\[) | (?P<rbr>\]) |
        (?P<string>"(?:[^"\\]|\\.)*") |
        (?P<word>[A-Za-z0-9_:.$-]+)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    found, at = [], 0
    text = text.strip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise FilterError(f"Unexpected text at character {at + 1} of the filter.")
        kind = match.lastgroup
        found.append((kind, match.group(kind)))
        at = match.end()
        while at < len(text) and text[at].isspace():
            at += 1
    return found


def attr_name(raw: str) -> str:
    """``urn:…:enterprise:2.0:User:employeeNumber`` → ``employeenumber``; ``name.givenName`` →
    ``name.givenname``. Attribute names are case-insensitive (RFC 7643 §2.1)."""
    name = raw
    if name.lower().startswith("urn:"):
        # The attribute follows the schema URN's last ":".
        name = name.rsplit(":", 1)[1]
    return name.lower()


class _Parser:
    def __init__(self, text: str):
        if len(text) > MAX_LENGTH:
            raise FilterError("The filter is too long.")
        self.tokens = _tokens(text)
        if len(self.tokens) > MAX_TOKENS:
            raise FilterError("The filter has too many terms.")
        self.at = 0
        self.depth = 0

    def peek(self, offset: int = 0):
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else (None, None)

    def take(self, kind: str | None = None):
        token = self.peek()
        if token[0] is None or (kind is not None and token[0] != kind):
            raise FilterError("The filter ends too early or is not well formed.")
        self.at += 1
        return token

    def keyword(self, *words: str) -> str | None:
        kind, value = self.peek()
        if kind == "word" and value.lower() in words:
            self.at += 1
            return value.lower()
        return None

    def parse(self):
        tree = self.expression()
        if self.peek()[0] is not None:
            raise FilterError(f"Unexpected “{self.peek()[1]}” in the filter.")
        return tree

    def expression(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError("The filter nests too deeply.")
        tree = self.conjunction()
        while self.keyword("or"):
            tree = Logical("or", tree, self.conjunction())
        self.depth -= 1
        return tree

    def conjunction(self):
        tree = self.factor()
        while self.keyword("and"):
            tree = Logical("and", tree, self.factor())
        return tree

    def factor(self):
        if self.keyword("not"):
            self.take("lpar")
            inner = self.expression()
            self.take("rpar")
            return Not(inner)
        if self.peek()[0] == "lpar":
            self.take("lpar")
            inner = self.expression()
            self.take("rpar")
            return inner
        return self.comparison()

    def comparison(self, prefix: str = ""):
        kind, raw = self.take("word")
        if kind != "word" or raw.lower() in ("and", "or", "not"):
            raise FilterError("An attribute name was expected in the filter.")
        attr = prefix + attr_name(raw)
        if self.peek()[0] == "lbr":
            if prefix:
                raise FilterError("A value path cannot hold another.")
            self.take("lbr")
            inner = self.sub_expression(attr + ".")
            self.take("rbr")
            return inner
        if self.keyword("pr"):
            return Compare(attr, "pr")
        op = self.keyword(*OPERATORS)
        if op is None:
            raise FilterError(f"“{self.peek()[1]}” is not a SCIM filter operator.")
        return Compare(attr, op, self.value())

    def sub_expression(self, prefix: str):
        """Inside ``emails[…]``: the same grammar, its attributes under ``prefix``."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError("The filter nests too deeply.")
        tree = self.sub_factor(prefix)
        while True:
            op = self.keyword("and", "or")
            if op is None:
                self.depth -= 1
                return tree
            tree = Logical(op, tree, self.sub_factor(prefix))

    def sub_factor(self, prefix: str):
        if self.keyword("not"):
            self.take("lpar")
            inner = self.sub_expression(prefix)
            self.take("rpar")
            return Not(inner)
        if self.peek()[0] == "lpar":
            self.take("lpar")
            inner = self.sub_expression(prefix)
            self.take("rpar")
            return inner
        return self.comparison(prefix)

    def value(self):
        kind, raw = self.take()
        if kind == "string":
            try:
                text = json.loads(raw)
            except ValueError:
                raise FilterError("A string in the filter is not well formed.") from None
            if "\x00" in text or not _encodable(text):
                raise FilterError("A string in the filter holds a NUL or half a character.")
            return text
        if kind == "word":
            lowered = raw.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            if lowered == "null":
                return None
            try:
                return float(raw) if "." in raw else int(raw)
            except ValueError:
                pass
        raise FilterError(
            "A comparison needs a value: a quoted string, true, false, null or a number."
        )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse(text: str):
    """The tree of ``text``; raises ``FilterError``."""
    if not text or not text.strip():
        raise FilterError("The filter is empty.")
    if "\x00" in text:
        raise FilterError("The filter holds a NUL character.")
    return _Parser(text).parse()


def to_q(tree, fields: dict):
    """A ``Q`` for ``tree``. ``fields`` maps each attribute this resource filters on to a
    function ``(op, value) -> Q``; other attributes are refused."""
    from django.db.models import Q

    if isinstance(tree, Logical):
        left, right = to_q(tree.left, fields), to_q(tree.right, fields)
        return (left & right) if tree.op == "and" else (left | right)
    if isinstance(tree, Not):
        return ~to_q(tree.inner, fields)
    build = fields.get(tree.attr)
    if build is None:
        raise FilterError(f"Filtering on “{tree.attr}” is not supported.")
    q = build(tree.op, tree.value)
    if not isinstance(q, Q):
        raise FilterError(f"The operator “{tree.op}” is not supported on “{tree.attr}”.")
    return q


def matches(tree, values: dict) -> bool:
    """Whether a resource whose filterable attributes are ``values`` (attribute → a string, a
    bool, or a list of them for a multi-valued one) passes ``tree``. For the few resources that
    are filtered in Python (units, by their computed path)."""
    if isinstance(tree, Logical):
        if tree.op == "and":
            return matches(tree.left, values) and matches(tree.right, values)
        return matches(tree.left, values) or matches(tree.right, values)
    if isinstance(tree, Not):
        return not matches(tree.inner, values)
    if tree.attr not in values:
        raise FilterError(f"Filtering on “{tree.attr}” is not supported.")
    held = values[tree.attr]
    candidates = held if isinstance(held, list) else [held]
    return any(compare(tree.op, c, tree.value) for c in candidates)


def compare(op: str, held, wanted, *, case_exact: bool = False) -> bool:
    """One comparison of RFC 7644's table, strings case-insensitive unless ``case_exact``."""
    if op == "pr":
        return held not in (None, "", [])
    if held is None:
        return op == "ne" and wanted is not None
    if isinstance(held, str) and isinstance(wanted, str) and not case_exact:
        held, wanted = held.lower(), wanted.lower()
    if op in ("co", "sw", "ew"):
        if not isinstance(held, str) or not isinstance(wanted, str):
            raise FilterError(f"“{op}” compares strings only.")
        return {
            "co": wanted in held,
            "sw": held.startswith(wanted),
            "ew": held.endswith(wanted),
        }[op]
    if op == "eq":
        return held == wanted
    if op == "ne":
        return held != wanted
    if type(held) is not type(wanted) or isinstance(held, bool):
        raise FilterError(f"“{op}” cannot compare these values.")
    return {"gt": held > wanted, "ge": held >= wanted, "lt": held < wanted, "le": held <= wanted}[
        op
    ]
