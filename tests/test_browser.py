"""The dashboard in a real browser (Playwright driving Debian's chromium) against a real uvicorn server
over a small differentially private release: every page in English, French and Spanish with its line on
differential privacy, the filter form, the language switcher, a click on the map, keyboard access,
estimates compared with the API ("fewer than N" only below the threshold), and no request leaving the
machine.
Screenshots go to test-artifacts/screenshots/. Skipped when chromium or Playwright is missing."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright import sync_api

from conftest import DEMO_THRESHOLD
from ctdhub.publish.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("Debian's chromium (/usr/bin/chromium) is missing under CI")
    pytest.skip("no /usr/bin/chromium", allow_module_level=True)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

THRESHOLD = DEMO_THRESHOLD  # the shared demo release's display threshold
PAGES = {
    "overview": "/",
    "map": "/map",
    "flows": "/flows",
    "profile": "/profile",
    "country": "/country/USA",
    "region": "/region/Asia",
    "downloads": "/downloads",
}
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture(scope="module")
def server(demo_release: Path) -> Iterator[str]:
    """A uvicorn server over the shared demo release (read-only)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(demo_release.parent), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[tuple[Any, list[str]]]:
    """A page whose every non-loopback request is blocked and recorded."""
    blocked: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:", "about:")) or host in LOOPBACK:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        context = b.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page, blocked
        context.close()
        b.close()


def api(server: str, path: str) -> Any:
    with urllib.request.urlopen(server + path, timeout=10) as r:  # loopback only
        return json.loads(r.read())


SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
# axe-core 4.14.1 (npm, MPL-2.0, licence beside it): a test asset, never shipped with the package
AXE = (Path(__file__).parent / "assets" / "axe.min.js").read_text(encoding="utf-8")
AXE_RUN = (
    "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']}))"
    ".violations.map(v => `${v.id} (${v.impact}): ${v.nodes[0].target.join(' ')}`)"
)
ALL_DRAWN = "[...document.querySelectorAll('.vega-chart')].every(e => e.querySelector('svg'))"


