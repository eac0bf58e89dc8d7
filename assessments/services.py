"""Writes of the assessment cycle: creating an assessment, moving stages, findings, publishing.

The stages (models.Stage) run strictly in order, for the assessment as a
whole and for each covered county:

    目标备案 filing      county files its targets (`county_file_targets`), the city
                         accepts them (`county_accept_targets`) or sends them back;
    自评 self            county submits figures and self-scores the qualitative
                         items, then submits the self-assessment (`county_submit_self`);
    材料审核 review      reviewers check completeness: pass (`county_review_pass`) or
                         return what is missing (`county_review_return`, back to 自评);
    现场核查 verification the county's verification group records findings
                         (`finding_record`), adjusting values with reasons, then
                         closes the visit (`county_verification_done`);
    综合评定 final       the city computes both bases and signs off (`assessment_sign_off`);
    通报 published       `assessment_publish` snapshots the scores as version N and
                         freezes the data (assessments.freeze); an admin may reopen
                         with a reason (`assessment_reopen`) and publish version N+1.

The whole assessment moves on (`assessment_advance`) only when every county has
finished the current stage; it never skips or goes back, except the admin's
reopen. A county acts on a stage only once the city has opened it. Every move,
of the assessment or of a county, is a StageTransition row: who, when, from,
to, why, and whether it came after the stage's deadline (late).

All functions are keyword-only, run in one transaction, ask `accounts.policy`
before writing and raise AssessmentError (message in the active language) for
refusals the user can act on, PermissionDenied for refusals of who they are.
Texts stored in the database (transition reasons, default names and titles,
history reasons, the freeze guard's `what`) stay Chinese whatever the language.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts import policy
from accounts.policy import Action
from assessments.freeze import ensure_not_frozen
from assessments.models import (
    STAGE_ORDER,
    Assessment,
    AssessmentRegion,
    Finding,
    Publication,
    PublishedRegionScore,
    PublishedTargetScore,
    Stage,
    StageDeadline,
    StageTransition,
    VerificationGroup,
    stage_index,
)
from indicators.models import (
    Figure,
    Indicator,
    ItemScore,
    QualitativeItem,
    Region,
    RegionScore,
    ScoringScheme,
    Target,
    TargetScore,
)
from quality_city.i18n import join_clauses, join_list

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Actor = AbstractBaseUser | policy.SystemActor

# Stages the city opens with `assessment_advance`; 通报 only through publishing.
ADVANCEABLE = {Stage.FILING, Stage.SELF, Stage.REVIEW, Stage.VERIFICATION}
# Figure statuses that count as "sent in" for the self-assessment.
SENT_IN = (Figure.Status.SUBMITTED, Figure.Status.APPROVED)


class AssessmentError(Exception):
    """A refusal the user can act on; `message` is in the active language and shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StageError(AssessmentError):
    """An illegal stage move (skipping, going back, acting in the wrong stage)."""


# --- Helpers --------------------------------------------------------------------


def stage_label(stage: str) -> str:
    return str(Stage(stage).label)


def default_window(year: int) -> tuple[dt.date, dt.date]:
    """考核周期: 1 July of the assessment year to 30 June of the next."""
    return dt.date(year, 7, 1), dt.date(year + 1, 6, 30)


def _user_or_none(actor: Actor) -> AbstractBaseUser | None:
    return None if actor is policy.SYSTEM or getattr(actor, "pk", None) is None else actor  # type: ignore[return-value]


def _actor_name(actor: Actor) -> str:
    if actor is policy.SYSTEM:
        return "系统"
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return (full or actor.get_username())[:150]


def lateness(assessment: Assessment, stage: str, when: dt.datetime) -> tuple[bool, int]:
    """(late, days late) of something done at `when` in `stage`, by that stage's deadline."""
    deadline = next((d for d in assessment.deadlines.all() if d.stage == stage), None)
    if deadline is None:
        return False, 0
    days = (timezone.localtime(when).date() - deadline.due_date).days
    return days > 0, max(days, 0)


def _log(
    *,
    assessment: Assessment,
    actor: Actor,
    kind: str,
    from_stage: str,
    to_stage: str,
    region: Region | None = None,
    reason: str = "",
    late: tuple[bool, int] = (False, 0),
    at: dt.datetime | None = None,
) -> StageTransition:
    return StageTransition.objects.create(
        assessment=assessment,
        region=region,
        kind=kind,
        from_stage=from_stage,
        to_stage=to_stage,
        by=_user_or_none(actor),
        by_name=_actor_name(actor),
        at=at or timezone.now(),
        reason=reason,
        late=late[0],
        days_late=late[1],
    )


def _lock_assessment(assessment: Assessment) -> Assessment:
    return (
        Assessment.objects.select_for_update()
        .select_related("assessing_region", "scheme")
        .get(pk=assessment.pk)
    )


def _lock_row(row: AssessmentRegion) -> AssessmentRegion:
    return (
        # of=self: the group is an outer join, which PostgreSQL cannot lock.
        AssessmentRegion.objects.select_for_update(of=("self",))
        .select_related("assessment", "assessment__assessing_region", "assessment__scheme", "region", "group")
        .get(pk=row.pk)
    )


def _require_reason(reason: str, what: str) -> str:
    """`what` is the step as a verb phrase in the active language (pgettext "action")."""
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentError(_("%(what)s须填写原因") % {"what": what})
    return reason


