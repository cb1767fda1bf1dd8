"""The documentation stays true: every command and Python example in README.md and docs/*.md
runs, and where the text shows output, the output matches.

The conventions (also in the README's "Documentation"):

* A ```python block runs. Blocks of one file share a namespace, in order, like a notebook.
  Lines written with ``>>>`` are doctests: the output under them is checked (``...``
  stands for any text, whitespace is normalised).
* A ```console block holds ``$ command`` lines, each followed by the output it prints,
  checked the same way.
* In a ```bash block, every ``gdstudio`` (or ``python -m gdstudio``) command runs and must
  succeed; other lines (set-up, pip) and commands that open the window are not run.
* Inline commands in the text, such as `gdstudio presets`, run and must succeed.
* ``no-run`` after the language (```python no-run) marks a listing that is not an example
  (signatures, the window's methods). ``heavy`` marks an example that takes long: it runs
  only when ``GDSTUDIO_DOCS_HEAVY=1`` (``GDSTUDIO_DOCS_HEAVY=1 pytest tests/test_docs.py``).
* Commands run in a fresh folder holding the files in ``tests/docs_files`` (the
  ``mydata.csv`` and ``mine.gdsession`` the examples read).
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FILES = Path(__file__).resolve().parent / "docs_files"
HEAVY = os.environ.get("GDSTUDIO_DOCS_HEAVY") == "1"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
# gdstudio commands that do not open the window
_HEADLESS = {"run", "presets", "lessons", "sweep", "landscape", "--version", "--help", "-h"}


@dataclass
class Block:
    path: Path
    line: int  # line of the opening fence
    lang: str
    tags: frozenset
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    out, lines = [], path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(.*)$", lines[i])
        if not m:
            i += 1
            continue
        info = m.group(2).split()
        body, j = [], i + 1
        while j < len(lines) and not re.match(r"^\s*```\s*$", lines[j]):
            body.append(lines[j][len(m.group(1)):])
            j += 1
        out.append(Block(path, i + 1, info[0] if info else "", frozenset(info[1:]), "\n".join(body) + "\n"))
        i = j + 1
    return out


def _shell_commands(text: str) -> list[str]:
    """Commands of a bash block: continuation lines joined, comments dropped."""
    cmds, cur = [], ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        if cur.strip():
            cmds.append(cur.strip())
        cur = ""
    return cmds


def _gdstudio_argv(command: str) -> list[str] | None:
    """argv for a headless gdstudio command, None for anything else (set-up, the window)."""
    words = shlex.split(command, comments=True)
    if words[:3] == ["python", "-m", "gdstudio"]:
        words = words[3:]
    elif words[:1] == ["gdstudio"]:
        words = words[1:]
    else:
        return None
    if not words or not (words[0] in _HEADLESS or "--help" in words):
        return None
    return [sys.executable, "-m", "gdstudio", *words]


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONIOENCODING": "utf-8", "COLUMNS": "100"}
    env.pop("DISPLAY", None)
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=cwd, env=env)


def _workdir(tmp_path: Path) -> Path:
    for f in FILES.iterdir():
        shutil.copy2(f, tmp_path / f.name)
    return tmp_path


def _matches(want: str, got: str) -> bool:
    return doctest.OutputChecker().check_output(want, got, FLAGS)


def _runnable(b: Block) -> bool:
    return "no-run" not in b.tags and (HEAVY or "heavy" not in b.tags)


def _cases(kind: str):
    for path in DOCS:
        bs = blocks(path)
        if kind == "python":
            if any(b.lang == "python" and _runnable(b) for b in bs):
                yield pytest.param(path, id=str(path.relative_to(ROOT)))
        else:
            for b in bs:
                if b.lang == kind and _runnable(b):
                    yield pytest.param(b, id=b.where)


@pytest.mark.parametrize("path", list(_cases("python")))
def test_python_examples(path, tmp_path, monkeypatch):
    monkeypatch.chdir(_workdir(tmp_path))
    globs: dict = {"__name__": "__docs__"}
    parser, failures = doctest.DocTestParser(), []
    for b in blocks(path):
        if b.lang != "python" or not _runnable(b):
            continue
        if ">>>" in b.text:
            test = parser.get_doctest(b.text, globs, b.where, str(path), b.line)
            report: list[str] = []
            runner = doctest.DocTestRunner(optionflags=FLAGS)
            runner.run(test, out=report.append, clear_globs=False)
            globs.update(test.globs)  # DocTest works on a copy: carry names to the next block
            if runner.failures:
                failures.append(f"{b.where}:\n" + "".join(report))
        else:
            try:
                exec(compile(b.text, b.where, "exec"), globs)
            except Exception as err:  # noqa: BLE001 - report which example broke
                failures.append(f"{b.where}: {type(err).__name__}: {err}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("block", list(_cases("console")))
def test_console_examples(block, tmp_path):
    cwd = _workdir(tmp_path)
    cmd, want, pairs = None, [], []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            if cmd is not None:
                pairs.append((cmd, "\n".join(want) + "\n"))
            cmd, want = line[2:], []
        else:
            want.append(line)
    if cmd is not None:
        pairs.append((cmd, "\n".join(want) + "\n"))
    assert pairs, f"{block.where}: a console block needs '$ command' lines"
    for cmd, expected in pairs:
        argv = _gdstudio_argv(cmd)
        assert argv is not None, f"{block.where}: '{cmd}' is not a headless gdstudio command"
        p = _run(argv, cwd)
        got = p.stdout + p.stderr
        assert _matches(expected, got), (
            f"{block.where}: '{cmd}' printed\n{got}\nbut the text says\n{expected}")


@pytest.mark.parametrize("block", list(_cases("bash")))
def test_bash_commands_succeed(block, tmp_path):
    cwd = _workdir(tmp_path)
    for cmd in _shell_commands(block.text):
        argv = _gdstudio_argv(cmd)
        if argv is None:
            continue
        p = _run(argv, cwd)
        assert p.returncode == 0 and "Traceback" not in p.stderr, (
            f"{block.where}: '{cmd}' failed ({p.returncode}): {p.stderr}")


_INLINE = re.compile(r"`((?:python -m )?gdstudio [^`]+)`")


def _inline_commands():
    seen = set()
    for path in DOCS:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in _INLINE.finditer(line):
                cmd = m.group(1)
                # placeholders ([options], FILE, N) are syntax, not a command to run
                if re.search(r"\[|\]|\b[A-Z]{2,}\b|…", cmd) or _gdstudio_argv(cmd) is None:
                    continue
                if cmd in seen:
                    continue
                seen.add(cmd)
                yield pytest.param(cmd, id=f"{path.relative_to(ROOT)}:{n}:{cmd[:40]}")


@pytest.mark.parametrize("cmd", list(_inline_commands()))
def test_inline_commands_succeed(cmd, tmp_path):
    p = _run(_gdstudio_argv(cmd), _workdir(tmp_path))
    assert p.returncode == 0 and "Traceback" not in p.stderr, f"'{cmd}' failed: {p.stderr}"


def test_the_conventions_find_examples_and_catch_a_wrong_one(tmp_path):
    # the harness itself: it finds the examples, and a console block whose text disagrees
    # with the output fails
    assert len(list(_cases("python"))) >= 2 and len(list(_cases("console"))) >= 1
    assert list(_inline_commands())
    ok = "$ gdstudio --version\ngdstudio ...\n"
    wrong = "$ gdstudio --version\ngdstudio 99.0\n"
    for text, good in ((ok, True), (wrong, False)):
        b = Block(ROOT / "README.md", 1, "console", frozenset(), text)
        if good:
            test_console_examples(b, tmp_path)
        else:
            with pytest.raises(AssertionError, match="but the text says"):
                test_console_examples(b, tmp_path)
