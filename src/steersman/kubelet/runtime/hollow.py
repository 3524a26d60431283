"""HollowRuntime: the runtime of a hollow node (kubemark's idea) for scale tests — every image
"exists", every container "runs" until stopped, nothing is executed.

Invariant: the FakeRuntime's CRI semantics (states, ids, errors) with one difference: any image
a pod names is present, so pods on a hollow node go Running without a registry or containers.
Never used by e2e tests of real behaviour.
"""

from __future__ import annotations

from steersman.kubelet.runtime.cri import api_pb2 as api
from steersman.kubelet.runtime.fake import FakeRuntime


class HollowRuntime(FakeRuntime):
    def __init__(self) -> None:
        super().__init__(runtime_name="hollow", runtime_version="0.1.0")
        self.pod_cidr = "10.244.0.0/16"

    def _ensure(self, name: str) -> None:
        if name and self._find_image(name) is None:
            self.add_image(name)

    async def image_status(
        self, image: api.ImageSpec, verbose: bool = False
    ) -> api.ImageStatusResponse:
        self._ensure(image.image)
        return await super().image_status(image, verbose)

    async def pull_image(
        self,
        image: api.ImageSpec,
        auth: api.AuthConfig | None = None,
        sandbox_config: api.PodSandboxConfig | None = None,
    ) -> str:
        self._ensure(image.image)
        return await super().pull_image(image, auth, sandbox_config)
