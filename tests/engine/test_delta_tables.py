"""Delta Lake tables as segments, local and in Azure storage (Azurite on loopback): discovery,
inspection, runs to the emulator that read one version from start to end, refresh, errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest

from cc_tui.engine.refresh import segment_snapshot
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.engine.segments.copies import fingerprint
from cc_tui.engine.segments.delta_tables import latest_version
from cc_tui.engine.segments.discovery import find_segments
from cc_tui.engine.segments.entries import make_source
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.model import SegmentFormat
from cc_tui.engine.segments.reading import count_rows, preview, segment_columns
from cc_tui.engine.segments.storage_accounts import StorageAccessError, StorageUnavailableError
from cc_tui.engine.storage_connections import StorageService
from cc_tui.errors import EXIT_RESUMABLE, EXIT_USAGE, InputError
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.run_progress import RunEvent
from cc_tui.models.storage import StorageAuth
from cc_tui.remote_paths import remote_path
from tests.azurite import ACCOUNT, ACCOUNT_KEY, Azurite
from tests.engine.conftest import Workspace
from tests.timing import FAST

_COUNTRIES = ("us", "fr", "de")
# Commits before the checkpoint (versions 0-10), as Databricks checkpoints every 10 commits.
_CHECKPOINTED_COMMITS = 11
_ROWS_PER_COMMIT = 4


@dataclass
class DatabricksTable:
    """A partitioned Delta table written commit by commit, and the e-mails each version has."""

    folder: Path
    versions: list[set[str]] = field(default_factory=list)

    def commit(self, emails: list[str]) -> None:
        """Append ``emails`` as a new version, partitioned by country like a Databricks job."""
        from deltalake import write_deltalake

        frame = pl.DataFrame(
            {
                "email": emails,
                "first_name": [e.split("@")[0].title() for e in emails],
                "country": [_COUNTRIES[i % len(_COUNTRIES)] for i in range(len(emails))],
            }
        )
        write_deltalake(str(self.folder), frame, mode="append", partition_by=["country"])
        before = self.versions[-1] if self.versions else set()
        self.versions.append(before | set(emails))

    @property
    def latest(self) -> set[str]:
        return self.versions[-1]


def databricks_table(folder: Path, commits: int = _CHECKPOINTED_COMMITS + 2) -> DatabricksTable:
    """``commits`` appends, with a checkpoint (Parquet) at version 10 and JSON commits after it."""
    from deltalake import DeltaTable

    table = DatabricksTable(folder)
    for version in range(commits):
        table.commit([f"v{version}n{i}@example.com" for i in range(_ROWS_PER_COMMIT)])
        if version == _CHECKPOINTED_COMMITS - 1:
            DeltaTable(str(folder)).create_checkpoint()
    return table


def _storage(workspace: Workspace) -> StorageService:
    services = workspace.services
    return StorageService(services.config, services.secrets, services.history, services.os_user)


def _connect(workspace: Workspace, azurite: Azurite, *, key: str = ACCOUNT_KEY) -> None:
    _storage(workspace).add(
        "lake", account=ACCOUNT, auth=StorageAuth.ACCOUNT_KEY, secret=key,
        endpoint=azurite.endpoint, replace=True,
    )  # fmt: skip


def _run(
    workspace: Workspace, name: str = "promo", on_event: Callable[[RunEvent], None] | None = None
) -> RunRecord:
    runner = ExportRunner(workspace.services)
    options = RunOptions(max_batch_contacts=5, timing=FAST)
    return asyncio.run(runner.run(name, options, on_event=on_event))


@dataclass
class Place:
    """Where the test's table lives: a local folder, or a container in Azurite."""

    location: str
    publish: Callable[[], None]
    remove: Callable[[Path], None]


