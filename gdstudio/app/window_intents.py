"""Two edits of a :class:`~gdstudio.app.session.Session` that the window needs beyond the
session's own intents:

* :func:`set_function_view` -- the window compiles a typed function (and its map) in a
  background job so a slow compile never blocks it; the view built there is then made the
  session's problem as one undo step, exactly as ``Session.set_function`` would.
* :func:`new_document` -- File → New: the default document, a fresh undo history and no file.

They use the session's internal edit primitives; ``Session`` could take them over as public
methods (``set_function(text, domain, view=...)``, ``new()``).
"""

from __future__ import annotations

from typing import Optional

from .problem_views import ProblemView
from .session import FunctionSpec, Session, SessionState


def set_function_view(session: Session, text: str, view: ProblemView, domain=None) -> None:
    """Make the typed function ``text`` (already built as ``view``) the session's problem:
    one undo step, like ``session.set_function(text, domain)``."""
    spec = FunctionSpec(str(text).strip())
    keep_domain = None if domain is None else view.domain
    session._edit("Function", session._with_problem(spec, keep_domain, view), view)


def new_document(session: Session, state: Optional[SessionState] = None) -> None:
    """Replace the document by ``state`` (default: a new one); not an undo step."""
    from .session import build_view

    state = state or SessionState()
    view = build_view(state.problem, state.domain)
    fresh = Session(state, view)  # fills in the default start the way a new session does
    session._undo.clear()
    session._redo.clear()
    session._gesture = None
    session._apply(fresh.state, view)
    session._saved_state = session.state
    session.path = None
    session.sig_undo_changed.emit()
    session.sig_path_changed.emit(None)
