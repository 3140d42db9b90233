"""Assembling one snapshot from typed inputs: sections stay None unless given; no double sources."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from regulens.errors import ConfigError
from regulens.snapshot.codec import dump_snapshot
from regulens.sources.inputs import InputRequest, PrometheusRequest, collect

NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)


def _collect(request: InputRequest):  # type: ignore[no-untyped-def]
    return collect(request, [], NOW, clock=lambda: NOW)


def test_nothing_given_is_an_empty_snapshot() -> None:
    snap = _collect(InputRequest())
    assert snap.kubernetes is None and snap.baseline is None and snap.metrics is None


def test_manifests_with_a_saved_snapshot_make_the_snapshot_the_baseline(
    tmp_path: Path, examples: Path
) -> None:
    saved = _collect(InputRequest(manifests=(str(examples / "platform"),)))
    path = tmp_path / "snap.json"
    path.write_bytes(dump_snapshot(saved))
    change = str(examples / "changes" / "manifests" / "debug-rolebinding.yaml")
    snap = _collect(InputRequest(manifests=(change,), snapshot=str(path)))
    assert snap.kubernetes is not None and snap.baseline is not None
    assert [r.kind for r in snap.kubernetes.resources] == ["RoleBinding"]
    assert len(snap.baseline.resources) == len(saved.kubernetes.resources)  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="--manifests and --snapshot both supply"):
        _collect(
            InputRequest(
                manifests=(change,),
                snapshot=str(path),
                baseline_manifests=(str(examples / "platform"),),
            )
        )


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (InputRequest(manifests=("-", "-")), "stdin) can be given only once"),
        (InputRequest(baseline_manifests=("-",)), "cannot read stdin"),
        (InputRequest(prometheus=PrometheusRequest("ftp://x")), "is not an http(s) URL"),
        (
            InputRequest(prometheus=PrometheusRequest("http://u:p@h")),
            "must not contain credentials",
        ),
    ],
)
def test_contradictions_are_usage_errors(request_: InputRequest, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _collect(request_)
    assert message in info.value.message
    assert "u:p" not in info.value.render()
