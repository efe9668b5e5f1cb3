"""Runner of jupyterlab-dask-clusters: one Dask cluster behind a line protocol.

This file is standalone. The companion server runs it with the interpreter of
the environment the user picked, so it imports nothing of ours and needs only
the standard library (plus `distributed` for `run`, `jupyter_client` for
`kernelspecs`).

Subcommands
-----------

``python runner.py kernelspecs``
    Prints ``KernelSpecManager().get_all_specs()`` as one JSON object.

``python runner.py probe``
    Prints one JSON object describing this interpreter::

        {"python": sys.executable, "python_version": "3.11.7",
         "packages": {"distributed": "2026.8.0" | null, "dask": ...,
                      "dask_jobqueue": ..., "dask_gateway": ...},
         "config": {"distributed.worker.memory.target": 0.6, ...},
         "site_paths": [...]}

    ``config`` holds only values the user's dask configuration sets (YAML
    files and ``DASK_*`` variables), not dask's built-in defaults. ``probe``
    never fails because a package is missing.

``python runner.py gateway-config``
    Prints the user's ``gateway`` dask configuration (YAML files and
    ``DASK_GATEWAY__*`` variables) as one JSON object, ``{}`` when there is
    none. It may hold credentials: the companion keeps it in memory only.

``python runner.py run``
    Newline-delimited JSON: commands on stdin, events on stdout. Nothing else
    is ever written to stdout (file descriptor 1 is pointed at stderr, and the
    protocol uses a private duplicate of the original stdout). Logs go to
    stderr.

    The first stdin line starts the cluster::

        {"op": "start", "cluster_id": "c1a2b3c4", "kind": "local",
         "kwargs": {...keyword arguments of the cluster manager...},
         "config": {"distributed.worker.memory.target": 0.75, ...},
         "scaling": {"mode": "fixed", "workers": 2}
                  | {"mode": "adaptive", "minimum": 0, "maximum": 4}}

    For ``kind == "local"`` the kwargs go to ``distributed.LocalCluster``
    (``memory_limit`` in bytes, ``local_directory``, ``dashboard_address``,
    ``host``...). ``config`` is applied with ``dask.config.set`` before the
    cluster starts, so worker processes inherit it.

    For any kind, a ``security_directory`` kwarg (a directory of mode 0700)
    makes the cluster TLS-only: the runner writes fresh temporary credentials
    there as ca.pem, cert.pem and key.pem (0600) and passes the cluster a
    ``Security`` that requires encryption; clients load the same files.

    Later stdin lines::

        {"op": "scale", "workers": 3}       fixed size (stops adaptive scaling)
        {"op": "adapt", "minimum": 1, "maximum": 4}
        {"op": "close"}                      close the cluster and exit

    Events on stdout::

        {"event": "started", "scheduler_address": "tcp://127.0.0.1:PORT",
         "dashboard_address": "http://127.0.0.1:PORT" | null,
         "dashboard_missing": "bokeh is not installed in ..."}   (only with null)
        {"event": "workers", "workers": n, "cores": c, "memory": bytes}
            sent after "started" and on every change
        {"event": "error", "message": "...", "traceback": "..."}
            a failed command; a failed start is followed by exit code 1
        {"event": "warning", "message": "..." | null}
            workers keep dying (e.g. killed for exceeding their memory limit,
            then restarted by their nanny); null once they have been stable
        {"event": "closed"}
            the cluster was closed; sent right before exiting with code 0

    For ``kind == "gateway"`` the kwargs are ``{"address", "proxy_address",
    "public_address", "auth": {"type": "basic", "username", "password"} |
    {"type": "jupyterhub", "api_token"} | null, "name", "initial_scaling":
    IScaling | null}``: the runner connects
    to the existing Dask Gateway cluster ``name`` (the companion created it
    through the gateway's REST API, or adopts one made elsewhere), reports
    ``dashboard_link`` as the dashboard address, scales and adapts it through
    the gateway, and shuts it down when it closes. It also ends (``closed``)
    when the gateway says the cluster stopped, e.g. from a notebook.

    End of stdin (the companion went away), SIGTERM, SIGINT and SIGHUP all
    act like ``close``. A close during the start lets the start finish for up
    to 10 s, then abandons it. Closing is bounded (25 s); when it fails or
    times out the runner kills its own process group, so no worker outlives
    it.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import signal
import sys
import threading
import traceback

CLOSE_TIMEOUT = 25.0
START_GRACE = 10.0
WORKERS_POLL_INTERVAL = 1.0
MEMORY_KEYS = ("target", "spill", "pause", "terminate")


def _print_json(value):
    json.dump(value, sys.stdout, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


# --------------------------------------------------------------- kernelspecs


def cmd_kernelspecs():
    from jupyter_client.kernelspec import KernelSpecManager

    _print_json(KernelSpecManager().get_all_specs())
    return 0


# --------------------------------------------------------------------- probe


def _version(distribution):
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _user_memory_config():
    """Memory thresholds that the user's dask configuration sets, if any."""
    try:
        import dask.config
    except Exception:  # dask missing or broken: nothing to report
        return {}
    # collect() reads the YAML files and DASK_* variables only; the built-in
    # defaults are added separately by dask, so they are not in here.
    collected = dask.config.collect()
    found = {}
    for key in MEMORY_KEYS:
        name = "distributed.worker.memory." + key
        value = dask.config.get(name, default=None, config=collected)
        if value is not None:
            found[name] = value
    return found


