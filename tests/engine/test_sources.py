"""SourceService: segment entries and folders added and removed, and every segment's state."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cc_tui.engine.segments.entries import derive_segment_name, looks_like_path, make_source
from cc_tui.engine.services import Services
from cc_tui.engine.sources import PathEntity, SegmentState
from cc_tui.errors import InputError, UsageError
from cc_tui.models.config import Export, FieldMapping, SegmentSource
from cc_tui.paths import AppPaths
from cc_tui.store.config import with_export, with_segment
from tests.engine.segment_builders import cdm_manifest_folder, customer_insights_folder

LIST_ID = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"
PEOPLE = "Email,First\nann@example.com,Ann\nbo@example.com,Bo\n"


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    opened = Services.open(AppPaths.resolve(tmp_path / "home"), os_user="alice")
    yield opened
    opened.close()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "people.csv").write_text(PEOPLE)
    return folder


def _export_using(services: Services, *segments: str) -> None:
    export = Export(name="promo", connection=None, list_ids=(LIST_ID,), segments=segments,
                    mapping=FieldMapping(email="Email"))  # fmt: skip
    services.config.update(lambda c: with_export(c, export))


def test_add_checks_and_writes_an_absolute_entry(
    services: Services, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data)
    look = services.sources.add(make_source("people", "people.csv"))
    assert [c.name for c in look.columns] == ["Email", "First"]
    assert look.first_rows.get_column("Email").to_list() == ["ann@example.com", "bo@example.com"]
    entry = services.config.load().segments["people"]
    assert entry.path == data / "people.csv"
    assert entry.path.is_absolute()
    events = services.history.events(subject="people")
    assert [event.action for event in events] == ["segment.add"]


def test_add_refuses_a_taken_name_unless_replacing(services: Services, data: Path) -> None:
    services.sources.add(make_source("people", data / "people.csv"))
    (data / "other.csv").write_text(PEOPLE)
    with pytest.raises(UsageError, match=r"already exists.*--replace"):
        services.sources.add(make_source("people", data / "other.csv"))
    services.sources.add(make_source("people", data / "other.csv"), replace=True)
    assert services.config.load().segments["people"].path == data / "other.csv"


def test_two_entities_of_one_model_json_are_two_segments(
    services: Services, tmp_path: Path
) -> None:
    root = tmp_path / "ci-export"
    customer_insights_folder(root, customers=4, vips=2)
    model = root / "model.json"
    sources = services.sources
    sources.add(make_source("ci", model, entity="Customer"))
    assert sources.name_of(model, "Customer") == "ci"
    assert sources.name_of(root, "Customer") == "ci"  # the folder is its model.json
    assert sources.name_of(model, "VipSegment") is None
    assert sources.name_of(model) is None  # several entities: which one is not said
    sources.add(make_source("vip", root, entity="VipSegment"))
    assert sources.name_of(model, "VipSegment") == "vip"
    # The same entity again is refused, however its path is spelled.
    for path in (model, root):
        with pytest.raises(UsageError, match=r"entity Customer of .* already the segment 'ci'"):
            sources.add(make_source("again", path, entity="Customer"))
    assert sorted(services.config.load().segments) == ["ci", "vip"]


def test_the_entities_of_a_path_and_the_segments_reading_them(
    services: Services, tmp_path: Path, data: Path
) -> None:
    root = tmp_path / "ci-export"
    customer_insights_folder(root, customers=4, vips=2)
    sources = services.sources
    assert sources.entities(root / "model.json") == (
        PathEntity("Customer"),
        PathEntity("VipSegment"),
    )
    sources.add(make_source("ci", root / "model.json", entity="Customer"))
    assert sources.entities(root) == (PathEntity("Customer", "ci"), PathEntity("VipSegment"))
    assert sources.entities(data / "people.csv") == ()  # no CDM folder
    assert sources.entities(data) == ()
    with pytest.raises(InputError, match="does not exist"):
        sources.entities(tmp_path / "gone")
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="FIFO"):
        sources.entities(fifo)  # examined, never opened (opening it would wait here)


def test_a_cdm_folder_of_one_entity_is_known_by_any_spelling(
    services: Services, tmp_path: Path
) -> None:
    root = tmp_path / "crm"
    cdm_manifest_folder(root)
    manifest = root / "default.manifest.cdm.json"
    sources = services.sources
    sources.add(make_source("crm", root))  # no entity: the folder has one
    assert sources.entities(manifest) == (PathEntity("Customer", "crm"),)
    assert sources.name_of(manifest) == "crm"
    assert sources.name_of(manifest, "Customer") == "crm"
    assert sources.resolve([str(manifest), str(root)]).names == ("crm", "crm")
    with pytest.raises(UsageError, match="already the segment 'crm'"):
        sources.add(make_source("again", manifest, entity="Customer"))


def test_entities_found_in_a_segments_folder_are_known(services: Services, tmp_path: Path) -> None:
    root = tmp_path / "exports" / "ci-export"
    customer_insights_folder(root, customers=4, vips=2)
    services.sources.add_dir(root.parent)
    assert services.sources.name_of(root / "model.json", "VipSegment") == "VipSegment"
    (tmp_path / "elsewhere.csv").write_text(PEOPLE)
    with pytest.raises(UsageError, match="already the segment 'VipSegment'"):
        services.sources.add(make_source("vip", root, entity="VipSegment"))
    with pytest.raises(UsageError, match=r"taken by .*model.json \(entity VipSegment\)"):
        services.sources.add(make_source("VipSegment", tmp_path / "elsewhere.csv"))
    # An entry may take over the name discovery gave the same entity (given by its folder).
    services.sources.add(make_source("Customer", root, entity="Customer"))
    assert services.sources.name_of(root / "model.json", "Customer") == "Customer"


def test_resolve_refuses_a_cdm_folder_of_several_entities_with_what_to_run(
    services: Services, tmp_path: Path
) -> None:
    root = tmp_path / "ci-export"
    customer_insights_folder(root, customers=4, vips=2)
    model = root / "model.json"
    services.sources.add(make_source("ci", model, entity="Customer"))
    with pytest.raises(InputError) as refused:
        services.sources.resolve([str(model)])
    message = str(refused.value)
    assert "several CDM entities (Customer, VipSegment)" in message
    assert "Customer: already the segment ci (--segment ci)" in message
    assert (
        f"VipSegment: cc-tui segment add ci-export-VipSegment {model} --entity VipSegment, "
        "then --segment ci-export-VipSegment"
    ) in message
    # Both entities segments already: each is named, nothing is left to add.
    services.sources.add(make_source("vip", model, entity="VipSegment"))
    with pytest.raises(InputError, match=r"VipSegment: already the segment vip \(--segment vip\)"):
        services.sources.resolve([str(root)])


def test_add_refuses_a_path_that_is_already_a_segment(services: Services, data: Path) -> None:
    services.sources.add_dir(data)
    with pytest.raises(UsageError, match="already the segment 'people'"):
        services.sources.add(make_source("vip", data / "people.csv"))
    assert services.sources.name_of(data / "people.csv") == "people"


def test_a_name_found_in_a_segments_folder_is_not_taken_over(
    services: Services, data: Path, tmp_path: Path
) -> None:
    services.sources.add_dir(data)
    (tmp_path / "elsewhere.csv").write_text(PEOPLE)
    with pytest.raises(UsageError, match=r"taken by .*people.csv"):
        services.sources.add(make_source("people", tmp_path / "elsewhere.csv"))


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: None, "does not exist"),
        (
            lambda p: p.symlink_to(p.parent / "gone"),
            "symbolic link to something that does not exist",
        ),
        (lambda p: p.write_bytes(b"\x00\x01\x02\x03 binary"), "is not CSV, TSV, Parquet or NDJSON"),
    ],
    ids=["missing", "dangling-link", "binary"],
)
def test_add_refuses_what_cannot_be_read_and_writes_nothing(
    services: Services, tmp_path: Path, make: object, problem: str
) -> None:
    path = tmp_path / "thing.dat"  # the content decides what a .dat file is
    make(path)  # type: ignore[operator]
    with pytest.raises(InputError, match=problem):
        services.sources.add(make_source("thing", path))
    assert services.config.load().segments == {}


def test_a_fifo_is_refused_without_being_opened(services: Services, tmp_path: Path) -> None:
    fifo = tmp_path / "people.csv"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def add() -> None:
        try:
            services.sources.add(make_source("pipe", fifo))
        except InputError as exc:
            outcome.append(exc)

    # Opening a FIFO with no writer blocks: a thread keeps a wrong implementation from
    # hanging the whole test run.
    worker = threading.Thread(target=add, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "add() opened the FIFO"
    assert "FIFO" in str(outcome[0]) and "regular files and folders" in str(outcome[0])


def test_paths_are_stored_literally(services: Services, data: Path) -> None:
    odd = data / "vip*[1].csv"
    odd.write_text(PEOPLE)
    (data / "vip-2024.csv").write_text(PEOPLE)
    services.sources.add(make_source("vip", odd))
    assert services.config.load().segments["vip"].path == odd


def test_bad_options_are_refused_with_the_option_named() -> None:
    with pytest.raises(UsageError, match="delimiter"):
        make_source("x", "/a.csv", delimiter=";;")
    with pytest.raises(UsageError, match="encoding 'klingon'"):
        make_source("x", "/a.csv", encoding="klingon")
    with pytest.raises(UsageError, match="format 'xlsx'"):
        make_source("x", "/a.csv", format="xlsx")
    with pytest.raises(UsageError, match="more than once"):
        make_source("x", "/a.csv", columns=["a", "a"])
    with pytest.raises(UsageError, match="quote"):
        make_source("x", "/a.csv", quote="''")
    with pytest.raises(Exception, match="not allowed"):
        make_source("bad name", "/a.csv")
    assert make_source("x", "/a.tsv", delimiter="tab").delimiter == "\t"


def test_overview_lists_ready_missing_and_unreadable_segments(
    services: Services, data: Path, tmp_path: Path
) -> None:
    services.sources.add_dir(data)
    gone = tmp_path / "gone.csv"
    gone.write_text(PEOPLE)
    services.sources.add(make_source("gone", gone))
    gone.unlink()
    broken = tmp_path / "broken.dat"
    broken.write_bytes(b"\x00\x01\x02\x03 binary")
    # Written as a hand-edit would be: add() refuses what it cannot read.
    services.config.update(lambda c: with_segment(c, SegmentSource(name="broken", path=broken)))
    (data / "notes.json").write_text('{\n  "a": 1\n}\n')  # JSON, but not one object per line
    overview = services.sources.overview()
    states = {status.name: status.state for status in overview.statuses}
    # A broken file of a segments folder is skipped with its reason, or listed as unreadable.
    notes = states.pop("notes", None)
    assert notes in (None, SegmentState.UNREADABLE)
    assert notes is not None or any("notes.json" in reason for reason in overview.skipped)
    assert states == {
        "broken": SegmentState.UNREADABLE,
        "gone": SegmentState.MISSING,
        "people": SegmentState.READY,
    }
    gone_status = overview.get("gone")
    assert gone_status is not None
    assert "does not exist" in gone_status.problem and "segment remove gone" in gone_status.problem
    broken_status = overview.get("broken")
    assert broken_status is not None and "Fix:" in broken_status.problem
    assert list(overview.ready) == ["people"]
    # An entry's problem is its status, not also a "skipped file".
    assert not any("broken" in reason for reason in overview.skipped)
    with pytest.raises(InputError, match=r"'gone' is missing.*does not exist"):
        services.sources.require("gone")
    with pytest.raises(InputError, match=r"No segment named 'nobody'.*segment add nobody PATH"):
        services.sources.require("nobody")


def test_a_name_two_found_segments_make_is_listed_as_shared_not_unreadable(
    services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "found"
    folder.mkdir()
    (folder / "vip.csv").write_text(PEOPLE)
    (folder / "vip.tsv").write_text(PEOPLE.replace(",", "\t"))
    services.sources.add_dir(folder)
    overview = services.sources.overview()
    states = {status.name: status.state for status in overview.statuses}
    assert states == {
        "vip": SegmentState.SHARED,
        "vip.csv": SegmentState.READY,
        "vip.tsv": SegmentState.READY,
    }
    shared = overview.get("vip")
    assert shared is not None and "vip.csv" in shared.problem and "vip.tsv" in shared.problem
    with pytest.raises(InputError, match="several segments make the name vip"):
        services.sources.require("vip")


def test_remove_refuses_a_segment_an_export_uses(services: Services, data: Path) -> None:
    services.sources.add(make_source("people", data / "people.csv"))
    _export_using(services, "people")
    with pytest.raises(UsageError, match=r"used by export\(s\) promo.*--force"):
        services.sources.remove("people")
    assert "people" in services.config.load().segments
    assert services.sources.remove("people", force=True) == ["promo"]
    assert services.config.load().segments == {}


def test_remove_explains_a_segment_that_has_no_entry(services: Services, data: Path) -> None:
    services.sources.add_dir(data)
    with pytest.raises(UsageError, match=r"found in the segments folder.*--dir"):
        services.sources.remove("people")
    with pytest.raises(UsageError, match=r"No \[segments.nobody\] entry"):
        services.sources.remove("nobody")


def test_segments_folders_are_added_checked_and_removed(
    services: Services, data: Path, tmp_path: Path
) -> None:
    found = services.sources.add_dir(data)
    assert [status.name for status in found.statuses] == ["people"]
    assert services.config.load().segments_dirs == (data,)
    with pytest.raises(UsageError, match="already a segments folder"):
        services.sources.add_dir(data)
    with pytest.raises(UsageError, match="is a file, not a folder"):
        services.sources.add_dir(data / "people.csv")
    with pytest.raises(InputError, match="does not exist"):
        services.sources.add_dir(tmp_path / "nowhere")
    _export_using(services, "people")
    with pytest.raises(UsageError, match="used by export"):
        services.sources.remove_dir(data)
    assert services.sources.remove_dir(data, force=True) == ["promo"]
    assert services.config.load().segments_dirs == ()
    with pytest.raises(UsageError, match="not a segments folder"):
        services.sources.remove_dir(data)


def test_resolve_takes_names_and_paths(
    services: Services, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.sources.add_dir(data)
    other = tmp_path / "more" / "people.csv"
    other.parent.mkdir()
    other.write_text(PEOPLE)
    monkeypatch.chdir(tmp_path)
    resolved = services.sources.resolve(["people", str(data / "people.csv"), "more/people.csv"])
    # A known path is its segment; a new one gets a free name derived from the file name.
    assert resolved.names == ("people", "people", "people-2")
    assert [(s.name, s.path) for s in resolved.added] == [("people-2", other)]
    assert "people-2" in resolved.looks
    assert services.config.load().segments == {}  # nothing written: the export saves them


def test_resolve_explains_an_unknown_name(services: Services) -> None:
    with pytest.raises(InputError, match=r"No segment named 'vip'.*--segment ./vip.csv"):
        services.sources.resolve(["vip"])


@pytest.mark.parametrize("ref", ["gone/vip.csv", "vip.csv"])
def test_resolve_says_a_missing_path_is_missing(
    services: Services, ref: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as caught:
        services.sources.resolve([ref])
    assert str(tmp_path / ref) in str(caught.value)
    assert "--segment ./" not in str(caught.value)  # no path built from a path


def test_names_derived_from_paths(tmp_path: Path) -> None:
    folder = tmp_path / "Contacts 2024.parquet"
    folder.mkdir()
    assert derive_segment_name(folder) == "Contacts-2024"
    assert derive_segment_name(tmp_path / "ci-export" / "model.json") == "ci-export"
    model = tmp_path / "ci-export" / "model.json"
    assert derive_segment_name(model, entity="VipSegment") == "ci-export-VipSegment"
    taken = {"ci-export-VipSegment"}
    assert derive_segment_name(model, taken, entity="VipSegment") == "ci-export-VipSegment-2"
    assert derive_segment_name(tmp_path / "crm.manifest.cdm.json") == "crm"
    assert derive_segment_name(tmp_path / "Prix été.csv.gz") == "Prix-ete"
    assert derive_segment_name(tmp_path / "vip.csv", taken={"vip", "vip-2"}) == "vip-3"


def test_what_looks_like_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vip.csv").write_text(PEOPLE)
    assert looks_like_path("vip.csv")  # exists here
    assert looks_like_path("./x") and looks_like_path("~/x") and looks_like_path("a/b")
    assert looks_like_path("vip*.csv")  # not a valid name
    assert not looks_like_path("weekly")
