"""How the same invented person looks at another contributor, with a record of what was changed.

A married name, a dropped given name, a transliteration (Mohammed/Muhammad, Olena/Elena, Nguyễn/Nguyen),
given and family names swapped, a typo, case and spacing noise; a missing date of birth, day and month
swapped, a date off by a day or a year. Each kind is drawn at its rate among the records it can apply to.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from ctdhub.demo import names as nm
from ctdhub.demo.naming import family_names

if TYPE_CHECKING:
    from ctdhub.demo.people import People

KINDS = (
    "surname_change",
    "dropped_name",
    "transliteration",
    "swap_names",
    "typo",
    "case_spacing",
    "dob_missing",
    "swap_day_month",
    "dob_shift",
)

#: spellings of the same name, one group per line (token level: one word of a name)
TRANSLITERATIONS: tuple[tuple[str, ...], ...] = tuple(
    tuple(g.split("/"))
    for g in (
        "Mohammed/Muhammad/Mohamed/Mohammad/Mohamad/Muhammed/Mahamed",
        "Ahmed/Ahmad/Ahmet",
        "Yusuf/Youssef/Yousef/Yusef/Yousif/Youssouf",
        "Hussein/Husain/Hussain/Hossain/Husayn",
        "Hassan/Hasan/Hasane",
        "Abdullah/Abdallah/Abdulla/Abdullahi",
        "Fatima/Fatimah/Fatma/Fatuma/Fatema",
        "Aisha/Aicha/Ayesha/Aishah/Aysha/Aïcha",
        "Mustafa/Mostafa/Moustapha/Mustapha",
        "Ibrahim/Ebrahim/Ibrahima/Brahim",
        "Ismail/Ismael/Esmail",
        "Khaled/Khalid/Khaleed",
        "Omar/Umar/Oumar",
        "Osman/Othman/Usman/Ousmane",
        "Mamadou/Mamadu/Mamoudou",
        "Mariam/Maryam/Mariama/Miriam/Maryan",
        "Olena/Elena/Alena/Helena",
        "Oleksandr/Aleksandr/Alexander/Alexandr/Oleksander",
        "Oleksii/Aleksei/Alexey/Alexei",
        "Serhii/Sergei/Sergey/Serhiy",
        "Dmytro/Dmitrii/Dmitry/Dmitri",
        "Andrii/Andrei/Andrey/Andriy",
        "Mykola/Nikolai/Nikolay",
        "Yurii/Yuri/Iurii/Yury",
        "Iryna/Irina",
        "Tetiana/Tatiana/Tatyana/Tetyana",
        "Nataliia/Natalia/Natalya/Nataliya",
        "Yuliia/Yulia/Iuliia/Julia",
        "Kateryna/Ekaterina/Yekaterina/Katerina",
        "Svitlana/Svetlana",
        "Oksana/Oxana",
        "Evgenii/Yevhen/Evgeny/Yevgeny",
        "Shevchenko/Shevtchenko/Chevtchenko",
        "Kovalchuk/Kowalczuk/Kovaltchuk",
        "Nguyễn/Nguyen/Nguyên/Nguyenn",
        "Trần/Tran/Tranh",
        "Zhang/Chang/Cheung",
        "Wang/Wong",
        "Chen/Chan/Tan",
        "Liu/Lau/Lao",
        "Zhou/Chow/Chou",
        "Huang/Wong/Hwang",
        "Supaporn/Suphaporn/Supaphon",
        "Pornthip/Ponthip/Phornthip",
        "Kyaw/Kyau/Chaw",
        "Aung/Aong",
        "Sokha/Sokhar/Sokhaa",
        "Siti/Sity",
        "Susanto/Soesanto",
        "Nur/Noor/Nurul",
        "Jhon/John/Jon",
        "Yesenia/Jesenia",
        "Yessica/Jessica/Yesica",
        "Johana/Yohana/Johanna",
        "Katherine/Katerine/Kathryn",
        "Stephany/Estefany/Stefany",
        "Brayan/Brian/Bryan",
        "Yeison/Jason/Jeison",
        "Tesfaye/Tesfay",
        "Yohannes/Yohanes/Johannes",
        "Gebre/Gebru/Ghebre",
        "Kouassi/Kwasi/Kwesi",
        "Koffi/Kofi",
        "Kouamé/Kwame",
        "Akter/Akhter/Aktar",
        "Chowdhury/Choudhury/Chaudhary",
        "Laxmi/Lakshmi/Luxmi",
        "Shrestha/Shresta",
        "Gheorghe/Georghe/George",
        "Ștefan/Stefan/Stephan",
        "Jean-Baptiste/Jean Baptiste/Baptiste",
    )
)

_SPECIAL = str.maketrans({"Đ": "D", "đ": "d", "Ł": "L", "ł": "l", "ı": "i", "ß": "ss", "Ø": "O", "ø": "o"})


@cache
def _groups() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for group in TRANSLITERATIONS:
        for name in group:
            out.setdefault(name, group)
    return out


def ascii_fold(text: str) -> str:
    """Diacritics removed (Nguyễn -> Nguyen, Traoré -> Traore)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def _respellings(token: str) -> tuple[str, ...]:
    """Other spellings of one word of a name."""
    out = [t for t in _groups().get(token, ()) if t != token]
    folded = ascii_fold(token)
    if folded != token and folded not in out:
        out.append(folded)
    return tuple(out)


