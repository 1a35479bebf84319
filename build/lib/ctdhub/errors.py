"""User-facing error types: each carries one readable sentence, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class CtdhubError(Exception):
    """A failure the user can act on. `str(err)` is one readable sentence."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"

    def to_dict(self) -> dict[str, object]:
        return {"error": type(self).__name__, "message": str(self)}


class UsageError(CtdhubError):
    """The command was called wrongly (bad option combination, missing argument)."""

    exit_code = 2


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a YAML configuration file, located by file, line and key path."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line is not None else self.file
        field = f", field '{self.field}'" if self.field else ""
        return f"{where}{field}: {self.message}"


class ConfigError(CtdhubError):
    """A configuration file (mapping, policy, release settings) is invalid."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else "invalid configuration"
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(first + more)

    def to_dict(self) -> dict[str, object]:
        return {
            "error": "ConfigError",
            "message": str(self),
            "problems": [
                {"file": p.file, "line": p.line, "field": p.field, "message": p.message}
                for p in self.problems
            ],
        }
