"""Go's base64 (StdEncoding) and time.Parse error texts, for []byte and metav1.Time fields.

Invariants: each function returns exactly the error string Go's decoder would produce for the
input, or None when Go accepts it. Pure functions: no I/O.
"""

from __future__ import annotations

import re

_B64_OK = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def go_base64_error(s: str) -> str | None:
    """base64.StdEncoding.Decode's CorruptInputError text for `s`, or None if it decodes."""
    text = s.replace("\r", "").replace("\n", "") if ("\r" in s or "\n" in s) else s
    if _B64_OK.fullmatch(text):
        return None
    src = s.encode()
    si, n = 0, len(src)
    while si < n:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return _b64_corrupt(si - j)
            c = src[si]
            si += 1
            if c in _B64_ALPHABET:
                j += 1
                continue
            if c in (0x0A, 0x0D):
                continue
            if c != 0x3D:  # '='
                return _b64_corrupt(si - 1)
            if j < 2:
                return _b64_corrupt(si - 1)
            if j == 2:  # "==" expected: the second '=' after optional newlines
                while si < n and src[si] in (0x0A, 0x0D):
                    si += 1
                if si == n:
                    return _b64_corrupt(n)
                if src[si] != 0x3D:
                    return _b64_corrupt(si - 1)
                si += 1
            while si < n and src[si] in (0x0A, 0x0D):
                si += 1
            return _b64_corrupt(si) if si < n else None
    return None


def _b64_corrupt(offset: int) -> str:
    return f"illegal base64 data at input byte {offset}"


RFC3339 = "2006-01-02T15:04:05Z07:00"
RFC3339_MICRO = "2006-01-02T15:04:05.000000Z07:00"
# (literal prefix, layout element) chunks of each layout, as Go's nextStdChunk splits them.
_LAYOUT_CHUNKS = {
    RFC3339: (
        ("", "2006"),
        ("-", "01"),
        ("-", "02"),
        ("T", "15"),
        (":", "04"),
        (":", "05"),
        ("", "Z07:00"),
    ),
    RFC3339_MICRO: (
        ("", "2006"),
        ("-", "01"),
        ("-", "02"),
        ("T", "15"),
        (":", "04"),
        (":", "05"),
        ("", ".000000"),
        ("", "Z07:00"),
    ),
}


def _time_quote(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch >= "\x80" or ch < " ":
            out.extend(f"\\x{b:02x}" for b in ch.encode())
        else:
            out.append("\\" + ch if ch in '"\\' else ch)
    out.append('"')
    return "".join(out)


def _getnum(s: str, fixed: bool) -> tuple[int, str] | None:
    if not s or not ("0" <= s[0] <= "9"):
        return None
    if len(s) < 2 or not ("0" <= s[1] <= "9"):
        return None if fixed else (int(s[0]), s[1:])
    return int(s[:2]), s[2:]


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def go_time_parse_error(layout: str, value: str) -> str | None:
    """time.Parse(layout, value)'s error text for the two layouts metav1 uses, or None."""
    value_q = _time_quote(value)

    def cannot(elem: str, rest: str) -> str:
        return f"parsing time {value_q} as {_time_quote(layout)}: cannot parse {_time_quote(rest)} as {_time_quote(elem)}"

    rest = value
    year = month = day = 0
    for prefix, elem in _LAYOUT_CHUNKS[layout]:
        for ch in prefix:
            if not rest or rest[0] != ch:
                return cannot(prefix, rest)
            rest = rest[1:]
        hold = rest
        rng = ""
        ok = True
        if elem == "2006":
            if (
                len(rest) < 4
                or not ("0" <= rest[0] <= "9")
                or not all("0" <= c <= "9" for c in rest[:4])
            ):
                ok = False
            else:
                year, rest = int(rest[:4]), rest[4:]
        elif elem in ("01", "02", "15", "04", "05"):
            got = _getnum(rest, elem != "15")
            if got is None:
                ok = False
            else:
                num, rest = got
                if elem == "01":
                    month = num
                    rng = "month" if not 1 <= num <= 12 else ""
                elif elem == "02":
                    day = num
                elif elem == "15":
                    rng = "hour" if num >= 24 else ""
                elif elem == "04":
                    rng = "minute" if num >= 60 else ""
                else:
                    rng = "second" if num >= 60 else ""
                    if (
                        not rng
                        and layout == RFC3339
                        and len(rest) >= 2
                        and rest[0] in ".,"
                        and rest[1].isdigit()
                    ):
                        n = 2
                        while n < len(rest) and "0" <= rest[n] <= "9":
                            n += 1
                        rest = rest[n:]  # a fraction the layout does not name is accepted
        elif elem == ".000000":
            if len(rest) < 7 or rest[0] not in ".," or not all("0" <= c <= "9" for c in rest[1:7]):
                ok = False
            else:
                rest = rest[7:]
        else:  # Z07:00
            if rest[:1] == "Z":
                rest = rest[1:]
            elif len(rest) < 6 or rest[3] != ":":
                ok = False
            else:
                sign, hh, mm, rest = rest[0], rest[1:3], rest[4:6], rest[6:]
                h = _getnum(hh, True)
                m = _getnum(mm, True) if h is not None else None
                if h is None or m is None:
                    ok = False
                else:  # Go checks the ranges before the sign
                    if h[0] > 24:
                        rng = "time zone offset hour"
                    if m[0] > 60:
                        rng = "time zone offset minute"
                    ok = sign in "+-"
        if rng:
            return f"parsing time {value_q}: {rng} out of range"
        if not ok:
            return cannot(elem, hold)
    if rest:
        return f"parsing time {value_q}: extra text: {_time_quote(rest)}"
    if day < 1 or day > _days_in(month, year):
        return f"parsing time {value_q}: day out of range"
    return None