def _site_paths():
    import sysconfig

    paths = []
    for key in ("purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path and path not in paths:
            paths.append(path)
    return paths


def cmd_probe():
    result = {
        "python": sys.executable,
        "python_version": platform.python_version(),
        "packages": {
            "distributed": _version("distributed"),
            "dask": _version("dask"),
            "dask_jobqueue": _version("dask-jobqueue"),
            "dask_gateway": _version("dask-gateway"),
            "bokeh": _version("bokeh"),
            "cryptography": _version("cryptography"),
        },
        "config": {},
        "site_paths": _site_paths(),
    }
    try:
        result["config"] = _user_memory_config()
    except Exception as exc:  # a broken config file must not break the probe
        result["config_error"] = f"{type(exc).__name__}: {exc}"
    _print_json(result)
    return 0


# ----------------------------------------------------------------------- run


class Protocol:
    """Writes events on a private copy of stdout; fd 1 then points at stderr."""

    def __init__(self):
        sys.stdout.flush()
        # os.dup returns a non-inheritable descriptor, so worker processes
        # started later never hold the protocol pipe.
        fd = os.dup(1)
        os.dup2(2, 1)
        self._out = os.fdopen(fd, "w", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()
        self.broken = False

    def emit(self, event):
        line = json.dumps(event, default=str) + "\n"
        with self._lock:
            if self.broken:
                return
            try:
                self._out.write(line)
                self._out.flush()
            except OSError:
                # The companion is gone; end of stdin will close the cluster.
                self.broken = True

    def error(self, message, exc=None):
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) if exc else ""
        if tb:
            sys.stderr.write(tb)
            sys.stderr.flush()
        self.emit({"event": "error", "message": message, "traceback": tb})


def _read_stdin(loop, inbox):
    """Thread body: parse stdin lines into the inbox; report end of input."""
    for raw in sys.stdin.buffer:
        raw = raw.strip()
        if not raw:
            continue
        try:
            message = json.loads(raw)
            if not isinstance(message, dict):
                raise ValueError("a command must be a JSON object")
        except ValueError as exc:
            message = {"op": "invalid", "error": str(exc)}
        loop.call_soon_threadsafe(inbox.put_nowait, message)
    loop.call_soon_threadsafe(inbox.put_nowait, {"op": "eof"})


def _fixed_or_minimum(scaling):
    if scaling.get("mode") == "adaptive":
        return int(scaling.get("minimum", 0))
    return int(scaling.get("workers", 0))


# ----------------------------------------------------------------------- tls

TLS_FILES = {"ca": "ca.pem", "cert": "cert.pem", "key": "key.pem"}


def _tls_security(directory):
    from distributed.security import Security

    paths = {key: os.path.join(directory, name) for key, name in TLS_FILES.items()}
    roles = {}
    for role in ("scheduler", "worker", "client"):
        roles[f"tls_{role}_cert"] = paths["cert"]
        roles[f"tls_{role}_key"] = paths["key"]
    return Security(tls_ca_file=paths["ca"], require_encryption=True, **roles), paths


def _write_tls_credentials(paths):
    """Fresh temporary credentials (what security=True makes), written 0600."""
    from distributed.security import Security

    temporary = Security.temporary()
    values = {"ca": temporary.tls_ca_file, "cert": temporary.tls_client_cert, "key": temporary.tls_client_key}
    for key, path in paths.items():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(values[key])


# --------------------------------------------------------------- kind: local


async def start_local(message):
    from distributed import LocalCluster

    kwargs = dict(message.get("kwargs") or {})
    if "security_directory" in kwargs:
        kwargs["security"], paths = _tls_security(kwargs.pop("security_directory"))
        _write_tls_credentials(paths)
    kwargs.setdefault("n_workers", _fixed_or_minimum(message.get("scaling") or {}))
    # Keep distributed's own log levels: the log file is where users look.
    kwargs.setdefault("silence_logs", False)
    return LocalCluster(asynchronous=True, **kwargs)


# ------------------------------------------------------------ kind: gateway

GATEWAY_WATCH_INTERVAL = 5.0


def _gateway_auth(spec):
    from dask_gateway import BasicAuth, JupyterHubAuth

    if not spec:
        return None
    if spec.get("type") == "basic":
        return BasicAuth(spec.get("username"), spec.get("password") or "")
    if spec.get("type") == "jupyterhub":
        return JupyterHubAuth(spec.get("api_token"))
    raise ValueError(f"unsupported gateway auth type {spec.get('type')!r}")


class _GatewayConnection:
    """Awaiting it connects to an existing gateway cluster by name."""

    def __init__(self, kwargs):
        self.kwargs = kwargs

    def __await__(self):
        return self._connect().__await__()

    async def _connect(self):
        from dask_gateway import Gateway

        kw = self.kwargs
        gateway = Gateway(
            address=kw["address"],
            proxy_address=kw.get("proxy_address"),
            public_address=kw.get("public_address"),
            auth=_gateway_auth(kw.get("auth")),
            asynchronous=True,
        )
        # Closing the runner's cluster object shuts the gateway cluster down.
        cluster = gateway.connect(kw["name"], shutdown_on_close=True)
        await cluster
        scaling = self.kwargs.get("initial_scaling") or {}
        if scaling.get("mode") == "fixed":
            await cluster.scale(int(scaling["workers"]))
        _gateway_gone_watch(cluster)
        _gateway_identity_watch(cluster)
        return cluster

    async def close(self):
        """Nothing to close: the connection did not complete."""


def _gateway_gone_watch(cluster):
    """Stop the runner (as SIGTERM would) once the gateway reports the
    cluster ended elsewhere; its close then only cleans up."""

    async def watch():
        from dask_gateway.client import ClusterStatus

        while True:
            await asyncio.sleep(GATEWAY_WATCH_INTERVAL)
            try:
                report = await cluster.gateway._cluster_report(cluster.name)
            except Exception as exc:  # noqa: BLE001 - unreachable for a moment: retry
                if "not found" not in str(exc).lower():
                    continue
                status = None
            else:
                status = report.status
            if status is None or status in (ClusterStatus.STOPPED, ClusterStatus.FAILED):
                sys.stderr.write(f"gateway cluster {cluster.name} ended outside this runner\n")
                sys.stderr.flush()
                os.kill(os.getpid(), signal.SIGTERM)
                return

    return asyncio.ensure_future(watch())


def _gateway_identity_watch(cluster):
    """Refresh ``scheduler_info`` from the scheduler itself: the worker-status
    subscription of GatewayCluster can stop updating after other clients
    come and go."""

    async def watch():
        while True:
            await asyncio.sleep(WORKERS_POLL_INTERVAL * 2)
            try:
                info = await asyncio.wait_for(cluster.scheduler_comm.identity(), timeout=10)
            except Exception:  # noqa: BLE001 - a slow or restarting scheduler: next time
                continue
            if isinstance(info, dict) and "workers" in info:
                cluster.scheduler_info = info

    return asyncio.ensure_future(watch())


async def start_gateway(message):
    return _GatewayConnection(dict(message.get("kwargs") or {}))


def _gateway_dashboard_address(cluster):
    """The dashboard root of a GatewayCluster: its link without ``/status``."""
    link = cluster.dashboard_link
    if not link:
        return None
    return link[: -len("/status")] if link.endswith("/status") else link


# The cluster kinds this runner knows. A starter returns an un-awaited
# cluster manager; awaiting it starts the cluster.
STARTERS = {"local": start_local, "gateway": start_gateway}
# Kinds whose dashboard address is not the scheduler's own dashboard service.
DASHBOARD_ADDRESSES = {"gateway": _gateway_dashboard_address}

# Optional per-kind watchers, started once the cluster runs:
# kind -> callable(cluster, protocol) returning an object with stop().
WATCHERS = {}


LOSS_WINDOW = 60.0
LOSSES_FOR_WARNING = 3
STABLE_BEFORE_CLEAR = 120.0


class RestartLoopDetector:
    """Counts workers lost without being asked to leave (their connection
    dropped: killed for memory, crashed); several within a minute means the
    nannies are restarting them in a loop, which the user must hear about."""

    def __init__(self, protocol, clock=None):
        import time

        self.protocol = protocol
        self.clock = clock or time.monotonic
        self.losses = []
        self.memory_limit = 0
        self.warned = False

    def added(self, memory_limit):
        self.memory_limit = memory_limit or self.memory_limit

    def lost(self, stimulus_id):
        # Retirement, scale-down and lifetime ends have their own stimulus ids;
        # a dropped connection is the scheduler's cleanup.
        if not str(stimulus_id or "").startswith("handle-worker-cleanup"):
            return
        now = self.clock()
        self.losses = [t for t in self.losses if now - t < LOSS_WINDOW] + [now]
        if len(self.losses) >= LOSSES_FOR_WARNING:
            self.warned = True
            limit = f" of {_format_bytes(self.memory_limit)} each" if self.memory_limit else ""
            self.protocol.emit(
                {
                    "event": "warning",
                    "message": (
                        f"Workers keep restarting: {len(self.losses)} were lost in the last "
                        f"{int(LOSS_WINDOW)} s. Most often a task needs more than the workers' "
                        f"memory limit{limit}: give each worker more memory (fewer workers), "
                        "or split the work into smaller tasks. The cluster log has the details."
                    ),
                }
            )

    def check(self):
        """Clear the warning once no worker was lost for a while."""
        if self.warned and (not self.losses or self.clock() - self.losses[-1] >= STABLE_BEFORE_CLEAR):
            self.warned = False
            self.losses = []
            self.protocol.emit({"event": "warning", "message": None})


def _format_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit in ("B", "KiB", "MiB") else f"{n:.1f} {unit}"
        n /= 1024


class WorkersWatch:
    """Reports worker count, cores and memory whenever they change."""

    def __init__(self, cluster, protocol):
        self.cluster = cluster
        self.protocol = protocol
        self.last = None
        self.task = None
        self.restarts = RestartLoopDetector(protocol)
        self.checker = None

    def counts(self):
        scheduler = getattr(self.cluster, "scheduler", None)
        if scheduler is not None and hasattr(scheduler, "workers"):
            workers = list(scheduler.workers.values())
            cores = sum(ws.nthreads or 0 for ws in workers)
            memory = sum(ws.memory_limit or 0 for ws in workers)
            return len(workers), cores, memory
        infos = (self.cluster.scheduler_info or {}).get("workers", {}).values()
        infos = list(infos)
        cores = sum(info.get("nthreads", 0) or 0 for info in infos)
        memory = sum(info.get("memory_limit", 0) or 0 for info in infos)
        return len(infos), cores, memory

    def report(self):
        counts = self.counts()
        if counts != self.last:
            self.last = counts
            workers, cores, memory = counts
            self.protocol.emit({"event": "workers", "workers": workers, "cores": cores, "memory": memory})

    def start(self):
        scheduler = getattr(self.cluster, "scheduler", None)
        if scheduler is not None and hasattr(scheduler, "add_plugin"):
            scheduler.add_plugin(self._plugin())
            self.checker = asyncio.ensure_future(self._check_restarts())
        else:
            self.task = asyncio.ensure_future(self._poll())
        self.report()

    def stop(self):
        for task in (self.task, self.checker):
            if task is not None:
                task.cancel()

    async def _check_restarts(self):
        while True:
            await asyncio.sleep(10)
            self.restarts.check()

    def _plugin(self):
        from distributed.diagnostics.plugin import SchedulerPlugin

        loop = asyncio.get_running_loop()
        report = self.report
        restarts = self.restarts

        class Plugin(SchedulerPlugin):
            name = "jupyterlab-dask-clusters-workers"

            # The scheduler calls these around its own bookkeeping; report
            # on the next loop turn, when the worker table is up to date.
            def add_worker(self, scheduler=None, worker=None):
                ws = scheduler.workers.get(worker) if scheduler is not None else None
                restarts.added(getattr(ws, "memory_limit", 0))
                loop.call_soon(report)

            def remove_worker(self, scheduler=None, worker=None, *, stimulus_id=None, **kwargs):
                restarts.lost(stimulus_id)
                loop.call_soon(report)

        return Plugin()

    async def _poll(self):
        # Remote schedulers: the cluster manager keeps scheduler_info fresh,
        # so reading it is an in-process check, not a network call.
        while True:
            await asyncio.sleep(WORKERS_POLL_INTERVAL)
            self.report()


def _bound_dashboard(cluster):
    """Where an in-process scheduler's dashboard really listens: the address
    it bound (loopback), not the scheduler's host, which may be another
    interface."""
    server = getattr(getattr(cluster, "scheduler", None), "http_server", None)
    for sock in list(getattr(server, "_sockets", {}).values()):
        host, port = sock.getsockname()[:2]
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    return None


def _dashboard_address(cluster):
    bound = _bound_dashboard(cluster)
    if bound:
        return bound
    info = cluster.scheduler_info or {}
    port = (info.get("services") or {}).get("dashboard")
    if not port:
        return None
    address = cluster.scheduler_address
    host = address.split("://", 1)[-1].rsplit(":", 1)[0]
    return f"http://{host}:{port}"


def _bokeh_missing():
    """Why this environment's scheduler has no dashboard plots, or None."""
    version = _version("bokeh")
    try:
        import bokeh  # noqa: F401 - already imported by a dashboard that works
    except ImportError:
        version = None
    if version is None:
        return f"bokeh is not installed in {sys.executable}"
    try:
        from distributed.versions import BOKEH_REQUIREMENT

        if not BOKEH_REQUIREMENT.specifier.contains(version, prereleases=True):
            return f"bokeh {version} in {sys.executable} is older than distributed needs ({BOKEH_REQUIREMENT})"
    except Exception:  # noqa: BLE001 - an older distributed without the constant: trust bokeh
        pass
    return None


def _stop_adaptive(cluster):
    adaptive = getattr(cluster, "_adaptive", None)
    if adaptive is not None:
        adaptive.stop()
        cluster._adaptive = None


async def _maybe_await(result):
    """Asynchronous cluster managers (GatewayCluster) return coroutines."""
    if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
        return await result
    return result


def _apply(cluster, message):
    op = message.get("op")
    if op == "scale":
        _stop_adaptive(cluster)
        return cluster.scale(int(message["workers"]))
    elif op == "adapt":
        return cluster.adapt(minimum=int(message["minimum"]), maximum=int(message["maximum"]))
    else:
        raise ValueError(f"unknown op {op!r}")


ENDING_OPS = ("close", "eof", "signal")


class Runner:
    def __init__(self, protocol):
        self.protocol = protocol
        self.cluster = None

    async def main(self):
        loop = asyncio.get_running_loop()
        inbox = asyncio.Queue()
        threading.Thread(target=_read_stdin, args=(loop, inbox), daemon=True).start()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, inbox.put_nowait, {"op": "signal", "signal": sig.name})

        first = await inbox.get()
        if first.get("op") in ENDING_OPS:
            return 0
        if first.get("op") != "start":
            self.protocol.error(f"expected a start command first, got {first!r}")
            return 2

        start = asyncio.ensure_future(self._start(first))
        pending = []
        while not start.done():
            getter = asyncio.ensure_future(inbox.get())
            await asyncio.wait({start, getter}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                continue
            message = getter.result()
            if message.get("op") in ENDING_OPS:
                await self._abandon_start(start)
                return 0
            pending.append(message)

        try:
            start.result()
        except Exception as exc:
            self.protocol.error(f"The cluster did not start: {type(exc).__name__}: {exc}", exc)
            await self._close(quiet=True)
            return 1

        watch = WorkersWatch(self.cluster, self.protocol)
        kind = first.get("kind")
        started = {"event": "started", "scheduler_address": self.cluster.scheduler_address}
        # The scheduler's own dashboard runs here, and draws nothing without bokeh.
        missing = None if kind in DASHBOARD_ADDRESSES else _bokeh_missing()
        if missing:
            started.update(dashboard_address=None, dashboard_missing=missing)
        else:
            started["dashboard_address"] = DASHBOARD_ADDRESSES.get(kind, _dashboard_address)(self.cluster)
        self.protocol.emit(started)
        watch.start()
        extra = WATCHERS.get(first.get("kind"))
        extra_watch = extra(self.cluster, self.protocol) if extra else None

        while True:
            message = pending.pop(0) if pending else await inbox.get()
            if message.get("op") in ENDING_OPS:
                break
            if message.get("op") == "invalid":
                self.protocol.error(f"unreadable command: {message.get('error')}")
                continue
            try:
                await _maybe_await(_apply(self.cluster, message))
            except Exception as exc:
                self.protocol.error(f"{message.get('op')} failed: {type(exc).__name__}: {exc}", exc)
        watch.stop()
        if extra_watch is not None:
            extra_watch.stop()
        await self._close()
        return 0

    async def _start(self, message):
        import dask.config

        config = message.get("config") or {}
        if config:
            dask.config.set(config)
        kind = message.get("kind")
        starter = STARTERS.get(kind)
        if starter is None:
            raise ValueError(f"unknown cluster kind {kind!r}; known: {sorted(STARTERS)}")
        self.cluster = await starter(message)
        # Awaiting starts a cluster manager and gives the started cluster.
        self.cluster = await self.cluster
        scaling = message.get("scaling") or {}
        if scaling.get("mode") == "adaptive":
            await _maybe_await(self.cluster.adapt(minimum=int(scaling["minimum"]), maximum=int(scaling["maximum"])))

    async def _abandon_start(self, start):
        """Asked to stop while starting: let a start that is nearly done finish
        (a cluster half-way through starting cannot always be closed), give up
        on one that hangs, then close whatever exists."""
        try:
            await asyncio.wait_for(asyncio.shield(start), timeout=START_GRACE)
        except asyncio.TimeoutError:
            start.cancel()
            await asyncio.gather(start, return_exceptions=True)
        except Exception:
            pass  # a failed start: close what it left
        await self._close(quiet=True)

    async def _close(self, quiet=False):
        cluster, self.cluster = self.cluster, None
        if cluster is None:
            return
        try:
            _stop_adaptive(cluster)
            await asyncio.wait_for(cluster.close(), timeout=CLOSE_TIMEOUT)
        except Exception as exc:
            if not quiet:
                self.protocol.error(f"closing the cluster failed: {type(exc).__name__}: {exc}", exc)
            _kill_own_group()


def _kill_own_group():
    """Last resort when closing fails: take the worker processes down with us."""
    if os.getpgid(0) != os.getpid():
        return  # not our own group (run by hand): never kill a shell's group
    sys.stderr.flush()
    os.killpg(0, signal.SIGKILL)


def cmd_run():
    protocol = Protocol()
    code = 1
    try:
        code = asyncio.run(Runner(protocol).main())
    except BaseException as exc:  # noqa: BLE001 - report anything, then exit
        protocol.error(f"runner crashed: {type(exc).__name__}: {exc}", exc)
        code = 1
    if code == 0:
        protocol.emit({"event": "closed"})
    sys.stderr.flush()
    # Skip interpreter shutdown: leftover executor threads must not keep a
    # closed runner alive.
    os._exit(code)


# --------------------------------------------------------------------- slurm
#
# kind "slurm": dask_jobqueue.SLURMCluster. The start kwargs are SLURMCluster's,
# plus "security_directory": a directory (0700, on a filesystem the compute
# nodes share) where the runner writes the cluster's temporary TLS
# credentials as ca.pem, cert.pem and key.pem (0600). Scheduler, workers and
# clients all use them; the job script refers to these paths, so it is the
# same in the preview and in the real submission.
#
# Extra events of a SLURM cluster:
#     {"event": "jobs", "jobs": ["123", "124"]}   the cluster's current job ids
#
# Extra subcommands (one JSON object on stdin, one on stdout):
#     python runner.py slurm-defaults    {"config": {...jobqueue.slurm of the user's dask config...}}
#     python runner.py job-script        {"kwargs": {...}} -> {"script": "#!/usr/bin/env bash ..."}

SLURM_JOBS_POLL_INTERVAL = 0.5


def _slurm_kwargs(kwargs):
    kwargs = dict(kwargs)
    directory = kwargs.pop("security_directory")
    security, paths = _tls_security(directory)
    kwargs["security"] = security
    kwargs["shared_temp_directory"] = directory
    return kwargs, paths


async def start_slurm(message):
    from dask_jobqueue import SLURMCluster

    kwargs, paths = _slurm_kwargs(message.get("kwargs") or {})
    _write_tls_credentials(paths)
    kwargs.setdefault("n_workers", _fixed_or_minimum(message.get("scaling") or {}))
    kwargs.setdefault("silence_logs", False)
    return SLURMCluster(asynchronous=True, **kwargs)


def _slurm_job_ids(cluster):
    ids = []
    for job in list(getattr(cluster, "workers", {}).values()):
        job_id = getattr(job, "job_id", None)
        if job_id:
            ids.append(str(job_id))
    return sorted(ids)


class SlurmJobsWatch:
    """Reports the cluster's job ids whenever they change."""

    def __init__(self, cluster, protocol):
        self.cluster = cluster
        self.protocol = protocol
        self.last = None
        self.task = asyncio.ensure_future(self._poll())

    def report(self):
        ids = _slurm_job_ids(self.cluster)
        if ids != self.last:
            self.last = ids
            self.protocol.emit({"event": "jobs", "jobs": ids})

    async def _poll(self):
        while True:
            self.report()
            await asyncio.sleep(SLURM_JOBS_POLL_INTERVAL)

    def stop(self):
        self.task.cancel()


def cmd_slurm_defaults():
    """jobqueue.slurm as the user's dask config sets it (files and DASK_* variables).

    Reads the config without importing dask_jobqueue, which would write
    ~/.config/dask/jobqueue.yaml as a side effect."""
    import dask.config

    collected = dask.config.collect()
    config = dask.config.get("jobqueue.slurm", default={}, config=collected) or {}
    _print_json({"config": config})
    return 0


def cmd_job_script():
    """The job script SLURMCluster would submit for {"kwargs": ...} on stdin."""

    async def render(kwargs):
        from dask_jobqueue import SLURMCluster

        kwargs, _paths = _slurm_kwargs(kwargs)
        kwargs.pop("n_workers", None)
        kwargs.pop("scheduler_options", None)
        job_kwargs = {k: v for k, v in kwargs.items() if k not in ("shared_temp_directory",)}
        job = SLURMCluster.job_cls("tls://<scheduler-address>:<port>", name="<worker-name>", **job_kwargs)
        return job.job_script()

    message = json.loads(sys.stdin.read() or "{}")
    _print_json({"script": asyncio.run(render(message.get("kwargs") or {}))})
    return 0


STARTERS["slurm"] = start_slurm
WATCHERS["slurm"] = SlurmJobsWatch


def cmd_gateway_config():
    import dask.config

    # Plain dask config: importing dask_gateway would write gateway.yaml.
    collected = dask.config.collect()
    _print_json(dask.config.get("gateway", default={}, config=collected) or {})
    return 0


COMMANDS = {
    "kernelspecs": cmd_kernelspecs,
    "probe": cmd_probe,
    "gateway-config": cmd_gateway_config,
    "run": cmd_run,
}
COMMANDS.update({"slurm-defaults": cmd_slurm_defaults, "job-script": cmd_job_script})


def main(argv):
    if len(argv) != 2 or argv[1] not in COMMANDS:
        sys.stderr.write(f"usage: {argv[0]} {{{'|'.join(COMMANDS)}}}\n")
        return 2
    return COMMANDS[argv[1]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
