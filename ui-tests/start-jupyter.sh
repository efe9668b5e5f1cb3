#!/usr/bin/env bash
# Starts the JupyterLab that the browser tests drive, with fresh state:
# its own Jupyter dirs, workspace, settings and cluster registry.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="$here/.jupyter-state/${UI_TESTS_PORT:-8888}"
rm -rf "$state"
mkdir -p "$state/notebooks"
export JUPYTER_CONFIG_DIR="$state/config"
export JUPYTERLAB_SETTINGS_DIR="$state/settings"
export JUPYTERLAB_WORKSPACES_DIR="$state/workspaces"
export JUPYTERLAB_DASK_CLUSTERS_STATE_DIR="$state/clusters"
export PATH="$here/../.venv/bin:$PATH"

# The test SLURM (make slurm-up), when it runs: the lab then offers the slurm type.
if [ -f /tmp/jdc-slurm/env ]; then
  set -a
  . /tmp/jdc-slurm/env
  set +a
  # Job credentials and logs with the rest of the test state (one node: shared).
  export JUPYTERLAB_DASK_CLUSTERS_SLURM_DIR="$state/slurm"
fi

# The test Grid Engine (make sge-up), when it runs: SGE_ROOT, SGE_CELL and its commands' directory
# on PATH, so the lab offers the sge type.
sge_env="${JDC_SGE_DIR:-/tmp/jdc-sge}/env"
if [ -f "$sge_env" ]; then
  set -a
  . "$sge_env"
  set +a
  export PATH="$PATH:$JDC_SGE_BIN"
  # Job credentials and logs with the rest of the test state (one host: shared).
  export JUPYTERLAB_DASK_CLUSTERS_SGE_DIR="$state/sge"
fi

# The test Dask Gateway (make gateway-up), when it runs: the lab then offers the gateway
# type, and kernels find the credentials where users keep them (dask config, here as
# DASK_GATEWAY__* variables), never in a cell.
gateway_env="${JDC_GATEWAY_DIR:-/tmp/jdc-gateway}/env"
if [ -f "$gateway_env" ]; then
  set -a
  . "$gateway_env"
  set +a
  DASK_GATEWAY__AUTH__KWARGS__PASSWORD="$(cat "$JDC_GATEWAY_PASSWORD_FILE")"
  export DASK_GATEWAY__AUTH__KWARGS__PASSWORD
fi

# The site's own cluster types, as an administrator adds them (dask config, here
# DASK_CONFIG; a copy, since dask packages may write their YAML beside it), with the
# facility's cluster class on the Python path.
mkdir -p "$state/dask"
cp "$here/../jupyterlab_dask_clusters/tests/site/site-types.yaml" "$state/dask/"
export DASK_CONFIG="$state/dask"
export PYTHONPATH="$here/../jupyterlab_dask_clusters/tests/site${PYTHONPATH:+:$PYTHONPATH}"

# A second Python kernelspec whose environment lacks distributed: the dialog
# must list it, disabled, with the reason.
python3 -m venv --without-pip "$state/bare-env"
mkdir -p "$state/jupyter-path/kernels/bare"
cat > "$state/jupyter-path/kernels/bare/kernel.json" <<JSON
{"argv": ["$state/bare-env/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
 "display_name": "Bare Python", "language": "python"}
JSON
export JUPYTER_PATH="$state/jupyter-path"

# A site-wide default, the way administrators layer them: a preset everyone sees.
mkdir -p "$JUPYTER_CONFIG_DIR/labconfig"
cat > "$JUPYTER_CONFIG_DIR/labconfig/default_setting_overrides.json" <<JSON
{"jupyterlab-dask-clusters:plugin": {"presets": [
  {"name": "Site: one small worker", "type": "local",
   "options": {"workers": 1, "threads_per_worker": 1, "memory_per_worker": "512 MiB"}}
]}}
JSON
export JUPYTERLAB_GALATA_ROOT_DIR="$state/notebooks"
cd "$state/notebooks"
exec jupyter lab --config "$here/jupyter_server_test_config.py" --port "${UI_TESTS_PORT:-8888}"
