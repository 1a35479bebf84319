"""Releases count persons as well as case records: records linked by the hub's record linkage (table
`persons`) or by person keys are one person's, at most `max_records_per_person` of them are measured, and
the one DP model gives both totals. The demo hub's cases are linked here by writing `persons` rows
directly (pairs and triples across two contributors), plus person keys that chain some of those persons
together; a release of the unlinked demo hub keeps the unit "record" and counts case records only."""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from conftest import DEMO_NOISE_SEED, copy_demo_store
from ctdhub.publish.app import create_app
from ctdhub.release.create import UNIT_COLUMNS, _person_units, create_release
from ctdhub.release.dp import SeededNoise
from ctdhub.release.dp.space import PERSON_RECORDS
from ctdhub.release.manifest import load_manifest
from ctdhub.release.registry import read_restricted
from ctdhub.store import Hub, open_store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

K = 3
POLICY = f"""
policy: linked
title: Linked release
privacy: {{epsilon: 4, delta: 1.0e-6, lifetime_epsilon: 12, display_threshold: 5, max_records_per_person: {K}}}
formats: [csv, parquet]
"""
PERSONS_DDL = (
    "CREATE TABLE IF NOT EXISTS persons (case_id VARCHAR PRIMARY KEY, person_id VARCHAR NOT NULL, "
    "method VARCHAR NOT NULL)"
)
PERSON_ID = "lnk-person-{:05d}"  # distinctive, to look for in the public files


class Links:
    """What the test wrote, and the persons it makes (union-find over both kinds of link)."""

    def __init__(self, case_ids: list[str]) -> None:
        self.parent = {c: c for c in case_ids}
        self.persons_rows: list[tuple[str, str]] = []  # (case_id, person_id)
        self.keyed: dict[str, str] = {}  # case_id -> person key

    def find(self, c: str) -> str:
        while self.parent[c] != c:
            self.parent[c] = self.parent[self.parent[c]]
            c = self.parent[c]
        return c

    def union(self, group: list[str]) -> None:
        roots = sorted(self.find(c) for c in group)
        for r in roots[1:]:
            self.parent[r] = roots[0]

    def sizes(self) -> list[int]:
        out: dict[str, int] = {}
        for c in self.parent:
            r = self.find(c)
            out[r] = out.get(r, 0) + 1
        return list(out.values())


def _link(hub: Hub) -> Links:
    """Link cases of the first two contributors: 500 pairs (one case of each), 150 triples (two of the
    first, one of the second); then person keys joining 40 of the pairs two by two (a person of four
    records, linked through both relations: label propagation needs more than one round)."""
    with hub.writer() as con:
        con.execute(PERSONS_DDL)
        contributors = [
            r[0] for r in con.execute("SELECT DISTINCT contributor FROM cases ORDER BY 1").fetchall()
        ]
        a = [
            r[0]
            for r in con.execute(
                "SELECT case_id FROM cases WHERE contributor = ? ORDER BY case_id", [contributors[0]]
            ).fetchall()
        ]
        b = [
            r[0]
            for r in con.execute(
                "SELECT case_id FROM cases WHERE contributor = ? ORDER BY case_id", [contributors[1]]
            ).fetchall()
        ]
        every = [r[0] for r in con.execute("SELECT case_id FROM cases").fetchall()]
        assert len(a) >= 800 and len(b) >= 650, (len(a), len(b))
        links = Links(every)
        groups = [[a[i], b[i]] for i in range(500)]
        groups += [[a[500 + 2 * i], a[501 + 2 * i], b[500 + i]] for i in range(150)]
        for n, group in enumerate(groups):
            links.persons_rows += [(c, PERSON_ID.format(n)) for c in group]
            links.union(group)
        # person keys: the second record of pair 2i and the first of pair 2i+1 share a key
        for i in range(20):
            key = f"{i:064x}"
            pair = [groups[2 * i][1], groups[2 * i + 1][0]]
            links.keyed.update(dict.fromkeys(pair, key))
            links.union(pair)
        con.executemany("INSERT INTO persons VALUES (?, ?, 'key')", links.persons_rows)
        con.execute("UPDATE cases SET person_key = NULL")
        con.executemany(
            "UPDATE cases SET person_key = ? WHERE case_id = ?", [(k, c) for c, k in links.keyed.items()]
        )
    return links


@pytest.fixture(scope="module")
def linked(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Links]:
    base = tmp_path_factory.mktemp("persons")
    hub = open_store(copy_demo_store(demo_store, base / "hub"))
    links = _link(hub)
    (base / "policy.yaml").write_text(POLICY, encoding="utf-8")
    out = create_release(hub, base / "policy.yaml", noise=SeededNoise(DEMO_NOISE_SEED), seed=DEMO_NOISE_SEED)
    return out.path, links


@pytest.fixture(scope="module")
def client(linked: tuple[Path, Links]) -> Iterator[TestClient]:
    with TestClient(create_app(linked[0].parent)) as c:
        yield c


