"""The release manifest (``release.json``): what the release stage writes and every later stage reads.

``ReleaseManifest`` is the typed, versioned form of a release's public manifest. The release stage builds
one and writes ``to_json()``; ``load_manifest`` reads a release directory's file (adding the withdrawal
recorded beside it in ``withdrawn.json``), and the publish stage reads attributes, never keys. A file that
cannot be read (invalid JSON, a field missing or of the wrong type, a ``format_version`` newer than this
ctdhub reads) raises ``ManifestError``: one sentence naming the file and what is wrong.

Versions: ``format_version`` 1 is the layout written since the release engine became differentially
private. A manifest without the field was written before it existed, in the same layout, and is read as
version 1. A manifest without the field and without a ``privacy`` section was built before differential
privacy (a different layout, never served): it raises ``ManifestBeforeDP``. ``population`` (case records
and persons, DP estimates) was added to version 1 later, as an optional section: a manifest without it
reads with ``population`` None, and is written back without it.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ctdhub.errors import CtdhubError

if TYPE_CHECKING:
    from ctdhub.release.ledger import Budget

FORMAT_VERSION = 1  # the newest layout this ctdhub reads, and the one it writes
MANIFEST_FILE = "release.json"
WITHDRAWN_FILE = "withdrawn.json"

Status = Literal["published", "withdrawn"]
STATUSES: tuple[Status, ...] = ("published", "withdrawn")
Unit = Literal["person", "record"]
UNITS: tuple[Unit, ...] = ("person", "record")


class ManifestError(CtdhubError):
    """A release manifest that cannot be read; ``problem`` is what is wrong, without the file name."""

    def __init__(self, source: str | Path, problem: str) -> None:
        self.source = str(source)
        self.problem = problem
        super().__init__(f"Cannot read the release manifest {self.source}: {problem}.")

    @property
    def release_id(self) -> str:
        """The release directory's name (the release id, when the file is in a release directory)."""
        return Path(self.source).parent.name


class ManifestBeforeDP(ManifestError):
    """The manifest of a release built before differential privacy: never served, not read."""


@dataclass(frozen=True)
class Lifetime:
    """The hub's lifetime privacy budget after this release (``ledger.Budget.to_dict()``)."""

    releases: int
    rho_spent: float
    rho_lifetime: float
    epsilon_spent: float
    lifetime_epsilon: float
    delta: float
    remaining_releases_at_this_epsilon: int

    def to_json(self) -> dict[str, Any]:
        return _record_json(self)

    @classmethod
    def of(cls, budget: Budget) -> Lifetime:
        """The lifetime budget as the ledger reports it after this release."""
        return cls.from_json(_Fields(dict(budget.to_dict()), "the privacy ledger"))

    @classmethod
    def from_json(cls, f: _Fields) -> Lifetime:
        return cls(
            releases=f.whole("releases"),
            rho_spent=f.number("rho_spent"),
            rho_lifetime=f.number("rho_lifetime"),
            epsilon_spent=f.number("epsilon_spent"),
            lifetime_epsilon=f.number("lifetime_epsilon"),
            delta=f.number("delta"),
            remaining_releases_at_this_epsilon=f.whole("remaining_releases_at_this_epsilon"),
        )


@dataclass(frozen=True)
class Privacy:
    """The release's differential-privacy guarantee and how its figures are shown."""

    epsilon: float
    delta: float
    rho: float
    noise: str  # the noise source, as the report names it
    unit: str  # the unit of privacy, as the report states it
    max_records_per_person: int
    display_threshold: int  # estimates below it read "fewer than N"
    interval_level: float
    measurements: int  # measured marginals
    lifetime: Lifetime

    def to_json(self) -> dict[str, Any]:
        return _record_json(self)

    @classmethod
    def from_json(cls, f: _Fields) -> Privacy:
        return cls(
            epsilon=f.number("epsilon"),
            delta=f.number("delta"),
            rho=f.number("rho"),
            noise=f.text("noise"),
            unit=f.text("unit"),
            max_records_per_person=f.whole("max_records_per_person"),
            display_threshold=f.whole("display_threshold"),
            interval_level=f.number("interval_level"),
            measurements=f.whole("measurements"),
            lifetime=Lifetime.from_json(f.obj("lifetime")),
        )


