"""Importing enterprises and grants from .xlsx or .csv, all or nothing.

`*_plan` reads and checks a file without writing (the page's preview);
`*_import` writes a clean plan in one transaction or raises TableError with
one message per problem (row, column, what is wrong) and writes nothing.

Enterprises (key: credit code; an existing code is updated):
    credit_code (统一社会信用代码), name (单位名称), region_code (地区代码),
    industry (行业门类, optional: letter A-T or its Chinese name), note (备注, optional)

Grants (key: award type, enterprise, name, year granted; an existing key is updated):
    award_type (奖项类型: code or Chinese name), credit_code (统一社会信用代码),
    name (产品或品牌名称), year_granted (获得年度), valid_until (有效期至, optional:
    defaults to the type's validity), certificate_no (证书编号, optional), note (备注, optional)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import policy
from accounts.policy import Action
from awards.credit_code import credit_code_errors
from awards.models import AwardType, Enterprise, Grant
from awards.services import (
    Scope,
    enqueue_recompute,
    enterprise_create,
    grant_create,
    grant_scope,
    grant_update,
)
from indicators.models import YEAR_MAX, YEAR_MIN, Region
from indicators.tabular import Column, RowError, TableError, column_label, read_table

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ENTERPRISE_COLUMNS = [
    Column("credit_code", "统一社会信用代码"),
    Column("name", "单位名称"),
    Column("region_code", "地区代码"),
    Column("industry", "行业门类", required=False),
    Column("note", "备注", required=False),
]
GRANT_COLUMNS = [
    Column("award_type", "奖项类型"),
    Column("credit_code", "统一社会信用代码"),
    Column("name", "产品或品牌名称"),
    Column("year_granted", "获得年度"),
    Column("valid_until", "有效期至", required=False),
    Column("certificate_no", "证书编号", required=False),
    Column("note", "备注", required=False),
]


@dataclass
class ImportPlan:
    """What an import would do: the parsed rows, how many are new, and every problem."""

    kind: str
    rows: list[dict] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    def __str__(self) -> str:
        return _("新增 %(created)s，更新 %(updated)s") % {"created": self.created, "updated": self.updated}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _year(value) -> int | None:
    """An integer year from '2015', 2015 or 2015.0; None when not an integer."""
    text = _text(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def _industry(value: str) -> str | None:
    if not value:
        return ""
    if value.upper() in Enterprise.Industry.values:
        return value.upper()
    # The Chinese name of a category is accepted whatever the page's language (and the active one too).
    with translation.override(settings.LANGUAGE_CODE):
        chinese = {str(label): code for code, label in Enterprise.Industry.choices}
    if value in chinese:
        return chinese[value]
    for code, label in Enterprise.Industry.choices:
        if value == str(label):
            return code
    return None


def _may_register(user: User | None, region: Region) -> bool:
    return user is None or policy.can(user, Action.REGISTER_AWARDS, region)


def enterprises_plan(*, user: User | None, data: bytes, filename: str) -> ImportPlan:
    """Parse and check an enterprise file; raises TableError for file-level problems."""
    cols = ENTERPRISE_COLUMNS
    rows = read_table(data, filename, cols)
    plan = ImportPlan(kind="enterprises")
    regions = {r.code: r for r in Region.objects.filter(code__in={_text(r.get("region_code")) for r in rows})}
    codes = {_text(r.get("credit_code")) for r in rows}
    existing = {
        e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=codes).select_related("region")
    }
    seen: dict[str, int] = {}

    for raw in rows:
        n = raw["_row"]

        def err(column: str, message: str, n: int = n) -> None:
            plan.errors.append(RowError(n, column_label(cols, column), message))

        code = _text(raw.get("credit_code"))
        name = _text(raw.get("name"))
        region_code = _text(raw.get("region_code"))
        bad = len(plan.errors)
        for _rule, message in credit_code_errors(code):
            err("credit_code", message)
        if code in seen:
            err("credit_code", _("与第 %(row)s 行重复") % {"row": seen[code]})
        seen.setdefault(code, n)
        if not name:
            err("name", _("不能为空"))
        elif len(name) > 200:
            err("name", _("超过 200 字"))
        region = regions.get(region_code)
        if region is None:
            err("region_code", _("地区代码“%(code)s”不存在") % {"code": region_code})
        elif not _may_register(user, region):
            err("region_code", _("无权在“%(region)s”登记企业") % {"region": region.name})
        industry = _industry(_text(raw.get("industry")))
        if industry is None:
            err(
                "industry",
                _("行业门类“%(industry)s”无效，请填 A–T 或门类名称")
                % {"industry": _text(raw.get("industry"))},
            )
        current = existing.get(code)
        if current is not None and not _may_register(user, current.region):
            err("credit_code", _("该企业已登记在“%(region)s”，无权修改") % {"region": current.region.name})
        if len(plan.errors) > bad:
            continue
        plan.rows.append(
            {
                "row": n,
                "credit_code": code,
                "name": name,
                "region": region,
                "industry": industry,
                "note": _text(raw.get("note"))[:200],
                "existing": current,
            }
        )
        if current is None:
            plan.created += 1
        else:
            plan.updated += 1
    return plan


@transaction.atomic
def enterprises_import(*, user: User | None, data: bytes, filename: str) -> ImportPlan:
    """Import an enterprise file all or nothing (raises TableError listing every bad row)."""
    plan = enterprises_plan(user=user, data=data, filename=filename)
    if plan.errors:
        raise TableError(plan.errors)
    moved = Scope()
    for row in plan.rows:
        current: Enterprise | None = row["existing"]
        if current is None:
            enterprise_create(
                user=None,
                name=row["name"],
                credit_code=row["credit_code"],
                region=row["region"],
                industry=row["industry"],
                note=row["note"],
            )
            continue
        moving = current.region_id != row["region"].pk
        grants = list(current.grants.all()) if moving else []
        for grant in grants:  # figures of the old region ...
            moved = moved | grant_scope(grant)
        current.name, current.region, current.industry = row["name"], row["region"], row["industry"]
        current.note = row["note"] or current.note
        current.full_clean()
        current.save()
        for grant in grants:  # ... and of the new one
            moved = moved | grant_scope(grant)
    enqueue_recompute(moved)
    return plan


def grants_plan(*, user: User | None, data: bytes, filename: str) -> ImportPlan:
    """Parse and check a grant file; raises TableError for file-level problems."""
    cols = GRANT_COLUMNS
    rows = read_table(data, filename, cols)
    plan = ImportPlan(kind="grants")
    types: dict[str, AwardType] = {}
    for t in AwardType.objects.all():
        types[t.code.upper()] = t
        types[t.name] = t
    enterprises = {
        e.credit_code: e
        for e in Enterprise.objects.filter(
            credit_code__in={_text(r.get("credit_code")) for r in rows}
        ).select_related("region")
    }
    seen: dict[tuple, int] = {}

    for raw in rows:
        n = raw["_row"]

        def err(column: str, message: str, n: int = n) -> None:
            plan.errors.append(RowError(n, column_label(cols, column), message))

        bad = len(plan.errors)
        type_text = _text(raw.get("award_type"))
        award_type = types.get(type_text) or types.get(type_text.upper())
        if award_type is None:
            err("award_type", _("奖项类型“%(type)s”不在目录中") % {"type": type_text})
        code = _text(raw.get("credit_code"))
        enterprise = enterprises.get(code)
        problems = credit_code_errors(code)
        if problems:
            for _rule, message in problems:
                err("credit_code", message)
        elif enterprise is None:
            err("credit_code", _("统一社会信用代码 %(code)s 未登记，请先导入企业") % {"code": code})
        elif not _may_register(user, enterprise.region):
            err("credit_code", _("无权为“%(region)s”的企业登记") % {"region": enterprise.region.name})
        name = _text(raw.get("name"))
        if not name:
            err("name", _("不能为空"))
        elif len(name) > 200:
            err("name", _("超过 200 字"))
        year = _year(raw.get("year_granted"))
        if year is None:
            err("year_granted", _("“%(raw)s”不是整数年份") % {"raw": _text(raw.get("year_granted"))})
        elif not (YEAR_MIN <= year <= YEAR_MAX):
            err(
                "year_granted",
                _("年度 %(year)s 须在 %(min)s–%(max)s 之间")
                % {"year": year, "min": YEAR_MIN, "max": YEAR_MAX},
            )
        valid_until = None
        if _text(raw.get("valid_until")):
            valid_until = _year(raw.get("valid_until"))
            if valid_until is None:
                err("valid_until", _("“%(raw)s”不是整数年份") % {"raw": _text(raw.get("valid_until"))})
            elif year is not None and valid_until < year:
                err(
                    "valid_until",
                    _("有效期至 %(until)s 年早于获得年度 %(year)s 年") % {"until": valid_until, "year": year},
                )
        key = (award_type.pk if award_type else None, code, name, year)
        if key in seen and None not in key:
            err("name", _("与第 %(row)s 行重复（同一奖项类型、企业、名称和年度）") % {"row": seen[key]})
        seen.setdefault(key, n)
        if len(plan.errors) > bad:
            continue
        current = Grant.objects.filter(
            award_type=award_type, enterprise=enterprise, name=name, year_granted=year
        ).first()
        plan.rows.append(
            {
                "row": n,
                "award_type": award_type,
                "enterprise": enterprise,
                "name": name,
                "year_granted": year,
                "valid_until": valid_until,
                "certificate_no": _text(raw.get("certificate_no"))[:100],
                "note": _text(raw.get("note"))[:200],
                "existing": current,
            }
        )
        if current is None:
            plan.created += 1
        else:
            plan.updated += 1
    return plan


@transaction.atomic
def grants_import(*, user: User | None, data: bytes, filename: str) -> ImportPlan:
    """Import a grant file all or nothing; one recompute covers every row."""
    plan = grants_plan(user=user, data=data, filename=filename)
    if plan.errors:
        raise TableError(plan.errors)
    scope = Scope()
    for row in plan.rows:
        fields = {k: row[k] for k in ("valid_until", "certificate_no", "note")}
        if row["existing"] is None:
            grant = grant_create(
                user=None,
                award_type=row["award_type"],
                enterprise=row["enterprise"],
                name=row["name"],
                year_granted=row["year_granted"],
                recompute=False,
                **fields,
            )
            grant.created_by = user if getattr(user, "is_authenticated", False) else None
            grant.save(update_fields=["created_by"])
        else:
            grant = row["existing"]
            grant_update(user=None, grant=grant, recompute=False, **fields)
        scope = scope | grant_scope(grant)
    enqueue_recompute(scope)
    return plan
