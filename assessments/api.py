"""/api/v1/assessments/: the assessment cycle over HTTP, with exactly the pages' permissions.

    GET  /                                   assessments the user takes part in
    GET  /{id}/                              the stage board (city readers) or the user's own rows
    POST /{id}/advance/                      {"to_stage": "self"}
    GET  /{id}/transitions/                  the stage log
    GET  /{id}/regions/{code}/findings/      the verification sheet (the county's group only)
    POST /{id}/regions/{code}/findings/      {"indicator": code | "item": code, "value", "reason", "note"}
    GET  /{id}/publications/                 published versions
    GET  /{id}/publications/{version}/       one version's frozen ranking (+ ?region=code: its targets)

Refusals: AssessmentError -> 400 {"detail"}, PermissionDenied and Frozen -> 403 {"detail"}.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import policy
from accounts.policy import Action
from assessments import selectors, services
from assessments.models import Assessment, AssessmentRegion, Stage, StageTransition
from indicators.models import Indicator, QualitativeItem, Region

app_name = "assessments_api"


# --- Serializers --------------------------------------------------------------------


class AssessmentSerializer(serializers.ModelSerializer):
    assessing_region = serializers.CharField(source="assessing_region.code")
    assessing_region_name = serializers.CharField(source="assessing_region.name")
    stage_label = serializers.CharField(source="get_stage_display")

    class Meta:
        model = Assessment
        fields = [
            "id",
            "name",
            "assessing_region",
            "assessing_region_name",
            "year",
            "window_start",
            "window_end",
            "stage",
            "stage_label",
            "version",
            "signed_off_at",
        ]


class TransitionSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", default=None)
    kind_label = serializers.CharField(source="get_kind_display")
    # Plain strings: the stage enum is documented once, on AssessmentSerializer.stage.
    from_stage = serializers.CharField()
    to_stage = serializers.CharField()

    class Meta:
        model = StageTransition
        fields = [
            "id",
            "region",
            "kind",
            "kind_label",
            "from_stage",
            "to_stage",
            "by_name",
            "at",
            "reason",
            "late",
            "days_late",
        ]


def _board_row(line: selectors.BoardRow) -> dict:
    row = line.row
    return {
        "region": row.region.code,
        "region_name": row.region.name,
        "stage": row.stage,
        "stage_label": row.get_stage_display(),
        "group": row.group.name if row.group_id else None,
        "targets": line.targets,
        "sent_in": line.sent_in,
        "approved": line.approved,
        "open_returns": line.open_returns,
        "returns_count": row.returns_count,
        "filing_late": row.filing_late,
        "self_late": row.self_late,
        "days_late": line.days_late,
        "late_notes": line.late_notes,
        "self_total": line.self_total,
        "verified_total": line.verified_total,
    }


def _dec(value) -> str | None:
    return None if value is None else f"{value:f}"


# --- Helpers -------------------------------------------------------------------------------


def _assessment(request: Request, pk: int) -> Assessment:
    if not selectors.assessments_for(request.user).filter(pk=pk).exists():
        raise Http404(_("没有找到该考核"))
    return Assessment.objects.select_related("assessing_region", "scheme").get(pk=pk)


def _error(exc: services.AssessmentError) -> Response:
    return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)


def _verification_row(request: Request, assessment: Assessment, code: str) -> AssessmentRegion:
    row = get_object_or_404(
        AssessmentRegion.objects.select_related("region", "group"), assessment=assessment, region__code=code
    )
    row.assessment = assessment
    if not policy.can_verify_county(request.user, row, write=False):
        raise DRFPermissionDenied(
            _("您不是%(region)s的现场核查组成员，不能查看其核查材料") % {"region": row.region.name}
        )
    return row


# --- Endpoints -------------------------------------------------------------------------------


@extend_schema(
    operation_id="assessments_list", responses=AssessmentSerializer(many=True), summary="参与的年度考核"
)
@api_view(["GET"])
def assessment_list(request: Request) -> Response:
    qs = selectors.assessments_for(request.user)
    return Response(AssessmentSerializer(qs[:500], many=True).data)


@extend_schema(operation_id="assessments_board", responses=OpenApiTypes.OBJECT, summary="考核进度看板")
@api_view(["GET"])
def assessment_detail(request: Request, pk: int) -> Response:
    assessment = _assessment(request, pk)
    data = dict(AssessmentSerializer(assessment).data)
    board = selectors.stage_board(assessment)
    if selectors.can_see_board(request.user, assessment):
        lines = board.rows
    else:
        visible = {r.pk for r in selectors.visible_rows(request.user, assessment)}
        lines = [line for line in board.rows if line.row.pk in visible]
    data["deadlines"] = {stage: due.isoformat() for stage, due in board.deadlines.items()}
    data["regions"] = [_board_row(line) for line in lines]
    return Response(data)


@extend_schema(
    operation_id="assessments_advance",
    request=inline_serializer(
        "AdvanceRequest",
        {"to_stage": serializers.CharField(help_text="下一阶段：self / review / verification / final")},
    ),
    responses=AssessmentSerializer,
    summary="进入下一阶段",
)
@api_view(["POST"])
def assessment_advance(request: Request, pk: int) -> Response:
    assessment = _assessment(request, pk)
    policy.check(request.user, Action.PUBLISH, assessment.assessing_region)
    try:
        assessment = services.assessment_advance(
            actor=request.user, assessment=assessment, to_stage=str(request.data.get("to_stage", ""))
        )
    except services.AssessmentError as exc:
        return _error(exc)
    return Response(AssessmentSerializer(assessment).data)


@extend_schema(
    operation_id="assessments_transitions", responses=TransitionSerializer(many=True), summary="阶段流转记录"
)
@api_view(["GET"])
def assessment_transitions(request: Request, pk: int) -> Response:
    assessment = _assessment(request, pk)
    qs = StageTransition.objects.filter(assessment=assessment).select_related("region").order_by("at", "id")
    if not selectors.can_see_board(request.user, assessment):
        qs = qs.filter(region__in=[r.region for r in selectors.visible_rows(request.user, assessment)])
    return Response(TransitionSerializer(qs, many=True).data)


@extend_schema(
    methods=["GET"],
    operation_id="assessments_findings_list",
    responses=OpenApiTypes.OBJECT,
    summary="现场核查表（仅限该地区的核查组）",
)
@extend_schema(
    methods=["POST"],
    operation_id="assessments_findings_create",
    request=inline_serializer(
        "FindingRequest",
        {
            "indicator": serializers.CharField(required=False),
            "item": serializers.CharField(required=False),
            "value": serializers.CharField(required=False, allow_blank=True),
            "reason": serializers.CharField(required=False, allow_blank=True),
            "note": serializers.CharField(required=False, allow_blank=True),
        },
    ),
    responses=OpenApiTypes.OBJECT,
    summary="记录现场核查结果（仅限该地区的核查组）",
)
@api_view(["GET", "POST"])
def findings(request: Request, pk: int, code: str) -> Response:
    assessment = _assessment(request, pk)
    row = _verification_row(request, assessment, code)
    if request.method == "POST":
        indicator = item = None
        if request.data.get("indicator"):
            indicator = get_object_or_404(Indicator, code=str(request.data["indicator"]))
        elif request.data.get("item"):
            item = get_object_or_404(
                QualitativeItem, scheme=assessment.scheme, code=str(request.data["item"])
            )
        value = request.data.get("value")
        try:
            services.finding_record(
                actor=request.user,
                row=row,
                indicator=indicator,
                item=item,
                adjusted_value=value if indicator else None,
                verified_points=value if item else None,
                reason=str(request.data.get("reason", "")),
                note=str(request.data.get("note", "")),
            )
        except services.AssessmentError as exc:
            return _error(exc)
        row.refresh_from_db()
        row.assessment = assessment
    sheet = selectors.county_sheet(row)
    body = {
        "region": row.region.code,
        "stage": row.stage,
        "group": row.group.name if row.group_id else None,
        "indicators": [
            {
                "indicator": line.target.indicator.code,
                "name": line.target.indicator.name_zh,
                "target": _dec(line.target.value),
                "comparator": line.target.comparator,
                "status": line.figure.status if line.figure else None,
                "reported_value": _dec(line.figure.reported_value) if line.figure else None,
                "verified_value": _dec(line.figure.verified_value) if line.figure else None,
                "finding": _finding(line.finding),
            }
            for line in sheet.targets
        ],
        "items": [
            {
                "item": line.item.code,
                "name": line.item.name,
                "max_points": _dec(line.item.max_points),
                "self_points": _dec(line.score.self_points) if line.score else None,
                "verified_points": _dec(line.score.verified_points) if line.score else None,
                "finding": _finding(line.finding),
            }
            for line in sheet.items
        ],
    }
    return Response(body, status=status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK)


def _finding(finding) -> dict | None:
    if finding is None:
        return None
    return {
        "reported_value": _dec(finding.reported_value),
        "adjusted_value": _dec(finding.adjusted_value),
        "self_points": _dec(finding.self_points),
        "verified_points": _dec(finding.verified_points),
        "adjusted": finding.adjusted,
        "reason": finding.reason,
        "note": finding.note,
        "recorded_at": finding.recorded_at,
    }


@extend_schema(
    operation_id="assessments_publications_list", responses=OpenApiTypes.OBJECT, summary="已发布的通报版本"
)
@api_view(["GET"])
def publication_list(request: Request, pk: int) -> Response:
    assessment = _assessment(request, pk)
    if not selectors.can_read_publications(request.user, assessment):
        raise DRFPermissionDenied(_("无权查看该考核的通报"))
    return Response(
        [
            {
                "version": p.version,
                "title": p.title,
                "published_at": p.published_at,
                "published_by": p.published_by.get_username() if p.published_by else None,
                "reopened_at": p.reopened_at,
                "reopen_reason": p.reopen_reason,
                "current": assessment.stage == Stage.PUBLISHED and p.version == assessment.version,
            }
            for p in selectors.publications_of(assessment)
        ]
    )


@extend_schema(
    operation_id="assessments_publication_retrieve",
    parameters=[OpenApiParameter("region", str, description="地区代码：返回该地区的指标得分")],
    responses=OpenApiTypes.OBJECT,
    summary="某一版本通报的得分（冻结快照）",
)
@api_view(["GET"])
def publication_detail(request: Request, pk: int, version: int) -> Response:
    assessment = _assessment(request, pk)
    if not selectors.can_read_publications(request.user, assessment):
        raise DRFPermissionDenied(_("无权查看该考核的通报"))
    pub = selectors.publication(assessment, version)
    if pub is None:
        raise Http404(_("没有该版本的通报"))
    body = {
        "version": pub.version,
        "title": pub.title,
        "published_at": pub.published_at,
        "regions": [
            {
                "region": line.verified.region.code,
                "region_name": line.verified.region.name,
                "total": _dec(line.verified.total),
                "grade": line.verified.grade,
                "rank": line.verified.rank,
                "rank_of": line.verified.rank_of,
                "self_total": _dec(line.self_score.total) if line.self_score else None,
                "vetoed": line.verified.vetoed,
            }
            for line in selectors.published_ranking(pub)
        ],
    }
    code = request.query_params.get("region")
    if code:
        region = get_object_or_404(Region, code=code)
        body["targets"] = [
            {
                "indicator": t.indicator.code,
                "actual": _dec(t.actual),
                "target": _dec(t.target),
                "completion": _dec(t.completion),
                "points": _dec(t.points),
                "weight": _dec(t.weight),
                "status": t.status,
            }
            for t in selectors.published_targets(pub, region)
        ]
    return Response(body)


urlpatterns = [
    path("", assessment_list, name="list"),
    path("<int:pk>/", assessment_detail, name="detail"),
    path("<int:pk>/advance/", assessment_advance, name="advance"),
    path("<int:pk>/transitions/", assessment_transitions, name="transitions"),
    path("<int:pk>/regions/<str:code>/findings/", findings, name="findings"),
    path("<int:pk>/publications/", publication_list, name="publications"),
    path("<int:pk>/publications/<int:version>/", publication_detail, name="publication"),
]
