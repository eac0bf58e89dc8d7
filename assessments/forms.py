"""Forms of the assessment pages: parsing only; the rules live in services.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import STAGE_ORDER, Stage


class AssessmentForm(forms.Form):
    region_code = forms.CharField(label=_("考核组织地区代码"), max_length=6)
    year = forms.IntegerField(label=_("考核年度"), min_value=1990, max_value=2100)
    name = forms.CharField(label=_("考核名称"), max_length=120, required=False)
    window_start = forms.DateField(
        label=_("考核周期开始"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    window_end = forms.DateField(
        label=_("考核周期结束"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class DeadlinesForm(forms.Form):
    """One optional date per stage: deadline_filing, deadline_self, ..."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for stage in STAGE_ORDER:
            self.fields[f"deadline_{stage}"] = forms.DateField(
                label=Stage(stage).label, required=False, widget=forms.DateInput(attrs={"type": "date"})
            )

    def deadlines(self) -> dict:
        return {stage: self.cleaned_data.get(f"deadline_{stage}") for stage in STAGE_ORDER}


class AssessmentCreateForm(AssessmentForm, DeadlinesForm):
    pass


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class PublishForm(forms.Form):
    title = forms.CharField(label=_("通报标题"), max_length=200, required=False)


class GroupForm(forms.Form):
    name = forms.CharField(label=_("核查组名称"), max_length=60)
    members = forms.CharField(
        label=_("组员用户名"), help_text=_("多个用户名用逗号或空格分隔"), max_length=2000
    )
    leader = forms.CharField(label=_("带队领导用户名"), max_length=150, required=False)
    regions = forms.MultipleChoiceField(
        label=_("负责核查的地区"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, region_choices=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["regions"].choices = list(region_choices)

    def usernames(self) -> list[str]:
        raw = self.cleaned_data["members"].replace("，", ",").replace("、", ",")
        return [u for u in (p.strip() for p in raw.replace(",", " ").split()) if u]


class ItemSelfForm(forms.Form):
    points = forms.CharField(label=_("自评分"), max_length=20)
    reason = forms.CharField(label=_("自评说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(label=_("佐证材料"), required=False)


class FindingForm(forms.Form):
    value = forms.CharField(label=_("核定值"), max_length=40, required=False)
    reason = forms.CharField(label=_("调整原因"), max_length=2000, required=False)
    note = forms.CharField(label=_("核查意见"), max_length=2000, required=False)
