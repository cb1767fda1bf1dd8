"""The studio without Qt: the session, its commands, problem views, frames, lessons and sweeps.

This layer sits between the engine (``gdstudio.core``, ``gdstudio.io``) and the window
(``gdstudio.worker``, ``gdstudio.gui``). It never imports Qt, so everything here is tested with
plain pytest. See docs/architecture.md.
"""

from ..io.session_file import SessionFileError
from .problem_views import ModelSpec, ProblemView
from .session import FunctionSpec, RunSpec, Session, SessionState, Settings, Starts, ViewSettings

__all__ = ["Session", "SessionState", "SessionFileError", "FunctionSpec", "ModelSpec", "ProblemView",
           "RunSpec", "Settings", "Starts", "ViewSettings"]
