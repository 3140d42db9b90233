"""Checkpoint files are read by the strict JSON reader: a duplicate key is an error."""

from __future__ import annotations

import base64
import json

import pytest

from regulens.errors import ConfigError
from regulens.evidence.checkpoint import CHECKPOINT_TYPE, parse_checkpoint_file

LINE = {
    "type": CHECKPOINT_TYPE,
    "stream": "default",
    "size": 2,
    "head_hash": "ab" * 32,
    "created_at": "2026-11-30T02:00:00Z",
    "key_id": "k1",
    "signature": base64.b64encode(b"s" * 64).decode(),
}


def test_checkpoint_lines_parse() -> None:
    data = (json.dumps(LINE) + "\n" + json.dumps({**LINE, "size": 3}) + "\n").encode()
    assert [c.size for c in parse_checkpoint_file(data, "cp.jsonl")] == [2, 3]


def test_duplicate_size_in_a_one_line_checkpoint_is_located() -> None:
    # a larger size first, the signed one last: which one counted depended on the parser
    text = json.dumps(LINE).replace('"size": 2', '"size": 9, "size": 2')
    with pytest.raises(ConfigError, match=r"^cp\.json:1:\d+: duplicate key 'size'"):
        parse_checkpoint_file(text.encode(), "cp.json")


def test_duplicate_key_on_a_later_line_names_that_line() -> None:
    second = json.dumps(LINE).replace('"stream": "default"', '"stream": "a", "stream": "b"')
    data = (json.dumps(LINE) + "\n" + second + "\n").encode()
    with pytest.raises(ConfigError, match=r"^cp\.jsonl:2:\d+: duplicate key 'stream'"):
        parse_checkpoint_file(data, "cp.jsonl")


def test_nul_and_bad_json_are_errors() -> None:
    with pytest.raises(ConfigError, match="NUL byte"):
        parse_checkpoint_file(json.dumps(LINE).encode() + b"\x00", "cp.json")
    with pytest.raises(ConfigError, match=r"cp\.jsonl:2:1: invalid JSON"):
        parse_checkpoint_file((json.dumps(LINE) + "\n]\n").encode(), "cp.jsonl")
