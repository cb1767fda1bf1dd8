"""Lessons in the window: the Lessons menu and the narrative dock beside the views.

A lesson is a session file with a narrative (app/lessons.py, resources/lessons/NAME.json).
One click in the Lessons menu opens it through the code that opens any session
(``SessionFiles.open``, i.e. ``Session.open``), as a new untitled document (Save asks for a
file: the shipped lesson is never overwritten), and shows its narrative in the dock (a
lesson's file opened by File → Open or ``gdstudio FILE`` shows it too): a few
short paragraphs, the formula, and "try this" steps whose buttons do what they say (each
step is one undo step; a step that says "run" starts the runs).

objectNames (stable): menu ``menuLessons`` with one action per lesson
``actionLesson_<name>`` (e.g. ``actionLesson_two-minima``); dock ``lessonDock`` holding
``lessonPanel``: ``lessonTitle``, ``lessonText``, ``lessonFormula``, the step buttons
``lessonStep1``, ``lessonStep2``…, ``lessonClaim``, ``lessonPrevButton``,
``lessonNextButton``.
"""

from __future__ import annotations

import html
from typing import Optional

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout,
                               QWidget)

from ..app.session import FunctionSpec
from ..app.lessons import Lesson, LessonError, TryStep, all_lessons, apply_step, lesson_in_file, load_lesson


