"""After a run: check that the confirmed contacts really are on the lists.

Two checks, both through the documented API (``docs/api-rules.md``, "Checking a run"):

- each target list's membership count (``GET /contact_lists/{id}?include_membership_count=all``)
  when the run began and when checked: it may have grown by at most the contacts confirmed, and
  it must not have shrunk;
- a random sample of the e-mails the run confirmed (100 by default), each looked up with
  ``GET /contacts?email=...&include=list_memberships``: each must be on every target list,
  unless the person unsubscribed (Constant Contact keeps those off lists, correctly). When the
  lists are small enough that reading them whole (``GET /contacts?lists=ID``, 500 a page) takes
  fewer requests than the sample, they are read whole instead, and only e-mails not found on
  them are looked up one by one.

An activity's counters are per batch, never per contact, so an e-mail is sampled from confirmed
batches only, and a batch whose activity refused some contacts may have that many of its sampled
e-mails missing without a mismatch. The e-mails a check may sample are kept while the run sends
(:class:`SampleKeeper`: at most :data:`SAMPLE_PER_BATCH` per batch), so ``cc-tui verify RUN``
can check again later without reading the segments.

Cost: one request per target list before the run, one per list after it, and at most one per
sampled e-mail (:func:`verify_requests`, the most a check costs); the plan counts them. A check
never changes the run's status or exit code: a mismatch marks the run *unverified*, with the
details, beside its status.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from cc_tui.constant_contact.client import CONTACTS_PAGE_LIMIT, ConstantContactClient
from cc_tui.engine.batching import REF_EMAIL, Batch
from cc_tui.errors import CcTuiError
from cc_tui.models.batch import BatchState
from cc_tui.models.run import RunRecord
from cc_tui.models.verification import ListCheck, Verification, VerifyState
from cc_tui.store.run_history import RunHistory
from cc_tui.store.verifications import VerificationStore

__all__ = [
    "DEFAULT_SAMPLE",
    "SAMPLE_PER_BATCH",
    "SampleKeeper",
    "count_members",
    "verify_requests",
    "verify_run",
]

DEFAULT_SAMPLE = 100
"""E-mails a check looks up unless told otherwise (``--sample N``)."""
SAMPLE_PER_BATCH = 200
"""E-mails kept per batch for checks: a 1M-contact run (25 batches) keeps 5,000."""
_UNSUBSCRIBED = "unsubscribed"  # a contact's permission_to_send, and a sample outcome
_ON_LISTS = "on_lists"
_MISSING = "missing"


def verify_requests(lists: int, sample: int = DEFAULT_SAMPLE) -> int:
    """API requests one run's checks cost: each list counted before and after, plus the
    sampled e-mails looked up."""
    return 2 * lists + sample


class SampleKeeper:
    """E-mails of each batch a check may sample (fed from the preparation thread)."""

    def __init__(
        self, per_batch: int = SAMPLE_PER_BATCH, *, rng: random.Random | None = None
    ) -> None:
        self.per_batch = per_batch
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._kept: dict[int, list[str]] = {}

    def add(self, batch: Batch) -> None:
        """Keep a random few of ``batch``'s e-mails (the whole batch when it is small)."""
        emails = batch.refs.get_column(REF_EMAIL).drop_nulls().to_list()
        if len(emails) > self.per_batch:
            emails = self._rng.sample(emails, self.per_batch)
        with self._lock:
            self._kept[batch.seq] = [str(e) for e in emails]

    def taken(self) -> dict[int, list[str]]:
        """What was kept, per batch sequence number."""
        with self._lock:
            return dict(self._kept)


async def count_members(
    client: ConstantContactClient, list_ids: Iterable[str]
) -> dict[str, int | None]:
    """Each list's membership count (all contacts on it), one request per list."""
    counts: dict[str, int | None] = {}
    for list_id in list_ids:
        found = await client.contact_list(list_id)
        counts[list_id] = found.membership_count
    return counts


async def verify_run(
    client: ConstantContactClient,
    history: RunHistory,
    store: VerificationStore,
    run: RunRecord,
    list_ids: Sequence[str],
    *,
    sample: int = DEFAULT_SAMPLE,
    rng: random.Random | None = None,
) -> Verification:
    """Check ``run`` against its lists now, store the result with it and return it.

    Problems talking to Constant Contact (the quota, a lost sign-in) give a
    ``not_checked`` result that says why; they are never raised.
    """
    requests_before = client.stats.requests
    try:
        result = await _check(client, history, store, run, list_ids, sample=sample, rng=rng)
    except CcTuiError as exc:
        result = Verification(
            state=VerifyState.NOT_CHECKED,
            checked_at=datetime.now(UTC),
            expected_max=run.confirmed,
            problems=(f"the check could not be made: {exc}",),
        )
    result = replace(result, requests=client.stats.requests - requests_before)
    store.save(run.run_id, result)
    return result


