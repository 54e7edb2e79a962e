"""peersupport.web.pagination: one page of a list, its count from the page query, and the
partial that links the pages."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from peersupport.accounts.models import Language
from peersupport.web.pagination import paginate

from ..factories import LanguageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def languages():
    for i in range(7):
        LanguageFactory(code=f"l{i}", name=f"Language {i}")
    return Language.objects.filter(code__startswith="l").order_by("code")


def _get(query: str = ""):
    return RequestFactory().get("/list/" + query)


def test_one_query_gives_the_page_and_the_count(languages):
    with CaptureQueriesContext(connection) as ctx:
        page = paginate(_get("?page=2"), languages, per_page=3)
        rows = [lang.code for lang in page]
    assert len(ctx.captured_queries) == 1
    assert rows == ["l3", "l4", "l5"]
    assert (page.number, page.paginator.count, page.paginator.num_pages) == (2, 7, 3)


@pytest.mark.parametrize(
    ("query", "number"),
    [
        ("", 1),
        ("?page=nope", 1),
        ("?page=-4", 1),
        ("?page=0", 1),
        ("?page=99", 3),
        # Past any database's integer as an offset: the last page, not a 500.
        ("?page=9223372036854775807", 3),
        ("?page=" + "9" * 30, 3),
    ],
)
def test_a_page_that_is_not_there_shows_the_first_or_the_last(languages, query, number):
    page = paginate(_get(query), languages, per_page=3)
    assert page.number == number
    assert page.paginator.count == 7


def test_an_empty_list_is_one_empty_page(languages):
    page = paginate(_get("?page=3"), languages.none(), per_page=3)
    assert (page.number, page.paginator.count, list(page)) == (1, 0, [])


def test_prepare_finishes_the_rows_of_the_page_only(languages):
    seen = []

    def prepare(rows):
        seen.extend(rows)
        return [row.code.upper() for row in rows]

    page = paginate(_get("?page=3"), languages, per_page=3, prepare=prepare)
    assert list(page) == ["L6"] and len(seen) == 1


def test_a_separate_count_gives_the_same_page(languages):
    page = paginate(_get("?page=2"), languages, per_page=3, window=False)
    assert [lang.code for lang in page] == ["l3", "l4", "l5"]
    assert page.paginator.count == 7


def test_the_links_keep_the_filters_and_say_where_you_are(languages):
    request = _get("?role=chief&show=all&page=2")
    page = paginate(request, languages, per_page=2)
    html = render_to_string(
        "web/_pagination.html", {"page": page, "label": "Pages of grants"}, request=request
    )
    assert '<nav aria-label="Pages of grants" class="pager">' in html
    assert '<span aria-current="page">Page 2 of 4</span>' in html
    assert 'href="?role=chief&amp;show=all&amp;page=1" rel="prev"' in html
    assert 'href="?role=chief&amp;show=all&amp;page=3" rel="next"' in html
    assert 'href="?role=chief&amp;show=all&amp;page=4">Last' in html
    assert ">First" not in html  # the previous page is the first


def test_one_page_needs_no_links(languages):
    page = paginate(_get(), languages, per_page=50)
    assert render_to_string("web/_pagination.html", {"page": page}).strip() == ""
