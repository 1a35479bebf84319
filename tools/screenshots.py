"""Screenshots of every dashboard page in English, French and Spanish, at desktop and phone size.

Builds the demo hub (``ctdhub demo run --no-serve``, invented data) unless ``--dir`` names one already
built, serves its release on a loopback port and drives Debian's chromium (Playwright) over every page,
waiting until the interactive charts are drawn. Writes ``docs/screenshots/<page>-<lang>-<size>.jpg``
(full page, JPEG, to keep the repository small) and an index ``docs/screenshots/README.md``.

    .venv/bin/python tools/screenshots.py [--dir DEMO_DIR] [--out docs/screenshots]   # or: make screenshots
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PAGES = {
    "overview": "/",
    "map": "/map",
    "flows": "/flows",
    "profile": "/profile",
    "country": "/country/USA",
    "region": "/region/Asia",
    "downloads": "/downloads",
    "about": "/about",
}
LANGS = ("en", "fr", "es")
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
ALL_DRAWN = "[...document.querySelectorAll('.vega-chart')].every(e => e.querySelector('svg'))"


def _demo(path: Path | None) -> Path:
    """The releases directory of a demo hub (built into a temporary directory when none is given)."""
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="ctdhub-shots-")) / "demo"
        cli = Path(sys.executable).with_name("ctdhub")
        subprocess.run([str(cli), "demo", "run", "--dir", str(path), "--no-serve"], check=True)
    releases = path / "hub" / "releases"
    if not releases.is_dir():
        raise SystemExit(
            f"{path} holds no demo hub (no hub/releases): run `ctdhub demo run --dir {path}` first"
        )
    return releases


def _serve(releases: Path) -> tuple[str, object]:
    import uvicorn

    from ctdhub.publish.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(releases), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the dashboard did not start")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="a demo directory already built by `ctdhub demo run`")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    base, server = _serve(_demo(a.dir))
    a.out.mkdir(parents=True, exist_ok=True)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        for size, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            for name, path in PAGES.items():
                for lang in LANGS:
                    url = base + path + ("" if lang == "en" else f"?lang={lang}")
                    page.goto(url)
                    page.wait_for_function(ALL_DRAWN)
                    page.wait_for_load_state("networkidle")
                    shot = a.out / f"{name}-{lang}-{size}.jpg"
                    page.screenshot(path=str(shot), full_page=True, type="jpeg", quality=60)
                    rows.append((name, lang, size, shot.name))
            page.close()
        browser.close()
    server.should_exit = True  # type: ignore[attr-defined]
    lines = [
        "# Dashboard screenshots",
        "",
        "Every page of the demo hub (invented data) in English, French and Spanish, at desktop (1366 px) and",
        "phone (390 px) width. Made by `make screenshots` (`tools/screenshots.py`).",
        "",
        "| page | language | size | screenshot |",
        "|---|---|---|---|",
        *(f"| {n} | {lang} | {s} | [{f}]({f}) |" for n, lang, s, f in rows),
    ]
    (a.out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} screenshots in {a.out}")


if __name__ == "__main__":
    main()
