"""Coverage-guided fuzzing (atheris) of regulens' input readers: `make fuzz`, not in CI.

    python fuzz/harness.py TARGET SECONDS [libFuzzer flags...]

TARGET is one of: policies, manifests, trivy, datafiles, bundle. The oracle is the
one the hypothesis fuzz tests use (tests/fuzz): an input loads, or ends in a
`RegulensError` with a message and an exit code of the documented table (a bundle
ends in a verdict with a reason); any other exception is a crash that libFuzzer
reports, with the input written to `.fuzz/crash-*`. The corpus of each target
lives in `.fuzz/corpus/TARGET` (or under $FUZZ_WORK), seeded from `examples/`.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["regulens"]):
    from regulens.engine import EvalContext, evaluate
    from regulens.errors import ExitCode, RegulensError
    from regulens.evidence import Signer, TrustedKeys, open_store
    from regulens.evidence.bundle import export_bundle, verify_bundle
    from regulens.policies import load_policies, select_policies
    from regulens.snapshot import Snapshot
    from regulens.snapshot.codec import dump_snapshot
    from regulens.sources.backups import read_catalog
    from regulens.sources.change import read_change
    from regulens.sources.drills import read_drills
    from regulens.sources.manifests import read_manifests
    from regulens.sources.metrics_file import read_metrics_file
    from regulens.sources.trivy import parse_report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WORK = Path(os.environ.get("FUZZ_WORK", str(ROOT / ".fuzz")))  # corpora and crashes
SCRATCH = Path(tempfile.mkdtemp(prefix="regulens-fuzz-"))
INPUT_ERRORS = (ExitCode.INCOMPLETE, ExitCode.USAGE)


def _typed(call: Callable[[], object]) -> None:
    try:
        call()
    except RegulensError as exc:
        if exc.exit_code not in INPUT_ERRORS or not exc.render().strip():
            raise AssertionError(f"input error with exit {exc.exit_code!r}: {exc!r}") from exc


def _file(name: str, data: bytes) -> str:
    path = SCRATCH / name
    path.write_bytes(data)
    return str(path)


def policies(data: bytes) -> None:
    """The strict policy loader: YAML, strict 1.2 resolution, pydantic validation."""
    _typed(lambda: load_policies([_file("p.yaml", data)]))


_JUDGES = select_policies(load_policies(["builtin:ops-baseline"]), ["workload-*", "rbac-*"], [])
_NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)


def manifests(data: bytes) -> None:
    """The manifest loader (YAML, or JSON by the first byte), the snapshot, the engine on it."""
    fdp = atheris.FuzzedDataProvider(data)
    suffix = ".json" if fdp.ConsumeBool() else ".yaml"
    path = _file(f"m{suffix}", fdp.ConsumeBytes(fdp.remaining_bytes()))

    def judge() -> None:
        snap = Snapshot(kubernetes=read_manifests([path]))
        dump_snapshot(snap)
        evaluate(_JUDGES, snap, EvalContext(now=_NOW))  # errors are results, never exceptions

    _typed(judge)


def trivy(data: bytes) -> None:
    """Trivy JSON ingest."""
    _typed(lambda: parse_report(data, "r.json"))


_DATAFILES: list[tuple[str, Callable[[str], object]]] = [
    ("metrics.json", read_metrics_file),
    ("metrics.yaml", read_metrics_file),
    ("backups.yaml", read_catalog),
    ("backups.json", read_catalog),
    ("drills.yaml", read_drills),
    ("change.yaml", read_change),
]


def datafiles(data: bytes) -> None:
    """Metrics, backup catalogs, drills and change requests (YAML and JSON data files)."""
    fdp = atheris.FuzzedDataProvider(data)
    name, read = _DATAFILES[fdp.ConsumeIntInRange(0, len(_DATAFILES) - 1)]
    path = _file(name, fdp.ConsumeBytes(fdp.remaining_bytes()))
    _typed(lambda: read(path))


_SIGNER = Signer.generate()
_TRUSTED = TrustedKeys({_SIGNER.key_id: _SIGNER.public})


def bundle(data: bytes) -> None:
    """The evidence bundle reader: every input ends in a verdict with a reason."""
    report = verify_bundle(io.BytesIO(data), _TRUSTED)
    if not report.ok and not report.message:
        raise AssertionError(f"verdict {report.status} without a reason")


def _bundle_seed() -> bytes:
    from tests.evidence.helpers import fill

    with open_store(f"sqlite:///{SCRATCH / 'seed.db'}") as store:
        fill(store, 4, "prod", _SIGNER)
        out = io.BytesIO()
        export_bundle(store, out, _SIGNER, created_at="2026-12-01T00:00:00Z", mtime=0)
    return out.getvalue()


TARGETS: dict[str, Callable[[bytes], None]] = {
    "policies": policies,
    "manifests": manifests,
    "trivy": trivy,
    "datafiles": datafiles,
    "bundle": bundle,
}


def _seeds(target: str) -> list[bytes]:
    def files(*globs: str) -> list[bytes]:
        return [p.read_bytes() for g in globs for p in sorted(ROOT.glob(g))]

    if target == "policies":
        return files("src/regulens/policies/*/*.yaml", "examples/policies/*.yaml")
    if target == "manifests":
        return [b"\x00" + s for s in files("examples/platform*/*.yaml")]
    if target == "trivy":
        return files("examples/scans/*.json")
    if target == "datafiles":
        return [
            bytes([i]) + s for i, s in enumerate(files("examples/ops/*", "examples/changes/a*"))
        ]
    return [_bundle_seed()]


def main() -> None:
    """Seed the target's corpus and run libFuzzer for the given number of seconds."""
    target, seconds, *flags = sys.argv[1:]
    corpus = WORK / "corpus" / target
    corpus.mkdir(parents=True, exist_ok=True)
    if not any(corpus.iterdir()):
        for i, seed in enumerate(_seeds(target)):
            (corpus / f"seed-{i}").write_bytes(seed)
    args = [
        sys.argv[0],
        f"-max_total_time={int(seconds)}",
        "-rss_limit_mb=2048",
        "-timeout=20",  # one input running 20 s is a hang
        f"-artifact_prefix={WORK}/crash-{target}-",
        *flags,
        str(corpus),
    ]
    atheris.Setup(args, TARGETS[target])
    atheris.Fuzz()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # tests.evidence.helpers, for the bundle seed
    main()
