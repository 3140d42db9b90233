"""The audit-log source: streamed, bounded, and every unreadable line counted (adversarial)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from regulens.snapshot.audit_events import MAX_SAMPLES, AuditCategory, AuditProblemKind
from regulens.snapshot.codec import dump_snapshot, load_snapshot
from regulens.snapshot.model import Snapshot
from regulens.sources import audit_log
from regulens.sources.audit_log import MAX_LINE, read_audit_logs
from tests.cli.helpers import run_cli, run_json

NOW = datetime(2026, 11, 30, 2, 10, tzinfo=UTC)
WINDOW = (NOW - timedelta(hours=24), NOW)
PACK = "builtin:ops-security-events"


def event(n: int, *, at: str = "2026-11-30T01:00:00Z", **over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": f"id-{n}",
        "stage": "ResponseComplete",
        "verb": "get",
        "user": {"username": "alice"},
        "objectRef": {"resource": "secrets", "namespace": "prod", "name": "db"},
        "responseStatus": {"code": 200},
        "requestReceivedTimestamp": at,
    }
    doc.update(over)
    return doc


def bounds() -> list[dict[str, Any]]:
    """The API server's steady traffic: an event every 10 minutes, covering the window."""
    start = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    return [
        event(
            900000 + i,
            at=(start + timedelta(minutes=10 * i)).isoformat(),
            verb="list",
            objectRef={"resource": "pods"},
        )
        for i in range(146)
    ]


HB = len(bounds())  # lines before the first event of a test


def jsonl(events: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(e).encode() + b"\n" for e in events)


def write(tmp_path: Path, data: bytes, name: str = "audit.log") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def evaluate(path: Path, capsys: pytest.CaptureFixture[str], policy: str) -> tuple[int, Any]:
    args = ["evaluate", "--policies", PACK, "--select", policy, "--audit-log", str(path)]
    return run_json([*args, "--now", "2026-11-30T02:10:00Z"], capsys)


def secret_reads(state: Any) -> int:
    return sum(t.count for t in state.windows[0].tallies if t.category is AuditCategory.SECRET_READ)


def test_secret_reads_are_tallied_with_their_audit_ids(tmp_path: Path) -> None:
    path = write(tmp_path, jsonl([*bounds(), *(event(i) for i in range(8))]))
    state = read_audit_logs([str(path)], [WINDOW], NOW)
    (tally,) = [t for t in state.windows[0].tallies if t.category is AuditCategory.SECRET_READ]
    assert (tally.user, tally.count) == ("alice", 8)
    assert [s.audit_id for s in tally.samples] == [f"id-{i}" for i in range(MAX_SAMPLES)]
    assert tally.samples[0].line == HB + 1
    assert state.problems == () and state.files[0].lines == HB + 8


def test_truncated_last_line_is_a_problem_that_denies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = jsonl(bounds()) + json.dumps(event(1)).encode()[:-20]
    path = write(tmp_path, data)
    state = read_audit_logs([str(path)], [WINDOW], NOW)
    (problem,) = state.problems
    assert (problem.kind, problem.count) == (AuditProblemKind.MALFORMED, 1)
    assert problem.first_line == HB + 1
    code, report = evaluate(path, capsys, "audit-secret-reads")
    assert code == 2
    (result,) = report["results"]
    assert result["status"] == "error"
    assert f"1 malformed line(s), first at line {HB + 1}" in result["message"]


def test_gzip_is_read_and_a_truncated_gzip_denies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packed = gzip.compress(jsonl([*bounds(), event(1)]))
    whole = write(tmp_path, packed, "audit.log.gz")
    state = read_audit_logs([str(whole)], [WINDOW], NOW)
    assert state.files[0].gzip and state.problems == () and secret_reads(state) == 1
    cut = write(tmp_path, packed[: len(packed) - 12], "cut.log.gz")
    state = read_audit_logs([str(cut)], [WINDOW], NOW)
    assert [p.kind for p in state.problems] == [AuditProblemKind.UNREADABLE]
    assert "truncated gzip stream" in state.problems[0].reason
    code, report = evaluate(cut, capsys, "audit-secret-reads")
    assert code == 2 and report["results"][0]["status"] == "error"


def test_corrupt_gzip_denies(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(jsonl([*bounds(), event(1)] * 50)))
    packed[40:60] = b"\xff" * 20
    state = read_audit_logs([str(write(tmp_path, bytes(packed)))], [WINDOW], NOW)
    assert [p.kind for p in state.problems] == [AuditProblemKind.UNREADABLE]


def test_duplicated_audit_ids_count_once(tmp_path: Path) -> None:
    one = event(1)
    other_stage = event(1, stage="RequestReceived")
    path = write(tmp_path, jsonl([*bounds(), other_stage, one, one, one]))
    state = read_audit_logs([str(path)], [WINDOW], NOW)
    assert secret_reads(state) == 1
    assert state.duplicates == 2


