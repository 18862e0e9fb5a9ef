"""derivcheck: check hand-derived gradients, Jacobians and identities against JAX autodiff.

The data flows proof file → claims → input space → engine → verdicts → reports:

>>> import derivcheck as dc
>>> space = dc.Space(x=dc.real("D"))
>>> dc.check_gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x,
...                   space=space, wrt="x", profile="quick").status
'verified'
"""

from ._backward import assert_vjp as assert_vjp
from ._backward import check_vjp as check_vjp
from ._backward import vjp as vjp
from ._checks import assert_claim as assert_claim
from ._checks import assert_equal as assert_equal
from ._checks import assert_gradient as assert_gradient
from ._checks import assert_holds as assert_holds
from ._checks import assert_jacobian as assert_jacobian
from ._checks import check as check
from ._checks import check_equal as check_equal
from ._checks import check_gradient as check_gradient
from ._checks import check_holds as check_holds
from ._checks import check_jacobian as check_jacobian
from ._claims import Claim as Claim
from ._claims import ClaimError as ClaimError
from ._claims import Derivation as Derivation
from ._claims import Line as Line
from ._claims import equal as equal
from ._claims import grad_of as grad_of
from ._claims import gradient as gradient
from ._claims import holds as holds
from ._claims import jacobian as jacobian
from ._claims import jacobian_of as jacobian_of
from ._numpy import is_numpy_fn as is_numpy_fn
from ._numpy import numpy_fn as numpy_fn
from ._profiles import PROFILES as PROFILES
from ._profiles import Profile as Profile
from ._second_order import assert_hessian as assert_hessian
from ._second_order import assert_hvp as assert_hvp
from ._second_order import check_hessian as check_hessian
from ._second_order import check_hvp as check_hvp
from ._second_order import hessian as hessian
from ._second_order import hvp as hvp
from ._second_order import is_psd as is_psd
from ._space import Input as Input
from ._space import Space as Space
from ._space import SpaceError as SpaceError
from ._space import binary as binary
from ._space import counts as counts
from ._space import labels as labels
from ._space import one_hot as one_hot
from ._space import positive as positive
from ._space import real as real
from ._space import simplex as simplex
from ._verdict import LineResult as LineResult
from ._verdict import Result as Result
from ._verdict import Status as Status

__version__ = "0.1.0"

__all__ = [
    "PROFILES",
    "Claim",
    "ClaimError",
    "Derivation",
    "Input",
    "Line",
    "LineResult",
    "Profile",
    "Result",
    "Space",
    "SpaceError",
    "Status",
    "assert_claim",
    "assert_equal",
    "assert_gradient",
    "assert_hessian",
    "assert_holds",
    "assert_hvp",
    "assert_jacobian",
    "assert_vjp",
    "binary",
    "check",
    "check_equal",
    "check_gradient",
    "check_hessian",
    "check_holds",
    "check_hvp",
    "check_jacobian",
    "check_vjp",
    "counts",
    "equal",
    "grad_of",
    "gradient",
    "hessian",
    "holds",
    "hvp",
    "is_numpy_fn",
    "is_psd",
    "jacobian",
    "jacobian_of",
    "labels",
    "numpy_fn",
    "one_hot",
    "positive",
    "real",
    "simplex",
    "vjp",
]
