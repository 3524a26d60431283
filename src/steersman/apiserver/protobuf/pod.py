"""core/v1 message tables for pod templates: PodSpec, volumes, scheduling.

Invariants: field numbers are upstream's (staging/src/k8s.io/api/core/v1/generated.proto);
`keep` marks pointers and fields without omitempty in types.go. Volume sources for the
deprecated in-tree plugins (cloud disks, gluster, rbd, flex, ...) are `unsupported`: they
are refused rather than dropped.
"""

from __future__ import annotations

from steersman.apiserver.protobuf.container import (
    APP_ARMOR_PROFILE,
    CONTAINER,
    EPHEMERAL_CONTAINER,
    KEY_TO_PATH,
    OBJECT_FIELD_SELECTOR,
    RESOURCE_FIELD_SELECTOR,
    RESOURCE_REQUIREMENTS,
    SE_LINUX_OPTIONS,
    SECCOMP_PROFILE,
    WINDOWS_SECURITY_CONTEXT_OPTIONS,
)
from steersman.apiserver.protobuf.core import (
    LOCAL_OBJECT_REFERENCE,
    TYPED_LOCAL_OBJECT_REFERENCE,
    TYPED_OBJECT_REFERENCE,
)
from steersman.apiserver.protobuf.decode import (
    Message,
    boolean,
    inline,
    int32,
    int64,
    int64s,
    message,
    messages,
    quantity,
    quantity_map,
    string,
    string_map,
    strings,
    unsupported,
)
from steersman.apiserver.protobuf.meta import LABEL_SELECTOR, OBJECT_META

# --- volumes ------------------------------------------------------------------------------

DOWNWARD_API_VOLUME_FILE = Message(
    "DownwardAPIVolumeFile",
    {
        1: string("path", keep=True),
        2: message("fieldRef", OBJECT_FIELD_SELECTOR),
        3: message("resourceFieldRef", RESOURCE_FIELD_SELECTOR),
        4: int32("mode", keep=True),
    },
)

# SecretProjection and ConfigMapProjection share one shape.
OBJECT_PROJECTION = Message(
    "ObjectProjection",
    {
        1: inline("localObjectReference", LOCAL_OBJECT_REFERENCE),
        2: messages("items", KEY_TO_PATH),
        4: boolean("optional", keep=True),
    },
)

VOLUME_PROJECTION = Message(
    "VolumeProjection",
    {
        1: message("secret", OBJECT_PROJECTION),
        2: message(
            "downwardAPI",
            Message("DownwardAPIProjection", {1: messages("items", DOWNWARD_API_VOLUME_FILE)}),
        ),
        3: message("configMap", OBJECT_PROJECTION),
        4: message(
            "serviceAccountToken",
            Message(
                "ServiceAccountTokenProjection",
                {
                    1: string("audience"),
                    2: int64("expirationSeconds", keep=True),
                    3: string("path", keep=True),
                },
            ),
        ),
        5: message(
            "clusterTrustBundle",
            Message(
                "ClusterTrustBundleProjection",
                {
                    1: string("name", keep=True),
                    2: string("signerName", keep=True),
                    3: message("labelSelector", LABEL_SELECTOR),
                    5: boolean("optional", keep=True),
                    4: string("path", keep=True),
                },
            ),
        ),
        6: message(
            "podCertificate",
            Message(
                "PodCertificateProjection",
                {
                    1: string("signerName"),
                    2: string("keyType"),
                    3: int32("maxExpirationSeconds", keep=True),
                    4: string("credentialBundlePath"),
                    5: string("keyPath"),
                    6: string("certificateChainPath"),
                    7: string_map("userAnnotations"),
                },
            ),
        ),
    },
)

