"""The portal over a real month of evidence, served by a real uvicorn: pages, API, security."""

from __future__ import annotations

import hashlib
import json
import re
import socket
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from regulens.errors import EvidenceError
from regulens.serve.ratelimit import FailedSignIns
from regulens.serve.tokens import check_token, load_tokens
from tests.cli.test_failures import EVIL, _hostile_manifest
from tests.reports.month import BROKEN_DAYS, UNAPPROVED_DAY, Month, run_cli
from tests.serve.conftest import NOW, Signed, make_portal, serving

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


def _headers_ok(resp: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert resp.headers[name] == value
    csp = resp.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'none'" in csp
    assert "unsafe-eval" not in csp


# --- sign-in -----------------------------------------------------------------------------


def test_nothing_is_shown_before_sign_in(client: httpx.Client, month: Month) -> None:
    for path in ("/", "/runs", f"/runs/{month.runs[3]}", "/reports/2026-11", "/reviews/2026-11"):
        resp = client.get(path)
        assert resp.status_code == 303 and resp.headers["location"] == "/login", path
        _headers_ok(resp)
    for path in ("/api/runs", "/api/streams", "/metrics", "/downloads/reports/2026-11.json"):
        resp = client.get(path)
        assert resp.status_code == 401, path
        assert resp.headers["www-authenticate"].startswith("Bearer")
        assert month.runs[3] not in resp.text


def test_bearer_token_signs_in(client: httpx.Client, auth: dict[str, str]) -> None:
    resp = client.get("/api/streams", headers=auth)
    assert resp.status_code == 200
    assert resp.json()["verification"] == "verified"
    assert [s["stream"] for s in resp.json()["streams"]] == ["production"]


def test_the_fleet_shows_age_staleness_completeness_and_each_chain(
    client: httpx.Client, auth: dict[str, str]
) -> None:
    """The portal's fleet carries what `report --fleet` does: stale, incomplete, verified."""
    (row,) = client.get("/api/streams", headers=auth).json()["streams"]
    newest = datetime.fromisoformat(row["last_run_at"].replace("Z", "+00:00"))
    assert row["age_seconds"] == pytest.approx((NOW - newest).total_seconds())
    assert row["stale"] is (row["age_seconds"] > 26 * 3600)
    assert row["verification"] == "verified" and row["verification_message"]
    assert isinstance(row["incomplete"], bool) and isinstance(row["coverage_gaps"], list)
    page = client.get("/", headers=auth).text
    assert " ago)" in page and "<th>Chain</th>" in page and ">verified<" in page
    assert ('class="stale"' in page) is row["stale"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer rgl_000000000000_" + "A" * 43,  # well-formed, unknown id
        "Bearer wrong",
        "Basic YXVkaXRvcjp4",
        "Bearer " + "x" * 5000,  # oversized token
        "Bearer rgl_",
    ],
)
def test_bad_tokens_are_refused(client: httpx.Client, header: str) -> None:
    resp = client.get("/api/runs", headers={"authorization": header})
    assert resp.status_code == 401


def test_a_known_id_with_a_wrong_secret_is_refused(signed: Signed) -> None:
    entries = load_tokens(signed.path)
    token_id = signed.token.split("_")[1]
    assert check_token(entries, signed.token) == "auditor"
    assert check_token(entries, f"rgl_{token_id}_{'B' * 43}") is None
    assert check_token(entries, signed.token + "x") is None
    assert check_token((), signed.token) is None


def test_token_file_keeps_only_hashes(signed: Signed) -> None:
    text = signed.path.read_text()
    secret = signed.token.split("_", 2)[2]
    assert secret not in text and "$argon2id$" in text
    assert signed.path.stat().st_mode & 0o077 == 0


