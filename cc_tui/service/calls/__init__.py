"""The home's commands, carried out by the service for one kernel-named client.

One handler per call intent, in one module per subject: :mod:`.connections`, :mod:`.exports`,
:mod:`.segments`, :mod:`.runs`, :mod:`.schedules`, :mod:`.audit`, :mod:`.storage` and the app's
:mod:`.home`. Each receives a :class:`~cc_tui.service.calls.caller.Caller`: the engine's
:class:`~cc_tui.engine.services.Services` opened for the client's OS user (its name from
``SO_PEERCRED``, as a run's are), so the engine's role checks and audit records apply to that
user, and whatever the client's environment says is never consulted. A handler returns the
engine's result (encoded as ``returned``) or raises the engine's error (sent as ``error`` with
its exit code); a sign-in also sends the verification URL and code as they come.
:mod:`.dispatch` joins the subjects' tables into the one the server asks.
"""

from __future__ import annotations

__all__: list[str] = []
