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
exec jupyter lab --config "$here/jupyter_server_test_config.py"
