"""Built-in functions, with their usual domains and known critical points.

Every formula is written in the studio's own syntax and goes through the same parser and
exact differentiation as a typed function. The known points come from the cited literature
(minima) or from a search of the whole domain (saddles and maxima: Newton's method from a
60 x 60 grid of starts); every one was refined by Newton's method on the exact symbolic
gradient and Hessian in 40-digit arithmetic (``sympy.nsolve``) and is stored correctly
rounded to double precision. The lists are complete within each domain except for
Rastrigin and Ackley, whose lattices of local minima and saddles are represented by a few
points. ``tests/core/test_presets.py`` checks that the exact gradient vanishes at every
point, that one Newton step moves none of them, and that the Hessian has the stated kind.

Main sources: M. Jamil and X.-S. Yang, "A literature survey of benchmark functions for
global optimization problems", Int. J. Math. Modelling and Numerical Optimisation 4(2), 2013;
M. Molga and C. Smutnicki, "Test functions for optimization needs", 2005; S. Surjanovic and
D. Bingham, "Virtual Library of Simulation Experiments: Test Functions and Datasets", Simon
Fraser University (sfu.ca/~ssurjano).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .compiled import compile_function
from .objective import Objective


@dataclass(frozen=True)
class KnownPoint:
    x: float
    y: float
    value: float
    kind: str  # "global minimum" | "local minimum" | "saddle" | "maximum" | "degenerate"
    note: str = ""


@dataclass(frozen=True)
class Recommended:
    """The settings a preset arrives with, chosen so that the descent visibly does what the
    preset is there to show (``shows``). Starts are the explicit ``starts`` followed by
    ``random_starts`` points drawn by ``sampler`` with ``seed`` over the preset's domain."""

    optimizer: str
    lr: float
    steps: int
    tol: float
    starts: tuple[tuple[float, float], ...] = ()
    random_starts: int = 0
    sampler: str = "sobol"
    seed: int = 0
    hyper: tuple[tuple[str, float], ...] = ()
    shows: str = ""

    def start_points(self, domain):
        """The (N, 2) start points of these settings inside ``domain``."""
        import numpy as np

        from .starts import make_starts

        pts = [np.asarray(self.starts, float).reshape(-1, 2)]
        if self.random_starts:
            pts.append(make_starts(self.sampler, self.random_starts, domain, self.seed))
        return np.concatenate(pts)

    def describe(self) -> str:
        """One line: ``gd, lr 0.02, 2000 steps, tol 1e-06, from (1.6, 0.8) and (-1.6, 0.8)``."""
        hyper = "".join(f", {k} {v:g}" for k, v in self.hyper)
        where = []
        if self.starts:
            where.append(" and ".join(f"({x:g}, {y:g})" for x, y in self.starts))
        if self.random_starts:
            where.append(f"{self.random_starts} {self.sampler} starts (seed {self.seed})")
        return (f"{self.optimizer}, lr {self.lr:g}{hyper}, {self.steps} steps, tol {self.tol:g}, "
                f"from {' plus '.join(where)}")


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    formula: str
    domain: tuple[tuple[float, float], tuple[float, float]]
    points: tuple[KnownPoint, ...]
    reference: str
    notes: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    recommended: Recommended | None = None

    @property
    def global_minima(self) -> tuple[KnownPoint, ...]:
        return tuple(p for p in self.points if p.kind == "global minimum")

    @property
    def minima(self) -> tuple[KnownPoint, ...]:
        return tuple(p for p in self.points if p.kind.endswith("minimum"))

    @property
    def saddles(self) -> tuple[KnownPoint, ...]:
        return tuple(p for p in self.points if p.kind in ("saddle", "degenerate", "maximum"))


G, L, S, M, D = "global minimum", "local minimum", "saddle", "maximum", "degenerate"
_SFU = "Surjanovic & Bingham, Virtual Library of Simulation Experiments (SFU)"
_JY = "Jamil & Yang (2013)"

