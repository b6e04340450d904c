"""``cc-tui plan NAME`` (what a run will cost against today's quota) and ``cc-tui verify RUN``
(are the run's confirmed contacts on its lists?)."""

from __future__ import annotations

import argparse

from cc_tui.cli.context import CommandContext
from cc_tui.errors import EXIT_FAILED, UsageError
from cc_tui.models.verification import Verification, VerifyState
from cc_tui.verify_words import verify_sentence

__all__ = ["register"]


_MIN_SAMPLE = 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``plan`` and ``verify``."""
    plan = commands.add_parser(
        "plan",
        help="what a run of an export will cost, and whether today's API quota holds it",
        description="Rows, expected contacts, batches, API requests and time at 4 requests a "
        "second, and the requests this Constant Contact application already spent today (UTC, "
        "from cc-tui's history of every export). Sends nothing. Reads the e-mail column of each "
        "segment unless the last run read the same inputs.",
    )
    plan.add_argument("name", metavar="NAME")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.set_defaults(handler=_plan)
    verify = commands.add_parser(
        "verify",
        help="check that a run's confirmed contacts are on its lists",
        description="Count each target list's members and look up a random sample of the "
        "e-mails the run confirmed (one request each). A mismatch marks the run 'unverified' "
        "(its status and exit code stay as they were). Exit 0 verified, 1 unverified or not "
        "checked.",
    )
    verify.add_argument("run_id", metavar="RUN")
    verify.add_argument(
        "--sample", type=int, default=None, metavar="N", help="e-mails to look up (100)"
    )
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.set_defaults(handler=_verify)


def _plan(ctx: CommandContext) -> int:
    from cc_tui.engine.plan import ExportPlan, plan_rows
    from cc_tui.service.protocol import ExportPlanShow

    # The service reads the segments, for an asker who could read them (and run the export).
    plan = ctx.call(ExportPlanShow(export=ctx.args.name), ExportPlan)
    if ctx.args.json:
        ctx.out.json(plan.to_json())
        return 0
    ctx.out.pairs(plan_rows(plan))
    if not plan.fits:
        ctx.out.warn(f"run it anyway with: cc-tui run {ctx.args.name} --allow-quota-spill")
    return 0


def _verify(ctx: CommandContext) -> int:
    from cc_tui.engine.verify import DEFAULT_SAMPLE, SAMPLE_PER_BATCH
    from cc_tui.service.protocol import VERIFY_SAMPLE_MAX, RunVerify

    sample = DEFAULT_SAMPLE if ctx.args.sample is None else ctx.args.sample
    if not _MIN_SAMPLE <= sample <= VERIFY_SAMPLE_MAX:
        raise UsageError(
            f"--sample {sample}: give a number from {_MIN_SAMPLE} to {VERIFY_SAMPLE_MAX}."
        )
    # The service checks the run through its connection, for someone who may use it.
    result = ctx.call(RunVerify(run_id=ctx.args.run_id, sample=sample), Verification)
    run_id = ctx.args.run_id
    if ctx.args.json:
        ctx.out.json({"run_id": run_id, **result.to_json()})
    else:
        ctx.out.print(f"{run_id}: {verify_sentence(result)}")
        ctx.out.note(f"{result.requests} API requests used.")
        if result.sample_checked < sample:
            ctx.out.note(
                f"{result.sample_checked:,} e-mails sampled: a run keeps {SAMPLE_PER_BATCH:,} "
                "e-mails of each confirmed batch for checks."
            )
    return 0 if result.state is VerifyState.VERIFIED else EXIT_FAILED
