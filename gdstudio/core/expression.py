"""Safe parser for typed functions: text -> whitelisted Python AST -> sympy.

The text a person types (``(1 - x)^2 + 100*(y - x^2)^2``) is never evaluated. It is
length-checked, checked textually for deep nesting, parsed with ``ast.parse`` (which only
builds a syntax tree), checked node by node against a whitelist, and turned into a sympy
expression by our own walker, which creates sympy objects (``Symbol``, ``sin``, ``Integer``,
...) directly. Raw text never reaches ``eval``, ``exec``, ``compile``, ``sympify`` or
``parse_expr``.

Syntax (see ``docs/syntax.md``): ``+ - * / **``, ``^`` as a synonym of ``**``, unary minus,
parentheses, numbers (``2``, ``.5``, ``1e-3``), the constants ``pi`` and ``e`` and a fixed set
of functions (``FUNCTIONS``). Implicit multiplication (``2x``) is not supported.

Pathological input is refused quickly with a clear sentence instead of being computed:
very long text, deep nesting, too many parts, constant powers whose value would be
astronomically large (``9^9^9^9``), and huge integer exponents (``(x+y)^100000``).
Expressions are never expanded.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import functools
import keyword
import math
import re
import time
import warnings
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import sympy

__all__ = [
    "ExpressionError",
    "ParsedExpression",
    "parse_expression",
    "make_symbol",
    "FUNCTIONS",
    "CONSTANTS",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_EXPONENT",
    "BUDGET_SECONDS",
    "budget",
    "check_budget",
]

#: longest text accepted, in characters
MAX_LENGTH = 10_000
#: deepest nesting accepted (parentheses, function calls, powers, unary signs)
MAX_DEPTH = 100
#: most syntax-tree nodes (numbers, names, operations, calls) accepted
MAX_NODES = 2_000
#: largest integer exponent accepted on a non-trivial base
MAX_EXPONENT = 1_000
#: largest magnitude of a constant accepted (10**MAX_LOG10)
MAX_LOG10 = 300


#: seconds each phase a typed text goes through may take before it is refused
BUDGET_SECONDS = {"parse": 5.0, "differentiate": 10.0, "compile": 10.0}

_budget: "contextvars.ContextVar[Optional[tuple[float, str, float]]]" = contextvars.ContextVar(
    "gdstudio_budget", default=None
)


#: the budget counts the CPU time of the thread doing the work: the same text gets the same
#: answer on a busy machine (wall-clock budgets refused ordinary text at a load of 13 on 2
#: cores) and in a background thread
_clock = time.thread_time


@contextlib.contextmanager
def budget(phase: str):
    """Run one phase (``parse``, ``differentiate``, ``compile``) under its time budget
    (:data:`BUDGET_SECONDS`): :func:`check_budget`, called between the small steps of the
    work, raises :class:`ExpressionError` once it is spent. Phases nest; the innermost one
    counts."""
    seconds = BUDGET_SECONDS[phase]
    token = _budget.set((_clock() + seconds, phase, seconds))
    try:
        yield
    finally:
        _budget.reset(token)


def check_budget() -> None:
    """Raise :class:`ExpressionError` if the current phase's budget is spent."""
    current = _budget.get()
    if current is not None and _clock() > current[0]:
        _, phase, seconds = current
        raise ExpressionError(
            f"this function is too large to {phase} in reasonable time (more than "
            f"{seconds:g} s); simplify it or split it into smaller parts"
        )


class ExpressionError(ValueError):
    """A typed expression could not be accepted.

    ``message`` names the problem, ``column`` is the 1-based column in the text the person
    typed (or ``None``), ``hint`` an optional suggestion. ``str(err)`` is one sentence, e.g.
    ``unknown name 'z' at column 7``.
    """

    def __init__(self, message: str, column: Optional[int] = None, hint: str = ""):
        self.message = message
        self.column = column
        self.hint = hint
        super().__init__(self._sentence())

    def _sentence(self) -> str:
        text = self.message
        if self.column is not None:
            text += f" at column {self.column}"
        if self.hint:
            text += f"; {self.hint}"
        return text

    def __str__(self) -> str:
        return self._sentence()


@dataclass(frozen=True)
class ParsedExpression:
    """The result of :func:`parse_expression`."""

    #: the text as typed
    text: str
    #: the sympy expression (variables and parameters are real ``Symbol`` objects)
    expr: sympy.Expr
    #: the variable names, as given to :func:`parse_expression`
    variables: tuple[str, ...]
    #: sorted names that are neither variables nor constants/functions (only when allowed)
    parameters: tuple[str, ...] = ()

    def symbol(self, name: str) -> sympy.Symbol:
        """The sympy symbol used for a variable or parameter name."""
        return make_symbol(name)

    @property
    def variable_symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(make_symbol(n) for n in self.variables)

    @property
    def parameter_symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(make_symbol(n) for n in self.parameters)


