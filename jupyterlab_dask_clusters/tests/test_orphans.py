"""No cluster outlives the server that started it: a real jupyter lab, companion and LocalCluster."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import proctree
import pytest

pytestmark = pytest.mark.e2e

# The companion fills in every other option from the type's defaults.
CREATE = {"type": "local", "options": {"workers": 2}}
COMPANION_ARG = os.path.join("companion", "main.mjs")
GONE_WITHIN = 30


def create_running_cluster(server) -> dict:
    """Creates a local cluster through the proxy and waits until both workers run."""
    status, body = server.request("POST", "dask-clusters/api/clusters", CREATE, timeout=90)
    if status == 404 and not isinstance(body, dict):
        # Jupyter's own 404 page: the proxy route is not there at all.
        _, known = server.request("GET", "server-proxy/servers-info")
        pytest.fail(
            f"no dask-clusters route; jupyter-server-proxy knows: {known}. Is the package "
            f"installed (pip install -e .) and the companion built?\n{server.log_tail()}"
        )
    assert status in (200, 201, 202), f"create answered {status}: {body}\n{server.log_tail()}"
    cluster_id = body["id"]
    model = body
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status, model = server.request("GET", f"dask-clusters/api/clusters/{cluster_id}")
        assert status == 200, f"GET cluster answered {status}: {model}"
        if model["state"] == "running" and model["workers"] == 2:
            return model
        assert model["state"] in ("starting", "running"), f"cluster ended up {model['state']}: {model}"
        time.sleep(1)
    pytest.fail(f"cluster not running with 2 workers after 180 s: {model}\n{server.log_tail()}")


def is_cluster_runner(cmdline) -> bool:
    """`python runner.py run ...`; its other subcommands (probe, kernelspecs) come and go."""
    for i, arg in enumerate(cmdline):
        if arg.endswith("runner.py"):
            return "run" in cmdline[i + 1 :]
    return False


def cluster_processes(server, model):
    """The companion under jupyter and every process below it (one runner, its workers)."""
    below_jupyter = proctree.descendants(server.proc.pid)
    companions = [p for p in below_jupyter if any(a.endswith(COMPANION_ARG) for a in p.cmdline)]
    assert len(companions) == 1, [p.describe() for p in below_jupyter]
    (companion,) = companions

    below_companion = proctree.descendants(companion.pid)
    runners = [p for p in below_companion if is_cluster_runner(p.cmdline)]
    assert len(runners) == 1, [p.describe() for p in below_companion]
    (runner,) = runners

    below_runner = proctree.descendants(runner.pid)
    if model["spec"]["options"].get("processes", True):
        # Each worker is a process of its own (a nanny spawns it); none seen means
        # the test looked in the wrong place, not that there is nothing to leak.
        assert len(below_runner) >= 2, [p.describe() for p in below_runner]
    server.remember([companion, *below_companion])
    return companion, below_companion


def describe(procs) -> str:
    return "\n".join(p.describe() for p in procs)


def test_sigterm_to_jupyter_leaves_no_cluster_behind(start_lab):
    server = start_lab()
    model = create_running_cluster(server)
    companion, cluster_tree = cluster_processes(server, model)

    server.proc.send_signal(signal.SIGTERM)
    try:
        server.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"jupyter lab still runs 60 s after SIGTERM:\n{server.log_tail()}")

    left = proctree.survivors(cluster_tree, within=GONE_WITHIN)
    assert not left, f"still running {GONE_WITHIN} s after jupyter exited:\n{describe(left)}"
    assert not proctree.survivors([companion], within=5), (
        f"the companion outlived jupyter lab: {companion.describe()}\n{server.log_tail()}"
    )


def test_killed_companion_takes_its_clusters_along(start_lab):
    server = start_lab()
    model = create_running_cluster(server)
    companion, cluster_tree = cluster_processes(server, model)

    os.kill(companion.pid, signal.SIGKILL)

    # jupyter-server-proxy may start a new companion; only the old tree matters here.
    left = proctree.survivors(cluster_tree, within=GONE_WITHIN)
    assert not left, f"still running {GONE_WITHIN} s after the companion was killed:\n{describe(left)}"
    assert server.proc.poll() is None, f"jupyter lab died with its companion:\n{server.log_tail()}"
