import pytest

from steersman.api.errors import ApiError
from steersman.apiserver import negotiation


def test_kubectl_table_accept() -> None:
    a = negotiation.parse_accept(
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
    )
    assert (a.as_kind, a.as_version) == ("Table", "v1")


def test_plain_and_wildcard() -> None:
    assert negotiation.parse_accept(None).as_kind == ""
    assert negotiation.parse_accept("*/*").media == negotiation.JSON
    assert negotiation.parse_accept("application/yaml").media == negotiation.YAML


def test_unserved_as_falls_through_or_fails() -> None:
    assert (
        negotiation.parse_accept("application/json;as=Widget;v=v1;g=x,application/json").as_kind
        == ""
    )
    with pytest.raises(ApiError) as exc:
        negotiation.parse_accept("text/html")
    assert exc.value.code == 406


def test_decode_yaml_and_errors() -> None:
    assert negotiation.decode_body(b"a: 1\nb: [x]\n", "application/yaml") == {"a": 1, "b": ["x"]}
    with pytest.raises(ApiError) as exc:
        negotiation.decode_body(b"{bad", "application/json")
    assert exc.value.code == 400
    with pytest.raises(ApiError) as exc:
        negotiation.decode_body(b"a: [", "application/yaml")
    assert exc.value.code == 400