def _county_step(row: AssessmentRegion, stage: str, what: str) -> None:
    """A county acts on `stage` only while it is in it and the city has opened it.

    `what` is the step as a verb phrase in the active language (pgettext "action").
    """
    assessment = row.assessment
    if assessment.stage == Stage.PUBLISHED:
        raise StageError(_("考核结果已发布，不能%(what)s") % {"what": what})
    if stage_index(assessment.stage) < stage_index(stage):
        raise StageError(
            _("考核尚未进入“%(stage)s”阶段，不能%(what)s") % {"stage": stage_label(stage), "what": what}
        )
    if row.stage != stage:
        raise StageError(
            _("%(region)s当前处于“%(current)s”阶段，不能%(what)s（须在“%(stage)s”阶段）")
            % {
                "region": row.region.name,
                "current": stage_label(row.stage),
                "what": what,
                "stage": stage_label(stage),
            }
        )


def _guard(row: AssessmentRegion, what: str, actor: Actor) -> None:
    ensure_not_frozen(
        region_id=row.region_id, year=row.assessment.year, what=f"{what}：{row.region.name}", user=actor
    )


# --- Creating and configuring ---------------------------------------------------


@transaction.atomic
def assessment_create(
    *,
    actor: Actor,
    assessing_region: Region,
    year: int,
    scheme: ScoringScheme | None = None,
    name: str = "",
    window_start: dt.date | None = None,
    window_end: dt.date | None = None,
    deadlines: Mapping[str, dt.date] | None = None,
    regions: Iterable[Region] | None = None,
) -> Assessment:
    """Create the assessment of the regions directly below `assessing_region` for `year`.

    `regions` narrows the covered regions (default: every child region); the
    window defaults to 1 July – 30 June; `deadlines` maps stages to last days,
    which must lie inside the window and not decrease from stage to stage.
    """
    policy.check(actor, Action.PUBLISH, assessing_region)
    if Assessment.objects.filter(assessing_region=assessing_region, year=year).exists():
        raise AssessmentError(
            _("%(region)s%(year)s年度考核已存在") % {"region": assessing_region.name, "year": year}
        )
    children = list(Region.objects.filter(parent=assessing_region).order_by("code"))
    if not children:
        raise AssessmentError(_("%(region)s没有下级地区，无法组织考核") % {"region": assessing_region.name})
    if regions is not None:
        chosen = list(regions)
        strays = [r.name for r in chosen if r.parent_id != assessing_region.pk]
        if strays:
            raise AssessmentError(
                _("只能考核%(region)s的直接下级地区：%(strays)s不是")
                % {"region": assessing_region.name, "strays": join_list(strays)}
            )
        children = sorted({r.pk: r for r in chosen}.values(), key=lambda r: r.code)
        if not children:
            raise AssessmentError(_("请至少选择一个被考核地区"))
    default_start, default_end = default_window(year)
    start, end = window_start or default_start, window_end or default_end
    if start >= end:
        raise AssessmentError(_("考核周期的开始日期须早于结束日期"))
    scheme = scheme or ScoringScheme.objects.filter(is_default=True).first()
    if scheme is None:
        raise AssessmentError(_("系统中没有默认评分方案，请先加载指标目录"))
    assessment = Assessment.objects.create(
        name=(name or "").strip() or f"{assessing_region.name}{year}年度质量工作考核",
        assessing_region=assessing_region,
        scheme=scheme,
        year=year,
        window_start=start,
        window_end=end,
        created_by=_user_or_none(actor),
    )
    _write_deadlines(assessment, deadlines or {})
    AssessmentRegion.objects.bulk_create(
        [AssessmentRegion(assessment=assessment, region=r) for r in children]
    )
    return assessment


def _write_deadlines(assessment: Assessment, deadlines: Mapping[str, dt.date | None]) -> None:
    cleaned: dict[str, dt.date] = {}
    for stage, due in deadlines.items():
        if stage not in STAGE_ORDER:
            raise AssessmentError(_("未知的考核阶段：%(stage)s") % {"stage": stage})
        if due is None:
            continue
        if not (assessment.window_start <= due <= assessment.window_end):
            raise AssessmentError(
                _("“%(stage)s”截止日期 %(due)s 不在考核周期 %(start)s 至 %(end)s 之内")
                % {
                    "stage": stage_label(stage),
                    "due": due,
                    "start": assessment.window_start,
                    "end": assessment.window_end,
                }
            )
        cleaned[stage] = due
    ordered = [(s, cleaned[s]) for s in STAGE_ORDER if s in cleaned]
    for (s1, d1), (s2, d2) in itertools.pairwise(ordered):
        if d2 < d1:
            raise AssessmentError(
                _("“%(later)s”截止日期不能早于“%(earlier)s”截止日期")
                % {"later": stage_label(s2), "earlier": stage_label(s1)}
            )
    StageDeadline.objects.filter(assessment=assessment).exclude(stage__in=list(cleaned)).delete()
    for stage, due in cleaned.items():
        StageDeadline.objects.update_or_create(assessment=assessment, stage=stage, defaults={"due_date": due})


@transaction.atomic
def assessment_set_deadlines(
    *, actor: Actor, assessment: Assessment, deadlines: Mapping[str, dt.date | None]
) -> Assessment:
    """Replace the stage deadlines (None removes one). Already-recorded lateness is kept."""
    assessment = _lock_assessment(assessment)
    policy.check(actor, Action.PUBLISH, assessment.assessing_region)
    if assessment.stage == Stage.PUBLISHED:
        raise StageError(_("考核结果已发布，不能修改截止日期"))
    _write_deadlines(assessment, deadlines)
    return assessment


