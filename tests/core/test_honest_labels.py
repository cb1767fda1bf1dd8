"""Labels that tell the truth: the lowest minimum a batch found is not the global minimum
unless the preset says so, and minima equal to rounding are equals."""

import json

import numpy as np

from gdstudio import descend
from gdstudio.cli import main
from gdstudio.core.critical import CriticalPoint, mark_best, values_agree


def test_the_worse_minimum_is_reported_as_not_global(capsys):
    r = descend("two_minima", [(1.6, 0.0)], lr=0.02, steps=2000)
    (c,) = r.critical_points
    assert c.kind == "minimum" and c.point[0] > 0.9
    assert c.best and c.global_minimum is False  # lowest *found*, but not the global one
    assert main(["run", "--function", "two_minima", "--start", "1.6,0", "--json"]) == 0
    (cp,) = json.loads(capsys.readouterr().out)["critical_points"]
    assert cp["global"] is False and cp["best"] is True
    assert main(["run", "--function", "two_minima", "--start", "1.6,0"]) == 0
    assert "(lowest found; local minimum, not global)" in capsys.readouterr().out


def test_both_minima_of_two_minima_are_labelled():
    r = descend("two_minima", [(1.6, 0.8), (-1.6, 0.8)], lr=0.02, steps=2000)
    deep, shallow = r.critical_points  # sorted by value
    assert deep.global_minimum is True and deep.best
    assert shallow.global_minimum is False and not shallow.best


def test_minima_equal_to_rounding_are_equals_not_one_best(capsys):
    # Himmelblau's four minima all have f = 0; runs stop at values 1e-15..1e-13 apart
    starts = [(3.5, 2.5), (-3.0, 3.5), (-4.0, -3.5), (3.8, -2.0)]
    r = descend("himmelblau", starts, lr=0.005, steps=3000)
    assert len(r.critical_points) == 4
    assert len({c.value for c in r.critical_points}) == 4  # the values do differ in their last bits
    assert all(c.best and c.global_minimum for c in r.critical_points)
    assert main(["run", "--function", "himmelblau", "--json", "--lr", "0.005", "--steps", "3000",
                 *sum((["--start", f"{x},{y}"] for x, y in starts), [])]) == 0
    cps = json.loads(capsys.readouterr().out)["critical_points"]
    assert [c["global"] for c in cps] == [True] * 4 and [c["best"] for c in cps] == [True] * 4


def test_a_typed_function_has_no_known_global_minimum(capsys):
    r = descend("(x^2 - 1)^2 + 0.3*x + y^2", [(1.6, 0.0)], lr=0.02, steps=2000)
    (c,) = r.critical_points
    assert c.best and c.global_minimum is None
    assert main(["run", "--function", "(x^2 - 1)^2 + 0.3*x + y^2", "--start", "1.6,0", "--lr", "0.02",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["critical_points"][0]["global"] is None


def test_saddles_are_never_global_minima():
    r = descend("saddle", [(1.0, 0.0)], lr=0.1, steps=500)
    (c,) = r.critical_points
    assert c.kind == "saddle" and c.global_minimum is False and not c.best


def test_values_agree_to_rounding_only():
    assert values_agree(0.0, 1e-14) and values_agree(-1.0316284534898774, -1.0316284534898770)
    assert not values_agree(0.294, -0.305) and not values_agree(1.0, 1.0 + 1e-6)
    # two minima 1e-7 apart in value are different ...
    a = CriticalPoint((0, 0), 1.0, "minimum", eigenvalues=(2.0, 2.0))
    b = CriticalPoint((1, 0), 1.0 + 1e-7, "minimum", eigenvalues=(2.0, 2.0))
    mark_best([a, b], np.array([0.0, 1e-6]))
    assert a.best and not b.best
    # ... unless the second run stopped early enough that its value may still be that high
    # above its exact minimum: ‖∇f‖²/(2λ) = (1e-3)²/4 > 1e-7
    mark_best([a, b], np.array([0.0, 1e-3]))
    assert a.best and b.best
