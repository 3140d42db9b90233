"""Nothing under --manifests or --policies that cannot be read is skipped silently.

Manifests: a path that exists but cannot be read is a coverage gap of every
kind (the run denies, exit 2). Policies: an error (exit 3). Permission denied
is tested for real in a child process that drops root to `nobody`
(tests/support/unprivileged.py).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from regulens.cli import main
from regulens.errors import ConfigError, DocumentError, ExitCode
from regulens.policies.loader import load_policies
from regulens.snapshot.kubernetes import ANY_KIND
from regulens.sources.manifests import read_manifests
from tests.conftest import EXAMPLES
from tests.support.unprivileged import run_unprivileged, shared_tmp

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: ns}}\n"
POLICY = (EXAMPLES.parent / "src" / "regulens" / "policies" / "ops-baseline").resolve()


def gaps_of(specs: list[str]) -> list[str]:
    state = read_manifests(specs)
    assert all(g.kind == ANY_KIND and g.namespace is None for g in state.gaps)
    return [g.reason for g in state.gaps]


def test_file_symlink_loop_is_a_gap_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(CM.format(name="a"))
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    assert gaps_of([str(tmp_path)]) == [f"unreadable: {tmp_path / 'loop.yaml'}: symbolic link loop"]
    # named directly, too (a traceback, exit 1, before)
    assert gaps_of([str(tmp_path / "loop.yaml")]) == [
        f"unreadable: {tmp_path / 'loop.yaml'}: symbolic link loop"
    ]


def test_broken_link_fifo_and_device_in_a_directory_are_gaps(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(CM.format(name="a"))
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "deleted.yaml")
    os.mkfifo(tmp_path / "pipe.yml")  # never opened: reading it would block
    (tmp_path / "zero.json").symlink_to("/dev/zero")  # a device: endless NUL bytes
    state = read_manifests([str(tmp_path)])
    assert [r.name for r in state.resources] == ["a"]
    assert [g.reason for g in state.gaps] == [
        f"unreadable: {tmp_path / 'gone.yaml'}: broken symbolic link (its target does not exist)",
        f"unreadable: {tmp_path / 'pipe.yml'}: not a regular file",
        f"unreadable: {tmp_path / 'zero.json'}: not a regular file",
    ]


def test_named_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "deleted.yaml")
    with pytest.raises(ConfigError, match=r"gone\.yaml: broken symbolic link") as info:
        read_manifests([str(tmp_path / "gone.yaml")])
    assert info.value.exit_code is ExitCode.USAGE


def test_permission_denied_file_and_subdirectory_are_gaps() -> None:
    with shared_tmp() as tmp:
        tree = tmp / "m"
        (tree / "sub").mkdir(parents=True)
        (tree / "a.yaml").write_text(CM.format(name="a"))
        (tree / "secret.yaml").write_text(CM.format(name="hidden"))
        (tree / "sub" / "b.yaml").write_text(CM.format(name="b"))
        for path in (tree, tree / "sub"):
            path.chmod(0o755)
        (tree / "a.yaml").chmod(0o644)
        (tree / "secret.yaml").chmod(0o000)
        (tree / "sub").chmod(0o000)
        body = f"""
state = read_manifests([{str(tree)!r}])
direct = read_manifests([{str(tree / "secret.yaml")!r}])
return {{"names": [r.name for r in state.resources],
        "gaps": [[g.kind, g.reason] for g in state.gaps],
        "direct": [g.reason for g in direct.gaps]}}