_LIST = [
    Preset(
        "bowl", "Round bowl", "x^2 + y^2", ((-3.0, 3.0), (-3.0, 3.0)),
        (KnownPoint(0.0, 0.0, 0.0, G),),
        "the sphere function; e.g. " + _JY,
        "Convex and perfectly conditioned: −∇f points straight at the minimum.",
        ("convex",),
    ),
    Preset(
        "elongated", "Elongated bowl (ill-conditioned)", "0.5*x^2 + 12.5*y^2",
        ((-4.0, 4.0), (-2.0, 2.0)),
        (KnownPoint(0.0, 0.0, 0.0, G, "Hessian eigenvalues 1 and 25: condition number 25"),),
        "a quadratic with condition number 25; see Goh, \"Why Momentum Really Works\", Distill 2017",
        "Plain GD zig-zags across the narrow valley; stable only for lr < 2/25 = 0.08.",
        ("convex",),
    ),
    Preset(
        "two_minima", "Two minima of different depth", "(x^2 - 1)^2 + 0.3*x + y^2",
        ((-2.0, 2.0), (-1.5, 1.5)),
        (
            KnownPoint(-1.0355787140888537, 0.0, -0.30542848374391596, G),
            KnownPoint(0.9601495555191055, 0.0, 0.29414648102826285, L, "the worse minimum"),
            KnownPoint(0.07542915856974822, 0.0, 1.011282002715653, S, "the ridge between the basins"),
        ),
        "a tilted double well, the textbook picture of a non-convex loss",
        "Starts right of the ridge at x ≈ 0.075 end in the worse minimum.",
        ("non-convex",),
    ),
    Preset(
        "saddle", "Saddle x² − y²", "x^2 - y^2", ((-2.0, 2.0), (-2.0, 2.0)),
        (KnownPoint(0.0, 0.0, 0.0, S, "∇f = 0 but not a minimum; GD from (1, 0) stops here"),),
        "the standard saddle (hyperbolic paraboloid)",
        "The gradient vanishes at the saddle: from (1, 0) GD stops there.",
        ("saddle",),
    ),
    Preset(
        "monkey_saddle", "Monkey saddle x³ − 3xy²", "x^3 - 3*x*y^2", ((-1.5, 1.5), (-1.5, 1.5)),
        (KnownPoint(0.0, 0.0, 0.0, D, "Hessian is zero: a degenerate critical point"),),
        "the monkey saddle, e.g. Hilbert & Cohn-Vossen, Geometry and the Imagination (1932)",
        "Three valleys meet at a flat point where the Hessian vanishes.",
        ("saddle",),
    ),
    Preset(
        "rosenbrock", "Rosenbrock", "(1 - x)^2 + 100*(y - x^2)^2", ((-2.0, 2.0), (-1.0, 3.0)),
        (KnownPoint(1.0, 1.0, 0.0, G),),
        "H. H. Rosenbrock, The Computer Journal 3(3), 1960; " + _SFU,
        "A curved, narrow valley: easy to find, slow to follow.",
        ("valley",),
    ),
    Preset(
        "himmelblau", "Himmelblau", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", ((-5.0, 5.0), (-5.0, 5.0)),
        (
            KnownPoint(3.0, 2.0, 0.0, G),
            KnownPoint(-2.805118086952745, 3.131312518250573, 0.0, G),
            KnownPoint(-3.779310253377747, -3.2831859912861696, 0.0, G),
            KnownPoint(3.5844283403304917, -1.8481265269644036, 0.0, G),
            KnownPoint(-0.2708445906673476, -0.9230385564799815, 181.6165215225827, M),
            KnownPoint(0.08667750455539636, 2.884254701174776, 67.71915008752615, S),
            KnownPoint(-3.0730257507643897, -0.08135304428796751, 104.0151629175581, S),
            KnownPoint(3.385154183607021, 0.07385187983774928, 13.31192627040559, S),
            KnownPoint(-0.12796134673068008, -1.9537149802445763, 178.33723920192747, S),
        ),
        "D. M. Himmelblau, Applied Nonlinear Programming, McGraw-Hill 1972; " + _JY,
        "Four equally deep minima, one maximum and four saddles.",
        ("non-convex",),
    ),
    Preset(
        "beale", "Beale", "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
        ((-4.5, 4.5), (-4.5, 4.5)),
        (
            KnownPoint(3.0, 0.5, 0.0, G),
            KnownPoint(0.10053793732415836, -2.644513585023125, 9.86451228475556, S),
            KnownPoint(0.0, 1.0, 14.203125, S, "f is constant along y = 1"),
        ),
        "E. M. L. Beale, Princeton University report, 1958; " + _SFU,
        "Flat plateaus and sharp ridges near the corners.",
        ("valley",),
    ),
    Preset(
        "booth", "Booth", "(x + 2*y - 7)^2 + (2*x + y - 5)^2", ((-10.0, 10.0), (-10.0, 10.0)),
        (KnownPoint(1.0, 3.0, 0.0, G),),
        _JY + "; " + _SFU,
        "A convex quadratic with a tilted, mildly elongated bowl.",
        ("convex",),
    ),
    Preset(
        "matyas", "Matyas", "0.26*(x^2 + y^2) - 0.48*x*y", ((-10.0, 10.0), (-10.0, 10.0)),
        (KnownPoint(0.0, 0.0, 0.0, G, "Hessian eigenvalues 0.04 and 1: condition number 25"),),
        _JY + "; " + _SFU,
        "A flat, diagonal valley: the gradient is tiny along it.",
        ("convex",),
    ),
    Preset(
        "six_hump_camel", "Six-hump camel", "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2",
        ((-2.5, 2.5), (-1.5, 1.5)),
        (
            KnownPoint(0.08984201310031806, -0.7126564030207396, -1.0316284534898774, G),
            KnownPoint(-0.08984201310031806, 0.7126564030207396, -1.0316284534898774, G),
            KnownPoint(1.703606714969981, -0.7960835686726251, -0.2154638243837184, L),
            KnownPoint(-1.703606714969981, 0.7960835686726251, -0.2154638243837184, L),
            KnownPoint(1.6071047529201974, 0.5686514548841314, 2.1042503103112575, L),
            KnownPoint(-1.6071047529201974, -0.5686514548841314, 2.1042503103112575, L),
            KnownPoint(0.0, 0.0, 0.0, S),
            KnownPoint(1.1092053368047863, -0.7682680925095399, 0.543718600978185, S),
            KnownPoint(-1.1092053368047863, 0.7682680925095399, 0.543718600978185, S),
            KnownPoint(1.6380679841897787, 0.22867406904439408, 2.2293571975307143, S),
            KnownPoint(-1.6380679841897787, -0.22867406904439408, 2.2293571975307143, S),
            KnownPoint(1.2960702671671092, 0.6050843880386585, 2.2294708180298595, S),
            KnownPoint(-1.2960702671671092, -0.6050843880386585, 2.2294708180298595, S),
            KnownPoint(1.2302298765166526, 0.16233458445899496, 2.496295351023577, M),
            KnownPoint(-1.2302298765166526, -0.16233458445899496, 2.496295351023577, M),
        ),
        "L. C. W. Dixon & G. P. Szegö, Towards Global Optimisation 2, 1978; Molga & Smutnicki (2005)",
        "Two global and four local minima (plus seven saddles and two maxima). The domain "
        "is the central part of the usual [-3, 3] x [-2, 2], where f reaches 160.",
        ("non-convex",),
    ),
    Preset(
        "goldstein_price", "Goldstein–Price",
        "(1 + (x + y + 1)^2*(19 - 14*x + 3*x^2 - 14*y + 6*x*y + 3*y^2))"
        "*(30 + (2*x - 3*y)^2*(18 - 32*x + 12*x^2 + 48*y - 36*x*y + 27*y^2))",
        ((-2.0, 2.0), (-2.0, 2.0)),
        (
            KnownPoint(0.0, -1.0, 3.0, G),
            KnownPoint(-0.6, -0.4, 30.0, L),
            KnownPoint(1.8, 0.2, 84.0, L),
            KnownPoint(1.2, 0.8, 840.0, L),
            KnownPoint(-0.4, -0.6, 35.0, S),
            KnownPoint(1.2, -0.2, 99.0, S),
            KnownPoint(1.4, 0.6, 980.0, S),
            KnownPoint(0.6, 0.4, 990.0, S),
            KnownPoint(0.8, 0.2, 1155.0, M),
        ),
        "A. A. Goldstein & J. F. Price, Mathematics of Computation 25, 1971; " + _SFU,
        "Values span six orders of magnitude; three local minima trap descent.",
        ("non-convex",),
    ),
    Preset(
        "rastrigin", "Rastrigin", "20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)",
        ((-5.12, 5.12), (-5.12, 5.12)),
        (
            KnownPoint(0.0, 0.0, 0.0, G, "surrounded by a lattice of local minima near integer points"),
            KnownPoint(0.9949586376523348, 0.0, 0.9949590570932914, L, "the nearest ones"),
            KnownPoint(-0.9949586376523348, 0.0, 0.9949590570932914, L),
            KnownPoint(0.0, 0.9949586376523348, 0.9949590570932914, L),
            KnownPoint(0.0, -0.9949586376523348, 0.9949590570932914, L),
            KnownPoint(0.9949586376523348, 0.9949586376523348, 1.9899181141865827, L),
        ),
        "L. A. Rastrigin, Systems of Extremal Control, 1974; " + _SFU,
        "A bowl covered in ripples: most starts stop in a local minimum.",
        ("non-convex",),
    ),
    Preset(
        "ackley", "Ackley",
        "-20*exp(-0.2*sqrt(0.5*(x^2 + y^2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20",
        ((-5.0, 5.0), (-5.0, 5.0)),
        (KnownPoint(0.0, 0.0, 0.0, G, "a cone tip: f is not differentiable exactly there"),),
        "D. H. Ackley, A Connectionist Machine for Genetic Hillclimbing, 1987; " + _SFU,
        "A nearly flat outer region with many local minima and a deep central funnel.",
        ("non-convex",),
    ),
]