@dataclass(frozen=True)
class VariationRates:
    """The rate of each kind of variation among the records it can apply to."""

    surname_change: float = 0.04  # women of cultures where wives take the husband's name
    dropped_name: float = 0.05  # compound given names (or two family names)
    transliteration: float = 0.15  # names with another spelling or diacritics
    swap_names: float = 0.05
    typo: float = 0.15
    case_spacing: float = 0.10
    dob_missing: float = 0.08  # known dates of birth
    swap_day_month: float = 0.05  # known dates of birth with day <= 12 and day != month
    dob_shift: float = 0.03  # known dates of birth: one day or one year off


@dataclass(frozen=True)
class Variation:
    """Which variations `vary` applied to each returned record, and which records each kind could apply to."""

    applied: dict[str, np.ndarray]
    eligible: dict[str, np.ndarray]

    def rate(self, kind: str) -> float:
        """Share of the eligible records that received `kind` (nan when none was eligible)."""
        n = int(self.eligible[kind].sum())
        return float(self.applied[kind].sum()) / n if n else float("nan")

    def kinds(self, i: int) -> list[str]:
        """The kinds applied to record i."""
        return [k for k in KINDS if self.applied[k][i]]

    @property
    def changed(self) -> np.ndarray:
        """Records with at least one variation."""
        out: np.ndarray = np.any(np.stack([self.applied[k] for k in KINDS]), axis=0)
        return out


