"""Snapshots of process trees for the orphan tests: psutil when installed, /proc otherwise.

A process is named by its pid and its start time, so a pid that the kernel hands
to a new process after the old one died never counts as a survivor.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable
from typing import NamedTuple

try:
    import psutil
except ImportError:  # the /proc fallback below covers Linux
    psutil = None


class Proc(NamedTuple):
    """One process as it was seen."""

    pid: int
    started: float
    cmdline: tuple[str, ...]

    def describe(self) -> str:
        """The pid and command line, for failure messages."""
        return f"{self.pid}: {' '.join(self.cmdline)[:200]}"


def _read_proc(pid: int) -> tuple[int, float, str, tuple[str, ...]] | None:
    """(parent pid, start time, state, command line) from /proc, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = tuple(a.decode(errors="replace") for a in f.read().split(b"\0") if a)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name in parentheses may hold spaces; fields after it are fixed.
    rest = stat[stat.rindex(")") + 2 :].split()
    state, ppid, started = rest[0], int(rest[1]), float(rest[19])
    return ppid, started, state, cmdline


def _psutil_proc(p: psutil.Process) -> Proc | None:
    try:
        return Proc(p.pid, p.create_time(), tuple(p.cmdline()))
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return None


def get(pid: int) -> Proc | None:
    """The process with this pid now, or None."""
    if psutil is not None:
        try:
            return _psutil_proc(psutil.Process(pid))
        except psutil.NoSuchProcess:
            return None
    info = _read_proc(pid)
    return None if info is None else Proc(pid, info[1], info[3])


def descendants(pid: int) -> list[Proc]:
    """Every living process below pid (children, their children, ...)."""
    if psutil is not None:
        try:
            children = psutil.Process(pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        return [p for p in map(_psutil_proc, children) if p is not None]

    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = _read_proc(int(entry))
            if info is not None:
                parents.setdefault(info[0], []).append(int(entry))
    found: list[Proc] = []
    todo = list(parents.get(pid, []))
    while todo:
        child = todo.pop()
        proc = get(child)
        if proc is not None:
            found.append(proc)
        todo.extend(parents.get(child, []))
    return found


def is_alive(proc: Proc) -> bool:
    """Whether that very process still runs (a zombie has finished running)."""
    if psutil is not None:
        try:
            p = psutil.Process(proc.pid)
            return p.create_time() == proc.started and p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
    info = _read_proc(proc.pid)
    return info is not None and info[1] == proc.started and info[2] not in ("Z", "X")


def survivors(procs: Iterable[Proc], within: float) -> list[Proc]:
    """Those of procs still alive after waiting up to `within` seconds for all to end."""
    procs = list(procs)
    deadline = time.monotonic() + within
    while True:
        alive = [p for p in procs if is_alive(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.25)


def kill_all(procs: Iterable[Proc]) -> None:
    """SIGKILL whichever of procs still runs, so a failed test leaves nothing behind."""
    for p in procs:
        if is_alive(p):
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
