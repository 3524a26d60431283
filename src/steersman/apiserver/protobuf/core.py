"""core/v1 message tables for the non-pod kinds and the references others share.

Invariants: field numbers are upstream's (staging/src/k8s.io/api/core/v1/generated.proto);
`keep` marks pointers and fields without omitempty in types.go. Pod templates live in
`container.py` and `pod.py`.
"""

from __future__ import annotations

from steersman.apiserver.protobuf.decode import (
    Message,
    boolean,
    bytes_map,
    inline,
    int32,
    int_or_string,
    message,
    messages,
    quantity_map,
    string,
    string_map,
    strings,
    time,
)
from steersman.apiserver.protobuf.meta import CONDITION, OBJECT_META

LOCAL_OBJECT_REFERENCE = Message("LocalObjectReference", {1: string("name")})

OBJECT_REFERENCE = Message(
    "ObjectReference",
    {
        1: string("kind"),
        2: string("namespace"),
        3: string("name"),
        4: string("uid"),
        5: string("apiVersion"),
        6: string("resourceVersion"),
        7: string("fieldPath"),
    },
)

TYPED_LOCAL_OBJECT_REFERENCE = Message(
    "TypedLocalObjectReference",
    {
        1: string("apiGroup", keep=True),
        2: string("kind", keep=True),
        3: string("name", keep=True),
    },
)

TYPED_OBJECT_REFERENCE = Message(
    "TypedObjectReference",
    {
        1: string("apiGroup", keep=True),
        2: string("kind", keep=True),
        3: string("name", keep=True),
        4: string("namespace", keep=True),
    },
)

CONFIG_MAP = Message(
    "ConfigMap",
    {
        1: message("metadata", OBJECT_META),
        4: boolean("immutable", keep=True),
        2: string_map("data"),
        3: bytes_map("binaryData"),
    },
)

SECRET = Message(
    "Secret",
    {
        1: message("metadata", OBJECT_META),
        5: boolean("immutable", keep=True),
        2: bytes_map("data"),
        4: string_map("stringData"),
        3: string("type"),
    },
)

NAMESPACE_CONDITION = Message(
    "NamespaceCondition",
    {
        1: string("type", keep=True),
        2: string("status", keep=True),
        4: time("lastTransitionTime"),
        5: string("reason"),
        6: string("message"),
    },
)

NAMESPACE = Message(
    "Namespace",
    {
        1: message("metadata", OBJECT_META),
        2: message("spec", Message("NamespaceSpec", {1: strings("finalizers")})),
        3: message(
            "status",
            Message(
                "NamespaceStatus",
                {1: string("phase"), 2: messages("conditions", NAMESPACE_CONDITION)},
            ),
        ),
    },
)

SERVICE_ACCOUNT = Message(
    "ServiceAccount",
    {
        1: message("metadata", OBJECT_META),
        2: messages("secrets", OBJECT_REFERENCE),
        3: messages("imagePullSecrets", LOCAL_OBJECT_REFERENCE),
        4: boolean("automountServiceAccountToken", keep=True),
    },
)

SERVICE_PORT = Message(
    "ServicePort",
    {
        1: string("name"),
        2: string("protocol"),
        6: string("appProtocol", keep=True),
        3: int32("port", keep=True),
        4: int_or_string("targetPort"),
        5: int32("nodePort"),
    },
)

SESSION_AFFINITY_CONFIG = Message(
    "SessionAffinityConfig",
    {1: message("clientIP", Message("ClientIPConfig", {1: int32("timeoutSeconds", keep=True)}))},
)

SERVICE_SPEC = Message(
    "ServiceSpec",
    {
        1: messages("ports", SERVICE_PORT),
        2: string_map("selector"),
        3: string("clusterIP"),
        18: strings("clusterIPs"),
        4: string("type"),
        5: strings("externalIPs"),
        7: string("sessionAffinity"),
        8: string("loadBalancerIP"),
        9: strings("loadBalancerSourceRanges"),
        10: string("externalName"),
        11: string("externalTrafficPolicy"),
        12: int32("healthCheckNodePort"),
        13: boolean("publishNotReadyAddresses"),
        14: message("sessionAffinityConfig", SESSION_AFFINITY_CONFIG),
        19: strings("ipFamilies"),
        17: string("ipFamilyPolicy", keep=True),
        20: boolean("allocateLoadBalancerNodePorts", keep=True),
        21: string("loadBalancerClass", keep=True),
        22: string("internalTrafficPolicy", keep=True),
        23: string("trafficDistribution", keep=True),
    },
)

PORT_STATUS = Message(
    "PortStatus",
    {
        1: int32("port", keep=True),
        2: string("protocol", keep=True),
        3: string("error", keep=True),
    },
)

LOAD_BALANCER_STATUS = Message(
    "LoadBalancerStatus",
    {
        1: messages(
            "ingress",
            Message(
                "LoadBalancerIngress",
                {
                    1: string("ip"),
                    2: string("hostname"),
                    3: string("ipMode", keep=True),
                    4: messages("ports", PORT_STATUS),
                },
            ),
        )
    },
)

SERVICE = Message(
    "Service",
    {
        1: message("metadata", OBJECT_META),
        2: message("spec", SERVICE_SPEC),
        3: message(
            "status",
            Message(
                "ServiceStatus",
                {
                    1: message("loadBalancer", LOAD_BALANCER_STATUS),
                    2: messages("conditions", CONDITION),
                },
            ),
        ),
    },
)

SCOPED_RESOURCE_SELECTOR_REQUIREMENT = Message(
    "ScopedResourceSelectorRequirement",
    {
        1: string("scopeName", keep=True),
        2: string("operator", keep=True),
        3: strings("values"),
    },
)

RESOURCE_QUOTA = Message(
    "ResourceQuota",
    {
        1: message("metadata", OBJECT_META),
        2: message(
            "spec",
            Message(
                "ResourceQuotaSpec",
                {
                    1: quantity_map("hard"),
                    2: strings("scopes"),
                    3: message(
                        "scopeSelector",
                        Message(
                            "ScopeSelector",
                            {1: messages("matchExpressions", SCOPED_RESOURCE_SELECTOR_REQUIREMENT)},
                        ),
                    ),
                },
            ),
        ),
        3: message(
            "status",
            Message("ResourceQuotaStatus", {1: quantity_map("hard"), 2: quantity_map("used")}),
        ),
    },
)

# ConfigMapKeySelector and SecretKeySelector share one shape.
KEY_SELECTOR = Message(
    "KeySelector",
    {
        1: inline("localObjectReference", LOCAL_OBJECT_REFERENCE),
        2: string("key", keep=True),
        3: boolean("optional", keep=True),
    },
)
