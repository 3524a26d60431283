"""The defaulter registry: one module per API group, loaded on the group's first use."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from steersman.api import defaults


def test_every_defaulter_lives_in_its_groups_module() -> None:
    defaults.load_all()
    assert defaults._REGISTRY
    for (group, kind), fn in defaults._REGISTRY.items():
        module = defaults._GROUP_MODULES.get(group, defaults._MISC)
        assert fn.__module__ == f"steersman.api.defaults.{module}", (group, kind)


def test_kind_without_defaulter_is_left_alone() -> None:
    obj = {"metadata": {"name": "x"}, "data": {"k": "v"}}
    defaults.apply_defaults("", "ConfigMap", obj)
    defaults.apply_defaults("example.com", "Widget", obj)
    assert obj == {"metadata": {"name": "x"}, "data": {"k": "v"}}


def test_defaulting_applies() -> None:
    svc = {"spec": {"ports": [{"port": 80}]}}
    defaults.apply_defaults("", "Service", svc)
    assert svc["spec"]["ports"][0]["protocol"] == "TCP"


_FIRST_USE = textwrap.dedent(
    """
    import sys
    from steersman.api import defaults

    ns = {"metadata": {"name": "x"}}
    defaults.apply_defaults("", "Namespace", ns)
    loaded = {m for m in sys.modules if m.startswith("steersman.api.defaults.")}
    assert loaded == {"steersman.api.defaults.core"}, loaded
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "x"}, ns
    defaults.apply_defaults("apps", "Deployment", {"spec": {}})
    assert "steersman.api.defaults.apps" in sys.modules
    print("ok")
    """
)


def test_first_use_loads_only_the_groups_module() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _FIRST_USE], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
