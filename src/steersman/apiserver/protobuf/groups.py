"""rbac/v1, scheduling/v1, policy/v1, networking/v1 and autoscaling/v1 message tables.

Invariants: field numbers are upstream's (staging/src/k8s.io/api/<group>/v1/
generated.proto); `keep` marks pointers and fields without omitempty in types.go.
"""

from __future__ import annotations

from steersman.apiserver.protobuf.core import TYPED_LOCAL_OBJECT_REFERENCE
from steersman.apiserver.protobuf.decode import (
    Message,
    boolean,
    inline,
    int32,
    int64,
    int_or_string,
    message,
    messages,
    string,
    strings,
    time,
    time_map,
)
from steersman.apiserver.protobuf.meta import CONDITION, LABEL_SELECTOR, OBJECT_META

# --- rbac.authorization.k8s.io/v1 ---------------------------------------------------------

POLICY_RULE = Message(
    "PolicyRule",
    {
        1: strings("verbs"),
        2: strings("apiGroups"),
        3: strings("resources"),
        4: strings("resourceNames"),
        5: strings("nonResourceURLs"),
    },
)

ROLE = Message("Role", {1: message("metadata", OBJECT_META), 2: messages("rules", POLICY_RULE)})

CLUSTER_ROLE = Message(
    "ClusterRole",
    {
        1: message("metadata", OBJECT_META),
        2: messages("rules", POLICY_RULE),
        3: message(
            "aggregationRule",
            Message("AggregationRule", {1: messages("clusterRoleSelectors", LABEL_SELECTOR)}),
        ),
    },
)

SUBJECT = Message(
    "Subject",
    {
        1: string("kind", keep=True),
        2: string("apiGroup"),
        3: string("name", keep=True),
        4: string("namespace"),
    },
)

ROLE_REF = Message(
    "RoleRef",
    {
        1: string("apiGroup", keep=True),
        2: string("kind", keep=True),
        3: string("name", keep=True),
    },
)

# RoleBinding and ClusterRoleBinding share one shape.
ROLE_BINDING = Message(
    "RoleBinding",
    {
        1: message("metadata", OBJECT_META),
        2: messages("subjects", SUBJECT),
        3: message("roleRef", ROLE_REF),
    },
)

# --- scheduling.k8s.io/v1 -----------------------------------------------------------------

PRIORITY_CLASS = Message(
    "PriorityClass",
    {
        1: message("metadata", OBJECT_META),
        2: int32("value", keep=True),
        3: boolean("globalDefault"),
        4: string("description"),
        5: string("preemptionPolicy", keep=True),
    },
)

# --- policy/v1 ----------------------------------------------------------------------------

POD_DISRUPTION_BUDGET = Message(
    "PodDisruptionBudget",
    {
        1: message("metadata", OBJECT_META),
        2: message(
            "spec",
            Message(
                "PodDisruptionBudgetSpec",
                {
                    1: int_or_string("minAvailable"),
                    2: message("selector", LABEL_SELECTOR),
                    3: int_or_string("maxUnavailable"),
                    4: string("unhealthyPodEvictionPolicy", keep=True),
                },
            ),
        ),
        3: message(
            "status",
            Message(
                "PodDisruptionBudgetStatus",
                {
                    1: int64("observedGeneration"),
                    2: time_map("disruptedPods"),
                    3: int32("disruptionsAllowed", keep=True),
                    4: int32("currentHealthy", keep=True),
                    5: int32("desiredHealthy", keep=True),
                    6: int32("expectedPods", keep=True),
                    7: messages("conditions", CONDITION),
                },
            ),
        ),
    },
)

# --- networking.k8s.io/v1 -----------------------------------------------------------------

INGRESS_BACKEND = Message(
    "IngressBackend",
    {
        4: message(
            "service",
            Message(
                "IngressServiceBackend",
                {
                    1: string("name", keep=True),
                    2: message(
                        "port",
                        Message("ServiceBackendPort", {1: string("name"), 2: int32("number")}),
                    ),
                },
            ),
        ),
        3: message("resource", TYPED_LOCAL_OBJECT_REFERENCE),
    },
)

HTTP_INGRESS_PATH = Message(
    "HTTPIngressPath",
    {
        1: string("path"),
        3: string("pathType", keep=True),
        2: message("backend", INGRESS_BACKEND),
    },
)

INGRESS_RULE = Message(
    "IngressRule",
    {
        1: string("host"),
        2: inline(
            "ingressRuleValue",
            Message(
                "IngressRuleValue",
                {
                    1: message(
                        "http",
                        Message("HTTPIngressRuleValue", {1: messages("paths", HTTP_INGRESS_PATH)}),
                    )
                },
            ),
        ),
    },
)

INGRESS_SPEC = Message(
    "IngressSpec",
    {
        4: string("ingressClassName", keep=True),
        1: message("defaultBackend", INGRESS_BACKEND),
        2: messages("tls", Message("IngressTLS", {1: strings("hosts"), 2: string("secretName")})),
        3: messages("rules", INGRESS_RULE),
    },
)

INGRESS_STATUS = Message(
    "IngressStatus",
    {
        1: message(
            "loadBalancer",
            Message(
                "IngressLoadBalancerStatus",
                {
                    1: messages(
                        "ingress",
                        Message(
                            "IngressLoadBalancerIngress",
                            {
                                1: string("ip"),
                                2: string("hostname"),
                                4: messages(
                                    "ports",
                                    Message(
                                        "IngressPortStatus",
                                        {
                                            1: int32("port", keep=True),
                                            2: string("protocol", keep=True),
                                            3: string("error", keep=True),
                                        },
                                    ),
                                ),
                            },
                        ),
                    )
                },
            ),
        )
    },
)

INGRESS = Message(
    "Ingress",
    {
        1: message("metadata", OBJECT_META),
        2: message("spec", INGRESS_SPEC),
        3: message("status", INGRESS_STATUS),
    },
)


# --- autoscaling/v1 (`kubectl autoscale`) -------------------------------------------------

CROSS_VERSION_OBJECT_REFERENCE = Message(
    "CrossVersionObjectReference",
    {1: string("kind", keep=True), 2: string("name", keep=True), 3: string("apiVersion")},
)

HORIZONTAL_POD_AUTOSCALER_V1 = Message(
    "HorizontalPodAutoscaler",
    {
        1: message("metadata", OBJECT_META),
        2: message(
            "spec",
            Message(
                "HorizontalPodAutoscalerSpec",
                {
                    1: message("scaleTargetRef", CROSS_VERSION_OBJECT_REFERENCE),
                    2: int32("minReplicas", keep=True),
                    3: int32("maxReplicas", keep=True),
                    4: int32("targetCPUUtilizationPercentage", keep=True),
                },
            ),
        ),
        3: message(
            "status",
            Message(
                "HorizontalPodAutoscalerStatus",
                {
                    1: int64("observedGeneration", keep=True),
                    2: time("lastScaleTime"),
                    3: int32("currentReplicas", keep=True),
                    4: int32("desiredReplicas", keep=True),
                    5: int32("currentCPUUtilizationPercentage", keep=True),
                },
            ),
        ),
    },
)
