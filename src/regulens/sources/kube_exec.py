"""Run kubeconfig exec credential plugins quietly, within the collection's deadline.

The `kubernetes` client runs `users[].user.exec` plugins itself: on a terminal
it hands them the terminal's stderr, and when one fails it logs the plugin's
stderr at ERROR through the root logger. A plugin's stderr can carry
credentials (a token it just minted, a debug dump), so here every plugin run
captures stderr, which is logged (control characters escaped) only at INFO,
i.e. with `-v`. Plugins run non-interactively (`spec.interactive: false`, no
stdin, as in CI), and within the time left of `--deadline`. A plugin that fails
while the configuration is loaded is an input error (exit 2) that names the
plugin and its exit status, never its output.
"""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from regulens.errors import InputDataError

log = logging.getLogger(__name__)


class ExecPluginFailed(BaseException):
    """An exec plugin failed while the kubeconfig was loaded.

    A BaseException on purpose: the client wraps plugin runs in `except
    Exception` and logs the message at ERROR; this must reach `connect` instead.
    """


def _escaped(text: str) -> str:
    """Escape control characters (a plugin's output must not drive the terminal)."""
    return "".join(c if c.isprintable() or c == "\n" else f"\\x{ord(c):02x}" for c in text)


def _exec_info(provider: Any, previous_response: Any) -> dict[str, Any]:
    """The ExecCredential request the plugin reads from KUBERNETES_EXEC_INFO."""
    spec: dict[str, Any] = {"interactive": False}
    if previous_response:
        spec["response"] = previous_response
    cluster = getattr(provider, "cluster", None)
    if cluster is not None:
        info = dict(cluster.value)
        for extension in info.get("extensions") or ():
            if extension.get("name") == "client.authentication.k8s.io/exec":
                info["config"] = extension.get("extension")
                break
        spec["cluster"] = info
    return {"apiVersion": provider.api_version, "kind": "ExecCredential", "spec": spec}


def _provider_class(base: type, remaining: Callable[[], float], loading: list[bool]) -> type:
    """Subclass the client's ExecProvider (its config parsing) with a quiet, bounded run()."""

    def run(self: Any, previous_response: Any = None) -> Any:
        from kubernetes.config.config_exception import ConfigException

        name = Path(str(self.args[0])).name
        env = {**self.env, "KUBERNETES_EXEC_INFO": json.dumps(_exec_info(self, previous_response))}
        problem: str | None = None
        status: Any = None
        try:
            done = subprocess.run(  # the command is the user's own kubeconfig's
                self.args,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                cwd=self.cwd,
                env=env,
                timeout=max(remaining(), 0.01),
                check=False,
            )
        except subprocess.TimeoutExpired:
            problem = f"did not finish within the deadline ({name})"
        except OSError as exc:
            problem = f"cannot run {name}: {exc.strerror}"
        else:
            err = done.stderr.decode("utf-8", "replace").strip()
            if err:
                log.info("kubeconfig exec plugin %s wrote to stderr:\n%s", name, _escaped(err))
            if done.returncode != 0:
                problem = f"{name} exited with status {done.returncode}"
            else:
                status, problem = _credential(done.stdout, self.api_version, name)
        if problem is None:
            return status
        if loading[0]:
            raise ExecPluginFailed(problem)
        raise ConfigException(f"exec plugin {problem}")

    return type("QuietExecProvider", (base,), {"run": run})


def _credential(stdout: bytes, api_version: str, name: str) -> tuple[Any, str | None]:
    try:
        data = json.loads(stdout)
    except ValueError:
        return None, f"{name} did not print an ExecCredential (not JSON)"
    if not isinstance(data, dict) or data.get("kind") != "ExecCredential":
        return None, f"{name} did not print an ExecCredential"
    if data.get("apiVersion") != api_version:
        return None, f"{name} answered apiVersion {data.get('apiVersion')!r}, not {api_version!r}"
    if not isinstance(data.get("status"), dict):
        return None, f"{name} printed an ExecCredential without status"
    return data["status"], None


@contextlib.contextmanager
def quiet_exec_plugins(remaining: Callable[[], float]) -> Iterator[None]:
    """Install the quiet provider for this collection; plugin failures while inside raise.

    The provider stays installed afterwards (the client re-runs plugins to refresh
    expiring credentials during the collection); a failure then is logged by the
    client without the plugin's output, and the request is answered 401.
    """
    from kubernetes.config import kube_config

    installed: type = getattr(kube_config, "ExecProvider")  # noqa: B009 (not exported)
    base: type = getattr(installed, "regulens_base", installed)
    loading = [True]
    provider = _provider_class(base, remaining, loading)
    provider.regulens_base = base  # type: ignore[attr-defined]
    setattr(kube_config, "ExecProvider", provider)  # noqa: B010 (not exported)
    try:
        yield
    except ExecPluginFailed as exc:
        raise InputDataError(
            f"--cluster: the kubeconfig exec plugin failed: {exc}",
            hint="run with -v to see what the plugin wrote to stderr",
        ) from None
    finally:
        loading[0] = False


__all__ = ["ExecPluginFailed", "quiet_exec_plugins"]
