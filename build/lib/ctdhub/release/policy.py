"""Release policies: the privacy and publication settings of a release, as a YAML file validated by a schema.

Defaults: every public number comes from one differentially private model measured at ε = 4, δ = 1e-6
per release (CTDC's own setting for its synthetic data), under a lifetime budget of ε = 12 for the hub
(about six releases at the default ε, composed in zCDP); estimates below 10 read "fewer than 10".
When records carry a person key (see the mapping's `person_key`), at most `privacy.max_records_per_person`
(default 1) records of each person are measured, and the noise is scaled so that the guarantee holds for
the person. k-anonymised microdata are off by default: real records, however generalised, cannot survive comparison
of two releases a few records apart. A policy may switch them on, knowingly.

A fixed random seed is refused: it would make the noise of every release the same, so the difference
between two releases would show the records added in between.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdhub.errors import ConfigError, ConfigProblem
from ctdhub.standard import Standard, load_standard
from ctdhub.yamlconf import line_of, load_schema, load_yaml_text, plain, read_config_text, validate

DEFAULT_LICENCE = (
    "Creative Commons Attribution 4.0 International (CC BY 4.0). The data describe identified cases of "
    "human trafficking reported by the contributing organisations; they do not measure prevalence."
)
DEFAULT_LICENCE_ID = "CC-BY-4.0"
CUSTOM_LICENCE_ID = "LicenseRef-policy"  # a licence text given without an SPDX identifier
DEFAULT_EPSILON = 4.0
DEFAULT_DELTA = 1e-6
DEFAULT_LIFETIME_EPSILON = 12.0
DEFAULT_THRESHOLD = 10


@dataclass(frozen=True)
class Policy:
    name: str = "default"
    title: str = "Counter-trafficking data hub release"
    description: str = ""
    publisher: str = "ctdhub"
    licence: str = DEFAULT_LICENCE
    licence_id: str = DEFAULT_LICENCE_ID  # SPDX identifier (Data Package `licenses[].name`)
    citation: str = ""
    contributors: tuple[str, ...] = ()
    epsilon: float = DEFAULT_EPSILON
    delta: float = DEFAULT_DELTA
    lifetime_epsilon: float = DEFAULT_LIFETIME_EPSILON
    threshold: int = DEFAULT_THRESHOLD
    max_records_per_person: int = 1
    kanon_enabled: bool = False
    k: int = 10
    quasi_identifiers: tuple[str, ...] = ()
    max_suppression: float = 0.05
    synthetic_enabled: bool = True
    formats: tuple[str, ...] = ("csv", "xlsx", "parquet")
    source: str = "built-in default"
    sha256: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The policy as published (no file paths: ``source`` stays with the hub)."""
        return {
            "policy": self.name,
            "contributors": list(self.contributors) or "all",
            "privacy": {
                "epsilon": self.epsilon,
                "delta": self.delta,
                "lifetime_epsilon": self.lifetime_epsilon,
                "display_threshold": self.threshold,
                "max_records_per_person": self.max_records_per_person,
            },
            "kanon": {
                "enabled": self.kanon_enabled,
                "k": self.k,
                "quasi_identifiers": list(self.quasi_identifiers),
                "max_suppression": self.max_suppression,
            },
            "synthetic": {"enabled": self.synthetic_enabled},
            "formats": list(self.formats),
        }


def default_policy(std: Standard | None = None) -> Policy:
    std = std or load_standard()
    return Policy(quasi_identifiers=tuple(std.quasi_identifiers))


