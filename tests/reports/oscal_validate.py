"""Validate an OSCAL assessment-results or assessment-plan JSON file with compliance-trestle.

Run by the tests with the interpreter of the separate `.venv-oscal` (trestle pins
packages exactly, so it never enters the main environment). Exit 0 valid, 1 invalid.
The model is chosen by the document's root key.
"""

import json
import sys

from trestle.oscal import assessment_plan, assessment_results

MODELS = {
    "assessment-results": assessment_results.Model,
    "assessment-plan": assessment_plan.Model,
}

with open(sys.argv[1], encoding="utf-8") as fh:
    data = json.load(fh)
model = MODELS.get(next(iter(data), "") if isinstance(data, dict) and len(data) == 1 else "")
if model is None:
    print(f"invalid: not one of {sorted(MODELS)}")
    sys.exit(1)
try:
    model.parse_obj(data)
except Exception as exc:
    print(f"invalid: {exc}")
    sys.exit(1)
print("valid")