def test_login_form_sets_a_strict_session_cookie(client: httpx.Client, signed: Signed) -> None:
    resp = client.get("/login")
    assert resp.status_code == 200 and 'name="token"' in resp.text
    _headers_ok(resp)
    resp = client.post("/login", data={"token": signed.token})
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    cookie = resp.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback; --ssl-certfile makes it Secure
    assert signed.token not in cookie
    page = client.get("/")
    assert page.status_code == 200 and "signed in as auditor" in page.text
    client.post("/logout")
    assert client.get("/").status_code == 303


def test_session_cookie_is_secure_under_tls(month: Month, signed: Signed) -> None:
    with serving(make_portal(month, signed, secure_cookies=True)) as base:
        resp = httpx.post(f"{base}/login", data={"token": signed.token})
    assert resp.status_code == 303 and "Secure" in resp.headers["set-cookie"]


def test_failed_sign_ins_are_rate_limited(client: httpx.Client, signed: Signed) -> None:
    for _ in range(5):
        assert client.post("/login", data={"token": "nope"}).status_code == 401
    blocked = client.post("/login", data={"token": signed.token})
    assert blocked.status_code == 429 and blocked.headers["retry-after"]
    resp = client.get("/api/runs", headers={"authorization": f"Bearer {signed.token}"})
    assert resp.status_code == 429  # the same client, even with a good token, until the window ends


def test_rate_limiter_memory_is_bounded() -> None:
    limiter = FailedSignIns(limit=2, window=60, clients=100)
    for i in range(10_000):
        limiter.failed(f"10.0.{i // 256}.{i % 256}", 0.0)
    assert len(limiter) == 100
    limiter.failed("a", 1.0)
    limiter.failed("a", 2.0)
    assert limiter.blocked("a", 3.0) and not limiter.blocked("a", 62.0)


# --- pages and API -------------------------------------------------------------------------


def test_runs_filters_and_pagination(client: httpx.Client, auth: dict[str, str]) -> None:
    everything = client.get("/api/runs", headers=auth).json()
    assert everything["total"] == 31
    denied = client.get("/api/runs", params={"decision": "deny", "limit": 200}, headers=auth).json()
    denied_ids = {r["change"] for r in denied["runs"]}
    assert {f"CHG-2026-11{d:02d}" for d in (*BROKEN_DAYS, UNAPPROVED_DAY)} <= denied_ids
    assert all(r["decision"] == "deny" for r in denied["runs"])
    october = client.get("/api/runs", params={"period": "2026-10"}, headers=auth).json()
    assert october["total"] == 1
    approval = client.get(
        "/api/runs", params={"policy": "change-approval", "stream": "production"}, headers=auth
    ).json()
    assert approval["total"] == 31
    assert client.get("/api/runs", params={"stream": "nope"}, headers=auth).json()["total"] == 0
    page = client.get("/api/runs", params={"limit": 7, "page": 2}, headers=auth).json()
    assert len(page["runs"]) == 7 and page["page"] == 2
    times = [r["recorded_at"] for r in everything["runs"]]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "201"},
        {"limit": "0"},
        {"page": "-1"},
        {"page": "1e9"},
        {"stream": "-bad"},
        {"stream": "a" * 129},
        {"stream": "p\u202eroduction"},
        {"period": "2026-13"},
        {"period": "november"},
        {"decision": "maybe"},
        {"policy": "x" * 200},
        {"bogus": "1"},
        [("stream", "a"), ("stream", "b")],
    ],
)
def test_bad_query_parameters_are_400(
    client: httpx.Client, auth: dict[str, str], params: object
) -> None:
    resp = client.get("/api/runs", params=params, headers=auth)  # type: ignore[arg-type]
    assert resp.status_code == 400, resp.text
    assert set(resp.json()) == {"error"}
    page = client.get("/runs", params=params, headers=auth)  # type: ignore[arg-type]
    assert page.status_code == 400 and "Cannot show this page" in page.text


