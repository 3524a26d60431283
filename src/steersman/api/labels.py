"""Label selectors: the Requirement and Selector types and matching, as apimachinery's `labels`.

Invariants:
- A `Selector` keeps its requirements sorted by key (as Go does), so `str()` is deterministic
  and equals Go's `Selector.String()`.
- `Selector.empty` is True only for the match-everything selector; `NOTHING` matches no labels.
- `new_requirement` and `selector_from_label_selector` raise `ValueError` whose text is
  apimachinery's (`labels.NewRequirement`, `metav1.LabelSelectorAsSelector`).
- Selector strings are parsed by `label_selector_parser.parse_selector` (it builds on this
  module, so it is not re-exported here). Label key/value and LabelSelector validation live in
  `label_validation`; the names other modules import from here are re-exported (`__all__`).
Pure data: no I/O, no module state besides constants.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.label_validation import (
    is_dns1123_subdomain,
    is_label_key,
    is_label_value,
    max_len_error,
    regex_error,
    validate_label_name,
    validate_label_selector,
    validate_labels,
)

__all__ = [
    "DOES_NOT_EXIST",
    "DOUBLE_EQUALS",
    "EQUALS",
    "EVERYTHING",
    "EXISTS",
    "GREATER_THAN",
    "IN",
    "LESS_THAN",
    "NOTHING",
    "NOT_EQUALS",
    "NOT_IN",
    "Requirement",
    "Selector",
    "aggregate_message",
    "format_label_selector",
    "format_labels",
    "is_dns1123_subdomain",
    "is_label_key",
    "is_label_value",
    "max_len_error",
    "new_requirement",
    "regex_error",
    "requirement_errors",
    "selector_from_label_selector",
    "selector_from_set",
    "validate_label_name",
    "validate_label_selector",
    "validate_labels",
]

# selection.Operator values.
DOES_NOT_EXIST = "!"
EQUALS = "="
DOUBLE_EQUALS = "=="
IN = "in"
NOT_EQUALS = "!="
NOT_IN = "notin"
EXISTS = "exists"
GREATER_THAN = "gt"
LESS_THAN = "lt"

_BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)
_VALID_OPERATORS = (*_BINARY_OPERATORS, EXISTS, DOES_NOT_EXIST)

# ---------------------------------------------------------------------------
# Requirements


def _child(path: str | None, name: str) -> str:
    # field.Path.Child on a nil path starts a new root.
    return f"{path}.{name}" if path else name


def aggregate_message(errs: Sequence[FieldError]) -> str:
    """utilerrors.Aggregate.Error(): one message, or `[a, b]` with duplicates dropped."""
    msgs = list(dict.fromkeys(e.message() for e in errs))
    return msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"


def _parse_int64(text: str) -> int | None:
    if re.fullmatch(r"[+-]?[0-9]+", text) is None:
        return None
    n = int(text)
    return n if -(2**63) <= n < 2**63 else None


@dataclass(frozen=True, slots=True)
class Requirement:
    """One `key op values` term; build it with `new_requirement` to get validation."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op in (IN, EQUALS, DOUBLE_EQUALS):
            return self.key in labels and labels[self.key] in self.values
        if op in (NOT_IN, NOT_EQUALS):
            return self.key not in labels or labels[self.key] not in self.values
        if op == EXISTS:
            return self.key in labels
        if op == DOES_NOT_EXIST:
            return self.key not in labels
        if op in (GREATER_THAN, LESS_THAN):
            if self.key not in labels or len(self.values) != 1:
                return False
            have, want = _parse_int64(labels[self.key]), _parse_int64(self.values[0])
            if have is None or want is None:
                return False
            return have > want if op == GREATER_THAN else have < want
        return False

    def __str__(self) -> str:
        op = self.operator
        head = ("!" if op == DOES_NOT_EXIST else "") + self.key
        if op in (EXISTS, DOES_NOT_EXIST):
            return head
        sep = {IN: " in ", NOT_IN: " notin ", GREATER_THAN: ">", LESS_THAN: "<"}.get(op, op)
        # Go sorts the values on output only, leaving the requirement untouched.
        vals = ",".join(sorted(self.values))
        if op in (IN, NOT_IN):
            vals = f"({vals})"
        return head + sep + vals


def requirement_errors(
    key: str, operator: str, values: Sequence[str], path: str | None = None
) -> list[FieldError]:
    """The field errors labels.NewRequirement reports (empty when the requirement is valid)."""
    errs: list[FieldError] = []
    key_errs = is_label_key(key)
    if key_errs:
        errs.append(errors.invalid(_child(path, "key"), key, "; ".join(key_errs)))
    values_path = _child(path, "values")
    vals = list(values)
    if operator in (IN, NOT_IN):
        if not vals:
            errs.append(
                errors.invalid(
                    values_path, vals, "for 'in', 'notin' operators, values set can't be empty"
                )
            )
    elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(vals) != 1:
            errs.append(
                errors.invalid(
                    values_path, vals, "exact-match compatibility requires one single value"
                )
            )
    elif operator in (EXISTS, DOES_NOT_EXIST):
        if vals:
            errs.append(
                errors.invalid(
                    values_path, vals, "values set must be empty for exists and does not exist"
                )
            )
    elif operator in (GREATER_THAN, LESS_THAN):
        if len(vals) != 1:
            errs.append(
                errors.invalid(
                    values_path, vals, "for 'Gt', 'Lt' operators, exactly one value is required"
                )
            )
        for i, v in enumerate(vals):
            if _parse_int64(v) is None:
                errs.append(
                    errors.invalid(
                        f"{values_path}[{i}]",
                        v,
                        "for 'Gt', 'Lt' operators, the value must be an integer",
                    )
                )
    else:
        errs.append(errors.not_supported(_child(path, "operator"), operator, _VALID_OPERATORS))
    for i, v in enumerate(vals):
        value_errs = is_label_value(v)
        if value_errs:
            errs.append(errors.invalid(f"{values_path}[{i}][{key}]", v, "; ".join(value_errs)))
    return errs


