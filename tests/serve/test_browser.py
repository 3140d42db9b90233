"""The portal in a real browser: Debian's headless Chromium driven by Playwright.

Signs in through the form, opens a run, opens the month's report and review, checks
that no page logs a console error (a CSP violation is one) and keeps screenshots.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reports.month import UNAPPROVED_DAY, Month
from tests.serve.conftest import Signed
from tests.support.components import component_missing

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots are kept (REGULENS_ARTIFACTS, else a pytest temp dir)."""
    root = os.environ.get("REGULENS_ARTIFACTS")
    path = Path(root) / "serve" if root else tmp_path_factory.mktemp("serve-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.chromium
def test_sign_in_open_a_run_and_the_months_review(
    base_url: str, signed: Signed, month: Month, artifacts: Path
) -> None:
    if not CHROMIUM.exists():
        component_missing("chromium is not installed: run scripts/components.sh")
    try:
        from playwright import sync_api
    except ImportError:
        component_missing("the playwright package is not installed (pip install -e '.[dev]')")
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on(
                "console",
                lambda m: problems.append(f"{m.text} {m.location}") if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.goto(f"{base_url}/")
            assert page.url.endswith("/login")
            page.fill("input[name=token]", "not-a-token")
            page.click("button[type=submit]")
            assert page.locator("[role=alert]").inner_text() == "That token was not accepted."
            problems.clear()  # the 401 of a refused sign-in is logged by Chromium; expected
            page.fill("input[name=token]", signed.token)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base_url}/")
            assert "signed in as auditor" in page.content()
            page.screenshot(path=str(artifacts / "fleet.png"), full_page=True)

            page.goto(f"{base_url}/runs?decision=deny")
            run = month.runs[UNAPPROVED_DAY]
            page.click(f"a[href='/runs/{run}']")
            page.wait_for_url(f"{base_url}/runs/{run}")
            assert page.locator("td.deny").count() == 1
            assert "change-approval" in page.content()
            page.screenshot(path=str(artifacts / "run.png"), full_page=True)

            page.goto(f"{base_url}/reviews/2026-11")
            assert page.title().startswith("Security review") or "review" in page.title().lower()
            page.screenshot(path=str(artifacts / "review.png"), full_page=True)
            page.goto(f"{base_url}/reports/2026-11")
            assert "2026-11" in page.title()
            page.screenshot(path=str(artifacts / "report.png"), full_page=True)
            cookies = page.context.cookies()
            session = [c for c in cookies if c["name"] == "regulens_session"]
            assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
        finally:
            browser.close()
    print(f"screenshots kept in {artifacts}")
    assert not problems, problems
    for name in ("fleet", "run", "review", "report"):
        assert (artifacts / f"{name}.png").stat().st_size > 10_000
