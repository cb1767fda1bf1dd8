"""Exact derivatives compiled to vectorised numpy (and to plain-float Python).

``compile_function("(1 - x)^2 + 100*(y - x^2)^2")`` parses the text safely
(:mod:`gdstudio.core.expression`), lets sympy differentiate it symbolically (gradient and,
lazily, Hessian; never finite differences) and generates Python functions once, with
common-subexpression elimination, from sympy's code printers:

* ``value_and_grad_T(X)``: X (d, N) -> (f (N,), G (d, N)), one function computing the value
  and every gradient component with shared subexpressions, on the rows ``X[0], X[1], ...``
  and writing the gradient straight into one preallocated ``(d, N)`` array. Constant parts
  (the gradient of ``x + y`` is ``(1, 1)``) are broadcast to ``(N,)``.
* ``value(P)``, ``grad(P)``, ``value_and_grad(P)``, ``hess(P)`` on (N, d) points.
* ``scalar_value_and_grad(*floats) -> (f, (g0, ...))`` on plain Python floats through the
  ``math`` module, for the few-runs fast path; ``None`` when the expression uses something
  that has no ``math`` form.

Floating-point problems never print warnings and never raise in the numpy path: numpy
calls run with all floating-point errors ignored (the equivalent of
``np.errstate(all="ignore")``, set directly through numpy's context variable because the
context manager costs ~0.7 us per call) and give ``inf``/``nan`` like numpy does.
The scalar path catches ``ValueError``, ``OverflowError`` and ``ZeroDivisionError`` (log of
a negative number, exp overflow, 1/0) inside the generated function and returns ``nan`` for
the value and every gradient component instead; it never raises them. (It uses ``math``, so
where numpy would give ``inf`` the scalar path may give ``nan``: both mean divergence.)

Generated code only ever contains what sympy's printers write for a sympy expression built
by our own parser, with the variables renamed ``_v0, _v1, ...``; no text a person typed
reaches ``exec``.

``compile_numpy(exprs, symbols)`` is the same machinery for other modules (data-fitting
models): it compiles a list of sympy expressions into one vectorised function.
"""

from __future__ import annotations

import collections
import functools
import itertools
import linecache
import math
import threading
from typing import Callable, Optional, Sequence, Union

import numpy as np
import sympy
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter

from gdstudio.core.expression import (
    ExpressionError,
    ParsedExpression,
    budget,
    check_budget,
    parse_expression,
)
from gdstudio.core.objective import Objective

__all__ = ["ExpressionObjective", "compile_derivatives", "compile_function", "compile_numpy"]

_SCALAR_ERRORS = (ValueError, OverflowError, ZeroDivisionError)


# -- printers ---------------------------------------------------------------------------------


def _float_literal(value) -> str:
    f = float(value)
    if math.isfinite(f):
        return repr(f)
    if math.isnan(f):
        return "float('nan')"
    return "1e999" if f > 0 else "(-1e999)"


class _NumbersMixin:
    """Literal numbers that are safe for numpy and for floats: no integers beyond 2**53
    (numpy refuses Python ints that do not fit int64) and full double precision."""

    def _print_Integer(self, expr):
        if abs(int(expr)) < 2**53:
            return str(int(expr))
        return _float_literal(sympy.Float(expr, 17))

    def _print_Rational(self, expr):
        p, q = int(expr.p), int(expr.q)
        if abs(p) < 2**53 and q < 2**53:
            return f"({p}/{q})"
        return _float_literal(sympy.Float(expr, 17))

    def _print_Add(self, expr, order=None):
        # like sympy's, but positive terms first: "y - x**2" is one operation where
        # "-x**2 + y" is two (a negation and an addition)
        from sympy.printing.precedence import precedence

        prec = precedence(expr)
        plus, minus = [], []
        for term in self._as_ordered_terms(expr, order=order):
            t = self._print(term)
            if t.startswith("-") and not term.is_Add:
                sign, t = "-", t[1:]
            else:
                sign = "+"
            if precedence(term) < prec or term.is_Add:
                t = f"({t})"
            (plus if sign == "+" else minus).append(t)
        if plus:
            return " + ".join(plus) + "".join(f" - {t}" for t in minus)
        return "-" + " - ".join(minus)

    def _print_Half(self, expr):
        return "0.5"

    def _print_Float(self, expr):
        return _float_literal(expr)


