"""XLA's gather and scatter in NumPy, for :mod:`._interp`.

Both build, for every operand dimension, the index of each element a window
reads or writes (its start, from the indices or a batch position, plus its
offset in the window), and then use NumPy's advanced indexing. Start indices
are clamped so that the window fits, as XLA does; FILL_OR_DROP instead fills
(gather) or drops (scatter) a window that does not fit.

>>> import numpy as np
>>> from jax import lax
>>> dn = lax.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,),
...                                 start_index_map=(0,))
>>> gather(np.array([5.0, 6.0, 7.0]), np.array([[2], [0]]), dimension_numbers=dn,
...        slice_sizes=(1,), mode=lax.GatherScatterMode.CLIP, fill_value=None).tolist()
[7.0, 5.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["gather", "scatter", "scatter_add"]


def _mode_name(mode) -> str:
    return getattr(mode, "name", str(mode)).upper()


def _windows(operand_shape, indices, window, index_map, batching, index_batching):
    """Per operand dimension, the (batch..., window...) index arrays, and a (batch,)
    mask of the windows that fit (before clamping)."""
    batch_shape = indices.shape[:-1]
    nb, nd = len(batch_shape), len(operand_shape)
    grids, fits = [], np.ones(batch_shape, dtype=bool)
    for d in range(nd):
        if d in index_map:
            start = indices[..., list(index_map).index(d)].astype(np.int64)
        elif d in batching:
            axis = index_batching[list(batching).index(d)]
            start = np.broadcast_to(np.arange(batch_shape[axis]).reshape(
                [-1 if a == axis else 1 for a in range(nb)]), batch_shape)
        else:
            start = np.zeros(batch_shape, dtype=np.int64)
        top = operand_shape[d] - window[d]
        fits &= (start >= 0) & (start <= top)
        start = np.clip(start, 0, max(top, 0))
        offset = np.arange(window[d]).reshape([1] * nb + [-1 if a == d else 1
                                                          for a in range(nd)])
        grids.append(start.reshape(batch_shape + (1,) * nd) + offset)
    return grids, fits


def gather(operand, indices, *, dimension_numbers, slice_sizes, mode, fill_value,
           indices_are_sorted=False, unique_indices=False):
    dn = dimension_numbers
    nb = indices.ndim - 1
    grids, fits = _windows(operand.shape, indices, slice_sizes, dn.start_index_map,
                           dn.operand_batching_dims, dn.start_indices_batching_dims)
    out = operand[tuple(grids)]  # batch... + slice_sizes
    if _mode_name(mode) == "FILL_OR_DROP":
        fill = fill_value
        if fill is None:
            fill = (np.nan if np.issubdtype(operand.dtype, np.inexact) else
                    True if operand.dtype == np.bool_ else np.iinfo(operand.dtype).min)
        out = np.where(fits.reshape(fits.shape + (1,) * operand.ndim), out,
                       np.asarray(fill, operand.dtype))
    dropped = sorted(set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims))
    out = out.reshape(out.shape[:nb] + tuple(
        n for d, n in enumerate(slice_sizes) if d not in dropped))
    # output dimensions: the window's at offset_dims, the batch's in the others
    rank = nb + len(dn.offset_dims)
    batch_axes = iter(range(nb))
    perm = [nb + list(dn.offset_dims).index(p) if p in dn.offset_dims else next(batch_axes)
            for p in range(rank)]
    return np.transpose(out, perm)


def _scatter(operand, indices, updates, dimension_numbers, mode, combine):
    dn = dimension_numbers
    nb = updates.ndim - len(dn.update_window_dims)
    scatter_axes = [a for a in range(updates.ndim) if a not in dn.update_window_dims]
    # updates as (batch..., window in operand order, with 1 for inserted dimensions)
    u = np.transpose(updates, [*scatter_axes, *dn.update_window_dims])
    inserted = set(dn.inserted_window_dims) | set(dn.operand_batching_dims)
    sizes, k = [], 0
    for d in range(operand.ndim):
        if d in inserted:
            sizes.append(1)
        else:
            sizes.append(u.shape[nb + k])
            k += 1
    u = u.reshape(u.shape[:nb] + tuple(sizes))
    idx = indices.reshape(u.shape[:nb] + indices.shape[-1:])
    grids, fits = _windows(operand.shape, idx, sizes, dn.scatter_dims_to_operand_dims,
                           dn.operand_batching_dims, dn.scatter_indices_batching_dims)
    out = operand.copy()
    if _mode_name(mode) != "CLIP":  # XLA skips a window that does not fit
        grids = [g[fits] for g in grids]
        u = u[fits]
    else:
        grids = [np.broadcast_to(g, u.shape) for g in grids]
    return out if combine(out, tuple(grids), u) is not False else None


def scatter_add(operand, indices, updates, *, dimension_numbers, mode):
    return _scatter(operand, indices, updates, dimension_numbers, mode, np.add.at)


def _put(out, where, values):
    flat = np.ravel_multi_index(where, out.shape)
    if np.unique(flat).size != flat.size:
        return False  # which of two writes to one place wins is XLA's to say
    out[where] = values
    return True


def scatter(operand, indices, updates, *, dimension_numbers, mode):
    return _scatter(operand, indices, updates, dimension_numbers, mode, _put)
