"""Sweeps in-process: ranges, the settings grid, the measured rate against theory, the table."""

import math
import numpy as np
import pytest

from gdstudio.app.executors import Cancelled
from gdstudio.app.sweep import (RESULT_COLUMNS, SETTING_COLUMNS, SweepError, make_spec,
                                parse_values, run_setting, sweep)
from gdstudio.app.sweep_io import read_sweep_csv
from gdstudio.app.sweep_theory import (constant_hessian_eigenvalues, quadratic_rate,
                                       stable_lr_limit)
from gdstudio.core.presets import get_objective


def exact(rows):
    """Rows as text, float by float (repr reads back to the same double; nan equals nan)."""
    return [[repr(r[k]) for k in SETTING_COLUMNS + RESULT_COLUMNS] for r in rows]


def test_ranges_are_log_spaced_for_rates_and_linear_otherwise():
    assert parse_values("1e-4:1e-1:4", "lr") == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1])
    assert parse_values("0:0.9:4", "momentum") == pytest.approx([0, 0.3, 0.6, 0.9])
    assert parse_values("0.1, 0.02", "lr") == [0.1, 0.02]
    assert parse_values("0.5:0.5:1", "momentum") == [0.5]


@pytest.mark.parametrize("text, words", [
    ("", "empty"), ("1:0.1:3", "write the smaller end first"), ("1e-3:1e-1:0", "N ≥ 1"),
    ("0:0.1:3", "start above 0"), ("0.1,0.1", "twice"), ("1:2", "A:B:N"), ("a,b", "not a number"),
    ("0.1:0.1:3", "repeats"),
])
def test_bad_ranges_get_one_sentence(text, words):
    with pytest.raises(SweepError, match=words):
        parse_values(text, "lr")


def test_an_optimizer_is_swept_only_over_the_hyper_parameters_it_takes():
    spec = make_spec("bowl", starts=[[1, 1]], optimizer="gd,momentum,adam", lr=[0.1, 0.01],
                     momentum=[0.0, 0.5, 0.9], beta1=[0.8, 0.9])
    per = {}
    for s in spec.settings:
        per[s.optimizer] = per.get(s.optimizer, 0) + 1
    assert per == {"gd": 2, "momentum": 6, "adam": 4}
    adam = [s.hyper_dict() for s in spec.settings if s.optimizer == "adam"]
    assert {h["beta2"] for h in adam} == {0.999}       # not swept: the default, recorded


def test_settings_are_validated_before_any_work():
    with pytest.raises(SweepError, match="momentum"):
        make_spec("bowl", starts=2, optimizer="momentum", momentum="0:1:3")
    with pytest.raises(SweepError, match="gd has no hyper-parameter 'momentum'"):
        make_spec("bowl", starts=2, optimizer="gd", momentum=[0.5])
    with pytest.raises(SweepError, match="unknown optimizer"):
        make_spec("bowl", starts=2, optimizer="sgdx")


def test_measured_rate_is_the_spectral_radius_on_the_elongated_bowl():
    obj = get_objective("elongated")
    lam = constant_hessian_eigenvalues(obj)
    assert lam == pytest.approx([1.0, 25.0])
    table = sweep(obj, starts=[[1.5, 1.0], [-2.0, 0.5]], optimizer="gd,momentum",
                  lr=[0.02, 0.05], momentum=[0.0, 0.3], steps=3000, tol=1e-10)
    assert len(table) == 2 + 4
    for row in table:
        assert row["converged"] == 2
        theory = quadratic_rate(row["optimizer"], row["lr"], lam, row["momentum"] or 0.0)
        # real roots: ‖∇f‖ shrinks by exactly the spectral radius in the long run
        assert row["rate"] == pytest.approx(float(theory), abs=2e-4)


def test_theory_boundary_is_where_the_rate_reaches_one():
    lam = [1.0, 25.0]
    for opt in ("gd", "momentum", "nesterov"):
        for mu in (0.0, 0.5, 0.9):
            lim = stable_lr_limit(opt, 25.0, mu)
            m = 0.0 if opt == "gd" else mu
            assert quadratic_rate(opt, lim * 0.999, lam, m) < 1 < quadratic_rate(opt, lim * 1.001, lam, m)


