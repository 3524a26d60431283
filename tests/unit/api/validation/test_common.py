"""Shared validators: messages compared with apimachinery's, byte for byte."""

from __future__ import annotations

from typing import Any

import pytest

from steersman.api.validation import common
from steersman.api.validation.common import (
    is_c_identifier,
    is_config_map_key,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_env_var_name,
    is_qualified_name,
    is_relaxed_env_var_name,
    is_valid_cidr,
    is_valid_ip,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
    path_segment_name,
    validate_annotations,
    validate_object_meta,
    validate_object_meta_update,
)

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


def msgs(errs: list[Any]) -> list[str]:
    return [e.message() for e in errs]


# -- name validators --------------------------------------------------------------------------


def test_dns1123_label() -> None:
    assert is_dns1123_label("my-name") == []
    assert is_dns1123_label("a" * 63) == []
    assert is_dns1123_label("a.b") == ["must not contain dots"]
    assert is_dns1123_label("Foo") == [LABEL_MSG]
    assert is_dns1123_label("a" * 64) == ["must be no more than 63 characters"]
    assert is_dns1123_label("") == [LABEL_MSG]


def test_dns1123_subdomain() -> None:
    assert is_dns1123_subdomain("example.com") == []
    assert is_dns1123_subdomain("Foo_bar") == [SUBDOMAIN_MSG]
    assert is_dns1123_subdomain("a" * 254) == ["must be no more than 253 characters"]


def test_dns1035_label() -> None:
    assert is_dns1035_label("my-svc") == []
    assert is_dns1035_label("1abc") == [
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
        "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    ]


def test_qualified_name_and_label_value() -> None:
    assert is_qualified_name("example.com/MyName") == []
    assert is_qualified_name("a/b/c")[0].startswith("a valid label key must consist of")
    assert is_qualified_name("/x") == ["prefix part must be non-empty"]
    assert is_valid_label_value("") == []
    assert is_valid_label_value("-x") == [
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?"
        "[A-Za-z0-9])?')"
    ]


def test_c_identifier_and_env_names() -> None:
    assert is_c_identifier("MY_NAME") == []
    assert is_c_identifier("1x") == [
        "a valid C identifier must start with alphabetic character or '_', followed by a string "
        "of alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex "
        "used for validation is '[A-Za-z_][A-Za-z0-9_]*')"
    ]
    assert is_env_var_name("my.env-name") == []
    assert is_env_var_name("..") == ["must not be '..'"]
    assert is_env_var_name("1x") == [
        "a valid environment variable name must consist of alphabetic characters, digits, '_', "
        "'-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  "
        "or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"
    ]
    assert is_relaxed_env_var_name("1 weird:name") == []
    assert is_relaxed_env_var_name("A=B") == [
        "a valid environment variable name must consist only of printable ASCII characters "
        "other than '='"
    ]
    assert is_relaxed_env_var_name("") == ["environment variable name must be non-empty"]


def test_config_map_key() -> None:
    assert is_config_map_key("key.name") == []
    assert is_config_map_key("a/b") == [
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')"
    ]
    assert is_config_map_key("..a") == ["must not start with '..'"]


def test_ports() -> None:
    assert is_valid_port_num(80) == []
    assert is_valid_port_num(0) == ["must be between 1 and 65535, inclusive"]
    assert is_valid_port_name("http") == []
    assert is_valid_port_name("8080") == ["must contain at least one letter (a-z)"]
    assert is_valid_port_name("-A--") == [
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "must contain at least one letter (a-z)",
        "must not contain consecutive hyphens",
        "must not begin or end with a hyphen",
    ]
    assert is_valid_port_name("a" * 16) == ["must be no more than 15 characters"]


def test_ip_and_cidr() -> None:
    assert is_valid_ip("10.0.0.1") == []
    assert is_valid_ip("010.000.000.001") == []  # ParseIPSloppy accepts leading zeros
    assert is_valid_ip("::1") == []
    assert is_valid_ip("1.2.3") == ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
    assert is_valid_cidr("10.0.0.0/8") == []
    assert is_valid_cidr("10.0.0.0/33") == [
        "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
    ]


def test_path_segment_name() -> None:
    assert path_segment_name("ok") == []
    assert path_segment_name("..") == ["may not be '..'"]
    assert path_segment_name("a/b%c") == ["may not contain '/'", "may not contain '%'"]


# -- ObjectMeta --------------------------------------------------------------------------------


def test_name_required() -> None:
    assert msgs(validate_object_meta({"namespace": "ns"}, namespaced=True)) == [
        "metadata.name: Required value: name or generateName is required"
    ]


def test_bad_name_matches_kubernetes() -> None:
    errs = validate_object_meta({"name": "Foo_bar", "namespace": "ns"}, namespaced=True)
    assert msgs(errs) == [f'metadata.name: Invalid value: "Foo_bar": {SUBDOMAIN_MSG}']


def test_namespace_scope() -> None:
    assert msgs(validate_object_meta({"name": "a"}, namespaced=True)) == [
        "metadata.namespace: Required value"
    ]
    assert msgs(validate_object_meta({"name": "a", "namespace": "x"}, namespaced=False)) == [
        "metadata.namespace: Forbidden: not allowed on this type"
    ]
    assert msgs(validate_object_meta({"name": "a", "namespace": "X"}, namespaced=True))[
        0
    ].startswith('metadata.namespace: Invalid value: "X": a lowercase RFC 1123 label')


def test_generate_name_prefix_may_end_with_dash() -> None:
    meta = {"name": "web-abcde", "generateName": "web-", "namespace": "ns"}
    assert validate_object_meta(meta, namespaced=True) == []
    meta = {"name": "Web-abcde", "generateName": "Web-", "namespace": "ns"}
    fields = [e.field for e in validate_object_meta(meta, namespaced=True)]
    assert fields == ["metadata.generateName", "metadata.name"]


def test_custom_name_validator() -> None:
    errs = validate_object_meta(
        {"name": "a.b", "namespace": "n"}, namespaced=True, name_validator=is_dns1035_label
    )
    assert len(errs) == 1 and errs[0].field == "metadata.name"


def test_labels_and_annotations() -> None:
    meta = {"name": "a", "labels": {"bad key!": "v", "k": "-bad"}, "annotations": {"Ok/X": "y"}}
    out = msgs(validate_object_meta(meta, namespaced=False))
    assert out[0].startswith('metadata.labels: Invalid value: "bad key!": name part must consist')
    assert out[1].startswith('metadata.labels: Invalid value: "-bad": a valid label must be')
    assert len(out) == 2  # annotation keys are case-insensitive


def test_annotation_size_limit() -> None:
    errs = validate_annotations({"a": "x" * (256 * 1024)}, "metadata.annotations")
    assert msgs(errs) == ["metadata.annotations: Too long: may not be more than 262144 bytes"]


def test_owner_references() -> None:
    refs = [
        {"apiVersion": "", "kind": "", "name": "", "uid": ""},
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "a",
            "uid": "1",
            "controller": True,
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "b",
            "uid": "2",
            "controller": True,
        },
    ]
    out = msgs(validate_object_meta({"name": "x", "ownerReferences": refs}, namespaced=False))
    assert out[:4] == [
        'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
        'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
        'metadata.ownerReferences.name: Invalid value: "": must not be empty',
        'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
    ]
    assert out[4].endswith(
        'Only one reference can have Controller set to true. Found "true" in references for '
        "ReplicaSet/a and Deployment/b"
    )


