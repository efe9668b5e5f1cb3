"""The runner's idle watch of a scheduler it does not hold (a gateway's): it
asks the scheduler for its activity, never ends a cluster that has a task
running, and ends one without tasks for its idle timeout, saying so first."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

from jupyterlab_dask_clusters import runner


def test_a_remote_scheduler_ends_after_its_idle_timeout_and_not_while_a_task_runs(monkeypatch):
    from distributed import Client, LocalCluster

    monkeypatch.setattr(runner, "REMOTE_IDLE_POLL_INTERVAL", 0.2)
    events = []

    async def main():
        async with LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, asynchronous=True, dashboard_address=None
        ) as cluster:
            # Only the scheduler's address: what a cluster with a remote scheduler offers.
            remote = SimpleNamespace(scheduler_comm=cluster.scheduler_comm)
            ended = asyncio.Event()
            watch = runner.IdleWatch(remote, SimpleNamespace(emit=events.append), 0.02, ended.set)
            async with Client(cluster, asynchronous=True) as client:
                task = client.submit(time.sleep, 3)
                await asyncio.sleep(0.5)
                started = time.monotonic()
                watch.start()
                await task
                # Busy for 2.5 s, more than its 1.2 s timeout: still not ended.
                assert not ended.is_set()
                await asyncio.wait_for(ended.wait(), timeout=10)
                return time.monotonic() - started

    elapsed = asyncio.run(main())
    assert events == [{"event": "ending", "reason": "idle", "minutes": 0.02}]
    assert elapsed > 2.5 + 1.2 - 0.3
