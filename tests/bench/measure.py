#!/usr/bin/env python3
"""Runs a command once and prints its wall time and peak memory: `SECONDS RSS_KB`.

  python3 tests/bench/measure.py OUT -- CMD ARGS...

The command's stdout goes to the file OUT (`/dev/null` to drop it). The peak resident
set size is the child's own (wait4(2)'s ru_maxrss), as `/usr/bin/time -v` reports it.
A command that fails makes this fail too.
"""
import os
import sys
import time


def main():
    out, sep, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    assert sep == "--" and cmd, __doc__
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.execvp(cmd[0], cmd)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd)}: exit status {code}")
    print(f"{wall:.3f} {usage.ru_maxrss}")


if __name__ == "__main__":
    main()
