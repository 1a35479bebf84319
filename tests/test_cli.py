"""The CLI contract: `--json` prints exactly one JSON object; errors are one sentence with exit 1 or 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ctdhub import __version__


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctdhub", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def one_json(out: str) -> dict[str, object]:
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    obj = json.loads(lines[0])
    assert isinstance(obj, dict)
    return obj


def test_version() -> None:
    r = run("--version")
    assert r.returncode == 0
    assert __version__ in r.stdout


def test_init_creates_store_and_is_idempotent(tmp_path: Path) -> None:
    store = tmp_path / "hub"
    r = run("init", "--store", str(store), "--json")
    assert r.returncode == 0, r.stderr
    obj = one_json(r.stdout)
    assert obj["ok"] is True and obj["created"] is True
    assert (store / "hub.duckdb").exists()
    again = one_json(run("init", "--store", str(store), "--json").stdout)
    assert again["created"] is False


def test_store_from_environment(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, CTDHUB_STORE=str(tmp_path / "envhub"))
    obj = one_json(run("init", "--json", env=env).stdout)
    assert obj["store"].endswith("envhub")  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["table-schema", "markdown", "xlsx"])
def test_standard_export(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"std.{fmt}"
    r = run("standard", "export", "--format", fmt, "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    obj = one_json(r.stdout)
    assert obj["ok"] is True
    assert out.exists() and out.stat().st_size > 1000


def test_standard_show_json() -> None:
    obj = one_json(run("standard", "show", "--json").stdout)
    assert obj["version"] == "1.0"


def test_countries_resolve_json() -> None:
    obj = one_json(run("countries", "resolve", "Ivory Coast", "Atlantis", "--json").stdout)
    results = obj["results"]
    assert isinstance(results, list)
    assert results[0]["iso3"] == "CIV"
    assert results[1]["iso3"] is None


def test_usage_error_exit_2_one_sentence() -> None:
    r = run("standard", "export", "--format", "pdf")
    assert r.returncode == 2
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ctdhub: error:")
    assert "Traceback" not in r.stderr


def test_usage_error_with_json_prints_one_object() -> None:
    r = run("standard", "export", "--format", "pdf", "--json")
    assert r.returncode == 2
    assert one_json(r.stdout)["ok"] is False


def test_failure_exit_1(tmp_path: Path) -> None:
    r = run("batch", "list", "--store", str(tmp_path / "nowhere"), "--json")
    assert r.returncode == 1
    obj = one_json(r.stdout)
    assert obj["ok"] is False
    assert "Traceback" not in r.stderr


def test_serve_errors_are_one_sentence_before_serving(tmp_path: Path) -> None:
    import socket

    from click.testing import CliRunner

    from ctdhub.cli import cli

    runner = CliRunner()
    r = runner.invoke(cli, ["serve", "--store", str(tmp_path / "missing")])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.output.startswith("ctdhub: error:") and len(r.output.strip().splitlines()) == 1
    store = tmp_path / "hub"
    assert runner.invoke(cli, ["init", "--store", str(store)]).exit_code == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = runner.invoke(cli, ["serve", "--store", str(store), "--port", str(port)])
    assert r.exit_code == 1 and "Serving" not in r.output, r.output
    assert f"cannot listen on 127.0.0.1:{port}" in r.output
