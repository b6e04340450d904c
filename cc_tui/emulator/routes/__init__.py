"""The emulator's HTTP routes, one module per group of paths (joined by ``emulator.app``)."""
