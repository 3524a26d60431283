"""The validator registry: the kind -> module table, and loading a kind's module on first use."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from steersman.api import validation
from steersman.api.validation import core


def test_table_lists_exactly_the_registered_kinds() -> None:
    validation.load_all()
    assert set(validation._REGISTRY) == set(validation._MODULES)


def test_unknown_kinds_have_no_validator() -> None:
    assert validation.validator_for("", "NoSuchKind") is None
    assert validation.validator_for("example.com", "Widget") is None


def test_facades_reexport_the_registered_functions() -> None:
    pod = validation.validator_for("", "Pod")
    assert pod is not None
    assert pod.validate is core.validate_pod
    assert pod.validate_update is core.validate_pod_update


# Run in a fresh interpreter: what a kind's first use imports is only observable there.
_FIRST_USE = textwrap.dedent(
    """
    import sys
    from steersman.api import validation

    PREFIX = "steersman.api.validation."
    KEEP = {PREFIX + "common"}

    def loaded():
        return {m for m in sys.modules if m.startswith(PREFIX)}

    # A kind loads its own small module, not every validator.
    assert validation.validator_for("", "Namespace") is not None
    after_namespace = loaded()
    assert PREFIX + "namespace" in after_namespace, after_namespace
    for heavy in ("pod", "pod_spec", "container", "volume", "core", "apps", "misc"):
        assert PREFIX + heavy not in after_namespace, (heavy, after_namespace)
    assert validation.validator_for("", "Pod") is not None
    assert PREFIX + "pod_spec" in loaded()

    # Each table entry names the module whose import registers that kind.
    registered_by = {}
    original = validation.register

    def recording(group, kind, validate, validate_update):
        registered_by[(group, kind)] = sys._getframe(1).f_globals["__name__"]
        original(group, kind, validate, validate_update)

    for name in loaded() - KEEP:
        del sys.modules[name]
    validation.register = recording
    validation.load_all()
    expected = {key: PREFIX + module for key, module in validation._MODULES.items()}
    assert registered_by == expected, set(registered_by.items()) ^ set(expected.items())
    print("ok")
    """
)


def test_first_use_loads_only_the_kinds_module() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _FIRST_USE], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
