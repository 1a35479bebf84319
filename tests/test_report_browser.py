"""The privacy and utility report of a release (the shared demo release) renders in a real browser (Debian's
chromium), offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"


def test_report_renders_offline_in_chromium(demo_release: Path) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is missing under CI")
        pytest.skip("Debian's chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    outside: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            def block(route: object) -> None:
                url = route.request.url  # type: ignore[attr-defined]
                if not url.startswith(("file://", "data:", "about:")):
                    outside.append(url)
                    route.abort()  # type: ignore[attr-defined]
                else:
                    route.continue_()  # type: ignore[attr-defined]

            page.route("**/*", block)
            page.goto((demo_release / "report.html").as_uri())
            text = page.inner_text("body")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "release-report.png"), full_page=True)
        finally:
            browser.close()
    assert outside == [] and errors == []
    assert "ε" in text and "lifetime" in text and "90 %" in text
    assert "suppress" not in text.lower() and "total-variation" not in text.lower()
