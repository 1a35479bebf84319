"""The public HTTP API, version 1 (`/api/v1/...`): releases, downloads, the dictionary and `stats`.

Everything is read through the disclosure gate (`ReleaseViews` wraps `ctdhub.publish.gate.Gate`);
figures come from `ctdhub.publish.stats.stats`: differentially private estimates, each with its 90 %
interval and whether it is below the display threshold, for any combination of dimensions and filters
(all post-processing of the release's one protected model). Responses carry an
ETag (a hash of the release id and the normalised query) and Cache-Control; `If-None-Match` gives 304.
Errors are JSON `{"error": ..., "message": ...}` with a 4xx status, never a traceback.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import mimetypes
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from ctdhub.publish.dictionary import data_dictionary
from ctdhub.publish.gate import ReleaseView
from ctdhub.publish.stats import FILTER_DIMS, Filters, StatsError, StatsResult, split_values, stats
from ctdhub.publish.tables import ReleaseViews, published_values, release_tables

API_PREFIX = "/api/v1"
MAX_AGE_LATEST = 0  # release data: revalidated on every use (a release can be withdrawn)
MAX_AGE_PINNED = 0
MAX_AGE_STANDARD = 3600  # the data dictionary, which no withdrawal touches
STATS_PARAMS = frozenset({"dims", "release", "format", "year_from", "year_to", *FILTER_DIMS})
MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".sha256": "text/plain; charset=utf-8",
}
INLINE = frozenset({".html", ".md", ".txt", ".json", ".sha256"})

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_SCHEMA}}}


# Documented on every route: what a client can get besides 200 (each error a JSON {"error", "message"}).
RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag sent in If-None-Match still holds."},
    400: _error("A query the API cannot answer (unknown parameter, dimension or value; bad format)."),
    404: _error("No such release, file or route (or a file the release does not publish)."),
    410: _error("The release was withdrawn: it is no longer served."),
    422: _error("A parameter of the wrong type."),
}
router = APIRouter(prefix=API_PREFIX, tags=["api v1"], responses=RESPONSES)


def release_views(request: Request) -> ReleaseViews:
    """The app's cached gate views (set by `create_app`)."""
    views: ReleaseViews = request.app.state.release_views
    return views


def _etag(*parts: Any) -> str:
    return (
        '"' + hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32] + '"'
    )


def cache_control(max_age: int) -> str:
    """0: a cache may keep the answer but must ask again each time (the ETag makes that a 304), so a
    withdrawn release is gone at once, from every shared cache too."""
    return f"public, max-age={max_age}" if max_age else "public, no-cache"


def _max_age(requested: str | None) -> int:
    return MAX_AGE_LATEST if requested in (None, "", "latest") else MAX_AGE_PINNED


def _not_modified(request: Request, etag: str) -> bool:
    sent = request.headers.get("if-none-match", "")
    tags = {t.strip().removeprefix("W/") for t in sent.split(",") if t.strip()}
    return etag in tags or "*" in tags


