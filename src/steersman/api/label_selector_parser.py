"""The label selector string parser: a port of apimachinery's `labels.Lexer`/`labels.Parser`.

Invariants:
- `parse_selector` accepts precisely the grammar of `labels.Parse` (equality `a=b`, `a==b`,
  `a!=b`; set-based `a in (x,y)`, `a notin (x)`, `a`, `!a`; `a>1`, `a<1`), comma-joined, and
  raises `ValueError` whose text is the error apimachinery returns (the API server answers it
  verbatim as a 400 BadRequest).
- Every requirement is built by `labels.new_requirement`, so a parsed `Selector` holds only
  valid requirements, each with its values sorted.
- The parser builds on `labels` (which therefore cannot re-export `parse_selector`).
Pure data: no I/O.
"""

from __future__ import annotations

from steersman.api import errors
from steersman.api.label_validation import is_label_key
from steersman.api.labels import (
    _BINARY_OPERATORS,
    DOES_NOT_EXIST,
    DOUBLE_EQUALS,
    EQUALS,
    EXISTS,
    GREATER_THAN,
    IN,
    LESS_THAN,
    NOT_EQUALS,
    NOT_IN,
    Requirement,
    Selector,
    new_requirement,
)

# ---------------------------------------------------------------------------
# The parser: a port of labels.Lexer/Parser, token for token, so errors read the same.


def _path_text(path: str | None) -> str:
    # field.Path.String() of a nil path.
    return "<nil>" if path is None else path


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
