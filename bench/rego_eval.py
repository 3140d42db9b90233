"""Evaluate the Rego equivalents of the bench CEL rules with regorus over a snapshot.

    bench/.peers/bin/python bench/rego_eval.py SNAPSHOT.json OUT.json [REGO...]

regorus (the Rust Rego interpreter, PyPI `celine-regorus`, module `regorus`) is
installed into bench/.peers by `make peers`; this script imports only it and the
standard library, so that the regulens venv stays untouched. It loads the
policies (default: bench/rego/*.rego), reads the snapshot as the Rego `input`,
evaluates `data.bench.results` (one result per object or container, passed or
failed), writes them as JSON to OUT.json (as regulens writes its report) and
prints one JSON line: results, passes, fails and the in-process seconds of
each phase.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    snapshot, out, *policies = sys.argv[1:]
    started = time.perf_counter()
    import regorus

    engine = regorus.Engine()
    for path in policies or sorted(str(p) for p in (HERE / "rego").glob("*.rego")):
        engine.add_policy_from_file(path)
    loaded = time.perf_counter()
    engine.set_input_from_json_file(snapshot)
    read = time.perf_counter()
    text = engine.eval_rule_as_json("data.bench.results")
    evaluated = time.perf_counter()
    Path(out).write_text(text, "utf-8")
    results = json.loads(text)
    passes = sum(1 for r in results if r["ok"] is True)
    print(
        json.dumps(
            {
                "results": len(results),
                "summary": {"pass": passes, "fail": len(results) - passes},
                "load_s": loaded - started,
                "input_s": read - loaded,
                "eval_s": evaluated - read,
                "total_s": time.perf_counter() - started,
            }
        )
    )


if __name__ == "__main__":
    main()
