"""Rows for the remaining groups: RBAC bindings, Lease, StorageClass and PriorityClass.

Invariants: columns and cells are those of Kubernetes' printers; Role and ClusterRole have
no printer upstream and get the default table.
"""

from __future__ import annotations

import datetime

from steersman.api.tables.columns import (
    AGE,
    NAME,
    Cells,
    Obj,
    Printers,
)
from steersman.api.tables.columns import Printer as _Printer
from steersman.api.tables.columns import b as _b
from steersman.api.tables.columns import i as _i
from steersman.api.tables.columns import s as _s
from steersman.api.tables.format import age as _age
from steersman.api.tables.format import get as _get
from steersman.api.tables.format import integer as _int
from steersman.api.tables.format import items as _list
from steersman.api.tables.format import mapping as _map
from steersman.api.tables.format import name as _name
from steersman.api.tables.format import string as _str


def _subjects(o: Obj) -> list[str]:
    users: list[str] = []
    groups: list[str] = []
    sas: list[str] = []
    for s in _list(o.get("subjects")):
        kind, name = _get(s, "kind"), _str(_get(s, "name"))
        if kind == "ServiceAccount":
            sas.append(f"{_str(_get(s, 'namespace'))}/{name}")
        elif kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
    return [", ".join(users), ", ".join(groups), ", ".join(sas)]


def _binding_cells(o: Obj, now: datetime.datetime) -> Cells:
    role = f"{_str(_get(o, 'roleRef', 'kind'))}/{_str(_get(o, 'roleRef', 'name'))}"
    return [_name(o), role, _age(o, now), *_subjects(o)]


def _storage_class_cells(o: Obj, now: datetime.datetime) -> Cells:
    annotations = _map(_get(o, "metadata", "annotations"))
    default = (
        annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
        or annotations.get("storageclass.beta.kubernetes.io/is-default-class") == "true"
    )
    return [
        _name(o) + (" (default)" if default else ""),
        _str(o.get("provisioner")),
        "Delete" if o.get("reclaimPolicy") is None else _str(o.get("reclaimPolicy")),
        "Immediate" if o.get("volumeBindingMode") is None else _str(o.get("volumeBindingMode")),
        o.get("allowVolumeExpansion") is True,
        _age(o, now),
    ]


def _priority_class_cells(o: Obj, now: datetime.datetime) -> Cells:
    return [
        _name(o),
        _int(o.get("value")),
        o.get("globalDefault") is True,
        _age(o, now),
        _str(o.get("preemptionPolicy")),
    ]


PRINTERS: Printers = {
    ("rbac.authorization.k8s.io", "RoleBinding"): _Printer(
        (
            NAME,
            _s("Role", ("rbac.v1.RoleBinding", "roleRef")),
            AGE,
            _s("Users", "Users in the roleBinding", 1),
            _s("Groups", "Groups in the roleBinding", 1),
            _s("ServiceAccounts", "ServiceAccounts in the roleBinding", 1),
        ),
        _binding_cells,
    ),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _Printer(
        (
            NAME,
            _s("Role", ("rbac.v1.ClusterRoleBinding", "roleRef")),
            AGE,
            _s("Users", "Users in the clusterRoleBinding", 1),
            _s("Groups", "Groups in the clusterRoleBinding", 1),
            _s("ServiceAccounts", "ServiceAccounts in the clusterRoleBinding", 1),
        ),
        _binding_cells,
    ),
    ("coordination.k8s.io", "Lease"): _Printer(
        (NAME, _s("Holder", ("coordination.v1.LeaseSpec", "holderIdentity")), AGE),
        lambda o, now: [_name(o), _str(_get(o, "spec", "holderIdentity")), _age(o, now)],
    ),
    ("storage.k8s.io", "StorageClass"): _Printer(
        (
            NAME,
            _s("Provisioner", ("storage.v1.StorageClass", "provisioner")),
            _s("ReclaimPolicy", ("storage.v1.StorageClass", "reclaimPolicy")),
            _s("VolumeBindingMode", ("storage.v1.StorageClass", "volumeBindingMode")),
            _s("AllowVolumeExpansion", ("storage.v1.StorageClass", "allowVolumeExpansion")),
            AGE,
        ),
        _storage_class_cells,
    ),
    ("scheduling.k8s.io", "PriorityClass"): _Printer(
        (
            NAME,
            _i("Value", ("scheduling.v1.PriorityClass", "value")),
            _b("Global-Default", ("scheduling.v1.PriorityClass", "globalDefault")),
            AGE,
            _s("PreemptionPolicy", ("scheduling.v1.PriorityClass", "preemptionPolicy")),
        ),
        _priority_class_cells,
    ),
}
