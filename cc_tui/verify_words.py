"""A run's verification in words, for every face (CLI, app, notifications).

Light on purpose (models only): the command line's history imports it without the engine.
"""

from __future__ import annotations

from cc_tui.models.verification import Verification

__all__ = ["verify_sentence", "verify_word"]


def verify_word(result: Verification | None) -> str:
    """``verified``, ``unverified``, ``not checked``, or ``""`` for a run never checked."""
    if result is None:
        return ""
    return result.state.value.replace("_", " ")


def verify_sentence(result: Verification) -> str:
    """One line for every face: "verified: sample 100/100 on the lists; membership +41,212
    (expected ≤ 41,500)"."""
    parts = []
    if result.sample_checked:
        part = f"sample {result.sample_on_lists:,}/{result.sample_checked:,} on the lists"
        if result.sample_unsubscribed:
            part += f" ({result.sample_unsubscribed:,} unsubscribed, kept off)"
        parts.append(part)
    changes = [c.change for c in result.lists if c.change is not None]
    if changes:
        shown = ", ".join(f"{change:+,}" for change in changes)
        parts.append(f"membership {shown} (expected ≤ {result.expected_max:,})")
    text = f"{verify_word(result)}: " + ("; ".join(parts) or "nothing checked")
    if result.problems:
        text += " — " + "; ".join(result.problems)
    return text
