"""Grading a class on a Dask cluster: a real scheduler and two workers on this machine, over TCP
(make test-slow). The report equals a local run's; a worker killed in the middle costs nothing but a
retry; an interrupted run resumes; a worker of another course refuses, and says why.
"""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from test_grading import CHECKS, SOLUTION_CELLS, _answered, _notebook

from course_utils import notebooks, student
from course_utils.grading import classrun, grade, sandbox
from course_utils.grading.limits import Limits

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason="the workers need the sandbox")]
DASK = Path(sys.executable).parent / "dask"


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while not path.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert path.exists(), f"{path} never appeared"


class Cluster:
    """A dask scheduler and workers as separate processes; every one of them is gone at the end."""

    def __init__(self, tmp: Path):
        self.tmp, self.procs = tmp, []
        self.file = tmp / "scheduler.json"
        self.env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
                    "DASK_DISTRIBUTED__WORKER__DAEMON": "False", "PYTHONPATH": str(ROOT)}
        self.procs.append(subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                            "--dashboard-address", "127.0.0.1:0", "--scheduler-file",
                                            str(self.file)], env=self.env, stdout=subprocess.DEVNULL,
                                           stderr=open(tmp / "scheduler.log", "w"), start_new_session=True))
        _wait_for(self.file)
        self.address = json.loads(self.file.read_text())["address"]

    def worker(self, name: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.Popen:
        proc = subprocess.Popen([str(DASK), "worker", "--scheduler-file", str(self.file), "--nthreads", "1",
                                 "--nworkers", "1", "--name", name, "--no-nanny", "--memory-limit", "0"],
                                env={**self.env, **(env or {})}, cwd=cwd, stdout=subprocess.DEVNULL,
                                stderr=open(self.tmp / f"{name}.log", "w"), start_new_session=True)
        self.procs.append(proc)
        return proc

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(n, timeout=90)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("cluster")
    os.chmod(base, 0o755)
    solution = base / "course" / "notebooks" / "07_demo.ipynb"
    solution.parent.mkdir(parents=True)
    nbformat.write(_notebook(SOLUTION_CELLS), solution)
    reference = student.student_path(solution)
    student.write_notebook_pair(student.make_student_version(notebooks.read(solution), reference, base / "course"),
                                reference)
    checks = base / "course" / "checks" / "07_demo"
    checks.mkdir(parents=True)
    for grade_id, code in CHECKS.items():
        (checks / f"{grade_id}.py").write_text(code)
    subs = base / "subs"
    subs.mkdir()
    published = notebooks.read(reference)
    for name, edit in [("alice", None), ("bob", "root = math.sqrt(-product)"), ("carol", None),
                       ("dave", "# YOUR CODE HERE\nraise NotImplementedError()")]:
        nb = _answered(published)
        nb.cells.insert(2, nbformat.v4.new_code_cell("import time\ntime.sleep(2)"))   # long enough to kill a worker
        if edit:
            nb.cells[8].source = edit
        nbformat.write(nb, subs / f"{name}_07_demo.ipynb")
    settings = grade.Settings(reference_dir=reference.parent, checks_dir=checks.parent, cell_timeout=20,
                              total_timeout=60, reduced=True, data="synthetic", limits=Limits(memory_mb=600, tasks=128))
    return base, subs, settings


def _table(path: Path):
    return [{k: v for k, v in row.items() if k not in ("seconds", "detail")} for row in csv.DictReader(path.open())]


def test_a_class_graded_on_a_dask_cluster(course, tmp_path):
    base, subs, settings = course
    local = classrun.grade_folder(subs, tmp_path / "local", settings, jobs=2, protect=[subs])
    cluster = Cluster(tmp_path)
    try:
        cluster.worker("w1")
        w2 = cluster.worker("w2")
        cluster.wait_for_workers(2)
        remote = classrun.grade_folder(subs, tmp_path / "remote", settings, scheduler=cluster.address, protect=[subs])
        assert [(r.name, r.earned, r.status) for r in remote] == [(r.name, r.earned, r.status) for r in local]
        assert _table(tmp_path / "remote" / "report.csv") == _table(tmp_path / "local" / "report.csv")
        assert (tmp_path / "remote" / "gradebook.csv").read_text() == (tmp_path / "local" / "gradebook.csv").read_text()
        assert sorted(p.name for p in (tmp_path / "remote" / "executed").iterdir()) == \
            sorted(p.name for p in (tmp_path / "local" / "executed").iterdir())

        # a worker killed in the middle of a run: its submission is graded again on the other one, once
        import threading

        def kill_soon():
            time.sleep(3)
            os.killpg(w2.pid, signal.SIGKILL)

        threading.Thread(target=kill_soon, daemon=True).start()
        again = classrun.grade_folder(subs, tmp_path / "killed", settings, scheduler=cluster.address, protect=[subs])
        assert [(r.name, r.earned) for r in again] == [(r.name, r.earned) for r in local]
        lines = [json.loads(line) for line in (tmp_path / "killed" / "journal.jsonl").read_text().splitlines()]
        assert sorted(line["file"] for line in lines) == sorted(p.name for p in subs.iterdir())   # each once
        assert sum(line["retried"] for line in lines) == 1
        assert sum("retried" in row["detail"] for row in csv.DictReader((tmp_path / "killed" / "report.csv").open())
                   if row["exercise"] == "(notebook)") == 1
        # the dead worker's working folder is swept by the next task on this machine
        assert not list(Path(tempfile.gettempdir()).glob(f"grading-task-{w2.pid}-*"))

        # an interrupted run: only two files finished; --resume grades the other two only
        out = tmp_path / "resumed"
        shutil.copytree(tmp_path / "remote", out)
        journal = (out / "journal.jsonl").read_text().splitlines()
        (out / "journal.jsonl").write_text("\n".join(journal[:2]) + "\n")
        (subs / "carol_07_demo.ipynb").touch()          # unchanged content: still counts as done
        resumed = classrun.grade_folder(subs, out, settings, scheduler=cluster.address, protect=[subs], resume=True)
        assert [(r.name, r.earned) for r in resumed] == [(r.name, r.earned) for r in local]
        assert len((out / "journal.jsonl").read_text().splitlines()) == 4
        assert _table(out / "report.csv") == _table(tmp_path / "local" / "report.csv")
    finally:
        cluster.close()
    assert not [p for p in psutil.process_iter(["cmdline"]) if "dask" in " ".join(p.info["cmdline"] or [])
                and str(tmp_path) in " ".join(p.info["cmdline"] or [])], "a dask process outlived the test"


def test_a_worker_of_another_course_refuses(course, tmp_path):
    base, subs, settings = course
    other = tmp_path / "other-clone"
    shutil.copytree(ROOT / "course_utils", other / "course_utils", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", other / "pyproject.toml")
    (other / "course_utils" / "grading" / "checks" / "helpers.py").write_text(
        (ROOT / "course_utils" / "grading" / "checks" / "helpers.py").read_text() + "\n# edited\n")
    cluster = Cluster(tmp_path)
    try:
        cluster.worker("stale", env={"PYTHONPATH": str(other)}, cwd=other)
        cluster.wait_for_workers(1)
        one = tmp_path / "one"
        one.mkdir()
        shutil.copy(subs / "alice_07_demo.ipynb", one)
        [r] = classrun.grade_folder(one, tmp_path / "out", settings, scheduler=cluster.address, protect=[one])

        # a submission that two workers already died under is not started a third time
        from course_utils.grading import cluster as dask_grading
        from course_utils.grading import intake, journal

        pool = dask_grading.DaskPool(cluster.address, settings, journal.course_fingerprint(settings, hidden=False))
        try:
            dead = ["tcp://10.0.0.1:4001", "tcp://10.0.0.2:4001"]
            pool.client.set_metadata(["course-grading", pool.run, "alice_07_demo.ipynb"], dead)
            entry = intake.Entry(one / "alice_07_demo.ipynb", "alice_07_demo.ipynb", "07_demo", "alice")
            with pytest.raises(dask_grading.TwiceKilled, match=r"started on two workers that both died under it "
                               r"\(tcp://10\.0\.0\.1:4001, tcp://10\.0\.0\.2:4001\); not graded a third time"):
                pool.submit(entry).result(timeout=60)
            assert list(pool.client.get_metadata(["course-grading", pool.run, "alice_07_demo.ipynb"])) == dead
        finally:
            pool.close()
    finally:
        cluster.close()
    assert r.status.startswith("grader error: WorkerRefused: worker tcp://127.0.0.1:")
    assert "its course files (student versions, checks, course_utils) have the fingerprint" in r.status
    assert r.earned == 0 and r.parts == []
