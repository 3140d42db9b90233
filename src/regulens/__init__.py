"""regulens: a policy-driven compliance and change engine for Kubernetes platforms."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("regulens")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
