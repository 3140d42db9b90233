"""regulens: a policy-driven compliance and change engine for Kubernetes platforms."""

#: The one source of the version: pyproject.toml reads it (`[tool.setuptools.dynamic]`),
#: so `--version` needs no `importlib.metadata` (a twentieth of a second at every start).
__version__ = "0.1.0"

__all__ = ["__version__"]
