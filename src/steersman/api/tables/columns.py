"""Table column definitions and the printer record that pairs them with a row builder.

Invariants:
- A `Column` renders to a meta.k8s.io/v1 TableColumnDefinition; its description is either
  literal text (as Kubernetes' printers spell it) or a (definition, property) pair resolved
  from the OpenAPI descriptions Kubernetes cites through SwaggerDoc.
- Descriptions are read lazily, once, from kubernetes-validate's bundled v1.36 schemas; when
  the package data is missing they are empty rather than an error.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

Obj = Mapping[str, Any]
Cells = list[Any]

_SCHEMA_DIR = "v1.36.0-local"


@functools.cache
def _definitions() -> Mapping[str, Any]:
    try:
        import kubernetes_validate

        path = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / _SCHEMA_DIR
        data = orjson.loads((path / "_definitions.json").read_bytes())
    except (ImportError, OSError, ValueError):
        return {}
    defs = data.get("$defs") or data.get("definitions") or {}
    return defs if isinstance(defs, Mapping) else {}


def doc(definition: str, prop: str) -> str:
    """The description of `definition.prop` (`core.v1.PodSpec`, `meta.v1.ObjectMeta`, ...)."""
    if definition.startswith("meta."):
        full = "io.k8s.apimachinery.pkg.apis." + definition
    else:
        full = "io.k8s.api." + definition
    schema = _definitions().get(full) or {}
    text = ((schema.get("properties") or {}).get(prop) or {}).get("description", "")
    return text if isinstance(text, str) else ""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    # Either literal text or a (definition, property) pair resolved from the schemas.
    description: str | tuple[str, str]
    priority: int = 0
    format: str = ""

    def definition(self) -> dict[str, Any]:
        desc = self.description if isinstance(self.description, str) else doc(*self.description)
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": desc,
            "priority": self.priority,
        }


META = "meta.v1.ObjectMeta"
NAME = Column("Name", "string", (META, "name"), format="name")
AGE = Column("Age", "string", (META, "creationTimestamp"))
CONTAINERS = Column("Containers", "string", "Names of each container in the template.", 1)
IMAGES = Column("Images", "string", "Images referenced by each container in the template.", 1)
SELECTOR = "Selector"


def s(name: str, desc: str | tuple[str, str], priority: int = 0) -> Column:
    return Column(name, "string", desc, priority)


def i(name: str, desc: str | tuple[str, str], priority: int = 0) -> Column:
    return Column(name, "integer", desc, priority)


def b(name: str, desc: str | tuple[str, str], priority: int = 0) -> Column:
    return Column(name, "boolean", desc, priority)


@dataclass(frozen=True, slots=True)
class Printer:
    columns: tuple[Column, ...]
    cells: Callable[[Obj, datetime.datetime], Cells]
    conditions: Callable[[Obj], list[dict[str, Any]] | None] | None = None


Printers = dict[tuple[str, str], Printer]
