"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: position 1 registration authority (登记管理部门码), 2 category
(机构类别码), 3-8 the registering authority's administrative division code
(登记管理机关行政区划码, six digits), 9-17 the organisation code (主体标识码),
18 the check character (校验码).

Characters come from a 31-character set: the digits and the capital letters
without I, O, S, V and Z (easily confused with 1, 0, 5, U and 2). Each
character stands for its index in that set. Position i (1-based) of the first
17 carries weight 3^(i-1) mod 31; the check character is the one whose index is
31 - (weighted sum mod 31), where 31 means 0.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from quality_city.i18n import join_list

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
FORBIDDEN_LETTERS = frozenset("IOSVZ")
LENGTH = 18
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, ...
_INDEX = {c: i for i, c in enumerate(CHARSET)}


def check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters (which must be valid)."""
    if len(first17) != LENGTH - 1 or any(c not in _INDEX for c in first17):
        raise ValueError("需要 17 位合法字符")
    total = sum(_INDEX[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def make_credit_code(first17: str) -> str:
    """Append the check character: used by the demo data and tests."""
    return first17 + check_character(first17)


def credit_code_errors(code: str) -> list[tuple[str, str]]:
    """(rule, message in the active language) for every rule the code breaks; empty when valid.

    Rules are checked in order and later ones only once the earlier hold:
    `length`, `charset` (lowercase, forbidden letters I/O/S/V/Z, other
    characters), `division` (positions 3-8 are digits), `check` (position 18).
    """
    if code is None:
        code = ""
    if len(code) != LENGTH:
        return [
            (
                "length",
                _("统一社会信用代码须为 %(length)s 位，当前为 %(actual)s 位")
                % {"length": LENGTH, "actual": len(code)},
            )
        ]
    errors: list[tuple[str, str]] = []
    lower = sorted({c for c in code if c.isascii() and c.islower()})
    if lower:
        errors.append(
            (
                "charset",
                _("统一社会信用代码须使用大写字母，不能含小写字母 %(chars)s") % {"chars": join_list(lower)},
            )
        )
    forbidden = sorted({c for c in code if c in FORBIDDEN_LETTERS})
    if forbidden:
        errors.append(
            (
                "charset",
                _("统一社会信用代码不使用字母 I、O、S、V、Z，当前含 %(chars)s")
                % {"chars": join_list(forbidden)},
            )
        )
    other = sorted({c for c in code if c not in _INDEX and c not in FORBIDDEN_LETTERS and c not in lower})
    if other:
        errors.append(
            (
                "charset",
                _("统一社会信用代码只能由数字和大写字母组成，不能含 %(chars)s") % {"chars": join_list(other)},
            )
        )
    if errors:
        return errors
    if not code[2:8].isdigit():
        return [
            (
                "division",
                _("第 3–8 位（登记管理机关行政区划码）须为 6 位数字，当前为 %(value)s")
                % {"value": code[2:8]},
            )
        ]
    expected = check_character(code[:17])
    if code[17] != expected:
        return [
            (
                "check",
                _("第 18 位校验码错误：按 GB 32100 计算应为 %(expected)s，当前为 %(actual)s")
                % {"expected": expected, "actual": code[17]},
            )
        ]
    return []


def validate_credit_code(code: str) -> None:
    """Django validator: raise ValidationError naming each broken rule."""
    errors = credit_code_errors(code)
    if errors:
        raise ValidationError(
            [ValidationError(message, code=f"credit_code_{rule}") for rule, message in errors]
        )
