"""Load declarative YAML configuration and validate it against a JSON Schema.

Errors name the file, the line and the key path (e.g. `columns.Sex.values`), so a data officer
can fix a mapping or policy file without reading code.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from ctdhub.errors import ConfigError, ConfigProblem


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    return y


MAX_CONFIG_BYTES = 2_000_000  # a spec or policy is a few kilobytes; the largest built-in is under 100 KB
MAX_NODES = 200_000  # values after expanding aliases (a YAML "billion laughs" expands to billions)
MAX_DEPTH = 50


def read_config_text(path: str | Path, what: str, hint: str = "") -> str:
    """The text of a configuration file (`what`: "mapping file", "policy file"), or a ConfigError that says
    why it cannot be read: missing, a directory, unreadable, too large, not UTF-8."""
    p = Path(path)

    def fail(message: str) -> ConfigError:
        return ConfigError([ConfigProblem(str(p), None, "", message + (f" ({hint})" if hint else ""))])

    try:
        if p.is_dir():
            raise fail(f"{what} is a directory, not a file")
        size = p.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise fail(
                f"{what} is {size / 1e6:.1f} MB; a configuration file is at most {MAX_CONFIG_BYTES // 1_000_000} MB"
            )
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail(f"{what} not found") from None
    except PermissionError:
        raise fail(f"{what} cannot be read (permission denied)") from None
    except UnicodeDecodeError as err:
        raise fail(f"{what} is not UTF-8 text (byte {err.start})") from None


def _check_size(doc: Any, source: str) -> None:
    """Refuse a document that is nested too deeply or whose aliases expand to too many values."""
    sizes: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise ConfigError(
                [ConfigProblem(source, None, "", f"the YAML is nested more than {MAX_DEPTH} levels deep")]
            )
        if not isinstance(node, (dict, list)):
            return 1
        known = sizes.get(id(node))
        if known is not None:  # an alias: counted again, as a reader expanding it would
            return known
        children = node.values() if isinstance(node, dict) else node
        total = 1 + sum(size(c, depth + 1) for c in children)
        sizes[id(node)] = total
        if total > MAX_NODES:
            raise ConfigError(
                [
                    ConfigProblem(
                        source, None, "", f"the YAML expands to more than {MAX_NODES:,} values (aliases)"
                    )
                ]
            )
        return total

    size(doc, 0)


def load_yaml_text(text: str, source: str) -> Any:
    """Parse YAML text (round-trip mode, so line numbers are kept); syntax errors, documents nested too
    deeply and alias bombs become ConfigError."""
    try:
        doc = _yaml().load(text)
    except RecursionError:
        raise ConfigError([ConfigProblem(source, None, "", "the YAML is nested too deeply")]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError([ConfigProblem(source, line, "", f"YAML syntax error: {exc.problem}")]) from None
    _check_size(doc, source)
    return doc


def line_of(doc: Any, path: list[str | int]) -> int | None:
    """Best-effort 1-based line number of the node at `path` in a round-trip YAML document."""
    node = doc
    line: int | None = None
    for key in path:
        if isinstance(node, CommentedMap) and key in node:
            with contextlib.suppress(KeyError, TypeError):
                line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            with contextlib.suppress(KeyError, TypeError):
                line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    if line is None and isinstance(doc, CommentedMap | CommentedSeq):
        line = doc.lc.line + 1
    return line


def dotted(path: list[str | int]) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def load_schema(package: str, name: str) -> dict[str, Any]:
    data = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(data)
    return schema


MAX_MESSAGE = 200  # characters of one problem's message (a value quoted in it is cut)
_KIND_NAMES = {
    "object": "a mapping (key: value)",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "null" if value is None else "string"


def _kinds(kinds: Any) -> str:
    names = [kinds] if isinstance(kinds, str) else list(kinds)
    return " or ".join(_KIND_NAMES.get(k, str(k)) for k in names)


def validate(doc: Any, schema: Mapping[str, Any], source: str) -> None:
    """Validate a parsed document; raise ConfigError listing every problem with file, line and field."""
    validator = jsonschema.Draft202012Validator(schema)
    problems: list[ConfigProblem] = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(err.absolute_path)
        message = err.message
        if err.validator == "additionalProperties":
            message = f"unknown key: {message.split('(')[-1].rstrip(')')}"
        elif err.validator == "type":  # never echo the value itself: it may be a whole file given by mistake
            message = f"expected {_kinds(err.validator_value)}, got {_kinds(_json_type(err.instance))}"
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        problems.append(ConfigProblem(source, line_of(doc, path), dotted(path), message))
    if problems:
        raise ConfigError(problems)


def plain(doc: Any) -> Any:
    """Convert ruamel round-trip containers to plain dicts and lists."""
    if isinstance(doc, Mapping):
        return {str(k): plain(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [plain(v) for v in doc]
    return doc
