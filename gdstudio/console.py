"""What the command line needs from a terminal: text that survives any console encoding, and a
progress bar on stderr.

* :func:`make_streams_safe` keeps printing from crashing where stdout or stderr cannot encode
  the studio's mathematics (cp1252, as on Windows when output is redirected, or ASCII): the
  usual symbols get ASCII spellings (−∇f becomes -grad f, x² becomes x^2) and anything else
  becomes ``?``. A UTF-8 console is left alone.
* :class:`ProgressBar` draws one line on stderr, only when stderr is a terminal and only once
  a run has taken longer than a second, so short runs, pipes and logs stay clean.
"""

from __future__ import annotations

import io
import sys
import time
from typing import Optional, TextIO

__all__ = ["ProgressBar", "ascii_math", "make_streams_safe"]

# the symbols the studio prints, spelled in ASCII (what a person would type)
_ASCII = {
    "−": "-", "–": "-", "—": "-", "·": "*", "×": "x", "÷": "/", "…": "...", "≤": "<=",
    "≥": ">=", "≠": "!=", "≈": "~", "±": "+/-", "→": "->", "←": "<-", "∞": "inf", "√": "sqrt",
    "∇": "grad ", "‖": "||", "⁰": "^0", "¹": "^1", "²": "^2", "³": "^3", "⁴": "^4",
    "⁵": "^5", "⁶": "^6", "⁷": "^7", "⁸": "^8", "⁹": "^9", "⁻": "^-", "₀": "0", "₁": "1",
    "₂": "2", "₃": "3", "ᵢ": "i", "ᵈ": "^d", "ᵗ": "^t", "λ": "lambda", "δ": "delta",
    "ε": "eps", "η": "eta", "μ": "mu", "α": "alpha", "β": "beta", "γ": "gamma",
    "ζ": "zeta", "κ": "kappa", "π": "pi", "σ": "sigma", "θ": "theta", "Σ": "sum",
    "‘": "'", "’": "'", "“": '"', "”": '"', "█": "#", "░": "-",
}
_TABLE = str.maketrans(_ASCII)


def ascii_math(text: str) -> str:
    """``text`` with the studio's symbols spelled in ASCII."""
    return text.translate(_TABLE)


class _SafeWriter(io.TextIOBase):
    """A text stream that spells what its target cannot encode in ASCII (see the module
    docstring) and passes everything else through unchanged."""

    def __init__(self, target: TextIO, encoding: str):
        self._target = target
        self._encoding = encoding

    @property
    def encoding(self):
        return self._encoding

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._target.isatty()

    def fileno(self) -> int:
        return self._target.fileno()

    def write(self, text: str) -> int:
        try:
            text.encode(self._encoding)
        except UnicodeEncodeError:
            text = ascii_math(text).encode(self._encoding, "replace").decode(self._encoding)
        return self._target.write(text)

    def flush(self) -> None:
        self._target.flush()


def _needs_help(stream) -> Optional[str]:
    enc = getattr(stream, "encoding", None)
    if not enc or isinstance(stream, _SafeWriter):
        return None
    try:
        "−∇f ≤ x² · λ …".encode(enc)
    except (UnicodeEncodeError, LookupError):
        return enc
    return None


def make_streams_safe() -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` when their encoding cannot show the studio's
    symbols (see the module docstring); a no-op on a UTF-8 console."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        enc = _needs_help(stream)
        if enc:
            setattr(sys, name, _SafeWriter(stream, enc))


class ProgressBar:
    """``[#########-----------]  45%  450/1000 steps  2.1 s`` on stderr, redrawn at most ten
    times a second, shown only on a terminal and only after ``delay`` seconds."""

    #: runs shorter than this never show a bar
    DELAY = 1.0

    def __init__(self, total: int, stream: Optional[TextIO] = None, delay: Optional[float] = None,
                 width: int = 30, unit: str = "steps"):
        self.total = max(int(total), 1)
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream
        self.delay = self.DELAY if delay is None else float(delay)
        self.width = width
        try:
            self.enabled = bool(self.stream.isatty())
        except (AttributeError, ValueError):
            self.enabled = False
        self._t0 = time.monotonic()
        self._last = -1.0
        self._drawn = False

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        elapsed = now - self._t0
        if elapsed < self.delay or now - self._last < 0.1:
            return
        self._last = now
        frac = min(max(done / self.total, 0.0), 1.0)
        full = int(round(frac * self.width))
        line = (f"[{'#' * full}{'-' * (self.width - full)}] {frac:4.0%}  "
                f"{done}/{self.total} {self.unit}  {elapsed:.1f} s")
        self.stream.write("\r" + line)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Erase the bar, so the output that follows starts on a clean line."""
        if self._drawn:
            self.stream.write("\r" + " " * (self.width + 40) + "\r")
            self.stream.flush()
            self._drawn = False
