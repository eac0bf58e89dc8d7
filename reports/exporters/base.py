"""The exporter interface (after pretix's BaseExporter).

An exporter produces one kind of report for (region, year, basis) in one or more
formats. It works in two steps:

1. `collect()` reads every row the report prints (in a bounded number of queries)
   into plain, immutable data;
2. `render(fmt, progress)` turns that data into file bytes, without touching the
   database again.

`inputs_hash(fmt)` is the sha256 of what `collect()` read, plus the exporter's
identifier, version and the format. Equal hashes mean an identical report, which is
how a second request with unchanged inputs gets the stored artefact instead of a
second render. Bump `version` whenever the layout or the content changes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from indicators.models import Region
from reports.errors import ReportError

# progress(percent 0..100, note shown on the page)
ProgressCallback = Callable[[int, str], None]

__all__ = ["BaseExporter", "ExportFile", "ProgressCallback", "ReportError", "digest_of"]


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    data: bytes


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _plain(value: Any) -> Any:
    """JSON-ready form of a collected value; Decimal keeps its exact text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return f"d:{value}"
    if isinstance(value, (date, datetime)):
        return f"t:{value.isoformat()}"
    if isinstance(value, Region):
        return f"r:{value.code}:{value.name}"
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot hash {type(value).__name__} in report inputs")


def digest_of(payload: Any) -> str:
    text = json.dumps(_plain(payload), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class BaseExporter:
    identifier: ClassVar[str]  # the ReportArtifact.kind it produces
    verbose_name: ClassVar[str]
    formats: ClassVar[tuple[str, ...]] = ("pdf", "xlsx")
    version: ClassVar[str] = "1"
    # How many times render() ran in this process, per class: tests use it to show
    # that unchanged inputs never render twice.
    render_count: ClassVar[int] = 0

    def __init__(self, *, region: Region, year: int, basis: str) -> None:
        self.region = region
        self.year = year
        self.basis = basis
        self._data: Any = None

    # -- to implement ---------------------------------------------------------
    def collect_data(self) -> Any:
        """Read the rows of the report (a frozen dataclass of plain values)."""
        raise NotImplementedError

    def render_pdf(self, data: Any, progress: ProgressCallback) -> bytes:
        raise NotImplementedError

    def render_xlsx(self, data: Any, progress: ProgressCallback) -> bytes:
        raise NotImplementedError

    def filename(self, data: Any, fmt: str) -> str:
        raise NotImplementedError

    # -- shared -----------------------------------------------------------------
    def collect(self) -> Any:
        if self._data is None:
            self._data = self.collect_data()
        return self._data

    def inputs_hash(self, fmt: str) -> str:
        return digest_of(
            {
                "exporter": self.identifier,
                "version": self.version,
                "format": fmt,
                "data": self.collect(),
            }
        )

    def render(self, fmt: str, progress: ProgressCallback | None = None) -> ExportFile:
        if fmt not in self.formats:
            raise ReportError(f"{self.verbose_name}不支持 {fmt} 格式")
        report = progress or (lambda _pct, _note: None)
        data = self.collect()
        type(self).render_count += 1
        body = self.render_pdf(data, report) if fmt == "pdf" else self.render_xlsx(data, report)
        return ExportFile(filename=self.filename(data, fmt), content_type=CONTENT_TYPES[fmt], data=body)
