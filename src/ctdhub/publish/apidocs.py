"""What `/api/docs` lists: the endpoints of the OpenAPI document, as typed records for the dashboard's
API documentation page (``web.release_pages.api_docs``), which puts them in the site's layout and
language. Swagger UI and ReDoc load JavaScript from a CDN; this page fetches nothing. Endpoint summaries
and parameter descriptions are the OpenAPI document's own (English, part of the API's contract)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OPENAPI_URL = "/api/openapi.json"  # where the app serves its OpenAPI document


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str  # query, path
    kind: str
    description: str


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    summary: str
    parameters: tuple[Parameter, ...]


def _kind(schema: dict[str, Any]) -> str:
    return str(schema.get("type") or " | ".join(str(s.get("type", "")) for s in schema.get("anyOf", [])))


def endpoints(openapi: dict[str, Any]) -> list[Endpoint]:
    """Every operation of the OpenAPI document, in its order."""
    out = []
    for path, ops in openapi.get("paths", {}).items():
        for method, op in ops.items():
            params = tuple(
                Parameter(
                    str(p["name"]),
                    str(p.get("in", "")),
                    _kind(p.get("schema", {})),
                    str(p.get("description", "") or ""),
                )
                for p in op.get("parameters", [])
            )
            out.append(Endpoint(method.upper(), str(path), str(op.get("summary", "")), params))
    return out
