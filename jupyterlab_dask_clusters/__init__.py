"""Dask clusters from a JupyterLab sidebar: the labextension, its companion server and the runner."""

try:
    from ._version import __version__
except ImportError:  # a checkout that hatch has not built yet writes no _version.py
    try:
        from importlib.metadata import PackageNotFoundError, version

        __version__ = version("jupyterlab-dask-clusters")
    except PackageNotFoundError:
        __version__ = "0.0.0+unknown"


def _jupyter_labextension_paths():
    """Where `jupyter labextension develop` finds the built labextension."""
    return [{"src": "labextension", "dest": "jupyterlab-dask-clusters"}]
