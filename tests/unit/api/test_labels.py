"""Label selectors: cases from apimachinery's labels and meta/v1 validation tests."""

from __future__ import annotations

import pytest

from steersman.api import labels
from steersman.api.label_selector_parser import parse_selector
from steersman.api.labels import (
    EVERYTHING,
    NOTHING,
    format_label_selector,
    format_labels,
    selector_from_label_selector,
    selector_from_set,
    validate_label_selector,
)

KEY_REGEX_ERR = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
VALUE_REGEX_ERR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


# labels.TestSelectorParse: good strings re-print without spaces.
@pytest.mark.parametrize(
    "text",
    ["x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1", "x>1,z<5"],
)
def test_good_selectors_round_trip(text: str) -> None:
    assert str(parse_selector(text)) == text.replace(" ", "")


@pytest.mark.parametrize("text", ["x=a||y=b", "x==a==b", "!x=a", "x<a"])
def test_bad_selectors_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_selector(text)


def test_parse_is_deterministic_and_sorted_by_key() -> None:
    assert str(parse_selector("x=a,a=x")) == str(parse_selector("a=x,x=a")) == "a=x,x=a"


def test_set_based_string_forms() -> None:
    assert str(parse_selector("x in (foo,,baz),y,z notin ()")) == "x in (,baz,foo),y,z notin ()"
    assert str(parse_selector("k in (b,a)")) == "k in (a,b)"
    assert str(parse_selector("a in (,)")) == "a in ()"
    # "in"/"notin" are plain identifiers where a key or value is expected.
    assert str(parse_selector("in in (in,notin)")) == "in in (in,notin)"
    assert str(parse_selector("a==b")) == "a==b"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "env IN (a)",
            "unable to parse requirement: found 'IN', expected: in, notin, =, ==, !=, gt, lt",
        ),
        ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("a in b", "unable to parse requirement: found 'b' expected: '('"),
        ("a=(", "unable to parse requirement: found '(', expected: identifier"),
        ("a,", "found '', expected: identifier after ','"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("app=foo bar", "found 'bar', expected: ',' or 'end of string'"),
        ("!x=a", "found '=', expected: ',' or 'end of string'"),
        (
            "a:=b",
            f'unable to parse requirement: <nil>: Invalid value: "a:": {KEY_REGEX_ERR}',
        ),
        (
            "app=a$b",
            f'unable to parse requirement: values[0][app]: Invalid value: "a$b": {VALUE_REGEX_ERR}',
        ),
        (
            "x>a",
            'unable to parse requirement: values[0]: Invalid value: "a": '
            "for 'Gt', 'Lt' operators, the value must be an integer",
        ),
    ],
)
def test_error_wording(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_selector(text)
    assert str(info.value) == message


def test_prefixed_keys_and_key_errors() -> None:
    assert str(parse_selector("example.com/app=x")) == "example.com/app=x"
    with pytest.raises(ValueError, match=r"prefix part a lowercase RFC 1123 subdomain"):
        parse_selector("Example.com/app=x")
    with pytest.raises(ValueError, match=r"name part must be no more than 63 characters"):
        parse_selector("a" * 64)


# labels.TestSelectorMatches (expectMatch / expectNoMatch).
@pytest.mark.parametrize(
    ("selector", "lbls", "match"),
    [
        ("", {"x": "y"}, True),
        ("x=y", {"x": "y"}, True),
        ("x=y,z=w", {"x": "y", "z": "w"}, True),
        ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
        ("notin=in", {"notin": "in"}, True),
        ("x", {"x": "z"}, True),
        ("!x", {"y": "z"}, True),
        ("x>1", {"x": "2"}, True),
        ("x<1", {"x": "0"}, True),
        ("x=z", {}, False),
        ("x=y", {"x": "z"}, False),
        ("x=y,z=w", {"x": "w", "z": "w"}, False),
        ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
        ("x", {"y": "z"}, False),
        ("!x", {"x": "z"}, False),
        ("x>1", {"x": "0"}, False),
        ("x<1", {"x": "2"}, False),
        ("x>1", {"x": "abc"}, False),
        ("x in (a,b)", {"x": "b"}, True),
        ("x notin (a,b)", {}, True),
        ("x notin (a,b)", {"x": "a"}, False),
        ("x in (a,b)", {}, False),
    ],
)
def test_matches(selector: str, lbls: dict[str, str], match: bool) -> None:
    assert parse_selector(selector).matches(lbls) is match


def test_everything_and_nothing() -> None:
    assert EVERYTHING.empty and EVERYTHING.matches({"a": "b"}) and EVERYTHING.matches(None)
    assert not NOTHING.empty and not NOTHING.matches({}) and str(NOTHING) == ""
    assert parse_selector("  ").empty
    assert not parse_selector("a").empty


def test_requires_exact_match() -> None:
    sel = parse_selector("a=1,b in (2),c in (3,4),d!=5")
    assert sel.requires_exact_match("a") == "1"
    assert sel.requires_exact_match("b") == "2"
    assert sel.requires_exact_match("c") is None
    assert sel.requires_exact_match("d") is None


def test_selector_from_label_selector() -> None:
    assert selector_from_label_selector(None) is NOTHING
    assert selector_from_label_selector({}).empty
    sel = selector_from_label_selector(
        {
            "matchLabels": {"app": "web", "tier": "fe"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                {"key": "gpu", "operator": "DoesNotExist"},
                {"key": "zone", "operator": "Exists"},
                {"key": "arch", "operator": "NotIn", "values": ["arm"]},
            ],
        }
    )
    assert str(sel) == "app=web,arch notin (arm),env in (dev,prod),!gpu,tier=fe,zone"
    assert sel.matches({"app": "web", "tier": "fe", "env": "dev", "zone": "a"})
    assert not sel.matches({"app": "web", "tier": "fe", "env": "dev", "zone": "a", "gpu": "1"})
    with pytest.raises(ValueError, match=r'^"Foo" is not a valid label selector operator$'):
        selector_from_label_selector({"matchExpressions": [{"key": "a", "operator": "Foo"}]})
    with pytest.raises(ValueError) as info:
        selector_from_label_selector(
            {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}
        )
    assert str(info.value) == (
        "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
    )


def test_format_helpers() -> None:
    assert format_labels({"b": "2", "a": "1"}) == "a=1,b=2"
    assert format_labels({}) == "<none>"
    assert format_label_selector(None) == "<none>"
    assert format_label_selector({"matchLabels": {"app": "x"}}) == "app=x"
    assert (
        format_label_selector({"matchExpressions": [{"key": "a", "operator": "Bad"}]}) == "<error>"
    )
    assert str(selector_from_set({"b": "2", "a": "1"})) == "a=1,b=2"


def test_validate_label_selector_wording() -> None:
    errs = validate_label_selector(
        {
            "matchLabels": {"ok": "v", "bad key!": "v", "k": "bad value!"},
            "matchExpressions": [
                {"key": "a", "operator": "In"},
                {"key": "b", "operator": "Exists", "values": ["x"]},
                {"key": "c", "operator": "Gt", "values": ["1"]},
                {"key": "d", "operator": "In", "values": ["no good"]},
            ],
        },
        "spec.selector",
    )
    assert [e.message() for e in errs] == [
        f'spec.selector.matchLabels: Invalid value: "bad key!": {KEY_REGEX_ERR}',
        f'spec.selector.matchLabels: Invalid value: "bad value!": {VALUE_REGEX_ERR}',
        "spec.selector.matchExpressions[0].values: Required value: "
        "must be specified when `operator` is 'In' or 'NotIn'",
        "spec.selector.matchExpressions[1].values: Forbidden: "
        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        'spec.selector.matchExpressions[2].operator: Invalid value: "Gt": not a valid selector operator',
        f'spec.selector.matchExpressions[3].values[0]: Invalid value: "no good": {VALUE_REGEX_ERR}',
    ]
    assert validate_label_selector(None, "spec.selector") == []
    relaxed = validate_label_selector(
        {"matchExpressions": [{"key": "d", "operator": "In", "values": ["no good"]}]},
        "s",
        allow_invalid_label_value_in_selector=True,
    )
    assert relaxed == []


def test_empty_key_reports_both_messages() -> None:
    assert labels.is_label_key("") == [
        "name part must be non-empty",
        KEY_REGEX_ERR,
    ]
    assert labels.is_label_key("a/b/c")[0].startswith("a valid label key must consist of")
    assert labels.is_label_key("/a") == ["prefix part must be non-empty"]
