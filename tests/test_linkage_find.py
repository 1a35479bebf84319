"""`duplicates find|review|decide`: invented people at two contributors, their keys made with the real
encoder. One person's records with a typo, Mohammed/Muhammad, a swapped day and month or a missing date of
birth are linked; different people are not; two records of one contributor go to review; two equal
candidates are ambiguous; the team's decisions persist across runs; every keyed case has one person; no
key text reaches pairs, persons, the review file, the JSON output or the audit log."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import store_case_ids
from ctdhub.cli import cli
from ctdhub.linkage.clk import Encoder, Identity
from ctdhub.linkage.clusters import Link, cluster
from ctdhub.linkage.compare import CONTAINMENT_PENALTY, Filters, similarity
from ctdhub.linkage.find import (
    AMBIGUOUS,
    MATCH,
    NAMESAKE_MARGIN,
    POINTS,
    REGISTRATION_FAR,
    REPEAT_EVIDENCE,
    REVIEW,
    SAME_CONTRIBUTOR,
    find_duplicates,
    link_table,
)
from ctdhub.linkage.keyformat import LinkageKey
from ctdhub.linkage.review import DecisionError, read_decisions, write_review
from ctdhub.store import Hub, auditlog, init_store
from ctdhub.store.auditlog import entries
from ctdhub.store.hub import transaction
from ctdhub.store.schema import stored_case_columns

SECRET = bytes.fromhex("5eed" * 16)  # invented for the tests
ENC = Encoder(SECRET)


@dataclass(frozen=True)
class Rec:
    """One invented case: its identity (for the key) and its quasi-identifiers."""

    case_id: str
    contributor: str
    given: str
    family: str
    dob: dt.date | None
    sex: str  # f / m
    citizenship: str | None
    age_band: str = "24--26"
    registered: int = 2020
    keyed: bool = True

    def key(self) -> LinkageKey:
        key = ENC.encode(Identity(given=self.given, family=self.family, dob=self.dob, sex=self.sex))
        assert key is not None
        return key


D = dt.date
PEOPLE = [
    # one person each, at alpha (a…) and beta (b…)
    Rec("a01", "alpha", "Amina", "Okafor", D(1995, 3, 7), "f", "NG"),
    Rec("b01", "beta", "Amina", "Okafur", D(1995, 3, 7), "f", "NG"),  # typo
    Rec("a02", "alpha", "Mohammed", "Al-Rashid", D(1996, 11, 2), "m", "SY"),
    Rec("b02", "beta", "Muhammad", "Al Rashid", D(1996, 11, 2), "m", "SY"),  # Mohammed/Muhammad
    Rec("a03", "alpha", "Elena", "Popescu", D(1995, 5, 12), "f", "RO"),
    Rec("b03", "beta", "Elena", "Popescu", D(1995, 12, 5), "f", "RO"),  # day and month swapped
    Rec("a04", "alpha", "Thi Lan", "Nguyen", D(1996, 8, 4), "f", "VN"),
    Rec("b04", "beta", "Thi Lan", "Nguyen", None, "f", "VN"),  # no date of birth
    # different people
    Rec("a05", "alpha", "Olena", "Kovalenko", D(1994, 1, 15), "f", "UA"),
    Rec("b05", "beta", "Ivan", "Petrenko", D(1979, 4, 30), "m", "UA", age_band="39--47"),
    Rec("b06", "beta", "Amina", "Okafor", D(1972, 10, 21), "f", "NG", age_band="48+"),  # a01's namesake
    # one contributor twice: the team decides
    Rec("a07", "alpha", "Grace", "Mensah", D(1995, 6, 20), "f", "GH"),
    Rec("a08", "alpha", "Grace", "Mensah", D(1995, 6, 20), "f", "GH"),
    # two equal candidates at alpha for one record at beta
    Rec("a09", "alpha", "Jonas", "Berg", D(1995, 2, 2), "m", "SE"),
    Rec("a10", "alpha", "Jonas", "Berg", D(1995, 2, 2), "m", "SE"),
    Rec("b09", "beta", "Jonas", "Berg", D(1995, 2, 2), "m", "SE"),
]
SAME_PERSON = [("a01", "b01"), ("a02", "b02"), ("a03", "b03"), ("a04", "b04")]


def fill(hub: Hub, records: Iterable[Rec]) -> None:
    """Store the records as cases (quasi-identifiers only) and their keys, as ingest would."""
    with hub.writer() as con, transaction(con):
        if "case_id" not in stored_case_columns(con):
            store_case_ids(con)
        for r in records:
            con.execute(
                'INSERT INTO cases (case_id, contributor, batch_id, source_row, gender, "ageBroad", '
                '"yearOfRegistration", citizenship) VALUES (?, ?, ?, 0, ?, ?, ?, ?)',
                [
                    r.case_id,
                    r.contributor,
                    f"batch-{r.contributor}",
                    {"f": "Female", "m": "Male"}[r.sex],
                    r.age_band,
                    r.registered,
                    r.citizenship,
                ],
            )
            if r.keyed:
                k = r.key()
                con.execute(
                    "INSERT INTO linkage_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        r.case_id,
                        f"batch-{r.contributor}",
                        r.contributor,
                        k.check,
                        k.fields,
                        list(k.blocks),
                        k.words(),
                        sum(bin(b).count("1") for b in k.filter),
                    ],
                )


def make_hub(tmp_path: Path, records: Iterable[Rec] = PEOPLE) -> Hub:
    hub, _ = init_store(tmp_path / "hub")
    fill(hub, records)
    return hub


def bands(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    return {
        (a, b): band
        for a, b, band in con.execute("SELECT case_a, case_b, band FROM linkage_pairs").fetchall()
    }


def persons(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT case_id, person_id FROM persons").fetchall())


def key_texts(records: Iterable[Rec]) -> list[str]:
    """What must never leave linkage_keys: each key's text, filter, and filter words."""
    out = []
    for r in records:
        if r.keyed:
            k = r.key()
            out += [k.text(), k.text().rsplit(".", 1)[1], base64.b64encode(k.filter).decode()]
            out += [str(w) for w in k.words() if w > 10**6]
    return out


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return make_hub(tmp_path)


