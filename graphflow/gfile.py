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
    """Whether a file or directory `filename` exists (TF-1 `gfile.Exists`).

    Args:
        filename: a path.

    Returns:
        True if something is there.
    """
    return os.path.exists(filename)


def IsDirectory(dirname: str) -> bool:
    """Whether `dirname` is a directory (TF-1 `gfile.IsDirectory`).

    Args:
        dirname: a path.

    Returns:
        True for a directory, False for a file or nothing.
    """
    return os.path.isdir(dirname)


def MakeDirs(dirname: str) -> None:
    """Creates `dirname` and any missing parents; an existing directory is fine (TF-1 `gfile.MakeDirs`).

    Args:
        dirname: the directory to create.

    Returns:
        None.
    """
    os.makedirs(dirname, exist_ok=True)


def MkDir(dirname: str) -> None:
    """Creates the directory `dirname`, whose parent must exist.

    Args:
        dirname: the directory to create; its parent must exist.

    Returns:
        None.

    Raises:
        FileExistsError: it exists already.
    """
    os.mkdir(dirname)


def DeleteRecursively(dirname: str) -> None:
    """Deletes `dirname` and everything in it (or the file `dirname`).

    Args:
        dirname: a directory (or a file) to delete.

    Returns:
        None.

    Raises:
        FileNotFoundError: nothing is there.
    """
    if os.path.isdir(dirname) and not os.path.islink(dirname):
        shutil.rmtree(dirname)
    else:
        os.remove(dirname)


def Remove(filename: str) -> None:
    """Deletes the file `filename` (TF-1 `gfile.Remove`).

    Args:
        filename: the file to delete.

    Returns:
        None.
    """
    os.remove(filename)


def ListDirectory(dirname: str) -> list[str]:
    """The names of the entries in `dirname`, without '.' and '..' (TF-1 `gfile.ListDirectory`).

    Args:
        dirname: a directory.

    Returns:
        A list of names (not paths), in no particular order.
    """
    return os.listdir(dirname)


def Glob(filename: str) -> list[str]:
    """The paths matching the pattern `filename` with `*`, `?` and `[...]` (TF-1 `gfile.Glob`).

    Args:
        filename: a path pattern.

    Returns:
        A list of matching paths.
    """
    return _glob.glob(filename)


def Copy(oldpath: str, newpath: str, overwrite: bool = False) -> None:
    """Copies the file `oldpath` to `newpath`.

    Args:
        oldpath: the file to copy.
        newpath: where to write the copy.
        overwrite: replace `newpath` if it exists.

    Returns:
        None.

    Raises:
        FileExistsError: `newpath` exists and `overwrite` is False.
    """
    _check_overwrite(newpath, overwrite)
    shutil.copyfile(oldpath, newpath)


def Rename(oldname: str, newname: str, overwrite: bool = False) -> None:
    """Moves `oldname` to `newname`.

    Args:
        oldname: the file or directory to move.
        newname: its new path.
        overwrite: replace `newname` if it exists.

    Returns:
        None.

    Raises:
        FileExistsError: `newname` exists and `overwrite` is False.
    """
    _check_overwrite(newname, overwrite)
    os.replace(oldname, newname)


def _check_overwrite(path: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")


def Walk(top: str, in_order: bool = True) -> Iterator[tuple[str, list[str], list[str]]]:
    """Every directory under `top`, as `os.walk` gives them (TF-1 `gfile.Walk`).

    Args:
        top: the directory to start from.
        in_order: parents before their subdirectories (top-down) when True.

    Yields:
        `(dirname, subdirectories, files)` for `top` and each directory below it.
    """
    return os.walk(top, topdown=in_order)


def GFile(name: str, mode: str = "r") -> IO[Any]:
    """The file `name` opened in `mode` (TF-1 `gfile.GFile`, `Open`, `FastGFile`): a file object, with `with`.

    Args:
        name: a path.
        mode: as for `open`: "r", "w", "rb", "a", ...

    Returns:
        The open file object.
    """
    return open(name, mode)


Open = FastGFile = GFile


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