def new_requirement(
    key: str, operator: str, values: Iterable[str] = (), path: str | None = None
) -> Requirement:
    """labels.NewRequirement: raises ValueError with the aggregated field errors."""
    vals = tuple(values)
    errs = requirement_errors(key, operator, vals, path)
    if errs:
        raise ValueError(aggregate_message(errs))
    return Requirement(key, operator, vals)


# ---------------------------------------------------------------------------
# Selectors


class Selector:
    """An AND of requirements (labels.Selector). Immutable; build with the functions below."""

    __slots__ = ("_equalities", "_nothing", "requirements")

    def __init__(self, requirements: Iterable[Requirement] = (), *, nothing: bool = False) -> None:
        # Stable sort by key, as Go's parser and Add sort requirements.
        self.requirements: tuple[Requirement, ...] = tuple(
            sorted(requirements, key=lambda r: r.key)
        )
        self._nothing = nothing
        # The usual selector (matchLabels) is only `key = value` requirements: matched as
        # plain lookups, it is checked per pod on every controller sync.
        self._equalities: tuple[tuple[str, str], ...] | None = None
        if all(
            r.operator in (EQUALS, DOUBLE_EQUALS, IN) and len(r.values) == 1
            for r in self.requirements
        ):
            self._equalities = tuple((r.key, r.values[0]) for r in self.requirements)

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict anything (matches everything)."""
        return not self._nothing and not self.requirements

    @property
    def matches_nothing(self) -> bool:
        return self._nothing

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self._nothing:
            return False
        ls = labels or {}
        # Loops, not all(genexpr): this runs per pod per controller sync.
        if self._equalities is not None:
            for key, value in self._equalities:  # noqa: SIM110
                if ls.get(key) != value:
                    return False
            return True
        for r in self.requirements:  # noqa: SIM110
            if not r.matches(ls):
                return False
        return True

    def add(self, *requirements: Requirement) -> Selector:
        if self._nothing:
            return self
        return Selector((*self.requirements, *requirements))

    def requires_exact_match(self, label: str) -> str | None:
        """The single value `label` must have, if the selector pins one (else None)."""
        for r in self.requirements:
            if r.key == label:
                if r.operator in (EQUALS, DOUBLE_EQUALS, IN) and len(r.values) == 1:
                    return r.values[0]
                return None
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return "Selector(<nothing>)" if self._nothing else f"Selector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Selector)
            and other._nothing == self._nothing
            and other.requirements == self.requirements
        )

    def __hash__(self) -> int:
        return hash((self._nothing, self.requirements))


EVERYTHING = Selector()
NOTHING = Selector(nothing=True)


def selector_from_set(labels: Mapping[str, str] | None) -> Selector:
    """labels.SelectorFromSet: `k=v` for each pair, without validation; empty -> everything."""
    if not labels:
        return EVERYTHING
    return Selector(Requirement(k, EQUALS, (v,)) for k, v in labels.items())


def format_labels(labels: Mapping[str, str] | None) -> str:
    """labels.FormatLabels: sorted `k=v` pairs, or `<none>`."""
    pairs = labels or {}
    text = ",".join(f"{k}={pairs[k]}" for k in sorted(pairs))
    return text or "<none>"


_OP_FROM_SELECTOR_OP = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


def selector_from_label_selector(selector: Mapping[str, Any] | None) -> Selector:
    """metav1.LabelSelectorAsSelector: None -> NOTHING, {} -> EVERYTHING; ValueError if invalid."""
    if selector is None:
        return NOTHING
    match_labels: Mapping[str, str] = selector.get("matchLabels") or {}
    match_expressions: Sequence[Mapping[str, Any]] = selector.get("matchExpressions") or []
    if not match_labels and not match_expressions:
        return EVERYTHING
    reqs = [new_requirement(k, EQUALS, (v,)) for k, v in match_labels.items()]
    for expr in match_expressions:
        op = _OP_FROM_SELECTOR_OP.get(expr.get("operator", ""))
        if op is None:
            raise ValueError(
                f"{errors.go_value(expr.get('operator', ''))} is not a valid label selector operator"
            )
        reqs.append(new_requirement(expr.get("key", ""), op, expr.get("values") or ()))
    return Selector(reqs)


def format_label_selector(selector: Mapping[str, Any] | None) -> str:
    """metav1.FormatLabelSelector: the selector's string, `<none>` if empty, `<error>` if invalid."""
    try:
        text = str(selector_from_label_selector(selector))
    except ValueError:
        return "<error>"
    return text or "<none>"
