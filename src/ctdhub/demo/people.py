"""Invented people for linkage benchmarks and the demo: names, sex, date of birth, citizenship; truth known.

`invent_people` names people after their citizenship's naming culture (`names`): real common names with
Zipf-like weights plus a combinatorial long tail, compound given names, two family names, patronymics,
bin/bint, the father's name as surname. Dates of birth are heaped on 1 January and sometimes unknown.
`overlapping` picks who appears at which contributor, `vary` (from `variation`) how a person looks
at another contributor, and `truth_pairs` which records are the same person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

import numpy as np

from ctdhub.demo import names as nm
from ctdhub.demo.naming import compose, map_unique
from ctdhub.demo.variation import Variation, VariationRates, vary

__all__ = [
    "People",
    "Variation",
    "VariationRates",
    "birth_dates",
    "invent_people",
    "overlapping",
    "truth_pairs",
    "vary",
]

#: share of known dates of birth heaped on 1 January (only the year was known)
JAN1_SHARE = 0.03
#: share of unknown dates of birth
UNKNOWN_DOB = 0.08
#: share of women among invented people when no sex is given
FEMALE_SHARE = 0.65
#: ages at the reference date (low, high, weight): 8-60, mostly 15-35
AGE_BANDS = (
    (8, 14, 0.08),
    (15, 17, 0.10),
    (18, 24, 0.30),
    (25, 29, 0.18),
    (30, 35, 0.16),
    (36, 45, 0.12),
    (46, 60, 0.06),
)
REFERENCE_FIRST = np.datetime64("2015-01-01")
REFERENCE_DAYS = 3653  # reference dates (registration) spread over 2015-2024


@dataclass(frozen=True)
class People:
    """Invented people, one entry per person in each column (numpy arrays of equal length)."""

    person_id: np.ndarray  # object (str), "P0000001"
    given: np.ndarray  # object (str): all given names, space-separated (middle names, patronymic)
    family: np.ndarray  # object (str): family name(s), "" when the culture has none
    sex: np.ndarray  # "f" / "m"
    dob: np.ndarray  # datetime64[D], NaT when unknown
    citizenship: np.ndarray  # ISO2, "" when unknown
    culture: np.ndarray  # object (str): naming culture, a key of `names.CULTURES`

    def __len__(self) -> int:
        return int(self.person_id.shape[0])

    def take(self, idx: np.ndarray | Sequence[int]) -> People:
        """The people at positions `idx` (repeats allowed), in that order."""
        i = np.asarray(idx, dtype=np.int64)
        return People(**{f.name: getattr(self, f.name)[i] for f in fields(self)})

    def full_names(self) -> np.ndarray:
        """Given and family names joined by one space (object array of str)."""
        joined = np.char.strip((self.given + " " + self.family).astype(str))
        return np.asarray(joined, dtype=object)

    def birth_dates(self) -> list[dt.date | None]:
        """Dates of birth as `datetime.date`, None when unknown."""
        known = ~np.isnat(self.dob)
        days = self.dob.astype(object).tolist()
        return [d if k else None for d, k in zip(days, known.tolist(), strict=True)]


#: years between a shared person's registrations at two contributors (index: years; the later one meets them
#: later): the same year for half, within two years for 35 %, up to eight years later (re-trafficked, or a
#: return long after) for 15 % — the m-probabilities the quasi-identifier model assumes
#: (``ctdhub.linkage.quasi.M_REGISTERED``)
REGISTRATION_GAP_YEARS = (0.50, 0.22, 0.13, 0.05, 0.03, 0.025, 0.02, 0.015, 0.01)


def registration_gaps(n: int, rng: np.random.Generator) -> np.ndarray:
    """Years between `n` shared people's registrations at two contributors (`REGISTRATION_GAP_YEARS`)."""
    p = np.array(REGISTRATION_GAP_YEARS)
    gaps: np.ndarray = rng.choice(len(p), size=n, p=p / p.sum())
    return gaps


# -- dates of birth -----------------------------------------------------------------------------------------


