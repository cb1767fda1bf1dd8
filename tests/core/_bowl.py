"""A hand-written objective for engine tests that must not depend on the parser."""

import numpy as np

from gdstudio.core.objective import Objective


class Bowl(Objective):
    """f = x² + 3y², ∇f = (2x, 6y), H = diag(2, 6)."""

    names = ("x", "y")
    label = "x**2 + 3*y**2"
    default_domain = ((-2.0, 2.0), (-2.0, 2.0))

    def value_and_grad_T(self, X):
        x, y = X
        return x * x + 3 * y * y, np.stack([2 * x, 6 * y])

    def hess(self, P):
        H = np.zeros((len(P), 2, 2))
        H[:, 0, 0], H[:, 1, 1] = 2.0, 6.0
        return H

    @staticmethod
    def scalar_value_and_grad(x, y):
        return x * x + 3 * y * y, (2 * x, 6 * y)


class Saddle(Objective):
    """f = x² − y²."""

    names = ("x", "y")
    default_domain = ((-2.0, 2.0), (-2.0, 2.0))

    def value_and_grad_T(self, X):
        x, y = X
        return x * x - y * y, np.stack([2 * x, -2 * y])

    def hess(self, P):
        H = np.zeros((len(P), 2, 2))
        H[:, 0, 0], H[:, 1, 1] = 2.0, -2.0
        return H