def test_run_detail(client: httpx.Client, auth: dict[str, str], month: Month) -> None:
    run = month.runs[UNAPPROVED_DAY]
    detail = client.get(f"/api/runs/{run}", headers=auth).json()
    assert detail["decision"] == "deny" and detail["exit_code"] == 1
    assert detail["verification"] == "verified"
    assert detail["replay"].startswith("regulens evidence replay --evidence ")
    assert detail["replay"].endswith(run)
    assert {i["section"] for i in detail["inputs"]} >= {"change", "kubernetes", "backups"}
    assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", i["digest"]) for i in detail["inputs"])
    failing = [r for r in detail["results"] if r["status"] == "fail"]
    assert [r["policy"] for r in failing] == ["change-approval"]
    page = client.get(f"/runs/{run}", headers=auth)
    assert page.status_code == 200
    assert detail["digest"] in page.text and "change-approval" in page.text
    assert client.get("/api/runs/no-such-run", headers=auth).status_code == 404
    assert client.get("/runs/no-such-run", headers=auth).status_code == 404
    assert client.get("/api/runs/" + "a" * 65, headers=auth).status_code == 400


def _without_generated_at(html: str) -> str:
    return re.sub(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z", "T", html)


def test_report_and_review_pages_are_the_cli_documents(
    client: httpx.Client, auth: dict[str, str], month: Month, tmp_path: Path
) -> None:
    """One rendering path: the portal's pages equal `regulens report`/`review` HTML files."""
    for kind, path, args in (
        ("report", "/reports/2026-11", ["report", "--period", "2026-11"]),
        ("review", "/reviews/2026-11", ["review", "--month", "2026-11"]),
    ):
        out = tmp_path / f"{kind}.html"
        code = run_cli(
            *args, "--evidence", month.url, "--public-key", str(month.public_key), "-o", str(out)
        )
        assert code == 0
        page = client.get(path, headers=auth)
        assert page.status_code == 200
        assert _without_generated_at(page.text) == _without_generated_at(out.read_text())
        _headers_ok(page)
        assert "<script" not in page.text


def test_downloads(client: httpx.Client, auth: dict[str, str]) -> None:
    report = client.get("/downloads/reports/2026-11.json", headers=auth)
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert report.json()["summary"]["runs"] == 30
    oscal = client.get("/downloads/reports/2026-11.oscal", headers=auth)
    assert "assessment-results" in oscal.json()
    review = client.get("/downloads/reviews/2026-11.json", headers=auth)
    assert review.status_code == 200 and review.json()
    assert client.get("/downloads/reports/2026-11.xml", headers=auth).status_code == 400
    assert client.get("/downloads/bundle", headers=auth).status_code == 404  # no --bundle-key
    assert "/downloads/bundle" not in client.get("/", headers=auth).text


def test_bundle_download_verifies_offline(month: Month, signed: Signed, tmp_path: Path) -> None:
    portal = make_portal(month, signed, bundle_key=str(month.key))
    with serving(portal) as url:
        fleet = httpx.get(f"{url}/", headers={"authorization": f"Bearer {signed.token}"})
        assert 'href="/downloads/bundle"' in fleet.text
        resp = httpx.get(
            f"{url}/downloads/bundle", params={"stream": "production"},
            headers={"authorization": f"Bearer {signed.token}"}, timeout=60,
        )  # fmt: skip
    assert resp.status_code == 200
    bundle = tmp_path / "bundle.tar.gz"
    bundle.write_bytes(resp.content)
    code = run_cli("evidence", "verify-bundle", str(bundle), "--public-key", str(month.public_key))
    assert code == 0


# --- bounds and hostile input -------------------------------------------------------------


def test_oversized_requests_are_refused(client: httpx.Client, auth: dict[str, str]) -> None:
    assert client.post("/login", content=b"token=" + b"x" * 20_000).status_code == 413
    assert client.get("/api/runs?policy=" + "x" * 3000, headers=auth).status_code == 414
    assert client.get("/" + "x" * 2000, headers=auth).status_code == 414
    huge = {"x-filler": "y" * 40_000, **auth}
    assert client.get("/api/runs", headers=huge).status_code == 431
    host, port = str(client.base_url.host), int(client.base_url.port or 80)
    with socket.create_connection((host, port), timeout=10) as raw:
        raw.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
        assert raw.recv(200).startswith(b"HTTP/1.1 413 ")


def test_no_route_writes(client: httpx.Client, auth: dict[str, str]) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        resp = client.request(method, "/api/runs", headers=auth)
        assert resp.status_code == 405
        _headers_ok(resp)
    assert client.post("/api/runs", headers=auth).status_code == 405


def test_store_is_opened_read_only(month: Month, signed: Signed) -> None:
    db = Path(month.url.removeprefix("sqlite:///"))
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    portal = make_portal(month, signed)
    with serving(portal) as url:
        headers = {"authorization": f"Bearer {signed.token}"}
        for path in ("/", "/runs", "/reports/2026-11", "/reviews/2026-11", "/metrics"):
            assert httpx.get(url + path, headers=headers, timeout=60).status_code == 200
        with pytest.raises(EvidenceError, match="readonly"):
            portal.store.append("other", "x-run", "gate", "2026-12-01T00:00:00Z", b"{}")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_hostile_names_from_evidence_are_inert(
    tmp_path: Path, signed: Signed, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _hostile_manifest(tmp_path)
    url = f"sqlite:///{tmp_path / 'evil.db'}"
    code = run_cli(
        "evaluate", "--policies", "builtin:ops-baseline", "--select", "workload-no-privileged",
        "--manifests", str(manifest), "--now", "2026-11-30T01:30:00Z",
        "--record", "--evidence", url,
    )  # fmt: skip
    assert code == 1
    capsys.readouterr()
    hostile = Month(url, tmp_path / "none", tmp_path / "none.pub", {}, "evaluate")
    portal = make_portal(hostile, signed, keys=False)
    headers = {"authorization": f"Bearer {signed.token}"}
    with serving(portal) as base:
        runs = httpx.get(f"{base}/api/runs", headers=headers).json()["runs"]
        run_id = runs[0]["run_id"]
        api = httpx.get(f"{base}/api/runs/{run_id}", headers=headers)
        page = httpx.get(f"{base}/runs/{run_id}", headers=headers)
        report = httpx.get(f"{base}/reports/2026-11", headers=headers)
    assert any(EVIL in r["resource"] for r in api.json()["results"])  # the API keeps the data
    for html in (page.text, report.text):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert json.loads(api.text)  # valid JSON with the text escaped by the encoder


def test_unverifiable_evidence_refuses_reports(
    month: Month, signed: Signed, tmp_path: Path
) -> None:
    """Fail closed: a tampered store shows a red banner and refuses reports (503)."""
    import shutil
    import sqlite3

    copy = tmp_path / "tampered.db"
    shutil.copy(Path(month.url.removeprefix("sqlite:///")), copy)
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE evidence_records SET recorded_at = '2026-01-01T00:00:00Z' WHERE seq = 5")
    tampered = Month(f"sqlite:///{copy}", month.key, month.public_key, month.runs, month.command)
    headers = {"authorization": f"Bearer {signed.token}"}
    with serving(make_portal(tampered, signed)) as base:
        fleet = httpx.get(f"{base}/", headers=headers)
        report = httpx.get(f"{base}/reports/2026-11", headers=headers)
        api = httpx.get(f"{base}/api/streams", headers=headers).json()
        metrics = httpx.get(f"{base}/metrics", headers=headers).text
    assert 'class="banner failed"' in fleet.text
    assert report.status_code == 503 and "does not verify" in report.text
    assert api["verification"] == "failed"
    assert [s["verification"] for s in api["streams"]] == ["failed"]
    assert '<td class="failed">failed: ' in fleet.text
    assert 'regulens_verification_ok{state="failed"} 0.0' in metrics
