"""The award-type catalogue (fixtures/award_types.csv), loaded by `load_catalog`.

Idempotent. A type's validity in years is editable by administrators, so a
reload keeps the stored validity of an existing type; the other columns follow
the fixture (a changed indicator recomputes the derived figures of its grants).
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction

from awards.models import AwardType
from awards.services import award_type_update
from indicators.catalog import FIXTURES, LoadResult
from indicators.models import Indicator

AWARD_TYPES_CSV = FIXTURES / "award_types.csv"


def _int_or_none(raw: str) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw else None


@transaction.atomic
def load_award_types(path: Path | None = None) -> LoadResult:
    """Create missing award types and update changed ones; returns a Chinese summary."""
    path = path or AWARD_TYPES_CSV
    indicators = {i.code: i for i in Indicator.objects.all()}
    result = LoadResult()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for order, row in enumerate(csv.DictReader(fh), start=1):
            code = row["indicator_code"].strip()
            if code and code not in indicators:
                raise ValueError(f"{path.name}: 奖项类型 {row['code']} 的指标代码 {code} 不在指标目录中")
            indicator = indicators.get(code) if code else None
            values = {
                "name": row["name"].strip(),
                "level": row["level"].strip(),
                "kind": row["kind"].strip(),
                "tier": row["tier"].strip(),
                "note": row["note"].strip(),
                "sort_order": order * 10,
            }
            award_type = AwardType.objects.filter(code=row["code"].strip()).first()
            if award_type is None:
                award_type = AwardType(
                    code=row["code"].strip(),
                    validity_years=_int_or_none(row["validity_years"]),
                    indicator=indicator,
                    **values,
                )
                award_type.full_clean()
                award_type.save()
                result.created += 1
                continue
            changed = any(getattr(award_type, f) != v for f, v in values.items())
            if changed:
                for f, v in values.items():
                    setattr(award_type, f, v)
                award_type.save()
            if award_type.indicator_id != (indicator.pk if indicator else None):
                award_type_update(
                    user=None,
                    award_type=award_type,
                    validity_years=award_type.validity_years,
                    indicator=indicator,
                )
                changed = True
            if changed:
                result.updated += 1
            else:
                result.unchanged += 1
    return result
