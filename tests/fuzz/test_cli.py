"""Fuzzed inputs through the real CLI: an exit code from the documented table, no traceback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from regulens.cli import main
from regulens.evidence import Signer, open_store
from regulens.evidence.bundle import export_bundle
from regulens.evidence.keys import public_pem
from tests.evidence.helpers import fill
from tests.fuzz.support import (
    DOCUMENTED_EXIT_CODES,
    EXAMPLES,
    ROOT,
    Pairs,
    bounded,
    fuzz_settings,
    mutated_bytes,
    raw_controls,
    to_yaml,
    write,
)

POLICY = (
    ROOT / "src" / "regulens" / "policies" / "ops-baseline" / "security" / "workloads.yaml"
).read_bytes()
MANIFEST = (EXAMPLES / "platform-noncompliant" / "10-api.yaml").read_bytes()
TRIVY = (EXAMPLES / "scans" / "api-v1.2.0-fixable-critical.trivy.json").read_bytes()
METRICS = (EXAMPLES / "ops" / "metrics.json").read_bytes()
EVALUATE = ["evaluate", "--policies", "builtin:ops-baseline", "--now", "2026-11-30T01:30:00Z"]


def run(args: list[str]) -> tuple[int, str]:
    """Run `regulens ARGS` through `main` (where exit codes are mapped) in click's isolation."""
    runner = CliRunner()
    with runner.isolation() as (out, err, _), bounded():
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        else:  # pragma: no cover - main always exits
            code = 0
        text = out.getvalue().decode("utf-8", "replace") + err.getvalue().decode("utf-8", "replace")
    return code, text


def assert_documented(code: int, text: str) -> None:
    assert code in DOCUMENTED_EXIT_CODES, f"exit {code}: {text[-500:]}"
    assert "Traceback" not in text, text[-2000:]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@fuzz_settings(40)
@given(mutated_bytes(POLICY))
def test_validate_on_mutated_policies(scratch: Path, raw: bytes) -> None:
    code, text = run(["validate", write(scratch / "p.yaml", raw)])
    assert_documented(code, text)
    assert code in (0, 3), text


@fuzz_settings(40)
@given(mutated_bytes(MANIFEST))
def test_evaluate_on_mutated_manifests(scratch: Path, raw: bytes) -> None:
    path = write(scratch / "m.yaml", raw)
    assert_documented(*run([*EVALUATE, "--select", "workload-*", "--manifests", path]))


@fuzz_settings(40)
@given(mutated_bytes(TRIVY))
def test_evaluate_on_mutated_trivy_reports(scratch: Path, raw: bytes) -> None:
    path = write(scratch / "r.json", raw)
    code, text = run([*EVALUATE, "--select", "scan-no-fixable-*", "--trivy-report", path])
    assert_documented(code, text)


@fuzz_settings(40)
@given(mutated_bytes(METRICS), st.sampled_from([".json", ".yaml"]))
def test_evaluate_on_mutated_metrics(scratch: Path, raw: bytes, suffix: str) -> None:
    path = write(scratch / f"metrics{suffix}", raw)
    assert_documented(*run([*EVALUATE, "--select", "kpi-*", "--metrics", path]))


ANSI = ["\x1b[2J\x1b[H", "\x1b]0;t\x07", "\r", "\x08\x08", "\x9b2J", "\x00", "\x7f"]


@fuzz_settings(20)
@given(st.sampled_from(ANSI), st.text(max_size=3), st.sampled_from(["name", "kind"]))
def test_control_characters_in_inputs_never_reach_the_terminal(
    scratch: Path, escape: str, tail: str, field: str
) -> None:
    meta = Pairs((("name", f"api{escape}{tail}" if field == "name" else "api"),))
    kind = f"Deploy{escape}{tail}" if field == "kind" else "Deployment"
    container = Pairs((("name", "c"), ("image", "x:1"),
                       ("securityContext", Pairs((("privileged", True),)))))  # fmt: skip
    spec = Pairs((("template", Pairs((("spec", Pairs((("containers", [container]),))),))),))
    tree = Pairs((("apiVersion", "apps/v1"), ("kind", kind), ("metadata", meta), ("spec", spec)))
    path = write(scratch / "m.yaml", to_yaml(tree).encode())
    code, text = run([*EVALUATE, "--select", "workload-no-privileged", "--manifests", path])
    assert_documented(code, text)
    assert not raw_controls(text.replace("\r\n", "\n")), repr(text[-800:])


@pytest.fixture(scope="module")
def bundle(scratch: Path) -> tuple[bytes, str]:
    signer = Signer.generate()
    with open_store(f"sqlite:///{scratch / 'e.db'}") as store:
        fill(store, 3, "prod", signer)
        out = io.BytesIO()
        export_bundle(store, out, signer, created_at="2026-12-01T00:00:00Z", mtime=0)
    key = scratch / "key.pub"
    key.write_bytes(public_pem(signer.public))
    return out.getvalue(), str(key)


@fuzz_settings(40)
@given(st.data())
def test_verify_bundle_on_mutated_bundles(
    scratch: Path, bundle: tuple[bytes, str], data: st.DataObject
) -> None:
    raw, key = bundle
    path = write(scratch / "b.tar", data.draw(mutated_bytes(raw)))
    code, text = run(["evidence", "verify-bundle", path, "--public-key", key])
    assert_documented(code, text)
