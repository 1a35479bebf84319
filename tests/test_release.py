"""Release end to end over a small demo hub: package contents, consistency, gate, ledger, diff, withdraw."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import duckdb
import pytest

from ctdhub.demo.generate import generate
from ctdhub.errors import ConfigError, CtdhubError
from ctdhub.ingest import ingest_file
from ctdhub.publish import DisclosureError, Gate
from ctdhub.release import ledger
from ctdhub.release.create import create_release
from ctdhub.release.dp import SeededNoise
from ctdhub.release.ledger import BudgetError
from ctdhub.release.registry import read_manifest, read_restricted, withdraw_release
from ctdhub.standard import load_standard
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN
from ctdhub.store import Hub, init_store

POLICY = """
policy: test
title: Test release
licence: Open Database License (ODbL) 1.0
licence_id: ODbL-1.0
privacy: {epsilon: 4, delta: 1.0e-6, lifetime_epsilon: 12, display_threshold: 5}
kanon: {enabled: true, k: 5}
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
    out = create_release(hub, policy, noise=SeededNoise(3), seed=3)
    assert out.release_id == "0001"
    return out.path


def _dp(path: Path) -> dict:
    return json.loads((path / "datapackage.json").read_text())


def test_package_lists_public_resources_only(first: Path) -> None:
    dp = _dp(first)
    names = {r["name"] for r in dp["resources"]}
    assert {"synthetic", "model", "report", "diff", "dictionary", "agg_total"} <= names
    assert "kanon" not in names  # the k-anonymised records are the research tier's, never public
    listed = {r["path"] for r in dp["resources"]} | {
        p for r in dp["resources"] for p in r.get("ctdhub:alternates", {}).values()
    }
    assert not any(p.startswith(("restricted", "research")) for p in listed)
    assert (first / "research" / "kanon.csv").exists() and not (first / "data" / "kanon.csv").exists()
    assert (first / "restricted" / "snapshot.parquet").exists()
    roles = {r["ctdhub:role"] for r in dp["resources"]}
    assert "aggregate" in roles and "microdata-synthetic" in roles
    assert dp["licenses"] == [{"name": "ODbL-1.0", "title": "Open Database License (ODbL) 1.0"}]
    assert (first / "LICENCE.txt").read_text(encoding="utf-8").startswith("Open Database License")


def test_checksums_match(first: Path) -> None:
    for line in (first / "checksums.sha256").read_text().splitlines():
        digest, rel = line.split("  ", 1)
        assert not rel.startswith(("restricted/", "research/"))
        assert hashlib.sha256((first / rel).read_bytes()).hexdigest() == digest


