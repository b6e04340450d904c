"""Command palette (ctrl+p): every action as a command, only those that make sense now.

Titles read ``area: verb phrase``. :class:`AppCommands` offers what works anywhere;
:class:`ScreenCommands`, listed in a screen's ``COMMANDS``, asks that screen for its own
(``palette_commands()``), so the offer follows the selection and the state of runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider

__all__ = ["AppCommands", "PaletteCommand", "ScreenCommands", "WithPaletteCommands"]


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    """One palette entry."""

    title: str
    help: str
    run: Callable[[], object]


@runtime_checkable
class WithPaletteCommands(Protocol):
    """A screen (or app) that offers commands for its current state."""

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """The commands that make sense right now."""
        ...


class _CommandProvider(Provider):
    def commands(self) -> list[PaletteCommand]:
        raise NotImplementedError  # each provider says where its commands come from

    async def discover(self) -> Hits:
        for command in self.commands():
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, help=command.help)


class AppCommands(_CommandProvider):
    """Help, quit and the themes (the app lists only these: Textual's own system commands
    would offer Help, Quit and Theme a second time under other names)."""

    def commands(self) -> list[PaletteCommand]:
        app = self.app
        found = [
            PaletteCommand(
                "app: Help", "Every key of every screen (F1)", partial(app.run_action, "help")
            ),
            PaletteCommand(
                "app: Quit",
                "Quit cc-tui (asks first while runs are active)",
                partial(app.run_action, "quit_app"),
            ),
        ]
        # Every registered theme: the app registers only those whose status words read at
        # 4.5:1 or better (see ui/themes.py).
        for name in sorted(app.available_themes):
            current = " (current)" if name == app.theme else ""
            found.append(
                PaletteCommand(
                    f"theme: Use {name}",
                    f"Switch theme; remembered in config.toml{current}",
                    partial(setattr, app, "theme", name),
                )
            )
        return found


class ScreenCommands(_CommandProvider):
    """The commands of the screen the palette was opened on."""

    def commands(self) -> list[PaletteCommand]:
        screen = self.screen
        if isinstance(screen, WithPaletteCommands):
            return list(screen.palette_commands())
        return []
