"""Evaluate a saved snapshot the way `regulens evaluate --snapshot FILE --format json` does.

Used by bench/run.py only while the CLI has no `--snapshot` flag: the same
library calls as the `evaluate` command (strict load of the snapshot through
the Snapshot model, full engine, JSON output to stdout).

    python bench/replay.py SNAPSHOT --policies P [--policies P] [--skip ID]... --now ISO
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshot")
    parser.add_argument("--policies", action="append", required=True)
    parser.add_argument("--skip", action="append", default=[])
    parser.add_argument("--now", required=True)
    args = parser.parse_args()

    from regulens.engine import EvalContext, decide, evaluate
    from regulens.engine.outcome import Outcome
    from regulens.policies import load_policies, select_policies
    from regulens.reports.json_report import render_json
    from regulens.snapshot import Snapshot

    chosen = select_policies(load_policies(args.policies), (), tuple(args.skip))
    now = datetime.fromisoformat(args.now)
    with open(args.snapshot, "rb") as fh:  # noqa: PTH123
        snapshot = Snapshot.model_validate_json(fh.read())
    results = evaluate(chosen, snapshot, EvalContext(now=now))
    outcome = Outcome.of(decide(results), results, snapshot, now)
    sys.stdout.buffer.write(render_json(outcome))
    sys.exit(int(outcome.decision.exit_code))


if __name__ == "__main__":
    main()
