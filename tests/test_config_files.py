"""Specs and policies that cannot be read are refused with a sentence naming the file, never a traceback,
and in bounded time and memory (alias bombs, deep nesting)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctdhub.errors import ConfigError
from ctdhub.mapping import load_spec
from ctdhub.release.policy import load_policy

BOMB = "policy: b\na: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{','.join(['*' + p] * 10)}]\n" for p, n in zip("abcdef", "bcdefg", strict=True)
)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("alias-bomb.yaml", BOMB.encode(), "expands to more than"),
        ("deep.yaml", b"policy: d\nx: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested"),
        ("latin1.yaml", "policy: café\n".encode("latin-1"), "not UTF-8 text"),
        ("huge.yaml", b"# " + b"x" * 3_000_000 + b"\n", "configuration file is at most"),
    ],
)
@pytest.mark.parametrize("loader", [load_policy, load_spec])
def test_unreadable_config_is_one_sentence(tmp_path: Path, loader, name: str, content: bytes, message: str):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as err:
        loader(p)
    assert str(p) in str(err.value) and "\n" not in str(err.value).strip()


@pytest.mark.parametrize("loader", [load_policy, load_spec])
def test_missing_or_directory(tmp_path: Path, loader) -> None:
    with pytest.raises(ConfigError, match="not found"):
        loader(tmp_path / "nowhere.yaml")
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        loader(tmp_path / "dir.yaml")


def test_a_missing_policy_says_the_flag_is_optional(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--policy is optional"):
        load_policy(tmp_path / "policy.yaml")