def test_every_page_in_three_languages_at_two_sizes(browser: tuple[Any, list[str]]) -> None:
    """Every page × en/fr/es × desktop/phone: the interactive charts drawn (the SVG image hidden), no
    console error or warning (a CSP violation or a Vega warning shows there), no broken image, nothing
    wider than the screen, no axe violation (WCAG 2 A/AA and best practice); on a phone the filters are
    folded behind one button."""
    page, blocked = browser
    messages: list[str] = []
    page.on(
        "console",
        lambda m: messages.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in PAGES.items():
            for lang in ("en", "fr", "es"):
                url = path if lang == "en" else f"{path}?lang={lang}"
                resp = page.goto(url)
                assert resp is not None and resp.status == 200, url
                page.wait_for_function(ALL_DRAWN)
                assert page.locator("html").get_attribute("lang") == lang
                assert page.locator("h1").count() == 1
                assert page.locator("p.dp-note").is_visible(), url
                broken = page.evaluate(
                    "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length"
                )
                assert broken == 0, url
                for figure in page.locator("figure:has(.vega-chart)").all():
                    assert "interactive" in (figure.get_attribute("class") or ""), url
                    assert not figure.locator("img.chart").is_visible(), url
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, (url, size, overflow)
                box = page.locator("details.filter-box")
                if box.count():
                    assert (box.get_attribute("open") is None) is (size == "phone"), (url, size)
                assert messages == [], (url, size, messages)
                page.evaluate(AXE)  # through the DevTools protocol: the page's CSP does not apply
                assert page.evaluate(AXE_RUN) == [], (url, size)
                page.screenshot(path=str(SHOTS / f"{name}-{lang}-{size}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert blocked == []


def test_phone_filters_open_from_one_button(browser: tuple[Any, list[str]]) -> None:
    page, _ = browser
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto("/")
        assert not page.locator("#f-gender").is_visible()
        page.locator("details.filter-box summary").click()
        assert page.locator("#f-gender").is_visible()
        page.select_option("#f-gender", "Female")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**gender=Female*")
        # a filter is set: the form stays open, and its button says how many filters are active
        assert page.locator("#f-gender").is_visible()
        assert "(1 active)" in page.locator("details.filter-box summary").inner_text()
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def test_chart_tooltip_shows_the_table_figure(browser: tuple[Any, list[str]]) -> None:
    """Hovering a bar of the interactive chart shows the same estimate and interval as the table."""
    page, _ = browser
    page.goto("/")
    page.wait_for_function(ALL_DRAWN)
    bar = page.locator('#regions .vega-chart svg [aria-roledescription="bar"]').first
    bar.hover()
    tip = page.locator("#vg-tooltip-element")
    tip.wait_for(state="visible")
    text = tip.inner_text()
    rows = page.locator("#regions table.data tbody tr")
    matched = False
    for i in range(rows.count()):
        cells = rows.nth(i).locator("th, td").all_inner_texts()
        if cells[0] in text and cells[1] in text and cells[2] in text:
            matched = True
    assert matched, text


def test_legend_click_highlights_one_series(browser: tuple[Any, list[str]]) -> None:
    page, _ = browser
    page.goto("/")
    page.wait_for_function(ALL_DRAWN)
    chart = page.locator("#trend .vega-chart svg")
    lines = chart.locator('[aria-roledescription="line mark"], g.mark-line path')

    def opacities() -> list[str]:
        return [
            lines.nth(i).get_attribute("stroke-opacity") or lines.nth(i).get_attribute("opacity") or "1"
            for i in range(lines.count())
        ]

    before = opacities()
    assert len(before) >= 2 and len(set(before)) == 1
    chart.locator("g.role-legend-symbol path, g.role-legend-label text").first.click()
    page.wait_for_timeout(300)
    after = opacities()
    assert len(set(after)) == 2, after  # the picked series stays, the others fade


def test_filter_form_language_switch_and_api(browser: tuple[Any, list[str]], server: str) -> None:
    page, blocked = browser
    page.goto("/")
    total = int(page.locator("dd[data-value]").first.get_attribute("data-value"))
    page.select_option("#f-gender", "Female")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/?*gender=Female*")
    female = int(page.locator("dd[data-value]").first.get_attribute("data-value"))
    assert female == api(server, "/api/v1/stats?gender=Female")["cells"][0]["estimate"]
    assert 0 < female < total
    shown = page.locator("dd[data-value]").first.inner_text()
    assert int(shown.replace(",", "")) == female
    page.locator('a[hreflang="fr"]').click()
    page.wait_for_url("**lang=fr*")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "gender=Female" in page.url
    assert page.locator("#f-gender").input_value() == "Female"
    assert page.get_by_role("button", name="Appliquer les filtres").count() == 1
    page.screenshot(path=str(SHOTS / "overview-filtered-fr.png"), full_page=True)
    assert blocked == []


def test_map_click_opens_country(browser: tuple[Any, list[str]], server: str) -> None:
    page, blocked = browser
    page.goto("/map")
    link = page.locator("svg.worldmap a.country").first
    iso3 = link.get_attribute("data-iso3")
    link.click()
    page.wait_for_url(f"**/country/{iso3}")
    assert page.locator("h1").count() == 1
    shown = page.locator("dd[data-value]").first.get_attribute("data-value")
    expected = api(server, f"/api/v1/stats?exploitation_country={iso3}")["cells"][0]
    assert shown == str(expected["estimate"])
    text = page.locator("dd[data-value]").first.inner_text()
    assert ("fewer than" in text) is (expected["estimate"] < THRESHOLD)
    assert blocked == []


def test_table_estimates_and_fewer_than(browser: tuple[Any, list[str]], server: str) -> None:
    """The opened table of the country map: estimates and intervals as the API gives them; "<5" (titled
    "fewer than 5") exactly for the estimates below the threshold."""
    page, blocked = browser
    page.goto("/map")
    page.locator("details.table-wrap summary").first.click()
    cells = page.locator("td[data-estimate]")
    api_cells = {
        c["CountryOfExploitation"]: c
        for c in api(server, "/api/v1/stats?dims=CountryOfExploitation")["cells"]
    }
    assert cells.count() == len(api_cells)
    seen_below = 0
    for i in range(cells.count()):
        td = cells.nth(i)
        est = int(td.get_attribute("data-estimate") or "")
        text = td.inner_text()
        assert int(td.get_attribute("data-lower") or "") <= est <= int(td.get_attribute("data-upper") or "")
        if est < THRESHOLD:
            seen_below += 1
            assert text == f"<{THRESHOLD}"
            assert td.locator("abbr").get_attribute("title") == f"fewer than {THRESHOLD}"
        else:
            assert int(text.replace(",", "")) == est
    assert sorted(
        int(cells.nth(i).get_attribute("data-estimate") or "") for i in range(cells.count())
    ) == sorted(c["estimate"] for c in api_cells.values())
    assert seen_below > 0
    assert blocked == []


def test_keyboard_skip_link(browser: tuple[Any, list[str]]) -> None:
    page, _ = browser
    page.goto("/profile")
    page.wait_for_function(ALL_DRAWN)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    page.wait_for_url("**#main")
    # a data table opens from the keyboard
    summary = page.locator("details.table-wrap summary").first
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("details.table-wrap").first.get_attribute("open") is not None
