"""Semantic validation of batch/v1 kinds, worded as Kubernetes' pkg/apis/batch/validation words it.

Invariants:
- Validators take the JSON form after defaulting and never mutate it; errors come in
  Kubernetes' order. A Job update runs, as Kubernetes' strategy does, both the create checks
  and the update checks, so a spec error may be reported twice (the API error's message
  de-duplicates it, its causes do not).
- Feature gates at their v1.36 defaults: JobManagedBy, JobSuccessPolicy,
  JobBackoffLimitPerIndex, JobPodReplacementPolicy, ElasticIndexedJob and
  MutableSchedulingDirectives are all on, so the strengthened status rules apply.
- The Job's generated selector and template labels are added by the API server's strategy
  before validation (see `defaults.batch.generate_selector`); validation only checks them.
- Cron schedules are checked by a port of robfig/cron's standard parser (5 fields or an
  `@descriptor`), so its error texts are Kubernetes' error texts; time zones by the IANA
  database (`zoneinfo`), as Go's embedded tzdata does.
- One registered validator serves both main-resource and `/status` writes: status rules run
  only when the status changed.
Pure data: no I/O besides reading the local time-zone database; module state is the
registrations only.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FIELD_VALUE_INVALID, FieldError
from steersman.api.labels import regex_error, selector_from_label_selector, validate_label_selector
from steersman.api.validation import register
from steersman.api.validation.apps import (
    changed,
    go_label_selector,
    go_ptr,
    go_string_map,
    label_selector_has_invalid_label_value,
)
from steersman.api.validation.common import (
    FIELD_IMMUTABLE,
    child,
    index,
    is_dns1123_label,
    is_dns1123_subdomain,
    key,
    validate_nonnegative,
    validate_object_meta,
    validate_object_meta_update,
    validate_qualified_name,
)
from steersman.api.validation.core import GoRaw, validate_pod_template_spec

Obj = Mapping[str, Any]

__all__ = [
    "CONTROLLER_UID_LABEL",
    "JOB_NAME_LABEL",
    "LEGACY_CONTROLLER_UID_LABEL",
    "LEGACY_JOB_NAME_LABEL",
    "is_domain_prefixed_path",
    "parse_cron_schedule",
    "validate_cron_job",
    "validate_cron_job_update",
    "validate_job",
    "validate_job_update",
]

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
# The cronjob controller appends an 11-character suffix to job names (63 - 11).
MAX_CRON_JOB_NAME_LENGTH = 52

_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
_EXIT_CODE_OPERATORS = ("In", "NotIn")
_CONDITION_STATUSES = ("False", "True", "Unknown")
_REPLACEMENT_POLICIES = ("Failed", "TerminatingOrFailed")
_CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _meta(obj: Obj) -> dict[str, Any]:
    return _d(obj.get("metadata"))


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


# ---------------------------------------------------------------------------
# Shared format checks


_HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+"
_HTTP_PATH_RE = re.compile(_HTTP_PATH_FMT)


def is_domain_prefixed_path(path: str, value: str) -> list[FieldError]:
    """validation.IsDomainPrefixedPath: `example.com/some/path`."""
    if not value:
        return [errors.required(path)]
    host, slash, rest = value.partition("/")
    if not slash or not host or not rest:
        return [
            errors.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')
        ]
    out = [errors.invalid(path, host, m) for m in is_dns1123_subdomain(host)]
    if _HTTP_PATH_RE.fullmatch(rest) is None:
        out.append(errors.invalid(path, rest, regex_error("Invalid path", _HTTP_PATH_FMT)))
    return out


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


# ---------------------------------------------------------------------------
# Go %#v renderings of Job spec structs (for immutability errors)


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


# ---------------------------------------------------------------------------
# Job spec


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


# ---------------------------------------------------------------------------
# Job update


def _template_for_immutability(
    new_spec: Obj, old_spec: Obj, mutable_scheduling: bool
) -> tuple[Any, Any]:
    """What validatePodTemplateUpdate compares: with mutable scheduling directives, the old
    template takes the new one's node affinity, node selector, tolerations, labels,
    annotations and scheduling gates."""
    new_t, old_t = _d(new_spec.get("template")), _d(old_spec.get("template"))
    if not mutable_scheduling:
        return new_t, old_t
    old_t = {
        **old_t,
        "metadata": dict(_d(old_t.get("metadata"))),
        "spec": dict(_d(old_t.get("spec"))),
    }
    new_meta, new_ts = _d(new_t.get("metadata")), _d(new_t.get("spec"))
    old_meta, old_ts = old_t["metadata"], old_t["spec"]
    new_aff, old_aff = new_ts.get("affinity"), old_ts.get("affinity")
    if new_aff is None and isinstance(old_aff, dict):
        rest = {k: v for k, v in old_aff.items() if k != "nodeAffinity"}
        old_ts["affinity"] = rest if _semantic(rest) else None
    elif isinstance(new_aff, dict):
        base = old_aff if isinstance(old_aff, dict) else {}
        old_ts["affinity"] = {**base, "nodeAffinity": new_aff.get("nodeAffinity")}
    for field in ("nodeSelector", "tolerations", "schedulingGates"):
        old_ts[field] = new_ts.get(field)
    for field in ("labels", "annotations"):
        old_meta[field] = new_meta.get(field)
    return new_t, old_t


def _validate_completions_update(new_spec: Obj, old_spec: Obj) -> list[FieldError]:
    new_c, old_c = new_spec.get("completions"), old_spec.get("completions")
    if new_spec.get("completionMode") != "Indexed":
        return (
            []
            if new_c == old_c
            else [errors.invalid("spec.completions", _nullable(new_c), FIELD_IMMUTABLE)]
        )
    if new_c == old_c or new_c is None:
        return []
    if new_c != new_spec.get("parallelism"):
        return [
            errors.invalid(
                "spec.completions", new_c, "can only be modified in tandem with spec.parallelism"
            )
        ]
    return []


def _validate_job_spec_update(
    new_spec: Obj, old_spec: Obj, *, allow_invalid: bool, mutable: bool
) -> list[FieldError]:
    out = _validate_job_spec(new_spec, "spec", allow_invalid_values=allow_invalid)
    out.extend(_validate_completions_update(new_spec, old_spec))
    if _semantic(new_spec.get("selector")) != _semantic(old_spec.get("selector")):
        out.append(
            errors.invalid(
                "spec.selector", go_label_selector(new_spec.get("selector")), FIELD_IMMUTABLE
            )
        )
    new_t, old_t = _template_for_immutability(new_spec, old_spec, mutable)
    if _semantic(new_t) != _semantic(old_t):
        out.append(
            errors.invalid("spec.template", GoRaw("core.PodTemplateSpec{...}"), FIELD_IMMUTABLE)
        )
    renderers = {
        "completionMode": _nullable,
        "podFailurePolicy": _go_pfp,
        "backoffLimitPerIndex": _nullable,
        "managedBy": _nullable,
        "successPolicy": _go_success_policy,
    }
    for field, render in renderers.items():
        if _semantic(new_spec.get(field)) != _semantic(old_spec.get(field)):
            out.append(
                errors.invalid(child("spec", field), render(new_spec.get(field)), FIELD_IMMUTABLE)
            )
    return out


def validate_job_update(new: Obj, old: Obj) -> list[FieldError]:
    """The Job strategy's ValidateUpdate: ValidateJob and ValidateJobUpdate, plus the status
    rules when the status changed."""
    new_spec, old_spec = _d(new.get("spec")), _d(old.get("spec"))
    old_labels = _d(_d(_d(old_spec.get("template")).get("metadata")).get("labels"))
    require_prefixed = CONTROLLER_UID_LABEL in old_labels and JOB_NAME_LABEL in old_labels
    allow_invalid = label_selector_has_invalid_label_value(old_spec.get("selector"))
    # Scheduling directives may change only while a suspended job has never started.
    mutable = old_spec.get("suspend") is True and not _d(old.get("status")).get("startTime")
    out = _validate_job(
        new, require_prefixed_labels=require_prefixed, allow_invalid_values=allow_invalid
    )
    out.extend(validate_object_meta_update(_meta(new), _meta(old)))
    out.extend(
        _validate_job_spec_update(new_spec, old_spec, allow_invalid=allow_invalid, mutable=mutable)
    )
    if changed(new.get("status"), old.get("status")):
        out.extend(validate_job_status_update(new, old))
    return out


# ---------------------------------------------------------------------------
# Job status


def _condition_true(job: Obj, kind: str) -> bool:
    return any(
        _d(c).get("type") == kind and _d(c).get("status") == "True"
        for c in _l(_d(job.get("status")).get("conditions"))
    )


def _finished(job: Obj) -> bool:
    return _condition_true(job, "Complete") or _condition_true(job, "Failed")


def _omit(path: str, detail: str) -> FieldError:
    return FieldError(FIELD_VALUE_INVALID, path, detail)


def _validate_uncounted(status: Obj) -> list[FieldError]:
    uncounted = status.get("uncountedTerminatedPods")
    if not isinstance(uncounted, dict):
        return []
    out: list[FieldError] = []
    seen: set[str] = set()
    for field in ("succeeded", "failed"):
        for i, uid in enumerate(_l(uncounted.get(field))):
            p = index(child("status", "uncountedTerminatedPods", field), i)
            if not uid:
                out.append(errors.invalid(p, _s(uid), "must not be empty"))
            elif uid in seen:
                out.append(errors.duplicate(p, uid))
            else:
                seen.add(uid)
    return out


def _go_uncounted(value: Any) -> GoRaw:
    u = _d(value)
    return GoRaw(
        "batch.UncountedTerminatedPods{"
        f"Succeeded:{_go_uids(u.get('succeeded'))}, Failed:{_go_uids(u.get('failed'))}"
        "}"
    )


def _go_uids(values: Any) -> str:
    if not isinstance(values, list):
        return "[]types.UID(nil)"
    return "[]types.UID{" + ", ".join(errors.go_value(_s(v)) for v in values) + "}"


def _status_changes(new: Obj, old: Obj) -> dict[str, bool]:
    ns, os_ = _d(new.get("status")), _d(old.get("status"))

    def diff(field: str) -> bool:
        return changed(ns.get(field), os_.get(field))

    return {
        "finished": _finished(new) != _finished(old),
        "complete": _condition_true(new, "Complete") != _condition_true(old, "Complete"),
        "failed": _condition_true(new, "Failed") != _condition_true(old, "Failed"),
        "failure_target": _condition_true(new, "FailureTarget")
        != _condition_true(old, "FailureTarget"),
        "completed_indexes": _s(ns.get("completedIndexes")) != _s(os_.get("completedIndexes")),
        "failed_indexes": ns.get("failedIndexes") != os_.get("failedIndexes"),
        "active": (ns.get("active") or 0) != (os_.get("active") or 0),
        "ready": ns.get("ready") != os_.get("ready"),
        "terminating": ns.get("terminating") != os_.get("terminating"),
        "start": diff("startTime"),
        "completion": diff("completionTime"),
        "uncounted": _semantic(ns.get("uncountedTerminatedPods"))
        != _semantic(os_.get("uncountedTerminatedPods")),
    }


def _validate_job_status(job: Obj, c: dict[str, bool]) -> list[FieldError]:
    """validateJobStatus with the options the strategy derives from what changed."""
    status, spec = _d(job.get("status")), _d(job.get("spec"))
    out: list[FieldError] = []
    for field in ("active", "succeeded", "failed", "ready", "terminating"):
        out.extend(validate_nonnegative(status.get(field), child("status", field)))
    out.extend(_validate_uncounted(status))
    complete, failed = _condition_true(job, "Complete"), _condition_true(job, "Failed")
    failure_target = _condition_true(job, "FailureTarget")
    criteria_met = _condition_true(job, "SuccessCriteriaMet")
    finished = complete or failed
    start, completion = (
        _parse_time(status.get("startTime")),
        _parse_time(status.get("completionTime")),
    )
    sp = "status"
    if (c["complete"] or c["failed"]) and complete and failed:
        out.append(
            _omit(child(sp, "conditions"), "cannot set Complete=True and Failed=true conditions")
        )
    if (c["complete"] or c["failure_target"]) and complete and failure_target:
        out.append(
            _omit(
                child(sp, "conditions"),
                "cannot set Complete=True and FailureTarget=true conditions",
            )
        )
    if (c["complete"] or c["completion"]) and completion is not None and not complete:
        msg = "cannot set completionTime when there is no Complete=True condition"
        out.append(
            errors.invalid(child(sp, "completionTime"), _go_time(status.get("completionTime")), msg)
        )
    if (c["complete"] or c["completion"]) and completion is None and complete:
        out.append(
            errors.required(
                child(sp, "completionTime"), "completionTime is required for Complete jobs"
            )
        )
    if (c["start"] or c["completion"]) and start and completion and completion < start:
        msg = "completionTime cannot be set before startTime"
        out.append(
            errors.invalid(child(sp, "completionTime"), _go_time(status.get("completionTime")), msg)
        )
    if c["failed"] and failed and not failure_target:
        msg = "cannot set Failed=True condition without the FailureTarget=true condition"
        out.append(_omit(child(sp, "conditions"), msg))
    if c["complete"] and complete and not criteria_met:
        msg = "cannot set Complete=True condition without the SuccessCriteriaMet=true condition"
        out.append(_omit(child(sp, "conditions"), msg))
    active = status.get("active") or 0
    if (c["finished"] or c["active"]) and active > 0 and finished:
        out.append(
            errors.invalid(child(sp, "active"), active, "active>0 is invalid for finished job")
        )
    if (c["finished"] or c["start"]) and start is None and finished:
        out.append(
            errors.required(child(sp, "startTime"), "startTime is required for finished job")
        )
    uncounted = _d(status.get("uncountedTerminatedPods"))
    if (
        (c["finished"] or c["uncounted"])
        and finished
        and (_l(uncounted.get("failed")) or _l(uncounted.get("succeeded")))
    ):
        msg = "uncountedTerminatedPods needs to be empty for finished job"
        out.append(
            errors.invalid(child(sp, "uncountedTerminatedPods"), _go_uncounted(uncounted), msg)
        )
    out.extend(_validate_status_indexes(job, c))
    terminating = _int(status.get("terminating"))
    if (c["finished"] or c["terminating"]) and terminating and terminating > 0 and finished:
        out.append(
            errors.invalid(
                child(sp, "terminating"), terminating, "terminating>0 is invalid for finished job"
            )
        )
    ready = _int(status.get("ready"))
    if (c["ready"] or c["active"]) and ready is not None and ready > active:
        out.append(
            errors.invalid(child(sp, "ready"), ready, "cannot set more ready pods than active")
        )
    if criteria_met and failed:
        out.append(
            _omit(
                child(sp, "conditions"),
                "cannot set SuccessCriteriaMet=True and Failed=true conditions",
            )
        )
    if criteria_met and failure_target:
        msg = "cannot set SuccessCriteriaMet=True and FailureTarget=true conditions"
        out.append(_omit(child(sp, "conditions"), msg))
    if isinstance(spec.get("successPolicy"), dict) and not criteria_met and complete:
        msg = "cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True"
        out.append(_omit(child(sp, "conditions"), msg))
    return out


def _validate_status_indexes(job: Obj, c: dict[str, bool]) -> list[FieldError]:
    status, spec = _d(job.get("status")), _d(job.get("spec"))
    completions = _int(spec.get("completions"))
    completed = _s(status.get("completedIndexes"))
    failed_idx = status.get("failedIndexes")
    out: list[FieldError] = []
    if c["completed_indexes"] and completions is not None:
        try:
            validate_indexes_format(completed, completions)
        except ValueError as exc:
            msg = f"error parsing completedIndexes: {exc}"
            out.append(errors.invalid("status.completedIndexes", completed, msg))
    per_index = spec.get("backoffLimitPerIndex") is not None
    if (
        c["failed_indexes"]
        and completions is not None
        and per_index
        and isinstance(failed_idx, str)
    ):
        try:
            validate_indexes_format(failed_idx, completions)
        except ValueError as exc:
            msg = f"error parsing failedIndexes: {exc}"
            out.append(errors.invalid("status.failedIndexes", failed_idx, msg))
    if c["completed_indexes"] and completed and spec.get("completionMode") != "Indexed":
        msg = "cannot set non-empty completedIndexes when non-indexed completion mode"
        out.append(errors.invalid("status.completedIndexes", completed, msg))
    if c["failed_indexes"] and spec.get("backoffLimitPerIndex") is None and failed_idx is not None:
        msg = "cannot set non-null failedIndexes when backoffLimitPerIndex is null"
        out.append(errors.invalid("status.failedIndexes", failed_idx, msg))
    if (
        (c["failed_indexes"] or c["completed_indexes"])
        and completions is not None
        and isinstance(failed_idx, str)
    ):
        overlap = _first_overlap(completed, failed_idx, completions)
        if overlap is not None:
            msg = f"failedIndexes and completedIndexes overlap at index: {overlap}"
            out.append(errors.invalid("status.failedIndexes", failed_idx, msg))
    return out


def _intervals(text: str, completions: int) -> list[tuple[int, int]]:
    """The parseable intervals of an index list (unparseable ones are reported elsewhere)."""
    out: list[tuple[int, int]] = []
    for part in text.split(",") if text else []:
        try:
            out.append(_parse_index_interval(part, completions))
        except ValueError:
            continue
    return out


def _first_overlap(completed: str, failed: str, completions: int) -> int | None:
    """validateFailedIndexesNotOverlapCompleted: walk both sorted interval lists."""
    cs, fs = _intervals(completed, completions), _intervals(failed, completions)
    ci = fi = 0
    while ci < len(cs) and fi < len(fs):
        (cx, cy), (fx, fy) = cs[ci], fs[fi]
        if cx <= fy and fx <= cy:
            return max(cx, fx)
        if cx <= fx:
            ci += 1
        else:
            fi += 1
    return None


def validate_job_status_update(new: Obj, old: Obj) -> list[FieldError]:
    """ValidateJobStatusUpdate with the v1.36 (JobManagedBy GA) options."""
    c = _status_changes(new, old)
    out = _validate_job_status(new, c)
    ns, os_ = _d(new.get("status")), _d(old.get("status"))
    new_spec = _d(new.get("spec"))
    for kind in ("Failed", "Complete", "FailureTarget"):
        if _condition_true(old, kind) and not _condition_true(new, kind):
            out.append(
                _omit("status.conditions", f"cannot disable the terminal {kind}=True condition")
            )
    if (ns.get("failed") or 0) < (os_.get("failed") or 0):
        out.append(
            errors.invalid(
                "status.failed", ns.get("failed") or 0, "cannot decrease the failed counter"
            )
        )
    indexed = new_spec.get("completionMode") == "Indexed"
    # Elastic indexed jobs may scale down, losing succeeded indexes.
    elastic = indexed and new_spec.get("completions") == new_spec.get("parallelism")
    if not elastic and (ns.get("succeeded") or 0) < (os_.get("succeeded") or 0):
        msg = "cannot decrease the succeeded counter"
        out.append(errors.invalid("status.succeeded", ns.get("succeeded") or 0, msg))
    new_ct, old_ct = _parse_time(ns.get("completionTime")), _parse_time(os_.get("completionTime"))
    if new_ct is not None and old_ct is not None and new_ct != old_ct:
        msg = "completionTime cannot be mutated"
        out.append(errors.invalid("status.completionTime", _go_time(ns.get("completionTime")), msg))
    old_start = _parse_time(os_.get("startTime"))
    if (
        old_start is not None
        and old_start != _parse_time(ns.get("startTime"))
        and new_spec.get("suspend") is not True
    ):
        out.append(
            errors.required("status.startTime", "startTime cannot be removed for unsuspended job")
        )
    if _condition_true(old, "SuccessCriteriaMet") and not _condition_true(
        new, "SuccessCriteriaMet"
    ):
        out.append(
            _omit("status.conditions", "cannot disable the SuccessCriteriaMet=True condition")
        )
    if (
        _condition_true(old, "Complete")
        and not _condition_true(old, "SuccessCriteriaMet")
        and _condition_true(new, "SuccessCriteriaMet")
    ):
        msg = "cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions"
        out.append(_omit("status.conditions", msg))
    return out


# ---------------------------------------------------------------------------
# Cron schedules: robfig/cron v3's standard parser


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_BOUNDS: dict[str, tuple[int, int, dict[str, int]]] = {
    "minute": (0, 59, {}),
    "hour": (0, 23, {}),
    "dom": (1, 31, {}),
    "month": (
        1,
        12,
        {m: i + 1 for i, m in enumerate(_MONTHS)},
    ),
    "dow": (0, 6, {d: i for i, d in enumerate(_WEEKDAYS)}),
}
_DESCRIPTORS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)


def _must_parse_int(expr: str) -> int:
    if re.fullmatch(r"[+-]?[0-9]+", expr) is None:
        raise ValueError(
            f"failed to parse int from {expr}: strconv.Atoi: parsing {errors.go_value(expr)}: invalid syntax"
        )
    num = int(expr)
    if not -(2**63) <= num < 2**63:
        raise ValueError(
            f"failed to parse int from {expr}: strconv.Atoi: parsing {errors.go_value(expr)}: value out of range"
        )
    if num < 0:
        raise ValueError(f"negative number ({num}) not allowed: {expr}")
    return num


def _parse_range(expr: str, lo: int, hi: int, names: dict[str, int]) -> None:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")

    def value(text: str) -> int:
        return names[text.lower()] if text.lower() in names else _must_parse_int(text)

    if low_and_high[0] in ("*", "?"):
        start, end = lo, hi
    else:
        start = value(low_and_high[0])
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = value(low_and_high[1])
        else:
            raise ValueError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _must_parse_int(range_and_step[1])
        if len(low_and_high) == 1:  # "N/step" means "N-max/step"
            end = hi
    else:
        raise ValueError(f"too many slashes: {expr}")
    if start < lo:
        raise ValueError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise ValueError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise ValueError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise ValueError(f"step of range should be a positive number: {expr}")


_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")


def _go_duration_error(text: str) -> str | None:
    """time.ParseDuration's error for `text`, or None if it parses."""
    orig = errors.go_value(text)
    s = text[1:] if text[:1] in ("+", "-") else text
    if s == "0":
        return None
    if not s:
        return f"time: invalid duration {orig}"
    while s:
        m = _DURATION_PART.match(s)
        assert m is not None
        number, unit = m.group(1), m.group(2)
        if number in ("", "."):
            return f"time: invalid duration {orig}"
        if not unit:
            return f"time: missing unit in duration {orig}"
        if unit not in _DURATION_UNITS:
            return f"time: unknown unit {errors.go_value(unit)} in duration {orig}"
        s = s[m.end() :]
    return None


