"""`regulens examples --extract DIR`: the example tree, copied out whole, never over files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import run_cli
from tests.package.conftest import ROOT


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_extract_copies_every_example_file_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new" / "examples"
    code, out, err = run_cli(["examples", "--extract", str(target)], capsys)
    assert code == 0, err
    expected = _tree(ROOT / "examples")
    assert _tree(target) == expected
    assert out.strip() == f"ok: {len(expected)} example files in {target}"


def test_extract_into_an_empty_directory_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["examples", "--extract", str(tmp_path)], capsys)
    assert code == 0, err
    assert (tmp_path / "platform" / "10-api.yaml").is_file()


def test_extract_never_writes_into_a_non_empty_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "platform").mkdir()
    mine = tmp_path / "platform" / "10-api.yaml"
    mine.write_text("mine\n")
    code, out, err = run_cli(["examples", "--extract", str(tmp_path)], capsys)
    assert code == 3
    assert out == ""
    assert "not empty" in err
    assert mine.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["10-api.yaml", "platform"]


def test_extract_onto_a_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    code, _, err = run_cli(["examples", "--extract", str(target)], capsys)
    assert code == 3
    assert "Traceback" not in err


def test_extract_under_an_unwritable_parent_is_a_usage_error_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parent = tmp_path / "file"
    parent.write_text("x")  # a path component that is a file: mkdir fails (ENOTDIR)
    code, out, err = run_cli(["examples", "--extract", str(parent / "sub")], capsys)
    assert code == 3
    assert out == ""
    assert "cannot write the examples" in err
    assert "Traceback" not in err


def test_a_hostile_directory_name_is_printed_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "a\x1b[31mb"
    target.mkdir()
    (target / "x").write_text("x")
    code, _, err = run_cli(["examples", "--extract", str(target)], capsys)
    assert code == 3
    assert "\x1b" not in err


def test_extract_needs_a_directory(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["examples"], capsys)
    assert code == 3
    assert "--extract" in err
