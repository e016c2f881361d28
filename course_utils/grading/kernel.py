"""Running a submission: its kernel in a sandbox, driven cell by cell from outside it.

:func:`execute` starts a runner process (the grader's code, outside the
sandbox) that starts the kernel through :mod:`.launch` inside bubblewrap
(:mod:`.sandbox`) under its limits (:mod:`.limits`), runs every cell with a
per-cell and a per-notebook time limit, then the hand-over cell of
:mod:`.exports`, and writes what it saw (the executed cells, how the run
stopped, what the sandbox took) where the sandbox cannot reach. What ran and
what failed is the grader's verdict, never a file of the submission's.

Nothing the kernel sends can grow the grader: the kernel's own stdout and
stderr go to a pipe that is drained and counted (the first
``Limits.stream_bytes`` kept), each cell's outputs are capped (the rest is
dropped, and the report says so), no kernel message over
``Limits.message_bytes`` is accepted. Used by :mod:`.grade`::

    >>> run = execute(nb, workdir, Limits(memory_mb=2048), env, export_spec={...})
    >>> run.status["stopped"], run.handover
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import sandbox
from .exports import copy_out, export_code
from .capture import Drain, client_classes
from .limits import Enforcement, Limits, own_tasks

HANDOVER = "export"


@dataclass
class Run:
    """What the runner saw of one submission."""

    notebook: dict
    status: dict
    seconds: float
    handover: Path | None = None          # the copied hand-over folder (None: nothing came out)
    refused: list[str] = field(default_factory=list)


@dataclass
class Job:
    """Everything the runner needs, written as JSON in the grader's private folder."""

    notebook: str
    result: str
    shared: str
    private: str
    env: dict[str, str]
    limits: dict
    cell_timeout: float
    total_timeout: float
    sandboxed: bool
    uid: int | None
    readonly: list[str]
    export_spec: dict[str, list[str]]
    slot_tasks: int = 0


def _kernel_command(job: Job, enforcement: Enforcement) -> list[str]:
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if not job.sandboxed:
        return enforcement.launcher(kernel)
    limits = Limits(**job.limits)
    mounts = sandbox.Mounts(Path(job.shared), [Path(p) for p in job.readonly], limits.home_mb, limits.tmp_mb,
                            limits.shm_mb)
    return enforcement.launcher(sandbox.bwrap_argv(mounts, job.env) + ["--"] + kernel)


def run_job(job_file: str) -> None:
    """The runner process: execute the job's notebook in its sandboxed kernel; write the result file."""
    import nbformat
    import zmq
    import zmq.asyncio
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    job = Job(**json.loads(Path(job_file).read_text()))
    limits = Limits(**job.limits)
    private, shared = Path(job.private), Path(job.shared)
    nb = nbformat.reads(Path(job.notebook).read_text(encoding="utf-8"), as_version=4)
    n_cells = len(nb.cells)
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, limits.message_bytes)
    enforcement = Enforcement(limits, private, shared, job.uid, job.slot_tasks)
    spec_dir = private / "kernels" / "course-graded"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps(
        {"argv": _kernel_command(job, enforcement), "display_name": "graded submission", "language": "python"}))
    Manager, Client = client_classes()
    km = Manager(kernel_name="course-graded", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(private / "kernels")]),
                 transport="ipc", ip=str(shared / "kernel"), connection_file=str(shared / "kernel.json"),
                 context=context)
    client = Client(nb, km=km, timeout=job.cell_timeout, allow_errors=True, startup_timeout=120,
                    resources={"metadata": {"path": str(private)}})
    client.cell_cap, client.total_cap = limits.cell_output_bytes, limits.total_output_bytes
    status = {"stopped": None, "cell": None, "ran": 0, "exported": False}
    timing: dict = {"cells": []}
    read_fd, write_fd = os.pipe()
    drain = Drain(read_fd, limits.stream_bytes)
    drain.start()
    deadline = time.monotonic() + job.total_timeout
    try:
        with enforcement:
            started = time.monotonic()
            with client.setup_kernel(env=job.env, cwd=str(private), stdout=write_fd, stderr=write_fd):
                timing["kernel start"] = time.monotonic() - started     # the sandbox, Python, ipykernel
                os.close(write_fd)
                write_fd = -1
                enforcement.root_pid = km.provisioner.pid if km.provisioner else None
                if job.export_spec:   # the hand-over cell, after the student's last (dropped below)
                    nb.cells.append(nbformat.v4.new_code_cell(export_code(
                        {k: tuple(v) for k, v in job.export_spec.items()}, str(shared / HANDOVER))))
                for index, cell in enumerate(list(nb.cells)):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        status.update(stopped="notebook time limit", cell=index)
                        break
                    client.timeout = max(1, int(min(job.cell_timeout, left)))
                    try:
                        cell_start = time.monotonic()
                        client.execute_cell(cell, index)
                        timing["cells"].append(round(time.monotonic() - cell_start, 3))
                    except CellTimeoutError:
                        limit = "cell" if client.timeout >= job.cell_timeout else "notebook"
                        status.update(stopped=f"{limit} time limit", cell=index)
                        break
                    except DeadKernelError:
                        status.update(stopped="kernel died", cell=index)
                        break
                    if enforcement.memory_exceeded or enforcement.shared_exceeded:
                        status.update(cell=index)
                        break
                    if index < n_cells:
                        status["ran"] = index + 1
                    else:
                        status["exported"] = True
    except Exception as exc:  # noqa: BLE001 - the kernel could not even start
        if status["stopped"] is None:
            status.update(stopped=f"could not run ({type(exc).__name__}: {str(exc)[:200]})", cell=status["ran"])
    finally:
        if write_fd >= 0:
            os.close(write_fd)
    shutdown = time.monotonic()
    try:
        if km.has_kernel:
            from jupyter_core.utils import run_sync

            run_sync(km.shutdown_kernel)(now=True)   # kills bwrap, and with it everything in the sandbox
    except Exception:  # noqa: BLE001 - a kernel already gone
        pass
    enforcement.finish()
    import psutil

    children = psutil.Process().children(recursive=True)
    _, leftover = psutil.wait_procs(children, timeout=2)
    for proc in leftover:
        try:
            proc.kill()
        except psutil.Error:
            pass
    drain.join(timeout=5)
    timing["shut-down"] = time.monotonic() - shutdown
    usage = enforcement.usage()
    usage["left_behind"] = len(leftover)
    usage["stream_bytes"] = drain.total
    usage["truncated_cells"] = sorted(i for i in client.truncated if i < n_cells)
    if usage["memory_exceeded"] and status["stopped"] in (None, "kernel died"):
        status.update(stopped=usage["limits_hit"][0], cell=status["ran"] if status["cell"] is None else status["cell"])
    elif enforcement.shared_exceeded and status["stopped"] in (None, "kernel died"):
        status.update(stopped=usage["limits_hit"][-1], cell=status["ran"] if status["cell"] is None else status["cell"])
    status["usage"] = usage
    status["timing"] = {"kernel start": round(timing.get("kernel start", 0.0), 3), "cells": timing["cells"][:n_cells],
                        "hand-over": timing["cells"][n_cells] if len(timing["cells"]) > n_cells else 0.0,
                        "shut-down": round(timing.get("shut-down", 0.0), 3)}
    status["stream_head"] = drain.head.decode("utf-8", errors="replace")[-2000:]
    nb.cells = nb.cells[:n_cells]
    Path(job.result).write_text(json.dumps({"status": status, "notebook": nb}))