# What each preset is there to show, and the settings that show it. Every choice was checked
# from 200 Sobol starts over the domain (tests/core/test_presets_recommended.py): no run
# diverges and at least three quarters converge, except where the function itself forbids it:
# the two saddles are unbounded below, and Beale is not coercive (from the left of its domain
# f falls towards ≈0.45 along a valley y ≈ 1 − 0.99/x that runs off to x → −∞, so those starts
# never arrive, whatever the optimizer; Newton's method does no better).
# Rates stay below 2/λmax of the Hessian over the domain where plain GD is used (Rastrigin:
# λmax ≈ 2 + 40π² ≈ 397, so lr 0.002; Himmelblau: ≈ 280 at the corners, so lr 0.005);
# tolerances are scaled to the function (Goldstein–Price's Hessian reaches 10⁴ at its minima,
# so a gradient norm of 0.1 is already within 10⁻⁵ of the point).
_RECOMMENDED = {
    "bowl": Recommended(
        "gd", 0.1, 500, 1e-6, starts=((2.5, 1.5),),
        shows="every step points straight at the minimum and shrinks by the same factor"),
    "elongated": Recommended(
        "gd", 0.07, 1000, 1e-6, starts=((-3.5, 1.5),),
        shows="just below the stability limit 2/25 = 0.08: GD zig-zags across the narrow valley"),
    "two_minima": Recommended(
        "gd", 0.02, 2000, 1e-6, starts=((1.6, 0.8), (-1.6, 0.8)),
        shows="the start on the right ends in the worse minimum, the one on the left in the global one"),
    "saddle": Recommended(
        "gd", 0.1, 500, 1e-6, starts=((1.0, 0.0),),
        shows="from (1, 0) the gradient has no y-part, so GD walks into the saddle and stops there"),
    "monkey_saddle": Recommended(
        "gd", 0.1, 10000, 1e-6, starts=((1.0, 0.0),),
        shows="along y = 0 the gradient 3x² fades so fast that GD creeps into the flat point"),
    "rosenbrock": Recommended(
        "momentum", 5e-4, 10000, 1e-4, starts=((-1.5, 2.0),), hyper=(("momentum", 0.9),),
        shows="the run drops into the curved valley at once, then crawls along it to (1, 1)"),
    "himmelblau": Recommended(
        "gd", 0.005, 2000, 1e-6, random_starts=16,
        shows="sixteen spread-out starts share out between the four equally deep minima"),
    "beale": Recommended(
        "adam", 0.05, 10000, 1e-3, starts=((1.0, 1.5), (-1.0, -1.0)),
        shows="Adam's bounded steps cross the plateaus and ridges to the minimum at (3, 0.5); "
        "starts far left instead follow the valley that runs off to x → −∞"),
    "booth": Recommended(
        "gd", 0.05, 1000, 1e-6, starts=((-8.0, 8.0),),
        shows="a convex quadratic: a straight, slightly curved path to (1, 3)"),
    "matyas": Recommended(
        "gd", 0.5, 2000, 1e-6, starts=((6.0, 9.0),),
        shows="a quick drop onto the diagonal, then a long crawl where the gradient is tiny"),
    "six_hump_camel": Recommended(
        "gd", 0.005, 3000, 1e-6, random_starts=30,
        shows="thirty starts find the two global minima and the four local ones"),
    "goldstein_price": Recommended(
        "adam", 0.02, 5000, 0.1, random_starts=30,
        shows="values span six orders of magnitude; Adam's scaled steps settle in all four minima"),
    "rastrigin": Recommended(
        "gd", 0.002, 1000, 1e-6, random_starts=100,
        shows="a hundred random starts settle within a few steps in the ripples' local minima"),
    "ackley": Recommended(
        "gd", 0.01, 2000, 1e-6, random_starts=50,
        shows="most starts stop in the outer local minima; those near the centre fall into the funnel"),
}
_LIST = [replace(p, recommended=_RECOMMENDED[p.name]) for p in _LIST]

