"""Process memory for the status bar, without psutil: /proc on Linux, `resource` elsewhere."""

from __future__ import annotations

import sys
from pathlib import Path


def process_memory() -> tuple[int, str] | None:
    """(bytes, kind) where kind is 'resident' (current RSS) or 'peak' (maximum RSS so far),
    or None where neither is available (Windows without /proc or `resource`)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024, "resident"
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (peak if sys.platform == "darwin" else peak * 1024), "peak"
