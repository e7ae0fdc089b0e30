"""The automatic thread count: the cores other programs leave free, measured from /proc/stat
with this process's own CPU time taken out."""

import pytest

from engine import threads
from engine.device import set_threads


def fake_stat(monkeypatch, samples, cores=2, own_cpu=0.0):
    """/proc/stat gives `samples` (busy, total jiffies) one after the other; this process used
    `own_cpu` seconds meanwhile."""
    readings = iter(samples)
    monkeypatch.setattr(threads, "_cpu_jiffies", lambda: next(readings))
    monkeypatch.setattr(threads.os, "cpu_count", lambda: cores)
    clock = iter([0.0, own_cpu])
    monkeypatch.setattr(threads.time, "process_time", lambda: next(clock))
    monotonic = iter([0.0, 1.0])
    monkeypatch.setattr(threads.time, "monotonic", lambda: next(monotonic))
    monkeypatch.setattr(threads.time, "sleep", lambda seconds: None)


@pytest.mark.parametrize("busy_jiffies, own_cpu, expected", [
    (0, 0.0, 2),      # idle: both cores
    (100, 0.0, 1),    # another program keeps one core busy: one thread
    (100, 1.0, 2),    # the busy core is this process's own work: both
    (190, 0.0, 1),    # both cores busy: still one thread, never none
    (40, 0.0, 2),     # light background work does not take a core away
])
def test_threads_are_the_cores_others_leave_free(monkeypatch, busy_jiffies, own_cpu, expected):
    fake_stat(monkeypatch, [(1000, 10_000), (1000 + busy_jiffies, 10_200)], own_cpu=own_cpu)
    assert threads.automatic_threads() == expected


def test_without_proc_stat_the_load_average_counts(monkeypatch):
    monkeypatch.setattr(threads, "_cpu_jiffies", lambda: None)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (2.2, 0.0, 0.0), raising=False)
    assert threads.automatic_threads() == 2


def test_set_threads_none_is_automatic_and_a_number_is_kept(monkeypatch):
    monkeypatch.setattr("engine.device.automatic_threads", lambda: 1)
    assert set_threads(None) == 1
    assert set_threads(2) == 2
    set_threads(1)
