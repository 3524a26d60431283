"""apps/v1 Deployment and batch/v1 Job/CronJob message tables.

Invariants: field numbers are upstream's (staging/src/k8s.io/api/{apps,batch}/v1/
generated.proto); `keep` marks pointers and fields without omitempty in types.go.
"""

from __future__ import annotations

from steersman.apiserver.protobuf.core import OBJECT_REFERENCE
from steersman.apiserver.protobuf.decode import (
    Message,
    boolean,
    int32,
    int32s,
    int64,
    int_or_string,
    message,
    messages,
    string,
    strings,
    time,
)
from steersman.apiserver.protobuf.meta import LABEL_SELECTOR, OBJECT_META
from steersman.apiserver.protobuf.pod import POD_TEMPLATE_SPEC

# --- apps/v1 ------------------------------------------------------------------------------

DEPLOYMENT_SPEC = Message(
    "DeploymentSpec",
    {
        1: int32("replicas", keep=True),
        2: message("selector", LABEL_SELECTOR),
        3: message("template", POD_TEMPLATE_SPEC),
        4: message(
            "strategy",
            Message(
                "DeploymentStrategy",
                {
                    1: string("type"),
                    2: message(
                        "rollingUpdate",
                        Message(
                            "RollingUpdateDeployment",
                            {1: int_or_string("maxUnavailable"), 2: int_or_string("maxSurge")},
                        ),
                    ),
                },
            ),
        ),
        5: int32("minReadySeconds"),
        6: int32("revisionHistoryLimit", keep=True),
        7: boolean("paused"),
        9: int32("progressDeadlineSeconds", keep=True),
        10: string("podReplacementPolicy", keep=True),
    },
)

DEPLOYMENT_STATUS = Message(
    "DeploymentStatus",
    {
        1: int64("observedGeneration"),
        2: int32("replicas"),
        3: int32("updatedReplicas"),
        7: int32("readyReplicas"),
        4: int32("availableReplicas"),
        5: int32("unavailableReplicas"),
        9: int32("terminatingReplicas", keep=True),
        6: messages(
            "conditions",
            Message(
                "DeploymentCondition",
                {
                    1: string("type", keep=True),
                    2: string("status", keep=True),
                    6: time("lastUpdateTime"),
                    7: time("lastTransitionTime"),
                    4: string("reason"),
                    5: string("message"),
                },
            ),
        ),
        8: int32("collisionCount", keep=True),
    },
)

DEPLOYMENT = Message(
    "Deployment",
    {
        1: message("metadata", OBJECT_META),
        2: message("spec", DEPLOYMENT_SPEC),
        3: message("status", DEPLOYMENT_STATUS),
    },
)

# --- batch/v1 -----------------------------------------------------------------------------

POD_FAILURE_POLICY = Message(
    "PodFailurePolicy",
    {
        1: messages(
            "rules",
            Message(
                "PodFailurePolicyRule",
                {
                    1: string("action", keep=True),
                    2: message(
                        "onExitCodes",
                        Message(
                            "PodFailurePolicyOnExitCodesRequirement",
                            {
                                1: string("containerName", keep=True),
                                2: string("operator", keep=True),
                                3: int32s("values"),
                            },
                        ),
                    ),
                    3: messages(
                        "onPodConditions",
                        Message(
                            "PodFailurePolicyOnPodConditionsPattern",
                            {1: string("type", keep=True), 2: string("status")},
                        ),
                    ),
                },
            ),
        )
    },
)

SUCCESS_POLICY = Message(
    "SuccessPolicy",
    {
        1: messages(
            "rules",
            Message(
                "SuccessPolicyRule",
                {1: string("succeededIndexes", keep=True), 2: int32("succeededCount", keep=True)},
            ),
        )
    },
)

JOB_SPEC = Message(
    "JobSpec",
    {
        1: int32("parallelism", keep=True),
        2: int32("completions", keep=True),
        3: int64("activeDeadlineSeconds", keep=True),
        11: message("podFailurePolicy", POD_FAILURE_POLICY),
        16: message("successPolicy", SUCCESS_POLICY),
        7: int32("backoffLimit", keep=True),
        12: int32("backoffLimitPerIndex", keep=True),
        13: int32("maxFailedIndexes", keep=True),
        4: message("selector", LABEL_SELECTOR),
        5: boolean("manualSelector", keep=True),
        6: message("template", POD_TEMPLATE_SPEC),
        8: int32("ttlSecondsAfterFinished", keep=True),
        9: string("completionMode", keep=True),
        10: boolean("suspend", keep=True),
        14: string("podReplacementPolicy", keep=True),
        15: string("managedBy", keep=True),
    },
)

JOB_STATUS = Message(
    "JobStatus",
    {
        1: messages(
            "conditions",
            Message(
                "JobCondition",
                {
                    1: string("type", keep=True),
                    2: string("status", keep=True),
                    3: time("lastProbeTime"),
                    4: time("lastTransitionTime"),
                    5: string("reason"),
                    6: string("message"),
                },
            ),
        ),
        2: time("startTime"),
        3: time("completionTime"),
        4: int32("active"),
        5: int32("succeeded"),
        6: int32("failed"),
        11: int32("terminating", keep=True),
        7: string("completedIndexes"),
        10: string("failedIndexes", keep=True),
        8: message(
            "uncountedTerminatedPods",
            Message("UncountedTerminatedPods", {1: strings("succeeded"), 2: strings("failed")}),
        ),
        9: int32("ready", keep=True),
    },
)

JOB = Message(
    "Job",
    {
        1: message("metadata", OBJECT_META),
        2: message("spec", JOB_SPEC),
        3: message("status", JOB_STATUS),
    },
)

CRON_JOB_SPEC = Message(
    "CronJobSpec",
    {
        1: string("schedule", keep=True),
        8: string("timeZone", keep=True),
        2: int64("startingDeadlineSeconds", keep=True),
        3: string("concurrencyPolicy"),
        4: boolean("suspend", keep=True),
        5: message(
            "jobTemplate",
            Message(
                "JobTemplateSpec",
                {1: message("metadata", OBJECT_META), 2: message("spec", JOB_SPEC)},
            ),
        ),
        6: int32("successfulJobsHistoryLimit", keep=True),
        7: int32("failedJobsHistoryLimit", keep=True),
    },
)

CRON_JOB = Message(
    "CronJob",
    {
        1: message("metadata", OBJECT_META),
        2: message("spec", CRON_JOB_SPEC),
        3: message(
            "status",
            Message(
                "CronJobStatus",
                {
                    1: messages("active", OBJECT_REFERENCE),
                    4: time("lastScheduleTime"),
                    5: time("lastSuccessfulTime"),
                },
            ),
        ),
    },
)
