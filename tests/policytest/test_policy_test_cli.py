"""`regulens test`: exit codes, the diff of a mismatch, strict documents, JSON and JUnit."""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.cli.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_TESTS = ROOT / "examples" / "tests"

POLICY = """\
apiVersion: regulens/v1
kind: PolicySet
metadata: {name: team}
policies:
  - id: no-latest
    title: Images are pinned
    severity: high
    check: {type: resource-condition, kinds: [Deployment], cel: "true"}
"""

HEAD = """\
apiVersion: regulens/v1
kind: PolicyTest
metadata: {name: latest}
policies: [builtin:ops-baseline]
select: [workload-no-latest-tag]
now: 2026-11-30T01:30:00Z
objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      template:
        spec:
          containers:
            - {name: web, image: "nginx:latest"}
"""


def _write(tmp_path: Path, text: str, name: str = "t.test.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_example_tests_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["test", str(EXAMPLE_TESTS)], capsys)
    assert code == 0, out + err
    assert "3/3 tests passed" in out


def test_a_mismatch_exits_1_with_expected_and_got(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path,
        HEAD + "expect:\n  - {policy: workload-no-latest-tag, resource: Deployment/shop/web,"
        " status: pass}\n",
    )
    code, out, _ = run_cli(["test", str(path)], capsys)
    assert code == 1
    assert "FAIL latest  workload-no-latest-tag  Deployment/shop/web  pass" in out
    assert "- expected: pass" in out
    assert "+ got:      fail Deployment/shop/web: container 'web'" in out
    assert "0/1 tests passed" in out


def test_an_expectation_that_selects_nothing_is_a_mismatch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path,
        HEAD + "expect:\n  - {policy: workload-no-latest-tag, resource: Deployment/shop/api,"
        " status: fail}\n",
    )
    code, out, _ = run_cli(["test", str(path), "--format", "json"], capsys)
    assert code == 1
    check = json.loads(out)["tests"][0]["checks"][0]
    assert check["ok"] is False
    assert check["got"] == []
    assert check["reason"] == "no result for this policy and resource"


def test_a_message_that_no_result_contains_is_a_mismatch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path,
        HEAD + "expect:\n  - {policy: workload-no-latest-tag, status: fail, message: privileged}\n",
    )
    code, out, _ = run_cli(["test", str(path)], capsys)
    assert code == 1
    assert "whose message contains 'privileged'" in out


def test_others_catches_a_result_no_expectation_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = HEAD.replace("select: [workload-no-latest-tag]", "select: [workload-*]")
    text += "others: pass\nexpect:\n  - {policy: workload-no-latest-tag, status: fail}\n"
    code, out, _ = run_cli(["test", str(_write(tmp_path, text)), "--format", "json"], capsys)
    assert code == 1
    bad = [c for c in json.loads(out)["tests"][0]["checks"] if not c["ok"]]
    assert bad and all(c["policy"] == "workload-resource-limits" for c in bad)
    assert bad[0]["reason"] == "status skip, expected pass (others)"


def test_zero_expectations_is_a_bad_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, HEAD + "expect: []\n")
    code, _, err = run_cli(["test", str(path)], capsys)
    assert code == 3
    assert f"{path}:" in err and "expect" in err


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("expectations: []\n", "expectations"),  # unknown field (did you mean)
        ("expect:\n  - {policy: workload-no-latest-tag, status: failed}\n", "status"),
        ("expect:\n  - {policy: x, policy: y, status: pass}\n", "duplicate"),
        (
            "expect:\n  - {policy: workload-no-latest-tag, resource: 'web', status: pass}\n",
            "resource",
        ),
        (
            "delete: [Deployment/shop/api]\n"
            "expect:\n  - {policy: workload-no-latest-tag, status: pass}\n",
            "nothing to delete",
        ),
    ],
)
def test_bad_documents_exit_3_with_a_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, needle: str
) -> None:
    path = _write(tmp_path, HEAD + extra)
    code, out, err = run_cli(["test", str(path)], capsys)
    assert code == 3, out + err
    assert needle in err
    assert f"{path}:" in err
    assert "Traceback" not in err


