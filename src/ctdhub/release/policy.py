"""Release policies: the privacy and publication settings of a release, as a YAML file validated by a schema.

Defaults follow CTDC practice: k = 10 over the standard's quasi-identifiers, ε = 4 and δ = 1e-6 for the
synthetic data, a suppression threshold of 10 for aggregate tables.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdhub.errors import ConfigError, ConfigProblem
from ctdhub.standard import Standard, load_standard
from ctdhub.yamlconf import line_of, load_schema, load_yaml_text, plain, validate

DEFAULT_LICENCE = (
    "Creative Commons Attribution 4.0 International (CC BY 4.0). The data describe identified cases of "
    "human trafficking reported by the contributing organisations; they do not measure prevalence."
)


@dataclass(frozen=True)
class Policy:
    name: str = "default"
    title: str = "Counter-trafficking data hub release"
    description: str = ""
    publisher: str = "ctdhub"
    licence: str = DEFAULT_LICENCE
    citation: str = ""
    contributors: tuple[str, ...] = ()
    kanon_enabled: bool = True
    k: int = 10
    quasi_identifiers: tuple[str, ...] = ()
    max_suppression: float = 0.05
    synthetic_enabled: bool = True
    epsilon: float = 4.0
    delta: float = 1e-6
    seed: int | None = None
    threshold: int = 10
    rounding: int | None = None
    formats: tuple[str, ...] = ("csv", "xlsx", "parquet")
    source: str = "built-in default"
    sha256: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.name,
            "source": self.source,
            "contributors": list(self.contributors) or "all",
            "kanon": {
                "enabled": self.kanon_enabled,
                "k": self.k,
                "quasi_identifiers": list(self.quasi_identifiers),
                "max_suppression": self.max_suppression,
            },
            "synthetic": {"enabled": self.synthetic_enabled, "epsilon": self.epsilon, "delta": self.delta},
            "aggregates": {"threshold": self.threshold, "rounding": self.rounding},
            "formats": list(self.formats),
        }


def default_policy(std: Standard | None = None) -> Policy:
    std = std or load_standard()
    return Policy(quasi_identifiers=tuple(std.quasi_identifiers))


def parse_policy(text: str, source: str, std: Standard | None = None) -> Policy:
    std = std or load_standard()
    doc = load_yaml_text(text, source)
    validate(doc, load_schema("ctdhub.release", "policy.schema.json"), source)
    d: dict[str, Any] = plain(doc)
    kan = d.get("kanon") or {}
    syn = d.get("synthetic") or {}
    agg = d.get("aggregates") or {}
    qis = tuple(kan.get("quasi_identifiers") or std.quasi_identifiers)
    problems = [
        ConfigProblem(
            source,
            line_of(doc, ["kanon", "quasi_identifiers", i]),
            f"kanon.quasi_identifiers.{i}",
            f"'{q}' is not a field of the standard",
        )
        for i, q in enumerate(qis)
        if not std.has_field(q)
    ]
    if problems:
        raise ConfigError(problems)
    base = default_policy(std)
    return Policy(
        name=d["policy"],
        title=d.get("title", base.title),
        description=d.get("description", ""),
        publisher=d.get("publisher", base.publisher),
        licence=d.get("licence", base.licence),
        citation=d.get("citation", ""),
        contributors=tuple(d.get("contributors") or ()),
        kanon_enabled=bool(kan.get("enabled", True)),
        k=int(kan.get("k", base.k)),
        quasi_identifiers=qis,
        max_suppression=float(kan.get("max_suppression", base.max_suppression)),
        synthetic_enabled=bool(syn.get("enabled", True)),
        epsilon=float(syn.get("epsilon", base.epsilon)),
        delta=float(syn.get("delta", base.delta)),
        seed=syn.get("seed"),
        threshold=int(agg.get("threshold", base.threshold)),
        rounding=agg.get("rounding"),
        formats=tuple(d.get("formats") or base.formats),
        source=source,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        raw=d,
    )


def load_policy(path: str | Path | None, std: Standard | None = None) -> Policy:
    if path is None:
        return default_policy(std)
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(p), None, "", "policy file not found")]) from None
    return parse_policy(text, str(p), std)
