"""Segment entries and segments folders changed through the store, written and read back."""

from __future__ import annotations

from pathlib import Path

from cc_tui.models.config import AppConfig, SegmentSource
from cc_tui.store.config import (
    ConfigStore,
    with_segment,
    with_segments_dir,
    without_segment,
    without_segments_dir,
)

ODD_PATH = Path("/data/exports/vip*[2024] \x1b]0;x\x07.csv")


def test_segment_entries_round_trip_with_every_option(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "config.toml")
    source = SegmentSource(
        name="vip",
        path=ODD_PATH,
        format="csv",
        encoding="cp1252",
        delimiter=";",
        quote="",
        header=False,
        columns=("Email", "First name"),
    )
    cdm = SegmentSource(
        name="ci", path=Path("/lake/ci/model.json"), entity="Contact", snapshot="2026/11/29/0600"
    )
    store.update(lambda c: with_segment(with_segment(c, source), cdm))
    loaded = store.load()
    assert loaded.segments == {"vip": source, "ci": cdm}
    assert loaded.segments["vip"].path == ODD_PATH  # literally: no glob, no escape lost


def test_replacing_and_removing_an_entry() -> None:
    first = SegmentSource(name="vip", path=Path("/a.csv"))
    config = with_segment(AppConfig(), first)
    changed = with_segment(config, SegmentSource(name="vip", path=Path("/b.csv")))
    assert changed.segments["vip"].path == Path("/b.csv")
    assert without_segment(changed, "vip").segments == {}
    assert without_segment(changed, "other") == changed


def test_segments_folders_are_added_once_and_removed(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "config.toml")
    store.update(lambda c: with_segments_dir(with_segments_dir(c, Path("/a")), Path("/b")))
    store.update(lambda c: with_segments_dir(c, Path("/a")))
    assert store.load().segments_dirs == (Path("/a"), Path("/b"))
    store.update(lambda c: without_segments_dir(c, Path("/a")))
    assert store.load().segments_dirs == (Path("/b"),)
