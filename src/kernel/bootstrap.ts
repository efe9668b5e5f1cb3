/**
 * The Python code the frontend sends to a kernel: nothing is installed there.
 *
 * `KERNEL_MODULE` becomes the module `_jupyterlab_dask_clusters` in the
 * kernel (kept in `sys.modules`, never in the user's namespace). It reports
 * the kernel's live clusters on a comm after each cell, only when they
 * changed, and performs the sidebar's actions. It never imports
 * `distributed` itself. bench/kernel_hook.py execs the same text; keep it
 * free of backticks.
 */
export const KERNEL_MODULE = String.raw`
"""Reports this kernel's Dask clusters to JupyterLab's Dask Clusters sidebar."""
import os
import sys
import threading

TARGET = "jupyterlab-dask-clusters"
# Most browser pages (tabs, reloads) reported to at once; the oldest is closed.
MAX_PAGES = 4
# While clusters live, how often to look for workers that came or went
# without a cell (a scale from the sidebar, workers still arriving), in ms.
TICK_MS = 1000
ENDED = ("closing", "closed", "failed", "closing_gracefully")

_lock = threading.RLock()
_comms = {}
_last = None
_links = {}
_timer = None
_ip = None


def _status(obj):
    status = getattr(obj, "status", None)
    return str(getattr(status, "name", status)).lower()


def _address(obj):
    try:
        return obj.scheduler_address
    except Exception:
        return None


def _classes(root):
    seen, stack = [], [root]
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen.append(cls)
            stack.extend(cls.__subclasses__())
    return seen


def _workers(info):
    workers = list((info or {}).get("workers", {}).values())
    cores = sum(w.get("nthreads", 0) or 0 for w in workers)
    memory = sum(w.get("memory_limit", 0) or 0 for w in workers)
    return len(workers), cores, memory


def _requested(obj):
    spec = getattr(obj, "worker_spec", None)
    if not isinstance(spec, dict):
        return None
    return sum(len(s.get("group", ())) or 1 for s in list(spec.values()))


def _adaptive(obj):
    adaptive = getattr(obj, "_adaptive", None)
    if adaptive is None or getattr(adaptive, "state", "running") in ("inactive", "stopped"):
        return None
    bounds = []
    for value in (getattr(adaptive, "minimum", 0), getattr(adaptive, "maximum", None)):
        try:
            bounds.append(int(value))
        except Exception:
            bounds.append(None)
    return tuple(bounds)


def _scan():
    """(kind, object, address, state, workers, cores, memory, requested, adaptive) per live cluster."""
    found = []
    seen = set()

    def add(kind, obj, address, info):
        if address is None or address in seen:
            return
        seen.add(address)
        state = _status(obj)
        found.append((kind, obj, address, "running" if state == "running" else "starting")
                     + _workers(info) + (_requested(obj), _adaptive(obj)))

    base = sys.modules.get("distributed.deploy.cluster")
    if base is not None:
        for cls in _classes(base.Cluster):
            for obj in list(cls.__dict__.get("_instances", ())):
                if _status(obj) not in ENDED:
                    add("cluster", obj, _address(obj), getattr(obj, "scheduler_info", None))
    gateway = sys.modules.get("dask_gateway.client")
    if gateway is not None:
        for obj in list(getattr(gateway.GatewayCluster, "_instances", ())):
            # Its status stays "running" when the cluster is stopped elsewhere;
            # the end of its scheduler's worker-status stream says so.
            watch = getattr(obj, "_watch_worker_status_task", None)
            if _status(obj) not in ENDED and not (watch is not None and watch.done()):
                add("gateway", obj, _address(obj), getattr(obj, "scheduler_info", None))
    client = sys.modules.get("distributed.client")
    if client is not None:
        for obj in list(getattr(client.Client, "_instances", ())):
            # A client of a cluster object is that cluster's; list the others.
            if getattr(obj, "cluster", None) is None and getattr(obj, "status", "") == "running":
                info = getattr(obj, "_scheduler_identity", None) or {}
                add("client", obj, info.get("address") or getattr(getattr(obj, "scheduler", None), "address", None), info)
    return found


def _variable(obj):
    try:
        namespace = _ip.user_ns
        for name, value in list(namespace.items()):
            if value is obj and not name.startswith("_"):
                return name
        for name, value in list(namespace.items()):
            if getattr(value, "cluster", None) is obj and not name.startswith("_"):
                return name + ".cluster"
    except Exception:
        pass
    return None


def _dashboard(kind, obj, address):
    if address in _links:
        return _links[address]
    link = None
    try:
        info = obj._scheduler_identity if kind == "client" else obj.scheduler_info
        port = (info or {}).get("services", {}).get("dashboard")
        if port or kind == "gateway":
            link = obj.dashboard_link
            if port and not str(link).startswith(("http://", "https://")):
                # A relative link (e.g. through a Jupyter proxy): the scheduler's own port.
                host = address.split("://", 1)[-1].rsplit(":", 1)[0]
                link = "http://%s:%s/status" % (host, port)
    except Exception:
        link = None
    _links[address] = link
    return link


def _credentials(obj):
    security = getattr(obj, "security", None)
    files = {}
    for field in ("tls_ca_file", "tls_client_cert", "tls_client_key"):
        value = getattr(security, field, None)
        if not isinstance(value, str) or value.lstrip().startswith("-----") or not os.path.isfile(value):
            return None
        files[field] = os.path.abspath(value)
    return files


def _report(scan):
    clusters = []
    for kind, obj, address, state, workers, cores, memory, requested, adaptive in scan:
        item = {
            "key": address,
            "kind": kind,
            "cls": type(obj).__name__,
            "variable": _variable(obj),
            "state": state,
            "address": address,
            "dashboard": _dashboard(kind, obj, address),
            "workers": workers,
            "cores": cores,
            "memory": memory,
            "requested": requested,
            "adaptive": list(adaptive) if adaptive else None,
            "tls": address.startswith("tls://"),
            "credentials": _credentials(obj) if address.startswith("tls://") else None,
        }
        if kind == "gateway":
            gateway = getattr(obj, "gateway", None)
            item["gateway"] = {
                "address": getattr(gateway, "address", None),
                "proxy": getattr(gateway, "proxy_address", None),
                "name": getattr(obj, "name", None),
            }
        clusters.append(item)
    return {"kind": "report", "clusters": clusters}


def _send(message, comms):
    for comm in comms:
        try:
            comm.send(message)
        except Exception:
            pass


def check(force=False, comms=None):
    """Send the clusters to the pages when they changed (or when forced)."""
    global _last
    if not _comms:
        return
    with _lock:
        scan = _scan()
        signature = tuple(entry[:1] + entry[2:] for entry in scan)
        if signature == _last and not force:
            return
        _last = signature
        for address in [a for a in _links if a not in {entry[2] for entry in scan}]:
            del _links[address]
        _send(_report(scan), list(_comms.values()) if comms is None else comms)
        _keep_ticking(bool(scan))


def _keep_ticking(wanted):
    global _timer
    if wanted == (_timer is not None):
        return
    kernel = _ip.kernel
    if wanted:
        from tornado.ioloop import PeriodicCallback

        _timer = PeriodicCallback(_tick, TICK_MS)
        kernel.io_loop.add_callback(_timer.start)
    else:
        timer, _timer = _timer, None
        kernel.io_loop.add_callback(timer.stop)


def _tick():
    try:
        check()
    except Exception:
        pass


def _post_run_cell(*_):
    # Never let a failure reach the user's cell.
    try:
        check()
    except Exception:
        pass


def _open(comm, msg):
    page = str(((msg or {}).get("content", {}).get("data") or {}).get("page", ""))
    with _lock:
        previous = _comms.pop(page, None)
        _comms[page] = comm
        while len(_comms) > MAX_PAGES:
            _close(_comms.pop(next(iter(_comms))))
    if previous is not None:
        _close(previous)

    def closed(_msg):
        with _lock:
            if _comms.get(page) is comm:
                del _comms[page]

    comm.on_close(closed)
    comm.on_msg(lambda _msg: check(force=True, comms=[comm]))
    check(force=True, comms=[comm])


def _close(comm):
    try:
        comm.close()
    except Exception:
        pass


def _find(key):
    for entry in _scan():
        if entry[2] == key:
            return entry[0], entry[1]
    raise RuntimeError("This cluster is no longer in the kernel (closed, or its variable was deleted).")


def act(key, verb, args):
    """Scale, adapt or stop the cluster at scheduler address key, then report."""
    kind, obj = _find(key)
    if kind == "client":
        raise RuntimeError(
            "This notebook holds only a Client connected to %s by address; "
            "scale or stop the cluster where it was created." % key
        )
    if verb == "scale":
        adaptive = getattr(obj, "_adaptive", None)
        if adaptive is not None and kind != "gateway":
            adaptive.stop()
        obj.scale(int(args["workers"]))
    elif verb == "adapt":
        obj.adapt(minimum=int(args["minimum"]), maximum=int(args["maximum"]))
    elif verb == "stop":
        if kind == "gateway":
            obj.shutdown()
        else:
            client = sys.modules.get("distributed.client")
            for other in list(getattr(client.Client, "_instances", ())) if client else ():
                if getattr(other, "cluster", None) is obj:
                    other.close()
            obj.close()
    else:
        raise RuntimeError("Unknown action %r." % verb)
    check(force=True)


def start(previous):
    """Register the comm target and the hook, taking over from an earlier bootstrap."""
    global _ip
    from IPython import get_ipython

    _ip = get_ipython()
    if previous is not None:
        _comms.update(previous.stop())
    _ip.kernel.comm_manager.register_target(TARGET, _open)
    _ip.events.register("post_run_cell", _post_run_cell)


def stop():
    """Unregister the hook and the timer; the open comms, for the next bootstrap."""
    try:
        _ip.events.unregister("post_run_cell", _post_run_cell)
    except Exception:
        pass
    _keep_ticking(False)
    with _lock:
        comms = dict(_comms)
        _comms.clear()
    return comms
`;

