"""The Pod Security Standards, check by check, as the Pod Security Admission controller judges them.

Semantics are those of the newest policy version (v1.37). Each check takes a
`Pod` and returns its violations, each naming the container (None: pod level)
and the field. Restricted is every baseline check, minus the ones a restricted
check overrides, plus the restricted checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from regulens.engine.pod_security.pod import Node, Pod, PodContainer, security_contexts

POLICY_VERSION = "v1.37"


class Level(StrEnum):
    """A Pod Security Standards level, least to most restrictive."""

    PRIVILEGED = "privileged"
    BASELINE = "baseline"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        """0 privileged, 1 baseline, 2 restricted."""
        return list(Level).index(self)


@dataclass(frozen=True, slots=True)
class Violation:
    """One forbidden setting: where (container or pod level), which field, what value."""

    container: PodContainer | None
    field: str
    value: str
    reason: str


CheckFn = Callable[[Pod], list[Violation]]


@dataclass(frozen=True, slots=True)
class StandardCheck:
    """One upstream check: its id, level, the baseline check it overrides, and its judge."""

    id: str
    level: Level
    title: str
    judge: CheckFn
    overrides: str | None = None


def _v(container: PodContainer | None, field: str, value: object, reason: str) -> Violation:
    return Violation(container, field, _show(value), reason)


def _show(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


# --- baseline -----------------------------------------------------------------


def host_namespaces(pod: Pod) -> list[Violation]:
    """hostNetwork, hostPID and hostIPC are unset or false."""
    return [
        _v(None, f"{pod.spec.path}.{key}", True, f"{key} shares the host's namespace")
        for key in ("hostNetwork", "hostPID", "hostIPC")
        if pod.spec.flag(key) is True
    ]


def privileged(pod: Pod) -> list[Violation]:
    """No container sets securityContext.privileged to true."""
    out = []
    for c in pod.containers:
        sc = c.security()
        if sc is not None and sc.flag("privileged") is True:
            out.append(_v(c, f"{sc.path}.privileged", True, "privileged container"))
    return out


BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def _capabilities(c: PodContainer) -> Node | None:
    sc = c.security()
    return None if sc is None else sc.child("capabilities")


def capabilities_baseline(pod: Pod) -> list[Violation]:
    """Containers add only capabilities of the baseline allow-list."""
    out = []
    for c in pod.containers:
        caps = _capabilities(c)
        for name, path in [] if caps is None else caps.texts("add"):
            if name not in BASELINE_CAPABILITIES:
                out.append(_v(c, path, name, "capability outside the baseline set"))
    return out


def host_path_volumes(pod: Pod) -> list[Violation]:
    """No volume is a hostPath volume."""
    return [
        _v(None, f"{vol.path}.hostPath", vol.text("name"), "hostPath volume")
        for vol in pod.volumes()
        if vol.child("hostPath") is not None
    ]


def host_ports(pod: Pod) -> list[Violation]:
    """No container port sets a hostPort (other than 0)."""
    out = []
    for c in pod.containers:
        for port in c.node.items("ports"):
            value = port.number("hostPort")
            if value:
                out.append(_v(c, f"{port.path}.hostPort", value, "host port"))
    return out


APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
_APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def app_armor_profile(pod: Pod) -> list[Violation]:
    """AppArmor profiles (field or annotation) are unset, RuntimeDefault or Localhost."""
    out = []
    for c, sc in security_contexts(pod):
        profile = sc.child("appArmorProfile")
        kind = None if profile is None else profile.text("type")
        if profile is not None and kind not in _APPARMOR_TYPES:
            out.append(_v(c, f"{profile.path}.type", kind, "AppArmor profile not allowed"))
    annotations = pod.annotations()
    for key in sorted(annotations):
        if not key.startswith(APPARMOR_ANNOTATION):
            continue
        value = annotations[key]
        if value in ("", "runtime/default") or value.startswith("localhost/"):
            continue
        name = key[len(APPARMOR_ANNOTATION) :]
        owner = next((c for c in pod.containers if c.name == name), None)
        out.append(_v(owner, f"{pod.annotations_path}[{key}]", value, "AppArmor annotation"))
    return out


SELINUX_TYPES = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)


def se_linux_options(pod: Pod) -> list[Violation]:
    """SELinux type is unset or a container type; user and role are unset."""
    out = []
    for c, sc in security_contexts(pod):
        options = sc.child("seLinuxOptions")
        if options is None:
            continue
        kind = options.text("type")
        if kind is not None and kind not in SELINUX_TYPES:
            out.append(_v(c, f"{options.path}.type", kind, "SELinux type not allowed"))
        for key in ("user", "role"):
            value = options.text(key)
            if value:
                out.append(_v(c, f"{options.path}.{key}", value, f"SELinux {key} is set"))
    return out


def _proc_mount(pod: Pod) -> list[Violation]:
    out = []
    for c in pod.containers:
        sc = c.security()
        value = None if sc is None else sc.text("procMount")
        if sc is not None and value is not None and value != "Default":
            out.append(_v(c, f"{sc.path}.procMount", value, "procMount is not Default"))
    return out


def proc_mount(pod: Pod) -> list[Violation]:
    """procMount is unset or Default, any value in a user namespace (hostUsers: false)."""
    return [] if pod.user_namespace() else _proc_mount(pod)


def seccomp_profile_baseline(pod: Pod) -> list[Violation]:
    """No seccomp profile (pod or container) is Unconfined."""
    out = []
    for c, sc in security_contexts(pod):
        profile = sc.child("seccompProfile")
        if profile is not None and profile.text("type") == "Unconfined":
            out.append(_v(c, f"{profile.path}.type", "Unconfined", "seccomp is Unconfined"))
    return out


SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
        "net.ipv4.tcp_slow_start_after_idle",
        "net.ipv4.tcp_notsent_lowat",
    }
)


def sysctls(pod: Pod) -> list[Violation]:
    """Pod sysctls are in the safe set."""
    sc = pod.security()
    out = []
    for item in [] if sc is None else sc.items("sysctls"):
        name = item.text("name")
        if name not in SAFE_SYSCTLS:
            out.append(_v(None, f"{item.path}.name", name, "sysctl outside the safe set"))
    return out


def windows_host_process(pod: Pod) -> list[Violation]:
    """windowsOptions.hostProcess is unset or false (pod and containers)."""
    out = []
    for c, sc in security_contexts(pod):
        options = sc.child("windowsOptions")
        if options is not None and options.flag("hostProcess") is True:
            out.append(_v(c, f"{options.path}.hostProcess", True, "Windows HostProcess"))
    return out


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HOOKS = ("postStart", "preStop")


def host_probes_and_host_lifecycle(pod: Pod) -> list[Violation]:
    """Probes and lifecycle handlers set no httpGet.host or tcpSocket.host."""
    out = []
    for c in pod.containers:
        handlers = [c.node.child(p) for p in _PROBES]
        lifecycle = c.node.child("lifecycle")
        if lifecycle is not None:
            handlers += [lifecycle.child(h) for h in _HOOKS]
        for handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                node = None if handler is None else handler.child(action)
                host = None if node is None else node.text("host")
                if node is not None and host:
                    out.append(_v(c, f"{node.path}.host", host, "probe or lifecycle host"))
    return out


# --- restricted ---------------------------------------------------------------

RESTRICTED_VOLUME_SOURCES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)


def restricted_volumes(pod: Pod) -> list[Violation]:
    """Volumes are only of the restricted set of types (no source: emptyDir, the API default)."""
    out = []
    for vol in pod.volumes():
        sources = [k for k, v in vol.data.items() if k != "name" and v is not None]
        bad = [k for k in sources if k not in RESTRICTED_VOLUME_SOURCES]
        for key in sorted(bad):
            out.append(_v(None, f"{vol.path}.{key}", vol.text("name"), "restricted volume type"))
    return out


def allow_privilege_escalation(pod: Pod) -> list[Violation]:
    """Every container sets allowPrivilegeEscalation to false (Windows pods exempt)."""
    if pod.is_windows():
        return []
    out = []
    for c in pod.containers:
        sc = c.security()
        value = None if sc is None else sc.flag("allowPrivilegeEscalation")
        if value is not False:
            field = f"{c.node.path}.securityContext.allowPrivilegeEscalation"
            out.append(_v(c, field, value, "allowPrivilegeEscalation is not false"))
    return out


def run_as_non_root(pod: Pod) -> list[Violation]:
    """runAsNonRoot is true on the pod or every container, false nowhere (user namespaces exempt).

    A container's setting overrides the pod's: an unset container inherits the
    pod's true, an explicit false fails even under a pod-level true.
    """
    if pod.user_namespace():
        return []
    out = []
    pod_sc = pod.security()
    pod_value = None if pod_sc is None else pod_sc.flag("runAsNonRoot")
    if pod_sc is not None and pod_value is False:
        out.append(_v(None, f"{pod_sc.path}.runAsNonRoot", False, "runAsNonRoot is false"))
    for c in pod.containers:
        sc = c.security()
        value = None if sc is None else sc.flag("runAsNonRoot")
        field = f"{c.node.path}.securityContext.runAsNonRoot"
        if value is False:
            out.append(_v(c, field, False, "runAsNonRoot is false"))
        elif value is None and pod_value is not True:
            out.append(_v(c, field, None, "runAsNonRoot is true neither here nor on the pod"))
    return out


def run_as_user(pod: Pod) -> list[Violation]:
    """runAsUser is never 0, on the pod or a container (user namespaces exempt)."""
    if pod.user_namespace():
        return []
    return [
        _v(c, f"{sc.path}.runAsUser", 0, "runs as root (uid 0)")
        for c, sc in security_contexts(pod)
        if sc.number("runAsUser") == 0
    ]


_SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def _seccomp_type(sc: Node | None) -> tuple[str | None, str | None]:
    profile = None if sc is None else sc.child("seccompProfile")
    return (None, None) if profile is None else (profile.text("type"), f"{profile.path}.type")


def seccomp_profile_restricted(pod: Pod) -> list[Violation]:
    """Seccomp is RuntimeDefault or Localhost on the pod, or on every container (Windows exempt)."""
    if pod.is_windows():
        # PSA admits any Windows pod here because API validation rejects seccomp on Windows
        # pods; manifests are not API-validated, so the baseline rule this check replaces
        # still holds (restricted never allows what baseline forbids)
        return seccomp_profile_baseline(pod)
    out = []
    pod_sc = pod.security()
    pod_type, pod_field = _seccomp_type(pod_sc)
    if pod_field is not None and pod_type not in _SECCOMP_TYPES:
        out.append(_v(None, pod_field, pod_type, "seccomp profile not allowed"))
    pod_ok = pod_type in _SECCOMP_TYPES
    for c in pod.containers:
        kind, field = _seccomp_type(c.security())
        if field is not None and kind not in _SECCOMP_TYPES:
            out.append(_v(c, field, kind, "seccomp profile not allowed"))
        elif field is None and not pod_ok:
            where = f"{c.node.path}.securityContext.seccompProfile.type"
            out.append(_v(c, where, None, "seccomp profile set neither here nor on the pod"))
    return out


def capabilities_restricted(pod: Pod) -> list[Violation]:
    """Every container drops ALL and adds at most NET_BIND_SERVICE (Windows exempt)."""
    if pod.is_windows():
        return capabilities_baseline(pod)  # as for seccomp: the replaced baseline rule holds
    out = []
    for c in pod.containers:
        caps = _capabilities(c)
        base = f"{c.node.path}.securityContext.capabilities"
        dropped = [] if caps is None else [name for name, _ in caps.texts("drop")]
        if "ALL" not in dropped:
            out.append(_v(c, f"{base}.drop", ",".join(dropped) or None, "does not drop ALL"))
        for name, path in [] if caps is None else caps.texts("add"):
            if name != "NET_BIND_SERVICE":
                out.append(_v(c, path, name, "adds a capability other than NET_BIND_SERVICE"))
    return out


def proc_mount_restricted(pod: Pod) -> list[Violation]:
    """procMount is unset or Default, also in a user namespace."""
    return _proc_mount(pod)


STANDARD: tuple[StandardCheck, ...] = (
    StandardCheck("hostNamespaces", Level.BASELINE, "Host namespaces", host_namespaces),
    StandardCheck("privileged", Level.BASELINE, "Privileged containers", privileged),
    StandardCheck("capabilities_baseline", Level.BASELINE, "Capabilities", capabilities_baseline),
    StandardCheck("hostPathVolumes", Level.BASELINE, "HostPath volumes", host_path_volumes),
    StandardCheck("hostPorts", Level.BASELINE, "Host ports", host_ports),
    StandardCheck("appArmorProfile", Level.BASELINE, "AppArmor", app_armor_profile),
    StandardCheck("seLinuxOptions", Level.BASELINE, "SELinux", se_linux_options),
    StandardCheck("procMount", Level.BASELINE, "/proc mount type", proc_mount),
    StandardCheck("seccompProfile_baseline", Level.BASELINE, "Seccomp", seccomp_profile_baseline),
    StandardCheck("sysctls", Level.BASELINE, "Sysctls", sysctls),
    StandardCheck(
        "windowsHostProcess", Level.BASELINE, "Windows HostProcess", windows_host_process
    ),
    StandardCheck(
        "hostProbesAndHostLifecycle",
        Level.BASELINE,
        "Host probes and lifecycle hooks",
        host_probes_and_host_lifecycle,
    ),
    StandardCheck(
        "restrictedVolumes",
        Level.RESTRICTED,
        "Volume types",
        restricted_volumes,
        overrides="hostPathVolumes",
    ),
    StandardCheck(
        "allowPrivilegeEscalation",
        Level.RESTRICTED,
        "Privilege escalation",
        allow_privilege_escalation,
    ),
    StandardCheck("runAsNonRoot", Level.RESTRICTED, "Running as non-root", run_as_non_root),
    StandardCheck("runAsUser", Level.RESTRICTED, "Running as non-root user", run_as_user),
    StandardCheck(
        "seccompProfile_restricted",
        Level.RESTRICTED,
        "Seccomp",
        seccomp_profile_restricted,
        overrides="seccompProfile_baseline",
    ),
    StandardCheck(
        "capabilities_restricted",
        Level.RESTRICTED,
        "Capabilities",
        capabilities_restricted,
        overrides="capabilities_baseline",
    ),
    StandardCheck(
        "procMount_restricted",
        Level.RESTRICTED,
        "/proc mount type",
        proc_mount_restricted,
        overrides="procMount",
    ),
)
BY_ID: dict[str, StandardCheck] = {c.id: c for c in STANDARD}
OVERRIDDEN: frozenset[str] = frozenset(c.overrides for c in STANDARD if c.overrides)
CHECK_IDS: tuple[str, ...] = tuple(c.id for c in STANDARD)


def checks_of(level: Level) -> tuple[StandardCheck, ...]:
    """Return the checks a level enforces (restricted: baseline minus overridden, plus its own)."""
    if level is Level.PRIVILEGED:
        return ()
    if level is Level.BASELINE:
        return tuple(c for c in STANDARD if c.level is Level.BASELINE)
    return tuple(c for c in STANDARD if c.id not in OVERRIDDEN)


def applies_at(check: StandardCheck, level: Level) -> bool:
    """True when a namespace at `level` enforces `check`."""
    return check in checks_of(level)


def policy_id(check_id: str) -> str:
    """The regulens policy id of an upstream check id: camelCase and `_` to kebab-case."""
    words = check_id.replace("_", "-")
    out = []
    for ch in words:
        if ch.isupper():
            out.append("-" + ch.lower())
        else:
            out.append(ch)
    return "pod-security-" + "".join(out).replace("--", "-")