@dataclass(frozen=True)
class Aggregates:
    """How many aggregate tables the release publishes, and their cells in all."""

    tables: int
    cells: int

    def to_json(self) -> dict[str, Any]:
        return _record_json(self)

    @classmethod
    def from_json(cls, f: _Fields) -> Aggregates:
        return cls(tables=f.whole("tables"), cells=f.whole("cells"))


@dataclass(frozen=True)
class ModelInfo:
    """The release's model: its records, and the seconds each step of building it took."""

    records: int
    seconds: Mapping[str, float]

    def to_json(self) -> dict[str, Any]:
        return _record_json(self)

    @classmethod
    def from_json(cls, f: _Fields) -> ModelInfo:
        return cls(records=f.whole("records"), seconds=f.numbers("seconds"))


@dataclass(frozen=True)
class Population:
    """Whom the release counts: case records, and persons when records are linked to persons (by the hub's
    record linkage or by person keys). Both are estimates of the one DP model, rounded; the exact figures
    are in the restricted manifest only."""

    persons: int | None  # the model's persons estimate; None when records are not linked to persons
    records: int  # the model's records: the estimate of the case records measured
    unit: Unit  # the unit of privacy: "person" when records are linked, else "record"
    linked: bool  # whether any records are linked to persons (linkage or person keys)
    # the persons estimate's 90 % interval (IntervalModel.combination); None when persons are not estimated,
    # or in a manifest written before it was computed
    persons_lower: int | None = None
    persons_upper: int | None = None

    def to_json(self) -> dict[str, Any]:
        return _record_json(self)

    @classmethod
    def from_json(cls, f: _Fields) -> Population:
        unit = f.text("unit")
        if unit not in UNITS:
            raise ManifestError(
                f.source, f"the field '{f.prefix}unit' should be one of {', '.join(UNITS)}, not {unit!r}"
            )
        return cls(
            persons=f.whole_or_none("persons"),
            records=f.whole("records"),
            unit="person" if unit == "person" else "record",
            linked=f.flag("linked"),
            persons_lower=f.whole_or_none("persons_lower") if "persons_lower" in f.doc else None,
            persons_upper=f.whole_or_none("persons_upper") if "persons_upper" in f.doc else None,
        )


@dataclass(frozen=True)
class Kanon:
    """The opt-in k-anonymised microdata of the release (not covered by differential privacy)."""

    k: int
    k_achieved: int
    quasi_identifiers: tuple[str, ...]
    levels: Mapping[str, int]  # generalisation level of each quasi-identifier
    level_names: Mapping[str, str]
    warning: str

    def to_json(self) -> dict[str, Any]:
        return _record_json(self)

    @classmethod
    def from_json(cls, f: _Fields) -> Kanon:
        return cls(
            k=f.whole("k"),
            k_achieved=f.whole("k_achieved"),
            quasi_identifiers=f.texts("quasi_identifiers"),
            levels=f.wholes("levels"),
            level_names=f.text_map("level_names"),
            warning=f.text("warning"),
        )


@dataclass(frozen=True)
class Withdrawal:
    """When and why a release was withdrawn (``withdrawn.json``, written beside the release)."""

    at: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return _record_json(self)

    @classmethod
    def from_json(cls, f: _Fields) -> Withdrawal:
        return cls(at=f.text("at"), reason=f.text("reason"))


