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

``python runner.py config KEY``
    Prints ``{"config": ...}``: the value at KEY (e.g. ``gateway``,
    ``jobqueue.slurm``) of the user's dask configuration (YAML files and
    ``DASK_*`` variables), ``{}`` when there is none. It may hold
    credentials: the companion keeps it in memory only.

``python runner.py site-types``
    Prints ``{"types": {...}, "modules": {class path: null | why not}}``: the
    site's cluster types (dask config ``jupyterlab-dask-clusters.types``) and
    whether each class's module can be found with this interpreter.

``python runner.py job-script``
    Reads ``{"cluster_class", "kwargs", "calls"}`` (as in the start command)
    on stdin and prints ``{"script": ...}``, the job script that class (a
    dask_jobqueue cluster, or any class with a ``job_cls``) would submit.

``python runner.py run``
    Newline-delimited JSON: commands on stdin, events on stdout. Nothing else
    is ever written to stdout (file descriptor 1 is pointed at stderr, and the
    protocol uses a private duplicate of the original stdout). Logs go to
    stderr.

    The first stdin line starts the cluster::

        {"op": "start", "cluster_id": "c1a2b3c4",
         "cluster_class": "distributed.LocalCluster",
         "kwargs": {...keyword arguments of the class...},
         "calls": {"submitter": {"cls": "pkg.Client", "kwargs": {...},
                                 "calls": {...}, "environ": {"token": "VAR"}}},
         "config": {"distributed.worker.memory.target": 0.75, ...},
         "scaling": {"mode": "fixed", "workers": 2}
                  | {"mode": "adaptive", "minimum": 0, "maximum": 4},
         "idle_timeout_minutes": 30,                       (optional)
         "log_file": "/path/c1a2b3c4.log",                 (optional)
         "control": "/path/control/c1a2b3c4.sock"}         (optional)

    Any ``distributed.deploy.Cluster`` subclass is started the same way:
    ``cluster_class(asynchronous=True, **kwargs)``, then adapted when the
    scaling says so. ``calls`` (optional) are arguments built by calling
    something first; ``environ`` fills keyword arguments from this process's
    environment variables (tokens never pass through a command). ``config``
    is applied with ``dask.config.set`` before the cluster starts, so worker
    processes inherit it. Where Dask's API differs, ``"adapter": "gateway"``
    replaces ``cluster_class`` (below).

    ``idle_timeout_minutes`` ends the cluster after that long without tasks:
    a scheduler in this process gets it as its own ``idle_timeout`` (through
    the dask config ``distributed.scheduler.idle-timeout``) and closes
    itself; a remote one (a gateway's) is asked every few seconds whether it
    has tasks. Either way the runner then sends ``ending`` and closes.

    A ``security_directory`` kwarg (a directory of mode 0700) makes the
    cluster TLS-only: the runner writes fresh temporary credentials there as
    ca.pem, cert.pem and key.pem (0600) and passes the class a ``Security``
    that requires encryption; clients load the same files.

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
        {"event": "jobs", "jobs": ["123", "124"], "names": {"123": "SLURMCluster-0", ...}}
            a class that submits batch jobs (has a ``job_cls``): its job ids,
            and the worker each runs
        {"event": "ending", "reason": "idle", "minutes": 30}
            the cluster had no tasks for its idle timeout; it closes next
        {"event": "ending", "reason": "elsewhere", "status": "stopped" | "failed" | "gone"}
            the gateway says its cluster ended outside this runner
        {"event": "closed"}
            the cluster was closed; sent right before exiting with code 0

    With ``"adapter": "gateway"`` the kwargs are ``{"address", "proxy_address",
    "public_address", "auth": {"type": "basic", "username", "password"} |
    {"type": "jupyterhub", "api_token"} | null, "name", "initial_scaling":
    IScaling | null}``: the runner connects
    to the existing Dask Gateway cluster ``name`` (the companion created it
    through the gateway's REST API, or adopts one made elsewhere), reports
    ``dashboard_link`` as the dashboard address, scales and adapts it through
    the gateway, and shuts it down when it closes. It also ends (``closed``)
    when the gateway says the cluster stopped, e.g. from a notebook.

    ``log_file`` points this process's stderr (and so its workers') at that
    file, appending, from then on: a spare runner (below) was started before
    anyone knew which cluster it would run.

    With ``control`` (a cluster that keeps running after JupyterLab stops)
    the runner also listens on the Unix socket at that path (in a directory
    only the user can open; connections of other users are refused) for a
    companion that re-adopts it: the same commands and events on that
    connection, which replaces the previous one, and the last ``started``,
    ``workers``, ``jobs`` and ``warning`` events again first. End of stdin
    then only detaches: the cluster runs on until ``close`` comes on a
    connection (or a signal).

``python runner.py run --spare``
    The same, for a runner started ahead of its cluster (when the [+NEW]
    dialog opens): while it waits for the start command it imports
    ``distributed`` and the scheduler's dashboard, about a second of a local
    cluster's start (not ``cryptography``: a spare usually becomes a runner
    host, below, which makes its credentials with ``openssl``). The dask
    configuration of the start command still applies to what the built-in
    types set (worker memory, idle timeout): distributed reads those keys
    when a cluster starts. The
    few it reads on import (``distributed.comm.offload``, say) are the
    user's own configuration in a spare, as they are in a notebook.

    Otherwise end of stdin (the companion went away), SIGTERM, SIGINT and SIGHUP all
    act like ``close``. A close during the start lets the start finish for up
    to 10 s, then abandons it. Closing is bounded (25 s); when it fails or
    times out the runner kills its own process group, so no worker outlives
    it.

