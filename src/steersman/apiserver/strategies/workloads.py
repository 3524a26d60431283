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
        from steersman.api.defaults.batch import generate_selector

        super().prepare_for_create(obj)
        generate_selector(obj)


register("batch", "jobs", JobStrategy)
