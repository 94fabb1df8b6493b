"""The symbolic side: sympy expressions of lse/softmax and the verified derivations.

:mod:`.derivation` holds :class:`~exact.symbolic.derivation.Derivation` (a chain of
steps, each checked by sympy when it is added), :mod:`.expressions` the symbolic
log-sum-exp and soft(arg)max and the mpmath-checked limits, :mod:`.theorems` the
exercise sheet's derivations.  sympy is imported only when this package is.
"""