A first command ``{"op": "host", "socket": PATH, "log_file": PATH}`` (of
``run`` or ``run --spare``) makes the runner a host instead: one interpreter
running several local clusters of one environment and one dask config. It
listens on the Unix socket ``socket`` (mode 0700, in a directory only the
user can open; connections of other users are hung up on), logs to
``log_file``, and says ``{"event": "hosting", "socket": PATH, "pid": PID}``
once it listens. Each connection is one cluster, with the commands and
events of ``run``; a connection that ends closes its cluster. Only
``distributed.LocalCluster`` runs in a host, without ``control``, and with
the dask config of the host's first cluster; anything else is refused with an
``error``. A hosted cluster logs to its ``log_file`` (the host's records made
for it, and its worker processes' stderr through the worker preload
``worker_log.py`` beside this file); everything also goes to the host's log.
Its TLS credentials come from ``openssl`` where there is one, so that a host
never imports ``cryptography``. A cluster that hangs while starting holds up
no other; one whose close fails or that was abandoned while starting has its
own worker processes killed, not the host's group. ``close`` on stdin, its end, SIGTERM, SIGINT and SIGHUP close every
cluster, then the host exits (killing its group when one would not close).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import platform
import signal
import socket
import struct
import sys
import threading
import traceback

# This file, whatever becomes of __main__.__file__ in a host.
RUNNER_FILE = os.path.abspath(__file__)
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


# What a companion that re-adopts the cluster needs to hear again: the last of each.
REPLAYED_EVENTS = ("started", "workers", "jobs", "warning")


class Protocol:
    """Writes events on a private copy of stdout (fd 1 then points at stderr),
    on the control connection of a companion that re-adopted the cluster, or
    on a hosted cluster's connection (``out``)."""

    def __init__(self, out=None):
        if out is None:
            sys.stdout.flush()
            # os.dup returns a non-inheritable descriptor, so worker processes
            # started later never hold the protocol pipe.
            fd = os.dup(1)
            os.dup2(2, 1)
            out = os.fdopen(fd, "w", encoding="utf-8", buffering=1)
        self._out = out
        self._lock = threading.Lock()
        self._last = {}
        # The last error or ending event: what a cluster that ended while detached leaves behind.
        self.last_ending = None
        self.broken = False

    def emit(self, event):
        line = json.dumps(event, default=str) + "\n"
        with self._lock:
            if event.get("event") in REPLAYED_EVENTS:
                self._last[event["event"]] = line
            if event.get("event") in ("error", "ending"):
                self.last_ending = event
            if self.broken:
                return
            try:
                self._out.write(line)
                self._out.flush()
            except OSError:
                # The companion is gone; end of stdin will close the cluster
                # (or, with a control socket, a companion may come back).
                self.broken = True

    def attach(self, out):
        """Send events to `out` from now on, starting with the state so far."""
        with self._lock:
            self._out, self.broken = out, False
            try:
                for line in self._last.values():
                    out.write(line)
                out.flush()
            except OSError:
                self.broken = True

    def detach(self, out=None):
        """Stop sending events (to `out` only, when given: a newer connection may have replaced it)."""
        with self._lock:
            if out is None or out is self._out:
                self.broken = True

    def error(self, message, exc=None):
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) if exc else ""
        if tb:
            # A hosted cluster's log gets it too (_SESSION_LOG).
            for out in (sys.stderr, _SESSION_LOG.get()):
                if out is not None:
                    out.write(tb)
                    out.flush()
        self.emit({"event": "error", "message": message, "traceback": tb})


def _read_stdin(loop, inbox):
    """Thread body: parse stdin lines into the inbox, then report end of input."""
    _read_lines(loop, inbox, sys.stdin.buffer)
    loop.call_soon_threadsafe(inbox.put_nowait, {"op": "eof"})


