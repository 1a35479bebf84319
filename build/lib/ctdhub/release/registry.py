"""The releases of a hub: numbered directories under `<store>/releases/`, immutable once built.

A release is never changed after it is built. Withdrawing one writes a separate `withdrawn.json` beside it
(when, why); the gate then refuses to serve it, but its files stay for the record. Manifests are read as
``ReleaseManifest`` (``ctdhub.release.manifest``); one that cannot be read raises ``ManifestError``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from ctdhub.errors import CtdhubError
from ctdhub.release.manifest import (
    MANIFEST_FILE,
    WITHDRAWN_FILE,
    ManifestBeforeDP,
    ReleaseManifest,
    Withdrawal,
    load_manifest,
)

RESTRICTED_DIR = "restricted"
RESTRICTED_MANIFEST = f"{RESTRICTED_DIR}/manifest.json"  # exact counts and batches: the hub's staff only
MODEL_FILE = "model.json"  # what was measured, and the variances behind every interval
SYNTHETIC_RESOURCE = "synthetic"  # the model's records (data/synthetic.*)
ID_RE = re.compile(r"^\d{4,}$")


def release_dirs(releases: Path) -> list[Path]:
    if not releases.is_dir():
        return []
    return sorted(
        p for p in releases.iterdir() if p.is_dir() and ID_RE.match(p.name) and (p / MANIFEST_FILE).exists()
    )


def next_release_id(releases: Path, recorded: list[str] | None = None) -> str:
    """The next number, after every release directory and every release the privacy ledger recorded
    (a number is never reused, even if a release directory was deleted)."""
    taken = [int(p.name) for p in releases.iterdir() if ID_RE.match(p.name)] if releases.is_dir() else []
    taken += [int(r) for r in (recorded or []) if ID_RE.match(r)]
    return f"{max(taken, default=0) + 1:04d}"


def read_manifest(path: Path) -> ReleaseManifest:
    """The manifest of the release directory ``path`` (withdrawn if it was); ``ManifestError`` if unreadable."""
    return load_manifest(path)


def read_restricted(path: Path) -> dict[str, Any]:
    """The restricted manifest of a release (exact counts, batches); command line only, never served."""
    p = path / RESTRICTED_MANIFEST
    if not p.exists():
        return {}
    out: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    return out


def list_releases(releases: Path, *, include_withdrawn: bool = True) -> list[ReleaseManifest]:
    """The releases, oldest first. Releases built before differential privacy are left out (never served,
    never compared with); `ctdhub release list` still names them."""
    out = []
    for p in release_dirs(releases):
        try:
            m = read_manifest(p)
        except ManifestBeforeDP:
            continue
        if include_withdrawn or m.status != "withdrawn":
            out.append(m)
    return out


def get_release(releases: Path, release_id: str) -> tuple[Path, ReleaseManifest]:
    path = releases / release_id
    if not ID_RE.match(release_id) or not (path / MANIFEST_FILE).exists():
        known = ", ".join(p.name for p in release_dirs(releases)) or "none yet"
        raise CtdhubError(f"There is no release {release_id!r} (releases: {known}).")
    return path, read_manifest(path)


def withdraw_release(releases: Path, release_id: str, reason: str) -> Withdrawal:
    path, manifest = get_release(releases, release_id)
    if manifest.withdrawn is not None:
        raise CtdhubError(f"Release {release_id} was already withdrawn on {manifest.withdrawn.at[:10]}.")
    if not reason.strip():
        raise CtdhubError("Say why the release is withdrawn (--reason).")
    record = Withdrawal(dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), reason)
    (path / WITHDRAWN_FILE).write_text(json.dumps(record.to_json(), indent=2) + "\n", encoding="utf-8")
    return record
