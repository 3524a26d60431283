"""The CRI proto subset: committed stubs match api.proto, and the wire identity (package,
services, field numbers) is upstream's runtime.v1."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from steersman.kubelet.runtime.cri import api_pb2 as api

SRC = Path(__file__).resolve().parents[4] / "src"
PROTO = "steersman/kubelet/runtime/cri/api.proto"
GENERATED = ("api_pb2.py", "api_pb2.pyi", "api_pb2_grpc.py")

# (message, field) -> number in upstream k8s.io/cri-api runtime/v1/api.proto. Chosen where
# upstream's numbering is not sequential, or a field was added late: the easy ones to get wrong.
UPSTREAM_NUMBERS = {
    ("ImageSpec", "user_specified_image"): 18,
    ("ImageSpec", "runtime_handler"): 19,
    ("ImageSpec", "image_ref"): 20,
    ("LinuxSandboxSecurityContext", "run_as_group"): 8,
    ("LinuxSandboxSecurityContext", "seccomp"): 9,
    ("LinuxSandboxSecurityContext", "supplemental_groups_policy"): 11,
    ("LinuxContainerSecurityContext", "run_as_group"): 12,
    ("LinuxContainerSecurityContext", "seccomp"): 15,
    ("LinuxContainerSecurityContext", "supplemental_groups_policy"): 17,
    ("PodSandboxConfig", "linux"): 8,
    ("ContainerConfig", "linux"): 15,
    ("ContainerConfig", "CDI_devices"): 17,
    ("ContainerStatus", "image_id"): 17,
    ("ContainerStatus", "user"): 18,
    ("Container", "image_id"): 10,
    ("Namespace", "options"): 2,
    ("UpdateContainerResourcesRequest", "annotations"): 4,
    ("Mount", "recursive_read_only"): 8,
    ("Mount", "image_sub_path"): 10,
    ("StatusResponse", "features"): 4,
    ("PodSandboxStatusResponse", "timestamp"): 4,
    ("ContainerStats", "swap"): 5,
    ("LinuxPodSandboxStats", "containers"): 5,
    ("ImageFsInfoResponse", "container_filesystems"): 2,
}


def test_package_and_services_are_upstreams() -> None:
    assert api.DESCRIPTOR.package == "runtime.v1"
    runtime = api.DESCRIPTOR.services_by_name["RuntimeService"]
    images = api.DESCRIPTOR.services_by_name["ImageService"]
    assert runtime.full_name == "runtime.v1.RuntimeService"
    assert {"Version", "RunPodSandbox", "ExecSync", "PodSandboxStats", "Status"} <= set(
        runtime.methods_by_name
    )
    assert set(images.methods_by_name) == {
        "ListImages",
        "ImageStatus",
        "PullImage",
        "RemoveImage",
        "ImageFsInfo",
    }


@pytest.mark.parametrize(("message", "field"), sorted(UPSTREAM_NUMBERS))
def test_field_numbers_match_upstream(message: str, field: str) -> None:
    descriptor = api.DESCRIPTOR.message_types_by_name[message]
    assert descriptor.fields_by_name[field].number == UPSTREAM_NUMBERS[(message, field)]


def test_enum_values_match_upstream() -> None:
    assert (api.POD, api.CONTAINER, api.NODE, api.TARGET) == (0, 1, 2, 3)
    assert (api.SANDBOX_READY, api.SANDBOX_NOTREADY) == (0, 1)
    assert (
        api.CONTAINER_CREATED,
        api.CONTAINER_RUNNING,
        api.CONTAINER_EXITED,
        api.CONTAINER_UNKNOWN,
    ) == (0, 1, 2, 3)


@pytest.mark.skipif(
    importlib.util.find_spec("grpc_tools") is None, reason="grpcio-tools is not installed"
)
def test_committed_stubs_match_the_proto(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{SRC}",
            f"--python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            f"--grpc_python_out={tmp_path}",
            str(SRC / PROTO),
        ],
        check=True,
        capture_output=True,
    )
    committed = SRC / PROTO.rpartition("/")[0]
    generated = tmp_path / PROTO.rpartition("/")[0]
    for name in GENERATED:
        assert (generated / name).read_bytes() == (committed / name).read_bytes(), (
            f"{name} is stale: run scripts/gen-cri"
        )
