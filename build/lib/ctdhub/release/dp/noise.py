"""Noise for every measurement: the discrete Gaussian mechanism from OpenDP, on a secure random source.

``SecureNoise`` adds OpenDP's discrete Gaussian noise (``then_gaussian`` on integer vectors, sampled
with OpenDP's cryptographically secure generator) to integer counts; the ρ of each measurement is read
from OpenDP's own privacy map, not recomputed here. Sampling runs in a few threads over chunks of the
vector (the noise is independent per cell, so chunking changes nothing but speed; OpenDP releases the
GIL while it samples).

``SeededNoise`` is for tests only: a numpy generator with a fixed seed and rounded Gaussian noise, so a
test can repeat a release exactly. Nothing a user configures can select it: release policies refuse a
seed, and ``create_release`` takes it only as a Python argument.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
_CHUNK = 50_000


class NoiseSource(Protocol):
    """Adds noise to integer counts and says what it spent."""

    name: str

    def add(self, counts: IntArray, sigma: float) -> IntArray:
        """counts + discrete Gaussian noise of scale ``sigma`` (one draw per cell)."""
        ...

    def rho(self, sigma: float) -> float:
        """ρ (zCDP) of one measurement with L2 sensitivity 1 at scale ``sigma``."""
        ...


class SecureNoise:
    """OpenDP's discrete Gaussian mechanism (secure sampler); the production noise source."""

    name = "opendp discrete gaussian"

    def __init__(self, threads: int | None = None) -> None:
        import opendp.prelude as dp

        dp.enable_features("contrib")
        self._dp = dp
        self._space = (dp.vector_domain(dp.atom_domain(T=dp.i64)), dp.l2_distance(T=dp.i64))
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._lock = threading.Lock()
        self._cache: dict[float, object] = {}

    def _mechanism(self, sigma: float) -> object:
        with self._lock:
            m = self._cache.get(sigma)
            if m is None:
                m = self._cache[sigma] = self._space >> self._dp.m.then_gaussian(scale=float(sigma))
            return m

    def add(self, counts: IntArray, sigma: float) -> IntArray:
        m = self._mechanism(sigma)
        flat = np.ascontiguousarray(counts, dtype=np.int64).ravel()
        if flat.size == 0:
            return flat.reshape(counts.shape)
        chunks = np.array_split(flat, max(1, math.ceil(flat.size / _CHUNK)))

        def run(chunk: IntArray) -> IntArray:
            return np.asarray(m(chunk.tolist()), dtype=np.int64)  # type: ignore[operator]

        if len(chunks) == 1:
            out = run(chunks[0])
        else:
            with ThreadPoolExecutor(self._threads) as pool:
                out = np.concatenate(list(pool.map(run, chunks)))
        return out.reshape(counts.shape)

    def rho(self, sigma: float) -> float:
        m = self._mechanism(sigma)
        return float(m.map(1))  # type: ignore[attr-defined]


class SeededNoise:
    """Tests only: repeatable rounded-Gaussian noise from a seeded numpy generator (not secure)."""

    name = "seeded test noise (not for releases)"

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def add(self, counts: IntArray, sigma: float) -> IntArray:
        noise = np.rint(self._rng.normal(0.0, sigma, size=np.shape(counts))).astype(np.int64)
        out: IntArray = np.asarray(counts, dtype=np.int64) + noise
        return out

    def rho(self, sigma: float) -> float:
        return 1.0 / (2.0 * sigma * sigma)
