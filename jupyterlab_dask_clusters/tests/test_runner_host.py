"""runner.py as a host: several local clusters of one environment in one
interpreter, each on its own connection with the protocol of `run`. A real
host process, real LocalClusters with worker processes, real clients: the
clusters share the host's pid, each keeps its own log, one that hangs while
starting does not hold up another, closing one leaves the others computing,
and the end of the host's stdin closes them all and leaves no process."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jupyterlab_dask_clusters import runner, worker_log

RUNNER = Path(runner.__file__)

# A worker preload that never returns: the worker process never reports for
# duty, so its cluster's start hangs (as with an import that blocks).
HANGING_PRELOAD = "import time\n\n\ndef dask_setup(worker):\n    time.sleep(3600)\n"


class Host:
    """A `runner.py run --spare` process of this interpreter told to host, in its own process group."""

    def __init__(self, directory: Path):
        self.socket = str(directory / "host.sock")
        self.log = directory / "host.log"
        self.process = subprocess.Popen(
            [sys.executable, str(RUNNER), "run", "--spare"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        host = {"op": "host", "socket": self.socket, "log_file": str(self.log)}
        self.process.stdin.write((json.dumps(host) + "\n").encode())
        self.process.stdin.flush()
        announced = json.loads(self.process.stdout.readline())
        assert announced == {"event": "hosting", "socket": self.socket, "pid": self.process.pid}

    def members(self) -> set[int]:
        """Live processes of the host's group (the host and its workers)."""
        members = set()
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.getpgid(int(entry)) == self.process.pid and _alive(int(entry)):
                        members.add(int(entry))
                except ProcessLookupError:
                    pass
        return members

    def kill(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Session:
    """One cluster's connection to the host."""

    def __init__(self, host: Host):
        self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.conn.connect(host.socket)
        self.lines = self.conn.makefile("r", encoding="utf-8")
        self.events: list[dict] = []

    def send(self, command: dict):
        self.conn.sendall((json.dumps(command) + "\n").encode())

    def wait_for(self, name: str, timeout: float = 60) -> dict:
        """The next event called `name`; fails on an error event or the end of the connection."""
        self.conn.settimeout(timeout)
        for line in self.lines:
            event = json.loads(line)
            self.events.append(event)
            if event["event"] == name:
                return event
            assert event["event"] != "error", event
        raise AssertionError(f"the connection ended before {name!r}: {self.events}")


def start_command(cluster_id: str, directory: Path, **kwargs) -> dict:
    return {
        "op": "start",
        "cluster_id": cluster_id,
        "cluster_class": "distributed.LocalCluster",
        "kwargs": {
            "n_workers": 1,
            "threads_per_worker": 1,
            "processes": True,
            "host": "127.0.0.1",
            "dashboard_address": "127.0.0.1:0",
            "silence_logs": False,
            **kwargs,
        },
        "config": {},
        "scaling": {"mode": "fixed", "workers": 1},
        "log_file": str(directory / f"{cluster_id}.log"),
    }


def compute(address: str) -> int:
    from distributed import Client

    with Client(address, timeout="20s") as client:
        return client.submit(sum, [1, 2, 3]).result(timeout=20)


@pytest.fixture
def host(tmp_path):
    host = Host(tmp_path)
    yield host
    host.kill()


def test_clusters_in_one_host_share_it_keep_their_own_logs_and_close_apart(host, tmp_path):
    first, second = Session(host), Session(host)
    first.send(start_command("first", tmp_path))
    second.send(start_command("second", tmp_path))
    first_address = first.wait_for("started")["scheduler_address"]
    second_address = second.wait_for("started")["scheduler_address"]
    assert first.wait_for("workers")["workers"] == 1
    assert second.wait_for("workers")["workers"] == 1
    assert first_address != second_address
    # One interpreter: the host and one worker process per cluster (and one resource tracker).
    assert host.process.pid in host.members()
    assert len(host.members()) == 4, host.members()
    assert compute(first_address) == compute(second_address) == 6

    first_log = (tmp_path / "first.log").read_text()
    second_log = (tmp_path / "second.log").read_text()
    # The host's records of each cluster, and its worker process's own lines.
    assert re.search(rf"Scheduler at: +{first_address}", first_log)
    assert second_address not in first_log and first_address not in second_log
    assert "Start worker at" in first_log and "Start worker at" in second_log

    before = host.members()
    first.send({"op": "close"})
    first.wait_for("closed")
    assert first.lines.readline() == ""  # and the host ends the connection
    # Only the first cluster's worker went: the second one computes on.
    deadline = time.monotonic() + 20
    while len(host.members()) != len(before) - 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(host.members()) == len(before) - 1
    assert compute(second_address) == 6
    assert host.process.poll() is None


def test_a_cluster_that_hangs_while_starting_holds_up_no_other(host, tmp_path):
    preload = tmp_path / "hang.py"
    preload.write_text(HANGING_PRELOAD)
    hung, other = Session(host), Session(host)
    hung.send(start_command("hung", tmp_path, preload=[str(preload)]))
    time.sleep(1)
    other.send(start_command("other", tmp_path))
    address = other.wait_for("started", timeout=30)["scheduler_address"]
    assert compute(address) == 6
    assert hung.events == []  # still starting

    # Stopping it gives the start its grace, then closes what it made; the other runs on.
    hung.send({"op": "close"})
    hung.wait_for("closed", timeout=runner.START_GRACE + runner.CLOSE_TIMEOUT + 10)
    assert compute(address) == 6
    # Its worker process went with it: the host, the other's worker, the resource tracker.
    deadline = time.monotonic() + 10
    while len(host.members()) > 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(host.members()) == 3, host.members()


def test_a_host_refuses_what_needs_a_runner_of_its_own(host, tmp_path):
    kept = Session(host)
    kept.send({**start_command("kept", tmp_path), "control": str(tmp_path / "kept.sock")})
    with pytest.raises(AssertionError, match="keeps running after JupyterLab stops"):
        kept.wait_for("started")

    configured, other = Session(host), Session(host)
    configured.send({**start_command("configured", tmp_path), "config": {"distributed.worker.memory.target": 0.5}})
    configured.wait_for("started")
    other.send(start_command("other", tmp_path))
    with pytest.raises(AssertionError, match="dask config"):
        other.wait_for("started")


def test_the_end_of_its_stdin_closes_every_cluster_and_leaves_no_process(host, tmp_path):
    sessions = [Session(host) for _ in range(2)]
    for index, session in enumerate(sessions):
        session.send(start_command(f"c{index}", tmp_path))
    for session in sessions:
        session.wait_for("workers")
    assert len(host.members()) >= 3

    host.process.stdin.close()
    for session in sessions:
        session.wait_for("closed")
    assert host.process.wait(timeout=30) == 0
    assert json.loads(host.process.stdout.readline()) == {"event": "closed"}
    deadline = time.monotonic() + 10
    while host.members() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert host.members() == set()
    assert not os.path.exists(host.socket)


def test_a_host_leaves_out_cryptography_and_its_workers_this_file(host, tmp_path):
    """What keeps a hosted cluster small: TLS credentials from openssl, so the host never
    imports cryptography; worker processes that import the few lines of worker_log.py, not
    runner.py, neither as their main file nor as a preload."""
    from distributed import Client

    def imported():
        """In a dask process (pickled by value): which of ours and cryptography it holds, and its main file."""
        import sys

        names = ("cryptography", "runner", "worker_log")
        return sorted(n for n in names if n in sys.modules), getattr(sys.modules["__main__"], "__file__", None)

    security = tmp_path / "security"
    security.mkdir(mode=0o700)
    session = Session(host)
    session.send(start_command("tls", tmp_path, security_directory=str(security)))
    address = session.wait_for("started")["scheduler_address"]
    assert address.startswith("tls://")
    client_security, _ = runner._tls_security(str(security))
    with Client(address, security=client_security, timeout="20s") as client:
        assert client.run_on_scheduler(imported) == ([], None)
        assert list(client.run(imported).values()) == [(["worker_log"], None)]
    assert runner.WORKER_LOG_VARIABLE == worker_log.VARIABLE
