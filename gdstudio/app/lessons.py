"""Lessons: a guided path through the ideas of gradient descent.

A lesson is a session file (``resources/lessons/NAME.json``, format ``gdstudio-session``)
with one more entry, ``"lesson"``: its narrative. Opening a lesson is opening that session
through the very code that opens any session (:meth:`Session.load`); the narrative is data
the window shows beside the views:

* ``name`` and ``title``; ``order`` (its place in the path);
* ``paragraphs``: a few short paragraphs;
* ``formula``: the formula that helps, as plain Unicode text (may be empty);
* ``try``: "try this" steps, each ``{"label": ..., "explain": ..., "do": [action, ...]}``.
  The window turns each step into a button; pressing it applies its actions to the session
  (:func:`apply_step`), each an ordinary undoable edit;
* ``claim``: the one sentence the lesson's headless run demonstrates (``gdstudio run
  --lesson NAME``; tests/app/test_lessons.py checks each claim).

Actions are ``{"action": NAME, ...arguments}`` with NAME one of :data:`ACTIONS`; each maps to
one :class:`~gdstudio.app.session.Session` intent, so a lesson can do nothing a person
could not do by hand. ``run`` asks the window to start the runs (headless, it does nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..io.resources import resource_dirs
from ..io.session_file import SessionFileError, read_session_data

__all__ = ["Lesson", "TryStep", "ACTIONS", "LessonError", "lesson_names", "load_lesson", "open_lesson",
           "apply_step", "apply_action", "all_lessons", "lesson_in_file"]

FOLDER = "lessons"


class LessonError(ValueError):
    """A lesson cannot be found or read; ``str()`` is one sentence."""


@dataclass(frozen=True)
class TryStep:
    label: str
    explain: str
    actions: tuple[dict, ...]


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    order: int
    paragraphs: tuple[str, ...]
    formula: str
    steps: tuple[TryStep, ...]
    claim: str
    path: Path

    def session(self):
        """A fresh :class:`~gdstudio.app.session.Session` set up as the lesson needs."""
        from .session import Session

        return Session.load(self.path)


def _lesson_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for d in reversed(resource_dirs()):  # earlier folders ($GDSTUDIO_RESOURCES) win
        folder = d / FOLDER
        if folder.is_dir():
            for p in folder.glob("*.json"):
                found[p.stem] = p
    return found


def lesson_names() -> list[str]:
    """Every shipped lesson's name, in the order of the guided path."""
    return [lesson.name for lesson in all_lessons()]


def _narrative(data: dict, path: Path) -> Lesson:
    try:
        n = data["lesson"]
        steps = tuple(
            TryStep(str(s["label"]), str(s.get("explain", "")), tuple(dict(a) for a in s.get("do", ())))
            for s in n.get("try", ())
        )
        for s in steps:
            for a in s.actions:
                if a.get("action") not in ACTIONS:
                    raise LessonError(f"{path}: the step {s.label!r} has an unknown action {a.get('action')!r}")
        return Lesson(str(n["name"]), str(n["title"]), int(n.get("order", 99)),
                      tuple(str(p) for p in n.get("paragraphs", ())), str(n.get("formula", "")), steps,
                      str(n.get("claim", "")), path)
    except LessonError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        detail = f"the entry {err.args[0]!r} is missing" if isinstance(err, KeyError) else str(err)
        raise LessonError(f"{path} is not a lesson: {detail}") from None


def load_lesson(name: str) -> Lesson:
    """The lesson called ``name`` (see :func:`lesson_names`). Raises :class:`LessonError`."""
    key = str(name).strip().lower().replace("_", "-").replace(" ", "-")
    files = _lesson_files()
    if key not in files:
        known = ", ".join(sorted(files)) or "none are installed"
        raise LessonError(f"there is no lesson {name!r}; the lessons are: {known}")
    try:
        data = read_session_data(files[key])
    except SessionFileError as err:
        raise LessonError(str(err)) from None
    return _narrative(data, files[key])


def lesson_in_file(path) -> Optional[Lesson]:
    """The lesson a session file carries (its ``"lesson"`` entry), or None for a plain session
    or a file that cannot be read (opening it says why)."""
    try:
        data = read_session_data(Path(path))
    except (SessionFileError, OSError, ValueError):
        return None
    if not isinstance(data, dict) or "lesson" not in data:
        return None
    try:
        return _narrative(data, Path(path))
    except LessonError:
        return None


def all_lessons() -> list[Lesson]:
    return sorted((load_lesson(n) for n in _lesson_files()), key=lambda x: (x.order, x.name))


def open_lesson(name: str):
    """(lesson, session): the lesson's narrative and its session, opened as any session is."""
    lesson = load_lesson(name)
    return lesson, lesson.session()


def lesson_path(name: str) -> Path:
    return load_lesson(name).path


# == "try this": actions on a session =============================================================
def _set_model(session, a):
    from dataclasses import replace

    from .problem_views import ModelSpec

    fields = {k: v for k, v in a.items() if k != "action"}
    base = session.problem if isinstance(session.problem, ModelSpec) else ModelSpec()
    session.set_model(replace(base, **fields))


ACTIONS = {
    "set_function": lambda s, a: s.set_function(a["text"]),
    "set_preset": lambda s, a: s.set_preset(a["name"]),
    "set_model": _set_model,
    "set_domain": lambda s, a: s.set_domain(tuple(tuple(r) for r in a["domain"])),
    "set_starts": lambda s, a: s.set_starts([tuple(p) for p in a["points"]], basins=bool(a.get("basins", False))),
    "add_start": lambda s, a: s.add_start(float(a["x"]), float(a["y"])),
    "random_starts": lambda s, a: s.random_starts(int(a["n"]), a.get("sampler", "sobol"), a.get("seed", 0)),
    "set_optimizer": lambda s, a: s.set_optimizer(a["name"]),
    "set_lr": lambda s, a: s.set_lr(float(a["lr"])),
    "set_hyper": lambda s, a: s.set_hyper(a["optimizer"], **a["values"]),
    "set_max_steps": lambda s, a: s.set_max_steps(int(a["steps"])),
    "set_tol": lambda s, a: s.set_tol(float(a["tol"])),
    "set_compare": lambda s, a: s.set_compare(a.get("optimizers") or None, a.get("lrs") or None,
                                              a.get("coordinates")),
    "set_settings": lambda s, a: s.update_settings("Lesson", **{k: v for k, v in a.items() if k != "action"}),
    "set_view": lambda s, a: s.set_view(**{k: v for k, v in a.items() if k != "action"}),
    "run": lambda s, a: None,  # the window starts the runs; headless there is nothing to do
}


def apply_action(session, action: dict) -> None:
    """Apply one action (see the module docstring) as an ordinary session edit."""
    name = action.get("action")
    if name not in ACTIONS:
        raise LessonError(f"unknown lesson action {name!r}; one of {', '.join(ACTIONS)}")
    ACTIONS[name](session, action)


def apply_step(session, step: TryStep) -> bool:
    """Apply a "try this" step's actions in order. Returns whether the step asks to run."""
    for a in step.actions:
        apply_action(session, a)
    return any(a.get("action") == "run" for a in step.actions)


def find_step(lesson: Lesson, label: str) -> Optional[TryStep]:
    return next((s for s in lesson.steps if s.label == label), None)

