"""core/v1 message tables for containers: Container, probes, lifecycle, security contexts.

Invariants: field numbers are upstream's (staging/src/k8s.io/api/core/v1/generated.proto);
`keep` marks pointers and fields without omitempty in types.go. EphemeralContainer reuses
Container's table, as EphemeralContainerCommon repeats its fields under the same numbers.
"""

from __future__ import annotations

from steersman.apiserver.protobuf.core import (
    KEY_SELECTOR,
    LOCAL_OBJECT_REFERENCE,
)
from steersman.apiserver.protobuf.decode import (
    Message,
    boolean,
    inline,
    int32,
    int32s,
    int64,
    int_or_string,
    message,
    messages,
    quantity,
    quantity_map,
    string,
    strings,
)

# --- containers ---------------------------------------------------------------------------

KEY_TO_PATH = Message(
    "KeyToPath",
    {1: string("key", keep=True), 2: string("path", keep=True), 3: int32("mode", keep=True)},
)

OBJECT_FIELD_SELECTOR = Message(
    "ObjectFieldSelector", {1: string("apiVersion"), 2: string("fieldPath", keep=True)}
)

RESOURCE_FIELD_SELECTOR = Message(
    "ResourceFieldSelector",
    {1: string("containerName"), 2: string("resource", keep=True), 3: quantity("divisor")},
)

ENV_VAR_SOURCE = Message(
    "EnvVarSource",
    {
        1: message("fieldRef", OBJECT_FIELD_SELECTOR),
        2: message("resourceFieldRef", RESOURCE_FIELD_SELECTOR),
        3: message("configMapKeyRef", KEY_SELECTOR),
        4: message("secretKeyRef", KEY_SELECTOR),
        5: message(
            "fileKeyRef",
            Message(
                "FileKeySelector",
                {
                    1: string("volumeName", keep=True),
                    2: string("path", keep=True),
                    3: string("key", keep=True),
                    4: boolean("optional", keep=True),
                },
            ),
        ),
    },
)

ENV_VAR = Message(
    "EnvVar",
    {1: string("name", keep=True), 2: string("value"), 3: message("valueFrom", ENV_VAR_SOURCE)},
)

# ConfigMapEnvSource and SecretEnvSource share one shape.
ENV_SOURCE = Message(
    "EnvSource",
    {1: inline("localObjectReference", LOCAL_OBJECT_REFERENCE), 2: boolean("optional", keep=True)},
)

ENV_FROM_SOURCE = Message(
    "EnvFromSource",
    {
        1: string("prefix"),
        2: message("configMapRef", ENV_SOURCE),
        3: message("secretRef", ENV_SOURCE),
    },
)

RESOURCE_REQUIREMENTS = Message(
    "ResourceRequirements",
    {
        1: quantity_map("limits"),
        2: quantity_map("requests"),
        3: messages(
            "claims",
            Message("ResourceClaim", {1: string("name", keep=True), 2: string("request")}),
        ),
    },
)

CONTAINER_PORT = Message(
    "ContainerPort",
    {
        1: string("name"),
        2: int32("hostPort"),
        3: int32("containerPort", keep=True),
        4: string("protocol"),
        5: string("hostIP"),
    },
)

VOLUME_MOUNT = Message(
    "VolumeMount",
    {
        1: string("name", keep=True),
        2: boolean("readOnly"),
        7: string("recursiveReadOnly", keep=True),
        3: string("mountPath", keep=True),
        4: string("subPath"),
        5: string("mountPropagation", keep=True),
        6: string("subPathExpr"),
    },
)

EXEC_ACTION = Message("ExecAction", {1: strings("command")})

HTTP_GET_ACTION = Message(
    "HTTPGetAction",
    {
        1: string("path"),
        2: int_or_string("port"),
        3: string("host"),
        4: string("scheme"),
        5: messages(
            "httpHeaders",
            Message("HTTPHeader", {1: string("name", keep=True), 2: string("value", keep=True)}),
        ),
    },
)

TCP_SOCKET_ACTION = Message("TCPSocketAction", {1: int_or_string("port"), 2: string("host")})

PROBE_HANDLER = Message(
    "ProbeHandler",
    {
        1: message("exec", EXEC_ACTION),
        2: message("httpGet", HTTP_GET_ACTION),
        3: message("tcpSocket", TCP_SOCKET_ACTION),
        4: message(
            "grpc",
            Message("GRPCAction", {1: int32("port", keep=True), 2: string("service", keep=True)}),
        ),
    },
)

PROBE = Message(
    "Probe",
    {
        1: inline("handler", PROBE_HANDLER),
        2: int32("initialDelaySeconds"),
        3: int32("timeoutSeconds"),
        4: int32("periodSeconds"),
        5: int32("successThreshold"),
        6: int32("failureThreshold"),
        7: int64("terminationGracePeriodSeconds", keep=True),
    },
)

