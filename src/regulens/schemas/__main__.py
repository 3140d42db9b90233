"""Regenerate the committed schemas: `python -m regulens.schemas`."""

from pathlib import Path

from regulens.schemas import SCHEMAS, render

here = Path(__file__).parent
for name, model in SCHEMAS.items():
    (here / name).write_text(render(model, name), encoding="utf-8")
    print(f"wrote {here / name}")