def make_symbol(name: str) -> sympy.Symbol:
    """The symbol the parser uses for ``name``: real, so that ``abs`` differentiates to
    ``sign`` rather than into complex parts. Use it to build expressions that must combine
    with parsed ones."""
    return sympy.Symbol(name, real=True)


# -- functions and constants ---------------------------------------------------------------


def _cbrt(a):
    # real cube root (sympy's cbrt is the principal, complex, root for negative numbers)
    return sympy.sign(a) * sympy.Abs(a) ** sympy.Rational(1, 3)


def _log(a, base=None):
    if base is None:
        return sympy.log(a)
    return sympy.log(a) / sympy.log(base)


def _sigmoid(a):
    return 1 / (1 + sympy.exp(-a))


def _min_max(cls):
    def build(*args):
        # sympy compares every pair of arguments when it builds Min/Max (with assumption
        # queries: 20 arguments took 6 s); only numbers are folded
        if all(a.is_Number for a in args):
            return cls(*args)
        return cls(*args, evaluate=False)

    return build


# name -> (min args, max args (None: any), builder taking sympy args). pow and hypot are
# built by the walker itself because they need the checked power.
_FUNCTION_TABLE: dict[str, tuple[int, Optional[int], Optional[Callable]]] = {
    "sin": (1, 1, sympy.sin),
    "cos": (1, 1, sympy.cos),
    "tan": (1, 1, sympy.tan),
    "cot": (1, 1, sympy.cot),
    "sec": (1, 1, sympy.sec),
    "csc": (1, 1, sympy.csc),
    "arcsin": (1, 1, sympy.asin),
    "arccos": (1, 1, sympy.acos),
    "arctan": (1, 1, sympy.atan),
    "asin": (1, 1, sympy.asin),
    "acos": (1, 1, sympy.acos),
    "atan": (1, 1, sympy.atan),
    "arctan2": (2, 2, sympy.atan2),
    "atan2": (2, 2, sympy.atan2),
    "sinh": (1, 1, sympy.sinh),
    "cosh": (1, 1, sympy.cosh),
    "tanh": (1, 1, sympy.tanh),
    "arcsinh": (1, 1, sympy.asinh),
    "arccosh": (1, 1, sympy.acosh),
    "arctanh": (1, 1, sympy.atanh),
    "asinh": (1, 1, sympy.asinh),
    "acosh": (1, 1, sympy.acosh),
    "atanh": (1, 1, sympy.atanh),
    "exp": (1, 1, sympy.exp),
    "log": (1, 2, _log),
    "ln": (1, 1, sympy.log),
    "log10": (1, 1, lambda a: sympy.log(a) / sympy.log(10)),
    "log2": (1, 1, lambda a: sympy.log(a) / sympy.log(2)),
    "sqrt": (1, 1, sympy.sqrt),
    "cbrt": (1, 1, _cbrt),
    "abs": (1, 1, sympy.Abs),
    "sign": (1, 1, sympy.sign),
    "min": (2, None, _min_max(sympy.Min)),
    "max": (2, None, _min_max(sympy.Max)),
    "sigmoid": (1, 1, _sigmoid),
    "pow": (2, 2, None),
    "hypot": (2, 2, None),
}

#: the function names the syntax accepts
FUNCTIONS: frozenset[str] = frozenset(_FUNCTION_TABLE)
#: the constant names the syntax accepts (a variable of the same name hides the constant)
CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "e": sympy.E}

