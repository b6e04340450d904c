"""RunSummary: the accounted figures of one run, as the history keeps them.

``rows_read = sent + rejected`` and ``sent = confirmed + refused + unsubscribed + pending``,
always, in the sentences every face shares (:mod:`cc_tui.run_words`); a preview says plainly
that nothing was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.verification import VerifyState
from cc_tui.run_words import (
    batches_phrase,
    contacts_sentence,
    reasons_phrase,
    rows_sentence,
    status_word,
    time_sentence,
)
from cc_tui.ui.outside_text import templated
from cc_tui.verify_words import verify_sentence

__all__ = ["RunSummary"]

_STATE_CLASS = {
    RunStatus.SUCCEEDED: "-done",
    RunStatus.PARTIAL: "-done",
    RunStatus.FAILED: "-failed",
    RunStatus.INTERRUPTED: "-stopped",
    RunStatus.RUNNING: "-running",
}


class RunSummary(Static):
    """Status, accounted figures, error and rejected-rows file of one run."""

    HELP = (
        "What the run did, accounted: every row read was either sent or rejected (with a "
        "reason), and every contact sent was confirmed, refused, kept off as unsubscribed, or"
        " is still pending: awaiting confirmation (posted) or not posted yet, until a resume "
        "finishes it. The time is the time at work; a resumed run also shows the span from "
        "its first start to its last stop. Optional fields Constant Contact would not take "
        "were changed (line breaks, date formats) or left out of their contact, which was "
        "still sent; they are counted per field and reason. The rejected rows and the field "
        "problems are in the files named at the bottom."
    )
    DEFAULT_CSS = """
    RunSummary { height: auto; padding: 0 1; border: round $panel; }
    RunSummary.-done { border: round $run-ok; }
    RunSummary.-failed { border: round $run-failed; }
    RunSummary.-stopped { border: round $warning; }
    RunSummary.-preview { border: round $accent; }
    """

    status: reactive[str] = reactive("")
    """The shown run's status ("" when no run is shown)."""

    @dataclass(eq=False)
    class Shown(Message):
        """A run marked as not yet seen is now summarised on screen (the app unmarks it)."""

        record: RunRecord

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("No run to summarise.", id=id, classes=classes)
        self.border_title = "summary"
        self.record: RunRecord | None = None

    def show(self, record: RunRecord | None) -> None:
        """Summarise ``record`` (None: say there is nothing to summarise)."""
        self.record = record
        self.status = record.status.value if record else ""
        for name in set(_STATE_CLASS.values()) | {"-preview"}:
            self.remove_class(name)
        if record is None:
            self.update("No run to summarise.")
            return
        self.add_class(_STATE_CLASS[record.status])
        self.set_class(record.dry_run, "-preview")
        self.update(summary_content(record))
        if record.unseen and self.screen.is_current:
            # To the app directly: it keeps the marks, and screens need not pass it on.
            self.app.post_message(self.Shown(record))


def summary_content(record: RunRecord) -> Content:
    """The summary of ``record``: our markup (theme variables for colours), outside text
    (the export, the error, file paths) filled in as plain text."""
    lines = [_headline(record)]
    figures = record.figures
    lines.append(Content(rows_sentence(figures, reasons=False)))
    lines.append(
        _coloured(
            contacts_sentence(figures),
            {
                f"confirmed {figures.confirmed:,}": "$run-ok",
                f"refused {figures.failed:,}": ("$run-failed"),
                "nothing was sent": "bold",
            },
        )
    )
    lines.append(
        _coloured(
            f"rejected {figures.rejected_total:,} ({reasons_phrase(record.rejected)})",
            {f"rejected {figures.rejected_total:,}": "$rejected"},
        )
    )
    lines.append(
        Content(
            f"{batches_phrase(record.batches, complete=record.batches_complete)} · requests "
            f"{record.requests:,} · retries {record.retries:,} · throttled {record.throttled:,}"
        )
    )
    lines.extend(_field_lines(record))
    if record.verification is not None:
        check = record.verification
        style = "$run-ok" if check.state is VerifyState.VERIFIED else "$run-failed"
        lines.append(templated(f"[b {style}]check:[/] $sentence", sentence=verify_sentence(check)))
    if record.error:
        lines.append(templated("[b $run-failed]error:[/] $error", error=record.error))
    if record.rejected_rows_file:
        lines.append(templated("rejected rows: $path", path=record.rejected_rows_file))
        if record.fields and record.field_problems_file:
            lines.append(templated("field problems: $path", path=record.field_problems_file))
        if record.dry_run and record.would_send_file:
            lines.append(
                templated("would send (one request per line): $path", path=record.would_send_file)
            )
    return Content("\n").join(lines)


def _field_lines(record: RunRecord) -> list[Content]:
    """Optional fields changed or left out (the contacts were sent either way), per field."""
    lines = []
    if record.fields:
        lines.append(
            Content.from_markup(
                f"fields changed {record.fields_changed:,} · [$rejected]dropped "
                f"{record.fields_dropped:,}[/] (their contacts were still sent)"
            )
        )
        for name, reasons in sorted(record.fields.items()):
            counts = ", ".join(f"{reason} {n:,}" for reason, n in sorted(reasons.items()))
            lines.append(templated("  $name: $counts", name=name, counts=counts))
    if record.truncated:  # runs of cc-tui versions that cut long values
        lines.append(
            Content(f"truncated {record.truncated:,} (values cut short by an older cc-tui)")
        )
    return lines


def _coloured(sentence: str, styles: dict[str, str]) -> Content:
    """A shared sentence (plain text) with some of its phrases styled (first match each)."""
    content = Content(sentence)
    for phrase, style in styles.items():
        start = sentence.find(phrase)
        if start >= 0:
            content = content.stylize(style, start, start + len(phrase))
    return content


def _headline(record: RunRecord) -> Content:
    preview = "[b $accent]preview: nothing sent[/] · " if record.dry_run else ""
    status = (
        "finished"
        if record.dry_run and record.status is RunStatus.SUCCEEDED
        else (status_word(record).removeprefix("preview "))
    )
    resumable = (
        " (resumable: r)" if record.status is RunStatus.INTERRUPTED and not record.dry_run else ""
    )
    return templated(
        f"{preview}[b]{status}[/]{resumable} · $export · run $run_id · $took",
        export=record.export,
        run_id=record.run_id,
        took=time_sentence(record),
    )
