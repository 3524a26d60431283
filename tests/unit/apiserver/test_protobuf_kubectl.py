"""Bodies kubectl v1.32 really sent for `kubectl create <generator>`, decoded.

`data/kubectl_create_bodies.json` holds, per generator, the command, the protobuf body
kubectl sent with `--dry-run=server -v=9` (hex), and what `--dry-run=client -o json` printed
for the same command (less Go's null creationTimestamp and a nil `rules` list), which is
what the decoder must produce. More bodies live in test_protobuf.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from steersman.apiserver.protobuf import decode_protobuf_object

CASES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "kubectl_create_bodies.json").read_text()
)


@pytest.mark.parametrize("name", sorted(CASES))
def test_kubectl_body(name: str) -> None:
    case = CASES[name]
    assert decode_protobuf_object(bytes.fromhex(case["body"])) == case["expected"], case["command"]


def test_fixtures_cover_the_generators() -> None:
    commands = " ".join(c["command"] for c in CASES.values())
    for generator in (
        "secret docker-registry",
        "service nodeport",
        "service loadbalancer",
        "service externalname",
        "job manual --from=cronjob/",
        "clusterrolebinding",
        "--aggregation-rule",
        "poddisruptionbudget",
        "priorityclass",
        "ingress",
        "quota",
    ):
        assert generator in commands
