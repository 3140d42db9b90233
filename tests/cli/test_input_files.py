"""Input files through the CLI: empty policy files, NUL bytes, duplicate keys in JSON inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regulens.errors import InputDataError
from regulens.snapshot import Snapshot
from regulens.snapshot.codec import dump_snapshot
from regulens.sources.backups import read_catalog
from regulens.sources.drills import read_drills
from regulens.sources.manifests import read_manifests
from tests.cli.helpers import run_cli
from tests.conftest import EXAMPLES

NOW = ["--now", "2026-11-30T01:30:00Z"]
KPIS = ["evaluate", "--policies", "builtin:ops-baseline", "--select", "kpi-*", *NOW]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n# and another\n", "---\n"])
def test_validate_empty_policy_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert code == 3, out
    assert str(path) in err and ("no PolicySet" in err or "is empty" in err)


@pytest.mark.parametrize("char", ["\x00", "\x1b"])
def test_validate_policy_with_a_control_byte_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], char: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"apiVersion: regulens/v1\nkind: PolicySet{char}\n")
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code == 3  # a ReaderError traceback (exit 1) before
    assert f"{path}:2:" in err and "byte offset 39" in err and "Traceback" not in err


def _metrics(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "metrics.json"
    path.write_text(body)
    return path


def test_duplicate_metric_key_is_an_error_not_last_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.loads((EXAMPLES / "ops" / "metrics.json").read_text())
    ok = _metrics(tmp_path, json.dumps(good))
    assert run_cli([*KPIS, "--metrics", str(ok)], capsys)[0] == 0
    # a failing error rate, then a passing one under the same key: the last value used to win
    text = json.dumps(good, indent=2).replace(
        '"api_error_rate": 0.0021', '"api_error_rate": 0.5,\n    "api_error_rate": 0.0021'
    )
    bad = _metrics(tmp_path, text)
    code, _, err = run_cli([*KPIS, "--metrics", str(bad)], capsys)
    assert code == 2
    assert f"{bad}:7:5: duplicate key 'api_error_rate'" in err


def test_duplicate_key_in_a_json_backup_catalog(tmp_path: Path) -> None:
    entry = (
        '{"target": "database", "kind": "database", "completed_at": "2026-11-30T00:51:05Z",'
        ' "status": "failed", "status": "succeeded", "location": "s3://b/d"}'
    )
    path = tmp_path / "backups.json"
    path.write_text(f"[\n  {entry}\n]\n")
    with pytest.raises(InputDataError, match=r"backups\.json:2:106: duplicate key 'status'"):
        read_catalog(str(path))


def test_duplicate_key_in_json_drills(tmp_path: Path) -> None:
    path = tmp_path / "drills.json"
    path.write_text('[{"system": "db", "tier": "critical", "tier": "standard"}]')
    with pytest.raises(InputDataError, match=r"drills\.json:1:39: duplicate key 'tier'"):
        read_drills(str(path))


def test_duplicate_key_in_a_saved_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = dump_snapshot(Snapshot(kubernetes=read_manifests([str(EXAMPLES / "platform")])))
    text = saved.decode().replace('"version": ', '"version": 0,\n  "version": ', 1)
    path = tmp_path / "snap.json"
    path.write_text(text)
    code, _, err = run_cli(
        ["evaluate", "--policies", "builtin:ops-baseline", "--select", "workload-*",
         "--snapshot", str(path), *NOW],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert "duplicate key 'version'" in err and "not a regulens snapshot" in err