@pytest.fixture(params=["local", "azurite"])
def place(
    request: pytest.FixtureRequest, workspace: Workspace, tmp_path: Path, container_name: str
) -> tuple[Place, DatabricksTable]:
    """A Databricks-like table, read where it was written or from storage it is copied to."""
    table = databricks_table(tmp_path / "customers")
    if request.param == "local":
        return Place(str(table.folder), lambda: None, Path.unlink), table
    azurite: Azurite = request.getfixturevalue("azurite")
    _connect(workspace, azurite)
    container = azurite.container(container_name)

    uploaded: set[Path] = set()

    def publish() -> None:
        # A commit lands in storage as Databricks writes one: its new data files first, the
        # log last; files already there are never written again (commits are immutable).
        files = sorted(p for p in table.folder.rglob("*") if p.is_file() and p not in uploaded)
        for path in sorted(files, key=lambda p: "_delta_log" in p.parts):
            key = f"gold/customers/{path.relative_to(table.folder).as_posix()}"
            azurite.upload(container, key, path.read_bytes())
            uploaded.add(path)

    def remove(path: Path) -> None:
        container.delete_blob(f"gold/customers/{path.relative_to(table.folder).as_posix()}")

    publish()
    location = f"abfss://{container_name}@{ACCOUNT}.dfs.core.windows.net/gold/customers"
    return Place(location, publish, remove), table


def test_a_table_is_found_inspected_and_exported_whole(
    workspace: Workspace, place: tuple[Place, DatabricksTable]
) -> None:
    where, table = place
    look = workspace.services.sources.check(make_source("people", where.location))
    segment = look.segment

    assert segment.format is SegmentFormat.DELTA
    assert segment.delta_version == _CHECKPOINTED_COMMITS + 1  # read past the checkpoint
    assert segment.size_bytes > 0 and any("version 12" in note for note in segment.notes)
    assert [c.name for c in segment_columns(segment)] == ["email", "first_name", "country"]
    assert set(look.first_rows["email"].to_list()) <= table.latest
    assert count_rows(segment) == len(table.latest)
    assert preview(segment, 3).height == 3

    workspace.services.sources.add(make_source("people", where.location))
    workspace.add_export(first_name="first_name")
    record = _run(workspace)

    assert record.status is RunStatus.SUCCEEDED, record.error
    assert record.rows_read == len(table.latest)
    assert workspace.members() == table.latest


def test_a_run_reads_the_version_it_started_with(
    workspace: Workspace, place: tuple[Place, DatabricksTable]
) -> None:
    where, table = place
    workspace.services.sources.add(make_source("people", where.location))
    workspace.add_export(first_name="first_name")
    started_with = table.latest
    late = [f"late{i}@example.com" for i in range(7)]

    def commit_between_passes(event: RunEvent) -> None:
        # Told synchronously once pass 1 has read every row, before pass 2 reads them again.
        if " rows read: " in event.message:
            table.commit(late)
            where.publish()

    record = _run(workspace, on_event=commit_between_passes)

    assert record.status is RunStatus.SUCCEEDED, record.error
    assert record.rows_read == len(started_with)
    assert workspace.members() == started_with  # not one row of the later version
    again = _run(workspace)
    assert again.status is RunStatus.SUCCEEDED, again.error
    assert workspace.members() == started_with | set(late)


def test_a_new_version_is_a_new_snapshot(
    workspace: Workspace, place: tuple[Place, DatabricksTable]
) -> None:
    where, table = place
    looked = workspace.services.sources.check(make_source("people", where.location)).segment
    before = segment_snapshot(looked)
    assert before is not None
    pinned = fingerprint(looked)
    same = workspace.services.sources.check(make_source("people", where.location)).segment
    assert segment_snapshot(same) == before and fingerprint(same) == pinned

    table.commit(["newer@example.com"])
    where.publish()
    newer = workspace.services.sources.check(make_source("people", where.location)).segment

    assert newer.delta_version == (looked.delta_version or 0) + 1
    after = segment_snapshot(newer)
    assert after is not None and after.identity != before.identity
    assert fingerprint(looked) == pinned  # the version a run pinned is still that version


