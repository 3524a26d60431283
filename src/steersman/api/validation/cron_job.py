"""The batch/v1 CronJob kind.

Invariants:
- Time zones are checked against the IANA database (`zoneinfo`), as Go's embedded tzdata is.
Pure data: no I/O besides reading the local time-zone database; module state is the
registrations only.
"""

from __future__ import annotations

import re
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    validate_nonnegative,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.cron_schedule import (
    _load_location_error,
    parse_cron_schedule,
)
from steersman.api.validation.go_values import go_label_selector
from steersman.api.validation.helpers import Obj, _d, _meta, _s
from steersman.api.validation.job import validate_job_spec_fields

# The cronjob controller appends an 11-character suffix to job names (63 - 11).
MAX_CRON_JOB_NAME_LENGTH = 52
_CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")


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


register("batch", "CronJob", validate_cron_job, validate_cron_job_update)
