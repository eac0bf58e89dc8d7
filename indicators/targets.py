"""Plans and targets: milestone generation, target import, grid edits, the at-risk list.

Writes (services) are keyword-only `<entity>_<action>` functions; the two reads
(`best_actuals`, `at_risk_targets`) sit here too because only planning uses them.

Milestones (DESIGN §2 "Plan and Target"): for every horizon target of a plan (a
target in the plan's end year that is not itself a milestone) the years between
the base year and the horizon get a stored target, linearly interpolated from the
base-year actual (`scoring.interpolate_milestones`). Without a base-year actual the
horizon value applies to every year. Generated rows are ordinary targets with
`is_milestone=True`: they stay editable, and a second generation never overwrites
them unless asked to (`replace=True`), and never touches a target entered by hand
or belonging to another plan.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pandas as pd
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history

from accounts import policy
from accounts.policy import Action
from assessments.freeze import ensure_none_frozen, ensure_not_frozen
from indicators import scoring
from indicators.models import Figure, Indicator, Plan, Region, Target
from indicators.tabular import Column, RowError, TableError, column_label, read_table

MILESTONE_NOTE = "按基期实际值线性插值生成"
MILESTONE_NOTE_NO_BASE = "基期无实际值，沿用目标年目标值"


# --------------------------------------------------------------------------- actuals


def _subtree_filter(regions: Iterable[Region]) -> Q:
    """Q matching the union of the regions' subtrees (nested ones collapse)."""
    paths = sorted({r.path for r in regions})
    roots: list[str] = []
    for path in paths:
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    q = Q(pk__in=[])
    for root in roots:
        q |= Q(path__startswith=root)
    return q


def best_actuals(
    *, regions: Iterable[Region], indicator_codes: Iterable[str], years: Iterable[int]
) -> dict[tuple[str, str, int], Decimal]:
    """The best known actual of each (region, indicator, year), with the engine's roll-up.

    "Best known" is the figure's effective value (approved value once approved, the
    reported one before) of every figure that was sent in; drafts do not count.
    A `sum` indicator without an own figure takes its children's sum, exactly as
    scoring does, because the engine computes it (each key is scored against a
    dummy target and its `actual` column read back).
    """
    regions = list(regions)
    codes = sorted(set(indicator_codes))
    years = sorted(set(years))
    if not regions or not codes or not years:
        return {}
    tree = Region.objects.filter(_subtree_filter(regions))
    region_frame = pd.DataFrame(
        list(tree.values_list("code", "parent__code")), columns=["region_code", "parent_code"]
    )
    figures = pd.DataFrame(
        list(
            Figure.objects.filter(
                region__in=tree,
                indicator__code__in=codes,
                year__in=years,
                status__in=[Figure.Status.SUBMITTED, Figure.Status.APPROVED, Figure.Status.RETURNED],
            ).values_list("region__code", "indicator__code", "year", "value")
        ),
        columns=["region_code", "indicator_code", "year", "value"],
    )
    dummy = pd.DataFrame(
        [(r.code, c, y, ">=", 1, 1) for r in regions for c in codes for y in years],
        columns=["region_code", "indicator_code", "year", "comparator", "target", "weight"],
    )
    indicators = pd.DataFrame(
        list(Indicator.objects.values_list("code", "aggregation")), columns=["indicator_code", "aggregation"]
    )
    result = scoring.score(figures, dummy, None, region_frame, indicators=indicators)
    out: dict[tuple[str, str, int], Decimal] = {}
    for row in result.targets.itertuples(index=False):
        if not math.isnan(row.actual):
            out[(row.region_code, row.indicator_code, int(row.year))] = Decimal(repr(row.actual))
    return out


# --------------------------------------------------------------------------- milestones


@dataclass
class MilestoneResult:
    created: int = 0
    updated: int = 0
    kept: int = 0
    conflicts: list[str] = field(default_factory=list)
    without_base: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = _("新增 %(created)s，更新 %(updated)s，保留 %(kept)s") % {
            "created": self.created,
            "updated": self.updated,
            "kept": self.kept,
        }
        if self.without_base:
            n = len(self.without_base)
            text += ngettext(
                "，%(n)s 项无基期实际值（各年沿用目标年目标值）",
                "，%(n)s 项无基期实际值（各年沿用目标年目标值）",
                n,
            ) % {"n": n}
        if self.conflicts:
            n = len(self.conflicts)
            text += ngettext("，%(n)s 项已有其他目标未覆盖", "，%(n)s 项已有其他目标未覆盖", n) % {"n": n}
        return text


