"""Vectorised helpers that turn simulated codes into Arrow text columns, with deterministic defects."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def strings(vocab: Sequence[str], idx: np.ndarray) -> pa.Array:
    """Text column (dictionary-encoded: cheap to build, take and write) from indices into `vocab`.

    -1 gives an empty cell. Cast to `pa.string()` where a compute function needs plain text.
    """
    indices = pa.array(np.asarray(idx, dtype=np.int32), mask=np.asarray(idx) < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(vocab), pa.string()))


def inject(rng: np.random.Generator, idx: np.ndarray, rate: float, codes: Sequence[int]) -> np.ndarray:
    """Replace a share `rate` of the indices by one of `codes` (the defect values of a vocabulary)."""
    hit = np.flatnonzero(rng.random(idx.shape[0]) < rate)
    out = np.array(idx, dtype=np.int64, copy=True)
    out[hit] = np.asarray(codes, dtype=np.int64)[rng.integers(0, len(codes), hit.shape[0])]
    return out


def with_defects(
    rng: np.random.Generator, vocab: Sequence[str], idx: np.ndarray, rate: float, typos: Sequence[str]
) -> pa.Array:
    """`strings` with a share of the known cells replaced by typos."""
    base = len(vocab)
    out = inject(rng, idx, rate, range(base, base + len(typos)))
    return strings([*vocab, *typos], np.where(idx < 0, idx, out))


def integers(values: np.ndarray, missing: np.ndarray) -> pa.Array:
    """Whole numbers as text; `missing` cells are empty."""
    return pa.array(np.asarray(values, dtype=np.int64), mask=np.asarray(missing)).cast(pa.string())


def dates(days: np.ndarray, fmt: str, missing: np.ndarray | None = None) -> pa.Array:
    """Dates (datetime64[D]) formatted with `fmt`, once per distinct day; `missing` cells are empty."""
    uniq, inv = np.unique(days.astype("datetime64[D]"), return_inverse=True)
    vocab = [day.strftime(fmt) for day in uniq.astype(object).tolist()]
    idx = inv.astype(np.int64)
    return strings(vocab, idx if missing is None else np.where(missing, -1, idx))


def countries(
    rng: np.random.Generator,
    iso3: np.ndarray,
    forms: dict[str, tuple[str, ...]],
    alt_share: float,
    defects: Sequence[str],
    defect_rate: float,
) -> pa.Array:
    """Country column: each ISO3 written as its first form, or (share `alt_share`) one of its other forms.

    Empty ISO3 gives an empty cell; a share `defect_rate` of the known cells becomes a defect string.
    """
    uniq, inv = np.unique(iso3, return_inverse=True)
    vocab: list[str] = []
    offset, count = [], []
    for code in uniq.tolist():
        f = forms.get(code, (code,))
        offset.append(len(vocab))
        count.append(len(f))
        vocab.extend(f)
    n = iso3.shape[0]
    nforms = np.asarray(count)[inv]
    alt = (rng.random(n) < alt_share) & (nforms > 1)
    k = np.where(alt, 1 + np.floor(rng.random(n) * (nforms - 1)).astype(np.int64), 0)
    idx = np.asarray(offset)[inv] + k
    idx = np.where(iso3 == "", -1, idx)
    return with_defects(rng, vocab, idx, defect_rate, defects)


def joined(
    flags: np.ndarray, labels: Sequence[str], sep: str, none_label: str
) -> tuple[list[str], np.ndarray]:
    """Multi-select text from a boolean matrix: (vocabulary, index per row), built once per distinct set."""
    weights = 1 << np.arange(flags.shape[1], dtype=np.int64)
    masks = flags.astype(np.int64) @ weights
    uniq, inv = np.unique(masks, return_inverse=True)
    vocab = []
    for m in uniq.tolist():
        chosen = [lab for i, lab in enumerate(labels) if m >> i & 1]
        vocab.append(sep.join(chosen) if chosen else none_label)
    return vocab, inv.astype(np.int64)


def duplicate_rows(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """A take-index that makes a share `rate` of rows exact copies of an earlier row."""
    perm = np.arange(n)
    if n < 3:
        return perm
    hit = np.flatnonzero(rng.random(n) < rate)
    hit = hit[hit > 0]
    perm[hit] = hit - 1 - np.minimum(hit - 1, rng.integers(0, 20, hit.shape[0]))
    return perm
