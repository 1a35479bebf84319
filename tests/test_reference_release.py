"""A release built with the default policy from the real CTDC 2021 synthetic file passes the gate's checks.

Each check is independent of the code that built the release: k-anonymity by a fresh GROUP BY over the
published file, thresholds by reading the published CSVs, and exact recoverability of suppressed cells by
the audit's own LP model rebuilt from the published tables only.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ctdhub.ingest import ingest_file
from ctdhub.publish import Gate
from ctdhub.release.aggregates import AggTable
from ctdhub.release.audit import audit_tables
from ctdhub.release.create import create_release
from ctdhub.store import init_store

pytestmark = [pytest.mark.reference, pytest.mark.slow]


@pytest.fixture(scope="module")
def ctdc_release(reference: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    hub, _ = init_store(tmp_path_factory.mktemp("refrel") / "hub")
    path = reference / "ctdc" / "data" / "CTDC_synthetic_20210825.csv"
    ingest_file(hub, path, "ctdc-synthetic", "ctdc-synthetic")
    out = create_release(hub, None)  # the default policy: k = 10, threshold 10, ε = 4
    return out.path


def test_kanon_has_k_rows_per_combination(ctdc_release: Path) -> None:
    dp = json.loads((ctdc_release / "datapackage.json").read_text())
    release = json.loads((ctdc_release / "release.json").read_text())
    qis = release["policy"]["kanon"]["quasi_identifiers"]
    k = release["policy"]["kanon"]["k"]
    kanon = next(r for r in dp["resources"] if r["name"] == "kanon")
    con = duckdb.connect()
    cols = ", ".join(f'"{q}"' for q in qis)
    rows, smallest = con.execute(
        f"SELECT sum(n), min(n) FROM (SELECT count(*) AS n FROM read_csv('{ctdc_release / kanon['path']}', all_varchar=true) "
        f"GROUP BY {cols})"
    ).fetchone() or (0, 0)
    assert rows > 150_000
    assert smallest >= k


def test_aggregates_protected(ctdc_release: Path) -> None:
    view = Gate(ctdc_release.parent).release(ctdc_release.name)
    con = duckdb.connect()
    tables: list[AggTable] = []
    for r in view.resources():
        if r.get("ctdhub:role") != "aggregate" or not r["path"].endswith(".csv"):
            continue
        dims = r["schema"]["ctdhub:dims"]
        types = {d: "VARCHAR" for d in dims} | {"count": "BIGINT", "suppressed": "BOOLEAN"}
        con.execute(
            f'CREATE TABLE "{r["name"]}" AS SELECT * FROM read_csv(?, header=true, types={types!r})',
            [str(view.file(r["path"]))],
        )
        tables.append(AggTable(name=r["name"], dims=dims, table=r["name"], cells=0, primary=0, secondary=0))
    assert len(tables) >= 40
    small = [
        t.name
        for t in tables
        if (
            con.execute(f'SELECT count(*) FROM "{t.table}" WHERE "count" BETWEEN 1 AND 9').fetchone() or (0,)
        )[0]
    ]
    assert small == []
    assert audit_tables(con, tables, 10) == []


def test_synthetic_fidelity_reported(ctdc_release: Path) -> None:
    report = json.loads((ctdc_release / "report.json").read_text())
    text = json.dumps(report)
    assert "tvd_2way" in text and "epsilon" in text