async def _check(
    client: ConstantContactClient,
    history: RunHistory,
    store: VerificationStore,
    run: RunRecord,
    list_ids: Sequence[str],
    *,
    sample: int,
    rng: random.Random | None,
) -> Verification:
    batches = history.batches(run.run_id)
    confirmed = {seq: b for seq, b in batches.items() if b.state is BatchState.CONFIRMED}
    before = store.lists_before(run.run_id)
    after = await count_members(client, list_ids)
    checks = tuple(ListCheck(lid, before.get(lid), after.get(lid)) for lid in list_ids)
    problems = _count_problems(checks, run.confirmed)
    kept = store.sample(run.run_id)
    pool = [(seq, email) for seq in sorted(confirmed) for email in kept.get(seq, ())]
    picked = (rng or random.Random()).sample(pool, min(sample, len(pool)))
    on_lists = unsubscribed = 0
    missing: dict[int, list[str]] = {}
    # Small lists are cheaper to read whole (500 members a page) than to look up one e-mail a
    # request; those not found on a page are then looked up one by one (unsubscribed?).
    members = await _members_if_cheaper(client, checks, len(picked))
    for seq, email in picked:
        if members is not None and all(email.lower() in found for found in members):
            on_lists += 1
            continue
        outcome = await _look_up(client, email, list_ids)
        if outcome == _ON_LISTS:
            on_lists += 1
        elif outcome == _UNSUBSCRIBED:
            unsubscribed += 1
        else:
            missing.setdefault(seq, []).append(email)
    problems += _sample_problems(missing, {seq: confirmed[seq].failed for seq in missing})
    missing_count = sum(len(emails) for emails in missing.values())
    if problems:
        state = VerifyState.UNVERIFIED
    elif not picked and not any(c.change is not None for c in checks):
        state = VerifyState.NOT_CHECKED
        problems = ["no confirmed contact to sample and no membership count from before the run"]
    else:
        state = VerifyState.VERIFIED
    return Verification(
        state=state,
        checked_at=datetime.now(UTC),
        lists=checks,
        sample_checked=len(picked),
        sample_on_lists=on_lists,
        sample_unsubscribed=unsubscribed,
        sample_missing=missing_count,
        expected_max=run.confirmed,
        problems=tuple(problems),
    )


async def _members_if_cheaper(
    client: ConstantContactClient, checks: Sequence[ListCheck], sample: int
) -> list[set[str]] | None:
    """Every target list's member e-mails (lower-cased), when reading the lists whole takes
    fewer requests than looking up ``sample`` e-mails one by one; else None."""
    if any(check.after is None for check in checks):
        return None
    pages = sum(math.ceil((check.after or 0) / CONTACTS_PAGE_LIMIT) for check in checks)
    if pages >= sample:
        return None
    return [
        {contact.email.lower() for contact in await client.contacts(list_id=check.list_id)}
        for check in checks
    ]


async def _look_up(client: ConstantContactClient, email: str, list_ids: Sequence[str]) -> str:
    """Whether ``email`` is on every target list, unsubscribed, or missing (one request)."""
    wanted = email.lower()
    found = [c for c in await client.contacts(email=email) if c.email.lower() == wanted]
    if found and {lid.lower() for lid in list_ids} <= {
        m.lower() for m in found[0].list_memberships
    }:
        return _ON_LISTS
    if found and found[0].permission_to_send == _UNSUBSCRIBED:
        return _UNSUBSCRIBED
    return _MISSING


def _count_problems(checks: Iterable[ListCheck], confirmed: int) -> list[str]:
    problems = []
    for check in checks:
        change = check.change
        if change is None:
            continue
        if change < 0:
            problems.append(f"list {check.list_id} lost {-change:,} members since the run began")
        elif change > confirmed:
            problems.append(
                f"list {check.list_id} grew by {change:,}, more than the {confirmed:,} contacts "
                "the run confirmed (something else added contacts)"
            )
    return problems


def _sample_problems(missing: Mapping[int, list[str]], refused: Mapping[int, int]) -> list[str]:
    """Sampled e-mails not on the lists, beyond what their batch's activity refused."""
    problems = []
    for seq, emails in sorted(missing.items()):
        if len(emails) <= refused.get(seq, 0):
            continue  # Constant Contact refused that many of this batch: they may be these
        shown = ", ".join(emails[:3]) + (f" and {len(emails) - 3} more" if len(emails) > 3 else "")
        problems.append(f"batch {seq}: {len(emails)} confirmed e-mail(s) not on the lists: {shown}")
    return problems