def _prepare(workdir: Path, uid: int | None) -> tuple[Path, Path]:
    private, shared = workdir / "private", workdir / "shared"
    private.mkdir(parents=True, mode=0o700)
    shared.mkdir(mode=0o700)
    (shared / HANDOVER).mkdir(mode=0o700)
    if uid is not None:
        os.chown(workdir, 0, 0)
        os.chmod(workdir, 0o711)           # the sandbox's uid may pass through, never list
        for path in (shared, shared / HANDOVER):
            os.chown(path, uid, uid)
    return private, shared


def execute(nb: dict, workdir: Path, limits: Limits, env: dict[str, str], cell_timeout: float,
            total_timeout: float, sandboxed: bool = True, slot: int = 0, readonly: list[Path] = (),
            export_spec: dict[str, tuple[str, str]] | None = None) -> Run:
    """Run ``nb`` in a sandboxed kernel of its own under ``workdir``; return the :class:`Run`.

    ``workdir`` must be new and private to this submission; the hand-over
    files are copied out of the sandbox into ``workdir/handover``.
    """
    uid = sandbox.sandbox_uid(slot) if sandboxed else None
    private, shared = _prepare(workdir, uid)
    (private / "submission.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    job = Job(str(private / "submission.ipynb"), str(private / "result.json"), str(shared), str(private), env,
              asdict(limits), cell_timeout, total_timeout, sandboxed, uid, [str(p) for p in readonly],
              {k: list(v) for k, v in (export_spec or {}).items()},
              slot_tasks=own_tasks() if uid is None else 0)
    job_file = private / "job.json"
    job_file.write_text(json.dumps(asdict(job)))
    code = "import sys; from course_utils.grading.kernel import run_job; run_job(sys.argv[1])"
    runner_env = dict(os.environ, PYTHONPATH=str(sandbox.PACKAGE.parent), JUPYTER_PLATFORM_DIRS="1",
                      JUPYTER_RUNTIME_DIR=str(private / "runtime"))
    start = time.monotonic()
    with open(private / "runner.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-c", code, str(job_file)], cwd=private, env=runner_env,
                                stdout=log, stderr=log, start_new_session=True)
        RUNNING.add(proc)
        try:
            proc.wait(timeout=total_timeout + 120)   # a backstop: the runner stops itself first
        except subprocess.TimeoutExpired:
            _kill_tree(proc.pid)
            proc.wait()
            return Run({"cells": []}, {"stopped": "notebook time limit (killed)", "cell": None, "ran": 0},
                       time.monotonic() - start)
        finally:
            RUNNING.discard(proc)
    seconds = time.monotonic() - start
    result = private / "result.json"
    if not result.exists():
        tail = _tail(private / "runner.log")
        return Run({"cells": []}, {"stopped": f"runner failed: {tail}", "cell": None, "ran": 0}, seconds)
    answer = json.loads(result.read_text(encoding="utf-8"))
    handover = workdir / "handover"
    refused = copy_out(shared / HANDOVER, handover) if answer["status"].get("exported") else []
    return Run(answer["notebook"], answer["status"], seconds, handover if answer["status"].get("exported") else None,
               refused)


RUNNING: set = set()      # the runners under way in this process (stopped together on Ctrl-C)


def stop_all() -> int:
    """Kill every runner under way, with its sandbox; return how many there were."""
    running = list(RUNNING)
    for proc in running:
        _kill_tree(proc.pid)
    return len(running)


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - 4000))
            lines = fh.read().decode(errors="replace").strip().splitlines()
    except OSError:
        return "no message"
    return (lines or ["no message"])[-1][:300]


def _kill_tree(pid: int) -> None:
    import psutil

    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    for proc in parent.children(recursive=True) + [parent]:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass


def remove(workdir: Path) -> None:
    """Remove a submission's working folder (whatever the sandbox's uid left in it)."""
    shutil.rmtree(workdir, ignore_errors=True)
