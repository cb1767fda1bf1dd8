"""The core and io layers never import Qt or pyqtgraph, not even lazily inside a function."""

import ast
from pathlib import Path

import gdstudio

FORBIDDEN = {"PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph"}
ROOT = Path(gdstudio.__file__).parent


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def test_core_and_io_import_no_qt():
    files = sorted((ROOT / "core").rglob("*.py")) + sorted((ROOT / "io").rglob("*.py"))
    assert len(files) > 15
    bad = {str(f.relative_to(ROOT)): sorted(set(_imports(f)) & FORBIDDEN) for f in files}
    assert {k: v for k, v in bad.items() if v} == {}


def test_the_window_is_only_reached_through_gdstudio_gui():
    # the command line imports the window lazily, only for `gdstudio` without a command
    tree = ast.parse((ROOT / "cli.py").read_text())
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not any(getattr(n, "module", "") and "gui" in n.module for n in top)


def test_io_and_the_version_do_not_load_the_engine():
    import subprocess
    import sys

    code = ("import sys, gdstudio, gdstudio.io.trajectories, gdstudio.io.session_file;"
            "from gdstudio import __version__;"
            "loaded = [m for m in sys.modules if m.startswith('gdstudio.core')];"
            "print(loaded); sys.exit(1 if loaded else 0)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr


def test_the_app_layer_imports_no_qt_even_lazily():
    files = sorted((ROOT / "app").rglob("*.py"))
    assert len(files) >= 10
    bad = {str(f.relative_to(ROOT)): sorted(set(_imports(f)) & (FORBIDDEN | {"OpenGL"})) for f in files}
    assert {k: v for k, v in bad.items() if v} == {}
