"""What the batch-system start benches share (slurm_start.py, sge_start.py).

ours      POST api/clusters to a real companion on a Unix socket (the built
          bundle, the real runner.py, the test batch system) until the
          cluster reports the workers connected; then DELETE it and wait until
          no job of it is left in the queue.
baseline  a fresh interpreter of the same virtualenv running the plain
          dask-jobqueue script of the bench, timed from just before the
          interpreter starts until it prints that the workers are there; then
          it closes the cluster, and the bench waits until its jobs are gone.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = str(REPO / ".venv" / "bin" / "python")
BUNDLE = REPO / "jupyterlab_dask_clusters" / "companion" / "main.mjs"
RUNNER = REPO / "jupyterlab_dask_clusters" / "runner.py"
RESULTS = Path(__file__).resolve().parent / "results"


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)


def call(sock, method, path, body=None):
    """One request to the companion: (status, parsed JSON body or None)."""
    conn = UnixConnection(sock)
    conn.request(
        method, path, body=None if body is None else json.dumps(body), headers={"Content-Type": "application/json"}
    )
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    return response.status, (json.loads(text) if text else None)


def service_env(file: str) -> dict[str, str]:
    """os.environ with the KEY=VALUE lines a test service's script wrote (scripts/*/*.sh up)."""
    env = dict(os.environ)
    if not Path(file).is_file():
        raise SystemExit(f"{file} is missing: start the test batch system first (make slurm-up or make sge-up)")
    for line in Path(file).read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    return env


def wait_until(what: str, done: Callable[[], bool], within: float = 60) -> None:
    """Poll `done` every 0.2 s; fail after `within` seconds."""
    deadline = time.time() + within
    while not done():
        if time.time() > deadline:
            raise RuntimeError(f"not within {within} s: {what}")
        time.sleep(0.2)


@contextmanager
def companion(root: str, env: dict[str, str]) -> Iterator[str]:
    """A companion (the built bundle) on a socket under `root`, answering; yields the socket path."""
    if not BUNDLE.exists():
        raise SystemExit(f"{BUNDLE} is missing: run make build")
    sock = os.path.join(root, "companion.sock")
    env = dict(
        env,
        JUPYTERLAB_DASK_CLUSTERS_PYTHON=PYTHON,
        JUPYTERLAB_DASK_CLUSTERS_RUNNER=str(RUNNER),
        JUPYTERLAB_DASK_CLUSTERS_STATE_DIR=os.path.join(root, "state"),
    )
    process = subprocess.Popen(["node", str(BUNDLE), "--socket", sock], env=env, stderr=subprocess.DEVNULL)
    try:

        def answers():
            try:
                return call(sock, "GET", "/")[0] == 200
            except OSError:
                return False

        wait_until("the companion answers", answers, within=20)
        call(sock, "GET", "/api/types")  # warm the environment probes, as an open dialog has
        yield sock
    finally:
        process.terminate()
        process.wait(timeout=40)


def ours(sock: str, cluster_type: str, options: dict, queued: Callable[[str], list[str]]) -> float:
    """Seconds from the create request until `options["workers"]` workers are connected; then the
    cluster is deleted and its jobs (`queued(cluster_id)`) waited out of the queue."""
    start = time.perf_counter()
    status, model = call(sock, "POST", "/api/clusters", {"type": cluster_type, "options": options})
    if status != 201:
        raise RuntimeError(f"create answered {status}: {model}")
    while True:
        _, current = call(sock, "GET", f"/api/clusters/{model['id']}")
        if current["workers"] >= options["workers"]:
            break
        if current["state"] in ("failed", "lost"):
            raise RuntimeError(current.get("error"))
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    call(sock, "DELETE", f"/api/clusters/{model['id']}")
    wait_until(f"no job of cluster {model['id']} queued", lambda: not queued(model["id"]))
    return elapsed


def baseline(script: str, args: list[str], env: dict[str, str], cwd: str | None = None) -> float:
    """Seconds from starting a fresh interpreter on `script` until it prints "ready"."""
    start = time.perf_counter()
    process = subprocess.Popen([PYTHON, "-c", script, *args], env=env, cwd=cwd, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    elapsed = time.perf_counter() - start
    process.wait(timeout=60)
    if line.strip() != "ready":
        raise RuntimeError("the baseline did not get its workers")
    return elapsed
