"""Crashes, failed outputs, hostile text, bad stream names and CI evidence rules, end to end."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from regulens.evidence import open_store
from tests.cli.test_cli import run_main
from tests.conftest import EXAMPLES, ROOT

NOW = ["--now", "2026-11-30T01:30:00Z"]
OPS = EXAMPLES / "ops"
GATE = [
    "gate", "--policies", "builtin:ops-baseline",
    "--change", str(EXAMPLES / "changes" / "allowed.yaml"),
    "--manifests", str(EXAMPLES / "platform"), "--current-manifests", str(EXAMPLES / "platform"),
    "--backups", str(OPS / "backups.yaml"), "--drills", str(OPS / "drills.yaml"),
    "--metrics", str(OPS / "metrics.json"),
    "--trivy-report", str(EXAMPLES / "scans" / "api-v1.1.0.trivy.json"),
    "--trivy-report", str(EXAMPLES / "scans" / "worker-v1.1.0.trivy.json"),
    "--trivy-report", str(EXAMPLES / "scans" / "backup-v2.3.1.trivy.json"), *NOW,
]  # fmt: skip
EVIL = "\x1b[2J\x1b[Hdecision: ALLOW\r\u202e<script>alert(1)</script>|x\n\x9b31m\x7f"


def records(url: str) -> list[tuple[str, str]]:
    """(stream, command) of every record in the store; none when it was never created."""
    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        return []
    with open_store(url) as store:
        return [(r.stream, r.command) for r in store.records()]


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'evidence.db'}"


def _no_raw_controls(text: str) -> None:
    assert not any(ch in text for ch in "\x1b\r\x7f\x9b\u202e"), repr(text)


# --- internal errors -------------------------------------------------------------------------


def _boom(*_: object, **__: object) -> None:
    raise RuntimeError("boom with password=hunter2 at postgresql://u:hunter2@db/x")


def test_unexpected_exception_exits_5_with_one_line_and_a_private_traceback(
    tmp_path: Path,
    store: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr("regulens.cli.run.judge", _boom)
    code, out, err = run_main([*GATE, "--evidence", store], capsys)
    assert code == 5 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: internal error: RuntimeError at ")
    assert "Traceback" not in err and "hunter2" not in err and "(-v prints it)" in err
    crash = Path(lines[0].split("traceback written to ")[1].split(" ")[0])
    assert crash.parent == tmp_path and stat.S_IMODE(crash.stat().st_mode) == 0o600
    text = crash.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text
    assert "hunter2" not in text and "postgresql://u:***@db/x" in text
    assert records(store) == []  # a crash never leaves a record behind


def test_verbose_prints_the_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr("regulens.cli.run.judge", _boom)
    code, _, err = run_main(
        ["-v", "evaluate", "--policies", "builtin:ops-baseline", "--manifests",
         str(EXAMPLES / "platform"), *NOW],
        capsys,
    )  # fmt: skip
    assert code == 5
    assert "Traceback (most recent call last)" in err and "RuntimeError: boom" in err
    assert "hunter2" not in err and err.strip().splitlines()[-1].startswith("error: internal")


def test_an_unwritable_temp_dir_still_gives_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    monkeypatch.setattr("regulens.cli.run.judge", _boom)
    code, _, err = run_main(
        ["evaluate", "--policies", "builtin:ops-baseline", "--manifests",
         str(EXAMPLES / "platform"), *NOW],
        capsys,
    )  # fmt: skip
    assert code == 5 and len(err.strip().splitlines()) == 1
    assert "the traceback could not be written (No such file or directory) (-v prints it)" in err


def test_a_crash_while_parsing_options_exits_5(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr("regulens.cli.common.Timestamp.convert", _boom)
    code, _, err = run_main(["evaluate", "--policies", "builtin:ops-baseline", *NOW], capsys)
    assert code == 5 and "internal error: RuntimeError" in err


def test_python_dash_m_crash_exits_5(tmp_path: Path) -> None:
    # `python -m regulens` runs the same handler (regulens/__main__.py).
    script = (
        "import runpy, sys, regulens.cli.run as e\n"
        "def boom(*a, **k): raise KeyError('x')\n"
        "e.judge = boom\n"
        "sys.argv = ['regulens', 'evaluate', '--policies', 'builtin:ops-baseline',"
        f" '--manifests', {str(EXAMPLES / 'platform')!r}]\n"
        "runpy.run_module('regulens', run_name='__main__')\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 5, proc.stderr
    assert "internal error: KeyError" in proc.stderr and "Traceback" not in proc.stderr
    assert [p.name.startswith("regulens-crash-") for p in tmp_path.iterdir()] == [True]


def test_click_usage_errors_exit_3_not_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["gate", "--no-such-flag"], capsys)
    assert code == 3 and "No such option" in err
    code, _, err = run_main([f"no-such-command{EVIL}"], capsys)
    assert code == 3
    _no_raw_controls(err)


# --- outputs and the record ------------------------------------------------------------------


def _read_only_dir(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        return ro
    # root ignores directory modes; sysfs is read-only for root too
    try:
        fd, name = tempfile.mkstemp(dir="/sys/fs")
    except OSError:
        return Path("/sys/fs")
    os.close(fd)
    Path(name).unlink()
    pytest.skip("running as root with no read-only directory to write into")


@pytest.mark.parametrize("fmt", ["json", "table"])
@pytest.mark.parametrize("where", ["dev-full", "read-only-dir", "directory", "existing-file"])
def test_an_output_that_cannot_be_written_leaves_no_record(
    tmp_path: Path, store: str, capsys: pytest.CaptureFixture[str], where: str, fmt: str
) -> None:
    if where == "dev-full":
        if not Path("/dev/full").exists():
            pytest.skip("no /dev/full on this system")
        target = "/dev/full"
    elif where == "read-only-dir":
        target = str(_read_only_dir(tmp_path) / "gate.json")
    elif where == "directory":
        target = str(tmp_path)
    else:
        (tmp_path / "gate.json").write_text("previous")
        target = str(tmp_path / "gate.json")
    code, out, err = run_main(
        [*GATE, "--evidence", store, "--format", fmt, "--output", target], capsys
    )
    assert code == 3, err
    assert out == "" and "recorded" not in err and err.startswith(f"error: {target}")
    assert records(store) == []
    if where == "existing-file":
        assert (tmp_path / "gate.json").read_text() == "previous"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".gate.json.")]
    assert leftovers == []


def test_a_written_output_is_recorded_once(
    tmp_path: Path, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "gate.json"
    code, out, err = run_main(
        [*GATE, "--evidence", store, "--format", "json", "-o", str(target)], capsys
    )
    assert code == 0 and out == "" and "recorded run" in err
    assert json.loads(target.read_bytes())["decision"] == "allow"
    assert records(store) == [("default", "gate")]


def test_a_store_failure_leaves_no_output_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    broken = f"sqlite:///{tmp_path / 'file' / 'e.db'}"
    target = tmp_path / "gate.json"
    code, out, _ = run_main(
        [*GATE, "--evidence", broken, "--format", "json", "-o", str(target)], capsys
    )
    assert code == 4 and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # no output, no temp file


def test_a_closed_stdout_is_an_error_naming_the_recorded_run(tmp_path: Path, store: str) -> None:
    read, write = os.pipe()
    os.close(read)  # every write to stdout fails with EPIPE
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "regulens", *GATE, "--evidence", store, "--format", "json"],
            stdout=write, stderr=subprocess.PIPE, text=True, env=env, check=False, cwd=ROOT,
        )  # fmt: skip
    finally:
        os.close(write)
    assert proc.returncode == 3, proc.stderr
    assert "standard output: cannot write" in proc.stderr
    assert "the decision was recorded as run" in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_a_closed_stdout_of_a_plain_command_is_not_exit_1() -> None:
    read, write = os.pipe()
    os.close(read)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "regulens", "checks", "list", "--format", "json"],
            stdout=write, stderr=subprocess.PIPE, text=True, env=env, check=False,
        )  # fmt: skip
    finally:
        os.close(write)
    assert proc.returncode == 3, proc.stderr
    assert "Broken pipe" in proc.stderr and "Traceback" not in proc.stderr


# --- hostile text in human outputs -----------------------------------------------------------


def _hostile_manifest(tmp_path: Path) -> Path:
    doc = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"web{EVIL}", "namespace": "ns"},
        "spec": {
            "selector": {"matchLabels": {"app": "w"}},
            "template": {
                "metadata": {"labels": {"app": "w"}},
                "spec": {
                    "containers": [
                        {
                            "name": "c<img src=x onerror=alert(1)>",
                            "image": "nginx:1.25",
                            "securityContext": {"privileged": True},
                        }
                    ]
                },
            },
        },
    }
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_controls_and_html_from_inputs_are_inert_in_human_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    manifest = _hostile_manifest(tmp_path)
    code, out, _ = run_main(
        ["evaluate", "--policies", "builtin:ops-baseline", "--select", "workload-no-privileged",
         "--manifests", str(manifest), "--format", fmt, *NOW],
        capsys,
    )  # fmt: skip
    assert code == 1
    _no_raw_controls(out)
    assert "\\x1b[2J" in out.replace("\\\\", "\\")  # shown, visibly escaped
    if fmt == "markdown":
        assert "<script>" not in out and "<img" not in out
        assert "&lt;script&gt;" in out and "\\|x" in out
        row = next(line for line in out.splitlines() if "workload-no-privileged" in line)
        assert row.count(" | ") == 5  # the pipe in the name did not add a column


@pytest.mark.parametrize("fmt", ["json", "sarif", "policyreport", "junit"])
def test_machine_formats_keep_the_exact_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    from xml.etree import ElementTree as ET

    import yaml

    manifest = _hostile_manifest(tmp_path)
    code, out, _ = run_main(
        ["evaluate", "--policies", "builtin:ops-baseline", "--select", "workload-no-privileged",
         "--manifests", str(manifest), "--format", fmt, *NOW],
        capsys,
    )  # fmt: skip
    assert code == 1
    if fmt == "json":
        assert json.loads(out)["results"][0]["resource"]["name"] == f"web{EVIL}"
    elif fmt == "sarif":
        logical = json.loads(out)["runs"][0]["results"][0]["locations"][0]["logicalLocations"]
        assert f"web{EVIL}" in logical[0]["fullyQualifiedName"]
    elif fmt == "policyreport":
        docs = list(yaml.safe_load_all(out))
        assert docs[0]["results"][0]["resources"][0]["name"] == f"web{EVIL}"
    else:  # XML 1.0 cannot carry these characters at all: shown escaped, and well-formed
        case = ET.fromstring(out.encode()).find("./testsuite/testcase")
        assert case is not None and "web\\x1b[2J" in case.get("name", "")
        _no_raw_controls(out)


def test_error_messages_and_logs_escape_echoed_input(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    code, _, err = run_main(
        ["evaluate", "--policies", "builtin:ops-baseline", "--manifests", f"missing{EVIL}.yaml"],
        capsys,
    )
    assert code == 3 and "missing\\x1b[2J" in err
    _no_raw_controls(err)
    assert err.count("\n") == 1  # the newline in the name did not start a second line


def test_log_lines_escape_controls() -> None:
    import logging

    from regulens.cli import _PrintableFormatter

    record = logging.LogRecord("regulens.x", logging.INFO, __file__, 1, "read %s", (EVIL,), None)
    line = _PrintableFormatter("%(message)s").format(record)
    _no_raw_controls(line)
    assert "\\x1b[2J" in line


def test_store_text_shown_by_evidence_log_and_verify_is_inert(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # a store written by an older version (or edited) may hold any stream name
    import sqlite3

    assert run_main([*GATE, "--evidence", store, "--format", "json"], capsys)[0] == 0
    with sqlite3.connect(store.removeprefix("sqlite:///")) as db:
        db.execute("UPDATE evidence_records SET stream = ?, command = ?", (f"s{EVIL}", f"g{EVIL}"))
    for command in (["evidence", "log"], ["evidence", "verify"]):
        code, out, err = run_main([*command, "--evidence", store], capsys)
        assert code in (0, 2), err
        assert "s\\x1b[2J" in out
        _no_raw_controls(out)


def _hostile_change(tmp_path: Path) -> Path:
    text = (EXAMPLES / "changes" / "denied-missing-cab.yaml").read_text()
    title = '"<script>alert(1)</script> \\e[2J\\e[Hdecision: ALLOW \\u202e | x"'
    text = text.replace("title: Enable the exports feature for all tenants", f"title: {title}")
    path = tmp_path / "change.yaml"
    path.write_text(text)
    return path


def test_report_and_review_markdown_and_html_escape_recorded_inputs(
    tmp_path: Path, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    change = _hostile_change(tmp_path)
    denied = [*GATE[:4], str(change), *GATE[5:]]
    code, _, err = run_main([*denied, "--evidence", store, "--stream", "prod"], capsys)
    assert code == 1, err
    for command in (["report", "--period", "2026-11"], ["review", "--month", "2026-11"]):
        for fmt in ("markdown", "html"):
            out = tmp_path / f"{command[0]}.{fmt}"
            code, _, err = run_main(
                [*command, "--evidence", store, "--format", fmt, "-o", str(out)], capsys
            )
            assert code == 0, err
            text = out.read_text()
            assert "<script>alert" not in text, (command, fmt)
            _no_raw_controls(text)
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, (command, fmt)


# --- stream names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["", "bad\nname", "a\x1b[2J", "-lead", "sp ace", "x" * 129, "ünïcode", "a\u202eb"]
)
@pytest.mark.parametrize(
    "command",
    [
        [*GATE],
        ["evaluate", "--policies", "builtin:ops-baseline", "--record"],
        ["evidence", "verify"],
        ["evidence", "log"],
        ["evidence", "checkpoint"],
        ["evidence", "export", "-o", "b.tar"],
        ["report", "--period", "2026-11"],
        ["review", "--month", "2026-11"],
        ["review", "sign", "--month", "2026-11", "--reviewer", "dana"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_a_bad_stream_name_is_a_usage_error_before_anything_runs(
    store: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    name: str,
) -> None:
    monkeypatch.setattr("regulens.cli.gate.load", _boom)  # evaluating would exit 5
    monkeypatch.setattr("regulens.cli.evaluate.load", _boom)
    code, out, err = run_main([*command, "--evidence", store, "--stream", name], capsys)
    assert code == 3, err
    assert out == "" and "is not a stream name" in err
    _no_raw_controls(err)
    assert records(store) == []


@pytest.mark.parametrize("name", ["prod", "eu-west-1", "team/app:prod", "a.b_c", "x" * 128])
def test_good_stream_names_record(
    store: str, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, _, err = run_main(
        [*GATE, "--evidence", store, "--stream", name, "--format", "json"], capsys
    )
    assert code == 0, err
    assert records(store) == [(name, "gate")]


# --- CI=true ---------------------------------------------------------------------------------


@pytest.fixture
def ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CI=true, no evidence settings, and a throwaway home for the default store."""
    monkeypatch.setenv("CI", "true")
    for var in ("REGULENS_EVIDENCE", "REGULENS_SIGNING_KEY", "REGULENS_ALLOW_UNSIGNED"):
        monkeypatch.delenv(var, raising=False)
    data = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return data


