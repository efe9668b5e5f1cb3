#!/usr/bin/env bash
# Starts the JupyterLab that the browser tests drive, with fresh state:
# its own Jupyter dirs, workspace, settings and cluster registry.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="$here/.jupyter-state"
rm -rf "$state"
mkdir -p "$state/notebooks"
export JUPYTER_CONFIG_DIR="$state/config"
export JUPYTERLAB_SETTINGS_DIR="$state/settings"
export JUPYTERLAB_WORKSPACES_DIR="$state/workspaces"
export JUPYTERLAB_DASK_CLUSTERS_STATE_DIR="$state/clusters"
export PATH="$here/../.venv/bin:$PATH"
export JUPYTERLAB_GALATA_ROOT_DIR="$state/notebooks"
cd "$state/notebooks"
exec jupyter lab --config "$here/jupyter_server_test_config.py"
