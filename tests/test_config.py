"""config: the two switches, epochs() and the cache folders."""

import pytest

from course_utils import config


@pytest.mark.parametrize("text,expected", [(None, False), ("", False), ("0", False), ("1", True),
                                           ("true", True), ("YES", True), ("off", False)])
def test_course_fast_is_read_from_text(text, expected):
    assert config._read_fast(text) is expected


def test_bad_course_fast_names_the_variable_and_the_fix():
    with pytest.raises(ValueError, match=r"COURSE_FAST='maybe'.*COURSE_FAST=1"):
        config._read_fast("maybe")


@pytest.mark.parametrize("text,expected", [(None, "auto"), ("real", "real"), (" Synthetic ", "synthetic")])
def test_course_data_modes(text, expected):
    assert config._read_data_mode(text) == expected


def test_bad_course_data_lists_the_modes():
    with pytest.raises(ValueError, match="auto, real, synthetic"):
        config._read_data_mode("fake")


def test_epochs_in_both_modes(monkeypatch):
    monkeypatch.setattr(config, "FAST", False)
    assert config.epochs(50) == 50 and config.epochs(50, reduced=20) == 50
    monkeypatch.setattr(config, "FAST", True)
    assert config.epochs(50) == 2 and config.epochs(50, reduced=20) == 20 and config.epochs(1) == 1
    with pytest.raises(ValueError):
        config.epochs(0)


def test_cache_folders_are_separate_per_mode(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(config, "FAST", True)
    reduced = config.cache_dir("fits")
    monkeypatch.setattr(config, "FAST", False)
    full = config.cache_dir("fits")
    assert reduced == tmp_path / "reduced" / "fits" and full == tmp_path / "full" / "fits"
    assert reduced.is_dir() and full.is_dir()


def test_default_cache_is_inside_the_clone(monkeypatch):
    monkeypatch.delenv("COURSE_CACHE_DIR", raising=False)
    monkeypatch.setattr(config, "FAST", True)
    assert config.cache_dir() == config.repo_root() / ".course_cache" / "reduced"
