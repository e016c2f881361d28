"""data: the three data modes, reduced-mode subsets, decoding, the real path offline."""

import gzip
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from course_utils import config, data


def test_synthetic_mode_says_stand_in(capsys, monkeypatch):
    monkeypatch.setattr(config, "DATA", "synthetic")
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    assert "stand-in" in capsys.readouterr().out
    assert data.SOURCES["fashion_mnist"] == "stand-in"
    assert x_train.shape[1:] == (28, 28) and x_train.dtype == np.uint8


def test_reduced_mode_returns_stratified_subsets(monkeypatch):
    monkeypatch.setattr(config, "DATA", "synthetic")
    monkeypatch.setattr(config, "FAST", True)
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert (len(x_train), len(x_test)) == data.REDUCED["mnist"]
    (_, y_full), _ = data.synthetic.mnist()
    share_full = np.bincount(y_full) / len(y_full)
    share = np.bincount(y_train) / len(y_train)
    np.testing.assert_allclose(share, share_full, atol=0.002)


def test_stratified_subset_keeps_proportions_and_order():
    y = np.array([0] * 90 + [1] * 10)
    x = np.arange(100)
    xs, ys = data.stratified_subset(x, y, 20)
    assert list(np.bincount(ys)) == [18, 2]
    assert list(xs) == sorted(xs)
    xs_all, _ = data.stratified_subset(x, y, 500)
    assert len(xs_all) == 100


def test_imdb_in_synthetic_mode_decodes_to_words(monkeypatch):
    monkeypatch.setattr(config, "DATA", "synthetic")
    monkeypatch.setattr(config, "FAST", True)
    (x_train, y_train), _ = data.load_imdb(num_words=5000)
    assert len(x_train) == data.REDUCED["imdb"][0]
    text = data.decode_review(x_train[0])
    assert text.startswith("? ") and len(text.split()) == len(x_train[0])
    assert data.decode_review([1, 4, 5], {"the": 1, "and": 2}) == "? the and"


def test_class_names_and_sample_image():
    assert data.class_names("fashion_mnist")[9] == "Ankle boot"
    assert data.class_names("mnist") == [str(i) for i in range(10)]
    with pytest.raises(ValueError, match="Unknown dataset"):
        data.class_names("cifar")
    photo = data.sample_image()
    assert photo.shape == (427, 640, 3) and photo.dtype == np.uint8


def _idx_gz(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


SCRIPT = textwrap.dedent("""
    import json, shutil, sys, traceback
    import course_utils as cu

    def attempt(mode):
        cu.config.DATA = mode
        out = {}
        try:
            (x, y), (xt, yt) = cu.load_fashion_mnist()
            out = {"shapes": [list(x.shape), list(xt.shape)], "source": cu.data.SOURCES["fashion_mnist"],
                   "labels": [int(v) for v in y[:3]]}
        except cu.DataUnavailableError as exc:
            out = {"error": str(exc), "traceback": "".join(traceback.format_exception(exc))}
        print("RESULT " + json.dumps(out), flush=True)

    attempt("real")       # empty cache, no network
    attempt("auto")       # the same, with the stand-in as fall-back
    shutil.copytree(sys.argv[1], cu.data.keras_datasets_dir() / "fashion-mnist", dirs_exist_ok=True)
    attempt("real")       # files placed where Keras looks
""")


def _idx_gz(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory):
    """Run the three attempts in a fresh process whose KERAS_HOME starts empty."""
    files = tmp_path_factory.mktemp("fashion-files")
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 12), ("t10k", 5)):
        _idx_gz(files / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)), 2051)
        _idx_gz(files / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10, 2049)
    home = tmp_path_factory.mktemp("keras_home")
    env = dict(os.environ, KERAS_HOME=str(home), COURSE_FAST="0")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(files)], env=env, capture_output=True, text=True,
                          timeout=300)
    results = [json.loads(ln[7:]) for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert len(results) == 3, done.stdout + done.stderr
    return home, results, done.stdout


def test_real_mode_offline_with_an_empty_cache_fails_with_one_clear_message(offline_run):
    home, (missing, _, _), _ = offline_run
    message = missing["error"]
    assert "Fashion-MNIST is not in the Keras cache and could not be downloaded" in message
    assert str(home / "datasets" / "fashion-mnist" / "train-images-idx3-ubyte.gz") in message
    assert "COURSE_DATA=auto" in message and "connect to the internet" in message
    # shown as one exception: no chained urllib traceback behind it
    assert missing["traceback"].count("Traceback") == 1 and "During handling" not in missing["traceback"]
    assert "DataUnavailableError: Fashion-MNIST is not in the Keras cache" in missing["traceback"]


def test_auto_mode_offline_falls_back_to_the_stand_in_with_a_banner(offline_run):
    _, (_, auto, _), stdout = offline_run
    assert auto["source"] == "stand-in" and auto["shapes"] == [[60000, 28, 28], [10000, 28, 28]]
    assert "STAND-IN DATA: Fashion-MNIST could not be loaded" in stdout
    assert "NOT the real data" in stdout


def test_real_mode_reads_files_placed_in_keras_home(offline_run):
    _, (_, _, real), _ = offline_run
    assert real == {"shapes": [[12, 28, 28], [5, 28, 28]], "source": "real", "labels": [0, 1, 2]}
