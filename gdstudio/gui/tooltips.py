"""What each control does, in one place: ``apply_tooltips(window)`` gives every interactive
control of the window named below its tooltip, unless the widget already set a more specific
one itself. ``interactive_controls(window)`` lists the controls a person can operate (the test
that every one has a tooltip walks it). Keys are objectNames (kept stable for automation).
"""

from __future__ import annotations

from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox,
                               QHeaderView, QLineEdit, QSlider, QTabBar, QWidget)

TIPS = {
    # window
    "cancelExportButton": "Stop the export that is running; the file already on disk is left as it was",
    # function editor
    "functionEdit": "The function f(x, y) to descend; Enter applies it at once (it is also applied "
                    "after a short pause in typing), Enter or Escape hands the keys back to the views",
    "xMinEdit": "Left edge of the domain shown (smallest x)",
    "xMaxEdit": "Right edge of the domain shown (largest x)",
    "yMinEdit": "Bottom edge of the domain shown (smallest y)",
    "yMaxEdit": "Top edge of the domain shown (largest y)",
    "syntaxHelpButton": "Show or hide what you can type: operators, functions, constants",
    # descent
    "optimizerCombo": "The update rule every run uses (side-by-side comparison: see Compare)",
    "momentumEdit": "Momentum μ: how much of the previous step is kept (0 to 1)",
    "alphaEdit": "RMSprop smoothing α of the squared-gradient average (0 to 1)",
    "beta1Edit": "Adam β₁: decay of the average gradient (0 to 1)",
    "beta2Edit": "Adam β₂: decay of the average squared gradient (0 to 1)",
    "epsEdit": "ε added to the denominator so a flat gradient never divides by zero",
    "dampingEdit": "Newton damping λ: the step solves (H + λI)·d = ∇f; larger λ is a shorter, safer step",
    "scheduleCombo": "How the learning rate changes over the steps: constant, in steps, "
                     "exponentially or along a cosine",
    "schedule_step_sizeEdit": "Step schedule: the rate is multiplied by γ every this many steps",
    "schedule_gammaEdit": "Decay factor γ of the step or exponential schedule (0 to 1)",
    "schedule_t_maxEdit": "Cosine schedule: steps until the rate reaches its minimum",
    "stepsEdit": "The most steps a run takes before it stops (status: max steps)",
    "speedSlider": "Animation speed in steps per second; far right: as fast as possible",
    # starts
    "randomStartsCount": "How many random starts the Random starts button throws",
    "seedEdit": "Seed of the random starts: the same seed gives the same points",
    "clearStartsButton": "Remove every start point (click the map to add new ones)",
    "compareLrEdit": "Two or more learning rates, separated by commas: each start runs once per rate",
    "runsTable": "One row per run; select one to highlight it in every view, click a header to sort",
    # models
    "useStableLrButton": "Set the learning rate to 0.9 × 2/λmax, where plain gradient descent converges",
    "lossCombo": "How the residuals are added up into the cost",
    "paramXCombo": "The parameter along the map's x axis (the others stay at their current values)",
    "paramYCombo": "The parameter along the map's y axis (the others stay at their current values)",
    "activationCombo": "The hidden layers' activation function",
    "weightXCombo": "The network weight along the map's x axis",
    "weightYCombo": "The network weight along the map's y axis",
    "sliceButton": "Show the cost over the two chosen weights, the other weights held fixed",
    "trainOptimizerCombo": "The optimizer that trains all the network's weights",
    "trainLrEdit": "Learning rate of the full training",
    "trainStepsSpin": "Training steps for each initialisation",
    "initsSpin": "How many random initialisations are trained (each may reach a different minimum)",
    "directionsCombo": "The two directions the landscape is drawn along",
    "landscapeButton": "Train every weight from each initialisation, then draw the loss along two "
                       "directions through the result",
    "newStartX": "x of a start point to add (exactly as typed); Enter or Add adds it",
    "newStartY": "y of a start point to add (exactly as typed); Enter or Add adds it",
    "addStartButton": "Add a start point at the x and y typed beside it (an undo step)",
    "removeStartButton": "Remove the start points selected in the list (an undo step)",
    # lessons
    "lessonPrevButton": "Open the lesson before this one in the guided path",
    "lessonNextButton": "Open the next lesson of the guided path",
    "landscapeCancelButton": "Stop the training or landscape that is being computed",
    "gridPointsSpin": "Grid points per axis k of the brute-force search (k × k evaluations)",
    "gridSearchButton": "Evaluate the cost at every point of a k × k grid and mark the best one",
    "sweepTable": "Evaluations a grid needs in d dimensions against the steps gradient descent needs",
}


def interactive_controls(root: QWidget) -> list[QWidget]:
    """The controls of ``root`` a person operates: buttons, fields, spin boxes, combo boxes,
    sliders and item views; Qt's own parts (tab-bar arrows, dock-title buttons, headers,
    popup lists, the line edit inside a spin box) are left out."""
    kinds = (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox, QSlider, QAbstractItemView)
    out = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, kinds) or isinstance(w, QHeaderView):
            continue
        name = w.objectName()
        if name.startswith("qt_") or isinstance(w.parent(), QTabBar):
            continue
        if _inside(w, (QAbstractSpinBox, QComboBox)):
            continue  # the editor or popup list of a spin/combo box: the box has the tooltip
        out.append(w)
    return out


def _inside(w: QWidget, kinds) -> bool:
    p = w.parent()
    while p is not None:
        if isinstance(p, kinds):
            return True
        p = p.parent()
    return False


def apply_tooltips(root: QWidget) -> None:
    for w in root.findChildren(QWidget):
        tip = TIPS.get(w.objectName())
        if tip and not w.toolTip():
            w.setToolTip(tip)
