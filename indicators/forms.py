"""Forms of the data-entry pages. They parse input only; rules live in services.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from indicators.imports import IMPORT_STATUSES
from indicators.models import Figure, Indicator
from indicators.services import EVIDENCE_ACCEPT


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class ReasonForm(VersionForm):
    reason = forms.CharField(
        label=_("原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写原因")},
    )


class ApproveForm(VersionForm):
    verified_value = forms.CharField(
        label=_("核定值"),
        required=False,
        help_text=_("留空表示按填报值审核通过；与填报值不同时须填写调整原因"),
    )
    reason = forms.CharField(
        label=_("调整原因"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("佐证材料"),
        widget=forms.ClearableFileInput(attrs={"accept": EVIDENCE_ACCEPT}),
        error_messages={"required": _("请选择要上传的文件")},
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("数据文件（.xlsx 或 .csv）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        error_messages={"required": _("请选择要导入的文件")},
    )
    status = forms.ChoiceField(
        label=_("导入后状态"),
        choices=[(s.value, s.label) for s in IMPORT_STATUSES if s != Figure.Status.APPROVED],
        initial=Figure.Status.DRAFT,
    )


class BulkReviewForm(forms.Form):
    ACTIONS = [("approve", _("批量审核通过")), ("return", _("批量退回"))]
    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(required=False, max_length=1000)

    def clean(self):
        data = super().clean()
        if data.get("action") == "return" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("批量退回须填写原因"))
        return data


def selected_items(post: QueryDict) -> list[tuple[int, int]]:
    """[(figure id, version)] from checkboxes named `pick` with values "id:version"."""
    items = []
    for raw in post.getlist("pick"):
        pk, _sep, version = raw.partition(":")
        if pk.isdigit() and version.isdigit():
            items.append((int(pk), int(version)))
    return items


@dataclass
class RowInput:
    """What the entry grid posted for one indicator."""

    indicator: Indicator
    value: str
    note: str
    original_value: str
    original_note: str
    version: int
    selected: bool
    files: list = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return self.value != self.original_value or self.note != self.original_note


def read_grid_post(post: QueryDict, files: MultiValueDict, indicators: list[Indicator]) -> list[RowInput]:
    """Rows of the grid form: v_<code> value, n_<code> note, o_/on_<code> what was shown,
    ver_<code> the version shown, sel_<code> submit checkbox, ev_<code> evidence files."""
    out = []
    for ind in indicators:
        c = ind.code
        if f"v_{c}" not in post and f"ev_{c}" not in files and f"sel_{c}" not in post:
            continue
        version = post.get(f"ver_{c}", "0")
        out.append(
            RowInput(
                indicator=ind,
                value=post.get(f"v_{c}", "").strip(),
                note=post.get(f"n_{c}", "").strip(),
                original_value=post.get(f"o_{c}", "").strip(),
                original_note=post.get(f"on_{c}", "").strip(),
                version=int(version) if version.isdigit() else 0,
                selected=post.get(f"sel_{c}") == "1",
                files=files.getlist(f"ev_{c}"),
            )
        )
    return out
