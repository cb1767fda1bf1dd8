"""A session as a file: the document (:class:`~gdstudio.app.session.SessionState`) to the
session file's data and back. The file itself (format, version, loaders per version, atomic
writing, SHA-256) is :mod:`gdstudio.io.session_file`.

A model's CSV is stored with its SHA-256, and its path relative to the session file when the
CSV sits in the session file's folder (so the two can move together). Opening checks both:
a missing data file, or one whose contents changed, is refused with one sentence.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from ..core.schedules import schedule_from_dict
from ..io.session_file import (
    SessionFileError,
    read_session_data,
    relative_to_session,
    resolve_from_session,
    sha256_of,
)
from .problem_views import ModelSpec, ProblemView
from .session import FunctionSpec, SessionState, Settings, Starts, ViewSettings, build_view


def _finite_list(v):
    return [float(x) for x in v]


def state_to_dict(state: SessionState, path=None) -> dict:
    s = state.settings
    if isinstance(state.problem, FunctionSpec):
        problem = {"kind": "function", "text": state.problem.text}
    else:
        m = state.problem
        problem = {"kind": "model", **{f.name: getattr(m, f.name) for f in fields(ModelSpec)}}
        problem["pair"] = list(m.pair)
        if m.is_csv and path is not None:
            problem["data"] = relative_to_session(m.data, path)
    st = state.starts
    starts = ({"sampler": st.sampler, "count": int(st.count), "seed": st.seed} if st.sampler is not None
              else {"points": [_finite_list(p) for p in st.points]})
    v = state.view
    return {
        "problem": problem,
        "domain": None if state.domain is None else [_finite_list(r) for r in state.domain],
        "settings": {
            "optimizer": s.optimizer,
            "lr": float(s.lr),
            "hyper": {o: {k: float(x) for k, x in h.items()} for o, h in s.hyper.items()},
            "schedule": s.schedule.describe(),
            "max_steps": int(s.max_steps),
            "tol": float(s.tol),
            "compare_optimizers": list(s.compare_optimizers),
            "compare_lrs": [float(x) for x in s.compare_lrs],
            "compare_coordinates": list(s.compare_coordinates),
            "coordinates": s.coordinates,
            "gradient": s.gradient,
        },
        "starts": starts,
        "view": {"camera": v.camera, "camera_angles": None if v.camera_angles is None else _finite_list(v.camera_angles),
                 "log_height": v.log_height, "arrows": bool(v.arrows), "speed": v.speed},
        "basin_mode": bool(state.basin_mode),
    }


def _model_from(d: dict, path) -> ModelSpec:
    names = {f.name for f in fields(ModelSpec)}
    kw = {k: v for k, v in d.items() if k in names}
    if "pair" in kw:
        kw["pair"] = tuple(int(v) for v in kw["pair"])
    spec = ModelSpec(**kw)
    if spec.is_csv:
        where = resolve_from_session(spec.data, path) if path is not None else Path(spec.data)
        if not where.is_file():
            raise SessionFileError(f"the data file {where} named by {path} does not exist")
        if spec.sha256 is not None:
            try:
                digest = sha256_of(where)
            except OSError as err:
                raise SessionFileError(f"cannot read the data file {where}: {err.strerror or err}") from None
            if digest != spec.sha256:
                raise SessionFileError(
                    f"the data file {where} has changed since {path} was saved (its SHA-256 differs)"
                )
        from dataclasses import replace

        spec = replace(spec, data=str(where.resolve()))
    return spec


def state_from_dict(data: dict, path=None) -> SessionState:
    """The document in ``data`` (the current version's form). Raises ``SessionFileError``."""
    where = path if path is not None else "the session"
    try:
        p = data["problem"]
        if p.get("kind") == "function":
            problem = FunctionSpec(str(p["text"]))
        elif p.get("kind") == "model":
            problem = _model_from(p, path)
        else:
            raise SessionFileError(f"{where} names an unknown kind of problem {p.get('kind')!r}")
        dom = data.get("domain")
        domain = None if dom is None else tuple((float(a), float(b)) for a, b in dom)
        s = data["settings"]
        settings = Settings(
            optimizer=str(s.get("optimizer", "gd")),
            lr=float(s.get("lr", 0.01)),
            hyper={str(o): {str(k): float(v) for k, v in h.items()} for o, h in (s.get("hyper") or {}).items()},
            schedule=schedule_from_dict(s.get("schedule")),
            max_steps=int(s.get("max_steps", 1000)),
            tol=float(s.get("tol", 1e-6)),
            compare_optimizers=tuple(str(o) for o in s.get("compare_optimizers", ())),
            compare_lrs=tuple(float(v) for v in s.get("compare_lrs", ())),
            compare_coordinates=tuple(str(v) for v in s.get("compare_coordinates", ())),
            coordinates=str(s.get("coordinates", "cartesian")),
            gradient=str(s.get("gradient", "metric")),
        )
        settings.validate()
        st = data["starts"]
        if st.get("sampler") is not None:
            starts = Starts((), str(st["sampler"]), int(st["count"]), None if st.get("seed") is None else int(st["seed"]))
        else:
            starts = Starts(tuple((float(x), float(y)) for x, y in st.get("points", ())))
        v = data.get("view") or {}
        angles = v.get("camera_angles")
        view = ViewSettings(
            camera=str(v.get("camera", "default")),
            camera_angles=None if angles is None else tuple(float(a) for a in angles),
            log_height=None if v.get("log_height") is None else bool(v["log_height"]),
            arrows=bool(v.get("arrows", True)),
            speed=None if v.get("speed") is None else float(v["speed"]),
        )
        return SessionState(problem, domain, settings, starts, view, bool(data.get("basin_mode", False)))
    except SessionFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        detail = f"the entry {err.args[0]!r} is missing" if isinstance(err, KeyError) else str(err)
        raise SessionFileError(f"{where} is not a usable session file: {detail}") from None


def load_state(path) -> tuple[SessionState, ProblemView]:
    """Read a session file and build its problem view. Raises ``SessionFileError`` with one
    sentence; nothing is changed anywhere when it does."""
    state = state_from_dict(read_session_data(path), path)
    try:
        view = build_view(state.problem, state.domain)
        if state.starts.sampler is not None:
            state.starts.resolve(view.domain)
    except SessionFileError:
        raise
    except (ValueError, OSError) as err:
        raise SessionFileError(f"{path} cannot be opened: {err}") from None
    return state, view
