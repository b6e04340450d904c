"""The run's first batches, built from the head of its first segment before pass 1 reads.

A row's class depends only on the rows before it (an e-mail is a duplicate of an earlier one,
a contact is over the cap if enough came before it), so the classes of a segment's first rows
are the same whether pass 1 read the whole run or just those rows. Every whole batch those
rows hold is exactly a batch pass 2 will cut, and it can go to Constant Contact at once instead
of after pass 1. That matters beyond the first second: with 4 requests a second, request n + 4
cannot leave before request n + 1 s, so the last requests of a run inherit the lateness of
the first ones (measured on a 1M-contact run: the first two requests leave at 0.15 s instead
of 0.4 and 0.6 s, and the run ends about 0.4 s sooner).

The sender checks that pass 2's copies of these batches have the same digests and skips them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from cc_tui.engine.batching import Batch
from cc_tui.engine.building import Builder
from cc_tui.engine.email_check import classify, email_checks, holds_extra_fields
from cc_tui.engine.mapping import MappedField
from cc_tui.engine.segments.model import Segment
from cc_tui.engine.segments.reading import needs_conversion, scan_segment
from cc_tui.engine.segments.scan import EXTRA_FIELDS

__all__ = ["HEAD_START_BATCHES", "head_rows", "head_start_batches"]

log = logging.getLogger(__name__)
# Batches the head start aims for. Two cover a 1M-contact run (25 imports and one poll: its
# last two requests follow the first two); more would delay the first one for little gain.
HEAD_START_BATCHES = 2


def head_rows(contacts: int) -> int:
    """Rows read for the head start: ``contacts`` plus room for rejected rows."""
    return contacts + contacts // 4 + 100


def head_start_batches(
    segments: Sequence[Segment],
    fields: Sequence[MappedField],
    email_column: str,
    list_ids: Sequence[str],
    *,
    cap: int,
    max_contacts: int,
    max_bytes: int,
    stop: threading.Event,
    count: int = HEAD_START_BATCHES,
) -> list[Batch]:
    """The run's first batches (up to ``count``) that the head of the first segment fills.

    Only an optimisation: any problem (a missing column, an unreadable file) returns no batch and
    pass 1, which reads the same file, reports it properly. Segments that must be converted
    before reading (gzip, a foreign encoding) are left to pass 1, which converts them once.
    """
    if not segments or needs_conversion(segments[0]):
        return []
    segment = segments[0]
    limit = head_rows(count * max_contacts)
    batches: list[Batch] = []
    try:
        scan = scan_segment(segment, [email_column, EXTRA_FIELDS]).head(limit)
        checked = email_checks(scan, email_column).collect()
        if holds_extra_fields(checked):  # shifted columns: pass 1 names the row
            return []
        preparer = Builder(
            [segment],
            fields,
            classify([checked], cap),
            list_ids,
            rejected=None,
            tracker=None,
            max_contacts=max_contacts,
            max_bytes=max_bytes,
            row_limit=checked.height,
        )
        builder = preparer.batch_builder()
        for lines, refs in preparer.segment_contacts(0, segment, stop):
            # Only full batches: nothing after these rows can change them.
            batches.extend(builder.add(lines, refs))
    except Exception:  # pass 1 reports whatever went wrong, with its proper message
        log.debug("no head start for segment %s", segment.name, exc_info=True)
        return []
    return batches[:count]
