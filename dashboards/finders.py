"""A staticfiles finder that serves plotly.js from the installed `plotly` package.

The Python package ships ``package_data/plotly.min.js``; exposing it as
``vendor/plotly.min.js`` keeps the browser off any CDN without a copy step, so a
fresh clone works with runserver, WhiteNoise's finder mode and collectstatic
alike, and the JS always matches the Python package that built the figures.
"""

from __future__ import annotations

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

PLOTLY_JS = "vendor/plotly.min.js"
_PACKAGE_DATA = Path(plotly.__file__).resolve().parent / "package_data"
_FILE = "plotly.min.js"


class _PrefixedStorage(FileSystemStorage):
    """The package_data folder, published under ``vendor/`` (collectstatic and WhiteNoise read `prefix`)."""

    prefix = "vendor"


class PlotlyJsFinder(BaseFinder):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.storage = _PrefixedStorage(location=str(_PACKAGE_DATA))

    def check(self, **kwargs) -> list[Error]:
        if not (_PACKAGE_DATA / _FILE).is_file():
            return [Error(f"plotly.min.js not found in {_PACKAGE_DATA}", id="dashboards.E001")]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs) -> str | list[str]:
        if path == PLOTLY_JS and (_PACKAGE_DATA / _FILE).is_file():
            found = str(_PACKAGE_DATA / _FILE)
            return [found] if find_all else found
        return []  # "not found", as Django's own finders say it

    def list(self, ignore_patterns):
        if (_PACKAGE_DATA / _FILE).is_file():
            yield _FILE, self.storage
