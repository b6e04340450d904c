"""Ids as a strict server matches them: exactly, in the lower-case form the API gives them
(docs/api-rules.md section 3), against the emulator on a real loopback socket."""

from __future__ import annotations

from dataclasses import replace

from cc_tui.models.run import RunStatus
from tests.engine.conftest import Workspace
from tests.engine.test_runner import people_csv, run


def test_an_export_naming_its_list_in_upper_case_sends_the_id_the_api_gave(
    workspace: Workspace,
) -> None:
    # A strict server matches ids exactly (docs/api-rules.md section 3): the client sends the
    # lower-case form, each list once, whatever spelling the export was saved with.
    workspace.write("people.csv", people_csv(20))
    name = workspace.add_export()
    export = workspace.services.exports.get(name)
    upper = workspace.list_id.upper()
    workspace.services.exports.save(
        replace(export, list_ids=(upper, workspace.list_id)), replace=True
    )
    record = run(workspace)
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert record.confirmed == 20
    assert workspace.members() == {f"person{i}@example.com" for i in range(20)}
