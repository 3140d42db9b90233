"""The terminal table: ids never broken, location column, order, colour, log layout."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from regulens.engine import decide
from regulens.engine.outcome import Outcome
from regulens.engine.results import Result
from regulens.engine.types import Enforcement, Severity, Status
from regulens.reports.screen import Screen, wants_color
from regulens.reports.table import render_table
from regulens.snapshot.resources import ResourceRef, SourceLocation

LONG_ID = "rbac-secrets-admin-only-in-every-production-namespace"
LONG_NAME = "payments-gateway-reconciliation-worker-with-a-very-long-name"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def result(status: Status, policy: str, message: str = "a msg.", line: int | None = 7) -> Result:
    return Result(
        policy=policy,
        title=policy,
        status=status,
        severity=Severity.HIGH,
        enforcement=Enforcement.DENY,
        controls=(),
        resource=ResourceRef("apps/v1", "Deployment", "payments", LONG_NAME),
        message=message,
        location=SourceLocation("deploy/app.yaml", 0, line),
    )


def outcome(*results: Result) -> Outcome:
    rows = list(results)
    return Outcome(decide(rows), rows, (), datetime(2026, 11, 30, tzinfo=UTC))


WORDY = " ".join(["the container runs privileged and may reach the host"] * 4) + "."
MIXED = outcome(
    result(Status.SKIP, "skipped-one"),
    result(Status.WARN, "warned-one"),
    result(Status.ERROR, "errored-one"),
    result(Status.FAIL, LONG_ID, WORDY),
    result(Status.PASS, "passed-one"),
)


@pytest.mark.parametrize("width", [80, 100, 140, 260])
def test_a_terminal_never_breaks_ids_names_or_locations(width: int) -> None:
    text = render_table(MIXED, Screen(terminal=True, width=width), show_passed=True)
    assert LONG_ID in text and LONG_NAME in text and "deploy/app.yaml:7" in text
    assert "…" not in text
    assert all(line == line.rstrip() for line in text.splitlines())
    assert max(len(line) for line in text.splitlines()) <= width
    words = re.findall(r"[a-z]+", WORDY)
    shown = re.findall(r"[a-z]+", text)
    for word in set(words):  # every word of the message is shown whole
        assert word in shown


def test_a_wide_terminal_shows_a_table_with_a_location_column() -> None:
    text = render_table(MIXED, Screen(terminal=True, width=260))
    header = next(line for line in text.splitlines() if "policy" in line)
    assert re.findall(r"\w+", header) == [
        "status", "policy", "severity", "resource", "location", "message"
    ]  # fmt: skip


def test_fails_come_before_errors_then_warn_pass_skip() -> None:
    for screen in (Screen(terminal=True, width=260), Screen(terminal=True, width=80), Screen()):
        text = render_table(MIXED, screen, show_passed=True)
        at = [text.index(p) for p in (LONG_ID, "errored-one", "warned-one", "passed-one")]
        assert at == sorted(at), screen
        assert text.index("passed-one") < text.index("skipped-one")


def test_a_log_gets_one_full_line_per_result_whatever_its_length() -> None:
    text = render_table(MIXED, Screen(terminal=False, width=80))
    lines = text.splitlines()
    assert lines[0] == (
        f"FAIL {LONG_ID} [high] Deployment payments/{LONG_NAME} (deploy/app.yaml:7): {WORDY}"
    )
    assert len(lines[0]) > 200  # never folded at 80 columns
    assert lines[1].startswith("ERROR errored-one [high]")
    assert "PASS" not in text  # passes only on request


def test_a_result_without_a_line_shows_its_file_and_one_without_a_place_a_dash() -> None:
    bare = Result("p", "p", Status.FAIL, Severity.LOW, Enforcement.DENY, (), None, "no backup.")
    text = render_table(outcome(result(Status.FAIL, "q", line=None), bare), Screen())
    assert "(deploy/app.yaml): a msg." in text and "FAIL p [low] - (-): no backup." in text


def test_colour_only_when_asked() -> None:
    plain = render_table(MIXED, Screen(terminal=True, color=False, width=200))
    coloured = render_table(MIXED, Screen(terminal=True, color=True, width=200))
    assert not ANSI.search(plain) and ANSI.search(coloured)
    assert ANSI.sub("", coloured) == plain
    assert ANSI.search(render_table(MIXED, Screen(terminal=False, color=True)))


def test_hostile_text_is_never_markup_or_control_characters() -> None:
    evil = result(Status.FAIL, "p", "[bold red]x[/] \x1b[2J\r done.")
    for screen in (Screen(terminal=True, color=True, width=200), Screen()):
        text = ANSI.sub("", render_table(outcome(evil), screen))
        assert "[bold red]x[/]" in text and "\x1b" not in text and "\r" not in text


@pytest.mark.parametrize(
    ("mode", "env", "terminal", "expected"),
    [
        ("always", {"NO_COLOR": "1"}, False, True),
        ("never", {"FORCE_COLOR": "1"}, True, False),
        ("auto", {}, True, True),
        ("auto", {}, False, False),
        ("auto", {"NO_COLOR": "1"}, True, False),
        ("auto", {"NO_COLOR": ""}, True, True),  # set but empty: no-color.org says ignore it
        ("auto", {"FORCE_COLOR": "1"}, False, True),
        ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False),
    ],
)
def test_color_modes(mode: str, env: dict[str, str], terminal: bool, expected: bool) -> None:
    assert wants_color(mode, env, terminal=terminal) is expected
