#!/usr/bin/env python3
"""Benchmark: time to a running local Dask cluster, ours against plain Python.

ours      POST api/clusters through a real JupyterLab (jupyter-server-proxy in
          front of the companion) until the event stream (WebSocket
          api/events) reports the cluster "running" with 4 workers; then
          DELETE it and wait until it is stopped and forgotten. This is the
          path of the [+NEW] dialog: it asks for a spare runner of its
          environment when it opens (POST api/environments/spare), and the
          user presses Start a few seconds later (DIALOG_S here, untimed).
cold      the same without the dialog's spare (a create through the API, or
          Start pressed within a second of opening the dialog): the runner's
          interpreter starts and imports distributed inside the timed part.
baseline  a fresh interpreter of the same virtualenv running
          LocalCluster(n_workers=4, threads_per_worker=1, processes=True,
          dashboard_address=":0"); Client(cluster).wait_for_workers(4),
          timed from just before the interpreter is started (our path starts
          a fresh interpreter too: the runner) until the script says the
          workers are there.
tls       the same as baseline with security=Security.temporary() (fresh
          certificates, TLS between scheduler, workers and client), which is
          what our local clusters do: the cost of TLS itself.

The three are interleaved, rotating which goes first, so that the noise of
a busy machine hits all. Timings are printed as a table with the ratio of
the medians ours/baseline and tls/baseline (goal <= 1.1); nothing here
asserts a timing. Results also go to bench/results/local_start-<UTC time>.json.

Every process this bench starts carries a marker variable in its
environment; at the end the bench looks for any process still carrying it,
stops it, and exits non-zero if it had to.

    .venv/bin/python bench/local_start.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

# websocket-client is a dependency of jupyter_server, so it is in the venv.
import websocket

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
JUPYTER = str(VENV_BIN / "jupyter") if (VENV_BIN / "jupyter").exists() else "jupyter"

WORKERS = 4
OPTIONS = {"workers": WORKERS, "threads_per_worker": 1, "processes": True}
MARKER = "JLDC_BENCH_MARK"
WAIT_S = 180.0
# How long the dialog is open before Start: a user glancing at the form.
DIALOG_S = 3.0

# The baseline, run as a file (worker processes are spawned, so the main
# module must be importable and guarded).
BASELINE_SCRIPT = f"""\
import time
FIRST_LINE = time.monotonic()
import json
import sys
from dask.distributed import Client, LocalCluster
from distributed.security import Security
IMPORTED = time.monotonic()


def main():
    # Fresh certificates are part of a TLS cluster's start: made here, timed.
    security = Security.temporary() if sys.argv[1:] == ["tls"] else None
    cluster = LocalCluster(n_workers={WORKERS}, threads_per_worker=1, processes=True, dashboard_address=":0",
                           security=security)
    client = Client(cluster)
    client.wait_for_workers({WORKERS})
    ready = time.monotonic()
    print(json.dumps({{"first_line": FIRST_LINE, "imported": IMPORTED, "ready": ready}}), flush=True)
    client.close()
    cluster.close()


if __name__ == "__main__":
    main()
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------ processes left


def marked_processes(mark: str) -> list[tuple[int, str]]:
    """Processes (other than this one) whose environment carries our marker."""
    needle = f"{MARKER}={mark}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open(f"/proc/{entry}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[-1].split()[0] == b"Z":
                    continue  # a zombie is already dead
        except OSError:
            continue
        found.append((int(entry), cmd[:160]))
    return found


def sweep(mark: str, grace_s: float) -> list[tuple[int, str]]:
    """Wait up to grace_s for marked processes to end; stop what remains.
    Returns what had to be stopped."""
    deadline = time.monotonic() + grace_s
    left = marked_processes(mark)
    while left and time.monotonic() < deadline:
        time.sleep(0.25)
        left = marked_processes(mark)
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        if not marked_processes(mark):
            break
        for pid, _ in marked_processes(mark):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        time.sleep(wait)
    return left