def birth_dates(reference: np.ndarray, age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dates of birth of people `age` years old (-1: unknown, NaT) at `reference` (datetime64[D]).

    A share `JAN1_SHARE` of them is heaped on 1 January of the birth year, as registers do when only
    the year (or the age) is known.
    """
    n = int(age.shape[0])
    days = np.maximum(age, 0) * 365.25 + rng.integers(5, 360, n)
    dob = reference.astype("datetime64[D]") - days.astype(np.int64).astype("timedelta64[D]")
    jan1 = dob.astype("datetime64[Y]").astype("datetime64[D]")
    dob = np.where(rng.random(n) < JAN1_SHARE, jan1, dob)
    return np.where(age < 0, np.datetime64("NaT", "D"), dob)


def _ages(n: int, rng: np.random.Generator) -> np.ndarray:
    weights = np.array([b[2] for b in AGE_BANDS])
    band = rng.choice(len(AGE_BANDS), size=n, p=weights / weights.sum())
    lo = np.array([b[0] for b in AGE_BANDS])[band]
    hi = np.array([b[1] for b in AGE_BANDS])[band]
    age = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    return np.where(rng.random(n) < UNKNOWN_DOB, -1, age)


# -- citizenship --------------------------------------------------------------------------------------------


def _world(n: int, rng: np.random.Generator) -> np.ndarray:
    codes = np.array(list(nm.WORLD_CITIZENSHIP), dtype="<U2")
    w = np.array(list(nm.WORLD_CITIZENSHIP.values()), dtype=float)
    out: np.ndarray = codes[rng.choice(codes.shape[0], size=n, p=w / w.sum())]
    return out


@cache
def _iso2(code: str) -> str:
    """ISO2 of an ISO2 or ISO3 code ("" when unknown)."""
    if len(code) != 3:
        return code.upper()
    from ctdhub.geo.countries import resolver

    country = resolver().get(code.upper())
    return (country.iso2 or "") if country else ""


def _citizenship(citizenship: Any, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(ISO2 citizenship, naming culture) per person; unknown or unlisted countries take a world culture."""
    if citizenship is None:
        iso2 = _world(n, rng)
    else:
        given = np.asarray(citizenship, dtype=str)
        if given.shape != (n,):
            raise ValueError(f"citizenship has {given.shape} entries for {n} people")
        iso2 = map_unique(given, _iso2).astype("<U2")
    culture = np.array([nm.COUNTRY_CULTURE.get(c, "") for c in iso2.tolist()], dtype=object)
    missing = culture == ""
    fallback = _world(int(missing.sum()), rng)
    culture[missing] = [nm.COUNTRY_CULTURE[c] for c in fallback.tolist()]
    return iso2, culture


def person_ids(first: int, n: int) -> np.ndarray:
    """Person ids "P0000001" ... for n people from number `first`."""
    return np.array([f"P{i:07d}" for i in range(first, first + n)], dtype=object)


def invent_people(
    n: int,
    rng: np.random.Generator,
    citizenship: np.ndarray | Sequence[str] | None = None,
    *,
    sex: np.ndarray | Sequence[str] | None = None,
    dob: np.ndarray | None = None,
    first_id: int = 1,
) -> People:
    """n invented people named after their citizenship (ISO2 or ISO3; world mix when None).

    `sex` ("f"/"m") and `dob` (datetime64[D], NaT unknown) are drawn unless given: women `FEMALE_SHARE`,
    ages 8-60 (mostly 15-35) at a reference date in 2015-2024, 1 January heaping, `UNKNOWN_DOB` unknown.
    """
    if n < 0:
        raise ValueError("n must be zero or more")
    iso2, culture = _citizenship(citizenship, n, rng)
    sexes = np.where(rng.random(n) < FEMALE_SHARE, "f", "m") if sex is None else np.asarray(sex, dtype="<U1")
    if dob is None:
        reference = REFERENCE_FIRST + rng.integers(0, REFERENCE_DAYS, n).astype("timedelta64[D]")
        dob = birth_dates(reference, _ages(n, rng), rng)
    given = np.full(n, "", dtype=object)
    family = np.full(n, "", dtype=object)
    for name in sorted(set(culture.tolist())):
        mask = culture == name
        given[mask], family[mask] = compose(nm.CULTURES[name], sexes[mask] == "f", rng)
    return People(
        person_id=person_ids(first_id, n),
        given=given,
        family=family,
        sex=sexes,
        dob=np.asarray(dob, dtype="datetime64[D]"),
        citizenship=iso2,
        culture=culture,
    )


# -- who is where -------------------------------------------------------------------------------------------


def _sizes(n: int, overlap: float, contributors: int, triple: float) -> list[int]:
    """Group sizes: singles per contributor, then pairs (AB, AC, BC), then people at all three."""
    if contributors == 2:
        shared = round(n * overlap / (2 - overlap))
        rest = n - shared
        return [rest - rest // 2, rest // 2, shared]
    t = round(triple * n)
    m = (n + 0.5 * t) / (3 - 1.5 * overlap)
    p = max(0, round((overlap * m - t) / 2))
    rest = n - t - 3 * p
    return [rest - 2 * (rest // 3), rest // 3, rest // 3, p, p, p, t]


def overlapping(
    n_people: int,
    overlap: float,
    rng: np.random.Generator,
    *,
    contributors: int = 2,
    triple: float = 0.01,
) -> tuple[np.ndarray, ...]:
    """Which people (indices 0..n_people-1) each contributor holds; every person is somewhere.

    Contributors hold about the same number of people; a share `overlap` of each one's people is also
    at another contributor. With three contributors a share `triple` of all people is at all three.
    """
    if not 0 <= overlap < 1 or contributors not in (2, 3) or not 0 <= triple < 1:
        raise ValueError("overlap and triple must be in [0, 1), contributors 2 or 3")
    sizes = _sizes(n_people, overlap, contributors, triple)
    groups = np.split(rng.permutation(n_people), np.cumsum(sizes)[:-1])
    if contributors == 2:
        members = [[groups[0], groups[2]], [groups[1], groups[2]]]
    else:
        ab, ac, bc, abc = groups[3], groups[4], groups[5], groups[6]
        members = [[groups[0], ab, ac, abc], [groups[1], ab, bc, abc], [groups[2], ac, bc, abc]]
    return tuple(rng.permutation(np.concatenate(m)) for m in members)


def truth_pairs(a: np.ndarray | Sequence[Any], b: np.ndarray | Sequence[Any]) -> set[tuple[int, int]]:
    """The true matches between two files: (row in a, row in b) for every two records of the same person.

    `a` and `b` hold one person key per record (a person index from `overlapping` or a person id).
    """
    rows: dict[Any, list[int]] = {}
    for j, key in enumerate(np.asarray(b).tolist()):
        rows.setdefault(key, []).append(j)
    return {(i, j) for i, key in enumerate(np.asarray(a).tolist()) for j in rows.get(key, ())}
