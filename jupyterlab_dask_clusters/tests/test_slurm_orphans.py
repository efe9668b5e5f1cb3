"""No SLURM job outlives JupyterLab or its companion: a real jupyter lab on the test SLURM (make slurm-up)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from batch_orphans import lost_cluster_leaves_no_job, sigterm_leaves_no_job

pytestmark = pytest.mark.e2e

SLURM_ENV_FILE = Path("/tmp/jdc-slurm/env")
OPTIONS = {"partition": "debug", "walltime": "00:10:00", "cores": 1, "memory": "1 GiB", "workers": 2}


def queued(cluster_id: str) -> list[str]:
    """Jobs of the cluster still in the queue, as squeue says (its job names end with the id)."""
    out = subprocess.run(
        ["squeue", "-h", "-o", "%i %j %T"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return [
        f"{job} {state}"
        for job, name, state in (line.split() for line in out.splitlines() if line.strip())
        if name.endswith(f"-{cluster_id}")
    ]


@pytest.fixture
def slurm_lab(start_lab, monkeypatch, tmp_path):
    """start_lab with the test SLURM's environment; cancels whatever a failed test left queued."""
    if not SLURM_ENV_FILE.is_file():
        pytest.fail(f"{SLURM_ENV_FILE} is missing: start SLURM first (make slurm-up)", pytrace=False)
    for line in SLURM_ENV_FILE.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep:
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("JUPYTERLAB_DASK_CLUSTERS_SLURM_DIR", str(tmp_path / "shared"))
    monkeypatch.setenv("JUPYTERLAB_DASK_CLUSTERS_SQUEUE_INTERVAL_MS", "1000")
    started: list[str] = []
    yield start_lab, started
    for cluster_id in started:
        for entry in queued(cluster_id):
            subprocess.run(["scancel", entry.split()[0]], check=False)


def create_slurm_cluster(server, started: list[str], workers: int = 2) -> dict:
    """A SLURM cluster through the proxy, once two jobs run and their workers connected.

    The test node has 2 CPUs: a third 1-core job waits in the queue (PENDING).
    """
    options = {**OPTIONS, "workers": workers}
    status, body = server.request(
        "POST", "dask-clusters/api/clusters", {"type": "slurm", "options": options}, timeout=120
    )
    assert status == 201, f"create answered {status}: {body}\n{server.log_tail()}"
    cluster_id = body["id"]
    started.append(cluster_id)
    deadline = time.monotonic() + 180
    model = body
    while time.monotonic() < deadline:
        status, model = server.request("GET", f"dask-clusters/api/clusters/{cluster_id}")
        assert status == 200, f"GET cluster answered {status}: {model}"
        running_jobs = [j for j in model["jobs"] if j["state"] == "RUNNING"]
        if (
            model["state"] == "running"
            and model["workers"] == 2
            and len(running_jobs) == 2
            and len(model["jobs"]) == workers
        ):
            assert len(queued(cluster_id)) == workers, queued(cluster_id)
            return model
        assert model["state"] in ("starting", "running"), f"cluster ended up {model['state']}: {model}"
        time.sleep(1)
    pytest.fail(f"SLURM cluster not running with 2 jobs after 180 s: {model}\n{server.log_tail()}")


def test_sigterm_to_jupyter_leaves_no_slurm_job(slurm_lab):
    start_lab, started = slurm_lab
    server = start_lab()
    model = create_slurm_cluster(server, started)
    sigterm_leaves_no_job(server, model["id"], queued)


def test_restarted_companion_cancels_the_jobs_of_a_lost_cluster(slurm_lab):
    start_lab, started = slurm_lab
    server = start_lab()
    model = create_slurm_cluster(server, started, workers=3)
    pending = [j["id"] for j in model["jobs"] if j["state"] == "PENDING"]
    assert len(pending) == 1, model["jobs"]
    # The pending job would otherwise stay in the queue for good.
    lost_cluster_leaves_no_job(server, model["id"], queued)
