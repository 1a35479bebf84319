"""`ctdhub demo run` with record linkage, end to end, in process: the contributors' encoded files hold no
name nor date of birth, the hub's persons match the demo's answer key, the release counts persons and
records with the person as the unit of privacy, and no public artefact (release files, API answers,
dashboard pages) nor any line the command prints holds a linkage key, a person id or a rare name."""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ctdhub.cli import cli
from ctdhub.demo.linkage import ENCODED_DIR, SECRET_FILE
from ctdhub.publish.app import create_app
from ctdhub.read import read_source

ROWS = 1500
LINE = re.compile(
    r"Linked (\d+) records of (\d+) persons across contributors; against the demo's truth: "
    r"precision ([\d.]+), recall ([\d.]+)\."
)
FRAGMENT = 12  # characters of a key that must appear nowhere public
PRIVATE_DIRS = ("restricted", "research")
PAGES = ("/", "/map", "/flows", "/profile", "/downloads", "/about")
API = ("/api/v1/releases", "/api/v1/releases/latest", "/api/v1/stats", "/api/v1/stats?dims=gender")
NAMES = {"harbour-casework": ("Given name", "Family name"), "refugio-ngo": ("Nombre", "Apellidos")}
DOB = {"harbour-casework": "Date of birth", "refugio-ngo": "Fecha de nacimiento"}
WORD = re.compile(r"[^\W\d_]+")

Rows = list[dict[str, str | None]]


