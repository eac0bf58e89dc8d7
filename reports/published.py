"""Published assessment results for the ranking notice (the assessments app, when installed).

The assessments app (issue 10) freezes the results of an assessment when it is
published (Publication + PublishedRegionScore). The notice must print those frozen
results, not the live scores; this module is the one place that reads them, and it
answers None when the app is not installed or nothing is published for the
assessing region and year. The latest version wins: a correction republished as
version 2 replaces version 1 in the notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from indicators.models import Basis, RegionScore

if TYPE_CHECKING:
    from indicators.models import Region
    from reports.selectors import RankLine


def published_ranking(region: Region, year: int) -> tuple[tuple[RankLine, ...], str] | None:
    """(rows in rank order, a label such as "第2版，2016-07-01发布") or None (2-3 queries)."""
    try:
        from assessments.models import Publication, PublishedRegionScore
    except ImportError:  # the assessments app is optional
        return None
    from reports.selectors import rank_lines

    pub = (
        Publication.objects.filter(assessment__assessing_region=region, assessment__year=year)
        .order_by("-version")
        .first()
    )
    if pub is None:
        return None
    current = list(
        PublishedRegionScore.objects.filter(publication=pub, basis=Basis.VERIFIED).select_related("region")
    )
    # Last year: its published results if there are any, else the live verified scores.
    last_pub = (
        Publication.objects.filter(assessment__assessing_region=region, assessment__year=year - 1)
        .order_by("-version")
        .first()
    )
    if last_pub is not None:
        previous = PublishedRegionScore.objects.filter(publication=last_pub, basis=Basis.VERIFIED)
    else:
        previous = RegionScore.objects.filter(region__parent=region, year=year - 1, basis=Basis.VERIFIED)
    before = {s.region_id: s for s in previous.only("region_id", "total", "grade", "rank")}
    label = f"第{pub.version}版，{timezone.localtime(pub.published_at):%Y-%m-%d}发布"
    return rank_lines(current, before), label
