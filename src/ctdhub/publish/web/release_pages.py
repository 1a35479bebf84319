"""The release's pages: downloads (every public file with its size, titles in the page's language),
about (what the data are and are not, sources, the privacy method with the release's ε, how to cite), and
the API documentation (in the site's layout and language; it needs no release). They read only the release
manifest and its public files through the gate, never the store."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from ctdhub import __version__
from ctdhub.publish.api import file_url, resource_entry
from ctdhub.publish.apidocs import OPENAPI_URL, endpoints
from ctdhub.publish.gate import DisclosureError, ReleaseView
from ctdhub.publish.web.formats import file_size, number, release_date, small_number
from ctdhub.publish.web.i18n import LANG_NAMES, LANGS, N_, Lang, pick_lang
from ctdhub.publish.web.jinja import render_page
from ctdhub.publish.web.pages import NAV, Ctx, _page, router

# titles of the release's documents and workbook by resource name (the data package's titles are English)
RESOURCE_TITLES: dict[str, str] = {
    "report": N_("Privacy and utility report (JSON)"),
    "report-html": N_("Privacy and utility report"),
    "diff": N_("Changes since the previous release (difference of two differentially private releases)"),
    "dictionary": N_("Data dictionary of the standard"),
    "table-schema": N_("Table Schema of the standard"),
    "licence": N_("Licence"),
    "citation": N_("How to cite"),
    "changelog": N_("Release notes"),
    "aggregates-xlsx": N_("All tables of estimates in one workbook (index sheet first)"),
}
# what kind of data file a resource is, by its role in the data package
ROLE_LABELS: dict[str, str] = {
    "aggregate": N_("Table of estimates"),
    "aggregate-workbook": N_("Workbook"),
    "microdata-synthetic": N_("Synthetic records"),
    "microdata-kanon": N_("k-anonymised records"),
    "model": N_("Model records"),
}
FORMAT_NAMES: dict[str, str] = {
    "csv": "CSV",
    "parquet": "Parquet",
    "xlsx": "XLSX",
    "json": "JSON",
    "md": "Markdown",
    "html": "HTML",
    "txt": "TXT",
}
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def resource_title(lang: Lang, view: ReleaseView, r: dict[str, Any]) -> str:
    """A resource's title in the page's language: tables of estimates by their dimensions' labels (never
    field names), the documents by name, the microdata with the release's ε or k; else the data package's."""
    name, role = str(r.get("name", "")), str(r.get("ctdhub:role", ""))
    if name in RESOURCE_TITLES:
        return lang.gettext(RESOURCE_TITLES[name])
    manifest = view.manifest
    if role == "aggregate":
        dims = list(r.get("schema", {}).get("ctdhub:dims") or [])
        if not dims:
            return lang.gettext("Estimates: total of all cases")
        return lang.gettext("Estimates by %(dims)s") % {"dims": " × ".join(lang.dim(d) for d in dims)}
    if role == "microdata-synthetic":
        return lang.gettext(
            "The release's model as records: differentially private synthetic microdata (ε = %(epsilon)s)"
        ) % {"epsilon": number(lang, manifest.privacy.epsilon)}
    if role == "microdata-kanon" and manifest.kanon is not None:
        return lang.gettext(
            "k-anonymised microdata (k = %(k)s; not covered by differential privacy: two releases can be "
            "compared to find the records added in between)"
        ) % {"k": lang.int(manifest.kanon.k)}
    if role == "model":
        return lang.gettext("The release's model as records (read by the API)")
    return str(r.get("title") or name)


def resource_files(lang: Lang, view: ReleaseView, r: dict[str, Any]) -> list[dict[str, str]]:
    """A resource's files, main format first: format name, download URL and size in the page's language
    (sizes from the data package; a file it gives none for is measured in the release directory)."""
    sizes: dict[str, Any] = {str(r.get("format", "")): r.get("bytes"), **r.get("ctdhub:alternate_bytes", {})}
    paths = {str(r.get("format", "")): str(r["path"]), **r.get("ctdhub:alternates", {})}
    out = []
    for fmt, path in paths.items():
        size = sizes.get(fmt)
        if not isinstance(size, int):
            size = None
            with contextlib.suppress(DisclosureError, OSError):
                size = view.file(path).stat().st_size
        out.append(
            {
                "format": FORMAT_NAMES.get(fmt, fmt.upper()),
                "url": file_url(view.release_id, path),
                "path": path,
                "size": file_size(lang, size) if size is not None else "",
            }
        )
    return out


def release_citation(view: ReleaseView) -> str:
    """The release's own citation (CITATION.txt, a public file of the release), or "" without one."""
    with contextlib.suppress(DisclosureError, OSError):
        return view.file("CITATION.txt").read_text(encoding="utf-8").strip()
    return ""