PERSISTENT_VOLUME_CLAIM_SPEC = Message(
    "PersistentVolumeClaimSpec",
    {
        1: strings("accessModes"),
        4: message("selector", LABEL_SELECTOR),
        2: message(
            "resources",
            Message(
                "VolumeResourceRequirements",
                {1: quantity_map("limits"), 2: quantity_map("requests")},
            ),
        ),
        3: string("volumeName"),
        5: string("storageClassName", keep=True),
        6: string("volumeMode", keep=True),
        7: message("dataSource", TYPED_LOCAL_OBJECT_REFERENCE),
        8: message("dataSourceRef", TYPED_OBJECT_REFERENCE),
        9: string("volumeAttributesClassName", keep=True),
    },
)

VOLUME_SOURCE = Message(
    "VolumeSource",
    {
        1: message(
            "hostPath",
            Message(
                "HostPathVolumeSource", {1: string("path", keep=True), 2: string("type", keep=True)}
            ),
        ),
        2: message(
            "emptyDir",
            Message("EmptyDirVolumeSource", {1: string("medium"), 2: quantity("sizeLimit")}),
        ),
        3: unsupported("gcePersistentDisk"),
        4: unsupported("awsElasticBlockStore"),
        5: unsupported("gitRepo"),
        6: message(
            "secret",
            Message(
                "SecretVolumeSource",
                {
                    1: string("secretName"),
                    2: messages("items", KEY_TO_PATH),
                    3: int32("defaultMode", keep=True),
                    4: boolean("optional", keep=True),
                },
            ),
        ),
        7: message(
            "nfs",
            Message(
                "NFSVolumeSource",
                {
                    1: string("server", keep=True),
                    2: string("path", keep=True),
                    3: boolean("readOnly"),
                },
            ),
        ),
        8: unsupported("iscsi"),
        9: unsupported("glusterfs"),
        10: message(
            "persistentVolumeClaim",
            Message(
                "PersistentVolumeClaimVolumeSource",
                {1: string("claimName", keep=True), 2: boolean("readOnly")},
            ),
        ),
        11: unsupported("rbd"),
        12: unsupported("flexVolume"),
        13: unsupported("cinder"),
        14: unsupported("cephfs"),
        15: unsupported("flocker"),
        16: message(
            "downwardAPI",
            Message(
                "DownwardAPIVolumeSource",
                {
                    1: messages("items", DOWNWARD_API_VOLUME_FILE),
                    2: int32("defaultMode", keep=True),
                },
            ),
        ),
        17: unsupported("fc"),
        18: unsupported("azureFile"),
        19: message(
            "configMap",
            Message(
                "ConfigMapVolumeSource",
                {
                    1: inline("localObjectReference", LOCAL_OBJECT_REFERENCE),
                    2: messages("items", KEY_TO_PATH),
                    3: int32("defaultMode", keep=True),
                    4: boolean("optional", keep=True),
                },
            ),
        ),
        20: unsupported("vsphereVolume"),
        21: unsupported("quobyte"),
        22: unsupported("azureDisk"),
        23: unsupported("photonPersistentDisk"),
        26: message(
            "projected",
            Message(
                "ProjectedVolumeSource",
                {1: messages("sources", VOLUME_PROJECTION), 2: int32("defaultMode", keep=True)},
            ),
        ),
        24: unsupported("portworxVolume"),
        25: unsupported("scaleIO"),
        27: unsupported("storageos"),
        28: message(
            "csi",
            Message(
                "CSIVolumeSource",
                {
                    1: string("driver", keep=True),
                    2: boolean("readOnly", keep=True),
                    3: string("fsType", keep=True),
                    4: string_map("volumeAttributes"),
                    5: message("nodePublishSecretRef", LOCAL_OBJECT_REFERENCE),
                },
            ),
        ),
        29: message(
            "ephemeral",
            Message(
                "EphemeralVolumeSource",
                {
                    1: message(
                        "volumeClaimTemplate",
                        Message(
                            "PersistentVolumeClaimTemplate",
                            {
                                1: message("metadata", OBJECT_META),
                                2: message("spec", PERSISTENT_VOLUME_CLAIM_SPEC),
                            },
                        ),
                    )
                },
            ),
        ),
        30: message(
            "image",
            Message("ImageVolumeSource", {1: string("reference"), 2: string("pullPolicy")}),
        ),
    },
)

