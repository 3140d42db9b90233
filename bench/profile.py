"""Profile one regulens CLI run with pyinstrument (installed in bench/.peers by `make peers`).

    .venv/bin/python bench/profile.py [--html FILE] -- evaluate --policies ... --manifests ...

pyinstrument is taken from the peers venv, appended to the end of sys.path so that
regulens' own dependencies still win.
"""

from __future__ import annotations

import argparse
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / ".peers"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, help="also write an HTML profile here")
    parser.add_argument("--interval", type=float, default=0.001)
    parser.add_argument("argv", nargs=argparse.REMAINDER, help="regulens arguments after --")
    args = parser.parse_args()
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    purelib = Path(sysconfig.get_path("purelib"))
    sys.path.append(str(PEERS / purelib.relative_to(sys.prefix)))
    from pyinstrument import Profiler

    from regulens.cli import main as regulens_main

    profiler = Profiler(interval=args.interval)
    code: object = 0
    with profiler:
        try:
            regulens_main(argv)
        except SystemExit as exc:
            code = exc.code
    print(profiler.output_text(unicode=False, color=False, show_all=False), file=sys.stderr)
    if args.html:
        args.html.write_text(profiler.output_html(), "utf-8")
    print(f"exit {code}", file=sys.stderr)


if __name__ == "__main__":
    main()