class _NumpyPrinter(_NumbersMixin, NumPyPrinter):
    """numpy code in which every operation follows numpy's rules (inf/nan, never an
    exception), including operations on constants: Python's own ``**`` on floats raises
    OverflowError or returns a complex number, so constant bases and non-integer
    exponents go through ``numpy.power``."""

    def __init__(self, order=None):
        super().__init__(
            {"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": False,
             "order": order}
        )

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.base, expr.exp
        b = self.parenthesize(base, 60)  # Pow precedence: parentheses unless atomic
        if not base.free_symbols and not (exp.is_Integer and abs(exp) <= 2 and base.is_Atom):
            if exp == sympy.S.Half:
                return f"numpy.sqrt(numpy.float64({self._print(base)}))"
            return f"numpy.power(numpy.float64({self._print(base)}), {self._print(exp)})"
        if exp.is_Integer:
            n = int(exp)
            if n == 1:
                return b
            if n == 2:
                return f"{b}**2"  # numpy's fast square
            if n == -1:
                return f"(1/{b})"
            if n < 0:
                return f"(1/{self._print(sympy.Pow(base, -exp, evaluate=False))})"
            if base.is_Symbol and n in (3, 4):
                return f"({b}**2*{b})" if n == 3 else f"(({b}**2)**2)"
            return f"{b}**{n}"
        if exp == sympy.S.Half:
            return f"numpy.sqrt({self._print(base)})"
        if exp == -sympy.S.Half:
            return f"(1/numpy.sqrt({self._print(base)}))"
        return f"numpy.power({self._print(base)}, {self._print(exp)})"

    def _print_Heaviside(self, expr):
        h0 = expr.args[1] if len(expr.args) > 1 else sympy.S.Half
        return f"numpy.heaviside({self._print(expr.args[0])}, {self._print(h0)})"

    def _nested(self, fname, args):
        out = self._print(args[0])
        for a in args[1:]:
            out = f"numpy.{fname}({out}, {self._print(a)})"
        return out

    def _print_Min(self, expr):
        return self._nested("minimum", expr.args)

    def _print_Max(self, expr):
        return self._nested("maximum", expr.args)

    def _print_sign(self, expr):
        return f"numpy.sign({self._print(expr.args[0])})"

    def _print__Min2(self, expr):
        return self._nested("minimum", expr.args)

    def _print__Max2(self, expr):
        return self._nested("maximum", expr.args)

    def _print__Step(self, expr):
        return f"numpy.heaviside({self._print(expr.args[0])}, 0.5)"


class _MathPrinter(_NumbersMixin, PythonCodePrinter):
    """Plain-float code: math functions as bare names (looked up in the namespace below)."""

    def __init__(self, order=None):
        super().__init__(
            {"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": False,
             "order": order}
        )

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.base, expr.exp
        b = self.parenthesize(base, 60)
        if exp.is_Integer:
            n = int(exp)
            if n == 1:
                return b
            if n == 2 and base.is_Symbol:
                return f"({b}*{b})"
            if n == -1:
                return f"(1/{b})"
            if n < 0:
                return f"(1/{self._print(sympy.Pow(base, -exp, evaluate=False))})"
            return f"{b}**{n}"
        if exp == sympy.S.Half:
            return f"sqrt({self._print(base)})"
        if exp == -sympy.S.Half:
            return f"(1/sqrt({self._print(base)}))"
        # math.pow raises ValueError for a negative base (the ** operator would return a
        # complex number)
        return f"_pow({self._print(base)}, {self._print(exp)})"

    def _print_Heaviside(self, expr):
        a = self._print(expr.args[0])
        h0 = expr.args[1] if len(expr.args) > 1 else sympy.S.Half
        return f"(0.0 if {a} < 0 else {_float_literal(h0)} if {a} == 0 else 1.0)"

    def _print_sign(self, expr):
        a = self._print(expr.args[0])
        return f"(0.0 if {a} == 0 else copysign(1.0, {a}))"

    def _print__Min2(self, expr):
        return f"min({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print__Max2(self, expr):
        return f"max({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print__Step(self, expr):
        a = self._print(expr.args[0])
        return f"(0.0 if {a} < 0 else 0.5 if {a} == 0 else 1.0)"


_MATH_NAMESPACE = {
    name: getattr(math, name)
    for name in (
        "sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp log log10 "
        "log2 sqrt copysign pi e inf nan isnan"
    ).split()
}
_MATH_NAMESPACE["_pow"] = math.pow
_MATH_NAMESPACE["_ERRORS"] = _SCALAR_ERRORS


# -- silencing numpy warnings cheaply ---------------------------------------------------------
# ``with np.errstate(all="ignore")`` costs ~0.7 us per call, a sizeable part of a call on a
# few points. numpy 2 implements errstate as a context variable; setting it directly costs
# ~0.2 us. Verified at import; any surprise falls back to the public np.errstate.
def _fast_errstate():
    try:
        from numpy._core.umath import _extobj_contextvar, _make_extobj

        token = _extobj_contextvar.set(_make_extobj(all="ignore"))
        try:
            ok = np.geterr() == {"divide": "ignore", "over": "ignore", "under": "ignore",
                                 "invalid": "ignore"}
        finally:
            _extobj_contextvar.reset(token)
        if not ok:
            return None
        return {
            "_errset": _extobj_contextvar.set,
            "_errreset": _extobj_contextvar.reset,
            "_errobj": _make_extobj,
        }
    except Exception:  # pragma: no cover - depends on numpy's internals
        return None


_FAST_ERRSTATE = _fast_errstate()
_NUMPY_NAMESPACE = {"numpy": np, **(_FAST_ERRSTATE or {})}


