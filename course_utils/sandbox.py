"""The sandbox a submitted notebook's kernel runs in while it is graded.

On Linux the kernel is started inside bubblewrap (``bwrap``, Debian package
``bubblewrap``, the sandbox Flatpak uses). What the kernel can see:

* the system (``/usr``, ``/etc``, ...), the Python installation, the virtual
  environment and the course package, all read-only;
* its own scratch folder, writable, which is its working directory and
  ``HOME``, with its ``.tmp`` sub-folder as ``/tmp``; nothing else of the grader's: no solution notebooks, no other
  submission, no report, not the grader's home;
* no network (``--unshare-net``: only a loopback of its own);
* its own process namespace, ended with its parent (``--die-with-parent``),
  so that no process it starts outlives the run;
* an environment with only the variables the course needs.

The memory limit is enforced from outside by :class:`MemoryWatch`, which sums
the resident memory of the kernel's process tree and kills the tree when it
passes the limit. Used by :mod:`course_utils.grading`::

    >>> argv = sandbox.kernel_argv(scratch, package_dir, sandboxed=True)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
NO_SANDBOX_HINT = ("Install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`) to grade in a sandbox, "
                   "or pass --no-sandbox to grade without one (only for submissions you trust: "
                   "their code then runs with your rights).")


def bwrap_problem() -> str | None:
    """Return why the bubblewrap sandbox cannot run here, or None when it works.

    Tries ``bwrap --unshare-all --die-with-parent true`` once, so that a
    missing program and refused user namespaces are told apart.
    """
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux and this is {sys.platform}."
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap (`bwrap`) is not installed."
    try:
        proc = subprocess.run([exe, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start ({exc})."
    if proc.returncode != 0:
        return f"bubblewrap is installed but refused to start a sandbox ({proc.stderr.strip() or proc.returncode})."
    return None


def clean_env(scratch: Path, package_parent: Path, extra: dict[str, str]) -> dict[str, str]:
    """Return the only environment variables a graded kernel gets.

    None of the grader's variables pass (no tokens, no proxies, no
    ``PYTHONPATH`` of theirs): a ``PATH`` to the environment's programs, the
    scratch folder as ``HOME``, ``TMPDIR`` and the course cache, the course
    package on ``PYTHONPATH``, and ``extra`` (the course's two switches).
    """
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(scratch),
        "TMPDIR": str(scratch / ".tmp"),
        "PYTHONPATH": str(package_parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "COURSE_CACHE_DIR": str(scratch / ".course_cache"),
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "JUPYTER_PLATFORM_DIRS": "1",
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


def _python_dirs() -> list[Path]:
    """The folders the interpreter and the virtual environment live in."""
    dirs = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent.parent}
    return sorted(dirs)


def bwrap_argv(scratch: Path, package_dir: Path, env: dict[str, str], readonly: list[Path] = ()) -> list[str]:
    """Return the ``bwrap`` command line (without the program to run) for one submission's kernel.

    ``package_dir`` is the ``course_utils`` folder, mounted read-only at its
    own path with nothing else of the repository around it; ``readonly``
    lists further folders to show read-only (the grader's downloaded
    datasets); ``scratch`` is the only writable folder.
    """
    argv = [shutil.which("bwrap") or "bwrap"]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    # The private /tmp first: mounted later, it would hide a virtual environment, a clone or
    # datasets that live under /tmp (a clone in /tmp/... is common on CI machines).
    argv += ["--proc", "/proc", "--dev", "/dev", "--bind", str(scratch / ".tmp"), "/tmp"]
    for path in _python_dirs() + [package_dir.resolve()] + [Path(p).resolve() for p in readonly]:
        if path.exists() and not any(str(path).startswith(d + "/") or str(path) == d for d in SYSTEM_DIRS):
            argv += ["--ro-bind", str(path), str(path)]
    argv += ["--bind", str(scratch), str(scratch),
             "--unshare-all", "--die-with-parent", "--new-session",
             "--chdir", str(scratch), "--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    return argv


def kernel_argv(scratch: Path, package_dir: Path, env: dict[str, str], sandboxed: bool,
                readonly: list[Path] = ()) -> list[str]:
    """Return the kernel command (jupyter kernelspec ``argv``) for one submission."""
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if not sandboxed:
        return kernel
    return bwrap_argv(scratch, package_dir, env, readonly) + ["--"] + kernel


class MemoryWatch:
    """Watch the resident memory of a process's descendants; kill them all past ``limit_mb``.

    Polls every ``interval`` seconds in a thread. ``peak_mb`` is the largest
    sum seen; ``exceeded`` tells whether the limit was hit. A fast allocation
    can overshoot the limit by what it allocates in one interval.
    """

    def __init__(self, limit_mb: float, pid: int | None = None, interval: float = 0.05):
        self.limit_mb, self.pid, self.interval = limit_mb, pid or os.getpid(), interval
        self.peak_mb = 0.0
        self.exceeded = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _tree(self):
        import psutil

        try:
            return psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            return []

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(self.interval):
            procs = self._tree()
            total = 0
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_mb = max(self.peak_mb, total / 2**20)
            if self.peak_mb > self.limit_mb and not self.exceeded:
                self.exceeded = True
                for proc in procs:
                    try:
                        proc.kill()
                    except psutil.Error:
                        pass
