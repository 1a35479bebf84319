"""`/api/docs`: a small self-contained HTML page listing the endpoints of the OpenAPI document.

Swagger UI and ReDoc load JavaScript from a CDN; this page fetches nothing and runs no script. It also
says what a figure of `/api/v1/stats` is: a differentially private estimate with its 90 % interval.
"""

from __future__ import annotations

from html import escape
from typing import Any

FIGURES = (
    "Every figure is a differentially private estimate: each cell of /api/v1/stats carries its "
    "estimate, the lower and upper bounds of its 90 % interval, and below_threshold (true when the "
    "estimate is under the release's display threshold, which the dashboard shows as 'fewer than N'). "
    "Any combination of dimensions and filters is answered, and every answer agrees with every other: "
    "all are tabulations of the release's one protected model."
)
STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "code{background:#f3f3f3;padding:0 .25rem}section{border-top:1px solid #ddd;padding:.5rem 0}"
    "table{border-collapse:collapse}td,th{padding:.15rem .6rem;text-align:left;vertical-align:top}"
    ".m{font-weight:600;color:#064}"
)


def _params(op: dict[str, Any]) -> str:
    rows = []
    for p in op.get("parameters", []):
        schema = p.get("schema", {})
        kind = schema.get("type") or " | ".join(str(s.get("type", "")) for s in schema.get("anyOf", []))
        rows.append(
            f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p.get('in', ''))}</td>"
            f"<td>{escape(kind)}</td><td>{escape(p.get('description', '') or '')}</td></tr>"
        )
    if not rows:
        return ""
    return "<table><tr><th>parameter</th><th>in</th><th>type</th><th></th></tr>" + "".join(rows) + "</table>"


def docs_html(openapi: dict[str, Any], openapi_url: str) -> str:
    info = openapi.get("info", {})
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(info.get('title', 'API'))} — API</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(info.get('title', 'API'))} <small>{escape(str(info.get('version', '')))}</small></h1>",
        f"<p>{escape(info.get('description', ''))}</p>",
        f"<p>{escape(FIGURES)}</p>",
        f"<p>Machine-readable: <a href='{escape(openapi_url)}'>{escape(openapi_url)}</a> (OpenAPI "
        f"{escape(str(openapi.get('openapi', '')))}).</p>",
    ]
    for path, ops in openapi.get("paths", {}).items():
        for method, op in ops.items():
            parts.append(
                f"<section><p><span class='m'>{escape(method.upper())}</span> <code>{escape(path)}</code> — "
                f"{escape(op.get('summary', ''))}</p>{_params(op)}</section>"
            )
    parts.append("</body></html>")
    return "".join(parts)
