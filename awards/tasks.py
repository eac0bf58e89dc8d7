"""Celery adapters for the awards app: take ids, call one service, retry on contention."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import IntegrityError, OperationalError

logger = logging.getLogger(__name__)


@shared_task(
    name="awards.recompute_award_figures",
    autoretry_for=(IntegrityError, OperationalError),
    retry_backoff=True,
    max_retries=5,
)
def recompute_award_figures(region_ids: list[int], years: list[int], indicator_codes: list[str]) -> dict:
    """Recompute the derived brand-count figures of regions x years x indicators.

    Two tasks racing to create the same figure make one fail on the unique
    constraint; the retry then finds the row and updates it.
    """
    from awards.services import derived_figures_recompute

    result = derived_figures_recompute(region_ids=region_ids, years=years, indicator_codes=indicator_codes)
    if result.conflicts:
        logger.warning("recompute_award_figures: %d conflicts with entered figures", len(result.conflicts))
    return result.as_dict()