def _open_log(path):
    """A descriptor appending to the log file `path`, made 0600 if new."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


def _log_to(path):
    """Point stderr (fd 2, and fd 1, which Protocol aimed at it) at `path`."""
    sys.stderr.flush()
    fd = _open_log(path)
    os.dup2(fd, 2)
    os.dup2(fd, 1)
    os.close(fd)


def _read_lines(loop, inbox, stream):
    """Parse JSON command lines of `stream` into the inbox until it ends."""
    for raw in stream:
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


class PrivateSocket:
    """A Unix socket only its user can use: bound under umask 077 (mode 0700,
    in a directory that is the user's alone), and connections of other users
    are hung up on. ``serve(conn)`` runs in a thread of its own per connection."""

    def __init__(self, path, serve):
        self.path, self.serve = path, serve
        if os.path.exists(path):
            os.unlink(path)  # left by a runner that died; the directory is the user's alone
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        umask = os.umask(0o077)
        try:
            self.server.bind(path)
        finally:
            os.umask(umask)
        self.server.listen(8)

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
            if uid != os.getuid():
                sys.stderr.write(f"refused a connection of user id {uid} (pid {pid}) on {self.path}\n")
                conn.close()
                continue
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def close(self):
        self.server.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


class ControlSocket:
    """Where a companion re-adopts a cluster that outlived the previous one;
    one connection at a time, the newest wins."""

    def __init__(self, path, loop, inbox, protocol):
        self.path, self.loop, self.inbox, self.protocol = path, loop, inbox, protocol
        self.socket = PrivateSocket(path, self._serve)

    def start(self):
        self.socket.start()

    def _serve(self, conn):
        out = conn.makefile("w", encoding="utf-8", buffering=1)
        self.protocol.attach(out)
        try:
            _read_lines(self.loop, self.inbox, conn.makefile("rb"))
        except OSError:
            pass
        self.protocol.detach(out)
        conn.close()

    def close(self):
        self.socket.close()


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


def _temporary_credentials():
    """A fresh self-signed certificate and its key, as PEM: what security=True
    makes, but with an EC P-256 key: about 10 ms of the cluster's start where
    RSA-2048 took 40-85 ms."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dask-internal")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("dask-internal")]), critical=False)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # clocks of other hosts may lag
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def _openssl_credentials():
    """The same from the openssl command, without backdating, for a cluster whose
    processes all run on this host (no other clock to lag): a runner host then never
    imports cryptography, about 8 MiB of it. None where there is no openssl."""
    import shutil
    import subprocess
    import tempfile

    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    with tempfile.TemporaryDirectory() as directory:
        key, cert = os.path.join(directory, "key.pem"), os.path.join(directory, "cert.pem")
        subprocess.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-sha256", "-nodes"]
            + ["-days", "365", "-subj", "/CN=dask-internal", "-addext", "subjectAltName=DNS:dask-internal"]
            + ["-keyout", key, "-out", cert],
            check=True,
            capture_output=True,
            timeout=30,
        )
        with open(cert) as cert_file, open(key) as key_file:
            return cert_file.read(), key_file.read()


def _write_tls_credentials(paths, same_host=False):
    """Fresh temporary credentials, written 0600 (the certificate is its own CA);
    with `same_host`, from openssl when there is one."""
    cert, key = (same_host and _openssl_credentials()) or _temporary_credentials()
    values = {"ca": cert, "cert": cert, "key": key}
    for key, path in paths.items():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(values[key])


# ------------------------------------------------------------ any cluster


def _import_object(path):
    """``package.module.Name`` -> that object (a class, or a function to call)."""
    import importlib

    module, _, name = path.rpartition(".")
    if not module or not name:
        raise ValueError(f"{path!r} is not an import path such as distributed.LocalCluster")
    return getattr(importlib.import_module(module), name)


def _cluster_class(path):
    from distributed.deploy import Cluster

    cls = _import_object(path)
    if not (isinstance(cls, type) and issubclass(cls, Cluster)):
        raise TypeError(f"{path} is not a subclass of distributed.deploy.Cluster")
    return cls


def _built_arguments(calls):
    """Arguments a type builds by calling something, e.g. a UNICORE client:
    ``{"key": {"cls", "kwargs", "calls", "environ"}}``, innermost first;
    ``environ`` names keyword arguments read from this process's variables."""
    built = {}
    for key, spec in (calls or {}).items():
        kwargs = dict(spec.get("kwargs") or {})
        kwargs.update(_built_arguments(spec.get("calls")))
        for name, variable in (spec.get("environ") or {}).items():
            if variable in os.environ:
                kwargs[name] = os.environ[variable]
        built[key] = _import_object(spec["cls"])(**kwargs)
    return built


def _cluster_kwargs(message):
    """The class's keyword arguments: ``kwargs``, the built ``calls``, and a
    ``security`` for a ``security_directory``; with the credential paths."""
    kwargs = dict(message.get("kwargs") or {})
    paths = None
    if "security_directory" in kwargs:
        kwargs["security"], paths = _tls_security(kwargs.pop("security_directory"))
    kwargs.update(_built_arguments(message.get("calls")))
    return kwargs, paths


async def start_cluster(message, same_host=False):
    """An un-awaited cluster manager of ``cluster_class``, or of an adapter;
    `same_host`: all its processes run on this host (_write_tls_credentials)."""
    adapter = message.get("adapter")
    if adapter is not None:
        if adapter not in ADAPTERS:
            raise ValueError(f"unknown adapter {adapter!r}; known: {sorted(ADAPTERS)}")
        return ADAPTERS[adapter](message)
    cls = _cluster_class(message["cluster_class"])
    kwargs, paths = _cluster_kwargs(message)
    if paths is not None:
        _write_tls_credentials(paths, same_host)
    return cls(asynchronous=True, **kwargs)


