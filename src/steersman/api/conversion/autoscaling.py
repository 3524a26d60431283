"""HorizontalPodAutoscaler between autoscaling/v1 (served) and autoscaling/v2 (stored).

autoscaling/v1 knows one metric (CPU utilization); the rest of a v2 object rides in
annotations of the v1 view, in v1's own metric shapes, exactly as Kubernetes' v1 conversion
writes them, so a v1 client that reads, edits and writes back loses nothing:
- `autoscaling.alpha.kubernetes.io/metrics`: spec metrics other than a CPU utilization target;
- `autoscaling.alpha.kubernetes.io/current-metrics`: every status metric;
- `autoscaling.alpha.kubernetes.io/conditions`: the status conditions;
- `autoscaling.alpha.kubernetes.io/behavior`: spec.behavior (Kubernetes keeps it there only
  for v2beta1; keeping it for v1 too means a v1 update never drops a v2 client's behavior).
The annotations never reach storage: converting to v2 consumes them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from steersman.api.conversion import ConversionError

Obj = dict[str, Any]

METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics"
CURRENT_METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior"
ROUND_TRIP_ANNOTATIONS = (
    METRICS_ANNOTATION,
    CURRENT_METRICS_ANNOTATION,
    CONDITIONS_ANNOTATION,
    BEHAVIOR_ANNOTATION,
)
DEFAULT_CPU_UTILIZATION = 80

_V1 = "autoscaling/v1"
_V2 = "autoscaling/v2"


def _put(out: Obj, key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def _is_cpu_resource(metric: Obj) -> bool:
    resource = metric.get("resource")
    return (
        metric.get("type") == "Resource"
        and isinstance(resource, dict)
        and resource.get("name") == "cpu"
    )


# -- metric specs -------------------------------------------------------------------------
def _spec_metric_to_v1(metric: Obj) -> Obj:
    out: Obj = {"type": metric.get("type", "")}
    kind = metric.get("type")
    if kind == "Resource" and isinstance(metric.get("resource"), dict):
        src = metric["resource"]
        target = src.get("target") or {}
        res: Obj = {"name": src.get("name", "")}
        _put(res, "targetAverageUtilization", target.get("averageUtilization"))
        _put(res, "targetAverageValue", target.get("averageValue"))
        out["resource"] = res
    elif kind == "ContainerResource" and isinstance(metric.get("containerResource"), dict):
        src = metric["containerResource"]
        target = src.get("target") or {}
        res = {"name": src.get("name", ""), "container": src.get("container", "")}
        _put(res, "targetAverageUtilization", target.get("averageUtilization"))
        _put(res, "targetAverageValue", target.get("averageValue"))
        out["containerResource"] = res
    elif kind == "Pods" and isinstance(metric.get("pods"), dict):
        src = metric["pods"]
        ident = src.get("metric") or {}
        pods: Obj = {
            "metricName": ident.get("name", ""),
            "targetAverageValue": (src.get("target") or {}).get("averageValue") or "0",
        }
        _put(pods, "selector", ident.get("selector"))
        out["pods"] = pods
    elif kind == "Object" and isinstance(metric.get("object"), dict):
        src = metric["object"]
        ident = src.get("metric") or {}
        target = src.get("target") or {}
        obj: Obj = {
            "target": dict(src.get("describedObject") or {}),
            "metricName": ident.get("name", ""),
            "targetValue": target.get("value") or "0",
        }
        _put(obj, "selector", ident.get("selector"))
        _put(obj, "averageValue", target.get("averageValue"))
        out["object"] = obj
    elif kind == "External" and isinstance(metric.get("external"), dict):
        src = metric["external"]
        ident = src.get("metric") or {}
        target = src.get("target") or {}
        ext: Obj = {"metricName": ident.get("name", "")}
        _put(ext, "metricSelector", ident.get("selector"))
        _put(ext, "targetValue", target.get("value"))
        _put(ext, "targetAverageValue", target.get("averageValue"))
        out["external"] = ext
    return out


def _identifier(name: Any, selector: Any) -> Obj:
    ident: Obj = {"name": name or ""}
    _put(ident, "selector", selector)
    return ident


def _spec_metric_to_v2(metric: Obj) -> Obj:
    out: Obj = {"type": metric.get("type", "")}
    kind = metric.get("type")
    if kind in ("Resource", "ContainerResource"):
        field = "resource" if kind == "Resource" else "containerResource"
        src = metric.get(field)
        if isinstance(src, dict):
            utilization = src.get("targetAverageUtilization")
            target: Obj = {"type": "AverageValue" if utilization is None else "Utilization"}
            _put(target, "averageUtilization", utilization)
            _put(target, "averageValue", src.get("targetAverageValue"))
            res: Obj = {"name": src.get("name", ""), "target": target}
            if kind == "ContainerResource":
                res["container"] = src.get("container", "")
            out[field] = res
    elif kind == "Pods" and isinstance(metric.get("pods"), dict):
        src = metric["pods"]
        out["pods"] = {
            "metric": _identifier(src.get("metricName"), src.get("selector")),
            "target": {
                "type": "AverageValue",
                "averageValue": src.get("targetAverageValue") or "0",
            },
        }
    elif kind == "Object" and isinstance(metric.get("object"), dict):
        src = metric["object"]
        average = src.get("averageValue")
        target = {
            "type": "Value" if average is None else "AverageValue",
            "value": src.get("targetValue") or "0",
        }
        _put(target, "averageValue", average)
        out["object"] = {
            "describedObject": dict(src.get("target") or {}),
            "metric": _identifier(src.get("metricName"), src.get("selector")),
            "target": target,
        }
    elif kind == "External" and isinstance(metric.get("external"), dict):
        src = metric["external"]
        value = src.get("targetValue")
        target = {"type": "AverageValue" if value is None else "Value"}
        _put(target, "value", value)
        _put(target, "averageValue", src.get("targetAverageValue"))
        out["external"] = {
            "metric": _identifier(src.get("metricName"), src.get("metricSelector")),
            "target": target,
        }
    return out


# -- metric statuses ----------------------------------------------------------------------
def _status_metric_to_v1(metric: Obj) -> Obj:
    out: Obj = {"type": metric.get("type", "")}
    kind = metric.get("type")
    if kind in ("Resource", "ContainerResource"):
        field = "resource" if kind == "Resource" else "containerResource"
        src = metric.get(field)
        if isinstance(src, dict):
            current = src.get("current") or {}
            res: Obj = {"name": src.get("name", "")}
            _put(res, "currentAverageUtilization", current.get("averageUtilization"))
            res["currentAverageValue"] = current.get("averageValue") or "0"
            if kind == "ContainerResource":
                res["container"] = src.get("container", "")
            out[field] = res
    elif kind == "Pods" and isinstance(metric.get("pods"), dict):
        src = metric["pods"]
        ident = src.get("metric") or {}
        pods: Obj = {
            "metricName": ident.get("name", ""),
            "currentAverageValue": (src.get("current") or {}).get("averageValue") or "0",
        }
        _put(pods, "selector", ident.get("selector"))
        out["pods"] = pods
    elif kind == "Object" and isinstance(metric.get("object"), dict):
        src = metric["object"]
        ident = src.get("metric") or {}
        current = src.get("current") or {}
        obj: Obj = {
            "target": dict(src.get("describedObject") or {}),
            "metricName": ident.get("name", ""),
            "currentValue": current.get("value") or "0",
        }
        _put(obj, "selector", ident.get("selector"))
        _put(obj, "averageValue", current.get("averageValue"))
        out["object"] = obj
    elif kind == "External" and isinstance(metric.get("external"), dict):
        src = metric["external"]
        ident = src.get("metric") or {}
        current = src.get("current") or {}
        ext: Obj = {
            "metricName": ident.get("name", ""),
            "currentValue": current.get("value") or "0",
        }
        _put(ext, "metricSelector", ident.get("selector"))
        _put(ext, "currentAverageValue", current.get("averageValue"))
        out["external"] = ext
    return out


def _status_metric_to_v2(metric: Obj) -> Obj:
    out: Obj = {"type": metric.get("type", "")}
    kind = metric.get("type")
    if kind in ("Resource", "ContainerResource"):
        field = "resource" if kind == "Resource" else "containerResource"
        src = metric.get(field)
        if isinstance(src, dict):
            current: Obj = {"averageValue": src.get("currentAverageValue") or "0"}
            _put(current, "averageUtilization", src.get("currentAverageUtilization"))
            res: Obj = {"name": src.get("name", ""), "current": current}
            if kind == "ContainerResource":
                res["container"] = src.get("container", "")
            out[field] = res
    elif kind == "Pods" and isinstance(metric.get("pods"), dict):
        src = metric["pods"]
        out["pods"] = {
            "metric": _identifier(src.get("metricName"), src.get("selector")),
            "current": {"averageValue": src.get("currentAverageValue") or "0"},
        }
    elif kind == "Object" and isinstance(metric.get("object"), dict):
        src = metric["object"]
        current = {"value": src.get("currentValue") or "0"}
        _put(current, "averageValue", src.get("averageValue"))
        out["object"] = {
            "describedObject": dict(src.get("target") or {}),
            "metric": _identifier(src.get("metricName"), src.get("selector")),
            "current": current,
        }
    elif kind == "External" and isinstance(metric.get("external"), dict):
        src = metric["external"]
        current = {"value": src.get("currentValue") or "0"}
        _put(current, "averageValue", src.get("currentAverageValue"))
        out["external"] = {
            "metric": _identifier(src.get("metricName"), src.get("metricSelector")),
            "current": current,
        }
    return out


# -- whole objects ------------------------------------------------------------------------
def _json_annotation(annotations: dict[str, Any], key: str) -> Any:
    raw = annotations.pop(key, None)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise ConversionError(f"metadata.annotations[{key}]: {exc}") from None


def hpa_v2_to_v1(obj: Obj) -> Obj:
    """The autoscaling/v1 view of a stored autoscaling/v2 HorizontalPodAutoscaler."""
    out: Obj = {"kind": "HorizontalPodAutoscaler", "apiVersion": _V1}
    meta = copy.deepcopy(obj.get("metadata") or {})
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k not in ROUND_TRIP_ANNOTATIONS
    }
    spec = obj.get("spec") or {}
    status = obj.get("status")
    v1_spec: Obj = {}
    if "scaleTargetRef" in spec:
        v1_spec["scaleTargetRef"] = copy.deepcopy(spec["scaleTargetRef"])
    _put(v1_spec, "minReplicas", spec.get("minReplicas"))
    _put(v1_spec, "maxReplicas", spec.get("maxReplicas"))
    metrics = spec.get("metrics") or []
    for metric in metrics:
        if _is_cpu_resource(metric):
            utilization = (metric["resource"].get("target") or {}).get("averageUtilization")
            _put(v1_spec, "targetCPUUtilizationPercentage", utilization)
            break
    others = [
        _spec_metric_to_v1(m)
        for m in metrics
        if not (
            _is_cpu_resource(m)
            and (m["resource"].get("target") or {}).get("averageUtilization") is not None
        )
    ]
    if others:
        annotations[METRICS_ANNOTATION] = _dumps(others)
    if spec.get("behavior") is not None:
        annotations[BEHAVIOR_ANNOTATION] = _dumps(spec["behavior"])
    out["metadata"] = meta
    out["spec"] = v1_spec
    if isinstance(status, dict):
        v1_status: Obj = {}
        for key in ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"):
            _put(v1_status, key, status.get(key))
        v1_status.setdefault("currentReplicas", 0)
        v1_status.setdefault("desiredReplicas", 0)
        current = status.get("currentMetrics") or []
        for metric in current:
            if _is_cpu_resource(metric):
                utilization = (metric["resource"].get("current") or {}).get("averageUtilization")
                _put(v1_status, "currentCPUUtilizationPercentage", utilization)
        if current:
            annotations[CURRENT_METRICS_ANNOTATION] = _dumps(
                [_status_metric_to_v1(m) for m in current]
            )
        if status.get("conditions"):
            annotations[CONDITIONS_ANNOTATION] = _dumps(status["conditions"])
        out["status"] = v1_status
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return out


def hpa_v1_to_v2(obj: Obj) -> Obj:
    """The autoscaling/v2 object to store for an autoscaling/v1 HorizontalPodAutoscaler."""
    out: Obj = {"kind": "HorizontalPodAutoscaler", "apiVersion": _V2}
    meta = copy.deepcopy(obj.get("metadata") or {})
    annotations = dict(meta.get("annotations") or {})
    spec = obj.get("spec") or {}
    v2_spec: Obj = {}
    if "scaleTargetRef" in spec:
        v2_spec["scaleTargetRef"] = copy.deepcopy(spec["scaleTargetRef"])
    _put(v2_spec, "minReplicas", spec.get("minReplicas"))
    _put(v2_spec, "maxReplicas", spec.get("maxReplicas"))
    metrics: list[Obj] = []
    others = _json_annotation(annotations, METRICS_ANNOTATION)
    if isinstance(others, list):
        metrics.extend(_spec_metric_to_v2(m) for m in others if isinstance(m, dict))
    cpu = spec.get("targetCPUUtilizationPercentage")
    if cpu is not None:
        metrics.append(_cpu_utilization_metric(cpu))
    if not metrics:
        metrics.append(_cpu_utilization_metric(DEFAULT_CPU_UTILIZATION))
    v2_spec["metrics"] = metrics
    behavior = _json_annotation(annotations, BEHAVIOR_ANNOTATION)
    if isinstance(behavior, dict):
        v2_spec["behavior"] = behavior
    out["spec"] = v2_spec
    status = obj.get("status")
    current_metrics = _json_annotation(annotations, CURRENT_METRICS_ANNOTATION)
    conditions = _json_annotation(annotations, CONDITIONS_ANNOTATION)
    if isinstance(status, dict):
        v2_status: Obj = {}
        for key in ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"):
            _put(v2_status, key, status.get(key))
        if isinstance(current_metrics, list):
            v2_status["currentMetrics"] = [
                _status_metric_to_v2(m) for m in current_metrics if isinstance(m, dict)
            ]
        elif status.get("currentCPUUtilizationPercentage") is not None:
            v2_status["currentMetrics"] = [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "current": {
                            "averageUtilization": status["currentCPUUtilizationPercentage"]
                        },
                    },
                }
            ]
        if isinstance(conditions, list):
            v2_status["conditions"] = conditions
        out["status"] = v2_status
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    return out


def _cpu_utilization_metric(utilization: Any) -> Obj:
    return {
        "type": "Resource",
        "resource": {
            "name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": utilization},
        },
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
