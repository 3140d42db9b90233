"""Validate an OSCAL assessment-results JSON file with compliance-trestle's models.

Run by the tests with the interpreter of the separate `.venv-oscal` (trestle pins
packages exactly, so it never enters the main environment). Exit 0 valid, 1 invalid.
"""

import json
import sys

from trestle.oscal.assessment_results import Model

with open(sys.argv[1], encoding="utf-8") as fh:
    data = json.load(fh)
try:
    Model.parse_obj(data)
except Exception as exc:
    print(f"invalid: {exc}")
    sys.exit(1)
print("valid")
