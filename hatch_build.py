"""Build hook: a wheel or sdist made from a source checkout always carries release builds.

A developer's checkout usually holds development builds (source maps,
build_log.json, unminified code), which must never reach users. So when the
npm packages are installed here (a checkout, not an unpacked sdist), the hook
runs `npm run build:prod` first; an sdist already carries release builds and
needs no Node to make a wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

OUTPUTS = (
    "jupyterlab_dask_clusters/labextension/package.json",
    "jupyterlab_dask_clusters/companion/main.mjs",
    "jupyterlab_dask_clusters/runner.py",
)


class ReleaseBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if version == "editable":
            return  # `make` builds for development
        root = Path(self.root)
        if (root / "node_modules").is_dir() and (root / "src").is_dir():
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError(
                    "npm is needed to build jupyterlab-dask-clusters from a checkout; install Node.js 20.19+"
                )
            # The npm scripts call jupyter-builder, which sits beside this interpreter.
            path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
            subprocess.run([npm, "run", "build:prod"], cwd=root, check=True, env=dict(os.environ, PATH=path))
        missing = [name for name in OUTPUTS if not (root / name).is_file()]
        if missing:
            raise RuntimeError(
                "Build outputs are missing: " + ", ".join(missing) + ". Build from a checkout with the npm "
                "packages installed (npm install), or from an sdist, which carries them."
            )