def _guarded(body: list[str], ret: str) -> str:
    """Lines of a function body running ``body`` with numpy warnings silenced, then
    returning ``ret``."""
    if _FAST_ERRSTATE:
        return (
            "    _tok = _errset(_errobj(all='ignore'))\n"
            "    try:\n" + _indent(body, 2) + "\n"
            "    finally:\n"
            "        _errreset(_tok)\n"
            f"    return {ret}\n"
        )
    return (
        "    with numpy.errstate(all='ignore'):\n" + _indent(body, 2) + "\n"
        f"    return {ret}\n"
    )


# -- code generation --------------------------------------------------------------------------

_counter = itertools.count()
#: generated sources kept in linecache (for tracebacks and inspect.getsource); bounded so a
#: long session of typing does not accumulate them
_registered: "collections.deque[str]" = collections.deque()
_MAX_REGISTERED = 2048
_register_lock = threading.Lock()


def _make_function(name: str, source: str, namespace: dict) -> Callable:
    filename = f"<gdstudio-generated-{next(_counter)}>"
    code = compile(source, filename, "exec")
    with _register_lock:
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        _registered.append(filename)
        while len(_registered) > _MAX_REGISTERED:
            linecache.cache.pop(_registered.popleft(), None)
    ns = dict(namespace)
    exec(code, ns)  # noqa: S102 -- source is printed from a sympy expression, see module doc
    fn = ns[name]
    fn.__source__ = source
    return fn


_RECIPROCALS = ((sympy.cot, sympy.tan), (sympy.sec, sympy.cos), (sympy.csc, sympy.sin))


def _rename(exprs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol]):
    """Replace the symbols by _v0, _v1, ... so generated names can never clash, and write
    cot, sec and csc as reciprocals (sympy's printers would otherwise rewrite the whole
    expression in terms of cos, turning cosh(u) into cos(I*u))."""
    plain = [sympy.Symbol(f"_v{i}", real=True) for i in range(len(symbols))]
    mapping = dict(zip(symbols, plain))
    out = []
    for e in exprs:
        e = _lower_minmax(sympy.sympify(e)).xreplace(mapping)
        for func, recip in _RECIPROCALS:
            if e.has(func):
                e = e.replace(func, lambda a, recip=recip: 1 / recip(a))
        out.append(e)
    return out, [s.name for s in plain]


def _cse(exprs, prefix="_t"):
    """(assignments, outputs): common subexpressions as real symbols ``_t0, _t1, ...``."""
    return sympy.cse(list(exprs), symbols=sympy.numbered_symbols(prefix, real=True))


def _tree_size(e: sympy.Expr, limit: int) -> int:
    """Number of nodes of ``e`` as a tree, counting at most to ``limit + 1``."""
    n = 0
    for _ in sympy.preorder_traversal(e):
        n += 1
        if n > limit:
            break
    return n


def _forward(reps, outputs, variables, prefix):
    """Exact forward-mode differentiation of a straight-line program.

    ``reps`` is a list of assignments (symbol, expression) as made by ``sympy.cse`` and
    ``outputs`` expressions of the variables and those symbols. Returns the program
    extended with the derivative assignments and, for each output, its derivatives with
    respect to every variable. The size grows linearly with the program, where
    differentiating the expanded expression can grow quadratically (a product of many
    factors) or worse (the Hessian of one).
    """
    d = len(variables)
    fresh = sympy.numbered_symbols(prefix, real=True)
    zero = sympy.S.Zero
    D = {v: [sympy.S.One if j == k else zero for j in range(d)] for k, v in enumerate(variables)}

    def derivative(e):
        free = [s for s in e.free_symbols if s in D]
        partial = {s: _partial(e, s) for s in free}
        out = []
        for k in range(d):
            terms = [partial[s] * D[s][k] for s in free if D[s][k] != 0]
            out.append(sympy.Add(*terms) if terms else zero)
        return out

    program = []
    for sym, e in reps:
        check_budget()
        program.append((sym, e))
        D[sym] = []
        for de in derivative(e):
            if de.is_Atom:
                D[sym].append(de)
            else:
                t = next(fresh)
                program.append((t, de))
                D[sym].append(t)
    return program, [derivative(r) for r in outputs]


def _partial(e: sympy.Expr, s: sympy.Symbol) -> sympy.Expr:
    """∂e/∂s for one statement of a program: sums and products of two atoms directly
    (most statements; sympy.diff costs about a millisecond each), others by :func:`_diff`."""
    args = e.args
    if all(a.is_Atom for a in args):
        if e.is_Add:
            return sympy.S.One
        if e.is_Mul and len(args) == 2 and args[0] != args[1]:
            return args[1] if args[0] == s else args[0]
    return _diff(e, s)


def _ssa(reps, outputs, prefix):
    """Rewrite a program so that every statement is one small operation (products of
    many factors become chains of binary products), which keeps forward-mode
    differentiation linear in the size of the program."""
    fresh = sympy.numbered_symbols(prefix, real=True)
    memo: dict = {}
    program = []

    def visit(expr):
        if expr.is_Atom:
            return expr
        stack = [(expr, False)]
        while stack:
            check_budget()
            node, ready = stack.pop()
            if node.is_Atom or node in memo:
                continue
            if not ready:
                stack.append((node, True))
                stack.extend((a, False) for a in node.args if not a.is_Atom and a not in memo)
                continue
            args = [a if a.is_Atom else memo[a] for a in node.args]
            if node.is_Mul and len(args) > 2:
                acc = args[0]
                for a in args[1:-1]:
                    t = next(fresh)
                    program.append((t, sympy.Mul(acc, a)))
                    acc = t
                new = sympy.Mul(acc, args[-1])
            else:
                new = node.func(*args)
            t = next(fresh)
            program.append((t, new))
            memo[node] = t
        return memo[expr]

    for sym, e in reps:
        program.append((sym, visit(e)))
    outs = [visit(sympy.sympify(o)) for o in outputs]
    return program, outs


