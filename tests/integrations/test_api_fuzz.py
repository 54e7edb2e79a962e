"""The API under a property-based run from its own OpenAPI schema (schemathesis, through the
WSGI application, offline): every operation, with query parameters, paths and bodies generated
from /api/v1/openapi.json, with a token holding every scope and with none, never answers 500.
The ``ci`` hypothesis profile (tests/conftest.py) makes the run repeatable."""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.integrations import services
from peersupport.integrations.registry import scope_names

from ..factories import ResourceFactory
from ..reports.helpers import build


@schemathesis.serializer("text/csv")
def _csv(ctx, value):
    """The roster sync's body: whatever text was generated, as the bytes of a CSV file."""
    return value.encode() if isinstance(value, str) else bytes(value or b"")


@pytest.fixture
def api_schema(db, settings):
    settings.API_RATE_LIMIT = 0  # the fuzzer calls faster than any integration would
    # As Django's test client does: the test's transaction must outlive each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def every_scope(db):
    _made, raw = services.token_create(actor=None, label="Fuzzer", scopes=sorted(scope_names()))
    return raw


def test_no_operation_answers_500(api_schema, every_scope, personas):
    for n in range(3):
        ResourceFactory(name=f"Service {n}")
    build()  # the reports' figures, so that a period can be found
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 7  # every endpoint of docs/api.md is in the schema

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(data=st.data())
    def run(data):
        operation = data.draw(st.sampled_from(operations), label="operation")
        case = data.draw(operation.as_strategy(), label="case")
        for headers in ({"Authorization": f"Bearer {every_scope}"}, {}):
            response = case.call(headers=headers)
            where = (case.method, case.formatted_path, case.query, response.text[:300])
            assert response.status_code < 500, where
            kind = {k.lower(): v for k, v in response.headers.items()}["content-type"]
            assert "application/json" in str(kind), (kind, where)

    run()