def test_the_same_event_in_two_files_counts_once(tmp_path: Path) -> None:
    a = write(tmp_path, jsonl([*bounds(), event(1)]), "a.log")
    b = write(tmp_path, jsonl([event(1), event(2)]), "b.log")
    state = read_audit_logs([str(a), str(b)], [WINDOW], NOW)
    assert secret_reads(state) == 2 and state.duplicates == 1


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"responseStatus": {"code": "401"}}, "responseStatus.code"),
        ({"user": "alice"}, "user is str"),
        ({"user": {"username": 7}}, "user.username is int"),
        ({"auditID": None}, "auditID"),
        ({"requestReceivedTimestamp": "yesterday"}, "requestReceivedTimestamp"),
        ({"requestReceivedTimestamp": "2026-11-30T01:00:00"}, "no time zone"),
        ({"objectRef": ["secrets"]}, "objectRef is list"),
        ({"apiVersion": "audit.k8s.io/v1beta1"}, "not an audit.k8s.io/v1 Event"),
        ({"verb": True}, "verb is bool"),
    ],
)
def test_wrong_types_are_malformed_lines_naming_the_field(
    tmp_path: Path, override: dict[str, Any], field: str
) -> None:
    path = write(tmp_path, jsonl([*bounds(), event(1, **override), event(2)]))
    state = read_audit_logs([str(path)], [WINDOW], NOW)
    (problem,) = state.problems
    assert problem.kind is AuditProblemKind.MALFORMED and problem.first_line == HB + 1
    assert field in problem.reason
    assert secret_reads(state) == 1  # the good line after it is still read


def test_non_object_json_lines_are_malformed(tmp_path: Path) -> None:
    path = write(tmp_path, jsonl(bounds()) + b'[1, 2]\n"x"\nnull\n\n')
    state = read_audit_logs([str(path)], [WINDOW], NOW)
    (problem,) = state.problems
    assert problem.count == 3  # the blank line holds no event and is no problem


def test_huge_lines_are_bounded_and_counted(tmp_path: Path) -> None:
    huge = json.dumps(event(1, padding="x" * (3 * MAX_LINE))).encode() + b"\n"
    path = write(tmp_path, jsonl(bounds()) + huge + jsonl([event(2)]))
    state = read_audit_logs([str(path)], [WINDOW], NOW)
    (problem,) = state.problems
    assert (problem.kind, problem.first_line) == (AuditProblemKind.OVERSIZED, HB + 1)
    assert secret_reads(state) == 1 and state.files[0].lines == HB + 2


def test_a_huge_last_line_without_newline_is_counted(tmp_path: Path) -> None:
    path = write(tmp_path, jsonl(bounds()) + b"{" + b" " * (MAX_LINE + 10))
    state = read_audit_logs([str(path)], [WINDOW], NOW)
    assert [p.kind for p in state.problems] == [AuditProblemKind.OVERSIZED]


def test_hostile_names_are_bounded_and_printed_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = "\x1b[31mroot\x1b[0m\r\u202eevil" + "A" * 5000
    path = write(tmp_path, jsonl([*bounds(), event(1, user={"username": hostile})]))
    state = read_audit_logs([str(path)], [WINDOW], NOW)
    (tally,) = [t for t in state.windows[0].tallies if t.category is AuditCategory.SECRET_READ]
    assert len(tally.user) < 300 and tally.user.endswith("[truncated]")
    args = ["evaluate", "--policies", PACK, "--select", "audit-secret-reads"]
    code, out, err = run_cli(
        [*args, "--audit-log", str(path), "--now", "2026-11-30T02:10:00Z"], capsys
    )
    assert code == 1
    assert "\x1b" not in out + err and "\r" not in out + err and "\u202e" not in out + err
    assert "\\x1b[31mroot" in out


def test_duplicate_json_keys_take_the_last_value(tmp_path: Path) -> None:
    # orjson keeps the last of duplicate keys; a line is judged as the API server wrote it
    line = b'{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"d","stage":"ResponseComplete","verb":"get","user":{"username":"a"},"objectRef":{"resource":"secrets"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-11-30T01:00:00Z","verb":"list"}\n'  # noqa: E501
    state = read_audit_logs([str(write(tmp_path, jsonl(bounds()) + line))], [WINDOW], NOW)
    assert state.problems == () and secret_reads(state) == 1


def test_a_log_that_starts_inside_the_window_denies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, jsonl([event(1, verb="list", objectRef={"resource": "pods"})]))
    code, report = evaluate(path, capsys, "audit-secret-reads")
    assert code == 2
    assert "after the window starts" in report["results"][0]["message"]


