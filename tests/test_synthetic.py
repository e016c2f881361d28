"""synthetic: the stand-ins have the real datasets' shapes, dtypes, ranges and labels, and are learnable."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from course_utils import synthetic


@pytest.mark.parametrize("make", [synthetic.mnist, synthetic.fashion_mnist])
def test_image_stand_ins_look_like_keras_datasets(make):
    (x_train, y_train), (x_test, y_test) = make()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))
    assert x_train.min() == 0 and x_train.max() == 255
    counts = np.bincount(y_train)
    assert counts.min() > 5000, counts                     # roughly balanced, as the real ones


@pytest.mark.parametrize("make", [synthetic.mnist, synthetic.fashion_mnist])
def test_image_stand_ins_are_learnable(make):
    (x_train, y_train), (x_test, y_test) = make()
    clf = LogisticRegression(max_iter=100, tol=1e-3).fit(x_train[:2000].reshape(2000, -1) / 255.0, y_train[:2000])
    accuracy = clf.score(x_test[:2000].reshape(2000, -1) / 255.0, y_test[:2000])
    assert 0.6 < accuracy < 0.99, accuracy                 # far above chance (0.1), not trivial


@pytest.mark.slow
def test_stand_ins_are_deterministic_and_cached_on_disk(monkeypatch, tmp_path):
    (x_cached, _), _ = synthetic.fashion_mnist()
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))          # an empty cache: built afresh
    (x_built, _), _ = synthetic.fashion_mnist.__wrapped__()
    np.testing.assert_array_equal(x_cached, x_built)
    [saved] = list(tmp_path.glob("*/stand-in/fashion_mnist-*.npz"))
    saved.write_bytes(saved.read_bytes()[:1000])                    # truncated
    with pytest.warns(UserWarning, match="unreadable"):
        (x_again, _), _ = synthetic.fashion_mnist.__wrapped__()
    np.testing.assert_array_equal(x_again, x_built)
    (a, _), _ = synthetic.imdb()
    synthetic._imdb_raw.cache_clear()
    (b, _), _ = synthetic.imdb()
    assert a[0] == b[0] and a[-1] == b[-1]


def test_mnist_stand_in_tests_on_digits_never_seen_in_training():
    _, _, is_test = synthetic._digit_variants()
    assert 0.2 < is_test.mean() < 0.3


def test_imdb_stand_in_follows_keras_conventions():
    (x_train, y_train), (x_test, y_test) = synthetic.imdb(num_words=1000)
    assert x_train.shape == (25000,) and x_test.shape == (25000,) and x_train.dtype == object
    assert y_train.dtype == np.int64 and set(np.unique(y_train)) == {0, 1}
    assert abs(y_train.mean() - 0.5) < 0.01
    assert all(seq[0] == 1 for seq in x_train[:50])        # start character
    assert max(max(seq) for seq in x_train[:500]) == 999   # num_words cut-off
    assert any(2 in seq for seq in x_train[:50])           # out-of-vocabulary marker
    (x_short, _), _ = synthetic.imdb(maxlen=100)
    assert all(len(seq) < 100 for seq in x_short) and 0 < len(x_short) < 25000


def test_imdb_word_index_ranks_common_words_first():
    index = synthetic.imdb_word_index()
    assert index["the"] == 1 and index["and"] == 2
    assert len(index) == synthetic.IMDB_VOCAB_SIZE
    assert sorted(index.values()) == list(range(1, len(index) + 1))
    assert {"great", "awful"} <= set(index)
