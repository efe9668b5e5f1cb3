# dask-gateway-server configuration for the test gateway started by gateway.sh.
#
# Everything machine-specific comes from environment variables that gateway.sh sets:
#   JDC_GATEWAY_DIR            state directory (cluster working directories live below it)
#   JDC_GATEWAY_API_PORT       port of the private API server (127.0.0.1)
#   JDC_GATEWAY_PROXY_PORT     port of the proxy: public HTTP API, dashboards and scheduler TLS
#   JDC_GATEWAY_PASSWORD_FILE  file holding the shared password of the SimpleAuthenticator
#   JDC_GATEWAY_VENV           virtualenv whose `dask` starts the schedulers and workers
#
# The cluster options offer one field of every type the gateway knows, so that a client can be
# tested against each: Integer, Float, String, Bool, Select and Mapping. The handler also has rules
# of its own that the options' bounds cannot say (a client learns them only from the gateway's
# 422), and a Select naming the software environment, as sites offer their conda environments.
import os

from dask_gateway_server.options import Bool, Float, Integer, Mapping, Options, Select, String

c = get_config()  # noqa: F821 (provided by the traitlets config loader)

state = os.environ["JDC_GATEWAY_DIR"]
venv = os.environ["JDC_GATEWAY_VENV"]
with open(os.environ["JDC_GATEWAY_PASSWORD_FILE"]) as f:
    password = f.read().strip()

c.DaskGateway.address = "127.0.0.1:%s" % os.environ["JDC_GATEWAY_API_PORT"]
c.Proxy.address = "127.0.0.1:%s" % os.environ["JDC_GATEWAY_PROXY_PORT"]
c.DaskGateway.log_level = os.environ.get("JDC_GATEWAY_LOG_LEVEL", "INFO")

# Local processes running as the gateway's own user: for tests only.
c.DaskGateway.backend_class = "dask_gateway_server.backends.local.UnsafeLocalBackend"
c.LocalBackend.clusters_directory = os.path.join(state, "clusters")
# Recent distributed ships only the `dask` command (no dask-scheduler/dask-worker scripts).
c.ClusterConfig.scheduler_cmd = [os.path.join(venv, "bin", "dask"), "scheduler"]
c.ClusterConfig.worker_cmd = [os.path.join(venv, "bin", "dask"), "worker"]
# Keep a runaway test from filling the machine.
c.ClusterConfig.cluster_max_workers = 4

# Any user name, one shared password.
c.DaskGateway.authenticator_class = "dask_gateway_server.auth.SimpleAuthenticator"
c.SimpleAuthenticator.password = password

PROFILES = {
    # name: (idle timeout in seconds, 0 = never), shown to users as the Select's choices
    "standard": 0,
    "short-lived": 600,
}

# Software environments a worker may use, by the names a site would give them; the worker learns
# the chosen one from JDC_PYTHON_ENV (a real site would start the worker in that environment).
PYTHON_ENVS = ["default", "analysis"]

# A rule only the handler knows: at most this much worker memory per worker core.
MAX_GIB_PER_CORE = 4


def options_handler(options):
    """Turn the user's choices into ClusterConfig settings."""
    if options.worker_memory > MAX_GIB_PER_CORE * options.worker_cores:
        # The gateway answers 422 with this text; it names the option first, so clients can put
        # it next to that field.
        raise ValueError(
            "worker_memory may be at most %d GiB per worker core: %g GiB asked with %d core(s)"
            % (MAX_GIB_PER_CORE, options.worker_memory, options.worker_cores)
        )
    env = {str(k): str(v) for k, v in options.environment.items()}
    env["JDC_CLUSTER_PROFILE"] = options.profile
    env["JDC_PYTHON_ENV"] = options.python_env
    if options.label:
        env["JDC_CLUSTER_LABEL"] = options.label
    if options.verbose:
        env["DASK_LOGGING__DISTRIBUTED"] = "debug"
    return {
        "worker_cores": options.worker_cores,
        "worker_threads": options.worker_cores,
        "worker_memory": int(options.worker_memory * 2**30),
        "idle_timeout": PROFILES[options.profile],
        "environment": env,
    }


c.Backend.cluster_options = Options(
    Integer("worker_cores", default=1, min=1, max=4, label="Worker cores"),
    Float("worker_memory", default=1.0, min=0.5, max=8.0, label="Worker memory (GiB)"),
    String("label", default="", label="Cluster label"),
    Bool("verbose", default=False, label="Verbose worker logs"),
    Select("profile", list(PROFILES), default="standard", label="Profile"),
    Mapping("environment", default={}, label="Environment variables"),
    Select("python_env", PYTHON_ENVS, default="default", label="Software environment"),
    handler=options_handler,
)
