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
SLURM (`make slurm-up`) and a build (`make build`).

    .venv/bin/python bench/slurm_start.py
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = str(REPO / ".venv" / "bin" / "python")
BUNDLE = REPO / "jupyterlab_dask_clusters" / "companion" / "main.mjs"
RUNNER = REPO / "jupyterlab_dask_clusters" / "runner.py"
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


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)


def call(sock, method, path, body=None):
    conn = UnixConnection(sock)
    conn.request(
        method, path, body=None if body is None else json.dumps(body), headers={"Content-Type": "application/json"}
    )
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    return response.status, (json.loads(text) if text else None)


def queued(name_suffix):
    out = subprocess.run(["squeue", "--noheader", "--format=%j"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.split() if line.endswith(name_suffix)]


def slurm_env():
    env = dict(os.environ)
    for line in Path("/tmp/jdc-slurm/env").read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    return env


def ours(root, env):
    sock = os.path.join(root, "companion.sock")
    env = dict(
        env,
        JUPYTERLAB_DASK_CLUSTERS_PYTHON=PYTHON,
        JUPYTERLAB_DASK_CLUSTERS_RUNNER=str(RUNNER),
        JUPYTERLAB_DASK_CLUSTERS_STATE_DIR=os.path.join(root, "state"),
        JUPYTERLAB_DASK_CLUSTERS_SLURM_DIR=os.path.join(root, "shared"),
    )
    companion = subprocess.Popen(["node", str(BUNDLE), "--socket", sock], env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while True:
            try:
                if call(sock, "GET", "/")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("the companion did not answer")
            time.sleep(0.1)
        call(sock, "GET", "/api/types")  # warm the environment probes, as an open dialog has
        start = time.perf_counter()
        status, model = call(sock, "POST", "/api/clusters", {"type": "slurm", "options": OPTIONS})
        if status != 201:
            raise RuntimeError(f"create answered {status}: {model}")
        while True:
            _, current = call(sock, "GET", f"/api/clusters/{model['id']}")
            if current["workers"] >= 2:
                break
            if current["state"] in ("failed", "lost"):
                raise RuntimeError(current.get("error"))
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        call(sock, "DELETE", f"/api/clusters/{model['id']}")
        deadline = time.time() + 60
        while queued(model["id"]) and time.time() < deadline:
            time.sleep(0.2)
        return elapsed
    finally:
        companion.terminate()
        companion.wait(timeout=40)


def baseline(root, env):
    shared = os.path.join(root, "baseline")
    os.mkdir(shared, 0o700)
    start = time.perf_counter()
    process = subprocess.Popen([PYTHON, "-c", BASELINE, shared], env=env, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    elapsed = time.perf_counter() - start
    process.wait(timeout=60)
    if line.strip() != "ready":
        raise RuntimeError("the baseline did not get its workers")
    return elapsed


def main():
    if not BUNDLE.exists():
        sys.exit(f"{BUNDLE} is missing: run make build")
    root = tempfile.mkdtemp(prefix="bench-slurm-")
    env = slurm_env()
    env["DASK_CONFIG"] = os.path.join(root, "dask")
    try:
        base = baseline(root, env)
        mine = ours(root, env)
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
