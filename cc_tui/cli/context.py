"""What every command handler receives: the parsed arguments and the services, opened lazily."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from cc_tui.cli.output import Output
from cc_tui.paths import AppPaths

if TYPE_CHECKING:  # the services (Polars, httpx) load when a command first uses them
    from cc_tui.engine.services import Services
    from cc_tui.service.locate import ServiceFiles
    from cc_tui.service.protocol import Answer, Call

__all__ = ["CommandContext"]

_R = TypeVar("_R")


@dataclass
class CommandContext:
    """Arguments, output streams, and the stores of the chosen home."""

    args: argparse.Namespace
    out: Output
    _services: Services | None = field(default=None, repr=False)

    @property
    def paths(self) -> AppPaths:
        """The home the command works in (``--home`` or ``CC_TUI_HOME`` or the platform's)."""
        return AppPaths.resolve(self.args.home)

    @property
    def service_files(self) -> ServiceFiles:
        """Where this home's service listens (``--service`` or CC_TUI_SERVICE_SOCKET first)."""
        from cc_tui.service.locate import service_files

        return service_files(self.paths, getattr(self.args, "service", None))

    @property
    def services(self) -> Services:
        """The stores and services, opened on first use."""
        if self._services is None:
            from cc_tui.engine.services import Services

            self._services = Services.open(self.paths)
        return self._services

    def call(
        self,
        intent: Call,
        result: type[_R],
        *,
        on_message: Callable[[Answer], None] | None = None,
    ) -> _R:
        """Have the home's service carry out ``intent`` as this OS user (the kernel says who);
        its answer decoded as ``result``. The service starts first if none answers (one's own
        home); a refusal raises with the service's message and exit code."""
        from cc_tui.service.client import call

        return call(self.paths, self.service_files, intent, result, on_message=on_message)

    def close(self) -> None:
        """Close whatever was opened."""
        if self._services is not None:
            self._services.close()
