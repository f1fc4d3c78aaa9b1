"""Which files a build may read, and how: regular files inside the project, of bounded size.

A build reads whatever sits in ``data/``, ``mappings/``, ``ontology/`` and ``shapes/``.
Without these checks a symlink to ``/dev/zero`` is read until memory runs out, a FIFO
named ``x.yaml`` blocks the build forever, and a symlink to a file elsewhere on the machine
is read and published. So every input is opened without following a final symlink that
leaves the project, without blocking, checked to be a regular file, and read only up to
its size limit; folders are walked without following symlinked folders.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path


class InputError(ValueError):
    """An input file the build refuses to read; the message names the file and why."""


def shown(path: Path, root: Path) -> str:
    """The path as messages show it: relative to the project when it is inside it."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _inside(path: Path, root: Path) -> bool:
    real_root = root.resolve()
    return path == real_root or path.is_relative_to(real_root)


def open_input(path: Path, root: Path, max_bytes: int) -> tuple[int, int]:
    """Open one input for reading: ``(fd, size)``, or InputError saying what is wrong.

    A symlink is followed only when its target stays inside the project; the file is
    opened with ``O_NONBLOCK`` (a FIFO must not block the open) and checked on the open
    descriptor, so a file swapped after the checks is still the file checked.
    """
    name = shown(path, root)
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop
        raise InputError(f"{name}: cannot read: {error}") from error
    if not _inside(target, root):
        raise InputError(f"{name}: a symlink to {target}, outside the project {root}: "
                         "inputs must live inside the project")
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        raise InputError(f"{name}: cannot read: {error.strerror or error}") from error
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise InputError(f"{name}: not a regular file ({_kind(info.st_mode)}); "
                         "inputs must be plain files")
    if info.st_size > max_bytes:
        os.close(fd)
        raise InputError(f"{name}: {info.st_size:,} bytes, over the limit of {max_bytes:,} "
                         "(PUBLISHER_MAX_INPUT_FILE_BYTES)")
    return fd, info.st_size


def read_input(path: Path, root: Path, max_bytes: int) -> bytes:
    """The whole content of one input file, read under :func:`open_input`'s checks."""
    fd, size = open_input(path, root, max_bytes)
    try:
        with os.fdopen(fd, "rb", closefd=True) as stream:
            data = stream.read(max_bytes + 1)
    except OSError as error:
        raise InputError(f"{shown(path, root)}: cannot read: {error.strerror or error}") \
            from error
    if len(data) > max_bytes:  # it grew since it was checked
        raise InputError(f"{shown(path, root)}: over the limit of {max_bytes:,} bytes "
                         "(PUBLISHER_MAX_INPUT_FILE_BYTES)")
    return data


def digest_input(path: Path, root: Path, max_bytes: int, digest: hashlib._Hash) -> None:
    """Feed one input into a hash in chunks (the build id covers every input)."""
    fd, _size = open_input(path, root, max_bytes)
    with os.fdopen(fd, "rb", closefd=True) as stream:
        read = 0
        while chunk := stream.read(1 << 20):
            read += len(chunk)
            if read > max_bytes:
                raise InputError(f"{shown(path, root)}: over the limit of {max_bytes:,} bytes"
                                 " (PUBLISHER_MAX_INPUT_FILE_BYTES)")
            digest.update(chunk)


def find_inputs(folder: Path, root: Path, suffixes: Iterable[str] | None = None) -> list[Path]:
    """Files under ``folder`` (with one of ``suffixes``, or all), sorted, not following
    symlinked folders: a symlinked folder is an error, not silently skipped data."""
    wanted = tuple(suffixes) if suffixes is not None else None
    found: list[Path] = []
    for current, folders, files in os.walk(folder, followlinks=False):
        here = Path(current)
        for sub in folders:
            if (here / sub).is_symlink():
                raise InputError(f"{shown(here / sub, root)}: a symlinked folder; the build "
                                 "does not follow them (link the files, or move the folder)")
        folders.sort()
        found.extend(here / name for name in files
                     if wanted is None or name.endswith(wanted))
    return sorted(found)


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a plain file"
