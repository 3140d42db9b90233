"""The minimal inputs the fuzz tests found, one regression test each."""

from __future__ import annotations

from pathlib import Path

import pytest

from regulens.documents import load_text
from regulens.errors import DocumentError, ExitCode
from regulens.policies import load_policies
from regulens.sources.trivy import TrivyReportError, parse_report


@pytest.mark.parametrize(
    ("text", "where", "code"),
    [
        ("[\x1f]", "f.yaml:1:2", "U+001F"),
        ("a: b\n\x00", "f.yaml:2:1", "U+0000"),
        ("é: ü\nb: \x07", "f.yaml:2:4", "U+0007"),  # libyaml counts bytes: columns are characters
    ],
)
def test_a_control_character_in_strict_yaml_is_a_located_error(
    text: str, where: str, code: str
) -> None:
    # was: yaml.reader.ReaderError (not a MarkedYAMLError) escaped as a traceback
    with pytest.raises(DocumentError) as info:
        load_text(text, "f.yaml")
    assert info.value.exit_code is ExitCode.USAGE
    assert info.value.message.startswith(f"{where}: character {code} is not allowed in YAML")


def test_a_nul_byte_in_a_policy_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"apiVersion: regulens/v1\nkind: PolicySet\x00\n")
    with pytest.raises(DocumentError, match=r"p\.yaml:2:16: character U\+0000"):
        load_policies([str(path)])


def test_a_deeply_nested_trivy_report_is_a_report_error() -> None:
    # was: RecursionError from json.loads, a traceback
    with pytest.raises(TrivyReportError, match="nested too deeply") as info:
        parse_report(b"[" * 5000 + b"]" * 5000, "r.json")
    assert info.value.exit_code is ExitCode.INCOMPLETE
