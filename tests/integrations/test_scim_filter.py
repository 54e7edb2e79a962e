"""SCIM filters (integrations/scim_filter.py): RFC 7644 §3.4.2.2's grammar and examples read
into a tree, and refused with FilterError (a 400 invalidFilter) when they are not SCIM."""

import contextlib

import pytest
from django.db.models import Q
from hypothesis import given
from hypothesis import strategies as st

from peersupport.integrations.scim_filter import (
    Compare,
    FilterError,
    Logical,
    Not,
    matches,
    parse,
    to_q,
)

# RFC 7644 §3.4.2.2's examples.
RFC_EXAMPLES = [
    'userName Eq "john"',
    'Username eq "john"',
    'userName eq "bjensen"',
    'name.familyName co "O\'Malley"',
    'userName sw "J"',
    'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
    "title pr",
    'meta.lastModified gt "2011-05-13T04:42:34Z"',
    'meta.lastModified ge "2011-05-13T04:42:34Z"',
    'meta.lastModified lt "2011-05-13T04:42:34Z"',
    'meta.lastModified le "2011-05-13T04:42:34Z"',
    'title pr and userType eq "Employee"',
    'title pr or userType eq "Intern"',
    'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    'userType eq "Employee" and (emails.type eq "work")',
    'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    'emails[type eq "work" and value co "@example.com"] or '
    'ims[type eq "xmpp" and value co "@foo.com"]',
]


@pytest.mark.parametrize("text", RFC_EXAMPLES)
def test_the_rfc_examples_parse(text):
    assert parse(text)


def test_the_tree():
    assert parse('userName Eq "john"') == Compare("username", "eq", "john")
    assert parse(
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"'
    ) == Compare("employeenumber", "eq", "7")
    assert parse("title pr and not (active eq false)") == Logical(
        "and", Compare("title", "pr"), Not(Compare("active", "eq", False))
    )
    assert parse('emails[type eq "work" and value sw "a"]') == Logical(
        "and", Compare("emails.type", "eq", "work"), Compare("emails.value", "sw", "a")
    )
    # "and" binds tighter than "or".
    assert parse("a pr or b pr and c pr") == Logical(
        "or", Compare("a", "pr"), Logical("and", Compare("b", "pr"), Compare("c", "pr"))
    )
    assert parse('x eq "say \\"hi\\""') == Compare("x", "eq", 'say "hi"')
    assert parse("n gt 5") == Compare("n", "gt", 5)
    assert parse("n eq null") == Compare("n", "eq", None)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "userName",
        "userName eq",
        'userName like "x"',
        '(userName eq "x"',
        'userName eq "x")',
        'userName eq "x" and',
        'and eq "x"',
        "userName eq bare",
        'emails[type eq "work"',
        'emails[type eq "work"][value pr]',
        'userName eq "x" @',
        "(" * 30 + "a pr" + ")" * 30,
        " or ".join(["a pr"] * 80),
        "x" * 3000,
    ],
)
def test_what_is_not_scim_is_refused(text):
    with pytest.raises(FilterError):
        parse(text)


@given(st.text(max_size=200))
def test_any_text_parses_or_is_refused(text):
    with contextlib.suppress(FilterError):
        parse(text)


def test_to_q_refuses_unknown_attributes():
    fields = {"username": lambda op, value: Q(work_email__iexact=value)}
    assert to_q(parse('userName eq "a"'), fields) == Q(work_email__iexact="a")
    with pytest.raises(FilterError):
        to_q(parse('password eq "a"'), fields)


def test_matches_in_python():
    unit = {"id": "3", "displayname": "Demo PD/Patrol Bureau"}
    assert matches(parse('displayName eq "demo pd/patrol bureau"'), unit)
    assert matches(parse('displayName sw "Demo PD/" and id eq "3"'), unit)
    assert matches(parse('displayName ew "Bureau" or id eq "9"'), unit)
    assert not matches(parse('not (displayName co "Patrol")'), unit)
    assert matches(parse("displayName pr"), unit)
    with pytest.raises(FilterError):
        matches(parse('members eq "1"'), unit)
    with pytest.raises(FilterError):
        matches(parse("displayName gt 3"), unit)