def test_a_missing_input_is_a_bad_test_and_an_unreadable_one_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = (
        HEAD + "inputs: {change: change.yaml}\n"
        "expect:\n  - {policy: workload-no-latest-tag, status: fail}\n"
    )
    path = _write(tmp_path, body)
    code, _, err = run_cli(["test", str(path)], capsys)
    assert code == 3
    assert "change.yaml: no such file or directory" in err
    (tmp_path / "change.yaml").symlink_to(tmp_path / "gone.yaml")  # exists as a name only
    code, _, err = run_cli(["test", str(path)], capsys)
    assert code == 2, err
    assert "cannot read" in err


def test_an_unreadable_resources_directory_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "ok.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\n"
    )
    os.symlink(manifests / "missing.yaml", manifests / "broken.yaml")
    body = (
        HEAD
        + "resources: [manifests]\nexpect:\n  - {policy: workload-no-latest-tag, status: fail}\n"
    )
    code, _, err = run_cli(["test", str(_write(tmp_path, body))], capsys)
    assert code == 2, err


def test_a_directory_without_tests_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    code, _, err = run_cli(["test", str(tmp_path)], capsys)
    assert code == 3
    assert "no policy test found" in err


def test_a_file_that_is_not_a_policy_test_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["test", str(_write(tmp_path, POLICY, "p.yaml"))], capsys)
    assert code == 3
    assert "is not a kind: PolicyTest" in err


def test_duplicate_test_names_are_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = HEAD + "expect:\n  - {policy: workload-no-latest-tag, status: fail}\n"
    code, _, err = run_cli(["test", str(_write(tmp_path, one + "---\n" + one))], capsys)
    assert code == 3
    assert "duplicate test name 'latest'" in err


def test_hostile_messages_are_printed_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = HEAD.replace("name: web, namespace", 'name: "web\\e[31m", namespace')
    text += "expect:\n  - {policy: workload-no-latest-tag, status: pass}\n"
    code, out, err = run_cli(["test", str(_write(tmp_path, text))], capsys)
    assert code in (1, 3), err
    assert "\x1b" not in out + err


def test_junit_lists_every_expectation_with_a_failure_for_a_mismatch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = HEAD + (
        "expect:\n"
        "  - {policy: workload-no-latest-tag, status: fail}\n"
        "  - {policy: workload-no-latest-tag, status: pass}\n"
    )
    code, out, _ = run_cli(["test", str(_write(tmp_path, text)), "--format", "junit"], capsys)
    assert code == 1
    root = ET.fromstring(out.encode())
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    for attr in ("timestamp", "hostname", "time", "name"):
        assert suite.get(attr), attr
    cases = suite.findall("testcase")
    assert [c.find("failure") is not None for c in cases] == [False, True]
    assert all(c.get("time") and c.get("file") for c in cases)


def test_shipped_and_example_tests_validate_against_the_committed_schema() -> None:
    import jsonschema

    from regulens.documents import load_documents
    from regulens.policytest.load import find_test_files
    from regulens.schemas import committed

    validator = jsonschema.Draft202012Validator(committed("policy-test.schema.json"))
    count = 0
    for label, path in find_test_files(["builtin:ops-baseline", str(EXAMPLE_TESTS)]):
        for doc in load_documents(label, Path(path).read_text("utf-8")):
            errors = list(validator.iter_errors(doc.data))
            assert not errors, f"{label}: {errors[0].message}"
            count += 1
    assert count >= 30


def test_the_documented_policy_test_runs_and_writes_junit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = (ROOT / "docs" / "gate.md").read_text()
    section = page[page.index("## Policy tests (`regulens test`)") :]
    block = section[
        section.index("```yaml\n") + 8 : section.index("```\n", section.index("```yaml"))
    ]
    test = _write(tmp_path, block)
    out_file = tmp_path / "policy-tests.xml"
    code, _, err = run_cli(["test", str(test), "--format", "junit", "-o", str(out_file)], capsys)
    assert code == 0, err
    suite = ET.fromstring(out_file.read_bytes()).find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and suite.get("tests") == "1"
