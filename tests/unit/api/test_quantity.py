"""resource.Quantity: cases from apimachinery's quantity_test.go."""

from __future__ import annotations

from decimal import Decimal

import pytest

from steersman.api.quantity import (
    BINARY_SI,
    DECIMAL_EXPONENT,
    DECIMAL_SI,
    ERR_FORMAT_WRONG,
    ERR_NUMERIC,
    ERR_SUFFIX,
    Quantity,
    parse_quantity,
    quantity_from_json,
)


def dec(value: int | str, scale: int) -> Decimal:
    return Decimal(value).scaleb(scale)


# TestQuantityParse: (input, value, format).
@pytest.mark.parametrize(
    ("text", "value", "fmt"),
    [
        ("0", dec(0, 0), DECIMAL_SI),
        ("0n", dec(0, 0), DECIMAL_SI),
        ("0Ki", dec(0, 0), BINARY_SI),
        ("0Ti", dec(0, 0), BINARY_SI),
        ("1", dec(1, 0), DECIMAL_SI),
        ("1Ki", dec(1024, 0), BINARY_SI),
        ("7Mi", dec(7 * 1024**2, 0), BINARY_SI),
        ("3Ei", dec(3 * 1024**6, 0), BINARY_SI),
        ("100Ti", dec(100 * 1024**4, 0), BINARY_SI),
        ("5n", dec(5, -9), DECIMAL_SI),
        ("4u", dec(4, -6), DECIMAL_SI),
        ("3m", dec(3, -3), DECIMAL_SI),
        ("50k", dec(5, 4), DECIMAL_SI),
        ("300T", dec(3, 14), DECIMAL_SI),
        ("1E", dec(1, 18), DECIMAL_SI),
        ("1E-3", dec(1, -3), DECIMAL_EXPONENT),
        ("1e3", dec(1, 3), DECIMAL_EXPONENT),
        ("1E18", dec(1, 18), DECIMAL_EXPONENT),
        ("100.035k", dec(100035, 0), DECIMAL_SI),
        ("0.0005k", dec(5, -1), DECIMAL_SI),
        ("0.50000", dec(5, -1), DECIMAL_SI),
        ("0.5e-2", dec(5, -3), DECIMAL_EXPONENT),
        ("1.3E+6", dec(13, 5), DECIMAL_EXPONENT),
        ("1.7E18", dec(17, 17), DECIMAL_EXPONENT),
        ("6.987654321G", dec(6987654321, 0), DECIMAL_SI),
        ("1.01E", dec(101, 16), DECIMAL_SI),
        # Things that saturate/round.
        ("3.001n", dec(4, -9), DECIMAL_SI),
        ("1.1E-9", dec(2, -9), DECIMAL_EXPONENT),
        ("0.0000000001", dec(1, -9), DECIMAL_SI),
        ("0.5e-9", dec(1, -9), DECIMAL_EXPONENT),
        ("0.00000012345", dec(124, -9), DECIMAL_SI),
        ("9Ei", dec(2**63 - 1, 0), BINARY_SI),
        ("9223372036854775807Ki", dec(2**63 - 1, 0), BINARY_SI),
        ("12E", dec(12, 18), DECIMAL_SI),
        ("100.035Ki", dec(10243584, -2), BINARY_SI),
        ("0.5Mi", dec(512 * 1024, 0), BINARY_SI),
        ("0.025Ti", dec(274877906944, -1), BINARY_SI),
        # Things written by trolls.
        ("0.000000000001Ki", dec(2, -9), DECIMAL_SI),
        (".001", dec(1, -3), DECIMAL_SI),
        (".0001k", dec(100, -3), DECIMAL_SI),
        ("1.", dec(1, 0), DECIMAL_SI),
        ("1.G", dec(1, 9), DECIMAL_SI),
    ],
)
def test_parse(text: str, value: Decimal, fmt: str) -> None:
    for sign, expect in (("", value), ("+", value), ("-", -value)):
        q = parse_quantity(sign + text)
        assert q.as_decimal() == expect, sign + text
        assert q.format == fmt, sign + text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", ERR_FORMAT_WRONG),
        ("1.1.M", ERR_FORMAT_WRONG),
        ("1+1.0M", ERR_FORMAT_WRONG),
        ("0.1am", ERR_FORMAT_WRONG),
        ("aoeu", ERR_FORMAT_WRONG),
        (" 1", ERR_FORMAT_WRONG),
        ("1 ", ERR_FORMAT_WRONG),
        ("0.1mi", ERR_SUFFIX),
        (".5i", ERR_SUFFIX),
        ("1i", ERR_SUFFIX),
        ("-3.01i", ERR_SUFFIX),
        ("-3.01e-", ERR_SUFFIX),
        ("1e4294967297", ERR_SUFFIX),
        ("1E2147483648", ERR_SUFFIX),
        ("e-20", ERR_NUMERIC),
    ],
)
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_quantity(text)
    assert str(info.value) == message