"""
        imports = "from regulens.sources.manifests import read_manifests"
        got = run_unprivileged(imports, body, tree / "secret.yaml")
    assert got["names"] == ["a"]
    assert got["gaps"] == [
        [ANY_KIND, f"unreadable: {tree / 'sub'}: cannot read: Permission denied"],
        [ANY_KIND, f"unreadable: {tree / 'secret.yaml'}: cannot read: Permission denied"],
    ]
    assert got["direct"] == [f"unreadable: {tree / 'secret.yaml'}: cannot read: Permission denied"]


def test_permission_denied_policy_file_and_directory_are_errors() -> None:
    with shared_tmp() as tmp:
        tree = tmp / "p"
        (tree / "team").mkdir(parents=True)
        shutil.copy(POLICY / "security" / "workloads.yaml", tree / "workloads.yaml")
        (tree / "other.yaml").write_text("kind: PolicySet\n")
        (tree / "team" / "t.yaml").write_text("kind: PolicySet\n")
        tree.chmod(0o755)
        (tree / "workloads.yaml").chmod(0o644)
        (tree / "other.yaml").chmod(0o000)
        (tree / "team").chmod(0o000)
        body = f"""
try:
    load_policies([{str(tree)!r}])
except DocumentError as exc:
    return {{"code": int(exc.exit_code), "problems": [str(p) for p in exc.problems]}}
return {{"code": 0, "problems": []}}
"""
        imports = "from regulens.policies.loader import load_policies\n"
        imports += "from regulens.errors import DocumentError"
        got = run_unprivileged(imports, body, tree / "other.yaml")
    assert got == {
        "code": 3,
        "problems": [
            f"{tree / 'team'}: cannot read: Permission denied",
            f"{tree / 'other.yaml'}: cannot read: Permission denied",
        ],
    }


def test_policy_symlink_loop_broken_link_and_fifo_are_errors(tmp_path: Path) -> None:
    shutil.copy(POLICY / "security" / "workloads.yaml", tmp_path / "workloads.yaml")
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    (tmp_path / "gone.yml").symlink_to(tmp_path / "deleted.yml")
    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(DocumentError) as info:
        load_policies([str(tmp_path)])
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path / 'gone.yml'}: broken symbolic link (its target does not exist)",
        f"{tmp_path / 'loop.yaml'}: symbolic link loop",
        f"{tmp_path / 'pipe.yaml'}: not a regular file",
    ]
    assert info.value.exit_code is ExitCode.USAGE


def test_unreadable_manifest_denies_the_run_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "platform"
    shutil.copytree(EXAMPLES / "platform", tree)
    (tree / "zz-loop.yaml").symlink_to(tree / "zz-loop.yaml")
    args = ["evaluate", "--policies", "builtin:ops-baseline", "--select", "workload-*",
            "--manifests", str(tree), "--now", "2026-11-30T01:30:00Z",
            "--format", "json"]  # fmt: skip
    with pytest.raises(SystemExit) as info:
        main(args)
    doc = json.loads(capsys.readouterr().out)
    assert info.value.code == 2 and doc["decision"] == "deny"
    reason = f"unreadable: {tree}/zz-loop.yaml: symbolic link loop"
    gap = {"kind": "*", "namespace": None, "reason": reason}
    assert doc["coverage"] == {"complete": False, "gaps": [gap]}
    assert doc["summary"]["pass"] == 0 and doc["summary"]["error"] > 0
    assert all(
        r["message"] == f"not evaluated: the snapshot could not read {tree}/zz-loop.yaml: "
        "symbolic link loop"
        for r in doc["results"]
    )


@pytest.mark.parametrize("command", [["who-can", "get", "secrets"],
                                     ["can-i", "user:alice", "get", "secrets"]])  # fmt: skip
def test_rbac_answers_refuse_unreadable_manifests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    # a RoleBinding in the unreadable file could be the grant: "no" would be a guess
    tree = tmp_path / "platform"
    shutil.copytree(EXAMPLES / "platform", tree)
    (tree / "zz-loop.yaml").symlink_to(tree / "zz-loop.yaml")
    with pytest.raises(SystemExit) as info:
        main(["rbac", *command, "-n", "regulensai", "--manifests", str(tree)])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert f"could not be read completely: {tree}/zz-loop.yaml: symbolic link loop" in err
    (tree / "zz-loop.yaml").unlink()
    with pytest.raises(SystemExit) as info:
        main(["rbac", *command, "-n", "regulensai", "--manifests", str(tree)])
    assert info.value.code in (0, 1)  # answered: yes or no
