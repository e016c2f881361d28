"""Limits on every resource a sandbox can take, enforced from outside it, and what it took.

=================  ===================================================================
resource           how it is limited
=================  ===================================================================
memory             a memory cgroup (v1 ``memory.limit_in_bytes`` or v2 ``memory.max``;
                   tmpfs pages count); without a writable cgroup, the resident memory
                   of the process tree sampled every 0.05 s (a fallback, and said so)
tasks              a pids cgroup (``pids.max``); without one, ``RLIMIT_NPROC`` for the
                   sandbox's own uid (as root) or the grader's uid (shared, said so)
output             the kernel's stdout/stderr go to a pipe the grader drains and counts;
                   cell outputs and kernel messages are capped by :mod:`.kernel`
file size          ``RLIMIT_FSIZE``; the tmpfs of home, /tmp and /dev/shm have sizes;
                   the folder shared with the grader is measured and capped
CPU time           ``RLIMIT_CPU`` per process; the wall-clock limits of :mod:`.kernel`
=================  ===================================================================

Used by :mod:`.kernel` and :mod:`.checker`::

    >>> with Enforcement(Limits(memory_mb=2048), "alice-02", uid=64000) as box:
    ...     subprocess.run(box.launcher(program))
    >>> box.usage()      # {"memory_mb": ..., "tasks": ..., "limits_hit": [...]}
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .cgroups import Cgroup

@dataclass
class Limits:
    """The limits of one sandbox (sizes in MB)."""

    memory_mb: float = 4096
    tasks: int = 512
    home_mb: int = 1024            # tmpfs: the home folder (working directory, caches)
    tmp_mb: int = 512
    shm_mb: int = 64
    shared_mb: int = 512           # the folder shared with the grader (sockets, hand-over)
    file_mb: int = 1024            # the largest file a process may write
    cpu_seconds: int = 7200        # per process
    stream_bytes: int = 1 << 20    # the kernel's own stdout/stderr kept (the rest is counted, dropped)
    cell_output_bytes: int = 2 << 20
    total_output_bytes: int = 24 << 20
    message_bytes: int = 64 << 20  # the largest message the grader accepts from a kernel
    use_cgroups: bool = True       # False: the fallbacks even where cgroups work (to test them)


@dataclass
class LaunchConfig:
    """What :mod:`.launch` does before it starts a sandbox (written as JSON for it)."""

    procs: list[str] = field(default_factory=list)
    rlimits: dict[str, tuple[int, int]] = field(default_factory=dict)
    uid: int | None = None
    gid: int | None = None
    chown: list[str] = field(default_factory=list)
    stage_dir: str | None = None          # as root: where the folders to bind are staged (see launch.py)
    stage: list[str] = field(default_factory=list)

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")
        return path


def folder_bytes(folder: Path) -> int:
    """Return the bytes of the regular files below ``folder`` (links not followed)."""
    total = 0
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return total


class Enforcement:
    """The limits of one sandbox while it runs: its cgroup, its launch configuration, a watch thread.

    ``config`` is the launch configuration file to pass to :func:`.sandbox.launcher_argv`;
    :meth:`usage` says what the sandbox took and which limits it hit, each
    with the measured value. The watch kills the sandbox's processes (and
    ``on_kill`` is called) when the memory fallback or the shared folder's
    cap is passed.
    """

    def __init__(self, limits: Limits, workdir: Path, shared: Path, uid: int | None = None, slot_tasks: int = 0):
        self.limits, self.shared, self.uid = limits, shared, uid
        self.cgroup = Cgroup.create(uuid.uuid4().hex[:12], int(limits.memory_mb * 2**20), limits.tasks) \
            if limits.use_cgroups else None
        rlimits = {"RLIMIT_FSIZE": (limits.file_mb * 2**20,) * 2, "RLIMIT_CPU": (limits.cpu_seconds,) * 2,
                   "RLIMIT_CORE": (0, 0)}
        if self.cgroup is None:
            nproc = limits.tasks if uid is not None else limits.tasks + slot_tasks
            rlimits["RLIMIT_NPROC"] = (nproc, nproc)
        # the shared folder and the kernel's connection file (written by the grader) go to the sandbox's uid
        self._config = LaunchConfig(self.cgroup.procs_files() if self.cgroup else [], rlimits, uid, uid,
                                    [str(shared), str(shared / "kernel.json")])
        self._workdir = workdir
        self.peak_memory_mb = self.peak_shared_mb = 0.0
        self.peak_tasks = 0
        self.memory_exceeded = self.shared_exceeded = False
        self.root_pid: int | None = None
        self.tmpfs: dict[str, tuple[float, float]] = {}
        self.on_kill = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def launcher(self, program: list[str]) -> list[str]:
        """Return the command that starts ``program`` (bwrap ...) through launch.py under these limits."""
        from .sandbox import launcher_argv, stage_dir, staged_sources

        if self.uid is not None:
            self._config.stage_dir, self._config.stage = stage_dir(), staged_sources(program)
        config = self._config.write(self._workdir / f"launch-{uuid.uuid4().hex[:8]}.json")
        return launcher_argv(config, program)

    @property
    def how(self) -> str:
        if self.cgroup is not None:
            return f"cgroup v{self.cgroup.version} (memory, tasks)"
        return "fallback: resident memory sampled every 0.05 s; tasks by RLIMIT_NPROC" + \
            ("" if self.uid is not None else " of the grader's uid, shared")

    def __enter__(self) -> Enforcement:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _tree(self):
        import psutil

        if self.root_pid is None:
            return []
        try:
            root = psutil.Process(self.root_pid)
            return [root] + root.children(recursive=True)
        except psutil.Error:
            return []

    def _kill(self) -> None:
        import psutil

        if self.cgroup is not None:
            self.cgroup.kill_all()
        for proc in self._tree():
            try:
                proc.kill()
            except psutil.Error:
                pass
        if self.on_kill is not None:
            self.on_kill()

    def _watch(self) -> None:
        import psutil

        tick = 0
        while not self._stop.wait(0.05):
            tick += 1
            if self.cgroup is not None:
                self.peak_memory_mb = max(self.peak_memory_mb, self.cgroup.memory_bytes() / 2**20)
                self.peak_tasks = max(self.peak_tasks, self.cgroup.tasks())
            else:
                total, count = 0, 0
                for proc in self._tree():
                    try:
                        total += proc.memory_info().rss
                        count += proc.num_threads()
                    except psutil.Error:
                        continue
                self.peak_memory_mb = max(self.peak_memory_mb, total / 2**20)
                self.peak_tasks = max(self.peak_tasks, count)
                if self.peak_memory_mb > self.limits.memory_mb and not self.memory_exceeded:
                    self.memory_exceeded = True
                    self._kill()
            if tick % 10 == 0:   # every 0.5 s
                self._sample_tmpfs()
                self.peak_shared_mb = max(self.peak_shared_mb, folder_bytes(self.shared) / 2**20)
                if self.peak_shared_mb > self.limits.shared_mb and not self.shared_exceeded:
                    self.shared_exceeded = True
                    self._kill()

    def _sample_tmpfs(self) -> None:
        """Record the fill of the sandbox's tmpfs (home, /tmp, /dev/shm), read through a process inside it."""
        from .sandbox import HOME

        tree = self._tree()
        if len(tree) < 2:
            return
        for where in (HOME, "/tmp", "/dev/shm"):
            try:
                st = os.statvfs(f"/proc/{tree[-1].pid}/root{where}")
            except OSError:
                continue
            size = st.f_blocks * st.f_frsize / 2**20
            used = (st.f_blocks - st.f_bfree) * st.f_frsize / 2**20
            key = f"the sandbox's {where}"
            self.tmpfs[key] = (max(used, self.tmpfs.get(key, (0.0, size))[0]), size)

    def finish(self) -> None:
        """Kill whatever the sandbox left in its cgroup and remove the cgroup (keeps the measurements)."""
        if self.cgroup is None:
            return
        self.peak_memory_mb = max(self.peak_memory_mb, self.cgroup.peak_memory_bytes() / 2**20)
        self.peak_tasks = max(self.peak_tasks, self.cgroup.peak_tasks())
        self._oom = self.cgroup.oom_killed()
        self._refused = self.cgroup.tasks_refused()
        self._cpu = self.cgroup.cpu_seconds()
        self.cgroup.kill_all()
        self.cgroup.remove()

    def usage(self) -> dict:
        """Return what the sandbox took, and each limit it hit with the measured value."""
        hit = []
        oom = self.memory_exceeded or getattr(self, "_oom", False)
        if oom:
            hit.append(f"memory limit exceeded (peak {self.peak_memory_mb:.0f} MB, limit {self.limits.memory_mb:.0f} MB)")
        if getattr(self, "_refused", 0):
            hit.append(f"task limit reached ({self._refused} process or thread start(s) refused at "
                       f"{self.limits.tasks} tasks)")
        cpu = getattr(self, "_cpu", None)
        if cpu is not None and cpu >= self.limits.cpu_seconds - 1:
            hit.append(f"CPU time limit reached ({cpu:.0f} s, limit {self.limits.cpu_seconds} s per process)")
        for where, (used, size) in self.tmpfs.items():
            if used >= 0.98 * size:
                hit.append(f"{where} full ({used:.0f} of {size:.0f} MB)")
        if self.shared_exceeded:
            hit.append(f"disk limit exceeded (the hand-over folder held {self.peak_shared_mb:.0f} MB, "
                       f"limit {self.limits.shared_mb} MB)")
        usage = {"memory_mb": round(self.peak_memory_mb, 1), "tasks": self.peak_tasks,
                 "shared_mb": round(self.peak_shared_mb, 1), "limits_hit": hit, "enforced_by": self.how,
                 "memory_exceeded": oom}
        if getattr(self, "_cpu", None) is not None:
            usage["cpu_seconds"] = round(self._cpu, 1)
        return usage


def own_tasks() -> int:
    """Return how many processes and threads the grader's uid runs now (the RLIMIT_NPROC count)."""
    import psutil

    uid, count = os.getuid(), 0
    for proc in psutil.process_iter(["uids", "num_threads"]):
        try:
            if proc.info["uids"] and proc.info["uids"].real == uid:
                count += proc.info["num_threads"] or 1
        except psutil.Error:
            continue
    return count