@dataclass(frozen=True)
class ReleaseManifest:
    """The public manifest of one release (``release.json``), as every stage after the release reads it."""

    release_id: str
    created_at: str  # ISO 8601, UTC
    status: Status
    ctdhub_version: str
    standard_version: str
    policy: Mapping[str, Any]  # the policy as published (``Policy.as_dict()``), echoed for the record
    policy_sha256: str
    privacy: Privacy
    contributors: tuple[str, ...]
    years: tuple[int, int] | None  # first and last year of registration shown, if any
    resources: tuple[str, ...]  # names of the public resources (datapackage.json has the details)
    aggregates: Aggregates
    model: ModelInfo
    kanon: Kanon | None
    previous_release: str | None
    seconds: float  # time taken to build the release
    population: Population | None = None  # None in a manifest written before persons were estimated
    withdrawn: Withdrawal | None = None  # from withdrawn.json, never written into release.json
    format_version: int = FORMAT_VERSION

    def withdraw(self, record: Withdrawal) -> ReleaseManifest:
        """The manifest as served after a withdrawal (status "withdrawn", with its record)."""
        return replace(self, status="withdrawn", withdrawn=record)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data: the content of ``release.json`` (plus ``withdrawn`` once withdrawn)."""
        doc: dict[str, Any] = {
            "format_version": self.format_version,
            "release_id": self.release_id,
            "created_at": self.created_at,
            "status": self.status,
            "ctdhub_version": self.ctdhub_version,
            "standard_version": self.standard_version,
            "policy": copy.deepcopy(dict(self.policy)),
            "policy_sha256": self.policy_sha256,
            "privacy": self.privacy.to_json(),
            "contributors": list(self.contributors),
            "years": list(self.years) if self.years is not None else None,
            "resources": list(self.resources),
            "aggregates": self.aggregates.to_json(),
            "model": self.model.to_json(),
            **({"population": self.population.to_json()} if self.population is not None else {}),
            "kanon": self.kanon.to_json() if self.kanon is not None else None,
            "previous_release": self.previous_release,
            "seconds": self.seconds,
        }
        if self.withdrawn is not None:
            doc["withdrawn"] = self.withdrawn.to_json()
        return doc

    def dumps(self) -> str:
        """The text of ``release.json``."""
        return json.dumps(self.to_json(), indent=2) + "\n"

    @classmethod
    def from_json(cls, doc: Any, source: str | Path = MANIFEST_FILE) -> ReleaseManifest:
        """Read parsed JSON; ``source`` names the file in the error, if the manifest cannot be read."""
        if not isinstance(doc, dict):
            raise ManifestError(source, f"it should hold a JSON object, not {_kind(doc)}")
        f = _Fields(doc, source)
        if "format_version" not in doc:
            if not doc.get("privacy"):
                raise ManifestBeforeDP(
                    source,
                    f"release {doc.get('release_id', Path(str(source)).parent.name)} was built by an earlier "
                    "ctdhub without differential privacy, a layout this ctdhub does not read",
                )
            version = 1  # written before the field existed: the layout of version 1
        else:
            version = f.whole("format_version")
            if version > FORMAT_VERSION:
                raise ManifestError(
                    source,
                    f"format_version {version} is newer than this ctdhub reads (up to {FORMAT_VERSION}); "
                    "upgrade ctdhub",
                )
            if version < 1:
                raise ManifestError(source, f"format_version {version} is not a version (they start at 1)")
        status = f.text("status")
        if status not in STATUSES:
            raise ManifestError(
                source, f"the field 'status' should be one of {', '.join(STATUSES)}, not {status!r}"
            )
        kanon = f.obj_or_none("kanon")
        population = f.obj("population") if "population" in doc else None
        withdrawn = f.obj_or_none("withdrawn") if "withdrawn" in doc else None  # in to_json(), not on disk
        return cls(
            release_id=f.text("release_id"),
            created_at=f.text("created_at"),
            status="withdrawn" if status == "withdrawn" else "published",
            ctdhub_version=f.text("ctdhub_version"),
            standard_version=f.text("standard_version"),
            policy=f.obj("policy").doc,
            policy_sha256=f.text("policy_sha256"),
            privacy=Privacy.from_json(f.obj("privacy")),
            contributors=f.texts("contributors"),
            years=f.years("years"),
            resources=f.texts("resources"),
            aggregates=Aggregates.from_json(f.obj("aggregates")),
            model=ModelInfo.from_json(f.obj("model")),
            kanon=Kanon.from_json(kanon) if kanon is not None else None,
            previous_release=f.text_or_none("previous_release"),
            seconds=f.number("seconds"),
            population=Population.from_json(population) if population is not None else None,
            withdrawn=Withdrawal.from_json(withdrawn) if withdrawn is not None else None,
            format_version=version,
        )


def load_manifest(release_dir: Path) -> ReleaseManifest:
    """The manifest of the release in ``release_dir``, withdrawn if ``withdrawn.json`` says so."""
    manifest = ReleaseManifest.from_json(_read_json(release_dir / MANIFEST_FILE), release_dir / MANIFEST_FILE)
    withdrawn = release_dir / WITHDRAWN_FILE
    if withdrawn.exists():
        doc = _read_json(withdrawn)
        if not isinstance(doc, dict):
            raise ManifestError(withdrawn, f"it should hold a JSON object, not {_kind(doc)}")
        manifest = manifest.withdraw(Withdrawal.from_json(_Fields(doc, withdrawn)))
    return manifest


def _read_json(path: Path) -> Any:
    # problems never quote the path: the gate repeats them to the public
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(path, "it is not UTF-8 text") from exc
    except OSError as exc:
        raise ManifestError(path, f"the file cannot be opened: {exc.strerror or type(exc).__name__}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(path, f"it is not valid JSON at line {exc.lineno}, column {exc.colno}") from exc


def _kind(value: Any) -> str:
    """How a JSON value is named in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _record_json(record: Any) -> dict[str, Any]:
    """A record of this module as JSON data, its fields in declaration order (tuples as lists)."""
    return {f.name: _plain(getattr(record, f.name)) for f in dataclasses.fields(record)}


