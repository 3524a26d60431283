"""Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion), as the kubelet applies it
to env values, command, args and subPathExpr.

Invariants:
- `$(NAME)` is replaced by the mapping's value for NAME; a name the mapping does not know is left
  as written (`mapping_func_for` returns `$(NAME)` for it).
- `$$` is an escaped `$`: `$$(VAR)` yields the literal `$(VAR)`, `$$` yields `$`.
- A `$` before anything else (`$VAR`, `${VAR}`, `$?`) and a `$` at the very end pass through.
- An unterminated `$(` is kept as written and scanning resumes right after the `(`, so
  `$(A$(B)` stays as it is (the name `A$(B` is looked up, and unknown names pass through).
- There is no recursion: a substituted value is never expanded again.
Pure functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

MappingFunc = Callable[[str], str]

_OPERATOR = "$"
_OPENER = "("
_CLOSER = ")"


def syntax_wrap(name: str) -> str:
    """The reference as written: `$(name)`."""
    return f"{_OPERATOR}{_OPENER}{name}{_CLOSER}"


def mapping_func_for(*contexts: Mapping[str, str]) -> MappingFunc:
    """MappingFuncFor: the first context that defines a name wins; unknown names stay `$(name)`."""

    def mapping(name: str) -> str:
        for context in contexts:
            if name in context:
                return context[name]
        return syntax_wrap(name)

    return mapping


def expand(text: str, mapping: MappingFunc) -> str:
    """Expand: replace every `$(NAME)` in `text` through `mapping`, honouring `$$` escapes."""
    if _OPERATOR not in text:
        return text
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    n = len(text)
    while cursor < n:
        if text[cursor] == _OPERATOR and cursor + 1 < n:
            out.append(text[checkpoint:cursor])
            read, is_var, advance = _try_read_variable_name(text, cursor + 1)
            out.append(mapping(read) if is_var else read)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    out.append(text[checkpoint:])
    return "".join(out)


def _try_read_variable_name(text: str, start: int) -> tuple[str, bool, int]:
    """What follows a `$` at `start - 1`: (text to emit or name, is a name, characters consumed)."""
    first = text[start]
    if first == _OPERATOR:
        return _OPERATOR, False, 1  # "$$" escapes to a single "$"
    if first == _OPENER:
        close = text.find(_CLOSER, start + 1)
        if close >= 0:
            return text[start + 1 : close], True, close - start + 1
        # Unterminated: emit "$(" and keep scanning after the opener.
        return _OPERATOR + _OPENER, False, 1
    return _OPERATOR + first, False, 1


def env_map(env: list[tuple[str, str]]) -> dict[str, str]:
    """envVarsToMap: a later duplicate name wins."""
    return dict(env)
