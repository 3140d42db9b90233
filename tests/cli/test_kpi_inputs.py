"""KPI inputs through the CLI: a real Prometheus at known times, Prometheus down, tokens."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.cli.helpers import run_cli, run_json
from tests.support.prometheus import (
    HEALTHY_AT,
    INCIDENT_AT,
    PrometheusServer,
    expected,
    free_port,
)

KPIS = ["evaluate", "--policies", "builtin:ops-baseline", "--select", "kpi-*"]
SECRET = "s3cr3t-token-value"


def _iso(at: object) -> str:
    return at.isoformat().replace("+00:00", "Z")  # type: ignore[attr-defined]


@pytest.mark.prometheus
def test_healthy_period_allows_with_the_measured_values(
    prometheus_server: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [*KPIS, "--prometheus", prometheus_server.url, "--now", _iso(HEALTHY_AT)]
    code, report = run_json([*args, "--prometheus-timeout", "2.5"], capsys)
    assert code == 0
    want = expected(HEALTHY_AT)
    got = {r["policy"]: r["details"]["value"] for r in report["results"]}
    assert got.keys() == want.keys()
    for policy, value in got.items():
        assert value == pytest.approx(want[policy], abs=1e-9)


@pytest.mark.prometheus
def test_incident_denies_on_every_kpi(
    prometheus_server: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [*KPIS, "--prometheus", prometheus_server.url, "--now", _iso(INCIDENT_AT)]
    code, report = run_json(args, capsys)
    assert code == 1
    assert {r["status"] for r in report["results"]} == {"fail"}
    by_policy = {r["policy"]: r for r in report["results"]}
    rate = by_policy["kpi-error-rate"]
    assert rate["details"]["value"] == pytest.approx(15 / 165, abs=1e-9)
    assert rate["message"] == "measured 0.0909091, but must be < 0.01"
    assert by_policy["kpi-api-latency-p95"]["message"] == "measured 3.75 s, but must be < 2 s"


@pytest.mark.prometheus
def test_no_data_at_now_is_exit_2(
    prometheus_server: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [*KPIS, "--prometheus", prometheus_server.url, "--now", "2026-09-01T00:00:00Z"]
    code, report = run_json(args, capsys)
    assert code == 2
    assert {r["status"] for r in report["results"]} == {"error"}
    assert "empty vector" in report["results"][0]["message"]


@pytest.mark.prometheus
def test_a_bad_query_errors_only_its_own_policy(
    prometheus_server: PrometheusServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    policies = tmp_path / "kpi.yaml"
    policies.write_text(
        "apiVersion: regulens/v1\nkind: PolicySet\nmetadata: {name: mine}\npolicies:\n"
        "  - {id: bad, title: t, severity: low, check: {type: kpi, query: 'sum(rate(x[5m]',"
        " comparator: '<', threshold: 1}}\n"
        "  - {id: good, title: t, severity: low, check: {type: kpi,"
        " query: 'max(regulensai_system_cpu_usage_percent)', comparator: '<', threshold: 80}}\n"
    )
    args = [
        "evaluate",
        "--policies",
        str(policies),
        "--prometheus",
        prometheus_server.url,
        "--now",
        _iso(HEALTHY_AT),
    ]
    code, report = run_json(args, capsys)
    assert code == 2
    status = {r["policy"]: (r["status"], r["message"]) for r in report["results"]}
    assert status["good"] == ("pass", "measured 62.25; must be < 80")
    assert status["bad"][0] == "error"
    assert "HTTP 400: bad_data" in status["bad"][1]


def test_prometheus_down_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, report = run_json([*KPIS, "--prometheus", url, "--now", _iso(HEALTHY_AT)], capsys)
    assert code == 2
    assert report["decision"] == "deny"
    assert len(report["results"]) == 5
    for result in report["results"]:
        assert result["status"] == "error"
        assert "cannot reach Prometheus" in result["message"]


class _Recorder(BaseHTTPRequestHandler):
    seen: list[str | None] = []
    queries: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization"))
        type(self).queries.append(parse_qs(urlsplit(self.path).query))
        body = json.dumps(
            {
                "status": "success",
                "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "0.5"]}]},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    _Recorder.seen = []
    _Recorder.queries = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _one_kpi(url: str) -> list[str]:
    return [
        "evaluate",
        "--policies",
        "builtin:ops-baseline",
        "--select",
        "kpi-error-rate",
        "--prometheus",
        url,
        "--now",
        _iso(HEALTHY_AT),
        "--format",
        "json",
    ]


def test_token_file_is_sent_as_bearer_and_never_printed(
    recorder: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = tmp_path / "token"
    token.write_text(SECRET + "\n")
    caplog.set_level(logging.DEBUG)
    code, out, err = run_cli(
        ["-v", *_one_kpi(recorder), "--prometheus-token-file", str(token)], capsys
    )
    assert code == 1  # 0.5 is not < 0.01
    assert _Recorder.seen == [f"Bearer {SECRET}"]
    assert SECRET not in out + err + caplog.text


def test_token_env_is_sent_as_bearer(
    recorder: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROM_TOKEN", SECRET)
    code, out, err = run_cli([*_one_kpi(recorder), "--prometheus-token-env", "PROM_TOKEN"], capsys)
    assert code == 1
    assert _Recorder.seen == [f"Bearer {SECRET}"]
    assert SECRET not in out + err


def test_without_a_token_no_authorization_header(
    recorder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(_one_kpi(recorder), capsys)
    assert _Recorder.seen == [None]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--prometheus-token-env", "REGULENS_TEST_UNSET_VAR"], "is empty or unset"),
        (["--prometheus-token-file", "/nonexistent/token"], "cannot read the Prometheus token"),
        (
            ["--prometheus-token-env", "A", "--prometheus-token-file", "/x"],
            "not both",
        ),
    ],
)
def test_token_problems_are_usage_errors(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli([*_one_kpi("http://127.0.0.1:9"), *extra], capsys)
    assert code == 3
    assert message in err


def test_credentials_in_the_url_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(_one_kpi(f"http://user:{SECRET}@127.0.0.1:9"), capsys)
    assert code == 3
    assert "must not contain credentials" in err
    assert SECRET not in err


def test_token_without_prometheus_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "evaluate",
        "--policies",
        "builtin:ops-baseline",
        "--select",
        "kpi-*",
        "--prometheus-token-env",
        "X",
    ]
    code, _, err = run_cli(args, capsys)
    assert code == 3
    assert "without --prometheus" in err


def test_only_the_selected_kpi_queries_are_sent(
    recorder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(_one_kpi(recorder), capsys)
    [params] = _Recorder.queries
    assert params["query"] == [
        'sum(rate(regulensai_api_requests_total{status=~"5.."}[5m]))'
        " / sum(rate(regulensai_api_requests_total[5m]))"
    ]
    assert params["time"] == [f"{HEALTHY_AT.timestamp():.3f}"]
