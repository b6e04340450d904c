"""The Constant Contact V3 API: async client, OAuth device flow, rate limiter, schemas.

Nothing here imports the emulator or the engine; the emulator is only ever a URL. Import each
name from its own module (``cc_tui.constant_contact.client`` and so on): this package hands
nothing on.
"""
