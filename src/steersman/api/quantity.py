"""resource.Quantity: parsing, canonical serialization and arithmetic as apimachinery does them.

Invariants:
- A Quantity's value is an exact multiple of 10^-9 (held as an integer count of nano-units):
  parsing rounds anything finer up, away from zero, as Go does ("0.1n" -> "1n").
- `str(q)` is what Kubernetes serializes: the canonical form (largest suffix, no fractional
  digits, exponent a multiple of 3, the parsed suffix family kept), except that a parsed string
  Go already considers canonical is returned unchanged, exactly when Go reuses it.
- Binary-SI quantities above 2^63-1 are capped at parse time (Go does; decimal ones are not).
- Comparison and hashing use the numeric value only; arithmetic drops the cached string and
  keeps the receiver's format (the other operand's when the receiver is zero), as Go's Add/Sub.
Pure data: no I/O.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

SPLIT_RE_STRING = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
ERR_FORMAT_WRONG = "quantities must match the regular expression '" + SPLIT_RE_STRING + "'"
ERR_NUMERIC = "unable to parse numeric part of quantity"
ERR_SUFFIX = "unable to parse quantity's suffix"

_NANO = 10**9
_MAX_INT64 = 2**63 - 1
_DEC_SUFFIXES = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_BIN_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DEC_SUFFIX_BY_EXP = {v: k for k, v in _DEC_SUFFIXES.items()}
_BIN_SUFFIX_BY_EXP = {v: k for k, v in _BIN_SUFFIXES.items()}
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")
# We hold exact integers, so an absurd exponent ("1e2147483647") would be a denial of service;
# Go keeps such values symbolically. Past this bound we refuse them as unparsable numbers.
_MAX_DECIMAL_EXPONENT = 4096


@functools.total_ordering
@dataclass(frozen=True, slots=True, eq=False)
class Quantity:
    """A fixed-point number with a remembered suffix family (`format`)."""

    nanos: int
    format: str = DECIMAL_SI
    _s: str | None = field(default=None, repr=False)

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_int(cls, value: int, fmt: str = DECIMAL_SI) -> Quantity:
        """resource.NewQuantity."""
        return cls(value * _NANO, fmt)

    @classmethod
    def from_milli(cls, milli: int, fmt: str = DECIMAL_SI) -> Quantity:
        """resource.NewMilliQuantity."""
        return cls(milli * 10**6, fmt)

    @classmethod
    def from_scaled(cls, value: int, scale: int, fmt: str = DECIMAL_SI) -> Quantity:
        """resource.NewScaledQuantity: value * 10^scale (scale >= -9)."""
        if scale < -9:
            raise ValueError("scale below nano is not representable")
        return cls(value * 10 ** (scale + 9), fmt)

    # -- inspection ----------------------------------------------------------------------------
    def is_zero(self) -> bool:
        return self.nanos == 0

    def sign(self) -> int:
        return (self.nanos > 0) - (self.nanos < 0)

    def as_decimal(self) -> Decimal:
        return Decimal(self.nanos).scaleb(-9)

    def scaled_value(self, scale: int) -> int:
        """ceil(|q| / 10^scale) with q's sign (Go rounds away from zero)."""
        exp = scale + 9
        if exp <= 0:
            return self.nanos * 10 ** (-exp)
        div = 10**exp
        q, r = divmod(abs(self.nanos), div)
        if r:
            q += 1
        return q if self.nanos >= 0 else -q

    def value(self) -> int:
        """Quantity.Value(): rounded up to an integer."""
        return self.scaled_value(0)

    def milli_value(self) -> int:
        """Quantity.MilliValue(): rounded up to thousandths."""
        return self.scaled_value(-3)

    # -- arithmetic ----------------------------------------------------------------------------
    def __add__(self, other: Quantity) -> Quantity:
        fmt = other.format if self.nanos == 0 else self.format
        return Quantity(self.nanos + other.nanos, fmt)

    def __sub__(self, other: Quantity) -> Quantity:
        fmt = other.format if self.nanos == 0 else self.format
        return Quantity(self.nanos - other.nanos, fmt)

    def __neg__(self) -> Quantity:
        return Quantity(-self.nanos, self.format)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.nanos == other.nanos

    def __lt__(self, other: Quantity) -> bool:
        return self.nanos < other.nanos

    def __hash__(self) -> int:
        return hash(self.nanos)

    # -- serialization -------------------------------------------------------------------------
    def __str__(self) -> str:
        return self._s if self._s is not None else canonical_string(self.nanos, self.format)

    def to_json(self) -> str:
        return str(self)


