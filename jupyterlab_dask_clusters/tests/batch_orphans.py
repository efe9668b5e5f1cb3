"""What the no-orphans tests of the batch types share (test_slurm_orphans.py, test_sge_orphans.py):
JupyterLab stopped with SIGTERM, or its companion and a runner killed so that a new companion finds
the cluster lost; either way no job of the cluster may stay in the batch system's queue.

`queued(cluster_id)` is the batch system's own view: the cluster's jobs still listed, one string
each (id and state), straight from squeue or qstat."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

import proctree
import pytest
from test_orphans import COMPANION_ARG, is_cluster_runner

GONE_WITHIN = 30

Queued = Callable[[str], list[str]]


def wait_gone(queued: Queued, cluster_id: str, within: float = GONE_WITHIN) -> list[str]:
    """The cluster's jobs still listed after waiting up to `within` seconds for none."""
    deadline = time.monotonic() + within
    while True:
        left = queued(cluster_id)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def companion_and_runner(server) -> tuple[proctree.Proc, proctree.Proc]:
    """The companion under jupyter, and its one cluster runner."""
    below_jupyter = proctree.descendants(server.proc.pid)
    companions = [p for p in below_jupyter if any(a.endswith(COMPANION_ARG) for a in p.cmdline)]
    assert len(companions) == 1, [p.describe() for p in below_jupyter]
    runners = [p for p in proctree.descendants(companions[0].pid) if is_cluster_runner(p.cmdline)]
    assert len(runners) == 1, [p.describe() for p in below_jupyter]
    server.remember([companions[0], runners[0]])
    return companions[0], runners[0]


def sigterm_leaves_no_job(server, cluster_id: str, queued: Queued) -> None:
    """SIGTERM to jupyter lab: it exits within 60 s, and the cluster's jobs leave the queue."""
    server.proc.send_signal(signal.SIGTERM)
    try:
        server.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"jupyter lab still runs 60 s after SIGTERM:\n{server.log_tail()}")
    left = wait_gone(queued, cluster_id)
    assert not left, f"still queued {GONE_WITHIN} s after jupyter exited: {left}\n{server.log_tail()}"


def lost_cluster_leaves_no_job(server, cluster_id: str, queued: Queued) -> None:
    """Companion and runner killed with nobody left to clean up: the new companion that
    jupyter-server-proxy starts finds the cluster lost and removes every job, waiting ones too."""
    companion, runner = companion_and_runner(server)
    # The runner is frozen before the companion dies (so end of stdin cannot make it cancel its
    # jobs), then killed too.
    os.kill(runner.pid, signal.SIGSTOP)
    os.kill(companion.pid, signal.SIGKILL)
    assert not proctree.survivors([companion], within=10), companion.describe()
    os.kill(runner.pid, signal.SIGKILL)
    assert not proctree.survivors([runner], within=10), runner.describe()
    assert queued(cluster_id), "the jobs left with the runner, so this proves nothing"
    # A new companion starts at once, or on the next request.
    deadline = time.monotonic() + 60
    while True:
        status, body = server.request("GET", f"dask-clusters/api/clusters/{cluster_id}", timeout=30)
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert status == 200, f"no new companion answered: {status} {body}\n{server.log_tail()}"
    assert body["state"] == "lost", body
    assert "companion restarted" in body["error"], body
    (new_companion,) = [
        p for p in proctree.descendants(server.proc.pid) if any(a.endswith(COMPANION_ARG) for a in p.cmdline)
    ]
    assert new_companion.pid != companion.pid
    left = wait_gone(queued, cluster_id)
    assert not left, f"still queued {GONE_WITHIN} s after the new companion started: {left}\n{server.log_tail()}"
    _, body = server.request("GET", f"dask-clusters/api/clusters/{cluster_id}")
    assert body["jobs"] == [], body
