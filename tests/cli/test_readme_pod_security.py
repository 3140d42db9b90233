"""Every command in the README's Pod Security and sub-pack sections runs, with its exit code."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("### Built-in packs and sub-packs", "## Pod Security Standards")
_COMMAND = re.compile(r"^regulens (?P<args>.+?)\s+# exit (?P<code>\d)$")


def section(title: str) -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    start = text.index(f"\n{title}\n")
    level = title.split(" ", 1)[0]
    end = text.find(f"\n{level} ", start + len(title) + 2)
    nxt = text.find("\n## ", start + len(title) + 2)
    ends = [e for e in (end, nxt) if e != -1]
    return text[start : min(ends)] if ends else text[start:]


def commands() -> list[tuple[str, int]]:
    out = []
    for title in SECTIONS:
        for block in re.findall(r"```console\n(.*?)```", section(title), flags=re.S):
            for line in block.splitlines():
                m = _COMMAND.match(line.strip())
                assert m, f"README {title}: a command without '# exit N': {line}"
                out.append((m.group("args"), int(m.group("code"))))
    return out


def test_the_sections_show_commands() -> None:
    assert len(commands()) >= 6


@pytest.mark.parametrize(("args", "code"), commands(), ids=lambda v: str(v)[:60])
def test_readme_command(
    args: str, code: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    got, out, err = run_cli(shlex.split(args), capsys)
    assert got == code, (args, out[-2000:], err[-2000:])
