"""`regulens gate` end to end: the example change requests and their documented exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from regulens.documents import load_documents
from regulens.schemas import committed
from regulens.sources.change import read_change
from tests.cli.test_cli import run_main
from tests.conftest import EXAMPLES

CHANGES = EXAMPLES / "changes"
BASE = [
    "gate", "--policies", "builtin:ops-baseline",
    "--policies", str(EXAMPLES / "policies" / "year-end-freeze.yaml"),
    "--current-manifests", str(EXAMPLES / "platform"),
    "--now", "2026-11-30T01:30:00Z", "--format", "json",
    "--backups", str(EXAMPLES / "ops" / "backups.yaml"),
    "--drills", str(EXAMPLES / "ops" / "drills.yaml"),
    "--metrics", str(EXAMPLES / "ops" / "metrics.json"),
    "--trivy-report", str(EXAMPLES / "scans" / "api-v1.1.0.trivy.json"),
    "--trivy-report", str(EXAMPLES / "scans" / "worker-v1.1.0.trivy.json"),
    "--trivy-report", str(EXAMPLES / "scans" / "backup-v2.3.1.trivy.json"),
]  # fmt: skip
PLATFORM = ["--manifests", str(EXAMPLES / "platform")]
ROLEBINDING = ["--manifests", str(CHANGES / "manifests" / "debug-rolebinding.yaml")]
WAIVERS = ["--exceptions", str(EXAMPLES / "exceptions" / "change-waivers.yaml")]


@pytest.mark.parametrize(
    ("change", "extra", "code", "failed"),
    [
        ("allowed.yaml", [], 0, set()),
        ("denied-missing-cab.yaml", [], 1, {"change-approval"}),
        ("denied-self-approval.yaml", [], 1, {"change-approval"}),
        ("denied-outside-window.yaml", [], 1, {"change-window"}),
        ("denied-freeze.yaml", [], 1, {"change-freeze-year-end"}),
        ("denied-category.yaml", ROLEBINDING, 1, {"change-category-matches-diff"}),
        ("denied-expired-exception.yaml", WAIVERS, 1, {"change-rollback-plan"}),
    ],
)
def test_example_changes(
    change: str, extra: list[str], code: int, failed: set[str], capsys: pytest.CaptureFixture[str]
) -> None:
    got, out, err = run_main([*BASE, "--change", str(CHANGES / change), *PLATFORM, *extra], capsys)
    doc = json.loads(out)
    assert got == code == doc["exit_code"], err
    assert doc["decision"] == ("allow" if code == 0 else "deny")
    assert {r["policy"] for r in doc["results"] if r["status"] == "fail"} == failed
    assert doc["change"] == read_change(str(CHANGES / change)).metadata.id
    assert doc["summary"]["error"] == 0


def test_expired_and_unused_exceptions_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_main(
        [*BASE, "--change", str(CHANGES / "denied-expired-exception.yaml"), *PLATFORM, *WAIVERS],
        capsys,
    )
    report = json.loads(out)["exceptions"]
    assert report["applied"] == []
    assert [(e["id"], e["would_match"]) for e in report["expired"]] == [("EXC-2026-011", 1)]
    assert [u["id"] for u in report["unused"]] == ["EXC-2026-014"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        # a waiver dated 2099 applied at once before; now it is an error
        ({"created": "2099-01-01T00:00:00Z", "expires": "2099-03-01T00:00:00Z"},
         "created 2099-01-01T00:00:00Z lies in the future"),
        ({"approver": "carol\u200b@example.com"}, "U+200B ZERO WIDTH SPACE"),
        ({"approver": "c\u0430rol@example.com"}, "U+0430 CYRILLIC SMALL LETTER A"),
        ({"ticket": "  "}, "exceptions[0].ticket"),
    ],
)  # fmt: skip
def test_a_waiver_from_the_future_or_with_hidden_characters_is_a_config_error(
    tmp_path: Path, fields: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    waiver = {
        "id": "EXC-9", "policy": "change-rollback-plan", "reason": "r", "ticket": "T-9",
        "approver": "carol@example.com", "created": "2026-11-20T00:00:00Z",
        "expires": "2026-12-20T00:00:00Z", **fields,
    }  # fmt: skip
    doc = {"apiVersion": "regulens/v1", "kind": "ExceptionSet", "metadata": {"name": "w"},
           "exceptions": [waiver]}  # fmt: skip
    path = tmp_path / "w.json"
    path.write_text(json.dumps(doc))  # JSON escapes: the file holds the raw characters
    change = ["--change", str(CHANGES / "denied-expired-exception.yaml")]
    code, out, err = run_main([*BASE, *change, *PLATFORM, "--exceptions", str(path)], capsys)
    assert code == 3 and out == "", err
    assert message in err and str(path) in err
    assert "\u200b" not in err and "\u0430" not in err


@pytest.mark.parametrize(
    ("approver", "code", "message"),
    [
        ("\u0430lice@example.com", 3, "U+0430 CYRILLIC SMALL LETTER A"),  # a look-alike: rejected
        ("alice\u200b@example.com", 3, "U+200B ZERO WIDTH SPACE"),
        ("\uff41lice@example.com", 1, "the requester cannot approve"),  # full-width: the requester
        ("ALICE@EXAMPLE.COM", 1, "the requester cannot approve"),
    ],
)
def test_the_requester_in_disguise_never_approves_their_own_change(
    tmp_path: Path, approver: str, code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (CHANGES / "allowed.yaml").read_text()
    path = tmp_path / "chg.yaml"
    path.write_text(text.replace("approver: bob@example.com", f"approver: {approver}"), "utf-8")
    got, out, err = run_main([*BASE, "--change", str(path), *PLATFORM], capsys)
    assert got == code, err
    assert message in (err if code == 3 else out)


def test_category_diff_details_list_reasons_per_object(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_main(
        [*BASE, "--change", str(CHANGES / "denied-category.yaml"), *PLATFORM, *ROLEBINDING],
        capsys,
    )
    (bad,) = [r for r in json.loads(out)["results"] if r["status"] == "fail"]
    assert bad["resource"]["kind"] == "RoleBinding"
    assert bad["details"] == {
        "declared": "standard",
        "needed": "normal",
        "reasons": ["new RBAC RoleBinding"],
    }
    assert bad["location"]["file"].endswith("debug-rolebinding.yaml")


def test_missing_baseline_denies_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    # the saved snapshot carries the backups derived from the platform's CronJobs
    dropped = ("--current-manifests", str(EXAMPLES / "platform"), "--backups")
    args = [a for a in BASE if a not in dropped and not a.endswith("backups.yaml")]
    code, out, _ = run_main([*args, "--change", str(CHANGES / "allowed.yaml"), *PLATFORM], capsys)
    doc = json.loads(out)
    assert code == 2 and doc["summary"]["error"] == 1
    (err,) = [r for r in doc["results"] if r["status"] == "error"]
    assert err["policy"] == "change-category-matches-diff"
    assert "--current-manifests" in err["message"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("apiVersion: regulens/v1\nkind: ChangeRequest\nmetadata: {id: C-1}\nspec:\n"
         "  title: t\n  category: big\n", ":6:13: spec.category"),
        ("apiVersion: regulens/v1\nkind: ChangeRequest\nmetadata: {id: C-1}\nspec: {title: no}\n",
         ":4:15: spec.title: ambiguous value 'no'"),
    ],
)  # fmt: skip
def test_bad_change_request_exits_3_with_location(
    tmp_path: Path, text: str, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "chg.yaml"
    bad.write_text(text)
    code, _, err = run_main([*BASE, "--change", str(bad), *PLATFORM], capsys)
    assert code == 3
    assert f"{bad}{where}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "needs --change"),
        (["--change", "missing.yaml"], "missing.yaml: cannot read"),
        (["--change", str(CHANGES / "allowed.yaml"), "--exceptions", "nope.yaml"], "nope.yaml"),
        (["--change", str(CHANGES / "allowed.yaml"), "--format", "pdf"], "Invalid value"),
    ],
)
def test_gate_usage_errors_exit_3(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main([*BASE[:-2], *PLATFORM, *args], capsys)
    assert code == 3 and message in err and "Traceback" not in err


@pytest.mark.parametrize("fmt", ["sarif", "junit", "markdown", "policyreport", "table", "json"])
def test_every_format_writes_an_output_file(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / f"out.{fmt}"
    args = [*BASE, "--format", fmt, "--change", str(CHANGES / "denied-missing-cab.yaml"),
            *PLATFORM, "-o", str(target)]  # fmt: skip
    code, out, _ = run_main(args, capsys)
    assert code == 1 and out == ""
    text = target.read_text()
    assert "CHG-2026-0143" in text or fmt in ("sarif", "table")
    if fmt == "sarif":
        assert json.loads(text)["runs"][0]["results"][0]["ruleId"] == "change-approval"
    if fmt == "junit":
        assert ET.fromstring(text).get("failures") == "1"
    assert run_main(args, capsys)[0] == 3  # never overwritten without --force


def test_standard_change_with_a_standard_diff_is_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rendered = tmp_path / "rendered"
    shutil.copytree(EXAMPLES / "platform", rendered)
    api = rendered / "10-api.yaml"
    api.write_text(api.read_text().replace("regulensai/api:v1.1.0", "regulensai/api:v1.1.1"))
    config = rendered / "30-config.yaml"
    config.write_text(config.read_text().replace("LOG_LEVEL: info", "LOG_LEVEL: debug"))
    change = tmp_path / "chg.yaml"
    change.write_text(
        (CHANGES / "denied-category.yaml").read_text().replace("CHG-2026-0147", "CHG-2026-0150")
    )
    # the deployed v1.1.1 needs its own scan report (the one of v1.1.0, retagged)
    scan = tmp_path / "api-v1.1.1.trivy.json"
    scan.write_text(
        (EXAMPLES / "scans" / "api-v1.1.0.trivy.json").read_text().replace("v1.1.0", "v1.1.1")
    )
    code, out, _ = run_main(
        [*BASE, "--change", str(change), "--manifests", str(rendered), "--trivy-report", str(scan)],
        capsys,
    )
    doc = json.loads(out)
    assert code == 0, [r["message"] for r in doc["results"] if r["status"] != "pass"]
    diffs = {
        r["resource"]["name"]: r["details"]["reasons"]
        for r in doc["results"]
        if r["policy"] == "change-category-matches-diff"
    }
    assert diffs == {
        "regulensai-api": [
            "image patch bump regulensai/api:v1.1.0 -> regulensai/api:v1.1.1 "
            "(spec.template.spec.containers[0].image)"
        ],
        "regulensai-config": ["ConfigMap data.LOG_LEVEL changed"],
    }
    # the same diff declared as standard but outside the window is denied by change-window only
    late = (
        change.read_text().replace("T02:00:00Z", "T05:00:00Z").replace("T02:30:00Z", "T05:30:00Z")
    )
    change.write_text(late)
    code, out, _ = run_main(
        [*BASE, "--change", str(change), "--manifests", str(rendered), "--trivy-report", str(scan)],
        capsys,
    )
    failed = {r["policy"] for r in json.loads(out)["results"] if r["status"] == "fail"}
    assert code == 1 and failed == {"change-window"}


@pytest.mark.parametrize(
    ("folder", "schema"),
    [("changes", "change-request.schema.json"), ("exceptions", "exception-set.schema.json")],
)
def test_examples_validate_against_committed_schemas(folder: str, schema: str) -> None:
    validator = jsonschema.Draft202012Validator(committed(schema))
    files = sorted((EXAMPLES / folder).glob("*.yaml"))
    assert files
    for path in files:
        for doc in load_documents(str(path)):
            errors = list(validator.iter_errors(doc.data))
            assert not errors, f"{path}: {errors[0].message}"


def test_evaluate_offers_the_ci_formats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(
        ["evaluate", "--policies", "builtin:ops-baseline", "--select", "workload-no-privileged",
         "--manifests", str(EXAMPLES / "platform-noncompliant"), "--format", "junit",
         "--now", "2026-11-30T01:30:00Z"],
        capsys,
    )  # fmt: skip
    root = ET.fromstring(out)
    assert code == 1 and int(root.get("failures", "0")) >= 1
    assert {c.get("classname") for c in root.iter("testcase")} == {"workload-no-privileged"}


def test_saved_snapshot_is_the_baseline_when_manifests_are_the_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "current.json"
    code, _, err = run_main(
        ["snapshot", "--manifests", str(EXAMPLES / "platform"), "-o", str(snap)], capsys
    )
    assert code == 0, err
    # the saved snapshot carries the backups derived from the platform's CronJobs
    dropped = ("--current-manifests", str(EXAMPLES / "platform"), "--backups")
    args = [a for a in BASE if a not in dropped and not a.endswith("backups.yaml")]
    got, out, err = run_main(
        [*args, "--change", str(CHANGES / "denied-category.yaml"), *PLATFORM, *ROLEBINDING,
         "--snapshot", str(snap)],
        capsys,
    )  # fmt: skip
    doc = json.loads(out)
    assert got == 1, err
    failed = {r["policy"] for r in doc["results"] if r["status"] == "fail"}
    assert failed == {"change-category-matches-diff"}
