"""Services of the municipal quality award (市长质量奖) rounds.

An application moves through the stages

    submitted (已申报) -> qualification (资格审查) -> document_review (材料评审)
    -> onsite_review (现场评审) -> public_notice (公示) -> awarded (获奖)

and may be rejected (未获奖) from qualification onwards. TRANSITIONS lists
every legal move; anything else is refused with a message naming the legal
next stages. Guards on the legal moves:

- qualification -> document_review: a self-assessment report is on file.
- document_review -> onsite_review and onsite_review -> public_notice: every
  assigned reviewer has scored, and the mean of their totals reaches the
  round's pass mark for that stage; the notice also needs start and end dates.
- public_notice -> awarded: the notice has ended (today is after its end date)
  and no objection is pending or upheld. Awarding registers a grant of the
  municipal quality award type (organisation, individual or nomination), which
  flows into the derived figure QM_MUNICIPAL_QUALITY_AWARD.
- any -> rejected: a reason is required.

Only the bureau running the round (policy RUN_AWARD_ROUND on the round's
region) changes rounds and applications; an assigned reviewer only submits
their own score sheet, while the application is at that reviewer's stage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts import policy
from accounts.policy import Action
from awards.models import (
    DEFAULT_CATEGORIES,
    SCORED_STAGES,
    Application,
    ApplicationEvent,
    ApplicationFile,
    AwardType,
    CategoryScore,
    Enterprise,
    Grant,
    Objection,
    QualityAwardRound,
    ReviewAssignment,
    RoundCategory,
    Stage,
)
from awards.selectors import stage_scores
from awards.services import grant_create
from indicators.models import Region
from indicators.services import sniff_kind
from quality_city.i18n import join_list

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Stage.SUBMITTED: (Stage.QUALIFICATION,),
    Stage.QUALIFICATION: (Stage.DOCUMENT_REVIEW, Stage.REJECTED),
    Stage.DOCUMENT_REVIEW: (Stage.ONSITE_REVIEW, Stage.REJECTED),
    Stage.ONSITE_REVIEW: (Stage.PUBLIC_NOTICE, Stage.REJECTED),
    Stage.PUBLIC_NOTICE: (Stage.AWARDED, Stage.REJECTED),
    Stage.AWARDED: (),
    Stage.REJECTED: (),
}
STAGE_ORDER = [s.value for s in Stage if s != Stage.REJECTED]

# Files accepted as reports and evidence: extension -> (content type, leading bytes).
ALLOWED_FILES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG",)),
}


def _stage_label(stage: str) -> str:
    return str(Stage(stage).label)


def _check_bureau(user: User | None, rnd: QualityAwardRound) -> None:
    if user is not None and not policy.can(user, Action.RUN_AWARD_ROUND, rnd.region):
        raise PermissionDenied(_("只有组织评审的质量主管部门可以执行此操作"))


# --- rounds -----------------------------------------------------------------------------


def _clean_pass_marks(rnd: QualityAwardRound, total: int) -> None:
    errors: dict[str, list[str]] = {}
    for name, label in (
        ("document_pass_mark", _("材料评审合格分")),
        ("onsite_pass_mark", _("现场评审合格分")),
    ):
        mark = getattr(rnd, name)
        if mark is None or mark < 0:
            errors[name] = [_("%(label)s不能为负数") % {"label": label}]
        elif mark > total:
            errors[name] = [
                _("%(label)s %(mark)s 超过评分总分 %(total)s")
                % {"label": label, "mark": mark, "total": total}
            ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def round_create(
    *,
    user: User | None,
    region: Region,
    name: str,
    year: int,
    eligibility: str = "",
    document_pass_mark: Decimal | None = None,
    onsite_pass_mark: Decimal | None = None,
    categories: list[tuple[str, str, int]] | None = None,
) -> QualityAwardRound:
    """Open a round with its category table (GB/T 19580 by default, total 1000)."""
    if user is not None:
        policy.check(user, Action.RUN_AWARD_ROUND, region)
    categories = list(categories or DEFAULT_CATEGORIES)
    _clean_categories(categories)
    rnd = QualityAwardRound(
        region=region,
        name=name,
        year=year,
        eligibility=eligibility,
        created_by=user,
        **({"document_pass_mark": document_pass_mark} if document_pass_mark is not None else {}),
        **({"onsite_pass_mark": onsite_pass_mark} if onsite_pass_mark is not None else {}),
    )
    rnd.full_clean()
    _clean_pass_marks(rnd, sum(c[2] for c in categories))
    rnd.save()
    RoundCategory.objects.bulk_create(
        RoundCategory(round=rnd, code=code, name=cname, max_points=points, sort_order=i)
        for i, (code, cname, points) in enumerate(categories, start=1)
    )
    return rnd


@transaction.atomic
def round_update(
    *,
    user: User | None,
    rnd: QualityAwardRound,
    categories: list[tuple[str, str, int]] | None = None,
    **fields,
) -> QualityAwardRound:
    """Change a round and, optionally, its category table (refused once anyone has
    scored in the round). Pass marks are checked against the resulting total."""
    allowed = {
        "name",
        "year",
        "eligibility",
        "document_pass_mark",
        "onsite_pass_mark",
        "accepting_applications",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    _check_bureau(user, rnd)
    for name, value in fields.items():
        setattr(rnd, name, value)
    rnd.full_clean()
    current = [(c.code, c.name, c.max_points) for c in rnd.categories.all()]
    if categories is not None and list(categories) != current:
        if CategoryScore.objects.filter(assignment__application__round=rnd).exists():
            raise ValidationError(_("已有评审员打分，评分类目不能再修改"))
        _clean_categories(categories)
        _clean_pass_marks(rnd, sum(c[2] for c in categories))
        rnd.categories.all().delete()
        RoundCategory.objects.bulk_create(
            RoundCategory(round=rnd, code=code, name=name, max_points=points, sort_order=i)
            for i, (code, name, points) in enumerate(categories, start=1)
        )
    else:
        _clean_pass_marks(rnd, sum(c[2] for c in current))
    rnd.save()
    return rnd


def _clean_categories(categories: list[tuple[str, str, int]]) -> None:
    if not categories:
        raise ValidationError(_("评分类目不能为空"))
    errors = []
    codes = [c[0] for c in categories]
    for code, name, points in categories:
        if not code or not name:
            errors.append(_("每个评分类目都需要代码和名称"))
        if not isinstance(points, int) or points <= 0:
            errors.append(
                _("评分类目“%(name)s”的满分须为正整数，当前为 %(points)s") % {"name": name, "points": points}
            )
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        errors.append(_("评分类目代码重复：%(codes)s") % {"codes": join_list(duplicates)})
    if errors:
        raise ValidationError(errors)


def round_set_categories(
    *, user: User | None, rnd: QualityAwardRound, categories: list[tuple[str, str, int]]
) -> QualityAwardRound:
    """Replace the category table (see round_update)."""
    return round_update(user=user, rnd=rnd, categories=categories)


# --- applications ------------------------------------------------------------------------


@transaction.atomic
def application_create(
    *,
    user: User | None,
    rnd: QualityAwardRound,
    enterprise: Enterprise,
    category: str,
    applicant_name: str = "",
    contact: str = "",
    report: UploadedFile | None = None,
) -> Application:
    """Record an application (the bureau enters what the enterprise filed)."""
    _check_bureau(user, rnd)
    errors: dict[str, list[str]] = {}
    if not rnd.accepting_applications:
        errors["round"] = [_("“%(round)s”已停止受理申报") % {"round": rnd.name}]
    if not enterprise.region.is_within(rnd.region):
        errors["enterprise"] = [
            _("%(enterprise)s 不在 %(region)s 辖区内，不能申报本地质量奖")
            % {"enterprise": enterprise.name, "region": rnd.region.name}
        ]
    applicant_name = (applicant_name or "").strip()
    if category == Application.Category.ORGANISATION and not applicant_name:
        applicant_name = enterprise.name
    if category == Application.Category.INDIVIDUAL and not applicant_name:
        errors["applicant_name"] = [_("个人奖须填写申报人姓名")]
    if errors:
        raise ValidationError(errors)
    application = Application(
        round=rnd,
        enterprise=enterprise,
        category=category,
        applicant_name=applicant_name,
        contact=contact,
        created_by=user,
    )
    application.full_clean()
    application.save()
    if report is not None:
        application_add_file(
            user=user, application=application, kind=ApplicationFile.Kind.REPORT, upload=report
        )
    return application


def _read_upload(upload: UploadedFile) -> tuple[bytes, str, str]:
    name = Path(upload.name or "").name
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED_FILES:
        raise ValidationError(
            _("不支持的文件类型“%(kind)s”，请上传 %(allowed)s")
            % {"kind": ext or _("无扩展名"), "allowed": join_list(sorted(ALLOWED_FILES))}
        )
    too_big = _("文件超过 %(mb)s MB 上限") % {"mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024)}
    if upload.size is not None and upload.size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(too_big)
    data = upload.read()
    if len(data) > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(too_big)
    content_type, magics = ALLOWED_FILES[ext]
    if not any(data.startswith(m) for m in magics):
        raise ValidationError(_("文件内容与扩展名 .%(ext)s 不符") % {"ext": ext})
    if data.startswith(b"PK") and sniff_kind(data[:16], io.BytesIO(data)) != ext:
        # Any zip starts with PK: the parts decide (a .docm renamed .docx holds a VBA project).
        raise ValidationError(_("文件内容与扩展名 .%(ext)s 不符（或含宏）") % {"ext": ext})
    return data, name, content_type


@transaction.atomic
def application_add_file(
    *, user: User | None, application: Application, kind: str, upload: UploadedFile
) -> ApplicationFile:
    """Attach the self-assessment report or an evidence file (type and size checked)."""
    _check_bureau(user, application.round)
    if application.stage in (Stage.AWARDED, Stage.REJECTED):
        raise ValidationError(_("评审已结束，不能再上传材料"))
    if kind not in ApplicationFile.Kind.values:
        raise ValidationError(_("材料类型无效"))
    data, name, content_type = _read_upload(upload)
    digest = hashlib.sha256(data).hexdigest()
    record = ApplicationFile(
        application=application,
        kind=kind,
        original_name=name[:255],
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=user,
    )
    record.file.save(name, ContentFile(data), save=False)
    record.save()
    return record


def _require_scores(application: Application, stage: str, pass_mark: Decimal) -> None:
    score = stage_scores([application.pk], stage)[application.pk]
    label = _stage_label(stage)
    if score.assigned == 0:
        raise ValidationError(_("%(stage)s尚未指派评审员") % {"stage": label})
    if not score.complete:
        raise ValidationError(
            _("%(stage)s还有 %(n)s 名评审员未提交评分")
            % {"stage": label, "n": score.assigned - score.submitted}
        )
    if score.mean is not None and score.mean < pass_mark:
        raise ValidationError(
            _("%(stage)s平均分 %(mean)s 低于合格分 %(mark)s，只能作未获奖处理")
            % {"stage": label, "mean": score.mean, "mark": pass_mark}
        )


@transaction.atomic
def application_transition(
    *,
    user: User | None,
    application: Application,
    to_stage: str,
    note: str = "",
    notice_start: dt.date | None = None,
    notice_end: dt.date | None = None,
    nomination: bool = False,
    today: dt.date | None = None,
) -> Application:
    """Move an application to `to_stage` if the move is legal and its guard holds.

    `nomination` awards the nomination prize (提名奖) instead of the full award.
    `today` defaults to the local date (tests pass it to cross the notice end).
    """
    application = (
        Application.objects.select_for_update().select_related("round__region").get(pk=application.pk)
    )
    rnd = application.round
    _check_bureau(user, rnd)
    today = today or timezone.localdate()
    note = (note or "").strip()
    current = application.stage
    try:
        to_stage = Stage(to_stage).value
    except ValueError as exc:
        raise ValidationError(_("未知阶段“%(stage)s”") % {"stage": to_stage}) from exc
    legal = TRANSITIONS[current]
    if to_stage not in legal:
        if not legal:
            raise ValidationError(
                _("申报已处于“%(stage)s”，评审已结束，不能再变更阶段") % {"stage": _stage_label(current)}
            )
        options = pgettext("alternatives", "或").join(f"“{_stage_label(s)}”" for s in legal)
        raise ValidationError(
            _("不能从“%(current)s”转到“%(stage)s”：下一步只能是%(options)s")
            % {"current": _stage_label(current), "stage": _stage_label(to_stage), "options": options}
        )

    if to_stage == Stage.REJECTED:
        if not note:
            raise ValidationError(_("作未获奖处理须填写理由"))
    elif to_stage == Stage.DOCUMENT_REVIEW:
        if not application.files.filter(kind=ApplicationFile.Kind.REPORT).exists():
            raise ValidationError(_("尚未上传自评报告，不能通过资格审查"))
    elif to_stage == Stage.ONSITE_REVIEW:
        _require_scores(application, Stage.DOCUMENT_REVIEW, rnd.document_pass_mark)
    elif to_stage == Stage.PUBLIC_NOTICE:
        _require_scores(application, Stage.ONSITE_REVIEW, rnd.onsite_pass_mark)
        if notice_start is None or notice_end is None:
            raise ValidationError(_("进入公示须填写公示开始和结束日期"))
        if notice_end < notice_start:
            raise ValidationError(
                _("公示结束日期 %(end)s 早于开始日期 %(start)s") % {"end": notice_end, "start": notice_start}
            )
        application.notice_start, application.notice_end = notice_start, notice_end
    elif to_stage == Stage.AWARDED:
        if today <= application.notice_end:
            raise ValidationError(
                _("公示期至 %(end)s 结束，公示期满后才能授奖") % {"end": application.notice_end}
            )
        pending = application.objections.filter(outcome=Objection.Outcome.PENDING).count()
        if pending:
            raise ValidationError(_("还有 %(n)s 项公示异议未处理，不能授奖") % {"n": pending})
        if application.objections.filter(outcome=Objection.Outcome.UPHELD).exists():
            raise ValidationError(_("公示期间有异议成立，不能授奖"))

    application.stage = to_stage
    application.stage_changed_at = timezone.now()
    if note:
        application.decision_note = note
    application.save()
    ApplicationEvent.objects.create(
        application=application,
        from_stage=current,
        to_stage=to_stage,
        note=note,
        by=user if getattr(user, "is_authenticated", False) else None,
    )
    if to_stage == Stage.AWARDED:
        _register_award(application, user, nomination=nomination)
    return application


def award_type_for(application: Application, nomination: bool = False) -> AwardType:
    """The municipal quality award type an awarded application registers."""
    tier = (
        AwardType.Tier.NOMINATION
        if nomination
        else AwardType.Tier.ORGANISATION
        if application.category == Application.Category.ORGANISATION
        else AwardType.Tier.INDIVIDUAL
    )
    award_type = (
        AwardType.objects.filter(
            level=AwardType.Level.MUNICIPAL, kind=AwardType.Kind.QUALITY_AWARD, tier=tier
        )
        .order_by("sort_order")
        .first()
    )
    if award_type is None:
        raise ValidationError(_("奖项类型目录中没有市政府质量奖，请先运行 load_catalog"))
    return award_type


def _register_award(application: Application, user: User | None, nomination: bool) -> Grant:
    rnd = application.round
    if application.category == Application.Category.ORGANISATION:
        name = rnd.name
    else:
        name = f"{application.applicant_name}（{rnd.name}）"
    # The bureau's right to award was checked above; the grant is its consequence.
    grant = grant_create(
        user=None,
        award_type=award_type_for(application, nomination),
        enterprise=application.enterprise,
        name=name[:200],
        year_granted=rnd.year,
        note=f"{rnd.name}授奖",
        application=application,
    )
    if getattr(user, "is_authenticated", False):
        Grant.objects.filter(pk=grant.pk).update(created_by=user)
    return grant


# --- reviewers and scores -------------------------------------------------------------


@transaction.atomic
def review_assign(
    *, user: User | None, application: Application, reviewer: User, stage: str
) -> ReviewAssignment:
    """Assign a reviewer to score an application at a scored stage not yet passed."""
    _check_bureau(user, application.round)
    if stage not in SCORED_STAGES:
        raise ValidationError(_("只能为材料评审或现场评审指派评审员"))
    if application.stage == Stage.REJECTED or (
        STAGE_ORDER.index(application.stage) > STAGE_ORDER.index(stage)
    ):
        raise ValidationError(_("申报已过“%(stage)s”阶段，不能再指派评审员") % {"stage": _stage_label(stage)})
    if not reviewer.is_active:
        raise ValidationError(_("用户 %(user)s 已停用") % {"user": reviewer.get_username()})
    if ReviewAssignment.objects.filter(application=application, reviewer=reviewer, stage=stage).exists():
        raise ValidationError(
            _("%(user)s 已是该申报的%(stage)s评审员")
            % {"user": reviewer.get_username(), "stage": _stage_label(stage)}
        )
    return ReviewAssignment.objects.create(
        application=application, reviewer=reviewer, stage=stage, assigned_by=user
    )


@transaction.atomic
def review_unassign(*, user: User | None, assignment: ReviewAssignment) -> None:
    _check_bureau(user, assignment.application.round)
    if assignment.submitted_at is not None:
        raise ValidationError(_("评审员已提交评分，不能撤销指派"))
    assignment.delete()


def _points(raw) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError from exc
    if not value.is_finite():
        raise ValueError
    return value


@transaction.atomic
def review_submit(
    *,
    user: User | None,
    assignment: ReviewAssignment,
    scores: dict[str, object],
    comments: dict[str, str] | None = None,
) -> ReviewAssignment:
    """Save a reviewer's score sheet: one score per category, 0 <= points <= the category's max.

    `scores` maps category codes to points. The sheet may be resubmitted while
    the application is at the assignment's stage; the total is their sum.
    """
    assignment = (
        ReviewAssignment.objects.select_for_update()
        .select_related("application__round")
        .get(pk=assignment.pk)
    )
    if user is None or assignment.reviewer_id != user.pk:
        raise PermissionDenied(_("只能提交指派给自己的评分"))
    application = assignment.application
    if application.stage != assignment.stage:
        raise ValidationError(
            _("申报当前处于“%(current)s”，不在“%(stage)s”阶段，不能评分")
            % {"current": _stage_label(application.stage), "stage": _stage_label(assignment.stage)}
        )
    categories = list(application.round.categories.all())
    comments = comments or {}
    errors: list[str] = []
    parsed: dict[int, Decimal] = {}
    known = {c.code for c in categories}
    for code in sorted(set(scores) - known):
        errors.append(_("未知评分类目“%(code)s”") % {"code": code})
    for category in categories:
        raw = scores.get(category.code)
        if raw is None or str(raw).strip() == "":
            errors.append(_("“%(category)s”未打分") % {"category": category.name})
            continue
        try:
            points = _points(raw)
        except ValueError:
            errors.append(_("“%(category)s”得分“%(raw)s”不是数字") % {"category": category.name, "raw": raw})
            continue
        given = {"category": category.name, "points": points}
        if points < 0:
            errors.append(_("“%(category)s”得分 %(points)s 不能为负数") % given)
        elif points > category.max_points:
            errors.append(
                _("“%(category)s”得分 %(points)s 超过该类目满分 %(max)s")
                % {**given, "max": category.max_points}
            )
        elif points != points.quantize(Decimal("0.01")):
            errors.append(_("“%(category)s”得分 %(points)s 最多保留两位小数") % given)
        else:
            parsed[category.pk] = points
    if errors:
        raise ValidationError(errors)
    for category in categories:
        CategoryScore.objects.update_or_create(
            assignment=assignment,
            category=category,
            defaults={"points": parsed[category.pk], "comment": (comments.get(category.code) or "")[:500]},
        )
    assignment.total = sum(parsed.values(), Decimal(0)).quantize(Decimal("0.01"))
    assignment.submitted_at = timezone.now()
    assignment.save(update_fields=["total", "submitted_at"])
    return assignment


# --- public notice objections -------------------------------------------------------------


@transaction.atomic
def objection_record(
    *, user: User | None, application: Application, received_on: dt.date, content: str, objector: str = ""
) -> Objection:
    """Record an objection received during the public notice (公示期内)."""
    _check_bureau(user, application.round)
    if application.stage != Stage.PUBLIC_NOTICE:
        raise ValidationError(_("只有处于公示阶段的申报才能登记异议"))
    if not (application.notice_start <= received_on <= application.notice_end):
        raise ValidationError(
            _("收到日期 %(date)s 不在公示期 %(start)s 至 %(end)s 内")
            % {"date": received_on, "start": application.notice_start, "end": application.notice_end}
        )
    if not (content or "").strip():
        raise ValidationError(_("请填写异议内容"))
    return Objection.objects.create(
        application=application,
        received_on=received_on,
        objector=objector.strip(),
        content=content.strip(),
        recorded_by=user,
    )


@transaction.atomic
def objection_decide(
    *, user: User | None, objection: Objection, outcome: str, note: str, decided_on: dt.date | None = None
) -> Objection:
    """Record the outcome of an objection (upheld or dismissed), with a note."""
    application = objection.application
    _check_bureau(user, application.round)
    if application.stage != Stage.PUBLIC_NOTICE:
        raise ValidationError(_("评审已结束，不能再处理异议"))
    if outcome not in (Objection.Outcome.UPHELD, Objection.Outcome.DISMISSED):
        raise ValidationError(_("处理结果须为“异议成立”或“异议不成立”"))
    if not (note or "").strip():
        raise ValidationError(_("请填写处理说明"))
    objection.outcome = outcome
    objection.outcome_note = note.strip()
    objection.decided_on = decided_on or timezone.localdate()
    objection.decided_by = user
    objection.save()
    return objection
