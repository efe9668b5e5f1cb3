"""On a shared host, a cluster is its owner's alone: a real jupyter lab, local, SLURM and Grid Engine clusters,
and a second Unix account (scripts/other-user.sh, `make other-user`) that attacks them.

- Local clusters use TLS: tls://127.0.0.1, per-cluster credentials in a private directory under
  the state dir, removed with the cluster; the inserted code holds paths, never key material.
- The other account gets nowhere: Client without credentials, plain-TCP dask bytes, TLS without
  (or with a foreign) client certificate, reading the credential files. The scheduler's own log
  says why for each connection. The owner's inserted code, in a fresh interpreter, computes.
- Nothing listens on a public address unless compute nodes must reach it over TLS.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import dask
import distributed
import other_user
import proctree
import psutil
import pytest
from batch_orphans import companion_and_runner
from test_orphans import create_running_cluster
from test_runner_host import Host, Session, compute, start_command
from test_sge_harness import sge_env  # noqa: F401 - fixture
from test_sge_orphans import create_sge_cluster, sge_lab  # noqa: F401 - fixture
from test_slurm_orphans import create_slurm_cluster, slurm_lab  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

TLS_FILES = ("ca.pem", "cert.pem", "key.pem")
LOOPBACK = ("127.0.0.1", "::1")
GONE_WITHIN = 30

# Runs the inserted code (stdin) in a fresh interpreter of the owner, then computes with it.
OWNER_SCRIPT = """
import json, os, sys
namespace = {}
exec(compile(sys.stdin.read(), "<inserted code>", "exec"), namespace)
client = namespace["client"]
answer = client.submit(lambda: 41 + 1, pure=False).result(timeout=60)
worker_uids = client.run(os.getuid)
info = client.scheduler_info()
print(json.dumps({
    "answer": answer,
    "uid": os.getuid(),
    "worker_uids": worker_uids,
    "address": info["address"],
    "services": info.get("services", {}),
    "workers": {a: {"nanny": w.get("nanny"), "services": w.get("services", {})} for a, w in info["workers"].items()},
}))
client.close()
"""


@pytest.fixture(scope="session")
def other_account() -> other_user.Account:
    """The second account; fails (never skips) when it is not set up."""
    try:
        return other_user.load_account(f"{distributed.__version__} {dask.__version__}")
    except other_user.MissingAccount as err:
        pytest.fail(str(err), pytrace=False)


@pytest.fixture
def tmp_path() -> Path:
    """This module's tests (and start_lab, slurm_lab through them) work in a directory that
    other accounts may traverse but not list, instead of pytest's private one.

    Under pytest's base directory (0700, and set back to 0700 whenever another pytest session
    starts) the other account would be stopped above the cluster's own directory, and a
    refused read would prove nothing about that directory."""
    path = Path(tempfile.mkdtemp(prefix="jdc-shared-host-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@dataclass
class Cluster:
    """A running cluster made through JupyterLab, and where its credentials must be."""

    kind: str
    server: object
    model: dict
    security_dir: Path

    @property
    def address(self) -> str:
        return self.model["schedulerAddress"]

    @property
    def id(self) -> str:
        return self.model["id"]

    def snippet(self) -> str:
        status, body = self.server.request("GET", f"dask-clusters/api/clusters/{self.id}/snippet")
        assert status == 200, f"snippet answered {status}: {body}"
        return body["code"]

    def log(self) -> list[str]:
        status, body = self.server.request("GET", f"dask-clusters/api/clusters/{self.id}/log")
        assert status == 200, f"log answered {status}: {body}"
        return body["lines"]

    def stop(self) -> dict:
        """DELETE, then wait for the cluster to have ended."""
        status, body = self.server.request("DELETE", f"dask-clusters/api/clusters/{self.id}")
        assert status == 202, f"DELETE answered {status}: {body}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, model = self.server.request("GET", f"dask-clusters/api/clusters/{self.id}")
            if model["state"] not in ("running", "stopping"):
                return model
            time.sleep(0.5)
        pytest.fail(f"cluster still {model['state']} 60 s after DELETE:\n{self.server.log_tail()}")


@pytest.fixture(params=["local", "slurm", "sge"])
def cluster(request, start_lab, tmp_path, monkeypatch) -> Cluster:
    """A running cluster of 2 workers of each type, made through the real JupyterLab API (the
    Grid Engine one has a third job waiting in qw: the test host has 2 slots)."""
    # The state dir must be the default one under XDG_STATE_HOME, which start_lab sets.
    monkeypatch.delenv("JUPYTERLAB_DASK_CLUSTERS_STATE_DIR", raising=False)
    if request.param == "local":
        server = start_lab()
        model = create_running_cluster(server)
        # start_lab's XDG_STATE_HOME: <its base>/home/.local/state, beside its jupyter.log.
        state_dir = server.log_path.parent / "home" / ".local" / "state" / "jupyterlab-dask-clusters"
        security_dir = state_dir / "security" / model["id"]
    elif request.param == "slurm":
        start, started = request.getfixturevalue("slurm_lab")
        server = start()
        model = create_slurm_cluster(server, started)
        security_dir = Path(os.environ["JUPYTERLAB_DASK_CLUSTERS_SLURM_DIR"]) / model["id"]
    else:
        start, started = request.getfixturevalue("sge_lab")
        server = start()
        model = create_sge_cluster(server, started)
        security_dir = Path(os.environ["JUPYTERLAB_DASK_CLUSTERS_SGE_DIR"]) / model["id"]
    return Cluster(request.param, server, model, security_dir)


def run_owner_snippet(code: str, cwd: Path) -> dict:
    """The inserted code in a fresh interpreter of the project's venv, as the owner."""
    proc = subprocess.run(
        [sys.executable, "-c", OWNER_SCRIPT], input=code, capture_output=True, text=True, timeout=180, cwd=cwd
    )
    assert proc.returncode == 0, f"the owner's inserted code failed:\n{code}\n---\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def snippet_calls(code: str) -> dict[str, ast.Call]:
    """The calls of the inserted code, by function name (Security, Client, ...)."""
    calls = {}
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            calls[name] = node
    return calls


