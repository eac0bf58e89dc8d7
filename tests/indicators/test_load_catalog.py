import csv
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command

from indicators.catalog import DEFAULT_SCHEME_NAME, load_catalog
from indicators.models import Indicator, ScoringScheme

pytestmark = pytest.mark.django_db

SHARED_CSV = settings.SHARED_DIR / "domain" / "indicators.csv"
FIXTURE_CSV = settings.BASE_DIR / "fixtures" / "indicators.csv"


def _rows(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_fixture_matches_the_shared_catalogue():
    if not SHARED_CSV.exists():
        pytest.skip("../shared is not beside this checkout")
    assert FIXTURE_CSV.read_bytes() == SHARED_CSV.read_bytes()


def test_all_56_codes_are_loaded_with_every_column(catalog):
    rows = _rows(FIXTURE_CSV)
    assert len(rows) == 56
    assert Indicator.objects.count() == 56
    assert set(Indicator.objects.values_list("code", flat=True)) == {r["code"] for r in rows}
    for row in rows:
        ind = Indicator.objects.get(code=row["code"])
        assert ind.category == row["category"]
        assert ind.name_zh == row["name_zh"]
        assert ind.name_en == row["name_en"]
        assert ind.unit == row["unit"]
        assert ind.kind == row["kind"]
        assert ind.direction == row["direction"]
        assert ind.aggregation == row["aggregation"]
        assert ind.min_value == (Decimal(row["min"]) if row["min"] else None)
        assert ind.max_value == (Decimal(row["max"]) if row["max"] else None)


def test_eleven_categories(catalog):
    assert Indicator.objects.values("category").distinct().count() == 11


def test_loading_twice_changes_nothing(catalog):
    result = load_catalog()
    assert (result.created, result.updated, result.unchanged) == (0, 0, 56)


def test_the_default_scheme_is_the_national_one(catalog):
    scheme = ScoringScheme.objects.get(is_default=True)
    assert scheme.name == DEFAULT_SCHEME_NAME
    assert (scheme.grade_a_min, scheme.grade_b_min, scheme.grade_c_min) == (90, 80, 60)
    assert scheme.cap == Decimal("1.0")


def test_the_command_runs(catalog, capsys):
    call_command("load_catalog")
    assert "未变 56" in capsys.readouterr().out
