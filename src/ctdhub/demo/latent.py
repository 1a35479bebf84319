"""Simulate invented cases as numpy arrays (one entry per case), before any contributor's shape.

Everything is vectorised: a million cases take well under a second. Indices of -1 mean unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ctdhub.demo import distributions as d

IntArray = np.ndarray
BoolArray = np.ndarray


@dataclass(frozen=True)
class Cases:
    """Invented cases: codes into the tuples of `distributions` (-1 = unknown)."""

    n: int
    registered: np.ndarray  # datetime64[D]
    gender: IntArray  # index into GENDERS (3 = unknown)
    age: IntArray  # exact age at registration, -1 unknown
    minor_at_exploit: IntArray  # 1 minor, 0 adult, -1 unknown
    exploit: IntArray  # index into EXPLOITS
    sector: IntArray  # index into SECTORS, -1 when no forced labour
    sex_type: IntArray  # index into SEX_TYPES, -1 when no sexual exploitation
    means_known: BoolArray
    means: BoolArray  # (n, len(MEANS))
    recruiter: IntArray  # index into RECRUITERS, -1 not recorded
    months: IntArray  # -1 unknown
    abduction: BoolArray
    citizenship: np.ndarray  # ISO3 strings, "" unknown
    exploitation_country: np.ndarray  # ISO3 strings, "" unknown
    nationality: np.ndarray  # ISO3 strings: the person's citizenship, recorded or not (names follow it)

    @property
    def sexual(self) -> BoolArray:
        return np.isin(self.exploit, (0, 2))

    @property
    def labour(self) -> BoolArray:
        return np.isin(self.exploit, (1, 2))


def pick(rng: np.random.Generator, n: int, weights: tuple[float, ...] | list[float]) -> IntArray:
    """n draws of an index with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def pick_by(rng: np.random.Generator, group: IntArray, table: list[tuple[float, ...]]) -> IntArray:
    """One draw per case from the row of `table` selected by its group."""
    out = np.zeros(group.shape[0], dtype=np.int64)
    for g, weights in enumerate(table):
        mask = group == g
        out[mask] = pick(rng, int(mask.sum()), weights)
    return out


def _sector_table(profile: d.Profile) -> list[tuple[float, ...]]:
    boost = np.array([profile.sector_boost.get(s, 1.0) for s in d.SECTORS])
    female = np.array(d.SECTOR_BY_GENDER["Female"]) * boost
    male = np.array(d.SECTOR_BY_GENDER["Male"]) * boost
    mixed = (female + male) / 2
    return [tuple(female), tuple(male), tuple(mixed), tuple(mixed)]


def _countries(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    codes = np.array(list(weights), dtype="<U3")
    out: np.ndarray = codes[pick(rng, n, list(weights.values()))]
    return out


def simulate(n: int, profile: d.Profile, rng: np.random.Generator) -> Cases:
    """Draw n invented cases for one contributor."""
    years = np.array(d.YEARS)[pick(rng, n, d.YEAR_WEIGHTS)]
    start = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    registered = start + rng.integers(0, 365, n).astype("timedelta64[D]")

    gender = pick(rng, n, profile.gender)
    band = pick_by(rng, gender, [d.AGE_BY_GENDER[g] for g in d.GENDERS])
    lo = np.array([b[0] for b in d.AGE_BANDS])[band]
    hi = np.array([b[1] for b in d.AGE_BANDS])[band]
    age = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    age = np.where(rng.random(n) < profile.known_age, age, -1)
    minor_at = np.where(age >= 0, (age < 18) | (rng.random(n) < d.ADULT_EXPLOITED_AS_MINOR), -1)

    exploit = pick_by(rng, gender, [d.EXPLOIT_BY_GENDER[g] for g in d.GENDERS])
    labour = np.isin(exploit, (1, 2))
    sexual = np.isin(exploit, (0, 2))
    sector = np.where(labour, pick_by(rng, np.minimum(gender, 3), _sector_table(profile)), -1)
    sex_type = np.where(sexual, pick(rng, n, d.SEX_TYPE_WEIGHTS), -1)

    sex_rate = np.array([m[1] for m in d.MEANS])
    lab_rate = np.array([m[2] for m in d.MEANS])
    rate = np.where(sexual[:, None] & ~labour[:, None], sex_rate, (sex_rate + lab_rate) / 2)
    rate = np.where(labour[:, None] & ~sexual[:, None], lab_rate, rate)
    means = rng.random((n, len(d.MEANS))) < rate
    means_known = rng.random(n) < profile.known_means

    rgroup = np.select([exploit == 0, exploit == 1, exploit == 3], [0, 1, 2], default=3)
    tables = [d.RECRUITER_BY_EXPLOIT[k] for k in ("sexual", "labour", "marriage", "mixed")]
    recruiter = np.where(rng.random(n) < profile.known_recruiter, pick_by(rng, rgroup, tables), -1)

    mband = pick(rng, n, d.MONTH_WEIGHTS)
    mlo = np.array([b[0] for b in d.MONTH_BANDS])[mband]
    mhi = np.array([b[1] for b in d.MONTH_BANDS])[mband]
    months = mlo + np.floor(rng.random(n) * (mhi - mlo + 1)).astype(np.int64)
    months = np.where(rng.random(n) < profile.known_months, months, -1)

    citizenship = _countries(rng, profile.citizenship, n)
    coe = _countries(rng, profile.exploitation, n)
    coe = np.where(rng.random(n) < profile.domestic, citizenship, coe)
    nationality = citizenship
    citizenship = np.where(rng.random(n) < profile.known_citizenship, citizenship, "")
    coe = np.where(rng.random(n) < profile.known_exploitation_country, coe, "")
    return Cases(
        n=n,
        registered=registered,
        gender=gender,
        age=age,
        minor_at_exploit=minor_at.astype(np.int64),
        exploit=exploit,
        sector=sector,
        sex_type=sex_type,
        means_known=means_known,
        means=means,
        recruiter=recruiter,
        months=months,
        abduction=rng.random(n) < np.where(sexual, 0.04, 0.02),
        citizenship=citizenship,
        exploitation_country=coe,
        nationality=nationality,
    )
