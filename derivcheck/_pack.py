"""Derivatives over several inputs at once: ``wrt=("beta", "alpha")``.

The truth is taken with respect to every named input together and *packed*
into one array, the layout a statistics library uses for its flattened
parameters: each input raveled row-major and concatenated, in the order of
``wrt``.

- gradient: shape ``(P,)``, with ``P`` the total size of the inputs;
- Jacobian: shape ``out.shape + (P,)``; with ``flat=True``, ``(M, P)`` where
  ``M`` is the output's size (a function returning a tuple, such as
  ``jax.grad(f, argnums=(0, 1))``, has its outputs raveled and stacked), so
  the Jacobian of a library's flat score is its flat Hessian;
- Hessian: shape ``(P, P)``, block ``(i, j)`` holding ``∂²f/∂wrt_i∂wrt_j``.

The claimed value is either a tuple with one block per input (nested tuples,
one row of blocks per input, for a Hessian), each in its natural shape, or,
when the claim says ``flat=True``, one array already in the packed layout.

JAX is imported lazily: only when a check runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["ORDERS", "Packing", "PackError"]

#: The derivative orders a packing knows: "grad", "jacobian", "hessian".
ORDERS = ("grad", "jacobian", "hessian")


class PackError(ValueError):
    """A claimed tuple whose blocks do not match the inputs differentiated."""


def _shape(a) -> tuple:
    return tuple(getattr(a, "shape", ()))


class Packing:
    """How the derivative with respect to ``wrt`` is laid out, and how to pack claims.

    Args:
      order: "grad", "jacobian" or "hessian".
      wrt: the input names, in order.
      flat: the claimed value is one packed array rather than a tuple of blocks.

    >>> import jax, numpy as np
    >>> p = Packing("grad", ("b", "a"), flat=False)
    >>> with jax.enable_x64(True):  # as inside every check
    ...     p.pack_claimed((np.ones(2), 3.0), {"b": np.zeros(2), "a": np.zeros(())}).tolist()
    [1.0, 1.0, 3.0]
    """

    def __init__(self, order: str, wrt: Sequence[str], *, flat: bool) -> None:
        if order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
        self.order = order
        self.wrt = tuple(wrt)
        self.flat = flat

    # -- the truth -----------------------------------------------------------
    def truth(self, f: Callable[[dict], Any]) -> Callable[[dict], Any]:
        """The packed derivative of ``f`` (a function of the inputs dict) at one input."""
        import jax

        op = {"grad": jax.grad, "jacobian": jax.jacobian, "hessian": jax.hessian}[self.order]
        n = len(self.wrt)

        def at(inp):
            def g(*vals):
                return f({**inp, **dict(zip(self.wrt, vals, strict=True))})
            blocks = op(g, argnums=tuple(range(n)))(*(inp[w] for w in self.wrt))
            return self._pack(blocks, inp)

        return at

    # -- the claimed value ---------------------------------------------------
    def pack_claimed(self, raw: Any, inp: dict) -> Any:
        """The claimed value in the packed layout (a flat claim is returned as is).

        Raises:
          PackError: the tuple has the wrong number of blocks, or a block the
            wrong shape; the message names the block and the shape it needs.
        """
        if self.flat:
            if isinstance(raw, (tuple, list)):
                raise PackError(f"returns a {type(raw).__name__} but the claim says flat=True; "
                                "return one array in the packed layout, or drop flat=True")
            return raw
        n = len(self.wrt)
        names = ", ".join(self.wrt)
        if not isinstance(raw, (tuple, list)) or len(raw) != n:
            got = f"a {type(raw).__name__} of {len(raw)}" if isinstance(raw, (tuple, list)) \
                else f"one array of shape {_shape(raw)}"
            what = "rows of blocks" if self.order == "hessian" else "arrays"
            raise PackError(f"returns {got}, but wrt=({names}) needs a tuple of {n} {what}, "
                            f"one per input (or one packed array with flat=True)")
        if self.order == "hessian":
            for i, row in enumerate(raw):
                if not isinstance(row, (tuple, list)) or len(row) != n:
                    raise PackError(f"row {i + 1} of the claimed Hessian is not a tuple of {n} "
                                    f"blocks (∂²/∂{self.wrt[i]}∂{names})")
        self._check_blocks(raw, inp)
        return self._pack(raw, inp)

    def _check_blocks(self, raw, inp) -> None:
        shapes = [tuple(inp[w].shape) for w in self.wrt]
        out = None
        for i, w in enumerate(self.wrt):
            if self.order == "hessian":
                for j, v in enumerate(self.wrt):
                    need = shapes[i] + shapes[j]
                    got = _shape(raw[i][j])
                    if got != need:
                        raise PackError(f"returns block ({i + 1}, {j + 1}) of shape {got}, but "
                                        f"∂²f/∂{w}∂{v} has shape {need}")
                continue
            got = _shape(raw[i])
            if self.order == "grad":
                need = shapes[i]
            else:  # a Jacobian: every block starts with the same output shape
                lead = got[:len(got) - len(shapes[i])] if len(got) >= len(shapes[i]) else None
                out = lead if out is None else out
                need = (out or ()) + shapes[i]
            if got != need:
                raise PackError(f"returns block {i + 1} ({w}) of shape {got}, but "
                                f"∂/∂{w} has shape {need}")

    def _pack(self, blocks, inp):
        import jax.numpy as jnp

        shapes = [tuple(inp[w].shape) for w in self.wrt]
        sizes = [int(jnp.size(inp[w])) for w in self.wrt]
        if self.order == "grad":
            return jnp.concatenate([jnp.ravel(jnp.asarray(b, jnp.float64)) for b in blocks])
        if self.order == "jacobian":
            outputs = blocks if isinstance(blocks[0], (tuple, list)) else [blocks]
            if len(outputs) > 1 and not self.flat:
                raise PackError("the function returns a tuple: say flat=True to stack its "
                                "outputs into one packed Jacobian")
            rows, scalar = [], True
            for out in outputs:  # one row of blocks per output of the function
                parts = []
                for b, s in zip(out, shapes, strict=True):
                    b = jnp.asarray(b, jnp.float64)
                    lead = b.shape[:b.ndim - len(s)]
                    scalar = scalar and lead == ()
                    flat_lead = (int(np.prod(lead, dtype=np.int64)),)
                    parts.append(b.reshape((flat_lead if self.flat else lead) + (-1,)))
                rows.append(jnp.concatenate(parts, axis=-1))
            if not self.flat:
                return rows[0]
            packed = jnp.concatenate(rows, axis=0)  # (outputs' total size, P)
            return packed[0] if scalar and len(outputs) == 1 else packed
        rows = [jnp.concatenate([jnp.asarray(blocks[i][j], jnp.float64).reshape(sizes[i], sizes[j])
                                 for j in range(len(sizes))], axis=1)
                for i in range(len(sizes))]
        return jnp.concatenate(rows, axis=0)
