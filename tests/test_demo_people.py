"""Invented people for linkage: name diversity at 100,000, date of birth heaping, variations at their
rates (and really applied), who is at which contributor, the true pairs, determinism and speed."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pytest

from ctdhub.demo import names as nm
from ctdhub.demo.naming import feminine, patronymic
from ctdhub.demo.people import (
    People,
    VariationRates,
    birth_dates,
    invent_people,
    overlapping,
    truth_pairs,
    vary,
)
from ctdhub.demo.variation import KINDS, TRANSLITERATIONS, ascii_fold, typo

N = 100_000


@pytest.fixture(scope="module")
def timed() -> tuple[People, float]:
    invent_people(1_000, np.random.default_rng(0))  # warm the caches (country table, name pools)
    t = time.perf_counter()
    people = invent_people(N, np.random.default_rng(2024))
    return people, time.perf_counter() - t


@pytest.fixture(scope="module")
def people(timed: tuple[People, float]) -> People:
    return timed[0]


@pytest.fixture(scope="module")
def varied(people: People):
    return vary(people, np.arange(N), np.random.default_rng(7))


def _edits(a: str, b: str) -> int:
    """Levenshtein distance."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# -- the people -------------------------------------------------------------------------------------------


def test_hundred_thousand_people_in_under_three_seconds(timed):
    people, seconds = timed
    assert len(people) == N
    assert seconds < 3, seconds


def test_columns(people):
    assert people.person_id[0] == "P0000001" and people.person_id[-1] == f"P{N:07d}"
    assert len(set(people.person_id.tolist())) == N
    assert set(people.sex.tolist()) == {"f", "m"}
    assert 0.62 < (people.sex == "f").mean() < 0.68
    assert people.dob.dtype == np.dtype("datetime64[D]")
    assert all(len(c) == 2 for c in people.citizenship.tolist())
    assert set(people.culture.tolist()) <= set(nm.CULTURES)
    assert all(g.strip() == g and g for g in people.given.tolist())
    dates = people.birth_dates()
    assert dates[0] is None or dates[0].year > 1900
    assert sum(d is None for d in dates) == int(np.isnat(people.dob).sum())


