"""What each notebook costs: ``make bench``.

Runs every notebook as a whole process (``jupyter nbconvert --execute``), in
reduced and in full mode, and measures from the parent process, with psutil:
the wall time and the peak memory (the resident set size of the process tree,
kernel included, sampled every 0.2 s). Full mode uses the real data where it
can be reached and the stand-in at full size where it cannot; the table says
which. A notebook that caches its trainings is run a second time on the same
cache to time the replay. ``make test`` is timed the same way.

The results go to ``bench/results.json`` (machine-readable, one entry per
notebook and mode, the latest run of each kept) and into the README's
notebook-cost table between the ``bench`` markers::

    make bench                                  # everything (over an hour on 2 cores)
    make bench BENCH_ARGS="--notebook 03 --mode full"
    python -m course_utils.bench --notebook 01 --notebook 02 --mode reduced --no-test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .config import repo_root

BUDGETS = {  # (seconds, bytes) on a 2-core CPU, full mode, stand-in data at full size
    "default": (10 * 60, 3 * 2**30),
    "05_miniproject_cnn": (60 * 60, 3 * 2**30),
    "05_miniproject_cnn (cached)": (60, 3 * 2**30),
    "make test": (3 * 60, None),
    "grading 100 submissions of 02": (30 * 60, None),
}
REPLAY = {"05_miniproject_cnn"}
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def measure(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float) -> dict:
    """Run ``cmd``; return its wall time, the peak RSS of its process tree and its exit code."""
    import psutil

    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    root = psutil.Process(proc.pid)
    peak = 0
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.append(proc.stdout.read()), daemon=True)
    reader.start()
    while proc.poll() is None:
        total = 0
        try:
            for p in [root] + root.children(recursive=True):
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        if time.monotonic() - start > timeout:
            for p in root.children(recursive=True) + [root]:
                try:
                    p.kill()
                except psutil.Error:
                    pass
            break
        time.sleep(0.2)
    proc.wait()
    reader.join(timeout=5)
    text = b"".join(output).decode(errors="replace")
    return {"seconds": round(time.monotonic() - start, 1), "peak_bytes": peak, "returncode": proc.returncode,
            "tail": text[-2000:]}


def data_used(executed: Path) -> str:
    """Return which data an executed notebook loaded, from the loaders' own lines.

    ``"real: MNIST, Fashion-MNIST; stand-in: IMDB"``, ``"stand-in"`` (everything),
    ``"real"`` (everything), or ``"-"`` when no dataset was loaded.
    """
    try:
        text = executed.read_text(encoding="utf-8")
    except OSError:
        return "-"
    return data_named_in(text)


def data_named_in(text: str) -> str:
    """Return which data the loaders' lines in ``text`` (an executed notebook) name, as :func:`data_used` does."""
    titles = "MNIST|Fashion-MNIST|IMDB|The IMDB word index"
    real = re.findall(rf"\[real data\] ({titles}):", text)
    fake = re.findall(rf"(?:\[stand-in data\] |STAND-IN DATA: )({titles})[: ]", text)
    unique = lambda names: sorted(set(names) - {"The IMDB word index"}, key=names.index)  # noqa: E731
    real, fake = unique(real), [n for n in unique(fake) if n not in real]
    if not real and not fake:
        return "-"
    if not real or not fake:
        return "real" if real else "stand-in"
    return f"real: {', '.join(real)}; stand-in: {', '.join(fake)}"


def run_notebook(path: Path, mode: str, cache: Path, out: Path, timeout: float) -> dict:
    """Execute one notebook in ``mode`` ("reduced" or "full") and measure it."""
    env = dict(os.environ, COURSE_FAST="1" if mode == "reduced" else "0", COURSE_CACHE_DIR=str(cache),
               MPLBACKEND="Agg")
    if mode == "reduced":  # like make test: the real files where they are local, never a download
        env.update(COURSE_DATA="auto", COURSE_NO_DOWNLOAD="1")
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
           f"--ExecutePreprocessor.timeout={int(timeout)}", "--output-dir", str(out), str(path)]
    result = measure(cmd, env, repo_root(), timeout + 120)
    result["data"] = data_used(out / path.name)
    try:
        seconds = [float(v) for v in re.findall(r"probe (\d+\.\d+) s", (out / path.name).read_text(encoding="utf-8"))]
    except OSError:
        seconds = []
    result["probes"], result["probe_seconds"] = len(seconds), round(sum(seconds), 2)
    return result


