import time, pytest, cProfile, pstats
from accounts.policy import SYSTEM
from indicators import imports
from tests.indicators.test_import_figures import big_rows, csv_bytes, xlsx_bytes
pytestmark = pytest.mark.django_db

def test_timing(catalog):
    rows = big_rows(10_000)
    data = csv_bytes(rows)
    t=time.perf_counter(); imports.plan_import(actor=SYSTEM, data=data, filename="a.csv", status="draft"); print("plan", time.perf_counter()-t)
    pr = cProfile.Profile(); pr.enable()
    t=time.perf_counter(); imports.commit_import(actor=SYSTEM, data=data, filename="a.csv", status="draft"); print("commit", time.perf_counter()-t)
    pr.disable()
    pstats.Stats(pr).sort_stats("cumulative").print_stats(30)
