"""The package as a person installs it: an sdist that carries the tests and docs, a wheel
built from that sdist, installed with ``pip install --target DIR``, finds its shipped data.

One build (sdist, then a wheel from the unpacked sdist, as pip does) is shared by the tests
of this module; it takes a few seconds and needs no network (setuptools comes from the test
extra).
"""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["gdstudio", "resources", "tests", "docs", "benchmarks", ".ci", "pyproject.toml",
           "setup.py", "MANIFEST.in", "README.md", "LICENSE"]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")


def _build(kind: str, src: Path, out: Path) -> Path:
    code = (f"import setuptools.build_meta as b, sys; "
            f"print(b.build_{kind}(sys.argv[1]))")
    p = subprocess.run([sys.executable, "-c", code, str(out)], cwd=src, capture_output=True,
                       text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-2000:]
    return out / p.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("pkg")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:
        s = ROOT / name
        if s.is_dir():
            shutil.copytree(s, src / name, ignore=IGNORE)
        else:
            shutil.copy2(s, src / name)
    dist = base / "dist"
    dist.mkdir()
    sdist = _build("sdist", src, dist)
    with tarfile.open(sdist) as tf:
        tf.extractall(base / "unpacked", filter="data")
    (unpacked,) = (base / "unpacked").iterdir()
    wheel = _build("wheel", unpacked, dist)
    target = base / "target"
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                        "--disable-pip-version-check", "-q", "--target", str(target), str(wheel)],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    return {"sdist": sdist, "wheel": wheel, "target": target, "base": base}


def _in_target(target: Path, *args, module=True):
    """Python with the --target folder first on the path, run from a folder that holds no
    source checkout, so the installed copy (not the editable one) is imported."""
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONWARNINGS": "ignore"}
    env.pop("GDSTUDIO_RESOURCES", None)
    cmd = [sys.executable, *(["-m", "gdstudio"] if module else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=target.parent, env=env)


def test_sdist_carries_tests_docs_and_licence(built):
    with tarfile.open(built["sdist"]) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    for needed in ("LICENSE", "README.md", "pyproject.toml", "setup.py", "docs/engine.md",
                   "tests/test_packaging.py", "tests/core/test_cli.py",
                   "benchmarks/bench_engine.py", "resources/data/ames_housing.csv",
                   "gdstudio/py.typed"):
        assert needed in names, needed
    assert not any("__pycache__" in n for n in names)


def test_wheel_holds_the_data_inside_the_package_and_declares_mit(built):
    with zipfile.ZipFile(built["wheel"]) as zf:
        names = set(zf.namelist())
        meta = email.message_from_string(
            zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode())
    assert "gdstudio/resources/data/ames_housing.csv" in names
    assert "gdstudio/resources/data/README.md" in names
    assert "gdstudio/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("share/", "gdstudio-0")) and "/data/" in n for n in names)
    assert meta["License-Expression"] == "MIT"
    assert "Typing :: Typed" in meta.get_all("Classifier")
    # the window is an extra: a headless install pulls in no Qt
    requires = meta.get_all("Requires-Dist")
    core = [r for r in requires if "extra ==" not in r]
    assert not any(q in r for r in core for q in ("PySide6", "pyqtgraph", "PyOpenGL"))
    assert any(r.startswith("PySide6") and 'extra == "gui"' in r for r in requires)
    # numba is the fast extra (and comes with the window), not a hard dependency
    assert not any(r.startswith("numba") for r in core)
    assert any(r.startswith("numba") and 'extra == "fast"' in r for r in requires)


def test_target_install_finds_the_shipped_housing_data(built):
    target = built["target"]
    p = _in_target(target, "-c", "import gdstudio.io.resources as r; "
                   "print(r.resource_path('data/ames_housing.csv'))", module=False)
    assert p.returncode == 0, p.stderr
    assert Path(p.stdout.strip()).resolve().is_relative_to(target.resolve())
    p = _in_target(target, "run", "--model", "linreg", "--data", "housing", "--scale", "standard",
                   "--lr", "0.1", "--steps", "300", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["runs"][0]["status"] == "converged"