# -- text helpers ------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
   |(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
   |(?P<name>[^\W\d]\w*)
   |(?P<op>\*\*|//|<=|>=|==|!=|:=|[-+*/^(),.%@<>=!\[\]{}:;~&|])
   |(?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_BINARY = {"+", "-", "*", "/", "**", "^"}
_WHITESPACE = str.maketrans({c: " " for c in "\t\n\r\f\v"})


def _fmt_int(n: int) -> str:
    return f"{n:,}"


def _short(v) -> str:
    """A number written briefly (1e+300 rather than 301 digits)."""
    if isinstance(v, sympy.Integer) and abs(v) < 10**15:
        return str(int(v))
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return sympy.sstr(v)[:20]
    if f == int(f) and abs(f) < 1e15:
        return str(int(f))
    return f"{f:.6g}"


class _Columns:
    """Maps offsets in the text given to ``ast.parse`` (``^`` replaced by ``**``) back to
    1-based columns of the original text. ``ast`` reports UTF-8 byte offsets."""

    def __init__(self, original: str):
        parts: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(original):
            if ch == "^":
                parts.append("**")
                origin.extend((i, i))
            else:
                parts.append(ch)
                origin.append(i)
        origin.append(len(original))
        full = "".join(parts).translate(_WHITESPACE)
        #: the text given to ast.parse (leading blanks removed: they mean indentation)
        self.text = full.lstrip(" ")
        self._lead = len(full) - len(self.text)
        self._origin = origin
        self._ascii = self.text.isascii()
        self._char_of_byte: Optional[list[int]] = None

    def column(self, byte_offset: Optional[int]) -> Optional[int]:
        if byte_offset is None:
            return None
        if self._ascii:
            index = byte_offset
        else:
            if self._char_of_byte is None:
                table = []
                for i, ch in enumerate(self.text):
                    table.extend([i] * len(ch.encode("utf-8")))
                table.append(len(self.text))
                self._char_of_byte = table
            index = self._char_of_byte[min(max(byte_offset, 0), len(self._char_of_byte) - 1)]
        index = min(max(index + self._lead, 0), len(self._origin) - 1)
        return self._origin[index] + 1

    def node(self, node: ast.AST) -> Optional[int]:
        return self.column(getattr(node, "col_offset", None))

    def next_char(self, byte_offset: Optional[int], char: str) -> Optional[int]:
        """Column of the first ``char`` at or after ``byte_offset``."""
        if byte_offset is None:
            return None
        raw = self.text.encode("utf-8")
        i = raw.find(char.encode(), byte_offset)
        return self.column(i if i >= 0 else byte_offset)

    def operator(self, node: ast.BinOp) -> Optional[int]:
        """Column of a binary operator: the first non-blank after the left operand (skipping
        closing parentheses)."""
        start = getattr(node.left, "end_col_offset", None)
        if start is None:
            return self.node(node)
        raw = self.text.encode("utf-8")
        i = start
        while i < len(raw) and raw[i : i + 1] in (b" ", b")"):
            i += 1
        return self.column(i)


def _check_nesting(text: str) -> None:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExpressionError(
                    f"the expression is nested too deeply (more than {MAX_DEPTH} levels of "
                    "parentheses)",
                    i + 1,
                )
        elif ch in ")]}":
            depth -= 1


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, 1-based column) for every non-blank token."""
    out = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(), m.start() + 1))
    return out


def _diagnose(text: str, tokens: list[tuple[str, str, int]]) -> Optional[ExpressionError]:
    """Explain a syntax error in our own terms by scanning the tokens with the (small)
    grammar of the syntax. Returns None when nothing specific was found."""
    expect_operand = True
    opens: list[int] = []
    prev: Optional[tuple[str, str, int]] = None
    for kind, tok, col in tokens:
        if kind == "other":
            return ExpressionError(f"unexpected character {tok!r}", col)
        if kind == "name" and keyword.iskeyword(tok):
            return ExpressionError(f"the Python keyword '{tok}' is not allowed", col)
        if expect_operand:
            if kind in ("number", "name"):
                expect_operand = False
            elif tok == "(":
                opens.append(col)
            elif tok in ("+", "-"):
                pass
            elif tok == ")" and prev is not None and prev[1] == "(" and len(opens) >= 1:
                opens.pop()
                expect_operand = False
            else:
                return ExpressionError(f"unexpected '{tok}'", col)
        else:
            if kind in ("number", "name"):
                a, b = prev[1], tok
                return ExpressionError(
                    f"missing operator between '{a}' and '{b}'", col, f"write {a}*{b}"
                )
            if tok in _BINARY:
                expect_operand = True
            elif tok == ")":
                if not opens:
                    return ExpressionError("unexpected ')'", col)
                opens.pop()
            elif tok == ",":
                if not opens:
                    return ExpressionError("unexpected ','", col)
                expect_operand = True
            elif tok == "(":
                if prev[0] == "name":
                    opens.append(col)
                    expect_operand = True
                else:
                    a = prev[1]
                    return ExpressionError(
                        f"missing operator between '{a}' and '('", col, f"write {a}*(...)"
                    )
            else:
                return ExpressionError(f"unexpected '{tok}'", col)
        prev = (kind, tok, col)
    if expect_operand and prev is not None:
        # the column of the dangling operator, so the editor's caret points at it
        return ExpressionError(f"the expression ends unexpectedly after '{prev[1]}'", prev[2])
    if opens:
        return ExpressionError("missing ')' for the '(' opened", opens[-1])
    return None


# -- the walker --------------------------------------------------------------------------------

_DISALLOWED = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "indexing with [...] is not allowed",
    ast.Slice: "slices are not allowed",
    ast.Lambda: "'lambda' is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Compare: "comparisons such as '<' or '==' are not allowed",
    ast.BoolOp: "'and' and 'or' are not allowed",
    ast.IfExp: "'if ... else' is not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.Tuple: "tuples (values separated by commas) are not allowed",
    ast.List: "lists [...] are not allowed",
    ast.Set: "sets {...} are not allowed",
    ast.Dict: "dictionaries {...} are not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}

_BINOPS_DISALLOWED = {
    ast.FloorDiv: "'//' is not allowed (use '/')",
    ast.Mod: "'%' is not allowed",
    ast.MatMult: "'@' is not allowed",
    ast.BitOr: "'|' is not allowed",
    ast.BitAnd: "'&' is not allowed",
    ast.BitXor: "'^' is not allowed",
    ast.LShift: "'<<' is not allowed",
    ast.RShift: "'>>' is not allowed",
}

_FAMILY = {ast.Add: "add", ast.Sub: "add", ast.Mult: "mul", ast.Div: "mul"}
#: functions that overflow a float on moderate constant arguments (checked before sympy
#: builds them)
_GROWING = {"exp": sympy.exp, "sinh": sympy.sinh, "cosh": sympy.cosh}
#: largest magnitude of a constant part (as for literal numbers)
_FLOAT_LIMIT = 10.0**MAX_LOG10
_BAD_VALUES = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
_LIMIT = sympy.Integer(10) ** MAX_LOG10


def _family(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.BinOp):
        return _FAMILY.get(type(node.op))
    return None


def _check_depth(tree: ast.AST, cols: _Columns) -> None:
    """Nesting depth, not counting chains of + - or * / (sympy flattens those)."""
    stack = [(tree, 0, None)]
    while stack:
        node, depth, parent_family = stack.pop()
        fam = _family(node)
        if fam is None or fam != parent_family:
            depth += 1
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"the expression is nested too deeply (more than {MAX_DEPTH} levels)",
                cols.node(node),
            )
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.expr, ast.Expression)):
                stack.append((child, depth, fam))


def _log10_abs(v: sympy.Number) -> float:
    """log10 of |v| for a finite nonzero sympy number, without overflowing."""
    if v.is_Rational:
        p, q = abs(int(v.p)), int(v.q)
        return math.log10(p) - math.log10(q)
    import mpmath

    return float(mpmath.log10(abs(v._to_mpmath(53))))


def _size10(v: sympy.Number) -> float:
    """Decimal digits needed to write an exact number (0 for floats)."""
    if v.is_Rational:
        return max(math.log10(abs(int(v.p)) or 1), math.log10(int(v.q)))
    return 0.0


def _about(magnitude: float) -> str:
    if math.isfinite(magnitude) and abs(magnitude) < 1e15:
        return f"about 1e{magnitude:,.0f}; "
    return ""


def _factor_log10(f: sympy.Expr) -> Optional[float]:
    """log10 of |f| when f is an exact number or an exact number to a rational power (the
    factors sympy computes exactly when the product is raised to a power)."""
    if f.is_Number and f != 0:
        return _log10_abs(f)
    if f.is_Pow and f.base.is_Number and f.base != 0 and f.exp.is_Rational:
        return _log10_abs(f.base) * float(f.exp)
    return None


#: exact rationals with more digits than this are turned into floats
_MAX_DIGITS = 1_000

# -- magnitudes of constant parts, in plain floats -----------------------------------------
# sympy evaluates constant towers such as e**e**e**e**e**e at enormous precision inside its
# assumption system (is_real), which hung about one fresh process in four. Every constant
# part is therefore first estimated here in double precision, where exp(1e300) is simply an
# overflow, and refused when too large before sympy is asked anything about it.

_MATH_FUNCS = {
    sympy.sin: math.sin, sympy.cos: math.cos, sympy.tan: math.tan,
    sympy.asin: math.asin, sympy.acos: math.acos, sympy.atan: math.atan,
    sympy.sinh: math.sinh, sympy.cosh: math.cosh, sympy.tanh: math.tanh,
    sympy.asinh: math.asinh, sympy.acosh: math.acosh, sympy.atanh: math.atanh,
    sympy.exp: math.exp, sympy.log: math.log, sympy.Abs: abs,
    sympy.atan2: math.atan2,
    sympy.cot: lambda a: 1 / math.tan(a), sympy.sec: lambda a: 1 / math.cos(a),
    sympy.csc: lambda a: 1 / math.sin(a),
    sympy.sign: lambda a: math.copysign(1.0, a) if a else 0.0,
}


def _approx_pow(b: Optional[float], x: Optional[float]) -> Optional[float]:
    """b**x in floats: inf when too large to represent, None when unknown or not real."""
    if b is None or x is None:
        return None
    if math.isinf(b) or math.isinf(x):
        return math.inf if (math.isinf(b) and x > 0) or (abs(b) > 1 and x == math.inf) else None
    if b == 0:
        return 0.0 if x > 0 else None
    if b < 0 and x != int(x):
        return None
    if x * math.log10(abs(b)) > 308:
        return math.inf
    try:
        return math.pow(b, x)
    except (OverflowError, ValueError, ZeroDivisionError):
        return None


def _approx_call(func, args: Sequence[Optional[float]]) -> Optional[float]:
    if any(a is None for a in args):
        return None
    if any(math.isinf(a) for a in args):
        return math.inf
    if func in (sympy.Min, sympy.Max):
        return (min if func is sympy.Min else max)(args)
    f = _MATH_FUNCS.get(func)
    if f is None:
        return None
    try:
        return float(f(*args))
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return None


@functools.lru_cache(maxsize=4096)
def _approx(e: sympy.Expr) -> Optional[float]:
    """The value of a constant expression in double precision: ``inf`` when it is too
    large for a float, ``None`` when unknown (or not real). Never asks sympy to evaluate."""
    if e.is_Number:
        if e.is_Rational:
            if e == 0:
                return 0.0
            return math.inf if _log10_abs(e) > 308 else float(e)
        try:
            return float(e)
        except (TypeError, ValueError, OverflowError):
            return None
    if e is sympy.E:
        return math.e
    if e is sympy.pi:
        return math.pi
    if e.is_Add or e.is_Mul:
        parts = [_approx(a) for a in e.args]
        if any(p is None for p in parts):
            return None
        if e.is_Add:
            if any(math.isinf(p) for p in parts):
                return math.inf
            return math.fsum(parts)
        if any(p == 0 for p in parts):
            return 0.0
        log = sum(math.log10(abs(p)) if math.isfinite(p) else math.inf for p in parts)
        if log > 308:
            return math.inf
        return math.prod(parts)
    if e.is_Pow:
        return _approx_pow(_approx(e.base), _approx(e.exp))
    if isinstance(e, sympy.Function):
        return _approx_call(e.func, [_approx(a) for a in e.args])
    return None


class _Builder:
    def __init__(self, cols: _Columns, variables: Sequence[str], allow_parameters: bool):
        self.cols = cols
        self.variables = tuple(variables)
        self.allow_parameters = allow_parameters
        self.parameters: set[str] = set()

    # -- helpers
    def fail(self, message: str, node: Optional[ast.AST] = None, hint: str = "", col=None):
        if col is None and node is not None:
            col = self.cols.node(node)
        raise ExpressionError(message, col, hint)

    @staticmethod
    def _too_large(col, magnitude=float("inf")):
        if magnitude < 0:
            return ExpressionError(
                f"number too small ({_about(magnitude)}the limit is 1e-{MAX_LOG10})", col
            )
        return ExpressionError(
            f"number too large ({_about(magnitude)}the limit is 1e{MAX_LOG10})", col
        )

    def number(self, v: sympy.Expr, col) -> sympy.Expr:
        if v.is_Rational:
            if v.is_Integer:
                if abs(v) > _LIMIT:
                    raise self._too_large(col, _log10_abs(v))
            elif _size10(v) > _MAX_DIGITS:
                return sympy.Float(v)
        elif v.is_Float and v != 0:
            m = _log10_abs(v)
            if abs(m) > MAX_LOG10 + 8:
                raise self._too_large(col, m)
        return v

    def checked(self, value: sympy.Expr, col: Optional[int]) -> sympy.Expr:
        """Refuse undefined values, non-real constants and numbers too large to be
        meaningful (sympy would compute them exactly)."""
        if value in _BAD_VALUES or (
            value.args and any(a in _BAD_VALUES for a in value.args)
        ):
            if value.has(sympy.zoo):
                raise ExpressionError("division by zero", col)
            raise ExpressionError("this part of the expression is undefined", col)
        if value.is_Number:
            return self.number(value, col)
        if not value.free_symbols:
            self.bound(_approx(value), col)
            for a in sympy.preorder_traversal(value):
                if a.is_Number and a.is_Rational and _size10(a) > _MAX_DIGITS:
                    raise ExpressionError(
                        f"a number in this part has too many digits (the limit is "
                        f"{_fmt_int(_MAX_DIGITS)})",
                        col,
                    )
            if value.is_real is False:
                raise ExpressionError(
                    "this part of the expression is not a real number", col
                )
        else:
            for a in value.args:
                if a.is_Number and a.is_Integer and abs(a) > _LIMIT:
                    raise self._too_large(col, _log10_abs(a))
        return value

    def bound(self, approx: Optional[float], col) -> None:
        """Refuse a constant whose estimated value (see ``_approx``) is too large."""
        if approx is not None and (math.isinf(approx) or abs(approx) > _FLOAT_LIMIT):
            magnitude = math.log10(abs(approx)) if math.isfinite(approx) else math.inf
            raise self._too_large(col, magnitude)

    def check_power(self, base: sympy.Expr, exp: sympy.Expr, col) -> Optional[str]:
        """Refuse powers sympy would compute into gigantic exact numbers or symbolic
        powers with huge exponents. Returns "exact", "float" for numeric powers, else None."""
        if exp.is_Number:
            if base.is_Number:
                if base == 0:
                    if exp < 0:
                        raise ExpressionError("division by zero (0 to a negative power)", col)
                    return "exact"
                if base in (sympy.S.One, sympy.S.NegativeOne) or exp == 0:
                    return "exact"
                magnitude = _log10_abs(base) * float(exp)
                if abs(magnitude) > MAX_LOG10:
                    raise self._too_large(col, magnitude)
                if (
                    exp.is_Rational
                    and abs(exp) <= MAX_EXPONENT
                    and int(exp.q) <= MAX_EXPONENT
                    and _size10(base) * float(abs(exp)) <= MAX_LOG10
                ):
                    return "exact"
                return "float"
            if abs(exp) > MAX_EXPONENT:
                raise ExpressionError(
                    f"the exponent {_short(exp)} is too large (the limit is "
                    f"{_fmt_int(MAX_EXPONENT)})",
                    col,
                )
            # sympy distributes integer powers over products: (c*x)**n = c**n * x**n
            for f in sympy.Mul.make_args(base):
                m = _factor_log10(f)
                if m is not None and abs(m * float(exp)) > MAX_LOG10:
                    raise self._too_large(col, m * float(exp))
        elif not base.free_symbols and not exp.free_symbols:
            # e.g. 2**pi or e**e**e: sympy keeps it symbolic; bound it before sympy builds it
            if base.is_Number and base != 0 and _approx(exp) is not None:
                magnitude = _log10_abs(base) * _approx(exp)
                if not math.isfinite(magnitude) or abs(magnitude) > MAX_LOG10:
                    raise self._too_large(col, magnitude)
            self.bound(_approx_pow(_approx(base), _approx(exp)), col)
        if base == sympy.E:
            self.check_exp(exp, col)
        return None

    def check_exp(self, arg: sympy.Expr, col) -> None:
        """sympy rewrites exp(k*log(a)) as a**k and computes it: bound that power."""
        for term in sympy.Add.make_args(arg):
            coeff, rest = term.as_coeff_Mul()
            if isinstance(rest, sympy.log) and coeff.is_Number:
                self.check_power(rest.args[0], coeff, col)

    def power(self, base: sympy.Expr, exp: sympy.Expr, col: Optional[int]) -> sympy.Expr:
        """base**exp with bounds, so that sympy never computes a gigantic exact number or
        builds a gigantic symbolic power."""
        how = self.check_power(base, exp, col)
        if how == "float":
            return self.checked(sympy.Pow(sympy.Float(base), sympy.Float(exp)), col)
        return self.checked(sympy.Pow(base, exp), col)

    # -- the walk (recursion depth is bounded by _check_depth; chains are loops)
    def build(self, node: ast.AST) -> sympy.Expr:
        check_budget()
        try:
            return self._build(node)
        except (ExpressionError, RecursionError):
            raise
        except (ValueError, TypeError, ArithmeticError):
            # sympy refusing a construction, e.g. max() of a value that is not real
            raise ExpressionError(
                "this part of the expression cannot be evaluated as a real number",
                self.cols.node(node),
            ) from None

    def _build(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return self.checked(-self.build(node.operand), self.cols.node(node))
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand)
            if isinstance(node.op, ast.Not):
                self.fail("'not' is not allowed", node)
            self.fail("'~' is not allowed", node)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        for cls, message in _DISALLOWED.items():
            if isinstance(node, cls):
                if isinstance(node, ast.Tuple) and not node.elts:
                    self.fail("empty parentheses '()' are not allowed", node)
                if isinstance(node, ast.Attribute):
                    col = self.cols.column(getattr(node.value, "end_col_offset", None))
                    self.fail(f"attribute access ('.{node.attr}') is not allowed", col=col)
                self.fail(message, node)
        self.fail(f"{type(node).__name__} is not allowed", node)

    def constant(self, node: ast.Constant) -> sympy.Expr:
        v = node.value
        col = self.cols.node(node)
        if isinstance(v, bool):
            self.fail(f"'{v}' is not allowed", node)
        if isinstance(v, int):
            if v.bit_length() > 1000 or v > 10**MAX_LOG10:
                raise ExpressionError(f"number too large (more than 1e{MAX_LOG10})", col)
            return sympy.Integer(v)
        if isinstance(v, float):
            if not math.isfinite(v) or abs(v) > 10.0**MAX_LOG10:
                raise ExpressionError(f"number too large (more than 1e{MAX_LOG10})", col)
            return sympy.Float(v)
        if isinstance(v, complex):
            self.fail("complex numbers such as 1j are not allowed", node)
        if isinstance(v, (str, bytes)):
            self.fail("text in quotes is not allowed", node)
        if v is None:
            self.fail("'None' is not allowed", node)
        self.fail(f"'{v!r}' is not allowed", node)

    def name(self, node: ast.Name) -> sympy.Expr:
        n = node.id
        if n in self.variables:
            return make_symbol(n)
        if n.startswith("__"):
            self.fail(f"names starting with '__' are not allowed ('{n}')", node)
        if n in CONSTANTS:
            return CONSTANTS[n]
        if n in FUNCTIONS:
            self.fail(f"'{n}' is a function", node, f"write {n}(...)")
        if self.allow_parameters and n.isidentifier():
            self.parameters.add(n)
            return make_symbol(n)
        self.fail(f"unknown name '{n}'", node)

    def binop(self, node: ast.BinOp) -> sympy.Expr:
        op = type(node.op)
        if op in _BINOPS_DISALLOWED:
            self.fail(_BINOPS_DISALLOWED[op], col=self.cols.operator(node))
        fam = _FAMILY.get(op)
        if fam is None:  # Pow
            base = self.build(node.left)
            exp = self.build(node.right)
            return self.power(base, exp, self.cols.operator(node))
        # flatten a left-leaning chain of + - (or * /) into one sympy Add (or Mul)
        chain = []
        left = node
        while isinstance(left, ast.BinOp) and _FAMILY.get(type(left.op)) == fam:
            chain.append(left)
            left = left.left
        chain.reverse()
        terms = [self.build(left)]
        for link in chain:
            col = self.cols.operator(link)
            term = self.build(link.right)
            if isinstance(link.op, ast.Sub):
                term = -term
            elif isinstance(link.op, ast.Div):
                if term == 0:
                    raise ExpressionError("division by zero", col)
                term = self.power(term, sympy.S.NegativeOne, col)
            terms.append(term)
            # fold as we go only while everything is a number (to check magnitudes)
            if all(t.is_Number for t in terms):
                terms = [self.checked((sympy.Add if fam == "add" else sympy.Mul)(*terms), col)]
        result = (sympy.Add if fam == "add" else sympy.Mul)(*terms)
        return self.checked(result, self.cols.node(node))

    def call(self, node: ast.Call) -> sympy.Expr:
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                return self.build(func)  # raises the attribute message
            if isinstance(func, ast.Constant) and isinstance(func.value, (int, float)):
                a = ast.get_source_segment(self.cols.text, func) or str(func.value)
                self.fail(
                    f"missing operator between '{a}' and '('",
                    col=self.cols.next_char(func.end_col_offset, "("),
                    hint=f"write {a}*(...)",
                )
            if isinstance(func, (ast.BinOp, ast.UnaryOp, ast.Call, ast.Constant)):
                self.fail(
                    "missing operator before '('",
                    col=self.cols.next_char(func.end_col_offset, "("),
                    hint="write (...)*(...)",
                )
            return self.build(func)  # raises the construct's message
        name = func.id
        if name in self.variables or name in CONSTANTS:
            self.fail(
                f"missing operator between '{name}' and '('",
                col=self.cols.next_char(func.end_col_offset, "("),
                hint=f"write {name}*(...)",
            )
        if name.startswith("__"):
            self.fail(f"names starting with '__' are not allowed ('{name}')", func)
        if name not in FUNCTIONS:
            self.fail(f"unknown function '{name}'", func)
        if node.keywords:
            kw = node.keywords[0]
            self.fail(
                f"keyword arguments are not allowed in '{name}'",
                kw.value if kw.arg is None else kw,
            )
        for a in node.args:
            if isinstance(a, ast.Starred):
                self.fail("'*' unpacking is not allowed", a)
        lo, hi, builder = _FUNCTION_TABLE[name]
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            if hi == lo:
                need = f"exactly {lo} argument" + ("s" if lo != 1 else "")
            elif hi is None:
                need = f"at least {lo} arguments"
            else:
                need = f"{lo} or {hi} arguments"
            self.fail(f"'{name}' needs {need}", func)
        args = [self.build(a) for a in node.args]
        col = self.cols.node(node)
        if name in _GROWING and not args[0].free_symbols:
            self.bound(_approx_call(_GROWING[name], [_approx(args[0])]), col)
        if name == "log" and n == 2 and not args[1].free_symbols:
            b = _approx(args[1])
            if b is not None and (b <= 0 or b == 1):
                self.fail(
                    "the base of a logarithm must be a positive number other than 1",
                    node.args[1],
                )
        if name == "pow":
            return self.power(args[0], args[1], col)
        if name == "exp":
            self.check_exp(args[0], col)
        if name == "hypot":
            two = sympy.Integer(2)
            s = self.checked(self.power(args[0], two, col) + self.power(args[1], two, col), col)
            return self.checked(sympy.sqrt(s), col)
        return self.checked(builder(*args), col)


def _check_variables(variables: Sequence[str]) -> tuple[str, ...]:
    if isinstance(variables, str):
        variables = (variables,)
    out = tuple(variables)
    for v in out:
        if not isinstance(v, str) or not v.isidentifier() or keyword.iskeyword(v):
            raise ValueError(f"variable name {v!r} is not a valid name")
        if v.startswith("__"):
            raise ValueError(f"variable name {v!r} must not start with '__'")
        if v in FUNCTIONS:
            raise ValueError(f"variable name {v!r} is the name of a function")
    if len(set(out)) != len(out):
        raise ValueError(f"variable names must be different; got {out}")
    return out


def parse_expression(
    text: str, variables: Sequence[str] = ("x", "y"), allow_parameters: bool = False
) -> ParsedExpression:
    """Parse ``text`` safely into a sympy expression of ``variables``.

    With ``allow_parameters`` every unknown name becomes a parameter symbol (listed, sorted,
    in ``.parameters``); otherwise an unknown name is an error. Raises
    :class:`ExpressionError` with a one-sentence message and the column.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be text, not {type(text).__name__}")
    variables = _check_variables(variables)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is too long ({_fmt_int(len(text))} characters; the limit is "
            f"{_fmt_int(MAX_LENGTH)})"
        )
    if not text.strip():
        raise ExpressionError("expression is empty")
    for bad in ("\x00", "#", "\\", ";"):
        if bad in text:
            raise ExpressionError(f"unexpected character {bad!r}", text.index(bad) + 1)
    _check_nesting(text)
    tokens = _tokens(text)
    if len(tokens) > 2 * MAX_NODES:
        raise ExpressionError(
            f"the expression has too many parts ({_fmt_int(len(tokens))} numbers, names and "
            f"operators; the limit is {_fmt_int(2 * MAX_NODES)})"
        )
    for kind, tok, col in tokens:
        if kind == "number" and len(tok.split("e")[0].split("E")[0].lstrip("0").split(".")[0]) > MAX_LOG10 + 1:
            raise ExpressionError(f"number too large (more than 1e{MAX_LOG10})", col)
    cols = _Columns(text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(cols.text, mode="eval")
    except SyntaxError as exc:
        diagnosis = _diagnose(text, tokens)
        if diagnosis is not None:
            raise diagnosis from None
        col = cols.column(exc.offset - 1) if exc.offset else None
        raise ExpressionError("invalid syntax", col) from None
    except (ValueError, MemoryError, RecursionError):
        # Python's parser gives up on very long chains of operators (its own stack guard)
        raise ExpressionError(
            f"the expression is nested too deeply (more than {MAX_DEPTH} levels)"
        ) from None

    count = sum(1 for n in ast.walk(tree) if isinstance(n, ast.expr))
    if count > MAX_NODES:
        raise ExpressionError(
            f"the expression has too many parts ({_fmt_int(count)}; the limit is "
            f"{_fmt_int(MAX_NODES)})"
        )
    _check_depth(tree, cols)
    builder = _Builder(cols, variables, allow_parameters)
    try:
        with budget("parse"):
            expr = builder.build(tree)
    except RecursionError:
        raise ExpressionError(
            f"the expression is nested too deeply (more than {MAX_DEPTH} levels)"
        ) from None
    return ParsedExpression(
        text=text,
        expr=expr,
        variables=variables,
        parameters=tuple(sorted(builder.parameters)),
    )