def canonical_string(nanos: int, fmt: str) -> str:
    """Quantity.CanonicalizeBytes: number + suffix, as Go emits them."""
    if nanos == 0:
        return "0"
    if fmt == BINARY_SI:
        # Small or fractional binary values are shown in decimal rather than rounded.
        if -1024 * _NANO < nanos < 1024 * _NANO or nanos % _NANO:
            fmt = DECIMAL_SI
        else:
            amount, exp = _remove_factors(nanos // _NANO, 1024)
            return f"{amount}{_BIN_SUFFIX_BY_EXP.get(exp * 10, '')}"
    elif fmt not in (DECIMAL_SI, DECIMAL_EXPONENT):
        fmt = DECIMAL_EXPONENT
    amount, times = _remove_factors(nanos, 10)
    exponent = times - 9
    # Lower the exponent to a multiple of 3 (Python's % is already the floor kind we want).
    shift = exponent % 3
    amount *= 10**shift
    exponent -= shift
    if fmt == DECIMAL_EXPONENT:
        return f"{amount}e{exponent}" if exponent else str(amount)
    # Go finds no suffix past "E" and then prints none; kept for fidelity.
    return f"{amount}{_DEC_SUFFIX_BY_EXP.get(exponent, '')}"


def _remove_factors(value: int, base: int) -> tuple[int, int]:
    times = 0
    result = abs(value)
    while result >= base and result % base == 0:
        result //= base
        times += 1
    return (result if value >= 0 else -result), times


def _interpret_suffix(suffix: str) -> tuple[int, int, str] | None:
    """suffixHandler.interpret: (base, exponent, format) or None."""
    if suffix in _DEC_SUFFIXES:
        return 10, _DEC_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BIN_SUFFIXES:
        return 2, _BIN_SUFFIXES[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        digits = suffix[1:]
        body = digits[1:] if digits[0] in "+-" else digits
        if not body or not set(body) <= _DIGITS:
            return None
        n = int(digits)
        # The exponent becomes an int32 scale that is later negated: beyond +-MaxInt32 it is
        # rejected rather than truncated (as current apimachinery does).
        if not -(2**31 - 1) <= n <= 2**31 - 1:
            return None
        return 10, n, DECIMAL_EXPONENT
    return None


def _scan(s: str) -> tuple[bool, str, str, str, str]:
    """parseQuantityString: (positive, value, num, denom, suffix); ValueError if malformed."""
    positive = True
    pos, end = 0, len(s)
    if s[0] == "-":
        positive = False
        pos = 1
    elif s[0] == "+":
        pos = 1
    while pos < end and s[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "0", "", ""
    start = pos
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    num = s[start:pos] or "0"
    if pos >= end:
        return positive, s, num, "", ""
    denom = ""
    if s[pos] == ".":
        pos += 1
        start = pos
        while pos < end and s[pos] in _DIGITS:
            pos += 1
        denom = s[start:pos]
        if pos >= end:
            return positive, s, num, denom, ""
    value = s[:pos]
    suffix_start = pos
    while pos < end and s[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and s[pos] in "+-":
        pos += 1
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise ValueError(ERR_FORMAT_WRONG)
    return positive, value, num, denom, s[suffix_start:]


def parse_quantity(s: str) -> Quantity:
    """resource.ParseQuantity. ValueError carries apimachinery's message."""
    if not s:
        raise ValueError(ERR_FORMAT_WRONG)
    if s == "0":
        return Quantity(0, DECIMAL_SI, s)
    positive, value, num, denom, suffix = _scan(s)
    interpreted = _interpret_suffix(suffix)
    if interpreted is None:
        raise ValueError(ERR_SUFFIX)
    base, exponent, fmt = interpreted

    fast = _parse_fast(s, positive, num, denom, base, exponent, fmt)
    if fast is not None:
        return fast

    # The slow path (Go's inf.Dec): exact arithmetic, then round up to whole nano-units.
    if not any(c in _DIGITS for c in value):
        raise ValueError(ERR_NUMERIC)
    try:
        mantissa = int(num + denom)
    except ValueError:  # more digits than Python converts (4300): no real quantity has them
        raise ValueError(ERR_NUMERIC) from None
    exp10 = -len(denom)
    if base == 10:
        if exponent > _MAX_DECIMAL_EXPONENT:
            raise ValueError(ERR_NUMERIC)
        exp10 += exponent
    else:
        mantissa <<= exponent
    nanos = _round_up_to_nanos(mantissa, exp10 + 9)
    if fmt == BINARY_SI and nanos > _MAX_INT64 * _NANO:
        nanos = _MAX_INT64 * _NANO
    if fmt == BINARY_SI and 0 < nanos < _NANO:
        fmt = DECIMAL_SI
    return Quantity(nanos if positive else -nanos, fmt)


def _round_up_to_nanos(mantissa: int, shift: int) -> int:
    """mantissa * 10^shift, rounded up (mantissa >= 0)."""
    if shift >= 0:
        return mantissa * 10**shift
    if mantissa == 0:
        return 0
    if -shift > len(str(mantissa)):
        return 1  # far below one nano-unit: Go rounds any non-zero amount up to 1n
    q, r = divmod(mantissa, 10**-shift)
    return q + 1 if r else q


def _parse_fast(
    s: str, positive: bool, num: str, denom: str, base: int, exponent: int, fmt: str
) -> Quantity | None:
    """Go's int64 fast path, which is also where it decides to keep the original string."""
    mantissa = 1
    if fmt == BINARY_SI:
        if exponent < 0 or denom:
            return None
        mantissa = 1 << exponent
        precision = 15 - len(num) - int(exponent * 3 / 10) - 1
        scale = 0
    else:
        scale = exponent
        precision = 18 - (len(num) + len(denom))
    if precision < 0:
        return None
    scale -= len(denom)
    if scale < -9:
        return None
    shifted = num + denom
    value = int(shifted)
    if value and scale > _MAX_DECIMAL_EXPONENT:
        raise ValueError(ERR_NUMERIC)
    result = value * mantissa
    if result > _MAX_INT64:
        return None
    if not positive:
        result = -result
    nanos = result * 10 ** (scale + 9) if result else 0
    if fmt == BINARY_SI:
        keep = exponent % 10 == 0 and value & 0x07 != 0
    else:
        keep = scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"
    return Quantity(nanos, fmt, s if keep else None)


def must_parse(s: str) -> Quantity:
    """resource.MustParse, for constants; raises ValueError like parse_quantity."""
    return parse_quantity(s)


def quantity_from_json(value: str | int | float) -> Quantity:
    """Quantity.UnmarshalJSON: a string (trimmed) or a bare JSON number."""
    if isinstance(value, bool):
        raise ValueError(ERR_FORMAT_WRONG)
    if isinstance(value, int):
        return parse_quantity(str(value))
    if isinstance(value, float):
        return parse_quantity(format(Decimal(repr(value)), "f"))
    return parse_quantity(value.strip())
