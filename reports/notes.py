"""Progress notes and errors of report artefacts, shown in the reader's language.

Reports are rendered in Chinese (they are official documents), and the notes and
errors a render writes are stored with the artefact in Chinese too, whoever asked
and in whatever language. `localize` turns such a stored text into the active
language when a page or the API shows it: fixed texts are catalogue entries, texts
with a number or a name are matched by pattern. Anything else is shown as stored.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext, gettext_noop

# Fixed notes and errors written by reports.services and the exporters.
FIXED = (
    gettext_noop("开始生成"),
    gettext_noop("检查中文字体"),
    gettext_noop("启动图表渲染"),
    gettext_noop("写入概况"),
    gettext_noop("写入指标得分"),
    gettext_noop("写入下级地区排名"),
    gettext_noop("写入考核结果"),
    gettext_noop("保存文件"),
    gettext_noop("文件已存档，可以下载"),
    gettext_noop("生成超时（任务可能已丢失），请重新生成。"),
    gettext_noop("报告未能在规定时间内生成"),
)
# The bases as the patterns below show them ("核定" -> "核定口径").
BASES = (gettext_noop("自评口径"), gettext_noop("核定口径"))

# (stored text, catalogue entry); a `basis` group holds a Chinese basis label (自评 / 核定).
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^已渲染图表 (?P<n>\d+)/(?P<total>\d+)$"), gettext_noop("已渲染图表 %(n)s/%(total)s")),
    (
        re.compile(r"^生成期间数据已更新，最新数据的报告见 #(?P<pk>\d+)。$"),
        gettext_noop("生成期间数据已更新，最新数据的报告见 #%(pk)s。"),
    ),
    (re.compile(r"^生成失败（(?P<error>.*)）$", re.DOTALL), gettext_noop("生成失败（%(error)s）")),
    (
        re.compile(r"^(?P<region>.+?)没有下级地区，无法生成考核结果通报。$"),
        gettext_noop("%(region)s没有下级地区，无法生成考核结果通报。"),
    ),
    (
        re.compile(
            r"^(?P<region>.+?)下级地区(?P<year>\d+)年度尚无(?P<basis>.+?)得分，请先完成评分计算后再生成通报。$"
        ),
        gettext_noop("%(region)s下级地区%(year)s年度尚无%(basis)s得分，请先完成评分计算后再生成通报。"),
    ),
    (
        re.compile(
            r"^(?P<region>.+?)(?P<year>\d+)年度尚无(?P<basis>.+?)得分，请先完成评分计算后再生成报告。$"
        ),
        gettext_noop("%(region)s%(year)s年度尚无%(basis)s得分，请先完成评分计算后再生成报告。"),
    ),
)


def localize(text: str | None) -> str:
    """`text` (a stored note or error, Chinese) in the active language where the catalogue has it."""
    if not text:
        return text or ""
    if text in FIXED:
        return gettext(text)
    for pattern, msgid in PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        params = match.groupdict()
        if "basis" in params:
            # "核定" -> "核定口径" (Verified basis): a catalogue entry of its own.
            basis_msgid = params["basis"] + "口径"  # one of BASES
            params["basis"] = gettext(basis_msgid)
        translated = gettext(msgid)
        # In Chinese the basis keeps its stored form (no 口径 suffix): the text is returned as is.
        return text if translated == msgid else translated % params
    return text
