"""Start a sandbox's program under its limits: ``python -I -S launch.py CONFIG -- PROGRAM...``.

The grader's own code, run before anything of the student's: join the
cgroups named in CONFIG (so the memory, task and CPU accounting covers
everything the program starts), set the resource limits, hand the files
named in CONFIG to the sandbox's uid, stage the folders bubblewrap binds
(as root: see :func:`stage`), give up root for that uid and its gid (no
supplementary groups), forbid new privileges, then ``exec`` the program
(bubblewrap). Standard library only, so that it starts in milliseconds and
imports nothing a submission could have touched. Written by
:class:`course_utils.grading.limits.LaunchConfig`.
"""

import ctypes
import json
import os
import resource
import sys

PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWNS = 0x00020000
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18


def stage(libc, stage_dir: str, paths: list[str], argv: list[str]) -> list[str]:
    """Bind each of ``paths`` under ``stage_dir`` in a mount namespace of this process's own.

    bubblewrap resolves the folders it binds with the sandbox's unprivileged
    uid, which may not pass through their parents (a Python under /root, a
    clone in a private home). As root, in a private mount namespace (the
    host's mounts are untouched), each such folder is bound on a tmpfs at a
    path that uid can reach, and bubblewrap is given that path instead.
    """
    if libc.unshare(CLONE_NEWNS) != 0:
        sys.exit("launch.py: no private mount namespace")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        sys.exit("launch.py: cannot make the mounts private")
    if libc.mount(b"tmpfs", stage_dir.encode(), b"tmpfs", 0, b"mode=0755,size=64k") != 0:
        sys.exit("launch.py: cannot mount the staging tmpfs")
    moved = {}
    for i, path in enumerate(paths):
        target = os.path.join(stage_dir, str(i))
        if os.path.isdir(path):
            os.mkdir(target, 0o755)
        else:                               # a single file (the course's pyproject.toml)
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
        if libc.mount(path.encode(), target.encode(), None, MS_BIND | MS_REC, None) != 0:
            sys.exit(f"launch.py: cannot stage {path}")
        moved[path] = target
    out = list(argv)
    for j in range(len(out) - 1):
        if out[j] in ("--bind", "--ro-bind") and out[j + 1] in moved:
            out[j + 1] = moved[out[j + 1]]
    return out


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--":
        sys.exit("usage: launch.py CONFIG -- PROGRAM [ARGS...]")
    with open(argv[0], encoding="utf-8") as fh:
        config = json.load(fh)
    pid = str(os.getpid())
    for procs in config.get("procs", []):
        with open(procs, "w", encoding="ascii") as fh:
            fh.write(pid)
    for name, (soft, hard) in config.get("rlimits", {}).items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    uid, gid = config.get("uid"), config.get("gid")
    libc = ctypes.CDLL(None, use_errno=True)
    program = argv[2:]
    for path in config.get("chown", []):
        if uid is not None and os.path.exists(path):
            os.chown(path, uid, gid)
    if uid is not None and config.get("stage_dir"):
        program = stage(libc, config["stage_dir"], config.get("stage", []), program)
    if uid is not None:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.getuid() != uid or os.geteuid() != uid:
            sys.exit("launch.py: could not give up root")
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        sys.exit("launch.py: could not forbid new privileges")
    os.execvp(program[0], program)


if __name__ == "__main__":
    main(sys.argv[1:])
