"""Private files: the data directory (0700) and the SQLite database beside it (0600).

The database holds API-key records and the audit trail, and the data directory holds the
server key (``secret.key``); neither is anyone else's business on a shared machine. A
file created here gets the private mode from the start (``os.open`` with the mode, so
there is no moment when it is readable by others); SQLite gives its ``-wal``, ``-shm``
and ``-journal`` files the database file's own mode. Files and directories made looser
by hand or by an older Steward are tightened when opened, with a warning that says so.

A path that cannot be used (a data directory that is a file, no permission) is a
:class:`~steward.errors.StorageError` naming the path, never an ``OSError`` traceback.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from steward.errors import StorageError

__all__ = ["DIR_MODE", "FILE_MODE", "SQLITE_SIDE_FILES", "check_dir", "private_dir", "private_file"]

log = logging.getLogger(__name__)

#: Owner only: the data directory.
DIR_MODE = 0o700
#: Owner read/write only: the database and its side files.
FILE_MODE = 0o600
#: Files SQLite keeps beside a database, named by suffix.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _tighten(path: Path, mode: int, what: str) -> None:
    """Set ``mode`` on ``path`` if group or others have any access; warn when it changes."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"the {what} {path} cannot be read: {exc.strerror}") from None
    if current & 0o077 == 0:
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:
        raise StorageError(
            f"the {what} {path} is readable by others (mode {current:o}) and cannot be made private: "
            f"{exc.strerror}"
        ) from None
    log.warning("the %s %s was readable by others (mode %o); changed it to %o", what, path, current, mode)


def check_dir(path: Path, *, what: str = "data directory") -> None:
    """Refuse a directory path that is, or lies under, a file (without creating anything)."""
    path = path.expanduser()
    for candidate in (path, *path.parents):
        if candidate.exists():
            if not candidate.is_dir():
                where = "" if candidate == path else f" ({candidate} is a file)"
                raise StorageError(f"the {what} {path} is not a directory{where}; move it or choose another")
            return


def private_dir(path: Path, *, what: str = "data directory", tighten: bool = True) -> Path:
    """Create ``path`` (and its parents) with mode 0700 if missing; tighten it if ``tighten``.

    Parents created on the way get 0700 too. A directory Steward does not own (the parent of
    a database file the user named, such as ``/tmp``) is left alone with ``tighten=False``.
    """
    path = path.expanduser()
    check_dir(path, what=what)
    if not path.exists():
        missing = [path, *(p for p in path.parents if not p.exists())]
        for directory in reversed(missing):
            try:
                directory.mkdir(mode=DIR_MODE)
            except FileExistsError:
                check_dir(path, what=what)  # created meanwhile: fine if it is a directory
            except OSError as exc:
                raise StorageError(f"the {what} {path} cannot be created: {exc.strerror}") from None
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
        return path
    if tighten:
        _tighten(path, DIR_MODE, what)
    return path


def private_file(path: Path, *, what: str = "database file", side_files: tuple[str, ...] = ()) -> Path:
    """Create ``path`` empty with mode 0600 if missing, else tighten it; the same for its side files."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        if path.is_dir():
            raise StorageError(f"the {what} {path} is a directory, not a file") from None
        _tighten(path, FILE_MODE, what)
    except OSError as exc:
        raise StorageError(f"the {what} {path} cannot be created: {exc.strerror}") from None
    else:
        os.close(fd)
    for suffix in side_files:
        _tighten(path.with_name(path.name + suffix), FILE_MODE, what)
    return path