def _words(text: str) -> set[str]:
    """The words of `text`, lower-cased."""
    return set(WORD.findall(text.lower()))


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass(frozen=True)
class Run:
    base: Path
    stdout: str
    stderr: str
    logs: list[str]

    @property
    def files(self) -> Path:
        return self.base / "files"

    @property
    def hub(self) -> Path:
        return self.base / "hub"

    @property
    def release(self) -> Path:
        return self.hub / "releases" / "0001"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("demo-linkage") / "demo"
    handler, root = _Records(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        r = CliRunner().invoke(cli, ["demo", "run", "--rows", str(ROWS), "--dir", str(base), "--no-serve"])
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert r.exit_code == 0, r.output
    return Run(base, r.stdout, r.stderr, handler.lines)


# --- what the raw and encoded files hold ------------------------------------------------------------------


def _table(path: Path, sheet: str | None = None, header_row: int | None = None) -> Rows:
    """The rows of a file as the hub reads them (every value text)."""
    con = duckdb.connect()
    try:
        read_source(con, path, table="t", sheet=sheet, header_row=header_row)
        cur = con.execute("SELECT * EXCLUDE (_row) FROM t ORDER BY _row")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def raw(run: Run) -> dict[str, Rows]:
    return {
        "harbour-casework": _table(run.files / "harbour-casework.csv"),
        "refugio-ngo": _table(run.files / "refugio-ngo.xlsx", sheet="Registro", header_row=3),
    }


@pytest.fixture(scope="module")
def encoded(run: Run) -> dict[str, Rows]:
    folder = run.files / ENCODED_DIR
    return {
        "harbour-casework": _table(folder / "harbour-casework.csv"),
        "refugio-ngo": _table(folder / "refugio-ngo.xlsx"),
    }


@pytest.fixture(scope="module")
def rare_names(raw: dict[str, Rows]) -> set[str]:
    """Name words (of both files) written once only and of six letters or more, lower-cased; but words of
    the hub's own vocabulary (country and region names, the standard), which may be published."""
    vocabulary: set[str] = set()
    for package in ("ctdhub.geo", "ctdhub.standard"):
        for f in resources.files(package).joinpath("data").iterdir():
            if f.is_file():
                vocabulary |= _words(f.read_bytes().decode("utf-8", "replace"))
    words = Counter(
        w.lower()
        for contributor, rows in raw.items()
        for row in rows
        for column in NAMES[contributor]
        for w in WORD.findall(row[column] or "")
    )
    rare = {w for w, n in words.items() if n == 1 and len(w) >= 6} - vocabulary
    assert len(rare) > 50
    return rare


@pytest.fixture(scope="module")
def keys(encoded: dict[str, Rows]) -> list[str]:
    found = [str(row["linkage_key"]) for rows in encoded.values() for row in rows if row["linkage_key"]]
    assert len(found) == sum(len(rows) for rows in encoded.values())
    assert all(k.startswith("pprl1.") for k in found)
    return found


def test_secret_is_the_contributors_not_the_hubs(run: Run) -> None:
    secret = run.files / SECRET_FILE
    assert secret.is_file() and secret.stat().st_mode & 0o077 == 0
    assert not any(p.name == SECRET_FILE for p in run.hub.rglob("*"))
    text = secret.read_text(encoding="ascii").strip()
    assert text not in run.stdout + run.stderr
    assert "shared linkage secret" in run.stdout and "never given to the hub" in run.stdout


def test_encoded_files_hold_no_name_nor_date_of_birth(
    raw: dict[str, Rows],
    encoded: dict[str, Rows],
    rare_names: set[str],
) -> None:
    for contributor, rows in encoded.items():
        before = raw[contributor]
        assert len(rows) == len(before)
        gone = set(NAMES[contributor]) | ({DOB[contributor]} if contributor == "refugio-ngo" else set())
        assert set(rows[0]) == (set(before[0]) - gone) | {"linkage_key"}
        names = {row[c] for row in before for c in NAMES[contributor] if row[c]}
        cells = {v for row in rows for k, v in row.items() if k != "linkage_key" and v}
        assert not names & cells
        assert not _words(" ".join(str(v) for v in cells)) & rare_names
    # harbour keeps its date of birth (its spec derives the age band from it, and drops it); refugio's goes
    dobs = {row[DOB["refugio-ngo"]] for row in raw["refugio-ngo"] if row[DOB["refugio-ngo"]]}
    assert not dobs & {v for row in encoded["refugio-ngo"] for v in row.values()}


def _store_text(hub: Path) -> str:
    con = duckdb.connect(str(hub / "hub.duckdb"), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return "\n".join(
            str(con.execute(f'SELECT COLUMNS(*)::VARCHAR FROM "{t}"').fetchall()) for t in tables
        )
    finally:
        con.close()


def test_the_store_holds_no_date_of_birth_nor_name(
    run: Run, raw: dict[str, Rows], rare_names: set[str]
) -> None:
    assert (run.hub / "hub.duckdb").is_file()
    text = _store_text(run.hub)
    written = {str(row[DOB[c]]) for c, rows in raw.items() for row in rows if row[DOB[c]]}
    dmy = [re.fullmatch(r"(\d\d)/(\d\d)/(\d{4})", d) for d in written]
    dobs = written | {f"{m[3]}-{m[2]}-{m[1]}" for m in dmy if m}  # harbour's, as ISO dates too
    assert len(dobs) > 100 and any(dmy)
    assert not [d for d in dobs if d in text]
    assert not _words(text) & rare_names


# --- linkage against the answer key, and the release -----------------------------------------------------


def test_persons_match_the_demo_truth(run: Run) -> None:
    m = LINE.search(run.stdout)
    assert m, run.stdout
    records, persons, precision, recall = int(m[1]), int(m[2]), float(m[3]), float(m[4])
    assert persons > 5 and persons <= records <= 2 * persons
    assert precision >= 0.9 and recall >= 0.9


def test_release_counts_persons_and_records_with_the_person_as_unit(run: Run) -> None:
    manifest = json.loads((run.release / "release.json").read_text(encoding="utf-8"))
    population = manifest["population"]
    assert population["linked"] is True and population["unit"] == "person"
    assert population["persons"] < population["records"]
    assert manifest["policy"]["privacy"]["max_records_per_person"] == 2
    report = json.loads((run.release / "privacy.json").read_text(encoding="utf-8"))
    assert report["privacy"]["unit"].startswith("one person")
    assert "The unit of privacy is one person." in (run.release / "report.html").read_text(encoding="utf-8")
    assert "the unit of privacy is the person" in run.stdout


# --- the attack: nothing public holds a key, a person id or a rare name ----------------------------------


def _file_text(path: Path) -> str:
    """A file's content as text: a Parquet table's values, a workbook's cells and properties (not its
    theme, whose font names are no one's), else its bytes."""
    if path.suffix == ".parquet":
        return str(pq.read_table(path).to_pylist())
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "\n".join(
                z.read(n).decode("utf-8", "replace") for n in z.namelist() if not n.startswith("xl/theme/")
            )
    return path.read_bytes().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def public(run: Run) -> dict[str, str]:
    """Every public artefact of the demo release as text: its files (but the restricted and research
    folders), the API's answers and the dashboard's pages."""
    out = {
        str(p.relative_to(run.release)): _file_text(p)
        for p in sorted(run.release.rglob("*"))
        if p.is_file() and p.relative_to(run.release).parts[0] not in PRIVATE_DIRS
    }
    assert "release.json" in out and "data/synthetic.csv" in out and "report.html" in out
    with TestClient(create_app(run.hub / "releases")) as client:
        for url in (*API, *PAGES):
            r = client.get(url)
            assert r.status_code == 200, url
            out[url] = r.text
    assert "Identified persons" in out["/"] and "Case records" in out["/"]
    return out


@dataclass(frozen=True)
class Secrets:
    """What no public artefact, and no line printed, may hold."""

    fragments: set[str]  # every FRAGMENT-character piece of every key's filter (base64url and base64)
    person_ids: set[str]  # the hex part of every person id of the store
    bits: set[str]  # the 64-bit words of the stored filters, in decimal (those of 12 digits or more)
    names: set[str]  # rare name words

    def leaks(self, text: str, *, names: bool = True) -> list[str]:
        """What `text` holds of them (counts and rare names, never a key or a piece of one)."""
        found = ["the key prefix pprl1."] if "pprl1." in text else []
        for what, pattern, size, secret in (
            ("key fragment", r"[A-Za-z0-9+/_-]", FRAGMENT, self.fragments),
            ("person id", r"[0-9a-f]", 16, self.person_ids),
        ):
            pieces = {
                r[i : i + size]
                for r in re.findall(f"{pattern}{{{size},}}", text)
                for i in range(len(r) - size + 1)
            }
            if pieces & secret:
                found.append(f"{len(pieces & secret)} {what}(s)")
        if numbers := set(re.findall(r"\d{12,}", text)) & self.bits:
            found.append(f"{len(numbers)} filter word(s)")
        return found + (sorted(_words(text) & self.names)[:5] if names else [])


@pytest.fixture(scope="module")
def secrets(run: Run, keys: list[str], rare_names: set[str]) -> Secrets:
    fragments: set[str] = set()
    for key in keys:
        url = key.rsplit(".", 1)[1]
        for b64 in (url, url.replace("-", "+").replace("_", "/")):
            fragments.update(b64[i : i + FRAGMENT] for i in range(len(b64) - FRAGMENT + 1))
    con = duckdb.connect(str(run.hub / "hub.duckdb"), read_only=True)
    try:
        ids = {
            str(r[0]).removeprefix("person-")
            for r in con.execute("SELECT DISTINCT person_id FROM persons").fetchall()
        }
        bits = {str(w) for r in con.execute("SELECT bits FROM linkage_keys").fetchall() for w in r[0]}
    finally:
        con.close()
    assert len(ids) > 100 and len(bits) > 1000 and all(len(i) == 16 for i in ids)
    return Secrets(fragments, ids, {b for b in bits if len(b) >= 12}, rare_names)


def test_no_public_artefact_holds_a_key_a_person_id_or_a_rare_name(
    public: dict[str, str], secrets: Secrets, keys: list[str]
) -> None:
    planted = (keys[0].rsplit(".", 1)[1][40:52], "person-" + min(secrets.person_ids), max(secrets.bits))
    assert all(secrets.leaks(f"some text {p} around it") for p in planted)  # the attack sees a leak
    assert secrets.leaks(f"Dear {min(secrets.names).title()},")
    leaks = {name: found for name, text in public.items() if (found := secrets.leaks(text))}
    assert not leaks


def test_no_line_printed_holds_a_key(run: Run, secrets: Secrets) -> None:
    for text in (run.stdout, run.stderr, "\n".join(run.logs)):
        assert not secrets.leaks(text, names=False)
    assert "Linked " in run.stdout


def test_the_hubs_mapping_of_the_encoded_files_names_the_key(run: Run) -> None:
    for name in ("harbour-casework", "refugio-ngo"):
        spec = (run.base / "specs" / f"{name}.yaml").read_text(encoding="utf-8")
        assert "\nlinkage_key: linkage_key\n" in spec and "linkage_key: {drop:" in spec
