"""directus-inbox: a keyboard-driven terminal inbox for Directus notifications.

The core (models, backends, message rendering, config) imports nothing from Textual and can be
used as a library; ``app.ui`` holds the Textual app.
"""

__version__ = "0.1.0"
APP_NAME = "directus-inbox"
"""The command, and the name of its config, data and cache dirs."""
