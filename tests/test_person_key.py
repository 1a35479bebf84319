"""Person keys: a mapping names the columns that identify a person; the store keeps only a keyed hash of
them, and a release measures at most `privacy.max_records_per_person` records of each person, with the
noise scaled so that ε holds per person. One invented person appears three times in one organisation's
file and once in another's."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from ctdhub.errors import ConfigError, CtdhubError
from ctdhub.ingest import ingest_file
from ctdhub.mapping import parse_spec
from ctdhub.mapping.person_key import reference_key
from ctdhub.release.create import PersonBound, ReleaseOutcome, create_release
from ctdhub.release.dp import SeededNoise, build_model
from ctdhub.release.dp.model import FitSettings
from ctdhub.release.dp.space import base_domains
from ctdhub.release.policy import parse_policy
from ctdhub.release.registry import read_restricted
from ctdhub.standard import load_standard
from ctdhub.store import Hub, init_store
from ctdhub.store.hub import SECRET_KEY
from ctdhub.store.quarantine import export_quarantine

STD = load_standard()
PERSON = "ZQ48817PX"  # the invented national ID of the person recorded four times
OTHER = "ZQ4 8817PX"  # not the same ID: white space inside a value is kept (collapsed, not removed)
SPEC = """
spec: keyed-org
version: '1.0'
missing_values:
  unknown: ['Unknown']
