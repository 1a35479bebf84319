"""Shared fixtures: the reference material in ../shared, and the system pieces some tests need (Debian's
chromium, Pango for PDFs) — absent on a user's clone they skip with a reason; under CI=true they fail — and
a demo hub with its release, built once per session and shared by the modules that only read them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = Path(os.environ.get("CTDHUB_REFERENCE", REPO.parent / "shared" / "reference"))
DATA = Path(__file__).resolve().parent / "data"


def missing(what: str) -> None:
    """Skip the test for want of `what` — or fail it under CI, where everything must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing under CI")
    pytest.skip(f"{what} is not available")


def require_weasyprint() -> None:
    """WeasyPrint loads (it needs Debian's Pango)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        missing(f"WeasyPrint with Pango ({exc})")


@pytest.fixture(scope="session")
def reference() -> Path:
    """../shared/reference, or skip the test when it is not there."""
    if not (REFERENCE / "ctdc" / "data").is_dir():
        missing(f"the reference material (looked in {REFERENCE})")
    return REFERENCE


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


# --- the shared demo hub and release --------------------------------------------------------------------
# Building a release is the slow part of many test modules (a differentially private model is fitted), so
# one demo hub is built per session and one release per policy. Both are read-only: a test that writes to a
# hub or a release (ingest, another release, a withdrawal) works on a copy (`copy_demo_store`) or builds its
# own.

DEMO_ROWS = 4_000  # invented cases, split over the three demo contributors
DEMO_SEED = 11
DEMO_THRESHOLD = 5
DEMO_POLICY = f"""
policy: t
title: Test release
privacy: {{epsilon: 4, delta: 1.0e-6, lifetime_epsilon: 12, display_threshold: {DEMO_THRESHOLD}}}
kanon: {{enabled: true, k: 5}}
formats: [csv, parquet]
"""
DEMO_NOISE_SEED = 3


def copy_demo_store(store: Path, dest: Path) -> Path:
    """A writable copy of a (read-only) demo store, its releases included; returns the copy's path."""
    shutil.copytree(store, dest)
    return dest


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hub store holding the demo contributors' files (DEMO_ROWS rows, DEMO_SEED), without a release.
    Read-only: copy it (`copy_demo_store`) to write to it."""
    from ctdhub.demo.generate import generate
    from ctdhub.ingest import ingest_file
    from ctdhub.store import init_store

    base = tmp_path_factory.mktemp("demo-store")
    hub, _ = init_store(base / "hub")
    for f in generate(base / "files", DEMO_ROWS, seed=DEMO_SEED):
        ingest_file(hub, f.path, f.contributor, f.spec)
    return hub.path


@pytest.fixture(scope="session")
def make_demo_release(
    tmp_path_factory: pytest.TempPathFactory, demo_store: Path
) -> Callable[[str, int], Path]:
    """`make(policy_yaml, noise_seed)`: release 0001 of a copy of `demo_store` under that policy, with
    repeatable noise; built once per (policy, seed) in the session and returned as the release directory
    (`.parent` is the releases directory, `.parents[1]` the store). Read-only, like `demo_store`."""
    from ctdhub.release.create import create_release
    from ctdhub.release.dp import SeededNoise
    from ctdhub.store import open_store

    built: dict[tuple[str, int], Path] = {}

    def make(policy: str, noise_seed: int) -> Path:
        if (policy, noise_seed) not in built:
            base = tmp_path_factory.mktemp("demo-release")
            hub = open_store(copy_demo_store(demo_store, base / "hub"))
            (base / "policy.yaml").write_text(policy, encoding="utf-8")
            out = create_release(hub, base / "policy.yaml", noise=SeededNoise(noise_seed), seed=noise_seed)
            assert out.release_id == "0001"
            built[(policy, noise_seed)] = out.path
        return built[(policy, noise_seed)]

    return make


@pytest.fixture(scope="session")
def demo_release(make_demo_release: Callable[[str, int], Path]) -> Path:
    """Release 0001 of the demo hub under DEMO_POLICY (display threshold DEMO_THRESHOLD, k-anonymity on,
    CSV and Parquet): the release directory. Read-only."""
    return make_demo_release(DEMO_POLICY, DEMO_NOISE_SEED)


def store_case_ids(con: duckdb.DuckDBPyConnection) -> None:
    """Recreate the store's empty `cases` with `case_id` stored, as stores made before computed ids hold it,
    so that a test can insert cases under ids of its choosing ('a01') rather than batch-and-row ids."""
    cols = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database() "
        "AND table_name = 'cases' ORDER BY ordinal_position"
    ).fetchall()
    assert con.execute("SELECT count(*) FROM cases").fetchone() == (0,)
    con.execute("DROP TABLE cases")
    con.execute("CREATE TABLE cases (" + ", ".join(f'"{c}" {t}' for c, t in cols) + ")")
