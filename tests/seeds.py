"""A random seed from a test case's parameters that is the same in every process
(``hash()`` of a string changes with each interpreter's PYTHONHASHSEED, so a test
seeded by it drew other numbers on every run and could not be reproduced)."""

from __future__ import annotations

import zlib


def seed_of(*key) -> int:
    return zlib.crc32(repr(key).encode())