def constant_keywords(call: ast.Call) -> dict:
    return {k.arg: k.value.value for k in call.keywords if isinstance(k.value, ast.Constant)}


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def refused(answer: dict, type_name: str, *texts: str) -> str | None:
    """None when the probe was refused with this exception type and text; else what happened."""
    if answer.get("outcome") == "refused" and answer.get("type") == type_name:
        text = f"{answer.get('reason') or ''} {answer.get('message') or ''}"
        if all(t in text for t in texts):
            return None
    return f"expected {type_name} {texts}, got {json.dumps(answer)}"


def handshake_failures(cluster: Cluster, ports: dict[str, int], within: float = 10) -> dict[str, str]:
    """The scheduler's own log line about each attacker connection (by its source port)."""
    deadline = time.monotonic() + within
    while True:
        lines = cluster.log()
        found = {}
        for what, port in ports.items():
            pattern = re.compile(rf"TLS handshake failed with remote 'tls://[^']*:{port}'")
            found[what] = next((line for line in lines if pattern.search(line)), None)
        if all(found.values()) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def assert_private_credentials(directory: Path) -> list[str]:
    """The cluster's directory is the owner's, 0700, and holds ca/cert/key.pem, all 0600;
    the names of the files in it."""
    owner = os.getuid()
    assert directory.is_dir(), f"no credentials directory {directory}: {sorted(directory.parent.glob('*'))}"
    assert (directory.stat().st_uid, mode_of(directory)) == (owner, 0o700), oct(directory.stat().st_mode)
    present = sorted(p.name for p in directory.iterdir())
    assert set(TLS_FILES) <= set(present), present
    loose = {p.name: oct(mode_of(p)) for p in directory.iterdir() if mode_of(p) != 0o600 or p.stat().st_uid != owner}
    assert not loose, f"credential files not 0600 and the owner's: {loose}"
    return present


def assert_snippet_loads(code: str, directory: Path, address: str) -> None:
    """The inserted code builds Security from the files in `directory` (and holds none of
    their content) and connects to `address` with it."""
    pem_lines = {
        line
        for name in TLS_FILES
        for line in (directory / name).read_text().splitlines()
        if not line.startswith("-----")
    }
    leaked = [line for line in pem_lines if line and line in code]
    assert "-----BEGIN" not in code and "PRIVATE KEY" not in code and not leaked, code
    calls = snippet_calls(code)
    assert "Security" in calls and "Client" in calls, code
    assert constant_keywords(calls["Security"]) == {
        "tls_ca_file": str(directory / "ca.pem"),
        "tls_client_cert": str(directory / "cert.pem"),
        "tls_client_key": str(directory / "key.pem"),
        "require_encryption": True,
    }, code
    client_call = calls["Client"]
    assert [a.value for a in client_call.args if isinstance(a, ast.Constant)] == [address], code
    assert [k.arg for k in client_call.keywords] == ["security"], code


