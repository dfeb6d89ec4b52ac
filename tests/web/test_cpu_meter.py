"""The review index's background pass waits while the machine is busy answering users."""
import asyncio
import multiprocessing
import os
import time

import pytest

from sqlalchemy import func, select

from claudia.review_models import ReviewMessage
from tests.web.test_review_pages import site  # noqa: F401 (fixture)
from web.cpu_meter import CpuMeter


def _stat(path, busy, idle):
    # user nice system idle iowait irq softirq steal guest guest_nice
    path.write_text(f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 {busy} 0 0 {idle} 0 0 0 0 0 0\nintr 1\n")


def test_the_busy_share_is_read_from_the_kernels_counters(tmp_path):
    stat = tmp_path / "stat"
    _stat(stat, busy=1000, idle=1000)
    meter = CpuMeter(stat)
    _stat(stat, busy=1090, idle=1010)
    assert meter.busy_fraction() == pytest.approx(0.9)
    _stat(stat, busy=1100, idle=1100)
    assert meter.busy_fraction() == pytest.approx(0.1)
    assert meter.busy_fraction() == 0.0  # nothing elapsed: not busy
    assert CpuMeter(tmp_path / "absent").busy_fraction() == 0.0


def _spin(seconds):
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        pass


def test_a_machine_whose_processors_all_work_reads_busy():
    meter = CpuMeter()
    spinners = [multiprocessing.get_context("fork").Process(target=_spin, args=(1.5,))
                for _ in range(os.cpu_count() or 1)]
    for spinner in spinners:
        spinner.start()
    time.sleep(1.0)
    busy = meter.busy_fraction()
    for spinner in spinners:
        spinner.join()
    assert busy > 0.8


def _indexed(review):
    with review.db.read() as session:
        return session.execute(select(func.count()).select_from(ReviewMessage)).scalar()


def test_the_background_pass_waits_while_the_machine_is_busy_but_not_longer_than_its_limit(site, tmp_path):  # noqa: F811
    tracker, review, _ = site
    stat = tmp_path / "stat"
    counters = {"busy": 1000, "idle": 1000}

    def tick(busy_share):
        counters["busy"] += round(100 * busy_share)
        counters["idle"] += round(100 * (1 - busy_share))
        _stat(stat, **counters)

    _stat(stat, **counters)
    tracker.say("conv-1", "je veux activer ma structure", "activer_structure")

    async def scenario():
        meter = CpuMeter(stat)
        tick(0.95)
        task = asyncio.create_task(review.run_indexer(every=0.05, meter=meter, longest_wait=1.0))
        seen = []
        for _ in range(8):  # 0.4 s of a busy machine: nothing indexed
            tick(0.95)
            await asyncio.sleep(0.05)
            seen.append(_indexed(review))
        assert seen == [0] * 8
        for _ in range(30):  # still busy, but the pass waits one second at most
            tick(0.95)
            await asyncio.sleep(0.05)
            if _indexed(review):
                break
        assert _indexed(review) == 1
        tracker.say("conv-2", "merci", "remercier")
        for _ in range(10):  # the machine is quiet again: the next message comes at once
            tick(0.2)
            await asyncio.sleep(0.05)
            if _indexed(review) == 2:
                break
        assert _indexed(review) == 2
        task.cancel()

    asyncio.run(scenario())
