"""The releases of a hub: numbered directories under `<store>/releases/`, immutable once built.

A release is never changed after it is built. Withdrawing one writes a separate `withdrawn.json` beside it
(when, why); the gate then refuses to serve it, but its files stay for the record. Manifests are read as
``ReleaseManifest`` (``ctdhub.release.manifest``); one that cannot be read raises ``ManifestError``.

A release directory has three tiers:

- public: everything its ``datapackage.json`` lists (``data/``, the report, the dictionary, …), served by
  the gate (``ctdhub.publish.gate``) to anyone;
- ``research/``: restricted products (the opt-in k-anonymised records, which are not differentially
  private), listed in ``research/manifest.json`` and served by the portal only to researchers (and the
  hub team) who accepted the data-use terms, every download recorded in the audit log; never listed
  among the public resources, never served by the gate;
- ``restricted/``: the exact snapshot and ``restricted/manifest.json``, for the hub's staff on the command
  line only, never served at all.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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
RESEARCH_DIR = "research"  # restricted products for researchers who accepted the data-use terms
RESEARCH_MANIFEST = (
    f"{RESEARCH_DIR}/manifest.json"  # what research/ holds: the portal serves only these files
)
KANON_RESOURCE = "kanon"  # the opt-in k-anonymised records (research/kanon.*)
KANON_ROLE = "microdata-kanon"
# data package roles that are never public (releases built before the research tier listed them publicly)
RESEARCH_ROLES = frozenset({KANON_ROLE})
ID_RE = re.compile(r"^\d{4,}$")
FILE_NAME_RE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]+)+$"
)  # a bare file name: no folder, no ".."


@dataclass(frozen=True)
class ResearchFile:
    """One file of a release's research folder (``name`` is the bare file name inside ``research/``)."""

    name: str
    format: str
    mediatype: str
    bytes: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "format": self.format,
            "mediatype": self.mediatype,
            "bytes": self.bytes,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class ResearchProduct:
    """A restricted product of a release: its files in each format, and how many records they hold."""

    name: str
    role: str
    title: str
    rows: int
    files: tuple[ResearchFile, ...]
    schema: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "title": self.title,
            "rows": self.rows,
            "files": [f.to_json() for f in self.files],
            "schema": dict(self.schema),
        }

    @classmethod
    def from_json(cls, doc: Any) -> ResearchProduct:
        """Raises KeyError, TypeError or ValueError on a product that is not as written."""
        if not isinstance(doc, dict) or not isinstance(doc["files"], list):
            raise TypeError("a research product is an object with a list of files")
        files = []
        for f in doc["files"]:
            if not isinstance(f, dict) or not FILE_NAME_RE.match(str(f["name"])):
                raise ValueError(f"not a file of the research folder: {f!r}")
            files.append(
                ResearchFile(
                    str(f["name"]), str(f["format"]), str(f["mediatype"]), int(f["bytes"]), str(f["sha256"])
                )
            )
        schema = doc.get("schema") or {}
        return cls(
            name=str(doc["name"]),
            role=str(doc["role"]),
            title=str(doc["title"]),
            rows=int(doc["rows"]),
            files=tuple(files),
            schema=dict(schema) if isinstance(schema, dict) else {},
        )


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


def write_research(path: Path, release_id: str, products: list[ResearchProduct]) -> None:
    """Write ``research/manifest.json`` of the release being built in ``path`` (its files are in place)."""
    doc = {
        "research": "Restricted products: for researchers who accepted the hub's data-use terms, through the "
        "portal, every download recorded. Not differentially private; never public.",
        "release_id": release_id,
        "products": [p.to_json() for p in products],
    }
    (path / RESEARCH_MANIFEST).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def read_research(path: Path) -> list[ResearchProduct]:
    """The restricted products of the release in ``path`` ([] when it has none); ``CtdhubError`` if its
    research manifest cannot be read."""
    p = path / RESEARCH_MANIFEST
    if not p.is_file():
        return []
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        return [ResearchProduct.from_json(d) for d in doc["products"]]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CtdhubError(f"The research manifest of release {path.name} cannot be read ({exc}).") from exc


def research_file(path: Path, name: str) -> tuple[Path, ResearchFile] | None:
    """The file ``name`` of the release's research folder, if its research manifest lists it and it is a
    regular file inside ``research/`` (resolved: no ``..``, no folder, no link leading out), else None."""
    if not FILE_NAME_RE.match(name):
        return None
    listed = next((f for p in read_research(path) for f in p.files if f.name == name), None)
    if listed is None:
        return None
    base = (path / RESEARCH_DIR).resolve()
    local = (base / name).resolve()
    if local.parent != base or not local.is_file():
        return None
    return local, listed


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