@router.get("/downloads", response_class=HTMLResponse)
def downloads(request: Request) -> Response:
    def build(ctx: Ctx) -> dict[str, Any]:
        view, lang = ctx.view, ctx.lang
        resources = []
        for raw in view.resources():
            r = resource_entry(view, raw)
            role = str(r.get("role", ""))
            r["label"] = resource_title(lang, view, raw)
            r["kind"] = lang.gettext(ROLE_LABELS[role]) if role in ROLE_LABELS else ""
            r["files"] = resource_files(lang, view, raw)
            resources.append(r)
        by_role: dict[str, list[dict[str, Any]]] = {}
        for r in resources:
            by_role.setdefault(str(r.get("role", "")), []).append(r)
        extra_sizes = {}
        for name in ("datapackage.json", "checksums.sha256"):
            with contextlib.suppress(DisclosureError, OSError):
                extra_sizes[name] = file_size(lang, view.file(name).stat().st_size)
        return {
            "resources": resources,
            "by_role": by_role,
            "citation": release_citation(view),
            "datapackage": file_url(view.release_id, "datapackage.json"),
            "checksums": file_url(view.release_id, "checksums.sha256"),
            "sizes": extra_sizes,
            "release_api": f"/api/v1/releases/{view.release_id}",
            "about": ctx.url("/about", keep_filters=False),
        }

    return _page(request, "downloads.html", N_("Downloads"), build, with_filters=False)


@router.get("/about", response_class=HTMLResponse)
def about(request: Request) -> Response:
    """What the data are and are not, their sources, how they are protected (the release's ε and δ), what
    the intervals and "fewer than N" mean, and how to cite the release: every figure from the manifest."""

    def build(ctx: Ctx) -> dict[str, Any]:
        view, lang = ctx.view, ctx.lang
        manifest = view.manifest
        privacy = manifest.privacy
        life = privacy.lifetime
        report = None
        with contextlib.suppress(DisclosureError):
            view.file("report.html")
            report = file_url(view.release_id, "report.html")
        return {
            "m": {
                "release": view.release_id,
                "published": release_date(lang, manifest.created_at),
                "contributors": list(manifest.contributors),
                "n_contributors": len(manifest.contributors),
                "years": list(manifest.years) if manifest.years else [],
                "standard": manifest.standard_version,
                "epsilon": number(lang, privacy.epsilon),
                "delta": small_number(lang, privacy.delta),
                "per_person": privacy.unit.startswith("one person"),
                "max_records": privacy.max_records_per_person,
                "threshold": privacy.display_threshold,
                "level": number(lang, round(100 * privacy.interval_level, 1)),  # "90" (text: "90 %")
                "releases": life.releases,
                "spent": number(lang, life.epsilon_spent),
                "lifetime": number(lang, life.lifetime_epsilon),
                "remaining": life.remaining_releases_at_this_epsilon,
                "kanon_k": manifest.kanon.k if manifest.kanon is not None else None,
                "previous": manifest.previous_release,
            },
            "citation": release_citation(view),
            "links": {
                "downloads": ctx.url("/downloads", keep_filters=False),
                "report": report,
                "dictionary": "/api/v1/dictionary",
                "release_api": f"/api/v1/releases/{view.release_id}",
                "overview": ctx.url("/", keep_filters=False),
            },
        }

    return _page(request, "about.html", N_("About the data"), build, with_filters=False)


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    """The API's endpoints and parameters from its OpenAPI document, in the site's layout and language
    (``?lang=``); it reads no release, so it answers on a hub that has published none yet."""
    lang = Lang(pick_lang(request.query_params.get("lang")))
    spec = request.app.openapi()

    def href(code: str) -> str:
        return request.url.path + ("" if code == "en" else f"?lang={code}")

    nav = [(p + ("" if lang.code == "en" else f"?lang={lang.code}"), lang.gettext(t), False) for p, t in NAV]
    page = {
        "nav": nav,
        "langs": [(code, LANG_NAMES[code], href(code), code == lang.code) for code in LANGS],
        "filters": [],
    }
    html = render_page(
        "apidocs.html",
        ctx=None,
        lang=lang,
        title=lang.gettext("API documentation"),
        page=page,
        endpoints=endpoints(spec),
        openapi_url=OPENAPI_URL,
        openapi_version=str(spec.get("openapi", "")),
        version=__version__,
    )
    return HTMLResponse(html)
