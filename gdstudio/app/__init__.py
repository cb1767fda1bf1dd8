"""The studio without Qt: the session, its commands, problem views, frames, lessons and sweeps.

This layer sits between the engine (``gdstudio.core``, ``gdstudio.io``) and the window
(``gdstudio.worker``, ``gdstudio.gui``). It never imports Qt, so everything here is tested with
plain pytest. See docs/architecture.md.
"""
