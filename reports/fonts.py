"""The CJK fonts a PDF report is typeset with, found through fontconfig.

WeasyPrint and chromium (for chart images) both ask fontconfig for glyphs. Without
a font covering Chinese they silently print empty boxes (tofu), so a report must
refuse to render instead: `pdf_fonts()` raises ReportError with a message that says
which package to install.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass

from reports.errors import ReportError

MISSING_FONT_MESSAGE = (
    "未找到中文（CJK）字体，无法生成 PDF 报告，否则中文会显示为方框。"
    "请在服务器上安装中文字体（Debian：apt-get install fonts-noto-cjk fonts-wqy-microhei，"
    "或在项目目录运行 make system-deps）后重试。"
)

# 黑体-like faces for headings, in order of preference.
HEADING_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "SimHei",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
)
# 仿宋 / 宋体-like faces for body text (government documents are set in 仿宋).
BODY_FAMILIES = (
    "FangSong",
    "FangSong_GB2312",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "AR PL UMing CN",
    "SimSun",
    *HEADING_FAMILIES,
)


@dataclass(frozen=True)
class FontChoice:
    heading: str  # CSS font-family list for headings
    body: str  # CSS font-family list for text and tables
    chart: str  # one family name for plotly (chart images)


@functools.cache
def cjk_families() -> tuple[str, ...]:
    """Family names fontconfig reports for Chinese (`fc-list :lang=zh family`)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ()
    try:
        out = subprocess.run(  # noqa: S603 — fixed argv, no shell
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    names: list[str] = []
    for line in out.splitlines():
        for name in line.split(","):
            name = name.strip()
            if name and name not in names:
                names.append(name)
    return tuple(names)


def _css_list(preferred: tuple[str, ...], available: tuple[str, ...]) -> list[str]:
    chosen = [name for name in preferred if name in available]
    # Any other CJK face fontconfig knows is still better than a Latin fallback.
    return chosen or [available[0]]


def pdf_fonts() -> FontChoice:
    """The font stacks for a report; ReportError when no CJK font is installed."""
    available = cjk_families()
    if not available:
        raise ReportError(MISSING_FONT_MESSAGE)
    heading = _css_list(HEADING_FAMILIES, available)
    body = _css_list(BODY_FAMILIES, available)

    def css(names: list[str]) -> str:
        return ", ".join(f'"{n}"' for n in names) + ", sans-serif"

    return FontChoice(heading=css(heading), body=css(body), chart=heading[0])