@dataclass
class _Record:
    """The columns being varied (object arrays of str, datetime64[D]) and the record of what was done."""

    given: np.ndarray
    family: np.ndarray
    dob: np.ndarray
    sex: np.ndarray
    culture: np.ndarray
    applied: dict[str, np.ndarray]
    eligible: dict[str, np.ndarray]

    def hit(self, kind: str, eligible: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
        draw = rng.random(int(eligible.shape[0])) < rate
        self.eligible[kind] = eligible
        self.applied[kind] = eligible & draw
        return np.flatnonzero(self.applied[kind])


def _tokens(values: np.ndarray) -> list[list[str]]:
    return [v.split() for v in values.tolist()]


def _surname_change(r: _Record, rate: float, rng: np.random.Generator) -> None:
    marries = np.array([nm.CULTURES[c].marriage for c in r.culture.tolist()], dtype=bool)
    hit = r.hit("surname_change", (r.sex == "f") & (r.family != "") & marries, rate, rng)
    for name in sorted(set(r.culture[hit].tolist())):
        rows = hit[r.culture[hit] == name]
        for _ in range(10):  # a husband's name is another name
            new = family_names(nm.CULTURES[name], np.ones(rows.shape[0], bool), rng)
            same = new == r.family[rows]
            r.family[rows[~same]] = new[~same]
            rows = rows[same]
            if rows.shape[0] == 0:
                break


def _dropped_name(r: _Record, rate: float, rng: np.random.Generator) -> None:
    given = _tokens(r.given)
    family = _tokens(r.family)
    doubles = np.array([nm.CULTURES[c].double_family > 0 for c in r.culture.tolist()], dtype=bool)
    compound_given = np.array([len(g) > 1 for g in given], dtype=bool)
    compound_family = np.array([len(f) > 1 for f in family], dtype=bool) & doubles
    for i in r.hit("dropped_name", compound_given | compound_family, rate, rng).tolist():
        if compound_given[i]:
            g = given[i]
            first = r.culture[i] == "vietnamese" or g[0].endswith(".")
            r.given[i] = " ".join(g[1:] if first else g[:-1])
        else:
            r.family[i] = " ".join(family[i][:-1])


def _spellings(given: str, family: str) -> list[tuple[bool, int, tuple[str, ...]]]:
    """(in given names, word position, other spellings) for each word of a name that has some."""
    out = []
    for in_given, text in ((True, given), (False, family)):
        for k, token in enumerate(text.split()):
            alternatives = _respellings(token)
            if alternatives:
                out.append((in_given, k, alternatives))
    return out


def _transliteration(r: _Record, rate: float, rng: np.random.Generator) -> None:
    spellings = [_spellings(g, f) for g, f in zip(r.given.tolist(), r.family.tolist(), strict=True)]
    eligible = np.array([bool(s) for s in spellings], dtype=bool)
    for i in r.hit("transliteration", eligible, rate, rng).tolist():
        in_given, k, alternatives = spellings[i][int(rng.integers(0, len(spellings[i])))]
        column = r.given if in_given else r.family
        words = str(column[i]).split()
        words[k] = alternatives[int(rng.integers(0, len(alternatives)))]
        column[i] = " ".join(words)


def _swap_names(r: _Record, rate: float, rng: np.random.Generator) -> None:
    hit = r.hit("swap_names", (r.given != "") & (r.family != ""), rate, rng)
    r.given[hit], r.family[hit] = r.family[hit].copy(), r.given[hit].copy()


LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _cased(letter: str, like: str) -> str:
    return letter.upper() if like.isupper() else letter.lower()


def typo(text: str, rng: np.random.Generator) -> str:
    """One character substituted, deleted, inserted, or two neighbours transposed (never unchanged);
    a capital stays a capital."""
    op = int(rng.integers(0, 4))
    k = int(rng.integers(0, len(text)))
    letter = LETTERS[int(rng.integers(0, 26))]
    if op == 1 and len(text) > 2:
        k = max(k, 1)
        return text[:k] + text[k + 1 :]
    if op == 2:
        k = max(k, 1)
        return text[:k] + letter + text[k:]
    if op == 3 and len(text) > 1:
        k = min(k, len(text) - 2)
        a, b = text[k], text[k + 1]
        if a.lower() != b.lower():
            return text[:k] + _cased(b, a) + _cased(a, b) + text[k + 2 :]
    if text[k].lower() == letter:
        letter = LETTERS[(LETTERS.index(letter) + 1) % 26]
    return text[:k] + _cased(letter, text[k]) + text[k + 1 :]


def _typo(r: _Record, rate: float, rng: np.random.Generator) -> None:
    lg = np.array([len(s) for s in r.given.tolist()])
    lf = np.array([len(s) for s in r.family.tolist()])
    for i in r.hit("typo", (lg + lf) > 1, rate, rng).tolist():
        in_given = rng.random() * (lg[i] + lf[i]) < lg[i]
        column = r.given if in_given else r.family
        column[i] = typo(str(column[i]), rng)


def _case_spacing(r: _Record, rate: float, rng: np.random.Generator) -> None:
    """Upper or lower case, a doubled or stray space, a hyphen for a space (Mary-Grace, García-López)."""
    for i in r.hit("case_spacing", (r.given != "") | (r.family != ""), rate, rng).tolist():
        g, f = str(r.given[i]), str(r.family[i])
        op = int(rng.integers(0, 4))
        if op == 3 and " " in g:
            g = g.replace(" ", "-", 1)
        elif op == 3 and " " in f:
            f = f.replace(" ", "-", 1)
        elif op == 2:
            g, f = (g.replace(" ", "  ", 1) if " " in g else " " + g), f + " "
        elif op == 1:
            g, f = g.lower(), f.lower()
        else:
            g, f = g.upper(), f.upper()
        r.given[i], r.family[i] = g, f


def _dates(r: _Record, rates: VariationRates, rng: np.random.Generator) -> None:
    known = ~np.isnat(r.dob)
    r.dob[r.hit("dob_missing", known, rates.dob_missing, rng)] = np.datetime64("NaT")
    known = ~np.isnat(r.dob)
    days = r.dob.astype(object)
    day = np.array([d.day if k else 0 for d, k in zip(days.tolist(), known.tolist(), strict=True)])
    month = np.array([d.month if k else 0 for d, k in zip(days.tolist(), known.tolist(), strict=True)])
    for i in r.hit(
        "swap_day_month", known & (day <= 12) & (day != month), rates.swap_day_month, rng
    ).tolist():
        d: dt.date = days[i]
        r.dob[i] = np.datetime64(d.replace(day=d.month, month=d.day), "D")
    for i in r.hit("dob_shift", known, rates.dob_shift, rng).tolist():
        d = r.dob[i].astype(object)
        step = 1 if rng.random() < 0.5 else -1
        if rng.random() < 0.5:
            r.dob[i] = r.dob[i] + np.timedelta64(step, "D")
        else:
            day_ = 28 if (d.month, d.day) == (2, 29) else d.day
            r.dob[i] = np.datetime64(d.replace(year=d.year + step, day=day_), "D")


def vary(
    people: People,
    idx: np.ndarray,
    rng: np.random.Generator,
    rates: VariationRates | None = None,
) -> tuple[People, Variation]:
    """The people at `idx` as another contributor records them: same person ids, names and dates varied."""
    rates = rates or VariationRates()
    base = people.take(idx)
    r = _Record(
        given=base.given.astype(object).copy(),
        family=base.family.astype(object).copy(),
        dob=base.dob.astype("datetime64[D]").copy(),
        sex=base.sex,
        culture=base.culture,
        applied={},
        eligible={},
    )
    _surname_change(r, rates.surname_change, rng)
    _dropped_name(r, rates.dropped_name, rng)
    _transliteration(r, rates.transliteration, rng)
    _swap_names(r, rates.swap_names, rng)
    _typo(r, rates.typo, rng)
    _case_spacing(r, rates.case_spacing, rng)
    _dates(r, rates, rng)
    varied = dataclasses.replace(base, given=r.given, family=r.family, dob=r.dob)
    return varied, Variation(applied=r.applied, eligible=r.eligible)
