"""Validation of the apps/v1 kinds: a facade re-exporting the public names of the concept
modules that define them (`deployment`, `replica_set`, `stateful_set`, `daemon_set`,
`controller_revision`, and the shared `workload` and `go_values`).

Invariants:
- Importing this module loads (and so registers) every validator of these kinds; the API
  server never imports it: `validator_for` loads one concept module per kind on first use.
Pure data: no I/O, no module state.
"""

from __future__ import annotations

from steersman.api.validation.controller_revision import (
    validate_controller_revision,
    validate_controller_revision_update,
)
from steersman.api.validation.daemon_set import (
    validate_daemon_set,
    validate_daemon_set_spec,
    validate_daemon_set_update,
)
from steersman.api.validation.deployment import (
    validate_deployment,
    validate_deployment_spec,
    validate_deployment_update,
)
from steersman.api.validation.go_values import (
    GO_PTR_ADDRESS,
    GoRaw,
    get_int_or_percent_value,
    go_int_or_string,
    go_label_selector,
    go_ptr,
    go_raw_extension,
    go_string_map,
    go_string_slice,
    is_not_more_than_100_percent,
    validate_positive_int_or_percent,
)
from steersman.api.validation.helpers import changed, label_selector_has_invalid_label_value
from steersman.api.validation.replica_set import (
    validate_replica_set,
    validate_replica_set_spec,
    validate_replica_set_update,
)
from steersman.api.validation.stateful_set import (
    STATEFUL_SET_SPEC_FORBIDDEN,
    validate_stateful_set,
    validate_stateful_set_spec,
    validate_stateful_set_update,
)
from steersman.api.validation.workload import validate_selector_matches_template

__all__ = [
    "GO_PTR_ADDRESS",
    "STATEFUL_SET_SPEC_FORBIDDEN",
    "GoRaw",
    "changed",
    "get_int_or_percent_value",
    "go_int_or_string",
    "go_label_selector",
    "go_ptr",
    "go_raw_extension",
    "go_string_map",
    "go_string_slice",
    "is_not_more_than_100_percent",
    "label_selector_has_invalid_label_value",
    "validate_controller_revision",
    "validate_controller_revision_update",
    "validate_daemon_set",
    "validate_daemon_set_spec",
    "validate_daemon_set_update",
    "validate_deployment",
    "validate_deployment_spec",
    "validate_deployment_update",
    "validate_positive_int_or_percent",
    "validate_replica_set",
    "validate_replica_set_spec",
    "validate_replica_set_update",
    "validate_selector_matches_template",
    "validate_stateful_set",
    "validate_stateful_set_spec",
    "validate_stateful_set_update",
]
