"""Forms of the awards pages. They parse input only; services decide and write."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import policy
from accounts.policy import Action
from awards.credit_code import validate_credit_code
from awards.models import (
    SCORED_STAGES,
    Application,
    ApplicationFile,
    AwardType,
    Enterprise,
    Objection,
    QualityAwardRound,
    Stage,
)
from indicators.models import YEAR_MAX, YEAR_MIN


def _region_field(user, action: Action, label) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=policy.regions_for(user, action).order_by("path"),
        to_field_name="code",
    )


class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=200)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=18,
        min_length=1,
        strip=True,
        validators=[validate_credit_code],
        help_text=_("18 位大写字母和数字，按 GB 32100-2015 校验"),
    )
    industry = forms.ChoiceField(
        label=_("行业门类"), choices=[("", "—"), *Enterprise.Industry.choices], required=False
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = _region_field(user, Action.REGISTER_AWARDS, _("所在地区"))
        self.order_fields(["name", "credit_code", "region", "industry", "note"])


class GrantForm(forms.Form):
    award_type = forms.ModelChoiceField(label=_("奖项类型"), queryset=AwardType.objects.all())
    name = forms.CharField(label=_("产品、品牌或获奖者名称"), max_length=200)
    year_granted = forms.IntegerField(label=_("获得年度"), min_value=YEAR_MIN, max_value=YEAR_MAX)
    valid_until = forms.IntegerField(
        label=_("有效期至（年）"),
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        required=False,
        help_text=_("留空则按奖项类型的有效期计算"),
    )
    certificate_no = forms.CharField(label=_("证书或文件编号"), max_length=100, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        regions = policy.regions_for(user, Action.REGISTER_AWARDS)
        self.fields["enterprise"] = forms.ModelChoiceField(
            label=_("企业"),
            queryset=Enterprise.objects.filter(region__in=regions).order_by("region__code", "name"),
        )
        self.order_fields(["award_type", "enterprise", "name", "year_granted", "valid_until"])


class RevokeForm(forms.Form):
    revoked_on = forms.DateField(label=_("撤销日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("撤销原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))


class RoundForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    year = forms.IntegerField(label=_("评审年度"), min_value=YEAR_MIN, max_value=YEAR_MAX)
    eligibility = forms.CharField(
        label=_("申报条件"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    document_pass_mark = forms.DecimalField(label=_("材料评审合格分"), max_digits=7, decimal_places=2)
    onsite_pass_mark = forms.DecimalField(label=_("现场评审合格分"), max_digits=7, decimal_places=2)
    accepting_applications = forms.BooleanField(label=_("受理申报"), required=False, initial=True)

    def __init__(self, *args, user=None, with_region: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_region:
            self.fields["region"] = _region_field(user, Action.RUN_AWARD_ROUND, _("组织地区"))
            self.order_fields(["region", "name", "year"])


class CategoryForm(forms.Form):
    code = forms.SlugField(label=_("代码"), max_length=40)
    name = forms.CharField(label=_("评分类目"), max_length=60)
    max_points = forms.IntegerField(label=_("满分"), min_value=1)


CategoryFormSet = forms.formset_factory(CategoryForm, extra=1, can_delete=True)


class ApplicationForm(forms.Form):
    category = forms.ChoiceField(label=_("申报类别"), choices=Application.Category.choices)
    applicant_name = forms.CharField(
        label=_("申报名称或个人姓名"),
        max_length=100,
        required=False,
        help_text=_("组织奖可留空（用单位名称）"),
    )
    contact = forms.CharField(label=_("联系人及电话"), max_length=100, required=False)
    report = forms.FileField(label=_("自评报告"), required=False)

    def __init__(self, *args, rnd: QualityAwardRound, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"] = forms.ModelChoiceField(
            label=_("申报单位"),
            queryset=Enterprise.objects.filter(region__path__startswith=rnd.region.path).order_by("name"),
        )
        self.order_fields(["enterprise", "category", "applicant_name", "contact", "report"])


class FileForm(forms.Form):
    kind = forms.ChoiceField(label=_("材料类型"), choices=ApplicationFile.Kind.choices)
    file = forms.FileField(label=_("文件"))


class TransitionForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("转到阶段"), choices=Stage.choices)
    note = forms.CharField(label=_("意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    notice_start = forms.DateField(
        label=_("公示开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    notice_end = forms.DateField(
        label=_("公示结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    nomination = forms.BooleanField(label=_("授予提名奖"), required=False)


class AssignForm(forms.Form):
    username = forms.CharField(label=_("评审员用户名"), max_length=150)
    stage = forms.ChoiceField(label=_("评审阶段"), choices=[(s.value, s.label) for s in SCORED_STAGES])

    def clean_username(self) -> User:
        user = User.objects.filter(username=self.cleaned_data["username"].strip()).first()
        if user is None:
            raise forms.ValidationError(_("没有该用户"))
        return user


class ScoreSheetForm(forms.Form):
    """One field per category of the round; bounds are checked by rounds.review_submit."""

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        for category in categories:
            self.fields[f"score_{category.code}"] = forms.CharField(
                label=gettext("%(category)s（满分 %(points)s）")
                % {"category": category.name, "points": category.max_points},
                required=False,
                max_length=12,
            )
            self.fields[f"comment_{category.code}"] = forms.CharField(
                label=_("评语"), required=False, max_length=500
            )
        self.categories = list(categories)

    def scores(self) -> dict[str, str]:
        return {c.code: self.cleaned_data.get(f"score_{c.code}", "") for c in self.categories}

    def comments(self) -> dict[str, str]:
        return {c.code: self.cleaned_data.get(f"comment_{c.code}", "") for c in self.categories}


class ObjectionForm(forms.Form):
    received_on = forms.DateField(label=_("收到日期"), widget=forms.DateInput(attrs={"type": "date"}))
    objector = forms.CharField(label=_("异议人"), max_length=100, required=False)
    content = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 3}))


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("处理结果"),
        choices=[(Objection.Outcome.UPHELD, _("异议成立")), (Objection.Outcome.DISMISSED, _("异议不成立"))],
    )
    note = forms.CharField(label=_("处理说明"), widget=forms.Textarea(attrs={"rows": 2}))
