"""How many cores this process may run on: its CPU affinity (a container's or
`taskset`'s limit) where the system reports one, else the machine's count."""

from __future__ import annotations

import os


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