def _prune(reps, outputs):
    """Drop assignments no output needs."""
    needed = set().union(*(sympy.sympify(o).free_symbols for o in outputs)) if outputs else set()
    kept = []
    for sym, e in reversed(reps):
        if sym in needed:
            kept.append((sym, e))
            needed |= e.free_symbols
    kept.reverse()
    return kept


def _without_dirac(e: sympy.Expr) -> sympy.Expr:
    # derivatives of sign/Heaviside/Min/Max: zero almost everywhere
    if e.has(sympy.DiracDelta):
        e = e.replace(lambda a: isinstance(a, sympy.DiracDelta), lambda a: sympy.S.Zero)
    return e


class _Step(sympy.Function):
    """Heaviside step H(u) (½ at 0), with derivative zero (almost everywhere); never
    evaluated by sympy's assumption system."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sympy.S.Zero

    def _sympystr(self, printer):
        return f"Heaviside({printer._print(self.args[0])})"

    def _latex(self, printer):
        return rf"\theta\left({printer._print(self.args[0])}\right)"


class _Min2(sympy.Function):
    """min(a, b), differentiated as H(b − a)·a' + H(a − b)·b' (exact except where a = b,
    where both halves count). sympy's own Min.fdiff rebuilds and compares the remaining
    arguments for every derivative: 20 arguments took 15 s, 300 never finished."""

    nargs = 2

    @classmethod
    def eval(cls, a, b):
        if a.is_Number and b.is_Number:
            return sympy.Min(a, b)
        return None

    def fdiff(self, argindex=1):
        a, b = self.args
        return _Step(b - a) if argindex == 1 else _Step(a - b)

    def _sympystr(self, printer):
        return f"Min({printer._print(self.args[0])}, {printer._print(self.args[1])})"

    def _latex(self, printer):
        return rf"\min\left({printer._print(self.args[0])}, {printer._print(self.args[1])}\right)"


class _Max2(sympy.Function):
    """max(a, b), differentiated as H(a − b)·a' + H(b − a)·b' (see :class:`_Min2`)."""

    nargs = 2

    @classmethod
    def eval(cls, a, b):
        if a.is_Number and b.is_Number:
            return sympy.Max(a, b)
        return None

    def fdiff(self, argindex=1):
        a, b = self.args
        return _Step(a - b) if argindex == 1 else _Step(b - a)

    def _sympystr(self, printer):
        return f"Max({printer._print(self.args[0])}, {printer._print(self.args[1])})"

    def _latex(self, printer):
        return rf"\max\left({printer._print(self.args[0])}, {printer._print(self.args[1])}\right)"


def _lower_minmax(e: sympy.Expr) -> sympy.Expr:
    """Min/Max of any number of arguments as balanced trees of :class:`_Min2`/:class:`_Max2`
    (depth log2 of the argument count, so printers never recurse deeply)."""
    if not e.has(sympy.Min, sympy.Max):
        return e
    memo: dict = {}

    def tree(cls, args):
        if len(args) == 1:
            return args[0]
        h = len(args) // 2
        return cls(tree(cls, args[:h]), tree(cls, args[h:]))

    stack = [(e, False)]
    while stack:
        node, ready = stack.pop()
        if node in memo:
            continue
        if node.is_Atom:
            memo[node] = node
            continue
        if not ready:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in memo)
            continue
        args = [memo[a] for a in node.args]
        if isinstance(node, (sympy.Min, sympy.Max)):
            memo[node] = tree(_Min2 if isinstance(node, sympy.Min) else _Max2, args)
        else:
            memo[node] = node.func(*args) if args != list(node.args) else node
    return memo[e]


def _raise_minmax(e: sympy.Expr) -> sympy.Expr:
    """The lowered forms back in sympy's own classes (unevaluated), for display and for
    code that only knows sympy (lambdify)."""
    if not e.has(_Min2, _Max2, _Step):
        return e
    return e.replace(_Min2, lambda a, b: sympy.Min(a, b, evaluate=False)).replace(
        _Max2, lambda a, b: sympy.Max(a, b, evaluate=False)
    ).replace(_Step, lambda u: sympy.Heaviside(u, sympy.S.Half, evaluate=False))


class _RealAbs(sympy.Function):
    """|u| differentiated as sign(u)*u', whether or not sympy can prove u real (sympy's
    own Abs differentiates a possibly complex u into re/im parts and unevaluated
    Derivative objects)."""

    nargs = 1

    def fdiff(self, argindex=1):
        return _RealSign(self.args[0])


class _RealSign(sympy.Function):
    """sign(u), with derivative zero (almost everywhere)."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sympy.S.Zero


