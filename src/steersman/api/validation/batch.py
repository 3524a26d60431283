"""Validation of the batch/v1 kinds: a facade re-exporting the public names of the concept
modules that define them (`job`, `job_update`, `cron_schedule`, `cron_job`).

Invariants:
- Importing this module loads (and so registers) every validator of these kinds; the API
  server never imports it: `validator_for` loads one concept module per kind on first use.
Pure data: no I/O, no module state.
"""

from __future__ import annotations

from steersman.api.validation.cron_job import (
    MAX_CRON_JOB_NAME_LENGTH,
    validate_cron_job,
    validate_cron_job_update,
)
from steersman.api.validation.cron_schedule import parse_cron_schedule
from steersman.api.validation.helpers import is_domain_prefixed_path
from steersman.api.validation.job import (
    COMPLETIONS_SOFT_LIMIT,
    CONTROLLER_UID_LABEL,
    JOB_NAME_LABEL,
    LEGACY_CONTROLLER_UID_LABEL,
    LEGACY_JOB_NAME_LABEL,
    MAX_FAILED_INDEXES_FOR_INDEXED_JOB,
    MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS,
    MAX_MANAGED_BY_LENGTH,
    MAX_ON_EXIT_CODES_VALUES,
    MAX_ON_POD_CONDITIONS_PATTERNS,
    MAX_PARALLELISM_FOR_INDEXED_JOB,
    MAX_POD_FAILURE_POLICY_RULES,
    MAX_SUCCEEDED_INDEXES_LENGTH,
    MAX_SUCCESS_POLICY_RULES,
    PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS,
    validate_indexes_format,
    validate_job,
    validate_job_spec_fields,
)
from steersman.api.validation.job_update import validate_job_status_update, validate_job_update

__all__ = [
    "COMPLETIONS_SOFT_LIMIT",
    "CONTROLLER_UID_LABEL",
    "JOB_NAME_LABEL",
    "LEGACY_CONTROLLER_UID_LABEL",
    "LEGACY_JOB_NAME_LABEL",
    "MAX_CRON_JOB_NAME_LENGTH",
    "MAX_FAILED_INDEXES_FOR_INDEXED_JOB",
    "MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS",
    "MAX_MANAGED_BY_LENGTH",
    "MAX_ON_EXIT_CODES_VALUES",
    "MAX_ON_POD_CONDITIONS_PATTERNS",
    "MAX_PARALLELISM_FOR_INDEXED_JOB",
    "MAX_POD_FAILURE_POLICY_RULES",
    "MAX_SUCCEEDED_INDEXES_LENGTH",
    "MAX_SUCCESS_POLICY_RULES",
    "PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS",
    "is_domain_prefixed_path",
    "parse_cron_schedule",
    "validate_cron_job",
    "validate_cron_job_update",
    "validate_indexes_format",
    "validate_job",
    "validate_job_spec_fields",
    "validate_job_status_update",
    "validate_job_update",
]
