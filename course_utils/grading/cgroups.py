"""The cgroup of one sandbox: memory, tasks and CPU time counted and limited by the kernel.

On cgroup v1 (separate ``memory``, ``pids`` and ``cpuacct`` hierarchies) a
group is made in each, under the grader's own; on cgroup v2 one group under
the grader's own. Either needs write access to the grader's cgroup (root, or
a delegated group); where there is none, :meth:`Cgroup.create` returns None
and :mod:`.limits` falls back on what it can watch from outside. Example::

    >>> group = Cgroup.create("abc123", memory_bytes=2 << 30, tasks=512)
    >>> group.procs_files()        # the files launch.py writes its pid into
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _self_cgroup(controller: str | None) -> str | None:
    """Return this process's cgroup path for a v1 ``controller`` (or the v2 path for None)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller is None and controllers == "":
            return path
        if controller is not None and controller in controllers.split(","):
            return path
    return None


class Cgroup:
    """The cgroup(s) of one sandbox: v1 memory + pids + cpuacct, or one v2 group; None where none is writable."""

    def __init__(self, dirs: dict[str, Path], version: int):
        self.dirs, self.version = dirs, version

    @classmethod
    def create(cls, name: str, memory_bytes: int, tasks: int) -> Cgroup | None:
        try:
            if (CGROUP_ROOT / "cgroup.controllers").exists():
                return cls._create_v2(name, memory_bytes, tasks)
            return cls._create_v1(name, memory_bytes, tasks)
        except OSError:
            return None

    @classmethod
    def _create_v1(cls, name, memory_bytes, tasks) -> Cgroup | None:
        dirs = {}
        try:
            for controller in ("memory", "pids", "cpuacct"):
                base = CGROUP_ROOT / controller
                own = _self_cgroup(controller)
                if own is None or not base.is_dir():
                    raise OSError(f"no {controller} controller")
                path = base / own.lstrip("/") / f"course-grading-{name}"
                path.mkdir()
                dirs[controller] = path
            (dirs["memory"] / "memory.limit_in_bytes").write_text(str(memory_bytes))
            swap = dirs["memory"] / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(str(memory_bytes))
            (dirs["pids"] / "pids.max").write_text(str(tasks))
        except OSError:
            Cgroup(dirs, 1).remove()
            return None
        return cls(dirs, 1)

    @classmethod
    def _create_v2(cls, name, memory_bytes, tasks) -> Cgroup | None:
        own = _self_cgroup(None)
        if own is None:
            return None
        parent = CGROUP_ROOT / own.lstrip("/")
        path = parent / f"course-grading-{name}"
        try:
            path.mkdir()
            (path / "memory.max").write_text(str(memory_bytes))
            (path / "memory.swap.max").write_text("0")
            (path / "pids.max").write_text(str(tasks))
        except OSError:
            Cgroup({"unified": path}, 2).remove()
            return None
        return cls({"unified": path}, 2)

    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs.values()]

    def _read(self, controller: str, name: str) -> str:
        try:
            return (self.dirs[controller if self.version == 1 else "unified"] / name).read_text()
        except (OSError, KeyError):
            return ""

    def memory_bytes(self) -> int:
        text = self._read("memory", "memory.usage_in_bytes" if self.version == 1 else "memory.current")
        return int(text or 0)

    def peak_memory_bytes(self) -> int:
        text = self._read("memory", "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak")
        return int(text or 0)

    def oom_killed(self) -> bool:
        text = self._read("memory", "memory.oom_control" if self.version == 1 else "memory.events")
        counts = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
        return int(counts.get("oom_kill", 0)) > 0

    def tasks(self) -> int:
        return int(self._read("pids", "pids.current") or 0)

    def peak_tasks(self) -> int:
        return int(self._read("pids", "pids.peak") or 0)

    def tasks_refused(self) -> int:
        counts = dict(line.split() for line in self._read("pids", "pids.events").splitlines() if len(line.split()) == 2)
        return int(counts.get("max", 0))

    def cpu_seconds(self) -> float:
        if self.version == 1:
            return int(self._read("cpuacct", "cpuacct.usage") or 0) / 1e9
        stat = dict(line.split() for line in self._read("unified", "cpu.stat").splitlines() if len(line.split()) == 2)
        return int(stat.get("usage_usec", 0)) / 1e6

    def kill_all(self) -> int:
        """Kill every process left in the cgroup; return how many there were."""
        import signal

        killed = 0
        for _ in range(50):
            pids = {int(p) for f in self.procs_files() for p in _lines(f)}
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except ProcessLookupError:
                    pass
            threading.Event().wait(0.02)
        return killed

    def remove(self) -> None:
        for path in self.dirs.values():
            try:
                path.rmdir()
            except OSError:
                pass


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().split()
    except OSError:
        return []
