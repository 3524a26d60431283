"""The kubelet's HTTPS server: logs, exec, attach and port-forward for the API server.

`KubeletServer` speaks the wire protocols; a `KubeletHost` (host.py) does the work. See
server.py for the routes and host.py for what an implementation must provide.
"""

from steersman.kubelet.server.host import (
    ContainerProcess,
    ContainerTarget,
    HostError,
    KubeletHost,
    container_not_found,
    pod_not_found,
)
from steersman.kubelet.server.server import KubeletServer, build_ssl_context

__all__ = [
    "ContainerProcess",
    "ContainerTarget",
    "HostError",
    "KubeletHost",
    "KubeletServer",
    "build_ssl_context",
    "container_not_found",
    "pod_not_found",
]
