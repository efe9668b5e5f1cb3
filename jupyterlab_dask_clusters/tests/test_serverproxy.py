"""The entry point and the configuration it gives jupyter-server-proxy."""

from __future__ import annotations

import re
import sys
import warnings
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from packaging.version import Version

import jupyterlab_dask_clusters
from jupyterlab_dask_clusters import serverproxy
from jupyterlab_dask_clusters.serverproxy import (
    NODE_ENV,
    NODE_FLAGS,
    PYTHON_ENV,
    RUNNER_ENV,
    SetupError,
    setup_companion,
)

GROUP = "jupyter_serverproxy_servers"

# What jupyter-server-proxy fills into the templates, including awkward characters.
PROCESS_ARGS = {"unix_socket": "/tmp/jsp-x/socket", "base_url": "/user/a b/", "port": 0}


def render(value):
    """The templating jupyter-server-proxy applies to command and environment."""
    if isinstance(value, list):
        return [v.format(**PROCESS_ARGS) for v in value]
    return {k: v.format(**PROCESS_ARGS) for k, v in value.items()}


def command_parts(config):
    """node, its flags, the companion, the companion's arguments."""
    command = render(config["command"])
    n = len(NODE_FLAGS)
    return command[0], command[1 : 1 + n], command[1 + n], command[2 + n :]


def our_entry_point():
    found = [ep for ep in entry_points(group=GROUP) if ep.name == "dask-clusters"]
    if not found:
        pytest.fail(
            "No `dask-clusters` entry point in the group jupyter_serverproxy_servers: "
            "install the package first (`pip install -e .` at the top of the repository).",
            pytrace=False,
        )
    return found


def test_entry_point_is_registered_once():
    found = our_entry_point()
    assert len(found) == 1, [ep.value for ep in found]
    assert found[0].value == "jupyterlab_dask_clusters.serverproxy:setup_companion"


def test_entry_point_loads_the_setup_function():
    assert our_entry_point()[0].load() is setup_companion


def test_config_uses_a_unix_socket_and_no_port(built_outputs):
    config = setup_companion()
    assert config["unix_socket"] is True
    assert "port" not in config
    assert "{port}" not in " ".join(config["command"])
    assert config["absolute_url"] is False
    assert config["new_browser_tab"] is False
    assert config["launcher_entry"] == {"enabled": False}
    assert config["timeout"] >= 20


def test_command_runs_the_built_companion_with_node(built_outputs):
    node, flags, companion, args = command_parts(setup_companion())
    assert Path(node).is_absolute() and Path(node).is_file()
    assert flags == ["--max-semi-space-size=1", "--lite-mode"]
    assert Path(companion) == built_outputs["companion"]
    assert args == ["--socket", PROCESS_ARGS["unix_socket"], "--base-url", PROCESS_ARGS["base_url"]]


def test_the_bundle_loads_node_http_with_require_so_lite_mode_starts_on_node_22(built_outputs):
    """An ESM import of node:http builds its namespace, whose WebSocket getter loads undici, which
    Node 22 then compiles as WebAssembly at once: under --lite-mode the companion died at start
    (lib-server/build.mjs, httpByRequire)."""
    bundle = built_outputs["companion"].read_text()
    assert not re.search(r"""from\s*["'](node:)?http["']""", bundle)
    # require("node:http"), or what minifying renamed require to.
    assert re.search(r"""[\w$]+\(["']node:http["']\)""", bundle)


def test_environment_names_python_and_runner(built_outputs):
    env = render(setup_companion()["environment"])
    assert env[PYTHON_ENV] == sys.executable
    assert Path(env[RUNNER_ENV]).is_absolute()
    assert Path(env[RUNNER_ENV]) == built_outputs["runner"]


def test_jupyter_server_proxy_accepts_the_config(built_outputs):
    from jupyter_server_proxy.config import ServerProxy, make_server_process
    from jupyter_server_proxy.handlers import SuperviseAndProxyHandler

    with warnings.catch_warnings():
        # An unknown key would only produce a warning; make it fail instead.
        warnings.simplefilter("error")
        process = make_server_process("dask-clusters", setup_companion(), ServerProxy())
    assert process.unix_socket is True
    assert process.port == 0
    assert process.timeout == serverproxy.START_TIMEOUT
    assert process.launcher_entry.enabled is False
    handler, _ = process.make_proxy_handler()
    assert issubclass(handler, SuperviseAndProxyHandler)


@pytest.fixture
def package_dir(tmp_path, monkeypatch, make_executable):
    """A stand-in package directory with braces in its path, and a fake node."""
    root = tmp_path / "we{ir}d" / "jupyterlab_dask_clusters"
    (root / "companion").mkdir(parents=True)
    (root / "companion" / "main.mjs").write_text("// stand-in\n")
    (root / "runner.py").write_text("# stand-in\n")
    monkeypatch.setattr(serverproxy, "PACKAGE_DIR", root)
    monkeypatch.setenv(NODE_ENV, str(make_executable("n{o}de/node")))
    return root


def test_paths_with_braces_survive_the_templating(package_dir):
    config = setup_companion()
    node, _, companion, _ = command_parts(config)
    assert "n{o}de" in node and Path(node).is_file()
    assert Path(companion) == package_dir / "companion" / "main.mjs"
    assert render(config["environment"])[RUNNER_ENV] == str(package_dir / "runner.py")


def test_missing_companion_says_to_build(package_dir):
    (package_dir / "companion" / "main.mjs").unlink()
    with pytest.raises(SetupError, match=r"npm run build:prod"):
        setup_companion()


def test_missing_runner_is_an_error(package_dir):
    (package_dir / "runner.py").unlink()
    with pytest.raises(SetupError, match=r"runner"):
        setup_companion()


def test_bad_node_setting_fails_setup(package_dir, monkeypatch, tmp_path):
    monkeypatch.setenv(NODE_ENV, str(tmp_path / "no-such-node"))
    with pytest.raises(SetupError, match=NODE_ENV):
        setup_companion()


def test_labextension_paths_match_package_json(package_json):
    (entry,) = jupyterlab_dask_clusters._jupyter_labextension_paths()
    assert entry["dest"] == package_json["name"]
    declared = Path(package_json["jupyterlab"]["outputDir"])
    assert declared == Path("jupyterlab_dask_clusters") / entry["src"]


def test_version_comes_from_package_json(package_json):
    version = jupyterlab_dask_clusters.__version__
    assert version != "0.0.0+unknown", "No _version.py and no installed metadata: run `pip install -e .` first"
    assert Version(version) == Version(package_json["version"])