def _load_location_error(name: str) -> str | None:
    """time.LoadLocation's error for `name`, or None if the zone exists."""
    if name in ("", "UTC", "Local"):
        return None
    if ".." in name or name[0] in "/\\":
        return "time: invalid location name"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name}"
    return None


def parse_cron_schedule(spec: str) -> str | None:
    """cron.ParseStandard: the parser's error text for `spec`, or None if it is valid."""
    if not spec:
        return "empty spec string"
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space = spec.find(" ")
        if space < 0:
            space = len(spec)
        location = spec[spec.index("=") + 1 : space]
        err = _load_location_error(location)
        if err is not None:
            return f"provided bad location {location}: {err}"
        spec = spec[space:].strip()
    if spec.startswith("@"):
        if spec in _DESCRIPTORS:
            return None
        if spec.startswith("@every "):
            err = _go_duration_error(spec[len("@every ") :])
            return None if err is None else f"failed to parse duration {spec}: {err}"
        return f"unrecognized descriptor: {spec}"
    fields = spec.split()
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
    for text, name in zip(fields, ("minute", "hour", "dom", "month", "dow"), strict=True):
        lo, hi, names = _BOUNDS[name]
        try:
            for expr in (e for e in text.split(",") if e):
                _parse_range(expr, lo, hi, names)
        except ValueError as exc:
            return str(exc)
    return None


