"""The numerical core: numpy and sympy only, never Qt."""