def attack(cluster: Cluster, account: other_user.Account, files: list[str]) -> dict[str, str]:
    """Everything the other account tries; what was not refused as it should be."""
    address, directory, owner = cluster.address, cluster.security_dir, os.getuid()
    with other_user.reachable(directory):
        answers = account.run(
            ("client", {"address": address}),
            ("client", {"address": address.replace("tls://", "tcp://")}),
            ("dask_handshake", {"address": address}),
            ("tls", {"address": address}),
            ("tls", {"address": address, "own_certificate": True}),
            ("files", {"directory": str(directory), "names": files}),
        )
        # Even with the directory opened for traversal, the files' own mode keeps them private.
        directory.chmod(0o711)
        try:
            (files_alone,) = account.run(("files", {"directory": str(directory), "names": files}))
        finally:
            directory.chmod(0o700)
    client, client_tcp, raw, tls_anonymous, tls_foreign, reads = answers
    assert {a["as_uid"] for a in answers + [files_alone]} == {account.uid}, answers

    problems = {
        # distributed itself will not open a TLS connection without a TLS context.
        "Client(tls address), no credentials": refused(client, "TypeError", "TLS expects a `ssl_context`"),
        # A plain-TCP dask client: the TLS listener drops it.
        "Client(tcp address)": refused(client_tcp, "CommClosedError"),
        "raw TLS, no client certificate": refused(tls_anonymous, "SSLError", "CERTIFICATE_REQUIRED"),
        "raw TLS, a certificate from another CA": refused(tls_foreign, "SSLError", "UNKNOWN_CA"),
    }
    # The raw dask handshake: our own plain-TCP dask listener answers it (so the bytes are
    # right); the cluster's scheduler closes without a dask answer (at most a TLS alert).
    if "'python'" not in str((raw.get("control") or {}).get("decoded")):
        problems["raw dask handshake: control"] = f"our own dask listener did not answer: {json.dumps(raw)}"
    reply = bytes.fromhex(raw.get("reply_hex", ""))
    if not (raw.get("outcome") == "refused" and raw.get("closed") and (reply == b"" or reply[:1] == b"\x15")):
        problems["raw dask handshake"] = f"expected a close without a dask answer: {json.dumps(raw)}"

    if reads["directory"]["stat"].get("outcome") != "read":
        problems["reach the directory"] = f"its parents stopped the account, proving nothing: {reads['directory']}"
    problems["list the directory"] = refused(reads["directory"]["list"], "PermissionError", "Permission denied")
    for name, answer in reads["files"].items():
        problems[f"read {name}"] = refused(answer["read"], "PermissionError", "Permission denied")
    for name, answer in files_alone["files"].items():
        if answer["stat"].get("value") != {"mode": 0o600, "uid": owner}:
            problems[f"stat {name} (directory 0711)"] = f"expected 0600, the owner's: {answer['stat']}"
        problems[f"read {name} (directory 0711)"] = refused(answer["read"], "PermissionError", "Permission denied")

    # The scheduler's log says why it dropped each connection (found by its source port).
    ports = {
        "raw dask handshake": raw.get("local_port"),
        "raw TLS, no client certificate": tls_anonymous.get("local_port"),
        "raw TLS, a certificate from another CA": tls_foreign.get("local_port"),
    }
    client_port = re.search(r"local=tcp://[^ ]*:(\d+)", client_tcp.get("message", ""))
    ports["Client(tcp address)"] = int(client_port.group(1)) if client_port else None
    reasons = {
        "raw TLS, no client certificate": "PEER_DID_NOT_RETURN_A_CERTIFICATE",
        "raw TLS, a certificate from another CA": "CERTIFICATE_VERIFY_FAILED",
    }
    for what, line in handshake_failures(cluster, {k: v for k, v in ports.items() if v}).items():
        if line is None or reasons.get(what, "") not in line:
            problems[f"{what}: scheduler log"] = f"expected {reasons.get(what, 'a TLS handshake failure')}, got {line}"
    if not client_port:
        problems["Client(tcp address): source port"] = f"not in {client_tcp.get('message')}"
    return {k: v for k, v in problems.items() if v}


