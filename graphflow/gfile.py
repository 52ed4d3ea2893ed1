"""`gf.gfile` (TF-1 `tf.gfile`): TF-1's file functions, on the local file system through `os`, `shutil` and `glob`.

TF-1 scripts use them to clear a log directory (`if gfile.Exists(d): gfile.DeleteRecursively(d)`) or to read a
file. Errors are Python's own: a missing file raises `FileNotFoundError` (TF-1 raised `errors.NotFoundError`).
"""

from __future__ import annotations

import glob as _glob
import os
import shutil
from collections.abc import Iterator
from typing import IO, Any

__all__ = [
    "Copy", "DeleteRecursively", "Exists", "FastGFile", "GFile", "Glob", "IsDirectory", "ListDirectory", "MakeDirs",
    "MkDir", "Open", "Remove", "Rename", "Walk",
]  # fmt: skip


def Exists(filename: str) -> bool:
    """Whether a file or directory `filename` exists."""
    return os.path.exists(filename)


def IsDirectory(dirname: str) -> bool:
    """Whether `dirname` is a directory."""
    return os.path.isdir(dirname)


def MakeDirs(dirname: str) -> None:
    """Creates `dirname` and any missing parents; an existing directory is fine."""
    os.makedirs(dirname, exist_ok=True)


def MkDir(dirname: str) -> None:
    """Creates the directory `dirname`, whose parent must exist.

    Raises:
        FileExistsError: it exists already.
    """
    os.mkdir(dirname)


def DeleteRecursively(dirname: str) -> None:
    """Deletes `dirname` and everything in it (or the file `dirname`).

    Raises:
        FileNotFoundError: nothing is there.
    """
    if os.path.isdir(dirname) and not os.path.islink(dirname):
        shutil.rmtree(dirname)
    else:
        os.remove(dirname)


def Remove(filename: str) -> None:
    """Deletes the file `filename`."""
    os.remove(filename)


def ListDirectory(dirname: str) -> list[str]:
    """The names of the entries in `dirname`, without '.' and '..'."""
    return os.listdir(dirname)


def Glob(filename: str) -> list[str]:
    """The paths matching the pattern `filename` (`*`, `?`, `[...]`)."""
    return _glob.glob(filename)


def Copy(oldpath: str, newpath: str, overwrite: bool = False) -> None:
    """Copies the file `oldpath` to `newpath`.

    Raises:
        FileExistsError: `newpath` exists and `overwrite` is False.
    """
    _check_overwrite(newpath, overwrite)
    shutil.copyfile(oldpath, newpath)


def Rename(oldname: str, newname: str, overwrite: bool = False) -> None:
    """Moves `oldname` to `newname`.

    Raises:
        FileExistsError: `newname` exists and `overwrite` is False.
    """
    _check_overwrite(newname, overwrite)
    os.replace(oldname, newname)


def _check_overwrite(path: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")


def Walk(top: str, in_order: bool = True) -> Iterator[tuple[str, list[str], list[str]]]:
    """`(dirname, subdirectories, files)` for `top` and every directory under it, as `os.walk` gives them."""
    return os.walk(top, topdown=in_order)


def GFile(name: str, mode: str = "r") -> IO[Any]:
    """The file `name` opened in `mode` (TF-1's `GFile` and `Open`: a file object with `read`, `write`, `with`)."""
    return open(name, mode)


Open = FastGFile = GFile