@transaction.atomic
def group_save(
    *,
    actor: Actor,
    assessment: Assessment,
    name: str,
    members: Iterable[AbstractBaseUser],
    regions: Iterable[Region],
    leader: AbstractBaseUser | None = None,
    group: VerificationGroup | None = None,
) -> VerificationGroup:
    """Create or update a verification group (现场核查组) and assign its counties.

    Members must be reviewers who may verify every assigned county (policy
    VERIFY); a county belongs to one group at a time, so assigning it here moves
    it from any other group. Counties dropped from the group are left unassigned.
    """
    assessment = _lock_assessment(assessment)
    policy.check(actor, Action.PUBLISH, assessment.assessing_region)
    if stage_index(assessment.stage) > stage_index(Stage.VERIFICATION):
        raise StageError(_("现场核查已结束，不能再调整核查组"))
    name = (name or "").strip()
    if not name:
        raise AssessmentError(_("请填写核查组名称"))
    members = list(members)
    if not members:
        raise AssessmentError(_("核查组至少需要一名组员"))
    rows = list(
        AssessmentRegion.objects.filter(assessment=assessment, region__in=list(regions)).select_related(
            "region"
        )
    )
    if leader is not None and leader not in members:
        members.append(leader)
    problems = [
        _("%(user)s无权核查%(region)s")
        % {"user": m.get_full_name() or m.get_username(), "region": row.region.name}
        for m in members
        for row in rows
        if not policy.can(m, Action.VERIFY, row.region)
    ]
    if problems:
        raise AssessmentError(join_clauses(problems))
    clash = VerificationGroup.objects.filter(assessment=assessment, name=name)
    if group is not None:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise AssessmentError(_("已有名为“%(name)s”的核查组") % {"name": name})
    if group is None:
        group = VerificationGroup.objects.create(assessment=assessment, name=name, leader=leader)
    else:
        if group.assessment_id != assessment.pk:
            raise AssessmentError(_("核查组不属于该考核"))
        group.name, group.leader = name, leader
        group.save(update_fields=["name", "leader"])
    group.members.set(members)
    AssessmentRegion.objects.filter(group=group).exclude(pk__in=[r.pk for r in rows]).update(group=None)
    AssessmentRegion.objects.filter(pk__in=[r.pk for r in rows]).update(group=group)
    return group


# --- Assessment-level moves -----------------------------------------------------


@transaction.atomic
def assessment_advance(*, actor: Actor, assessment: Assessment, to_stage: str) -> Assessment:
    """Open the next stage for every county; refused unless all finished the current one."""
    assessment = _lock_assessment(assessment)
    policy.check(actor, Action.PUBLISH, assessment.assessing_region)
    current = assessment.stage
    if to_stage not in STAGE_ORDER:
        raise StageError(_("未知的考核阶段：%(stage)s") % {"stage": to_stage})
    if to_stage == Stage.PUBLISHED:
        raise StageError(_("发布通报须在“综合评定”签批后使用“发布通报”操作"))
    if stage_index(to_stage) <= stage_index(current):
        if current == Stage.PUBLISHED:
            raise StageError(_("考核结果已发布；如需更正，请由管理员重新开启考核并说明原因"))
        raise StageError(
            _("不能从“%(current)s”退回到“%(stage)s”")
            % {"current": stage_label(current), "stage": stage_label(to_stage)}
        )
    if stage_index(to_stage) != stage_index(current) + 1:
        raise StageError(
            _("不能从“%(current)s”直接进入“%(stage)s”，须依次经过各阶段")
            % {"current": stage_label(current), "stage": stage_label(to_stage)}
        )
    rows = list(assessment.covered.select_related("region", "group"))
    pending = [r.region.name for r in rows if stage_index(r.stage) <= stage_index(current)]
    if pending:
        raise StageError(
            _("以下地区尚未完成“%(stage)s”：%(regions)s")
            % {"stage": stage_label(current), "regions": join_list(pending)}
        )
    if to_stage == Stage.VERIFICATION:
        unassigned = [r.region.name for r in rows if r.group_id is None]
        if unassigned:
            raise StageError(
                _("以下地区尚未分配现场核查组：%(regions)s") % {"regions": join_list(unassigned)}
            )
    assessment.stage = to_stage
    assessment.save(update_fields=["stage", "updated_at"])
    _log(
        assessment=assessment,
        actor=actor,
        kind=StageTransition.Kind.ADVANCE,
        from_stage=current,
        to_stage=to_stage,
        late=lateness(assessment, current, timezone.now()),
    )
    return assessment


# --- County steps -----------------------------------------------------------------


def county_targets(row: AssessmentRegion) -> list[Target]:
    return list(
        Target.objects.filter(region=row.region, year=row.assessment.year)
        .select_related("indicator")
        .order_by("indicator__sort_order", "indicator__code")
    )


@transaction.atomic
def county_file_targets(*, actor: Actor, row: AssessmentRegion) -> AssessmentRegion:
    """目标备案: the county declares its targets for the year complete."""
    row = _lock_row(row)
    policy.check(actor, Action.SUBMIT, row.region)
    _guard(row, "提交目标备案", actor)
    _county_step(row, Stage.FILING, pgettext("action", "提交目标备案"))
    if row.filed_at is not None:
        raise StageError(_("%(region)s已提交目标备案，等待市级接受") % {"region": row.region.name})
    if not county_targets(row):
        raise AssessmentError(
            _("%(region)s%(year)s年尚无考核目标，请先录入或导入目标")
            % {"region": row.region.name, "year": row.assessment.year}
        )
    now = timezone.now()
    late = lateness(row.assessment, Stage.FILING, now)
    row.filed_at, row.filed_by, row.filing_late = now, _user_or_none(actor), late[0]
    row.save(update_fields=["filed_at", "filed_by", "filing_late"])
    _log(
        assessment=row.assessment,
        actor=actor,
        kind=StageTransition.Kind.FILE,
        from_stage=Stage.FILING,
        to_stage=Stage.FILING,
        region=row.region,
        late=late,
        at=now,
    )
    return row