VOLUME = Message("Volume", {1: string("name", keep=True), 2: inline("volumeSource", VOLUME_SOURCE)})

# --- scheduling ---------------------------------------------------------------------------

NODE_SELECTOR_REQUIREMENT = Message(
    "NodeSelectorRequirement",
    {1: string("key", keep=True), 2: string("operator", keep=True), 3: strings("values")},
)

NODE_SELECTOR_TERM = Message(
    "NodeSelectorTerm",
    {
        1: messages("matchExpressions", NODE_SELECTOR_REQUIREMENT),
        2: messages("matchFields", NODE_SELECTOR_REQUIREMENT),
    },
)

POD_AFFINITY_TERM = Message(
    "PodAffinityTerm",
    {
        1: message("labelSelector", LABEL_SELECTOR),
        2: strings("namespaces"),
        3: string("topologyKey", keep=True),
        4: message("namespaceSelector", LABEL_SELECTOR),
        5: strings("matchLabelKeys"),
        6: strings("mismatchLabelKeys"),
    },
)

# PodAffinity and PodAntiAffinity share one shape.
POD_AFFINITY = Message(
    "PodAffinity",
    {
        1: messages("requiredDuringSchedulingIgnoredDuringExecution", POD_AFFINITY_TERM),
        2: messages(
            "preferredDuringSchedulingIgnoredDuringExecution",
            Message(
                "WeightedPodAffinityTerm",
                {1: int32("weight", keep=True), 2: message("podAffinityTerm", POD_AFFINITY_TERM)},
            ),
        ),
    },
)

AFFINITY = Message(
    "Affinity",
    {
        1: message(
            "nodeAffinity",
            Message(
                "NodeAffinity",
                {
                    1: message(
                        "requiredDuringSchedulingIgnoredDuringExecution",
                        Message(
                            "NodeSelector", {1: messages("nodeSelectorTerms", NODE_SELECTOR_TERM)}
                        ),
                    ),
                    2: messages(
                        "preferredDuringSchedulingIgnoredDuringExecution",
                        Message(
                            "PreferredSchedulingTerm",
                            {
                                1: int32("weight", keep=True),
                                2: message("preference", NODE_SELECTOR_TERM),
                            },
                        ),
                    ),
                },
            ),
        ),
        2: message("podAffinity", POD_AFFINITY),
        3: message("podAntiAffinity", POD_AFFINITY),
    },
)

TOLERATION = Message(
    "Toleration",
    {
        1: string("key"),
        2: string("operator"),
        3: string("value"),
        4: string("effect"),
        5: int64("tolerationSeconds", keep=True),
    },
)

TOPOLOGY_SPREAD_CONSTRAINT = Message(
    "TopologySpreadConstraint",
    {
        1: int32("maxSkew", keep=True),
        2: string("topologyKey", keep=True),
        3: string("whenUnsatisfiable", keep=True),
        4: message("labelSelector", LABEL_SELECTOR),
        5: int32("minDomains", keep=True),
        6: string("nodeAffinityPolicy", keep=True),
        7: string("nodeTaintsPolicy", keep=True),
        8: strings("matchLabelKeys"),
    },
)

# --- the pod ------------------------------------------------------------------------------