def _refusals(doc: Any, d: dict[str, Any], source: str) -> list[ConfigProblem]:
    problems = []
    syn = d.get("synthetic") or {}
    if "seed" in syn:
        problems.append(
            ConfigProblem(
                source,
                line_of(doc, ["synthetic", "seed"]),
                "synthetic.seed",
                "a fixed seed is not allowed in a release policy: it would give every release the same noise, "
                "so the difference between two releases would show the records added in between; remove it",
            )
        )
    if "rounding" in (d.get("aggregates") or {}):
        problems.append(
            ConfigProblem(
                source,
                line_of(doc, ["aggregates", "rounding"]),
                "aggregates.rounding",
                "rounding is no longer a protection (every figure is a differentially private estimate, "
                "already a whole number); remove it",
            )
        )
    priv = d.get("privacy") or {}
    for key, legacy in (("epsilon", "epsilon"), ("delta", "delta")):
        if key in priv and legacy in syn and float(priv[key]) != float(syn[legacy]):
            problems.append(
                ConfigProblem(
                    source,
                    line_of(doc, ["synthetic", legacy]),
                    f"synthetic.{legacy}",
                    f"differs from privacy.{key}; one measured model serves every output, so give it once "
                    f"under privacy.{key}",
                )
            )
    agg = d.get("aggregates") or {}
    if (
        "threshold" in agg
        and "display_threshold" in priv
        and int(agg["threshold"]) != int(priv["display_threshold"])
    ):
        problems.append(
            ConfigProblem(
                source,
                line_of(doc, ["aggregates", "threshold"]),
                "aggregates.threshold",
                "differs from privacy.display_threshold; give it once under privacy.display_threshold",
            )
        )
    return problems


def parse_policy(text: str, source: str, std: Standard | None = None) -> Policy:
    std = std or load_standard()
    doc = load_yaml_text(text, source)
    validate(doc, load_schema("ctdhub.release", "policy.schema.json"), source)
    d: dict[str, Any] = plain(doc)
    kan = d.get("kanon") or {}
    syn = d.get("synthetic") or {}
    agg = d.get("aggregates") or {}
    priv = d.get("privacy") or {}
    qis = tuple(kan.get("quasi_identifiers") or std.quasi_identifiers)
    problems = _refusals(doc, d, source)
    problems += [
        ConfigProblem(
            source,
            line_of(doc, ["kanon", "quasi_identifiers", i]),
            f"kanon.quasi_identifiers.{i}",
            f"'{q}' is not a field of the standard",
        )
        for i, q in enumerate(qis)
        if not std.has_field(q)
    ]
    epsilon = float(priv.get("epsilon", syn.get("epsilon", DEFAULT_EPSILON)))
    lifetime = float(priv.get("lifetime_epsilon", max(DEFAULT_LIFETIME_EPSILON, epsilon)))
    for key, value in (("epsilon", epsilon), ("lifetime_epsilon", lifetime)):
        if not math.isfinite(value):
            problems.append(
                ConfigProblem(
                    source,
                    line_of(doc, ["privacy", key]),
                    f"privacy.{key}",
                    f"{value} is not a finite number",
                )
            )
    if math.isfinite(epsilon) and math.isfinite(lifetime) and lifetime < epsilon:
        problems.append(
            ConfigProblem(
                source,
                line_of(doc, ["privacy", "lifetime_epsilon"]),
                "privacy.lifetime_epsilon",
                f"the lifetime budget ({lifetime:g}) is smaller than one release's ε ({epsilon:g})",
            )
        )
    if problems:
        raise ConfigError(problems)
    base = default_policy(std)
    return Policy(
        name=d["policy"],
        title=d.get("title", base.title),
        description=d.get("description", ""),
        publisher=d.get("publisher", base.publisher),
        licence=d.get("licence", base.licence),
        licence_id=d.get("licence_id") or (CUSTOM_LICENCE_ID if "licence" in d else base.licence_id),
        citation=d.get("citation", ""),
        contributors=tuple(d.get("contributors") or ()),
        epsilon=epsilon,
        delta=float(priv.get("delta", syn.get("delta", DEFAULT_DELTA))),
        lifetime_epsilon=lifetime,
        threshold=int(priv.get("display_threshold", agg.get("threshold", DEFAULT_THRESHOLD))),
        max_records_per_person=int(priv.get("max_records_per_person", 1)),
        kanon_enabled=bool(kan.get("enabled", False)),
        k=int(kan.get("k", base.k)),
        quasi_identifiers=qis,
        max_suppression=float(kan.get("max_suppression", base.max_suppression)),
        synthetic_enabled=bool(syn.get("enabled", True)),
        formats=tuple(d.get("formats") or base.formats),
        source=source,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        raw=d,
    )


def load_policy(path: str | Path | None, std: Standard | None = None) -> Policy:
    if path is None:
        return default_policy(std)
    text = read_config_text(
        path, "policy file", hint="--policy is optional: without it the default policy is used"
    )
    return parse_policy(text, str(path), std)
