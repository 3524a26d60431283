"""HorizontalPodAutoscalerController against an in-process API server.

autoscaling/v2 is not in the API server's resource table yet: the `serve_hpas` fixture adds the
controller's own description of it for the duration of a test (and does nothing once the table
serves it). Pod metrics come from a fake metrics client, except where the real client meets
the API server's 404 for metrics.k8s.io.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

import steersman.apiserver.context as api_context
from steersman.api import resources
from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import RestClient
from steersman.controllers.horizontalpodautoscaler import (
    HPAS,
    HorizontalPodAutoscalerController,
    MetricsClient,
    PodMetric,
    ScaleEvent,
    convert_desired_replicas_with_rules,
    group_pods,
    parse_go_duration,
    scale_down_limit_with_rules,
    scale_up_limit_with_rules,
)
from steersman.controllers.hpa_replicas import Tolerances
from steersman.testing.control_plane import running_apiserver

NS = "/api/v1/namespaces/default"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"
HPA = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"
LONG_AGO = "2020-01-01T00:00:00Z"


class FakeMetrics:
    def __init__(self) -> None:
        self.usage: dict[str, int] = {}

    async def get_resource_metric(
        self, resource: str, namespace: str, selector: str, container: str
    ) -> dict[str, PodMetric]:
        now = datetime.datetime.now(datetime.UTC)
        return {name: PodMetric(value, now, 30.0) for name, value in self.usage.items()}


@pytest.fixture
def serve_hpas(monkeypatch: pytest.MonkeyPatch) -> None:
    key = ("autoscaling", "v2", "horizontalpodautoscalers")
    if resources.lookup(*key) is None:
        monkeypatch.setitem(resources._INDEX, key, HPAS)
        monkeypatch.setitem(resources._KIND_INDEX, ("autoscaling", HPAS.kind), HPAS)
        monkeypatch.setattr(api_context, "RESOURCES", (*resources.RESOURCES, HPAS))


@pytest.fixture
async def start(serve_hpas: None) -> AsyncIterator[Callable[..., Awaitable[RestClient]]]:
    async with contextlib.AsyncExitStack() as stack:
        srv = await stack.enter_async_context(running_apiserver())
        c = RestClient(srv.base_url)
        stack.push_async_callback(c.close)
        factory = InformerFactory(c)
        tasks: list[asyncio.Task[None]] = []

        async def starter(metrics: MetricsClient | None = None, **options: Any) -> RestClient:
            recorder = EventRecorder(c, "horizontal-pod-autoscaler")
            controller = HorizontalPodAutoscalerController(
                c, factory, recorder, metrics=metrics, resync_period=0.2, **options
            )
            tasks.append(asyncio.create_task(controller.run()))
            tasks.append(asyncio.create_task(recorder.run()))
            return c

        try:
            yield starter
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            await factory.stop()


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 8.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    last = None
    while True:
        last = await check()
        if last:
            return last
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in time (last: {last!r})")
        await asyncio.sleep(0.05)


async def deployment(c: RestClient, replicas: int) -> None:
    await c.create(
        DEPLOY,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                },
            },
        },
    )


async def running_pods(c: RestClient, count: int) -> None:
    """Pods as the deployment's would be: 100m cpu requested, running and ready for long."""
    for i in range(count):
        pod = await c.create(
            f"{NS}/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"web-{i}", "labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "busybox",
                            "resources": {"requests": {"cpu": "100m"}},
                        }
                    ]
                },
            },
        )
        pod["status"] = {
            "phase": "Running",
            "qosClass": pod["status"]["qosClass"],
            "startTime": LONG_AGO,
            "podIP": f"10.244.0.{i + 1}",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": LONG_AGO}],
        }
        await c.update(f"{NS}/pods/web-{i}/status", pod)


def autoscaler(max_replicas: int = 10, **spec: Any) -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "maxReplicas": max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 50},
                    },
                }
            ],
            **spec,
        },
    }


def conditions(hpa: dict) -> dict[str, tuple[str, str, str]]:
    return {
        c["type"]: (c["status"], c["reason"], c["message"])
        for c in (hpa.get("status") or {}).get("conditions") or []
    }


async def events(c: RestClient) -> list[tuple[str, str]]:
    items = (await c.get(f"{NS}/events"))["items"]
    return [
        (e["reason"], e["message"])
        for e in items
        if e["involvedObject"].get("kind") == "HorizontalPodAutoscaler"
    ]


async def replicas_of(c: RestClient) -> int:
    return int((await c.get(f"{DEPLOY}/web"))["spec"]["replicas"])