def test_datapackage_is_valid_frictionless(first: Path) -> None:
    import frictionless

    report = frictionless.validate(str(first / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


def _public_text(first: Path) -> str:
    out = []
    for p in first.rglob("*"):
        rel = p.relative_to(first).as_posix()
        if (
            p.is_file()
            and not rel.startswith("restricted/")
            and p.suffix in (".json", ".md", ".html", ".csv", ".txt")
        ):
            out.append(p.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(out)


def test_no_file_names_paths_or_ids_in_public_files(
    demo: tuple[Hub, Path, list[object]], first: Path
) -> None:
    hub, policy, files = demo
    text = _public_text(first)
    for f in files[:2]:
        assert f.path.name not in text  # type: ignore[attr-defined]
    assert str(hub.path) not in text and str(policy) not in text
    for name in ("data/synthetic", "research/kanon"):
        cols = {
            c[0]
            for c in duckdb.connect()
            .execute(f"DESCRIBE SELECT * FROM read_parquet('{first}/{name}.parquet')")
            .fetchall()
        }
        assert not cols & {"case_id", "batch_id", "source_row", "na_fields", "warnings"}, name
    restricted = read_restricted(first)
    for b in restricted["batches"]:
        assert b["batch_id"] not in text


def test_no_exact_statistic_of_the_records_is_public(first: Path) -> None:
    """Exact counts and fidelity against the real records stay in the restricted report."""
    restricted = read_restricted(first)
    assert restricted["cases_in_snapshot"] > 0 and "fidelity" in restricted
    manifest = json.loads((first / "release.json").read_text())
    report = json.loads((first / "privacy.json").read_text())
    for doc in (manifest, report):
        flat = json.dumps(doc)
        assert "cases_in_snapshot" not in flat and "fidelity" not in flat and "store_state" not in flat
        assert "unique_copies" not in flat and "rare" not in doc
    assert report["privacy"]["epsilon"] == pytest.approx(4.0)


def test_manifest_is_versioned_and_reads_back_as_written(first: Path) -> None:
    text = (first / "release.json").read_text(encoding="utf-8")
    m = read_manifest(first)
    assert json.loads(text)["format_version"] == m.format_version == 1
    assert m.dumps() == text  # the typed manifest is what was written, key for key
    assert m.privacy.epsilon == pytest.approx(4.0) and m.privacy.display_threshold == 5


def test_kanon_is_opt_in_and_independently_checked(demo: tuple[Hub, Path, list[object]], first: Path) -> None:
    qis = json.loads((first / "release.json").read_text())["policy"]["kanon"]["quasi_identifiers"]
    cols = ", ".join(f'"{q}"' for q in qis)
    (n,) = (
        duckdb.connect()
        .execute(
            f"SELECT min(n) FROM (SELECT count(*) AS n FROM read_parquet('{first}/research/kanon.parquet') GROUP BY {cols})"
        )
        .fetchone()
    )
    assert n >= 5
    report = json.loads((first / "privacy.json").read_text())
    assert "not covered by the differential-privacy guarantee" in report["explanations"]["kanon"]


def _table(first: Path, name: str) -> list[dict]:
    return (
        duckdb.connect()
        .sql(f"SELECT * FROM read_parquet('{first}/data/{name}.parquet')")
        .to_arrow_table()
        .to_pylist()
    )


def test_every_table_has_estimates_and_intervals(first: Path) -> None:
    for r in _dp(first)["resources"]:
        if r["ctdhub:role"] != "aggregate":
            continue
        rows = _table(first, r["name"])
        for row in rows:
            assert 0 <= row["lower"] <= row["estimate"] <= row["upper"], (r["name"], row)
        assert "count" not in r["schema"]["ctdhub:dims"]


def _sums(rows: list[dict], keep: list[str]) -> dict[tuple, int]:
    out: dict[tuple, int] = {}
    for row in rows:
        k = tuple(row[d] for d in keep)
        out[k] = out.get(k, 0) + int(row["estimate"])
    return out


def test_every_published_table_agrees_with_every_other(first: Path) -> None:
    """Cells add up to margins; countries to sub-regions to regions; years to totals; tables = synthetic file."""
    std = load_standard()
    fams = {f.name for f in std.families}
    tables = {
        tuple(r["schema"]["ctdhub:dims"]): r["name"]
        for r in _dp(first)["resources"]
        if r["ctdhub:role"] == "aggregate"
    }
    rows = {dims: _table(first, name) for dims, name in tables.items()}
    total = rows[()][0]["estimate"]
    checked = 0
    for dims, data in rows.items():
        simple = [d for d in dims if d not in fams]
        if len(simple) == len(dims):
            assert sum(r["estimate"] for r in data) == total, dims
        for drop in simple:
            keep = [d for d in dims if d != drop]
            if tuple(keep) in rows:
                sub = {k: v for k, v in _sums(rows[tuple(keep)], keep).items()}
                assert _sums(data, keep) == sub, (dims, drop)
                checked += 1
    assert checked > 50
    # regions from countries (the country lookup of the standard's geography)
    from ctdhub.geo import resolver

    region_of = {r["iso3"]: r["un_region"] or UNKNOWN for r in resolver().region_rows()}
    country = _sums(rows[("CountryOfExploitation",)], ["CountryOfExploitation"])
    region = _sums(rows[("exploitation_region",)], ["exploitation_region"])
    rebuilt: dict[tuple, int] = {}
    for (c,), v in country.items():
        key = (region_of.get(c, UNKNOWN),)
        rebuilt[key] = rebuilt.get(key, 0) + v
    assert rebuilt == region
    con = duckdb.connect()
    # the synthetic records give the same counts
    (n,) = con.execute(f"SELECT count(*) FROM read_parquet('{first}/data/synthetic.parquet')").fetchone()
    assert n == total
    by_year = dict(
        con.execute(
            f"SELECT coalesce(CAST(yearOfRegistration AS VARCHAR), '{UNKNOWN}'), count(*) FROM read_parquet('{first}/data/synthetic.parquet') GROUP BY 1"
        ).fetchall()
    )
    assert by_year == {
        k[0]: v for k, v in _sums(rows[("yearOfRegistration",)], ["yearOfRegistration"]).items()
    }
    fam = _sums(rows[("typeOfExploit",)], ["typeOfExploit"])
    assert fam[(ANY_INFO,)] <= total


def test_report_states_the_guarantee_and_budget(first: Path) -> None:
    report = json.loads((first / "privacy.json").read_text())
    ex = report["explanations"]
    assert "ε = 4" in ex["epsilon"] and "lifetime" in ex["lifetime"] and "case record" in ex["unit"]
    life = report["privacy"]["lifetime"]
    assert life["releases"] == 1 and life["remaining_releases_at_this_epsilon"] >= 1
    assert report["measurements"]["count"] == report["privacy"]["measurements"] > 100
    html = (first / "report.html").read_text()
    assert "lifetime" in html and "suppress" not in html


def test_gate_serves_public_and_refuses_the_rest(demo: tuple[Hub, Path, list[object]], first: Path) -> None:
    view = Gate(first.parent).release(first.name)
    with pytest.raises(DisclosureError):  # the research tier's, never the public's
        view.table("kanon")
    assert view.model_records().exists()
    assert view.intervals().level == pytest.approx(0.9)
    bad_paths = ("restricted/snapshot.parquet", "../hub.duckdb", "/etc/passwd", "data/nope.csv")
    for bad in (*bad_paths, "research/kanon.csv", "research/manifest.json", "data/kanon.csv"):
        with pytest.raises(DisclosureError):
            view.file(bad)
    with pytest.raises(DisclosureError):
        view.resource("snapshot")


def test_ledger_records_each_release(demo: tuple[Hub, Path, list[object]], first: Path) -> None:
    hub, _, _ = demo
    con = hub.connect()
    try:
        rows = ledger.entries(con)
    finally:
        con.close()
    assert [r["release_id"] for r in rows][:1] == ["0001"]
    assert float(rows[0]["rho"]) == pytest.approx(0.3110649549408351, rel=1e-6)


def test_second_release_diff_and_withdraw(demo: tuple[Hub, Path, list[object]], first: Path) -> None:
    hub, policy, files = demo
    ingest_file(hub, files[2].path, files[2].contributor, files[2].spec)  # type: ignore[attr-defined]
    second = create_release(hub, policy, noise=SeededNoise(4), seed=4)
    assert second.release_id == "0002"
    diff = json.loads((second.path / "diff.json").read_text())
    assert diff["previous_release"] == "0001"
    t = diff["total"]
    assert t["change_lower"] <= t["change"] <= t["change_upper"]
    assert diff["contributors_added"] == [files[2].contributor]  # type: ignore[attr-defined]
    changelog = (second.path / "CHANGELOG.md").read_text()
    assert "90 % interval" in changelog and files[2].path.name not in changelog  # type: ignore[attr-defined]
    assert second.manifest["privacy"]["lifetime"]["releases"] == 2
    withdraw_release(hub.releases_dir, "0001", "test")
    with pytest.raises(DisclosureError):
        Gate(hub.releases_dir).release("0001")
    assert Gate(hub.releases_dir).latest().release_id == "0002"


def test_budget_refused_with_a_sentence(tmp_path: Path, demo: tuple[Hub, Path, list[object]]) -> None:
    hub, _, _ = demo
    tight = tmp_path / "tight.yaml"
    tight.write_text("policy: tight\nprivacy: {epsilon: 4, lifetime_epsilon: 4.5}\n", encoding="utf-8")
    with pytest.raises(
        BudgetError, match=r"would exceed the hub's lifetime privacy budget: \d+ release\(s\) have spent"
    ):
        create_release(hub, tight, noise=SeededNoise(5), seed=5)
    assert not any(p.name.startswith(".building") for p in hub.releases_dir.iterdir())


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("policy: s\nsynthetic: {epsilon: 4, seed: 3}\n", "synthetic.seed"),
        ("policy: r\naggregates: {threshold: 10, rounding: 5}\n", "aggregates.rounding"),
        ("policy: e\nprivacy: {epsilon: 4}\nsynthetic: {epsilon: 2}\n", "synthetic.epsilon"),
        ("policy: l\nprivacy: {epsilon: 4, lifetime_epsilon: 2}\n", "privacy.lifetime_epsilon"),
        ("policy: bad\nkanon:\n  k: 1\n  quasi_identifiers: [gendr]\n", "kanon.k"),
        ("policy: n\nprivacy:\n  epsilon: .nan\n", "privacy.epsilon"),
        ("policy: t\nprivacy:\n  epsilon: 1e-300\n", "privacy.epsilon"),
        ("policy: i\nprivacy:\n  lifetime_epsilon: .inf\n", "privacy.lifetime_epsilon"),
        ("policy: c\nlicence_id: CC BY\n", "licence_id"),
    ],
)
def test_bad_policy_names_file_line_field(
    tmp_path: Path, demo: tuple[Hub, Path, list[object]], text: str, field: str
) -> None:
    hub, _, _ = demo
    p = tmp_path / "p.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        create_release(hub, p)
    msg = str(err.value)
    assert str(p) in msg and field in msg and re.search(r"line \d+", msg), msg


def test_a_seed_is_refused_with_the_reason(tmp_path: Path, demo: tuple[Hub, Path, list[object]]) -> None:
    hub, _, _ = demo
    p = tmp_path / "seed.yaml"
    p.write_text("policy: s\nsynthetic:\n  seed: 42\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="same noise"):
        create_release(hub, p)


def test_empty_store_refused(tmp_path: Path) -> None:
    hub, _ = init_store(tmp_path / "empty")
    with pytest.raises(CtdhubError, match="no cases"):
        create_release(hub, None, noise=SeededNoise(1), seed=1)


def test_kanon_beyond_max_suppression_is_refused(
    tmp_path: Path, demo: tuple[Hub, Path, list[object]]
) -> None:
    """k: 1000000000 used to suppress every record and still publish an empty "k-anonymised" file."""
    hub, _, _ = demo
    before = sorted(p.name for p in hub.releases_dir.iterdir())
    p = tmp_path / "huge-k.yaml"
    p.write_text("policy: k\nkanon: {enabled: true, k: 1000000000}\n", encoding="utf-8")
    with pytest.raises(CtdhubError, match=r"would suppress .* more than the policy's max_suppression \(5%\)"):
        create_release(hub, p)
    assert sorted(p.name for p in hub.releases_dir.iterdir()) == before


def test_the_hubs_own_policy_is_used_when_none_is_given(demo_store: Path, tmp_path: Path) -> None:
    """`create_release(hub)` (the CLI without --policy, the admin page's build) reads `<store>/policy.yaml`."""
    from conftest import copy_demo_store
    from ctdhub.release.dp import SeededNoise
    from ctdhub.store import open_store

    hub = open_store(copy_demo_store(demo_store, tmp_path / "hub"))
    (hub.path / "policy.yaml").write_text(
        "policy: hub-own\nprivacy: {epsilon: 2, delta: 1.0e-6, lifetime_epsilon: 10, display_threshold: 7}\n"
        "formats: [csv]\n",
        encoding="utf-8",
    )
    out = create_release(hub, noise=SeededNoise(1), seed=1)
    assert (
        out.release_manifest.policy["policy"] == "hub-own"
        and abs(out.release_manifest.privacy.epsilon - 2) < 1e-9
    )
