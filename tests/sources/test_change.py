"""Change requests and exception files: strict, located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from regulens.errors import DocumentError
from regulens.sources.change import read_change
from regulens.sources.exceptions import read_exceptions
from tests.conftest import EXAMPLES

GOOD = (EXAMPLES / "changes" / "allowed.yaml").read_text()


def test_examples_load() -> None:
    for path in sorted((EXAMPLES / "changes").glob("*.yaml")):
        assert read_change(str(path)).metadata.id.startswith("CHG-")
    known = {"change-rollback-plan", "workload-no-latest-tag"}
    waivers = read_exceptions([str(EXAMPLES / "exceptions" / "change-waivers.yaml")], known)
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
        read_exceptions([str(path)], {"change-rollback-plan", "workload-no-latest-tag"})
    with pytest.raises(DocumentError, match="duplicate exception id 'EXC-2026-011'"):
        read_exceptions([str(path), str(path)], {"change-rollback-plans", "workload-no-latest-tag"})