PRESETS: dict[str, Preset] = {p.name: p for p in _LIST}

_ALIASES = {"sphere": "bowl", "camel": "six_hump_camel", "goldstein": "goldstein_price",
            "double_well": "two_minima", "monkey": "monkey_saddle"}


def find_preset(name: str) -> Preset | None:
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_").replace("–", "_")
    key = _ALIASES.get(key, key)
    return PRESETS.get(key)


def get_objective(name_or_text: str, variables=("x", "y")) -> Objective:
    """A preset by name (case-insensitive; '-' and ' ' count as '_'), or else the text
    compiled as an expression. Raises ExpressionError for text that is neither."""
    preset = find_preset(name_or_text) if tuple(variables) == ("x", "y") else None
    if preset is None:
        return compile_function(name_or_text, variables)
    obj = compile_function(preset.formula, ("x", "y"), label=preset.title)
    obj.source = preset.name
    obj.default_domain = preset.domain
    obj.preset = preset
    return obj


def _wrapped(text: str, width: int, indent: str, hang: str) -> list[str]:
    import textwrap

    return textwrap.wrap(
        text, width=width, initial_indent=indent, subsequent_indent=hang,
        break_long_words=False, break_on_hyphens=False,
    ) or [indent.rstrip()]


def _formula_lines(formula: str, width: int, indent: str, hang: str) -> list[str]:
    """A long formula broken after a product's ')*' or a sum's ' + ' / ' - ', at the
    outermost parenthesis level that makes it fit."""
    for level in range(0, 6):
        pieces, start, depth = [], 0, 0
        for i, ch in enumerate(formula):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif depth <= level and (
                (ch == "*" and formula[i - 1] == ")")
                or (ch == " " and formula[i - 1] in "+-" and formula[i - 2] == " ")
            ):
                pieces.append(formula[start : i + 1])
                start = i + 1
        pieces.append(formula[start:])
        lines, line = [], indent
        for piece in pieces:
            if len(line) + len(piece.rstrip()) > width and line.strip() != indent.strip():
                lines.append(line.rstrip())
                line = hang
            line += piece
        lines.append(line.rstrip())
        if all(len(x) <= width for x in lines):
            return lines
    return lines


def format_presets_table(width: int = 100) -> str:
    """The text of ``gdstudio presets``: every line fits in ``width`` columns."""
    out = ["Built-in functions (use the name with --function, or pick them in the studio):", ""]
    for p in _LIST:
        (x0, x1), (y0, y1) = p.domain
        out += _wrapped(f"{p.name}  —  {p.title}", width, "", "    ")
        out += _formula_lines(p.formula, width, "    f(x, y) = ", " " * 16)
        out.append(f"    domain  x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]")
        for k in p.points:
            note = f"  ({k.note})" if k.note else ""
            line = f"    {k.kind:<15} ({k.x:.6g}, {k.y:.6g})  f = {k.value:.6g}{note}"
            out += _wrapped(line, width, "", " " * 20)
        if p.notes:
            out += _wrapped(p.notes, width, "    ", "    ")
        if p.recommended is not None:
            out += _wrapped(f"recommended: {p.recommended.describe()}", width, "    ", "        ")
            out += _wrapped(f"shows: {p.recommended.shows}", width, "    ", "        ")
        out += _wrapped(f"source: {p.reference}", width, "    ", "            ")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
