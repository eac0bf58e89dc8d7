"""Server time of each dashboard page, measured with Django's test client.

The national-scale benchmark (issue 9) calls :func:`time_pages` against its big
database; it is also runnable on its own::

    python -m dashboards.bench --user xingtai_leader --region 130500 [--year 2015] [-n 50]

Each page is requested once to warm caches, then `n` times; the result gives
p50 / p95 / mean in milliseconds, the number of SQL queries of one request and
the response size. Requests go through the whole middleware stack (session,
auth, policy) but no network, so the time is the server's own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class PageTiming:
    page: str
    url: str
    n: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    max_ms: float
    queries: int
    bytes: int


def page_urls(
    region_code: str, params: dict[str, str] | None = None, pages: Iterable[str] | None = None
) -> dict:
    """The URL of every dashboard page of a region (no comparison page for a county)."""
    from django.urls import reverse

    from indicators.models import Region

    level = Region.objects.filter(code=region_code).values_list("level", flat=True).first()
    names = list(pages or ("overview", "compare", "trend", "brands", "verification"))
    if level == Region.Level.COUNTY:
        names = [n for n in names if n not in ("compare", "verification")]
    query = ("?" + urlencode(params)) if params else ""
    return {n: reverse(f"dashboards:{n}", args=[region_code]) + query for n in names}


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def timed_get(client, url: str) -> float:
    """One GET through the whole stack, in milliseconds; RuntimeError unless it answered 200."""
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return elapsed


def time_pages(
    user,
    region_code: str,
    *,
    n: int = 50,
    params: dict[str, str] | None = None,
    pages: Iterable[str] | None = None,
) -> list[PageTiming]:
    """Time every dashboard page of `region_code` as `user` (n requests each, after one warm-up)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(raise_request_exception=True)
    client.force_login(user)
    out = []
    for page, url in page_urls(region_code, params, pages).items():
        with CaptureQueriesContext(connection) as ctx:
            first = client.get(url)
        queries = len(ctx.captured_queries)  # read now: the next request resets the query log
        if first.status_code != 200:
            raise RuntimeError(f"{url} answered {first.status_code}")
        times = sorted(timed_get(client, url) for _ in range(n))
        out.append(
            PageTiming(
                page=page,
                url=url,
                n=n,
                p50_ms=round(_percentile(times, 0.5), 2),
                p95_ms=round(_percentile(times, 0.95), 2),
                mean_ms=round(statistics.fmean(times), 2) if times else 0.0,
                max_ms=round(times[-1], 2) if times else 0.0,
                queries=queries,
                bytes=len(first.content),
            )
        )
    return out


def format_table(rows: list[PageTiming]) -> str:
    lines = [f"{'page':<14}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}{'queries':>9}{'KB':>8}  url"]
    for r in rows:
        lines.append(
            f"{r.page:<14}{r.p50_ms:>10.1f}{r.p95_ms:>10.1f}{r.mean_ms:>10.1f}{r.queries:>9}{r.bytes / 1024:>8.0f}  {r.url}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Server time of each dashboard page (Django test client).")
    parser.add_argument("--user", required=True, help="username to view the pages as")
    parser.add_argument("--region", required=True, help="region code, e.g. 130500")
    parser.add_argument("-n", type=int, default=50, help="requests per page (default 50)")
    parser.add_argument("--year", help="assessment year (default: the latest with scores)")
    parser.add_argument("--basis", choices=["self", "verified"])
    parser.add_argument("--pages", nargs="*", help="a subset of: overview compare trend brands verification")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quality_city.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user = get_user_model().objects.get(username=args.user)
    params = {k: v for k, v in {"year": args.year, "basis": args.basis}.items() if v}
    print(format_table(time_pages(user, args.region, n=args.n, params=params, pages=args.pages)))


if __name__ == "__main__":
    main()
