"""The kernel-side Python the frontend sends (src/kernel/bootstrap.ts), for benches and tests.

The module text lives in TypeScript as one String.raw template; the frontend
wraps it in a silent execute. This reads the same text, so what is measured
and tested here is what kernels run.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

BOOTSTRAP_TS = Path(__file__).resolve().parents[1] / "src" / "kernel" / "bootstrap.ts"


def kernel_module_source() -> str:
    """The text of KERNEL_MODULE."""
    text = BOOTSTRAP_TS.read_text()
    match = re.search(r"export const KERNEL_MODULE = String\.raw`(.*?)`;", text, re.S)
    if match is None:
        raise RuntimeError(f"KERNEL_MODULE not found in {BOOTSTRAP_TS}")
    return match.group(1)


def load_kernel_module() -> types.ModuleType:
    """KERNEL_MODULE as a fresh module (not registered in sys.modules)."""
    module = types.ModuleType("_jupyterlab_dask_clusters_bench")
    exec(compile(kernel_module_source(), "<jupyterlab-dask-clusters>", "exec"), module.__dict__)
    return module


if __name__ == "__main__":
    sys.stdout.write(kernel_module_source())