def test_similarity_of_variations() -> None:
    """Dice on the 16 words, and containment less the penalty when one key lacks the date of birth."""
    keys = [r.key() for r in PEOPLE[:8]]
    import numpy as np

    bits = np.array([k.words() for k in keys], dtype=np.uint64)
    ones = np.array([sum(bin(b).count("1") for b in k.filter) for k in keys], dtype=np.int32)
    fields = np.array([{"nds": 1, "ns": 2}[k.fields] for k in keys], dtype=np.int32)
    f = Filters(bits, ones, fields)
    sim = similarity(f, np.array([0, 2, 4, 6, 0], np.int32), np.array([1, 3, 5, 7, 0], np.int32))
    assert sim[4] == pytest.approx(1.0)  # a key with itself
    assert all(s > 0.8 for s in sim[:4])
    assert keys[6].fields == "nds" and keys[7].fields == "ns"
    assert sim[3] == pytest.approx(1.0 - CONTAINMENT_PENALTY)  # b04's bits are all in a04's


def test_find_links_one_person_and_not_others(hub: Hub) -> None:
    with hub.writer() as con:
        result = find_duplicates(con, quasi=False)
        got = bands(con)
        who = persons(con)
    for pair in SAME_PERSON:
        assert got[pair] == MATCH, pair
        assert who[pair[0]] == who[pair[1]]
    for a, b in [("a05", "b05"), ("a01", "b06"), ("b01", "b06"), ("a05", "a03")]:
        assert got.get((a, b)) != MATCH
        assert who[a] != who[b]
    assert result.keyed_records == len(PEOPLE)
    assert result.matches == len(SAME_PERSON)
    assert result.clusters_by_size == {1: len(PEOPLE) - 2 * len(SAME_PERSON), 2: len(SAME_PERSON)}
    assert result.persons == len(set(who.values()))


