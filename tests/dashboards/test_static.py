"""plotly.js is served from the app's own static files: no CDN anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import plotly
import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from tests.factories import make_user

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def test_the_finder_exposes_plotly_min_js_from_the_plotly_package():
    found = finders.find("vendor/plotly.min.js")
    assert Path(found) == PLOTLY_JS
    assert finders.find("vendor/plotly.min.js", find_all=True) == [str(PLOTLY_JS)]
    assert finders.find("vendor/other.js") is None


def test_collectstatic_copies_it_under_vendor(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    copied = tmp_path / "vendor" / "plotly.min.js"
    assert copied.read_bytes() == PLOTLY_JS.read_bytes()
    assert (tmp_path / "js" / "dashboards.js").exists()
    assert (tmp_path / "css" / "dashboards.css").exists()


@pytest.mark.django_db
def test_pages_load_plotly_locally_and_nothing_from_other_hosts(client, city):
    client.force_login(make_user(city["city"].code, "leader"))
    body = client.get(f"/dashboards/{city['city'].code}/compare/").content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', body)
    assert "/static/vendor/plotly.min.js" in scripts
    assert all(src.startswith("/static/") for src in scripts)
    # Without the random CSRF tokens, which now and then spell "cdn" themselves.
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body).lower()
    assert "cdn" not in text
    assert "topojson" not in text
    # No inline code: every <script> without src is a JSON data block.
    for tag in re.findall(r"<script(?![^>]*src=)[^>]*>", body):
        assert 'type="application/json"' in tag


@pytest.mark.django_db
def test_the_file_is_served(client, catalog):
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content[:200] == PLOTLY_JS.read_bytes()[:200]
