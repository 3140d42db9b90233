"""The scope file and the controls catalog: strict reading, the example catalog, the CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from regulens.errors import DocumentError
from regulens.policies.loader import builtin_packs, load_policies
from regulens.reports.context import load_catalog, load_scope
from regulens.reports.render import render_compliance, render_review
from regulens.schemas import committed

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "reports"
SCOPE_OK = "apiVersion: regulens/v1\nkind: ReportScope\nsystem: shop\nowner: ops@example.com\n"


def _write(tmp_path: Path, text: str, name: str = "doc.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_example_catalog_titles_every_control_of_the_builtin_packs() -> None:
    titles = load_catalog(str(EXAMPLES / "controls.yaml"))
    used = {
        str(c)
        for pack in builtin_packs()
        for p in load_policies([f"builtin:{pack}"]).policies
        for c in p.controls
    }
    assert used and used <= set(titles), sorted(used - set(titles))
    data = yaml.safe_load((EXAMPLES / "controls.yaml").read_text())
    jsonschema.validate(data, committed("controls-catalog.schema.json"))
    scope = yaml.safe_load((EXAMPLES / "scope.yaml").read_text())
    jsonschema.validate(scope, committed("report-scope.schema.json"))
    assert load_scope(str(EXAMPLES / "scope.yaml")).system == "regulensai platform"


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        (SCOPE_OK + "colour: blue\n", ":5:1", "colour"),  # unknown field
        (SCOPE_OK.replace("system: shop", "system: 12"), ":3:", "system"),  # wrong type
        (SCOPE_OK + "system: other\n", ":5:1", "duplicate"),  # duplicated key
        (SCOPE_OK.replace("system: shop", 'system: "a\\u0007b"'), ":3:", "system"),
        (SCOPE_OK.replace("kind: ReportScope", "kind: PolicySet"), ":2:", "kind"),
        (SCOPE_OK + "---\n" + SCOPE_OK, "", "expected one ReportScope"),
        ("", "", "expected one ReportScope"),
        (SCOPE_OK.replace("system: shop", "system: " + "x" * 201), ":3:", "200"),
        (SCOPE_OK.replace("system: shop", "system: [a, b]"), ":3:", "system"),
    ],
)
def test_bad_scope_files_are_located_errors(
    tmp_path: Path, text: str, where: str, says: str
) -> None:
    with pytest.raises(DocumentError) as info:
        load_scope(_write(tmp_path, text))
    message = str(info.value)
    assert f"doc.yaml{where}" in message and says in message, message


def test_bad_catalogs_are_located_errors(tmp_path: Path) -> None:
    head = "apiVersion: regulens/v1\nkind: ControlsCatalog\nname: c\ncontrols:\n"
    dup = head + '  - {id: "SOC2:CC6.3", title: a}\n  - {id: "SOC2:CC6.3", title: b}\n'
    with pytest.raises(DocumentError, match=r"doc\.yaml:6:.*duplicate control 'SOC2:CC6.3'"):
        load_catalog(_write(tmp_path, dup))
    with pytest.raises(DocumentError, match=r"doc\.yaml:5:"):
        load_catalog(_write(tmp_path, head + '  - {id: "not a control", title: a}\n'))
    with pytest.raises(DocumentError, match=r"controls"):
        load_catalog(_write(tmp_path, head + "  []\n".replace("  []", "")))


def test_scope_and_titles_in_every_format(
    compliance: dict[str, Any], review: dict[str, Any]
) -> None:
    for text in (
        render_compliance(compliance, "html").decode(),
        render_compliance(compliance, "markdown").decode(),
        render_review(review, "html").decode(),
        render_review(review, "markdown").decode(),
    ):
        assert "not given (--scope or --system)" in text
        assert re.search(r"production(</td>| \|)?.*\(from the evidence streams\)", text), text[:800]
