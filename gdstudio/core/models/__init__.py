"""Data-fitting objectives: a straight line on house prices, a typed model on a CSV, a
feed-forward network, and 2-D views (slices, planes) of high-dimensional loss landscapes.

Import the submodules directly (``gdstudio.core.models.linreg`` ...); the front door used by
the command line and the window is :func:`gdstudio.app.problems.build_problem`.
"""
