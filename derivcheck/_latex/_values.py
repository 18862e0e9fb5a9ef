"""Values, environments and index ranges shared by the compiler's modules."""

from __future__ import annotations

import dataclasses
from typing import Any

from . import _ast as A
from ._ast import Unsupported


@dataclasses.dataclass
class V:
    """A value: an array, and whether a vector is a row (a transposed column)."""

    arr: Any
    row: bool = False


@dataclasses.dataclass
class Env:
    nt: Any
    inputs: dict
    sizes: dict
    idx: dict
    over: dict
    memo: dict = dataclasses.field(default_factory=dict)
    ev: Any = None      # the evaluator (``_compile.ev``), passed in to keep modules acyclic

    def bind_all(self, idx: dict) -> Env:
        return dataclasses.replace(self, idx=idx)

    def bind(self, name: str, value) -> Env:
        return dataclasses.replace(self, idx={**self.idx, name: value})


def sizes_of(nt, inputs: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, arr in inputs.items():
        if name in nt.inputs:
            for d, n in zip(nt.input_dims(name), arr.shape, strict=False):
                out[d] = int(n)
    return out


def static_int(node: A.Node, env: Env) -> int:
    if isinstance(node, A.Num) and float(node.value).is_integer():
        return int(node.value)
    if isinstance(node, A.Name):
        sym = env.nt.symbols.get(node.name)
        if sym is not None and sym.dim is not None:
            return _size(env, sym.dim)
    raise Unsupported("a sum bound that is not a number or a dimension")


def _size(env: Env, dim: str | None) -> int:
    if dim is None or dim not in env.sizes:
        raise Unsupported(f"an index range with no size (dimension {dim})")
    return env.sizes[dim]


def vmapped(fn, names: list[str], dims: list[int]):
    """``fn(**{name: value})`` evaluated over 1..size for each name; axes in order."""
    import jax
    import jax.numpy as jnp

    def call(bound: dict, k: int):
        if k == len(names):
            return fn(bound)
        vals = jnp.arange(1, dims[k] + 1)
        return jax.vmap(lambda v: call({**bound, names[k]: v}, k + 1))(vals)

    return call({}, 0)


def transpose(x: V) -> V:
    if x.arr.ndim == 2:
        return V(x.arr.T)
    return V(x.arr, not x.row) if x.arr.ndim == 1 else x
