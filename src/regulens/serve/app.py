"""The portal's ASGI application: pages, downloads, the JSON API and /metrics.

Read-only by construction: the store is opened read-only (SQLite `mode=ro`,
PostgreSQL `default_transaction_read_only`), and no route calls a writing method.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from regulens import __version__, clock
from regulens.cli.common import STREAM_GRAMMAR, is_stream_name
from regulens.display import printable
from regulens.errors import ConfigError, EvidenceError, RegulensError
from regulens.evidence.store import EvidenceStore
from regulens.reports.facts import ComplianceReport, ReviewPack
from regulens.reports.runs import Period, iso, month_period, parse_period
from regulens.reports.wording import duration
from regulens.serve.api import (
    Fleet,
    InputDigest,
    Result,
    RunDetail,
    RunPage,
    RunSummary,
    StreamOverview,
    openapi,
)
from regulens.serve.metrics import registry
from regulens.serve.portal import (
    DECISIONS,
    POLICY_ID,
    Evidence,
    RunFilter,
    Settings,
    fleet_of,
    read_evidence,
    run_detail,
    run_summary,
)
from regulens.serve.ratelimit import FailedSignIns
from regulens.serve.security import MAX_BODY, Guard
from regulens.serve.tokens import TokenEntry, VerifiedTokens, check_token

log = logging.getLogger(__name__)
TOOL = {"name": "regulens", "version": __version__}
COOKIE = "regulens_session"
SESSION_TTL = 8 * 3600.0
MAX_SESSIONS = 1024
MAX_PAGE = 100_000
MAX_LIMIT = 200
_RUN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)
_PERIOD = re.compile(r"\d{4}-(?:\d{2}|Q[1-4])", re.ASCII)
_MONTH = re.compile(r"\d{4}-\d{2}", re.ASCII)


class BadRequest(Exception):
    """A query parameter that is not valid (400)."""


@dataclass
class Sessions:
    """Signed-in browser sessions: random ids, in memory, bounded and expiring."""

    live: OrderedDict[str, tuple[str, float]] = field(default_factory=OrderedDict)

    def open(self, name: str, now: float) -> str:
        sid = secrets.token_urlsafe(32)
        self.live[sid] = (name, now + SESSION_TTL)
        while len(self.live) > MAX_SESSIONS:
            self.live.popitem(last=False)
        return sid

    def who(self, sid: str, now: float) -> str | None:
        item = self.live.get(sid) if len(sid) <= 64 else None
        if item is None or item[1] <= now:
            self.live.pop(sid, None)
            return None
        return item[0]

    def close(self, sid: str) -> None:
        self.live.pop(sid, None)


@dataclass
class Portal:
    """Everything the routes share."""

    store: EvidenceStore
    tokens: tuple[TokenEntry, ...]
    settings: Settings
    secure_cookies: bool = False
    bundle_key: str | None = None
    now: Callable[[], datetime] = clock.now
    failures: FailedSignIns = field(default_factory=FailedSignIns)
    sessions: Sessions = field(default_factory=Sessions)
    verified: VerifiedTokens = field(default_factory=VerifiedTokens)

    def evidence(self) -> Evidence:
        return read_evidence(self.store, self.settings)


@cache
def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("regulens.serve", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        finalize=lambda v: printable(str(v)) if v is not None else "",
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["printable"] = lambda v: printable(str(v))
    env.filters["duration"] = duration
    return env


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = _templates().get_template(name).render(version=__version__, **context)
    return HTMLResponse(body, status_code=status)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/metrics"


def _problem(request: Request, status: int, text: str) -> Response:
    if _wants_json(request) or request.url.path.startswith("/downloads/"):
        return JSONResponse({"error": printable(text)}, status_code=status)
    return _page("error.html.j2", status=status, message=text, user=None)


def _signed_in(portal: Portal, request: Request) -> tuple[str | None, Response | None]:
    """Who is asking (None: nobody), or an answer that ends the request (rate limited)."""
    if not portal.tokens:
        return "local", None
    now = time.monotonic()
    client = _client(request)
    header = request.headers.get("authorization", "")
    if header:
        if portal.failures.blocked(client, now):
            return None, _limited(request)
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer":
            portal.failures.failed(client, now)
            return None, None
        name = portal.verified.get(token, now)
        if name is None:
            name = check_token(portal.tokens, token)
            if name is None:
                portal.failures.failed(client, now)
            else:
                portal.verified.put(token, name, now)
        return name, None
    sid = request.cookies.get(COOKIE)
    return (portal.sessions.who(sid, now) if sid else None), None


def _limited(request: Request) -> Response:
    resp = _problem(request, 429, "too many failed sign-ins: try again later")
    resp.headers["retry-after"] = "300"
    return resp


Handler = Callable[[Portal, Request, str], Response]


def _route(handler: Handler) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        portal: Portal = request.app.state.portal
        user, stop = _signed_in(portal, request)
        if stop is not None:
            return stop
        if user is None:
            if _wants_json(request) or request.url.path.startswith("/downloads/"):
                return JSONResponse(
                    {"error": "not signed in"},
                    status_code=401,
                    headers={"www-authenticate": 'Bearer realm="regulens"'},
                )
            return RedirectResponse("/login", status_code=303)
        try:
            return await run_in_threadpool(handler, portal, request, user)
        except BadRequest as exc:
            return _problem(request, 400, str(exc))
        except EvidenceError as exc:
            log.warning("evidence store: %s", exc)
            return _problem(request, 503, f"evidence store failed: {exc}")
        except ConfigError as exc:
            return _problem(request, 400, str(exc))
        except RegulensError as exc:  # evidence that does not verify, unreadable data: fail closed
            return _problem(request, 503, str(exc))

    return endpoint


# -- parameters -------------------------------------------------------------------------------


def _query(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"{name}: given more than once")
    return values[0] if values else None


def _int(request: Request, name: str, default: int, maximum: int) -> int:
    text = _query(request, name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 6 or not 1 <= int(text) <= maximum:
        raise BadRequest(f"{name}: expected a whole number from 1 to {maximum}")
    return int(text)


def _period(text: str) -> Period:
    if _PERIOD.fullmatch(text) is None:
        raise BadRequest("period: expected a month (2026-11) or a quarter (2026-Q4)")
    try:
        return parse_period(text)
    except ConfigError as exc:
        raise BadRequest(f"period: {exc}") from exc


def _month(text: str) -> Period:
    if _MONTH.fullmatch(text) is None:
        raise BadRequest("month: expected a month like 2026-11")
    try:
        return month_period(text)
    except ConfigError as exc:
        raise BadRequest(f"month: {exc}") from exc


def _filter(request: Request) -> RunFilter:
    known = {"stream", "period", "decision", "policy", "page", "limit"}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise BadRequest(f"unknown query parameter {unknown[0][:40]!r}")
    stream = _query(request, "stream") or None
    if stream is not None and not is_stream_name(stream):
        raise BadRequest(f"stream: not a stream name: {STREAM_GRAMMAR}")
    period = _query(request, "period") or None
    decision = _query(request, "decision") or None
    if decision is not None and decision not in DECISIONS:
        raise BadRequest(f"decision: one of {', '.join(DECISIONS)}")
    policy = _query(request, "policy") or None
    if policy is not None and POLICY_ID.fullmatch(policy) is None:
        raise BadRequest("policy: not a policy id")
    return RunFilter(stream, _period(period) if period else None, decision, policy)


def _page_of(request: Request, evidence: Evidence) -> RunPage:
    chosen = _filter(request)
    page = _int(request, "page", 1, MAX_PAGE)
    limit = _int(request, "limit", 50, MAX_LIMIT)
    runs = [r for r in evidence.runs if chosen.matches(r)]
    runs.sort(key=lambda r: (r.recorded_at, r.stream, r.seq), reverse=True)
    window = runs[(page - 1) * limit : page * limit]
    return RunPage(total=len(runs), page=page, limit=limit, runs=[_summary(r) for r in window])


def _summary(run: Any) -> RunSummary:
    row = run_summary(run)
    exit_code = row["exit_code"]
    return RunSummary(
        run_id=row["run_id"],
        stream=row["stream"],
        seq=row["seq"],
        at=row["at"],
        recorded_at=row["recorded_at"],
        command=row["command"],
        decision=row["decision"],
        exit_code=exit_code if isinstance(exit_code, int) else None,
        summary={str(k): v for k, v in row["summary"].items() if type(v) is int},
        change=str(row["change"]) if row["change"] is not None else None,
    )


def _detail(portal: Portal, run_id: str) -> tuple[Evidence, RunDetail | None]:
    if _RUN_ID.fullmatch(run_id) is None:
        raise BadRequest("run id: letters, digits, . _ - (at most 64)")
    evidence = portal.evidence()
    run = next((r for r in evidence.runs if r.run_id == run_id), None)
    if run is None:
        return evidence, None
    row = run_detail(run, evidence)
    summary = _summary(run)
    return evidence, RunDetail(
        **summary.model_dump(),
        digest=row["digest"],
        policies_digest=row["policies_digest"],
        inputs=[InputDigest(**i) for i in row["inputs"]],
        results=[Result(**r) for r in row["results"]],
        verification=row["verification"],
        verification_message=row["verification_message"],
        replay=row["replay"],
    )


def _fleet(evidence: Evidence, now: datetime) -> Fleet:
    streams = [
        StreamOverview(
            stream=row.stream,
            runs=row.runs,
            last_run_at=row.last_run_at,
            age_seconds=row.age_seconds,
            stale=row.stale,
            last_decision=row.decision,
            last_decision_at=row.decision_at,
            incomplete=row.incomplete,
            coverage_gaps=list(row.coverage_gaps),
            failing_policies=list(row.failing_policies),
            verification=row.verification.state,
            verification_message=row.verification.message,
        )
        for row in fleet_of(evidence, now).rows
    ]
    return Fleet(
        verification=evidence.verification.state,
        verification_message=evidence.verification.message,
        streams=streams,
    )


def _json(model: Any, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


# -- pages ----------------------------------------------------------------------------------


def overview(portal: Portal, request: Request, user: str) -> Response:
    evidence = portal.evidence()
    months = sorted({r.now.strftime("%Y-%m") for r in evidence.runs}, reverse=True)
    return _page(
        "fleet.html.j2", user=user, fleet=_fleet(evidence, portal.now()), months=months[:24],
        banner=evidence.verification.banner(), bundles=portal.bundle_key is not None,
    )  # fmt: skip


def runs_page(portal: Portal, request: Request, user: str) -> Response:
    evidence = portal.evidence()
    page = _page_of(request, evidence)
    base = {k: v for k, v in request.query_params.items() if k != "page" and v}
    return _page(
        "runs.html.j2", user=user, page=page, query=base, decisions=DECISIONS,
        banner=evidence.verification.banner(), pages=max(1, -(-page.total // page.limit)),
    )  # fmt: skip


def run_page(portal: Portal, request: Request, user: str) -> Response:
    evidence, detail = _detail(portal, request.path_params["run_id"])
    if detail is None:
        return _problem(request, 404, "no such run")
    return _page("run.html.j2", user=user, run=detail, banner=evidence.verification.banner())


def _refuse_unverified(evidence: Evidence) -> None:
    if not evidence.verification.ok and not evidence.allow_unverified:
        raise EvidenceError(
            f"evidence does not verify: {evidence.verification.status}: "
            f"{evidence.verification.message}"
        )


def _compliance(portal: Portal, period: Period) -> ComplianceReport:
    from regulens.reports.compliance import compliance_facts

    evidence = portal.evidence()
    _refuse_unverified(evidence)
    return compliance_facts(
        list(evidence.runs),
        period,
        evidence=evidence.facts_evidence(),
        generated_at=iso(portal.now()),
        tool=TOOL,
        streams=None,
    )


def _review(portal: Portal, period: Period) -> ReviewPack:
    from regulens.reports.loading import load_section
    from regulens.reports.review import review_facts

    evidence = portal.evidence()
    _refuse_unverified(evidence)
    runs = list(evidence.runs)
    return review_facts(
        runs,
        period,
        lambda digest: load_section(portal.store, digest),
        evidence=evidence.facts_evidence(),
        generated_at=iso(portal.now()),
        tool=TOOL,
        all_records=runs,
    )


def report_page(portal: Portal, request: Request, user: str) -> Response:
    from regulens.reports.render import render_compliance

    facts = _compliance(portal, _period(request.path_params["period"]))
    return HTMLResponse(render_compliance(facts, "html"))


def review_page(portal: Portal, request: Request, user: str) -> Response:
    from regulens.reports.render import render_review

    facts = _review(portal, _month(request.path_params["month"]))
    return HTMLResponse(render_review(facts, "html"))


def _attachment(body: bytes, name: str, media: str) -> Response:
    return Response(
        body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


def report_download(portal: Portal, request: Request, user: str) -> Response:
    from regulens.reports.render import render_compliance

    label, fmt = request.path_params["period"], request.path_params["fmt"]
    if fmt not in ("json", "oscal"):
        raise BadRequest("format: json or oscal")
    facts = _compliance(portal, _period(label))
    suffix = "oscal.json" if fmt == "oscal" else "json"
    return _attachment(
        render_compliance(facts, fmt), f"regulens-report-{label}.{suffix}", "application/json"
    )


def review_download(portal: Portal, request: Request, user: str) -> Response:
    from regulens.reports.render import render_review

    label = request.path_params["month"]
    facts = _review(portal, _month(label))
    return _attachment(
        render_review(facts, "json"), f"regulens-review-{label}.json", "application/json"
    )


def bundle_download(portal: Portal, request: Request, user: str) -> Response:
    import io

    from regulens.evidence.bundle import export_bundle
    from regulens.evidence.keys import load_signer

    stream = _query(request, "stream") or None
    if stream is not None and not is_stream_name(stream):
        raise BadRequest(f"stream: not a stream name: {STREAM_GRAMMAR}")
    if portal.bundle_key is None:
        return _problem(request, 404, "bundles are not offered: start serve with --bundle-key")
    now = portal.now()
    out = io.BytesIO()
    export_bundle(
        portal.store, out, load_signer(portal.bundle_key), created_at=iso(now),
        mtime=int(now.timestamp()), stream=stream,
    )  # fmt: skip
    name = f"regulens-evidence-{(stream or 'all').replace('/', '_').replace(':', '_')}.tar.gz"
    return _attachment(out.getvalue(), name, "application/gzip")


# -- API and metrics --------------------------------------------------------------------------


def api_fleet(portal: Portal, request: Request, user: str) -> Response:
    return _json(_fleet(portal.evidence(), portal.now()))


def api_runs(portal: Portal, request: Request, user: str) -> Response:
    return _json(_page_of(request, portal.evidence()))


def api_run(portal: Portal, request: Request, user: str) -> Response:
    _, detail = _detail(portal, request.path_params["run_id"])
    if detail is None:
        return JSONResponse({"error": "no such run"}, status_code=404)
    return _json(detail)


def metrics(portal: Portal, request: Request, user: str) -> Response:
    body = generate_latest(registry(portal.evidence, portal.now))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


# -- sign-in ----------------------------------------------------------------------------------


async def login_form(request: Request) -> Response:
    return _page("login.html.j2", user=None, failed=False)


async def login(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    now = time.monotonic()
    client = _client(request)
    if portal.failures.blocked(client, now):
        return _limited(request)
    body = await request.body()
    if len(body) > MAX_BODY:
        return _problem(request, 413, "request body too large")
    from urllib.parse import parse_qs

    fields = parse_qs(body.decode("ascii", "replace"), max_num_fields=4)
    token = (fields.get("token") or [""])[0].strip()
    name = await run_in_threadpool(check_token, portal.tokens, token) if portal.tokens else None
    if name is None:
        portal.failures.failed(client, now)
        return _page("login.html.j2", status=401, user=None, failed=True)
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie(
        COOKIE, portal.sessions.open(name, now), max_age=int(SESSION_TTL), path="/",
        httponly=True, samesite="strict", secure=portal.secure_cookies,
    )  # fmt: skip
    return resp


async def logout(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    sid = request.cookies.get(COOKIE)
    if sid:
        portal.sessions.close(sid)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return resp


async def openapi_doc(request: Request) -> Response:
    return JSONResponse(openapi())


async def healthz(request: Request) -> Response:
    return Response("ok\n", media_type="text/plain")


async def favicon(request: Request) -> Response:
    return Response(status_code=204)  # browsers ask for one; the report pages name none


async def not_found(request: Request, exc: Exception) -> Response:
    return _problem(request, 404, "not found")


async def not_allowed(request: Request, exc: Exception) -> Response:
    return _problem(request, 405, "method not allowed")


def create_app(portal: Portal) -> Guard:
    """The application, wrapped in the request guard (bounds and security headers)."""
    routes = [
        Route("/", _route(overview)),
        Route("/runs", _route(runs_page)),
        Route("/runs/{run_id}", _route(run_page)),
        Route("/reports/{period}", _route(report_page)),
        Route("/reviews/{month}", _route(review_page)),
        Route("/downloads/reports/{period}.{fmt}", _route(report_download)),
        Route("/downloads/reviews/{month}.json", _route(review_download)),
        Route("/downloads/bundle", _route(bundle_download)),
        Route("/api/streams", _route(api_fleet)),
        Route("/api/runs", _route(api_runs)),
        Route("/api/runs/{run_id}", _route(api_run)),
        Route("/api/openapi.json", openapi_doc),
        Route("/metrics", _route(metrics)),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/favicon.ico", favicon),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})
    app.state.portal = portal
    return Guard(app)
