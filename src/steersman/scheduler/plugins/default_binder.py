"""DefaultBinder: binds through the pods/binding subresource."""

from __future__ import annotations

from typing import Any

from steersman.client.rest import TRANSPORT_ERRORS, ApiStatusError, RestClient
from steersman.scheduler.framework import SUCCESS, CycleState, Status, error


class DefaultBinder:
    name = "DefaultBinder"

    def __init__(self, client: RestClient) -> None:
        self.client = client

    async def bind(self, state: CycleState, pod: dict[str, Any], node_name: str) -> Status:
        meta = pod["metadata"]
        body = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"]},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
        }
        try:
            await self.client.create(
                f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/binding", body
            )
        except ApiStatusError as exc:
            return error(str(exc))
        except TRANSPORT_ERRORS as exc:
            # The binding may or may not have been written: the scheduler forgets the pod and
            # retries it; if it was bound, the pod's update removes it from the queue.
            return error(f"binding request failed: {exc or type(exc).__name__}")
        return SUCCESS