def _diff(e: sympy.Expr, s: sympy.Symbol) -> sympy.Expr:
    """The exact derivative of a real expression: abs and sign are differentiated as real
    functions, derivatives of kinks (Dirac deltas) are dropped, min and max are
    differentiated argument by argument (see :class:`_Min2`)."""
    e = _lower_minmax(e)
    if e.has(sympy.Abs, sympy.sign):
        real = e.replace(sympy.Abs, _RealAbs).replace(sympy.sign, _RealSign)
        d = sympy.diff(real, s)
        d = d.replace(_RealAbs, sympy.Abs).replace(_RealSign, sympy.sign)
    else:
        d = sympy.diff(e, s)
    return _without_dirac(d)


def _print_into(printer: "_NumpyPrinter", e: sympy.Expr, out: str) -> Optional[str]:
    """A statement computing ``e`` with its last operation writing straight into the
    array view ``out`` (saving a temporary and a copy), or None."""
    if e.is_Add:
        terms = [(t, printer._print(t)) for t in printer._as_ordered_terms(e)]
        plus = [p for p in terms if not (p[1].startswith("-") and not p[0].is_Add)]
        minus = [p for p in terms if p not in plus]
        order = plus + minus
        (last, last_text), rest = order[-1], [t for t, _ in order[:-1]]
        rest_text = printer._print(sympy.Add(*rest, evaluate=False)) if len(rest) > 1 else (
            printer._print(rest[0])
        )
        if last_text.startswith("-") and not last.is_Add:
            return f"numpy.subtract({rest_text}, {last_text[1:]}, out={out})"
        return f"numpy.add({rest_text}, {last_text}, out={out})"
    if e.is_Mul and not any(
        f.is_Pow and f.exp.is_number and f.exp.is_negative for f in e.args
    ):
        a, b = e.as_two_terms()
        return f"numpy.multiply({printer._print(a)}, {printer._print(b)}, out={out})"
    return None


def _constant_outputs(names, program) -> list[bool]:
    """Which outputs do not depend on the variables (possibly through temporaries)."""
    reps, outputs = program
    varying = {sympy.Symbol(n, real=True) for n in names}
    for sym, e in reps:
        if e.free_symbols & varying:
            varying.add(sym)
    return [not (sympy.sympify(e).free_symbols & varying) for e in outputs]


def _order(reps) -> Optional[str]:
    """The printers' order of terms: sympy's sorted order for the usual small programs;
    the terms as stored for long ones, where sorting the terms of every sum took most of
    the compile time."""
    return "none" if len(reps) > _SMALL else None


def _numpy_body(names, program, targets, printer=None) -> list[str]:
    """Lines computing a program's outputs into ``targets``: per output a (statement
    format, statement format for a constant, array view to write into or None)."""
    printer = printer or _NumpyPrinter(_order(program[0]))
    reps, outputs = program
    # constant temporaries become numpy floats, so later operations on them follow
    # numpy's rules too
    lines = []
    for sym, val in reps:
        check_budget()
        lines.append(
            f"{sym} = {printer.doprint(val)}" if val.free_symbols
            else f"{sym} = numpy.float64({printer.doprint(val)})"
        )
    for (target, const_target, view), e, const in zip(
        targets, outputs, _constant_outputs(names, program)
    ):
        if e.is_Number:
            lines.append(const_target.format(_float_literal(e)))
        elif const:
            lines.append(const_target.format(printer.doprint(e)))
        elif e.is_Symbol and e.name in names:
            lines.append(target.format(f"numpy.array({e.name})"))
        else:
            into = _print_into(printer, e, view) if view else None
            lines.append(into if into else target.format(printer.doprint(e)))
    return lines


def _indent(lines, n=1):
    pad = "    " * n
    return "\n".join(pad + line for line in lines)


# -- compiled core (cached) -----------------------------------------------------------------


#: expressions larger than this (tree nodes) are differentiated as a program (forward mode
#: over one small operation per statement) instead of as one expanded expression, whose
#: derivative can grow quadratically (a product of many factors). The Hessian is always
#: computed that way, from the gradient's program.
_SMALL = 400
#: products with more factors than this are differentiated as a program
_MAX_FACTORS = 8


def _needs_program(f: sympy.Expr) -> bool:
    """Whether ``f`` must be differentiated as a program: large, or a product of many
    factors (whose expanded derivative has a term per factor, each with all the other
    factors: 80 factors took 7 s and its Hessian 29 s)."""
    if _tree_size(f, _SMALL) > _SMALL:
        return True
    return any(
        len(m.args) > _MAX_FACTORS for m in sympy.preorder_traversal(f) if m.is_Mul
    )


