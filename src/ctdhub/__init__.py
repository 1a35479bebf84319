"""ctdhub: an open-source counter-trafficking data hub.

Pipeline stages, one package each: read -> mapping -> validate -> store -> release -> publish.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """`__version__`, read from the installed metadata on first use (importlib.metadata takes 80 ms to
    import, paid by every command, an ingest included, that never shows the version)."""
    if name != "__version__":
        raise AttributeError(f"module 'ctdhub' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("ctdhub")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        found = "0.0.0"
    globals()["__version__"] = found
    return found
