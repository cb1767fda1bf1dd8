"""The studio's shipped data, installed as the package ``gdstudio.resources``.

This folder sits at the top of the source tree and is mapped to ``gdstudio.resources`` by
``package-dir`` in pyproject.toml, so a wheel carries it inside the package and
``importlib.resources`` finds it however the wheel is installed (a virtual environment,
``--user``, ``--target DIR``, ``--prefix``). Read it through
:func:`gdstudio.io.resources.resource_path`, never by a path relative to this file.
"""
