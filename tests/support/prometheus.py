"""A real Prometheus for tests: a known dataset backfilled with promtool, served on loopback.

The dataset has two regimes at 15 s resolution: a healthy hour (T0 .. T0+60m)
and an incident hour (T0+60m .. T0+120m). Every
KPI's exact value at `HEALTHY_AT` and `INCIDENT_AT` follows from the generator
below (`expected`), so tests compare Prometheus' answers to what the data implies.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.components import component_missing

T0 = datetime(2026, 10, 1, tzinfo=UTC)
STEP = 15  # seconds between samples
STEPS = 480  # two hours
INCIDENT_STEP = 240  # steps after this one belong to the incident
HEALTHY_AT = T0 + timedelta(minutes=50)
INCIDENT_AT = T0 + timedelta(minutes=110)
BUCKETS = ("0.5", "1", "2", "4", "+Inf")

# per-step increments (healthy, incident)
REQUESTS = {"200": (300, 150), "500": (3, 15)}
BUCKET_INCREMENTS = {
    "0.5": (60, 20),
    "1": (90, 40),
    "2": (100, 60),
    "4": (100, 100),
    "+Inf": (100, 100),
}
CPU = {"api-0": (55.5, 91.5), "api-1": (62.25, 70.0)}


def _incident(step: int) -> bool:
    return step > INCIDENT_STEP


def _up(step: int) -> int:
    """`up` of the API: 1, except every 4th sample during the incident."""
    return 0 if _incident(step) and step % 4 == 0 else 1


def _counter(increments: tuple[int, int], upto: int) -> int:
    return sum(increments[1] if _incident(j) else increments[0] for j in range(1, upto + 1))


def openmetrics() -> str:
    """Render the dataset as OpenMetrics text (one series after another, time-ordered)."""
    lines: list[str] = []

    def series(name: str, labels: str, value_at: Callable[[int], float]) -> None:
        for k in range(STEPS + 1):
            ts = int(T0.timestamp()) + k * STEP
            lines.append(f"{name}{{{labels}}} {value_at(k)} {ts}")

    lines.append("# TYPE regulensai_api_requests counter")
    for status, inc in REQUESTS.items():
        series(
            "regulensai_api_requests_total",
            f'status="{status}"',
            lambda k, inc=inc: 1000 + _counter(inc, k),
        )
    lines.append("# TYPE regulensai_api_request_duration_seconds histogram")
    for le in BUCKETS:
        inc = BUCKET_INCREMENTS[le]
        series(
            "regulensai_api_request_duration_seconds_bucket",
            f'le="{le}"',
            lambda k, inc=inc: 500 + _counter(inc, k),
        )
    lines.append("# TYPE regulensai_system_cpu_usage_percent gauge")
    for instance, (ok, bad) in CPU.items():
        series(
            "regulensai_system_cpu_usage_percent",
            f'instance="{instance}"',
            lambda k, ok=ok, bad=bad: bad if _incident(k) else ok,
        )
    lines.append("# TYPE up gauge")
    series("up", 'job="regulensai-api"', _up)
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _quantile(q: float, cumulative: list[tuple[float, float]]) -> float:
    """Prometheus' histogram_quantile over (upper bound, cumulative rate) pairs."""
    rank = q * cumulative[-1][1]
    lower, below = 0.0, 0.0
    for upper, count in cumulative:
        if count >= rank:
            if upper == float("inf"):
                return lower
            return lower + (upper - lower) * ((rank - below) / (count - below))
        lower, below = upper, count
    raise AssertionError("unreachable")


def expected(at: datetime) -> dict[str, float]:
    """Each KPI's value at `at` as the dataset implies it (5m windows inside one regime)."""
    regime = 1 if at > T0 + timedelta(seconds=INCIDENT_STEP * STEP) else 0
    per_second = {s: inc[regime] / STEP for s, inc in REQUESTS.items()}
    total = sum(per_second.values())
    cumulative = [(float(le), BUCKET_INCREMENTS[le][regime] / STEP) for le in BUCKETS]
    last = int((at - T0).total_seconds()) // STEP
    ups = [_up(k) for k in range(min(last, STEPS) + 1)]
    return {
        "kpi-api-latency-p95": _quantile(0.95, cumulative),
        "kpi-throughput": total * 60,
        "kpi-error-rate": per_second["500"] / total,
        "kpi-availability": sum(ups) / len(ups),
        "kpi-resource-utilization": max(v[regime] for v in CPU.values()),
    }


@dataclass(frozen=True)
class PrometheusServer:
    """A running Prometheus serving the dataset."""

    url: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port() -> int:
    """A loopback port nothing listens on (for 'Prometheus down' tests)."""
    return _free_port()


def _require(binary: str) -> str:
    found = shutil.which(binary)
    if found is None:
        reason = f"{binary} is not installed (Debian package prometheus; run make components)"
        component_missing(reason)
    return found


@pytest.fixture(scope="session")
def prometheus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """Backfill the dataset, start Prometheus on 127.0.0.1, wait until ready, stop afterwards."""
    promtool = _require("promtool")
    prometheus = _require("prometheus")
    root = tmp_path_factory.mktemp("prometheus")
    data = root / "data.om"
    data.write_text(openmetrics())
    tsdb = root / "tsdb"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(data), str(tsdb)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    config = root / "prometheus.yml"
    config.write_text("global:\n  evaluation_interval: 1h\n")
    port = _free_port()
    log = (root / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={tsdb}",
            "--storage.tsdb.retention.time=100y",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, root / "prometheus.log")
        yield PrometheusServer(url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"prometheus exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"prometheus was not ready within 60 s: {log.read_text()[-2000:]}")


@contextmanager
def scraping_prometheus(
    root: Path, target: str, *, metrics_path: str = "/metrics", bearer_file: Path | None = None
) -> Iterator[PrometheusServer]:
    """Start Prometheus on 127.0.0.1 scraping `target` (host:port) every second; stop afterwards.

    The scrape-config variant of `prometheus_server`: no backfilled data, one job `regulens`.
    """
    prometheus = _require("prometheus")
    root.mkdir(parents=True, exist_ok=True)
    auth = f"    authorization: {{credentials_file: {bearer_file}}}\n" if bearer_file else ""
    config = root / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: regulens\n"
        f"    metrics_path: {metrics_path}\n"
        f"{auth}"
        f"    static_configs: [{{targets: ['{target}']}}]\n"
    )
    port = _free_port()
    log_path = root / "prometheus.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={root / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, proc, log_path)
            yield PrometheusServer(url)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
