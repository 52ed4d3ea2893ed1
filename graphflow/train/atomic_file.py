"""Writing a file so that it is replaced whole or not at all, and cleaning up after writers that were killed.

`_atomic_file(path)` writes into a temporary file next to `path`, fsyncs it and renames it over `path`, so a crash or
an interrupt leaves the previous file as it was. The temporary file stays locked (`flock`) until it is renamed or
deleted; the system drops the lock when its process dies, which is how `remove_stale_temporaries` tells a file that
a killed save left from one that another process is still writing.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: killed saves' temporary files are left for the user to delete
    fcntl = None

# A temporary file is ".<at most 200 characters of the target's name>.<8 random>.graphflow.tmp": 224 at most, within
# the 255 a file name may have.
_TEMPORARY_STEM = 200
_TEMPORARY_SUFFIX = ".graphflow.tmp"
_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}" + re.escape(_TEMPORARY_SUFFIX), re.DOTALL)
_STALE_SECONDS = 60  # a live save's file is locked; the age covers the moment between its creation and its lock


@contextlib.contextmanager
def _atomic_file(path: str) -> Iterator[IO[bytes]]:
    """A temporary file next to `path` that replaces it only if the block succeeds (after an fsync).

    The temporary file stays locked until it is renamed or deleted; the system drops the lock when the process dies,
    which is how `remove_stale_temporaries` tells a file a killed save left from one being written. Its name keeps
    at most `_TEMPORARY_STEM` characters of `path`'s, so any name the folder takes has a temporary file too.

    Raises:
        OSError: naming `path` (a full disk or a failed fsync names no file by itself); `path` is left as it was.
    """
    folder = os.path.dirname(path) or "."
    stem = "." + os.path.basename(path)[:_TEMPORARY_STEM] + "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=stem, suffix=_TEMPORARY_SUFFIX, dir=folder)
    except OSError as e:
        raise _naming(e, path) from None
    f = os.fdopen(fd, "w+b")
    try:
        if fcntl is not None:
            # A new file, so no one else holds it. A file system without locks fails here and in the clean-up,
            # which then takes nothing.
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield f
        f.flush()
        os.fsync(fd)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise _naming(e, path) from e
        raise
    finally:
        f.close()
    _fsync_folder(folder)


def _naming(error: OSError, path: str) -> OSError:
    """`error`, of the same type and errno, with `path` as its file."""
    if error.filename == path:
        return error
    if error.errno is None:  # raised with a message only
        return type(error)(f"{error}: '{path}' (it was left as it was)")
    return type(error)(error.errno, f"{error.strerror or error} (it was left as it was)", path)


def remove_stale_temporaries(folder: str) -> list[str]:
    """Deletes the temporary files that saves killed midway left in `folder`, and returns their names.

    A file is taken only if its name is one `_atomic_file` gives, it was last written more than `_STALE_SECONDS`
    ago, and no process holds its lock (a save still writing it does). Without `fcntl` (Windows) nothing is taken.
    """
    if fcntl is None:
        return []
    try:
        names = [n for n in os.listdir(folder) if _TEMPORARY.fullmatch(n)]
    except OSError:
        return []
    removed = []
    for name in names:
        path = os.path.join(folder, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode) and time.time() - info.st_mtime > _STALE_SECONDS:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError (an OSError) while a save writes it
                os.unlink(path)
                removed.append(name)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _fsync_folder(folder: str) -> None:
    """Makes the rename durable; not every platform can open a folder, and the data is safe either way."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
