"""End-to-end check of the test gateway with the dask_gateway client.

Run through `gateway.sh check` (which exports the variables of $JDC_GATEWAY_DIR/env), with any
Python that has dask-gateway installed. Exits non-zero at the first thing that is not as expected.
"""

import base64
import json
import os
import sys
import time
import urllib.request

from dask_gateway import BasicAuth, Gateway

address = os.environ["JDC_GATEWAY_ADDRESS"]
proxy_address = os.environ["JDC_GATEWAY_PROXY_ADDRESS"]
venv = os.environ["JDC_GATEWAY_VENV"]
with open(os.environ["JDC_GATEWAY_PASSWORD_FILE"]) as f:
    password = f.read().strip()


# The default list is made once, at import: it holds the start time every step is timed from.
def step(msg, t0=[time.monotonic()]):  # noqa: B006
    print(f"[{time.monotonic() - t0[0]:6.2f}s] {msg}", flush=True)


def fail(msg):
    print("check_gateway: FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def cluster_processes():
    """Schedulers and workers (and their children) started from the gateway's venv: every
    process of the venv except this one, the server and its proxy."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        server = any(a.endswith(("/dask-gateway-server", "/dask-gateway-proxy")) for a in argv)
        if any(venv + "/" in a for a in argv) and not server:
            found.append((int(pid), " ".join(argv).strip()))
    return found


# The REST form of the options, as the browser-side code will see it.
token = base64.b64encode(f"check:{password}".encode()).decode()
req = urllib.request.Request(address + "/api/v1/options", headers={"Authorization": "Basic " + token})
with urllib.request.urlopen(req, timeout=10) as r:
    rest = json.load(r)
step("GET /api/v1/options ->")
print(json.dumps(rest, indent=2))
types = sorted({o["spec"]["type"] for o in rest["cluster_options"]})
if types != ["bool", "float", "int", "mapping", "select", "string"]:
    fail(f"option types are {types}")

gateway = Gateway(address, proxy_address=proxy_address, auth=BasicAuth("check", password))
options = gateway.cluster_options()
step("cluster_options(): " + ", ".join(f"{k}={options[k]!r}" for k in options))
options.worker_cores = 2
options.worker_memory = 1.5
options.label = "e2e"
options.verbose = True
options.profile = "short-lived"
options.environment = {"JDC_CHECK": "yes"}

cluster = gateway.new_cluster(options)
step(f"new_cluster -> {cluster.name}")
try:
    cluster.scale(1)
    client = gateway.connect(cluster.name).get_client()
    client.wait_for_workers(1, timeout=120)
    step(f"1 worker connected; dashboard {cluster.dashboard_link}")
    total = client.submit(sum, range(101)).result()
    if total != 5050:
        fail(f"sum(range(101)) gave {total}")
    step(f"computation result {total}")
    workers = client.scheduler_info()["workers"].values()
    info = [(w["nthreads"], w["memory_limit"]) for w in workers]
    if info != [(2, int(1.5 * 2**30))]:
        fail(f"workers have (nthreads, memory_limit) {info}")
    env = client.run(
        lambda: {
            k: os.environ.get(k)
            for k in ("JDC_CHECK", "JDC_CLUSTER_LABEL", "JDC_CLUSTER_PROFILE", "DASK_LOGGING__DISTRIBUTED")
        }
    )
    seen = list(env.values())[0]
    if seen != {
        "JDC_CHECK": "yes",
        "JDC_CLUSTER_LABEL": "e2e",
        "JDC_CLUSTER_PROFILE": "short-lived",
        "DASK_LOGGING__DISTRIBUTED": "debug",
    }:
        fail(f"worker environment {seen}")
    step(f"worker nthreads/memory {info}, environment {seen}")
    report = gateway.get_cluster(cluster.name)
    step(f"cluster report: status={report.status.name} options={report.options}")
    client.close()
finally:
    gateway.stop_cluster(cluster.name)
step("stop_cluster sent")

deadline = time.monotonic() + 30
while (gateway.list_clusters() or cluster_processes()) and time.monotonic() < deadline:
    time.sleep(0.5)
if gateway.list_clusters():
    fail(f"clusters still listed: {gateway.list_clusters()}")
left = cluster_processes()
if left:
    fail(f"processes still running: {left}")
step("no cluster listed, no scheduler or worker process left")
gateway.close()
print("GATEWAY check passed")
