"""Segments read in place from Azure Storage (Azurite on loopback), end to end to the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from dataclasses import replace
from pathlib import Path

import pytest

from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.engine.segments.copies import default_cache_dir, fingerprint
from cc_tui.engine.segments.entries import make_source
from cc_tui.engine.segments.reading import count_rows, prepare_segment, preview
from cc_tui.engine.segments.storage_accounts import StorageAccessError, StorageUnavailableError
from cc_tui.engine.storage_connections import StorageService
from cc_tui.errors import EXIT_RESUMABLE, EXIT_USAGE, InputError, ResumeRefusedError
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.run_progress import RunEvent
from cc_tui.models.storage import StorageAuth
from tests.azurite import ACCOUNT, ACCOUNT_KEY, Azurite
from tests.engine.conftest import Workspace
from tests.engine.segment_builders import customer_insights_folder, spark_parquet_folder
from tests.timing import FAST

# customer_insights_folder names its partitions in this container of the account ACCOUNT.
CI_CONTAINER = "customerinsights"
CI_PREFIX = "exports/ci-daily"


def _storage(workspace: Workspace) -> StorageService:
    services = workspace.services
    return StorageService(services.config, services.secrets, services.history, services.os_user)


def _connect(workspace: Workspace, azurite: Azurite, *, key: str = ACCOUNT_KEY) -> None:
    _storage(workspace).add(
        "ci", account=ACCOUNT, auth=StorageAuth.ACCOUNT_KEY, secret=key,
        endpoint=azurite.endpoint, replace=True,
    )  # fmt: skip


def _run(workspace: Workspace, name: str = "promo") -> RunRecord:
    runner = ExportRunner(workspace.services)
    return asyncio.run(runner.run(name, RunOptions(max_batch_contacts=5, timing=FAST)))


def _add_segment(workspace: Workspace, name: str, location: str, entity: str | None = None) -> None:
    workspace.services.sources.add(make_source(name, location, entity=entity))


@pytest.fixture
def ci_container(azurite: Azurite) -> str:
    """The Customer Insights container, made once per Azurite (its URLs name it)."""
    from azure.core.exceptions import ResourceExistsError

    with contextlib.suppress(ResourceExistsError):
        azurite.container(CI_CONTAINER)
    return CI_CONTAINER


def test_cdm_spark_and_csv_segments_export_from_storage(
    workspace: Workspace, azurite: Azurite, ci_container: str, tmp_path: Path
) -> None:
    _connect(workspace, azurite)
    container = azurite.client(ci_container)
    export = customer_insights_folder(tmp_path / "ci", customers=23, vips=6)
    # Where model.json's full partition URLs say (each test process has its own Azurite).
    azurite.upload_tree(container, tmp_path / "ci", CI_PREFIX)
    prefix = f"more/{tmp_path.name}"
    rows = spark_parquet_folder(tmp_path / "spark")
    azurite.upload_tree(container, tmp_path / "spark", f"{prefix}/spark/people.parquet")
    azurite.upload(
        container, f"{prefix}/extra.csv",
        b"email,first_name\nzed@example.com,Zed\nana@example.com,Ana twice\n,nobody\n",
    )  # fmt: skip
    base = f"https://{ACCOUNT}.blob.core.windows.net/{ci_container}/{CI_PREFIX}"
    _add_segment(workspace, "customers", base, entity="Customer")
    _add_segment(workspace, "vips", f"{base}/model.json", entity="VipSegment")
    _add_segment(
        workspace, "spark",
        f"abfss://{ci_container}@{ACCOUNT}.dfs.core.windows.net/{prefix}/spark/people.parquet",
    )  # fmt: skip
    _add_segment(workspace, "extra", f"az://{ci_container}/{prefix}/extra.csv")
    workspace.add_export(segments=("customers", "vips"), email="Email", first_name="FirstName")
    workspace.add_export("people", segments=("spark", "extra"), first_name="first_name")

    cdm = _run(workspace)
    people = _run(workspace, "people")

    assert cdm.status is RunStatus.SUCCEEDED, cdm
    assert cdm.rows_read == len(export.customer_rows) + len(export.vip_rows)
    assert cdm.rejected["invalid_email"] == 1 and cdm.rejected["duplicate_email"] == 1
    assert cdm.confirmed == len(export.customer_emails | export.vip_emails)
    assert people.status is RunStatus.SUCCEEDED, people
    spark_emails = {e.lower() for e in rows["email"].drop_nulls()}
    assert people.rows_read == rows.height + 3
    assert people.confirmed == len(spark_emails | {"zed@example.com"})
    assert workspace.members() == export.customer_emails | export.vip_emails | spark_emails | {
        "zed@example.com"
    }


def test_a_folder_in_storage_is_a_segments_folder(
    workspace: Workspace, azurite: Azurite, tmp_path: Path
) -> None:
    _connect(workspace, azurite)
    name = f"dir-{tmp_path.name.lower().replace('_', '-')}"[:40].rstrip("-")
    container = azurite.container(name)
    azurite.upload(container, "drop/vip.csv", b"email\na@example.com\nb@example.com\n")
    spark_parquet_folder(tmp_path / "spark")
    azurite.upload_tree(container, tmp_path / "spark", "drop/people.parquet")

    overview = workspace.services.sources.add_dir(Path(f"az://{name}/drop"))

    found = {status.name: status.segment for status in overview.statuses}
    assert set(found) == {"vip", "people"}
    assert found["vip"] is not None and count_rows(found["vip"]) == 2
    assert found["people"] is not None and count_rows(found["people"]) == 7
    assert preview(found["vip"], 1)["email"].to_list() == ["a@example.com"]


def test_gzip_in_storage_is_copied_under_the_cap_and_the_copy_removed(
    workspace: Workspace, azurite: Azurite, container_name: str
) -> None:
    _connect(workspace, azurite)
    container = azurite.container(container_name)
    text = "email\n" + "".join(f"p{i}@example.com\n" for i in range(500))
    azurite.upload(container, "people.csv.gz", gzip.compress(text.encode()))
    look = workspace.services.sources.check(
        make_source("gz", f"az://{container_name}/people.csv.gz")
    )
    cache = default_cache_dir()

    with prepare_segment(look.segment) as prepared:
        assert prepared.converted and all(s.is_relative_to(cache) for s in prepared.sources)
        assert prepared.scan(["email"]).collect().height == 500
        copies = prepared.sources
    assert not any(copy.exists() for copy in copies)

    small = make_source("gz-capped", f"az://{container_name}/people.csv.gz")
    capped = workspace.services.sources.check(small).segment
    with pytest.raises(InputError, match="decompress"):
        prepare_segment(replace(capped, max_uncompressed_bytes=100))


def test_a_replaced_blob_changes_the_fingerprint(
    workspace: Workspace, azurite: Azurite, container_name: str
) -> None:
    _connect(workspace, azurite)
    container = azurite.container(container_name)
    azurite.upload(container, "people.csv", b"email\na@example.com\n")
    segment = workspace.services.sources.check(
        make_source("people", f"az://{container_name}/people.csv")
    ).segment
    before = fingerprint(segment)
    assert fingerprint(segment) == before

    azurite.upload(container, "people.csv", b"email\nb@example.com\n")  # same size

    assert fingerprint(segment) != before


def test_a_missing_blob_is_a_clear_input_error(
    workspace: Workspace, azurite: Azurite, container_name: str
) -> None:
    _connect(workspace, azurite)
    azurite.container(container_name)
    location = f"az://{container_name}/exports/missing.csv"

    with pytest.raises(InputError) as caught:
        workspace.services.sources.check(make_source("gone", location))

    assert caught.value.exit_code == EXIT_USAGE
    assert location in str(caught.value) and "does not exist" in str(caught.value)


def test_a_wrong_key_is_refused_naming_account_container_and_path(
    workspace: Workspace, azurite: Azurite, container_name: str
) -> None:
    wrong = "d3Jvbmcga2V5IGZvciB0aGUgdGVzdA=="
    _connect(workspace, azurite, key=wrong)
    azurite.container(container_name)

    with pytest.raises(StorageAccessError) as caught:
        workspace.services.sources.check(make_source("x", f"az://{container_name}/a.csv"))

    text = str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    assert f"'{ACCOUNT}'" in text and f"'{container_name}'" in text and "'a.csv'" in text
    assert wrong not in text and "Traceback" not in text


def test_unreachable_storage_is_resumable(workspace: Workspace, azurite: Azurite) -> None:
    _connect(workspace, azurite)
    ci = _storage(workspace)
    ci.add(
        "ci",
        account=ACCOUNT,
        auth=StorageAuth.ACCOUNT_KEY,
        secret=ACCOUNT_KEY,
        endpoint="http://127.0.0.1:9/contosoci",
        replace=True,
    )  # fmt: skip (port 9, discard: nothing listens on loopback there)

    with pytest.raises(StorageUnavailableError) as caught:
        workspace.services.sources.check(make_source("x", "az://somewhere/a.csv"))

    assert caught.value.exit_code == EXIT_RESUMABLE and caught.value.resumable
    assert ACCOUNT_KEY not in str(caught.value)


@pytest.mark.parametrize("replaced", [False, True], ids=["resumes", "replaced-blob-refused"])
def test_a_run_that_loses_its_storage_stops_resumable(
    workspace: Workspace, tmp_path: Path, replaced: bool
) -> None:
    import shutil

    from tests.azurite import start_azurite

    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: Azurite (the Azure Storage emulator) needs it")
    keep = tmp_path / "blobs"
    keep.mkdir()
    server = start_azurite(tmp_path, keep=keep)
    try:
        _connect(workspace, server)
        container = server.container("people")
        emails = [f"person{i}@example.com" for i in range(40)]
        server.upload(container, "people.csv", ("email\n" + "\n".join(emails) + "\n").encode())
        _add_segment(workspace, "people", "az://people/people.csv")
        workspace.add_export()

        def lose_storage(event: RunEvent) -> None:
            # Told synchronously as the run starts reading every row: the plan has read the
            # segment's schema, the run is recorded, and nothing has been sent yet.
            if event.message.startswith("Checking e-mails"):
                server.stop()

        runner = ExportRunner(workspace.services)
        options = RunOptions(max_batch_contacts=5, timing=FAST)
        stopped = asyncio.run(runner.run("promo", options, on_event=lose_storage))

        assert stopped.status is RunStatus.INTERRUPTED, (stopped.error, runner.ended_by)
        assert runner.ended_by is not None and runner.ended_by.exit_code == EXIT_RESUMABLE
        assert "could not be reached" in str(runner.ended_by)
        assert ACCOUNT_KEY not in str(runner.ended_by)

        server = start_azurite(tmp_path, port=server.port, keep=keep)
        if replaced:  # the export was written again meanwhile: same name, same size
            swapped = [e.replace("person", "persob") for e in emails]
            server.upload(
                server.client("people"), "people.csv",
                ("email\n" + "\n".join(swapped) + "\n").encode(),
            )  # fmt: skip
            with pytest.raises(ResumeRefusedError) as refused:
                _run(workspace)
            assert refused.value.exit_code == EXIT_USAGE and "people" in str(refused.value)
            assert workspace.members() == set()
            return
        resumed = _run(workspace)

        assert resumed.run_id == stopped.run_id and resumed.status is RunStatus.SUCCEEDED
        assert workspace.members() == set(emails)
    finally:
        server.stop()


def test_a_preview_reads_only_the_start_of_a_big_blob(
    workspace: Workspace,
    azurite: Azurite,
    container_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import obstore

    _connect(workspace, azurite)
    container = azurite.container(container_name)
    body = "".join(f"person{i}@example.com,Person {i}\n" for i in range(400_000))
    azurite.upload(container, "big.csv", ("email,name\n" + body).encode())
    fetched: list[int] = []
    real_get_range = obstore.get_range

    def counting_get_range(store: object, key: str, **kwargs: int) -> object:
        fetched.append(kwargs["length"])
        return real_get_range(store, key, **kwargs)  # type: ignore[arg-type]

    # remote_storage calls obstore.get_range through this very module object
    monkeypatch.setattr(obstore, "get_range", counting_get_range)

    look = workspace.services.sources.check(make_source("big", f"az://{container_name}/big.csv"))

    assert look.first_rows["email"][0] == "person0@example.com"
    assert look.segment.size_bytes > 10_000_000
    assert 0 < sum(fetched) <= 1_000_000  # the start of the file, not its 12 MB


def test_segment_option_takes_a_location(
    workspace: Workspace, azurite: Azurite, container_name: str
) -> None:
    _connect(workspace, azurite)
    container = azurite.container(container_name)
    azurite.upload(container, "exports/leads.csv", b"email\nlee@example.com\n")
    location = f"az://{container_name}/exports/leads.csv"

    resolved = workspace.services.sources.resolve([location])

    assert resolved.names == ("leads",)
    assert [str(source.path) for source in resolved.added] == [location]
    assert resolved.looks["leads"].first_rows["email"].to_list() == ["lee@example.com"]
