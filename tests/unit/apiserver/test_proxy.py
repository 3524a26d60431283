"""pods/log, exec, attach, portforward and nodes/proxy: the API server's side (container
choice, node address, option validation and wording, kubelet error mapping)."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import MultiDict

from steersman.api import errors
from steersman.apiserver.handlers import proxy
from steersman.apiserver.request_info import parse_request_info


def _pod(containers: list[str], init: list[str] = (), node: str = "n1") -> dict[str, Any]:  # type: ignore[assignment]
    spec: dict[str, Any] = {"containers": [{"name": c} for c in containers], "nodeName": node}
    if init:
        spec["initContainers"] = [{"name": c} for c in init]
    return {"metadata": {"name": "p", "namespace": "ns"}, "spec": spec}


def test_container_resolution_and_wording() -> None:
    assert proxy.resolve_container(_pod(["a"]), "") == "a"
    assert proxy.resolve_container(_pod(["a", "b"], ["i"]), "i") == "i"
    with pytest.raises(errors.ApiError) as exc:
        proxy.resolve_container(_pod(["a", "b"]), "")
    assert (exc.value.code, exc.value.reason) == (400, "BadRequest")
    assert exc.value.message == "a container name must be specified for pod p, choose one of: [a b]"
    with pytest.raises(errors.ApiError) as exc:
        proxy.resolve_container(_pod(["a", "b"], ["i"]), "")
    assert exc.value.message.endswith("choose one of: [a b] or one of the init containers: [i]")
    with pytest.raises(errors.ApiError) as exc:
        proxy.resolve_container(_pod(["a"]), "c")
    assert exc.value.message == "container c is not valid for pod p"


def test_kubelet_location_prefers_internal_ip_and_its_port() -> None:
    node = {
        "status": {
            "addresses": [
                {"type": "Hostname", "address": "node-1"},
                {"type": "InternalIP", "address": "10.0.0.7"},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 11250}},
        }
    }
    assert proxy.kubelet_location(node) == proxy.KubeletLocation("10.0.0.7", 11250)
    assert proxy.kubelet_location(
        {"status": {"addresses": [{"type": "Hostname", "address": "h"}]}}
    ) == proxy.KubeletLocation("h", 10250)
    with pytest.raises(errors.ApiError) as exc:
        proxy.kubelet_location({"status": {}})
    assert exc.value.message == "no preferred addresses found; known addresses: []"


def test_log_params_pass_options_to_the_kubelet() -> None:
    query = MultiDict(
        container="c",
        follow="true",
        previous="true",
        timestamps="true",
        tailLines="10",
        limitBytes="100",
        sinceTime="2024-01-01T01:00:00+01:00",
        insecureSkipTLSVerifyBackend="true",
    )
    container, params, insecure = proxy.log_params(query, "p")
    assert container == "c" and insecure
    assert params == {
        "follow": "true",
        "previous": "true",
        "timestamps": "true",
        "sinceTime": "2024-01-01T00:00:00Z",
        "tailLines": "10",
        "limitBytes": "100",
    }


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        (
            {"tailLines": "-1"},
            422,
            'PodLogOptions "p" is invalid: tailLines: Invalid value: -1: '
            "must be greater than or equal to 0",
        ),
        (
            {"limitBytes": "0"},
            422,
            'PodLogOptions "p" is invalid: limitBytes: Invalid value: 0: must be greater than 0',
        ),
        (
            {"sinceSeconds": "0"},
            422,
            'PodLogOptions "p" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0',
        ),
        (
            {"sinceSeconds": "5", "sinceTime": "2024-01-01T00:00:00Z"},
            422,
            'PodLogOptions "p" is invalid: Forbidden: at most one of `sinceTime` or '
            "`sinceSeconds` may be specified",
        ),
        ({"tailLines": "x"}, 400, 'strconv.ParseInt: parsing "x": invalid syntax'),
        ({"follow": "yes"}, 400, 'strconv.ParseBool: parsing "yes": invalid syntax'),
    ],
)
def test_log_params_validation(query: dict[str, str], code: int, message: str) -> None:
    with pytest.raises(errors.ApiError) as exc:
        proxy.log_params(MultiDict(query), "p")
    assert (exc.value.code, exc.value.message) == (code, message)


def test_stream_params_use_the_kubelets_names() -> None:
    flags = [("container", "c"), ("stdin", "true"), ("stdout", "true"), ("tty", "true")]
    query = MultiDict([*flags, ("command", "sh"), ("command", "-c"), ("command", "echo hi")])
    assert proxy.stream_params("exec", query) == (
        "c",
        {"input": ["1"], "output": ["1"], "tty": ["1"], "command": ["sh", "-c", "echo hi"]},
    )
    assert proxy.stream_params("attach", MultiDict(stdout="1", stderr="true")) == (
        "",
        {"output": ["1"], "error": ["1"]},
    )
    assert proxy.stream_params("portforward", MultiDict([("ports", "80"), ("ports", "443")])) == (
        "",
        {"port": ["80,443"]},
    )


def test_kubelet_errors_map_as_the_response_checker_does() -> None:
    bad = proxy.kubelet_error(400, 'container "c" in pod "p" is waiting to start', "p")
    assert (bad.code, bad.reason, bad.message) == (
        400,
        "BadRequest",
        'container "c" in pod "p" is waiting to start',
    )
    internal = proxy.kubelet_error(500, "boom", "p")
    assert (internal.code, internal.reason, internal.message) == (
        500,
        "InternalError",
        "Internal error occurred: boom",
    )
    missing = proxy.kubelet_error(404, 'pod "p" does not exist', "p")
    assert (missing.code, missing.reason) == (404, "NotFound")
    odd = proxy.kubelet_error(418, "", "p")
    assert odd.message == (
        "the server responded with the status code 418 but did not return more information"
    )


@pytest.mark.parametrize(
    ("path", "ours"),
    [
        ("/api/v1/namespaces/ns/pods/p/log", True),
        ("/api/v1/namespaces/ns/pods/p/exec", True),
        ("/api/v1/namespaces/ns/pods/p/attach", True),
        ("/api/v1/namespaces/ns/pods/p/portforward", True),
        ("/api/v1/nodes/n/proxy/healthz", True),
        ("/api/v1/nodes/n/proxy", True),
        ("/api/v1/namespaces/ns/pods/p/status", False),
        ("/api/v1/namespaces/ns/pods/p", False),
        ("/api/v1/nodes/n/status", False),
        ("/apis/apps/v1/namespaces/ns/deployments/d/scale", False),
    ],
)
def test_routing(path: str, ours: bool) -> None:
    assert proxy.is_node_proxied(parse_request_info("GET", path, {})) is ours
