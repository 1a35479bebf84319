"""The attacks of issue 10, written as tests: each must recover nothing beyond what the noise allows.

A small invented hub holds, beside a few thousand demo cases, three planted cases that are unique in
their combination (boys aged 0–8 from Laos exploited in Laos in 2019, in forced marriage). The attacker
knows everything except whether those cases are there, and reads every public output: the tables, the
API's answers to any combination, the synthetic file, the diff between two releases. Over independent
releases (each with fresh noise) the attacker's best guesses of the planted count must scatter like the
noise — never land on the truth every time as subtraction of exact tables did.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ctdhub.demo.generate import generate
from ctdhub.ingest import ingest_file
from ctdhub.publish import Gate
from ctdhub.publish.briefing import BriefingError, make_briefing, make_selection
from ctdhub.publish.stats import Filters, stats
from ctdhub.release.create import create_release
from ctdhub.release.dp import SeededNoise
from ctdhub.store import Hub, init_store

PLANTED = """case_ref,sex,age,nationality,country_exploited,registration_date,exploitation,control,sector,months,office
P-1,M,7,Lao People's Democratic Republic,LAO,2019-02-01,Forced marriage,Threats,,3,north
P-2,M,6,Lao People's Democratic Republic,LAO,2019-05-11,Forced marriage,Threats,,3,north
P-3,M,8,Lao People's Democratic Republic,LAO,2019-09-23,Forced marriage,Threats,,3,north
"""
TRIALS = 5


def _hub(base: Path, planted: bool) -> Hub:
    hub, _ = init_store(base / "hub")
    files = generate(base / "files", 1_500, seed=11)
    for f in files:
        ingest_file(hub, f.path, f.contributor, f.spec)
    if planted:
        p = base / "planted.csv"
        p.write_text(PLANTED, encoding="utf-8")
        spec = Path(__file__).parent / "data" / "ingest" / "test-org.yaml"
        ingest_file(hub, p, "test-org", str(spec))
    return hub


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, Path]]:
    """TRIALS pairs of releases: one without the planted cases, the next with them (fresh noise each)."""
    out = []
    for t in range(TRIALS):
        base = tmp_path_factory.mktemp(f"attack{t}")
        hub = _hub(base, planted=False)
        before = create_release(hub, None, noise=SeededNoise(100 + t), seed=100 + t).path
        spec = Path(__file__).parent / "data" / "ingest" / "test-org.yaml"
        p = base / "planted.csv"
        p.write_text(PLANTED, encoding="utf-8")
        ingest_file(hub, p, "test-org", str(spec))
        after = create_release(hub, None, noise=SeededNoise(200 + t), seed=200 + t).path
        out.append((before, after))
    return out


def _cell(release: Path, dims: list[str], filters: dict[str, object], where: dict[str, str]) -> int:
    view = Gate(release.parent).release(release.name)
    r = stats(view, dims, Filters.from_mapping(filters))
    return sum(int(c["estimate"]) for c in r.cells if all(c[k] == v for k, v in where.items()))


def _guesses(before: Path, after: Path) -> dict[str, int]:
    """The attacker's estimates of the planted count (truth: 3), by every route the issue tried."""
    laos = {"exploitation_country": "LAO", "year_from": 2019, "year_to": 2019}
    young = _cell(after, ["ageBroad"], {**laos, "gender": "Male"}, {"ageBroad": "0--8"})
    young_before = _cell(before, ["ageBroad"], {**laos, "gender": "Male"}, {"ageBroad": "0--8"})
    # the standard's relation: an age band decides minor / adult
    minors = _cell(after, ["majorityStatus"], {**laos, "gender": "Male"}, {"majorityStatus": "Minor"})
    older = sum(
        _cell(after, ["ageBroad"], {**laos, "gender": "Male"}, {"ageBroad": band}) for band in ("9--17",)
    )
    # the geographic hierarchy: the sub-region's cell minus its other countries
    asia = {"exploitation_subregion": "South-eastern Asia", "year_from": 2019, "year_to": 2019}
    sub = {**asia, "gender": "Male", "ageBroad": "0--8"}
    region_total = _cell(after, [], sub, {})
    others = sum(
        int(c["estimate"])
        for c in stats(
            Gate(after.parent).release(after.name), ["CountryOfExploitation"], Filters.from_mapping(sub)
        ).cells
        if c["CountryOfExploitation"] != "LAO"
    )
    total_change = json.loads((after / "diff.json").read_text())["total"]["change"]
    con = duckdb.connect()
    q = (
        "SELECT count(*) FROM read_parquet('{}/data/synthetic.parquet') WHERE CountryOfExploitation = 'LAO' "
        "AND citizenship = 'LAO' AND yearOfRegistration = 2019 AND gender = 'Male' AND isForcedMarriage = 1"
    )
    (synth_after,) = con.execute(q.format(after)).fetchone() or (0,)
    (synth_before,) = con.execute(q.format(before)).fetchone() or (0,)
    return {
        "direct cell": young,
        "difference of releases (cell)": young - young_before,
        "minors minus age 9-17": minors - older,
        "sub-region minus its other countries": region_total - others,
        "difference of totals": int(total_change),
        "difference of synthetic files": int(synth_after) - int(synth_before),
    }


def test_no_route_recovers_the_planted_cases(pairs: list[tuple[Path, Path]]) -> None:
    guesses = [_guesses(b, a) for b, a in pairs]
    for route in guesses[0]:
        values = [g[route] for g in guesses]
        exact = sum(v == 3 for v in values)
        assert exact < len(values), f"{route} recovered the planted count in every release: {values}"


