"""REST API of the awards registry and quality award rounds, under /api/v1/awards/.

The same selectors and services as the pages, hence the same permissions:
lists are scoped to what the user may read, writes go through services that ask
the policy. Service ValidationErrors become 400 responses listing every
message; PermissionDenied becomes 403 and invisible objects 404.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accounts import policy
from accounts.policy import Action
from awards import rounds, selectors, services
from awards.credit_code import validate_credit_code
from awards.models import (
    SCORED_STAGES,
    Application,
    AwardType,
    Enterprise,
    Grant,
    Objection,
    QualityAwardRound,
    ReviewAssignment,
    Stage,
)
from indicators.models import YEAR_MAX, YEAR_MIN, Region


def _call(fn, **kwargs):
    """Run a service; its ValidationError becomes a 400 with every message."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError(
                {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
            ) from exc
        raise ValidationError({"detail": exc.messages}) from exc


def _choice_field(choices, **kwargs) -> serializers.CharField:
    """A plain string field restricted to `choices`.

    Documented as a string listing its values rather than as an enum component:
    several apps name their fields `stage` or `category` with different choice
    sets, and drf-spectacular would otherwise have to invent colliding enum names.
    """
    values = [str(v) for v, _ in choices]
    listing = "、".join(f"{v}（{label}）" for v, label in choices)

    def check(value: str) -> None:
        if value not in values:
            raise ValidationError(_("须为以下之一：%(values)s") % {"values": listing})

    if kwargs.get("read_only"):
        return serializers.CharField(help_text=f"取值：{listing}", **kwargs)
    return serializers.CharField(validators=[check], help_text=f"取值：{listing}", **kwargs)


# --- serializers ---------------------------------------------------------------------------


class AwardEnterpriseSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    region_name = serializers.CharField(source="region.name", read_only=True)
    credit_code = serializers.CharField(max_length=18, validators=[validate_credit_code])

    class Meta:
        model = Enterprise
        fields = ["id", "name", "credit_code", "region", "region_name", "industry", "note"]


class AwardTypeSerializer(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = AwardType
        fields = ["code", "name", "level", "kind", "tier", "validity_years", "indicator", "note"]


class AwardGrantSerializer(serializers.ModelSerializer):
    award_type = serializers.SlugRelatedField(slug_field="code", queryset=AwardType.objects.all())
    enterprise = serializers.SlugRelatedField(slug_field="credit_code", queryset=Enterprise.objects.all())
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    region = serializers.CharField(source="enterprise.region.code", read_only=True)
    indicator = serializers.CharField(source="award_type.indicator.code", read_only=True, default=None)
    year_granted = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX)
    valid_until = serializers.IntegerField(
        min_value=YEAR_MIN, max_value=YEAR_MAX, required=False, allow_null=True
    )

    class Meta:
        model = Grant
        fields = [
            "id",
            "award_type",
            "enterprise",
            "enterprise_name",
            "region",
            "indicator",
            "name",
            "year_granted",
            "valid_until",
            "certificate_no",
            "note",
            "revoked_on",
            "revoke_reason",
        ]
        read_only_fields = ["revoked_on", "revoke_reason"]
        validators = []  # uniqueness is the service's (full_clean) job


class AwardRevokeSerializer(serializers.Serializer):
    revoked_on = serializers.DateField()
    reason = serializers.CharField(max_length=300)


class AwardCategorySerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=60)
    max_points = serializers.IntegerField(min_value=1)


class AwardRoundSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    categories = AwardCategorySerializer(many=True, required=False)
    max_total = serializers.IntegerField(read_only=True)

    class Meta:
        model = QualityAwardRound
        fields = [
            "id",
            "region",
            "name",
            "year",
            "eligibility",
            "document_pass_mark",
            "onsite_pass_mark",
            "accepting_applications",
            "categories",
            "max_total",
        ]
        validators = []


class AwardStageScoreSerializer(serializers.Serializer):
    mean = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    submitted = serializers.IntegerField()
    assigned = serializers.IntegerField()


