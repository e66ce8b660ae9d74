""".NET ``TimeSpan`` text, the way Video Indexer writes every time in its index.

Video Indexer writes times with .NET's general short format ``"g"``:
``[d:]h:mm:ss[.FFFFFFF]`` -- hours not padded, up to seven fractional digits (one
digit per 100 ns "tick"), trailing zeros dropped (``0:00:05``, ``0:00:04.04``,
``0:01:10.1033666``). Clients written against Video Indexer split or regex these
strings, so we must write exactly that shape, never ``00:00:05`` or ``0:00:05.0``.

Arithmetic is done on integer ticks, not floats: ``4.04`` seconds is not representable
in binary, and formatting ``4.04 * 10**7`` naively can print ``0:00:04.0399999``.
Converting through the float's shortest decimal ``repr`` recovers the value the caller
meant.

Parsing is a little wider than formatting, because clients hand us strings produced by
other .NET formats: zero-padded hours (``00:00:04.0400000``, the ``"c"`` format) and a
day part written either ``1.02:03:04`` (``"c"``) or ``1:2:03:04`` (``"g"``). Negative
times, hours above 23 and more than seven fractional digits are rejected: .NET itself
would not produce them for a video offset.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

__all__ = [
    "TICKS_PER_SECOND",
    "TIMESPAN_PATTERN",
    "format_ticks",
    "format_timespan",
    "parse_timespan",
    "parse_ticks",
    "round_ticks_to_tenths",
    "to_ticks",
]

TICKS_PER_SECOND = 10_000_000
_TICKS_PER_MINUTE = 60 * TICKS_PER_SECOND
_TICKS_PER_HOUR = 60 * _TICKS_PER_MINUTE
_TICKS_PER_DAY = 24 * _TICKS_PER_HOUR

# Shared with the JSON Schema (tests check they are the same string), so that what
# ``parse_timespan`` accepts and what the schema accepts cannot drift apart. ECMA-262
# compatible: no \d (Python's \d also matches non-ASCII digits), no \Z.
TIMESPAN_PATTERN = r"^(?:[0-9]+[.:])?(?:[01]?[0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,7})?$"

_PARSE_RE = re.compile(
    r"(?:(?P<d>[0-9]+)[.:])?(?P<h>[01]?[0-9]|2[0-3]):(?P<m>[0-5][0-9]):(?P<s>[0-5][0-9])"
    r"(?:\.(?P<f>[0-9]{1,7}))?"
)


def to_ticks(seconds: float | int | Decimal) -> int:
    """Seconds -> whole 100 ns ticks, rounding half to even (as .NET does).

    Goes through ``repr`` for floats so that float noise (``4.04`` stored as
    ``4.0399999999999995`` in binary) cannot leak into the seventh digit.
    """
    if isinstance(seconds, bool):
        raise TypeError("seconds must be a number, not bool")
    if isinstance(seconds, float):
        if not math.isfinite(seconds):
            raise ValueError(f"seconds must be finite, got {seconds!r}")
        value = Decimal(repr(float(seconds)))  # float(): numpy's repr is "np.float64(...)"
    elif isinstance(seconds, (int, Decimal)):
        value = Decimal(seconds)
    else:  # numpy scalars and the like: go through float, keeping the repr trick
        return to_ticks(float(seconds))
    if not value.is_finite():
        raise ValueError(f"seconds must be finite, got {seconds!r}")
    ticks = int((value * TICKS_PER_SECOND).to_integral_value(rounding=ROUND_HALF_EVEN))
    if ticks < 0:
        raise ValueError(f"a video time cannot be negative, got {seconds!r}")
    return ticks


def format_ticks(ticks: int) -> str:
    """Ticks -> ``[d:]h:mm:ss[.FFFFFFF]`` (.NET ``TimeSpan.ToString("g")``, invariant)."""
    if ticks < 0:
        raise ValueError(f"a video time cannot be negative, got {ticks} ticks")
    days, rest = divmod(ticks, _TICKS_PER_DAY)
    hours, rest = divmod(rest, _TICKS_PER_HOUR)
    minutes, rest = divmod(rest, _TICKS_PER_MINUTE)
    secs, frac = divmod(rest, TICKS_PER_SECOND)
    text = f"{hours}:{minutes:02d}:{secs:02d}"
    if days:
        text = f"{days}:{text}"
    if frac:
        text += "." + f"{frac:07d}".rstrip("0")
    return text


def format_timespan(seconds: float | int | Decimal) -> str:
    """Seconds from the video start -> Video Indexer time text.

    >>> format_timespan(4.04)
    '0:00:04.04'
    """
    return format_ticks(to_ticks(seconds))


def parse_ticks(text: str) -> int:
    """Time text -> ticks, exactly (no float on the way)."""
    if not isinstance(text, str):
        raise ValueError(f"a TimeSpan must be a string, got {type(text).__name__}")
    match = _PARSE_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a TimeSpan (expected [d.]h:mm:ss[.fffffff]): {text!r}")
    days = int(match["d"] or 0)
    frac = match["f"] or ""
    return (
        days * _TICKS_PER_DAY
        + int(match["h"]) * _TICKS_PER_HOUR
        + int(match["m"]) * _TICKS_PER_MINUTE
        + int(match["s"]) * TICKS_PER_SECOND
        + (int(frac.ljust(7, "0")) if frac else 0)
    )


def parse_timespan(text: str) -> float:
    """Time text -> seconds (the nearest float to the exact tick count).

    Raises ``ValueError`` for anything that is not a non-negative TimeSpan.
    """
    return parse_ticks(text) / TICKS_PER_SECOND


def round_ticks_to_tenths(ticks: int) -> int:
    """Ticks -> whole tenths of a second, half to even.

    Video Indexer's ``startSeconds``/``endSeconds`` are rounded this way: across the four
    real samples 0:00:16.85 -> 16.8 and 0:00:04.15 -> 4.2 (banker's rounding on the
    exact value; half-up, or Python's ``round`` on a float, disagree on some of them).
    """
    try:
        return int(
            (Decimal(ticks) / (TICKS_PER_SECOND // 10)).to_integral_value(rounding=ROUND_HALF_EVEN)
        )
    except InvalidOperation as exc:  # pragma: no cover - ints always convert
        raise ValueError(f"bad tick count {ticks!r}") from exc
