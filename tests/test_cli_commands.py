"""Every command of the CLI, in process: each is run through the `ctdhub` entry point (`ctdhub.cli.main`,
which turns click's usage errors into one sentence) with click's CliRunner, so coverage counts it. Each
has a success path, and an error path whose exit code is 1 (a failure) or 2 (a usage error) and whose
message is one sentence on stderr, with no traceback and nothing on stdout. `serve` is never left to
serve: its success path stops at the call that would start the server. Stores and files are invented under
tmp_path; the shared demo release (conftest) is only read, and copied where a command writes."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from conftest import DEMO_POLICY, copy_demo_store
from ctdhub import __version__
from ctdhub.cli import cli, main
from ctdhub.ingest import ingest_file
from ctdhub.store import init_store

SPEC = Path(__file__).parent / "data" / "ingest" / "test-org.yaml"
# four invented cases for the test-org spec; the last has a sex the spec does not map, so it is quarantined
CASES = """case_ref,sex,age,nationality,country_exploited,registration_date,exploitation,control,sector,months,office
T-1,F,24,Philippines,MYS,2021-03-04,Forced labour,Debt bondage,Domestic work,6,north
T-2,M,31,Viet Nam,THA,2021-05-11,Forced labour,Threats,Construction,3,north
T-3,F,19,Philippines,MYS,2022-01-20,Sexual exploitation,Threats,,2,south
T-4,Femal,40,Nepal,IND,2022-02-02,Forced labour,Withheld documents,Agriculture,12,south
"""

# Every command, as `ctdhub --help` and the groups' `--help` list them (checked below against the app).
COMMANDS = {
    "init",
    "standard show",
    "standard export",
    "countries resolve",
    "ingest",
    "quarantine list",
    "quarantine export",
    "quarantine resubmit",
    "batch list",
    "batch show",
    "batch revert",
    "batch approve",
    "mapping suggest",
    "mapping check",
    "mapping list",
    "demo generate",
    "demo run",
    "release create",
    "release list",
    "release show",
    "release diff",
    "release withdraw",
    "serve",
    "briefing",
    "user add",
    "user list",
    "user disable",
    "user enable",
    "user reset",
    "org add",
    "org mapping",
    "org list",
    "token create",
    "token revoke",
    "audit list",
    "linkage secret",  # tests/test_linkage_encode.py
    "linkage encode",
    "duplicates find",  # tests/test_linkage_find.py
    "duplicates review",
    "duplicates decide",
}


class _ConsoleScript(click.Command):
    """The `ctdhub` console script (`ctdhub.cli.main`) in the shape CliRunner invokes."""

    def main(self, *_: Any, **kwargs: Any) -> Any:
        return main(list(kwargs.get("args") or ()))


CTDHUB = _ConsoleScript("ctdhub")


def ctdhub(*args: str | Path) -> Result:
    """Run `ctdhub ARGS` in process, as a user would from a shell."""
    return CliRunner().invoke(CTDHUB, [str(a) for a in args], prog_name="ctdhub")


def succeeds(r: Result) -> Result:
    assert r.exit_code == 0, (r.output, r.exception)
    assert "Traceback" not in r.output and r.stderr == "", r.stderr
    return r


def one_json(r: Result) -> dict[str, Any]:
    """Exactly one JSON object on stdout, and a successful one."""
    succeeds(r)
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, r.stdout
    obj = json.loads(lines[0])
    assert isinstance(obj, dict) and obj["ok"] is True, obj
    return obj


def refused(r: Result, code: int | None, *words: str) -> str:
    """The command failed with exit `code` (None: 1 or 2), saying why in one sentence on stderr (no
    traceback, no internal error, nothing on stdout); the sentence holds `words`. Returns it."""
    assert r.exit_code == code if code is not None else r.exit_code in (1, 2), (r.exit_code, r.output)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output and r.stdout == "", r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("ctdhub: error: "), lines[0]
    message = lines[0].removeprefix("ctdhub: error: ")
    assert "internal error" not in message, message  # bad input or state, not a bug
    assert len(message.split()) >= 3, message
    for w in words:
        assert w in message, (w, message)
    return message


def _leaf_commands(group: click.Group, prefix: str = "") -> set[str]:
    out = set()
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out |= _leaf_commands(cmd, f"{prefix}{name} ")
        else:
            out.add(f"{prefix}{name}")
    return out


@pytest.fixture
def small_store(tmp_path: Path) -> tuple[Path, str]:
    """A store with one batch of the four invented cases (one quarantined): (store, batch id)."""
    hub, _ = init_store(tmp_path / "hub")
    r = ingest_file(hub, _cases(tmp_path), "test-org", SPEC)
    assert (r.rows_stored, r.rows_quarantined) == (3, 1)
    return hub.path, r.batch_id


def _cases(tmp_path: Path) -> Path:
    path = tmp_path / "cases.csv"
    path.write_text(CASES, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo_hub(demo_release: Path) -> Path:
    """The shared demo store holding release 0001 (read-only)."""
    return demo_release.parents[1]


@pytest.fixture
def demo_copy(demo_hub: Path, tmp_path: Path) -> Path:
    """A writable copy of the shared demo store, release 0001 included."""
    return copy_demo_store(demo_hub, tmp_path / "hub")


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working directory (commands that write a default file name write it there)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- the list of commands, --version, --help ------------------------------------------------------------


def test_every_command_is_listed_here() -> None:
    """A new command fails this test until it is added to COMMANDS and given tests below."""
    assert _leaf_commands(cli) == COMMANDS


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help(command: str) -> None:
    r = succeeds(ctdhub(*command.split(), "--help"))
    assert r.stdout.startswith(f"Usage: ctdhub {command} ")


def test_version_and_top_level_help() -> None:
    assert succeeds(ctdhub("--version")).stdout.strip() == f"ctdhub, version {__version__}"
    listed = succeeds(ctdhub()).stdout  # no command: the help, exit 0
    assert all(f"  {c.split()[0]} " in listed for c in COMMANDS)


def test_unknown_command_is_a_usage_error() -> None:
    refused(ctdhub("publish"), 2, "No such command 'publish'", "ctdhub --help")


def test_usage_error_with_json_prints_one_object_too() -> None:
    r = ctdhub("countries", "resolve", "--json")
    assert r.exit_code == 2 and r.stderr.startswith("ctdhub: error: Missing argument")
    obj = json.loads(r.stdout)
    assert (obj["ok"], obj["error"], obj["message"]) == (False, "UsageError", "Missing argument 'VALUES...'.")


# --- init, standard, countries --------------------------------------------------------------------------


def test_init(tmp_path: Path) -> None:
    store = tmp_path / "hub"
    first = one_json(ctdhub("init", "--store", store, "--json"))
    assert first["created"] is True and Path(first["database"]).is_file()
    again = succeeds(ctdhub("init", "--store", store)).stdout
    assert again.startswith(f"Found existing hub store at {store}")


def test_init_refuses_a_file_for_a_store(tmp_path: Path) -> None:
    (tmp_path / "hub").write_text("not a store", encoding="utf-8")
    refused(ctdhub("init", "--store", tmp_path / "hub"), 2, "--store", "is a file")


def test_standard_show() -> None:
    r = succeeds(ctdhub("standard", "show"))
    assert "quasi-identifiers:" in r.stdout and "flag families:" in r.stdout


def test_standard_show_takes_no_argument() -> None:
    refused(ctdhub("standard", "show", "all"), 2, "unexpected extra argument (all)")


def test_standard_export_to_stdout() -> None:
    r = succeeds(ctdhub("standard", "export", "--format", "markdown"))
    assert "yearOfRegistration" in r.stdout
    schema = one_json(ctdhub("standard", "export", "--format", "table-schema", "--json"))["schema"]
    assert "yearOfRegistration" in {f["name"] for f in schema["fields"]}


def test_standard_export_xlsx_needs_a_file() -> None:
    refused(ctdhub("standard", "export", "--format", "xlsx"), 2, "--out")


def test_countries_resolve() -> None:
    r = succeeds(ctdhub("countries", "resolve", "Côte d'Ivoire", "Atlantis"))
    lines = r.stdout.splitlines()
    assert lines[0].startswith('"Côte d\'Ivoire" -> CIV ') and "unresolved" in lines[1]


def test_countries_resolve_needs_a_value() -> None:
    refused(ctdhub("countries", "resolve"), 2, "Missing argument")


# --- ingest, quarantine, batch ----------------------------------------------------------------------------


def test_ingest(tmp_path: Path) -> None:
    for store in (tmp_path / "hub", tmp_path / "other"):
        init_store(store)
    args = ("ingest", _cases(tmp_path), "-c", "test-org", "-m", SPEC, "--store")
    r = one_json(ctdhub(*args, tmp_path / "hub", "--json"))
    assert (r["rows_read"], r["rows_stored"], r["rows_quarantined"]) == (4, 3, 1)
    text = succeeds(ctdhub(*args, tmp_path / "other")).stdout
    assert "4 rows read, 3 stored, 1 quarantined" in text and "'Femal' ×1" in text


def test_ingest_refuses_a_file_ingested_before(small_store: tuple[Path, str], tmp_path: Path) -> None:
    store, batch = small_store
    r = ctdhub("ingest", _cases(tmp_path), "-c", "test-org", "-m", SPEC, "--store", store)
    refused(r, 1, f"cases.csv was already ingested as batch {batch}", f"ctdhub batch revert {batch}")


def test_ingest_refuses_an_unknown_mapping(tmp_path: Path) -> None:
    init_store(tmp_path / "hub")
    r = ctdhub("ingest", _cases(tmp_path), "-c", "org", "-m", "no-such-spec", "--store", tmp_path / "hub")
    refused(r, 1, "no-such-spec", "no such mapping file or built-in spec")


def test_ingest_refuses_a_missing_store(tmp_path: Path) -> None:
    r = ctdhub("ingest", _cases(tmp_path), "-c", "org", "-m", SPEC, "--store", tmp_path / "nowhere")
    refused(r, 1, "There is no hub store at")


def test_quarantine_list(small_store: tuple[Path, str]) -> None:
    store, batch = small_store
    r = one_json(ctdhub("quarantine", "list", "--store", store, "--json"))
    assert r["rows"] == 1 and [b["batch_id"] for b in r["by_batch"]] == [batch]
    text = succeeds(ctdhub("quarantine", "list", "--store", store)).stdout
    assert text.startswith("1 open quarantined row(s).")


def test_quarantine_list_refuses_an_unknown_status(small_store: tuple[Path, str]) -> None:
    refused(ctdhub("quarantine", "list", "--status", "lost", "--store", small_store[0]), 2, "--status")


def test_quarantine_export(small_store: tuple[Path, str], tmp_path: Path) -> None:
    out = tmp_path / "fix.csv"
    r = one_json(ctdhub("quarantine", "export", "--out", out, "--store", small_store[0], "--json"))
    assert r["rows"] == 1 and "Femal" in out.read_text(encoding="utf-8")


def test_quarantine_export_needs_out(small_store: tuple[Path, str]) -> None:
    refused(ctdhub("quarantine", "export", "--store", small_store[0]), 2, "Missing option '--out'")


def test_quarantine_resubmit(small_store: tuple[Path, str], tmp_path: Path) -> None:
    store = small_store[0]
    out = tmp_path / "fix.csv"
    succeeds(ctdhub("quarantine", "export", "--out", out, "--store", store))
    out.write_text(out.read_text(encoding="utf-8").replace("Femal", "F"), encoding="utf-8")
    r = one_json(ctdhub("quarantine", "resubmit", out, "--store", store, "--json"))
    assert (r["rows_read"], r["rows_stored"], r["rows_quarantined"]) == (1, 1, 0)
    assert one_json(ctdhub("quarantine", "list", "--store", store, "--json"))["rows"] == 0


def test_quarantine_resubmit_refuses_a_file_that_is_no_export(
    small_store: tuple[Path, str], tmp_path: Path
) -> None:
    r = ctdhub("quarantine", "resubmit", _cases(tmp_path), "--store", small_store[0])
    refused(r, 1, "cases.csv", "not a quarantine export")


def test_batch_list_and_show(small_store: tuple[Path, str]) -> None:
    store, batch = small_store
    listed = one_json(ctdhub("batch", "list", "--store", store, "--json"))["batches"]
    assert [b["batch_id"] for b in listed] == [batch]
    assert succeeds(ctdhub("batch", "list", "--store", store)).stdout.startswith(batch)
    shown = one_json(ctdhub("batch", "show", batch, "--store", store, "--json"))
    assert shown["batch"]["batch_id"] == batch and "gender" in shown["collected_fields"]
    assert f"batch_id: {batch}" in succeeds(ctdhub("batch", "show", batch, "--store", store)).stdout


def test_batch_list_refuses_a_missing_store(tmp_path: Path) -> None:
    refused(ctdhub("batch", "list", "--store", tmp_path / "nowhere"), 1, "There is no hub store at")


def test_batch_show_refuses_an_unknown_batch(small_store: tuple[Path, str]) -> None:
    refused(ctdhub("batch", "show", "b-0000", "--store", small_store[0]), 1, "There is no batch 'b-0000'")


def test_batch_revert(small_store: tuple[Path, str]) -> None:
    store, batch = small_store
    r = succeeds(ctdhub("batch", "revert", batch, "--store", store))
    assert r.stdout.strip() == f"Reverted {batch}: 3 case(s) removed."
    assert one_json(ctdhub("batch", "list", "--store", store, "--json"))["batches"][0]["status"] == "reverted"


def test_batch_approve_lets_a_pending_upload_into_releases(tmp_path: Path) -> None:
    hub, _ = init_store(tmp_path / "hub")
    r = ingest_file(hub, _cases(tmp_path), "test-org", SPEC, status="pending")
    refused(ctdhub("batch", "approve", "b-0000", "--store", hub.path), 1, "There is no batch 'b-0000'")
    assert succeeds(ctdhub("batch", "approve", r.batch_id, "--store", hub.path)).stdout.strip() == (
        f"Approved {r.batch_id} for the next release."
    )
    refused(ctdhub("batch", "approve", r.batch_id, "--store", hub.path), 1, "is active, not waiting")
    actions = [
        e["action"] for e in one_json(ctdhub("audit", "list", "--store", hub.path, "--json"))["entries"]
    ]
    assert actions == ["batch.approve"]


def test_org_and_token_commands(tmp_path: Path) -> None:
    store = init_store(tmp_path / "hub")[0].path
    succeeds(ctdhub("org", "add", "harbour-ngo", "--store", store))
    refused(ctdhub("org", "add", "Harbour NGO", "--store", store), 2, "not a usable organisation name")
    refused(ctdhub("org", "mapping", "harbour-ngo", "no-such-spec", "--store", store), 1, "no-such-spec")
    succeeds(ctdhub("org", "mapping", "harbour-ngo", str(SPEC), "--store", store))
    assert "mapping set" in succeeds(ctdhub("org", "list", "--store", store)).stdout
    succeeds(ctdhub("user", "add", "cleo", "--role", "contributor", "--org", "harbour-ngo", "--store", store))
    token = one_json(ctdhub("token", "create", "cleo", "--store", store, "--json"))["token"]
    token_id = token.split("_")[1]
    assert (
        succeeds(ctdhub("token", "revoke", token_id, "--store", store)).stdout.strip()
        == f"Revoked token {token_id}."
    )
    refused(ctdhub("token", "revoke", token_id, "--store", store), 2, "no live token")
    succeeds(ctdhub("user", "disable", "cleo", "--store", store))
    assert succeeds(ctdhub("user", "enable", "cleo", "--store", store)).stdout.strip() == "Enabled cleo."
    listed = one_json(ctdhub("user", "list", "--store", store, "--json"))["users"]
    assert [(u["name"], u["disabled"]) for u in listed] == [("cleo", False)]


def test_batch_revert_refuses_an_unknown_batch(small_store: tuple[Path, str]) -> None:
    refused(ctdhub("batch", "revert", "b-0000", "--store", small_store[0]), 1, "There is no batch 'b-0000'")


# --- mapping ----------------------------------------------------------------------------------------------


def test_mapping_suggest(tmp_path: Path) -> None:
    out = tmp_path / "draft.yaml"
    r = succeeds(ctdhub("mapping", "suggest", _cases(tmp_path), "--out", out, "--name", "new-org"))
    assert r.stdout.startswith(f"Wrote draft {out}: ") and "spec: new-org" in out.read_text(encoding="utf-8")
    printed = succeeds(ctdhub("mapping", "suggest", _cases(tmp_path), "--name", "new-org")).stdout
    assert "spec: new-org" in printed


def test_mapping_suggest_refuses_a_missing_file(tmp_path: Path) -> None:
    refused(ctdhub("mapping", "suggest", tmp_path / "none.csv"), 1, "none.csv", "no such file")


def test_mapping_check_refuses_an_unknown_spec(tmp_path: Path) -> None:
    refused(ctdhub("mapping", "check", "no-such-spec", _cases(tmp_path)), 1, "no-such-spec")


def test_mapping_check_through_the_entry_point(tmp_path: Path) -> None:
    r = one_json(ctdhub("mapping", "check", SPEC, _cases(tmp_path), "--json"))
    assert (r["rows"], r["rows_would_be_stored"], r["rows_would_be_quarantined"]) == (4, 3, 1)


def test_mapping_list() -> None:
    names = [s["name"] for s in one_json(ctdhub("mapping", "list", "--json"))["builtin"]]
    assert "htcds" in names
    assert succeeds(ctdhub("mapping", "list")).stdout.count("\n") == len(names)


def test_mapping_list_takes_no_argument() -> None:
    refused(ctdhub("mapping", "list", "htcds"), 2, "unexpected extra argument (htcds)")


# --- demo -------------------------------------------------------------------------------------------------


def test_demo_generate(tmp_path: Path) -> None:
    r = one_json(ctdhub("demo", "generate", "--rows", "60", "--dir", tmp_path / "files", "--json"))
    files = r["files"]
    assert len(files) == 3 and sum(f["rows"] for f in files) == 60
    assert all(Path(f["path"]).is_file() for f in files)


def test_demo_generate_refuses_too_few_rows(tmp_path: Path) -> None:
    refused(ctdhub("demo", "generate", "--rows", "5", "--dir", tmp_path), 2, "--rows", "x>=10")


def test_demo_run_builds_a_hub_and_a_release(tmp_path: Path) -> None:
    """(Moved here from test_cli.py, in process.) The whole demo without serving, then the commands that
    read what it built."""
    args = ("demo", "run", "--rows", "1500", "--dir", tmp_path / "demo", "--no-serve", "--json")
    obj = one_json(ctdhub(*args))
    assert obj["release_id"] == "0001" and Path(obj["briefing"]).is_file()
    ingests = obj["ingests"]
    assert isinstance(ingests, list) and len(ingests) == 3
    for rep in ingests:
        assert rep["rows_read"] == rep["rows_stored"] + rep["rows_quarantined"]
    store = tmp_path / "demo" / "hub"
    listed = one_json(ctdhub("release", "list", "--store", store, "--json"))
    assert [x["release_id"] for x in listed["releases"]] == ["0001"]
    q = one_json(ctdhub("quarantine", "list", "--store", store, "--json"))
    assert q["rows"] == sum(rep["rows_quarantined"] for rep in ingests)
    out = tmp_path / "fix.csv"
    e = one_json(ctdhub("quarantine", "export", "--out", out, "--store", store, "--json"))
    assert e["rows"] == q["rows"] and out.exists()
    b = one_json(ctdhub("batch", "list", "--store", store, "--json"))
    assert len(b["batches"]) == 3


def test_demo_run_refuses_a_directory_that_is_no_demo(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    refused(ctdhub("demo", "run", "--dir", tmp_path, "--no-serve"), 1, "is not a demo hub", "--dir")
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"


# --- release ----------------------------------------------------------------------------------------------


def test_release_list_show_and_diff(demo_hub: Path) -> None:
    listed = one_json(ctdhub("release", "list", "--store", demo_hub, "--json"))
    assert [r["release_id"] for r in listed["releases"]] == ["0001"] and len(listed["ledger"]) == 1
    text = succeeds(ctdhub("release", "list", "--store", demo_hub)).stdout
    assert text.startswith("0001 ") and "published" in text and "Privacy ledger: 1 release(s)" in text
    shown = one_json(ctdhub("release", "show", "0001", "--store", demo_hub, "--json"))
    assert shown["release_id"] == "0001" and shown["path"] == str(demo_hub / "releases" / "0001")
    printed = succeeds(ctdhub("release", "show", "0001", "--store", demo_hub)).stdout
    assert json.loads(printed)["release_id"] == "0001"
    diff = succeeds(ctdhub("release", "diff", "0001", "--store", demo_hub)).stdout
    assert diff.startswith("First release: there is no previous release")


def test_release_list_refuses_a_missing_store(tmp_path: Path) -> None:
    refused(ctdhub("release", "list", "--store", tmp_path / "nowhere"), 1, "There is no hub store at")


@pytest.mark.parametrize("command", ["show", "diff"])
def test_release_show_and_diff_refuse_an_unknown_release(demo_hub: Path, command: str) -> None:
    refused(ctdhub("release", command, "0042", "--store", demo_hub), 1, "There is no release '0042'", "0001")


def test_release_create_diff_and_withdraw(demo_copy: Path, tmp_path: Path) -> None:
    """On a copy of the demo store: a second release, its difference from the first, its withdrawal."""
    store = demo_copy
    policy = tmp_path / "policy.yaml"
    policy.write_text(DEMO_POLICY, encoding="utf-8")
    created = one_json(ctdhub("release", "create", "--policy", policy, "--store", store, "--json"))
    assert created["release_id"] == "0002" and (store / "releases" / "0002" / "release.json").is_file()
    diff = one_json(ctdhub("release", "diff", "0002", "--store", store, "--json"))["diff"]
    assert diff["total"]["change"] is not None
    assert succeeds(ctdhub("release", "diff", "0002", "--store", store)).stdout.strip()
    r = succeeds(ctdhub("release", "withdraw", "0002", "--reason", "a test withdrawal", "--store", store))
    assert r.stdout.strip() == "Release 0002 withdrawn: a test withdrawal"
    listed = one_json(ctdhub("release", "list", "--store", store, "--json"))["releases"]
    assert [x["status"] for x in listed] == ["published", "withdrawn"]
    again = ctdhub("release", "withdraw", "0002", "--reason", "again", "--store", store)
    refused(again, 1, "Release 0002 was already withdrawn")


def test_release_create_refuses_a_missing_policy(demo_copy: Path, tmp_path: Path) -> None:
    r = ctdhub("release", "create", "--policy", tmp_path / "none.yaml", "--store", demo_copy)
    refused(r, 1, "none.yaml", "policy file not found")
    assert sorted(p.name for p in (demo_copy / "releases").iterdir()) == ["0001"]


def test_release_create_refuses_an_empty_store(tmp_path: Path) -> None:
    init_store(tmp_path / "hub")
    r = ctdhub("release", "create", "--store", tmp_path / "hub")
    refused(r, 1, "The store holds no cases to release")


def test_release_withdraw_needs_a_reason(demo_copy: Path) -> None:
    refused(ctdhub("release", "withdraw", "0001", "--store", demo_copy), 2, "Missing option '--reason'")
    refused(ctdhub("release", "withdraw", "0001", "--reason", " ", "--store", demo_copy), 1, "--reason")
    assert not (demo_copy / "releases" / "0001" / "withdrawn.json").exists()


# --- briefing ---------------------------------------------------------------------------------------------


def test_briefing(demo_hub: Path, cwd: Path) -> None:
    r = one_json(
        ctdhub("briefing", "--years", "2020-2024", "--format", "html", "--store", demo_hub, "--json")
    )
    path = cwd / "briefing-0001-2020-2024-en.html"  # the default name, in the working directory
    assert r["path"] == "briefing-0001-2020-2024-en.html" and r["restricted"] is False and r["cases"] > 0
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    out = succeeds(ctdhub("briefing", "--format", "json", "--lang", "fr", "--out", "-", "--store", demo_hub))
    assert json.loads(out.stdout)["lang"] == "fr"
    args = ("--exact", "--format", "json", "--out", cwd / "x.json", "--store", demo_hub, "--json")
    exact = one_json(ctdhub("briefing", *args))
    assert exact["restricted"] is True and (cwd / "x.json").is_file()
    assert "eu " in succeeds(ctdhub("briefing", "--list-groupings")).stdout


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--exploitation-country", "Narnia"], 2, "'Narnia' is not a known country"),
        (["--years", "1999"], 1, "too few for a briefing"),
        (["--format", "pdf", "--out", "-"], 2, "give a file for PDF"),
        (["--release", "0042"], 1, "There is no release '0042'"),
    ],
)
def test_briefing_refusals(demo_hub: Path, cwd: Path, args: list[str], code: int, words: str) -> None:
    refused(ctdhub("briefing", *args, "--store", demo_hub), code, words)
    assert list(cwd.iterdir()) == []  # nothing written


# --- serve: never left to serve ---------------------------------------------------------------------------


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """uvicorn.run replaced by a recorder: `serve` returns where it would have started serving."""
    import uvicorn

    from ctdhub.publish.app import ENV_RELEASE, ENV_RELEASES

    for name in (ENV_RELEASES, ENV_RELEASE):  # `serve --workers N` sets these; restored after the test
        monkeypatch.setenv(name, "")
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append((a, kw)))
    return calls


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_starts_the_server_it_announces(
    demo_hub: Path, no_server: list[tuple[tuple[Any, ...], dict[str, Any]]]
) -> None:
    from fastapi import FastAPI

    from ctdhub.publish.app import ENV_RELEASE, ENV_RELEASES

    port = _free_port()
    r = ctdhub("serve", "--port", str(port), "--release", "0001", "--store", demo_hub)
    assert r.exit_code == 0, r.output
    announced = f"Serving {demo_hub / 'releases'} on http://127.0.0.1:{port}/ (API docs: /api/docs)"
    assert r.stderr.strip() == announced
    (args, kw), *_ = no_server
    assert isinstance(args[0], FastAPI) and (kw["host"], kw["port"]) == ("127.0.0.1", port)
    r = ctdhub("serve", "--port", str(port), "--workers", "2", "--store", demo_hub)
    assert r.exit_code == 0, r.output
    args, kw = no_server[1]
    assert args == ("ctdhub.publish.app:app_from_env",) and kw["workers"] == 2 and kw["factory"] is True
    assert os.environ[ENV_RELEASES] == str(demo_hub / "releases") and os.environ[ENV_RELEASE] == ""


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--port", "0"], 2, "'--port': 0 is not in the range 1<=x<=65535"),
        (["--workers", "0"], 2, "'--workers'"),
        (["--release", "0042"], 1, "There is no release '0042'"),
    ],
)
def test_serve_refusals(
    demo_hub: Path,
    no_server: list[tuple[tuple[Any, ...], dict[str, Any]]],
    args: list[str],
    code: int,
    words: str,
) -> None:
    refused(ctdhub("serve", *args, "--store", demo_hub), code, words)
    assert no_server == []


# --- bugs found while writing these tests (fixed) --------------------------------------------------------


def test_quarantine_list_refuses_a_negative_limit(small_store: tuple[Path, str]) -> None:
    refused(ctdhub("quarantine", "list", "--limit", "-1", "--store", small_store[0]), None, "--limit")


@pytest.mark.parametrize("command", ["standard export --format markdown", "mapping suggest CASES"])
def test_an_out_file_in_a_missing_folder_is_written_or_refused(tmp_path: Path, command: str) -> None:
    """Like `quarantine export`, `briefing` and `standard export --format xlsx`, these create the folder."""
    out = tmp_path / "no" / "such" / "folder" / "out.txt"
    args = [str(_cases(tmp_path)) if a == "CASES" else a for a in command.split()]
    r = ctdhub(*args, "--out", out)
    if r.exit_code == 0:
        assert out.is_file()
    else:
        refused(r, None, str(out))


@pytest.mark.parametrize("command", ["init --store", "demo generate --rows 30 --dir"])
def test_a_directory_below_a_file_is_refused(tmp_path: Path, command: str) -> None:
    (tmp_path / "file").write_text("a file, not a folder", encoding="utf-8")
    refused(ctdhub(*command.split(), tmp_path / "file" / "hub"), None, "file")


@pytest.mark.parametrize("exact", [False, True])
def test_briefing_without_a_release_is_the_same_refusal_with_or_without_exact(
    tmp_path: Path, exact: bool
) -> None:
    """`briefing --exact` used to exit 2 (a usage error) where `briefing` exits 1 for the same hub state."""
    succeeds(ctdhub("init", "--store", tmp_path / "hub"))
    args = ["briefing", "--store", tmp_path / "hub", *(["--exact"] if exact else [])]
    refused(ctdhub(*args), 1, "No release has been published yet")
