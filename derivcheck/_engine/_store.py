"""Compiled checks kept across runs, under a key that cannot go stale.

:class:`ProgramStore` keeps, per (claim, input shapes), the *compiled executable*
(or the NumPy program of :mod:`._interp`) and the :class:`~._records.TraceRecord`
its trace decided, so a warm run neither traces nor lowers nor looks anything up
in JAX's cache (which only skips the XLA compile, after lowering).

The key (:func:`key_base`, then :func:`program_key`) is a hash of everything the traced program and
its record can depend on:

- the claim's functions, followed to the bottom: each function's code object
  (bytecode, constants, names, file and line numbers), its defaults, the
  values in its closure and the global names its code reads (an array by its
  bytes, a function by its own key, a helper module by all of its globals);
  a library's function or module by its name and the library's version;
- derivcheck's own source text, the versions of Python, JAX, jaxlib and
  NumPy, JAX's configuration, ``XLA_FLAGS``, the XLA options, the backend;
- the oracle's name, each line's step partner, and the batch's shapes and dtypes.

A value the key cannot read (an instance of a class it does not know, say) makes
the claim *unkeyable*: it is traced afresh, as without the store. Only
compiled programs and trace decisions are stored, never verdicts.

Why this design avoids the earlier lowering cache's wrong verdict: that one
was keyed by the printed jaxpr, which shows a closed-over array constant by
its shape, not its values, so two claims that differ only in a constant
shared one program. Here a constant is keyed by its bytes, the executable is
called on the same arguments it was compiled for (its input tree and shapes
are checked on every call), and it is compiled with the same XLA options as
a fresh trace (programs compiled with other options round differently).
"""

from __future__ import annotations

import builtins
import enum
import functools
import hashlib
import os
import pickle
import platform
import sys
import sysconfig
import tempfile
import types
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ProgramStore", "Unkeyable", "functions_digest", "key_base", "program_key"]

#: Bump when the stored format changes.
FORMAT = 1

_LIBRARY_ROOTS = tuple({str(Path(p).resolve()) for p in (
    sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
    sysconfig.get_paths()["platlib"])})
_PACKAGE = Path(__file__).resolve().parent.parent  # derivcheck/


class Unkeyable(Exception):
    """A value the key cannot read; the claim is traced afresh instead."""


def _library_version(module_name: str) -> str:
    top = module_name.split(".")[0]
    mod = sys.modules.get(top)
    return str(getattr(mod, "__version__", sys.version))


@functools.lru_cache(maxsize=4096)
def _is_derivcheck_file(filename: str | None) -> bool:
    return bool(filename) and str(Path(filename).resolve()).startswith(str(_PACKAGE))


@functools.lru_cache(maxsize=4096)
def _is_library_file(filename: str | None) -> bool:
    if not filename:
        return False
    path = str(Path(filename).resolve())
    return path.startswith(_LIBRARY_ROOTS) and not path.startswith(str(_PACKAGE))


@functools.lru_cache(maxsize=1)
def _derivcheck_sources() -> str:
    h = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(_PACKAGE)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


