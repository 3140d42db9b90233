"""Run one command and write its wall time, CPU time and peak RSS as JSON (used by run.py).

    python bench/launch.py RESULT.json CMD [ARG...]

A child's peak RSS counts the pages it inherited at fork, so the measured
tool is forked from this small process instead of from run.py (which grows
while it reads results). Only the standard library is imported.
"""

import json
import os
import subprocess
import sys
import time


def main() -> None:
    result, cmd = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(result, "w") as fh:  # noqa: PTH123
        json.dump(
            {
                "wall_s": wall,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "rss_mb": usage.ru_maxrss / 1024,
                "exit_code": proc.returncode,
            },
            fh,
        )


if __name__ == "__main__":
    main()
