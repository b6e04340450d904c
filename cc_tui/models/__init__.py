"""The nouns of cc-tui as frozen dataclasses, one module per subject; nothing here does I/O."""
