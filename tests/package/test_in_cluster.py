"""The CronJob's command on the in-cluster code path: the fake API server behind TLS, a
service-account token file and CA file as Kubernetes mounts them, KUBERNETES_SERVICE_* set,
no kubeconfig. Every request it answers must be one the deploy/ ClusterRole grants."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from regulens.sources import kubernetes as kube
from tests.cli.helpers import run_cli
from tests.package.test_deploy import DEPLOY, _cronjob_args, _render
from tests.support.fake_apiserver import FakeApiServer, FakeCluster

NOW = "2026-11-30T01:30:00Z"


def _tls_files(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the cluster CA, as ca.crt) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    ca, key_file = tmp_path / "ca.crt", tmp_path / "tls.key"
    ca.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca, key_file


def _granted_paths(objects: list[dict[str, object]]) -> set[tuple[str, str]]:
    """(group, resource) pairs the deploy/ roles grant `list` on (any namespace)."""
    out: set[tuple[str, str]] = set()
    for obj in objects:
        if obj["kind"] in ("ClusterRole", "Role"):
            for rule in obj["rules"]:  # type: ignore[attr-defined]
                if "list" in rule["verbs"]:
                    out |= {(g, r) for g in rule["apiGroups"] for r in rule["resources"]}
    return out


def _resource_of(path: str) -> tuple[str, str] | None:
    """(group, resource) of a list path; None for discovery and the kube-system Namespace."""
    parts = path.split("?", maxsplit=1)[0].strip("/").split("/")
    if parts[0] == "api":
        group, rest = "", parts[2:]
    elif len(parts) > 3:
        group, rest = parts[1], parts[3:]
    else:
        return None  # /apis, /apis/GROUP/VERSION: discovery
    if len(rest) >= 2 and rest[0] == "namespaces":
        rest = rest[2:] if len(rest) > 2 else ["namespaces", rest[1]]
    if not rest:
        return None
    if rest == ["namespaces", "kube-system"]:
        return None  # the `get` on the kube-system Namespace, granted by name
    return group, rest[0]


@pytest.fixture
def in_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[FakeApiServer, Path]:
    ca, key = _tls_files(tmp_path)
    token = tmp_path / "token"
    server = FakeApiServer(FakeCluster())
    token.write_text(server.fake.token)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ca, key)
    server._server.socket = context.wrap_socket(server._server.socket, server_side=True)
    host, port = server._server.server_address[:2]
    monkeypatch.setattr(kube, "IN_CLUSTER_TOKEN", str(token))
    monkeypatch.setattr(kube, "IN_CLUSTER_CA", str(ca))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config either
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", str(host))
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(port))
    return server, token


def test_the_cronjob_command_runs_in_cluster_with_only_granted_requests(
    in_cluster: tuple[FakeApiServer, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, _ = in_cluster
    objects = _render(DEPLOY / "overlays" / "example")
    args = [a.replace("$(REGULENS_CLUSTER_NAME)", "prod-eu-1") for a in _cronjob_args(objects)]
    store = f"sqlite:///{tmp_path / 'evidence.db'}"
    with server:
        code, out, err = run_cli([*args, "--evidence", store, "--now", NOW], capsys)
    assert out, err
    result = json.loads(out)
    assert code == 0, err + json.dumps(result["coverage"])
    assert result["decision"] == "allow"
    granted = _granted_paths(objects)
    asked = [path for _, path, _ in server.fake.requests]
    lists = {r for r in map(_resource_of, asked) if r is not None}
    assert lists, asked
    assert lists <= granted, sorted(lists - granted)
    assert ("", "pods") in lists and ("rbac.authorization.k8s.io", "clusterroles") in lists
    assert any(p.startswith("/api/v1/namespaces/kube-system") for p in asked)
    code, out, err = run_cli(
        ["evidence", "log", "--evidence", store, "--stream", "cluster/prod-eu-1"], capsys
    )
    assert code == 0, err
    assert "cluster/prod-eu-1#1" in out


def test_a_wrong_service_account_token_denies(
    in_cluster: tuple[FakeApiServer, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, token = in_cluster
    token.write_text("not-the-token")
    store = f"sqlite:///{tmp_path / 'evidence.db'}"
    with server:
        code, out, err = run_cli(
            ["evaluate", "--cluster", "--policies", "builtin:ops-baseline/security",
             "--evidence", store, "--now", NOW],
            capsys,
        )  # fmt: skip
    assert code == 2, err
    # judged as a gap of every kind: each policy errors, naming the refusal
    assert "any kind: the API server rejected the credentials (HTTP 401)" in out
    assert "DENY (exit 2)" in out
    assert "not-the-token" not in out + err
