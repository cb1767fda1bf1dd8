"""How the maps look is part of the session (``ViewSettings``: the 3D camera, log height,
arrows, animation speed): saved in session files and restored when one is opened, but not undo
steps. :class:`ViewSettingsLink` sends the person's choices in the 3D view's toolbar and the
speed slider to the session, and the session's view settings (a file opened) to the views."""

from __future__ import annotations

from dataclasses import fields, replace

from PySide6.QtCore import QObject

CAMERAS = ("top", "perspective", "side")


class ViewSettingsLink(QObject):
    def __init__(self, session, surface, params, controller, parent=None):
        super().__init__(parent)
        self.session = session
        self.surface = surface
        self.params = params
        self.c = controller
        self._applying = False
        self._shown = session.view_settings  # what the views show now
        # user actions only (``triggered``): the view also sets these itself (automatic log
        # height), which is not a choice to save
        for name, camera in (("action_top", "top"), ("action_perspective", "perspective"), ("action_side", "side")):
            action = getattr(surface, name, None)
            if action is not None:
                action.triggered.connect(lambda _c=False, camera=camera: self._chosen(camera=camera,
                                                                                       camera_angles=None))
        log = getattr(surface, "action_log", None)
        if log is not None:
            log.triggered.connect(lambda on: self._chosen(log_height=bool(on)))
        arrows = getattr(surface, "action_arrows", None)
        if arrows is not None:
            arrows.triggered.connect(lambda on: self._chosen(arrows=bool(on)))
        session.sig_view_changed.connect(self.show)

    def _chosen(self, **changes) -> None:
        if not self._applying:
            self._shown = replace(self.session.view_settings, **changes)  # the views show it already
            self.session.set_view(**changes)

    def capture(self) -> None:
        """Record the camera as it is now (the person may have turned it by hand): called
        before a session is saved."""
        camera = getattr(self.surface, "camera", None)
        if camera is None or getattr(self.surface, "gl_view", None) is None:
            return
        st = camera()
        angles = (round(st["elevation"], 3), round(st["azimuth"], 3), round(st["distance"], 4))
        self._chosen(camera_angles=angles)

    def show(self, view, force: bool = False) -> None:
        """Make the views look as ``view`` (the session's ViewSettings) says: what differs from
        what they show (``force``: everything, for a new window)."""
        changed = {f.name for f in fields(view) if force or getattr(view, f.name) != getattr(self._shown, f.name)}
        self._shown = view
        if not changed:
            return
        self._applying = True
        try:
            s = self.surface
            if getattr(s, "gl_view", None) is not None:
                if changed & {"camera", "camera_angles"}:
                    s.set_camera(view.camera if view.camera in CAMERAS else "perspective")
                    if view.camera_angles is not None:
                        elevation, azimuth, distance = (float(v) for v in view.camera_angles)
                        s.gl_view.setCameraPosition(distance=distance, elevation=elevation, azimuth=azimuth)
                if "log_height" in changed:
                    s.set_log_height(view.log_height)
                if "arrows" in changed and s.action_arrows.isChecked() != bool(view.arrows):
                    s.action_arrows.setChecked(bool(view.arrows))
            if "speed" in changed:
                self.params.set_speed(view.speed)
                self.c.update_settings(speed=view.speed)
        finally:
            self._applying = False
