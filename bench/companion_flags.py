#!/usr/bin/env python3
"""Benchmark: the companion's memory and speed under V8 flag sets.

Starts the built companion (jupyterlab_dask_clusters/companion/main.mjs)
with the Node that JupyterLab would use (serverproxy.find_node) on a
temporary Unix socket, once per flag set and round, interleaved, and reads:

idle      VmRSS after GET / and GET api/types, then 5 s to settle
api       GET api/clusters, N times on one keep-alive connection
refusals  POST api/clusters with a bad option (validated, answered 422), N times
proxy     GET of a 256 KiB page through the dashboard proxy, N times, from a
          local HTTP server registered as a kernel dashboard
after     VmRSS after all that

It prints the medians per flag set and the ratios against the first set
(the flags serverproxy.py uses today, with --lite-mode) against the same
without lite mode. Nothing is asserted. Lite mode removes WebAssembly, and
with it Node's fetch: the companion makes its HTTP requests with node:http
(lib-server/src/util/http-request.ts).

    .venv/bin/python bench/companion_flags.py [--rounds 3] [--requests 300]
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from jupyterlab_dask_clusters.serverproxy import NODE_FLAGS, find_node  # noqa: E402

BUNDLE = REPO / "jupyterlab_dask_clusters" / "companion" / "main.mjs"
PYTHON = REPO / ".venv" / "bin" / "python"
MIB = 1024 * 1024
PAGE = b"x" * (256 * 1024)
FLAG_SETS = {
    "today": tuple(NODE_FLAGS),
    # What lite mode saves and costs: the same without it.
    "full V8": tuple(flag for flag in NODE_FLAGS if flag != "--lite-mode"),
}


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(conn: UnixConnection, method: str, path: str, body=None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
    answer = conn.getresponse()
    return answer.status, answer.read()


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args) -> None:
        pass


def timed(n: int, step) -> float:
    start = time.perf_counter()
    for _ in range(n):
        step()
    return time.perf_counter() - start


def one_round(node: str, flags: tuple[str, ...], requests: int, page_port: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="jldc-flags-") as tmp:
        sock = os.path.join(tmp, "companion.sock")
        env = {
            **os.environ,
            "JUPYTERLAB_DASK_CLUSTERS_PYTHON": str(PYTHON),
            "JUPYTERLAB_DASK_CLUSTERS_STATE_DIR": os.path.join(tmp, "state"),
        }
        proc = subprocess.Popen(
            [node, *flags, str(BUNDLE), "--socket", sock],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while not os.path.exists(sock):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"the companion did not start with {flags}")
                time.sleep(0.05)
            conn = UnixConnection(sock)
            call(conn, "GET", "/")
            status, _ = call(conn, "GET", "/api/types")
            if status != 200:
                raise RuntimeError(f"GET api/types answered {status}")
            time.sleep(5)
            idle = rss(proc.pid)
            api = timed(requests, lambda: call(conn, "GET", "/api/clusters"))
            bad = {"type": "local", "options": {"workers": -1}}
            refusals = timed(requests, lambda: call(conn, "POST", "/api/clusters", bad))
            url = {"url": f"http://127.0.0.1:{page_port}/status"}
            status, _ = call(conn, "PUT", "/api/kernel-dashboards/k-bench", url)
            if status != 200:
                raise RuntimeError(f"PUT api/kernel-dashboards answered {status}")
            proxy = timed(requests, lambda: call(conn, "GET", "/dashboard/k-bench/status"))
            return {"idle": idle, "api": api, "refusals": refusals, "proxy": proxy, "after": rss(proc.pid)}
        finally:
            proc.terminate()
            proc.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    node = find_node()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    results: dict[str, list[dict]] = {name: [] for name in FLAG_SETS}
    names = list(FLAG_SETS)
    try:
        for i in range(args.rounds):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                results[name].append(one_round(node, FLAG_SETS[name], args.requests, server.server_port))
                print(f"  round {i + 1} {name}: idle {results[name][-1]['idle'] / MIB:.1f} MiB", file=sys.stderr)
    finally:
        server.shutdown()

    medians = {
        name: {key: statistics.median(run[key] for run in runs) for key in runs[0]} for name, runs in results.items()
    }
    base = medians[names[0]]
    print(f"\nCompanion under V8 flag sets: {node}; {args.rounds} rounds, {args.requests} requests each")
    print(f"{'':8} {'idle MiB':>9} {'after MiB':>10} {'api ms':>8} {'422 ms':>8} {'proxy ms':>9}")
    for name, m in medians.items():
        per = {key: m[key] / args.requests * 1000 for key in ("api", "refusals", "proxy")}
        print(
            f"{name:8} {m['idle'] / MIB:9.1f} {m['after'] / MIB:10.1f} "
            f"{per['api']:8.2f} {per['refusals']:8.2f} {per['proxy']:9.2f}"
        )
    for name, m in list(medians.items())[1:]:
        ratios = ", ".join(f"{key} {m[key] / base[key]:.2f}" for key in ("idle", "after", "api", "refusals", "proxy"))
        print(f"RATIO {name}/{names[0]}: {ratios}")
    for name, flags in FLAG_SETS.items():
        print(f"  {name}: {' '.join(flags)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