def test_release_over_release_shows_noise_not_the_added_rows(pairs: list[tuple[Path, Path]]) -> None:
    """The two synthetic files differ by far more than the three added records."""
    before, after = pairs[0]
    con = duckdb.connect()
    cols = "yearOfRegistration, gender, ageBroad, citizenship, CountryOfExploitation"
    (changed,) = con.execute(
        f"SELECT count(*) FROM (SELECT {cols}, count(*) AS n FROM read_parquet('{after}/data/synthetic.parquet') "
        f"GROUP BY ALL) a FULL JOIN (SELECT {cols}, count(*) AS n FROM read_parquet('{before}/data/synthetic.parquet') "
        f"GROUP BY ALL) b USING ({cols}) WHERE coalesce(a.n, 0) <> coalesce(b.n, 0)"
    ).fetchone() or (0,)
    assert changed > 30


def test_the_attackers_error_matches_the_noise_scale(pairs: list[tuple[Path, Path]]) -> None:
    """Differencing two releases' published cell: the attacker stays about a noise scale off the truth
    (a constant answer, whatever the planted cases, is as good as it gets)."""
    diffs = [g["difference of releases (cell)"] - 3 for g in (_guesses(b, a) for b, a in pairs)]
    spread = statistics.pstdev(diffs) + statistics.fmean(abs(d) for d in diffs)
    assert spread >= 1.0, diffs  # not a point mass at the truth


def test_diff_and_report_hold_only_dp_figures(pairs: list[tuple[Path, Path]]) -> None:
    _before, after = pairs[0]
    diff = json.loads((after / "diff.json").read_text())
    for row in [diff["total"], *diff["by_year"], *diff["by_contributor"]]:
        assert row["change_lower"] <= row["change"] <= row["change_upper"]
        assert row["change_upper"] - row["change_lower"] >= 2  # every change carries noise
    text = (after / "CHANGELOG.md").read_text() + json.dumps(diff)
    assert "planted.csv" not in text and "test-org.yaml" not in text and "3 added" not in text
    assert "cases" not in diff  # no exact count of records added or removed


def test_difference_of_totals_is_noise_of_the_announced_size(pairs: list[tuple[Path, Path]]) -> None:
    """The total is measured; the difference of two releases' totals errs on the 3 added cases by about
    the difference's own standard deviation (from the published intervals), not by 0."""
    errors = []
    sds = []
    for _before, after in pairs:
        total = json.loads((after / "diff.json").read_text())["total"]
        errors.append(total["change"] - 3)
        sds.append((total["change_upper"] - total["change_lower"]) / (2 * 1.645))
    assert any(e != 0 for e in errors), errors
    rms = statistics.fmean(e * e for e in errors) ** 0.5
    assert rms < 4 * statistics.fmean(sds), (errors, sds)  # noise of the announced size, no bias


def _briefing(release: Path, countries: list[str]) -> dict[str, Any]:
    view = Gate(release.parent).release(release.name)
    sel = make_selection(years="2019", citizenship_countries=countries)
    return dict(json.loads(make_briefing(view, sel, compare=None, fmt="json").content))


def test_two_briefings_one_country_apart_show_noise_not_the_cases(pairs: list[tuple[Path, Path]]) -> None:
    """The issue's briefing attack: a briefing on citizens of Laos and of the largest other country in 2019,
    minus a briefing on that country alone. Exact briefings gave the Lao cases' count and profile by
    subtraction; now the difference is the model's estimate, off the truth by about the noise."""
    errors, profile_errors = [], []
    for _before, after in pairs:
        view = Gate(after.parent).release(after.name)
        r = stats(view, ["citizenship"], Filters(year_from=2019, year_to=2019))
        other = max(
            (c for c in r.cells if c["citizenship"] not in ("LAO", "Unknown")), key=lambda c: c["estimate"]
        )["citizenship"]
        both, alone = _briefing(after, ["LAO", other]), _briefing(after, [other])
        con = duckdb.connect()
        (truth,) = con.execute(
            f"SELECT count(*) FROM read_parquet('{after}/restricted/snapshot.parquet') "
            "WHERE citizenship = 'LAO' AND yearOfRegistration = 2019"
        ).fetchone() or (0,)
        (boys,) = con.execute(
            f"SELECT count(*) FROM read_parquet('{after}/restricted/snapshot.parquet') WHERE citizenship = 'LAO' "
            "AND yearOfRegistration = 2019 AND gender = 'Male' AND ageBroad = '0--8'"
        ).fetchone() or (0,)
        errors.append(both["cases"] - alone["cases"] - int(truth))
        young = both["gender_ageBroad"].get("Male", {}).get("0--8") or 0
        young_alone = alone["gender_ageBroad"].get("Male", {}).get("0--8") or 0
        profile_errors.append(young - young_alone - int(boys))
    assert not all(e == 0 for e in errors), errors
    assert not all(e == 0 for e in profile_errors), profile_errors
    spread = statistics.pstdev(errors) + statistics.fmean(abs(e) for e in errors)
    assert spread >= 1.0, errors


def test_a_refused_briefing_says_the_same_for_no_case_and_a_few(pairs: list[tuple[Path, Path]]) -> None:
    """The refusal is no oracle: a selection with no case and one with the three planted cases get the
    same sentence (and the decision rests on the model's estimate)."""
    _before, after = pairs[0]
    view = Gate(after.parent).release(after.name)
    messages = set()
    for years in ("1999", None):
        sel = make_selection(
            years=years,
            exploitation_countries=["LAO"],
            citizenship_countries=["LAO"],
            datasources=["Hotline"],
        )
        try:
            make_briefing(view, sel, compare=None, fmt="json")
        except BriefingError as exc:
            messages.add(str(exc))
    assert len(messages) <= 1, messages