def _value_and_derivatives(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], wrt=None):
    """(program, argument names): a straight-line program whose outputs are ``expr`` and
    its derivatives with respect to ``symbols`` (or only those at the indices ``wrt``),
    with the symbols renamed ``_v0, _v1...``."""
    (f,), names = _rename([expr], symbols)
    vsyms = [sympy.Symbol(n, real=True) for n in names]
    if wrt is not None:
        vsyms = [vsyms[i] for i in wrt]
    if not _needs_program(f):
        # small (every usual case): differentiate the expression, then share
        # subexpressions between the value and the gradient
        grads = []
        for v in vsyms:
            check_budget()
            grads.append(_diff(f, v))
        return _cse([f] + grads), names
    reps, (r,) = _ssa([], [f], "_s")
    reps, (grads,) = _forward(reps, [r], vsyms, "_g")
    return (_prune(reps, [r] + grads), [r] + grads), names


class _Core:
    """Everything compiled for one (text, variables); shared by the objectives built from
    it (each ``compile_function`` call returns a fresh, independently mutable objective)."""

    def __init__(self, parsed: ParsedExpression):
        if parsed.parameters:
            raise ExpressionError(
                "unknown name" + ("s " if len(parsed.parameters) > 1 else " ")
                + ", ".join(f"'{p}'" for p in parsed.parameters)
            )
        self.text = parsed.text
        self.variables = parsed.variables
        self.expr = parsed.expr
        self.symbols = parsed.variable_symbols
        self._lock = threading.RLock()
        self._gradient_exprs: Optional[tuple] = None
        self._hessian_exprs: Optional[tuple] = None
        self._hess_T: Optional[Callable] = None
        with budget("differentiate"):
            program, names = _value_and_derivatives(self.expr, self.symbols)
        with budget("compile"):
            self._generate(program, names)

    def _generate(self, program, names) -> None:
        d = len(self.symbols)
        self.arg_names = names
        for e in itertools.chain((e for _, e in program[0]), program[1]):
            if e.has(sympy.Derivative, sympy.Subs):
                raise ExpressionError("this expression cannot be differentiated exactly")
            if e.has(sympy.I):
                raise ExpressionError(
                    "the expression or its gradient takes complex values (for example a "
                    "negative number raised to a variable power)"
                )
        self._grad_program = program

        unpack = [f"{n} = X[{i}]" for i, n in enumerate(names)]
        self._unpack = unpack
        n0 = names[0]
        # value and gradient, one function
        targets = [("_f = {}", f"_f = numpy.full({n0}.shape, {{}})", None)]
        targets += [(f"_G[{i}] = {{}}", f"_G[{i}] = {{}}", f"_G[{i}]") for i in range(d)]
        body = _numpy_body(names, program, targets)
        body.insert(0, f"_G = numpy.empty(({d}, {n0}.shape[0]))")
        source = "def value_and_grad_T(X):\n" + _indent(unpack) + "\n" + _guarded(body, "_f, _G")
        self.value_and_grad_T = _make_function("value_and_grad_T", source, _NUMPY_NAMESPACE)
        # value only
        (f,), _ = _rename([self.expr], self.symbols)
        body = _numpy_body(names, _cse([f]), targets[:1])
        source = "def value_T(X):\n" + _indent(unpack) + "\n" + _guarded(body, "_f")
        self.value_T = _make_function("value_T", source, _NUMPY_NAMESPACE)
        self.scalar_value_and_grad = self._compile_scalar(program, names)

    @staticmethod
    def _compile_scalar(program, names) -> Optional[Callable]:
        printer = _MathPrinter(_order(program[0]))
        reps, outputs = program
        try:
            lines = []
            for sym, val in reps:
                check_budget()
                lines.append(f"{sym} = {printer.doprint(val)}")
            outs = [
                _float_literal(e) if e.is_Number
                else f"float({printer.doprint(e)})" if const
                else printer.doprint(e)
                for e, const in zip(outputs, _constant_outputs(names, program))
            ]
        except ExpressionError:
            raise
        except Exception:  # anything the math printer cannot write: no scalar path
            return None
        if getattr(printer, "_not_supported", None):
            return None
        d = len(names)
        grad = ", ".join(outs[1:]) + ("," if d == 1 else "")
        nan = "(nan, (" + ", ".join(["nan"] * d) + ("," if d == 1 else "") + "))"
        source = (
            f"def scalar_value_and_grad({', '.join(names)}):\n"
            "    try:\n"
            + _indent(lines, 2)
            + ("\n" if lines else "")
            + f"        return ({outs[0]}, ({grad}))\n"
            "    except _ERRORS:\n"
            f"        return {nan}\n"
        )
        return _make_function("scalar_value_and_grad", source, _MATH_NAMESPACE)

    # -- display forms, computed on first use (they can be large for large expressions)
    @property
    def gradient_exprs(self) -> tuple:
        if self._gradient_exprs is None:
            with self._lock:
                if self._gradient_exprs is None:
                    self._gradient_exprs = tuple(
                        _raise_minmax(_diff(self.expr, s)) for s in self.symbols
                    )
        return self._gradient_exprs

    @property
    def hessian_exprs(self) -> tuple:
        if self._hessian_exprs is None:
            grads = self.gradient_exprs
            with self._lock:
                if self._hessian_exprs is None:
                    rows = []
                    for i, g in enumerate(grads):
                        row = []
                        for j, s in enumerate(self.symbols):
                            if j < i:
                                row.append(rows[j][i])
                            else:
                                row.append(_raise_minmax(_diff(g, s)))
                        rows.append(tuple(row))
                    self._hessian_exprs = tuple(rows)
        return self._hessian_exprs

    # -- Hessian, compiled on first use: forward mode over the gradient program
    def hess_T(self, X: np.ndarray) -> np.ndarray:
        if self._hess_T is None:
            with self._lock:
                if self._hess_T is None:
                    self._hess_T = self._compile_hess()
        return self._hess_T(X)

    def _compile_hess(self) -> Callable:
        d = len(self.symbols)
        names = self.arg_names
        vsyms = [sympy.Symbol(n, real=True) for n in names]
        reps, outputs = self._grad_program
        reps, outputs = _ssa(reps, outputs[1:], "_u")
        reps, D = _forward(reps, outputs, vsyms, "_h")
        pairs = [(i, j) for i in range(d) for j in range(i, d)]
        entries = [D[i][j] for i, j in pairs]
        reps = _prune(reps, entries)
        if any(e.has(sympy.I) for _, e in reps) or any(e.has(sympy.I) for e in entries):
            # not expected for a real gradient; never hand numpy a complex number
            nan = {sympy.I: sympy.nan}
            reps = [(s, e.xreplace(nan)) for s, e in reps]
            entries = [e.xreplace(nan) for e in entries]
        program = (reps, entries)
        targets = [
            (f"_H[:, {i}, {j}] = {{}}", f"_H[:, {i}, {j}] = {{}}", None) for i, j in pairs
        ]
        body = _numpy_body(names, program, targets)
        body += [f"_H[:, {j}, {i}] = _H[:, {i}, {j}]" for i, j in pairs if i != j]
        body.insert(0, f"_H = numpy.empty(({names[0]}.shape[0], {d}, {d}))")
        source = "def hess_T(X):\n" + _indent(self._unpack) + "\n" + _guarded(body, "_H")
        return _make_function("hess_T", source, _NUMPY_NAMESPACE)