class LessonPanel(QWidget):
    """The narrative of one lesson (``show_lesson``); ``sig_step(TryStep)`` when a "try
    this" button is pressed, ``sig_open(str)`` for the previous / next lesson."""

    sig_step = Signal(object)
    sig_open = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self.lesson: Optional[Lesson] = None
        self._order: list[str] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(6)
        self.title = QLabel()
        self.title.setObjectName("lessonTitle")
        self.title.setWordWrap(True)
        f = self.title.font()
        f.setPointSizeF(f.pointSizeF() * 1.25)
        f.setBold(True)
        self.title.setFont(f)
        self.text = QLabel()
        self.text.setObjectName("lessonText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.formula = QLabel()
        self.formula.setObjectName("lessonFormula")
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.formula.setStyleSheet("QLabel { background: #262a33; border: 1px solid #3a3f4b; padding: 6px; "
                                   "font-family: 'DejaVu Sans Mono', monospace; }")
        self.try_label = QLabel("<b>Try this</b>")
        self.steps_box = QVBoxLayout()
        self.steps_box.setSpacing(4)
        self.claim = QLabel()
        self.claim.setObjectName("lessonClaim")
        self.claim.setWordWrap(True)
        self.claim.setStyleSheet("color: #a9b0bf;")
        nav = QHBoxLayout()
        self.prev_button = QPushButton("◀ Previous")
        self.prev_button.setObjectName("lessonPrevButton")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setObjectName("lessonNextButton")
        self.prev_button.clicked.connect(lambda: self._go(-1))
        self.next_button.clicked.connect(lambda: self._go(+1))
        nav.addWidget(self.prev_button)
        nav.addStretch(1)
        nav.addWidget(self.next_button)
        for w in (self.title, self.text, self.formula, self.try_label):
            lay.addWidget(w)
        lay.addLayout(self.steps_box)
        lay.addWidget(self.claim)
        lay.addStretch(1)
        lay.addLayout(nav)
        self.step_buttons: list[QPushButton] = []

    def set_order(self, names: list[str]) -> None:
        self._order = list(names)

    def show_lesson(self, lesson: Lesson) -> None:
        self.lesson = lesson
        n = len(self._order)
        k = self._order.index(lesson.name) if lesson.name in self._order else -1
        self.title.setText(f"{lesson.order}. {lesson.title}" if lesson.order < 99 else lesson.title)
        self.text.setText("".join(f"<p>{html.escape(p)}</p>" for p in lesson.paragraphs))
        self.formula.setText(lesson.formula)
        self.formula.setVisible(bool(lesson.formula))
        for b in self.step_buttons:
            self.steps_box.removeWidget(b)
            b.deleteLater()
        self.step_buttons = []
        for i, step in enumerate(lesson.steps, 1):
            b = QPushButton(step.label)
            b.setObjectName(f"lessonStep{i}")
            b.setToolTip(step.explain)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.clicked.connect(lambda _=False, s=step: self.sig_step.emit(s))
            self.steps_box.addWidget(b)
            self.step_buttons.append(b)
            if step.explain:
                note = QLabel(step.explain)
                note.setWordWrap(True)
                note.setStyleSheet("color: #a9b0bf; margin-left: 10px;")
                self.steps_box.addWidget(note)
                self.step_buttons.append(note)  # removed with the buttons
        self.try_label.setVisible(bool(lesson.steps))
        self.claim.setText(f"What you should see: {lesson.claim}." if lesson.claim else "")
        self.prev_button.setEnabled(k > 0)
        self.next_button.setEnabled(0 <= k < n - 1)

    def buttons(self) -> list[QPushButton]:
        """The "try this" buttons, in order."""
        return [b for b in self.step_buttons if isinstance(b, QPushButton)]

    def _go(self, delta: int) -> None:
        if self.lesson is None or self.lesson.name not in self._order:
            return
        k = self._order.index(self.lesson.name) + delta
        if 0 <= k < len(self._order):
            self.sig_open.emit(self._order[k])


class Lessons:
    """The Lessons menu and dock of a window: ``open(name) -> bool``."""

    def __init__(self, window):
        self.w = window
        self.panel = LessonPanel()
        scroll = QScrollArea()
        scroll.setObjectName("lessonScroll")
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(280)
        self.dock = window.add_panel(scroll, "Lesson", Qt.DockWidgetArea.LeftDockWidgetArea, "lessonDock")
        setup = getattr(window, "panel_dock", None)
        if setup is not None:  # a tab beside Setup: the right-hand docks (a lesson's data) stay in view
            window.tabifyDockWidget(setup, self.dock)
            setup.raise_()
        self.dock.hide()  # until a lesson is opened
        self.panel.sig_step.connect(self.do_step)
        self.panel.sig_open.connect(self.open)
        self.menu = None
        self.lesson: Optional[Lesson] = None
        # a lesson's file opened like any session (File → Open, gdstudio FILE) shows its narrative
        window.session.sig_path_changed.connect(self._path_changed)

    def fill_menu(self, menu) -> None:
        self.menu = menu
        menu.setObjectName("menuLessons")
        try:
            lessons = all_lessons()
        except LessonError as err:
            menu.addAction(str(err)).setEnabled(False)
            return
        self.panel.set_order([ls.name for ls in lessons])
        for ls in lessons:
            a = menu.addAction(f"{ls.order}. {ls.title}", lambda n=ls.name: self.open(n))
            a.setObjectName(f"actionLesson_{ls.name}")
            a.setToolTip(ls.claim)

    def open(self, name: str) -> bool:
        """Open lesson ``name``: its session (as File → Open does, but untitled) and its
        narrative in the dock. False after one sentence in the status bar."""
        w = self.w
        try:
            lesson = load_lesson(name)
        except LessonError as err:
            w.show_message(str(err), "error")
            return False
        if not w.files.open(lesson.path, as_new=True):
            return False
        self.lesson = lesson
        self.panel.show_lesson(lesson)
        self._apply_view()
        self._raise()
        w.show_message(f"Lesson {lesson.order}: {lesson.title}")
        return True

    def _raise(self) -> None:
        self.dock.show()
        self.dock.raise_()
        # before the window is first shown (gdstudio FILE), a tab raised now is not the one shown
        QTimer.singleShot(0, self.dock.raise_)

    def _path_changed(self, path) -> None:
        if path is None:
            return
        lesson = lesson_in_file(path)
        if lesson is None:
            return
        self.lesson = lesson
        self.panel.show_lesson(lesson)
        self._apply_view()
        self._raise()

    def _apply_view(self) -> None:
        """The lesson's camera and animation speed (saved in its session's view settings)."""
        w = self.w
        view_link = getattr(w, "view_link", None)
        if view_link is not None:  # the camera, log height, arrows and speed the lesson saved
            view_link.show(w.session.view_settings, force=True)
        data = getattr(w, "data_dock", None)
        if data is not None and not isinstance(w.session.problem, FunctionSpec):
            data.show()  # a model's lesson: its data beside the views
            data.raise_()
        elif getattr(w, "brute_dock", None) is not None and w.brute_dock.isVisible():
            w.brute_dock.raise_()  # a function's lesson has no data: the comparison applies, not an empty plot

    def do_step(self, step: TryStep) -> None:
        """A "try this" button: its actions as one undo step, then run if it says so."""
        w = self.w
        s = w.session
        view_before = s.view_settings
        s.begin_gesture(step.label)
        try:
            run = apply_step(s, step)
        except (ValueError, LessonError) as err:
            w.show_message(str(err), "error")
            return
        finally:
            s.end_gesture()
        if s.view_settings != view_before:
            self._apply_view()
        if run:
            w.c.run()
