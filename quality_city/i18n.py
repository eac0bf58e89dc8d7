"""Small helpers for text built in Python that must follow the active language.

Chinese lists are joined with 、 and clauses with ；, English ones with commas and
semicolons; the separators are catalogue entries like any other text.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext, pgettext


def join_list(items: Iterable[object]) -> str:
    """'甲、乙、丙' in Chinese, 'A, B, C' in English."""
    return pgettext("list separator", "、").join(str(i) for i in items)


def join_clauses(items: Iterable[object]) -> str:
    """'甲；乙' in Chinese, 'A; B' in English."""
    return pgettext("clause separator", "；").join(str(i) for i in items)


def join_phrases(items: Iterable[object]) -> str:
    """'甲，乙' in Chinese, 'A, B' in English."""
    return gettext("，").join(str(i) for i in items)