person_key: national_id
columns:
  national_id: {drop: 'national ID (only its keyed hash is kept, to link the person''s records)'}
  case_ref: {drop: the contributor's own case number}
  sex: {field: gender, values: {F: Female, M: Male}}
  age: {derive: age}
  nationality: {field: citizenship}
  registration_date: {field: yearOfRegistration, derive: year}
"""
POLICY = """
policy: keyed
title: Keyed release
privacy: {epsilon: 4, delta: 1.0e-6, lifetime_epsilon: 40, display_threshold: 5, max_records_per_person: %d}
kanon: {enabled: true, k: 2, quasi_identifiers: [gender, citizenship]}
formats: [csv, parquet]
"""
HEADER = ["national_id", "case_ref", "sex", "age", "nationality", "registration_date"]
COUNTRIES = ["Philippines", "Viet Nam", "Thailand"]


def _row(i: int, national_id: str, prefix: str) -> list[str]:
    return [
        national_id,
        f"{prefix}-{i:03d}",
        "FM"[i % 2],
        str(18 + i % 30),
        COUNTRIES[i % 3],
        f"{2019 + i % 3}-0{1 + i % 9}-15",
    ]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Hub, Path, Path]:
    base = tmp_path_factory.mktemp("pk")
    hub, _ = init_store(base / "hub")
    spec = base / "keyed-org.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    # org-a: 24 people, then the person three times (written differently), an ID one space apart
    # (another person), a blank ID and a missing-value code
    a = [_row(i, f"A{i:05d}", "A") for i in range(24)]
    a += [_row(30, PERSON, "A"), _row(31, f"  {PERSON.lower()} ", "A"), _row(32, "Zq48817Px", "A")]
    a += [_row(33, OTHER, "A"), _row(40, "", "A"), _row(41, "Unknown", "A")]
    # org-b: the same person once (same ID), and 12 others
    b = [_row(i, f"B{i:05d}", "B") for i in range(12)] + [_row(50, PERSON, "B")]
    for name, rows in (("org-a", a), ("org-b", b)):
        r = ingest_file(hub, _write(base / f"{name}.csv", rows), name, spec)
        assert r.rows_stored == len(rows) and r.rows_quarantined == 0
    return hub, spec, base


@pytest.fixture(scope="module")
def release(keyed: tuple[Hub, Path, Path]) -> ReleaseOutcome:
    hub, _, base = keyed
    policy = base / "policy-1.yaml"
    policy.write_text(POLICY % 1, encoding="utf-8")
    return create_release(hub, policy, noise=SeededNoise(3), seed=3)


def _keys(hub: Hub) -> list[tuple[str, str | None]]:
    with hub.connect() as con:
        return con.execute("SELECT case_id, person_key FROM cases ORDER BY case_id").fetchall()


def test_store_holds_a_keyed_hash_never_the_id(keyed: tuple[Hub, Path, Path]) -> None:
    hub, _, _ = keyed
    with hub.connect() as con:
        secret = bytes.fromhex(
            con.execute("SELECT value FROM hub_meta WHERE key = ?", [SECRET_KEY]).fetchone()[0]  # type: ignore[index]
        )
        rows = con.execute(
            "SELECT contributor, person_key FROM cases WHERE (contributor = 'org-a' AND source_row >= 26) "
            "OR (contributor = 'org-b' AND source_row = 14) ORDER BY contributor, source_row"
        ).fetchall()
    expected = reference_key(secret, [PERSON])
    assert expected is not None and len(expected) == 64
    by_org: dict[str, list[str | None]] = {}
    for org, key in rows:
        by_org.setdefault(org, []).append(key)
    # trimmed and case-folded: the same person; white space inside the ID makes another one
    assert by_org["org-a"][:3] == [expected] * 3
    assert by_org["org-a"][3] is not None and by_org["org-a"][3] != expected
    assert by_org["org-b"] == [expected]  # same person, other organisation: same key
    assert by_org["org-a"][4:] == [None, None]  # blank ID and a missing-value code: no key
    assert SECRET_KEY not in hub.meta()  # the secret is never shown


def _all_text(path: Path) -> str:
    """Every table of the store and every file of the releases, as text (compressed files decoded)."""
    parts: list[str] = []
    con = duckdb.connect(str(path / "hub.duckdb"), read_only=True)
    try:
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            parts.append(str(con.execute(f'SELECT * FROM "{table}"').fetchall()))
    finally:
        con.close()
    reader = duckdb.connect()
    for f in sorted(path.rglob("*")):
        if f.suffix == ".parquet":
            parts.append(str(reader.execute(f"SELECT * FROM read_parquet('{f}')").fetchall()))
        elif f.is_file():
            parts.append(f.read_bytes().decode("latin-1"))
    return "\n".join(parts).lower()


def test_raw_id_appears_nowhere(keyed: tuple[Hub, Path, Path], release: ReleaseOutcome) -> None:
    hub, _, _ = keyed
    text = _all_text(hub.path)
    assert PERSON.lower() not in text and OTHER.lower() not in text  # hex hashes hold no z, q, p or x
    assert "person_key" in text  # the check reads the snapshot, which carries the hashes


def test_person_key_is_in_no_public_file(keyed: tuple[Hub, Path, Path], release: ReleaseOutcome) -> None:
    hub, _, _ = keyed
    hashes = {k for _, k in _keys(hub) if k}
    reader = duckdb.connect()
    for f in sorted(release.path.rglob("*")):
        rel = f.relative_to(release.path).as_posix()
        if not f.is_file() or rel.startswith("restricted/"):
            continue
        text = (
            str(reader.execute(f"SELECT * FROM read_parquet('{f}')").description)
            + str(reader.execute(f"SELECT * FROM read_parquet('{f}')").fetchall())
            if f.suffix == ".parquet"
            else f.read_text(encoding="utf-8", errors="replace")
        )
        assert "person_key" not in text, rel
        assert not any(h in text for h in hashes), rel
    kanon = (release.path / "research" / "kanon.csv").read_text(encoding="utf-8")
    assert kanon.splitlines()[0] and "person_key" not in kanon.splitlines()[0]


def test_release_measures_one_record_per_person(release: ReleaseOutcome) -> None:
    bound = read_restricted(release.path)["person_bound"]
    # the person's 4 records (3 + 1 in the other organisation) count once: 3 are dropped
    assert bound == {
        "max_records_per_person": 1,
        "records_with_person_key": 24 + 3 + 1 + 12 + 1,
        "persons_with_key": 24 + 1 + 1 + 12,
        "records_in_linkage": 0,  # no linkage: the person key alone links records
        "records_linked_by_linkage": 0,
        "records_linked_by_person_key": 4,
        "persons": 30 + 13 - 3,  # the person's 4 records are one person; records without a key, one each
        "records": 30 + 13,
        "records_dropped": 3,
        "records_measured": 30 + 13 - 3,
    }
    public = json.loads((release.path / "release.json").read_text(encoding="utf-8"))
    assert "person_bound" not in public and "records_dropped" not in json.dumps(public)
    # the persons are the records measured: at most one per person
    population = public["population"]
    assert population["linked"] and population["unit"] == "person"
    assert population["persons"] == population["records"] == public["model"]["records"]


def test_report_names_the_unit(release: ReleaseOutcome) -> None:
    report = json.loads((release.path / "privacy.json").read_text(encoding="utf-8"))
    unit = report["privacy"]["unit"]
    assert unit == "one person (records linked by a person key; at most 1 record per person measured)"
    assert report["privacy"]["max_records_per_person"] == 1
    assert "unit of privacy is one person" in report["explanations"]["unit"]
    assert "any one person" in report["explanations"]["epsilon"]
    assert unit in (release.path / "report.html").read_text(encoding="utf-8")
    none = PersonBound(
        max_records_per_person=1,
        records=10,
        keyed_records=0,
        key_persons=0,
        linkage_records=0,
        linked_by_linkage=0,
        linked_by_key=0,
        persons=10,
        records_dropped=0,
    )
    assert none.unit.startswith("one case record (no person key") and not none.linked
    assert "at most 2 records per person" in replace(none, linkage_records=4, max_records_per_person=2).unit
    assert "linked by linkage keys;" in replace(none, linkage_records=4).unit


def test_bound_above_one_keeps_k_records_and_scales_the_noise(
    keyed: tuple[Hub, Path, Path], release: ReleaseOutcome
) -> None:
    hub, _, base = keyed
    policy = base / "policy-2.yaml"
    policy.write_text(POLICY % 2, encoding="utf-8")
    out = create_release(hub, policy, noise=SeededNoise(3), seed=3)
    assert read_restricted(out.path)["person_bound"]["records_dropped"] == 2  # 4 records, 2 kept
    assert "at most 2 records per person" in out.manifest["privacy"]["unit"]
    assert out.manifest["privacy"]["epsilon"] == pytest.approx(release.manifest["privacy"]["epsilon"])


def test_noise_scales_with_records_per_person() -> None:
    domains = base_domains(STD, ["a", "b"], 2024)
    rng = np.random.default_rng(0)
    codes = {a: rng.integers(0, d.size, 400) for a, d in domains.items()}
    fit = FitSettings(particles=5_000, min_particles=2_000, sweeps=5)
    models = [
        build_model(
            codes,
            domains,
            STD,
            epsilon=2.0,
            delta=1e-6,
            noise=SeededNoise(1),
            rng=np.random.default_rng(1),
            settings=fit,
            records_per_person=k,
        )
        for k in (1, 3)
    ]
    one, three = models
    assert three.rho == pytest.approx(one.rho) and three.epsilon == pytest.approx(one.epsilon)
    assert sum(e["rho"] for e in three.ledger) == pytest.approx(three.rho)
    # the first measurement (one-way counts for domain compression) has the same share of ρ: σ × 3
    assert three.ledger[0]["sigma"] == pytest.approx(3 * one.ledger[0]["sigma"])
    with pytest.raises(ValueError, match="records_per_person"):
        build_model(
            codes, domains, STD, epsilon=2.0, delta=1e-6, noise=SeededNoise(1), rng=rng, records_per_person=0
        )


def test_zero_records_per_person_is_refused(tmp_path: Path) -> None:
    text = POLICY % 0
    with pytest.raises(ConfigError) as err:
        parse_policy(text, "keyed.yaml", STD)
    msg = str(err.value)
    assert msg.startswith("keyed.yaml, line 4, field 'privacy.max_records_per_person'"), msg
    assert "minimum of 1" in msg
    assert parse_policy(POLICY % 3, "ok.yaml", STD).max_records_per_person == 3
    assert parse_policy("policy: p\n", "d.yaml", STD).max_records_per_person == 1


def test_spec_person_key_must_name_described_columns() -> None:
    bad = SPEC.replace("person_key: national_id", "person_key: [national_id, birth_date]")
    with pytest.raises(ConfigError) as err:
        parse_spec(bad, "bad.yaml", STD)
    assert "bad.yaml, line 6, field 'person_key.1'" in str(err.value)
    assert "birth_date" in str(err.value)
    assert parse_spec(SPEC, "ok.yaml", STD).person_key == ("national_id",)


def test_missing_key_column_refuses_the_file(keyed: tuple[Hub, Path, Path], tmp_path: Path) -> None:
    hub, spec, _ = keyed
    before = len(_keys(hub))
    path = tmp_path / "no-id.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER[1:])
        w.writerow(_row(1, "", "C")[1:])
    with pytest.raises(CtdhubError, match="person-key column"):
        ingest_file(hub, path, "org-c", spec)
    assert len(_keys(hub)) == before


def test_older_store_gains_the_column_and_a_secret(tmp_path: Path) -> None:
    hub, _ = init_store(tmp_path / "old")
    with hub.writer() as con:  # a store as version 1 wrote it: no person_key, no secret
        con.execute("ALTER TABLE cases DROP COLUMN person_key")
        con.execute("ALTER TABLE batches DROP COLUMN rows_skipped")  # nor batches.rows_skipped (version 3)
        con.execute("DELETE FROM hub_meta WHERE key = ?", [SECRET_KEY])
        con.execute("UPDATE hub_meta SET value = '1' WHERE key = 'schema_version'")
    raw = duckdb.connect(str(hub.db_path))
    cols = [r[0] for r in raw.execute("DESCRIBE cases").fetchall()]
    raw.close()
    assert "person_key" not in cols
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    ingest_file(hub, _write(tmp_path / "a.csv", [_row(1, PERSON, "A")]), "org-a", spec)
    assert hub.meta()["schema_version"] == "4"
    with hub.connect() as con:
        assert con.execute("SELECT rows_skipped FROM batches").fetchall() == [(0,)]
    keys = _keys(hub)
    assert len(keys) == 1 and keys[0][1] is not None and len(keys[0][1]) == 64


def test_resubmitted_row_keeps_its_person_key(tmp_path: Path) -> None:
    hub, _ = init_store(tmp_path / "hub")
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    bad = _row(5, PERSON, "A")
    bad[4] = "Atlantis"  # not a country: quarantined
    first = ingest_file(hub, _write(tmp_path / "a.csv", [_row(1, "A1", "A"), bad]), "org-a", spec)
    assert first.rows_quarantined == 1
    out = tmp_path / "fix.csv"
    with hub.connect() as con:
        export_quarantine(con, out)
    rows: list[dict[str, Any]] = list(csv.DictReader(out.open(encoding="utf-8")))
    assert "national_id" not in rows[0] and len(rows[0]["_person_key"]) == 64
    rows[0]["nationality"] = "Thailand"
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    ingest_file(hub, out, "org-a", spec, resubmission=True, parent_batch_id=first.batch_id)
    with hub.connect() as con:
        secret = bytes.fromhex(
            con.execute("SELECT value FROM hub_meta WHERE key = ?", [SECRET_KEY]).fetchone()[0]  # type: ignore[index]
        )
    assert reference_key(secret, [PERSON]) in {k for _, k in _keys(hub)}
