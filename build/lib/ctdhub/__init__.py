"""ctdhub: an open-source counter-trafficking data hub.

Pipeline stages, one package each: read -> mapping -> validate -> store -> release -> publish.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ctdhub")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
