"""Strategies for apps/batch resources that differ from the default.

Invariants: a Job without `manualSelector: true` gets Kubernetes' generated selector and
template labels (`batch.kubernetes.io/controller-uid`, `batch.kubernetes.io/job-name` and
their legacy forms) before validation, so its selector always matches its pods. A DaemonSet
carries its template generation annotation, bumped only by template changes.
"""

from __future__ import annotations

from typing import Any

from steersman.apiserver.strategies import register
from steersman.apiserver.strategies.base import Strategy


class JobStrategy(Strategy):
    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        from steersman.api.defaults.batch import generate_selector

        super().prepare_for_create(obj)
        generate_selector(obj)


TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"


class DaemonSetStrategy(Strategy):
    """The DaemonSet's template generation (an internal field upstream) shows as the
    `deprecated.daemonset.template.generation` annotation: 1 on create, +1 whenever the pod
    template changes; the DaemonSet controller labels its pods with it."""

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        super().prepare_for_create(obj)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("annotations", {})[TEMPLATE_GENERATION] = "1"

    def prepare_for_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        super().prepare_for_update(new, old)
        old_annotations = (old.get("metadata") or {}).get("annotations") or {}
        try:
            generation = int(old_annotations.get(TEMPLATE_GENERATION, "1"))
        except ValueError:
            generation = 1
        if (new.get("spec") or {}).get("template") != (old.get("spec") or {}).get("template"):
            generation += 1
        meta = new.setdefault("metadata", {})
        meta.setdefault("annotations", {})[TEMPLATE_GENERATION] = str(generation)


register("batch", "jobs", JobStrategy)
register("apps", "daemonsets", DaemonSetStrategy)
