"""The CEL runtime, imported without its interactive REPL.

`cel/__init__.py` imports `cel.cli` (typer, prompt_toolkit, pygments, rich),
which is a quarter of a second of every regulens start-up. A placeholder
module stands in for it during the import and is removed afterwards, so an
explicit `import cel.cli` elsewhere still gets the real one. Import CEL from
here, never `import cel` directly.
"""

from __future__ import annotations

import sys
import types
from typing import Any

if "cel" not in sys.modules and "cel.cli" not in sys.modules:
    sys.modules["cel.cli"] = types.ModuleType("cel.cli")
    try:
        import cel
    finally:
        del sys.modules["cel.cli"]
else:  # pragma: no cover - someone imported cel first; nothing left to save
    import cel


def compile_program(source: str) -> Any:
    """Compile a CEL expression (raises ValueError on syntax errors)."""
    return cel.compile(source)


__all__ = ["compile_program"]