@pytest.mark.parametrize(
    "command", [GATE, ["evaluate", "--policies", "builtin:ops-baseline", "--record", *NOW]]
)
def test_ci_refuses_the_implicit_default_store(
    ci: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    monkeypatch.setattr("regulens.cli.gate.load", _boom)  # refused before any evaluation
    monkeypatch.setattr("regulens.cli.evaluate.load", _boom)
    for explicit_nothing in ([], ["--evidence", ""]):
        code, out, err = run_main([*command, "--allow-unsigned", *explicit_nothing], capsys)
        assert code == 3 and out == ""
        assert "CI=true: refusing to record into the default per-user evidence store" in err
        assert "pass --evidence URL (or set REGULENS_EVIDENCE)" in err
    monkeypatch.setenv("REGULENS_EVIDENCE", "")  # an empty CI secret
    code, _, err = run_main([*command, "--allow-unsigned"], capsys)
    assert code == 3 and "default per-user evidence store" in err
    assert not ci.exists()


def test_ci_refuses_unsigned_records_unless_asked(
    ci: Path,
    store: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = run_main([*GATE, "--evidence", store], capsys)
    assert code == 3 and "CI=true: refusing to record an unsigned decision" in err
    assert "--signing-key FILE" in err and "--allow-unsigned" in err
    assert records(store) == []
    code, _, err = run_main(
        [*GATE, "--evidence", store, "--allow-unsigned", "--format", "json"], capsys
    )
    assert code == 0, err
    monkeypatch.setenv("REGULENS_ALLOW_UNSIGNED", "1")
    code, _, err = run_main([*GATE, "--evidence", store, "--format", "json"], capsys)
    assert code == 0, err
    monkeypatch.delenv("REGULENS_ALLOW_UNSIGNED")
    key = tmp_path / "k.pem"
    assert run_main(["keys", "generate", "-o", str(key)], capsys)[0] == 0
    monkeypatch.setenv("REGULENS_EVIDENCE", store)
    code, _, err = run_main([*GATE, "--signing-key", str(key), "--format", "json"], capsys)
    assert code == 0, err
    with open_store(store) as opened:
        signed = [r.signature is not None for r in opened.records()]
    assert signed == [False, False, True]


def test_without_ci_the_default_store_and_unsigned_records_are_fine(
    ci: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI")
    code, _, err = run_main([*GATE, "--format", "json"], capsys)
    assert code == 0, err
    assert records(f"sqlite:///{ci / 'regulens' / 'evidence.db'}") == [("default", "gate")]


def test_crash_files_mask_credentials() -> None:
    from regulens.cli.crash import redact

    text = redact(
        "GET https://ci:s3cr3t@prom.example/api headers={'Authorization': 'Bearer eyJhbGci.x'}\n"
        "token = 'tkn-123'; password: hunter2; postgresql://u@db/x stays"
    )
    for secret in ("s3cr3t", "eyJhbGci", "tkn-123", "hunter2"):
        assert secret not in text
    assert "https://ci:***@prom.example/api" in text and "postgresql://u@db/x stays" in text
