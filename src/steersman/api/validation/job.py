"""The batch/v1 Job spec and Job creation.

Invariants:
- Feature gates at their v1.36 defaults: JobManagedBy, JobSuccessPolicy,
  JobBackoffLimitPerIndex, JobPodReplacementPolicy, ElasticIndexedJob and
  MutableSchedulingDirectives are all on.
- The Job's generated selector and template labels are added by the API server's strategy
  before validation (see `defaults.batch.generate_selector`); validation only checks them.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FIELD_VALUE_INVALID, FieldError
from steersman.api.labels import (
    selector_from_label_selector,
    validate_label_selector,
)
from steersman.api.validation.common import (
    child,
    index,
    is_dns1123_label,
    key,
    validate_nonnegative,
    validate_object_meta,
    validate_qualified_name,
)
from steersman.api.validation.go_values import (
    GoRaw,
    go_label_selector,
    go_ptr,
    go_string_map,
)
from steersman.api.validation.helpers import (
    Obj,
    _d,
    _l,
    _meta,
    _s,
    is_domain_prefixed_path,
)
from steersman.api.validation.pod_template import validate_pod_template_spec

CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"

MAX_PARALLELISM_FOR_INDEXED_JOB = 100_000
MAX_FAILED_INDEXES_FOR_INDEXED_JOB = 100_000
COMPLETIONS_SOFT_LIMIT = 100_000
PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS = 10_000
MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS = 10_000
MAX_POD_FAILURE_POLICY_RULES = 20
MAX_ON_EXIT_CODES_VALUES = 255
MAX_ON_POD_CONDITIONS_PATTERNS = 20
MAX_MANAGED_BY_LENGTH = 63
MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024
MAX_SUCCESS_POLICY_RULES = 20

_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
_EXIT_CODE_OPERATORS = ("In", "NotIn")
_CONDITION_STATUSES = ("False", "True", "Unknown")
_REPLACEMENT_POLICIES = ("Failed", "TerminatingOrFailed")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _go_list(values: Sequence[str]) -> str:
    """Go's %q of a []string: `["a" "b"]`."""
    return "[" + " ".join(errors.go_value(v) for v in values) + "]"


