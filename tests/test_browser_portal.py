"""The hub's working day in a real browser (Playwright driving Debian's chromium) against a real uvicorn
server with the portal: a contributor signs in, uploads an Excel file with a defect, sees the quarantined
row and why, corrects it in the browser and resubmits it; the hub team approves both batches and builds a
release; a researcher accepts the data-use terms and downloads the restricted k-anonymised file; a public
visitor sees the new release. Every page checked for console errors and axe violations on the way.
Screenshots go to test-artifacts/screenshots/portal-*.png."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from openpyxl import load_workbook
from playwright import sync_api

from conftest import DEMO_POLICY, copy_demo_store
from ctdhub.publish.app import create_app
from ctdhub.store import Hub, open_store
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db
from ctdhub.store.auditlog import entries

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("Debian's chromium (/usr/bin/chromium) is missing under CI")
    pytest.skip("no /usr/bin/chromium", allow_module_level=True)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
ORG = "refugio-ngo"
PEOPLE = {
    "ana": (acc.Role.ADMIN, None, "ana's password 1"),
    "cleo": (acc.Role.CONTRIBUTOR, ORG, "cleo's password 1"),
    "remy": (acc.Role.RESEARCHER, None, "remy's password 1"),
}
AXE = (Path(__file__).parent / "assets" / "axe.min.js").read_text(encoding="utf-8")
AXE_RUN = (
    "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}))"
    ".violations.map(v => `${v.id} (${v.impact}): ${v.nodes[0].target.join(' ')}`)"
)


@pytest.fixture(scope="module")
def hub(demo_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Hub:
    """A writable copy of the demo store (release 0001), with its own policy (k-anonymity on) and one
    account per role; the contributor's organisation reads its files with the demo's Spanish Excel spec."""
    base = Path(tmp_path_factory.mktemp("day"))
    h = open_store(copy_demo_store(demo_release.parents[1], base / "hub"))
    (h.path / "policy.yaml").write_text(DEMO_POLICY, encoding="utf-8")
    spec = Path(__file__).resolve().parents[1] / "src/ctdhub/demo/specs/refugio-ngo.yaml"
    with access_db(h) as con:
        acc.add_org(con, ORG, actor="test", mapping=spec.read_text(encoding="utf-8"))
        for name, (role, org, password) in PEOPLE.items():
            acc.add_user(con, name, role, password, actor="test", org=org)
    return h


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new month of the NGO's Spanish workbook, one nationality mistyped ('Atlantis')."""
    from ctdhub.demo.generate import generate

    base = Path(tmp_path_factory.mktemp("upload"))
    xlsx = next(f.path for f in generate(base / "files", 600, seed=99) if f.contributor == ORG)
    wb = load_workbook(xlsx)
    ws = wb["Registro"]
    header = [c.value for c in ws[3]]
    ws.cell(row=4, column=header.index("Nacionalidad") + 1, value="Atlantis")
    out = base / "registro-diciembre.xlsx"
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def server(hub: Hub) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(hub.releases_dir, hub=hub)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
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
def browser(server: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield b
        b.close()


class Person:
    """One person's browser tab, watching for console errors."""

    def __init__(self, browser: Any, server: str, size: tuple[int, int] = (1280, 900)) -> None:
        self.context = browser.new_context(viewport={"width": size[0], "height": size[1]}, base_url=server)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.messages: list[str] = []
        self.page.on(
            "console",
            lambda m: self.messages.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
        )
        self.page.on("pageerror", lambda e: self.messages.append(f"pageerror: {e}"))

    def sign_in(self, name: str) -> None:
        self.page.goto("/login")
        self.page.fill("#login-name", name)
        self.page.fill("#login-password", PEOPLE[name][2])
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()

    def check(self, shot: str) -> None:
        """No console error so far, no axe violation on this page; a screenshot."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"portal-{shot}.png"), full_page=True)
        self.page.evaluate(AXE)  # through the DevTools protocol: the page's CSP does not apply
        violations = self.page.evaluate(AXE_RUN)
        assert not violations, (shot, violations)
        wide = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, (shot, f"{wide} px wider than the screen")
        assert not self.messages, (shot, self.messages)

    def close(self) -> None:
        self.context.close()


def _until(page: Any, selector: str, seconds: float) -> None:
    """Wait for `selector` on a job's progress page, which reloads itself (meta refresh) until done."""
    page.locator(selector).first.wait_for(timeout=seconds * 1000)
    page.wait_for_load_state()


def test_a_working_day_in_the_browser(browser: Any, server: str, hub: Hub, workbook: Path) -> None:
    # --- the contributor: upload, see the held-back row and why, correct it in the browser ---
    cleo = Person(browser, server)
    cleo.sign_in("cleo")
    assert cleo.page.url.endswith("/contribute")
    cleo.check("contribute")
    cleo.page.set_input_files("#upload-file", str(workbook))
    cleo.page.click("form[action*='/contribute/upload'] button[type=submit]")
    _until(cleo.page, "a[href*='/contribute/batches/']", 120)
    cleo.check("upload-done")
    cleo.page.click("a[href*='/contribute/batches/']")
    assert "Atlantis" in cleo.page.content()
    cleo.check("batch-report")
    cleo.page.click("a[aria-label^='Correct row']")
    field = cleo.page.locator("input[name=value][value='Atlantis']")
    assert field.count() == 1
    field.fill("Perú")
    cleo.check("correct-row")
    cleo.page.click("form.row-form button[type=submit]")
    _until(cleo.page, "a[href*='/contribute/batches/']", 120)
    cleo.page.goto("/contribute")
    text = cleo.page.inner_text("table.batches")
    assert "registro-diciembre.xlsx" in text and "correction" in text.lower()
    cleo.close()
    with hub.connect() as con:
        batches = con.execute(
            "SELECT status, rows_stored, rows_quarantined FROM batches WHERE contributor = ? "
            "AND (file_name = ? OR parent_batch_id IS NOT NULL) ORDER BY created_at",
            [ORG, workbook.name],
        ).fetchall()
        open_rows = con.execute(
            "SELECT count(*) FROM quarantine q JOIN batches b USING (batch_id) WHERE b.file_name = ? "
            "AND q.status = 'open' AND CAST(q.original AS VARCHAR) LIKE '%Atlantis%'",
            [workbook.name],
        ).fetchone()
    assert [b[0] for b in batches] == ["pending", "pending"] and batches[1][1:] == (1, 0)
    assert open_rows == (0,)

    phone = Person(browser, server, (390, 844))  # the same pages on a phone, in French
    phone.sign_in("cleo")
    for path in (
        "/contribute?lang=fr",
        "/contribute/stats?lang=fr",
        "/contribute/mapping?lang=fr",
        "/account?lang=fr",
    ):
        phone.page.goto(path)
        phone.check("phone-" + path.strip("/").split("?")[0].replace("/", "-"))
    phone.close()

    # --- the hub team: approve both batches, build the next release ---
    ana = Person(browser, server)
    ana.sign_in("ana")
    assert ana.page.url.endswith("/admin")
    ana.page.goto("/admin/batches")
    ana.check("admin-batches")
    for _ in range(2):
        ana.page.click("button[aria-label^='Approve']")
        ana.page.wait_for_load_state()
    assert ana.page.locator("button[aria-label^='Approve']").count() == 0
    ana.page.goto("/admin/releases")
    ana.page.click("form[action*='/admin/releases/build'] button[type=submit]")
    _until(ana.page, "main .form-done, main .form-error", 240)
    assert "Release 0002 is built" in ana.page.inner_text("main"), ana.page.inner_text("main")
    ana.check("admin-build-done")
    ana.page.goto("/admin/audit")
    ana.check("admin-audit")
    ana.close()

    # --- a researcher: accept the terms, download the restricted k-anonymised file ---
    remy = Person(browser, server)
    remy.sign_in("remy")
    assert remy.page.url.endswith("/research")
    remy.page.check("#terms-agree")
    remy.page.click("form[action*='/research/terms'] button[type=submit]")
    remy.page.wait_for_load_state()
    remy.check("research")
    with remy.page.expect_download() as got:
        remy.page.click("a[href='/research/files/0002/kanon.csv']")
    assert got.value.suggested_filename == "kanon.csv"
    remy.close()

    # --- the public: the new release is what the dashboard shows ---
    public = Person(browser, server)
    public.page.goto("/")
    assert "Release 0002" in public.page.inner_text("footer")
    public.page.goto("/research/files/0002/kanon.csv")
    assert "Sign in" in public.page.content()
    public.close()

    done = [e.action for e in reversed(entries(hub)) if e.actor in PEOPLE]
    for action in ("login", "upload", "resubmit", "batch.approve", "release.create", "terms.accept"):
        assert action in done, (action, done)
    assert done.count("download.restricted") == 1 and done.count("batch.approve") == 2