def test_same_contributor_and_ambiguous_go_to_review(hub: Hub) -> None:
    with hub.writer() as con:
        result = find_duplicates(con, quasi=False)
        got = bands(con)
        who = persons(con)
        evidence = dict(con.execute("SELECT case_a || '/' || case_b, evidence FROM linkage_pairs").fetchall())
    assert got[("a07", "a08")] == SAME_CONTRIBUTOR
    assert got[("a09", "a10")] == SAME_CONTRIBUTOR
    assert got[("a09", "b09")] == got[("a10", "b09")] == AMBIGUOUS
    assert len({who["a07"], who["a08"]}) == 2  # never merged without the team
    assert len({who["a09"], who["a10"], who["b09"]}) == 3
    assert result.review[SAME_CONTRIBUTOR] == 2 and result.review[AMBIGUOUS] == 2
    assert (
        evidence["a01/b01"] == "sex agrees; birth year fits; citizenship agrees; registration the same year"
    )
    assert evidence["a04/b04"].startswith("keys hold different fields")


def test_threshold(hub: Hub) -> None:
    with hub.writer() as con:
        low = find_duplicates(con, threshold=0.5, quasi=False)
        strict = find_duplicates(con, threshold=0.97, quasi=False)
        got = bands(con)
    assert strict.matches < len(SAME_PERSON) <= low.matches
    # with citizenship and the registration year agreeing (+0.04): Mohammed/Muhammad scores 0.954, within
    # the review margin of 0.97; the swapped day and month (0.9196) is below it (0.92): not kept
    assert got[("a02", "b02")] == REVIEW
    assert ("a03", "b03") not in got
    with hub.writer() as con, pytest.raises(Exception, match="threshold"):
        find_duplicates(con, threshold=1.5)


def _decide(path: Path, decisions: dict[tuple[str, str], str]) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["decision"] = decisions.get((row["case_a"], row["case_b"]), row["decision"])
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_decisions_persist_across_runs(hub: Hub, tmp_path: Path) -> None:
    out = tmp_path / "pairs.csv"
    with hub.writer() as con:
        find_duplicates(con, quasi=False)
        n = write_review(con, out, include_matches=True)
        assert n == len(bands(con))
        _decide(out, {("a07", "a08"): "accept", ("a01", "b01"): "Reject", ("a09", "b09"): "accept"})
        report = read_decisions(con, out, "tester")
        assert (report.accepted, report.rejected, report.changed) == (2, 1, 3)
        again = read_decisions(con, out, "tester")
        assert again.changed == 0
        for _ in range(2):  # decisions hold on every later run
            result = find_duplicates(con, quasi=False)
            who = persons(con)
            methods = dict(con.execute("SELECT case_id, method FROM persons").fetchall())
            assert who["a07"] == who["a08"] and methods["a07"] == "decision"
            assert who["a01"] != who["b01"]  # rejected
            assert who["a09"] == who["b09"] != who["a10"]
            assert result.decisions_accepted == 2 and result.decisions_rejected == 1
        stored = con.execute("SELECT decided_by, count(*) FROM linkage_decisions GROUP BY ALL").fetchall()
        assert stored == [("tester", 3)]


