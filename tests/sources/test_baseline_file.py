"""Findings baseline files are read strictly: located errors, never a traceback, never a pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regulens.engine.baseline import BaselineResource, fingerprint
from regulens.errors import DocumentError
from regulens.sources.baseline import MAX_BYTES, parse_baseline, read_baseline

FP = fingerprint("rpo-database", BaselineResource(kind="CronJob", namespace="ops", name="b"), "x")
GOOD = {
    "apiVersion": "regulens/v1",
    "kind": "FindingsBaseline",
    "metadata": {"created": "2026-11-30T02:10:00Z", "source": "run r1"},
    "findings": [
        {
            "fingerprint": FP,
            "policy": "rpo-database",
            "resource": {"kind": "CronJob", "namespace": "ops", "name": "b"},
            "subject": "x",
        }
    ],
}


def text(doc: object) -> str:
    return json.dumps(doc, indent=2)


def problem(raw: str) -> str:
    with pytest.raises(DocumentError) as info:
        parse_baseline(raw, "b.json")
    return str(info.value.problems[0])


def test_a_good_file_reads_and_its_digest_is_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(text(GOOD))
    doc, digest = read_baseline(str(path))
    assert doc.findings[0].fingerprint == FP and digest.startswith("sha256:")


def test_a_duplicate_key_is_located() -> None:
    raw = text(GOOD).replace('"subject": "x"', '"subject": "x", "subject": "y"')
    assert problem(raw).startswith("b.json:17:23:") and "duplicate key 'subject'" in problem(raw)


def test_an_edited_fingerprint_is_refused_at_its_field() -> None:
    raw = text(GOOD).replace('"subject": "x"', '"subject": "z"')
    msg = problem(raw)
    assert msg.startswith("b.json:9:5:") and "findings[0]" in msg and "does not match" in msg


def test_a_duplicated_entry_is_refused() -> None:
    doc = {**GOOD, "findings": [GOOD["findings"][0], GOOD["findings"][0]]}  # type: ignore[index]
    assert "duplicate fingerprint" in problem(text(doc))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (text(GOOD)[:-40], "invalid JSON"),  # truncated
        ("", "invalid JSON"),
        (text({**GOOD, "kind": "ExceptionSet"}), "expected kind: FindingsBaseline"),
        (text([GOOD]), "expected kind: FindingsBaseline"),
        (text({**GOOD, "extra": 1}), "extra"),
        (text({**GOOD, "apiVersion": "regulens/v2"}), "apiVersion"),
        (text({**GOOD, "findings": {"a": 1}}), "findings"),
        (text({**GOOD, "metadata": {"created": "yesterday", "source": "x"}}), "created"),
        (text({**GOOD, "metadata": {"created": "2026-11-30T02:10:00", "source": "x"}}), "created"),
        (text(GOOD).replace('"x"', "NaN", 1), "invalid JSON"),
        (text(GOOD).replace('"rpo-database"', '"RPO \\u001b[2J"', 1), "policy"),
    ],
)
def test_bad_files_are_errors_with_a_place(raw: str, expected: str) -> None:
    msg = problem(raw)
    assert msg.startswith("b.json") and expected in msg
    assert "\x1b" not in DocumentError([]).render() and "Traceback" not in msg


def test_an_oversized_or_missing_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(MAX_BYTES + 1)
    with pytest.raises(DocumentError, match="larger than"):
        read_baseline(str(big))
    with pytest.raises(DocumentError, match="cannot read"):
        read_baseline(str(tmp_path / "absent.json"))
