"""Folders that only this user can read or enter (uploaded patient data, the sign-in
throttle's store)."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UnsafeFolder(ValueError):
    """The folder could be read or changed by others."""


def private_folder(path: Path) -> Path:
    """`path`, made if missing, checked to be a real folder of this user that no one else can
    read or enter."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeFolder(f"{path} is not a folder (a link or a file)")
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise UnsafeFolder(
            f"{path} must belong to this user and be closed to others (chmod 700 {path})"
        )
    return path
