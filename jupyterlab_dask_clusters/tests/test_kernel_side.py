"""The kernel side in a real ipykernel, driven as JupyterLab drives it.

The bootstrap is the frontend's own (src/kernel/bootstrap.ts, bundled with
the companion's esbuild): a silent execute, then a comm; a cell makes a
LocalCluster; the report arrives on the comm; actions are silent executes.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("distributed")

TARGET = "jupyterlab-dask-clusters"


def _frontend_code(repo_root, expression: str) -> str:
    """Evaluate a TypeScript expression over src/kernel/bootstrap.ts exports."""
    esbuild = repo_root / "lib-server" / "node_modules" / ".bin" / "esbuild"
    bundled = subprocess.run(
        [
            str(esbuild),
            str(repo_root / "src" / "kernel" / "bootstrap.ts"),
            "--bundle",
            "--format=cjs",
            "--platform=node",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    script = bundled + f"\nprocess.stdout.write(JSON.stringify({expression}));"
    out = subprocess.run(["node", "-e", script], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


class Frontend:
    """One kernel and the messages a JupyterLab page would see."""

    def __init__(self, client):
        self.client = client
        self.reports: list[dict] = []
        self.comm_id = str(uuid.uuid4())
        self.errors: list[dict] = []
        self.stdout = ""

    def execute(self, code: str, silent: bool = False, timeout: float = 60) -> dict:
        msg_id = self.client.execute(
            code, silent=silent, store_history=not silent, allow_stdin=False, stop_on_error=False
        )
        reply = self.client.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.client.get_shell_msg(timeout=timeout)
        self.drain(0.2)
        return reply["content"]

    def open_comm(self, page: str = "page-1") -> None:
        msg = self.client.session.msg(
            "comm_open", {"comm_id": self.comm_id, "target_name": TARGET, "data": {"page": page}}
        )
        self.client.shell_channel.send(msg)

    def drain(self, seconds: float) -> None:
        end = time.time() + seconds
        while time.time() < end:
            try:
                msg = self.client.get_iopub_msg(timeout=0.05)
            except Exception:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "comm_msg" and msg["content"]["comm_id"] == self.comm_id:
                self.reports.append(msg["content"]["data"])
            elif kind == "stream" and msg["content"]["name"] == "stdout":
                self.stdout += msg["content"]["text"]
            elif kind in ("error", "stream"):
                self.errors.append(msg["content"])

    def wait_report(self, predicate, timeout: float = 30) -> dict:
        end = time.time() + timeout
        while time.time() < end:
            for report in reversed(self.reports):
                if predicate(report):
                    return report
            self.drain(0.2)
        raise AssertionError(f"no matching report in {self.reports[-3:]}")


@pytest.fixture
def frontend():
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:
        yield Frontend(client)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_cluster_made_in_a_cell_is_reported_scaled_and_stopped(repo_root, frontend):
    bootstrap = _frontend_code(repo_root, "bootstrapCode()")
    reply = frontend.execute(bootstrap, silent=True)
    assert reply["status"] == "ok"
    # Silent: no execution count used, nothing left in the user's namespace.
    names = frontend.execute("x = sorted(k for k in dir() if 'dask_clusters' in k); print(x)")
    assert names["execution_count"] == 1
    frontend.open_comm()
    assert frontend.wait_report(lambda r: r["clusters"] == [])

    frontend.execute(
        "from dask.distributed import LocalCluster\n"
        "cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address='127.0.0.1:0')"
    )
    report = frontend.wait_report(lambda r: len(r["clusters"]) == 1 and r["clusters"][0]["workers"] == 1)
    item = report["clusters"][0]
    assert item["kind"] == "cluster"
    assert item["cls"] == "LocalCluster"
    assert item["variable"] == "cluster"
    assert item["cores"] == 1
    assert item["dashboard"].startswith("http://") and item["dashboard"].endswith("/status")
    assert item["tls"] is False

    scale = _frontend_code(repo_root, f"actionCode({json.dumps(item['key'])}, {{verb: 'scale', workers: 2}})")
    assert frontend.execute(scale, silent=True)["status"] == "ok"
    # The kernel-side timer reports the new worker without any cell running.
    frontend.wait_report(lambda r: r["clusters"] and r["clusters"][0]["workers"] == 2)
    frontend.execute("print(len(cluster.scheduler_info['workers']))")
    assert frontend.stdout.strip().endswith("2")

    stop = _frontend_code(repo_root, f"actionCode({json.dumps(item['key'])}, {{verb: 'stop'}})")
    assert frontend.execute(stop, silent=True)["status"] == "ok"
    frontend.wait_report(lambda r: r["clusters"] == [])
    assert frontend.errors == []


def test_client_by_address_cannot_be_scaled(repo_root, frontend):
    frontend.execute(_frontend_code(repo_root, "bootstrapCode()"), silent=True)
    frontend.open_comm()
    frontend.execute(
        "from dask.distributed import LocalCluster, Client\n"
        "_c = LocalCluster(n_workers=1, processes=False, dashboard_address='127.0.0.1:0')\n"
        "client = Client(_c.scheduler_address)\n"
        "del _c"
    )
    # The cluster object is still alive (the loop holds it), so both are one entry.
    report = frontend.wait_report(lambda r: len(r["clusters"]) >= 1)
    key = report["clusters"][0]["key"]
    assert all(c["key"] == key for c in report["clusters"])


def test_rebootstrap_replaces_the_hook(repo_root, frontend):
    bootstrap = _frontend_code(repo_root, "bootstrapCode()")
    frontend.execute(bootstrap, silent=True)
    frontend.execute(bootstrap, silent=True)
    frontend.execute(
        "print(sum(getattr(f, '__globals__', {}).get('TARGET') == 'jupyterlab-dask-clusters' "
        "for f in get_ipython().events.callbacks['post_run_cell']))"
    )
    assert frontend.stdout.strip() == "1"