# ---------------------------------------------------------- adapter: gateway

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
                # Read by the runner after the signal, to say why.
                cluster.ended_elsewhere = (
                    "gone" if status is None else "failed" if status == ClusterStatus.FAILED else "stopped"
                )
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


def start_gateway(message):
    return _GatewayConnection(dict(message.get("kwargs") or {}))


def _gateway_dashboard_address(cluster):
    """The dashboard root of a GatewayCluster: its link without ``/status``."""
    link = cluster.dashboard_link
    if not link:
        return None
    return link[: -len("/status")] if link.endswith("/status") else link


# Adapters, where Dask's API differs from a cluster class's: each returns an
# un-awaited cluster manager (awaiting it gives the started cluster), and may
# say where its dashboard is.
ADAPTERS = {"gateway": start_gateway}
ADAPTER_DASHBOARDS = {"gateway": _gateway_dashboard_address}


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


async def _maybe_await(result):
    """Asynchronous cluster managers (GatewayCluster) return coroutines."""
    if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
        return await result
    return result


ENDING_OPS = ("close", "eof", "signal")


class Runner:
    """One cluster behind the protocol: in a process of its own (``run``), or
    one of several in a host (``hosted``, a HostedSession)."""

    def __init__(self, protocol, hosted=None):
        self.protocol = protocol
        self.hosted = hosted
        # The control socket's path, once the start command names one.
        self.control = None
        self.cluster = None
        self.adaptive = None

    def _ends(self, message):
        """Whether `message` ends the runner. End of stdin only detaches a
        runner with a control socket: a later companion may re-adopt it."""
        op = message.get("op")
        if op == "eof" and self.control is not None:
            self.protocol.detach()
            return False
        return op in ENDING_OPS

    async def main(self, inbox, first=None):
        """Run the cluster of the first command (`first`, else the first in `inbox`); the exit code."""
        loop = asyncio.get_running_loop()
        first = first if first is not None else await inbox.get()
        if first.get("op") in ENDING_OPS:
            return 0
        if first.get("op") != "start":
            self.protocol.error(f"expected a start command first, got {first!r}")
            return 2
        if self.hosted is not None:
            problem = self.hosted.refusal(first)
            if problem:
                self.protocol.error(problem)
                return 2
            self.hosted.prepare(first)
        elif first.get("log_file"):
            _log_to(first["log_file"])
        if first.get("control"):
            self.control = first["control"]
            ControlSocket(self.control, loop, inbox, self.protocol).start()

        start = asyncio.ensure_future(self._start(first))
        pending = []
        while not start.done():
            getter = asyncio.ensure_future(inbox.get())
            await asyncio.wait({start, getter}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                continue
            message = getter.result()
            if self._ends(message):
                await self._abandon_start(start)
                return 0
            pending.append(message)

        try:
            start.result()
        except Exception as exc:
            self.protocol.error(f"The cluster did not start: {type(exc).__name__}: {exc}", exc)
            await self._close(quiet=True)
            return 1

        self.protocol.emit(self._started_event(first.get("adapter")))
        watches = [WorkersWatch(self.cluster, self.protocol)]
        if getattr(type(self.cluster), "job_cls", None) is not None:
            watches.append(JobsWatch(self.cluster, self.protocol))
        idle = first.get("idle_timeout_minutes")
        if idle:
            watches.append(
                IdleWatch(self.cluster, self.protocol, float(idle), lambda: inbox.put_nowait({"op": "close"}))
            )
        for watch in watches:
            watch.start()
        await self._serve(inbox, pending)
        for watch in watches:
            watch.stop()
        elsewhere = getattr(self.cluster, "ended_elsewhere", None)
        if elsewhere is not None:
            self.protocol.emit({"event": "ending", "reason": "elsewhere", "status": elsewhere})
        await self._close()
        return 0

    def _started_event(self, adapter):
        started = {"event": "started", "scheduler_address": self.cluster.scheduler_address}
        if adapter in ADAPTER_DASHBOARDS:
            started["dashboard_address"] = ADAPTER_DASHBOARDS[adapter](self.cluster)
            return started
        # A scheduler in this process serves its dashboard from here, and draws
        # nothing without bokeh.
        from distributed import Scheduler

        missing = _bokeh_missing() if isinstance(getattr(self.cluster, "scheduler", None), Scheduler) else None
        if missing:
            started.update(dashboard_address=None, dashboard_missing=missing)
        else:
            started["dashboard_address"] = _dashboard_address(self.cluster)
        return started

    async def _serve(self, inbox, pending):
        """Apply commands until one ends the runner."""
        while True:
            message = pending.pop(0) if pending else await inbox.get()
            if self._ends(message):
                return
            if message.get("op") == "eof":
                continue
            if message.get("op") == "invalid":
                self.protocol.error(f"unreadable command: {message.get('error')}")
                continue
            try:
                await _maybe_await(self._apply(message))
            except Exception as exc:
                self.protocol.error(f"{message.get('op')} failed: {type(exc).__name__}: {exc}", exc)

    def _apply(self, message):
        op = message.get("op")
        if op == "scale":
            self._stop_adaptive()
            return self.cluster.scale(int(message["workers"]))
        if op == "adapt":
            return self._adapt(int(message["minimum"]), int(message["maximum"]))
        raise ValueError(f"unknown op {op!r}")

    def _adapt(self, minimum, maximum):
        result = self.cluster.adapt(minimum=minimum, maximum=maximum)
        # distributed's Adaptive: kept to stop it for a fixed size. (An
        # adapter's adapt is a coroutine; its own scale stops adapting.)
        if hasattr(result, "stop"):
            self.adaptive = result
        return result

    def _stop_adaptive(self):
        adaptive, self.adaptive = self.adaptive, None
        if adaptive is not None:
            adaptive.stop()

    async def _start(self, message):
        import dask.config

        config = dict(message.get("config") or {})
        idle = message.get("idle_timeout_minutes")
        if idle and message.get("adapter") is None and self.hosted is None:
            # A scheduler started in this process then stops itself when idle
            # (IdleWatch); a hosted one gets it as an argument (HostedSession).
            config["distributed.scheduler.idle-timeout"] = f"{float(idle) * 60}s"
        if config and self.hosted is None:
            # A host sets its one config itself (HostedSession.refusal).
            dask.config.set(config)
        self.cluster = await start_cluster(message, same_host=self.hosted is not None)
        # Awaiting starts a cluster manager and gives the started cluster.
        self.cluster = await self.cluster
        scaling = message.get("scaling") or {}
        if scaling.get("mode") == "adaptive":
            await _maybe_await(self._adapt(int(scaling["minimum"]), int(scaling["maximum"])))

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
        _skip_closed_scheduler(cluster)
        # Known before closing, which forgets them: what a failed close kills in a host.
        workers = _worker_pids(cluster)
        try:
            self._stop_adaptive()
            await asyncio.wait_for(cluster.close(), timeout=CLOSE_TIMEOUT)
        except Exception as exc:
            if not quiet:
                self.protocol.error(f"closing the cluster failed: {type(exc).__name__}: {exc}", exc)
            if self.hosted is None:
                _kill_own_group()
        if self.hosted is not None:
            # The host's group holds other clusters' workers: only this one's
            # go, those that outlived a failed close or an abandoned start.
            _kill_children(workers)


def _worker_pids(cluster):
    """Process ids of the cluster's worker processes in this host (a nanny's),
    including those of workers still starting (SpecCluster's ``_created``)."""
    pids = []
    workers = [*(getattr(cluster, "workers", None) or {}).values(), *(getattr(cluster, "_created", None) or ())]
    for worker in workers:
        pid = getattr(getattr(worker, "process", None), "pid", None)
        if isinstance(pid, int):
            pids.append(pid)
    return pids


def _kill_children(pids):
    """SIGKILL those of `pids` that are still this process's children (a
    pid of one that exited may be another process's by now)."""
    import psutil

    for pid in pids:
        try:
            if psutil.Process(pid).ppid() == os.getpid():
                os.kill(pid, signal.SIGKILL)
        except (psutil.Error, OSError):
            pass  # gone already


def _kill_own_group():
    """Last resort when closing fails: take the worker processes down with us."""
    if os.getpgid(0) != os.getpid():
        return  # not our own group (run by hand): never kill a shell's group
    sys.stderr.flush()
    os.killpg(0, signal.SIGKILL)


def _leave_end(control, code, protocol):
    """Remove the control socket; when no companion heard the end, leave it in
    PATH.end for the next one to show."""
    try:
        os.unlink(control)
    except OSError:
        pass
    if protocol.broken:
        end = {"code": code, "event": protocol.last_ending}
        fd = os.open(control + ".end", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(end, out, default=str)


def _preload():
    """What a spare runner imports while it waits: the slow part of every
    start. Best effort: what is missing (bokeh, say) is the start's to report."""
    import importlib

    # Not cryptography: a spare that becomes a runner host makes its credentials with openssl.
    for module in ("distributed", "distributed.dashboard.scheduler"):
        try:
            importlib.import_module(module)
        except ImportError:
            pass


async def _run_on_stdin(runner):
    """``run``: commands on stdin, SIGTERM, SIGINT and SIGHUP close; a first
    command ``host`` makes this process a host of clusters (Host)."""
    loop = asyncio.get_running_loop()
    inbox = asyncio.Queue()
    threading.Thread(target=_read_stdin, args=(loop, inbox), daemon=True).start()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, inbox.put_nowait, {"op": "signal", "signal": sig.name})
    first = await inbox.get()
    if first.get("op") == "host":
        if first.get("log_file"):
            _log_to(first["log_file"])
        _preload()
        # multiprocessing's spawn runs the parent's main file again in every worker
        # process, for its functions; a host's workers need none of this one's.
        main = sys.modules["__main__"]
        if getattr(main, "__file__", None) == RUNNER_FILE:
            del main.__file__
        return await Host(first["socket"]).main(runner.protocol, inbox)
    return await runner.main(inbox, first)


def cmd_run(mode=None):
    """`run`, or `run --spare` (main passes the flag)."""
    protocol = Protocol()
    runner = Runner(protocol)
    code = 1
    try:
        if mode == "--spare":
            _preload()
        code = asyncio.run(_run_on_stdin(runner))
    except BaseException as exc:  # noqa: BLE001 - report anything, then exit
        protocol.error(f"runner crashed: {type(exc).__name__}: {exc}", exc)
        code = 1
    if code == 0:
        protocol.emit({"event": "closed"})
    if runner.control is not None:
        _leave_end(runner.control, code, protocol)
    sys.stderr.flush()
    # Skip interpreter shutdown: leftover executor threads must not keep a
    # closed runner alive.
    os._exit(code)


# ----------------------------------------------------------------------- host
#
# One interpreter running several local clusters of one environment: a
# cluster after the first then costs its worker processes and about a MiB,
# where a runner of its own costs an interpreter with distributed and bokeh
# imported, and a resource tracker (bench/hosting.py).

# The classes a host runs: their start only awaits (a hung one cannot stall
# the others), and their scheduler takes its idle timeout as an argument.
HOSTABLE_CLASSES = ("distributed.LocalCluster",)
# Names, in a hosted cluster's worker processes, the file their stderr goes to
# (worker_log.py reads it under the same name).
WORKER_LOG_VARIABLE = "JUPYTERLAB_DASK_CLUSTERS_WORKER_LOG"
# Their worker preload: a file of a few lines beside this one (this one would cost each a MiB).
WORKER_LOG_PRELOAD = os.path.join(os.path.dirname(RUNNER_FILE), "worker_log.py")
# The log file of the hosted cluster whose task (or a task it started) is running.
_SESSION_LOG = contextvars.ContextVar("session_log", default=None)


class _SessionLogs(logging.Handler):
    """Writes each log record to the file of the hosted cluster that logged
    it, too; the host's stderr still gets every record."""

    def emit(self, record):
        out = _SESSION_LOG.get()
        if out is None:
            return
        try:
            out.write(self.format(record) + "\n")
            out.flush()
        except Exception:  # noqa: BLE001 - a log line must not break a cluster
            self.handleError(record)


def _route_session_logs():
    """Install _SessionLogs where records end up: the root logger and the
    loggers that do not pass theirs on (distributed's, bokeh's, tornado's)."""
    handler = _SessionLogs()
    own = logging.getLogger("distributed").handlers
    handler.setFormatter(own[0].formatter if own else logging.Formatter())
    for name in (None, "distributed", "bokeh", "tornado"):
        logging.getLogger(name).addHandler(handler)


class HostedSession:
    """What a cluster does differently in a host: its own log file (records
    of its tasks through _SessionLogs, its workers' stderr through
    worker_log.py), its idle timeout as its scheduler's argument, the host's one
    dask config, and a failed close that kills only its own workers."""

    def __init__(self, host):
        self.host = host
        self.log = None

    def refusal(self, start):
        """Why `start` cannot run in this host, or None."""
        cls = start.get("cluster_class")
        if cls not in HOSTABLE_CLASSES:
            return f"{cls or start.get('adapter')} runs in a runner of its own, not in a host of {HOSTABLE_CLASSES}"
        if start.get("control"):
            return "a cluster that keeps running after JupyterLab stops runs in a runner of its own"
        config = start.get("config") or {}
        if self.host.config is not None and config != self.host.config:
            return f"this host runs clusters of the dask config {self.host.config}, not {config}; start it in another"
        return None

    def prepare(self, start):
        """Set up the host for `start` (refusal said None) and adjust it to run here."""
        import dask.config

        if self.host.config is None:
            self.host.config = start.get("config") or {}
            dask.config.set(self.host.config)
        kwargs = start.setdefault("kwargs", {})
        idle = start.get("idle_timeout_minutes")
        if idle:
            kwargs.setdefault("scheduler_kwargs", {})["idle_timeout"] = f"{float(idle) * 60}s"
        if start.get("log_file"):
            self.log = os.fdopen(_open_log(start["log_file"]), "a", encoding="utf-8", buffering=1)
            _SESSION_LOG.set(self.log)
            # Without worker_log.py beside this file (a runner copied elsewhere), workers log to the host's log.
            if kwargs.get("processes", True) and os.path.exists(WORKER_LOG_PRELOAD):
                kwargs["env"] = {**(kwargs.get("env") or {}), WORKER_LOG_VARIABLE: start["log_file"]}
                preload = kwargs.get("preload", dask.config.get("distributed.worker.preload", []))
                kwargs["preload"] = [*preload, WORKER_LOG_PRELOAD]

    def close(self):
        if self.log is not None:
            self.log.close()


class Host:
    """The runner after a first command ``host``: each connection to its
    socket is one cluster, with the commands and events of ``run``. ``close``,
    the end of stdin (the companion went away), SIGTERM, SIGINT and SIGHUP
    close them all, then the host exits."""

    def __init__(self, path):
        self.path = path
        self.config = None
        self.loop = None
        self.sessions = {}

    async def main(self, protocol, inbox):
        """Host until `inbox` says to end (close, end of stdin, a signal); the exit code."""
        self.loop = asyncio.get_running_loop()
        _route_session_logs()
        listener = PrivateSocket(self.path, self._serve)
        listener.start()
        protocol.emit({"event": "hosting", "socket": self.path, "pid": os.getpid()})
        while (await inbox.get()).get("op") not in ENDING_OPS:
            protocol.error("a host takes no commands on stdin but close; its clusters take theirs on their connections")
        listener.close()
        for session_inbox in self.sessions.values():
            session_inbox.put_nowait({"op": "close"})
        if not self.sessions:
            return 0
        _done, pending = await asyncio.wait(list(self.sessions), timeout=START_GRACE + CLOSE_TIMEOUT + 5)
        if pending:
            _kill_own_group()  # clusters that would not close: no worker outlives the host
        return 0

    def _serve(self, conn):
        """Thread body: one connection's commands into its cluster's inbox."""
        inbox = asyncio.Queue()
        out = conn.makefile("w", encoding="utf-8", buffering=1)
        self.loop.call_soon_threadsafe(self._open, inbox, out, conn)
        try:
            _read_lines(self.loop, inbox, conn.makefile("rb"))
        except OSError:
            pass
        self.loop.call_soon_threadsafe(inbox.put_nowait, {"op": "eof"})

    def _open(self, inbox, out, conn):
        task = asyncio.ensure_future(self._session(inbox, out, conn))
        self.sessions[task] = inbox
        task.add_done_callback(self.sessions.pop)

    async def _session(self, inbox, out, conn):
        protocol = Protocol(out)
        session = HostedSession(self)
        runner = Runner(protocol, session)
        try:
            code = await runner.main(inbox)
        except Exception as exc:  # noqa: BLE001 - report it; the other clusters run on
            protocol.error(f"runner crashed: {type(exc).__name__}: {exc}", exc)
            await runner._close(quiet=True)
            code = 1
        if code == 0:
            protocol.emit({"event": "closed"})
        session.close()
        # The reader thread's file holds the socket open: shut it down for the companion to see the end.
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.close()


# --------------------------------------------------------------- idle timeout

IDLE_POLL_INTERVAL = 1.0
REMOTE_IDLE_POLL_INTERVAL = 5.0


def _scheduler_activity(dask_scheduler=None):
    """On the scheduler (run_function for a remote one): whether it has tasks
    to run, and its transition count, which moves whenever a task does."""
    busy = bool(
        dask_scheduler.queued
        or dask_scheduler.unrunnable
        or any(ws.processing for ws in dask_scheduler.workers.values())
    )
    return [busy, dask_scheduler.transition_counter]


def _skip_closed_scheduler(cluster):
    """A scheduler in this process that closed itself (its idle timeout) is
    not asked to terminate: that would wait for a connection that never comes."""
    from distributed.core import Status

    scheduler = getattr(cluster, "scheduler", None)
    if getattr(scheduler, "status", None) in (Status.closing, Status.closed) and hasattr(cluster, "shutdown_scheduler"):
        cluster.shutdown_scheduler = False


class IdleWatch:
    """Ends the cluster after ``minutes`` without tasks, saying so first: a
    scheduler in this process closes itself (its own idle_timeout, set from
    the start command); a remote one is asked for its activity."""

    def __init__(self, cluster, protocol, minutes, end, clock=None):
        import time

        self.cluster = cluster
        self.protocol = protocol
        self.minutes = minutes
        self.end = end
        self.clock = clock or time.monotonic
        self.task = None

    def start(self):
        self.task = asyncio.ensure_future(self._watch())

    def stop(self):
        if self.task is not None:
            self.task.cancel()

    async def _watch(self):
        from distributed import Scheduler

        scheduler = getattr(self.cluster, "scheduler", None)
        if isinstance(scheduler, Scheduler) and scheduler.idle_timeout:
            minutes = await self._closed_by_itself(scheduler)
        else:
            minutes = await self._idle_remote()
        if minutes is None:
            return
        self.protocol.emit({"event": "ending", "reason": "idle", "minutes": minutes})
        self.end()

    async def _closed_by_itself(self, scheduler):
        """The scheduler's idle timeout in minutes once it closed for it; None
        when it closed for another reason (a client's shutdown)."""
        from distributed.core import Status
        from distributed.metrics import time

        while scheduler.status not in (Status.closing, Status.closed):
            await asyncio.sleep(IDLE_POLL_INTERVAL)
        since = scheduler.idle_since
        if since is None or time() < since + scheduler.idle_timeout:
            return None
        return round(scheduler.idle_timeout / 60, 3)

    async def _idle_remote(self):
        """Waits until the scheduler had no tasks for ``minutes``; a scheduler
        that does not answer for a moment keeps its last state."""
        from distributed.protocol.pickle import dumps

        function, args, kwargs = dumps(_scheduler_activity), dumps(()), dumps({})
        idle_since = self.clock()
        last = None
        while True:
            await asyncio.sleep(REMOTE_IDLE_POLL_INTERVAL)
            try:
                response = await asyncio.wait_for(
                    self.cluster.scheduler_comm.run_function(function=function, args=args, kwargs=kwargs, wait=True),
                    timeout=30,
                )
                busy, transitions = response["result"]
            except Exception:  # noqa: BLE001 - unreachable or refused for now: ask again
                continue
            if busy or transitions != last:
                idle_since = self.clock()
            last = transitions
            if self.clock() - idle_since >= self.minutes * 60:
                return self.minutes


# ---------------------------------------------------------------- batch jobs
#
# A cluster whose class submits batch jobs (dask_jobqueue's, whose class has a
# ``job_cls``) also reports its jobs:
#     {"event": "jobs", "jobs": ["123", "124"], "names": {"123": "...", ...}}
#         the cluster's current job ids, and the worker name of each

JOBS_POLL_INTERVAL = 0.5


def _job_names(cluster):
    """Job id -> worker name of the cluster's submitted jobs (a system such as
    LSF names the job's log files after the worker)."""
    names = {}
    for name, job in list(getattr(cluster, "workers", {}).items()):
        job_id = getattr(job, "job_id", None)
        if job_id:
            names[str(job_id)] = str(getattr(job, "name", None) or name)
    return names


class JobsWatch:
    """Reports the cluster's job ids whenever they change."""

    def __init__(self, cluster, protocol):
        self.cluster = cluster
        self.protocol = protocol
        self.last = None
        self.task = None

    def report(self):
        names = _job_names(self.cluster)
        if names != self.last:
            self.last = names
            self.protocol.emit({"event": "jobs", "jobs": sorted(names), "names": names})

    async def _poll(self):
        while True:
            self.report()
            await asyncio.sleep(JOBS_POLL_INTERVAL)

    def start(self):
        self.task = asyncio.ensure_future(self._poll())

    def stop(self):
        if self.task is not None:
            self.task.cancel()


def _job_kwargs(cls, job_cls, kwargs):
    """The keyword arguments of the job class: the cluster's, less those only
    the cluster class takes (n_workers, scheduler_options...)."""
    import inspect

    job_names = set()
    for klass in job_cls.__mro__:
        if "__init__" in klass.__dict__:
            job_names.update(inspect.signature(klass.__dict__["__init__"]).parameters)
    cluster_only = set(inspect.signature(cls.__init__).parameters) - job_names
    return {key: value for key, value in kwargs.items() if key not in cluster_only}


def cmd_job_script():
    """The job script a batch-job cluster class would submit, for
    ``{"cluster_class", "kwargs", "calls"}`` on stdin (as the start command's)."""

    async def render(message):
        cls = _cluster_class(message["cluster_class"])
        job_cls = getattr(cls, "job_cls", None)
        if job_cls is None:
            raise TypeError(f"{message['cluster_class']} submits no batch jobs, so it has no job script")
        kwargs, _paths = _cluster_kwargs(message)
        job = job_cls("tls://<scheduler-address>:<port>", name="<worker-name>", **_job_kwargs(cls, job_cls, kwargs))
        return job.job_script()

    message = json.loads(sys.stdin.read() or "{}")
    _print_json({"script": asyncio.run(render(message))})
    return 0


# -------------------------------------------------------------- dask config


def _collected_config(key):
    """The value at ``key`` of the user's dask config (YAML files and DASK_*
    variables), without importing the packages whose config it is: importing
    dask_jobqueue or dask_gateway writes their YAML file as a side effect."""
    import dask.config

    return dask.config.get(key, default={}, config=dask.config.collect()) or {}


def cmd_config(key):
    _print_json({"config": _collected_config(key)})
    return 0


SITE_TYPES_KEY = "jupyterlab-dask-clusters.types"


def _module_problem(path):
    """Why the module of ``package.module.Name`` cannot be imported here, or None.
    Finds it without running it (importing may have side effects)."""
    import importlib.util

    module = path.rpartition(".")[0]
    try:
        found = importlib.util.find_spec(module) if module else None
    except (ImportError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None if found is not None else f"No module named {module!r}"


def cmd_site_types():
    """The site's cluster types (dask config ``jupyterlab-dask-clusters.types``)
    and whether each class's module can be imported with this interpreter."""
    types = _collected_config(SITE_TYPES_KEY)
    if not isinstance(types, dict):
        types = {}
    modules = {}
    for entry in types.values():
        path = entry.get("class") if isinstance(entry, dict) else None
        if isinstance(path, str) and path not in modules:
            modules[path] = _module_problem(path)
    _print_json({"types": types, "modules": modules})
    return 0


COMMANDS = {
    "kernelspecs": cmd_kernelspecs,
    "probe": cmd_probe,
    "config": cmd_config,
    "site-types": cmd_site_types,
    "job-script": cmd_job_script,
    "run": cmd_run,
}


def main(argv):
    import inspect

    command = COMMANDS.get(argv[1]) if len(argv) > 1 else None
    if argv[1:] == ["run", "--spare"]:
        return cmd_run(argv[2])
    required = (
        []
        if command is None
        else [p for p in inspect.signature(command).parameters.values() if p.default is inspect.Parameter.empty]
    )
    if command is None or len(argv) - 2 != len(required):
        sys.stderr.write(f"usage: {argv[0]} {{{'|'.join(COMMANDS)}}} (config takes a key, e.g. jobqueue.slurm)\n")
        return 2
    return command(*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