def test_finalizers() -> None:
    meta = {"name": "x", "finalizers": ["orphan", "foregroundDeletion", "custom", "a/b"]}
    assert msgs(validate_object_meta(meta, namespaced=False)) == [
        'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion", "custom", '
        '"a/b"}: finalizer orphan and foregroundDeletion cannot be both set',
        'metadata.finalizers[2]: Invalid value: "custom": name is neither a standard finalizer '
        "name nor is it fully qualified",
    ]
    assert (
        validate_object_meta(
            meta | {"finalizers": ["custom"]}, namespaced=False, kube_finalizers=False
        )
        == []
    )


def test_generation_and_managed_fields() -> None:
    meta = {
        "name": "x",
        "generation": -1,
        "managedFields": [{"operation": "Patch", "fieldsType": "X"}],
    }
    assert msgs(validate_object_meta(meta, namespaced=False)) == [
        "metadata.generation: Invalid value: -1: must be greater than or equal to 0",
        'metadata.managedFields[0].operation: Invalid value: "Patch": must be `Apply` or `Update`',
        'metadata.managedFields[0].fieldsType: Invalid value: "X": must be `FieldsV1`',
    ]


# -- ObjectMeta updates -------------------------------------------------------------------------

OLD = {
    "name": "a",
    "namespace": "ns",
    "uid": "u1",
    "creationTimestamp": "2024-01-01T00:00:00Z",
    "generation": 2,
}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", "b", 'metadata.name: Invalid value: "b": field is immutable'),
        ("namespace", "other", 'metadata.namespace: Invalid value: "other": field is immutable'),
        ("uid", "u2", 'metadata.uid: Invalid value: "u2": field is immutable'),
        ("generation", 1, "metadata.generation: Invalid value: 1: must not be decremented"),
    ],
)
def test_meta_update_immutables(field: str, value: Any, expected: str) -> None:
    assert msgs(validate_object_meta_update({**OLD, field: value}, OLD)) == [expected]


def test_meta_update_unchanged_is_valid() -> None:
    assert validate_object_meta_update(dict(OLD), OLD) == []


def test_no_new_finalizers_while_deleting() -> None:
    old = {**OLD, "deletionTimestamp": "2024-01-02T00:00:00Z", "finalizers": ["a/x"]}
    new = {**old, "finalizers": ["a/x", "b/y", "a/z"]}
    assert msgs(validate_object_meta_update(new, old)) == [
        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being "
        'deleted, found new finalizers []string{"a/z", "b/y"}'
    ]


def test_module_exports_brief_names() -> None:
    for name in ("validate_labels", "validate_nonnegative", "validate_quantity", "is_valid_ip"):
        assert callable(getattr(common, name))
    q, errs = common.validate_quantity("1x", "spec.x")
    assert q is None and errs[0].message().startswith('spec.x: Invalid value: "1x": ')
    q, errs = common.validate_quantity("100Mi", "spec.x")
    assert q is not None and errs == []
