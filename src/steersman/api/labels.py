"""Label selectors, parsed and matched exactly as apimachinery's `labels` package does.

Invariants:
- `parse_selector` accepts precisely the grammar of `labels.Parse` (equality `a=b`, `a==b`,
  `a!=b`; set-based `a in (x,y)`, `a notin (x)`, `a`, `!a`; `a>1`, `a<1`), comma-joined, and
  raises `ValueError` whose text is the error apimachinery returns (the API server answers it
  verbatim as a 400 BadRequest).
- A parsed `Selector` keeps its requirements sorted by key (as Go does), so `str()` is
  deterministic and equals Go's `Selector.String()`.
- `Selector.empty` is True only for the match-everything selector; `NOTHING` matches no labels.
- Validation helpers word their messages as apimachinery's `validation` package.
Pure data: no I/O, no module state besides constants.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError

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
# apimachinery validation wording (util/validation and api/validate/content)

_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY_ERR = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT = "(" + _LABEL_KEY_FMT + ")?"
_LABEL_VALUE_ERR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character"
)
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_ERR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character"
)
_LABEL_KEY_RE = re.compile("^" + _LABEL_KEY_FMT + "$")
_DNS1123_SUBDOMAIN_RE = re.compile("^" + _DNS1123_SUBDOMAIN_FMT + "$")
LABEL_KEY_MAX_LENGTH = 63
LABEL_VALUE_MAX_LENGTH = 63
DNS1123_SUBDOMAIN_MAX_LENGTH = 253


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """validation.RegexError: the message, examples and the regex (note Go's double spaces)."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def is_dns1123_subdomain(value: str) -> list[str]:
    errs: list[str] = []
    if len(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if _DNS1123_SUBDOMAIN_RE.fullmatch(value) is None:
        errs.append(regex_error(_DNS1123_SUBDOMAIN_ERR, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_label_key(value: str) -> list[str]:
    """content.IsLabelKey (a.k.a. IsQualifiedName): an optional DNS-subdomain prefix and a name."""
    errs: list[str] = []
    prefix, slash, suffix = value.partition("/")
    if not slash:
        name = value
    elif "/" in suffix:
        return [
            "a valid label key "
            + regex_error(_LABEL_KEY_ERR, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    else:
        name = suffix
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > LABEL_KEY_MAX_LENGTH:
        errs.append("name part " + max_len_error(LABEL_KEY_MAX_LENGTH))
    if _LABEL_KEY_RE.fullmatch(name) is None:
        errs.append(
            "name part "
            + regex_error(_LABEL_KEY_ERR, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
        )
    return errs


def is_label_value(value: str) -> list[str]:
    """validation.IsValidLabelValue."""
    errs: list[str] = []
    if len(value) > LABEL_VALUE_MAX_LENGTH:
        errs.append(max_len_error(LABEL_VALUE_MAX_LENGTH))
    if value and _LABEL_KEY_RE.fullmatch(value) is None:
        errs.append(regex_error(_LABEL_VALUE_ERR, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


# ---------------------------------------------------------------------------
# Requirements


def _child(path: str | None, name: str) -> str:
    # field.Path.Child on a nil path starts a new root.
    return f"{path}.{name}" if path else name


def _path_text(path: str | None) -> str:
    # field.Path.String() of a nil path.
    return "<nil>" if path is None else path


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


# ---------------------------------------------------------------------------
# Validation of metav1.LabelSelector (apimachinery/pkg/apis/meta/v1/validation)


def validate_label_name(name: str, path: str) -> list[FieldError]:
    return [errors.invalid(path, name, msg) for msg in is_label_key(name)]


def validate_labels(labels: Mapping[str, str] | None, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for k, v in (labels or {}).items():
        out.extend(validate_label_name(k, path))
        out.extend(errors.invalid(path, v, msg) for msg in is_label_value(v))
    return out


def validate_label_selector(
    selector: Mapping[str, Any] | None,
    path: str,
    *,
    allow_invalid_label_value_in_selector: bool = False,
) -> list[FieldError]:
    """ValidateLabelSelector: matchLabels, then each matchExpressions[i]."""
    if selector is None:
        return []
    out = validate_labels(selector.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        out.extend(
            _validate_requirement(
                expr, f"{path}.matchExpressions[{i}]", allow_invalid_label_value_in_selector
            )
        )
    return out


def _validate_requirement(
    expr: Mapping[str, Any], path: str, allow_invalid_values: bool
) -> list[FieldError]:
    out: list[FieldError] = []
    op = expr.get("operator", "")
    values: list[str] = list(expr.get("values") or [])
    if op in ("In", "NotIn"):
        if not values:
            out.append(
                errors.required(
                    f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'"
                )
            )
    elif op in ("Exists", "DoesNotExist"):
        if values:
            out.append(
                errors.forbidden(
                    f"{path}.values",
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
    else:
        out.append(errors.invalid(f"{path}.operator", op, "not a valid selector operator"))
    out.extend(validate_label_name(expr.get("key", ""), f"{path}.key"))
    if not allow_invalid_values:
        for i, v in enumerate(values):
            out.extend(errors.invalid(f"{path}.values[{i}]", v, msg) for msg in is_label_value(v))
    return out


# ---------------------------------------------------------------------------
# The parser: a port of labels.Lexer/Parser, token for token, so errors read the same.

_ERROR, _EOS, _CLOSE, _COMMA, _NOT, _DEQ, _EQ, _GT, _IDENT, _IN, _LT, _NEQ, _NOTIN, _OPEN = range(
    14
)
_STRING_TO_TOKEN = {
    ")": _CLOSE,
    ",": _COMMA,
    "!": _NOT,
    "==": _DEQ,
    "=": _EQ,
    ">": _GT,
    "in": _IN,
    "<": _LT,
    "!=": _NEQ,
    "notin": _NOTIN,
    "(": _OPEN,
}
_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")


def _lex(s: str) -> list[tuple[int, str]]:
    items: list[tuple[int, str]] = []
    pos, end = 0, len(s)
    while True:
        while pos < end and s[pos] in _WHITESPACE:
            pos += 1
        if pos >= end:
            items.append((_EOS, ""))
            return items
        if s[pos] in _SPECIAL:
            # Longest run of special symbols that still forms a token ("!=" but not "=(").
            buf, last, last_end = "", None, pos
            i = pos
            while i < end and s[i] in _SPECIAL:
                buf += s[i]
                i += 1
                if buf in _STRING_TO_TOKEN:
                    last, last_end = _STRING_TO_TOKEN[buf], i
                elif last is not None:
                    break
            if last is None:
                items.append((_ERROR, f"error expected: keyword found '{buf}'"))
                pos = i
            else:
                items.append((last, s[pos:last_end]))
                pos = last_end
            continue
        start = pos
        while pos < end and s[pos] not in _SPECIAL and s[pos] not in _WHITESPACE:
            pos += 1
        word = s[start:pos]
        items.append((_STRING_TO_TOKEN.get(word, _IDENT), word))


class _Parser:
    def __init__(self, s: str) -> None:
        self.items = _lex(s)
        self.pos = 0

    def _values_context(self, tok: int) -> int:
        # In value position "in" and "notin" are ordinary identifiers.
        return _IDENT if tok in (_IN, _NOTIN) else tok

    def lookahead(self, values: bool = True) -> tuple[int, str]:
        tok, lit = self.items[self.pos]
        return (self._values_context(tok) if values else tok), lit

    def consume(self, values: bool = True) -> tuple[int, str]:
        tok, lit = self.items[self.pos]
        self.pos += 1
        return (self._values_context(tok) if values else tok), lit

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok in (_IDENT, _NOT):
                try:
                    reqs.append(self.parse_requirement())
                except ValueError as exc:
                    raise ValueError(f"unable to parse requirement: {exc}") from None
                t, lit2 = self.consume()
                if t == _EOS:
                    return reqs
                if t == _COMMA:
                    t2, lit3 = self.lookahead()
                    if t2 not in (_IDENT, _NOT):
                        raise ValueError(f"found '{lit3}', expected: identifier after ','")
                else:
                    raise ValueError(f"found '{lit2}', expected: ',' or 'end of string'")
            elif tok == _EOS:
                return reqs
            else:
                raise ValueError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def parse_requirement(self) -> Requirement:
        key, op = self.parse_key_and_infer_operator()
        if op in (EXISTS, DOES_NOT_EXIST):
            return new_requirement(key, op, ())
        op = self.parse_operator()
        values = self.parse_values() if op in (IN, NOT_IN) else self.parse_exact_value()
        return new_requirement(key, op, sorted(values))

    def parse_key_and_infer_operator(self) -> tuple[str, str]:
        op = ""
        tok, lit = self.consume()
        if tok == _NOT:
            op = DOES_NOT_EXIST
            tok, lit = self.consume()
        if tok != _IDENT:
            raise ValueError(f"found '{lit}', expected: identifier")
        key_errs = is_label_key(lit)
        if key_errs:
            # Go validates the key against the parser's nil path here.
            raise ValueError(errors.invalid(_path_text(None), lit, "; ".join(key_errs)).message())
        if self.lookahead()[0] in (_EOS, _COMMA) and op != DOES_NOT_EXIST:
            op = EXISTS
        return lit, op

    def parse_operator(self) -> str:
        tok, lit = self.consume(values=False)
        ops = {
            _IN: IN,
            _EQ: EQUALS,
            _DEQ: DOUBLE_EQUALS,
            _GT: GREATER_THAN,
            _LT: LESS_THAN,
            _NOTIN: NOT_IN,
            _NEQ: NOT_EQUALS,
        }
        if tok not in ops:
            raise ValueError(f"found '{lit}', expected: {', '.join(_BINARY_OPERATORS)}")
        return ops[tok]

    def parse_values(self) -> set[str]:
        tok, lit = self.consume()
        if tok != _OPEN:
            raise ValueError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok in (_IDENT, _COMMA):
            values = self.parse_identifiers_list()
            if self.consume()[0] != _CLOSE:
                raise ValueError(f"found '{lit}', expected: ')'")
            return values
        if tok == _CLOSE:
            self.consume()
            return {""}
        raise ValueError(f"found '{lit}', expected: ',', ')' or identifier")

    def parse_identifiers_list(self) -> set[str]:
        values: set[str] = set()
        while True:
            tok, lit = self.consume()
            if tok == _IDENT:
                values.add(lit)
                tok2, lit2 = self.lookahead()
                if tok2 == _COMMA:
                    continue
                if tok2 == _CLOSE:
                    return values
                raise ValueError(f"found '{lit2}', expected: ',' or ')'")
            if tok == _COMMA:
                if not values:
                    values.add("")  # "(,"
                tok2 = self.lookahead()[0]
                if tok2 == _CLOSE:
                    values.add("")  # ",)"
                    return values
                if tok2 == _COMMA:
                    values.add("")  # ",,"
                continue
            raise ValueError(f"found '{lit}', expected: ',', or identifier")

    def parse_exact_value(self) -> set[str]:
        if self.lookahead()[0] in (_EOS, _COMMA):
            return {""}
        tok, lit = self.consume()
        if tok == _IDENT:
            return {lit}
        raise ValueError(f"found '{lit}', expected: identifier")


def parse_selector(s: str) -> Selector:
    """labels.Parse. Raises ValueError with apimachinery's message on bad syntax or values."""
    return Selector(_Parser(s).parse())
