"""Writing an importer's output file (shared by the importers' command lines).

A regular file (or a path that does not exist yet) is written through a
temporary file in the same directory and renamed onto the path, so a failed
import never leaves half a file behind. Anything else is opened and written
in place, never renamed onto:
- a character device such as /dev/null, a FIFO, a socket: renaming onto it
  would replace the device node with a regular file (as root, for the whole
  machine);
- a path through /proc (/dev/stdout, /dev/fd/N): it stands for a file the
  caller holds open, maybe for appending, so it is appended to, not
  truncated or swapped under the caller.
"""
from __future__ import annotations

import os
import stat
import tempfile


class OutputError(Exception):
    """The output cannot be written; the message names the path and why."""


def _through_proc(path: str) -> bool:
    """True when `path`, following symlinks, goes through /proc (the open
    file links behind /dev/stdout and /dev/fd/N)."""
    p = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on a chain of symlinks
        directory = os.path.realpath(os.path.dirname(p))
        p = os.path.join(directory, os.path.basename(p))
        if p.startswith("/proc/"):
            return True
        if not os.path.islink(p):
            return False
        p = os.path.join(directory, os.readlink(p))
    return False


def is_regular_or_new(path: str) -> bool:
    """True when `path` names a regular file (through symlinks) or nothing
    yet: the paths an importer may replace and put sidecar files next to."""
    try:
        if _through_proc(path):
            return False
        return stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return True
    except OSError as e:
        raise OutputError(f"cannot write '{path}': {e.strerror}") from None


def write_text(path: str, text: str) -> None:
    """Writes `text` to `path`; raises OutputError with a readable message."""
    try:
        if not is_regular_or_new(path):
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
            return
        # Replace the file a symlink points at, not the link.
        target = os.path.realpath(path)
        directory = os.path.dirname(target)
        if not os.path.isdir(directory):
            raise OutputError(f"cannot write '{path}': directory '{directory}' "
                              f"does not exist")
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        fd, tmp = tempfile.mkstemp(prefix=".braid-import-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OutputError:
        raise
    except OSError as e:
        raise OutputError(f"cannot write '{path}': {e.strerror}") from None
