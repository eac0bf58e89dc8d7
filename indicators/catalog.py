"""Loaders for reference data: the national region list and the indicator catalogue.

Both are idempotent: a second run finds every row unchanged and writes nothing.
"""

from __future__ import annotations

import csv
import importlib.metadata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from indicators.models import Indicator, Region, ScoringScheme

FIXTURES = settings.BASE_DIR / "fixtures"

# Rows of the GB/T 2260 list that are groupings, not regions. Their children
# hang directly under the province (e.g. 429004 仙桃市 under 420000 湖北省).
PLACEHOLDER_NAMES = frozenset({"市辖区", "省直辖县级行政区划", "自治区直辖县级行政区划", "县"})


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}"


def cpca_adcodes_path() -> Path:
    """The adcodes.csv shipped by the `cpca` package (MIT), located without importing cpca."""
    dist = importlib.metadata.distribution("cpca")
    path = Path(str(dist.locate_file("cpca/resources/adcodes.csv")))
    if not path.exists():
        raise FileNotFoundError(f"cpca is installed but {path} is missing")
    return path


def _level(code: str) -> str:
    if code[2:] == "0000":
        return Region.Level.PROVINCE
    if code[4:] == "00":
        return Region.Level.CITY
    return Region.Level.COUNTY


def _decimal_or_none(raw: str) -> Decimal | None:
    raw = (raw or "").strip()
    return Decimal(raw).quantize(Decimal("0.000001")) if raw else None


def parse_adcodes(path: Path) -> list[dict]:
    """Rows of the region list with level and parent code, placeholders dropped."""
    rows: dict[str, dict] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for raw in csv.DictReader(fh):
            code = raw["adcode"].strip()[:6]
            name = raw["name"].strip()
            if len(code) != 6 or not code.isdigit() or name in PLACEHOLDER_NAMES:
                continue
            rows[code] = {
                "code": code,
                "name": name,
                "level": _level(code),
                "longitude": _decimal_or_none(raw.get("longitude", "")),
                "latitude": _decimal_or_none(raw.get("latitude", "")),
            }
    for code, row in rows.items():
        province = code[:2] + "0000"
        city = code[:4] + "00"
        if row["level"] == Region.Level.PROVINCE:
            row["parent"] = None
        elif row["level"] == Region.Level.CITY:
            row["parent"] = province if province in rows else None
        else:
            row["parent"] = city if city in rows else (province if province in rows else None)
    return sorted(
        rows.values(), key=lambda r: ({"province": 0, "city": 1, "county": 2}[r["level"]], r["code"])
    )


@transaction.atomic
def load_regions(path: Path | None = None) -> LoadResult:
    """Create or update every region of the national list; parents before children."""
    rows = parse_adcodes(path or cpca_adcodes_path())
    existing = {r.code: r for r in Region.objects.all()}
    result = LoadResult()
    fields = ("name", "level", "longitude", "latitude", "path", "parent_id")
    by_code: dict[str, Region] = dict(existing)
    for level in (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY):
        to_create, to_update = [], []
        for row in (r for r in rows if r["level"] == level):
            parent = by_code.get(row["parent"]) if row["parent"] else None
            path_value = (parent.path if parent else "/") + row["code"] + "/"
            values = {
                "name": row["name"],
                "level": row["level"],
                "longitude": row["longitude"],
                "latitude": row["latitude"],
                "path": path_value,
                "parent_id": parent.pk if parent else None,
            }
            region = existing.get(row["code"])
            if region is None:
                region = Region(code=row["code"], **values)
                to_create.append(region)
            elif any(getattr(region, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(region, f, v)
                to_update.append(region)
            else:
                result.unchanged += 1
            by_code[row["code"]] = region
        Region.objects.bulk_create(to_create, batch_size=1000)
        Region.objects.bulk_update(to_update, fields, batch_size=1000)
        result.created += len(to_create)
        result.updated += len(to_update)
        # bulk_create sets pks on PostgreSQL and SQLite >= 3.35; re-read to be sure.
        if to_create and any(r.pk is None for r in to_create):
            by_code.update({r.code: r for r in Region.objects.filter(level=level)})
    return result


def _dec(raw: str) -> Decimal | None:
    raw = (raw or "").strip()
    return Decimal(raw) if raw else None


@transaction.atomic
def load_catalog(path: Path | None = None) -> LoadResult:
    """Load the 56-indicator catalogue and the default scoring scheme."""
    path = path or FIXTURES / "indicators.csv"
    result = LoadResult()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for order, row in enumerate(csv.DictReader(fh), start=1):
            values = {
                "category": row["category"],
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "unit": row["unit"],
                "kind": row["kind"],
                "direction": row["direction"],
                "aggregation": row["aggregation"],
                "min_value": _dec(row["min"]),
                "max_value": _dec(row["max"]),
                "note": row.get("note", "") or "",
                "sort_order": order,
            }
            indicator = Indicator.objects.filter(code=row["code"]).first()
            if indicator is None:
                Indicator.objects.create(code=row["code"], **values)
                result.created += 1
            elif any(getattr(indicator, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(indicator, f, v)
                indicator.save()
                result.updated += 1
            else:
                result.unchanged += 1
    ensure_default_scheme()
    return result


DEFAULT_SCHEME_NAME = "全国质量工作考核方案（2013）"


def ensure_default_scheme() -> ScoringScheme:
    """The national 2013 scheme: A >= 90, B >= 80, C >= 60, D below; cap 1.0, rule ratio."""
    scheme, _ = ScoringScheme.objects.get_or_create(
        name=DEFAULT_SCHEME_NAME,
        defaults={
            "is_default": not ScoringScheme.objects.filter(is_default=True).exists(),
            "description": "国务院办公厅《质量工作考核办法》（2013）等级划分：A级≥90分，B级80–90分，C级60–80分，D级<60分。",
        },
    )
    return scheme
