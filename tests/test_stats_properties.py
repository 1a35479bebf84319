"""Properties of `ctdhub.publish.stats.stats` (what /api/v1/stats answers) over the shared demo release, for
generated dimensions and filters drawn from the release's own dimensions and values: intervals contain their
estimates; answers agree with one another (a breakdown summed over a dimension, a filter to several values,
a total under filters); the same question gets the same numbers; bad input is a StatsError with a message."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from ctdhub.publish import Gate
from ctdhub.publish.gate import ReleaseView
from ctdhub.publish.stats import FILTER_DIMS, Filters, StatsError, StatsResult, split_values, stats
from ctdhub.publish.tables import published_values, release_tables
from ctdhub.standard.dimensions import UNKNOWN, YEAR

FAMILY_FILTER = "typeOfExploit"  # the one flag family a filter may name (see FILTER_DIMS)
EXAMPLES = settings(max_examples=40, deadline=None)


@dataclass(frozen=True)
class Release:
    """The demo release as the properties see it: its view, dimensions and published values."""

    view: ReleaseView
    dims: tuple[str, ...]
    plain: tuple[str, ...]  # dimensions that are not flag families (their categories may be summed)
    families: frozenset[str]
    values: dict[str, tuple[str, ...]]  # dimension -> values a filter may name (published, mostly)
    years: tuple[int, int]


@pytest.fixture(scope="module")
def release(demo_release: Path) -> Release:
    """The shared demo release (read-only) with its dimensions and their values."""
    view = Gate(demo_release.parent).release(demo_release.name)
    tabs = release_tables(view)
    values: dict[str, tuple[str, ...]] = {}
    for d in tabs.dims:
        vals = list(published_values(view, d))
        if d == FAMILY_FILTER:
            # every member of the family may be named, published or not; "Unknown" is left out here: it
            # crashes the total (test_family_filter_unknown_total_is_answered below)
            vals += sorted(v for v in tabs.values(d) if v not in vals and v != UNKNOWN)
        values[d] = tuple(vals)
    years = view.manifest.years
    assert years is not None
    return Release(
        view=view,
        dims=tabs.dims,
        plain=tuple(d for d in tabs.dims if d not in tabs.families),
        families=tabs.families,
        values=values,
        years=(int(years[0]), int(years[1])),
    )


# --- drawing queries ---------------------------------------------------------------------------------------


def draw_dims(data: st.DataObject, rel: Release, size: int = 2, *, families: bool = True) -> list[str]:
    """Up to `size` distinct dimensions, at most one of them a flag family."""
    pool = rel.dims if families else rel.plain
    dims = data.draw(st.lists(st.sampled_from(pool), max_size=size, unique=True), label="dims")
    out: list[str] = []
    for d in dims:
        if d in rel.families and any(o in rel.families for o in out):
            continue
        out.append(d)
    return out


def draw_filters(
    data: st.DataObject,
    rel: Release,
    dims: list[str],
    *,
    skip: tuple[str, ...] = (),
    one_family_value: bool = False,
    years: bool = True,
) -> Filters:
    """Set filters on up to 3 dimensions (not those in `skip`) with values of the release, and maybe a year
    range. Several categories of the family filter only when no other family is broken down (a filter
    naming several keeps the family as a dimension, and two families cannot be broken down at once)."""
    params = [p for p, d in FILTER_DIMS.items() if d not in skip]
    chosen = data.draw(st.lists(st.sampled_from(params), max_size=3, unique=True), label="filtered")
    other_family = any(d in rel.families and d != FAMILY_FILTER for d in dims)
    kw: dict[str, Any] = {}
    for p in chosen:
        d = FILTER_DIMS[p]
        most = 1 if d == FAMILY_FILTER and (other_family or one_family_value) else 3
        kw[p] = tuple(
            data.draw(
                st.lists(st.sampled_from(rel.values[d]), min_size=1, max_size=most, unique=True), label=p
            )
        )
    if years and data.draw(st.booleans(), label="years?"):
        first, last = rel.years
        lo = data.draw(st.none() | st.integers(first - 2, last + 1), label="year_from")
        hi = data.draw(
            st.none() | st.integers(lo if lo is not None else first - 2, last + 2), label="year_to"
        )
        kw |= {"year_from": lo, "year_to": hi}
    return Filters(**kw)


def ask(rel: Release, dims: list[str], filters: Filters) -> StatsResult:
    """The answer; a StatsError is a failure here: every drawn query is valid."""
    r = stats(rel.view, dims, filters)
    event("answered from the model" if r.table == "model" else "answered from a published table")
    return r


def by(result: StatsResult, dims: list[str], *, nonzero: bool = True) -> dict[tuple[str, ...], int]:
    """The answer's estimates summed by `dims` (a subset of its dimensions), zeros left out."""
    acc: dict[tuple[str, ...], int] = {}
    for c in result.cells:
        k = tuple(c[d] for d in dims)
        acc[k] = acc.get(k, 0) + int(c["estimate"])
    return {k: v for k, v in acc.items() if v or not nonzero}