def cached_response(
    request: Request,
    body: Any,
    etag: str,
    max_age: int,
    media_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    """`body` (JSON-able, or str/bytes when `media_type` says so) with ETag and Cache-Control; or a 304."""
    h = {"ETag": etag, "Cache-Control": cache_control(max_age), **(headers or {})}
    if _not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": h["Cache-Control"]})
    if media_type == "application/json" and not isinstance(body, bytes):
        body = _json_bytes(body)
    return Response(content=body, media_type=media_type, headers=h)


def _query_etag(request: Request, release_id: str) -> str:
    return _etag(release_id, request.url.path, sorted(request.query_params.multi_items()))


def file_url(release_id: str, path: str) -> str:
    return f"{API_PREFIX}/releases/{release_id}/files/{path}"


def resource_entry(view: ReleaseView, r: dict[str, Any]) -> dict[str, Any]:
    """A public resource with its download URLs (the main file and each alternate format)."""
    rid = view.release_id
    keep = ("name", "title", "description", "format", "mediatype", "bytes", "hash", "path", "ctdhub:role")
    out = {k.removeprefix("ctdhub:"): r[k] for k in keep if k in r}
    dims = r.get("schema", {}).get("ctdhub:dims")
    if dims is not None:
        out["dims"] = list(dims)
    out["url"] = file_url(rid, str(r["path"]))
    out["alternates"] = {fmt: file_url(rid, p) for fmt, p in r.get("ctdhub:alternates", {}).items()}
    return out


def release_summary(view: ReleaseView) -> dict[str, Any]:
    m = view.public_manifest()
    m["url"] = f"{API_PREFIX}/releases/{view.release_id}"
    return m


@router.get("/releases", summary="Published releases, newest last")
def list_releases(request: Request) -> Response:
    views = release_views(request)
    items = []
    for m in views.gate.releases():
        m["url"] = f"{API_PREFIX}/releases/{m['release_id']}"
        items.append(m)
    latest = items[-1]["release_id"] if items else None
    return cached_response(
        request,
        {"releases": items, "latest": latest},
        _query_etag(request, ",".join(i["release_id"] for i in items)),
        MAX_AGE_LATEST,
    )


@router.get("/releases/{release_id}", summary="One release: public manifest and resources with download URLs")
def get_release(request: Request, release_id: str) -> Response:
    views = release_views(request)
    view = views.view(release_id)
    body = {
        "release": release_summary(view),
        "threshold": view.threshold,
        "resources": [resource_entry(view, r) for r in view.resources()],
        "files": {
            "datapackage": file_url(view.release_id, "datapackage.json"),
            "checksums": file_url(view.release_id, "checksums.sha256"),
        },
    }
    return cached_response(request, body, _query_etag(request, view.release_id), _max_age(release_id))


@router.get(
    "/releases/{release_id}/files/{path:path}",
    summary="Download a public file of a release",
    responses={
        200: {
            "description": "The file, with its own media type (CSV, Parquet, XLSX, JSON, Markdown, HTML, text).",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def get_file(request: Request, release_id: str, path: str) -> Response:
    views = release_views(request)
    view = views.view(release_id)
    local = view.file(path)  # refuses anything the release does not list (restricted, ../, release.json)
    suffix = PurePosixPath(path).suffix.lower()
    media = MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    etag = _etag(view.release_id, path)
    headers = {
        "ETag": etag,
        "Cache-Control": cache_control(_max_age(release_id)),
        "X-Content-Type-Options": "nosniff",
    }
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return FileResponse(
        local,
        media_type=media,
        filename=PurePosixPath(path).name,
        headers=headers,
        content_disposition_type="inline" if suffix in INLINE else "attachment",
    )


@router.get("/dictionary", summary="Data dictionary: fields with their codes, flag families, dimensions")
def get_dictionary(request: Request) -> Response:
    d = data_dictionary()
    return cached_response(request, d, _etag("dictionary", d["version"]), MAX_AGE_STANDARD)


@router.get("/tables", summary="Published dimension combinations, filters and dimension values")
async def get_tables(request: Request, release: str | None = None) -> Response:
    views = release_views(request)
    view = views.view(release)
    tabs = release_tables(view)
    body = {
        "release": view.release_id,
        "threshold": view.threshold,
        "tables": [
            {
                "name": t.name,
                "dims": list(t.dims),
                "url": file_url(view.release_id, view.resource(t.name)["path"]),
            }
            for t in tabs.tables
        ],
        "dimensions": {
            d: {"family": d in tabs.families, "values": published_values(view, d)} for d in tabs.dims
        },
        "filters": {"year_from": "yearOfRegistration", "year_to": "yearOfRegistration", **FILTER_DIMS},
        "rule": "A stats query may combine any dims and filters: it is answered from the smallest published "
        "table covering them (summed over its other dimensions) or else from the release's model records, "
        "which give the same numbers since every table is a tabulation of them. Categories of a flag "
        "family are never summed, and at most one family is broken down at a time.",
    }
    return cached_response(request, body, _query_etag(request, view.release_id), _max_age(release))


CSV_VALUES = ("estimate", "lower", "upper", "below_threshold")


def stats_csv(result: StatsResult) -> str:
    """The cells as CSV: dims..., estimate, lower, upper (90 % interval), below_threshold."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*result.dims, *CSV_VALUES])
    for c in result.cells:
        w.writerow(
            [
                *(c[d] for d in result.dims),
                int(c["estimate"]),
                int(c["lower"]),
                int(c["upper"]),
                "true" if c["below_threshold"] else "false",
            ]
        )
    return buf.getvalue()


def _stats_parameters() -> list[dict[str, Any]]:
    """The query parameters of /stats for the OpenAPI document (parsed by hand: it is the hot path)."""

    def param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}

    listed = {"type": "array", "items": {"type": "string"}}
    return [
        param(
            "dims", {"type": "string"}, "Comma-separated dimensions, e.g. gender,ageBroad (none: the total)."
        ),
        param("release", {"type": "string"}, "Release id, or 'latest' (the default)."),
        param(
            "format",
            {"type": "string", "enum": ["json", "csv"]},
            "json (default) or csv (columns: dims, estimate, lower, upper, below_threshold).",
        ),
        param("year_from", {"type": "integer"}, "First year of registration counted."),
        param("year_to", {"type": "integer"}, "Last year of registration counted."),
        *(
            param(k, listed, f"Keep cases whose {d} is one of these (repeat, or separate by commas).")
            for k, d in FILTER_DIMS.items()
        ),
    ]


@router.get(
    "/stats",
    summary="Differentially private estimates with 90 % intervals, by any dimensions, with any filters",
    openapi_extra={"parameters": _stats_parameters()},
    responses={
        200: {
            "description": "The estimates: JSON, or CSV with format=csv.",
            "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def get_stats(request: Request) -> Response:
    views = release_views(request)
    q = request.query_params
    unknown = sorted(set(q) - STATS_PARAMS)
    if unknown:
        raise StatsError(f"Unknown query parameter {', '.join(unknown)}.", allowed=sorted(STATS_PARAMS))
    fmt = q.get("format", "json")  # an empty format= is refused, not read as json
    empty = [k for k in ("year_from", "year_to") if k in q and not q[k].strip()]
    if empty:
        raise StatsError(f"{empty[0]} is empty: give a year, or leave the parameter out.")
    if fmt not in ("json", "csv"):
        raise StatsError(f"format must be json or csv, not {fmt!r}.", allowed=["json", "csv"])
    dims = ",".join(q.getlist("dims"))
    release = q.get("release")
    raw: dict[str, Any] = {k: q.getlist(k) for k in FILTER_DIMS if k in q}
    raw |= {k: q.get(k) for k in ("year_from", "year_to")}
    filters = Filters.from_mapping(raw)
    view = views.view(release)
    tabs = release_tables(view)
    key = ("rendered", split_values(dims), filters, fmt)
    rendered = tabs.cached(key)
    if not isinstance(rendered, Rendered):
        rendered = render_stats(stats(view, split_values(dims), filters), fmt)
        tabs.remember(key, rendered)
    return cached_response(
        request, rendered.body, rendered.etag, _max_age(release), rendered.media_type, rendered.headers
    )


@dataclass(frozen=True)
class Rendered:
    """An encoded stats answer, kept in the release's result cache."""

    body: bytes
    etag: str
    media_type: str
    headers: dict[str, str]


def render_stats(result: StatsResult, fmt: str) -> Rendered:
    etag = _etag(result.release, "stats", result.dims, result.filters, fmt)
    if fmt == "csv":
        name = "-".join(["stats", result.release, *result.dims]) + ".csv"
        return Rendered(
            stats_csv(result).encode(),
            etag,
            "text/csv; charset=utf-8",
            {"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return Rendered(_json_bytes(result.to_dict()), etag, "application/json", {})


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
