"""Schemathesis fuzzing of the project's own OpenAPI schema (/api/schema/), in-process over WSGI.

Every operation of the schema becomes one test; each sends generated requests
(valid and invalid, per the schema) with the API token of a city user who holds
the staff, reviewer and leader roles, so the write endpoints are reachable. The
checks: no 5xx, and every response whose status the schema documents matches
the documented content type, headers and body schema.

Bounded for CI: QC_FUZZ_EXAMPLES examples per operation (default 6), no
deadline, derandomised so a run is reproducible. A deeper random session:

    QC_FUZZ_EXAMPLES=200 QC_FUZZ_RANDOM=1 .venv/bin/pytest tests/reliability/test_api_fuzz.py
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

from indicators.scoring_service import compute_scores
from quality_city.wsgi import application
from tests.factories import make_user
from tests.indicators.scoring_helpers import fig, tgt

EXAMPLES = int(os.environ.get("QC_FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]

# Fetched through the WSGI app like any client would; the schema view needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Schemathesis calls the real WSGI handler, whose request signals close "old" connections —
    on PostgreSQL that would close the test's own connection inside its transaction. Django's
    test client disconnects the same handlers for the same reason."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(catalog, monkeypatch) -> str:
    """A demo-like city user (邢台市: staff + reviewer + leader) with some data to read and act on."""
    from reports import tasks as report_tasks

    # A valid report request would render a PDF in-process (seconds, chromium); record it instead.
    monkeypatch.setattr(report_tasks.generate_report, "apply_async", lambda *a, **kw: None)
    user = make_user("130500", "staff", "reviewer", "leader", username="fuzz_city")
    for county in ("130521", "130528"):
        tgt(county, "PQ_SAMPLING_PASS", 2015, 98)
        fig(county, "PQ_SAMPLING_PASS", 2015, 97)
        fig(county, "PQ_GRADE_RATE", 2015, 80, status="submitted")
    compute_scores(year=2015, region=user.profile.region, trigger="fuzz")
    return Token.objects.create(user=user).key


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("QC_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx_or_outside_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
