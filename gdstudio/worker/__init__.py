"""The only bridge between the numerical core and the GUI: a QObject in a QThread that
steps a :class:`~gdstudio.core.runner.BatchDescent` and streams immutable chunks."""

from .descent_worker import ChunkMessage, DescentWorker, WorkerThread

__all__ = ["ChunkMessage", "DescentWorker", "WorkerThread"]
