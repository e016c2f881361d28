"""The sandboxes a submission runs in, and its checks after it: bubblewrap, unprivileged, no way out.

Each submission's kernel, and afterwards the checks that judge what it
handed over, run inside bubblewrap (``bwrap``, Debian package
``bubblewrap``, the sandbox Flatpak uses), started by :mod:`.launch`, which
first puts the process into its cgroup and under its limits (:mod:`.limits`)
and, when the grader is root, gives up root for an unprivileged uid of its
own. Inside:

* no capability at all (``--cap-drop ALL``), in a user namespace of its
  own that cannot make another (``--disable-userns``), no new privileges;
* the system, the Python installation and the course package read-only;
  for the student's kernel the grader's own code (``course_utils/grading``)
  is hidden, so are the solutions, the other submissions, the report and the
  grader's home: they are never mounted;
* the datasets read-only; the home folder, ``/tmp`` and ``/dev/shm`` are
  size-capped tmpfs (their pages count towards the memory cgroup);
* one folder shared with the grader (the kernel's sockets and the files the
  student's work is handed over in), watched for its size;
* no network (``--unshare-net``), its own process namespace, killed with its
  parent (``--die-with-parent``), an environment of the course's variables.

Used by :mod:`.kernel` and :mod:`.checker`::

    >>> argv = bwrap_argv(Mounts(home_mb=1024, shared=kdir, readonly=data_dirs), env)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
HOME = "/home/student"
UID_BASE = 64000          # as root, the sandbox of job slot k runs as uid/gid UID_BASE + k
NO_SANDBOX_HINT = ("Install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`) to grade in a sandbox, "
                   "or pass --no-sandbox to grade without one (only for submissions you trust: "
                   "their code then runs with your rights).")
PACKAGE = Path(__file__).resolve().parent.parent          # course_utils
GRADER = Path(__file__).resolve().parent                   # course_utils/grading


@dataclass
class Mounts:
    """What one sandbox sees besides the system: sizes of its tmpfs, the shared folder, read-only extras."""

    shared: Path                         # read-write, shared with the grader (sockets, hand-over)
    readonly: list[Path] = field(default_factory=list)   # datasets, a checker's inputs
    home_mb: int = 1024
    tmp_mb: int = 512
    shm_mb: int = 64
    hide_grader: bool = True             # hide course_utils/grading (the student's kernel)


def sandbox_uid(slot: int) -> int | None:
    """Return the uid a sandbox of job ``slot`` runs as: an unprivileged one of its own as root, else None (ours)."""
    return UID_BASE + slot if os.geteuid() == 0 else None


def python_dirs() -> list[Path]:
    """The folders the interpreter and the virtual environment live in."""
    dirs = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent.parent}
    return sorted(dirs)


def _under_system(path: Path) -> bool:
    return any(str(path) == d or str(path).startswith(d + "/") for d in SYSTEM_DIRS)


def bwrap_argv(mounts: Mounts, env: dict[str, str]) -> list[str]:
    """Return the ``bwrap`` command line (without the program to run) for one sandbox."""
    argv = [shutil.which("bwrap") or "bwrap"]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(mounts.shm_mb * 2**20), "--tmpfs", "/dev/shm",
             "--size", str(mounts.tmp_mb * 2**20), "--tmpfs", "/tmp"]
    # Python, the venv, the course package and the datasets: read-only at their own paths (a clone,
    # a venv or datasets under /tmp stay visible: they are mounted after the private /tmp)
    for path in python_dirs() + [PACKAGE] + [Path(p).resolve() for p in mounts.readonly]:
        if path.exists() and not _under_system(path):
            argv += ["--ro-bind", str(path), str(path)]
    if mounts.hide_grader:
        argv += ["--size", "4096", "--tmpfs", str(GRADER), "--remount-ro", str(GRADER)]
    argv += ["--size", str(mounts.home_mb * 2**20), "--tmpfs", HOME,
             "--bind", str(mounts.shared), str(mounts.shared),
             "--remount-ro", "/",          # the sandbox's own root (bwrap's tmpfs) takes no files
             "--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
             "--unshare-cgroup-try", "--disable-userns", "--cap-drop", "ALL", "--hostname", "sandbox",
             "--die-with-parent", "--new-session", "--chdir", HOME, "--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    return argv


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """Return the only environment variables a sandbox gets.

    None of the grader's variables pass (no tokens, no proxies, no
    ``PYTHONPATH`` of theirs): a ``PATH`` to the environment's programs, the
    private home as ``HOME``, ``/tmp``, the course cache inside the home, the
    course package on ``PYTHONPATH``, and ``extra`` (the course's switches).
    """
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": HOME,
        "TMPDIR": "/tmp",
        "PYTHONPATH": str(PACKAGE.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "COURSE_CACHE_DIR": f"{HOME}/.course_cache",
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "JUPYTER_PLATFORM_DIRS": "1",
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


def staged_sources(program: list[str]) -> list[str]:
    """Return the folders ``program`` (a bwrap command line) binds from outside the system folders."""
    found = []
    for flag, source in zip(program, program[1:]):
        if flag in ("--bind", "--ro-bind") and not _under_system(Path(source)) and source not in found:
            found.append(source)
    return found


def stage_dir() -> str | None:
    """Return an existing folder, outside every sandbox, that launch.py may cover with its staging tmpfs."""
    return next((d for d in ("/mnt", "/media", "/srv", "/home") if os.path.isdir(d) and not os.path.islink(d)), None)


def launcher_argv(config_file: Path, program: list[str]) -> list[str]:
    """Return the command that starts ``program`` through :mod:`.launch` (limits, then an unprivileged uid)."""
    return [sys.executable, "-I", "-S", str(GRADER / "launch.py"), str(config_file), "--", *program]


def bwrap_problem() -> str | None:
    """Return why the sandbox cannot run here, or None when it works.

    Starts the real thing once (through the launcher, as the unprivileged
    uid when the grader is root; a user namespace that cannot make another,
    no capabilities) and checks from inside that it holds: not root, no
    capability, no nested user namespace.
    """
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux and this is {sys.platform}."
    if shutil.which("bwrap") is None:
        return "bubblewrap (`bwrap`) is not installed."
    from .limits import LaunchConfig

    with tempfile.TemporaryDirectory(prefix="grading-probe-") as tmp:
        shared = Path(tmp) / "shared"
        shared.mkdir()
        uid = sandbox_uid(0)
        probe = ("import os; caps = [l for l in open('/proc/self/status') if l.startswith('CapEff')][0].split()[1]; "
                 "print(os.getuid(), int(caps, 16), end=' ')\n"
                 "import ctypes; libc = ctypes.CDLL(None, use_errno=True)\n"
                 "print('nested' if libc.unshare(0x10000000) == 0 else 'no-nesting')")  # CLONE_NEWUSER
        program = bwrap_argv(Mounts(shared), clean_env({})) + ["--", sys.executable, "-I", "-c", probe]
        config = LaunchConfig(uid=uid, gid=uid, chown=[str(shared)])
        if uid is not None:
            config.stage_dir, config.stage = stage_dir(), staged_sources(program)
        argv = launcher_argv(config.write(Path(tmp) / "launch.json"), program)
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap could not start ({exc})."
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        return f"bubblewrap is installed but refused to start the sandbox ({why})."
    seen = proc.stdout.split()
    if len(seen) != 3 or seen[0] == "0" or seen[1] != "0" or seen[2] != "no-nesting":
        return f"the sandbox does not hold here (inside: uid, capabilities, nesting = {' '.join(seen)})."
    return None