def test_label_propagation_joins_both_kinds_of_link() -> None:
    """a-b share a person_id, b-c a person key, c-d a person_id, d-e a person key: one person of five,
    found only after several rounds; f has a key of its own, g nothing: persons of their own."""
    con = duckdb.connect()
    con.execute("CREATE TABLE cases (case_id VARCHAR, person_key VARCHAR)")
    con.execute(PERSONS_DDL)
    con.execute(
        "INSERT INTO cases VALUES ('e', 'k2'), ('d', 'k2'), ('c', 'k1'), ('b', 'k1'), ('a', NULL), "
        "('f', 'k3'), ('g', NULL)"
    )
    con.execute(
        "INSERT INTO persons VALUES ('a', 'p1', 'key'), ('b', 'p1', 'key'), ('c', 'p2', 'key'), ('d', 'p2', 'key')"
    )
    _person_units(con, "")
    rows = con.execute(
        f"SELECT case_id, {', '.join(UNIT_COLUMNS)} FROM _person_units ORDER BY case_id"
    ).fetchall()
    assert rows == [
        ("a", 1, 5, 2),
        ("b", 2, 5, 2),
        ("c", 3, 5, 2),
        ("d", 4, 5, 2),
        ("e", 5, 5, None),
        ("f", 1, 1, None),
        ("g", 1, 1, None),
    ]
    # only the result is left behind: the labels (which would name the person) are dropped
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"cases", "persons", "_person_units"}


def test_a_store_without_a_persons_table_has_persons_of_one_record() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE cases (case_id VARCHAR)")
    con.execute("INSERT INTO cases VALUES ('a'), ('b')")
    _person_units(con, "")
    assert con.execute("SELECT * FROM _person_units ORDER BY case_id").fetchall() == [
        ("a", 1, 1, None),
        ("b", 1, 1, None),
    ]


def test_restricted_figures_are_exact(linked: tuple[Path, Links]) -> None:
    path, links = linked
    sizes = links.sizes()
    records = sum(sizes)
    dropped = sum(max(0, n - K) for n in sizes)
    bound = read_restricted(path)["person_bound"]
    assert bound == {
        "max_records_per_person": K,
        "records_with_person_key": 40,
        "persons_with_key": 20,
        "records_in_linkage": 500 * 2 + 150 * 3,
        "records_linked_by_linkage": 500 * 2 + 150 * 3,
        "records_linked_by_person_key": 40,
        "persons": len(sizes),
        "records": records,
        "records_dropped": dropped,
        "records_measured": records - dropped,
    }
    assert dropped == 20  # the 20 persons of four records: one record each beyond k = 3
    public = (path / "release.json").read_text(encoding="utf-8")
    assert "person_bound" not in public and "records_linked_by" not in public


def test_manifest_states_persons_and_records(linked: tuple[Path, Links]) -> None:
    path, links = linked
    sizes = links.sizes()
    persons, measured = len(sizes), sum(min(n, K) for n in sizes)
    pop = load_manifest(path).population
    assert pop is not None and pop.linked and pop.unit == "person"
    assert pop.persons is not None and pop.persons < pop.records
    # DP estimates of the one model, close to the truth on 4,000 records
    assert abs(pop.records - measured) <= 0.03 * measured, (pop.records, measured)
    assert abs(pop.persons - persons) <= 0.03 * persons, (pop.persons, persons)
    doc = json.loads((path / "release.json").read_text(encoding="utf-8"))
    assert doc["population"] == {
        "persons": pop.persons,
        "records": pop.records,
        "unit": "person",
        "linked": True,
        "persons_lower": pop.persons_lower,
        "persons_upper": pop.persons_upper,
    }
    assert doc["model"]["records"] == pop.records
    assert doc["privacy"]["unit"] == (
        f"one person (records linked by linkage keys or person keys; at most {K} records per person measured)"
    )


