"""Counting the queries of one page, for the tests that check a page's queries do not grow with
the data."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def page_queries(client, url: str, *, warm: bool = False) -> int:
    """The queries one GET of ``url`` makes; it must answer 200. ``warm`` asks for the page once
    first, so what a process keeps after the first view (navigation, PDFs) is in place."""
    if warm:
        client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)
