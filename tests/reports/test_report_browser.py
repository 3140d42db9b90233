"""The month's report and review in headless Chromium: no console errors, charts laid out,
identifiers never broken mid-word at 1400 px, collapsed run lists printed.

Screenshots are kept as test artifacts (the path is printed; run pytest with `-s` to see it).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from tests.reports.chromium import chromium_binary, run_chromium
from tests.reports.month import Month, fill_month, run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# Appended to a copy of the page: writes what the layout measured into the DOM.
PROBE = """<script>
window.addEventListener("load", () => {
  const boxes = [...document.querySelectorAll("svg.plot")].map(svg => {
    const r = svg.getBoundingClientRect();
    return {id: svg.closest("figure") ? svg.closest("figure").id : "", w: r.width, h: r.height,
            title: (svg.querySelector("title") || {}).textContent || "",
            desc: (svg.querySelector("desc") || {}).textContent || ""};
  });
  const broken = [];
  for (const el of document.querySelectorAll("code, .mono, a.run")) {
    for (const node of el.childNodes) {
      if (node.nodeType !== 3 || !node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      const words = node.textContent.trim().split(/\\s+/).length;
      if (lines.size > words) broken.push(node.textContent.trim());
    }
  }
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify({boxes, broken, width: window.innerWidth});
  document.body.appendChild(pre);
});
</script>"""


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Month:
    chromium_binary()
    return fill_month(EXAMPLES, tmp_path_factory.mktemp("month"))


def _probe(page: Path, shots: Path) -> tuple[dict[str, object], list[str]]:
    probed = page.with_name(page.stem + "-probe.html")
    probed.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    shot = shots / f"{page.stem}.png"
    rendered = run_chromium(
        chromium_binary(),
        probed,
        "--window-size=1400,6000",
        "--dump-dom",
        f"--screenshot={shot}",
        "--hide-scrollbars",
    )
    print(f"screenshot kept at {shot}")
    assert shot.read_bytes().startswith(b"\x89PNG")
    match = re.search(r'<pre id="probe">(.*?)</pre>', rendered.dom, re.S)
    assert match, "the probe did not run"
    text = match.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    return json.loads(text.replace("&amp;", "&")), rendered.console


@pytest.mark.chromium
@pytest.mark.parametrize(
    ("command", "figures"),
    [
        (("report", "--period", "2026-11"), 3 + 5),  # pass rate, two backup targets, five KPIs
        (("review", "--month", "2026-11"), 1),  # vulnerabilities by severity
    ],
)
def test_month_charts_lay_out_in_chromium(
    month: Month, tmp_path: Path, command: tuple[str, ...], figures: int
) -> None:
    page = tmp_path / f"{command[0]}.html"
    code = run_cli(
        *command, "--evidence", month.url, "--public-key", str(month.public_key),
        "--format", "html", "-o", str(page),
    )  # fmt: skip
    assert code == 0
    probe, console = _probe(page, tmp_path)
    assert console == []
    assert probe["width"] == 1400
    boxes = probe["boxes"]
    assert isinstance(boxes, list) and len(boxes) == figures
    for box in boxes:
        assert box["w"] > 100 and box["h"] > 50, box
        assert box["title"] and box["desc"].startswith(box["title"]), box
    assert probe["broken"] == []


@pytest.mark.chromium
def test_the_probe_sees_a_broken_identifier(tmp_path: Path) -> None:
    # The check above must be able to fail: a narrow cell breaks a long identifier.
    page = tmp_path / "narrow.html"
    page.write_text(
        '<html><body><table style="width:80px"><tr><td class="mono" '
        'style="word-break:break-all">sha256:0123456789abcdef0123456789abcdef</td></tr>'
        "</table></body></html>"
    )
    probe, console = _probe(page, tmp_path)
    assert console == []
    assert probe["broken"] == ["sha256:0123456789abcdef0123456789abcdef"]


@pytest.mark.chromium
def test_collapsed_run_lists_are_printed(month: Month, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    code = run_cli(
        "report", "--period", "2026-11", "--evidence", month.url,
        "--public-key", str(month.public_key), "--format", "html", "-o", str(page),
    )  # fmt: skip
    assert code == 0
    html = page.read_text()
    assert '<details class="runs">' in html
    # every collapsed list is followed by the same links in a span that print styles show
    for details, printed in re.findall(
        r'<details class="runs"><summary>[^<]*</summary>(.*?)</details>'
        r'<span class="runs-print">(.*?)</span>',
        html,
    ):
        assert details == printed
    assert html.count('<details class="runs">') == html.count('<span class="runs-print">')
    css = html[html.index("@media print") :]
    assert "details.runs { display: none; }" in css and ".runs-print { display: inline; }" in css
    assert "counter(page)" in html
    # the printed PDF carries the run ids that were collapsed on screen
    pdf = tmp_path / "report.pdf"
    run_chromium(chromium_binary(), page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_scope_and_controls_catalog_from_the_cli(
    month: Month, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = EXAMPLES / "reports"
    out = tmp_path / "report.md"
    code = run_cli(
        "report", "--period", "2026-11", "--evidence", month.url,
        "--public-key", str(month.public_key), "--scope", str(reports / "scope.yaml"),
        "--owner", "dana@example.com", "--controls", str(reports / "controls.yaml"),
        "--format", "markdown", "-o", str(out),
    )  # fmt: skip
    assert code == 0
    md = out.read_text()
    assert "| System | regulensai platform |" in md
    assert "| Owner | dana@example.com |" in md  # the flag overrides the file
    assert "| Environment | production (eu-west-1, cluster prod-1) |" in md
    assert "`SOC2:A1.2` Backups and recovery infrastructure are in place" in md
    review = tmp_path / "review.html"
    code = run_cli(
        "review", "--month", "2026-11", "--evidence", month.url,
        "--public-key", str(month.public_key), "--system", "shop", "-o", str(review),
    )  # fmt: skip
    assert code == 0
    html = review.read_text()
    assert "<th>System</th><td>shop</td>" in html
    assert "(from the evidence streams)" in html
    bad = tmp_path / "scope.yaml"
    bad.write_text("apiVersion: regulens/v1\nkind: ReportScope\nsystem: x\nsystem: y\n")
    capsys.readouterr()
    code = run_cli(
        "report", "--period", "2026-11", "--evidence", month.url, "--scope", str(bad),
        "-o", str(tmp_path / "never.html"),
    )  # fmt: skip
    assert code == 3
    err = capsys.readouterr().err
    assert "scope.yaml:4:1" in err and "Traceback" not in err
    assert not (tmp_path / "never.html").exists()
    code = run_cli(
        "report", "--period", "2026-11", "--evidence", month.url, "--system", "a\x1bb",
        "-o", str(tmp_path / "never.html"),
    )  # fmt: skip
    assert code == 3
    assert "--system" in capsys.readouterr().err


def _documented_commands() -> list[tuple[list[str], int]]:
    """The console block after the **Print** bullet of docs/reports.md: commands, exit codes."""
    page = (EXAMPLES.parent / "docs" / "reports.md").read_text()
    block = page[page.index("- **Print**: run lists collapsed") :]
    block = block[block.index("```console\n") + 11 :]
    block = block[: block.index("\n```")]
    out = []
    for line in block.splitlines():
        command, _, code = line.rpartition("# exit ")
        out.append((shlex.split(command)[1:], int(code)))
    return out
