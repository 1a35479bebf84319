"""Published tables and model records of one release, read once through the gate and kept in memory.

A release never changes once built, so its tables (and, on first need, its model's records prepared
for counting in an in-memory DuckDB) are cached for the life of the process, keyed by the release
directory and id. Everything enters through the gate (`ReleaseView.table()`, `model_records()`); a
withdrawn release never yields a view, so nothing here can serve it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ctdhub.geo import resolver
from ctdhub.publish.gate import DisclosureError, Gate, ReleaseView
from ctdhub.release.aggregates import prepare_dims
from ctdhub.release.registry import ID_RE, release_dirs
from ctdhub.sql import ql
from ctdhub.standard import load_standard
from ctdhub.standard.dimensions import ANY_INFO, GEO_DIMS, SIMPLE_DIMS, UNKNOWN, YEAR

RESULT_CACHE_SIZE = 4096
WITHDRAWN = "withdrawn.json"
LATEST_TTL = 1.0


@dataclass(frozen=True)
class Row:
    """One published cell: the dimension values (in the table's dimension order) and its estimate."""

    key: tuple[str, ...]
    estimate: int


@dataclass(frozen=True)
class AggTableInfo:
    """A published aggregate table: resource name and dimensions."""

    name: str
    dims: tuple[str, ...]


class ReleaseTables:
    """The aggregate tables of one release view, loaded lazily (once) and cached; plus a result cache."""

    def __init__(self, view: ReleaseView) -> None:
        self.view = view
        self.tables = [
            AggTableInfo(r["name"], tuple(r.get("schema", {}).get("ctdhub:dims", [])))
            for r in view.resources()
            if r.get("ctdhub:role") == "aggregate"
        ]
        fams = {f.name for f in load_standard().families}
        self.dims: tuple[str, ...] = tuple(dict.fromkeys(d for t in self.tables for d in t.dims))
        self.families: frozenset[str] = frozenset(d for d in self.dims if d in fams)
        self._rows: dict[str, list[Row]] = {}
        self._values: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()
        self._results: OrderedDict[Any, Any] = OrderedDict()
        self._con: duckdb.DuckDBPyConnection | None = None

    def rows(self, name: str) -> list[Row]:
        """The cells of one table (disclosure-checked by the gate on first load)."""
        got = self._rows.get(name)
        if got is not None:
            return got
        with self._lock:
            if name not in self._rows:
                info = next(t for t in self.tables if t.name == name)
                t = self.view.table(name)
                cols = [t.column(d).to_pylist() for d in info.dims]
                est = t.column("estimate").to_pylist()
                self._rows[name] = [
                    Row(tuple(str(c[i]) for c in cols), int(est[i])) for i in range(t.num_rows)
                ]
            return self._rows[name]

    def values(self, dim: str) -> frozenset[str]:
        """Values a filter on `dim` may name: the vocabulary of the standard and what the release holds."""
        got = self._values.get(dim)
        if got is not None:
            return got
        vocab: set[str] = {UNKNOWN}
        std = load_standard()
        if dim in self.families:
            vocab |= set(std.family(dim).members) | {ANY_INFO}
        elif dim in ("citizenship", "CountryOfExploitation"):
            vocab |= set(resolver().codes)
        elif dim in GEO_DIMS:
            col = GEO_DIMS[dim][1]
            vocab |= {str(r[col]) for r in resolver().region_rows() if r[col]}
        elif dim != YEAR and std.has_field(dim):
            vocab |= set(std.field(dim).codes)
        holders = [t for t in self.tables if dim in t.dims]
        if holders:
            smallest = min(holders, key=lambda t: len(t.dims))
            i = smallest.dims.index(dim)
            vocab |= {r.key[i] for r in self.rows(smallest.name)}
        self._values[dim] = frozenset(vocab)
        return self._values[dim]

    def model(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB holding the model's records with every dimension prepared (table ``src``).

        The connection is shared; callers take a cursor (``.cursor()``) per query.
        """
        if self._con is None:
            with self._lock:
                if self._con is None:
                    con = duckdb.connect()
                    con.execute("SET enable_progress_bar = false")
                    path = self.view.model_records()
                    con.execute(f"CREATE VIEW model AS SELECT * FROM read_parquet({ql(str(path))})")
                    dims = set(self.dims) | set(SIMPLE_DIMS) | set(self.families)
                    prepare_dims(con, "model", "src", dims, temporary=False)
                    self._con = con
        return self._con

    def cached(self, key: Any) -> Any:
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        return None

    def remember(self, key: Any, value: Any) -> None:
        with self._lock:
            self._results[key] = value
            while len(self._results) > RESULT_CACHE_SIZE:
                self._results.popitem(last=False)


_CACHE: dict[tuple[str, str], ReleaseTables] = {}
_CACHE_LOCK = threading.Lock()


def release_tables(view: ReleaseView) -> ReleaseTables:
    """The (process-wide) cached tables of this release."""
    key = (str(view.path), view.release_id)
    got = _CACHE.get(key)
    if got is None:
        with _CACHE_LOCK:
            got = _CACHE.get(key)
            if got is None:
                got = _CACHE[key] = ReleaseTables(view)
    return got


def published_values(view: ReleaseView, dim: str) -> list[str]:
    """The values of `dim` that appear in the release's smallest published table holding it (for menus)."""
    tabs = release_tables(view)
    holders = [t for t in tabs.tables if dim in t.dims]
    if not holders:
        return []
    smallest = min(holders, key=lambda t: len(t.dims))
    i = smallest.dims.index(dim)
    return sorted({r.key[i] for r in tabs.rows(smallest.name)}, key=_menu_key)


def _menu_key(v: str) -> tuple[int, int, str]:
    if v in (UNKNOWN, ANY_INFO):
        return (2 if v == UNKNOWN else 3, 0, v)
    digits = "".join(itertools.takewhile(str.isdigit, v))
    return (0, int(digits), v) if digits else (1, 0, v)


class ReleaseWithdrawn(DisclosureError):
    """The release was withdrawn: it stays on disk for the record but is no longer served."""


class ReleaseViews:
    """Gate views by release id, built once each; a withdrawal is noticed on the next request."""

    def __init__(self, releases_dir: str | Path) -> None:
        self.gate = Gate(releases_dir)
        self._views: dict[str, ReleaseView] = {}
        self._lock = threading.Lock()
        self.pinned: str | None = None
        self._latest: tuple[str | None, float] | None = None

    def pin(self, release_id: str) -> None:
        """Serve `release_id` as the default ('latest') release; it must be published."""
        self.pinned = self.view(release_id).release_id

    def latest_id(self) -> str:
        """The pinned release, else the newest not withdrawn (the listing is re-read at most every
        LATEST_TTL seconds; `view()` still refuses a release withdrawn in the meantime)."""
        if self.pinned:
            return self.pinned
        now = time.monotonic()
        if self._latest is None or now - self._latest[1] > LATEST_TTL:
            latest = next(
                (
                    p.name
                    for p in reversed(release_dirs(self.gate.releases_dir))
                    if not (p / WITHDRAWN).exists()
                ),
                None,
            )
            self._latest = (latest, now)
        if self._latest[0] is None:
            raise DisclosureError("No release has been published yet.", hint="ctdhub release create")
        return self._latest[0]

    def view(self, release_id: str | None = None) -> ReleaseView:
        """The view of a published release (None, '' or 'latest': the newest), else DisclosureError."""
        rid = self.latest_id() if release_id in (None, "", "latest") else str(release_id)
        if not ID_RE.match(rid):
            raise DisclosureError(f"There is no release {rid!r}.")
        if (self.gate.releases_dir / rid / WITHDRAWN).exists():
            with self._lock:
                self._views.pop(rid, None)
            raise ReleaseWithdrawn(f"Release {rid} was withdrawn and is not served.")
        v = self._views.get(rid)
        if v is None:
            v = self.gate.release(rid)  # refuses unknown and withdrawn releases
            with self._lock:
                self._views[rid] = v
        return v
