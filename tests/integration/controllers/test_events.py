"""EventRecorder against an in-process API server: creation and aggregation."""

from __future__ import annotations

from steersman.client.events import WARNING, EventRecorder
from steersman.client.rest import RestClient
from steersman.testing.control_plane import running_apiserver


async def test_events_are_created_then_aggregated() -> None:
    async with running_apiserver() as srv:
        client = RestClient(srv.base_url)
        try:
            pod = await client.create(
                "/api/v1/namespaces/default/pods",
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "p"},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                },
            )
            pod.setdefault("kind", "Pod")
            pod.setdefault("apiVersion", "v1")
            recorder = EventRecorder(client, "kubelet", "node-a")
            recorder.event(
                pod,
                WARNING,
                "BackOff",
                "Back-off restarting failed container",
                field_path="spec.containers{c}",
            )
            recorder.event(
                pod,
                WARNING,
                "BackOff",
                "Back-off restarting failed container",
                field_path="spec.containers{c}",
            )
            recorder.event(pod, "Normal", "Pulled", "Container image already present")
            await recorder.flush()
            events = (await client.get("/api/v1/namespaces/default/events"))["items"]
            by_reason = {e["reason"]: e for e in events}
            assert set(by_reason) == {"BackOff", "Pulled"}
            backoff = by_reason["BackOff"]
            assert backoff["count"] == 2 and backoff["type"] == "Warning"
            assert backoff["involvedObject"]["uid"] == pod["metadata"]["uid"]
            assert backoff["involvedObject"]["fieldPath"] == "spec.containers{c}"
            assert backoff["source"] == {"component": "kubelet", "host": "node-a"}
            assert backoff["metadata"]["name"].startswith("p.")
            assert backoff["firstTimestamp"] <= backoff["lastTimestamp"]
            # Field selector kubectl describe uses to find a pod's events.
            selected = await client.get(
                "/api/v1/namespaces/default/events",
                fieldSelector=f"involvedObject.uid={pod['metadata']['uid']}",
            )
            assert len(selected["items"]) == 2
        finally:
            await client.close()


async def test_spam_filter_keeps_25_events_per_object() -> None:
    async with running_apiserver() as srv:
        client = RestClient(srv.base_url)
        try:
            owner = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {"name": "rs", "namespace": "default", "uid": "u-1"},
            }
            recorder = EventRecorder(client, "replicaset-controller")
            for i in range(40):
                recorder.event(owner, "Normal", "SuccessfulCreate", f"Created pod: rs-{i}")
            await recorder.flush()
            events = (await client.get("/api/v1/namespaces/default/events"))["items"]
            assert len(events) == 25
        finally:
            await client.close()
