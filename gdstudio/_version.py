"""The version, in a module that imports nothing: ``gdstudio.io`` and the command line read it
without loading the engine (``import gdstudio`` loads numpy and the descent engine)."""

__version__ = "0.1.0"