def _public_text(path: Path) -> str:
    """Every file of the release but its restricted part, as text (Parquet decoded, with its columns)."""
    reader = duckdb.connect()
    parts = []
    for f in sorted(path.rglob("*")):
        rel = f.relative_to(path).as_posix()
        if not f.is_file() or rel.startswith("restricted/"):
            continue
        if f.suffix == ".parquet":
            q = reader.execute(f"SELECT * FROM read_parquet('{f}')")
            parts.append(str(q.description) + str(q.fetchall()))
        else:
            parts.append(f.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def test_no_person_or_linked_case_in_any_public_file(linked: tuple[Path, Links]) -> None:
    path, links = linked
    text = _public_text(path)
    assert "lnk-person-" not in text
    assert not [c for c, _ in links.persons_rows if c in text]
    assert not [k for k in links.keyed.values() if k in text]
    for column in (*UNIT_COLUMNS, "person_id", "person_key"):
        assert column not in text, column


def test_person_records_stays_inside_the_model(linked: tuple[Path, Links], client: TestClient) -> None:
    """Measured (model.json lists its measurement), never a table dimension, a filter or a column of the
    model's records."""
    path, _ = linked
    model = json.loads((path / "model.json").read_text(encoding="utf-8"))
    assert [PERSON_RECORDS] in [m["attrs"] for m in model["measurements"]]
    package = json.loads((path / "datapackage.json").read_text(encoding="utf-8"))
    for r in package["resources"]:
        assert PERSON_RECORDS not in r.get("schema", {}).get("ctdhub:dims", []), r["name"]
        assert PERSON_RECORDS not in json.dumps(r.get("schema", {})), r["name"]
    tables = client.get("/api/v1/tables").json()
    assert PERSON_RECORDS not in tables["dimensions"] and PERSON_RECORDS not in tables["filters"]
    assert client.get(f"/api/v1/stats?dims={PERSON_RECORDS}").status_code == 400
    assert client.get(f"/api/v1/stats?{PERSON_RECORDS}=1").status_code == 400


def test_report_names_the_unit_and_both_counts(linked: tuple[Path, Links]) -> None:
    path, _ = linked
    pop = load_manifest(path).population
    assert pop is not None and pop.persons is not None
    report = json.loads((path / "privacy.json").read_text(encoding="utf-8"))
    assert report["population"] == pop.to_json()
    assert report["privacy"]["unit"].startswith("one person (records linked by linkage keys or person keys")
    assert "unit of privacy is one person" in report["explanations"]["unit"]
    text = report["explanations"]["population"]
    assert f"{pop.records:,} case records of about {pop.persons:,} persons" in text
    assert f"at most {K} per person" in text
    html = (path / "report.html").read_text(encoding="utf-8")
    assert "Case records and persons" in html and f"{pop.persons:,}" in html
    assert report["privacy"]["unit"] in html


def _kpis(html: str) -> list[tuple[str, str]]:
    """(label, machine value) of each headline figure."""
    return re.findall(r'<div class="kpi"><dt>([^<]*)</dt><dd data-value="([^"]*)"', html)


def test_dashboard_shows_persons_and_case_records(linked: tuple[Path, Links], client: TestClient) -> None:
    path, _ = linked
    pop = load_manifest(path).population
    assert pop is not None and pop.persons is not None
    total = client.get("/api/v1/stats").json()["cells"][0]["estimate"]
    kpis = _kpis(client.get("/").text)
    assert kpis[:2] == [("Identified persons", str(pop.persons)), ("Case records", str(total))]
    # the persons' 90 % interval (a weighted sum of the personRecords counts) is around the estimate, and shown
    assert pop.persons_lower is not None and pop.persons_upper is not None
    assert pop.persons_lower <= pop.persons <= pop.persons_upper and pop.persons_lower < pop.persons_upper
    note = f"counted once; 90 % interval: {pop.persons_lower:,}–{pop.persons_upper:,}"
    assert note in html_lib.unescape(client.get("/").text)
    assert total == pop.records  # the model's records, counted
    fr = _kpis(client.get("/?lang=fr").text)
    es = _kpis(client.get("/?lang=es").text)
    assert [k[0] for k in fr[:2]] == ["Personnes identifiées", "Dossiers de cas"]
    assert [k[0] for k in es[:2]] == ["Personas identificadas", "Registros de caso"]
    # under a filter the persons are not estimated (a person's records may fall on both sides of it)
    female = _kpis(client.get("/?gender=Female").text)
    assert female[0][0] == "Case records" and "Identified persons" not in {k[0] for k in female}
    # the API serves them through the gate, with the release's public manifest
    body = client.get("/api/v1/releases/latest").json()
    assert body["release"]["population"] == pop.to_json()
    assert client.get("/api/v1/releases").json()["releases"][-1]["population"] == pop.to_json()


def test_release_without_linkage_counts_case_records_only(demo_release: Path) -> None:
    manifest = load_manifest(demo_release)
    pop = manifest.population
    assert pop is not None
    assert (pop.linked, pop.unit, pop.persons) == (False, "record", None)
    assert pop.records == manifest.model.records
    assert manifest.privacy.unit.startswith("one case record (no person key")
    bound = read_restricted(demo_release)["person_bound"]
    assert bound["records_dropped"] == 0 and bound["records_in_linkage"] == 0
    assert bound["persons"] == bound["records"]  # every record a person of its own
    model = json.loads((demo_release / "model.json").read_text(encoding="utf-8"))
    assert PERSON_RECORDS not in json.dumps(model)  # the model has no such attribute
    report = json.loads((demo_release / "privacy.json").read_text(encoding="utf-8"))
    assert "not linked to persons" in report["explanations"]["population"]
    with TestClient(create_app(demo_release.parent)) as c:
        labels = [k[0] for k in _kpis(c.get("/").text)]
    assert (
        labels[0] == "Identified cases"
        and "Identified persons" not in labels
        and "Case records" not in labels
    )
