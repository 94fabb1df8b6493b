"""The symbolic side: sympy expressions of lse/softmax and the checked derivations.

:mod:`.derivation` holds :class:`~exact.symbolic.derivation.Derivation` (chains of steps and
side facts, each checked when it is added and re-checkable), :mod:`.checks` the checks (sympy
and, independently, mpmath at random points from :mod:`.pointwise`; signs of differences from
:mod:`.signs`), :mod:`.render` the Markdown and LaTeX output, :mod:`.expressions` the symbolic
log-sum-exp and soft(arg)max, and :mod:`.theorems` (with :mod:`.calculus`, :mod:`.limits`,
:mod:`.counting`) the exercise sheet's derivations.  :mod:`.premises` checks a link's premises
in the theorem they come from (built in the same run), and :mod:`.net_example` a concrete net's
region counts (exactnet's engine and an independent count in sympy).  sympy is imported only
when this package is.
"""
