#!/usr/bin/env python3
"""measure.py COMMAND...: run COMMAND, then print `seconds=S peak_rss_mib=M exit=E` as the last
line of stdout, after the command's own output.

The peak RSS is the child's ru_maxrss from os.wait4: the largest resident set the command's
process reached (the maximum over it and the descendants it waited for, not a sum). The wall time is from just before the fork to the child's exit. Exits
with the command's exit code.
"""

import os
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: measure.py COMMAND [ARG...]")
    started = time.perf_counter()
    try:
        child = subprocess.Popen(sys.argv[1:])
    except OSError as error:
        sys.exit(f"measure.py: cannot run {sys.argv[1]}: {error}")
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    sys.stdout.flush()
    print(f"seconds={seconds:.3f} peak_rss_mib={usage.ru_maxrss / 1024:.0f} exit={code}",
          flush=True)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
