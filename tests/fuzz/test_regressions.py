"""The minimal inputs the fuzz tests found, one regression test each."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from regulens.documents import load_text
from regulens.errors import ConfigError, DocumentError, ExitCode
from regulens.evidence import Signer, TrustedKeys, open_store
from regulens.evidence.bundle import BundleReport, export_bundle, verify_bundle
from regulens.evidence.canonical import canonical_json
from regulens.policies import load_policies
from regulens.sources.manifests import read_manifests
from regulens.sources.trivy import TrivyReportError, parse_report
from tests.evidence.helpers import fill
from tests.fuzz.test_bundle import members, pack


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
    message = info.value.message
    assert message.startswith(f"{where}: ") and "not allowed in YAML" in message
    assert code in message or (code == "U+0000" and "NUL byte" in message)


def test_a_nul_byte_in_a_policy_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"apiVersion: regulens/v1\nkind: PolicySet\x00\n")
    with pytest.raises(DocumentError, match=r"p\.yaml:2:16: a NUL byte at byte offset 39"):
        load_policies([str(path)])


def test_a_deeply_nested_trivy_report_is_a_report_error() -> None:
    # was: RecursionError from json.loads, a traceback
    with pytest.raises(TrivyReportError, match="nested too deeply") as info:
        parse_report(b"[" * 5000 + b"]" * 5000, "r.json")
    assert info.value.exit_code is ExitCode.INCOMPLETE


def _bundle_with(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> BundleReport:
    signer = Signer.generate()
    with open_store(f"sqlite:///{tmp_path / 'e.db'}") as store:
        fill(store, 2, "prod", signer)
        out = io.BytesIO()
        export_bundle(store, out, signer, created_at="2026-12-01T00:00:00Z", mtime=0)
    entries = members(out.getvalue())
    manifest = orjson.loads(entries[0][1])
    edit(manifest)
    data = pack([(entries[0][0], canonical_json(manifest)), *entries[1:]])
    return verify_bundle(io.BytesIO(data), TrustedKeys({signer.key_id: signer.public}))


def test_a_bundle_manifest_stream_without_a_name_is_rejected(tmp_path: Path) -> None:
    # was: KeyError 'stream' escaped verify_bundle (the reader goes on after a bad signature)
    report = _bundle_with(tmp_path, lambda m: m["streams"][0].pop("stream"))
    assert (report.status, report.message) == ("REJECTED", "manifest.json is malformed ('stream')")


@pytest.mark.parametrize(
    ("field", "value"), [("sha256", None), ("size", None), ("size", "113"), ("sha256", 1)]
)
def test_a_bundle_manifest_file_entry_without_size_or_sha256_is_rejected(
    tmp_path: Path, field: str, value: object
) -> None:
    # found by the atheris bundle harness: a flipped bit in the key "sha256" (still canonical
    # JSON) was a KeyError from verify_bundle, a traceback from `evidence verify-bundle`
    def edit(manifest: dict[str, Any]) -> None:
        if value is None:
            del manifest["files"][0][field]
        else:
            manifest["files"][0][field] = value

    report = _bundle_with(tmp_path, edit)
    assert report.status == "REJECTED"
    assert report.message.startswith("manifest.json")


@pytest.mark.parametrize("text", ["? a: {d: e}\n", "metadata:\n? name: x\n  labels: {a: b}\n"])
def test_a_mapping_key_holding_a_mapping_is_a_manifest_error(tmp_path: Path, text: str) -> None:
    # found by the atheris manifests harness in 20 s: one changed byte made `  name:` `? name:`
    path = tmp_path / "m.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\n" + text)
    with pytest.raises(ConfigError):
        read_manifests([str(path)])