POD_SECURITY_CONTEXT = Message(
    "PodSecurityContext",
    {
        1: message("seLinuxOptions", SE_LINUX_OPTIONS),
        8: message("windowsOptions", WINDOWS_SECURITY_CONTEXT_OPTIONS),
        2: int64("runAsUser", keep=True),
        6: int64("runAsGroup", keep=True),
        3: boolean("runAsNonRoot", keep=True),
        4: int64s("supplementalGroups"),
        12: string("supplementalGroupsPolicy", keep=True),
        5: int64("fsGroup", keep=True),
        7: messages(
            "sysctls",
            Message("Sysctl", {1: string("name", keep=True), 2: string("value", keep=True)}),
        ),
        9: string("fsGroupChangePolicy", keep=True),
        10: message("seccompProfile", SECCOMP_PROFILE),
        11: message("appArmorProfile", APP_ARMOR_PROFILE),
        13: string("seLinuxChangePolicy", keep=True),
    },
)

_NAME_ONLY = {1: string("name", keep=True)}

POD_SPEC = Message(
    "PodSpec",
    {
        1: messages("volumes", VOLUME),
        20: messages("initContainers", CONTAINER),
        2: messages("containers", CONTAINER),
        34: messages("ephemeralContainers", EPHEMERAL_CONTAINER),
        3: string("restartPolicy"),
        4: int64("terminationGracePeriodSeconds", keep=True),
        5: int64("activeDeadlineSeconds", keep=True),
        6: string("dnsPolicy"),
        7: string_map("nodeSelector"),
        8: string("serviceAccountName"),
        9: string("serviceAccount"),
        21: boolean("automountServiceAccountToken", keep=True),
        10: string("nodeName"),
        11: boolean("hostNetwork"),
        12: boolean("hostPID"),
        13: boolean("hostIPC"),
        27: boolean("shareProcessNamespace", keep=True),
        14: message("securityContext", POD_SECURITY_CONTEXT),
        15: messages("imagePullSecrets", LOCAL_OBJECT_REFERENCE),
        16: string("hostname"),
        17: string("subdomain"),
        18: message("affinity", AFFINITY),
        19: string("schedulerName"),
        22: messages("tolerations", TOLERATION),
        23: messages(
            "hostAliases",
            Message("HostAlias", {1: string("ip", keep=True), 2: strings("hostnames")}),
        ),
        24: string("priorityClassName"),
        25: int32("priority", keep=True),
        26: message(
            "dnsConfig",
            Message(
                "PodDNSConfig",
                {
                    1: strings("nameservers"),
                    2: strings("searches"),
                    3: messages(
                        "options",
                        Message(
                            "PodDNSConfigOption",
                            {1: string("name"), 2: string("value", keep=True)},
                        ),
                    ),
                },
            ),
        ),
        28: messages(
            "readinessGates",
            Message("PodReadinessGate", {1: string("conditionType", keep=True)}),
        ),
        29: string("runtimeClassName", keep=True),
        30: boolean("enableServiceLinks", keep=True),
        31: string("preemptionPolicy", keep=True),
        32: quantity_map("overhead"),
        33: messages("topologySpreadConstraints", TOPOLOGY_SPREAD_CONSTRAINT),
        35: boolean("setHostnameAsFQDN", keep=True),
        36: message("os", Message("PodOS", _NAME_ONLY)),
        37: boolean("hostUsers", keep=True),
        38: messages("schedulingGates", Message("PodSchedulingGate", _NAME_ONLY)),
        39: messages(
            "resourceClaims",
            Message(
                "PodResourceClaim",
                {
                    1: string("name", keep=True),
                    3: string("resourceClaimName", keep=True),
                    4: string("resourceClaimTemplateName", keep=True),
                },
            ),
        ),
        40: message("resources", RESOURCE_REQUIREMENTS),
        41: string("hostnameOverride", keep=True),
        42: message(
            "workloadRef",
            Message(
                "WorkloadReference",
                {
                    1: string("name", keep=True),
                    2: string("podGroup", keep=True),
                    3: string("podGroupReplicaKey"),
                },
            ),
        ),
    },
)

POD_TEMPLATE_SPEC = Message(
    "PodTemplateSpec", {1: message("metadata", OBJECT_META), 2: message("spec", POD_SPEC)}
)
