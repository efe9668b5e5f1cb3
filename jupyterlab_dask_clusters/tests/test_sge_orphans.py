"""No Grid Engine job outlives JupyterLab or its companion: a real jupyter lab on the test Grid
Engine (make sge-up). The SGE counterpart of test_slurm_orphans.py; the steps are batch_orphans.py's."""

from __future__ import annotations

import subprocess
import time
import xml.etree.ElementTree as ET

import pytest
from batch_orphans import lost_cluster_leaves_no_job, sigterm_leaves_no_job
from test_sge_harness import sge_env  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

OPTIONS = {"queue": "all.q", "walltime": "00:10:00", "cores": 1, "memory": "1 GiB", "processes": 1}


def queued(cluster_id: str) -> list[str]:
    """Jobs of the cluster in `qstat -u '*'` (any state, `dr` included): "id state" each.

    The XML has the full job names (plain qstat cuts them); they end with the cluster id.
    """
    out = subprocess.run(["qstat", "-u", "*", "-xml"], capture_output=True, text=True, check=True, timeout=30).stdout
    return [
        f"{job.findtext('JB_job_number')} {job.findtext('state')}"
        for job in ET.fromstring(out).iter("job_list")
        if (job.findtext("JB_name") or "").endswith(f"-{cluster_id}")
    ]


@pytest.fixture
def sge_lab(start_lab, sge_env, monkeypatch, tmp_path):  # noqa: F811 (the fixture imported above)
    """start_lab with the test Grid Engine's environment; deletes whatever a failed test left queued."""
    monkeypatch.setenv("JUPYTERLAB_DASK_CLUSTERS_SGE_DIR", str(tmp_path / "shared"))
    monkeypatch.setenv("JUPYTERLAB_DASK_CLUSTERS_QSTAT_INTERVAL_MS", "1000")
    started: list[str] = []
    yield start_lab, started
    for cluster_id in started:
        left = [entry.split()[0] for entry in queued(cluster_id)]
        if left:
            subprocess.run(["qdel", *left], check=False, capture_output=True)


def create_sge_cluster(server, started: list[str]) -> dict:
    """An SGE cluster of 3 workers through the proxy, once 2 jobs run (r) and 1 waits (qw).

    The test host has 2 slots: the third 1-core job would wait in qw for ever.
    """
    status, body = server.request(
        "POST", "dask-clusters/api/clusters", {"type": "sge", "options": {**OPTIONS, "workers": 3}}, timeout=120
    )
    assert status == 201, f"create answered {status}: {body}\n{server.log_tail()}"
    cluster_id = body["id"]
    started.append(cluster_id)
    deadline = time.monotonic() + 120
    model = body
    while time.monotonic() < deadline:
        status, model = server.request("GET", f"dask-clusters/api/clusters/{cluster_id}")
        assert status == 200, f"GET cluster answered {status}: {model}"
        states = sorted(job["state"] for job in model["jobs"])
        if model["state"] == "running" and model["workers"] == 2 and states == ["qw", "r", "r"]:
            assert len(queued(cluster_id)) == 3, queued(cluster_id)
            return model
        assert model["state"] in ("starting", "running"), f"cluster ended up {model['state']}: {model}"
        time.sleep(0.5)
    pytest.fail(f"SGE cluster without 2 jobs in r and 1 in qw after 120 s: {model}\n{server.log_tail()}")


def test_sigterm_to_jupyter_leaves_no_sge_job(sge_lab):
    start_lab, started = sge_lab
    server = start_lab()
    model = create_sge_cluster(server, started)
    sigterm_leaves_no_job(server, model["id"], queued)


def test_restarted_companion_deletes_the_jobs_of_a_lost_cluster(sge_lab):
    start_lab, started = sge_lab
    server = start_lab()
    model = create_sge_cluster(server, started)
    # The waiting (qw) job would otherwise stay in the queue for good.
    lost_cluster_leaves_no_job(server, model["id"], queued)
