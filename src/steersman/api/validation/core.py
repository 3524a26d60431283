"""Validation of the core/v1 kinds: a facade re-exporting the public names of the concept
modules that define them (`pod`, `pod_spec`, `container`, `volume`, `service`, `node`, ...).

Invariants:
- Importing this module loads (and so registers) every validator of these kinds; the API
  server never imports it: `validator_for` loads one concept module per kind on first use.
Pure data: no I/O, no module state.
"""

from __future__ import annotations

from steersman.api.validation.affinity import (
    validate_affinity,
    validate_node_selector,
    validate_node_selector_requirement,
    validate_node_selector_term,
    validate_tolerations,
)
from steersman.api.validation.config_map import (
    MAX_SECRET_SIZE,
    validate_config_map,
    validate_config_map_update,
    validate_secret,
    validate_secret_update,
)
from steersman.api.validation.endpoints import validate_endpoints, validate_endpoints_update
from steersman.api.validation.env import validate_env, validate_env_from
from steersman.api.validation.event import validate_event, validate_event_update
from steersman.api.validation.go_values import GoRaw
from steersman.api.validation.helpers import (
    FILE_MODE_ERROR,
    IS_NOT_INTEGER,
    IS_NOT_POSITIVE,
    MAX_INT32,
)
from steersman.api.validation.limit_range import validate_limit_range, validate_limit_range_update
from steersman.api.validation.namespace import (
    validate_namespace,
    validate_namespace_update,
    validate_service_account,
    validate_service_account_update,
)
from steersman.api.validation.node import validate_node, validate_node_update
from steersman.api.validation.persistent_volume import (
    validate_persistent_volume,
    validate_persistent_volume_update,
)
from steersman.api.validation.persistent_volume_claim import (
    validate_persistent_volume_claim,
    validate_persistent_volume_claim_update,
    validate_pvc_spec,
)
from steersman.api.validation.pod import validate_binding, validate_pod, validate_pod_update
from steersman.api.validation.pod_spec import (
    MAX_DNS_NAMESERVERS,
    MAX_DNS_SEARCH_LIST_CHARS,
    MAX_DNS_SEARCH_PATHS,
    validate_pod_spec,
)
from steersman.api.validation.pod_template import (
    APPARMOR_PREFIX,
    MIRROR_POD_ANNOTATION,
    POD_DELETION_COST,
    SECCOMP_CONTAINER_PREFIX,
    SECCOMP_POD_ANNOTATION,
    validate_pod_specific_annotations,
    validate_pod_template,
    validate_pod_template_spec,
    validate_pod_template_update,
)
from steersman.api.validation.replication_controller import (
    validate_replication_controller,
    validate_replication_controller_spec,
    validate_replication_controller_update,
)
from steersman.api.validation.resource_quota import (
    validate_resource_quota,
    validate_resource_quota_update,
)
from steersman.api.validation.resource_requirements import (
    is_extended_resource,
    is_hugepage_resource,
    is_native_resource,
    is_overcommit_allowed,
    validate_container_resources,
    validate_resource_quantity_value,
)
from steersman.api.validation.security_context import SYSCTL_MAX_LENGTH
from steersman.api.validation.service import (
    MAX_CLIENT_IP_AFFINITY_SECONDS,
    validate_service,
    validate_service_update,
)
from steersman.api.validation.volume import validate_csi_driver_name, validate_volumes

__all__ = [
    "APPARMOR_PREFIX",
    "FILE_MODE_ERROR",
    "IS_NOT_INTEGER",
    "IS_NOT_POSITIVE",
    "MAX_CLIENT_IP_AFFINITY_SECONDS",
    "MAX_DNS_NAMESERVERS",
    "MAX_DNS_SEARCH_LIST_CHARS",
    "MAX_DNS_SEARCH_PATHS",
    "MAX_INT32",
    "MAX_SECRET_SIZE",
    "MIRROR_POD_ANNOTATION",
    "POD_DELETION_COST",
    "SECCOMP_CONTAINER_PREFIX",
    "SECCOMP_POD_ANNOTATION",
    "SYSCTL_MAX_LENGTH",
    "GoRaw",
    "is_extended_resource",
    "is_hugepage_resource",
    "is_native_resource",
    "is_overcommit_allowed",
    "validate_affinity",
    "validate_binding",
    "validate_config_map",
    "validate_config_map_update",
    "validate_container_resources",
    "validate_csi_driver_name",
    "validate_endpoints",
    "validate_endpoints_update",
    "validate_env",
    "validate_env_from",
    "validate_event",
    "validate_event_update",
    "validate_limit_range",
    "validate_limit_range_update",
    "validate_namespace",
    "validate_namespace_update",
    "validate_node",
    "validate_node_selector",
    "validate_node_selector_requirement",
    "validate_node_selector_term",
    "validate_node_update",
    "validate_persistent_volume",
    "validate_persistent_volume_claim",
    "validate_persistent_volume_claim_update",
    "validate_persistent_volume_update",
    "validate_pod",
    "validate_pod_spec",
    "validate_pod_specific_annotations",
    "validate_pod_template",
    "validate_pod_template_spec",
    "validate_pod_template_update",
    "validate_pod_update",
    "validate_pvc_spec",
    "validate_replication_controller",
    "validate_replication_controller_spec",
    "validate_replication_controller_update",
    "validate_resource_quantity_value",
    "validate_resource_quota",
    "validate_resource_quota_update",
    "validate_secret",
    "validate_secret_update",
    "validate_service",
    "validate_service_account",
    "validate_service_account_update",
    "validate_service_update",
    "validate_tolerations",
    "validate_volumes",
]
