"""Clusters that keep running after JupyterLab stops (the Keep running field): a real jupyter
lab is stopped with SIGTERM, its cluster's runner, workers and batch jobs live on, and the next
jupyter lab on the same state directory re-adopts it: same item, same scheduler address, the
dashboard and job rows back, scale and Stop work, and after Stop no process and no job is left."""

from __future__ import annotations

import signal
import time

import proctree
import pytest
from test_slurm_orphans import OPTIONS, queued, slurm_lab  # noqa: F401 - slurm_lab is a fixture

pytestmark = pytest.mark.e2e


def wait_for(server, cluster_id: str, test, what: str, within: float = 180) -> dict:
    """The cluster's model once `test(model)` holds."""
    deadline = time.monotonic() + within
    model: object = None
    while time.monotonic() < deadline:
        status, model = server.request("GET", f"dask-clusters/api/clusters/{cluster_id}")
        if status == 200 and test(model):
            return model
        time.sleep(1)
    pytest.fail(f"no {what} after {within} s: {model}\n{server.log_tail()}")


def stop_lab(server) -> None:
    """Stop jupyter lab as its user would (SIGTERM, then its shutdown)."""
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=60)


def runners_of(procs) -> list:
    from test_orphans import is_cluster_runner

    return [p for p in procs if is_cluster_runner(p.cmdline)]


def survive_and_readopt(start_lab, state: dict, create: dict, ready, before_stop=None) -> tuple[object, dict, list]:
    """Create a cluster that keeps running, stop jupyter lab, start another on the same state
    directory; returns the new server, the re-adopted model and the processes that lived on.
    `before_stop(server)` runs just before the first server is stopped."""
    first = start_lab(env_extra=state)
    status, body = first.request("POST", "dask-clusters/api/clusters", create, timeout=120)
    assert status == 201, f"create answered {status}: {body}\n{first.log_tail()}"
    assert body["keepRunning"] is True
    cluster_id = body["id"]
    before = wait_for(first, cluster_id, ready, "running cluster")
    runners = first.cluster_runners()
    assert len(runners) == 1, [p.describe() for p in runners]
    kept = [*runners, *proctree.descendants(runners[0].pid)]
    if before_stop is not None:
        before_stop(first)

    stop_lab(first)
    time.sleep(3)
    gone = [p for p in kept if not proctree.is_alive(p)]
    assert not gone, f"stopped with JupyterLab: {[p.describe() for p in gone]}"

    second = start_lab(env_extra=state)
    second.remember(kept)
    after = wait_for(
        second,
        cluster_id,
        lambda m: ready(m) and m.get("schedulerAddress") == before["schedulerAddress"],
        "re-adopted cluster",
        within=60,
    )
    assert (after["id"], after["name"], after["createdAt"]) == (before["id"], before["name"], before["createdAt"])
    assert "elsewhere" not in after and "error" not in after
    return second, after, kept


def test_local_cluster_keeps_running_across_a_jupyterlab_restart(start_lab, tmp_path):
    state = {"JUPYTERLAB_DASK_CLUSTERS_STATE_DIR": str(tmp_path / "state")}
    create = {"type": "local", "options": {"workers": 2, "keep_running": True}}
    plain: dict = {}

    def start_plain(first):
        # One without the choice, beside it: it stops with JupyterLab, as before, and says so.
        status, body = first.request("POST", "dask-clusters/api/clusters", {"type": "local", "options": {"workers": 1}})
        assert status == 201, body
        plain.update(wait_for(first, body["id"], lambda m: m["state"] == "running", "plain cluster"))

    server, model, kept = survive_and_readopt(
        start_lab, state, create, lambda m: m["state"] == "running" and m["workers"] == 2, start_plain
    )
    cluster_id = model["id"]
    status, ended = server.request("GET", f"dask-clusters/api/clusters/{plain['id']}")
    assert status == 200, ended
    assert (ended["state"], ended.get("endReason")) == ("stopped", "Stopped because JupyterLab stopped."), ended
    # Its dashboard, through the new server's proxy.
    assert model["hasDashboard"] is True
    status, plots = server.request("GET", f"dask-clusters/api/clusters/{cluster_id}/plots")
    assert status == 200 and len(plots) > 0, plots
    status, page = server.request("GET", f"dask-clusters/dashboard/{cluster_id}/individual-task-stream")
    assert status == 200, page
    # Scale works.
    status, answer = server.request(
        "POST", f"dask-clusters/api/clusters/{cluster_id}/scale", {"mode": "fixed", "workers": 1}
    )
    assert status == 200, answer
    wait_for(server, cluster_id, lambda m: m["workers"] == 1, "scaled cluster", within=60)
    # Stop leaves no process.
    server.remove_cluster(cluster_id, runners_of(kept))
    left = proctree.survivors(kept, within=30)
    assert not left, [p.describe() for p in left]


def test_slurm_cluster_keeps_its_jobs_across_a_jupyterlab_restart(slurm_lab, tmp_path):  # noqa: F811 - the fixture
    start_lab, started = slurm_lab
    state = {"JUPYTERLAB_DASK_CLUSTERS_STATE_DIR": str(tmp_path / "state")}
    create = {"type": "slurm", "options": {**OPTIONS, "workers": 1, "keep_running": True}}

    def ready(m):
        return m["state"] == "running" and m["workers"] == 1 and [j["state"] for j in m["jobs"]] == ["RUNNING"]

    server, model, kept = survive_and_readopt(start_lab, state, create, ready)
    cluster_id = model["id"]
    started.append(cluster_id)
    (job,) = model["jobs"]
    assert [entry.split()[0] for entry in queued(cluster_id)] == [job["id"]]
    # Scale works: a second job is submitted.
    status, answer = server.request(
        "POST", f"dask-clusters/api/clusters/{cluster_id}/scale", {"mode": "fixed", "workers": 2}
    )
    assert status == 200, answer
    wait_for(server, cluster_id, lambda m: len(m["jobs"]) == 2, "second job", within=60)
    # Stop leaves no process and no job.
    server.remove_cluster(cluster_id, runners_of(kept))
    deadline = time.monotonic() + 30
    while queued(cluster_id):
        assert time.monotonic() < deadline, queued(cluster_id)
        time.sleep(1)
    left = proctree.survivors(kept, within=30)
    assert not left, [p.describe() for p in left]
