"""The `pod-security` check: field combination, namespace-label levels, malformed input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulens.engine import EvalContext, Policy, evaluate
from regulens.engine.decide import decide
from regulens.engine.match import Match
from regulens.errors import DocumentError
from regulens.policies import load_policies
from regulens.snapshot import CoverageGap, KubernetesState, Resource, Snapshot
from tests.engine.checks.helpers import NOW, PROVENANCE, check

LABEL = "pod-security.kubernetes.io/"


def deployment(spec: dict[str, Any], ns: str | None = "apps", name: str = "web") -> Resource:
    meta: dict[str, Any] = {"name": name} | ({"namespace": ns} if ns else {})
    body = {"selector": {}, "template": {"metadata": {}, "spec": spec}}
    return Resource.from_object(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": body}
    )


def namespace(name: str, **labels: str) -> Resource:
    meta = {"name": name, "labels": {LABEL + k.replace("_", "-"): v for k, v in labels.items()}}
    return Resource.from_object({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})


HOST_PATH = {"containers": [{"name": "c"}], "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}
ROOT_USER = {"containers": [{"name": "c", "securityContext": {"runAsUser": 0}}]}


def run(
    level: str,
    check_id: str,
    *objects: Resource,
    gaps: tuple[CoverageGap, ...] = (),
    match: Match | None = None,
) -> list[Any]:
    params = {"type": "pod-security", "level": level, "check": check_id}
    policy = Policy(id="p", title="t", severity="high", check=check(params), match=match)  # type: ignore[arg-type]
    state = KubernetesState(provenance=PROVENANCE, resources=objects, gaps=gaps)
    return evaluate([policy], Snapshot(kubernetes=state), EvalContext(now=NOW))


def statuses(results: list[Any]) -> list[str]:
    return [r.status.value for r in results]


# --- namespace-label levels ------------------------------------------------------------


def test_enforce_label_fails_warn_and_audit_labels_warn() -> None:
    web = deployment(ROOT_USER)
    assert statuses(
        run("namespace-labels", "runAsUser", web, namespace("apps", enforce="restricted"))
    ) == ["fail"]
    for mode in ("warn", "audit"):
        labels = {"enforce": "baseline", mode: "restricted"}
        results = run("namespace-labels", "runAsUser", web, namespace("apps", **labels))
        assert statuses(results) == ["warn"]
        assert "runAsUser" in results[0].message and results[0].details["field"]
        assert decide(results).allowed  # warn never denies


def test_privileged_or_unlabelled_namespace_judges_nothing() -> None:
    web = deployment(HOST_PATH)
    for ns in (namespace("apps"), namespace("apps", enforce="privileged")):
        results = run("namespace-labels", "hostPathVolumes", web, ns)
        assert statuses(results) == ["skip"], results[0].message
        assert "privileged" in results[0].message


def test_a_replaced_baseline_check_applies_at_baseline_only() -> None:
    web = deployment(HOST_PATH)
    at_baseline = run(
        "namespace-labels", "hostPathVolumes", web, namespace("apps", enforce="baseline")
    )
    assert statuses(at_baseline) == ["fail"]
    at_restricted = run(
        "namespace-labels", "hostPathVolumes", web, namespace("apps", enforce="restricted")
    )
    assert statuses(at_restricted) == ["skip"]  # restrictedVolumes judges it there
    volumes = run(
        "namespace-labels", "restrictedVolumes", web, namespace("apps", enforce="restricted")
    )
    assert statuses(volumes) == ["fail"]


def test_invalid_level_label_is_judged_at_restricted() -> None:
    results = run(
        "namespace-labels",
        "runAsUser",
        deployment(ROOT_USER),
        namespace("apps", enforce="restricted-ish"),
    )
    assert statuses(results) == ["fail"]
    assert "judged at restricted" in results[0].details["namespace_label_notes"]


def test_pinned_and_invalid_versions_are_reported() -> None:
    ns = namespace(
        "apps", enforce="restricted", enforce_version="v1.25", warn="baseline", warn_version="1.25"
    )
    results = run("namespace-labels", "runAsUser", deployment(ROOT_USER), ns)
    notes = results[0].details["namespace_label_notes"]
    assert "pinned v1.25, judged with the v1.37 checks" in notes
    assert "invalid warn-version '1.25'" in notes
    assert results[0].details["namespace_levels"]["enforce"] == "restricted:v1.25"


def test_missing_namespace_object_is_an_error_that_denies() -> None:
    results = run("namespace-labels", "privileged", deployment(ROOT_USER))
    assert statuses(results) == ["error"]
    assert "Namespace apps is not in the input" in results[0].message
    assert not decide(results).allowed and int(decide(results).exit_code) == 2


def test_unreadable_namespaces_are_a_coverage_gap_that_denies() -> None:
    gap = CoverageGap(kind="Namespace", reason="403 Forbidden")
    results = run("namespace-labels", "privileged", deployment(ROOT_USER), gaps=(gap,))
    assert statuses(results) == ["error"] and "Namespace" in results[0].message
    assert int(decide(results).exit_code) == 2
    # a fixed level does not read Namespaces: the same gap does not hide anything from it
    assert statuses(run("restricted", "runAsUser", deployment(ROOT_USER), gaps=(gap,))) == ["fail"]


def test_object_without_namespace_is_an_error_in_label_mode() -> None:
    results = run("namespace-labels", "privileged", deployment(ROOT_USER, ns=None))
    assert statuses(results) == ["error"] and "no namespace" in results[0].message


def test_match_namespaces_narrows_the_objects_judged() -> None:
    apps, other = deployment(ROOT_USER), deployment(ROOT_USER, ns="other", name="w2")
    results = run("restricted", "runAsUser", apps, other, match=Match(namespaces=("other",)))
    assert [(r.status.value, r.resource.namespace) for r in results] == [("fail", "other")]


# --- field combination -------------------------------------------------------------------


def test_failures_name_object_container_and_field() -> None:
    spec = {
        "securityContext": {"runAsNonRoot": True},
        "initContainers": [{"name": "init", "securityContext": {"runAsNonRoot": False}}],
        "containers": [{"name": "c"}],
    }
    (r,) = run("restricted", "runAsNonRoot", deployment(spec))
    assert r.status.value == "fail" and str(r.resource) == "Deployment apps/web"
    assert r.details["container"] == "init" and r.details["container_type"] == "initContainer"
    assert r.details["field"] == "spec.template.spec.initContainers[0].securityContext.runAsNonRoot"


def test_pod_level_false_fails_even_when_containers_say_true() -> None:
    spec = {
        "securityContext": {"runAsNonRoot": False},
        "containers": [{"name": "c", "securityContext": {"runAsNonRoot": True}}],
    }
    (r,) = run("restricted", "runAsNonRoot", deployment(spec))
    assert r.details["field"] == "spec.template.spec.securityContext.runAsNonRoot"
    assert "container" not in r.details


def test_user_namespace_exempts_run_as_user_but_not_proc_mount_restricted() -> None:
    spec = {
        "hostUsers": False,
        "containers": [{"name": "c", "securityContext": {"runAsUser": 0, "procMount": "Unmasked"}}],
    }
    assert statuses(run("restricted", "runAsUser", deployment(spec))) == ["pass"]
    assert statuses(run("baseline", "procMount", deployment(spec))) == ["pass"]
    assert statuses(run("restricted", "procMount_restricted", deployment(spec))) == ["fail"]


# --- malformed input and policy validation -------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (
            {"containers": [{"name": "c", "securityContext": {"privileged": "true"}}]},
            "securityContext.privileged",
        ),
        ({"containers": {"name": "c"}}, "spec.template.spec.containers"),
        ({"containers": ["c"]}, "spec.template.spec.containers[0]"),
        ({"containers": [{"name": "c", "securityContext": []}]}, "containers[0].securityContext"),
    ],
)
def test_malformed_fields_are_errors_naming_the_field(spec: dict[str, Any], field: str) -> None:
    (r,) = run("baseline", "privileged", deployment(spec))
    assert r.status.value == "error" and field in r.message and field in r.details["field"]


def test_a_workload_without_a_pod_spec_is_an_error() -> None:
    broken = Resource.from_object(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "x"},
            "spec": {"template": "oops"},
        }
    )
    (r,) = run("baseline", "privileged", broken)
    assert r.status.value == "error" and "spec.template.spec" in r.message


def test_non_string_annotations_are_an_error() -> None:
    pod = Resource.from_object(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "annotations": {"a": 1}},
            "spec": {"containers": [{"name": "c"}]},
        }
    )
    (r,) = run("baseline", "appArmorProfile", pod)
    assert r.status.value == "error" and "metadata.annotations" in r.message


def test_oversized_values_are_cut_in_messages() -> None:
    spec = {"containers": [{"name": "c", "securityContext": {"procMount": "x" * 10_000}}]}
    (r,) = run("baseline", "procMount", deployment(spec))
    assert r.status.value == "fail" and len(r.message) < 500 and len(r.details["value"]) <= 200


@pytest.mark.parametrize(
    ("level", "check_id", "why"),
    [
        ("baseline", "runAsUser", "runAsUser is a restricted check"),
        (
            "restricted",
            "hostPathVolumes",
            "at restricted, restrictedVolumes replaces hostPathVolumes",
        ),
    ],
)
def test_a_check_outside_its_level_is_a_load_error(
    tmp_path: Path, level: str, check_id: str, why: str
) -> None:
    doc = tmp_path / "p.yaml"
    doc.write_text(
        "apiVersion: regulens/v1\nkind: PolicySet\nmetadata: {name: x}\npolicies:\n"
        "  - id: p\n    title: t\n    severity: high\n"
        f"    check: {{type: pod-security, level: {level}, check: {check_id}}}\n"
    )
    with pytest.raises(DocumentError) as info:
        load_policies([str(doc)])
    text = str(info.value.problems[0])
    assert why in text and "p.yaml:8" in text


def test_unknown_check_id_is_a_load_error(tmp_path: Path) -> None:
    doc = tmp_path / "p.yaml"
    doc.write_text(
        "apiVersion: regulens/v1\nkind: PolicySet\nmetadata: {name: x}\npolicies:\n"
        "  - id: p\n    title: t\n    severity: high\n"
        "    check: {type: pod-security, level: baseline, check: hostNamespace}\n"
    )
    with pytest.raises(DocumentError):
        load_policies([str(doc)])


# --- properties ----------------------------------------------------------------------------

_SC_VALUES = {
    "privileged": st.sampled_from([None, True, False]),
    "allowPrivilegeEscalation": st.sampled_from([None, True, False]),
    "runAsNonRoot": st.sampled_from([None, True, False]),
    "runAsUser": st.sampled_from([None, 0, 1000]),
    "procMount": st.sampled_from([None, "Default", "Unmasked"]),
    "seccompProfile": st.sampled_from(
        [None, {"type": "RuntimeDefault"}, {"type": "Unconfined"}, {"type": "Localhost"}]
    ),
    "capabilities": st.sampled_from(
        [None, {"drop": ["ALL"]}, {"add": ["SYS_ADMIN"]}, {"drop": ["ALL"], "add": ["CHOWN"]}]
    ),
    "seLinuxOptions": st.sampled_from([None, {"type": "container_t"}, {"type": "spc_t"}]),
}


def _security_context() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=_SC_VALUES).map(
        lambda d: {k: v for k, v in d.items() if v is not None}
    )


_CONTAINER = st.builds(
    lambda sc, host_port: {
        "name": "c",
        "securityContext": sc,
        "ports": [{"containerPort": 80, "hostPort": host_port}],
    },
    _security_context(),
    st.sampled_from([0, 8080]),
)
_POD_SPEC = st.builds(
    lambda sc, containers, inits, host_network, host_users, os_name, volumes: {
        "securityContext": sc,
        "containers": containers,
        "initContainers": inits,
        "hostNetwork": host_network,
        "hostUsers": host_users,
        "os": {"name": os_name},
        "volumes": volumes,
    },
    _security_context(),
    st.lists(_CONTAINER, min_size=1, max_size=2),
    st.lists(_CONTAINER, max_size=1),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["linux", "windows"]),
    st.lists(
        st.sampled_from(
            [{"name": "v"}, {"name": "h", "hostPath": {"path": "/"}}, {"name": "n", "nfs": {}}]
        ),
        max_size=2,
    ),
)


@settings(max_examples=150, deadline=None)
@given(_POD_SPEC)
def test_whatever_fails_baseline_fails_restricted(spec: dict[str, Any]) -> None:
    web = deployment(spec)
    baseline = evaluate(list(_pack("baseline")), _snap(web), EvalContext(now=NOW))
    restricted = evaluate(list(_pack("restricted")), _snap(web), EvalContext(now=NOW))
    assert not [r for r in baseline + restricted if r.status.value == "error"]
    if not decide(baseline).allowed:
        assert not decide(restricted).allowed
    # and the results are deterministic
    again = evaluate(list(_pack("restricted")), _snap(web), EvalContext(now=NOW))
    assert [r.to_json() for r in again] == [r.to_json() for r in restricted]


def _snap(*objects: Resource) -> Snapshot:
    return Snapshot(kubernetes=KubernetesState(provenance=PROVENANCE, resources=objects))


def _pack(level: str) -> tuple[Policy, ...]:
    return tuple(load_policies([f"builtin:pod-security-{level}"]).policies)


def test_windows_pods_keep_the_baseline_rules_restricted_replaces() -> None:
    # found by the property above: PSA's Windows exemption relies on API validation
    spec = {
        "os": {"name": "windows"},
        "securityContext": {"runAsNonRoot": True},
        "containers": [
            {
                "name": "c",
                "securityContext": {
                    "seccompProfile": {"type": "Unconfined"},
                    "capabilities": {"add": ["SYS_ADMIN"]},
                },
            }
        ],
    }
    (seccomp,) = run("restricted", "seccompProfile_restricted", deployment(spec))
    assert seccomp.status.value == "fail" and "Unconfined" in seccomp.message
    (caps,) = run("restricted", "capabilities_restricted", deployment(spec))
    assert caps.status.value == "fail" and "SYS_ADMIN" in caps.message
    clean = {"os": {"name": "windows"}, "containers": [{"name": "c"}]}
    assert statuses(run("restricted", "seccompProfile_restricted", deployment(clean))) == ["pass"]
    assert statuses(run("restricted", "capabilities_restricted", deployment(clean))) == ["pass"]


@pytest.mark.parametrize("value", [3, None, ["restricted"], "\x1b[31mprivileged", "x" * 5000])
def test_unreadable_level_labels_are_judged_at_restricted(value: Any) -> None:
    meta = {"name": "apps", "labels": {LABEL + "enforce": value}}
    ns = Resource.from_object({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})
    results = run("namespace-labels", "runAsUser", deployment(ROOT_USER), ns)
    if value is None:  # a null label is no label: the admission default, privileged
        assert statuses(results) == ["skip"]
        return
    assert statuses(results) == ["fail"]
    assert "judged at restricted" in results[0].details["namespace_label_notes"]
    assert len(results[0].details["namespace_label_notes"]) < 200
