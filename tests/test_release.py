"""Release end to end over a small demo hub: package contents, restricted snapshot, gate, diff, withdraw."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from ctdhub.demo.generate import generate
from ctdhub.errors import ConfigError, CtdhubError
from ctdhub.ingest import ingest_file
from ctdhub.publish import DisclosureError, Gate
from ctdhub.release.create import create_release
from ctdhub.release.registry import withdraw_release
from ctdhub.standard import load_standard
from ctdhub.store import Hub, init_store

POLICY = """
policy: test
title: Test release
kanon: {k: 5}
synthetic: {epsilon: 4, delta: 1.0e-6, seed: 3}
aggregates: {threshold: 5}
formats: [csv, parquet, xlsx]
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Hub, Path, list[object]]:
    base = tmp_path_factory.mktemp("rel")
    hub, _ = init_store(base / "hub")
    files = generate(base / "files", 3_000, seed=5)
    for f in files[:2]:
        ingest_file(hub, f.path, f.contributor, f.spec)
    policy = base / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    return hub, policy, list(files)


@pytest.fixture(scope="module")
def first(demo: tuple[Hub, Path, list[object]]) -> Path:
    hub, policy, _ = demo
    out = create_release(hub, policy)
    assert out.release_id == "0001"
    return out.path


def test_package_lists_public_resources_only(first: Path) -> None:
    dp = json.loads((first / "datapackage.json").read_text())
    names = {r["name"] for r in dp["resources"]}
    assert {
        "kanon",
        "synthetic",
        "report",
        "report-html",
        "dictionary",
        "licence",
        "citation",
        "diff",
    } <= names
    assert any(n.startswith("agg") for n in names)
    assert (first / "restricted" / "snapshot.parquet").exists()
    listed = json.dumps(dp)
    assert "restricted" not in listed and "snapshot" not in listed
    for r in dp["resources"]:
        assert (first / r["path"]).exists()
        assert r["hash"] == "sha256:" + hashlib.sha256((first / r["path"]).read_bytes()).hexdigest()
    kanon = next(r for r in dp["resources"] if r["name"] == "kanon")
    assert set(kanon["ctdhub:alternates"]) == {"parquet", "xlsx"}


def test_checksums_match(first: Path) -> None:
    for line in (first / "checksums.sha256").read_text().splitlines():
        digest, rel = line.split("  ", 1)
        assert hashlib.sha256((first / rel).read_bytes()).hexdigest() == digest
        assert not rel.startswith("restricted/")


def test_datapackage_is_valid_frictionless(first: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.Package.validate_descriptor(json.loads((first / "datapackage.json").read_text()))
    assert report.valid, report.flatten(["type", "note"])


def test_no_hub_ids_in_public_microdata(first: Path) -> None:
    con = duckdb.connect()
    for name in ("kanon", "synthetic"):
        cols = {
            c[0]
            for c in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet('{first}/data/{name}.parquet')"
            ).fetchall()
        }
        assert not cols & {"case_id", "batch_id", "contributor", "source_row", "warnings", "na_fields"}
        assert cols <= set(load_standard().field_names)


def test_kanon_independent_check(first: Path) -> None:
    """Every quasi-identifier combination in kanon has at least k rows (an independent query)."""
    con = duckdb.connect()
    qis = load_standard().quasi_identifiers
    cols = ", ".join(f'"{q}"' for q in qis)
    smallest = con.execute(
        f"SELECT min(n) FROM (SELECT count(*) AS n FROM read_parquet('{first}/data/kanon.parquet') GROUP BY {cols})"
    ).fetchone()
    assert smallest is not None and smallest[0] >= 5


def test_no_aggregate_count_below_threshold(first: Path) -> None:
    dp = json.loads((first / "datapackage.json").read_text())
    con = duckdb.connect()
    for r in dp["resources"]:
        if r.get("ctdhub:role") == "aggregate":
            bad = con.execute(
                f"SELECT count(*) FROM read_csv('{first / r['path']}', header=true, types={{'count': 'BIGINT'}}) "
                'WHERE "count" BETWEEN 1 AND 4'
            ).fetchone()
            assert bad == (0,), r["name"]


def test_report_explains_epsilon(first: Path) -> None:
    report = json.loads((first / "report.json").read_text())
    assert "ε = 4" in report["explanations"]["epsilon"]
    f = report["synthetic"]["fidelity"]
    assert 0 <= f["tvd_2way"] <= 1 and "reference_share" in f["rare"]
    assert "<html" in (first / "report.html").read_text()


def test_gate_serves_public_and_refuses_the_rest(demo: tuple[Hub, Path, list[object]], first: Path) -> None:
    hub, _, _ = demo
    gate = Gate(hub.releases_dir)
    view = gate.release("0001")
    assert view.table("kanon").num_rows > 0
    assert view.file("data/kanon.csv").exists()
    for bad in (
        "restricted/snapshot.parquet",
        "../hub.duckdb",
        "/etc/passwd",
        "release.json",
        "data/nothing.csv",
    ):
        with pytest.raises(DisclosureError):
            view.file(bad)
    with pytest.raises(DisclosureError):
        view.resource("snapshot")
    name, table = view.aggregate_for(["gender"])
    assert name.startswith("agg") and table.num_rows > 0
    with pytest.raises(CtdhubError):
        gate.release("0099")


def test_second_release_diff_and_withdraw(demo: tuple[Hub, Path, list[object]], first: Path) -> None:
    hub, policy, files = demo
    f = files[2]
    ingest_file(hub, f.path, f.contributor, f.spec)  # type: ignore[attr-defined]
    second = create_release(hub, policy)
    assert second.release_id == "0002"
    diff = json.loads((second.path / "diff.json").read_text())
    assert diff["previous_release"] == "0001"
    assert diff["cases"]["added"] and diff["cases"]["added"] > 0
    assert [b["contributor"] for b in diff["batches_added"]] == ["refugio-ngo"]
    for row in diff["by_contributor_and_year"]:
        for key in ("added", "removed"):
            assert row[key] is None or row[key] == 0 or row[key] >= 5
    gate = Gate(hub.releases_dir)
    assert gate.latest().release_id == "0002"
    withdraw_release(hub.releases_dir, "0002", "test withdrawal")
    with pytest.raises(DisclosureError, match="withdrawn"):
        gate.release("0002")
    assert gate.latest().release_id == "0001"
    assert [r["release_id"] for r in gate.releases()] == ["0001"]


def test_bad_policy_names_file_line_field(tmp_path: Path, demo: tuple[Hub, Path, list[object]]) -> None:
    hub, _, _ = demo
    p = tmp_path / "bad.yaml"
    p.write_text("policy: bad\nkanon:\n  k: 1\n  quasi_identifiers: [gendr]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        create_release(hub, p)
    assert "bad.yaml" in str(err.value) and "line 3" in str(err.value)
