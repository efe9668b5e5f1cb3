#!/usr/bin/env python3
"""Benchmark: time to a 2-worker Grid Engine cluster, ours against plain dask-jobqueue.

ours      POST api/clusters (type sge) to a real companion on a Unix socket
          (the built bundle, the real runner.py, the test Grid Engine) until
          the cluster reports 2 connected workers; then DELETE it and wait
          until no job of it is left in `qstat -u '*'`.
baseline  a fresh interpreter of the same virtualenv running
          SGECluster(cores=1, memory="1GiB", processes=1, walltime=...,
          queue="all.q", security=True, shared_temp_directory=<dir>);
          cluster.scale(2); Client(cluster).wait_for_workers(2), timed from
          just before the interpreter starts until the workers are there;
          then close(), and the bench waits until its jobs left qstat.

One untimed run of each first, then --repeat (default 5) timed runs of each,
interleaved, alternating which goes first. Prints the medians and minimums and
the ratio of the medians; nothing is asserted. Raw numbers go to
bench/results/sge_start-<UTC time>.json. Needs the test Grid Engine
(`make sge-up`) and a build (`make build`). The machinery is batch_start.py's,
shared with slurm_start.py.

    .venv/bin/python bench/sge_start.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from batch_start import RESULTS, baseline, companion, ours, service_env, wait_until

SGE_ENV_FILE = os.path.join(os.environ.get("JDC_SGE_DIR", "/tmp/jdc-sge"), "env")
OPTIONS = {"queue": "all.q", "walltime": "00:10:00", "cores": 1, "memory": "1 GiB", "processes": 1, "workers": 2}

BASELINE = """
import sys
from dask.distributed import Client
from dask_jobqueue import SGECluster
cluster = SGECluster(cores=1, memory="1GiB", processes=1, walltime="00:10:00", queue="all.q",
                     security=True, shared_temp_directory=sys.argv[1], job_name=sys.argv[2],
                     log_directory=sys.argv[1])  # not the current directory
cluster.scale(2)
Client(cluster).wait_for_workers(2)
print("ready", flush=True)
cluster.close()
"""


def queued(name_suffix: str) -> list[str]:
    """Ids of every job in `qstat -u '*'` (any state, `dr` too) whose full name ends with the suffix."""
    out = subprocess.run(["qstat", "-u", "*", "-xml"], capture_output=True, text=True, check=True, timeout=30).stdout
    return [
        job.findtext("JB_job_number") or ""
        for job in ET.fromstring(out).iter("job_list")
        if (job.findtext("JB_name") or "").endswith(name_suffix)
    ]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (default 5)")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="bench-sge-")
    os.chmod(root, 0o755)  # jobs run with -cwd in the baseline's directory
    env = service_env(SGE_ENV_FILE)
    env["PATH"] = f"{env['PATH']}{os.pathsep}{env.get('JDC_SGE_BIN', '/usr/bin')}"
    env["DASK_CONFIG"] = os.path.join(root, "dask")
    runs = {"ours": [], "baseline": []}
    try:
        with companion(root, dict(env, JUPYTERLAB_DASK_CLUSTERS_SGE_DIR=os.path.join(root, "shared"))) as sock:

            def run_baseline(i: int) -> float:
                shared = os.path.join(root, f"baseline-{i}")
                os.mkdir(shared, 0o700)
                name = f"bench-base{i}"
                elapsed = baseline(BASELINE, [shared, name], env, cwd=root)
                wait_until(f"no job of {name} queued", lambda: not queued(name))
                return elapsed

            def run_ours(i: int) -> float:
                return ours(sock, "sge", OPTIONS, lambda cluster_id: queued(f"-{cluster_id}"))

            sides = {"ours": run_ours, "baseline": run_baseline}
            for which, run in sides.items():
                print(f"  warm-up {which:9} {run(0):6.2f} s", file=sys.stderr)
            for i in range(1, args.repeat + 1):
                order = ["ours", "baseline"] if i % 2 else ["baseline", "ours"]
                for which in order:
                    runs[which].append(sides[which](i))
                    print(f"  {i}/{args.repeat} {which:9} {runs[which][-1]:6.2f} s", file=sys.stderr)
                    time.sleep(1)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    o, b = summary(runs["ours"]), summary(runs["baseline"])
    ratio = o["median"] / b["median"]
    print(f"2-worker Grid Engine cluster, create request to all workers connected ({args.repeat} runs each)")
    print("                                                              median      min")
    print(f"  ours (companion + runner, TLS, queue and h_rt checks):     {o['median']:6.2f} s  {o['min']:6.2f} s")
    print(f"  plain SGECluster(...).scale(2) + wait_for_workers(2):      {b['median']:6.2f} s  {b['min']:6.2f} s")
    print(f"  ratio ours / plain, medians: {ratio:.2f} (minimums {o['min'] / b['min']:.2f})")
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (RESULTS / f"sge_start-{stamp}.json").write_text(
        json.dumps(
            {
                "bench": "sge_start",
                "when": stamp,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "repeat": args.repeat,
                "ours_s": runs["ours"],
                "baseline_s": runs["baseline"],
                "ours": o,
                "baseline": b,
                "ratio_of_medians": ratio,
            },
            indent=2,
        )
        + "\n"
    )
    left = [job for i in range(args.repeat + 1) for job in queued(f"bench-base{i}")]
    if left:
        sys.exit(f"jobs left in the queue: {left}")


if __name__ == "__main__":
    main()
