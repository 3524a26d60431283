"""Fixtures for the e2e suite: one shared steersman cluster, kubectl, namespaces, clients.

Invariants:
- The session cluster is one `steersman up` subprocess on a free loopback port with a
  temporary data dir; it is stopped by PID (SIGTERM, then SIGKILL) when the session ends.
- Every test that creates namespaced objects gets its own namespace, created and deleted
  through kubectl, so tests never see each other's objects.
- Tests that restart or kill a server use `fresh_cluster`, never the session cluster.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Cluster, RawHttp

KubectlFn = Callable[..., Any]


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("steersman-e2e")
    c = Cluster(base / "data")
    c.start()
    try:
        c.wait_ready()
        yield c
    finally:
        c.stop()


@pytest.fixture
def fresh_cluster(tmp_path: Path) -> Iterator[Callable[[], Cluster]]:
    """A factory for private clusters (restart and kill tests); all are stopped afterwards."""
    made: list[Cluster] = []

    def make() -> Cluster:
        c = Cluster(tmp_path / f"cluster{len(made)}")
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()


@pytest.fixture
def kubectl(cluster: Cluster) -> KubectlFn:
    """`kubectl(*args, input=None, check=True, timeout=..., env=None) -> CompletedProcess`."""
    return cluster.kubectl


@pytest.fixture
def kubectl_json(cluster: Cluster) -> KubectlFn:
    """`kubectl_json(*args) -> parsed JSON of `kubectl <args> -o json``."""
    return cluster.kubectl_json


@pytest.fixture
def new_namespace(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """A factory of fresh namespaces, each deleted (without waiting) after the test."""
    created: list[str] = []
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")

    def make() -> str:
        name = f"e2e-{slug}-{uuid.uuid4().hex[:6]}"
        # `kubectl create -f` (dynamic client, JSON) rather than `kubectl create namespace`
        # (typed client, protobuf body), so that only the tests about that command depend on
        # protobuf support.
        manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        cluster.kubectl("create", "-f", "-", input=json.dumps(manifest))
        created.append(name)
        return name

    yield make
    for name in created:
        cluster.kubectl(
            "delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False
        )


@pytest.fixture
def ns(new_namespace: Callable[[], str]) -> str:
    return new_namespace()


@pytest.fixture(scope="session")
def api_client(cluster: Cluster) -> Iterator[Any]:
    client = cluster.api_client()
    yield client
    client.close()


@pytest.fixture
def core_v1(api_client: Any) -> Any:
    from kubernetes import client

    return client.CoreV1Api(api_client)


@pytest.fixture
def apps_v1(api_client: Any) -> Any:
    from kubernetes import client

    return client.AppsV1Api(api_client)


@pytest.fixture
def raw(cluster: Cluster) -> RawHttp:
    return cluster.raw()