@functools.lru_cache(maxsize=256)
def _compile_core(text: str, variables: tuple[str, ...]) -> _Core:
    return _Core(parse_expression(text, variables))


# -- the objective ----------------------------------------------------------------------------


class ExpressionObjective(Objective):
    """An :class:`~gdstudio.core.objective.Objective` compiled from a typed expression.

    ``expr``, ``gradient_exprs`` (tuple, one per variable) and ``hessian_exprs`` (tuple of
    tuples) are sympy objects for display. ``value_and_grad_T`` and
    ``scalar_value_and_grad`` are the generated functions themselves (instance attributes,
    so a call costs no extra Python layer).
    """

    def __init__(self, core: _Core, label: Optional[str] = None, source: Optional[str] = None):
        self._core = core
        self.names = core.variables
        self.label = label if label else core.text.strip()
        self.source = core.text if source is None else source
        self.default_domain = None
        self.expr = core.expr
        self.value_and_grad_T = core.value_and_grad_T
        self.scalar_value_and_grad = core.scalar_value_and_grad

    # display
    @property
    def text(self) -> str:
        """The expression as typed."""
        return self._core.text

    @property
    def gradient_exprs(self) -> tuple:
        return self._core.gradient_exprs

    @property
    def hessian_exprs(self) -> tuple:
        return self._core.hessian_exprs

    @property
    def pretty(self) -> str:
        """The expression as sympy writes it (``x**2 + y**2``)."""
        return sympy.sstr(self.expr)

    def latex(self) -> str:
        return sympy.latex(self.expr)

    # (N, d) interface
    def value(self, P: np.ndarray) -> np.ndarray:
        P = np.asarray(P, dtype=float)
        return self._core.value_T(P.T)

    def hess(self, P: np.ndarray) -> np.ndarray:
        P = np.asarray(P, dtype=float)
        return self._core.hess_T(P.T)

    def __repr__(self) -> str:
        return f"ExpressionObjective({self._core.text!r}, names={self.names!r})"

    # pickling / copying: recompile (cached) instead of pickling generated functions
    def __getstate__(self):
        state = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("_core", "value_and_grad_T", "scalar_value_and_grad")
        }
        state["_text_variables"] = (self._core.text, self._core.variables)
        return state

    def __setstate__(self, state):
        state = dict(state)
        text, variables = state.pop("_text_variables")
        core = _compile_core(text, variables)
        self.__dict__.update(state)
        self._core = core
        self.value_and_grad_T = core.value_and_grad_T
        self.scalar_value_and_grad = core.scalar_value_and_grad


def compile_function(
    text_or_parsed: Union[str, ParsedExpression],
    variables: Sequence[str] = ("x", "y"),
    label: Optional[str] = None,
) -> ExpressionObjective:
    """Compile a typed expression (or a :class:`ParsedExpression`) into an objective with
    exact gradient and Hessian. Compilation is cached by (text, variables): retyping the
    same text is instant. Raises :class:`~gdstudio.core.expression.ExpressionError`."""
    if isinstance(text_or_parsed, ParsedExpression):
        text, variables = text_or_parsed.text, text_or_parsed.variables
    else:
        text = text_or_parsed
        if not isinstance(text, str):
            raise ExpressionError(f"the expression must be text, not {type(text).__name__}")
    if isinstance(variables, str):
        variables = (variables,)
    core = _compile_core(text, tuple(variables))
    return ExpressionObjective(core, label=label)


