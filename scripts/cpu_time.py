#!/usr/bin/env python3
"""CPU time (user + system, from getrusage: microseconds, not /usr/bin/time's 10 ms steps) and wall
time of whole commands, run in turn so that a shared machine's load falls on each alike; medians.

    scripts/cpu_time.py RUNS -- CMD [ARG…] [-- CMD [ARG…] …]
"""
import resource
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


def run_once(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu * 1000, wall * 1000


def main():
    runs = int(sys.argv[1])
    cmds = commands(sys.argv[2:])
    timings = [[] for _ in cmds]
    for _ in range(runs):
        for cmd, times in zip(cmds, timings):
            times.append(run_once(cmd))
    for cmd, times in zip(cmds, timings):
        cpu = statistics.median(t[0] for t in times)
        wall = statistics.median(t[1] for t in times)
        print(f"{cpu:6.1f} ms CPU  {wall:6.1f} ms wall  (medians of {runs})  {' '.join(cmd)}")


if __name__ == "__main__":
    main()