def test_a_table_in_a_segments_folder_in_storage_is_one_segment(
    workspace: Workspace, azurite: Azurite, container_name: str, tmp_path: Path
) -> None:
    _connect(workspace, azurite)
    container = azurite.container(container_name)
    table = databricks_table(tmp_path / "customers", commits=3)
    azurite.upload_tree(container, table.folder, "drop/customers")
    azurite.upload(container, "drop/vip.csv", b"email\nvip@example.com\n")
    # A table whose job has not committed yet: a problem of its own, never a Parquet folder.
    azurite.upload(container, "drop/starting/part-00000-a.snappy.parquet", b"PAR1")
    azurite.upload(container, "drop/starting/_delta_log/_commit_1.json.tmp", b"{}")

    overview = workspace.services.sources.add_dir(remote_path(f"az://{container_name}/drop"))

    found = {status.name: status.segment for status in overview.statuses}
    assert set(found) == {"customers", "vip"}
    problems = find_segments(workspace.services.config.load()).problems
    assert "holds no commit" in problems["starting"]
    delta = found["customers"]
    assert delta is not None and delta.format is SegmentFormat.DELTA and delta.delta_version == 2
    assert count_rows(delta) == len(table.latest)


# --- errors ---------------------------------------------------------------------------------


def _write_protocol(folder: Path, reader_features: list[str]) -> None:
    """Rewrite the first commit's protocol as a writer with newer features would have it."""
    log = folder / "_delta_log" / f"{0:020d}.json"
    actions = [json.loads(line) for line in log.read_text().splitlines()]
    for action in actions:
        if "protocol" in action:
            action["protocol"] = {
                "minReaderVersion": 3,
                "minWriterVersion": 7,
                "readerFeatures": reader_features,
                "writerFeatures": reader_features,
            }
    log.write_text("".join(json.dumps(action) + "\n" for action in actions))


def test_a_log_with_no_commit_is_a_clear_error(tmp_path: Path) -> None:
    table = tmp_path / "starting"
    (table / "_delta_log").mkdir(parents=True)
    (table / "part-00000-a.snappy.parquet").write_bytes(b"PAR1")

    with pytest.raises(InputError) as caught:
        inspect_path(table, name="starting")

    assert caught.value.exit_code == EXIT_USAGE
    assert str(table) in str(caught.value) and "holds no commit" in str(caught.value)


def test_a_table_in_storage_with_no_commit_is_a_clear_error(
    workspace: Workspace, azurite: Azurite, container_name: str
) -> None:
    _connect(workspace, azurite)
    container = azurite.container(container_name)
    # A job that has begun writing: its first data file and a temporary commit, not a commit.
    azurite.upload(container, "t/part-00000-a.snappy.parquet", b"PAR1")
    azurite.upload(container, "t/_delta_log/_commit_9f2b.json.tmp", b"{}")

    with pytest.raises(InputError) as caught:
        workspace.services.sources.check(make_source("t", f"az://{container_name}/t"))

    assert caught.value.exit_code == EXIT_USAGE and "holds no commit" in str(caught.value)


@pytest.mark.parametrize(
    ("features", "said"),
    [(["columnMapping"], "column mapping"), (["fancyFutureFeature"], "fancyFutureFeature")],
)
def test_a_reader_feature_polars_cannot_read_is_refused(
    tmp_path: Path, features: list[str], said: str
) -> None:
    table = databricks_table(tmp_path / "t", commits=1)
    _write_protocol(table.folder, features)

    with pytest.raises(InputError) as caught:
        inspect_path(table.folder, name="t")

    text = str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    assert "reader feature" in text and said in text and "Fix:" in text