def budget(name: str, mode: str) -> tuple[float | None, int | None]:
    """Return the (seconds, bytes) budget of a notebook in a mode; (None, None) where none is set."""
    if name == "make test" or name.startswith("grading "):
        return BUDGETS.get(name, (None, None))
    if mode == "full (cached)":
        return BUDGETS.get(f"{name} (cached)", (None, None))
    if mode == "full":
        return BUDGETS.get(name, BUDGETS["default"])
    return None, None


def _entry(name: str, mode: str, result: dict) -> dict:
    seconds_budget, memory_budget = budget(name, mode)
    within = result["returncode"] == 0
    if seconds_budget is not None:
        within &= result["seconds"] <= seconds_budget
    if memory_budget is not None:
        within &= result["peak_bytes"] <= memory_budget
    return {"name": name, "mode": mode, "data": result.get("data", "-"), "seconds": result["seconds"],
            "peak_mb": round(result["peak_bytes"] / 2**20), "ok": result["returncode"] == 0,
            "budget_s": seconds_budget, "within_budget": bool(within),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "probes": result.get("probes", 0), "probe_seconds": result.get("probe_seconds", 0.0)}


def _fmt_time(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def table(entries: list[dict]) -> str:
    """Return the Markdown table of ``entries``."""
    lines = ["| notebook | mode | data | wall time | peak memory | budget | within |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for e in entries:
        budget = _fmt_time(e["budget_s"]) if e.get("budget_s") else "-"
        status = ("yes" if e["within_budget"] else "**no**") if e["ok"] else "**failed**"
        lines.append(f"| {e['name']} | {e['mode']} | {e['data']} | {_fmt_time(e['seconds'])} | "
                     f"{e['peak_mb']} MB | {budget} | {status} |")
    machine = entries[0]["machine"] if entries else ""
    for e in entries:
        if e["mode"] == "full (cached)" and e.get("probes"):
            lines.append("")
            lines.append(f"The cached replay of {e['name']} checked {e['probes']} replays against their first "
                         f"training steps (the probe of `fit_cached`): {e['probe_seconds']:.1f} s of its "
                         f"{_fmt_time(e['seconds'])}.")
    lines.append("")
    lines.append(f"Measured by `make bench` on {machine} (CPU only); latest run of each line kept in "
                 "`bench/results.json`.")
    return "\n".join(lines)


def _order(entry: dict) -> tuple:
    modes = ["reduced", "full", "full (cached)", "-"]
    return (entry["name"] == "make test", entry["name"], modes.index(entry["mode"]) if entry["mode"] in modes else 9)


def save(new: list[dict], root: Path) -> list[dict]:
    """Merge ``new`` into bench/results.json and the README table; return all entries."""
    path = root / "bench" / "results.json"
    path.parent.mkdir(exist_ok=True)
    old = json.loads(path.read_text()) if path.exists() else []
    merged = {(e["name"], e["mode"]): e for e in old}
    merged.update({(e["name"], e["mode"]): e for e in new})
    entries = sorted(merged.values(), key=_order)
    path.write_text(json.dumps(entries, indent=1) + "\n")
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        readme.write_text(f"{head}{START}\n{table(entries)}\n{END}{tail}", encoding="utf-8")
    return entries


def grading_class(n: int, folder: Path) -> None:
    """Write ``n`` submissions of the student notebook 02 into ``folder``: solved, partly solved, unanswered."""
    import nbformat

    from . import notebooks, student

    root = repo_root()
    published = root / "notebooks" / "student" / "02_first_mlp.ipynb"
    solution = notebooks.read(root / "notebooks" / "02_first_mlp.ipynb")
    answer = next(notebooks.source(c) for c in solution["cells"]
                  if ((c.get("metadata") or {}).get("nbgrader") or {}).get("solution"))
    answer = answer.replace(student.BEGIN + "\n", "").replace(student.END + "\n", "")
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        nb = nbformat.read(published, as_version=4)
        kind = ("solved", "partly", "unanswered")[i % 3]
        for cell in nb.cells:
            if kind != "unanswered" and cell.cell_type == "code" and \
                    cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = answer + ("\ndigits_accuracy = 0.99" if kind == "partly" else "")
        nbformat.write(nb, folder / f"s{i:04d}-{kind}_02_first_mlp.ipynb")


def cost_split(journal_path: Path) -> dict[str, float]:
    """The mean per-submission cost, in seconds of each stage, from a grading journal."""
    stages: dict[str, list[float]] = {}
    for line in journal_path.read_text(encoding="utf-8").splitlines():
        timing = json.loads(line)["result"].get("usage", {}).get("timing", {})
        if not timing:
            continue
        cells = timing.get("cells", [])
        parts = {"sandbox and kernel start": timing.get("kernel start", 0.0),
                 "set-up cell and imports (TensorFlow)": sum(cells[:2]),
                 "the notebook's other cells": sum(cells[2:]), "hand-over": timing.get("hand-over", 0.0),
                 "checks (their own sandbox and process)": timing.get("checks", 0.0),
                 "judging": timing.get("judging", 0.0)}
        parts["the rest (kernel shut-down, copies)"] = max(0.0, timing.get("runner", 0.0) - sum(
            v for k, v in parts.items() if k not in ("checks (their own sandbox and process)", "judging")))
        for k, v in parts.items():
            stages.setdefault(k, []).append(v)
    return {k: round(sum(v) / len(v), 2) for k, v in stages.items()}


def bench_grading(n: int, root: Path, jobs: int) -> dict:
    """Grade ``n`` generated submissions of notebook 02 in reduced mode (``make grade``'s path); measure it."""
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        subs, out = Path(tmp) / "subs", Path(tmp) / "out"
        grading_class(n, subs)
        env = dict(os.environ, COURSE_NO_DOWNLOAD="1")
        cmd = [sys.executable, "-m", "course_utils.grading", str(subs), "--out", str(out), "--reduced",
               "--data", "auto", "--jobs", str(jobs)]
        result = measure(cmd, env, root, 4 * 3600)
        result["split"] = cost_split(out / "journal.jsonl") if (out / "journal.jsonl").exists() else {}
        result["data"] = "real where local"
    minutes = result["seconds"] / 60
    print(f"grading {n} submissions of 02 (reduced), {jobs} at a time: {result['seconds']:.0f} s, "
          f"{n / minutes:.1f} submissions a minute")
    for stage, seconds in result["split"].items():
        print(f"  {stage}: {seconds:.2f} s per submission")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--notebook", action="append", default=[],
                        help="a notebook number or name to bench (repeatable; default all)")
    parser.add_argument("--mode", choices=["reduced", "full", "both"], default="both")
    parser.add_argument("--no-test", action="store_true", help="do not time `make test`")
    parser.add_argument("--test-only", action="store_true", help="time `make test` and nothing else")
    parser.add_argument("--timeout", type=float, default=90 * 60, help="seconds per notebook run")
    parser.add_argument("--grading", type=int, default=None, metavar="N",
                        help="time grading a class of N generated submissions of notebook 02 (reduced mode), only")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="sandboxes at once for --grading")
    args = parser.parse_args(argv)

    root = repo_root()
    if args.grading:
        result = bench_grading(args.grading, root, args.jobs)
        entry = _entry(f"grading {args.grading} submissions of 02", "reduced", result)
        entry["split"] = result["split"]
        print(table(save([entry], root)))
        return 0 if result["returncode"] == 0 else 1
    paths = sorted((root / "notebooks").glob("[0-9]*.ipynb"))
    if args.notebook:
        paths = [p for p in paths if any(p.stem.startswith(n) or p.stem == n for n in args.notebook)]
        if not paths:
            parser.error(f"no notebook matches {args.notebook}")
    modes = ["reduced", "full"] if args.mode == "both" else [args.mode]
    if args.test_only:
        paths = []
    out = root / "build" / "bench"
    entries = []
    for path in paths:
        for mode in modes:
            with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
                print(f"bench: {path.stem} ({mode}) ...", flush=True)
                result = run_notebook(path, mode, Path(cache), out / mode, args.timeout)
                entries.append(_entry(path.stem, mode, result))
                print(f"  {entries[-1]['seconds']} s, {entries[-1]['peak_mb']} MB, exit {result['returncode']}",
                      flush=True)
                if result["returncode"] != 0:
                    print(result["tail"])
                if mode == "full" and path.stem in REPLAY:
                    replay = run_notebook(path, mode, Path(cache), out / "replay", args.timeout)
                    entries.append(_entry(path.stem, "full (cached)", replay))
                    print(f"  replay: {entries[-1]['seconds']} s", flush=True)
    if not args.no_test:
        print("bench: make test ...", flush=True)
        result = measure(["make", "test"], dict(os.environ), root, 30 * 60)
        result["data"] = "real where local"
        entries.append(_entry("make test", "reduced", result))
    all_entries = save(entries, root)
    print(table(all_entries))
    return 0 if all(e["ok"] for e in entries) else 1


if __name__ == "__main__":
    sys.exit(main())
