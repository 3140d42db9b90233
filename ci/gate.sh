#!/usr/bin/env bash
# Run `regulens gate` from the action's inputs (environment variables); the exit code is the
# gate's. The signing key arrives as PEM text (a secret) and is written to a 0600 file in a
# scratch directory under RUNNER_TEMP that is removed when the step ends.
set -uo pipefail
scratch=$(mktemp -d -p "${RUNNER_TEMP:-${TMPDIR:-/tmp}}" regulens.XXXXXX)
trap 'rm -rf "$scratch"' EXIT  # the key file and the summary never outlive the step
args=(gate --change "$REGULENS_CHANGE")
for p in $REGULENS_POLICIES; do args+=(--policies "$p"); done
for m in $REGULENS_MANIFESTS; do args+=(--manifests "$m"); done
for m in ${REGULENS_CURRENT:-}; do args+=(--current-manifests "$m"); done
args+=(--output "sarif=${REGULENS_SARIF:-regulens.sarif}")
if [ -n "${REGULENS_JUNIT:-}" ]; then args+=(--output "junit=$REGULENS_JUNIT"); fi
summary=""
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  summary=$scratch/summary.md  # appended to the job summary below (never overwritten)
  args+=(--output "markdown=$summary")
fi
args+=(--force)  # the SARIF and JUnit paths are the action's own outputs
if [ -n "${REGULENS_EVIDENCE_URL:-}" ]; then
  args+=(--evidence "$REGULENS_EVIDENCE_URL" --stream "${REGULENS_STREAM:-ci}")
fi
key=""
if [ -n "${REGULENS_SIGNING_KEY_PEM:-}" ]; then
  key=$scratch/signing.pem
  (umask 077 && printf '%s\n' "$REGULENS_SIGNING_KEY_PEM" > "$key")
  args+=(--signing-key "$key")
fi
# shellcheck disable=SC2206  # extra-args are flags, split on whitespace on purpose
extra=(${REGULENS_EXTRA_ARGS:-})
regulens "${args[@]}" "${extra[@]}"
code=$?
if [ -n "$summary" ]; then
  if [ -f "$summary" ]; then cat "$summary" >> "$GITHUB_STEP_SUMMARY"; fi
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "exit-code=$code" >> "$GITHUB_OUTPUT"; fi
exit "$code"
