"""The one exception type the media layer lets out.

Callers (the CLI, the service) turn a failure into a Video Indexer-style ``state`` and
error code, so every problem with an input file is reported as a ``MediaError`` whose
``code`` is one of a fixed set, never as a raw PyAV/FFmpeg exception.
"""

from __future__ import annotations

import os
from typing import Literal, get_args

ErrorCode = Literal[
    "FileNotFound",
    "EmptyFile",
    "UnsupportedFileType",
    "NoVideoStream",
    "CorruptFile",
]

ERROR_CODES: frozenset[str] = frozenset(get_args(ErrorCode))


class MediaError(Exception):
    """A media file that cannot be indexed; ``code`` says why, ``str()`` says it to a person.

    The message is forced onto one line because it ends up in logs and JSON error
    bodies where an embedded FFmpeg newline would break the record.
    """

    code: ErrorCode
    message: str

    def __init__(self, code: ErrorCode, message: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown media error code {code!r}; expected one of {sorted(ERROR_CODES)}")
        message = " ".join(str(message).split())
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"MediaError({self.code!r}, {self.message!r})"

    def __reduce__(self) -> tuple[type[MediaError], tuple[str, str]]:
        # Keeps the error picklable across process pools (the service runs workers).
        return (type(self), (self.code, self.message))


def describe(path: str | os.PathLike[str]) -> str:
    """How a file is named in messages: the path as given, quoted so blanks stay visible."""
    return f'"{os.fspath(path)}"'