# ------------------------------------------------------------------ the lab


class Lab:
    """A JupyterLab with fresh Jupyter dirs, reached over HTTP with a token."""

    def __init__(self, tmp: Path, env: dict[str, str], jupyter: str = JUPYTER):
        self.tmp = tmp
        self.jupyter = jupyter
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.log_path = tmp / "jupyter.log"
        self.env = dict(env)
        for name, sub in (
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_DATA_DIR", "data"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTERLAB_SETTINGS_DIR", "settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
            ("JUPYTERLAB_DASK_CLUSTERS_STATE_DIR", "clusters"),
        ):
            self.env[name] = str(tmp / sub)
        (tmp / "notebooks").mkdir()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    self.jupyter,
                    "lab",
                    "--no-browser",
                    f"--ServerApp.token={self.token}",
                    "--ServerApp.allow_root=True",
                    "--ServerApp.ip=127.0.0.1",
                    f"--port={self.port}",
                    "--ServerApp.port_retries=0",
                    f"--ServerApp.root_dir={self.tmp / 'notebooks'}",
                ],
                cwd=self.tmp / "notebooks",
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                status, _ = self.request("GET", "api/status")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"jupyter lab did not answer within 120 s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def request(self, method: str, path: str, body=None, timeout: float = 60):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", f"token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                raw = res.read()
                status = res.status
        except urllib.error.HTTPError as err:
            raw = err.read()
            status = err.code
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        return status, payload

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            log("jupyter lab did not stop within 30 s of SIGTERM; killing its process group")
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)


