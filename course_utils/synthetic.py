"""Stand-in datasets with the real datasets' shapes, dtypes, ranges and labels.

The course machines used for testing have no internet, so ``keras.datasets``
cannot download anything there. These generators make learnable stand-ins
that a notebook can use unchanged:

* :func:`mnist` - real handwritten digits (scikit-learn's 8x8 ``load_digits``,
  upscaled, shifted, rotated and scaled) on a 28x28 canvas. Train and test
  images come from different original digits.
* :func:`fashion_mnist` - ten clothing silhouettes drawn by code, with random
  size, position, brightness and texture. Shirt, T-shirt, pullover and coat
  look alike on purpose, as in the real data.
* :func:`imdb` - integer-encoded "reviews" over a made-up vocabulary whose
  first words are common English words and which holds positive and negative
  words; the label decides which kind dominates, noisily.

They are deterministic (a fixed seed) and never pretend to be the real data:
:mod:`course_utils.data` labels them as stand-ins wherever it prints.

Example::

    >>> (x_train, y_train), (x_test, y_test) = mnist()
    >>> x_train.shape, x_train.dtype, y_train[:5]
    ((60000, 28, 28), dtype('uint8'), array([...], dtype=uint8))
"""

from __future__ import annotations

import hashlib
import os
import warnings
from functools import lru_cache
from itertools import zip_longest
from pathlib import Path

import numpy as np

SEED = 1234
# The generated arrays are kept on disk (in the course cache) and reused; the
# file name holds a checksum of this module, so a change of generator rebuilds them.
_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def _disk_cached(name: str, build):
    """Return ``build()``'s dict of arrays, stored once as ``.npz`` in the course cache."""
    from .config import cache_dir

    path = cache_dir("stand-in") / f"{name}-{_VERSION}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                return {k: f[k] for k in f.files}
        except Exception as exc:  # noqa: BLE001 - a truncated or foreign file: rebuild it
            warnings.warn(f"The stand-in cache file {path} is unreadable ({exc}); rebuilding it.", stacklevel=3)
    arrays = build()
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    try:
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
    return arrays
IMAGE_SIZES = {"train": 60000, "test": 10000}
IMDB_SIZES = {"train": 25000, "test": 25000}
IMDB_VOCAB_SIZE = 12000


# --------------------------------------------------------------------------
# MNIST: real digits from scikit-learn, upscaled and jittered
# --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _digit_variants() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (variants, labels, is_test): each 8x8 digit in 9 sizes/angles, 22x22."""
    from scipy import ndimage
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0
    idx_train, idx_test = train_test_split(
        np.arange(len(images)), test_size=0.25, stratify=digits.target, random_state=0
    )
    is_test = np.zeros(len(images), dtype=bool)
    is_test[idx_test] = True

    variants = np.zeros((len(images), 9, 22, 22), dtype=np.float32)
    k = 0
    for size in (16, 18, 20):
        big = ndimage.zoom(images, (1, size / 8.0, size / 8.0), order=1)
        off = (22 - size) // 2
        for angle in (-12, 0, 12):
            rot = ndimage.rotate(big, angle, axes=(1, 2), reshape=False, order=1) if angle else big
            variants[:, k, off : off + size, off : off + size] = np.clip(rot, 0, 1)
            k += 1
    return variants, digits.target.astype(np.uint8), is_test


def _place(glyphs: np.ndarray, rng: np.random.Generator, max_shift: int) -> np.ndarray:
    """Paste (n, h, w) glyphs into 28x28 canvases at random offsets."""
    n, h, w = glyphs.shape
    canvas = np.zeros((n, 28, 28), dtype=np.float32)
    centre_y, centre_x = (28 - h) // 2, (28 - w) // 2
    dy = rng.integers(-max_shift, max_shift + 1, size=n)
    dx = rng.integers(-max_shift, max_shift + 1, size=n)
    for i in range(n):
        y = int(np.clip(centre_y + dy[i], 0, 28 - h))
        x = int(np.clip(centre_x + dx[i], 0, 28 - w))
        canvas[i, y : y + h, x : x + w] = glyphs[i]
    return canvas


def _to_uint8(images: np.ndarray, rng: np.random.Generator, noise: float) -> np.ndarray:
    images = images + noise * rng.standard_normal(images.shape, dtype=np.float32) * (images > 0.05)
    return np.clip(images * 255.0, 0, 255).astype(np.uint8)


