#!/usr/bin/env python3
"""Benchmark: what one more local cluster costs in a host process of its own, or in a shared one.

The lever of issue 15's memory item is one runner per environment hosting
several clusters. Before building it, this measures what it would save, with
plain `distributed` in this checkout's virtualenv and clusters shaped like
ours (TLS from fresh credentials, a dashboard, one worker, processes):

separate  N interpreters, each hosting one cluster: what we run today (a
          runner per cluster, each with its resource tracker and worker).
shared    one interpreter hosting N clusters: the lever.

It prints the RSS (VmRSS) of every process of each layout, by role, the
totals and what each cluster after the first adds. Nothing is asserted;
results also go to bench/results/hosting-<UTC>.json.

    .venv/bin/python bench/hosting.py [--clusters 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from local_start import PYTHON, log, write_results
from memory import MIB, rss_bytes

SETTLE_S = 5.0

# Runs in the virtualenv: start `count` clusters, say "ready", wait for stdin to close.
HOST = """
import sys
from distributed import LocalCluster
from distributed.security import Security


def main():
    clusters = [
        LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address="127.0.0.1:0", security=Security.temporary())
        for _ in range(int(sys.argv[1]))
    ]
    print("ready", flush=True)
    sys.stdin.read()
    for cluster in clusters:
        cluster.close()


if __name__ == "__main__":
    main()
"""


def descendants(pid: int) -> list[int]:
    """Every live process below `pid`, from /proc (children of children too)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[-1].split()
            except OSError:
                continue
            if fields[0] != b"Z":
                parents.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def role(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().decode(errors="replace")
    except OSError:
        return "gone"
    if "resource_tracker" in cmd:
        return "resource tracker"
    if "multiprocessing.spawn" in cmd:
        return "dask worker"
    return "host"


def measure(script: Path, layout: list[int]) -> list[dict]:
    """Start one host per entry of `layout` (its number of clusters); the RSS of every process once all are up."""
    hosts = [
        subprocess.Popen(
            [PYTHON, str(script), str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for count in layout
    ]
    try:
        for host in hosts:
            if host.stdout is None or host.stdout.readline().strip() != "ready":
                raise RuntimeError("a host did not start its clusters")
        time.sleep(SETTLE_S)
        rows = []
        for host, count in zip(hosts, layout, strict=True):
            for pid in [host.pid, *descendants(host.pid)]:
                rows.append({"host": host.pid, "clusters": count, "pid": pid, "role": role(pid), "rss": rss_bytes(pid)})
        return rows
    finally:
        for host in hosts:
            if host.stdin is not None:
                host.stdin.close()
        for host in hosts:
            try:
                host.wait(timeout=60)
            except subprocess.TimeoutExpired:
                host.kill()


def report(title: str, rows: list[dict]) -> dict:
    by_role: dict[str, list[int]] = {}
    for row in rows:
        by_role.setdefault(row["role"], []).append(row["rss"])
    total = sum(row["rss"] for row in rows)
    print(f"\n{title}: {len(rows)} processes, {total / MIB:.0f} MiB RSS in all")
    for name, values in sorted(by_role.items()):
        each = ", ".join(f"{value / MIB:.0f}" for value in values)
        print(f"  {name:17} {len(values)} x  ({each}) MiB")
    return {"total": total, "by_role": by_role}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=3)
    args = parser.parse_args()
    n = args.clusters
    if n < 2:
        parser.error("--clusters must be at least 2: the bench compares what the second and later clusters add")
    with tempfile.TemporaryDirectory(prefix="jldc-bench-hosting-") as tmp:
        script = Path(tmp) / "host.py"
        script.write_text(HOST)
        log(f"one host with 1 cluster, {n} hosts with 1 each, one host with {n}")
        one = report("1 cluster, 1 host", measure(script, [1]))
        separate = report(f"{n} clusters, {n} hosts (today)", measure(script, [1] * n))
        shared = report(f"{n} clusters, 1 host (shared)", measure(script, [n]))
    more_separate = (separate["total"] - one["total"]) / (n - 1) / MIB
    more_shared = (shared["total"] - one["total"]) / (n - 1) / MIB
    print(f"\neach cluster after the first adds {more_separate:.0f} MiB alone, {more_shared:.0f} MiB shared")
    print(f"shared/separate for {n} clusters: {shared['total'] / separate['total']:.2f}")
    out = write_results(
        "hosting",
        {
            "clusters": n,
            "one": one,
            "separate": separate,
            "shared": shared,
            "more_separate_mib": more_separate,
            "more_shared_mib": more_shared,
        },
    )
    print(json.dumps({"results": str(out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