def test_rejected_pair_is_not_linked_through_a_third(tmp_path: Path) -> None:
    """A–B matched and B–C matched, A–C rejected: C stays out of A's person (three contributors)."""
    recs = [
        Rec("x1", "alpha", "Sara", "Haile", D(1995, 9, 9), "f", "ER"),
        Rec("x2", "beta", "Sara", "Haile", D(1995, 9, 9), "f", "ER"),
        Rec("x3", "gamma", "Sara", "Haile", D(1995, 9, 9), "f", "ER"),
    ]
    hub = make_hub(tmp_path, recs)
    with hub.writer() as con:
        con.execute("INSERT INTO linkage_decisions VALUES ('x1', 'x3', 'reject', 't', now())")
        result = find_duplicates(con, quasi=False)
        who = persons(con)
    assert who["x1"] != who["x3"]
    assert who["x2"] in (who["x1"], who["x3"])
    assert result.refused_rejected == 2  # x1–x3 itself, and the second link that would join them


def test_bad_decision_rows_are_named(hub: Hub, tmp_path: Path) -> None:
    out = tmp_path / "pairs.csv"
    with hub.writer() as con:
        find_duplicates(con, quasi=False)
        write_review(con, out)
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["decision"] = "maybe"
    rows[1]["case_b"] = "zz-unknown"
    rows[2]["decision"] = "accept"
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with hub.writer() as con:
        with pytest.raises(DecisionError) as err:
            read_decisions(con, out, "tester")
        assert con.execute("SELECT count(*) FROM linkage_decisions").fetchall() == [(0,)]  # nothing stored
    problems = {(p.row, p.column): p.message for p in err.value.problems}
    assert set(problems) == {(2, "decision"), (3, "case_a/case_b")}
    assert "'maybe'" in problems[(2, "decision")] and "accept, reject" in problems[(2, "decision")]
    assert "pairs.csv, row 2, column 'decision'" in str(err.value)
    (tmp_path / "bad.csv").write_text("pair,case_a,choice\n1,a01,accept\n", encoding="utf-8")
    with hub.writer() as con, pytest.raises(DecisionError, match="column 'case_b': column missing"):
        read_decisions(con, tmp_path / "bad.csv", "tester")


def test_every_keyed_case_has_one_person_and_ids_reveal_nothing(hub: Hub) -> None:
    with hub.writer() as con:
        find_duplicates(con, quasi=False)
        rows = con.execute("SELECT case_id, person_id, method FROM persons").fetchall()
        keyed = {r[0] for r in con.execute("SELECT case_id FROM linkage_keys").fetchall()}
        first = persons(con)
        find_duplicates(con, quasi=False)
        assert persons(con) == first  # stable across runs
    assert sorted(r[0] for r in rows) == sorted(keyed)
    # an unkeyed hash of a case id could be recomputed by anyone holding the case ids: the ids are keyed
    # (a case id such as "a05" may well appear inside a hex digest by chance: no substring test)
    unkeyed = {
        "person-" + hashlib.sha256(prefix + c.encode()).hexdigest()[:16]
        for c in keyed
        for prefix in (b"", b"person:")
    }
    for _case_id, person_id, method in rows:
        assert re.fullmatch(r"person-[0-9a-f]{16}", person_id)
        assert person_id not in unkeyed
        assert method in ("single", "clk", "decision")