/**
 * The silent execute that installs `KERNEL_MODULE` and registers its comm
 * target; it leaves nothing in the user's namespace. It prints nothing in a
 * kernel without IPython's comms: the frontend then simply opens no comm.
 */
export function bootstrapCode(): string {
  return [
    'def _jupyterlab_dask_clusters_bootstrap(source):',
    '    import sys, types',
    '    name = "_jupyterlab_dask_clusters"',
    '    module = types.ModuleType(name)',
    '    exec(compile(source, "<jupyterlab-dask-clusters>", "exec"), module.__dict__)',
    '    previous = sys.modules.get(name)',
    '    sys.modules[name] = module',
    '    module.start(previous)',
    'try:',
    `    _jupyterlab_dask_clusters_bootstrap(${JSON.stringify(KERNEL_MODULE)})`,
    'finally:',
    '    del _jupyterlab_dask_clusters_bootstrap'
  ].join('\n');
}

/**
 * What an action asks of a kernel cluster.
 */
export type KernelAction =
  { verb: 'scale'; workers: number } | { verb: 'adapt'; minimum: number; maximum: number } | { verb: 'stop' };

/**
 * The silent execute that performs an action on the cluster at `key`.
 */
export function actionCode(key: string, action: KernelAction): string {
  const { verb, ...args } = action;
  // JSON strings are Python string literals; json.loads keeps the arguments data.
  return (
    '__import__("sys").modules["_jupyterlab_dask_clusters"].act(' +
    `${JSON.stringify(key)}, ${JSON.stringify(verb)}, ` +
    `__import__("json").loads(${JSON.stringify(JSON.stringify(args))}))`
  );
}
