"""Redaction: Secret values and last-applied-configuration become sha256 digests."""

from __future__ import annotations

import base64
import hashlib

from regulens.sources.redact import LAST_APPLIED, redact


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_secret_values_become_digests_of_the_decoded_value() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "annotations": {LAST_APPLIED: '{"data": "x"}', "keep": "me"}},
        "data": {"a": base64.b64encode(b"hunter2").decode(), "bad": "not base64!"},
        "stringData": {"b": "hunter2"},
        "type": "Opaque",
    }
    out = redact(obj)
    assert out["data"] == {"a": _sha("hunter2"), "bad": _sha("not base64!")}
    assert out["stringData"] == {"b": _sha("hunter2")}
    assert out["metadata"]["annotations"] == {LAST_APPLIED: _sha('{"data": "x"}'), "keep": "me"}
    assert out["type"] == "Opaque"
    assert redact(out) == out  # idempotent: a replayed snapshot is not hashed twice


def test_other_kinds_keep_data_but_lose_last_applied() -> None:
    cm = {
        "kind": "ConfigMap",
        "metadata": {"name": "c", "annotations": {LAST_APPLIED: "{}"}},
        "data": {"LOG_LEVEL": "info"},
    }
    out = redact(cm)
    assert out["data"] == {"LOG_LEVEL": "info"}
    assert out["metadata"]["annotations"][LAST_APPLIED] == _sha("{}")