def test_cli_find_review_decide_json_and_no_key_text(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # until ctdhub.store.auditlog lists the two actions (test_audit_actions_are_registered), lend them
    monkeypatch.setattr(auditlog, "ACTIONS", auditlog.ACTIONS | {"duplicates.find", "duplicates.decide"})
    runner = CliRunner()
    store = ["--store", str(hub.path)]
    res = runner.invoke(cli, ["duplicates", "find", "--threshold", "0.8", "--no-quasi", "--json", *store])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["ok"] and data["matches"] == len(SAME_PERSON) and data["keyed_records"] == len(PEOPLE)
    assert data["clusters_by_size"] == {"1": 8, "2": 4}
    text = runner.invoke(cli, ["duplicates", "find", "--no-quasi", *store])
    assert text.exit_code == 0 and "4 match(es)" in text.output
    out = tmp_path / "pairs.csv"
    res = runner.invoke(cli, ["duplicates", "review", "--out", str(out), "--all", "--json", *store])
    assert json.loads(res.output)["pairs"] > len(SAME_PERSON)
    _decide(out, {("a07", "a08"): "accept"})
    res = runner.invoke(cli, ["duplicates", "decide", str(out), "--by", "ana", "--json", *store])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["accepted"] == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("case_a,case_b,decision\na07,a08,perhaps\n", encoding="utf-8")
    res = runner.invoke(cli, ["duplicates", "decide", str(bad), *store])
    assert res.exit_code == 1 and "bad.csv, row 2, column 'decision'" in res.output
    seen = [res.output, text.output, out.read_text(encoding="utf-8")]
    with duckdb.connect(str(hub.db_path), read_only=True) as con:
        for table in ("linkage_pairs", "persons", "linkage_decisions"):
            seen.append(repr(con.execute(f"SELECT * FROM {table}").fetchall()))
    log = entries(hub)
    assert {e.action for e in log} >= {"duplicates.find", "duplicates.decide"}
    assert (
        next(e.detail for e in log if e.action == "duplicates.decide") == "1 accepted, 0 rejected, 1 changed"
    )
    seen.append(repr(log))
    for secret in key_texts(PEOPLE):
        assert all(secret not in s for s in seen)


def test_audit_actions_are_registered() -> None:
    assert {"duplicates.find", "duplicates.decide"} <= auditlog.ACTIONS


def test_link_table_on_any_table(hub: Hub) -> None:
    """The core runs on any table with the key columns (quasi-identifiers optional), as the benchmark's."""
    with duckdb.connect(str(hub.db_path), read_only=True) as con:
        con.execute("CREATE TEMP TABLE bench AS SELECT * FROM linkage_keys")
        outcome = link_table(con, "bench", 0.8)
    matched = {(p.case_a, p.case_b) for p in outcome.pairs if p.band == MATCH}
    assert set(SAME_PERSON) <= matched
    assert outcome.comparison.records == len(PEOPLE) and outcome.comparison.secret_groups == 1
    quasi_words = ("sex", "birth", "citizenship", "country", "registration")
    assert not any(w in p.evidence for p in outcome.pairs for w in quasi_words)


def test_keys_of_another_secret_are_never_compared(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, PEOPLE[:2])
    other = Encoder(bytes.fromhex("0abe" * 16)).encode(
        Identity(given="Amina", family="Okafor", dob=D(1995, 3, 7), sex="f")
    )
    assert other is not None
    with hub.writer() as con:
        con.execute(
            "INSERT INTO cases (case_id, contributor, batch_id, source_row) VALUES ('c01', 'gamma', 'g', 0)"
        )
        con.execute(
            "INSERT INTO linkage_keys VALUES ('c01', 'g', 'gamma', ?, ?, ?, ?, ?)",
            [other.check, other.fields, list(other.blocks), other.words(), 100],
        )
        result = find_duplicates(con, quasi=False)
        got = bands(con)
    assert set(got) == {("a01", "b01")}
    assert result.secret_groups == 2 and "different secrets" in result.notes[0]


# --- clustering property ----------------------------------------------------------------------------------

CASES = [f"c{i}" for i in range(12)]
pairs = st.tuples(st.sampled_from(CASES), st.sampled_from(CASES)).filter(lambda p: p[0] < p[1])


@settings(max_examples=300, deadline=None)
@given(
    contributors=st.lists(st.sampled_from("ABC"), min_size=len(CASES), max_size=len(CASES)),
    links=st.lists(st.tuples(pairs, st.floats(0.8, 1.0)), max_size=30),
    accepted=st.lists(pairs, max_size=4),
    rejected=st.lists(pairs, max_size=4),
)
def test_clusters_hold_one_record_per_contributor_unless_accepted(
    contributors: list[str],
    links: list[tuple[tuple[str, str], float]],
    accepted: list[tuple[str, str]],
    rejected: list[tuple[str, str]],
) -> None:
    contributor = dict(zip(CASES, contributors, strict=True))
    result = cluster(
        contributor, [Link(a, b, s) for (a, b), s in links], accepted=accepted, rejected=rejected
    )
    assert set(result.representative) == set(CASES)  # every case exactly once
    forced = _components(accepted)
    members: dict[str, list[str]] = {}
    for c, rep in result.representative.items():
        members.setdefault(rep, []).append(c)
    for rep, group in members.items():
        assert rep == min(group)
        twice = [(x, y) for x in group for y in group if x < y and contributor[x] == contributor[y]]
        assert all(forced[x] == forced[y] for x, y in twice)  # one contributor twice: only if accepted
    for a, b in rejected:
        if result.representative[a] == result.representative[b]:
            assert forced[a] == forced[b]  # a rejected pair together only when accepted links force it


def _components(links: list[tuple[str, str]]) -> dict[str, str]:
    """Each case's component of `links` alone (a root case)."""
    parent = {c: c for c in CASES}

    def root(c: str) -> str:
        while parent[c] != c:
            c = parent[c]
        return c

    for a, b in links:
        parent[root(a)] = root(b)
    return {c: root(c) for c in CASES}


def test_a_name_without_date_fits_every_namesake(tmp_path: Path) -> None:
    """A key without the date of birth is contained in every namesake's: with two of them (at two other
    contributors) neither is a match but both are for review. Four more namesakes of another age change
    nothing (the birth year tells them apart); four more of that age make the name common (the
    term-frequency adjustment) and none of its pairs is even worth reviewing."""
    recs = [
        Rec("n1", "alpha", "Thi Lan", "Nguyen", D(1996, 8, 4), "f", "VN"),
        Rec("n2", "gamma", "Thi Lan", "Nguyen", D(1994, 2, 11), "f", "VN"),
        Rec("n3", "beta", "Thi Lan", "Nguyen", None, "f", "VN"),
    ]
    older = [
        Rec(f"n{i}", f"org{i}", "Thi Lan", "Nguyen", D(1972 + i, 3, 1 + i), "f", "VN", "39--47")
        for i in range(4, 8)
    ]
    same_age = [
        Rec(f"n{i}", f"org{i}", "Thi Lan", "Nguyen", D(1995, 3, 1 + i), "f", "VN") for i in range(4, 8)
    ]
    for name, records in (("two", recs), ("older", recs + older), ("same age", recs + same_age)):
        hub = make_hub(tmp_path / name, records)
        with hub.writer() as con:
            result = find_duplicates(con, quasi=False)
            got = bands(con)
            who = persons(con)
            evidence = dict(
                con.execute("SELECT case_a || '/' || case_b, evidence FROM linkage_pairs").fetchall()
            )
        assert who["n3"] not in {who[r.case_id] for r in records if r.case_id != "n3"}
        if name == "same age":
            assert not [pair for pair in got if "n3" in pair]
            assert result.review_left_out == 0
        else:
            assert {pair: band for pair, band in got.items() if "n3" in pair} == {
                ("n1", "n3"): AMBIGUOUS,
                ("n2", "n3"): AMBIGUOUS,
            }
            assert not any("common name" in e for k, e in evidence.items() if "n3" in k)
            assert result.matches == 0


def test_a_name_without_date_and_no_namesake_of_its_age_is_a_rare_name(tmp_path: Path) -> None:
    """A key without the date of birth whose only namesake of its sex and age is its partner gains
    NAME_FREQUENCY_CAP ("rare name") and matches, however many namesakes of other ages there are."""
    recs = [
        Rec("n1", "alpha", "Thi Lan", "Nguyen", D(1996, 8, 4), "f", "VN"),
        Rec("n3", "beta", "Thi Lan", "Nguyen", None, "f", "VN"),
        *(
            Rec(f"n{i}", f"org{i}", "Thi Lan", "Nguyen", D(1960 + i, 3, 1), "f", "VN", "48+")
            for i in range(4, 12)
        ),
    ]
    hub = make_hub(tmp_path, recs)
    with hub.writer() as con:
        result = find_duplicates(con, quasi=False)
        got = bands(con)
        ((evidence,),) = con.execute(
            "SELECT evidence FROM linkage_pairs WHERE case_a = 'n1' AND case_b = 'n3'"
        ).fetchall()
        who = persons(con)
    assert got[("n1", "n3")] == MATCH and not [
        p for p, band in got.items() if "n3" in p and p != ("n1", "n3")
    ]
    assert who["n1"] == who["n3"] and result.persons < len(recs)
    assert "rare name" in evidence


def test_registration_years_are_evidence(tmp_path: Path) -> None:
    """Registered the same year: a little for the pair; more than REGISTRATION_FAR years apart: against it."""
    scores, evidence = {}, {}
    for gap in (0, 1, REGISTRATION_FAR + 1):
        recs = [
            Rec("r1", "alpha", "Amina", "Okafor", D(1995, 3, 7), "f", "NG", "24--26", 2020),
            Rec("r2", "beta", "Amina", "Okafur", D(1995, 3, 7), "f", "NG", "24--26", 2020 - gap),
        ]
        hub = make_hub(tmp_path / str(gap), recs)
        with hub.writer() as con:
            find_duplicates(con, quasi=False)
            ((scores[gap], evidence[gap]),) = con.execute(
                "SELECT score, evidence FROM linkage_pairs"
            ).fetchall()
    agree, differ = POINTS["registration"]
    assert scores[0] - scores[1] == pytest.approx(agree)
    assert scores[REGISTRATION_FAR + 1] - scores[1] == pytest.approx(differ)
    assert evidence[0].endswith("; registration the same year")
    assert evidence[REGISTRATION_FAR + 1].endswith(f"; registration more than {REGISTRATION_FAR} years apart")
    assert "registration" not in evidence[1]


def test_a_name_without_date_needs_a_clear_best_candidate(tmp_path: Path) -> None:
    """A key without the date of birth matches its best candidate only when no other candidate, at any
    contributor and in any band, comes within NAMESAKE_MARGIN of it; a rival that differs on citizenship
    (scored far below) leaves the match alone."""
    n3 = Rec("n3", "beta", "Thi Lan", "Nguyen", None, "f", "VN")
    n1 = Rec("n1", "alpha", "Thi Lan", "Nguyen", D(1996, 8, 4), "f", "VN")
    for rival_citizenship, expected in ((None, AMBIGUOUS), ("KH", MATCH)):
        n2 = Rec("n2", "gamma", "Thi Lan", "Nguyen", D(1994, 2, 11), "f", rival_citizenship, registered=2019)
        hub = make_hub(tmp_path / str(rival_citizenship), [n1, n2, n3])
        with hub.writer() as con:
            find_duplicates(con, threshold=0.83, quasi=False)
            got = bands(con)
            scores = dict(con.execute("SELECT case_a || case_b, score FROM linkage_pairs").fetchall())
        assert got[("n1", "n3")] == expected, rival_citizenship
        if rival_citizenship is None:  # the rival is for review, within the margin of the best
            assert got[("n2", "n3")] == REVIEW
            assert 0 < scores["n1n3"] - scores["n2n3"] < NAMESAKE_MARGIN
        else:
            assert ("n2", "n3") not in got


def test_end_to_end_from_ingested_files(tmp_path: Path) -> None:
    """Keys made by the encoder, in files ingested with a mapping's linkage_key column, are found."""
    from ctdhub.ingest import ingest_file

    spec = tmp_path / "linked.yaml"
    spec.write_text(
        "spec: linked-org\nversion: '1.0'\nlinkage_key: pprl\ncolumns:\n"
        "  pprl: {drop: linkage key made on the contributor's side}\n"
        "  sex: {field: gender, values: {F: Female, M: Male}}\n"
        "  nationality: {field: citizenship}\n",
        encoding="utf-8",
    )
    hub, _ = init_store(tmp_path / "hub")
    batches = {}
    for org in ("alpha", "beta"):
        path = tmp_path / f"{org}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["pprl", "sex", "nationality"])
            for r in PEOPLE[:8]:
                if r.contributor == org:
                    w.writerow([r.key().text(), r.sex.upper(), r.citizenship])
        batches[org] = ingest_file(hub, path, org, spec).batch_id
    with hub.writer() as con:
        result = find_duplicates(con, quasi=False)
        rows = con.execute("SELECT case_a, case_b, band FROM linkage_pairs WHERE band = 'match'").fetchall()
    assert result.keyed_records == 8 and result.matches == 4
    assert all(a.startswith(batches["alpha"]) and b.startswith(batches["beta"]) for a, b, _ in rows)


def test_a_repeated_keyed_row_joins_its_original(tmp_path: Path) -> None:
    """A keyed row that validation found repeating an earlier row of its file exactly is the same record
    sent twice: it joins its original's person without being compared, so the other contributor's record
    links to both instead of finding two equal candidates (the control, without the finding: ambiguous).
    A repeated row without a key (nothing says who it is) stays its own person."""
    recs = [
        Rec("r1", "alpha", "Jonas", "Berg", D(1995, 2, 2), "m", "SE"),
        Rec("r2", "alpha", "Jonas", "Berg", D(1995, 2, 2), "m", "SE"),
        Rec("r3", "beta", "Jonas", "Berg", D(1995, 2, 2), "m", "SE"),
        Rec("u1", "alpha", "Ana", "Silva", None, "f", "BR", keyed=False),
        Rec("u2", "alpha", "Ana", "Silva", None, "f", "BR", keyed=False),
        Rec("k1", "alpha", "Ola", "Nordmann", D(1990, 7, 1), "m", "NO"),
        Rec("k2", "alpha", "Ola", "Nordmann", D(1990, 7, 1), "m", "NO"),
    ]
    for repeated in (False, True):
        hub = make_hub(tmp_path / str(repeated), recs)
        with hub.writer() as con:
            for row, case in enumerate(("r1", "r2", "u1", "u2", "k1", "k2"), start=2):
                con.execute("UPDATE cases SET source_row = ? WHERE case_id = ?", [row, case])
            if repeated:
                for row, first in ((3, 2), (5, 4), (7, 6)):
                    con.execute(
                        "INSERT INTO findings (batch_id, source_row, value, rule, severity, message) VALUES "
                        "('batch-alpha', ?, ?, 'duplicate_row', 'warning', 'row repeats an earlier row')",
                        [row, str(first)],
                    )
            result = find_duplicates(con, quasi=False)
            got = bands(con)
            who = persons(con)
            methods = dict(con.execute("SELECT case_id, method FROM persons").fetchall())
            pairs = {
                (a, b): (m, e)
                for a, b, m, e in con.execute(
                    "SELECT case_a, case_b, method, evidence FROM linkage_pairs"
                ).fetchall()
            }
        if not repeated:
            assert got[("r1", "r3")] == got[("r2", "r3")] == AMBIGUOUS
            assert len({who["r1"], who["r2"], who["r3"]}) == 3 and result.repeated_rows == 0
            continue
        assert result.repeated_rows == 2 and result.keyed_records == 3  # r2 and k2 are not compared
        assert who["r1"] == who["r2"] == who["r3"] and methods["r3"] == "clk"
        assert got[("r1", "r3")] == MATCH and ("r2", "r3") not in got
        assert pairs[("r1", "r2")] == ("repeat", REPEAT_EVIDENCE) and got[("r1", "r2")] == MATCH
        assert not ({"u1", "u2"} <= who.keys() and who["u1"] == who["u2"])
        assert who["k1"] == who["k2"] and methods["k1"] == "repeat"
