"""Records without a linkage key: candidates on quasi-identifiers alone (splink), only ever for review.

Invented cases at three contributors, gamma sending no keys; one person at alpha and gamma has a rare
combination (citizenship, country of exploitation, age, year) that splink's frequency-adjusted model
ranks first. Quasi candidates are marked "review: quasi", never merged into a person unless the team
accepts them; runs are repeatable; the exact-agreement baseline is there for the benchmark."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from conftest import store_case_ids
from ctdhub.linkage.find import QUASI, find_duplicates
from ctdhub.linkage.quasi import exact_candidates, quasi_candidates
from ctdhub.store import Hub, init_store

CITIZENSHIPS = ["NG"] * 30 + ["UA"] * 20 + ["PH"] * 15 + ["VN"] * 10 + ["RO"] * 8 + ["TH"] * 7 + ["IN"] * 5
BANDS = ["9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47"]
EXPLOITED = ["US", "GB", "IT", "TH", "RU"]
RARE = ("za1", "zg1")  # alpha (keyed) and gamma (no key): one rare combination
ZEROS = "[" + ",".join("0" * 16) + "]::UBIGINT[16]"


def _rows(n: int, seed: int) -> list[tuple[str, str, str, str, int, str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        c = rng.choice(["alpha", "beta", "gamma"])
        rows.append(
            (
                f"{c[0]}{i:03d}",
                c,
                rng.choice(["Female"] * 7 + ["Male"] * 3),
                rng.choice(BANDS),
                rng.randint(2016, 2023),
                rng.choice(CITIZENSHIPS),
                rng.choice(EXPLOITED),
            )
        )
    rows.append(("za1", "alpha", "Male", "18--20", 2021, "ER", "LY"))
    rows.append(("zg1", "gamma", "Male", "18--20", 2021, "ER", "LY"))
    return rows


def make_hub(tmp_path: Path, n: int = 300, seed: int = 3) -> Hub:
    """Cases of alpha and beta carry a (placeholder) key in `linkage_keys`, gamma's none."""
    hub, _ = init_store(tmp_path / "hub")
    names = ["case_id", "contributor", "gender", "ageBroad", "yearOfRegistration", "citizenship", "exploited"]
    rows = pa.table(dict(zip(names, map(list, zip(*_rows(n, seed), strict=True)), strict=True)))
    with hub.writer() as con:
        store_case_ids(con)
        con.register("rows", rows)
        con.execute(
            'INSERT INTO cases (case_id, contributor, batch_id, source_row, gender, "ageBroad", '
            '"yearOfRegistration", citizenship, "CountryOfExploitation") SELECT case_id, contributor, '
            "'batch-' || contributor, 0, gender, ageBroad, yearOfRegistration, citizenship, exploited FROM rows"
        )
        con.execute(
            "INSERT INTO linkage_keys SELECT case_id, 'batch-' || contributor, contributor, '0a1b2c3d', 'nds', "
            f"[], {ZEROS}, 0 FROM rows WHERE contributor <> 'gamma'"
        )
    return hub


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    return make_hub(tmp_path_factory.mktemp("quasi"))


def test_quasi_candidates_rank_the_rare_combination_first(hub: Hub) -> None:
    with duckdb.connect(str(hub.db_path), read_only=True) as con:
        out = quasi_candidates(con)
        again = quasi_candidates(con)
    assert out.pairs == again.pairs  # repeatable (u sampled with a seed)
    best = max(out.pairs, key=lambda p: p.score)
    assert (best.case_a, best.case_b) == RARE and best.score > 0.9
    assert best.evidence.startswith("quasi-identifiers only; sex agrees; citizenship agrees")
    for p in out.pairs:
        assert p.case_a < p.case_b and p.contributor_a != p.contributor_b
        assert "gamma" in (p.contributor_a, p.contributor_b)  # one of them lacks a key
    per_record: dict[str, int] = {}
    for p in out.pairs:
        for c in (p.case_a, p.case_b):
            if c.startswith(("g", "zg")):
                per_record[c] = per_record.get(c, 0) + 1
    assert max(per_record.values()) <= 2  # TOP candidates per record without a key
    assert out.unkeyed == sum(1 for r in _rows(300, 3) if r[1] == "gamma")


def test_exact_baseline(hub: Hub) -> None:
    with duckdb.connect(str(hub.db_path), read_only=True) as con:
        exact = exact_candidates(con)
        everyone = exact_candidates(con, keyed=None)
        narrow = exact_candidates(con, columns=("citizenship",))
    assert RARE in exact
    assert set(exact) < set(everyone) and set(exact) < set(narrow)
    rows = {r[0]: r for r in _rows(300, 3)}
    for a, b in exact:
        assert rows[a][2:] == rows[b][2:] and rows[a][1] != rows[b][1] and "gamma" in (rows[a][1], rows[b][1])


def test_find_puts_quasi_pairs_to_review_and_never_merges_them(tmp_path: Path) -> None:
    hub = make_hub(tmp_path)
    with hub.writer() as con:
        result = find_duplicates(con)
        pairs = con.execute("SELECT case_a, case_b, method, band, similarity FROM linkage_pairs").fetchall()
        person_cases = {r[0] for r in con.execute("SELECT case_id FROM persons").fetchall()}
        assert result.review[QUASI] == len(pairs) > 0
        assert all(m == "quasi" and band == QUASI and sim is None for _, _, m, band, sim in pairs)
        assert "zg1" not in person_cases  # no key, not accepted: no person
        assert result.matches == 0 and result.unkeyed_records > 0
        # the team accepts the rare pair: from the next run it is one person
        con.execute("INSERT INTO linkage_decisions VALUES ('za1', 'zg1', 'accept', 'team', now())")
        find_duplicates(con)
        who = dict(con.execute("SELECT case_id, person_id FROM persons").fetchall())
        methods = dict(con.execute("SELECT case_id, method FROM persons").fetchall())
        assert who["za1"] == who["zg1"] and methods["zg1"] == "decision"
        none = find_duplicates(con, quasi=False)
        assert QUASI not in none.review
        assert con.execute("SELECT count(*) FROM linkage_pairs WHERE method = 'quasi'").fetchall() == [(0,)]


def test_few_records_and_none_without_a_key(tmp_path: Path) -> None:
    """A handful of records still runs (u from the pairs there are); with every record keyed splink is not
    run at all."""
    small = make_hub(tmp_path / "small", n=6, seed=1)
    with duckdb.connect(str(small.db_path), read_only=True) as con:
        out = quasi_candidates(con)
    assert all(p.case_a < p.case_b for p in out.pairs)
    with duckdb.connect(str(small.db_path), read_only=True) as con:
        con.execute("CREATE TEMP TABLE all_keyed AS SELECT case_id FROM cases")
        out = quasi_candidates(con, keyed="all_keyed")
    assert out.unkeyed == 0 and out.pairs == () and out.compared == 0
