"""Shared fixtures: the reference material in ../shared, and the system pieces some tests need (Debian's
chromium, Pango for PDFs). Absent on a user's clone they skip with a reason; under CI=true they fail."""

from __future__ import annotations

import os
from pathlib import Path

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
