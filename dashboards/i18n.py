"""The dashboards' own text in the active language, looked up once per language.

A page builds some forty strings in Python on every request (chart titles, notes,
axis titles, hover templates, labels). Django's gettext costs a few microseconds a
call (a Chinese page misses the English catalogue and walks its fallbacks), which
an overview answered in about 7 ms feels. A language's texts do not change while
the process runs (Django keeps its catalogues for the life of the process too), so
:func:`texts` memoises them per language; a change of the translation settings (in
tests) forgets them, as Django forgets its catalogues.

The methods carry gettext's names so that ``makemessages`` (xgettext) extracts
``t.gettext("…")`` and ``t.pgettext("context", "…")`` calls like any other.
"""

from __future__ import annotations

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation


class Texts:
    """Memoised gettext, pgettext and ngettext of one language; `english` says whether
    indicator names are shown in English (as ``Indicator.name`` decides)."""

    __slots__ = ("_memo", "english", "language")

    def __init__(self, language: str) -> None:
        self.language = language
        self.english = language.startswith("en")
        self._memo: dict[object, str] = {}

    def gettext(self, message: str) -> str:
        found = self._memo.get(message)
        if found is None:
            found = self._memo[message] = translation.gettext(message)
        return found

    def pgettext(self, context: str, message: str) -> str:
        key = (context, message)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = translation.pgettext(context, message)
        return found

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        # Both forms are what a page uses: one for 1, the other for everything else.
        key = (singular, plural, number == 1)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = translation.ngettext(singular, plural, 1 if number == 1 else 2)
        return found


_BY_LANGUAGE: dict[str, Texts] = {}


def texts() -> Texts:
    """The :class:`Texts` of the active language (one lookup of the language per call:
    a function that needs several strings calls this once)."""
    language = translation.get_language() or ""
    found = _BY_LANGUAGE.get(language)
    if found is None:
        found = _BY_LANGUAGE[language] = Texts(language)
    return found


@receiver(setting_changed)
def _forget_texts(*, setting: str, **kwargs) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "USE_I18N"}:
        _BY_LANGUAGE.clear()
