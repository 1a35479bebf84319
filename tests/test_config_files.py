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


@pytest.mark.parametrize("loader", [load_policy, load_spec])
def test_a_file_that_is_not_a_config_is_not_echoed(tmp_path: Path, loader) -> None:
    """`-m /etc/passwd` used to print the whole file back in the error."""
    p = tmp_path / "passwd"
    secret = "root:x:0:0:root:/root:/bin/bash"
    p.write_text("\n".join([secret] * 200) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mapping") as err:
        loader(p)
    assert secret not in str(err.value) and len(str(err.value)) < 300


SPEC_WITH_CONSTANT = """spec: t
version: '1'
standard: '1.0'
source: {{format: csv}}
constants:
  CountryOfExploitation: {value}
columns:
  Gender: {{field: gender, values: {{F: Female}}}}
"""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("'<script>alert(1)</script>'", "is not an ISO 3166 alpha-3 country code$"),
        ("Ukraine", r"is not an ISO 3166 alpha-3 country code \(write 'UKR'\)"),
    ],
)
def test_a_country_constant_must_be_a_country_code(tmp_path: Path, value: str, message: str) -> None:
    """A constant is stored as written, so it was a way round country validation (and into the API)."""
    p = tmp_path / "constant-country.yaml"
    p.write_text(SPEC_WITH_CONSTANT.format(value=value), encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        load_spec(p)
    assert "line 6" in str(err.value) and "constants.CountryOfExploitation" in str(err.value)
    p.write_text(SPEC_WITH_CONSTANT.format(value="UKR"), encoding="utf-8")
    assert load_spec(p).constants["CountryOfExploitation"] == "UKR"


def test_every_builtin_and_demo_spec_loads() -> None:
    """Built-in specs are only loaded when a user names them: a broken one must fail here, not there."""
    from importlib import resources

    from ctdhub.mapping.spec import builtin_specs

    dirs = [
        Path(str(resources.files("ctdhub.mapping") / "builtin")),
        Path(str(resources.files("ctdhub.demo") / "specs")),
    ]
    files = [f for d in dirs for f in sorted(d.glob("*.yaml"))]
    assert len(files) >= 8
    for f in files:
        assert load_spec(f).name
    assert set(builtin_specs()) >= {"htcds", "htcds-xlsform", "ctdc-synthetic", "ctdc-kanon"}


IDENTIFIER_SPEC = """spec: t
version: '1'
standard: '1.0'
source: {{format: csv}}
columns:
  Full name: {{field: gender, values: {{F: Female}}{extra}}}
  Date of birth: {{derive: age_from_birthdate, reference: Registered}}
  Registered: {{field: yearOfRegistration, derive: year}}
"""


def test_an_identifier_column_needs_an_acknowledgement_to_be_mapped(tmp_path: Path) -> None:
    """Its values would reach quarantine rows, exports and finding messages."""
    p = tmp_path / "name-mapped.yaml"
    p.write_text(IDENTIFIER_SPEC.format(extra=""), encoding="utf-8")
    with pytest.raises(ConfigError, match="'Full name' looks like a direct identifier") as err:
        load_spec(p)
    assert "line 6" in str(err.value) and "Date of birth" not in str(err.value)  # deriving keeps no value
    p.write_text(IDENTIFIER_SPEC.format(extra=", identifier_ok: true"), encoding="utf-8")
    assert load_spec(p).columns["Full name"].field == "gender"
