"""Cost of the kernel-side check that runs after every notebook cell.

Runs the frontend's own kernel module (src/kernel/bootstrap.ts, read by
kernel_source.py) in this process with a fake comm, and times its
post_run_cell hook: no page connected, distributed not imported (in a fresh
interpreter), no cluster, one LocalCluster, two clusters and two clients.
The hook sends nothing when nothing changed, which is the case measured.
Prints microseconds per call (best of 3 x 2000) and writes a JSON result.

    .venv/bin/python bench/kernel_hook.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernel_source import load_kernel_module  # noqa: E402

CALLS = 2000
ROUNDS = 3


class FakeComm:
    def __init__(self):
        self.sent = 0

    def send(self, _message):
        self.sent += 1


def prepared(user_ns: dict, with_comm: bool = True):
    module = load_kernel_module()
    loop = SimpleNamespace(add_callback=lambda *_: None)
    module._ip = SimpleNamespace(user_ns=user_ns, kernel=SimpleNamespace(io_loop=loop))
    comm = FakeComm()
    if with_comm:
        module._comms["page"] = comm
    return module, comm


def per_call_us(module) -> float:
    module._post_run_cell(None)  # the first call reports; later ones find no change
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(CALLS):
            module._post_run_cell(None)
        best = min(best, time.perf_counter() - start)
    return best / CALLS * 1e6


def fresh_interpreter_case() -> float:
    """distributed never imported: measured in a child interpreter."""
    code = (
        "import sys; sys.path.insert(0, %r); import kernel_hook as k; "
        "m, _ = k.prepared({}); print(k.per_call_us(m))" % str(Path(__file__).resolve().parent)
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    results = {}
    module, _ = prepared({}, with_comm=False)
    results["no page connected"] = per_call_us(module)
    results["distributed not imported"] = fresh_interpreter_case()

    from distributed import Client, LocalCluster

    module, _ = prepared({})
    results["0 clusters"] = per_call_us(module)

    kwargs = dict(n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0")
    first = LocalCluster(**kwargs)
    namespace = {"cluster": first}
    module, comm = prepared(namespace)
    results["1 cluster"] = per_call_us(module)

    second = LocalCluster(**kwargs)
    clients = [Client(first), Client(second)]
    namespace.update(second=second, c1=clients[0], c2=clients[1])
    module, comm = prepared(namespace)
    results["2 clusters + 2 clients"] = per_call_us(module)
    sent_while_idle = comm.sent - 1

    for client in clients:
        client.close()
    first.close()
    second.close()

    width = max(len(name) for name in results)
    for name, value in results.items():
        print(f"{name:<{width}}  {value:7.2f} us per cell")
    print(f"messages sent by {ROUNDS * CALLS} unchanged checks: {sent_while_idle}")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (out / f"kernel_hook-{stamp}.json").write_text(
        json.dumps(
            {"us_per_call": results, "calls": CALLS, "rounds": ROUNDS, "sent_while_idle": sent_while_idle}, indent=2
        )
    )


if __name__ == "__main__":
    main()