async def test_metrics_api_missing_leaves_the_target_alone(
    start: Callable[..., Awaitable[RestClient]],
) -> None:
    c = await start()  # the real metrics client: metrics.k8s.io answers 404 here
    await deployment(c, 2)
    await running_pods(c, 2)
    await c.create(HPA, autoscaler())

    async def failing() -> dict | None:
        hpa = await c.get(f"{HPA}/web")
        return hpa if "ScalingActive" in conditions(hpa) else None

    hpa = await until(failing)
    error = (
        "failed to get cpu utilization: unable to get metrics for resource cpu: unable to "
        "fetch metrics from resource metrics API: the server could not find the requested "
        "resource (get pods.metrics.k8s.io)"
    )
    assert conditions(hpa) == {
        "AbleToScale": (
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
        ),
        "ScalingActive": (
            "False",
            "FailedGetResourceMetric",
            f"the HPA was unable to compute the replica count: {error}",
        ),
    }
    status = hpa["status"]
    assert status["currentReplicas"] == 2
    assert status["desiredReplicas"] == 0
    assert status["currentMetrics"] == [{"type": ""}]

    async def reported() -> list[tuple[str, str]]:
        got = await events(c)
        return got if len({reason for reason, _ in got}) >= 2 else []

    got = dict(await until(reported))
    assert got["FailedGetResourceMetric"] == error
    assert got["FailedComputeMetricsReplicas"] == (
        "invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource "
        f"metric value: {error}"
    )
    assert await replicas_of(c) == 2


async def test_scales_up_within_limits(start: Callable[..., Awaitable[RestClient]]) -> None:
    metrics = FakeMetrics()
    metrics.usage = {"web-0": 400, "web-1": 400}  # 400% of the 100m requested
    c = await start(metrics)
    await deployment(c, 2)
    await running_pods(c, 2)
    await c.create(HPA, autoscaler(max_replicas=10))

    async def first_rescale() -> dict | None:
        hpa = await c.get(f"{HPA}/web")
        return hpa if (hpa.get("status") or {}).get("desiredReplicas") == 4 else None

    hpa = await until(first_rescale)
    # Wanted 16 (two pods at 8x the target), but one step may at most double (or reach 4).
    assert conditions(hpa)["ScalingLimited"] == (
        "True",
        "ScaleUpLimit",
        "the desired replica count is increasing faster than the maximum scale rate",
    )
    assert conditions(hpa)["AbleToScale"] == (
        "True",
        "SucceededRescale",
        "the HPA controller was able to update the target scale to 4",
    )
    assert conditions(hpa)["ScalingActive"] == (
        "True",
        "ValidMetricFound",
        "the HPA was able to successfully calculate a replica count from cpu resource "
        "utilization (percentage of request)",
    )
    assert hpa["status"]["currentReplicas"] == 2
    assert hpa["status"]["lastScaleTime"]
    assert hpa["status"]["currentMetrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "current": {"averageValue": "400m", "averageUtilization": 400},
            },
        }
    ]
    assert await replicas_of(c) >= 4

    async def at_max() -> dict | None:
        hpa = await c.get(f"{HPA}/web")
        limited = conditions(hpa).get("ScalingLimited", ("", "", ""))
        return hpa if await replicas_of(c) == 10 and limited[1] == "TooManyReplicas" else None

    await until(at_max)
    await asyncio.sleep(1.0)  # events are written asynchronously
    reasons = {m for r, m in await events(c) if r == "SuccessfulRescale"}
    assert (
        "New size: 4; reason: cpu resource utilization (percentage of request) above target"
        in reasons
    )


async def test_min_replicas_apply_without_metrics(
    start: Callable[..., Awaitable[RestClient]],
) -> None:
    c = await start()
    await deployment(c, 1)
    await c.create(HPA, autoscaler(minReplicas=3))

    async def raised() -> bool:
        return await replicas_of(c) == 3

    await until(raised)

    async def rescale_event() -> bool:
        # Events are written asynchronously, after the scale itself.
        reasons = {m for r, m in await events(c) if r == "SuccessfulRescale"}
        return "New size: 3; reason: Current number of replicas below Spec.MinReplicas" in reasons

    await until(rescale_event)


async def test_behavior_policies_limit_scale_down(
    start: Callable[..., Awaitable[RestClient]],
) -> None:
    metrics = FakeMetrics()
    metrics.usage = {f"web-{i}": 10 for i in range(6)}  # 10% of requests, target 50%
    c = await start(metrics)
    await deployment(c, 6)
    await running_pods(c, 6)
    behavior = {
        "scaleDown": {
            "stabilizationWindowSeconds": 0,
            "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
        }
    }
    await c.create(HPA, autoscaler(behavior=behavior))

    async def stepped() -> dict | None:
        hpa = await c.get(f"{HPA}/web")
        return hpa if await replicas_of(c) == 5 else None

    hpa = await until(stepped)
    assert conditions(hpa)["ScalingLimited"] == (
        "True",
        "ScaleDownLimit",
        "the desired replica count is decreasing faster than the maximum scale rate",
    )
    # Within the policy's minute no further pod may go, however low the usage.
    await asyncio.sleep(1.0)
    assert await replicas_of(c) == 5
    reasons = [m for r, m in await events(c) if r == "SuccessfulRescale"]
    assert reasons == ["New size: 5; reason: All metrics below target"]


