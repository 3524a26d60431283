"""The kubelet's container probes (Kubernetes' pkg/kubelet/prober and pkg/probe).

Layout: one module per mechanism (`exec_probe`, `http_probe`, `tcp_probe`, `grpc_probe`), each
returning a `ProbeOutcome`; `prober.Prober` picks the mechanism for a probe spec and records
events; `worker.Worker` probes one container periodically with upstream's thresholds;
`manager.ProbeManager` owns the workers and `results.ResultsManager` the cached results.

Invariant: the pod sync only ever reads results (`ProbeManager.results`) and subscribes to
their changes; nothing here kills or restarts a container.
"""

from steersman.kubelet.prober.manager import ProbeManager
from steersman.kubelet.prober.probe import ProbeOutcome, ProbeResult, ProbeType
from steersman.kubelet.prober.prober import Prober
from steersman.kubelet.prober.results import Result, ResultsManager, Update

__all__ = [
    "ProbeManager",
    "ProbeOutcome",
    "ProbeResult",
    "ProbeType",
    "Prober",
    "Result",
    "ResultsManager",
    "Update",
]
