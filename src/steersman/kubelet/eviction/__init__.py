"""Node-pressure eviction (Kubernetes' pkg/kubelet/eviction), one concept per module:

  thresholds.py    signals, `--eviction-*` flag parsing, the defaults
  observations.py  signals observed in a stats summary; which thresholds are met, since when
  pods.py          a pod's priority, criticality, requests, QoS and usage
  ranking.py       the order in which pods are evicted for each signal
  messages.py      the eviction message (and local-storage limit violations)
  manager.py       EvictionManager: the 10 s loop, node pressure, admission, evicting

Invariants: everything but `EvictionManager` is pure; observations come from one stats
summary per cycle (`steersman.kubelet.stats`), so tests fake pressure by faking the summary
provider or the stats NodeReader.
"""

from steersman.kubelet.eviction.manager import (
    AdmitResult,
    EventSink,
    EvictionManager,
    PodTerminator,
    TerminatePodOptions,
    apply_termination_status,
)
from steersman.kubelet.eviction.messages import eviction_message, local_storage_violation
from steersman.kubelet.eviction.observations import (
    Observation,
    make_signal_observations,
    threshold_quantity,
    thresholds_met,
)
from steersman.kubelet.eviction.ranking import (
    build_signal_to_rank_func,
    rank_disk_pressure_func,
    rank_memory_pressure,
)
from steersman.kubelet.eviction.thresholds import (
    DEFAULT_EVICTION_HARD,
    REASON,
    Threshold,
    ThresholdValue,
    parse_eviction_hard,
    parse_map,
    parse_threshold_config,
)

__all__ = [
    "DEFAULT_EVICTION_HARD",
    "REASON",
    "AdmitResult",
    "EventSink",
    "EvictionManager",
    "Observation",
    "PodTerminator",
    "TerminatePodOptions",
    "Threshold",
    "ThresholdValue",
    "apply_termination_status",
    "build_signal_to_rank_func",
    "eviction_message",
    "local_storage_violation",
    "make_signal_observations",
    "parse_eviction_hard",
    "parse_map",
    "parse_threshold_config",
    "rank_disk_pressure_func",
    "rank_memory_pressure",
    "threshold_quantity",
    "thresholds_met",
]
