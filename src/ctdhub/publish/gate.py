"""The disclosure gate: the one module through which every public output reads release artifacts.

It serves only what a release lists in its `datapackage.json`, never the restricted snapshot, never a
withdrawn release, never a path outside the release. Tables leave the gate only after a last check that
no published count lies between 1 and the release's threshold − 1 (defence in depth: the release step
already suppressed them); a table failing the check is refused, not repaired.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ctdhub.errors import CtdhubError
from ctdhub.release.registry import RESTRICTED_DIR, get_release, list_releases

PUBLIC_MANIFEST_KEYS = (
    "release_id",
    "created_at",
    "status",
    "ctdhub_version",
    "standard_version",
    "policy",
    "resources",
    "kanon",
    "aggregates",
    "synthetic",
    "previous_release",
)


class DisclosureError(CtdhubError):
    """A request for something that is not public, or a table that fails the disclosure check."""


@dataclass(frozen=True)
class ReleaseView:
    """One published release, as the public may see it."""

    release_id: str
    path: Path
    manifest: dict[str, Any]
    datapackage: dict[str, Any]

    @property
    def threshold(self) -> int:
        return int(self.manifest["policy"]["aggregates"]["threshold"])

    @property
    def k(self) -> int:
        return int(self.manifest["policy"]["kanon"]["k"])

    def public_manifest(self) -> dict[str, Any]:
        m = {k: self.manifest.get(k) for k in PUBLIC_MANIFEST_KEYS}
        state = self.manifest.get("store_state", {})
        m["contributors"] = state.get("contributors", [])
        m["years"] = state.get("years")
        return m

    def resources(self) -> list[dict[str, Any]]:
        return list(self.datapackage.get("resources", []))

    def resource(self, name: str) -> dict[str, Any]:
        for r in self.resources():
            if r["name"] == name:
                return dict(r)
        raise DisclosureError(f"Release {self.release_id} has no public resource {name!r}.")

    def file(self, relative: str) -> Path:
        """A file listed by the release (a resource path or one of its alternates), else refused."""
        rel = PurePosixPath(relative)
        if rel.is_absolute() or ".." in rel.parts or (rel.parts and rel.parts[0] == RESTRICTED_DIR):
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
        """A tabular resource (aggregate or microdata) as Arrow, after the disclosure check."""
        r = self.resource(name)
        alternates = r.get("ctdhub:alternates", {})
        if "parquet" in alternates:
            t = pq.read_table(self.file(alternates["parquet"]))
        elif r["path"].endswith(".parquet"):
            t = pq.read_table(self.file(r["path"]))
        elif r["path"].endswith(".csv"):
            con = duckdb.connect()
            t = con.execute(
                "SELECT * FROM read_csv(?, header=true)", [str(self.file(r["path"]))]
            ).to_arrow_table()
        else:
            raise DisclosureError(f"Resource {name!r} of release {self.release_id} is not a table.")
        self.check(name, r.get("ctdhub:role", ""), t)
        return t

    def check(self, name: str, role: str, t: pa.Table) -> None:
        """Refuse a count table holding a count from 1 to threshold − 1."""
        if role == "aggregate" and "count" in t.column_names:
            counts = t.column("count")
            small = pc.and_(pc.greater(counts, 0), pc.less(counts, self.threshold))
            if pc.any(small).as_py():
                raise DisclosureError(
                    f"Release {self.release_id}, table {name}: a count below the threshold {self.threshold} "
                    "would be published; the table is refused."
                )

    def aggregate_for(self, dims: list[str]) -> tuple[str, pa.Table]:
        """The aggregate table over exactly these dimensions (any order)."""
        want = sorted(dims)
        for r in self.resources():
            if (
                r.get("ctdhub:role") == "aggregate"
                and sorted(r.get("schema", {}).get("ctdhub:dims", [])) == want
            ):
                return r["name"], self.table(r["name"])
        raise DisclosureError(
            f"Release {self.release_id} publishes no table over {', '.join(dims) or 'nothing'}.",
            hint="GET /api/v1/tables lists the published combinations.",
        )

    def restricted_snapshot(self, purpose: str) -> Path:
        """The harmonised records the release was built from — for server-side computations whose every
        figure is then protected before it is shown (briefings). Never served, never listed."""
        if purpose != "briefing":
            raise DisclosureError(f"The restricted snapshot is not available for {purpose!r}.")
        path = self.path / RESTRICTED_DIR / "snapshot.parquet"
        if not path.exists():
            raise DisclosureError(f"Release {self.release_id} has no restricted snapshot.")
        return path

    def aggregate_dims(self) -> list[list[str]]:
        return [
            list(r.get("schema", {}).get("ctdhub:dims", []))
            for r in self.resources()
            if r.get("ctdhub:role") == "aggregate"
        ]


class Gate:
    """Public access to the releases of one hub (its `releases/` directory)."""

    def __init__(self, releases_dir: str | Path) -> None:
        self.releases_dir = Path(releases_dir)

    def releases(self) -> list[dict[str, Any]]:
        """Published (not withdrawn) releases, newest last."""
        out = []
        for m in list_releases(self.releases_dir, include_withdrawn=False):
            view = self.release(m["release_id"])
            out.append(view.public_manifest())
        return out

    def latest(self) -> ReleaseView:
        published = list_releases(self.releases_dir, include_withdrawn=False)
        if not published:
            raise DisclosureError("No release has been published yet.", hint="ctdhub release create")
        return self.release(published[-1]["release_id"])

    def release(self, release_id: str | None = None) -> ReleaseView:
        if release_id in (None, "", "latest"):
            return self.latest()
        assert release_id is not None
        path, manifest = get_release(self.releases_dir, release_id)
        if manifest["status"] != "published":
            raise DisclosureError(f"Release {release_id} was withdrawn and is not served.")
        datapackage = json.loads((path / "datapackage.json").read_text(encoding="utf-8"))
        return ReleaseView(release_id, path, manifest, datapackage)
