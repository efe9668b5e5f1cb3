#!/usr/bin/env python3
"""Benchmark: what one more local cluster costs in a host process of its own, or in a shared one.

The lever of issue 15's memory item is one runner per environment hosting
several clusters. Before building it, this measures what it would save, with
plain `distributed` in this checkout's virtualenv and clusters shaped like
ours (TLS from fresh credentials, a dashboard, one worker, processes):

separate  N interpreters, each hosting one cluster: what we run today (a
          runner per cluster, each with its resource tracker and worker).
shared    one interpreter hosting N clusters: the lever.

It prints the RSS (VmRSS) of every process of each layout with its role
(memory.py's), the totals and what each cluster after the first adds. Nothing is asserted;
results also go to bench/results/hosting-<UTC>.json.

    .venv/bin/python bench/hosting.py [--clusters 3]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from local_start import MARKER, PYTHON, log, sweep, write_results
from memory import MIB, print_snapshot, snapshot

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


def measure(script: Path, layout: list[int]) -> list[dict]:
    """Start one host per entry of `layout` (its number of clusters); every process's RSS once all are up."""
    mark = secrets.token_hex(8)
    env = dict(os.environ, **{MARKER: mark})
    hosts = [
        subprocess.Popen(
            [PYTHON, str(script), str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        for count in layout
    ]
    try:
        for host in hosts:
            if host.stdout is None or host.stdout.readline().strip() != "ready":
                raise RuntimeError("a host did not start its clusters")
        time.sleep(SETTLE_S)
        # memory.py's roles; the host here is no runner of ours.
        return [dict(row, role="host") if row["role"] == "other" else row for row in snapshot(mark)]
    finally:
        for host in hosts:
            if host.stdin is not None:
                host.stdin.close()
        left = sweep(mark, 60.0)
        if left:
            raise RuntimeError(f"processes left after the hosts closed their clusters: {left}")


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
        rows = {
            "one": measure(script, [1]),
            "separate": measure(script, [1] * n),
            "shared": measure(script, [n]),
        }
    one = print_snapshot("1 cluster, 1 host", rows["one"])
    separate = print_snapshot(f"{n} clusters, {n} hosts (today)", rows["separate"])
    shared = print_snapshot(f"{n} clusters, 1 host (shared)", rows["shared"])
    more_separate = (separate - one) / (n - 1) / MIB
    more_shared = (shared - one) / (n - 1) / MIB
    print(f"\neach cluster after the first adds {more_separate:.0f} MiB alone, {more_shared:.0f} MiB shared")
    print(f"shared/separate for {n} clusters: {shared / separate:.2f}")
    out = write_results(
        "hosting",
        {
            "clusters": n,
            **rows,
            "more_separate_mib": more_separate,
            "more_shared_mib": more_shared,
        },
    )
    print("checked: no process of this bench is left")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
