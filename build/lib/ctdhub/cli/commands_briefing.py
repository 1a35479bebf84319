"""`ctdhub briefing`: a short PDF, HTML or JSON briefing about one selection of a release."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from ctdhub.cli.commands_store import store_option
from ctdhub.cli.output import Result, command_output, wants_json
from ctdhub.errors import CtdhubError, UsageError
from ctdhub.publish.briefing import FORMATS, LANGS, make_briefing, make_exact_briefing, make_selection
from ctdhub.publish.briefing.groupings import groupings
from ctdhub.publish.briefing.selection import parse_years
from ctdhub.publish.gate import Gate
from ctdhub.release.registry import get_release, list_releases
from ctdhub.store import open_store


def _default_name(release_id: str, years: str | None, lang: str, fmt: str) -> str:
    tag = re.sub(r"[^0-9a-z]+", "-", (years or "all").lower()).strip("-")
    return f"briefing-{release_id}-{tag}-{lang}.{fmt}"


@click.command()
@click.option("--years", help="A year (2015) or a range (2002-2018) of registration.")
@click.option("--compare", help="Comparison period (default: the same number of years just before).")
@click.option("--no-compare", is_flag=True, help="No comparison period.")
@click.option(
    "--exploitation-country", multiple=True, help="Country of exploitation (name or ISO3); repeatable."
)
@click.option("--exploitation-subregion", multiple=True, help="UN sub-region of exploitation; repeatable.")
@click.option("--exploitation-region", multiple=True, help="UN region of exploitation; repeatable.")
@click.option("--citizenship-country", multiple=True, help="Country of citizenship; repeatable.")
@click.option("--citizenship-subregion", multiple=True, help="UN sub-region of citizenship; repeatable.")
@click.option("--citizenship-region", multiple=True, help="UN region of citizenship; repeatable.")
@click.option("--grouping", help="A named grouping with membership per year (eu, eu-efta, iom-ro-…).")
@click.option(
    "--grouping-side",
    type=click.Choice(["exploitation", "citizenship"]),
    default="exploitation",
    show_default=True,
    help="Which country the grouping applies to.",
)
@click.option("--datasource", multiple=True, help="Data source (Case Management, Hotline); repeatable.")
@click.option("--contributor", multiple=True, help="Contributing organisation; repeatable.")
@click.option("--lang", type=click.Choice(list(LANGS)), default="en", show_default=True)
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="pdf", show_default=True)
@click.option(
    "--out", "-o", help="Output file ('-' for standard output; default: a name in the current folder)."
)
@click.option("--release", "release_id", help="Release number (default: the latest published).")
@click.option(
    "--exact",
    is_flag=True,
    help="Hub staff only: exact figures from the release's restricted records (suppressed, marked "
    "'Restricted: exact figures, not for publication' on every page). Never publish these.",
)
@click.option("--list-groupings", is_flag=True, help="List the named groupings and exit.")
@store_option
@command_output
def briefing(
    years: str | None,
    compare: str | None,
    no_compare: bool,
    exploitation_country: tuple[str, ...],
    exploitation_subregion: tuple[str, ...],
    exploitation_region: tuple[str, ...],
    citizenship_country: tuple[str, ...],
    citizenship_subregion: tuple[str, ...],
    citizenship_region: tuple[str, ...],
    grouping: str | None,
    grouping_side: str,
    datasource: tuple[str, ...],
    contributor: tuple[str, ...],
    lang: str,
    fmt: str,
    out: str | None,
    release_id: str | None,
    exact: bool,
    list_groupings: bool,
    store: str,
) -> Result:
    """A briefing on one selection of a release: key figures, profile, exploitation, trend, methods.

    Every figure is an estimate from the release's differentially private model, with its 90 % interval,
    consistent with the release's tables, dashboard and API. With --exact (hub staff only), figures are
    exact counts of the release's restricted records with suppression, marked restricted on every page.
    """
    if list_groupings:
        gs = groupings()
        return Result(
            {"groupings": {k: g.title("en") for k, g in gs.items()}},
            [f"{k:<24} {g.title('en')}" for k, g in gs.items()],
        )
    if out == "-":  # refused before any work: a PDF briefing takes seconds to build
        if fmt == "pdf":
            raise UsageError("--out - (standard output) is for --format json or html; give a file for PDF.")
        if wants_json():
            raise UsageError("--json and --out - would both write to standard output; give --out FILE.")
    hub = open_store(store)
    if exact:
        rid = release_id if release_id not in (None, "", "latest") else _latest(hub.releases_dir)
        _, manifest = get_release(hub.releases_dir, rid)
        contributors = list(manifest.contributors) or None
    else:
        view = Gate(hub.releases_dir).release(release_id)
        contributors = list(view.manifest.contributors) or None
    selection = make_selection(
        years=years,
        exploitation_countries=exploitation_country,
        exploitation_subregions=exploitation_subregion,
        exploitation_regions=exploitation_region,
        citizenship_countries=citizenship_country,
        citizenship_subregions=citizenship_subregion,
        citizenship_regions=citizenship_region,
        grouping=grouping,
        grouping_side="citizenship" if grouping_side == "citizenship" else "exploitation",
        datasources=datasource,
        contributors=contributor,
        known_contributors=contributors,
    )
    cmp = None if no_compare else (parse_years(compare, "--compare") if compare else "auto")
    if exact:
        b = make_exact_briefing(hub.releases_dir, rid, selection, compare=cmp, lang=lang, fmt=fmt)  # type: ignore[arg-type]
    else:
        b = make_briefing(view, selection, compare=cmp, lang=lang, fmt=fmt)  # type: ignore[arg-type]
    figs = b.figures
    data = {
        "release_id": figs.release_id,
        "format": fmt,
        "lang": lang,
        "restricted": figs.exact,
        "cases": figs.main.total,
        "comparison": str(figs.comparison.selection.years) if figs.comparison else None,
    }
    if out == "-":
        sys.stdout.buffer.write(b.content)
        sys.stdout.flush()
        return Result({**data, "path": None}, [])
    name = _default_name(figs.release_id, years, lang, fmt)
    path = Path(out or (name.replace("briefing-", "briefing-RESTRICTED-", 1) if exact else name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b.content)
    cases = "?" if figs.main.total is None else f"{figs.main.total:,}"
    if exact:
        line = f"RESTRICTED briefing, exact figures, not for publication ({fmt}, {lang}), release {figs.release_id}, {cases} cases: {path}"
    else:
        cases = f"about {cases}" if figs.main.total and figs.main.total >= figs.threshold else cases
        line = f"Briefing ({fmt}, {lang}) for release {figs.release_id}, {cases} cases (estimate): {path}"
    return Result({**data, "path": str(path)}, [line])


def _latest(releases_dir: Path) -> str:
    published = list_releases(releases_dir, include_withdrawn=False)
    if not published:
        raise CtdhubError("No release has been published yet.", hint="ctdhub release create")
    return published[-1].release_id
