"""The disclosure gate: the one module through which every public output reads release artifacts.

It serves only what a release lists in its `datapackage.json`, never the restricted part of a release
(``restricted/``) nor its research tier (``research/``: the k-anonymised records, for researchers through
the portal; a release built before that tier existed listed them publicly, and they are refused all the
same), never a withdrawn release, never a path outside the release. Every number it hands out is
post-processing of the release's differentially private model: the model's records
(``model_records``), the tables tabulated from them and the interval description (``intervals``). A
release built before differential privacy (suppressed exact counts), or one whose manifest cannot be
read, is refused, and an aggregate table that does not carry estimates and intervals is refused, not
repaired. A refusal names the release, never a path on the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ctdhub.errors import CtdhubError
from ctdhub.release.dp.intervals import IntervalModel
from ctdhub.release.manifest import ManifestBeforeDP, ManifestError, Population, ReleaseManifest
from ctdhub.release.registry import (
    MODEL_FILE,
    RESEARCH_DIR,
    RESEARCH_ROLES,
    RESTRICTED_DIR,
    SYNTHETIC_RESOURCE,
    get_release,
    list_releases,
)

PUBLIC_MANIFEST_KEYS = (
    "release_id",
    "created_at",
    "status",
    "ctdhub_version",
    "standard_version",
    "policy",
    "privacy",
    "contributors",
    "years",
    "resources",
    "kanon",
    "aggregates",
    "model",
    "population",
    "previous_release",
)
ESTIMATE_COLUMNS = ("estimate", "lower", "upper")
NOT_PUBLIC_DIRS = (RESTRICTED_DIR, RESEARCH_DIR)  # never served, whatever a data package lists


_INTERVALS: dict[str, IntervalModel] = {}


class DisclosureError(CtdhubError):
    """A request for something that is not public, or a table that fails the disclosure check."""


@dataclass(frozen=True)
class ReleaseView:
    """One published release, as the public may see it."""

    release_id: str
    path: Path
    manifest: ReleaseManifest
    datapackage: dict[str, Any]

    @property
    def threshold(self) -> int:
        """The display threshold: estimates below it read "fewer than N"."""
        return self.manifest.privacy.display_threshold

    @property
    def population(self) -> Population | None:
        """Case records and, when the release links records to persons, persons: DP estimates of the
        release's model (None for a release built before they were estimated)."""
        return self.manifest.population

    def public_manifest(self) -> dict[str, Any]:
        """The manifest's public keys as plain JSON data (what the API serves)."""
        doc = self.manifest.to_json()
        return {k: doc.get(k) for k in PUBLIC_MANIFEST_KEYS}

    def resources(self) -> list[dict[str, Any]]:
        """The public resources: those the data package lists, less any of a research role (the
        k-anonymised records an older release listed)."""
        return [
            r for r in self.datapackage.get("resources", []) if r.get("ctdhub:role") not in RESEARCH_ROLES
        ]

    def resource(self, name: str) -> dict[str, Any]:
        for r in self.resources():
            if r["name"] == name:
                return dict(r)
        raise DisclosureError(f"Release {self.release_id} has no public resource {name!r}.")

    def file(self, relative: str) -> Path:
        """A file listed by the release (a resource path or one of its alternates), else refused."""
        rel = PurePosixPath(relative)
        if rel.is_absolute() or ".." in rel.parts or (rel.parts and rel.parts[0] in NOT_PUBLIC_DIRS):
            raise DisclosureError(f"{relative!r} is not a public file of release {self.release_id}.")
        listed = (
            {self._listed_path(r) for r in self.resources()}
            | {alt for r in self.resources() for alt in r.get("ctdhub:alternates", {}).values()}
            | {"datapackage.json", "checksums.sha256"}
        )
        listed.discard(None)
        if rel.as_posix() not in listed:
            raise DisclosureError(f"{relative!r} is not a public file of release {self.release_id}.")
        path = (self.path / rel).resolve()
        if self.path.resolve() not in path.parents:
            raise DisclosureError(f"{relative!r} is not a public file of release {self.release_id}.")
        return path

    @staticmethod
    def _listed_path(r: dict[str, Any]) -> str | None:
        p = r.get("path")
        return str(p) if p else None

    def table(self, name: str) -> pa.Table:
        """A tabular resource (aggregate or microdata) as Arrow, after the check."""
        r = self.resource(name)
        alternates = r.get("ctdhub:alternates", {})
        if "parquet" in alternates:
            t = pq.read_table(self.file(alternates["parquet"]))
        elif r["path"].endswith(".parquet"):
            t = pq.read_table(self.file(r["path"]))
        elif r["path"].endswith(".csv"):
            t = duckdb.connect().read_csv(str(self.file(r["path"])), header=True).to_arrow_table()
        else:
            raise DisclosureError(f"Resource {name!r} of release {self.release_id} is not a table.")
        self.check(name, r.get("ctdhub:role", ""), t)
        return t

    def check(self, name: str, role: str, t: pa.Table) -> None:
        """Refuse an aggregate table that is not a table of estimates with intervals."""
        if role == "aggregate" and not all(c in t.column_names for c in ESTIMATE_COLUMNS):
            raise DisclosureError(
                f"Release {self.release_id}, table {name}: not a table of estimates with intervals; refused."
            )

    def model_records(self) -> Path:
        """The model's records (Parquet): what every public count of this release is tabulated from."""
        r = self.resource(SYNTHETIC_RESOURCE)
        rel = r.get("ctdhub:alternates", {}).get("parquet") or r["path"]
        if not str(rel).endswith(".parquet"):
            raise DisclosureError(f"Release {self.release_id} lists no Parquet file of its model.")
        return self.file(rel)

    def intervals(self) -> IntervalModel:
        """The release's interval description (from ``model.json``), read once."""
        cached = _INTERVALS.get(str(self.path))
        if cached is None:
            doc = json.loads(self.file(MODEL_FILE).read_text(encoding="utf-8"))
            cached = _INTERVALS[str(self.path)] = IntervalModel.from_json(doc["intervals"])
        return cached