async def test_tolerance_per_direction(start: Callable[..., Awaitable[RestClient]]) -> None:
    metrics = FakeMetrics()
    metrics.usage = {"web-0": 57, "web-1": 57}  # 57% of requests against 50%: ratio 1.14
    c = await start(metrics)
    await deployment(c, 2)
    await running_pods(c, 2)
    behavior = {"scaleUp": {"tolerance": "200m"}, "scaleDown": {"tolerance": "10m"}}
    await c.create(HPA, autoscaler(behavior=behavior))

    async def measured() -> dict | None:
        hpa = await c.get(f"{HPA}/web")
        return hpa if (hpa.get("status") or {}).get("currentMetrics") else None

    hpa = await until(measured)
    # Within the 20% scale-up tolerance (the controller's own 10% would have scaled to 3).
    assert hpa["status"]["desiredReplicas"] == 2
    await asyncio.sleep(0.5)
    assert await replicas_of(c) == 2

    hpa["spec"]["behavior"]["scaleUp"]["tolerance"] = "5m"
    await c.update(f"{HPA}/web", hpa)

    async def scaled() -> bool:
        return await replicas_of(c) == 3

    await until(scaled)


def test_tolerances_of_an_autoscaler() -> None:
    assert Tolerances.of({"spec": {}}, 0.1) == Tolerances(0.1, 0.1)
    spec = {"behavior": {"scaleDown": {"tolerance": "0.05"}, "scaleUp": {"tolerance": "1"}}}
    tolerances = Tolerances.of({"spec": spec}, 0.1)
    assert tolerances == Tolerances(0.05, 1.0)
    assert tolerances.within(0.95) and tolerances.within(2.0)
    assert not tolerances.within(0.94) and not tolerances.within(2.01)


def test_rules_without_behavior() -> None:
    assert convert_desired_replicas_with_rules(2, 10, 1, 10)[:2] == (4, "ScaleUpLimit")
    assert convert_desired_replicas_with_rules(10, 30, 1, 15)[:2] == (15, "TooManyReplicas")
    assert convert_desired_replicas_with_rules(5, 0, 2, 10)[:2] == (2, "TooFewReplicas")
    assert convert_desired_replicas_with_rules(5, 7, 2, 10)[:2] == (7, "DesiredWithinRange")


def test_rate_policies_count_changes_in_their_period() -> None:
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    rules = {
        "selectPolicy": "Max",
        "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ],
    }
    assert scale_up_limit_with_rules(3, [], [], rules, now) == 7  # max(3+4, 3*2)
    assert scale_up_limit_with_rules(10, [], [], rules, now) == 20
    recent = [ScaleEvent(2, now - datetime.timedelta(seconds=5))]
    old = [ScaleEvent(2, now - datetime.timedelta(seconds=20))]
    assert scale_up_limit_with_rules(5, recent, [], rules, now) == 7  # period started at 3
    assert scale_up_limit_with_rules(5, old, [], rules, now) == 10
    assert scale_up_limit_with_rules(5, [], [], dict(rules, selectPolicy="Min"), now) == 9
    assert scale_up_limit_with_rules(5, [], [], dict(rules, selectPolicy="Disabled"), now) == 5
    down = {"policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]}
    assert scale_down_limit_with_rules(9, [], [], down, now) == 4  # int(9 * 0.5)


def test_pod_grouping_distrusts_cpu_of_starting_pods() -> None:
    now = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)

    def pod(name: str, started: str, ready: str, since: str, phase: str = "Running") -> dict:
        return {
            "metadata": {"name": name},
            "status": {
                "phase": phase,
                "startTime": started,
                "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": since}],
            },
        }

    sample = PodMetric(100, now, 30.0)
    pods = [
        pod("old", LONG_AGO, "True", LONG_AGO),
        pod("fresh", "2026-01-01T11:59:50Z", "True", "2026-01-01T11:59:55Z"),  # sample too early
        pod("warm", "2026-01-01T11:58:00Z", "True", "2026-01-01T11:58:10Z"),
        pod("pending", LONG_AGO, "False", LONG_AGO, phase="Pending"),
        pod("silent", LONG_AGO, "True", LONG_AGO),
    ]
    metrics = {"old": sample, "fresh": sample, "warm": sample, "pending": sample}
    ready, unready, missing, ignored = group_pods(pods, metrics, "cpu", now, 300.0, 30.0)
    assert (ready, unready, missing, ignored) == (2, {"fresh", "pending"}, {"silent"}, set())
    assert parse_go_duration("1m30s") == 90.0
    assert parse_go_duration("250ms") == 0.25