def _plain(record: Any) -> Any:
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return _record_json(record)
    if isinstance(record, (tuple, list)):
        return [_plain(v) for v in record]
    if isinstance(record, Mapping):
        return {k: _plain(v) for k, v in record.items()}
    return record


class _Fields:
    """Typed reads of one JSON object of a manifest; every failure is a ``ManifestError`` naming the field."""

    def __init__(self, doc: dict[str, Any], source: str | Path, prefix: str = "") -> None:
        self.doc = doc
        self.source = source
        self.prefix = prefix

    def _get(self, key: str) -> Any:
        if key not in self.doc:
            raise ManifestError(self.source, f"the field '{self.prefix}{key}' is missing")
        return self.doc[key]

    def _wrong(self, key: str, expected: str, value: Any) -> ManifestError:
        return ManifestError(
            self.source, f"the field '{self.prefix}{key}' should be {expected}, not {_kind(value)}"
        )

    def _wrong_item(self, key: str, expected: str, item: Any) -> ManifestError:
        return ManifestError(
            self.source, f"the field '{self.prefix}{key}' should hold only {expected}, not {_kind(item)}"
        )

    def obj(self, key: str) -> _Fields:
        value = self._get(key)
        if not isinstance(value, dict):
            raise self._wrong(key, "an object", value)
        return _Fields(value, self.source, f"{self.prefix}{key}.")

    def obj_or_none(self, key: str) -> _Fields | None:
        """An object, or None for null (the field itself must be there)."""
        return None if self._get(key) is None else self.obj(key)

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a string", value)
        return value

    def text_or_none(self, key: str) -> str | None:
        value = self._get(key)
        if value is not None and not isinstance(value, str):
            raise self._wrong(key, "a string or null", value)
        return value

    def whole(self, key: str) -> int:
        value = self._get(key)
        if not _is_whole(value):
            raise self._wrong(key, "a whole number", value)
        return int(value)

    def whole_or_none(self, key: str) -> int | None:
        value = self._get(key)
        if value is not None and not _is_whole(value):
            raise self._wrong(key, "a whole number or null", value)
        return None if value is None else int(value)

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false", value)
        return value

    def number(self, key: str) -> float:
        """A number, kept as written (an int stays an int, so that writing it back gives the same text)."""
        value = self._get(key)
        if not _is_number(value):
            raise self._wrong(key, "a number", value)
        return float(value) if isinstance(value, float) else int(value)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self._wrong(key, "a list", value)
        for item in value:
            if not isinstance(item, str):
                raise self._wrong_item(key, "strings", item)
        return tuple(value)

    def years(self, key: str) -> tuple[int, int] | None:
        value = self._get(key)
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != 2 or not all(_is_whole(v) for v in value):
            raise self._wrong(key, "a list of two years (first, last) or null", value)
        return int(value[0]), int(value[1])

    def _map(self, key: str, expected: str, ok: Callable[[Any], bool]) -> dict[str, Any]:
        value = self._get(key)
        if not isinstance(value, dict):
            raise self._wrong(key, "an object", value)
        for item in value.values():
            if not ok(item):
                raise self._wrong_item(key, expected, item)
        return dict(value)

    def numbers(self, key: str) -> dict[str, float]:
        return self._map(key, "numbers", _is_number)

    def wholes(self, key: str) -> dict[str, int]:
        return self._map(key, "whole numbers", _is_whole)

    def text_map(self, key: str) -> dict[str, str]:
        return self._map(key, "strings", lambda v: isinstance(v, str))


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
