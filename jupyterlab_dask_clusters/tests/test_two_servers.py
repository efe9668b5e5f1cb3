"""Two real JupyterLab servers of one user on one state directory (two `jupyter lab` runs, or
two login nodes sharing $HOME): the second one's start leaves the first one's cluster running,
its sidebar lists it as running in the other JupyterLab, and Stop there stops it through its
owner, leaving no process."""

from __future__ import annotations

import socket
import time

import proctree
import pytest
from test_orphans import create_running_cluster

pytestmark = pytest.mark.e2e

# Longer than the 10 s in which the second server's start-up used to stop the first one's clusters.
SETTLE = 15


def clusters(server) -> dict[str, dict]:
    status, listed = server.request("GET", "dask-clusters/api/clusters")
    assert status == 200, listed
    return {c["id"]: c for c in listed}


def test_second_server_leaves_the_first_ones_cluster_running(start_lab, tmp_path):
    state = {"JUPYTERLAB_DASK_CLUSTERS_STATE_DIR": str(tmp_path / "shared-state")}
    first = start_lab(env_extra=state)
    model = create_running_cluster(first)
    cluster_id = model["id"]
    runners = first.cluster_runners()
    assert len(runners) == 1, [p.describe() for p in runners]
    first.remember(proctree.descendants(first.proc.pid))

    second = start_lab(env_extra=state)
    # The second server's companion starts with its first request.
    assert second.cluster_ids() == {cluster_id}
    time.sleep(SETTLE)

    mine = clusters(first)[cluster_id]
    assert (mine["state"], mine["workers"]) == ("running", 2), mine
    assert "elsewhere" not in mine
    assert all(proctree.is_alive(p) for p in runners)
    theirs = clusters(second)[cluster_id]
    assert theirs["state"] == "running"
    assert theirs["elsewhere"]["host"] == socket.gethostname()

    # The user's explicit choice, in the second server: its owner stops it, as its own Stop would.
    status, answer = second.request("DELETE", f"dask-clusters/api/clusters/{cluster_id}")
    assert status == 202, answer
    left = proctree.survivors(runners, within=60)
    assert not left, [p.describe() for p in left]
    deadline = time.monotonic() + 20
    while clusters(first)[cluster_id]["state"] != "stopped" or clusters(second)[cluster_id]["state"] != "stopped":
        assert time.monotonic() < deadline, (clusters(first), clusters(second))
        time.sleep(0.5)
    assert clusters(first)[cluster_id]["endReason"] == "Stopped by you."
