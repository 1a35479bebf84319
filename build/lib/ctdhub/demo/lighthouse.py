"""`lighthouse-hotline`: an invented hotline export with its own codes (CSV, cp1252, semicolons, 15 columns).

Numeric codes (gender 1/2/3/9, age groups 1-9, -99 and NULL for missing), exploitation as a code list
"1|3", means of control as "; "-separated text, countries as ISO2 codes with some accented names.
A hotline does not record everything: no duration, no sexual-exploitation type, no abduction.
Region: Europe.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ctdhub.demo import arrow as ar
from ctdhub.demo import distributions as d
from ctdhub.demo.latent import Cases, simulate

CHUNK = 250_000
ENCODING = "cp1252"

#: hotline labels of the means of control, in the order of distributions.MEANS
CONTROL_LABELS = (
    "Debt bondage",
    "Withheld wages",
    "Controls bank account",
    "Threats",
    "Psychological abuse",
    "Physical violence",
    "Sexual violence",
    "False promises",
    "Drugs/alcohol",
    "Restricted movement",
    "Denied medical care",
    "Excessive hours",
    "Threats to children",
    "Threat of police/deportation",
    "Withheld food",
    "Withheld documents",
    "Other",
)
SECTOR_LABELS = (
    "Agriculture",
    "Fishing",
    "Begging",
    "Construction",
    "Domestic work",
    "Hotel/restaurant",
    "Criminal activities",
    "Factory",
    "Mining",
    "Street selling",
    "Transport/logistics",
    "Other",
)
RECRUITER_LABELS = ("Partner", "Friend", "Family", "Employer/agent", "Not known")
COUNTRY_FORMS: dict[str, tuple[str, ...]] = {
    "UKR": ("UA", "Ukraine"),
    "ROU": ("RO", "România", "Roumanie"),
    "NGA": ("NG", "Nigéria"),
    "MDA": ("MD", "Moldavie", "République de Moldova"),
    "BGR": ("BG", "Bulgarie"),
    "ALB": ("AL", "Albanie"),
    "VNM": ("VN", "Viêt Nam"),
    "CIV": ("CI", "Côte d'Ivoire"),
    "BLR": ("BY", "Bélarus"),
    "TUR": ("TR", "Türkiye"),
    "DEU": ("DE", "Allemagne"),
    "POL": ("PL", "Pologne"),
    "RUS": ("RU",),
    "CHN": ("CN", "Chine"),
    "BRA": ("BR", "Brésil"),
    "GRC": ("GR", "Grèce"),
    "XKX": ("XK",),
    "ITA": ("IT", "Italie"),
    "NLD": ("NL", "Pays-Bas"),
    "GBR": ("GB", "Royaume-Uni"),
    "FRA": ("FR",),
    "ESP": ("ES", "Espagne"),
    "AUT": ("AT", "Autriche"),
}
BAD_COUNTRIES = ("XX", "YU", "Balkans")
LANGUAGES = ("Deutsch", "English", "Français", "Rumänisch", "Español", "Türkçe", "Português")
NOTES = (
    "Anruferin meldet Ausbeutung in Gaststätte; Rückruf vereinbart.",
    "Caller reports unpaid wages (approx. 2 000 €).",
    "Référée à l'association partenaire.",
    "NULL",
    "Interpreter needed – call back tomorrow.",
    "Situation très précaire, hébergement d'urgence demandé.",
)


def _exploit_codes(c: Cases, rng: np.random.Generator) -> pa.Array:
    """EXPL: '1' sexual, '2' labour, '3' other, '4' forced marriage, joined with '|'; -99 unknown."""
    also_other = rng.random(c.n) < 0.05
    vocab = ("1", "2", "1|2", "4", "3", "-99", "1|3", "2|3")
    idx = np.where(also_other & (c.exploit == 0), 6, c.exploit)
    idx = np.where(also_other & (c.exploit == 1), 7, idx)
    return ar.strings(vocab, idx)


def _table(c: Cases, rng: np.random.Generator, first_call: int) -> pa.Table:
    n = c.n
    none = np.zeros(n, bool)
    cols: dict[str, pa.Array] = {}
    cols["CALL_ID"] = pc.binary_join_element_wise(
        "LH", ar.integers(np.arange(first_call, first_call + n) + 5_000_000, none), ""
    )
    future = rng.random(n) < d.FUTURE_YEAR_RATE
    cols["CALL_DATE"] = ar.dates(
        np.where(future, c.registered + np.timedelta64(3653, "D"), c.registered), "%d.%m.%Y"
    )
    cols["CALLER_PHONE"] = pc.binary_join_element_wise(
        "+49 15", ar.integers(rng.integers(10_000_000, 99_999_999, n), none), ""
    )
    cols["OPERATOR"] = pc.binary_join_element_wise("OP", ar.integers(rng.integers(10, 40, n), none), "")
    cols["LANG"] = ar.strings(LANGUAGES, ar.inject(rng, np.zeros(n, np.int64), 0.6, range(len(LANGUAGES))))
    gender = np.select([c.gender == 0, c.gender == 1, c.gender == 2], [0, 1, 2], default=3)
    cols["GENDER"] = ar.with_defects(rng, ("1", "2", "3", "9"), gender, d.TYPO_RATE / 2, ("0", "22"))
    band = np.searchsorted(np.array([b[1] for b in d.AGE_BANDS]), c.age)
    age_idx = np.where(c.age < 0, 9, band)
    cols["AGEGRP"] = ar.strings((*[str(i) for i in range(1, 10)], "-99"), age_idx)
    minor = np.where(c.age < 0, 2, (c.age < 18).astype(np.int64))
    flip = (rng.random(n) < d.CONTRADICTION_RATE) & (c.age >= 0)
    minor = np.where(flip, 1 - minor, minor)
    cols["MINOR"] = ar.strings(("0", "1", "-99"), minor)
    half = d.UNKNOWN_COUNTRY_RATE / 2
    cols["NATIONALITY"] = ar.countries(rng, c.citizenship, COUNTRY_FORMS, 0.2, BAD_COUNTRIES, half)
    cols["COUNTRY_EXPL"] = ar.countries(rng, c.exploitation_country, COUNTRY_FORMS, 0.1, BAD_COUNTRIES, half)
    cols["EXPL"] = _exploit_codes(c, rng)
    not_labour = len(SECTOR_LABELS)
    sector = np.where(c.labour, c.sector, np.where(c.exploit == 5, not_labour + 1, not_labour))
    cols["SECTOR"] = ar.strings((*SECTOR_LABELS, "n/a", "NULL"), sector)
    vocab, idx = ar.joined(c.means, CONTROL_LABELS, "; ", "None reported")
    typo = len(vocab)
    vocab += ["Threaths; Debt bondage", "NULL"]
    idx = np.where(c.means_known, ar.inject(rng, idx, d.TYPO_RATE / 4, [typo]), typo + 1)
    cols["CONTROL"] = ar.strings(vocab, idx)
    cols["RECRUITER"] = ar.strings((*RECRUITER_LABELS, "NULL"), np.where(c.recruiter < 0, 5, c.recruiter))
    cols["NOTES"] = ar.strings(NOTES, rng.integers(0, len(NOTES), n))
    table = pa.table(cols)
    return table.take(pa.array(ar.duplicate_rows(rng, n, d.DUPLICATE_RATE)))


def write_hotline_csv(path: Path, rows: int, *, seed: int = 7) -> Path:
    """Write `rows` invented hotline records to `path` (CSV, cp1252, semicolons); chunked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    with path.open("wb") as out:
        done, first = 0, True
        while done < rows or first:
            n = min(CHUNK, rows - done)
            table = _table(simulate(n, d.LIGHTHOUSE, rng), rng, done)
            sink = pa.BufferOutputStream()
            pacsv.write_csv(
                table,
                sink,
                pacsv.WriteOptions(delimiter=";", quoting_style="needed", include_header=first),
            )
            out.write(sink.getvalue().to_pybytes().decode("utf-8").encode(ENCODING))
            done, first = done + n, False
    return path
