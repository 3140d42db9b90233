# Rego equivalents of the ten CEL rules in bench/policies/bench-extra.yaml, for the
# regorus side of `make bench` (bench/rego_eval.py). The input is a `regulens snapshot`
# JSON file; every rule yields one result per matched object (or per container, regular,
# init and ephemeral, as regulens' `each: container` does), passed or failed, so that the
# result counts can be compared with regulens evaluating bench/policies alone.
package bench

import rego.v1

workload_kinds := {
	"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
	"ReplicationController", "Job", "CronJob",
}

long_running := {"Deployment", "StatefulSet", "DaemonSet"}

namespaced_app_kinds := {"Deployment", "StatefulSet", "DaemonSet", "CronJob", "Service", "ConfigMap", "Secret"}

container_fields := ["containers", "initContainers", "ephemeralContainers"]

pod_spec(obj) := obj.spec if obj.kind == "Pod"

pod_spec(obj) := obj.spec.template.spec if obj.kind in {
	"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job",
}

pod_spec(obj) := obj.spec.jobTemplate.spec.template.spec if obj.kind == "CronJob"

keys(x) := {k | some k, _ in x}

# one entry per (resource index, container field, container index)
containers contains [i, f, j, c] if {
	some i, r in input.kubernetes.resources
	r.object.kind in workload_kinds
	spec := pod_spec(r.object)
	some f in container_fields
	some j, c in spec[f]
}

container_rule(rule, c) := ok if {
	rule == "bench-no-privilege-escalation"
	ok := object.get(c, ["securityContext", "allowPrivilegeEscalation"], null) == false
}

container_rule(rule, c) := ok if {
	rule == "bench-read-only-root"
	ok := object.get(c, ["securityContext", "readOnlyRootFilesystem"], null) == true
}

container_rule(rule, c) := ok if {
	rule == "bench-drop-all-capabilities"
	ok := "ALL" in object.get(c, ["securityContext", "capabilities", "drop"], [])
}

container_rule(rule, c) := ok if {
	rule == "bench-requests"
	ok := ({"cpu", "memory"} - keys(object.get(c, ["resources", "requests"], {}))) == set()
}

every_container_rules := [
	"bench-no-privilege-escalation", "bench-read-only-root",
	"bench-drop-all-capabilities", "bench-requests",
]

results contains {"rule": rule, "resource": i, "container": [f, j], "ok": ok} if {
	some [i, f, j, c] in containers
	some rule in every_container_rules
	ok := container_rule(rule, c)
}

results contains {"rule": "bench-probes", "resource": i, "container": [f, j], "ok": ok} if {
	some [i, f, j, c] in containers
	input.kubernetes.resources[i].object.kind in long_running
	ok := ({"readinessProbe", "livenessProbe"} - keys(c)) == set()
}

results contains {"rule": "bench-run-as-non-root", "resource": i, "ok": ok} if {
	some i, r in input.kubernetes.resources
	r.object.kind in long_running
	path := ["spec", "template", "spec", "securityContext", "runAsNonRoot"]
	ok := object.get(r.object, path, null) == true
}

results contains {"rule": "bench-no-host-namespaces", "resource": i, "ok": ok} if {
	some i, r in input.kubernetes.resources
	r.object.kind in long_running
	spec := object.get(r.object, ["spec", "template", "spec"], {})
	ok := count([x | some x in ["hostNetwork", "hostPID", "hostIPC"]; object.get(spec, x, false) == true]) == 0
}

results contains {"rule": "bench-no-default-namespace", "resource": i, "ok": ok} if {
	some i, r in input.kubernetes.resources
	r.object.kind in namespaced_app_kinds
	ok := object.get(r.object, ["metadata", "namespace"], "default") != "default"
}

results contains {"rule": "bench-service-selects", "resource": i, "ok": ok} if {
	some i, r in input.kubernetes.resources
	r.object.kind == "Service"
	ok := count(object.get(r.object, ["spec", "selector"], {})) > 0
}

results contains {"rule": "bench-namespace-owner", "resource": i, "ok": ok} if {
	some i, r in input.kubernetes.resources
	r.object.kind == "Namespace"
	labels := keys(object.get(r.object, ["metadata", "labels"], {}))
	ok := count({"team", "app.kubernetes.io/part-of"} & labels) > 0
}
