"""The embedded setup's runtime state under ``var/`` (``GRANTWATCH_VAR_DIR``), made where it
is first needed, never when the settings are read: importing them writes nothing.

- The SQLite database's folder: when the first connection opens (``SQLiteConnection``, the
  connection class the settings hand to sqlite3).
- The development secret key: generated into ``var/secret_key`` the first time it is used
  (``development_secret_key``), read from there afterwards, so that sessions survive restarts.
- The filesystem broker's folders and the file result backend's: when the Celery app is
  configured (``celery_folders_make``, called from backend/config/celery.py), as the worker
  and beat start; and as the web application starts (backend/config/wsgi.py and asgi.py),
  since it queues tasks and /readyz looks at the broker.
- The static files' folder, when it is inside ``var/``: when the middleware that serves it
  starts (backend/config/static.py): outside debug mode whitenoise warns about a missing one.
- Uploaded files (``var/media``): Django's file storage makes its folders as it saves.
"""

import contextlib
import functools
import os
import secrets
import sqlite3
import tempfile
from pathlib import Path

SECRET_KEY_FILE = "secret_key"
_BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


def _in_memory(database: str) -> bool:
    # Django's test databases on SQLite are in memory, named by URI.
    return database == ":memory:" or database.startswith("file:")


class SQLiteConnection(sqlite3.Connection):
    """A connection to a SQLite database file that first makes the file's folder."""

    def __init__(self, database, *args, **kwargs):
        database = os.fsdecode(database)
        if not _in_memory(database):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(database, *args, **kwargs)


@functools.cache
def development_secret_key(var_dir: Path) -> str:
    """The key kept in ``var_dir/secret_key``, generated there (readable by its owner only)
    when there is none yet. Processes starting together agree: the first file in place wins."""
    key_file = var_dir / SECRET_KEY_FILE
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        pass
    var_dir.mkdir(parents=True, exist_ok=True)
    # Written in full under another name, then linked into place: a process never reads a
    # half-written key, and a link fails if another process put its key in place first.
    descriptor, draft = tempfile.mkstemp(dir=var_dir, prefix=".secret_key.")  # mode 0600
    try:
        with os.fdopen(descriptor, "w") as draft_file:
            draft_file.write(secrets.token_urlsafe(50))
        with contextlib.suppress(FileExistsError):
            os.link(draft, key_file)
    finally:
        os.unlink(draft)
    return key_file.read_text().strip()


def celery_folders_make(conf) -> None:
    """The folders of the filesystem broker and of the file result backend, when the Celery
    configuration ``conf`` uses them."""
    if str(conf.broker_url or "").startswith("filesystem://"):
        options = conf.broker_transport_options or {}
        for name in _BROKER_FOLDERS:
            if options.get(name):
                Path(options[name]).mkdir(parents=True, exist_ok=True)
    backend = str(conf.result_backend or "")
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
