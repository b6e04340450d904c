"""Persistent state: config.toml, secrets.toml, history.sqlite3; every write is atomic."""
