"""The embedded inbox: a local SQLite stand-in for a Directus server, seeded with demo data."""

from app.embedded.store import EmbeddedBackend, default_path

__all__ = ["EmbeddedBackend", "default_path"]
