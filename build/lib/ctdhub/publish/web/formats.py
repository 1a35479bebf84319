"""How the dashboard writes dates, decimals, small probabilities and file sizes in the page's language
(Babel): "2 December 2026", "0,5", "10⁻⁶", "19,2 Mo"."""

from __future__ import annotations

import math
from datetime import datetime

from babel.dates import format_date
from babel.numbers import format_decimal
from babel.units import format_unit

from ctdhub.publish.web.i18n import Lang

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def date_locale(lang: Lang) -> str:
    """The Babel locale of dates: British English for English (day before month, like the site's spelling)."""
    return "en_GB" if lang.code == "en" else lang.code


def release_date(lang: Lang, created_at: str) -> str:
    """The release's date of publication (the manifest's `created_at`) in the page's language, e.g.
    "2 December 2026", "2 décembre 2026", "2 de diciembre de 2026"."""
    try:
        when = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return created_at[:10]
    return str(format_date(when.date(), format="long", locale=date_locale(lang)))


def number(lang: Lang, x: float) -> str:
    """A decimal number as the language writes it, up to three decimals (ε = 4, 0,5, 1.25)."""
    return str(format_decimal(x, format="#,##0.###", locale=lang.code))


def small_number(lang: Lang, x: float) -> str:
    """A small probability such as δ in powers of ten: 1e-06 -> "10⁻⁶", 2.5e-07 -> "2.5 × 10⁻⁷"."""
    if x <= 0 or x >= 0.001:
        return number(lang, x)
    exponent = math.floor(math.log10(x))
    mantissa = round(x / 10**exponent, 3)
    if mantissa >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    power = "10" + str(exponent).translate(SUPERSCRIPT)
    return power if mantissa == 1 else f"{number(lang, mantissa)} × {power}"


def file_size(lang: Lang, n: int) -> str:
    """A file's size in the language's units and number format: "850 bytes", "19.2 MB", "19,2 Mo"."""
    if n < 1000:
        return lang.ngettext("%(num)s byte", "%(num)s bytes", n) % {"num": lang.int(n)}
    for unit, scale in (
        ("digital-kilobyte", 1e3),
        ("digital-megabyte", 1e6),
        ("digital-gigabyte", 1e9),
        ("digital-terabyte", 1e12),
    ):
        value = round(n / scale, 1)
        if value < 1000 or unit == "digital-terabyte":
            break
    return str(format_unit(value, unit, length="short", format="#,##0.0", locale=lang.code))
