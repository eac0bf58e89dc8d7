from __future__ import annotations

import json
import re

import pytest

from tests.dashboards import builders


@pytest.fixture
def city(catalog):
    """A synthetic city with 5 counties, figures, plans, targets and scores."""
    return builders.build_city(5)


def figure_of(response, key: str) -> dict:
    """The plotly figure a page embedded for chart `key` (its json_script data block)."""
    html = response.content.decode()
    match = re.search(
        rf'<script id="fig-{re.escape(key)}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"chart {key} is not on the page"
    return json.loads(match.group(1))
