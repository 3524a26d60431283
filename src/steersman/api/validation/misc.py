"""Validation of the smaller API groups: a facade re-exporting the public names of the concept
modules that define them (`lease`, `endpoint_slice`, `events_k8s_io`, `network_policy`,
`ingress`, `pod_disruption_budget`, `rbac`, `priority_class`, `storage_class`, `conditions`).

Invariants:
- Importing this module loads (and so registers) every validator of these kinds; the API
  server never imports it: `validator_for` loads one concept module per kind on first use.
Pure data: no I/O, no module state.
"""

from __future__ import annotations

from steersman.api.validation.conditions import validate_condition, validate_conditions
from steersman.api.validation.endpoint_slice import (
    MAX_ADDRESSES,
    MAX_ENDPOINTS,
    MAX_NODE_HINTS,
    MAX_PORTS,
    MAX_TOPOLOGY_LABELS,
    MAX_ZONE_HINTS,
    ZONE_LABEL,
    validate_endpoint_ip,
    validate_endpoint_slice,
    validate_endpoint_slice_update,
)
from steersman.api.validation.events_k8s_io import (
    ACTION_LENGTH_LIMIT,
    NOTE_LENGTH_LIMIT,
    REASON_LENGTH_LIMIT,
    REPORTING_INSTANCE_LENGTH_LIMIT,
    validate_event,
    validate_event_update,
)
from steersman.api.validation.ingress import (
    MAX_INGRESS_CLASS_CONTROLLER_LENGTH,
    is_wildcard_dns1123_subdomain,
    validate_ingress,
    validate_ingress_class,
    validate_ingress_class_update,
    validate_ingress_update,
)
from steersman.api.validation.lease import validate_lease, validate_lease_update
from steersman.api.validation.network_policy import (
    validate_network_policy,
    validate_network_policy_update,
)
from steersman.api.validation.pod_disruption_budget import (
    validate_pod_disruption_budget,
    validate_pod_disruption_budget_update,
)
from steersman.api.validation.priority_class import (
    HIGHEST_USER_DEFINABLE_PRIORITY,
    SYSTEM_CRITICAL_PRIORITY,
    SYSTEM_PRIORITY_CLASS_PREFIX,
    SYSTEM_PRIORITY_CLASSES,
    validate_priority_class,
    validate_priority_class_update,
)
from steersman.api.validation.rbac import (
    RBAC_GROUP,
    validate_cluster_role,
    validate_cluster_role_binding,
    validate_cluster_role_binding_update,
    validate_cluster_role_update,
    validate_role,
    validate_role_binding,
    validate_role_binding_update,
    validate_role_update,
)
from steersman.api.validation.storage_class import (
    MAX_PROVISIONER_PARAMETER_LEN,
    MAX_PROVISIONER_PARAMETER_SIZE,
    validate_storage_class,
    validate_storage_class_update,
)

__all__ = [
    "ACTION_LENGTH_LIMIT",
    "HIGHEST_USER_DEFINABLE_PRIORITY",
    "MAX_ADDRESSES",
    "MAX_ENDPOINTS",
    "MAX_INGRESS_CLASS_CONTROLLER_LENGTH",
    "MAX_NODE_HINTS",
    "MAX_PORTS",
    "MAX_PROVISIONER_PARAMETER_LEN",
    "MAX_PROVISIONER_PARAMETER_SIZE",
    "MAX_TOPOLOGY_LABELS",
    "MAX_ZONE_HINTS",
    "NOTE_LENGTH_LIMIT",
    "RBAC_GROUP",
    "REASON_LENGTH_LIMIT",
    "REPORTING_INSTANCE_LENGTH_LIMIT",
    "SYSTEM_CRITICAL_PRIORITY",
    "SYSTEM_PRIORITY_CLASSES",
    "SYSTEM_PRIORITY_CLASS_PREFIX",
    "ZONE_LABEL",
    "is_wildcard_dns1123_subdomain",
    "validate_cluster_role",
    "validate_cluster_role_binding",
    "validate_cluster_role_binding_update",
    "validate_cluster_role_update",
    "validate_condition",
    "validate_conditions",
    "validate_endpoint_ip",
    "validate_endpoint_slice",
    "validate_endpoint_slice_update",
    "validate_event",
    "validate_event_update",
    "validate_ingress",
    "validate_ingress_class",
    "validate_ingress_class_update",
    "validate_ingress_update",
    "validate_lease",
    "validate_lease_update",
    "validate_network_policy",
    "validate_network_policy_update",
    "validate_pod_disruption_budget",
    "validate_pod_disruption_budget_update",
    "validate_priority_class",
    "validate_priority_class_update",
    "validate_role",
    "validate_role_binding",
    "validate_role_binding_update",
    "validate_role_update",
    "validate_storage_class",
    "validate_storage_class_update",
]
