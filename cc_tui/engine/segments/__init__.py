"""Segments: found (discovery), recognised (formats, folders, CDM), read as text (scan, reading)."""