class EventStream:
    """api/events over a WebSocket; a reader thread stamps every message on
    arrival with time.monotonic() (CLOCK_MONOTONIC, ns resolution)."""

    def __init__(self, lab: Lab):
        url = f"ws://127.0.0.1:{lab.port}/dask-clusters/api/events"
        self.ws = websocket.create_connection(url, header=[f"Authorization: token {lab.token}"], timeout=10)
        self.ws.settimeout(None)
        self.events: list[tuple[float, dict]] = []
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while True:
                text = self.ws.recv()
                stamp = time.monotonic()
                if not text:
                    break
                with self.cond:
                    self.events.append((stamp, json.loads(text)))
                    self.cond.notify_all()
        except (websocket.WebSocketException, OSError, ValueError):
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_for(self, predicate, what: str, timeout: float = WAIT_S):
        """(arrival time, predicate's answer) of the first event, received so
        far or to come, for which predicate answers something truthy."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for stamp, event in self.events[seen:]:
                    found = predicate(event)
                    if found:
                        return stamp, found
                seen = len(self.events)
                left = deadline - time.monotonic()
                if self.closed:
                    raise RuntimeError(f"the event stream closed while waiting for {what}")
                if left <= 0:
                    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
                self.cond.wait(left)

    def close(self) -> None:
        try:
            self.ws.close()
        except (websocket.WebSocketException, OSError):
            pass
        self.thread.join(5)


def cluster_event(cluster_id: str, test):
    """A predicate answering the model of cluster_id when test(model) holds."""

    def predicate(event: dict):
        if event.get("kind") == "cluster":
            models = [event["cluster"]]
        elif event.get("kind") == "snapshot":
            models = event["clusters"]
        else:
            return None
        return next((m for m in models if m["id"] == cluster_id and test(m)), None)

    return predicate


# --------------------------------------------------------------------- runs


def run_ours(lab: Lab, stream: EventStream, options: dict, dialog: bool = True) -> dict:
    if dialog:
        status, answer = lab.request(
            "POST", "dask-clusters/api/environments/spare", {"environment": options["environment"]}
        )
        if status != 202:
            raise RuntimeError(f"POST api/environments/spare answered {status}: {answer}")
        time.sleep(DIALOG_S)
    t0 = time.monotonic()
    status, model = lab.request("POST", "dask-clusters/api/clusters", {"type": "local", "options": options})
    t_answer = time.monotonic()
    if status != 201:
        raise RuntimeError(f"POST api/clusters answered {status}: {model}")
    cid = model["id"]
    try:
        ready, model = stream.wait_for(
            cluster_event(
                cid, lambda m: m["state"] in ("failed", "lost") or (m["state"] == "running" and m["workers"] >= WORKERS)
            ),
            f"cluster {cid} running with {WORKERS} workers",
        )
        if model["state"] != "running":
            raise RuntimeError(
                f"cluster {cid} did not start: {model['state']}: {model.get('error')}\n"
                + "\n".join(model.get("logTail") or [])
            )
        first_running, _ = stream.wait_for(cluster_event(cid, lambda m: m["state"] == "running"), "running", 1)
    finally:
        t_stop = time.monotonic()
        status, _ = lab.request("DELETE", f"dask-clusters/api/clusters/{cid}")
        if status == 202:
            stream.wait_for(
                cluster_event(cid, lambda m: m["state"] in ("stopped", "failed", "lost")), f"cluster {cid} stopped"
            )
        t_stopped = time.monotonic()
        status, _ = lab.request("DELETE", f"dask-clusters/api/clusters/{cid}")
        if status == 204:
            stream.wait_for(lambda e: e.get("kind") == "removed" and e.get("id") == cid, f"cluster {cid} removed")
    return {
        "start_s": ready - t0,
        "post_answer_s": t_answer - t0,
        "state_running_s": first_running - t0,
        "stop_s": t_stopped - t_stop,
    }


def run_baseline(script: Path, env: dict[str, str], log_path: Path, tls: bool = False) -> dict:
    with open(log_path, "ab") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [PYTHON, str(script), *(["tls"] if tls else [])],
            cwd=script.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,
        )
    watchdog = threading.Timer(WAIT_S, lambda: os.killpg(proc.pid, signal.SIGKILL))
    watchdog.start()
    try:
        line = proc.stdout.readline()
        t_line = time.monotonic()
        if not line:
            proc.wait()
            raise RuntimeError(
                f"the baseline script exited ({proc.returncode}) before its workers were ready; see {log_path}"
            )
        child = json.loads(line)
        proc.stdout.read()
        proc.wait()
        t_exit = time.monotonic()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
    if proc.returncode != 0:
        raise RuntimeError(f"the baseline script failed ({proc.returncode}); see {log_path}")
    return {
        "start_s": t_line - t0,
        "interpreter_to_first_line_s": child["first_line"] - t0,
        "in_interpreter_s": child["ready"] - child["first_line"],
        "imports_s": child["imported"] - child["first_line"],
        "cluster_and_wait_s": child["ready"] - child["imported"],
        "stop_s": t_exit - t_line,
    }


# ------------------------------------------------------------------- report


def write_results(bench: str, payload: dict) -> Path:
    """Write a run's raw numbers to bench/results/<bench>-<UTC time>.json, with the date and machine."""
    RESULTS.mkdir(exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    out = RESULTS / f"{bench}-{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    head = {
        "bench": bench,
        "date": now.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    out.write_text(json.dumps({**head, **payload}, indent=2) + "\n")
    return out


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions of each (default 5)")
    parser.add_argument("--target", type=float, default=1.0, help="ratio the table compares against (default 1.0)")
    parser.add_argument(
        "--tls-goal",
        type=float,
        default=1.1,
        help="ratio TLS/plain LocalCluster the table compares against (default 1.1)",
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    mark = secrets.token_hex(8)
    env = dict(os.environ)
    env[MARKER] = mark
    env["PYTHONUNBUFFERED"] = "1"
    tmp = Path(tempfile.mkdtemp(prefix="jldc-bench-start-"))
    script = tmp / "baseline_local_cluster.py"
    script.write_text(BASELINE_SCRIPT)
    lab = Lab(tmp, env)
    stream = None
    stragglers: list[tuple[int, str]] = []
    ours: list[dict] = []
    cold: list[dict] = []
    base: list[dict] = []
    tls: list[dict] = []
    warm: dict = {}
    failure = None
    try:
        log(f"starting jupyter lab on port {lab.port} (state in {tmp})")
        t = time.monotonic()
        lab.start()
        warm["jupyter_lab_up_s"] = time.monotonic() - t
        t = time.monotonic()
        status, types = lab.request("GET", "dask-clusters/api/types", timeout=120)
        warm["first_request_s"] = time.monotonic() - t
        if status != 200:
            raise RuntimeError(f"GET api/types answered {status}: {types}\n{lab.log_tail()}")
        local = next((ty for ty in types if ty["id"] == "local"), None)
        if local is None or not local["available"]:
            raise RuntimeError(f"the local type is not available here: {local and local.get('reason')}")
        props = local["schema"]["properties"]
        missing = [name for name in OPTIONS if name not in props]
        if missing:
            raise RuntimeError(f"the local type has no field(s) {missing}; its fields: {sorted(props)}")
        options = dict(OPTIONS)
        # Required fields without a value of ours take the type's default.
        for name in local["schema"].get("required", []):
            options.setdefault(name, local["defaults"].get(name))
        # The dialog's spare is asked for in the environment the form shows.
        options.setdefault("environment", local["defaults"].get("environment"))
        runner_python = options.get("environment")
        log(f"local type: required {local['schema'].get('required', [])}; environment {runner_python}")
        if runner_python and os.path.realpath(runner_python) != os.path.realpath(PYTHON):
            log(f"note: the runner's interpreter {runner_python} is not the baseline's {PYTHON}")

        stream = EventStream(lab)
        stream.wait_for(lambda e: e.get("kind") == "snapshot", "the snapshot", 30)

        log("warm-up: one untimed run of each")
        warm["ours"] = run_ours(lab, stream, options)
        warm["cold"] = run_ours(lab, stream, options, dialog=False)
        warm["baseline"] = run_baseline(script, env, tmp / "baseline.log")
        warm["tls"] = run_baseline(script, env, tmp / "baseline.log", tls=True)

        runs = {
            "ours": (ours, lambda: run_ours(lab, stream, options)),
            "cold": (cold, lambda: run_ours(lab, stream, options, dialog=False)),
            "baseline": (base, lambda: run_baseline(script, env, tmp / "baseline.log")),
            "tls": (tls, lambda: run_baseline(script, env, tmp / "baseline.log", tls=True)),
        }
        kinds = list(runs)
        for i in range(args.repeat):
            for which in kinds[i % len(kinds) :] + kinds[: i % len(kinds)]:
                time.sleep(1.0)  # let the previous run's processes finish exiting
                results, run = runs[which]
                results.append(run())
                log(f"  {i + 1}/{args.repeat} {which:9} {results[-1]['start_s']:6.2f} s")
    except (RuntimeError, OSError, KeyError, ValueError) as exc:
        failure = f"{type(exc).__name__}: {exc}"
        log(f"bench failed: {failure}")
    except KeyboardInterrupt:
        failure = "interrupted"
        log("interrupted; cleaning up")
    finally:
        if stream is not None:
            stream.close()
        lab.stop()
        stragglers = sweep(mark, 30.0)
        if stragglers:
            log("processes of this bench were still running after jupyter lab stopped (now stopped):")
            for pid, cmd in stragglers:
                log(f"  {pid} {cmd}")
        else:
            log("checked: no process of this bench is left")
        jupyter_log = lab.log_tail(40)
        shutil.rmtree(tmp, ignore_errors=True)

    if failure is not None or min(len(ours), len(cold), len(base), len(tls)) < args.repeat:
        if jupyter_log:
            log("last lines of the jupyter lab log:\n" + jupyter_log)
        return 1

    o = summary([r["start_s"] for r in ours])
    c = summary([r["start_s"] for r in cold])
    b = summary([r["start_s"] for r in base])
    t = summary([r["start_s"] for r in tls])
    inside = summary([r["in_interpreter_s"] for r in base])
    cluster_part = summary([r["cluster_and_wait_s"] for r in base])
    tls_part = summary([r["cluster_and_wait_s"] for r in tls])
    ours_stop = summary([r["stop_s"] for r in ours])
    base_stop = summary([r["stop_s"] for r in base])
    ratio = o["median"] / b["median"]
    tls_ratio = t["median"] / b["median"]

    rows = [
        ("ours: POST api/clusters -> event 'running', 4 workers", o),
        ("cold: the same with no spare runner (no dialog)", c),
        ("baseline: new python -> wait_for_workers(4) done", b),
        ("tls: the same, security=Security.temporary()", t),
        ("  baseline, inside the interpreter only (info)", inside),
        ("  of which LocalCluster() + wait, imports excluded (info)", cluster_part),
        ("  tls, LocalCluster() + wait, imports excluded (info)", tls_part),
        ("stop, ours: DELETE -> event 'stopped' (info)", ours_stop),
        ("stop, baseline: close() + interpreter exit (info)", base_stop),
    ]
    width = max(len(label) for label, _ in rows)
    print()
    print(f"Local cluster start: {WORKERS} workers x 1 thread, processes; {args.repeat} runs of each, interleaved")
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        "ours observed on the WebSocket api/events (event-driven, stamped on arrival)"
    )
    print(f"{'':{width}}   median      min")
    for label, s in rows:
        print(f"{label:{width}}  {s['median']:6.2f} s  {s['min']:6.2f} s")
    verdict = "within" if ratio <= args.target else "ABOVE"
    print(f"{'RATIO ours/baseline (medians)':{width}}  {ratio:6.2f}     ({verdict} the target <= {args.target})")
    print(f"{'(for information) ratio of the mins':{width}}  {o['min'] / b['min']:6.2f}")
    print(f"{'(for information) cold/baseline (medians)':{width}}  {c['median'] / b['median']:6.2f}")
    verdict = "within" if tls_ratio <= args.tls_goal else "ABOVE"
    print(f"{'RATIO tls/baseline (medians)':{width}}  {tls_ratio:6.2f}     ({verdict} the goal <= {args.tls_goal})")
    print(f"{'(for information) ratio of the mins':{width}}  {t['min'] / b['min']:6.2f}")
    print(f"{'(for information) ours/tls (medians)':{width}}  {o['median'] / t['median']:6.2f}")

    out = write_results(
        "local_start",
        {
            "method": "ours: WebSocket api/events through jupyter-server-proxy, each message stamped on arrival "
            "(time.monotonic); baseline and tls: from just before Popen to reading the script's line",
            "cluster": {"workers": WORKERS, "threads_per_worker": 1, "processes": True, "options_sent": options},
            "repeat": args.repeat,
            "warmup": warm,
            "ours": {"summary": o, "runs": ours, "dialog_open_s": DIALOG_S},
            "cold": {"summary": c, "runs": cold},
            "baseline": {"summary": b, "in_interpreter": inside, "cluster_and_wait": cluster_part, "runs": base},
            "tls": {"summary": t, "cluster_and_wait": tls_part, "runs": tls},
            "stop": {"ours": ours_stop, "baseline": base_stop},
            "ratio_of_medians": ratio,
            "target": args.target,
            "tls_ratio_of_medians": tls_ratio,
            "tls_goal": args.tls_goal,
        },
    )
    print(f"results: {out.relative_to(REPO)}")
    return 1 if stragglers else 0


if __name__ == "__main__":
    sys.exit(main())
