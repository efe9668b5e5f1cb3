"""Worker preload of a runner host's clusters (runner.py, HostedSession):
their worker processes' stderr goes to their own cluster's log, not the
host's. Standalone and a few lines, as every such worker process imports it.
The variable is set only in those processes, by their nanny."""

import os

# runner.py sets it under the same name (WORKER_LOG_VARIABLE).
VARIABLE = "JUPYTERLAB_DASK_CLUSTERS_WORKER_LOG"


def dask_setup(worker):
    path = os.environ.get(VARIABLE)
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(fd, 2)
        os.dup2(fd, 1)
        os.close(fd)
