"""The typed, versioned release manifest (release.json): round trip, old files, refusals in one sentence."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ctdhub.publish import DisclosureError, Gate
from ctdhub.publish.gate import PUBLIC_MANIFEST_KEYS
from ctdhub.release.manifest import (
    FORMAT_VERSION,
    ManifestBeforeDP,
    ManifestError,
    ReleaseManifest,
    load_manifest,
)
from ctdhub.release.registry import get_release, list_releases, withdraw_release

# release.json as ctdhub wrote it before format_version existed (values from a demo release; list shortened)
OLD: dict[str, Any] = {
    "release_id": "0001",
    "created_at": "2026-12-02T04:36:36+00:00",
    "status": "published",
    "ctdhub_version": "0.1.0",
    "standard_version": "1.0",
    "policy": {
        "policy": "test",
        "contributors": "all",
        "privacy": {
            "epsilon": 4.0,
            "delta": 1e-06,
            "lifetime_epsilon": 12.0,
            "display_threshold": 5,
            "max_records_per_person": 1,
        },
        "kanon": {
            "enabled": True,
            "k": 5,
            "quasi_identifiers": ["gender", "ageBroad"],
            "max_suppression": 0.05,
        },
        "synthetic": {"enabled": True},
        "formats": ["csv", "parquet", "xlsx"],
    },
    "policy_sha256": "52b830f1b8c6285e408d481bcaa5a1273af754d68b2c8d2cd3bc59fb96663997",
    "privacy": {
        "epsilon": 4.0,
        "delta": 1e-06,
        "rho": 0.311064954940835,
        "noise": "seeded test noise (not for releases)",
        "unit": "one case record (no person key: a person recorded several times is protected at up to "
        "that many times ε)",
        "max_records_per_person": 1,
        "display_threshold": 5,
        "interval_level": 0.9,
        "measurements": 469,
        "lifetime": {
            "releases": 1,
            "rho_spent": 0.311064954940835,
            "rho_lifetime": 2.0894987854742846,
            "epsilon_spent": 4.0,
            "lifetime_epsilon": 12.0,
            "delta": 1e-06,
            "remaining_releases_at_this_epsilon": 5,
        },
    },
    "contributors": ["harbour-casework", "lighthouse-hotline"],
    "years": [2015, 2024],
    "resources": ["agg_total", "agg_gender", "synthetic", "model", "kanon", "report"],
    "aggregates": {"tables": 79, "cells": 6589},
    "model": {"records": 2541, "seconds": {"prepare": 0.78, "measure": 0.8, "estimate": 11}},
    "kanon": {
        "k": 5,
        "k_achieved": 5,
        "quasi_identifiers": ["gender", "ageBroad"],
        "levels": {"gender": 0, "ageBroad": 1},
        "level_names": {"gender": "value", "ageBroad": "ageBroad"},
        "warning": "Real records, generalised.",
    },
    "previous_release": None,
    "seconds": 19.04,
}


def _text(doc: dict[str, Any]) -> str:
    """release.json as the release stage writes it."""
    return json.dumps(doc, indent=2) + "\n"


def _release(releases: Path, doc: dict[str, Any], release_id: str = "0001") -> Path:
    path = releases / release_id
    path.mkdir(parents=True)
    (path / "release.json").write_text(_text(doc), encoding="utf-8")
    (path / "datapackage.json").write_text('{"resources": []}\n', encoding="utf-8")
    return path


def _current() -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, **copy.deepcopy(OLD)}


def test_round_trip() -> None:
    m = ReleaseManifest.from_json(_current())
    assert m.format_version == 1 and m.privacy.display_threshold == 5 and m.years == (2015, 2024)
    assert m.kanon is not None and m.kanon.levels == {"gender": 0, "ageBroad": 1}
    assert m.to_json() == _current() and list(m.to_json()) == list(_current())
    assert ReleaseManifest.from_json(json.loads(m.dumps())) == m
    assert m.dumps() == _text(_current())
    # numbers keep their JSON form (an int stays an int), so writing back gives the same text
    assert m.model.to_json()["seconds"]["estimate"] == 11 and isinstance(m.model.seconds["estimate"], int)
    plain = ReleaseManifest.from_json(
        {**_current(), "kanon": None, "years": None, "previous_release": "0003"}
    )
    assert plain.kanon is None and plain.years is None and plain.previous_release == "0003"
    assert ReleaseManifest.from_json(plain.to_json()) == plain


def test_old_manifest_without_version_reads_as_version_1(tmp_path: Path) -> None:
    path = _release(tmp_path, OLD)
    m = load_manifest(path)
    assert m.format_version == 1 and m.release_id == "0001" and m.status == "published"
    # written back, it is the old file plus the version field, nothing else
    assert m.dumps().replace('  "format_version": 1,\n', "", 1) == (path / "release.json").read_text()


def test_public_manifest_keeps_its_keys_and_values(tmp_path: Path) -> None:
    _release(tmp_path, OLD)
    view = Gate(tmp_path).release("0001")
    assert view.public_manifest() == {k: OLD.get(k) for k in PUBLIC_MANIFEST_KEYS}
    assert "format_version" not in view.public_manifest()
    assert Gate(tmp_path).releases() == [{k: OLD.get(k) for k in PUBLIC_MANIFEST_KEYS}]
    assert view.threshold == 5


def test_future_version_is_refused_in_one_sentence(tmp_path: Path) -> None:
    path = _release(tmp_path, {**_current(), "format_version": 2})
    with pytest.raises(ManifestError) as err:
        get_release(tmp_path, "0001")
    assert str(err.value) == (
        f"Cannot read the release manifest {path / 'release.json'}: format_version 2 is newer than this "
        "ctdhub reads (up to 1); upgrade ctdhub."
    )
    # the public gate names the release, not the server's path
    with pytest.raises(DisclosureError) as refused:
        Gate(tmp_path).release("0001")
    assert str(refused.value) == (
        "Release 0001 is not served: its manifest cannot be read (format_version 2 is newer than this "
        "ctdhub reads (up to 1); upgrade ctdhub)."
    )
    assert str(tmp_path) not in str(refused.value)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda d: d["privacy"].pop("display_threshold"), "the field 'privacy.display_threshold' is missing"),
        (lambda d: d.pop("contributors"), "the field 'contributors' is missing"),
        (
            lambda d: d["privacy"]["lifetime"].pop("releases"),
            "the field 'privacy.lifetime.releases' is missing",
        ),
        (
            lambda d: d.update(years="2015"),
            "the field 'years' should be a list of two years (first, last) or null, not a string",
        ),
        (
            lambda d: d.update(contributors=["a", 3]),
            "the field 'contributors' should hold only strings, not a number",
        ),
        (
            lambda d: d["privacy"].update(epsilon=True),
            "the field 'privacy.epsilon' should be a number, not true or false",
        ),
        (
            lambda d: d.update(status="draft"),
            "the field 'status' should be one of published, withdrawn, not 'draft'",
        ),
        (
            lambda d: d.update(format_version="1"),
            "the field 'format_version' should be a whole number, not a string",
        ),
    ],
)
def test_missing_or_wrong_field_is_refused_in_one_sentence(tmp_path: Path, edit: Any, problem: str) -> None:
    doc = _current()
    edit(doc)
    path = _release(tmp_path, doc)
    with pytest.raises(ManifestError) as err:
        load_manifest(path)
    assert str(err.value) == f"Cannot read the release manifest {path / 'release.json'}: {problem}."


def test_missing_field_in_an_old_manifest_is_refused_too() -> None:
    doc = copy.deepcopy(OLD)
    del doc["model"]
    with pytest.raises(
        ManifestError,
        match=r"^Cannot read the release manifest x/release.json: the field 'model' is missing\.$",
    ):
        ReleaseManifest.from_json(doc, "x/release.json")


def test_not_json_is_refused_in_one_sentence(tmp_path: Path) -> None:
    path = _release(tmp_path, OLD)
    (path / "release.json").write_text('{"release_id": "0001",\n', encoding="utf-8")
    with pytest.raises(ManifestError, match=r"it is not valid JSON at line 2, column 1\.$"):
        load_manifest(path)
    (path / "release.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"it should hold a JSON object, not a list\.$"):
        load_manifest(path)


def test_withdrawal_is_read_beside_the_manifest(tmp_path: Path) -> None:
    _release(tmp_path, OLD)
    record = withdraw_release(tmp_path, "0001", "a disclosure was found")
    _, m = get_release(tmp_path, "0001")
    assert (
        m.status == "withdrawn" and m.withdrawn == record and m.withdrawn.reason == "a disclosure was found"
    )
    assert m.to_json()["withdrawn"] == record.to_json()
    assert ReleaseManifest.from_json(m.to_json()) == m
    assert list_releases(tmp_path, include_withdrawn=False) == []
    # release.json itself is not changed by a withdrawal
    assert json.loads((tmp_path / "0001" / "release.json").read_text()) == OLD


def test_release_built_before_differential_privacy(tmp_path: Path) -> None:
    """Never served, left out of the listings the pipeline uses, refused with the sentence the gate gave."""
    pre_dp = {k: v for k, v in OLD.items() if k not in ("privacy", "contributors", "years", "model")}
    _release(tmp_path, pre_dp, "0001")
    _release(tmp_path, {**OLD, "release_id": "0002", "previous_release": "0001"}, "0002")
    with pytest.raises(ManifestBeforeDP):
        get_release(tmp_path, "0001")
    assert [m.release_id for m in list_releases(tmp_path)] == ["0002"]
    with pytest.raises(DisclosureError) as refused:
        Gate(tmp_path).release("0001")
    assert str(refused.value) == (
        "Release 0001 was built by an earlier ctdhub without differential privacy and is not served; build a "
        "new release (ctdhub release create)."
    )
    assert Gate(tmp_path).latest().release_id == "0002"


def test_cli_lists_an_unreadable_release_and_shows_the_sentence(tmp_path: Path) -> None:
    store = tmp_path / "hub"
    r = subprocess.run(
        [sys.executable, "-m", "ctdhub", "init", "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    _release(store / "releases", OLD, "0001")
    broken = {**_current(), "release_id": "0002", "format_version": 7}
    _release(store / "releases", broken, "0002")
    listed = subprocess.run(
        [sys.executable, "-m", "ctdhub", "release", "list", "--store", str(store), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)["releases"]
    assert [(row["release_id"], row["status"]) for row in rows] == [
        ("0001", "published"),
        ("0002", "unreadable"),
    ]
    assert "format_version 7 is newer than this ctdhub reads" in rows[1]["problem"]
    shown = subprocess.run(
        [sys.executable, "-m", "ctdhub", "release", "show", "0002", "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert shown.returncode == 1 and "Traceback" not in shown.stderr + shown.stdout
    assert (
        "format_version 7 is newer than this ctdhub reads (up to 1); upgrade ctdhub."
        in shown.stderr + shown.stdout
    )


def test_population_round_trips_and_is_checked() -> None:
    population: dict[str, Any] = {
        "persons": 2100,
        "records": 2541,
        "unit": "person",
        "linked": True,
        "persons_lower": 2050,
        "persons_upper": 2150,
    }
    doc = {**_current(), "population": population}
    m = ReleaseManifest.from_json(doc)
    assert m.population is not None and m.population.persons == 2100 and m.population.linked
    assert m.to_json() == doc
    unlinked = {
        **doc,
        "population": {
            "persons": None,
            "records": 2541,
            "unit": "record",
            "linked": False,
            "persons_lower": None,
            "persons_upper": None,
        },
    }
    assert ReleaseManifest.from_json(unlinked).to_json() == unlinked
    # written before the persons' interval was computed: read, without one
    older = {**doc, "population": {k: v for k, v in population.items() if not k.startswith("persons_")}}
    assert ReleaseManifest.from_json(older).population == replace(
        m.population, persons_lower=None, persons_upper=None
    )
    assert ReleaseManifest.from_json(_current()).population is None  # written before persons were estimated
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"unit": "household"},
            "the field 'population.unit' should be one of person, record, not 'household'",
        ),
        ({"linked": 1}, "the field 'population.linked' should be true or false, not a number"),
        ({"persons": 2.5}, "the field 'population.persons' should be a whole number or null, not a number"),
    ]
    for bad, problem in cases:
        with pytest.raises(ManifestError) as err:
            ReleaseManifest.from_json({**doc, "population": {**population, **bad}}, "x/release.json")
        assert str(err.value) == f"Cannot read the release manifest x/release.json: {problem}."
