"""derivcheck: check hand-derived gradients, Jacobians and identities against JAX autodiff.

The data flows proof file → claims → input space → engine → verdicts → reports:

>>> import derivcheck as dc
>>> space = dc.Space(x=dc.real("D"))
>>> dc.check_gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x,
...                   space=space, wrt="x", profile="quick").status
'verified'
"""

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
from ._profiles import PROFILES as PROFILES
from ._profiles import Profile as Profile
from ._space import Input as Input
from ._space import Space as Space
from ._space import SpaceError as SpaceError
from ._space import binary as binary
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
    "assert_holds",
    "assert_jacobian",
    "binary",
    "check",
    "check_equal",
    "check_gradient",
    "check_holds",
    "check_jacobian",
    "equal",
    "grad_of",
    "gradient",
    "holds",
    "jacobian",
    "jacobian_of",
    "labels",
    "one_hot",
    "positive",
    "real",
    "simplex",
]
