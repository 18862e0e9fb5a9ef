"""Diagnosis: naming the kind of mistake of a refuted line.

:func:`diagnose` tries simple relations between claimed and true values
(:mod:`._relations`), layouts (:mod:`._layout`) and fitted coefficients on
the reference's own additive terms (:mod:`._fit`, :mod:`._terms`), naming the
numbers it finds the way a derivation would (:mod:`._names`).
"""

from ._relations import SIGN_ERROR, diagnose

__all__ = ["SIGN_ERROR", "diagnose"]
