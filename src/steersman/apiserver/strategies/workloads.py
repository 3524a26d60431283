"""Strategies for apps/batch resources that differ from the default.

Invariants: a Job without `manualSelector: true` gets Kubernetes' generated selector and
template labels (`batch.kubernetes.io/controller-uid`, `batch.kubernetes.io/job-name` and
their legacy forms) before validation, so its selector always matches its pods.
"""

from __future__ import annotations

from typing import Any

from steersman.apiserver.strategies import register
from steersman.apiserver.strategies.base import Strategy


class JobStrategy(Strategy):
    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        super().prepare_for_create(obj)
        spec = obj.setdefault("spec", {})
        if spec.get("manualSelector"):
            return
        meta = obj["metadata"]
        uid = meta["uid"]
        name = meta.get("name", "")
        template = spec.setdefault("template", {})
        tmeta = template.setdefault("metadata", {})
        labels = tmeta.setdefault("labels", {})
        labels["batch.kubernetes.io/controller-uid"] = uid
        labels["batch.kubernetes.io/job-name"] = name
        labels["controller-uid"] = uid
        labels["job-name"] = name
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}


register("batch", "jobs", JobStrategy)