class AwardApplicationSerializer(serializers.ModelSerializer):
    round = serializers.PrimaryKeyRelatedField(read_only=True)
    enterprise = serializers.SlugRelatedField(slug_field="credit_code", queryset=Enterprise.objects.all())
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    category = _choice_field(Application.Category.choices, read_only=True)
    stage = _choice_field(Stage.choices, read_only=True)
    scores = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "round",
            "enterprise",
            "enterprise_name",
            "category",
            "applicant_name",
            "stage",
            "notice_start",
            "notice_end",
            "scores",
        ]
        read_only_fields = ["stage", "notice_start", "notice_end"]
        validators = []

    def get_scores(self, obj: Application) -> dict[str, dict] | None:
        """Stage means: for the bureau, and for everyone once published (reviewers score blind)."""
        request = self.context.get("request")
        if request is not None:
            access = selectors.application_access(request.user, obj)
            if not (access.manage or access.public):
                return None
        return {
            s.value: AwardStageScoreSerializer(selectors.stage_scores([obj.pk], s.value)[obj.pk]).data
            for s in SCORED_STAGES
        }


class AwardApplicationCreateSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    enterprise = serializers.CharField(max_length=18, help_text="统一社会信用代码")
    category = _choice_field(Application.Category.choices)
    applicant_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    contact = serializers.CharField(max_length=100, required=False, allow_blank=True)


class AwardTransitionSerializer(serializers.Serializer):
    to_stage = _choice_field(Stage.choices)
    note = serializers.CharField(required=False, allow_blank=True)
    notice_start = serializers.DateField(required=False, allow_null=True)
    notice_end = serializers.DateField(required=False, allow_null=True)
    nomination = serializers.BooleanField(required=False, default=False)


class AwardAssignSerializer(serializers.Serializer):
    reviewer = serializers.CharField(max_length=150, help_text="用户名")
    stage = _choice_field([(s.value, s.label) for s in SCORED_STAGES])


class AwardScoreSheetSerializer(serializers.Serializer):
    stage = _choice_field([(s.value, s.label) for s in SCORED_STAGES])
    scores = serializers.DictField(child=serializers.CharField(), help_text="类目代码 -> 得分")
    comments = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)


class AwardObjectionSerializer(serializers.ModelSerializer):
    outcome = _choice_field(Objection.Outcome.choices, read_only=True)

    class Meta:
        model = Objection
        fields = [
            "id",
            "application",
            "received_on",
            "objector",
            "content",
            "outcome",
            "outcome_note",
            "decided_on",
        ]
        read_only_fields = ["application", "outcome", "outcome_note", "decided_on"]


class AwardDecideSerializer(serializers.Serializer):
    outcome = _choice_field(
        [(o.value, o.label) for o in (Objection.Outcome.UPHELD, Objection.Outcome.DISMISSED)]
    )
    note = serializers.CharField()


# --- viewsets ---------------------------------------------------------------------------------


class EnterpriseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AwardEnterpriseSerializer
    lookup_value_regex = r"[0-9]+"  # a non-numeric id is a 404, not int() -> 500

    @extend_schema(
        parameters=[
            OpenApiParameter("region", str, description="地区代码（含下辖地区）"),
            OpenApiParameter("q", str, description="名称或统一社会信用代码"),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        p = self.request.query_params
        return selectors.enterprise_list(
            user=self.request.user, region=p.get("region"), q=p.get("q"), industry=p.get("industry")
        )

    def get_object(self) -> Enterprise:
        action_ = Action.REGISTER_AWARDS if self.request.method not in ("GET", "HEAD") else Action.READ
        return selectors.get_enterprise_for_user(self.request.user, int(self.kwargs["pk"]), action_)

    def perform_create(self, serializer) -> None:
        serializer.instance = _call(
            services.enterprise_create, user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer) -> None:
        serializer.instance = _call(
            services.enterprise_update,
            user=self.request.user,
            enterprise=serializer.instance,
            **serializer.validated_data,
        )


class AwardTypeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AwardTypeSerializer
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self):
        return selectors.award_type_list()


class GrantViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AwardGrantSerializer
    lookup_value_regex = r"[0-9]+"  # a non-numeric id is a 404, not int() -> 500

    @extend_schema(
        parameters=[
            OpenApiParameter("region", str, description="地区代码（含下辖地区）"),
            OpenApiParameter("indicator", str, description="计入的指标代码"),
            OpenApiParameter("award_type", str, description="奖项类型代码"),
            OpenApiParameter("year", int, description="在该年末有效"),
            OpenApiParameter("status", str, enum=["valid", "expired", "revoked"]),
            OpenApiParameter("q", str),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        p = self.request.query_params
        year = p.get("year")
        if year and not (year.isdigit() and YEAR_MIN <= int(year) <= YEAR_MAX):  # else a 500 from date()
            raise ValidationError(
                {"year": [_("年度须为 %(min)s–%(max)s 之间的整数") % {"min": YEAR_MIN, "max": YEAR_MAX}]}
            )
        filters = selectors.GrantFilters(
            region=p.get("region"),
            indicator=p.get("indicator"),
            award_type=p.get("award_type"),
            level=p.get("level"),
            year=int(year) if year else None,
            status=p.get("status"),
            q=p.get("q"),
        )
        return selectors.grant_list(user=self.request.user, filters=filters)

    def get_object(self) -> Grant:
        action_ = Action.REGISTER_AWARDS if self.request.method not in ("GET", "HEAD") else Action.READ
        return selectors.get_grant_for_user(self.request.user, int(self.kwargs["pk"]), action_)

    def _visible_enterprise(self, enterprise: Enterprise) -> None:
        if not policy.can(self.request.user, Action.READ, enterprise.region):
            raise ValidationError({"enterprise": [_("统一社会信用代码未登记或不在您的辖区")]})

    def perform_create(self, serializer) -> None:
        self._visible_enterprise(serializer.validated_data["enterprise"])
        serializer.instance = _call(
            services.grant_create, user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer) -> None:
        if "enterprise" in serializer.validated_data:
            self._visible_enterprise(serializer.validated_data["enterprise"])
        serializer.instance = _call(
            services.grant_update,
            user=self.request.user,
            grant=serializer.instance,
            **serializer.validated_data,
        )

    @extend_schema(request=AwardRevokeSerializer, responses=AwardGrantSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        grant = self.get_object()
        data = AwardRevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = _call(
            services.grant_revoke,
            user=request.user,
            grant=grant,
            revoked_on=data.validated_data["revoked_on"],
            reason=data.validated_data["reason"],
        )
        return Response(AwardGrantSerializer(grant).data)


class RoundViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = AwardRoundSerializer
    lookup_value_regex = r"[0-9]+"  # a non-numeric id is a 404, not int() -> 500

    def get_queryset(self):
        return selectors.round_list(user=self.request.user).prefetch_related("categories")

    def get_object(self) -> QualityAwardRound:
        return selectors.get_round_for_user(self.request.user, int(self.kwargs["pk"]))

    def perform_create(self, serializer) -> None:
        data = dict(serializer.validated_data)
        categories = data.pop("categories", None)
        data.pop("accepting_applications", None)
        serializer.instance = _call(
            rounds.round_create,
            user=self.request.user,
            categories=[(c["code"], c["name"], c["max_points"]) for c in categories] if categories else None,
            **data,
        )

    @extend_schema(parameters=[OpenApiParameter("stage", str, enum=[s.value for s in SCORED_STAGES])])
    @action(detail=True, methods=["get"])
    def ranking(self, request: Request, pk: str) -> Response:
        """Visible applicants ranked within each category by their reviewers' mean total."""
        rnd = self.get_object()
        stage = request.query_params.get("stage")
        if stage and stage not in SCORED_STAGES:
            raise ValidationError({"stage": [_("须为 document_review 或 onsite_review")]})
        rows = selectors.round_ranking_for_user(user=request.user, rnd=rnd, stage=stage)
        return Response(
            [
                {
                    "application": r.application.pk,
                    "applicant_name": r.application.applicant_name,
                    "category": r.application.category,
                    "stage": r.application.stage,
                    "rank": r.rank,
                    "rank_of": r.rank_of,
                    "scores": None
                    if r.scores_hidden
                    else {k: AwardStageScoreSerializer(v).data for k, v in r.scores.items()},
                }
                for r in rows
            ]
        )


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AwardApplicationSerializer
    lookup_value_regex = r"[0-9]+"  # a non-numeric id is a 404, not int() -> 500

    @extend_schema(parameters=[OpenApiParameter("round", int, required=True)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        round_id = self.request.query_params.get("round")
        if self.action == "list":
            if not (round_id and round_id.isdigit()):
                raise ValidationError({"round": [_("请指定评审 id（?round=）")]})
            rnd = selectors.get_round_for_user(self.request.user, int(round_id))
            return selectors.applications_visible(user=self.request.user, rnd=rnd)
        return Application.objects.none()

    def _get(self, manage: bool = False) -> Application:
        application, _ = selectors.get_application_for_user(
            self.request.user, int(self.kwargs["pk"]), manage=manage
        )
        return application

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AwardApplicationSerializer(self._get(), context={"request": request}).data)

    @extend_schema(request=AwardApplicationCreateSerializer, responses={201: AwardApplicationSerializer})
    def create(self, request: Request) -> Response:
        data = AwardApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rnd = selectors.get_round_for_user(request.user, v["round"], manage=True)
        enterprise = Enterprise.objects.select_related("region").filter(credit_code=v["enterprise"]).first()
        if enterprise is None:
            raise ValidationError({"enterprise": [_("统一社会信用代码未登记")]})
        application = _call(
            rounds.application_create,
            user=request.user,
            rnd=rnd,
            enterprise=enterprise,
            category=v["category"],
            applicant_name=v.get("applicant_name", ""),
            contact=v.get("contact", ""),
        )
        return Response(
            AwardApplicationSerializer(application, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=AwardTransitionSerializer, responses=AwardApplicationSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        application = self._get(manage=True)
        data = AwardTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = _call(
            rounds.application_transition, user=request.user, application=application, **data.validated_data
        )
        return Response(AwardApplicationSerializer(application, context={"request": request}).data)

    @extend_schema(request=AwardAssignSerializer, responses={201: None})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        application = self._get(manage=True)
        data = AwardAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reviewer = User.objects.filter(username=data.validated_data["reviewer"]).first()
        if reviewer is None:
            raise ValidationError({"reviewer": [_("没有该用户")]})
        assignment = _call(
            rounds.review_assign,
            user=request.user,
            application=application,
            reviewer=reviewer,
            stage=data.validated_data["stage"],
        )
        return Response(
            {"id": assignment.pk, "reviewer": reviewer.username, "stage": assignment.stage},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=AwardScoreSheetSerializer, responses={200: None})
    @action(detail=True, methods=["post"])
    def score(self, request: Request, pk: str) -> Response:
        """The calling reviewer's score sheet for one stage (categories by code)."""
        application = self._get()
        data = AwardScoreSheetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = ReviewAssignment.objects.filter(
            application=application, reviewer=request.user, stage=data.validated_data["stage"]
        ).first()
        if assignment is None:
            raise Http404(_("您未被指派评审该申报的这一阶段"))
        assignment = _call(
            rounds.review_submit,
            user=request.user,
            assignment=assignment,
            scores=data.validated_data["scores"],
            comments=data.validated_data.get("comments"),
        )
        return Response({"id": assignment.pk, "stage": assignment.stage, "total": str(assignment.total)})

    @extend_schema(request=AwardObjectionSerializer, responses={201: AwardObjectionSerializer})
    @action(detail=True, methods=["post"])
    def objections(self, request: Request, pk: str) -> Response:
        application = self._get(manage=True)
        data = AwardObjectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        objection = _call(
            rounds.objection_record, user=request.user, application=application, **data.validated_data
        )
        return Response(AwardObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)


class ObjectionViewSet(viewsets.GenericViewSet):
    serializer_class = AwardObjectionSerializer
    lookup_value_regex = r"[0-9]+"  # a non-numeric id is a 404, not int() -> 500
    queryset = Objection.objects.none()

    @extend_schema(request=AwardDecideSerializer, responses=AwardObjectionSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        objection = Objection.objects.select_related("application").filter(pk=int(pk)).first()
        if objection is None:
            raise Http404
        selectors.get_application_for_user(request.user, objection.application_id, manage=True)
        data = AwardDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        objection = _call(
            rounds.objection_decide, user=request.user, objection=objection, **data.validated_data
        )
        return Response(AwardObjectionSerializer(objection).data)


router = DefaultRouter()
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("award-types", AwardTypeViewSet, basename="award-type")
router.register("grants", GrantViewSet, basename="grant")
router.register("rounds", RoundViewSet, basename="round")
router.register("applications", ApplicationViewSet, basename="application")
router.register("objections", ObjectionViewSet, basename="objection")

urlpatterns = router.urls