def test_another_account_is_refused_and_the_owner_computes(cluster, other_account, tmp_path):
    address = cluster.address
    assert address.startswith("tls://"), f"{cluster.kind} cluster does not use TLS: {address}"
    if cluster.kind == "local":
        assert address.split("://")[1].rsplit(":", 1)[0] == "127.0.0.1", address
    files = assert_private_credentials(cluster.security_dir)
    code = cluster.snippet()
    assert_snippet_loads(code, cluster.security_dir, address)

    problems = attack(cluster, other_account, files)
    assert not problems, f"{other_account.name} was not refused as it should be:\n" + "\n".join(
        f"- {k}: {v}" for k, v in problems.items()
    )

    # The owner's inserted code, in a fresh interpreter, computes on the owner's workers.
    result = run_owner_snippet(code, tmp_path)
    assert result["answer"] == 42, result
    assert len(result["worker_uids"]) == 2 and set(result["worker_uids"].values()) == {os.getuid()}, result

    # The credentials go with the cluster.
    ended = cluster.stop()
    assert ended["state"] == "stopped", ended
    deadline = time.monotonic() + GONE_WITHIN
    while cluster.security_dir.exists() and time.monotonic() < deadline:
        time.sleep(0.25)
    assert not cluster.security_dir.exists(), f"{cluster.security_dir} outlived its cluster"


# ------------------------------------------------------------------ listeners


