"""Change requests and exception files: strict, located errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from regulens.errors import DocumentError
from regulens.sources.change import read_change
from regulens.sources.exceptions import read_exceptions
from tests.conftest import EXAMPLES

GOOD = (EXAMPLES / "changes" / "allowed.yaml").read_text()
NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)


def test_examples_load() -> None:
    for path in sorted((EXAMPLES / "changes").glob("*.yaml")):
        assert read_change(str(path)).metadata.id.startswith("CHG-")
    known = {"change-rollback-plan", "workload-no-latest-tag"}
    waivers = read_exceptions([str(EXAMPLES / "exceptions" / "change-waivers.yaml")], known, NOW)
    assert [w.id for w in waivers] == ["EXC-2026-011", "EXC-2026-014"]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (GOOD.replace("category: normal", "category: minor"), ":10:13: spec.category", "minor"),
        (GOOD.replace("  rollback:", "  rollbak:"), ":18:3: spec.rollbak", "rollback"),
        (GOOD.replace("at: 2026-11-27T15:00:00Z", "at: 2026-11-27T15:00:00"), ":17:", "timezone"),
        (GOOD + "---\n" + GOOD, "", "exactly one ChangeRequest document, found 2"),
        (GOOD.replace("kind: ChangeRequest", "kind: PolicySet"), ":6:", "kind: ChangeRequest"),
        (GOOD.replace("environment: production", "environment: production\n  environment: x"),
         ":13:3", "duplicate key"),
    ],
)  # fmt: skip
def test_bad_change_requests_name_the_place(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = tmp_path / "chg.yaml"
    path.write_text(text)
    with pytest.raises(DocumentError) as info:
        read_change(str(path))
    rendered = info.value.render()
    assert rendered.startswith(str(path) + where), rendered
    assert message in rendered


def test_exception_files_reject_unknown_policies_and_duplicate_ids(tmp_path: Path) -> None:
    text = (EXAMPLES / "exceptions" / "change-waivers.yaml").read_text()
    path = tmp_path / "e.yaml"
    path.write_text(text.replace("policy: change-rollback-plan", "policy: change-rollback-plans"))
    with pytest.raises(DocumentError, match="did you mean 'change-rollback-plan'"):
        read_exceptions([str(path)], {"change-rollback-plan", "workload-no-latest-tag"}, NOW)
    with pytest.raises(DocumentError, match="duplicate exception id 'EXC-2026-011'"):
        known = {"change-rollback-plans", "workload-no-latest-tag"}
        read_exceptions([str(path), str(path)], known, NOW)


WAIVER = """apiVersion: regulens/v1
kind: ExceptionSet
metadata: {{name: w}}
exceptions:
  - id: EXC-1
    policy: change-rollback-plan
    reason: r
    ticket: T-1
    approver: carol@example.com
    created: {created}
    expires: {expires}
"""


@pytest.mark.parametrize(
    ("created", "expires", "loads"),
    [
        ("2099-01-01T00:00:00Z", "2099-02-01T00:00:00Z", False),  # the waiver "dated 2099"
        ("2026-11-30T01:36:00Z", "2026-12-30T00:00:00Z", False),  # 6 min ahead: past the skew
        ("2026-11-30T01:35:00Z", "2026-12-30T00:00:00Z", True),  # 5 min ahead: clock skew
        ("2026-11-30T01:30:00Z", "2026-12-30T00:00:00Z", True),
    ],
)
def test_an_exception_created_in_the_future_is_an_error(
    tmp_path: Path, created: str, expires: str, loads: bool
) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(WAIVER.format(created=created, expires=expires))
    if loads:
        assert [w.id for w in read_exceptions([str(path)], {"change-rollback-plan"}, NOW)]
        return
    with pytest.raises(DocumentError) as info:
        read_exceptions([str(path)], {"change-rollback-plan"}, NOW)
    rendered = info.value.render()
    assert rendered.startswith(f"{path}:10:14: exceptions[0].created"), rendered
    assert "lies in the future" in rendered and "clock skew 5 min" in rendered
