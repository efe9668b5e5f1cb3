#!/usr/bin/env python3
"""Benchmark: memory of everything we start, against dask-labextension 7.0.0.

Each side is a real JupyterLab (fresh Jupyter directories, a token, a free
port) whose every process carries a marker variable. The bench reads the
resident set (VmRSS in /proc/PID/status) of every process with the marker:

ours   our extension: JupyterLab, the companion (Node), and per cluster what
       the companion starts (runners, their workers, resource trackers).
peer   dask-labextension 7.0.0 in its own virtualenv (the same versions of
       JupyterLab, distributed, dask and bokeh; made by this bench with pip
       when it is missing: bench/.peer-venv, git-ignored), its clusters made
       through its REST API (PUT dask/clusters/) with LocalCluster(n_workers=1).

Phases, on each side: "idle" (JupyterLab up and the extension loaded: for
ours the companion answered GET api/types, and then 10 s to settle), then
"3 clusters" (three local clusters of one worker each, all running, 5 s to
settle). It prints every process with its role and RSS, the totals, the
ratio ours/peer and the companion's idle RSS against its 60 MiB target.
Nothing is asserted; results also go to bench/results/memory-<UTC>.json.

    .venv/bin/python bench/memory.py [--clusters 3] [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from local_start import (
    MARKER,
    PYTHON,
    REPO,
    EventStream,
    Lab,
    cluster_event,
    log,
    marked_processes,
    sweep,
    write_results,
)

PEER_VENV = REPO / "bench" / ".peer-venv"
PEER = "dask-labextension==7.0.0"
MIB = 1024 * 1024
SETTLE_IDLE_S = 10.0
SETTLE_S = 5.0
COMPANION_TARGET_MIB = 60.0
PEER_FIGURE_MIB = 466.0  # issue 15: dask-labextension 7.0.0, 3 clusters of 1 worker, measured 2026-12-01


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def role(cmd: str) -> str:
    if "multiprocessing.resource_tracker" in cmd:
        return "resource tracker"
    if "multiprocessing.forkserver" in cmd:
        return "fork server"
    if "multiprocessing.spawn" in cmd or "multiprocessing-fork" in cmd:
        return "dask worker"
    if "main.mjs" in cmd:
        return "companion (node)"
    if "runner.py" in cmd:
        return "runner"
    if "jupyter-lab" in cmd or "jupyter lab" in cmd or "jupyter_lab" in cmd:
        return "jupyter server"
    return "other"


def snapshot(mark: str) -> list[dict]:
    rows = [{"pid": pid, "role": role(cmd), "rss": rss_bytes(pid), "cmd": cmd} for pid, cmd in marked_processes(mark)]
    return sorted(rows, key=lambda r: (r["role"], r["pid"]))


def print_snapshot(title: str, rows: list[dict]) -> int:
    total = sum(r["rss"] for r in rows)
    print(f"\n{title}: {len(rows)} processes, {total / MIB:.0f} MiB RSS in all")
    for r in rows:
        print(f"  {r['pid']:>7}  {r['role']:17} {r['rss'] / MIB:7.1f} MiB  {r['cmd'][:70]}")
    return total


def ensure_peer() -> str:
    jupyter = PEER_VENV / "bin" / "jupyter"
    if (PEER_VENV / ".installed").exists():
        return str(jupyter)
    versions = {}
    for name in ("jupyterlab", "distributed", "dask", "bokeh", "jupyter_server", "tornado"):
        out = subprocess.run(
            [PYTHON, "-c", f"import importlib.metadata as m; print(m.version({name!r}))"],
            capture_output=True,
            text=True,
            check=True,
        )
        versions[name] = out.stdout.strip()
    log(f"making {PEER_VENV} with {PEER} and {versions}")
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    pins = [f"{name}=={version}" for name, version in versions.items()]
    subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "--quiet", PEER, *pins], check=True)
    (PEER_VENV / ".installed").touch()
    return str(jupyter)


def wait(what: str, done, within: float = 180.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = done()
        if found:
            return found
        time.sleep(0.25)
    raise RuntimeError(f"timed out after {within:.0f} s waiting for {what}")


def ours(mark: str, env: dict[str, str], clusters: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="jldc-bench-memory-"))
    lab = Lab(tmp, env)
    stream = None
    try:
        lab.start()
        status, types = lab.request("GET", "dask-clusters/api/types", timeout=120)
        if status != 200:
            raise RuntimeError(f"GET api/types answered {status}: {types}")
        local = next(ty for ty in types if ty["id"] == "local")
        time.sleep(SETTLE_IDLE_S)
        idle = snapshot(mark)
        stream = EventStream(lab)
        ids = []
        for i in range(clusters):
            options = {"workers": 1, "memory_per_worker": "2 GiB"}
            for name in local["schema"].get("required", []):
                options.setdefault(name, local["defaults"].get(name))
            status, model = lab.request(
                "POST", "dask-clusters/api/clusters", {"type": "local", "name": f"memory-{i}", "options": options}
            )
            if status != 201:
                raise RuntimeError(f"POST api/clusters answered {status}: {model}")
            ids.append(model["id"])
        for cid in ids:
            _, model = stream.wait_for(
                cluster_event(
                    cid, lambda m: m["state"] in ("failed", "lost") or (m["state"] == "running" and m["workers"] >= 1)
                ),
                f"cluster {cid} running",
            )
            if model["state"] != "running":
                raise RuntimeError(f"cluster {cid} did not start: {model.get('error')}")
        time.sleep(SETTLE_S)
        busy = snapshot(mark)
        for cid in ids:
            lab.request("DELETE", f"dask-clusters/api/clusters/{cid}")
        for cid in ids:
            stream.wait_for(cluster_event(cid, lambda m: m["state"] in ("stopped", "failed", "lost")), f"{cid} stopped")
        return {"idle": idle, "clusters": busy}
    finally:
        if stream is not None:
            stream.close()
        lab.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def peer(mark: str, env: dict[str, str], clusters: int, jupyter: str) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="jldc-bench-memory-peer-"))
    config = tmp / "dask"
    config.mkdir()
    (config / "labextension.yaml").write_text(
        json.dumps({"labextension": {"factory": {"kwargs": {"n_workers": 1}}, "initial": []}})
    )
    env = dict(env, DASK_CONFIG=str(config), PATH=f"{Path(jupyter).parent}:{env['PATH']}")
    lab = Lab(tmp, env, jupyter=jupyter)
    try:
        lab.start()
        status, listed = lab.request("GET", "dask/clusters/")
        if status != 200:
            raise RuntimeError(f"the peer's GET dask/clusters/ answered {status}: {listed}")
        time.sleep(SETTLE_IDLE_S)
        idle = snapshot(mark)
        ids = []
        for _ in range(clusters):
            status, model = lab.request("PUT", "dask/clusters/", {}, timeout=180)
            if status != 200:
                raise RuntimeError(f"the peer's PUT dask/clusters/ answered {status}: {model}")
            ids.append(model["id"])
        for cid in ids:
            wait(
                f"the peer's cluster {cid} with a worker",
                lambda cid=cid: (lab.request("GET", f"dask/clusters/{cid}")[1] or {}).get("workers", 0) >= 1,
            )
        time.sleep(SETTLE_S)
        busy = snapshot(mark)
        for cid in ids:
            lab.request("DELETE", f"dask/clusters/{cid}", timeout=120)
        return {"idle": idle, "clusters": busy}
    finally:
        lab.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=3, help="local clusters of one worker (default 3)")
    parser.add_argument("--no-peer", action="store_true", help="measure ours only (compare with 466 MiB)")
    args = parser.parse_args()

    results: dict[str, dict] = {}
    totals: dict[str, dict[str, int]] = {}
    left = []
    sides = [("ours", None)] + ([] if args.no_peer else [("peer", ensure_peer())])
    for side, jupyter in sides:
        mark = secrets.token_hex(8)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env[MARKER] = mark
        log(f"measuring {side}")
        try:
            results[side] = (
                ours(mark, env, args.clusters) if jupyter is None else peer(mark, env, args.clusters, jupyter)
            )
        except (RuntimeError, OSError, KeyError, ValueError) as exc:
            log(f"bench failed on {side}: {type(exc).__name__}: {exc}")
            sweep(mark, 30.0)
            return 1
        finally:
            left += sweep(mark, 30.0)
        totals[side] = {}
        for phase, title in (("idle", "idle"), ("clusters", f"{args.clusters} clusters of 1 worker")):
            totals[side][phase] = print_snapshot(f"{side}, {title}", results[side][phase])

    companion = max((r["rss"] for r in results["ours"]["idle"] if r["role"] == "companion (node)"), default=0)
    print()
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}")
    print(f"companion idle: {companion / MIB:.1f} MiB (target <= {COMPANION_TARGET_MIB:.0f} MiB)")
    ours_total = totals["ours"]["clusters"] / MIB
    if "peer" in totals:
        peer_total = totals["peer"]["clusters"] / MIB
        print(
            f"idle:        ours {totals['ours']['idle'] / MIB:6.0f} MiB, peer {totals['peer']['idle'] / MIB:6.0f} MiB, "
            f"RATIO {totals['ours']['idle'] / totals['peer']['idle']:.2f}"
        )
        print(
            f"{args.clusters} clusters: ours {ours_total:6.0f} MiB, peer {peer_total:6.0f} MiB, "
            f"RATIO ours/peer {ours_total / peer_total:.2f} (target <= 1.0)"
        )
    else:
        print(
            f"{args.clusters} clusters: ours {ours_total:6.0f} MiB against the peer's {PEER_FIGURE_MIB:.0f} MiB "
            f"(issue 15), ratio {ours_total / PEER_FIGURE_MIB:.2f}"
        )
    if left:
        log("processes of this bench were left running (now stopped):")
        for pid, cmd in left:
            log(f"  {pid} {cmd}")
    else:
        log("checked: no process of this bench is left")

    out = write_results(
        "memory",
        {"clusters": args.clusters, "totals_bytes": totals, "companion_idle_bytes": companion, "processes": results},
    )
    print(f"results: {out.relative_to(REPO)}")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