def _digits_split(split: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    variants, labels, is_test = _digit_variants()
    pool = np.flatnonzero(is_test if split == "test" else ~is_test)
    src = rng.choice(pool, size=n)
    var = rng.integers(0, variants.shape[1], size=n)
    glyphs = variants[src, var]
    # stroke thickness and contrast vary from writer to writer
    gamma = rng.uniform(0.6, 1.2, size=(n, 1, 1)).astype(np.float32)
    glyphs = glyphs**gamma * rng.uniform(0.8, 1.0, size=(n, 1, 1)).astype(np.float32)
    images = _place(glyphs, rng, max_shift=1)
    return _to_uint8(images, rng, noise=0.06), labels[src]


@lru_cache(maxsize=2)
def mnist(seed: int = SEED):
    """Return an MNIST stand-in: ``(x_train, y_train), (x_test, y_test)``.

    Shapes (60000, 28, 28) and (10000, 28, 28), dtype uint8, values 0-255;
    labels uint8 0-9. Built from scikit-learn's real handwritten digits.
    """
    def build():
        rng = np.random.default_rng(seed)
        (xa, ya), (xb, yb) = _digits_split("train", IMAGE_SIZES["train"], rng), \
            _digits_split("test", IMAGE_SIZES["test"], rng)
        return {"x_train": xa, "y_train": ya, "x_test": xb, "y_test": yb}

    a = _disk_cached(f"mnist-{seed}", build)
    return (a["x_train"], a["y_train"]), (a["x_test"], a["y_test"])


# --------------------------------------------------------------------------
# Fashion-MNIST: clothing silhouettes drawn by code
# --------------------------------------------------------------------------


def _grid():
    y, x = np.mgrid[0:28, 0:28].astype(np.float32)
    return y[None], x[None]


def _u(rng, n, low, high):
    return rng.uniform(low, high, size=(n, 1, 1)).astype(np.float32)


def _top(rng, n, sleeves: str, bottom_lo: float, bottom_hi: float):
    """Torso with short, long or no sleeves; returns (mask, cx, half_width, top, bottom)."""
    Y, X = _grid()
    cx = _u(rng, n, 12.5, 15.5)
    hw = _u(rng, n, 5.0, 7.0)
    top = _u(rng, n, 3.0, 5.0)
    bottom = _u(rng, n, bottom_lo, bottom_hi)
    dist = np.abs(X - cx)
    torso = (dist <= hw) & (Y >= top) & (Y <= bottom)
    if sleeves == "short":
        arm = (dist <= hw + _u(rng, n, 2.5, 4.5)) & (Y >= top) & (Y <= top + _u(rng, n, 4.0, 10.0))
    elif sleeves == "long":
        reach = hw + _u(rng, n, 2.5, 3.5) + (Y - top) * 0.12
        arm = (dist > hw) & (dist <= reach) & (Y >= top + 1) & (Y <= bottom - _u(rng, n, 0.0, 2.0))
    else:
        arm = np.zeros_like(torso)
    return torso | arm, cx, hw, top, bottom


def _tshirt(rng, n):
    mask, *_ = _top(rng, n, "short", 20.0, 24.0)
    return mask.astype(np.float32)


def _pullover(rng, n):
    Y, _ = _grid()
    mask, cx, hw, top, bottom = _top(rng, n, "long", 19.0, 24.0)
    img = mask.astype(np.float32)
    hem = mask & (Y >= bottom - 1.5)  # ribbed hem
    return img + _u(rng, n, 0.0, 0.3) * hem


def _coat(rng, n):
    Y, X = _grid()
    mask, cx, hw, top, bottom = _top(rng, n, "long", 21.0, 26.0)
    img = mask.astype(np.float32)
    opening = mask & (np.abs(X - cx) < 0.6)  # zip or buttons down the middle
    return img - _u(rng, n, 0.0, 0.5) * opening


def _shirt(rng, n):
    Y, X = _grid()
    mask, cx, hw, top, bottom = _top(rng, n, "long", 20.0, 24.0)
    img = mask.astype(np.float32)
    collar = mask & (np.abs(X - cx) < (3.0 - (Y - top))) & (Y < top + 3)
    buttons = mask & (np.abs(X - cx) < 0.6) & ((Y.astype(int) % 3) == 0)
    return img - _u(rng, n, 0.0, 0.6) * collar - _u(rng, n, 0.0, 0.4) * buttons


def _dress(rng, n):
    Y, X = _grid()
    cx = _u(rng, n, 12.5, 15.5)
    top = _u(rng, n, 2.0, 4.0)
    bottom = _u(rng, n, 24.0, 27.0)
    waist = _u(rng, n, 2.5, 3.5)
    flare = _u(rng, n, 0.25, 0.45)
    half = waist + flare * np.maximum(Y - top - 6.0, 0.0) + 1.5 * (Y < top + 6)
    mask = (np.abs(X - cx) <= half) & (Y >= top) & (Y <= bottom)
    return mask.astype(np.float32)


def _trouser(rng, n):
    Y, X = _grid()
    cx = _u(rng, n, 12.5, 15.5)
    gap = _u(rng, n, 0.8, 1.8)
    leg = _u(rng, n, 3.0, 4.2)
    top = _u(rng, n, 1.0, 3.0)
    bottom = _u(rng, n, 25.0, 27.0)
    dist = np.abs(X - cx)
    legs = (dist >= gap) & (dist <= gap + leg) & (Y >= top) & (Y <= bottom)
    waist = (dist <= gap + leg) & (Y >= top) & (Y <= top + 5)
    return (legs | waist).astype(np.float32)


def _shoe(rng, n, shaft: float):
    """A shoe pointing left; ``shaft`` > 0 gives an ankle boot's high back."""
    Y, X = _grid()
    left = _u(rng, n, 2.0, 4.0)
    right = _u(rng, n, 24.0, 26.0)
    sole = _u(rng, n, 21.0, 23.0)
    height = _u(rng, n, 6.0, 8.0)
    # the upper rises from the toe (left) to the heel (right)
    line = sole - height * np.clip((X - left) / (right - left) * 1.6, 0.3, 1.0)
    foot = (X >= left) & (X <= right) & (Y <= sole) & (Y >= line)
    img = foot.astype(np.float32)
    img += 0.3 * ((X >= left) & (X <= right) & (Y > sole) & (Y <= sole + 1.5))
    if shaft:
        back = (X >= right - _u(rng, n, 8.0, 10.0)) & (X <= right) & (Y >= sole - height - shaft) & (Y <= sole)
        img = np.maximum(img, back.astype(np.float32))
    return img


def _sneaker(rng, n):
    return _shoe(rng, n, shaft=0.0)


def _boot(rng, n):
    return _shoe(rng, n, shaft=9.0)


def _sandal(rng, n):
    Y, X = _grid()
    left = _u(rng, n, 2.0, 4.0)
    right = _u(rng, n, 24.0, 26.0)
    sole = _u(rng, n, 20.0, 22.0)
    phase = _u(rng, n, 0.0, 5.0)
    base = (X >= left) & (X <= right) & (Y >= sole) & (Y <= sole + 2)
    straps = (X >= left + 2) & (X <= right - 1) & (Y >= sole - 7) & (Y < sole) & (((X + Y + phase) % 5) < 1.6)
    return base.astype(np.float32) + 0.8 * straps


def _bag(rng, n):
    Y, X = _grid()
    cx = _u(rng, n, 12.5, 15.5)
    hw = _u(rng, n, 8.0, 11.0)
    top = _u(rng, n, 10.0, 13.0)
    bottom = _u(rng, n, 23.0, 26.0)
    body = (np.abs(X - cx) <= hw) & (Y >= top) & (Y <= bottom)
    r = np.sqrt((X - cx) ** 2 + (Y - top) ** 2)
    radius = _u(rng, n, 4.0, 6.0)
    handle = (np.abs(r - radius) < 0.9) & (Y < top)
    return body.astype(np.float32) + 0.8 * handle


_FASHION_DRAWERS = (_tshirt, _trouser, _pullover, _dress, _coat, _sandal, _shirt, _sneaker, _bag, _boot)


def _fashion_split(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    images = np.zeros((n, 28, 28), dtype=np.float32)
    for cls, draw in enumerate(_FASHION_DRAWERS):
        where = np.flatnonzero(labels == cls)
        if len(where):
            images[where] = draw(rng, len(where))
    # brightness, fabric texture and a small shift, as different photos would give
    shade = _u(rng, n, 0.35, 0.9)
    texture = 1.0 + 0.35 * rng.standard_normal((n, 28, 28), dtype=np.float32)
    images = np.clip(images, 0, 1.3) * shade * texture
    shifted = np.zeros_like(images)
    dy = rng.integers(-2, 3, size=n)
    dx = rng.integers(-2, 3, size=n)
    for sy in range(-2, 3):
        for sx in range(-2, 3):
            pick = np.flatnonzero((dy == sy) & (dx == sx))
            shifted[pick] = np.roll(images[pick], (sy, sx), axis=(1, 2))
    return _to_uint8(shifted, rng, noise=0.04), labels


@lru_cache(maxsize=2)
def fashion_mnist(seed: int = SEED):
    """Return a Fashion-MNIST stand-in: ``(x_train, y_train), (x_test, y_test)``.

    Shapes (60000, 28, 28) and (10000, 28, 28), dtype uint8, values 0-255;
    labels uint8 0-9 in the real dataset's class order (see
    ``course_utils.data.FASHION_CLASSES``).
    """
    def build():
        rng = np.random.default_rng(seed + 1)
        (xa, ya), (xb, yb) = _fashion_split(IMAGE_SIZES["train"], rng), _fashion_split(IMAGE_SIZES["test"], rng)
        return {"x_train": xa, "y_train": ya, "x_test": xb, "y_test": yb}

    a = _disk_cached(f"fashion_mnist-{seed}", build)
    return (a["x_train"], a["y_train"]), (a["x_test"], a["y_test"])


# --------------------------------------------------------------------------
# IMDB: integer-encoded reviews over a made-up vocabulary
# --------------------------------------------------------------------------

# The most frequent words, in roughly the real dataset's order.
_COMMON = (
    "the and a of to is br in it i this that was as for with movie but film on not you are "
    "his have he be one all at by an they who so from like her just about out if has some "
    "there what good more when very up no time she even my would which only story really "
    "see their had can were me well than we much been get will also into do other people "
    "first because how him most its made then way make them could any too after characters "
    "think watch many two being seen character never plot acting life did know where over "
    "show little ever off does your end man here scene why scenes these while something"
).split()
_POSITIVE = (
    "great excellent wonderful best loved beautiful brilliant perfect amazing superb "
    "favorite enjoyed touching fantastic masterpiece delightful charming moving fun "
    "outstanding gem highly recommend powerful remarkable stunning hilarious sweet "
    "strong fascinating memorable refreshing"
).split()
_NEGATIVE = (
    "bad worst awful terrible boring waste poor stupid horrible mess dull worse "
    "ridiculous lame pointless annoying disappointing weak predictable mediocre "
    "forgettable unfunny badly poorly cheap laughable tedious bland avoid garbage"
).split()
_NEUTRAL = (
    "actor actors actress director cast camera music score script screen ending "
    "audience studio budget sequel series episode version house night city war family "
    "father mother friend friends woman women men girl boy children world car money "
    "day year years minutes hour moment place school book novel role part lines voice "
    "eyes face hand head job town police killer monster ship music dance song songs "
    "comedy drama horror action thriller romance western documentary animation genre "
    "setting scenes shot shots cut dialogue title effects sound light color black white"
).split()
_SYLLABLES = "ka lo mi ne ru sa te vi po da fe gu hi jo ba ce di fo ga ti mu re".split()


@lru_cache(maxsize=1)
def imdb_vocabulary() -> tuple[str, ...]:
    """Return the stand-in's words, most frequent first (rank = position + 1)."""
    words: list[str] = []
    seen: set[str] = set()

    def add(word: str) -> None:
        if word not in seen:
            seen.add(word)
            words.append(word)

    # sentiment words sit among the frequent ones, as "great" and "bad" do
    for w in _COMMON[:60]:
        add(w)
    for pair in zip_longest(_POSITIVE, _NEGATIVE):
        for word in pair:
            if word:
                add(word)
    for w in _COMMON[60:] + _NEUTRAL:
        add(w)
    rng = np.random.default_rng(SEED + 2)
    while len(words) < IMDB_VOCAB_SIZE:
        k = int(rng.integers(2, 5))
        add("".join(rng.choice(_SYLLABLES, size=k)))
    return tuple(words)


def imdb_word_index() -> dict[str, int]:
    """Return the stand-in's word index: word -> rank (1 = most frequent), like Keras's."""
    return {w: i + 1 for i, w in enumerate(imdb_vocabulary())}


def _imdb_reviews(n: int, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """Return ``n`` reviews as arrays of word ranks (1-based), and their labels."""
    vocab = imdb_vocabulary()
    index = {w: i + 1 for i, w in enumerate(vocab)}
    pos_ranks = np.array([index[w] for w in _POSITIVE])
    neg_ranks = np.array([index[w] for w in _NEGATIVE])
    sentiment = np.zeros(len(vocab) + 1, dtype=bool)
    sentiment[pos_ranks] = True
    sentiment[neg_ranks] = True

    # neutral words follow a Zipf law over the remaining ranks
    neutral = np.flatnonzero(~sentiment[1:]) + 1
    weights = 1.0 / (np.arange(len(neutral)) + 2.7)
    weights /= weights.sum()

    labels = np.repeat(np.array([0, 1], dtype=np.int64), n // 2 + 1)[:n]
    rng.shuffle(labels)
    lengths = np.clip(rng.lognormal(5.2, 0.55, size=n), 12, 1200).astype(int)
    tokens = rng.choice(neutral, size=int(lengths.sum()), p=weights)
    # each review leans towards its label with its own strength: some are mixed
    lean = np.clip(rng.normal(0.74, 0.13, size=n), 0.3, 0.97)
    rate = rng.uniform(0.025, 0.06, size=n)
    reviews = np.split(tokens, np.cumsum(lengths)[:-1])
    for i, review in enumerate(reviews):
        k = max(1, int(rng.binomial(len(review), rate[i])))
        where = rng.choice(len(review), size=k, replace=False)
        agrees = rng.random(k) < lean[i]
        own, other = (pos_ranks, neg_ranks) if labels[i] == 1 else (neg_ranks, pos_ranks)
        review[where] = np.where(agrees, rng.choice(own, size=k), rng.choice(other, size=k))
    return reviews, labels


def _encode(reviews, num_words, skip_top, maxlen, start_char, oov_char, index_from, labels):
    out, kept = [], []
    for review, label in zip(reviews, labels):
        seq = review + index_from
        if start_char is not None:
            seq = np.concatenate([[start_char], seq])
        if maxlen and len(seq) >= maxlen:
            continue
        if num_words or skip_top:
            limit = num_words or np.inf
            bad = (seq < skip_top) | (seq >= limit)
            seq = np.where(bad, oov_char, seq)
        out.append(seq.tolist())
        kept.append(label)
    x = np.empty(len(out), dtype=object)
    x[:] = out
    return x, np.array(kept, dtype=np.int64)


@lru_cache(maxsize=1)
def _imdb_raw(seed: int):
    def build():
        rng = np.random.default_rng(seed + 3)
        arrays = {}
        for split, n in IMDB_SIZES.items():
            reviews, labels = _imdb_reviews(n, rng)
            arrays[f"{split}_tokens"] = np.concatenate(reviews).astype(np.int32)
            arrays[f"{split}_lengths"] = np.array([len(r) for r in reviews], dtype=np.int64)
            arrays[f"{split}_labels"] = labels
        return arrays

    a = _disk_cached(f"imdb-{seed}", build)
    out = []
    for split in IMDB_SIZES:
        reviews = np.split(a[f"{split}_tokens"].astype(np.int64), np.cumsum(a[f"{split}_lengths"])[:-1])
        out.append((reviews, a[f"{split}_labels"]))
    return tuple(out)


def imdb(num_words=None, skip_top=0, maxlen=None, start_char=1, oov_char=2, index_from=3, seed: int = SEED):
    """Return an IMDB stand-in with ``keras.datasets.imdb.load_data``'s conventions.

    ``(x_train, y_train), (x_test, y_test)``: 25000 reviews each, as an object
    array of lists of ints (1 = start, 2 = out-of-vocabulary, word ids offset
    by ``index_from``), labels int64 0 (negative) / 1 (positive), balanced.
    ``num_words``, ``skip_top``, ``maxlen`` behave as in Keras.
    """
    (r_train, l_train), (r_test, l_test) = _imdb_raw(seed)
    args = (num_words, skip_top, maxlen, start_char, oov_char, index_from)
    return _encode(r_train, *args, l_train), _encode(r_test, *args, l_test)