def test_a_stale_log_denies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, jsonl([*bounds()[:100], event(1, at="2026-11-30T01:00:00Z")]))
    code, report = evaluate(path, capsys, "audit-secret-reads")
    assert code == 2
    assert "more than 15m before the window ends" in report["results"][0]["message"]


def test_an_empty_log_denies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = evaluate(write(tmp_path, b""), capsys, "audit-failed-authentication")
    assert code == 2 and "holds no event" in report["results"][0]["message"]


def test_too_many_distinct_users_deny(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_log, "MAX_TALLIES", 3)
    users = [event(i, user={"username": f"u{i}"}, responseStatus={"code": 401}) for i in range(5)]
    path = write(tmp_path, jsonl([*bounds(), *users]))
    code, report = evaluate(path, capsys, "audit-failed-authentication")
    assert code == 2 and "were not tallied" in report["results"][0]["message"]


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["evaluate", "--policies", PACK, "--audit-log", str(tmp_path / "nope.log")]
    code, _, err = run_cli(args, capsys)
    assert code == 3 and "cannot read" in err


def test_no_audit_log_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(["evaluate", "--policies", PACK], capsys)
    assert code == 2
    assert all("--audit-log FILE" in r["message"] for r in report["results"])


def test_saved_section_replays_at_its_window_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, jsonl([*bounds(), event(1)]))
    state = read_audit_logs([str(path)], [WINDOW], NOW)
    snap = load_snapshot(dump_snapshot(Snapshot(audit_events=state)), "saved.json")
    assert snap.audit_events == state
    saved = write(tmp_path, dump_snapshot(snap), "saved.json")
    args = ["evaluate", "--policies", PACK, "--select", "audit-secret-reads", "--snapshot"]
    code, report = run_json([*args, str(saved), "--now", "2026-11-30T02:10:00Z"], capsys)
    assert code == 1 and report["results"][0]["details"]["user"] == "alice"
    code, report = run_json([*args, str(saved), "--now", "2026-11-30T03:00:00Z"], capsys)
    assert code == 2 and "holds no tallies for" in report["results"][0]["message"]


def test_the_documented_command_reads_a_plain_and_a_rotated_gzip_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older = write(tmp_path, gzip.compress(jsonl([*bounds()[:80], event(1)])), "audit-1.log.gz")
    newer = write(tmp_path, jsonl([event(2), *bounds()[80:]]))
    args = ["evaluate", "--policies", PACK, "--audit-log", str(newer), "--audit-log", str(older)]
    code, report = run_json([*args, "--now", "2026-11-30T02:10:00Z"], capsys)
    assert code == 1
    failed = [r for r in report["results"] if r["status"] == "fail"]
    assert [(r["policy"], r["details"]["count"]) for r in failed] == [("audit-secret-reads", 2)]


def test_regulens_snapshot_saves_the_tallies_for_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "events.json"
    log = write(tmp_path, jsonl([event(1, at="2020-01-01T00:00:00Z"), event(2)]))
    args = ["snapshot", "--audit-log", str(log), "--policies", PACK, "-o", str(saved)]
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    doc = json.loads(saved.read_text())
    (window,) = doc["audit_events"]["windows"]
    replay = ["evaluate", "--policies", PACK, "--snapshot", str(saved), "--now", window["end"]]
    code, report = run_json(replay, capsys)
    # the log's newest event is long before the saved window ends: stale, never a pass
    assert code == 2
    assert all("before the window ends" in r["message"] for r in report["results"])


def test_a_missing_rotated_file_in_the_middle_denies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    beats = bounds()
    path = write(tmp_path, jsonl([*beats[:40], *beats[60:]]))  # 3 h 20 min without events
    code, report = evaluate(path, capsys, "audit-secret-reads")
    assert code == 2
    message = report["results"][0]["message"]
    assert "no audit event from 2026-11-29T08:3" in message and "a log file is missing" in message


def test_a_log_of_request_received_stages_only_denies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    beats = [{**e, "stage": "RequestReceived"} for e in bounds()]
    code, report = evaluate(write(tmp_path, jsonl(beats)), capsys, "audit-secret-reads")
    assert code == 2 and "none of stage ResponseComplete" in report["results"][0]["message"]


def test_max_lag_below_the_kept_silence_is_refused() -> None:
    from tests.engine.helpers import policy

    with pytest.raises(ValueError, match="max_lag must be at least 10m"):
        policy({"type": "audit-events", "event": "secret-read", "max_lag": "5m"})


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused_not_streamed(device: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["evaluate", "--policies", PACK, "--audit-log", device]
    code, _, err = run_cli(args, capsys)
    assert code == 3 and "not a regular file" in err