def horizon_targets(plan: Plan):
    return plan.targets.filter(year=plan.end_year, is_milestone=False).select_related("region", "indicator")


@transaction.atomic
def plan_generate_milestones(*, plan: Plan, replace: bool = False) -> MilestoneResult:
    """Store the plan's interpolated milestone targets (see the module docstring).

    `replace=True` recomputes existing milestone rows of this plan (discarding
    edits to them); hand-entered targets and other plans' targets are never changed.
    """
    result = MilestoneResult()
    horizons = list(horizon_targets(plan))
    first_year = max(plan.start_year, plan.base_year + 1)
    years = list(range(first_year, plan.end_year))
    if not horizons or not years:
        return result
    base = best_actuals(
        regions={h.region for h in horizons},
        indicator_codes={h.indicator.code for h in horizons},
        years=[plan.base_year],
    )
    existing = {
        (t.region_id, t.indicator_id, t.year): t
        for t in Target.objects.filter(
            region__in={h.region_id for h in horizons},
            indicator__in={h.indicator_id for h in horizons},
            year__in=years,
        ).select_related("plan")
    }
    new: list[Target] = []
    for h in horizons:
        base_value = base.get((h.region.code, h.indicator.code, plan.base_year))
        if base_value is None:
            result.without_base.append(f"{h.region.name} {h.indicator.name_zh}")
        values = scoring.interpolate_milestones(plan.base_year, base_value, plan.end_year, h.value)
        note = MILESTONE_NOTE if base_value is not None else MILESTONE_NOTE_NO_BASE
        for year in years:
            value = values[year]
            current = existing.get((h.region_id, h.indicator_id, year))
            if current is None:
                new.append(
                    Target(
                        plan=plan,
                        region=h.region,
                        indicator=h.indicator,
                        year=year,
                        comparator=h.comparator,
                        value=value,
                        weight=h.weight,
                        rule=h.rule,
                        rule_param=h.rule_param,
                        veto=h.veto,
                        is_milestone=True,
                        note=note,
                    )
                )
            elif current.plan_id != plan.pk or not current.is_milestone:
                owner = current.plan.name if current.plan else _("未归属规划")
                result.conflicts.append(f"{h.region.name} {h.indicator.name} {year}（{owner}）")
            elif replace and (current.value, current.comparator, current.weight, current.rule) != (
                value,
                h.comparator,
                h.weight,
                h.rule,
            ):
                current.value, current.comparator, current.weight = value, h.comparator, h.weight
                current.rule, current.rule_param, current.veto = h.rule, h.rule_param, h.veto
                current.note = note
                current._change_reason = "重新生成年度分解目标"
                ensure_not_frozen(
                    region_id=current.region_id, year=year, what=f"重新生成分解目标 {plan.name}"
                )
                current.save()
                result.updated += 1
            else:
                result.kept += 1
    ensure_none_frozen(pairs={(t.region.pk, t.year) for t in new}, what=f"生成分解目标 {plan.name}")
    bulk_create_with_history(new, Target, batch_size=1000, default_change_reason="生成年度分解目标")
    result.created = len(new)
    return result


# --------------------------------------------------------------------------- import

TARGET_COLUMNS = [
    Column("region_code", "地区代码"),
    Column("indicator_code", "指标代码"),
    Column("year", "年度"),
    Column("comparator", "比较符"),
    Column("target", "目标值"),
    Column("weight", "权重"),
    Column("rule", "计分规则", required=False),
    Column("rule_param", "扣分系数", required=False),
    Column("veto", "一票否决", required=False),
]
_COMPARATORS = {">=": ">=", "≥": ">=", "<=": "<=", "≤": "<="}
_RULES = {
    "ratio": "ratio",
    "按完成比例": "ratio",
    "threshold": "threshold",
    "达标得分": "threshold",
    "deduct": "deduct",
    "按差距扣分": "deduct",
}
_VETO = {"1": True, "0": False, "是": True, "否": False, "true": True, "false": False, "": False}