@transaction.atomic
def county_accept_targets(*, actor: Actor, row: AssessmentRegion) -> AssessmentRegion:
    """The city accepts a county's filed targets; the county moves on to 自评."""
    row = _lock_row(row)
    policy.check(actor, Action.APPROVE, row.region)
    _guard(row, "接受目标备案", actor)
    _county_step(row, Stage.FILING, pgettext("action", "接受目标备案"))
    if row.filed_at is None:
        raise StageError(_("%(region)s尚未提交目标备案") % {"region": row.region.name})
    row.stage = Stage.SELF
    row.targets_accepted_at, row.targets_accepted_by = timezone.now(), _user_or_none(actor)
    row.save(update_fields=["stage", "targets_accepted_at", "targets_accepted_by"])
    _log(
        assessment=row.assessment,
        actor=actor,
        kind=StageTransition.Kind.ACCEPT,
        from_stage=Stage.FILING,
        to_stage=Stage.SELF,
        region=row.region,
    )
    return row


@transaction.atomic
def county_return_filing(*, actor: Actor, row: AssessmentRegion, reason: str) -> AssessmentRegion:
    """The city sends the filed targets back with a reason; the county files again."""
    row = _lock_row(row)
    policy.check(actor, Action.RETURN, row.region)
    reason = _require_reason(reason, pgettext("action", "退回目标备案"))
    _county_step(row, Stage.FILING, pgettext("action", "退回目标备案"))
    if row.filed_at is None:
        raise StageError(_("%(region)s尚未提交目标备案") % {"region": row.region.name})
    row.filed_at, row.filed_by, row.return_reason = None, None, reason
    row.save(update_fields=["filed_at", "filed_by", "return_reason"])
    _log(
        assessment=row.assessment,
        actor=actor,
        kind=StageTransition.Kind.RETURN_FILING,
        from_stage=Stage.FILING,
        to_stage=Stage.FILING,
        region=row.region,
        reason=reason,
    )
    return row


def self_assessment_gaps(row: AssessmentRegion) -> list[str]:
    """What keeps the county from submitting its self-assessment (empty when complete)."""
    year = row.assessment.year
    targets = county_targets(row)
    figures = {
        f.indicator_id: f
        for f in Figure.objects.filter(region=row.region, year=year).select_related("indicator")
    }
    gaps = []
    for target in targets:
        figure = figures.get(target.indicator_id)
        if figure is None:
            gaps.append(_("“%(name)s”未填报") % {"name": target.indicator.name})
        elif figure.status not in SENT_IN:
            gaps.append(
                _("“%(name)s”%(status)s，尚未提交")
                % {"name": target.indicator.name, "status": figure.get_status_display()}
            )
    scores = {
        s.item_id: s
        for s in ItemScore.objects.filter(region=row.region, year=year, item__scheme=row.assessment.scheme)
    }
    for item in QualitativeItem.objects.filter(scheme=row.assessment.scheme):
        score = scores.get(item.pk)
        if score is None or score.self_points is None:
            gaps.append(_("定性项“%(item)s”未自评") % {"item": item.name})
        elif not score.self_reason.strip():
            gaps.append(_("定性项“%(item)s”未填写自评说明") % {"item": item.name})
    return gaps


@transaction.atomic
def item_self_score(
    *,
    actor: Actor,
    row: AssessmentRegion,
    item: QualitativeItem,
    points: object,
    reason: str,
    evidence: Any = None,
) -> ItemScore:
    """自评: the county's self points of one qualitative item, with its reason and evidence."""
    row = _lock_row(row)
    policy.check(actor, Action.UPDATE, row.region)
    _guard(row, f"定性项自评“{item.name}”", actor)
    _county_step(row, Stage.SELF, pgettext("action", "填写定性项自评"))
    if item.scheme_id != row.assessment.scheme_id:
        raise AssessmentError(_("该评分项不属于本次考核的评分方案"))
    value = _points(points, item, _("自评分"))
    reason = _require_reason(reason, pgettext("action", "自评"))
    score, _created = ItemScore.objects.select_for_update().get_or_create(
        item=item, region=row.region, year=row.assessment.year
    )
    score.self_points, score.self_reason = value, reason
    if evidence:
        name, content = _checked_file(evidence)
        score.evidence.save(name, content, save=False)
    score._history_user = _user_or_none(actor)  # type: ignore[attr-defined]
    score._change_reason = "定性项自评"  # type: ignore[attr-defined]
    score.save()
    return score