def test_format_wrong_message_is_kubernetes_wording() -> None:
    assert ERR_FORMAT_WRONG == (
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


# TestQuantityParseEmit and the brief's examples: what Kubernetes serializes.
@pytest.mark.parametrize(
    ("text", "out"),
    [
        ("1Ki", "1Ki"),
        ("1024Mi", "1Gi"),
        ("1000M", "1G"),
        (".001Ki", "1024m"),
        (".000001Ki", "1024u"),
        (".000000001Ki", "1024n"),
        (".000000000001Ki", "2n"),
        ("1000m", "1"),
        ("1.5Gi", "1536Mi"),
        ("0.5", "500m"),
        ("1.5", "1500m"),
        ("100m", "100m"),
        ("1e3", "1e3"),
        ("1e4", "10e3"),
        ("1.5e3", "1500"),
        ("1000", "1k"),
        ("0.3Mi", "314572800m"),
        ("8Ki", "8Ki"),
        ("1025Ki", "1025Ki"),
        ("9Ei", "9223372036854775807"),
        ("0Mi", "0"),
        # Go reuses a parsed string it deems canonical, quirks included.
        ("1E3", "1E3"),
        ("+1", "+1"),
        ("00100", "00100"),
    ],
)
def test_emit(text: str, out: str) -> None:
    assert str(parse_quantity(text)) == out


# TestQuantityString: canonical form of constructed values.
@pytest.mark.parametrize(
    ("q", "out"),
    [
        (Quantity.from_int(1024**3, BINARY_SI), "1Gi"),
        (Quantity.from_int(300 * 1024**2, BINARY_SI), "300Mi"),
        (Quantity.from_int(1001 * 1024**3, BINARY_SI), "1001Gi"),
        (Quantity.from_int(5, BINARY_SI), "5"),
        (Quantity.from_milli(500, BINARY_SI), "500m"),
        (Quantity.from_scaled(1, 9), "1G"),
        (Quantity.from_scaled(1000, 6), "1G"),
        (Quantity.from_scaled(1080, -3), "1080m"),
        (Quantity.from_scaled(108, -2), "1080m"),
        (Quantity.from_scaled(1234567, 6), "1234567M"),
        (Quantity.from_scaled(-1, -3), "-1m"),
        (Quantity.from_scaled(1, 3, DECIMAL_EXPONENT), "1e3"),
        (Quantity.from_scaled(1, 0, DECIMAL_EXPONENT), "1"),
        (Quantity.from_int(-1024 * 1024, BINARY_SI), "-1Mi"),
        (Quantity.from_int(0, BINARY_SI), "0"),
    ],
)
def test_string(q: Quantity, out: str) -> None:
    assert str(q) == out


def test_compare_add_sub() -> None:
    assert parse_quantity("0") == parse_quantity("0")
    assert parse_quantity("100m") > parse_quantity("50m")
    assert parse_quantity("10000T") > parse_quantity("100Gi")
    assert parse_quantity("1") == parse_quantity("1000m")
    assert hash(parse_quantity("1")) == hash(parse_quantity("1000m"))
    total = parse_quantity("1Gi") + parse_quantity("512Mi")
    assert str(total) == "1536Mi" and total.format == BINARY_SI
    # Adding onto zero takes the other operand's format.
    assert str(Quantity(0) + parse_quantity("1Ki")) == "1Ki"
    assert str(parse_quantity("1") - parse_quantity("250m")) == "750m"
    assert str(-parse_quantity("9.01")) == "-9010m"
    # Arithmetic drops the reused string.
    assert str(parse_quantity("1E3") + Quantity(0)) == "1e3"


def test_milli_and_value_round_up() -> None:
    assert parse_quantity("100m").milli_value() == 100
    assert parse_quantity("1.5").milli_value() == 1500
    assert parse_quantity("0.1m").milli_value() == 1
    assert parse_quantity("9.01").value() == 10
    assert parse_quantity("-9.01").value() == -10
    assert parse_quantity("1Gi").value() == 1024**3
    assert parse_quantity("1n").value() == 1


def test_from_json() -> None:
    assert str(quantity_from_json(" 2Gi ")) == "2Gi"
    assert str(quantity_from_json(3)) == "3"
    assert str(quantity_from_json(0.5)) == "500m"
    with pytest.raises(ValueError):
        quantity_from_json(True)


def test_absurd_exponents_do_not_hang() -> None:
    assert str(parse_quantity("1E-2147483647")) == "1e-9"
    assert parse_quantity("E2147483647").is_zero()
    with pytest.raises(ValueError):
        parse_quantity("1e2147483647")
