"""The briefing's languages: the dashboard's gettext catalogues, its labels, Babel formatting.

One language layer: the briefing's sentences and headings (``messages.MESSAGES``, English msgids with
str.format placeholders) are translated by the same gettext catalogues as the dashboard
(``ctdhub.publish.web.locale``), plural forms by each catalogue's plural rule (``Language.tn``);
category labels (countries, codes and flags of the standard, regions) are the dashboard's
(``ctdhub.publish.web.i18n.Lang.label``): one label per code and language, on the web and in briefings.
Numbers and percentages are formatted with babel.numbers.
A count below the display threshold prints as ``<threshold`` (e.g. "<10"): in a public briefing an estimate
of the differentially private model below it (presentation only; the estimate itself is safe), in the
staff's exact briefing a suppressed figure (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel.numbers import format_decimal, format_percent

from ctdhub.publish.briefing.messages import MESSAGES, Plural
from ctdhub.publish.web.i18n import Lang

LANGS: tuple[str, ...] = ("en", "fr", "es")


@dataclass(frozen=True)
class Language:
    """Messages, labels and number formats of one language, with the threshold for "<t"."""

    lang: str
    threshold: int
    estimates: bool = False  # figures are DP estimates: every one below the threshold reads "<threshold"

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise ValueError(f"unsupported language {self.lang!r}")

    def t(self, key: str, **values: object) -> str:
        """Message ``key`` of ``MESSAGES`` in this language, its placeholders filled."""
        message = MESSAGES[key]
        if isinstance(message, Plural):
            raise ValueError(f"message {key!r} has plural forms; use Language.tn")
        return _web_lang(self.lang).gettext(message).format(**values)

    def tn(self, key: str, count: int, **values: object) -> str:
        """A message about ``count`` things, in the plural form the language uses for that number."""
        message = MESSAGES[key]
        if not isinstance(message, Plural):
            return self.t(key, **values)
        return _web_lang(self.lang).ngettext(message.one, message.other, count).format(**values)

    def num(self, n: int | None) -> str:
        """A count of cases, or "<threshold" when suppressed or an estimate below the threshold."""
        if n is None or (self.estimates and n < self.threshold):
            return f"<{self.threshold}"
        return str(format_decimal(n, locale=self.lang))

    def whole(self, n: int) -> str:
        """A plain whole number (countries, organisations, categories), never hidden."""
        return str(format_decimal(n, locale=self.lang))

    def interval(self, bounds: tuple[int, int] | None) -> str:
        """A 90 % interval as "lower–upper" ("–" when there is none)."""
        if bounds is None:
            return "–"
        return f"{self.whole(bounds[0])}–{self.whole(bounds[1])}"

    def pct(self, p: float | None, digits: int = 0) -> str:
        if p is None:
            return "–"
        if digits == 0:
            return str(format_percent(p, locale=self.lang))
        return str(format_percent(p, format="#,##0." + "0" * digits + "%", locale=self.lang))

    def label(self, code: str) -> str:
        """A category's label: the dashboard's for the same code (countries, codes and flags, regions)."""
        return _web_lang(self.lang).label(code)

    def join(self, items: list[str], word: str = "and") -> str:
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + f" {self.t(word)} " + items[-1]


@cache
def _web_lang(code: str) -> Lang:
    return Lang(code)
