"""The test Grid Engine (make sge-up, scripts/sge/sge.sh) is real: its queues carry the limits the
harness promises, and dask-jobqueue's SGECluster gets workers as SGE jobs that compute and leave
the queue when the cluster closes."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SGE_ENV_FILE = Path(os.environ.get("JDC_SGE_DIR", "/tmp/jdc-sge")) / "env"
GONE_WITHIN = 5


@pytest.fixture
def sge_env(monkeypatch) -> dict[str, str]:
    """The test Grid Engine's environment (its env file) in os.environ; fails, never skips, when
    the harness is not up."""
    if not SGE_ENV_FILE.is_file():
        pytest.fail(f"{SGE_ENV_FILE} is missing: start Grid Engine first (make sge-up)", pytrace=False)
    env = {}
    for line in SGE_ENV_FILE.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep:
            env[name] = value
            monkeypatch.setenv(name, value)
    for name in ("SGE_ROOT", "SGE_CELL", "JDC_SGE_SHORT_HRT"):
        assert name in env, f"{SGE_ENV_FILE} has no {name}: {env}"
    probe = subprocess.run(["qstat", "-f"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        pytest.fail(
            f"Grid Engine does not answer (qstat -f: {probe.stderr.strip() or probe.stdout.strip()}): "
            "start it with make sge-up",
            pytrace=False,
        )
    return env


def qconf_value(kind: str, name: str, key: str) -> str:
    """One attribute of a Grid Engine object, e.g. qconf_value("-sq", "short.q", "h_rt")."""
    out = subprocess.run(["qconf", kind, name], capture_output=True, text=True, check=True, timeout=30).stdout
    values = [line.split(None, 1)[1].strip() for line in out.splitlines() if line.split()[:1] == [key]]
    assert len(values) == 1, f"qconf {kind} {name} has no single {key}:\n{out}"
    return values[0]


def sge_jobs(name: str) -> dict[str, str]:
    """Every job of that name in the queue, whoever submitted it: job number -> state."""
    out = subprocess.run(["qstat", "-u", "*", "-xml"], capture_output=True, text=True, check=True, timeout=30).stdout
    return {
        job.findtext("JB_job_number"): job.findtext("state")
        for job in ET.fromstring(out).iter("job_list")
        if job.findtext("JB_name") == name
    }


def test_short_queue_has_the_promised_walltime_limit(sge_env):
    assert qconf_value("-sq", "short.q", "h_rt") == "00:05:00" == sge_env["JDC_SGE_SHORT_HRT"]
    assert qconf_value("-sq", "short.q", "pe_list") == "smp"
    assert qconf_value("-sq", "all.q", "h_rt") == "01:00:00"
    assert qconf_value("-sp", "smp", "allocation_rule") == "$pe_slots"


def test_sgecluster_workers_are_sge_jobs_that_compute_and_leave(sge_env, monkeypatch):
    from dask.distributed import Client
    from dask_jobqueue import SGECluster

    # Jobs run with -cwd in the client's directory and write their logs to log_directory:
    # both must be usable by the job's user, so use a world-readable directory, not tmp_path.
    workdir = Path(tempfile.mkdtemp(prefix="jdc-sge-test-"))
    workdir.chmod(0o755)
    monkeypatch.chdir(workdir)
    job_name = f"jdcsge{secrets.token_hex(4)}"
    cluster = None
    try:
        cluster = SGECluster(
            queue="all.q",
            cores=1,
            memory="512MiB",
            walltime="00:10:00",
            processes=1,
            job_name=job_name,
            log_directory=str(workdir / "logs"),
            scheduler_options={"dashboard_address": ":0"},
        )
        script = cluster.job_script()
        assert "#$ -q all.q" in script and "#$ -l h_rt=00:10:00" in script, script
        cluster.scale(2)
        with Client(cluster) as client:
            client.wait_for_workers(2, timeout=40)
            workers = client.scheduler_info()["workers"]
            assert len(workers) == 2, workers

            jobs = sge_jobs(job_name)
            assert len(jobs) == 2 and set(jobs.values()) == {"r"}, f"qstat -u '*' shows {jobs}"
            # The workers run inside those jobs: Grid Engine sets JOB_ID in their environment.
            job_ids = set(client.run(lambda: os.environ.get("JOB_ID")).values())
            assert job_ids == set(jobs), f"workers in jobs {job_ids}, queue has {jobs}"

            assert client.submit(sum, [1, 2, 3]).result(timeout=30) == 6
            # And each of the two computes.
            assert client.run(lambda: sum([1, 2, 3])) == dict.fromkeys(workers, 6)

        cluster.close()
        closed_at = time.monotonic()
        cluster = None
        while (left := sge_jobs(job_name)) and time.monotonic() - closed_at < GONE_WITHIN:
            time.sleep(0.2)
        assert not left, f"still queued {GONE_WITHIN} s after close(): {left}"
    finally:
        if cluster is not None:
            cluster.close()
        for job in sge_jobs(job_name):
            subprocess.run(["qdel", "-f", job], capture_output=True, check=False, timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
