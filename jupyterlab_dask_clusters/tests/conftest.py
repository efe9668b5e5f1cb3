"""Shared fixtures: the checkout and its build outputs, fake executables, a real jupyter lab."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import proctree
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = REPO_ROOT / "jupyterlab_dask_clusters"

# What `npm run build:prod` leaves behind and the wheel must carry.
BUILD_OUTPUTS = {
    "labextension": PACKAGE_DIR / "labextension" / "package.json",
    "companion": PACKAGE_DIR / "companion" / "main.mjs",
    "runner": PACKAGE_DIR / "runner.py",
}


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The top of the source checkout."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def package_json() -> dict:
    """The root package.json, where the name and version come from."""
    return json.loads((REPO_ROOT / "package.json").read_text())


@pytest.fixture(scope="session")
def built_outputs() -> dict[str, Path]:
    """The built labextension, companion and runner; fails (never skips) when absent."""
    missing = [str(p.relative_to(REPO_ROOT)) for p in BUILD_OUTPUTS.values() if not p.is_file()]
    if missing:
        pytest.fail(
            "Build outputs are missing: "
            + ", ".join(missing)
            + ". Run `make build` (or `npm run build:prod`) at the top of the repository first.",
            pytrace=False,
        )
    return dict(BUILD_OUTPUTS)


@pytest.fixture
def make_executable(tmp_path):
    """Writes a small shell script that prints `text`, with the given file mode."""

    def make(relpath: str, text: str = "v99.0.0", mode: int = 0o755) -> Path:
        path = tmp_path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"#!/bin/sh\necho {text}\n")
        path.chmod(mode)
        return path

    return make


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """A running `jupyter lab` and what the test learned about its processes."""

    proc: subprocess.Popen
    url: str
    token: str
    log_path: Path
    # Every process a test has seen under this server, killed at teardown if alive.
    seen: list = field(default_factory=list)

    def request(self, method: str, path: str, body=None, timeout: float = 60) -> tuple[int, object]:
        """One authenticated HTTP request; returns (status, decoded JSON or text)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        text = raw.decode(errors="replace")
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        token: bool = True,
        timeout: float = 60,
    ) -> tuple[int, object]:
        """One request with raw body bytes and exactly these headers (plus the token header
        unless token=False); returns (status, decoded JSON or text). Connection errors
        propagate, so a reset or a missing answer is never mistaken for a status."""
        url = urlsplit(self.url)
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"token {self.token}"
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
        try:
            conn.request(method, url.path + path, body=body, headers=all_headers)
            resp = conn.getresponse()
            status, raw = resp.status, resp.read()
        finally:
            conn.close()
        text = raw.decode(errors="replace")
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def cluster_runners(self) -> list:
        """The `runner.py run` processes below this server: one per cluster it launched."""
        from test_orphans import is_cluster_runner

        return [p for p in proctree.descendants(self.proc.pid) if is_cluster_runner(p.cmdline)]

    def cluster_ids(self) -> set[str]:
        """The ids api/clusters lists now."""
        status, clusters = self.request("GET", "dask-clusters/api/clusters")
        assert status == 200, clusters
        return {c["id"] for c in clusters}

    def remove_cluster(self, cluster_id: str, runners, send=None, within: float = 60) -> None:
        """DELETE the cluster until the registry forgets it (202 while it stops, then 204 or
        404), and wait for its runner processes to end. `send` is request's signature."""
        send = send or self.request
        deadline = time.monotonic() + within
        while True:
            status, answer = send("DELETE", f"dask-clusters/api/clusters/{cluster_id}")
            if status in (204, 404):
                break
            assert status == 202, f"DELETE answered {status}: {answer}"
            assert time.monotonic() < deadline, f"still {answer} after {within} s\n{self.log_tail()}"
            time.sleep(0.5)
        assert cluster_id not in self.cluster_ids()
        left = proctree.survivors(runners, within=within)
        assert not left, [p.describe() for p in left]

    def log_tail(self, lines: int = 80) -> str:
        """The end of the server's combined output, for failure messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def remember(self, procs) -> None:
        """Adds processes to those killed at teardown if still alive."""
        self.seen.extend(procs)


@pytest.fixture
def start_lab(tmp_path, built_outputs):
    """Starts `jupyter lab` (the venv's) in a private HOME and Jupyter dirs, plus `env_extra`
    in its environment; stops it afterwards."""
    servers: list[LabServer] = []

    def start(python: str = sys.executable, env_extra: dict[str, str] | None = None) -> LabServer:
        base = tmp_path / f"lab{len(servers)}"
        dirs = {name: base / name for name in ("home", "config", "data", "runtime", "root")}
        for d in dirs.values():
            d.mkdir(parents=True)
        env = dict(os.environ)
        env.update(
            HOME=str(dirs["home"]),
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            XDG_CONFIG_HOME=str(dirs["home"] / ".config"),
            XDG_CACHE_HOME=str(dirs["home"] / ".cache"),
            XDG_STATE_HOME=str(dirs["home"] / ".local" / "state"),
            XDG_DATA_HOME=str(dirs["home"] / ".local" / "share"),
        )
        env.update(env_extra or {})
        env.pop("JUPYTER_TOKEN", None)
        token = secrets.token_hex(16)
        port = free_port()
        log_path = base / "jupyter.log"
        cmd = [
            python,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--ServerApp.token={token}",
            "--ServerApp.allow_root=True",
            "--ServerApp.ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={dirs['root']}",
        ]
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, env=env, cwd=dirs["root"], stdout=log, stderr=subprocess.STDOUT)
        server = LabServer(proc, f"http://127.0.0.1:{port}/", token, log_path)
        servers.append(server)

        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                status, _ = server.request("GET", "api/status", timeout=5)
                if status == 200:
                    return server
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer within 90 s:\n{server.log_tail()}")
            time.sleep(0.5)

    yield start

    for server in servers:
        if server.proc.poll() is None:
            server.remember(proctree.descendants(server.proc.pid))
            server.proc.send_signal(signal.SIGTERM)
            try:
                server.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.proc.kill()
                server.proc.wait()
        proctree.kill_all(server.seen)