# -- compile_numpy: for other modules -------------------------------------------------------


def _second_derivatives(program, names, wrt):
    """From a value-and-gradient program (outputs f, ∂f/∂w₀, ...), the program whose
    outputs are f, the gradient and the upper triangle of the Hessian (row by row),
    by forward mode over the gradient program."""
    wsyms = [sympy.Symbol(names[i], real=True) for i in wrt]
    reps, outputs = program
    reps, outs = _ssa(reps, outputs, "_u")
    reps, D = _forward(reps, outs[1:], wsyms, "_h")
    d = len(wsyms)
    entries = [D[k][l] for k in range(d) for l in range(k, d)]
    final = [outs[0], *outs[1:], *entries]
    return _prune(reps, final), final


def compile_derivatives(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], wrt: Sequence[int]):
    """``(value, value_and_grad, value_grad_hess)``: vectorised functions of ``symbols``
    (one array per symbol, broadcast together) returning lists of arrays: ``[f]``,
    ``[f, ∂f/∂w...]`` and ``[f, ∂f/∂w..., ∂²f/∂wₖ∂wₗ for k ≤ l]``, where ``w`` are the
    symbols at the indices ``wrt``. The derivatives are computed as
    :func:`compile_function` computes them (exact; a program in forward mode for large
    expressions, so a product of 200 factors costs seconds, not minutes), under the same
    time budgets."""
    symbols = list(symbols)
    with budget("differentiate"):
        grad_program, names = _value_and_derivatives(expr, symbols, wrt)
        hess_program = _second_derivatives(grad_program, names, wrt)
        (f,), _ = _rename([expr], symbols)
        value_program = _cse([f])
    with budget("compile"):
        return tuple(
            _compile_program(program, names, symbols)
            for program in (value_program, grad_program, hess_program)
        )


def _compile_program(program, names, symbols):
    for e in itertools.chain((e for _, e in program[0]), program[1]):
        if e.has(sympy.Derivative, sympy.Subs):
            raise ExpressionError("this expression cannot be differentiated exactly")
    m = len(program[1])
    targets = [(f"_out[{k}] = {{}}", f"_out[{k}] = {{}}", None) for k in range(m)]
    body = _numpy_body(names, program, targets) if m else []
    source = (
        f"def compiled({', '.join(names)}):\n"
        f"    _out = [None] * {m}\n" + _guarded(body or ["pass"], "_out")
    )
    return _broadcasting(
        _make_function("compiled", source, _NUMPY_NAMESPACE), names, symbols, program
    )


def _broadcasting(raw, names, syms, program=None):
    def compiled(*args):
        if len(args) != len(names):
            raise TypeError(f"expected {len(names)} arguments, got {len(args)}")
        args = [np.asarray(a, dtype=float) for a in args]
        shape = np.broadcast_shapes(*(a.shape for a in args)) if args else ()
        out = raw(*args)
        for k, r in enumerate(out):
            r = np.asarray(r, dtype=float)
            if r.shape != shape:
                r = np.broadcast_to(r, shape).copy()
            out[k] = r
        return out

    compiled.__source__ = raw.__source__
    compiled.symbols = tuple(syms)
    compiled.program_outputs = tuple(program[1]) if program is not None else None
    return compiled


def compile_numpy(
    exprs: Sequence[sympy.Expr], symbols: Sequence[Union[sympy.Symbol, str]]
) -> Callable[..., list[np.ndarray]]:
    """Compile sympy expressions of ``symbols`` into one vectorised function.

    The result takes one array (or number) per symbol, in order, and returns a list with
    one float array per expression, each broadcast to the common shape of the inputs
    (constant expressions too). Common subexpressions are computed once; numpy warnings
    are silenced (results are ``inf``/``nan`` as numpy gives them). ``symbols`` may be
    sympy symbols or names (matched against the expressions' free symbols by name).
    """
    exprs = [sympy.sympify(e) for e in exprs]
    free = set().union(*(e.free_symbols for e in exprs)) if exprs else set()
    by_name = {s.name: s for s in free}
    syms = []
    for s in symbols:
        if isinstance(s, str):
            s = by_name.get(s, sympy.Symbol(s, real=True))
        syms.append(s)
    extra = free - set(syms)
    if extra:
        raise ValueError(
            "the expressions use symbols that are not arguments: "
            + ", ".join(sorted(str(s) for s in extra))
        )
    exprs = [_without_dirac(e) for e in exprs]
    renamed, names = _rename(exprs, syms)
    m = len(renamed)
    targets = [(f"_out[{k}] = {{}}", f"_out[{k}] = {{}}", None) for k in range(m)]
    body = _numpy_body(names, _cse(renamed), targets) if m else []
    source = (
        f"def compiled({', '.join(names)}):\n"
        f"    _out = [None] * {m}\n" + _guarded(body or ["pass"], "_out")
    )
    raw = _make_function("compiled", source, _NUMPY_NAMESPACE)
    return _broadcasting(raw, names, syms)
