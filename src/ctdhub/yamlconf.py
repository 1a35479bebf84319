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


def load_yaml_text(text: str, source: str) -> Any:
    """Parse YAML text (round-trip mode, so line numbers are kept); syntax errors become ConfigError."""
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError([ConfigProblem(source, line, "", f"YAML syntax error: {exc.problem}")]) from None


def load_yaml_file(path: str | Path) -> Any:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(p), None, "", "file not found")]) from None
    except UnicodeDecodeError:
        raise ConfigError([ConfigProblem(str(p), None, "", "file is not UTF-8 text")]) from None
    return load_yaml_text(text, str(p))


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


def validate(doc: Any, schema: Mapping[str, Any], source: str) -> None:
    """Validate a parsed document; raise ConfigError listing every problem with file, line and field."""
    validator = jsonschema.Draft202012Validator(schema)
    problems: list[ConfigProblem] = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(err.absolute_path)
        message = err.message
        if err.validator == "additionalProperties":
            message = f"unknown key: {message.split('(')[-1].rstrip(')')}"
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