class Gate:
    """Public access to the releases of one hub (its `releases/` directory)."""

    def __init__(self, releases_dir: str | Path) -> None:
        self.releases_dir = Path(releases_dir)

    def releases(self) -> list[dict[str, Any]]:
        """Published (not withdrawn) releases, newest last."""
        return [self.release(m.release_id).public_manifest() for m in self._published()]

    def latest(self) -> ReleaseView:
        published = self._published()
        if not published:
            raise DisclosureError("No release has been published yet.", hint="ctdhub release create")
        return self.release(published[-1].release_id)

    def release(self, release_id: str | None = None) -> ReleaseView:
        if release_id in (None, "", "latest"):
            return self.latest()
        assert release_id is not None
        try:
            path, manifest = get_release(self.releases_dir, release_id)
        except ManifestError as exc:
            raise _refusal(exc) from exc
        if manifest.status != "published":
            raise DisclosureError(f"Release {release_id} was withdrawn and is not served.")
        datapackage = json.loads((path / "datapackage.json").read_text(encoding="utf-8"))
        return ReleaseView(release_id, path, manifest, datapackage)

    def _published(self) -> list[ReleaseManifest]:
        try:
            return list_releases(self.releases_dir, include_withdrawn=False)
        except ManifestError as exc:
            raise _refusal(exc) from exc


def _refusal(exc: ManifestError) -> DisclosureError:
    """A manifest that cannot be read, refused in one sentence naming the release (not the server's path)."""
    if isinstance(exc, ManifestBeforeDP):
        return DisclosureError(
            f"Release {exc.release_id} was built by an earlier ctdhub without differential privacy and is not "
            "served; build a new release (ctdhub release create)."
        )
    return DisclosureError(
        f"Release {exc.release_id} is not served: its manifest cannot be read ({exc.problem})."
    )
