"""Shared fixtures: the reference material in ../shared (tests skip cleanly when it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = Path(os.environ.get("CTDHUB_REFERENCE", REPO.parent / "shared" / "reference"))
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def reference() -> Path:
    """../shared/reference, or skip the test when it is not there."""
    if not (REFERENCE / "ctdc" / "data").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"reference material is missing under CI (looked in {REFERENCE})")
        pytest.skip("reference material (../shared/reference) is not available")
    return REFERENCE


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
