"""A run checked after it ended: list membership counts and a sample of confirmed e-mails."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["ListCheck", "Verification", "VerifyState"]


class VerifyState(StrEnum):
    """What checking a run's lists found."""

    VERIFIED = "verified"
    """Every sampled contact is on the lists and the membership moved as the run says."""
    UNVERIFIED = "unverified"
    """A mismatch: see the details."""
    NOT_CHECKED = "not_checked"
    """The check could not be made (no confirmed contacts, or Constant Contact did not answer)."""


@dataclass(frozen=True, slots=True)
class ListCheck:
    """One target list's membership count before the run and when checked."""

    list_id: str
    before: int | None
    after: int | None

    @property
    def change(self) -> int | None:
        """Members gained (negative: lost), when both counts are known."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True, slots=True)
class Verification:
    """A run checked against its lists: membership counts and a sample of confirmed e-mails.

    ``sample_on_lists`` of ``sample_checked`` e-mails were on every target list;
    ``sample_unsubscribed`` were kept off them because the person unsubscribed (correct);
    ``sample_missing`` were not there. ``expected_max`` is the most the membership can have
    grown by (the contacts confirmed).
    """

    state: VerifyState
    checked_at: datetime
    lists: tuple[ListCheck, ...] = ()
    sample_checked: int = 0
    sample_on_lists: int = 0
    sample_unsubscribed: int = 0
    sample_missing: int = 0
    expected_max: int = 0
    requests: int = 0
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """JSON of the check (history column, ``--json`` summaries, notifications)."""
        return {
            "state": self.state.value,
            "checked_at": self.checked_at.isoformat(),
            "lists": [
                {"list_id": c.list_id, "before": c.before, "after": c.after, "change": c.change}
                for c in self.lists
            ],
            "sample": {
                "checked": self.sample_checked,
                "on_lists": self.sample_on_lists,
                "unsubscribed": self.sample_unsubscribed,
                "missing": self.sample_missing,
            },
            "expected_max": self.expected_max,
            "requests": self.requests,
            "problems": list(self.problems),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Verification:
        """Read :meth:`to_json` back (the history column)."""
        sample = data.get("sample")
        counts = sample if isinstance(sample, Mapping) else {}
        lists = data.get("lists")
        raw_lists = lists if isinstance(lists, list) else []
        problems = data.get("problems")
        return cls(
            state=VerifyState(str(data.get("state", VerifyState.NOT_CHECKED.value))),
            checked_at=datetime.fromisoformat(str(data["checked_at"])),
            lists=tuple(
                ListCheck(str(item["list_id"]), item.get("before"), item.get("after"))
                for item in raw_lists
                if isinstance(item, Mapping)
            ),
            sample_checked=int(counts.get("checked", 0)),
            sample_on_lists=int(counts.get("on_lists", 0)),
            sample_unsubscribed=int(counts.get("unsubscribed", 0)),
            sample_missing=int(counts.get("missing", 0)),
            expected_max=_int_of(data.get("expected_max")),
            requests=_int_of(data.get("requests")),
            problems=tuple(str(p) for p in problems) if isinstance(problems, list) else (),
        )


def _int_of(value: object) -> int:
    return value if isinstance(value, int) else 0