def _checked_file(upload: Any) -> tuple[str, Any]:
    """Check an uploaded document like figure evidence (type by content, size); name it by its hash."""
    from indicators.services import EVIDENCE_TYPES, sniff_kind

    original = (getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    ext = original.rsplit(".", 1)[-1].lower() if "." in original else ""
    if ext not in EVIDENCE_TYPES:
        raise AssessmentError(_("佐证材料须为 PDF、图片（PNG/JPG/GIF/WebP）或 Office 文档"))
    if not upload.size or upload.size > settings.EVIDENCE_MAX_BYTES:
        raise AssessmentError(
            _("佐证材料为空或超过大小上限 %(mb)s MB") % {"mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024)}
        )
    upload.seek(0)
    data = upload.read()
    kind = sniff_kind(data[:16], io.BytesIO(data) if data.startswith(b"PK") else None)
    if kind != EVIDENCE_TYPES[ext][1]:
        raise AssessmentError(_("佐证材料的内容与扩展名 .%(ext)s 不符（或含宏）") % {"ext": ext})
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest}.{ext}", ContentFile(data)


def _points(raw: object, item: QualitativeItem, what: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as exc:
        raise AssessmentError(_("%(what)s须为数字") % {"what": what}) from exc
    if not value.is_finite() or value < 0 or value > item.max_points:
        raise AssessmentError(
            _("%(what)s须在 0 至 %(max)s 分之间") % {"what": what, "max": f"{item.max_points.normalize():f}"}
        )
    if value != value.quantize(Decimal("0.01")):
        raise AssessmentError(_("%(what)s最多保留两位小数") % {"what": what})
    return value


@transaction.atomic
def county_upload_self_report(*, actor: Actor, row: AssessmentRegion, upload: Any) -> AssessmentRegion:
    """自评报告: attach (or replace) the county's self-assessment report during 自评."""
    row = _lock_row(row)
    policy.check(actor, Action.SUBMIT, row.region)
    _guard(row, "上传自评报告", actor)
    _county_step(row, Stage.SELF, pgettext("action", "上传自评报告"))
    name, content = _checked_file(upload)
    original = (getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    row.self_report.save(name, content, save=False)
    row.self_report_name = "".join(c for c in original if c.isprintable())[:255] or name
    row.save(update_fields=["self_report", "self_report_name"])
    return row


@transaction.atomic
def county_submit_self(*, actor: Actor, row: AssessmentRegion) -> AssessmentRegion:
    """自评: the county submits its self-assessment; after the deadline it is marked late."""
    row = _lock_row(row)
    policy.check(actor, Action.SUBMIT, row.region)
    _guard(row, "提交自评", actor)
    _county_step(row, Stage.SELF, pgettext("action", "提交自评"))
    gaps = self_assessment_gaps(row)
    if gaps:
        raise AssessmentError(_("自评材料不完整：%(gaps)s") % {"gaps": join_clauses(gaps)})
    now = timezone.now()
    late = lateness(row.assessment, Stage.SELF, now)
    row.stage = Stage.REVIEW
    row.self_submitted_at, row.self_submitted_by, row.self_late = now, _user_or_none(actor), late[0]
    row.save(update_fields=["stage", "self_submitted_at", "self_submitted_by", "self_late"])
    _log(
        assessment=row.assessment,
        actor=actor,
        kind=StageTransition.Kind.SUBMIT_SELF,
        from_stage=Stage.SELF,
        to_stage=Stage.REVIEW,
        region=row.region,
        late=late,
        at=now,
    )
    return row


@transaction.atomic
def county_review_pass(*, actor: Actor, row: AssessmentRegion) -> AssessmentRegion:
    """材料审核: the documents are complete; the county goes on to 现场核查."""
    row = _lock_row(row)
    policy.check(actor, Action.APPROVE, row.region)
    _guard(row, "材料审核通过", actor)
    _county_step(row, Stage.REVIEW, pgettext("action", "材料审核通过"))
    gaps = self_assessment_gaps(row)
    if gaps:
        raise AssessmentError(_("材料不完整，请退回补充：%(gaps)s") % {"gaps": join_clauses(gaps)})
    row.stage = Stage.VERIFICATION
    row.review_passed_at, row.review_passed_by = timezone.now(), _user_or_none(actor)
    row.save(update_fields=["stage", "review_passed_at", "review_passed_by"])
    _log(
        assessment=row.assessment,
        actor=actor,
        kind=StageTransition.Kind.REVIEW_PASS,
        from_stage=Stage.REVIEW,
        to_stage=Stage.VERIFICATION,
        region=row.region,
        late=lateness(row.assessment, Stage.REVIEW, timezone.now()),
    )
    return row


@transaction.atomic
def county_review_return(*, actor: Actor, row: AssessmentRegion, reason: str) -> AssessmentRegion:
    """材料审核: send the self-assessment back to the county with what is missing."""
    row = _lock_row(row)
    policy.check(actor, Action.RETURN, row.region)
    reason = _require_reason(reason, pgettext("action", "退回补充材料"))
    _guard(row, "退回补充材料", actor)
    _county_step(row, Stage.REVIEW, pgettext("action", "退回补充材料"))
    row.stage = Stage.SELF
    row.self_submitted_at = None
    row.returns_count += 1
    row.return_reason = reason
    row.save(update_fields=["stage", "self_submitted_at", "returns_count", "return_reason"])
    _log(
        assessment=row.assessment,
        actor=actor,
        kind=StageTransition.Kind.REVIEW_RETURN,
        from_stage=Stage.REVIEW,
        to_stage=Stage.SELF,
        region=row.region,
        reason=reason,
    )
    return row


# --- On-site verification ---------------------------------------------------------


def _check_group_member(actor: Actor, row: AssessmentRegion) -> None:
    if not policy.can_verify_county(actor, row, write=True):
        raise PermissionDenied(
            _("您不是%(region)s的现场核查组成员，不能记录核查结果") % {"region": row.region.name}
        )


@transaction.atomic
def finding_record(
    *,
    actor: Actor,
    row: AssessmentRegion,
    indicator: Indicator | None = None,
    item: QualitativeItem | None = None,
    adjusted_value: object = None,
    verified_points: object = None,
    reason: str = "",
    note: str = "",
) -> Finding:
    """Record the group's finding for one indicator or one qualitative item of a county.

    Indicator: confirm the reported value (no adjusted value) or adjust it with a
    reason. The figure is approved at the verified value through the data-entry
    service (or, when it was approved already, re-verified here with the same
    invariants: lock, version, history); the reported value stays untouched and
    is copied into the finding. Item: the verified points (a reason when they
    differ from the self points) go to the item score. Recording again replaces
    the finding (its history keeps the earlier one).
    """
    row = _lock_row(row)
    _check_group_member(actor, row)
    if (indicator is None) == (item is None):
        raise AssessmentError(_("核查记录须针对一个指标或一个定性评分项"))
    _guard(row, "记录现场核查结果", actor)
    _county_step(row, Stage.VERIFICATION, pgettext("action", "记录现场核查结果"))
    reason, note = (reason or "").strip(), (note or "").strip()
    if indicator is not None:
        return _indicator_finding(actor, row, indicator, adjusted_value, reason, note)
    return _item_finding(actor, row, item, verified_points, reason, note)  # type: ignore[arg-type]


def _indicator_finding(
    actor: Actor, row: AssessmentRegion, indicator: Indicator, adjusted: object, reason: str, note: str
) -> Finding:
    from indicators import services as figure_services

    year = row.assessment.year
    if not Target.objects.filter(region=row.region, indicator=indicator, year=year).exists():
        raise AssessmentError(
            _("“%(name)s”不是%(region)s%(year)s年的考核指标")
            % {"name": indicator.name, "region": row.region.name, "year": year}
        )
    figure = (
        Figure.objects.select_for_update()
        .select_related("region", "indicator")
        .filter(region=row.region, indicator=indicator, year=year)
        .first()
    )
    if figure is None or figure.status not in SENT_IN:
        raise AssessmentError(_("“%(name)s”尚未提交，不能核查") % {"name": indicator.name})
    if adjusted is None or (isinstance(adjusted, str) and not adjusted.strip()):
        value = None
    else:
        try:
            value = figure_services.clean_value(indicator, adjusted)
        except figure_services.FigureError as exc:
            raise AssessmentError(exc.message) from exc
    differs = value is not None and value != figure.reported_value
    if differs and not reason:
        raise AssessmentError(_("“%(name)s”核定值与填报值不同，须填写调整原因") % {"name": indicator.name})
    verified = value if value is not None else figure.reported_value
    try:
        if figure.status == Figure.Status.SUBMITTED:
            figure_services.figure_approve(
                actor=actor,
                figure=figure,
                expected_version=figure.version,
                verified_value=verified,
                reason=reason if differs else "",
            )
        elif figure.verified_value != verified:
            _reverify_approved(actor, figure, verified, reason or "现场核查确认填报值")
    except figure_services.FigureError as exc:
        raise AssessmentError(exc.message) from exc
    finding, _created = Finding.objects.get_or_create(assessment_region=row, indicator=indicator)
    finding.group = row.group
    finding.reported_value = figure.reported_value
    finding.adjusted_value = verified
    finding.adjusted = differs
    finding.reason = reason if differs else ""
    finding.note = note
    finding.recorded_by = _user_or_none(actor)
    finding.recorded_at = timezone.now()
    finding._history_user = _user_or_none(actor)  # type: ignore[attr-defined]
    finding.save()
    return finding


def _reverify_approved(actor: Actor, figure: Figure, verified: Decimal, reason: str) -> None:
    """Change the verified value of an already approved figure (on-site adjustment).

    The data-entry workflow would need reopen -> county resubmits -> approve; on
    site the group itself sets the verified value, so this keeps that service's
    invariants instead: row lock, segregation of duties, version bump, history
    with who and why, re-scoring after commit. The reported value is untouched.
    """
    policy.check_figure(actor, Action.APPROVE, figure)
    figure.verified_value = figure.value = verified
    figure.adjust_reason = reason if verified != figure.reported_value else ""
    figure.approved_by = _user_or_none(actor)
    figure.approved_at = timezone.now()
    figure.version += 1
    figure._history_user = _user_or_none(actor)  # type: ignore[attr-defined]
    figure._change_reason = f"现场核查调整：{reason}"[:100]  # type: ignore[attr-defined]
    figure.save()
    try:
        from indicators.tasks import schedule_rescore
    except ImportError:  # pragma: no cover - the scoring app is part of the product
        return
    schedule_rescore(year=figure.year, region_id=figure.region_id, trigger="verification")


def _item_finding(
    actor: Actor, row: AssessmentRegion, item: QualitativeItem, points: object, reason: str, note: str
) -> Finding:
    if item.scheme_id != row.assessment.scheme_id:
        raise AssessmentError(_("该评分项不属于本次考核的评分方案"))
    score = (
        ItemScore.objects.select_for_update()
        .filter(item=item, region=row.region, year=row.assessment.year)
        .first()
    )
    if score is None or score.self_points is None:
        raise AssessmentError(_("定性项“%(item)s”尚未自评，不能核查") % {"item": item.name})
    if points is None or (isinstance(points, str) and not points.strip()):
        raise AssessmentError(_("请填写定性项“%(item)s”的核定分") % {"item": item.name})
    value = _points(points, item, _("核定分"))
    differs = value != score.self_points
    if differs and not reason:
        raise AssessmentError(_("定性项“%(item)s”核定分与自评分不同，须填写调整原因") % {"item": item.name})
    score.verified_points = value
    score.verified_reason = reason if differs else "现场核查确认"
    score.verified_by = _user_or_none(actor)
    score._history_user = _user_or_none(actor)  # type: ignore[attr-defined]
    score._change_reason = "现场核查核定"  # type: ignore[attr-defined]
    score.save()
    try:
        from indicators.tasks import schedule_rescore
    except ImportError:  # pragma: no cover
        pass
    else:
        schedule_rescore(year=row.assessment.year, region_id=row.region_id, trigger="verification")
    finding, _created = Finding.objects.get_or_create(assessment_region=row, item=item)
    finding.group = row.group
    finding.self_points = score.self_points
    finding.verified_points = value
    finding.adjusted = differs
    finding.reason = reason if differs else ""
    finding.note = note
    finding.recorded_by = _user_or_none(actor)
    finding.recorded_at = timezone.now()
    finding._history_user = _user_or_none(actor)  # type: ignore[attr-defined]
    finding.save()
    return finding


def verification_gaps(row: AssessmentRegion) -> list[str]:
    """What the group has not verified yet (empty when every target and item is verified)."""
    year = row.assessment.year
    gaps = []
    approved = set(
        Figure.objects.filter(region=row.region, year=year, status=Figure.Status.APPROVED).values_list(
            "indicator_id", flat=True
        )
    )
    for target in county_targets(row):
        if target.indicator_id not in approved:
            gaps.append(_("“%(name)s”未核定") % {"name": target.indicator.name})
    verified_items = set(
        ItemScore.objects.filter(
            region=row.region, year=year, item__scheme=row.assessment.scheme, verified_points__isnull=False
        ).values_list("item_id", flat=True)
    )
    for item in QualitativeItem.objects.filter(scheme=row.assessment.scheme):
        if item.pk not in verified_items:
            gaps.append(_("定性项“%(item)s”未核定") % {"item": item.name})
    return gaps


@transaction.atomic
def county_verification_done(*, actor: Actor, row: AssessmentRegion) -> AssessmentRegion:
    """The group closes its visit: every target's figure approved, every item verified."""
    row = _lock_row(row)
    _check_group_member(actor, row)
    _guard(row, "完成现场核查", actor)
    _county_step(row, Stage.VERIFICATION, pgettext("action", "完成现场核查"))
    gaps = verification_gaps(row)
    if gaps:
        raise AssessmentError(_("现场核查尚未完成：%(gaps)s") % {"gaps": join_clauses(gaps)})
    row.stage = Stage.FINAL
    row.verified_at, row.verified_by = timezone.now(), _user_or_none(actor)
    row.save(update_fields=["stage", "verified_at", "verified_by"])
    _log(
        assessment=row.assessment,
        actor=actor,
        kind=StageTransition.Kind.VERIFY_DONE,
        from_stage=Stage.VERIFICATION,
        to_stage=Stage.FINAL,
        region=row.region,
        late=lateness(row.assessment, Stage.VERIFICATION, timezone.now()),
    )
    return row


# --- Final grading and publication -------------------------------------------------


def _compute(assessment: Assessment, actor: Actor, trigger: str) -> str:
    """Score the assessing region's subtree on both bases; return the verified inputs hash."""
    from indicators.scoring_service import compute_scores, scheme_for_scoring

    if scheme_for_scoring().pk != assessment.scheme_id:
        raise AssessmentError(
            _("评分服务按默认评分方案计分，本次考核使用“%(scheme)s”；请先将其设为默认方案")
            % {"scheme": assessment.scheme.name}
        )
    runs = compute_scores(
        year=assessment.year,
        region=assessment.assessing_region,
        trigger=trigger,
        user=_user_or_none(actor),
    )
    verified = next(s for s in runs if s.run.basis == "verified")
    return verified.run.inputs_hash


def _unscored(assessment: Assessment) -> list[str]:
    rows = list(assessment.covered.select_related("region"))
    scored = set(
        RegionScore.objects.filter(
            year=assessment.year, basis="verified", region__in=[r.region for r in rows]
        ).values_list("region_id", flat=True)
    )
    return [r.region.name for r in rows if r.region_id not in scored]


@transaction.atomic
def assessment_sign_off(*, actor: Actor, assessment: Assessment) -> Assessment:
    """综合评定: compute both bases for the covered regions and sign the verified result off."""
    assessment = _lock_assessment(assessment)
    policy.check(actor, Action.PUBLISH, assessment.assessing_region)
    ensure_not_frozen(
        region_id=assessment.assessing_region_id, year=assessment.year, what="综合评定签批", user=actor
    )
    if assessment.stage != Stage.FINAL:
        raise StageError(
            _("考核处于“%(stage)s”阶段，只有“综合评定”阶段可以签批")
            % {"stage": stage_label(assessment.stage)}
        )
    inputs_hash = _compute(assessment, actor, "assessment_sign_off")
    missing = _unscored(assessment)
    if missing:
        raise AssessmentError(
            _("以下地区没有核定得分（无考核目标）：%(regions)s") % {"regions": join_list(missing)}
        )
    assessment.signed_off_at = timezone.now()
    assessment.signed_off_by = _user_or_none(actor)
    assessment.signed_off_hash = inputs_hash
    assessment.save(update_fields=["signed_off_at", "signed_off_by", "signed_off_hash", "updated_at"])
    _log(
        assessment=assessment,
        actor=actor,
        kind=StageTransition.Kind.SIGN_OFF,
        from_stage=Stage.FINAL,
        to_stage=Stage.FINAL,
        late=lateness(assessment, Stage.FINAL, timezone.now()),
    )
    return assessment


@transaction.atomic
def assessment_publish(*, actor: Actor, assessment: Assessment, title: str = "") -> Publication:
    """通报: re-score, check nothing changed since sign-off, snapshot the scores, freeze.

    The snapshot copies the covered regions' RegionScore and TargetScore rows of
    both bases into Published* rows of the new version, in this transaction, so
    the published numbers are exactly the engine's verified result for the
    signed-off inputs and no later run can alter them.
    """
    assessment = _lock_assessment(assessment)
    policy.check(actor, Action.PUBLISH, assessment.assessing_region)
    if assessment.stage == Stage.PUBLISHED:
        raise StageError(_("考核结果已发布；如需更正，请由管理员重新开启考核并说明原因"))
    if assessment.stage != Stage.FINAL:
        raise StageError(
            _("考核处于“%(stage)s”阶段，须完成“综合评定”签批后才能发布通报")
            % {"stage": stage_label(assessment.stage)}
        )
    if assessment.signed_off_at is None:
        raise StageError(_("综合评定尚未签批，不能发布通报"))
    inputs_hash = _compute(assessment, actor, "assessment_publish")
    if inputs_hash != assessment.signed_off_hash:
        raise AssessmentError(_("签批后考核数据发生了变化，请重新进行综合评定签批后再发布"))
    missing = _unscored(assessment)
    if missing:
        raise AssessmentError(
            _("以下地区没有核定得分（无考核目标）：%(regions)s") % {"regions": join_list(missing)}
        )
    version = assessment.version + 1
    now = timezone.now()
    publication = Publication.objects.create(
        assessment=assessment,
        version=version,
        title=(title or "").strip() or f"关于{assessment.name}结果的通报",
        published_at=now,
        published_by=_user_or_none(actor),
        inputs_hash=inputs_hash,
    )
    region_ids = list(assessment.covered.values_list("region_id", flat=True))
    _snapshot(publication, assessment.year, region_ids)
    previous = assessment.stage
    assessment.stage = Stage.PUBLISHED
    assessment.version = version
    assessment.save(update_fields=["stage", "version", "updated_at"])
    assessment.covered.update(stage=Stage.PUBLISHED)
    _log(
        assessment=assessment,
        actor=actor,
        kind=StageTransition.Kind.PUBLISH,
        from_stage=previous,
        to_stage=Stage.PUBLISHED,
        reason=f"第 {version} 版",
        late=lateness(assessment, Stage.PUBLISHED, now),
        at=now,
    )
    return publication


def _snapshot(publication: Publication, year: int, region_ids: list[int]) -> None:
    fields = [
        "region_id",
        "year",
        "basis",
        "total",
        "grade",
        "rank",
        "rank_of",
        "points",
        "max_points",
        "met",
        "not_met",
        "missing",
        "vetoed",
    ]
    PublishedRegionScore.objects.bulk_create(
        [
            PublishedRegionScore(publication=publication, **row)
            for row in RegionScore.objects.filter(year=year, region_id__in=region_ids).values(*fields)
        ]
    )
    target_fields = [
        "region_id",
        "indicator_id",
        "year",
        "basis",
        "actual",
        "target",
        "comparator",
        "completion",
        "points",
        "weight",
        "status",
        "veto",
    ]
    PublishedTargetScore.objects.bulk_create(
        [
            PublishedTargetScore(publication=publication, **row)
            for row in TargetScore.objects.filter(year=year, region_id__in=region_ids).values(*target_fields)
        ],
        batch_size=2000,
    )


@transaction.atomic
def assessment_reopen(*, actor: Actor, assessment: Assessment, reason: str) -> Assessment:
    """Admin only: unfreeze a published assessment for a correction, with a reason.

    The assessment (and every county) goes back to 综合评定 and must be signed
    off and published again, which creates the next version; the published
    versions stay as they are and readable.
    """
    assessment = _lock_assessment(assessment)
    if not policy.can_reopen_assessment(actor, assessment.assessing_region):
        raise PermissionDenied(_("只有管理员可以重新开启已发布的考核"))
    reason = _require_reason(reason, pgettext("action", "重新开启考核"))
    if assessment.stage != Stage.PUBLISHED:
        raise StageError(
            _("考核处于“%(stage)s”阶段，只有已发布的考核可以重新开启")
            % {"stage": stage_label(assessment.stage)}
        )
    now = timezone.now()
    Publication.objects.filter(assessment=assessment, version=assessment.version).update(
        reopened_at=now, reopened_by=_user_or_none(actor), reopen_reason=reason
    )
    assessment.stage = Stage.FINAL
    assessment.signed_off_at = None
    assessment.signed_off_by = None
    assessment.signed_off_hash = ""
    assessment.save(
        update_fields=["stage", "signed_off_at", "signed_off_by", "signed_off_hash", "updated_at"]
    )
    assessment.covered.update(stage=Stage.FINAL)
    _log(
        assessment=assessment,
        actor=actor,
        kind=StageTransition.Kind.REOPEN,
        from_stage=Stage.PUBLISHED,
        to_stage=Stage.FINAL,
        reason=reason,
        at=now,
    )
    return assessment
