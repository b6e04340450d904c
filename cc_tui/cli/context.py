"""What every command handler receives: the parsed arguments and the services, opened lazily."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cc_tui.cli.output import Output
from cc_tui.paths import AppPaths

if TYPE_CHECKING:  # the services (Polars, httpx) load when a command first uses them
    from cc_tui.engine.services import Services
    from cc_tui.service.locate import ServiceFiles

__all__ = ["CommandContext"]


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

    def close(self) -> None:
        """Close whatever was opened."""
        if self._services is not None:
            self._services.close()