LIFECYCLE_HANDLER = Message(
    "LifecycleHandler",
    {
        1: message("exec", EXEC_ACTION),
        2: message("httpGet", HTTP_GET_ACTION),
        3: message("tcpSocket", TCP_SOCKET_ACTION),
        4: message("sleep", Message("SleepAction", {1: int64("seconds", keep=True)})),
    },
)

LIFECYCLE = Message(
    "Lifecycle",
    {
        1: message("postStart", LIFECYCLE_HANDLER),
        2: message("preStop", LIFECYCLE_HANDLER),
        3: string("stopSignal", keep=True),
    },
)

SE_LINUX_OPTIONS = Message(
    "SELinuxOptions", {1: string("user"), 2: string("role"), 3: string("type"), 4: string("level")}
)

WINDOWS_SECURITY_CONTEXT_OPTIONS = Message(
    "WindowsSecurityContextOptions",
    {
        1: string("gmsaCredentialSpecName", keep=True),
        2: string("gmsaCredentialSpec", keep=True),
        3: string("runAsUserName", keep=True),
        4: boolean("hostProcess", keep=True),
    },
)

SECCOMP_PROFILE = Message(
    "SeccompProfile", {1: string("type", keep=True), 2: string("localhostProfile", keep=True)}
)

APP_ARMOR_PROFILE = Message(
    "AppArmorProfile", {1: string("type", keep=True), 2: string("localhostProfile", keep=True)}
)

SECURITY_CONTEXT = Message(
    "SecurityContext",
    {
        1: message(
            "capabilities", Message("Capabilities", {1: strings("add"), 2: strings("drop")})
        ),
        2: boolean("privileged", keep=True),
        3: message("seLinuxOptions", SE_LINUX_OPTIONS),
        10: message("windowsOptions", WINDOWS_SECURITY_CONTEXT_OPTIONS),
        4: int64("runAsUser", keep=True),
        8: int64("runAsGroup", keep=True),
        5: boolean("runAsNonRoot", keep=True),
        6: boolean("readOnlyRootFilesystem", keep=True),
        7: boolean("allowPrivilegeEscalation", keep=True),
        9: string("procMount", keep=True),
        11: message("seccompProfile", SECCOMP_PROFILE),
        12: message("appArmorProfile", APP_ARMOR_PROFILE),
        13: messages(
            "ulimits",
            Message(
                "Ulimit",
                {
                    1: string("name", keep=True),
                    2: int64("hard", keep=True),
                    3: int64("soft", keep=True),
                },
            ),
        ),
    },
)

CONTAINER = Message(
    "Container",
    {
        1: string("name", keep=True),
        2: string("image"),
        3: strings("command"),
        4: strings("args"),
        5: string("workingDir"),
        6: messages("ports", CONTAINER_PORT),
        19: messages("envFrom", ENV_FROM_SOURCE),
        7: messages("env", ENV_VAR),
        8: message("resources", RESOURCE_REQUIREMENTS),
        23: messages(
            "resizePolicy",
            Message(
                "ContainerResizePolicy",
                {1: string("resourceName", keep=True), 2: string("restartPolicy", keep=True)},
            ),
        ),
        24: string("restartPolicy", keep=True),
        25: messages(
            "restartPolicyRules",
            Message(
                "ContainerRestartRule",
                {
                    1: string("action"),
                    2: message(
                        "exitCodes",
                        Message(
                            "ContainerRestartRuleOnExitCodes",
                            {1: string("operator"), 2: int32s("values")},
                        ),
                    ),
                },
            ),
        ),
        9: messages("volumeMounts", VOLUME_MOUNT),
        21: messages(
            "volumeDevices",
            Message(
                "VolumeDevice", {1: string("name", keep=True), 2: string("devicePath", keep=True)}
            ),
        ),
        10: message("livenessProbe", PROBE),
        11: message("readinessProbe", PROBE),
        22: message("startupProbe", PROBE),
        12: message("lifecycle", LIFECYCLE),
        13: string("terminationMessagePath"),
        20: string("terminationMessagePolicy"),
        14: string("imagePullPolicy"),
        15: message("securityContext", SECURITY_CONTEXT),
        16: boolean("stdin"),
        17: boolean("stdinOnce"),
        18: boolean("tty"),
    },
)

# EphemeralContainerCommon repeats Container's fields under the same numbers.
EPHEMERAL_CONTAINER = Message(
    "EphemeralContainer",
    {
        1: inline("ephemeralContainerCommon", CONTAINER),
        2: string("targetContainerName"),
    },
)