# ---------------------------------------------------------------------------
# CronJob

# https://data.iana.org/time-zones/theory.html#naming, plus digits and '+' for legacy names.
_TZ_PART_RE = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")


def _validate_time_zone(tz: Any, path: str) -> list[FieldError]:
    if tz is None:
        return []
    name = _s(tz)
    if not name:
        return [errors.invalid(path, name, "timeZone must be nil or non-empty string")]
    for part in name.split("/"):
        if part in (".", "..") or part.startswith("-") or _TZ_PART_RE.fullmatch(part) is None:
            return [errors.invalid(path, name, f"unknown time zone {name}")]
    out: list[FieldError] = []
    if name.lower() == "local":
        out.append(
            errors.invalid(
                path,
                name,
                "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
            )
        )
    err = _load_location_error(name)
    if err is not None:
        out.append(errors.invalid(path, name, err))
    return out


def _validate_schedule(spec: Obj, old_spec: Obj | None, path: str) -> list[FieldError]:
    schedule = _s(spec.get("schedule"))
    if not schedule:
        return [errors.required(path)]
    out: list[FieldError] = []
    err = parse_cron_schedule(schedule)
    if err is not None:
        out.append(errors.invalid(path, schedule, err))
    # Updates may keep a TZ that predates the timeZone field.
    allow_tz = old_spec is not None and "TZ" in _s(old_spec.get("schedule"))
    if allow_tz and "TZ" in schedule and spec.get("timeZone") is not None:
        out.append(
            errors.invalid(
                path, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"
            )
        )
    elif not allow_tz and "TZ" in schedule:
        out.append(
            errors.invalid(
                path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
            )
        )
    return out