def listening_sockets() -> list[tuple[str, int, set[int]]]:
    """(bound address, port, pids) of every listening TCP socket, from `ss -ltnpH`."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True, timeout=30).stdout
    found = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        host, _, port = fields[3].rpartition(":")
        host = host.strip("[]").split("%")[0]
        pids = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        found.append((host, int(port), pids))
    return found


def job_processes(job_ids: list[str]) -> list[proctree.Proc]:
    """Every process of these SLURM jobs (scontrol listpids on this node) and below them."""
    procs: dict[int, proctree.Proc] = {}
    for job in job_ids:
        out = subprocess.run(
            ["scontrol", "listpids", job], capture_output=True, text=True, check=True, timeout=30
        ).stdout
        for line in out.splitlines()[1:]:
            pid = int(line.split()[0])
            for proc in [proctree.get(pid), *proctree.descendants(pid)]:
                if proc is not None:
                    procs[proc.pid] = proc
    return list(procs.values())


def sge_job_processes() -> list[proctree.Proc]:
    """Every process below Grid Engine's shepherds on this host: its running jobs' (in these
    tests, only the cluster's)."""
    procs: dict[int, proctree.Proc] = {}
    for shepherd in psutil.process_iter(["name"]):
        if shepherd.info["name"] == "sge_shepherd":
            for proc in proctree.descendants(shepherd.pid):
                procs[proc.pid] = proc
    return list(procs.values())


def port_of(address: str | None) -> int | None:
    return int(address.rsplit(":", 1)[1]) if address else None


def test_nothing_listens_on_a_public_address_unless_it_must(cluster, tmp_path):
    info = run_owner_snippet(cluster.snippet(), tmp_path)
    _, runner = companion_and_runner(cluster.server)
    procs = [runner, *proctree.descendants(runner.pid)]
    if cluster.kind in ("slurm", "sge"):
        jobs = [j["id"] for j in cluster.model["jobs"]]
        in_jobs = job_processes(jobs) if cluster.kind == "slurm" else sge_job_processes()
        holding = [p for p in in_jobs if any(cluster.address in a or cluster.id in a for a in p.cmdline)]
        assert holding, f"no process of jobs {jobs} names the scheduler or the cluster:\n" + "\n".join(
            p.describe() for p in in_jobs
        )
        procs += in_jobs
    by_pid = {p.pid: p for p in procs}
    mine = [(host, port, pids & by_pid.keys()) for host, port, pids in listening_sockets() if pids & by_pid.keys()]

    # What the scheduler says listens where: itself, each worker and nanny, the dashboards.
    roles = {port_of(info["address"]): f"scheduler {info['address']}"}
    dashboards = {info["services"].get("dashboard"): "scheduler dashboard"}
    for address, worker in info["workers"].items():
        roles[port_of(address)] = f"worker {address}"
        if worker["nanny"]:
            roles[port_of(worker["nanny"])] = f"nanny {worker['nanny']}"
        dashboards[worker["services"].get("dashboard")] = f"dashboard of worker {address}"
    dashboards.pop(None, None)
    comm_addresses = [role.split()[-1] for role in roles.values()]

    def describe(listeners) -> str:
        return "\n".join(
            f"  {host}:{port} ({roles.get(port) or dashboards.get(port) or 'unknown to the scheduler'}) "
            + "; ".join(by_pid[p].describe()[:160] for p in sorted(pids))
            for host, port, pids in listeners
        )

    ports_seen = {port for _, port, _ in mine}
    unseen = [what for port, what in {**roles, **dashboards}.items() if port not in ports_seen]
    assert not unseen, f"not found among the cluster's processes' listeners (wrong processes?): {unseen}\n" + describe(
        mine
    )
    plain = [a for a in comm_addresses if not a.startswith("tls://")]
    assert not plain, f"not TLS: {plain}"

    public = [m for m in mine if m[0] not in LOOPBACK]
    if cluster.kind == "local":
        assert not public, "a local cluster listens beyond loopback:\n" + describe(public)
    # Beyond loopback only what compute nodes must reach: the cluster's TLS addresses.
    untold = [m for m in public if m[1] not in roles]
    assert not untold, "listening beyond loopback, and not a TLS address of the cluster:\n" + describe(untold)
    open_dashboards = [m for m in mine if m[1] in dashboards and m[0] not in LOOPBACK]
    assert not open_dashboards, "dashboards beyond loopback:\n" + describe(open_dashboards)


def test_another_account_cannot_reach_a_kept_clusters_control_socket(start_lab, other_account, tmp_path):
    """A cluster that keeps running after JupyterLab stops listens on a control socket; another
    account is kept out by its directory and the socket's mode, and, with both opened up, the
    runner hangs up on it (it checks the peer's uid), so its close does nothing."""
    state = tmp_path / "state"
    server = start_lab(env_extra={"JUPYTERLAB_DASK_CLUSTERS_STATE_DIR": str(state)})
    status, model = server.request(
        "POST", "dask-clusters/api/clusters", {"type": "local", "options": {"workers": 1, "keep_running": True}}
    )
    assert status == 201, model
    cluster_id = model["id"]
    deadline = time.monotonic() + 120
    while server.request("GET", f"dask-clusters/api/clusters/{cluster_id}")[1]["state"] != "running":
        assert time.monotonic() < deadline
        time.sleep(1)
    server.remember(proctree.descendants(server.proc.pid))
    control = state / "control" / f"{cluster_id}.sock"
    assert stat.S_ISSOCK(control.stat().st_mode)
    assert mode_of(control.parent) == 0o700
    assert mode_of(control) == 0o700
    with other_user.reachable(control.parent):
        (behind_dir,) = other_account.run(("control", {"path": str(control)}))
        control.parent.chmod(0o711)
        try:
            (behind_mode,) = other_account.run(("control", {"path": str(control)}))
            control.chmod(0o666)
            try:
                (opened,) = other_account.run(("control", {"path": str(control)}))
            finally:
                control.chmod(0o700)
        finally:
            control.parent.chmod(0o700)
    assert behind_dir["outcome"] == "refused" and behind_dir["errno"] == 13, behind_dir
    assert behind_mode["outcome"] == "refused" and behind_mode["errno"] == 13, behind_mode
    assert opened["outcome"] in ("hung up", "refused") and opened.get("data", "") == "", opened
    time.sleep(2)
    status, after = server.request("GET", f"dask-clusters/api/clusters/{cluster_id}")
    assert (status, after["state"], after["workers"]) == (200, "running", 1), after
    server.remove_cluster(cluster_id, server.cluster_runners())


def test_another_account_cannot_use_a_runner_host(other_account, tmp_path):
    """A host of several clusters listens on a Unix socket of mode 0700 in a private
    directory; with both opened up, it hangs up on another account (it checks the peer's uid)
    before reading a line, and the owner's cluster computes on."""
    directory = tmp_path / "hosts"
    directory.mkdir(mode=0o700)
    host = Host(directory)
    try:
        mine = Session(host)
        mine.send(start_command("mine", directory))
        address = mine.wait_for("started")["scheduler_address"]
        path = Path(host.socket)
        assert mode_of(path) == 0o700
        with other_user.reachable(directory):
            directory.chmod(0o711)
            (behind_mode,) = other_account.run(("control", {"path": host.socket}))
            path.chmod(0o666)
            (opened,) = other_account.run(("control", {"path": host.socket}))
        assert behind_mode["outcome"] == "refused" and behind_mode["errno"] == 13, behind_mode
        # Connected, then hung up on (a reset or a broken pipe when its line was in flight).
        assert opened["outcome"] == "hung up" or opened.get("connected") is True, opened
        assert opened.get("data", "") == "", opened
        assert compute(address) == 6
        assert f"refused a connection of user id {other_account.uid}" in host.log.read_text()
    finally:
        host.kill()
