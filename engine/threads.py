"""How many CPU threads a job should use: the cores no other program is using right now.

Measured (docs/benchmarks.md, "Threads"): on 2 cores with another busy program, two torch threads
ran a small generation 2.0-2.8 times slower than one (threads that spin while waiting for each
other fight the other program for the core), and on an idle machine one thread was 1.4-1.7 times
slower than two. No fixed count is within 1.5 times of the best in both cases, and OpenMP's
passive waiting, which fixes the first, loses the second (1.6-1.8 times slower for small work).
So each job counts the cores that other processes keep busy over a short sample and takes the
rest (at least one).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

SAMPLE_SECONDS = 0.1
BUSY_CORE_SHARE = 0.5  # a core busier than this with other programs' work is theirs
PROC_STAT = Path("/proc/stat")


def automatic_threads(sample_seconds: float = SAMPLE_SECONDS) -> int:
    """The number of cores, less those other processes keep busy (at least 1)."""
    cores = os.cpu_count() or 1
    busy = other_processes_busy_cores(sample_seconds)
    return max(1, cores - int(busy + (1 - BUSY_CORE_SHARE)))


def other_processes_busy_cores(sample_seconds: float = SAMPLE_SECONDS) -> float:
    """Cores' worth of CPU time that processes other than this one used over `sample_seconds`:
    from /proc/stat on Linux, else the 1-minute load average (which counts this process too)."""
    first = _cpu_jiffies()
    if first is None:
        return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    own_start, start = time.process_time(), time.monotonic()
    time.sleep(sample_seconds)
    second = _cpu_jiffies()
    elapsed, own = time.monotonic() - start, time.process_time() - own_start
    busy_share = (second[0] - first[0]) / max(second[1] - first[1], 1)  # of all cores' time
    return max(0.0, busy_share * (os.cpu_count() or 1) - own / max(elapsed, 1e-9))


def _cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) jiffies of all cores since boot, or None where /proc/stat is not there."""
    try:
        fields = [int(value) for value in PROC_STAT.read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)