class TargetImportError(Exception):
    """The file was rejected; nothing was written. `errors` has one entry per problem."""

    def __init__(self, errors: list[RowError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class TargetImportResult:
    plan: Plan
    plan_created: bool
    created: int
    updated: int

    def __str__(self) -> str:
        made = _("（新建规划）") if self.plan_created else ""
        return _("规划“%(plan)s”%(made)s：新增目标 %(created)s 条，更新 %(updated)s 条") % {
            "plan": self.plan.name,
            "made": made,
            "created": self.created,
            "updated": self.updated,
        }


def _decimal(raw: object, *, places: int, max_digits: int, year: bool = False) -> Decimal:
    """A Decimal from a CSV string or an xlsx number; ValueError with a message in the active
    language (one about a year when `year`)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError(_("不能为空"))
    not_number = _("“%(raw)s”不是年份") if year else _("“%(raw)s”不是数字")
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal, str)):
        raise ValueError(not_number % {"raw": raw})
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(not_number % {"raw": raw}) from exc
    if not value.is_finite():
        raise ValueError((_("“%(raw)s”不是有限年份") if year else _("“%(raw)s”不是有限数字")) % {"raw": raw})
    if value.as_tuple().exponent < -places:  # type: ignore[operator]
        value_q = value.quantize(Decimal(1).scaleb(-places))
        if value_q != value:
            raise ValueError(_("“%(raw)s”小数位数超过 %(places)s 位") % {"raw": raw, "places": places})
        value = value_q
    if abs(value) >= Decimal(10) ** (max_digits - places):
        raise ValueError(_("“%(raw)s”超出可存储范围") % {"raw": raw})
    return value


def _year(raw: object) -> int:
    value = _decimal(raw, places=4, max_digits=10, year=True)
    if value != value.to_integral_value():
        raise ValueError(_("“%(raw)s”不是整数年份") % {"raw": raw})
    return int(value)


def _common_ancestor(regions: list[Region]) -> Region:
    parts = [r.path.strip("/").split("/") for r in regions]
    common = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return Region.objects.get(code=common[-1]) if common else regions[0]


def _validate_rows(rows: list[dict], plan: Plan | None, user: AbstractBaseUser | None) -> tuple[list, list]:
    regions = {
        r.code: r for r in Region.objects.filter(code__in={str(r.get("region_code") or "") for r in rows})
    }
    indicators = {i.code: i for i in Indicator.objects.all()}
    errors: list[RowError] = []
    clean: list[dict] = []
    first_seen: dict[tuple[str, str, int], int] = {}

    def err(row: int, column: str, message: str) -> None:
        errors.append(RowError(row, column_label(TARGET_COLUMNS, column), message))

    for raw in rows:
        n = raw["_row"]
        before = len(errors)
        code = str(raw.get("region_code") or "").strip()
        region = regions.get(code)
        if region is None:
            err(n, "region_code", _("未知地区代码“%(code)s”") % {"code": code} if code else _("不能为空"))
        elif plan is not None and not region.is_within(plan.region):
            err(
                n,
                "region_code",
                _("%(region)s不在规划“%(plan)s”所属的%(plan_region)s范围内")
                % {"region": region.name, "plan": plan.name, "plan_region": plan.region.name},
            )
        elif user is not None and not policy.can(user, Action.MANAGE, region):
            err(n, "region_code", _("无权为%(region)s设定目标") % {"region": region.name})
        ind_code = str(raw.get("indicator_code") or "").strip()
        indicator = indicators.get(ind_code)
        if indicator is None:
            err(
                n,
                "indicator_code",
                _("未知指标代码“%(code)s”") % {"code": ind_code} if ind_code else _("不能为空"),
            )
        year = None
        try:
            year = _year(raw.get("year"))
        except ValueError as exc:
            err(n, "year", str(exc))
        else:
            lo, hi = (
                (plan.start_year, plan.end_year) if plan else (settings.QC_YEAR_MIN, settings.QC_YEAR_MAX)
            )
            if not lo <= year <= hi:
                where = _("规划“%(plan)s”的年度范围") % {"plan": plan.name} if plan else _("允许范围")
                err(
                    n,
                    "year",
                    _("年度 %(year)s 超出%(where)s %(lo)s–%(hi)s")
                    % {"year": year, "where": where, "lo": lo, "hi": hi},
                )
                year = None
        comparator = _COMPARATORS.get(str(raw.get("comparator") or "").strip())
        if comparator is None:
            err(
                n,
                "comparator",
                _("比较符“%(comparator)s”无效，应为 >= 或 <=") % {"comparator": raw.get("comparator") or ""},
            )
        value = None
        try:
            value = _decimal(raw.get("target"), places=4, max_digits=18)
        except ValueError as exc:
            err(n, "target", str(exc))
        if value is not None and indicator is not None:
            if indicator.min_value is not None and value < indicator.min_value:
                err(
                    n,
                    "target",
                    _("目标值 %(value)s 小于指标下限 %(limit)s")
                    % {"value": value, "limit": f"{indicator.min_value.normalize():f}"},
                )
            if indicator.max_value is not None and value > indicator.max_value:
                err(
                    n,
                    "target",
                    _("目标值 %(value)s 大于指标上限 %(limit)s")
                    % {"value": value, "limit": f"{indicator.max_value.normalize():f}"},
                )
        weight = None
        try:
            weight = _decimal(raw.get("weight"), places=4, max_digits=8)
            if weight < 0:
                err(n, "weight", _("权重不能为负数"))
        except ValueError as exc:
            err(n, "weight", str(exc))
        rule_raw = str(raw.get("rule") or "").strip()
        rule = _RULES.get(rule_raw.lower()) if rule_raw else "ratio"
        if rule is None:
            err(n, "rule", _("计分规则“%(rule)s”无效，应为 ratio、threshold 或 deduct") % {"rule": rule_raw})
        rule_param = None
        if raw.get("rule_param") not in (None, ""):
            try:
                rule_param = _decimal(raw.get("rule_param"), places=4, max_digits=10)
                if rule_param < 0:
                    err(n, "rule_param", _("扣分系数不能为负数"))
            except ValueError as exc:
                err(n, "rule_param", str(exc))
        veto_raw = raw.get("veto")
        veto_text = str(
            int(veto_raw) if isinstance(veto_raw, (int, float)) and veto_raw in (0, 1) else veto_raw or ""
        )
        veto = _VETO.get(veto_text.strip().lower())
        if veto is None:
            err(n, "veto", _("“%(raw)s”无效，应为 1 或 0") % {"raw": veto_raw})
        if region is not None and indicator is not None and year is not None:
            key = (region.code, indicator.code, year)
            if key in first_seen:
                err(n, "year", _("与第 %(row)s 行重复（同一地区、指标、年度）") % {"row": first_seen[key]})
            else:
                first_seen[key] = n
        if len(errors) == before:
            clean.append(
                {
                    "row": n,
                    "region": region,
                    "indicator": indicator,
                    "year": year,
                    "comparator": comparator,
                    "value": value,
                    "weight": weight,
                    "rule": rule,
                    "rule_param": rule_param,
                    "veto": veto,
                }
            )
    return clean, errors


def targets_import(
    *, data: bytes, filename: str, plan_name: str, user: AbstractBaseUser | None = None
) -> TargetImportResult:
    """Import targets from CSV/xlsx into the plan `plan_name` — all or nothing.

    Steps: read the table (tabular.read_table checks the file itself); validate
    every row (unknown codes, non-numbers, values outside the indicator's range,
    bad comparator / rule / veto, duplicate keys, years outside the plan, regions
    outside the plan's region or the user's rights, and keys already owned by a
    target of another plan); if any row is bad raise TargetImportError with one
    message per problem and write nothing. Otherwise, in one transaction, create
    the plan if needed (region = the rows' lowest common ancestor, years = the
    rows' span, base year = the year before) and create or update its targets.
    """
    plan_name = (plan_name or "").strip()
    if not plan_name:
        raise TargetImportError([RowError(0, "", _("须指定规划名称（--plan）"))])
    if len(plan_name) > 100:
        raise TargetImportError([RowError(0, "", _("规划名称不能超过 100 个字符"))])
    try:
        rows = read_table(data, filename, TARGET_COLUMNS)
    except TableError as exc:
        raise TargetImportError(exc.errors) from exc
    if not rows:
        raise TargetImportError([RowError(0, "", _("文件没有数据行"))])
    plan = Plan.objects.filter(name=plan_name).select_related("region").first()
    clean, errors = _validate_rows(rows, plan, user)
    if not errors:
        existing = {
            (t.region_id, t.indicator_id, t.year): t
            for t in Target.objects.filter(
                region__in={c["region"].pk for c in clean},
                indicator__in={c["indicator"].pk for c in clean},
                year__in={c["year"] for c in clean},
            ).select_related("plan")
        }
        for c in clean:
            current = existing.get((c["region"].pk, c["indicator"].pk, c["year"]))
            if current is not None and (plan is None or current.plan_id != plan.pk):
                owner = (
                    _("规划“%(plan)s”") % {"plan": current.plan.name}
                    if current.plan
                    else _("未归属任何规划的目标")
                )
                errors.append(
                    RowError(
                        c["row"],
                        column_label(TARGET_COLUMNS, "year"),
                        _("%(region)s %(indicator)s %(year)s 已有目标，属于%(owner)s")
                        % {
                            "region": c["region"].name,
                            "indicator": c["indicator"].code,
                            "year": c["year"],
                            "owner": owner,
                        },
                    )
                )
    if errors:
        raise TargetImportError(sorted(errors, key=lambda e: e.row))
    # A file touching a published year is refused whole (imports are all or nothing).
    ensure_none_frozen(
        pairs={(c["region"].pk, c["year"]) for c in clean}, what=f"导入目标文件 {filename}", user=user
    )

    with transaction.atomic():
        plan_created = False
        if plan is None:
            years = [c["year"] for c in clean]
            plan = Plan.objects.create(
                name=plan_name,
                region=_common_ancestor([c["region"] for c in clean]),
                base_year=min(years) - 1,
                start_year=min(years),
                end_year=max(years),
                description="由目标导入文件创建",
            )
            plan_created = True
        created: list[Target] = []
        updated = 0
        for c in clean:
            current = existing.get((c["region"].pk, c["indicator"].pk, c["year"]))
            fields = {
                "comparator": c["comparator"],
                "value": c["value"],
                "weight": c["weight"],
                "rule": c["rule"],
                "rule_param": c["rule_param"],
                "veto": c["veto"],
            }
            if current is None:
                created.append(
                    Target(plan=plan, region=c["region"], indicator=c["indicator"], year=c["year"], **fields)
                )
            elif any(getattr(current, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(current, k, v)
                current.is_milestone = False  # an imported value is set by hand
                current._change_reason = f"导入文件 {filename}"
                current.save()
                updated += 1
        bulk_create_with_history(
            created, Target, batch_size=1000, default_change_reason=f"导入文件 {filename}"
        )
    return TargetImportResult(plan=plan, plan_created=plan_created, created=len(created), updated=updated)


# --------------------------------------------------------------------------- grid edits


@dataclass
class GridChange:
    indicator: Indicator
    year: int
    value: Decimal | None  # None: delete the target


@transaction.atomic
def targets_grid_save(
    *,
    region: Region,
    changes: list[GridChange],
    plan: Plan | None = None,
    user: AbstractBaseUser | None = None,
) -> dict[str, int]:
    """Apply the target grid's edited cells for one region.

    An existing target takes the new value (an edited milestone stays a milestone
    and keeps its place in the plan); a blank cell deletes its target; a new cell
    creates a target with the indicator's default comparator, the weight and rule
    of the region's other targets of that indicator (else weight 1, rule ratio), in
    `plan` when given.
    """
    ensure_none_frozen(
        pairs={(region.pk, c.year) for c in changes}, what=f"修改目标表格 {region.name}", user=user
    )
    existing = {
        (t.indicator_id, t.year): t
        for t in Target.objects.filter(region=region, indicator__in={c.indicator.pk for c in changes})
    }
    counts = {"created": 0, "updated": 0, "deleted": 0}
    for change in changes:
        current = existing.get((change.indicator.pk, change.year))
        if current is not None and change.value is None:
            current.delete()
            counts["deleted"] += 1
        elif current is not None:
            if current.value != change.value:
                current.value = change.value
                current._change_reason = "目标表格修改"
                current.save()
                counts["updated"] += 1
        elif change.value is not None:
            sibling = next(
                (
                    t
                    for (ind, _), t in sorted(existing.items(), key=lambda kv: kv[0][1])
                    if ind == change.indicator.pk
                ),
                None,
            )
            target = Target(
                plan=plan or (sibling.plan if sibling else None),
                region=region,
                indicator=change.indicator,
                year=change.year,
                comparator=sibling.comparator if sibling else change.indicator.default_comparator,
                value=change.value,
                weight=sibling.weight if sibling else Decimal("1"),
                rule=sibling.rule if sibling else Target.Rule.RATIO,
                rule_param=sibling.rule_param if sibling else None,
                veto=sibling.veto if sibling else False,
            )
            target._change_reason = "目标表格新增"
            target.save()
            existing[(change.indicator.pk, change.year)] = target
            counts["created"] += 1
    return counts


# --------------------------------------------------------------------------- at risk


@dataclass
class RiskRow:
    target: Target
    plan: Plan
    years: list[int]
    values: list[Decimal]
    projected: Decimal | None
    at_risk: bool
    gap: Decimal | None  # how far the projection falls on the wrong side of the target

    @property
    def pairs(self) -> list[tuple[int, Decimal]]:
        return list(zip(self.years, self.values, strict=True))

    @property
    def status(self) -> str:
        if self.projected is None:
            return "insufficient"
        return "at_risk" if self.at_risk else "on_track"


def at_risk_targets(*, region: Region, as_of: int | None = None) -> list[RiskRow]:
    """Every horizon target in `region`'s subtree with its least-squares projection.

    For each plan's horizon target, the actuals of the years from the plan's base
    year up to the horizon (or `as_of`, if earlier) are fitted with a line and the
    line is read at the horizon year (`scoring.project_linear`). A target is at
    risk when the projection misses it (below a `>=` target, above a `<=` one).
    Fewer than two years of actuals give no projection. At-risk rows come first,
    the largest relative gap first.
    """
    horizons = list(
        Target.objects.filter(
            region__path__startswith=region.path,
            plan__isnull=False,
            is_milestone=False,
            year=F("plan__end_year"),
        ).select_related("region", "indicator", "plan")
    )
    if not horizons:
        return []
    first = min(t.plan.base_year for t in horizons)
    last = max(t.year for t in horizons)
    actuals = best_actuals(
        regions={t.region for t in horizons},
        indicator_codes={t.indicator.code for t in horizons},
        years=range(first, last + 1),
    )
    rows = []
    for t in horizons:
        end = min(t.year, as_of) if as_of else t.year
        years, values = [], []
        for year in range(t.plan.base_year, end + 1):
            value = actuals.get((t.region.code, t.indicator.code, year))
            if value is not None:
                years.append(year)
                values.append(value)
        projected_f = scoring.project_linear(years, values, t.year)
        projected = (
            Decimal(repr(projected_f)).quantize(Decimal("0.0001")) if projected_f is not None else None
        )
        at_risk, gap = False, None
        if projected is not None:
            gap = (t.value - projected) if t.comparator == ">=" else (projected - t.value)
            at_risk = gap > 0
        rows.append(
            RiskRow(
                target=t,
                plan=t.plan,
                years=years,
                values=values,
                projected=projected,
                at_risk=at_risk,
                gap=gap,
            )
        )

    def order(row: RiskRow):
        relative = (
            (row.gap / abs(row.target.value)) if row.gap is not None and row.target.value else row.gap or 0
        )
        return (
            not row.at_risk,
            row.projected is None,
            -relative,
            row.target.region.code,
            row.target.indicator.sort_order,
        )

    return sorted(rows, key=order)