def test_counts_medians_and_diverged_runs():
    table = sweep("elongated", starts=[[1, 1], [2, -1], [-1, 0.5]], optimizer="gd",
                  lr=[0.01, 0.05, 0.1], steps=400, tol=1e-8)
    slow, good, bad = table.rows
    assert (slow["max_steps"], slow["converged"]) == (3, 0) and math.isnan(slow["rate"])
    assert good["converged"] == 3 and good["median_steps_to_converge"] > 0
    assert bad["diverged"] == 3 and bad["median_value"] == math.inf and math.isnan(bad["best_value"])
    assert table.best["lr"] == 0.05
    assert [r["lr"] for r in table.sorted()][-1] == 0.1


def test_csv_round_trips_exactly_with_its_sidecar(tmp_path):
    import json

    table = sweep("rosenbrock", starts=4, seed=3, optimizer="momentum,adam", lr="1e-3:1e-2:2",
                  momentum=[0.5, 0.9], steps=200)
    out = tmp_path / "sweep.csv"
    table.to_csv(out)
    header = out.read_text().splitlines()[0].split(",")
    assert header == list(SETTING_COLUMNS + RESULT_COLUMNS)
    back = read_sweep_csv(out)
    assert exact(back) == exact(table.rows)
    meta = json.loads((tmp_path / "sweep.json").read_text())
    assert meta["format"] == "gdstudio-sweep" and len(meta["starts"][0]) == 4
    assert "second half" in meta["rate"]
    # the same sweep from the sidecar's records gives the same table
    again = sweep(meta["functions"][0], starts=np.array(meta["starts"][0]),
                  optimizer=meta["axes"]["optimizer"], lr=meta["axes"]["lr"],
                  momentum=meta["axes"]["momentum"], steps=meta["steps"], tol=meta["tol"])
    assert exact(again.rows) == exact(table.rows)


def test_csv_and_sidecar_are_replaced_together_or_not_at_all(tmp_path, monkeypatch):
    # the sidecar's rename fails after the CSV's: the CSV is put back, so the pair on disk is
    # still the old, matching one
    import os

    from gdstudio.io.trajectories import ExportError

    out, side = tmp_path / "sweep.csv", tmp_path / "sweep.json"
    out.write_text("old table\n")
    side.write_text("{\"old\": true}\n")
    table = sweep("bowl", starts=2, optimizer="gd", lr=[0.1, 0.2], steps=50)
    real_replace = os.replace

    def failing_replace(src, dst):
        if str(dst).endswith("sweep.json"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ExportError, match="No space left"):
        table.to_csv(out)
    monkeypatch.setattr(os, "replace", real_replace)
    assert out.read_text() == "old table\n" and side.read_text() == "{\"old\": true}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.csv", "sweep.json"]


def test_to_pandas_or_a_clear_sentence():
    table = sweep("bowl", starts=2, optimizer="gd", lr=[0.1, 0.2], steps=50)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            table.to_pandas()
    else:
        df = table.to_pandas()
        assert list(df.columns) == list(SETTING_COLUMNS + RESULT_COLUMNS) and len(df) == 2


def test_cancel_stops_inside_a_setting():
    obj = get_objective("rosenbrock")
    spec = make_spec(obj, starts=8, optimizer="gd", lr=[1e-4], steps=100_000, tol=0)
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        run_setting(obj, spec.starts[0], spec.settings[0], spec.steps, spec.tol, spec.domains[0], cancel)
    assert len(calls) == 4


def test_a_sweep_over_the_size_limit_needs_confirmation():
    with pytest.raises(SweepError, match="above the limit"):
        sweep("bowl", starts=1000, optimizer="gd", lr="1e-3:1e-1:100", steps=100_000, confirm=False)


def test_progress_reports_every_setting():
    seen = []
    sweep("bowl", starts=2, optimizer="gd,momentum", lr=[0.1, 0.2], momentum=[0.5], steps=50,
          progress=lambda done, total, i, row: seen.append((done, total, i, row["optimizer"])))
    assert [s[0] for s in seen] == [1, 2, 3, 4] and {s[1] for s in seen} == {4}
    assert sorted(s[2] for s in seen) == [0, 1, 2, 3]


def test_gdstudio_sweep_is_lazy_and_imports_neither_qt_nor_dask():
    import subprocess
    import sys

    code = ("import sys, gdstudio; assert 'gdstudio.app.sweep' not in sys.modules; "
            "t = gdstudio.sweep('bowl', starts=2, lr=[0.1], steps=20); "
            "bad = [m for m in ('PySide6', 'pyqtgraph', 'dask', 'distributed') if m in sys.modules]; "
            "print(len(t), bad)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.stdout.strip() == "1 []", p.stderr
