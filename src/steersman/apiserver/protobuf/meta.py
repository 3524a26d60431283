"""meta/v1 message tables (apimachinery/pkg/apis/meta/v1/generated.proto).

Invariants: field numbers are upstream's; `keep` marks pointers and fields without
omitempty in types.go. ObjectMeta field 15 (clusterName) was removed upstream and is not
listed, so it is skipped like any field this server does not know.
"""

from __future__ import annotations

from steersman.apiserver.protobuf.decode import (
    Message,
    boolean,
    fields_v1,
    int64,
    messages,
    string,
    string_map,
    strings,
    time,
)

OWNER_REFERENCE = Message(
    "OwnerReference",
    {
        5: string("apiVersion", keep=True),
        1: string("kind", keep=True),
        3: string("name", keep=True),
        4: string("uid", keep=True),
        6: boolean("controller", keep=True),
        7: boolean("blockOwnerDeletion", keep=True),
    },
)

MANAGED_FIELDS_ENTRY = Message(
    "ManagedFieldsEntry",
    {
        1: string("manager"),
        2: string("operation"),
        3: string("apiVersion"),
        4: time("time"),
        6: string("fieldsType"),
        7: fields_v1("fieldsV1"),
        8: string("subresource"),
    },
)

OBJECT_META = Message(
    "ObjectMeta",
    {
        1: string("name"),
        2: string("generateName"),
        3: string("namespace"),
        4: string("selfLink"),
        5: string("uid"),
        6: string("resourceVersion"),
        7: int64("generation"),
        8: time("creationTimestamp"),
        9: time("deletionTimestamp"),
        10: int64("deletionGracePeriodSeconds", keep=True),
        11: string_map("labels"),
        12: string_map("annotations"),
        13: messages("ownerReferences", OWNER_REFERENCE),
        14: strings("finalizers"),
        17: messages("managedFields", MANAGED_FIELDS_ENTRY),
    },
)

LABEL_SELECTOR_REQUIREMENT = Message(
    "LabelSelectorRequirement",
    {
        1: string("key", keep=True),
        2: string("operator", keep=True),
        3: strings("values"),
    },
)

LABEL_SELECTOR = Message(
    "LabelSelector",
    {
        1: string_map("matchLabels"),
        2: messages("matchExpressions", LABEL_SELECTOR_REQUIREMENT),
    },
)

CONDITION = Message(
    "Condition",
    {
        1: string("type", keep=True),
        2: string("status", keep=True),
        3: int64("observedGeneration"),
        4: time("lastTransitionTime"),
        5: string("reason", keep=True),
        6: string("message", keep=True),
    },
)
