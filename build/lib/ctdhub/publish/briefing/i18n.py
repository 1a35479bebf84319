"""The briefing's languages: a message catalogue kept as YAML data, the dashboard's labels, Babel formatting.

``locale/messages.yaml`` holds every message in en/fr/es (str.format placeholders, checked to be the
same in every language when loaded); a message about a number of cases gives its plural forms
(``{one: …, other: …}``, CLDR categories of each language, read through ``Language.tn``). Category labels
(countries, codes and flags of the standard, regions) are the dashboard's, from its gettext catalogues
(``ctdhub.publish.web.i18n.Lang.label``): one label per code and language, on the web and in briefings.
Numbers and percentages are formatted with babel.numbers.
A count below the display threshold prints as ``<threshold`` (e.g. "<10"): in a public briefing an estimate
of the differentially private model below it (presentation only; the estimate itself is safe), in the
staff's exact briefing a suppressed figure (None).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale
from babel.numbers import format_decimal, format_percent

from ctdhub.errors import ConfigError, ConfigProblem
from ctdhub.publish.web.i18n import Lang
from ctdhub.yamlconf import load_yaml_text, plain

LANGS: tuple[str, ...] = ("en", "fr", "es")


def _load(name: str) -> dict[str, Any]:
    text = resources.files("ctdhub.publish.briefing").joinpath("locale", name).read_text(encoding="utf-8")
    doc: dict[str, Any] = plain(load_yaml_text(text, f"publish/briefing/locale/{name}"))
    return doc


def _fields(text: str | dict[str, str]) -> set[str]:
    """The placeholders of a message (of all its plural forms)."""
    texts = text.values() if isinstance(text, dict) else [text]
    return {f for t in texts for _, f, _, _ in string.Formatter().parse(t) if f}


def _plural_problem(text: object) -> str | None:
    """What is wrong with a message text: a string, or plural forms with at least "one" and "other"."""
    if isinstance(text, str):
        return None
    if not isinstance(text, dict) or not {"one", "other"} <= set(text):
        return "plural forms need at least 'one' and 'other'"
    if not all(isinstance(v, str) for v in text.values()):
        return "plural forms must be texts"
    return None


@cache
def messages() -> dict[str, dict[str, Any]]:
    """The catalogue, checked: every message in every language, with the same placeholders."""
    doc = _load("messages.yaml")
    problems = []
    for key, entry in doc.items():
        missing = [lang for lang in LANGS if not isinstance(entry, dict) or lang not in entry]
        if missing:
            problems.append(ConfigProblem("locale/messages.yaml", None, key, f"missing {', '.join(missing)}"))
            continue
        bad = [(lang, p) for lang in LANGS if (p := _plural_problem(entry[lang]))]
        if bad:
            problems += [ConfigProblem("locale/messages.yaml", None, f"{key}.{la}", p) for la, p in bad]
            continue
        want = _fields(entry["en"])
        for lang in LANGS[1:]:
            if _fields(entry[lang]) != want:
                problems.append(
                    ConfigProblem(
                        "locale/messages.yaml", None, f"{key}.{lang}", "placeholders differ from en"
                    )
                )
    if problems:
        raise ConfigError(problems)
    return doc


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
        text: str | dict[str, str] = messages()[key][self.lang]
        if isinstance(text, dict):
            raise ValueError(f"message {key!r} has plural forms; use Language.tn")
        return text.format(**values)

    def tn(self, key: str, count: int, **values: object) -> str:
        """A message about ``count`` things, in the plural form the language uses for that number."""
        text: str | dict[str, str] = messages()[key][self.lang]
        if isinstance(text, dict):
            form = Locale.parse(self.lang).plural_form(count)
            text = text.get(form, text["other"])
        return text.format(**values)

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
