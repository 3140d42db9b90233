"""Parse floors: what merely reading the benchmark inputs costs, without judging anything.

    python bench/floor.py pyyaml DIR       # PyYAML CSafeLoader over every file (all documents)
    python bench/floor.py yaml-rs DIR      # yaml-rs, documents split as regulens does
    python bench/floor.py orjson FILE      # orjson.loads of a snapshot
    python bench/floor.py orjson-eval FILE POLICY...  # orjson + the pure engine, no I/O around it

Prints one JSON line: objects read and the in-process seconds of each phase.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from collections.abc import Iterator


def _files(top: str) -> Iterator[str]:
    for root, _dirs, names in os.walk(top):
        for name in names:
            if name.endswith((".yaml", ".yml")):
                yield os.path.join(root, name)  # noqa: PTH118


def pyyaml(top: str) -> dict[str, float]:
    import yaml

    count = 0
    for path in sorted(_files(top)):
        with open(path, "rb") as fh:  # noqa: PTH123
            count += sum(1 for d in yaml.load_all(fh.read(), Loader=yaml.CSafeLoader) if d)
    return {"objects": count}


def yaml_rs(top: str) -> dict[str, float]:
    import yaml_rs

    from regulens.sources.manifests import split_documents

    count = 0
    for path in sorted(_files(top)):
        with open(path, "rb") as fh:  # noqa: PTH123
            text = fh.read().decode("utf-8")
        for _index, _line, chunk in split_documents(text):
            count += yaml_rs.loads(chunk, parse_datetime=False) is not None
    return {"objects": count}


def orjson_only(path: str) -> dict[str, float]:
    import orjson

    with open(path, "rb") as fh:  # noqa: PTH123
        data = orjson.loads(fh.read())
    return {"objects": len(data["kubernetes"]["resources"])}


def orjson_eval(path: str, policies: list[str]) -> dict[str, float]:
    """Parse with orjson, wrap objects without validation, run the engine: the snapshot floor."""
    from datetime import UTC, datetime

    import orjson

    from regulens.engine import EvalContext, evaluate
    from regulens.policies import load_policies
    from regulens.snapshot import KubernetesState, Provenance, Resource, Snapshot

    skip = set(os.environ.get("BENCH_SKIP", "").split(","))
    chosen = [p for p in load_policies(policies).policies if p.id not in skip]
    started = time.perf_counter()
    with open(path, "rb") as fh:  # noqa: PTH123
        data = orjson.loads(fh.read())
    resources = tuple(Resource.from_object(r["object"]) for r in data["kubernetes"]["resources"])
    parsed = time.perf_counter()
    state = KubernetesState.model_construct(
        provenance=Provenance(source="bench"), resources=resources, gaps=()
    )
    snap = Snapshot.model_construct(kubernetes=state)
    results = evaluate(chosen, snap, EvalContext(now=datetime(2026, 11, 30, 2, 10, tzinfo=UTC)))
    done = time.perf_counter()
    return {
        "objects": len(resources),
        "results": len(results),
        "parse_s": parsed - started,
        "eval_s": done - parsed,
    }


def main() -> None:
    gc.disable()  # as regulens does during a run: a floor must not be slower than it could be
    mode, target, *rest = sys.argv[1:]
    started = time.perf_counter()
    if mode == "pyyaml":
        out = pyyaml(target)
    elif mode == "yaml-rs":
        out = yaml_rs(target)
    elif mode == "orjson":
        out = orjson_only(target)
    elif mode == "orjson-eval":
        out = orjson_eval(target, rest)
    else:
        raise SystemExit(f"unknown mode {mode}")
    out["total_s"] = time.perf_counter() - started
    print(json.dumps(out))


if __name__ == "__main__":
    main()