def _semantic(value: Any) -> Any:
    if isinstance(value, dict):
        items = {k: _semantic(v) for k, v in value.items()}
        return {k: v for k, v in items.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def _go_time(value: Any) -> GoRaw:
    """A metav1.Time as Go's time.String() prints it (the API server runs in UTC)."""
    t = _parse_time(value)
    if t is None:
        return GoRaw("null")
    utc = t.astimezone(datetime.UTC)
    frac = f".{utc.microsecond:06d}".rstrip("0") if utc.microsecond else ""
    return GoRaw(utc.strftime("%Y-%m-%d %H:%M:%S") + frac + " +0000 UTC")


def _parse_time(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def _go_pfp(policy: Any) -> GoRaw:
    if not isinstance(policy, dict):
        return GoRaw("null")
    rules = ", ".join(
        "batch.PodFailurePolicyRule{"
        f"Action:{errors.go_value(_s(_d(r).get('action')))}, "
        f"OnExitCodes:{go_ptr('batch.PodFailurePolicyOnExitCodesRequirement', _d(r).get('onExitCodes') is not None)}, "
        "OnPodConditions:"
        + (
            f"[]batch.PodFailurePolicyOnPodConditionsPattern{{{_go_patterns(_d(r).get('onPodConditions'))}}}"
            if isinstance(_d(r).get("onPodConditions"), list)
            else "[]batch.PodFailurePolicyOnPodConditionsPattern(nil)"
        )
        + "}"
        for r in _l(policy.get("rules"))
    )
    return GoRaw(f"batch.PodFailurePolicy{{Rules:[]batch.PodFailurePolicyRule{{{rules}}}}}")


def _go_patterns(patterns: Any) -> str:
    return ", ".join(
        "batch.PodFailurePolicyOnPodConditionsPattern{"
        f"Type:{errors.go_value(_s(_d(p).get('type')))}, Status:{errors.go_value(_s(_d(p).get('status')))}"
        "}"
        for p in _l(patterns)
    )


def _go_success_policy(policy: Any) -> GoRaw:
    if not isinstance(policy, dict):
        return GoRaw("null")
    rules = ", ".join(
        "batch.SuccessPolicyRule{"
        f"SucceededIndexes:{go_ptr('string', _d(r).get('succeededIndexes') is not None)}, "
        f"SucceededCount:{go_ptr('int32', _d(r).get('succeededCount') is not None)}"
        "}"
        for r in _l(policy.get("rules"))
    )
    return GoRaw(f"batch.SuccessPolicy{{Rules:[]batch.SuccessPolicyRule{{{rules}}}}}")


def _go_int32s(values: Any) -> GoRaw:
    if not isinstance(values, list):
        return GoRaw("[]int32(nil)")
    return GoRaw("[]int32{" + ", ".join(str(v) for v in values) + "}")


def _nullable(value: Any) -> Any:
    """A *T bad value: Kubernetes prints `null` for nil pointers."""
    return GoRaw("null") if value is None else value


def _validate_pod_failure_policy(spec: Obj, path: str) -> list[FieldError]:
    rules = _l(_d(spec.get("podFailurePolicy")).get("rules"))
    rp = child(path, "rules")
    out: list[FieldError] = []
    if len(rules) > MAX_POD_FAILURE_POLICY_RULES:
        out.append(errors.too_many(rp, len(rules), MAX_POD_FAILURE_POLICY_RULES))
    tspec = _d(_d(spec.get("template")).get("spec"))
    names = {
        _s(_d(c).get("name")) for f in ("containers", "initContainers") for c in _l(tspec.get(f))
    }
    for i, rule in enumerate(rules):
        out.extend(_validate_pfp_rule(spec, _d(rule), index(rp, i), names))
    return out


def _validate_pfp_rule(spec: Obj, rule: Obj, path: str, names: set[str]) -> list[FieldError]:
    out: list[FieldError] = []
    action = _s(rule.get("action"))
    ap = child(path, "action")
    if action == "":
        out.append(errors.required(ap, f"valid values: {_go_list(_ACTIONS)}"))
    elif action == "FailIndex":
        if spec.get("backoffLimitPerIndex") is None:
            out.append(errors.invalid(ap, action, "requires the backoffLimitPerIndex to be set"))
    elif action not in _ACTIONS:
        out.append(errors.not_supported(ap, action, _ACTIONS))
    exit_codes = rule.get("onExitCodes")
    patterns = _l(rule.get("onPodConditions"))
    if exit_codes is not None:
        out.extend(_validate_on_exit_codes(_d(exit_codes), child(path, "onExitCodes"), names))
    if patterns:
        out.extend(_validate_on_pod_conditions(patterns, child(path, "onPodConditions")))
    if exit_codes is not None and patterns:
        out.append(
            FieldError(
                FIELD_VALUE_INVALID,
                path,
                "specifying both OnExitCodes and OnPodConditions is not supported",
            )
        )
    if exit_codes is None and not patterns:
        out.append(
            FieldError(
                FIELD_VALUE_INVALID,
                path,
                "specifying one of OnExitCodes and OnPodConditions is required",
            )
        )
    return out


def _validate_on_pod_conditions(patterns: list[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    if len(patterns) > MAX_ON_POD_CONDITIONS_PATTERNS:
        out.append(errors.too_many(path, len(patterns), MAX_ON_POD_CONDITIONS_PATTERNS))
    for j, pattern in enumerate(patterns):
        pp = index(path, j)
        out.extend(validate_qualified_name(_s(_d(pattern).get("type")), child(pp, "type")))
        status = _s(_d(pattern).get("status"))
        if status == "":
            out.append(
                errors.required(
                    child(pp, "status"), f"valid values: {_go_list(_CONDITION_STATUSES)}"
                )
            )
        elif status not in _CONDITION_STATUSES:
            out.append(errors.not_supported(child(pp, "status"), status, _CONDITION_STATUSES))
    return out


def _validate_on_exit_codes(req: Obj, path: str, names: set[str]) -> list[FieldError]:
    out: list[FieldError] = []
    operator = _s(req.get("operator"))
    op_path = child(path, "operator")
    if operator == "":
        out.append(errors.required(op_path, f"valid values: {_go_list(_EXIT_CODE_OPERATORS)}"))
    elif operator not in _EXIT_CODE_OPERATORS:
        out.append(errors.not_supported(op_path, operator, _EXIT_CODE_OPERATORS))
    container = req.get("containerName")
    if isinstance(container, str) and container not in names:
        out.append(
            errors.invalid(
                child(path, "containerName"),
                container,
                "must be one of the container or initContainer names in the pod template",
            )
        )
    vp = child(path, "values")
    values = [v for v in _l(req.get("values")) if _int(v) is not None]
    if not values:
        out.append(
            errors.invalid(vp, _go_int32s(req.get("values")), "at least one value is required")
        )
    elif len(values) > MAX_ON_EXIT_CODES_VALUES:
        out.append(errors.too_many(vp, len(values), MAX_ON_EXIT_CODES_VALUES))
    seen: set[int] = set()
    ordered = True
    for j, value in enumerate(values):
        if operator == "In" and value == 0:
            out.append(errors.invalid(index(vp, j), value, "must not be 0 for the In operator"))
        if value in seen:
            out.append(errors.duplicate(index(vp, j), value))
        seen.add(value)
        if j > 0 and values[j - 1] > value:
            ordered = False
    if not ordered:
        out.append(errors.invalid(vp, _go_int32s(values), "must be ordered"))
    return out


def _parse_index_interval(text: str, completions: int) -> tuple[int, int]:
    """parseIndexInterval; raises ValueError with Kubernetes' message."""
    limits = text.split("-")
    if len(limits) > 2:
        raise ValueError(
            f"the fragment {errors.go_value(text)} violates the requirement that an index interval "
            "can have at most two parts separated by '-'"
        )

    def atoi(part: str) -> int:
        if re.fullmatch(r"[+-]?[0-9]+", part) is None:
            raise ValueError(f"cannot convert string to integer for index: {errors.go_value(part)}")
        n = int(part)
        if n >= completions:
            raise ValueError(f"too large index: {errors.go_value(part)}")
        return n

    x = atoi(limits[0])
    if len(limits) == 1:
        return x, x
    y = atoi(limits[1])
    if x >= y:
        raise ValueError(f"non-increasing order, previous: {x}, current: {y}")
    return x, y


def validate_indexes_format(text: str, completions: int) -> int:
    """validateIndexesFormat: the number of indexes; ValueError when malformed."""
    if not text:
        return 0
    last: int | None = None
    total = 0
    for interval in text.split(","):
        x, y = _parse_index_interval(interval, completions)
        if last is not None and last >= x:
            raise ValueError(f"non-increasing order, previous: {last}, current: {x}")
        total += y - x + 1
        last = y
    return total


def _validate_success_policy(spec: Obj, path: str) -> list[FieldError]:
    rules = _l(_d(spec.get("successPolicy")).get("rules"))
    rp = child(path, "rules")
    out: list[FieldError] = []
    if not rules:
        out.append(
            errors.required(
                rp, "at least one rules must be specified when the successPolicy is specified"
            )
        )
    if len(rules) > MAX_SUCCESS_POLICY_RULES:
        out.append(errors.too_many(rp, len(rules), MAX_SUCCESS_POLICY_RULES))
    completions = _int(spec.get("completions"))
    for i, rule in enumerate(rules):
        out.extend(_validate_success_policy_rule(_d(rule), completions, index(rp, i)))
    return out


def _validate_success_policy_rule(
    rule: Obj, completions: int | None, path: str
) -> list[FieldError]:
    out: list[FieldError] = []
    indexes, count = rule.get("succeededIndexes"), rule.get("succeededCount")
    if indexes is None and count is None:
        out.append(
            errors.required(
                path, "at least one of succeededCount or succeededIndexes must be specified"
            )
        )
    total = 0
    if isinstance(indexes, str):
        ip = child(path, "succeededIndexes")
        if len(indexes) > MAX_SUCCEEDED_INDEXES_LENGTH:
            out.append(errors.too_long(ip, MAX_SUCCEEDED_INDEXES_LENGTH))
        try:
            total = validate_indexes_format(indexes, completions or 0)
        except ValueError as exc:
            out.append(errors.invalid(ip, indexes, f"error parsing succeededIndexes: {exc}"))
    if _int(count) is not None and completions is not None:
        assert isinstance(count, int)
        cp = child(path, "succeededCount")
        out.extend(validate_nonnegative(count, cp))
        if count > completions:
            msg = (
                f"must be less than or equal to {completions} (the number of specified completions)"
            )
            out.append(errors.invalid(cp, count, msg))
        if indexes is not None and count > total:
            msg = f"must be less than or equal to {total} (the number of indexes in the specified succeededIndexes field)"
            out.append(errors.invalid(cp, count, msg))
    return out


def _validate_indexed(spec: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    completions, parallelism = _int(spec.get("completions")), _int(spec.get("parallelism"))
    max_failed, per_index = _int(spec.get("maxFailedIndexes")), spec.get("backoffLimitPerIndex")
    if spec.get("completions") is None:
        out.append(errors.required(child(path, "completions"), "when completion mode is Indexed"))
    if parallelism is not None and parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB:
        msg = f"must be less than or equal to {MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed"
        out.append(errors.invalid(child(path, "parallelism"), parallelism, msg))
    if completions is not None and max_failed is not None and max_failed > completions:
        out.append(
            errors.invalid(
                child(path, "maxFailedIndexes"),
                max_failed,
                "must be less than or equal to completions",
            )
        )
    if max_failed is not None and max_failed > MAX_FAILED_INDEXES_FOR_INDEXED_JOB:
        msg = f"must be less than or equal to {MAX_FAILED_INDEXES_FOR_INDEXED_JOB}"
        out.append(errors.invalid(child(path, "maxFailedIndexes"), max_failed, msg))
    if completions is not None and completions > COMPLETIONS_SOFT_LIMIT and per_index is not None:
        suffix = f"when completions are above {COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index"
        if max_failed is None:
            msg = f"must be specified when completions is above {COMPLETIONS_SOFT_LIMIT}"
            out.append(errors.required(child(path, "maxFailedIndexes"), msg))
        if parallelism is not None and parallelism > PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS:
            msg = f"must be less than or equal to {PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS} {suffix}"
            out.append(errors.invalid(child(path, "parallelism"), parallelism, msg))
        if max_failed is not None and max_failed > MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS:
            msg = f"must be less than or equal to {MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS} {suffix}"
            out.append(errors.invalid(child(path, "maxFailedIndexes"), max_failed, msg))
    return out


def validate_job_spec_fields(spec: Obj, path: str) -> list[FieldError]:
    """validateJobSpec: everything but the selector (shared with CronJob job templates)."""
    out: list[FieldError] = []
    for field in (
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
        "backoffLimitPerIndex",
    ):
        out.extend(validate_nonnegative(spec.get(field), child(path, field)))
    if spec.get("maxFailedIndexes") is not None:
        out.extend(
            validate_nonnegative(spec.get("maxFailedIndexes"), child(path, "maxFailedIndexes"))
        )
        if spec.get("backoffLimitPerIndex") is None:
            out.append(
                errors.required(
                    child(path, "backoffLimitPerIndex"), "when maxFailedIndexes is specified"
                )
            )
    managed_by = spec.get("managedBy")
    if isinstance(managed_by, str):
        mp = child(path, "managedBy")
        out.extend(is_domain_prefixed_path(mp, managed_by))
        if len(managed_by) > MAX_MANAGED_BY_LENGTH:
            out.append(errors.too_long(mp, MAX_MANAGED_BY_LENGTH))
    mode = spec.get("completionMode")
    if isinstance(mode, str):
        if mode not in ("NonIndexed", "Indexed"):
            out.append(
                errors.not_supported(child(path, "completionMode"), mode, ["NonIndexed", "Indexed"])
            )
        if mode == "Indexed":
            out.extend(_validate_indexed(spec, path))
    indexed = mode == "Indexed"
    if not indexed:
        for field in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(field) is not None:
                out.append(
                    errors.invalid(
                        child(path, field), spec[field], "requires indexed completion mode"
                    )
                )
    if isinstance(spec.get("podFailurePolicy"), dict):
        out.extend(_validate_pod_failure_policy(spec, child(path, "podFailurePolicy")))
    if isinstance(spec.get("successPolicy"), dict):
        sp = child(path, "successPolicy")
        if not indexed:
            out.append(
                errors.invalid(
                    sp,
                    _go_success_policy(spec["successPolicy"]),
                    "requires indexed completion mode",
                )
            )
        else:
            out.extend(_validate_success_policy(spec, sp))
    replacement = spec.get("podReplacementPolicy")
    if isinstance(replacement, str):
        rp = child(path, "podReplacementPolicy")
        if isinstance(spec.get("podFailurePolicy"), dict):
            if replacement != "Failed":
                out.append(errors.not_supported(rp, replacement, ["Failed"]))
        elif replacement not in _REPLACEMENT_POLICIES:
            out.append(errors.not_supported(rp, replacement, _REPLACEMENT_POLICIES))
    template = _d(spec.get("template"))
    out.extend(validate_pod_template_spec(template, child(path, "template")))
    restart = _s(_d(template.get("spec")).get("restartPolicy"))
    rsp = child(path, "template", "spec", "restartPolicy")
    if restart in ("Always", ""):
        out.append(errors.required(rsp, 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        out.append(errors.not_supported(rsp, restart, ["OnFailure", "Never"]))
    elif isinstance(spec.get("podFailurePolicy"), dict) and restart != "Never":
        out.append(
            errors.invalid(
                rsp, restart, 'only "Never" is supported when podFailurePolicy is specified'
            )
        )
    return out


def _validate_job_spec(spec: Obj, path: str, *, allow_invalid_values: bool) -> list[FieldError]:
    """ValidateJobSpec: the fields, the required selector and its match with the template."""
    out = validate_job_spec_fields(spec, path)
    selector = spec.get("selector")
    if selector is None:
        out.append(errors.required(child(path, "selector")))
    else:
        out.extend(
            validate_label_selector(
                _d(selector),
                child(path, "selector"),
                allow_invalid_label_value_in_selector=allow_invalid_values,
            )
        )
    try:
        sel = selector_from_label_selector(selector if isinstance(selector, dict) else None)
    except ValueError:
        return out
    tmeta = _d(_d(spec.get("template")).get("metadata"))
    labels = {k: str(v) for k, v in _d(tmeta.get("labels")).items()}
    if not sel.matches(labels):
        out.append(
            errors.invalid(
                child(path, "template", "metadata", "labels"),
                go_string_map(tmeta.get("labels")),
                "`selector` does not match template `labels`",
            )
        )
    return out


def _validate_has_label(labels: Any, name: str, expected: str) -> list[FieldError]:
    path = key("spec.template.metadata.labels", name)
    actual = _d(labels).get(name)
    if actual is None:
        return [errors.required(path, f"must be '{expected}'")]
    if actual != expected:
        return [errors.invalid(path, go_string_map(labels), f"must be '{expected}'")]
    return []


def _validate_generated_selector(job: Obj, *, require_prefixed_labels: bool) -> list[FieldError]:
    spec = _d(job.get("spec"))
    if spec.get("manualSelector") is True or spec.get("selector") is None:
        return []
    meta = _meta(job)
    uid, name = _s(meta.get("uid")), _s(meta.get("name"))
    out: list[FieldError] = []
    if not uid:
        out.append(errors.required("metadata.uid"))
    labels = _d(_d(spec.get("template")).get("metadata")).get("labels")
    out.extend(_validate_has_label(labels, LEGACY_CONTROLLER_UID_LABEL, uid))
    out.extend(_validate_has_label(labels, LEGACY_JOB_NAME_LABEL, name))
    expected: dict[str, str] = {}
    if require_prefixed_labels:
        out.extend(_validate_has_label(labels, CONTROLLER_UID_LABEL, uid))
        out.extend(_validate_has_label(labels, JOB_NAME_LABEL, name))
        expected = {CONTROLLER_UID_LABEL: uid, JOB_NAME_LABEL: name}
    expected.update({LEGACY_CONTROLLER_UID_LABEL: uid, LEGACY_JOB_NAME_LABEL: name})
    try:
        sel = selector_from_label_selector(_d(spec.get("selector")))
    except ValueError:
        return out
    if not sel.matches(expected):
        out.append(
            errors.invalid(
                "spec.selector",
                go_label_selector(spec.get("selector")),
                "`selector` not auto-generated",
            )
        )
    return out


def _validate_job(
    job: Obj, *, require_prefixed_labels: bool, allow_invalid_values: bool
) -> list[FieldError]:
    """ValidateJob."""
    meta = _meta(job)
    spec = _d(job.get("spec"))
    out = validate_object_meta(meta, namespaced=True)
    out.extend(_validate_generated_selector(job, require_prefixed_labels=require_prefixed_labels))
    out.extend(_validate_job_spec(spec, "spec", allow_invalid_values=allow_invalid_values))
    completions = _int(spec.get("completions"))
    if spec.get("completionMode") == "Indexed" and completions is not None and completions > 0:
        hostname = f"{_s(meta.get('name'))}-{completions - 1}"
        if is_dns1123_label(hostname):
            msg = f"will not able to create pod with invalid DNS label: {hostname}"
            out.append(errors.invalid("metadata.name", _s(meta.get("name")), msg))
    return out


def validate_job(job: Obj) -> list[FieldError]:
    return _validate_job(job, require_prefixed_labels=True, allow_invalid_values=False)