class _Keyer:
    """Feeds a stable description of values into a hash (see the module docstring)."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.seen: dict[int, int] = {}
        self.keep: list[Any] = []  # keeps ids in ``seen`` from being reused

    def put(self, tag: str, *parts: Any) -> None:
        self.h.update(repr((tag, *parts)).encode())

    def value(self, obj: Any) -> None:  # noqa: C901 (one branch per kind of value)
        t = type(obj)
        if obj is None or obj is Ellipsis or t in (bool, int, float, complex, str, bytes):
            return self.put("v", t.__name__, obj)
        if t is slice:
            return self.put("slice", repr(obj))
        if id(obj) in self.seen:
            return self.put("ref", self.seen[id(obj)])
        self.seen[id(obj)] = len(self.seen)
        self.keep.append(obj)
        if isinstance(obj, enum.Enum):
            return self.put("enum", t.__module__, t.__qualname__, obj.name)
        if t in (tuple, list):
            self.put(t.__name__, len(obj))
            for v in obj:
                self.value(v)
            return None
        if t in (set, frozenset):
            return self.put(t.__name__, sorted(repr(v) for v in obj))
        if t is dict:
            self.put("dict", len(obj))
            for k in sorted(obj, key=repr):
                self.value(k)
                self.value(obj[k])
            return None
        if isinstance(obj, (np.ndarray, np.generic)) or t.__module__.startswith("jax"):
            if hasattr(obj, "dtype") and hasattr(obj, "shape") and not callable(obj):
                try:
                    arr = np.asarray(obj)
                except Exception as exc:  # a tracer kept in a closure has no values yet
                    raise Unkeyable(f"cannot key a {t.__module__}.{t.__qualname__}") from exc
                self.put("array", arr.dtype.str, arr.shape)
                self.h.update(np.ascontiguousarray(arr).tobytes())
                return None
        if isinstance(obj, types.FunctionType):
            return self.function(obj)
        if isinstance(obj, types.MethodType):
            self.put("method")
            self.value(obj.__func__)
            return self.value(obj.__self__)
        if isinstance(obj, functools.partial):
            self.put("partial")
            self.value(obj.func)
            self.value(obj.args)
            return self.value(obj.keywords)
        if isinstance(obj, types.ModuleType):
            return self.module(obj)
        if isinstance(obj, type):
            return self.put("class", obj.__module__, obj.__qualname__,
                            _library_version(obj.__module__))
        module = getattr(t, "__module__", "") or ""
        if module.split(".")[0] == "derivcheck" and hasattr(obj, "__dict__"):
            # derivcheck's private attributes are memos of its public ones (a Space's
            # buckets), filled as claims run: keying them made the key depend on
            # which claims ran before in the process.
            self.put("derivcheck", t.__qualname__)
            return self.value({k: v for k, v in vars(obj).items() if not k.startswith("_")})
        wrapped = getattr(obj, "__wrapped__", None)
        if wrapped is not None and module.split(".")[0] in ("jax", "jaxlib"):
            self.put("wrapped", module, t.__qualname__)  # e.g. a user function under jax.jit
            return self.value(wrapped)
        name_module = getattr(obj, "__module__", None)
        if callable(obj) and isinstance(name_module, str) and hasattr(obj, "__qualname__") \
                and name_module.split(".")[0] != "derivcheck":
            mod = sys.modules.get(name_module)
            if mod is not None and _is_library_file(getattr(mod, "__file__", None)):
                return self.put("libfn", name_module, obj.__qualname__,
                                _library_version(name_module))
        raise Unkeyable(f"cannot key a {t.__module__}.{t.__qualname__}")

    def function(self, fn: types.FunctionType) -> None:
        code = fn.__code__
        if _is_library_file(code.co_filename):
            return self.put("libfn", fn.__module__, fn.__qualname__,
                            _library_version(fn.__module__ or ""))
        self.put("fn")
        self.code(code)
        self.value(fn.__defaults__)
        self.value(fn.__kwdefaults__)
        self.value(tuple(c.cell_contents if _filled(c) else "<empty cell>"
                         for c in fn.__closure__ or ()))
        if _is_derivcheck_file(code.co_filename):
            # derivcheck's own module globals are fixed by its source, which is in the
            # key; what they hold besides (a counter of fresh names, memos) does not
            # shape a traced program, and a counter cannot be keyed
            return self.put("derivcheck globals")
        glob = fn.__globals__
        for name in sorted(_names(code)):
            if name in glob:
                self.put("global", name)
                self.value(glob[name])
            elif hasattr(builtins, name):
                self.put("builtin", name)
            else:
                self.put("unbound", name)  # an attribute name, or a NameError to come
        return None

    def code(self, code: types.CodeType) -> None:
        """A code object, field by field (``marshal`` output depends on reference counts)."""
        self.put("code", code.co_filename, getattr(code, "co_qualname", code.co_name),
                 code.co_firstlineno,
                 code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
                 code.co_flags, code.co_names, code.co_varnames, code.co_freevars,
                 code.co_cellvars)
        self.h.update(code.co_code)
        self.h.update(code.co_linetable)
        self.h.update(getattr(code, "co_exceptiontable", b""))  # Python 3.11+
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                self.code(const)
            else:
                self.value(const)

    def module(self, mod: types.ModuleType) -> None:
        name = mod.__name__
        if name.split(".")[0] == "derivcheck":
            return self.put("derivcheck module", name)  # its source is in the key
        file = getattr(mod, "__file__", None)
        if file is None or _is_library_file(file):
            return self.put("libmod", name, _library_version(name))
        self.put("module", name, file)
        return self.value({k: v for k, v in vars(mod).items() if not k.startswith("__")})


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:
        return False
    return True


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _environment(options: tuple) -> tuple:
    import jax
    import jaxlib

    config = {k: repr(v) for k, v in jax.config.values.items()
              if "cache" not in k and "log" not in k}
    backend = jax.devices()[0].client
    return (FORMAT, _derivcheck_sources(), sys.version, platform.machine(), jax.__version__,
            jaxlib.__version__, np.__version__, sorted(config.items()),
            os.environ.get("XLA_FLAGS", ""), options, backend.platform,
            backend.platform_version)


def key_base(*, functions: list[Any], extra: tuple, options: tuple,
             digest: bytes | None = None) -> Any:
    """The hash of everything a fused check's key reads but its shapes (raises
    :class:`Unkeyable`); :func:`program_key` adds the shapes of one bucket.

    A fused check computes it once: reading a proof module's globals for every
    bucket took most of a warm run's key time. ``digest``: ``functions``'
    :func:`functions_digest`, if the caller has it.
    """
    keyer = _Keyer()
    keyer.h = _environment_hash(options)
    keyer.put("functions", digest if digest is not None else functions_digest(functions))
    keyer.value(extra)
    return keyer.h


_ENVIRONMENT_HASHES: dict[str, Any] = {}


def _environment_hash(options: tuple) -> Any:
    """A hash fed with :func:`_environment`, reused while the environment's text is the
    same (feeding it value by value took most of a key's time)."""
    env = _environment(options)
    text = repr(env)
    if text not in _ENVIRONMENT_HASHES:
        keyer = _Keyer()
        keyer.value(env)
        _ENVIRONMENT_HASHES[text] = keyer.h
    return _ENVIRONMENT_HASHES[text].copy()


def functions_digest(functions: list[Any]) -> bytes:
    """The hash of what ``functions`` read, alone (raises :class:`Unkeyable`): whether a
    claim's code, closures or globals changed since it was traced, in one process."""
    keyer = _Keyer()
    keyer.value(list(functions))
    return keyer.h.digest()


def program_key(base: Any, shapes: Any) -> str:
    """The store key of one fused check (its :func:`key_base`) at one input shape.

    >>> import numpy as np
    >>> def key(fn, shapes=()):
    ...     return program_key(key_base(functions=[fn], extra=(), options=()), shapes)
    >>> c = np.ones(2)
    >>> k1, k2 = key(lambda x: x * 2.0), key(lambda x: x * c)
    >>> c[0] = 3.0
    >>> k3 = key(lambda x: x * c)
    >>> len({k1, k2, k3, key(lambda x: x * c, shapes=(("x", (3,)),))})
    4
    """
    keyer = _Keyer()
    keyer.h = base.copy()
    keyer.value(shapes)
    return keyer.h.hexdigest()


class ProgramStore:
    """Compiled checks and their trace records in a folder, one file per key."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pkl"

    def _read(self, key: str) -> dict | None:
        try:
            entry = pickle.loads(self._path(key).read_bytes())
        except Exception:  # missing, damaged or foreign: not there
            return None
        return entry if isinstance(entry, dict) and entry.get("key") == key else None

    def _write(self, key: str, entry: dict) -> None:
        """Write an entry atomically; a failure to write (a full disk) is not an error."""
        try:
            data = pickle.dumps({"key": key, **entry})
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except Exception:
            return

    def get(self, key: str) -> tuple[Any, Any] | None:
        """The (compiled executable, trace record) stored under ``key``, or None."""
        entry = self._read(key)
        if entry is None or "executable" not in entry:
            return None
        try:
            from jax.experimental import serialize_executable

            payload, in_tree, out_tree = entry["executable"]
            if "lapack" in entry.get("needs", ()):
                _bind_lapack()
            return (serialize_executable.deserialize_and_load(payload, in_tree, out_tree),
                    entry.get("record"))
        except Exception:  # a damaged or foreign file: trace afresh
            return None

    def put(self, key: str, compiled: Any, record: Any, *, needs: tuple[str, ...] = ()) -> None:
        """Store a compiled check (atomically; a failure to write is not an error).

        ``needs``: the outside functions it calls (``("lapack",)``), bound before it is loaded.
        """
        from jax.experimental import serialize_executable

        try:
            payload = serialize_executable.serialize(compiled)
        except Exception:  # an executable that cannot be serialized
            return
        self._write(key, {"record": record, "needs": tuple(needs), "executable": payload})

    def get_program(self, key: str) -> tuple[Any, Any] | None:
        """The (NumPy program or None: not interpretable, trace record) under ``key``."""
        entry = self._read(key)
        return (entry["numpy"], entry.get("record")) if entry and "numpy" in entry else None

    def put_program(self, key: str, program: Any, record: Any) -> None:
        """Keep a check's NumPy program (a picklable :class:`._interp.Interpreted`; None:
        the check cannot be interpreted, so it is compiled)."""
        self._write(key, {"record": record, "numpy": program})

    def get_fact(self, key: str) -> tuple[Any] | None:
        """``(value,)`` of a fact about a traced program stored under ``key``, or None."""
        entry = self._read(key)
        return (entry["fact"],) if entry is not None and "fact" in entry else None

    def put_fact(self, key: str, value: Any) -> None:
        """Keep a fact read from a traced program (a plain value: a string, None)."""
        self._write(key, {"fact": value})


def _bind_lapack() -> None:
    """Bind LAPACK's functions, as jaxlib does when it first lowers a linalg call."""
    from jaxlib import lapack

    lapack.prepare_lapack_call("potrf_ffi", np.float64)