def test_name_diversity_at_hundred_thousand(people):
    full = people.full_names()
    assert len(set(full.tolist())) >= 85_000
    known = ~np.isnat(people.dob)
    same = Counter(zip(full[known].tolist(), people.dob[known].tolist(), strict=True))
    pairs = sum(k * (k - 1) // 2 for k in same.values())
    assert pairs < 20


def test_common_names_are_common(people):
    """Zipf-like: some names are very common (Nguyễn, Maria, Mohammed) without dominating."""
    vn = people.family[people.culture == "vietnamese"]
    assert 0.33 < (vn == "Nguyễn").mean() < 0.43
    families = Counter(people.family.tolist())
    top = families.most_common(1)[0][1]
    assert top < 0.02 * N
    assert sum(1 for k in families.values() if k == 1) > 10_000  # a long tail of rare names


def test_dates_of_birth_heaped_and_sometimes_unknown(people):
    known = ~np.isnat(people.dob)
    assert 0.07 < 1 - known.mean() < 0.09
    dob = people.dob[known]
    jan1 = dob.astype("datetime64[Y]").astype("datetime64[D]") == dob
    assert 0.025 < jan1.mean() < 0.045  # 3 % heaped, plus those really born on 1 January
    years = dob.astype("datetime64[Y]").astype(np.int64) + 1970
    assert years.min() >= 2015 - 61 and years.max() <= 2024 - 7
    young = (years >= 1980) & (years <= 2009)  # 15-35 at some reference date in 2015-2024 (roughly)
    assert young.mean() > 0.7


def test_birth_dates_match_the_age():
    rng = np.random.default_rng(1)
    reference = np.full(10_000, np.datetime64("2020-06-15"))
    age = rng.integers(0, 70, 10_000)
    age[:100] = -1
    dob = birth_dates(reference, age, rng)
    assert np.isnat(dob[:100]).all() and not np.isnat(dob[100:]).any()
    years = (reference[100:] - dob[100:]).astype(np.int64) / 365.25
    assert np.all(np.abs(years - age[100:] - 0.5) < 1.01)


def test_citizenship_names_people(people):
    rng = np.random.default_rng(3)
    vn = invent_people(2_000, rng, ["VNM"] * 2_000)
    assert set(vn.citizenship.tolist()) == {"VN"} and set(vn.culture.tolist()) == {"vietnamese"}
    assert set(vn.family.tolist()) <= set(nm.VN_FAMILY.head)
    mixed = invent_people(4, rng, ["UA", "", "XX", "MEX"])
    assert mixed.citizenship.tolist() == ["UA", "", "XX", "MX"]
    assert mixed.culture[0] == "ukrainian" and mixed.culture[3] == "hispanic"
    with pytest.raises(ValueError):
        invent_people(3, rng, ["UA"])


def test_naming_conventions():
    rng = np.random.default_rng(4)
    n = 3_000
    ua = invent_people(n, rng, ["UA"] * n, sex=["f"] * n)
    patronymics = np.array([g.endswith("vna") for g in ua.given.tolist()])
    assert 0.5 < patronymics.mean() < 0.7  # "Olena Petrivna Kovalenko"
    assert not any(f.endswith(("ov", "skyi")) for f in ua.family.tolist())
    latin = invent_people(n, rng, ["GT"] * n)
    two = np.array([len(f.split()) == 2 for f in latin.family.tolist()])
    assert 0.8 < two.mean() < 0.9  # paternal + maternal
    arab = invent_people(n, rng, ["SY"] * n, sex=["m"] * n)
    assert any(f.startswith("bin ") for f in arab.family.tolist())
    thai = invent_people(n, rng, ["TH"] * n)
    assert len(set(thai.family.tolist())) > 0.9 * n  # long, nearly unique surnames
    ethiopian = invent_people(n, rng, ["ET"] * n)
    assert set(ethiopian.family.tolist()) & set(nm.HORN.male.head)  # the father's name as surname


def test_slavic_forms():
    assert patronymic("Petro", "uk", True) == "Petrivna" and patronymic("Petro", "uk", False) == "Petrovych"
    assert patronymic("Serhii", "uk", True) == "Serhiivna"
    assert (
        patronymic("Sergei", "ru", False) == "Sergeevich"
        and patronymic("Dmitrii", "ru", True) == "Dmitrievna"
    )
    assert patronymic("Aleksandr", "ru", True) == "Aleksandrovna"
    assert feminine("Ivanov", "ru") == "Ivanova" and feminine("Kovalskyi", "uk") == "Kovalska"
    assert feminine("Shevchenko", "uk") == "Shevchenko"


def test_name_lists_are_long_enough():
    for c in nm.CULTURES.values():
        assert len(c.female.head) >= 40 and len(c.male.head) >= 40, c.name
        if c.family is not None and c.name != "khmer":
            assert len(c.family.head) >= 40, c.name
        for pool in (c.female, c.male, c.family, c.family_f, c.middle_f, c.middle_m):
            if pool is not None and pool.weights is not None:
                assert len(pool.weights) == len(pool.head), c.name
    assert len(nm.KHMER.family.head) >= 40 if nm.KHMER.family else False
    assert set(nm.COUNTRY_CULTURE.values()) == set(nm.CULTURES)
    assert set(nm.WORLD_CITIZENSHIP) <= set(nm.COUNTRY_CULTURE)


def test_same_seed_same_people():
    a = invent_people(5_000, np.random.default_rng(9))
    b = invent_people(5_000, np.random.default_rng(9))
    c = invent_people(5_000, np.random.default_rng(10))
    for field in ("given", "family", "sex", "citizenship", "culture"):
        assert getattr(a, field).tolist() == getattr(b, field).tolist()
    assert np.array_equal(a.dob, b.dob, equal_nan=True)
    assert a.full_names().tolist() != c.full_names().tolist()
    va, ra = vary(a, np.arange(0, 5_000, 2), np.random.default_rng(1))
    vb, rb = vary(b, np.arange(0, 5_000, 2), np.random.default_rng(1))
    assert va.full_names().tolist() == vb.full_names().tolist()
    assert all(np.array_equal(ra.applied[k], rb.applied[k]) for k in KINDS)


# -- variations -------------------------------------------------------------------------------------------


def test_variations_at_their_rates(varied):
    _, record = varied
    rates = VariationRates()
    for kind in KINDS:
        assert record.eligible[kind].sum() > 10_000, kind
        assert abs(record.rate(kind) - getattr(rates, kind)) < 0.01, (kind, record.rate(kind))


def test_what_each_variation_may_apply_to(people, varied):
    _, record = varied
    e = record.eligible
    assert not e["surname_change"][people.sex == "m"].any()
    assert not e["swap_day_month"][np.isnat(people.dob)].any()
    days = people.dob[e["swap_day_month"]].astype(object)
    assert all(d.day <= 12 and d.day != d.month for d in days)
    assert e["dropped_name"].sum() == sum(
        1
        for g, f, c in zip(
            people.given.tolist(), people.family.tolist(), people.culture.tolist(), strict=True
        )
        if " " in g or (" " in f and nm.CULTURES[c].double_family)
    )


def _only(record, kind: str) -> np.ndarray:
    names = [k for k in KINDS if not k.startswith(("dob", "swap_day"))]
    others = np.stack([record.applied[k] for k in names if k != kind])
    return np.flatnonzero(record.applied[kind] & ~others.any(axis=0))


def test_variations_are_applied_as_recorded(people, varied):
    out, record = varied
    assert out.person_id.tolist() == people.person_id.tolist()
    assert out.sex.tolist() == people.sex.tolist()
    name_kinds = np.stack([record.applied[k] for k in KINDS if not k.startswith(("dob", "swap_day"))])
    same = ~name_kinds.any(axis=0)
    assert np.array_equal(out.given[same], people.given[same])
    assert np.array_equal(out.family[same], people.family[same])
    for i in _only(record, "swap_names"):
        assert (out.given[i], out.family[i]) == (people.family[i], people.given[i])
    for i in _only(record, "typo"):
        d = _edits(out.given[i], people.given[i]) + _edits(out.family[i], people.family[i])
        assert d in (1, 2), (people.given[i], people.family[i], out.given[i], out.family[i])
    for i in _only(record, "surname_change"):
        assert out.given[i] == people.given[i] and out.family[i] != people.family[i]
    for i in _only(record, "dropped_name"):
        before = len(people.given[i].split()) + len(people.family[i].split())
        assert len(out.given[i].split()) + len(out.family[i].split()) == before - 1
    before, after = people.full_names(), out.full_names()
    for i in _only(record, "transliteration"):
        assert after[i] != before[i]
    for i in _only(record, "case_spacing"):
        a = " ".join(f"{out.given[i]} {out.family[i]}".replace("-", " ").split()).casefold()
        assert a == " ".join(before[i].replace("-", " ").split()).casefold()


def test_date_variations_are_applied_as_recorded(people, varied):
    out, record = varied
    assert np.isnat(out.dob[record.applied["dob_missing"]]).all()
    untouched = ~(
        record.applied["dob_missing"] | record.applied["swap_day_month"] | record.applied["dob_shift"]
    )
    assert np.array_equal(out.dob[untouched], people.dob[untouched], equal_nan=True)
    swapped = record.applied["swap_day_month"] & ~record.applied["dob_shift"]
    for before, after in zip(
        people.dob[swapped].astype(object), out.dob[swapped].astype(object), strict=True
    ):
        assert (after.day, after.month, after.year) == (before.month, before.day, before.year)
    shifted = record.applied["dob_shift"] & ~record.applied["swap_day_month"]
    for before, after in zip(
        people.dob[shifted].astype(object), out.dob[shifted].astype(object), strict=True
    ):
        days = abs((after - before).days)
        assert days == 1 or (abs(after.year - before.year) == 1 and days in (364, 365, 366))


def test_typo_is_one_edit():
    rng = np.random.default_rng(5)
    for word in ("Nguyễn", "Mohammed", "Ba", "Olena Petrivna", "Aa", "Ly"):
        for _ in range(200):
            out = typo(word, rng)
            assert out != word and out and 1 <= _edits(out, word) <= 2
            assert out[0].isupper() == word[0].isupper() or len(word) < 3


def test_transliteration_table():
    assert len(TRANSLITERATIONS) >= 30
    assert all(len(set(g)) == len(g) >= 2 for g in TRANSLITERATIONS)
    assert {"Mohammed", "Muhammad"} <= set(next(g for g in TRANSLITERATIONS if "Mohammed" in g))
    assert ascii_fold("Nguyễn Đức Traoré") == "Nguyen Duc Traore"


def test_custom_rates_and_subsets(people):
    rates = VariationRates(**dict.fromkeys(KINDS, 0.0))
    out, record = vary(people, np.array([5, 5, 7]), np.random.default_rng(2), rates)
    assert out.person_id.tolist() == [people.person_id[5], people.person_id[5], people.person_id[7]]
    assert not record.changed.any()
    assert out.full_names().tolist() == people.take([5, 5, 7]).full_names().tolist()


# -- who is where, and the truth --------------------------------------------------------------------------


def test_two_contributors_overlap():
    a, b = overlapping(N, 0.10, np.random.default_rng(1))
    assert abs(len(a) - len(b)) <= 1
    shared = np.intersect1d(a, b)
    assert abs(len(shared) - 0.10 * len(b)) <= 1
    assert len(np.union1d(a, b)) == N and len(set(a.tolist())) == len(a)
    again = overlapping(N, 0.10, np.random.default_rng(1))
    assert np.array_equal(a, again[0]) and np.array_equal(b, again[1])


def test_three_contributors_overlap():
    a, b, c = overlapping(N, 0.10, np.random.default_rng(2), contributors=3)
    assert len(np.union1d(np.union1d(a, b), c)) == N
    everywhere = np.intersect1d(np.intersect1d(a, b), c)
    assert abs(len(everywhere) - 0.01 * N) <= 1
    for mine, others in ((a, (b, c)), (b, (a, c)), (c, (a, b))):
        elsewhere = np.isin(mine, np.union1d(*others))
        assert abs(elsewhere.mean() - 0.10) < 0.005
    with pytest.raises(ValueError):
        overlapping(N, 1.5, np.random.default_rng(2))


def test_truth_pairs(people):
    rng = np.random.default_rng(3)
    a, b = overlapping(20_000, 0.2, rng)
    pairs = truth_pairs(a, b)
    assert len(pairs) == len(np.intersect1d(a, b))
    assert all(a[i] == b[j] for i, j in pairs)
    ids_a, ids_b = people.person_id[a], vary(people, b, rng)[0].person_id
    assert truth_pairs(ids_a, ids_b) == pairs
    assert truth_pairs(["x", "y", "x"], ["x", "x"]) == {(0, 0), (0, 1), (2, 0), (2, 1)}
