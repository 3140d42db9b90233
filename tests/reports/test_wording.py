"""Counts and units in report text."""

from __future__ import annotations

from typing import Any

import pytest

from regulens.reports.render import pct, render_compliance, report_json
from regulens.reports.wording import NBSP, count, plural, unit, word


@pytest.mark.parametrize(
    ("n", "noun", "text"),
    [
        (0, "breach", "0 breaches"),
        (1, "breach", "1 breach"),
        (2, "breach", "2 breaches"),
        (1, "record", "1 record"),
        (31, "record", "31 records"),
        (1, "policy", "1 policy"),
        (3, "policy", "3 policies"),
        (2, "trusted key", "2 trusted keys"),
        (2, "distinct Kubernetes snapshot", "2 distinct Kubernetes snapshots"),
        (2, "day", "2 days"),
    ],
)
def test_count(n: int, noun: str, text: str) -> None:
    assert count(n, noun) == text


def test_plural_and_word() -> None:
    assert plural("vulnerability") == "vulnerabilities"
    assert plural("box") == "boxes"
    assert word(1, "run") == "run" and word(0, "run") == "runs"


def test_units_never_split() -> None:
    assert unit("99.9", "%") == f"99.9{NBSP}%"
    assert unit("3", "") == "3"
    assert pct(0.999) == f"99.9{NBSP}%"


def test_one_breach_reads_singular(compliance: dict[str, Any]) -> None:
    html = render_compliance(compliance, "html").decode()
    md = render_compliance(compliance, "markdown").decode()
    backups = report_json(compliance)["recovery"]["backups"]
    assert any(b["breaches"] == 1 for b in backups)
    for text in (html, md):
        assert "1 breaches" not in text
        assert "1 breach;" in text or "1 breach (" in text


def test_the_banner_counts_in_words() -> None:
    from regulens.reports.loading import Verification

    one = Verification(
        ok=True, status="OK", message="", records=1, streams=("production",),
        signatures_checked=False, signing_keys=(), problems=(), checkpoints=1, legacy=1,
    )  # fmt: skip
    text = one.banner()["text"]
    assert "1 record in 1 stream are internally consistent" in text
    assert "1 record uses the legacy" in text
    assert "(s)" not in text


def test_the_banner_says_which_records_a_checkpoint_authenticated() -> None:
    from regulens.reports.loading import Verification

    keys = ({"key_id": "a" * 64, "fingerprint": "SHA256:" + "b" * 64},)
    done = Verification(
        ok=True, status="OK", message="", records=30, streams=("production",),
        signatures_checked=True, signing_keys=keys, problems=(), checkpoints=1, checkpointed=29,
    )  # fmt: skip
    text = done.banner()["text"]
    assert "every record signed by a trusted key" in text
    assert "Of these, 29 are authenticated by a signed checkpoint" in text
    alone = Verification(
        ok=True, status="OK", message="", records=30, streams=("production",),
        signatures_checked=True, signing_keys=keys, problems=(), checkpoints=1,
    )  # fmt: skip
    assert "checkpoint of a later head" not in alone.banner()["text"]
