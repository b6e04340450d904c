"""The export form: the screen, its account and segment sections, its checks and reads."""