def add(into: dict[tuple[str, ...], int], more: dict[tuple[str, ...], int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


def year_ok(value: str, filters: Filters) -> bool:
    """Whether a year value passes the filters' year range ('Unknown' is outside every range)."""
    if not value.isdigit():
        return False
    lo = filters.year_from if filters.year_from is not None else -(10**9)
    hi = filters.year_to if filters.year_to is not None else 10**9
    return lo <= int(value) <= hi


# --- properties ------------------------------------------------------------------------------------------


@EXAMPLES
@given(data=st.data())
def test_every_cell_lies_in_its_interval(release: Release, data: st.DataObject) -> None:
    """lower <= estimate <= upper, estimate >= 0, whole numbers and the threshold flag, for every cell and
    every denominator cell of any answer."""
    dims = draw_dims(data, release, 3)
    r = ask(release, dims, draw_filters(data, release, dims))
    assert r.dims[: len(dims)] == dims and len(set(r.dims)) == len(r.dims)
    assert r.cells or r.dims, "a total always has its one cell"
    for c in [*r.cells, *(c for cells in r.denominators.values() for c in cells)]:
        assert all(isinstance(c[k], int) for k in ("estimate", "lower", "upper")), c
        assert c["estimate"] >= 0 and c["lower"] <= c["estimate"] <= c["upper"], c
        assert c["below_threshold"] is (c["estimate"] < r.threshold), c
    for c in r.cells:
        assert set(r.dims) <= set(c), c


@EXAMPLES
@given(data=st.data())
def test_two_way_summed_over_one_dimension_is_the_one_way(release: Release, data: st.DataObject) -> None:
    """stats([a, b], F) summed over b (not a flag family: a case counts once in each of its flags) equals
    stats([a], F): every answer is a tabulation of the same model."""
    kept = data.draw(st.sampled_from(release.dims), label="kept")
    summed = data.draw(st.sampled_from([d for d in release.plain if d != kept]), label="summed")
    filters = draw_filters(data, release, [kept])
    both = ask(release, [kept, summed], filters)
    one = ask(release, [kept], filters)
    assert [d for d in both.dims if d != summed] == one.dims
    assert by(both, one.dims) == by(one, one.dims), (both.table, one.table)


@EXAMPLES
@given(data=st.data())
def test_a_filter_to_several_values_is_the_sum_of_single_filters(
    release: Release, data: st.DataObject
) -> None:
    """For a dimension that is not a flag family, filtering to {v1, ..., vk} gives the sum of the answers
    filtered to each vi (whether or not the dimension is also broken down)."""
    dims = draw_dims(data, release)
    param = data.draw(st.sampled_from([p for p, d in FILTER_DIMS.items() if d not in release.families]))
    d = FILTER_DIMS[param]
    vals = data.draw(st.lists(st.sampled_from(release.values[d]), min_size=2, max_size=4, unique=True))
    base = draw_filters(data, release, dims, skip=(d,))
    many = ask(release, dims, Filters(**{**_kw(base), param: tuple(vals)}))
    total: dict[tuple[str, ...], int] = {}
    for v in vals:
        one = ask(release, dims, Filters(**{**_kw(base), param: (v,)}))
        assert one.dims == many.dims
        add(total, by(one, one.dims))
    assert by(many, many.dims) == {k: v for k, v in total.items() if v}


@EXAMPLES
@given(data=st.data())
def test_a_filter_to_several_flags_breaks_the_family_down(release: Release, data: st.DataObject) -> None:
    """Flag categories are never summed: filtering the family to several flags keeps it as a dimension, and
    the cells of each flag are the answer filtered to that flag alone."""
    dims = draw_dims(data, release, families=False)
    vals = data.draw(
        st.lists(st.sampled_from(release.values[FAMILY_FILTER]), min_size=2, max_size=3, unique=True)
    )
    base = draw_filters(data, release, dims, skip=(FAMILY_FILTER,))
    many = ask(release, dims, Filters(**{**_kw(base), FAMILY_FILTER: tuple(vals)}))
    assert many.dims == [*dims, FAMILY_FILTER] and many.notes
    for v in vals:
        one = ask(release, dims, Filters(**{**_kw(base), FAMILY_FILTER: (v,)}))
        assert one.dims == dims
        assert by(one, dims) == {k[:-1]: n for k, n in by(many, many.dims).items() if k[-1] == v}, v


@EXAMPLES
@given(data=st.data())
def test_the_total_of_an_answer_is_the_unfiltered_total_restricted(
    release: Release, data: st.DataObject
) -> None:
    """The cells of stats(dims, F) (no flag family broken down) add up to stats([], F), which is the
    unfiltered breakdown by the filtered dimensions (and the year) restricted to the filters' values."""
    dims = draw_dims(data, release, 3, families=False)
    filters = draw_filters(data, release, dims, one_family_value=True)
    r = ask(release, dims, filters)
    total = ask(release, [], filters)
    assert len(total.cells) == 1
    assert r.total() == total.total()
    keep = filters.constrained()
    over = [*keep, *([YEAR] if filters.has_years() else [])]
    everything = ask(release, over, Filters())
    restricted = sum(
        int(c["estimate"])
        for c in everything.cells
        if all(c[d] in vals for d, vals in keep.items())
        and (not filters.has_years() or year_ok(c[YEAR], filters))
    )
    assert restricted == total.total(), (over, everything.table)


@EXAMPLES
@given(data=st.data())
def test_the_same_question_gets_the_same_numbers(release: Release, data: st.DataObject) -> None:
    """Asking twice, or with the filter values written differently (case, order, repeats, as one
    comma-separated string as the API receives them), gives the same cells."""
    dims = draw_dims(data, release, 3)
    filters = draw_filters(data, release, dims)
    first = ask(release, dims, filters).to_dict()
    again = ask(release, dims, filters).to_dict()
    assert again == first
    respelled: dict[str, Any] = {}
    for p, vals in _kw(filters).items():
        if isinstance(vals, tuple):
            shuffled = data.draw(st.permutations(vals), label=f"{p} order")
            cased = [data.draw(st.sampled_from([str, str.upper, str.lower]))(v) for v in shuffled]
            respelled[p] = ",".join([*cased, cased[0]])
        else:
            respelled[p] = f" {vals} "
    other = ask(release, dims, Filters.from_mapping(respelled)).to_dict()
    assert {frozenset(c.items()) for c in other["cells"]} == {frozenset(c.items()) for c in first["cells"]}
    assert other["denominators"] == first["denominators"] and other["table"] == first["table"]


# --- bad input ----------------------------------------------------------------------------------------------

junk = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


def _bad_dimension(data: st.DataObject, rel: Release, dims: list[str]) -> tuple[list[str], dict[str, Any]]:
    return [*dims, data.draw(junk.filter(lambda s: s not in rel.dims), label="bad dim")], {}


def _repeated(data: st.DataObject, rel: Release, dims: list[str]) -> tuple[list[str], dict[str, Any]]:
    twice = data.draw(st.sampled_from(rel.dims), label="twice")
    return [*dims, twice, twice], {}


def _two_families(data: st.DataObject, rel: Release, dims: list[str]) -> tuple[list[str], dict[str, Any]]:
    fams = st.lists(st.sampled_from(sorted(rel.families)), min_size=2, max_size=2, unique=True)
    return data.draw(fams, label="families"), {}


def _bad_filter(data: st.DataObject, rel: Release, dims: list[str]) -> tuple[list[str], dict[str, Any]]:
    known = {f.name for f in fields(Filters)}
    return dims, {data.draw(junk.filter(lambda s: s not in known), label="bad filter"): "x"}


def _bad_value(data: st.DataObject, rel: Release, dims: list[str]) -> tuple[list[str], dict[str, Any]]:
    param = data.draw(st.sampled_from(sorted(FILTER_DIMS)), label="param")
    vocab = {v.casefold() for v in release_tables(rel.view).values(FILTER_DIMS[param])}
    bad = data.draw(
        junk.filter(lambda s: bool(s.strip()) and "," not in s and s.strip().casefold() not in vocab),
        label="bad value",
    )
    return dims, {param: [data.draw(st.sampled_from(rel.values[FILTER_DIMS[param]])), bad]}


def _bad_year(data: st.DataObject, rel: Release, dims: list[str]) -> tuple[list[str], dict[str, Any]]:
    which = data.draw(st.sampled_from(["year_from", "year_to"]), label="which")
    return dims, {which: data.draw(junk.filter(lambda s: s != "" and _not_int(s)), label="bad year")}


def _backwards(data: st.DataObject, rel: Release, dims: list[str]) -> tuple[list[str], dict[str, Any]]:
    lo = data.draw(st.integers(1900, 2100), label="year_from")
    return dims, {"year_from": str(lo), "year_to": str(lo - data.draw(st.integers(1, 50), label="back"))}


BAD_INPUT = {
    "unknown dimension": _bad_dimension,
    "repeated dimension": _repeated,
    "two families": _two_families,
    "unknown filter": _bad_filter,
    "unknown value": _bad_value,
    "year not a number": _bad_year,
    "backwards range": _backwards,
}


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_bad_dims_and_filters_are_stats_errors(release: Release, data: st.DataObject) -> None:
    """An unknown or repeated dimension, two flag families broken down, an unknown filter or value, a year
    that is not a whole number or a range the wrong way round: a StatsError with a message, nothing else."""
    kind = data.draw(st.sampled_from(sorted(BAD_INPUT)), label="kind")
    dims, raw = BAD_INPUT[kind](data, release, draw_dims(data, release))
    with pytest.raises(StatsError) as err:
        stats(release.view, dims, Filters.from_mapping(raw))
    assert str(err.value).strip(), kind
    assert err.value.to_dict()["message"]


@settings(max_examples=50, deadline=None)
@given(
    dims=junk,
    filters=st.dictionaries(st.sampled_from([*FILTER_DIMS, "year_from", "year_to"]), junk, max_size=3),
)
def test_any_query_text_is_answered_or_refused(release: Release, dims: str, filters: dict[str, str]) -> None:
    """Whatever text a query string carries (as the API passes it on), the answer is a result or a
    StatsError, never another exception."""
    try:
        r = stats(release.view, split_values(dims), Filters.from_mapping(filters))
    except StatsError as exc:
        assert str(exc).strip()
    else:
        assert all(c["lower"] <= c["estimate"] <= c["upper"] for c in r.cells)


def test_family_filter_unknown_total_is_answered(release: Release) -> None:
    assert UNKNOWN in release_tables(release.view).values(FAMILY_FILTER)
    try:
        r = stats(release.view, [], Filters(typeOfExploit=(UNKNOWN,)))
    except StatsError:
        return  # refusing it with a message would do too
    assert len(r.cells) == 1 and r.cells[0]["lower"] <= r.cells[0]["estimate"] <= r.cells[0]["upper"]


# --- helpers -----------------------------------------------------------------------------------------------


def _kw(filters: Filters) -> dict[str, Any]:
    """The filters' set fields, as keyword arguments."""
    return {
        f.name: getattr(filters, f.name)
        for f in fields(Filters)
        if getattr(filters, f.name) not in (None, ())
    }


def _not_int(s: str) -> bool:
    try:
        int(s.strip())
    except ValueError:
        return True
    return False


def test_countries_under_a_region_filter_are_measured_not_modelled(release: Release) -> None:
    """A country's region is a function of the country: the country table under a region filter is the
    measured country table, not an unmeasured "country × region" combination."""
    r = stats(release.view, ["CountryOfExploitation"], Filters(exploitation_region=("Europe",)))
    assert r.cells and not [c for c in r.cells if c.get("modelled")]
