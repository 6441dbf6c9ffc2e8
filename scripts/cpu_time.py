#!/usr/bin/env python3
"""CPU time (user + system, from wait4's rusage: microseconds, not /usr/bin/time's 10 ms steps) and wall
time of whole commands, run in turn so that a shared machine's load falls on each alike; medians.

    scripts/cpu_time.py RUNS -- CMD [ARG…] [-- CMD [ARG…] …]
"""
import os
import statistics
import subprocess
import sys
import time


def commands(argv):
    groups, current = [], None
    for arg in argv:
        if arg == "--":
            current = []
            groups.append(current)
        elif current is None:
            sys.exit("usage: cpu_time.py RUNS -- CMD [ARG…] [-- CMD [ARG…] …]")
        else:
            current.append(arg)
    return [g for g in groups if g]


def child(command):
    """Runs `command` with stdout and stderr to /dev/null: (wall, CPU) seconds, CPU being the
    child's own user and system time (wait4's rusage)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{command[0]} exited with status {status}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main():
    runs = int(sys.argv[1])
    cmds = commands(sys.argv[2:])
    timings = [[] for _ in cmds]
    for _ in range(runs):
        for cmd, times in zip(cmds, timings):
            times.append(child(cmd))
    for cmd, times in zip(cmds, timings):
        wall = statistics.median(t[0] for t in times) * 1000
        cpu = statistics.median(t[1] for t in times) * 1000
        print(f"{cpu:6.1f} ms CPU  {wall:6.1f} ms wall  (medians of {runs})  {' '.join(cmd)}")


if __name__ == "__main__":
    main()