def _validate_job_template(template: Obj, path: str) -> list[FieldError]:
    """ValidateJobTemplateSpec: selectors are always generated for a CronJob's jobs."""
    spec = _d(template.get("spec"))
    sp = child(path, "spec")
    out = validate_job_spec_fields(spec, sp)
    if spec.get("selector") is not None:
        out.append(
            errors.invalid(
                child(sp, "selector"),
                go_label_selector(spec["selector"]),
                "`selector` will be auto-generated",
            )
        )
    if spec.get("manualSelector") is True:
        out.append(errors.not_supported(child(sp, "manualSelector"), True, ["nil", "false"]))
    return out


def _validate_cron_job_spec(spec: Obj, old_spec: Obj | None) -> list[FieldError]:
    out = _validate_schedule(spec, old_spec, "spec.schedule")
    out.extend(
        validate_nonnegative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds")
    )
    if old_spec is None or old_spec.get("timeZone") != spec.get("timeZone"):
        out.extend(_validate_time_zone(spec.get("timeZone"), "spec.timeZone"))
    policy = _s(spec.get("concurrencyPolicy"))
    if policy == "":
        out.append(errors.required("spec.concurrencyPolicy"))
    elif policy not in _CONCURRENCY_POLICIES:
        out.append(errors.not_supported("spec.concurrencyPolicy", policy, _CONCURRENCY_POLICIES))
    out.extend(_validate_job_template(_d(spec.get("jobTemplate")), "spec.jobTemplate"))
    for field in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        out.extend(validate_nonnegative(spec.get(field), child("spec", field)))
    return out


def validate_cron_job(obj: Obj) -> list[FieldError]:
    """ValidateCronJobCreate."""
    meta = _meta(obj)
    out = validate_object_meta(meta, namespaced=True)
    out.extend(_validate_cron_job_spec(_d(obj.get("spec")), None))
    name = _s(meta.get("name"))
    if len(name) > MAX_CRON_JOB_NAME_LENGTH:
        out.append(
            errors.invalid(
                "metadata.name", name, f"must be no more than {MAX_CRON_JOB_NAME_LENGTH} characters"
            )
        )
    return out


def validate_cron_job_update(new: Obj, old: Obj) -> list[FieldError]:
    """ValidateCronJobUpdate: no name-length check, so long legacy names stay updatable."""
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(_validate_cron_job_spec(_d(new.get("spec")), _d(old.get("spec"))))
    return out


register("batch", "Job", validate_job, validate_job_update)
register("batch", "CronJob", validate_cron_job, validate_cron_job_update)
