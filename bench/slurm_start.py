#!/usr/bin/env python3
"""Benchmark: time to a 2-worker SLURM cluster, ours against plain dask-jobqueue.

ours      POST api/clusters (type slurm) to a real companion on a Unix socket
          (the built bundle, the real runner.py, the test SLURM) until the
          cluster reports 2 connected workers; then DELETE it and wait until
          no job of it is left in squeue.
baseline  a fresh interpreter of the same virtualenv running
          SLURMCluster(cores=1, memory="1GiB", processes=1, walltime=...,
          queue="debug", security=True, shared_temp_directory=<dir>);
          cluster.scale(2); Client(cluster).wait_for_workers(2), timed from
          just before the interpreter starts until the workers are there.

One run each, printed with the ratio; nothing is asserted. Needs the test
SLURM (`make slurm-up`) and a build (`make build`). The machinery is
batch_start.py's, shared with sge_start.py.

    .venv/bin/python bench/slurm_start.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from batch_start import baseline, companion, ours, service_env

OPTIONS = {"partition": "debug", "walltime": "00:10:00", "cores": 1, "memory": "1 GiB", "processes": 1, "workers": 2}

BASELINE = """
import sys
from dask.distributed import Client
from dask_jobqueue import SLURMCluster
cluster = SLURMCluster(cores=1, memory="1GiB", processes=1, walltime="00:10:00", queue="debug",
                       security=True, shared_temp_directory=sys.argv[1], job_name="bench-baseline",
                       log_directory=sys.argv[1])  # not the current directory
cluster.scale(2)
Client(cluster).wait_for_workers(2)
print("ready", flush=True)
cluster.close()
"""


def queued(name_suffix):
    out = subprocess.run(["squeue", "--noheader", "--format=%j"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.split() if line.endswith(name_suffix)]


def main():
    root = tempfile.mkdtemp(prefix="bench-slurm-")
    env = service_env("/tmp/jdc-slurm/env")
    env["DASK_CONFIG"] = os.path.join(root, "dask")
    try:
        shared = os.path.join(root, "baseline")
        os.mkdir(shared, 0o700)
        base = baseline(BASELINE, [shared], env)
        with companion(root, dict(env, JUPYTERLAB_DASK_CLUSTERS_SLURM_DIR=os.path.join(root, "shared"))) as sock:
            mine = ours(sock, "slurm", OPTIONS, queued)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("2-worker SLURM cluster, create request to all workers connected (one run each)")
    print(f"  ours (companion + runner, TLS, validation, sbatch --test-only): {mine:6.2f} s")
    print(f"  plain SLURMCluster(...).scale(2) + wait_for_workers(2):        {base:6.2f} s")
    print(f"  ratio ours / plain: {mine / base:.2f}")
    left = queued("bench-baseline")
    if left:
        sys.exit(f"jobs left in the queue: {left}")


if __name__ == "__main__":
    main()
