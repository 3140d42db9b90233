"""/metrics scraped by the real Prometheus, and the example alert rules checked by promtool."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.reports.month import UNAPPROVED_DAY, Month
from tests.serve.conftest import Signed, make_portal, serving
from tests.support.components import component_missing
from tests.support.prometheus import scraping_prometheus

RULES = ROOT / "examples" / "alerts"


def _query(url: str, expr: str) -> list[dict[str, object]]:
    resp = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10)
    resp.raise_for_status()
    result: list[dict[str, object]] = resp.json()["data"]["result"]
    return result


@pytest.mark.prometheus
def test_prometheus_scrapes_the_portal(month: Month, signed: Signed, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(signed.token)
    with serving(make_portal(month, signed)) as base:
        target = base.removeprefix("http://")
        with scraping_prometheus(tmp_path / "prom", target, bearer_file=token_file) as prom:
            deadline = time.monotonic() + 60
            while True:
                up = _query(prom.url, 'up{job="regulens"} == 1')
                verified = _query(prom.url, "regulens_verification_ok")
                age = _query(prom.url, "regulens_last_run_age_seconds")
                expiring = _query(prom.url, "regulens_exceptions_expiring_30d")
                counted = _query(prom.url, 'regulens_decisions{stream="production"}')
                if up and verified and age and expiring and len(counted) == 2:
                    break
                assert time.monotonic() < deadline, "Prometheus never scraped the portal"
                time.sleep(0.5)
            decisions = {
                r["metric"]["decision"]: float(r["value"][1])  # type: ignore[index]
                for r in counted
            }
            drift = _query(prom.url, "max by (stream, policy) (regulens_policy_status) >= 2")
    assert float(up[0]["value"][1]) == 1  # type: ignore[index]
    assert decisions == {"allow": 26.0, "deny": 5.0}
    assert sum(decisions.values()) == 31
    assert [r["metric"]["state"] for r in verified] == ["verified"]  # type: ignore[index]
    assert float(verified[0]["value"][1]) == 1  # type: ignore[index]
    # the newest decision was evaluated 2026-11-30T02:10Z; the portal's clock says 2026-12-01T08:00Z
    assert float(age[0]["value"][1]) == 30 * 3600 - 600  # type: ignore[index]
    assert drift == []  # the newest decision (day 30) passes every policy
    assert float(expiring[0]["value"][1]) == 1  # EXC-2026-021 expires 2026-12-20  # type: ignore[index]
    assert UNAPPROVED_DAY in month.runs


def test_metrics_require_sign_in(client: httpx.Client) -> None:
    assert client.get("/metrics").status_code == 401


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        component_missing("promtool is not installed (Debian package prometheus)")
    return found


@pytest.mark.prometheus
@pytest.mark.parametrize(
    "args",
    [["check", "rules", "regulens.rules.yml"], ["test", "rules", "regulens.rules.test.yml"]],
)
def test_example_alert_rules_pass_promtool(args: list[str]) -> None:
    proc = subprocess.run(
        [_promtool(), *args], cwd=RULES, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout + proc.stderr
