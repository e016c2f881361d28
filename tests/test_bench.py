"""bench: measures a whole process from outside, and keeps a table a change can be compared with."""

import json
import sys

from course_utils import bench


def test_measure_reports_time_memory_and_exit_code(tmp_path):
    code = "import time; b = bytearray(200 * 2**20); time.sleep(1.0); print('ok')"
    result = bench.measure([sys.executable, "-c", code], {}, tmp_path, timeout=60)
    assert result["returncode"] == 0 and result["tail"].strip() == "ok"
    assert 1.0 <= result["seconds"] < 30
    assert result["peak_bytes"] > 200 * 2**20


def test_measure_kills_a_run_past_its_time_limit(tmp_path):
    result = bench.measure([sys.executable, "-c", "while True: pass"], {}, tmp_path, timeout=1)
    assert result["returncode"] != 0 and result["seconds"] < 10


def test_budgets_follow_the_course_rules():
    assert bench.budget("03_universal_workflow", "full") == (600, 3 * 2**30)
    assert bench.budget("05_miniproject_cnn", "full") == (3600, 3 * 2**30)
    assert bench.budget("05_miniproject_cnn", "full (cached)")[0] == 60
    assert bench.budget("make test", "reduced")[0] == 180
    assert bench.budget("01_tensors", "reduced") == (None, None)


def test_save_merges_results_and_rewrites_the_readme_table(tmp_path):
    (tmp_path / "README.md").write_text(f"intro\n{bench.START}\nold\n{bench.END}\nrest\n")
    slow = bench._entry("01_tensors", "full", {"seconds": 700.0, "peak_bytes": 2**30, "returncode": 0,
                                               "data": "stand-in"})
    bench.save([slow], tmp_path)
    fast = bench._entry("01_tensors", "full", {"seconds": 90.0, "peak_bytes": 2**29, "returncode": 0,
                                               "data": "stand-in"})
    reduced = bench._entry("01_tensors", "reduced", {"seconds": 20.0, "peak_bytes": 2**29, "returncode": 0})
    entries = bench.save([fast, reduced], tmp_path)
    assert [(e["mode"], e["seconds"]) for e in entries] == [("reduced", 20.0), ("full", 90.0)]
    assert not slow["within_budget"] and fast["within_budget"]
    saved = json.loads((tmp_path / "bench" / "results.json").read_text())
    assert saved == entries
    readme = (tmp_path / "README.md").read_text()
    assert readme.startswith("intro\n") and readme.endswith("rest\n") and "old" not in readme
    assert "| 01_tensors | full | stand-in | 90 s | 512 MB | 10.0 min | yes |" in readme


def test_data_used_reads_the_loaders_lines(tmp_path):
    nb = tmp_path / "n.ipynb"
    nb.write_text('"[real data] MNIST: the real dataset, read from data/mnist"\n'
                  '"[real data] Fashion-MNIST: the real dataset"\n'
                  '"STAND-IN DATA: IMDB could not be loaded (offline)"\n')
    assert bench.data_used(nb) == "real: MNIST, Fashion-MNIST; stand-in: IMDB"
    nb.write_text('"[stand-in data] MNIST: the course\'s synthetic stand-in"')
    assert bench.data_used(nb) == "stand-in"
    nb.write_text('"[real data] Fashion-MNIST: the real dataset"')
    assert bench.data_used(nb) == "real"
    nb.write_text("no data here")
    assert bench.data_used(nb) == "-"
    assert bench.data_used(tmp_path / "missing.ipynb") == "-"
