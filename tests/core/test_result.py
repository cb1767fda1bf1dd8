"""The result as a notebook user reads it: a short repr, summary(), to_pandas(), the fields a
scipy user looks for, and statuses that are codes but compare like names."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import gdstudio
from gdstudio.core.status import Status
from gdstudio.core.status_array import StatusArray

BOWL = "x^2 + 2*y^2"


@pytest.fixture(scope="module")
def mixed():
    # run 0 converges, run 1 is too slow for the step limit, run 2's rate is past 2/λ: diverges
    return gdstudio.descend(BOWL, [(1, 1), (1, 1), (1, 1)], lr=[0.1, 1e-4, 1.5], steps=300)


def test_status_is_codes_that_compare_like_names():
    s = StatusArray(np.array([1, 3, 2, 1], np.int8))
    assert s.codes.dtype == np.int8 and not s.codes.flags.writeable
    assert s[0] == "converged" and s[1] == "max_steps" and s[-1] == "converged"
    np.testing.assert_array_equal(s == "converged", [True, False, False, True])
    np.testing.assert_array_equal(s != Status.DIVERGED, [True, True, False, True])
    assert s == ["converged", "max_steps", "diverged", "converged"]
    assert s != ["converged"] and s[1:3] == ["max_steps", "diverged"]
    assert list(s) == ["converged", "max_steps", "diverged", "converged"]
    assert s.count("converged") == 2
    assert s.counts() == {"converged": 2, "diverged": 1, "max_steps": 1}
    assert np.asarray(s).tolist() == list(s)
    assert s.messages[2] == Status.DIVERGED.message
    assert repr(s) == "StatusArray(['converged', 'max_steps', 'diverged', 'converged'])"
    big = StatusArray(np.ones(10_000, np.int8))
    assert repr(big) == "StatusArray(10,000 runs: 10,000 converged)"
    with pytest.raises(ValueError, match="unknown status 'done'"):
        s == "done"  # noqa: B015 - the comparison itself must refuse a misspelt name
    assert StatusArray(["diverged"]).codes.tolist() == [2]


def test_scipy_fields_and_the_message(mixed):
    r = mixed
    assert list(r.status) == ["converged", "max_steps", "diverged"], r.status
    np.testing.assert_array_equal(r.success, [True, False, False])
    assert not r.all_converged
    assert r.message == "1 of 3 runs converged; 1 took the most steps allowed; 1 diverged."
    np.testing.assert_array_equal(r.nit, r.steps)
    np.testing.assert_array_equal(r.nfev, np.asarray(r.steps) + 1)
    np.testing.assert_allclose(r.x, [0.0, 0.0], atol=1e-6)
    assert r.fun == pytest.approx(0.0, abs=1e-12) and r.fun == r.best.value
    one = gdstudio.descend("x^2 + y^2", [(1, 1)], lr=0.1)
    assert one.all_converged and one.message == "The run converged."


def test_repr_is_short_however_many_runs():
    starts = np.random.default_rng(0).uniform(-2, 2, (1000, 2))
    r = gdstudio.descend("x^2 + 3*y^2", starts, optimizer="adam", lr=0.05, steps=3000)
    text = repr(r)
    assert len(text) < 300 and "\n" not in text
    assert text.startswith("<DescentResult: 1,000 runs of x^2 + 3*y^2 (adam, lr 0.05")
    assert "1,000 converged" in text and "best minimum" in text


def test_summary_table(mixed):
    text = mixed.summary()
    assert repr(text) == str(text)  # shows as the table in a notebook, not as a quoted string
    lines = str(text).splitlines()
    assert lines[0] == f"function  {BOWL}"
    assert "status    1 converged, 1 max_steps, 1 diverged" in lines
    assert "found     1 minimum, 2 none" in lines
    assert any(l.startswith("best      minimum ") for l in lines)
    assert "Distinct critical points found (1):" in lines


def test_to_pandas_one_row_per_run(mixed):
    pd = pytest.importorskip("pandas")  # the test extra installs it: this never skips in CI
    df = mixed.to_pandas()
    assert list(df.columns) == ["run", "start_x", "start_y", "x", "y", "value", "grad_x", "grad_y",
                                "steps", "nfev", "status", "success", "critical"]
    assert len(df) == 3 and df["run"].tolist() == [0, 1, 2]
    assert df["status"].tolist() == ["converged", "max_steps", "diverged"]
    assert (df["status"] == "converged").tolist() == [True, False, False]
    assert df["success"].tolist() == [True, False, False]
    np.testing.assert_array_equal(df[["x", "y"]].to_numpy(), mixed.final_points)
    assert isinstance(df["status"].dtype, pd.CategoricalDtype)


def test_to_pandas_without_pandas_says_what_to_install(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'pandas':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _Block())\n")
    code = ("import gdstudio\n"
            "r = gdstudio.descend('x^2 + y^2', [(1, 1)], lr=0.1)\n"
            "try:\n    r.to_pandas()\nexcept ImportError as e:\n    print(e)\n")
    import os
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == ("to_pandas() needs pandas, which is not installed: pip install pandas "
                                "(or pip install 'gdstudio[pandas]')")


def test_status_survives_json_through_the_cli_helpers(mixed):
    # the command line writes statuses as names
    assert json.loads(json.dumps([mixed.status[i] for i in range(3)])) == list(mixed.status)