def test_deletion_vectors_are_read(tmp_path: Path) -> None:
    from deltalake import DeltaTable, TableFeatures

    table = databricks_table(tmp_path / "t", commits=2)
    DeltaTable(str(table.folder)).alter.add_feature(
        TableFeatures.DeletionVectors, allow_protocol_versions_increase=True
    )

    segment = inspect_path(table.folder, name="t")

    assert segment.delta_version == 2
    assert count_rows(segment) == len(table.latest)


def test_vacuumed_files_are_a_clear_error(
    workspace: Workspace, place: tuple[Place, DatabricksTable]
) -> None:
    where, table = place
    segment = workspace.services.sources.check(make_source("people", where.location)).segment
    data = sorted(p for p in table.folder.rglob("*.parquet") if "_delta_log" not in p.parts)
    where.remove(data[0])  # as VACUUM does once a file is older than the retention

    with pytest.raises(InputError) as caught:
        count_rows(segment)

    text = str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    assert where.location in text and "version 12" in text and "gone" in text
    assert data[0].name in text and "VACUUM" in text and "Fix:" in text
    assert ACCOUNT_KEY not in text and "<" not in text


def test_refused_credentials_and_unreachable_storage(
    workspace: Workspace, azurite: Azurite, container_name: str, tmp_path: Path
) -> None:
    _connect(workspace, azurite)
    table = databricks_table(tmp_path / "t", commits=2)
    azurite.upload_tree(azurite.container(container_name), table.folder, "t")
    path = remote_path(f"az://{container_name}/t")
    wrong = "d3Jvbmcga2V5IGZvciB0aGUgdGVzdA=="

    _connect(workspace, azurite, key=wrong)
    with pytest.raises(StorageAccessError) as refused:
        latest_version(path)

    _storage(workspace).add(
        "lake",
        account=ACCOUNT,
        auth=StorageAuth.ACCOUNT_KEY,
        secret=ACCOUNT_KEY,
        endpoint="http://127.0.0.1:9/contosoci",
        replace=True,
    )  # fmt: skip (port 9, discard: nothing listens on loopback there)
    with pytest.raises(StorageUnavailableError) as unreachable:
        latest_version(path)

    assert refused.value.exit_code == EXIT_USAGE
    assert f"'{ACCOUNT}'" in str(refused.value) and f"'{container_name}'" in str(refused.value)
    assert unreachable.value.exit_code == EXIT_RESUMABLE and unreachable.value.resumable
    for error in (refused.value, unreachable.value):
        assert wrong not in str(error) and ACCOUNT_KEY not in str(error)
        assert "\x1b[" not in str(error) and "<Error>" not in str(error)


def _container_sas(azurite: Azurite, container: str) -> str:
    """A read-and-list SAS of ``container``, signed with the account key as Azure signs one."""
    from datetime import UTC, datetime, timedelta

    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    return generate_container_sas(
        ACCOUNT,
        container,
        account_key=ACCOUNT_KEY,
        permission=ContainerSasPermissions(read=True, list=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )


@pytest.mark.parametrize("auth", [StorageAuth.SAS_TOKEN, StorageAuth.CONNECTION_STRING])
def test_a_table_is_read_with_a_sas_token_or_a_connection_string(
    workspace: Workspace, azurite: Azurite, container_name: str, tmp_path: Path, auth: StorageAuth
) -> None:
    table = databricks_table(tmp_path / "t", commits=3)
    azurite.upload_tree(azurite.container(container_name), table.folder, "t")
    if auth is StorageAuth.SAS_TOKEN:
        secret, endpoint = _container_sas(azurite, container_name), azurite.endpoint
    else:
        secret, endpoint = azurite.connection_string, None
    _storage(workspace).add(
        "lake", account=ACCOUNT, auth=auth, secret=secret, endpoint=endpoint, replace=True
    )

    look = workspace.services.sources.check(make_source("t", f"az://{container_name}/t"))

    assert look.segment.delta_version == 2
    assert count_rows(look.segment) == len(table.latest)
    assert set(look.first_rows["email"].to_list()) <= table.latest
