"""Function text in the window: a preset name or a typed expression of x and y, compiled to
an Objective (every refusal an ``ExpressionError`` with its column), checked for syntax
alone (quick enough for the GUI thread) and the preset's own domain."""

from __future__ import annotations

from ..core.objective import Objective


def resolve_function(text: str) -> Objective:
    """A preset name or a typed expression -> Objective (raises ExpressionError)."""
    try:
        from ..core.presets import get_objective
    except ImportError:  # presets not available: typed expressions only
        from ..core.compiled import compile_function

        return compile_function(text)
    return get_objective(text)


def _compile(text: str) -> Objective:
    """``resolve_function`` whose every refusal is an ``ExpressionError`` (a ValueError)."""
    from ..core.expression import ExpressionError

    try:
        obj = resolve_function(text)
    except ExpressionError:
        raise
    except (ValueError, TypeError, KeyError) as err:
        raise ExpressionError(str(err)) from None
    if obj.dim != 2:
        raise ExpressionError("the function must use the variables x and y")
    return obj


def check_syntax(text: str) -> None:
    """Raise ``ExpressionError`` (with its column) for text that is neither a preset name nor a
    well-formed function of x and y; the parse alone, without compiling."""
    from ..core.expression import parse_expression
    from ..core.presets import find_preset

    if find_preset(text) is None:
        parse_expression(text)


def preset_domain(text: str):
    try:
        from ..core.presets import PRESETS
    except ImportError:
        return None
    p = PRESETS.get(text.strip())
    return tuple(tuple(map(float, r)) for r in p.domain) if p is not None else None
