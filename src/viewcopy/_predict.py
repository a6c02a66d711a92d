"""predict(a, expression): view or copy, and the result's layout, from ``a``'s layout alone.

The expression is parsed with :mod:`ast` and walked with a symbolic array
that carries only what NumPy decides views with: shape, strides, item size,
dtype, writeability and the byte offset from ``a``'s first element.  The
operation is never run.  Arguments that do not involve ``a``'s values (an
index list, ``np.ones(a.shape, dtype=bool)``, ``a.shape[::-1]``) are
computed for real: they are inputs of the operation, not the operation.

The rules are NumPy's own, ported from its C code: the contiguity flags
(length-1 axes ignored, an empty array is both), the no-copy reshape
(``_attempt_nocopy_reshape``), ``ravel``'s order rules, the axis order of
``order='K'`` copies (strides sorted by size, a stable sort), dtype views
(the last axis must be contiguous unless the item size stays).  The atlas
(:mod:`viewcopy.claims.atlas`) checks every rule against NumPy on every case of
the layouts family, under every release of the site's matrix.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import itertools
import operator
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from ._errors import short_repr

NUMPY_2 = int(np.__version__.split(".")[0]) >= 2
_VERSION = tuple(int(x) for x in np.__version__.split(".")[:2])


@dataclasses.dataclass(frozen=True)
class Prediction:
    """What :func:`predict` expects an expression to return, and why.

    Attributes
    ----------
    kind : str
        ``'view'`` (the result reads ``a``'s memory; for an empty ``a``: its
        base chain reaches ``a``'s buffer and nothing is allocated) or
        ``'copy'``.
    reason : str
        The rule that decided it, step by step for a chain.
    shape : tuple of int or None
        The result's shape, when the layout alone decides it (None for a
        boolean mask's result, whose length depends on the values).
    strides : tuple of int or None
        The result's strides; None for copies whose axis order NumPy's
        iterator chooses (ufuncs, advanced indexing).
    dtype : numpy.dtype or None
        The result's element type, when known.
    writeable : bool or None
        Whether the result can be written to (a view inherits ``a``'s flag;
        ``broadcast_to`` and ``diagonal`` give read-only views).
    """

    kind: Literal["view", "copy"]
    reason: str
    shape: tuple[int, ...] | None = None
    strides: tuple[int, ...] | None = None
    dtype: np.dtype | None = None
    writeable: bool | None = None

    @property
    def order(self) -> str | None:
        """``'C'``, ``'F'``, ``'C and F'`` or ``'neither'``, as :attr:`viewcopy.Layout.order`; None if unknown."""
        if self.shape is None or self.strides is None or self.dtype is None:
            return None
        c = contiguous(self.shape, self.strides, self.dtype.itemsize, "C")
        f = contiguous(self.shape, self.strides, self.dtype.itemsize, "F")
        return "C and F" if c and f else "C" if c else "F" if f else "neither"

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


# -- NumPy's layout rules ---------------------------------------------------------------------------


def contiguous(shape: Sequence[int], strides: Sequence[int], itemsize: int, order: str) -> bool:
    """NumPy's contiguity flag: length-1 axes do not count, an empty array always is."""
    if 0 in shape:
        return True
    expected = itemsize
    pairs = list(zip(shape, strides, strict=True))
    for n, stride in reversed(pairs) if order == "C" else pairs:
        if n == 1:
            continue
        if stride != expected:
            return False
        expected *= n
    return True


def fill_strides(shape: Sequence[int], itemsize: int, order: str) -> tuple[int, ...]:
    """The strides of a new contiguous array (NumPy skips length-0 axes in the product)."""
    strides = [0] * len(shape)
    step = itemsize
    axes = range(len(shape)) if order == "F" else reversed(range(len(shape)))
    for i in axes:
        strides[i] = step
        if shape[i]:
            step *= shape[i]
    return tuple(strides)


def sorted_stride_perm(strides: Sequence[int]) -> list[int]:
    """Axes by decreasing absolute stride, ties in axis order (NumPy's PyArray_CreateSortedStridePerm)."""
    return sorted(range(len(strides)), key=lambda i: -abs(strides[i]))


def keep_order_strides(shape: Sequence[int], strides: Sequence[int], itemsize: int) -> tuple[int, ...]:
    """Strides of a new array laid out like the prototype (NumPy's NewLikeArray with order='K')."""
    if contiguous(shape, strides, itemsize, "C") or len(shape) <= 1:
        return fill_strides(shape, itemsize, "C")
    if contiguous(shape, strides, itemsize, "F"):
        return fill_strides(shape, itemsize, "F")
    out = [0] * len(shape)
    step = itemsize
    for axis in reversed(sorted_stride_perm(strides)):
        out[axis] = step
        step *= shape[axis]
    return tuple(out)


def nocopy_reshape(
    shape: Sequence[int], strides: Sequence[int], itemsize: int, newshape: Sequence[int], f_order: bool
) -> tuple[int, ...] | None:
    """NumPy's ``_attempt_nocopy_reshape``: the new strides, or None when the data must be copied."""
    old = [(n, s) for n, s in zip(shape, strides, strict=True) if n != 1]
    olddims, oldstrides = [n for n, _ in old], [s for _, s in old]
    newnd, oldnd = len(newshape), len(olddims)
    newstrides = [0] * newnd
    oi, oj, ni, nj = 0, 1, 0, 1
    while ni < newnd and oi < oldnd:
        np_, op = newshape[ni], olddims[oi]
        while np_ != op:
            if np_ < op:
                np_ *= newshape[nj]
                nj += 1
            else:
                op *= olddims[oj]
                oj += 1
        for ok in range(oi, oj - 1):
            if f_order:
                if oldstrides[ok + 1] != olddims[ok] * oldstrides[ok]:
                    return None
            elif oldstrides[ok] != olddims[ok + 1] * oldstrides[ok + 1]:
                return None
        if f_order:
            newstrides[ni] = oldstrides[oi]
            for nk in range(ni + 1, nj):
                newstrides[nk] = newstrides[nk - 1] * newshape[nk - 1]
        else:
            newstrides[nj - 1] = oldstrides[oj - 1]
            for nk in range(nj - 1, ni, -1):
                newstrides[nk - 1] = newstrides[nk] * newshape[nk]
        ni, nj = nj, nj + 1
        oi, oj = oj, oj + 1
    last = newstrides[ni - 1] if ni >= 1 else itemsize
    if f_order and ni >= 1:
        last *= newshape[ni - 1]
    for nk in range(ni, newnd):
        newstrides[nk] = last
    return tuple(newstrides)


# -- the symbolic array -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Sym:
    """An array known by its layout: what the walk carries from step to step."""

    shape: tuple[int, ...] | None
    strides: tuple[int, ...] | None
    dtype: np.dtype | None
    writeable: bool | None
    view: bool  # still reads the source's memory
    why: tuple[str, ...] = ()
    is_source: bool = False
    owns: bool = False  # owns its data (the source as NumPy says; a new array does)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize if self.dtype is not None else 0

    @property
    def ndim(self) -> int:
        return len(self._known_shape())

    @property
    def size(self) -> int:
        return int(np.prod(self._known_shape(), dtype=np.int64))

    def _known_shape(self) -> tuple[int, ...]:
        if self.shape is None:
            raise _Unknown("the shape depends on the array's values")
        return self.shape

    def known(self) -> bool:
        return self.shape is not None and self.strides is not None and self.dtype is not None

    def c(self) -> bool:
        self._need()
        return contiguous(self.shape, self.strides, self.itemsize, "C")

    def f(self) -> bool:
        self._need()
        return contiguous(self.shape, self.strides, self.itemsize, "F")

    def _need(self) -> None:
        if not self.known():
            raise _Unknown("the layout of an earlier copy is not known")

    def then(self, why: str, **changes: Any) -> _Sym:
        get = changes.get  # dataclasses.replace costs more than the rest of a step
        return _Sym(
            get("shape", self.shape),
            get("strides", self.strides),
            get("dtype", self.dtype),
            get("writeable", self.writeable),
            self.view,
            (*self.why, why),
            get("is_source", False),
            get("owns", False),
        )

    def copy(self, why: str, shape: Any = "same", order: str | None = "C", dtype: Any = "same", writeable=True) -> _Sym:
        """A newly allocated result; ``order`` 'C', 'F', 'A', 'K' (like this one) or None (not known)."""
        if order == "A":
            order = "F" if self.known() and self.f() and not self.c() else "C" if self.known() else None
        shape = self.shape if shape == "same" else shape
        dtype = self.dtype if isinstance(dtype, str) and dtype == "same" else dtype
        itemsize = dtype.itemsize if dtype is not None else 0
        strides = None
        if shape is not None and dtype is not None and order is not None:
            if order == "K":
                if not self.known() or len(shape) != len(self.shape):
                    strides = None
                else:
                    strides = keep_order_strides(shape, self.strides, itemsize)
            else:
                strides = fill_strides(shape, itemsize, order)
        return _Sym(shape, strides, dtype, writeable, False, (*self.why, why), owns=True)


class _Unknown(Exception):
    """The layout alone cannot answer this step."""


class _Raises(Exception):
    """NumPy raises on this step (predict raises ValueError saying so)."""


@dataclasses.dataclass(frozen=True)
class _Bound:
    sym: _Sym
    name: str


@dataclasses.dataclass(frozen=True)
class _Flat:
    sym: _Sym


@dataclasses.dataclass(frozen=True)
class _Values:
    """An array computed from ``a``'s values (``a > 0``): its shape is known, its values are not."""

    shape: tuple[int, ...]
    dtype: np.dtype


_NAMESPACES = {"np": np}
_BUILTINS = {
    "tuple": tuple,
    "range": range,
    "str": str,
    "bool": bool,
    "int": int,
    "float": float,
    "complex": complex,
    "len": len,
    "list": list,
}
"""Builtins an expression may use to build arguments (``tuple(range(a.ndim))``, ``dtype=bool``)."""


def _module_path(node: ast.AST) -> Any:
    """``np``, ``np.lib.stride_tricks``, ``np.float64``: the real object, if the node names one (kept on the node)."""
    found = node.__dict__.get("_viewcopy_object", _UNSET)
    if found is _UNSET:
        found = node._viewcopy_object = _lookup(node)
    return found


_UNSET = object()


def _lookup(node: ast.AST) -> Any:
    if isinstance(node, ast.Name) and node.id in _NAMESPACES:
        return _NAMESPACES[node.id]
    if isinstance(node, ast.Attribute):
        base = _module_path(node.value)
        if base is not None and base is not _NOT:
            if not hasattr(base, node.attr):
                raise _Raises(f"this NumPy ({np.__version__}) has no {ast.unparse(node)}")
            return getattr(base, node.attr)
    return _NOT


_NOT = object()


class _Walker:
    def __init__(self, a: np.ndarray) -> None:
        self.a = a
        self.source = _Sym(
            a.shape,
            a.strides,
            a.dtype,
            bool(a.flags.writeable),
            True,
            (),
            True,
            bool(a.flags.owndata),
        )

    # values that are not the array -----------------------------------------------------------------
    def ev(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id == "a":
                return self.source
            if node.id in _NAMESPACES:
                return _NAMESPACES[node.id]
            if node.id in _BUILTINS:
                return _BUILTINS[node.id]
            raise _Syntax(f"unknown name {node.id!r}: the expression may use only `a` and `np`")
        if isinstance(node, ast.Attribute):
            obj = _module_path(node)
            if obj is not _NOT:
                return obj
            value = self.ev(node.value)
            return self.attribute(value, node.attr)
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [self.ev(e) for e in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Dict):
            return {self.ev(k): self.ev(v) for k, v in zip(node.keys, node.values, strict=True)}
        if isinstance(node, ast.UnaryOp):
            value = self.ev(node.operand)
            if isinstance(value, _Sym):
                return self.elementwise(
                    value,
                    {ast.USub: "negative", ast.UAdd: "positive", ast.Invert: "invert"}.get(type(node.op), "unary"),
                )
            return {
                ast.USub: operator.neg,
                ast.UAdd: operator.pos,
                ast.Not: operator.not_,
                ast.Invert: operator.invert,
            }[type(node.op)](value)
        if isinstance(node, ast.BinOp):
            left, right = self.ev(node.left), self.ev(node.right)
            if isinstance(left, _Sym) or isinstance(right, _Sym):
                sym = left if isinstance(left, _Sym) else right
                other = right if sym is left else left
                return self.binary(sym, other, type(node.op).__name__)
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.Compare):
            left = self.ev(node.left)
            rights = [self.ev(c) for c in node.comparators]
            syms = [x for x in [left, *rights] if isinstance(x, _Sym)]
            if syms:
                shape = np.broadcast_shapes(*(x._known_shape() for x in syms))
                return syms[0].copy(
                    "a comparison writes a new boolean array", shape=shape, order=None, dtype=np.dtype(bool)
                )
            raise _Syntax("comparisons are supported between arrays only")
        if isinstance(node, ast.Subscript):
            value = self.ev(node.value)
            index = self.ev(node.slice)
            return self.subscript(value, index)
        if isinstance(node, ast.Slice):
            return slice(*(self.ev(p) if p is not None else None for p in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Call):
            return self.call(node)
        raise _Syntax(f"predict() does not read {type(node).__name__} expressions ({ast.unparse(node)})")

    def attribute(self, value: Any, name: str) -> Any:
        if isinstance(value, _Sym):
            if name in ("shape", "ndim", "size", "dtype", "strides", "itemsize", "nbytes"):
                if name == "dtype":
                    return value.dtype
                if name == "strides":
                    value._need()
                    return value.strides
                if name == "itemsize":
                    return value.itemsize
                if name == "nbytes":
                    return value.size * value.itemsize
                return getattr(value, name) if name != "shape" else value._known_shape()
            if not hasattr(np.ndarray, name):
                raise _Raises(f"this NumPy ({np.__version__}) has no ndarray.{name}")
            if name in _ATTRIBUTES:
                return _ATTRIBUTES[name](self, value)
            return _Bound(value, name)
        if isinstance(value, np.dtype) and name in _DTYPE_ATTRIBUTES:
            return getattr(value, name)
        raise _Syntax(
            f"predict() reads the array's attributes and a dtype's {', '.join(sorted(_DTYPE_ATTRIBUTES))}; "
            f"not {name!r} of {short_repr(value)}"
        )

    def call(self, node: ast.Call) -> Any:
        func = self.ev(node.func)
        args = [self.ev(a) for a in node.args]
        kwargs = {k.arg: self.ev(k.value) for k in node.keywords if k.arg is not None}
        if any(k.arg is None for k in node.keywords) or any(isinstance(a, ast.Starred) for a in node.args):
            raise _Syntax("predict() does not read *args or **kwargs")
        if isinstance(func, _Bound):
            handler = _METHODS.get(func.name)
            if handler is None:
                raise _Syntax(f"predict() does not know the method ndarray.{func.name}")
            return handler(self, func.sym, *args, **kwargs)
        involved = [x for x in [*args, *kwargs.values()] if _has_sym(x)]
        if not involved:  # an index or a dtype built without the array's values: compute it
            if not _computable(func):
                raise _Syntax(
                    f"predict() computes only the arguments of an operation (np.arange, np.ones, np.array, dtypes, "
                    f"tuple, range...), never {short_repr(func)}: the expression must apply it to `a`"
                )
            return func(*args, **kwargs)
        name = getattr(func, "__name__", None)
        if isinstance(func, np.ufunc):
            return self.ufunc(func, args, kwargs)
        known = any(getattr(ns, name or "", None) is func for ns in (np, np.lib.stride_tricks))
        handler = _FUNCTIONS.get(name) if known else None
        if handler is None:
            raise _Syntax(f"predict() does not know {short_repr(func)}")
        return handler(self, *args, **kwargs)

    # steps ---------------------------------------------------------------------------------------
    def elementwise(self, s: _Sym, name: str) -> _Sym:
        return s.copy(f"{name} computes new values: a new array", order=None, dtype=None)

    def binary(self, s: _Sym, other: Any, name: str) -> _Sym:
        shape = s.shape
        if isinstance(other, _Sym) and other.shape != s.shape:
            shape = None
        return s.copy(f"arithmetic ({name}) writes a new array", shape=shape, order=None, dtype=None)

    def ufunc(self, func: np.ufunc, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if "out" in kwargs or kwargs:
            raise _Syntax("predict() reads ufuncs without keyword arguments")
        if func.signature is not None:
            raise _Syntax(f"predict() does not read generalized ufuncs such as np.{func.__name__}")
        syms = [x for x in args if isinstance(x, _Sym)]
        s = syms[0]
        dtypes = tuple(x.dtype if isinstance(x, _Sym) else np.asarray(x).dtype for x in args)
        out_dtype = None
        if all(d is not None for d in dtypes) and hasattr(func, "resolve_dtypes"):
            try:  # NumPy's own loop resolution, on the dtypes alone (NumPy >= 1.24)
                out_dtype = func.resolve_dtypes((*dtypes, *(None,) * func.nout))[func.nin]
            except TypeError as error:
                raise _Raises(str(error)) from None
        same = all(not isinstance(x, _Sym) or x.shape == s.shape for x in args)
        new = s.copy(
            f"the ufunc np.{func.__name__} writes a new array",
            shape=s.shape if same else None,
            order=None,
            dtype=out_dtype,
        )
        return (new,) * func.nout if func.nout > 1 else new

    def subscript(self, value: Any, index: Any) -> Any:
        if isinstance(value, _Sym):
            return index_sym(value, index)
        if isinstance(value, _Flat):
            return flat_index(value.sym, index)
        if isinstance(value, (list, tuple)):
            return value[index]
        if isinstance(value, (np.ndarray, dict)):
            return value[index]
        raise _Syntax(f"cannot index {short_repr(value)}")


_DTYPE_ATTRIBUTES = {"newbyteorder", "itemsize", "kind", "char", "str", "name", "type", "names", "base"}
_COMPUTED = {"arange", "ones", "zeros", "full", "array", "asarray", "empty", "ix_", "dtype", "intp", "newaxis"}
"""NumPy functions predict may call itself: they build an index or a dtype, never touch the array."""


def _computable(func: Any) -> bool:
    if func in _BUILTINS.values():
        return True
    if isinstance(func, type) and issubclass(func, (np.generic, np.dtype)):
        return True  # np.intp(0), np.dtype("f8")
    if getattr(func, "__self__", None) is not None and isinstance(func.__self__, np.dtype):
        return getattr(func, "__name__", "") == "newbyteorder"
    name = getattr(func, "__name__", "")
    return name in _COMPUTED and getattr(np, name, None) is func


class _Syntax(Exception):
    """The expression is not one predict() reads."""


_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _has_sym(x: Any) -> bool:
    if isinstance(x, (_Sym, _Values, _Flat, _Bound)):
        return True
    if isinstance(x, (list, tuple)):
        return any(_has_sym(i) for i in x)
    return False


# -- indexing -----------------------------------------------------------------------------------------


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _normalize_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise _Raises(f"axis {axis} is out of bounds for an array of dimension {ndim}")
    return axis % ndim


def index_sym(s: _Sym, index: Any) -> _Sym:
    """NumPy's indexing: basic (a view) unless an index is an array, a list, a bool or a field list."""
    if isinstance(index, str):
        return _field(s, index)
    if isinstance(index, list) and index and all(isinstance(i, str) for i in index):
        return _fields(s, index)
    items = index if isinstance(index, tuple) else (index,)
    advanced = [i for i in items if isinstance(i, (list, np.ndarray, _Values, bool, np.bool_, _Sym))]
    # a 0-d integer array is an array index, not an integer: NumPy copies (a[np.array(0)])
    if advanced:
        return _advanced(s, items)
    return _basic(s, items)


def _expand(s: _Sym, items: tuple[Any, ...]) -> list[Any]:
    consumed = sum(1 for i in items if i is not None and i is not Ellipsis)
    if consumed > s.ndim:
        raise _Raises(f"too many indices: {consumed} for {s.ndim} dimensions")
    out: list[Any] = []
    seen = False
    for i in items:
        if i is Ellipsis:
            if seen:
                raise _Raises("an index can only have a single ellipsis")
            seen = True
            out.extend([slice(None)] * (s.ndim - consumed))
        else:
            out.append(i)
    if not seen:
        out.extend([slice(None)] * (s.ndim - consumed))
    return out


def _basic(s: _Sym, items: tuple[Any, ...]) -> _Sym:
    s._need()
    full = _expand(s, items)
    shape, strides, axis, _offset = [], [], 0, 0
    for i in full:
        if i is None:
            shape.append(1)
            strides.append(0)
        elif isinstance(i, slice):
            n, st = s.shape[axis], s.strides[axis]
            start, stop, step = i.indices(n)
            length = len(range(start, stop, step))
            shape.append(length)
            strides.append(st * step)
            axis += 1
        elif _is_int(i):
            n = s.shape[axis]
            if not -n <= i < n:
                raise _Raises(f"index {i} is out of bounds for axis {axis} with size {n}")
            axis += 1
        else:
            raise _Syntax(f"predict() does not read the index {short_repr(i)}")
    written = "[...]"
    return s.then(
        f"basic indexing {written} is a view (new strides {tuple(strides)})", shape=tuple(shape), strides=tuple(strides)
    )


def _advanced(s: _Sym, items: tuple[Any, ...]) -> _Sym:
    """Integer arrays, lists, masks: NumPy gathers the elements into a new array."""
    shape: tuple[int, ...] | None
    try:
        probe = np.empty(s._known_shape(), dtype=np.bool_)  # one byte per element: shapes only
        converted = tuple(_stand_in(i) for i in items)
        shape = probe[converted].shape
        if any(isinstance(i, (_Values, _Sym)) and i.dtype == bool for i in items):
            shape = None  # how many elements a mask keeps depends on the values
    except IndexError as error:
        raise _Raises(str(error)) from None
    except _Unknown:
        shape = None
    why = "advanced indexing (an integer array, a list or a mask) gathers the elements into a new array"
    # the new array's axis order follows the indexed subspace (NumPy's mapiter): not predicted
    return s.copy(why, shape=shape, order=None)


def _stand_in(index: Any) -> Any:
    """An index computed from the values: an array of its shape and dtype (for the result's shape)."""
    if isinstance(index, (_Values, _Sym)):
        if index.shape is None:
            raise _Unknown("an index whose shape depends on the values")
        return np.ones(index.shape, dtype=bool) if index.dtype == bool else np.zeros(index.shape, dtype=np.intp)
    return index


def _field(s: _Sym, name: str) -> _Sym:
    if s.dtype is None or s.dtype.names is None:
        raise _Raises("only a structured array has fields")
    if name not in s.dtype.names:
        raise _Raises(f"no field of name {name}")
    dtype, _ = s.dtype.fields[name][:2]
    shape, strides = s.shape, s.strides
    if dtype.shape:
        shape = (*shape, *dtype.shape)
        strides = (*strides, *fill_strides(dtype.shape, dtype.base.itemsize, "C"))
        dtype = dtype.base
    return s.then(f"the field {name!r} is a view with the record's strides", dtype=dtype, shape=shape, strides=strides)


def _fields(s: _Sym, names: list[str]) -> _Sym:
    if s.dtype is None or s.dtype.names is None:
        raise _Raises("only a structured array has fields")
    dtype = s.dtype[names]
    return s.then("a list of fields is a view with a dtype of those fields (NumPy >= 1.16)", dtype=dtype)


def flat_index(s: _Sym, index: Any) -> _Sym:
    size = s.size
    probe = np.empty(size, dtype=np.bool_)
    try:
        shape = probe[index].shape
    except IndexError as error:
        raise _Raises(str(error)) from None
    return s.copy("indexing a.flat always copies the elements into a new array", shape=shape, order="C")


# -- shape and axis manipulation --------------------------------------------------------------------


def _shape_arg(shape: Any) -> tuple[int, ...]:
    if _is_int(shape):
        return (int(shape),)
    if isinstance(shape, (tuple, list)) and all(_is_int(n) for n in shape):
        return tuple(int(n) for n in shape)
    raise _Syntax(f"a shape is an int or a tuple of ints, got {short_repr(shape)}")


def _fix_unknown(s: _Sym, newshape: tuple[int, ...]) -> tuple[int, ...]:
    size = s.size
    unknown = [i for i, n in enumerate(newshape) if n < 0]
    if len(unknown) > 1:
        raise _Raises("can only specify one unknown dimension")
    known = int(np.prod([n for n in newshape if n >= 0], dtype=np.int64))
    if unknown:
        if known == 0 or size % known:
            raise _Raises(f"cannot reshape array of size {size} into shape {newshape}")
        newshape = tuple(size // known if n < 0 else n for n in newshape)
    elif known != size:
        raise _Raises(f"cannot reshape array of size {size} into shape {newshape}")
    return newshape


def _order(order: Any, allowed: str = "CFA") -> str:
    if order is None:
        return "C"
    if not isinstance(order, str) or order.upper() not in allowed:
        raise _Raises(f"order must be one of {', '.join(allowed)}, got {order!r}")
    return order.upper()


def reshape(s: _Sym, newshape: tuple[int, ...], order: Any = "C", copy: Any = None, what: str = "reshape") -> _Sym:
    s._need()
    if order is not None and isinstance(order, str) and order.upper() == "K":
        raise _Raises("order 'K' is not permitted for reshaping")
    order = _order(order)
    if copy is True:
        new = _fix_unknown(s, newshape)
        return s.copy(f"{what} with copy=True always copies", shape=new, order=order)
    if len(newshape) == s.ndim and tuple(newshape) == s.shape:
        return s.then(f"{what} to the same shape returns a view with the same strides")
    new = _fix_unknown(s, newshape)
    if order == "A":
        order = "F" if s.f() and not s.c() else "C"
    if (order == "C" and not s.c()) or (order == "F" and not s.f()):
        strides = nocopy_reshape(s.shape, s.strides, s.itemsize, new, order == "F")
        if strides is None:
            if copy is False:
                raise _Raises("a copy is needed and copy=False")
            return s.copy(
                f"{what}: the axes it merges are not contiguous in {order} order (strides {s.strides}), so NumPy copies",
                shape=new,
                order=order,
            )
        return s.then(
            f"{what}: the axes it merges are evenly strided in {order} order: a view", shape=new, strides=strides
        )
    return s.then(
        f"{what}: {order}-contiguous, so any shape is a view", shape=new, strides=fill_strides(new, s.itemsize, order)
    )


def ravel(s: _Sym, order: Any = "C") -> _Sym:
    s._need()
    order = _order(order, "CFAK")
    c, f = s.c(), s.f()
    if order == "A":
        order = "F" if f and not c else "C"
    elif order == "K" and (c or f):
        order = "C" if c else "F"
    if (order == "C" and c) or (order == "F" and f):
        return s.then(
            f"ravel: {order}-contiguous, so the {order}-order sequence is the buffer itself",
            shape=(s.size,),
            strides=(s.itemsize,),
        )
    if order == "K":
        perm = sorted_stride_perm(s.strides)
        step = s.itemsize
        ok = True
        for axis in reversed(perm):
            if s.shape[axis] == 1:
                continue
            if s.strides[axis] != step:
                ok = False
                break
            step *= s.shape[axis]
        if ok:
            return s.then(
                f"ravel(order='K'): strides {s.strides} tile one block in some axis order: a view",
                shape=(s.size,),
                strides=(s.itemsize,),
            )
        return s.copy(f"ravel(order='K'): strides {s.strides} do not tile one block: a copy", shape=(s.size,))
    return s.copy(
        f"ravel: not {order}-contiguous (strides {s.strides}), and ravel views only a contiguous buffer",
        shape=(s.size,),
    )


def transpose(s: _Sym, axes: Any = None) -> _Sym:
    s._need()
    if axes is None or axes == ():
        perm = list(reversed(range(s.ndim)))
    else:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]
        if len(axes) != s.ndim:
            raise _Raises("axes don't match array")
        perm = [_normalize_axis(int(x), s.ndim) for x in axes]
        if len(set(perm)) != len(perm):
            raise _Raises("repeated axis in transpose")
    return s.then(
        "a permutation of the axes is a view (the strides permuted)",
        shape=tuple(s.shape[i] for i in perm),
        strides=tuple(s.strides[i] for i in perm),
    )


def swapaxes(s: _Sym, a1: int, a2: int) -> _Sym:
    perm = list(range(s.ndim))
    i, j = _normalize_axis(a1, s.ndim), _normalize_axis(a2, s.ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(s, perm).then("swapaxes is a transpose: a view")


def moveaxis(s: _Sym, source: Any, destination: Any) -> _Sym:
    src = [source] if _is_int(source) else list(source)
    dst = [destination] if _is_int(destination) else list(destination)
    src = [_normalize_axis(x, s.ndim) for x in src]
    dst = [_normalize_axis(x, s.ndim) for x in dst]
    order = [n for n in range(s.ndim) if n not in src]
    for d, sr in sorted(zip(dst, src, strict=True)):
        order.insert(d, sr)
    return transpose(s, order).then("moveaxis is a transpose: a view")


def rollaxis(s: _Sym, axis: int, start: int = 0) -> _Sym:
    n = s.ndim
    axis = _normalize_axis(axis, n)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise _Raises("start out of range")
    if axis < start:
        start -= 1
    if axis == start:
        return s.then("rollaxis to where the axis is returns a view of the whole array")
    axes = list(range(n))
    axes.remove(axis)
    axes.insert(start, axis)
    return transpose(s, axes).then("rollaxis is a transpose: a view")


def squeeze(s: _Sym, axis: Any = None) -> _Sym:
    s._need()
    if axis is None:
        keep = [i for i, n in enumerate(s.shape) if n != 1]
    else:
        axes = {_normalize_axis(x, s.ndim) for x in ([axis] if _is_int(axis) else axis)}
        if any(s.shape[i] != 1 for i in axes):
            raise _Raises("cannot select an axis to squeeze out which has size not equal to one")
        keep = [i for i in range(s.ndim) if i not in axes]
    return s.then(
        "squeeze drops length-1 axes: a view",
        shape=tuple(s.shape[i] for i in keep),
        strides=tuple(s.strides[i] for i in keep),
    )


def expand_dims(s: _Sym, axis: Any) -> _Sym:
    axes = [axis] if _is_int(axis) else list(axis)
    out_ndim = s.ndim + len(axes)
    axes = sorted(_normalize_axis(x, out_ndim) for x in axes)
    it = iter(s.shape)
    shape = tuple(1 if i in axes else next(it) for i in range(out_ndim))
    return reshape(s, shape, what="expand_dims (a reshape)")


def atleast(s: _Sym, n: int) -> _Sym:
    s._need()
    if s.ndim >= n:
        return s.then(f"atleast_{n}d of an array with {s.ndim} dimensions returns it as it is")
    if n == 1:
        return reshape(s, (1,), what="atleast_1d (a reshape)")
    if n == 2:
        new = index_sym(s, (None,)) if s.ndim == 1 else reshape(s, (1, 1), what="atleast_2d")
        return new.then("atleast_2d adds a leading axis: a view")
    if s.ndim == 0:
        return reshape(s, (1, 1, 1), what="atleast_3d")
    if s.ndim == 1:
        return index_sym(s, (None, slice(None), None)).then("atleast_3d: a view with two new axes")
    return index_sym(s, (Ellipsis, None)).then("atleast_3d: a view with a new last axis")


def broadcast_to(s: _Sym, shape: Any, subok: bool = False) -> _Sym:
    s._need()
    shape = _shape_arg(shape)
    if len(shape) < s.ndim:
        raise _Raises("input operand has more dimensions than allowed by the axis remapping")
    lead = len(shape) - s.ndim
    strides = [0] * lead
    for n, (m, st) in zip(shape[lead:], zip(s.shape, s.strides, strict=True), strict=True):
        if m == n:
            strides.append(st if m != 1 else (st if n == 1 else 0))
        elif m == 1:
            strides.append(0)
        else:
            raise _Raises(f"operands could not be broadcast together with remapped shapes {s.shape} and {shape}")
    return s.then(
        "broadcast_to is a read-only view (zero strides on the new axes)",
        shape=shape,
        strides=tuple(strides),
        writeable=False,
    )


def diagonal(s: _Sym, offset: int = 0, axis1: int = 0, axis2: int = 1) -> _Sym:
    s._need()
    if s.ndim < 2:
        raise _Raises("diag requires an array of at least two dimensions")
    i, j = _normalize_axis(axis1, s.ndim), _normalize_axis(axis2, s.ndim)
    if i == j:
        raise _Raises("axis1 and axis2 cannot be the same")
    n1, n2 = s.shape[i], s.shape[j]
    length = max(0, min(n1, n2 - offset)) if offset >= 0 else max(0, min(n1 + offset, n2))
    rest = [k for k in range(s.ndim) if k not in (i, j)]
    shape = (*(s.shape[k] for k in rest), length)
    strides = (*(s.strides[k] for k in rest), s.strides[i] + s.strides[j])
    return s.then(
        "diagonal is a read-only view (one stride: the two axes' strides added)",
        shape=shape,
        strides=strides,
        writeable=False,
    )


def flip(s: _Sym, axis: Any = None) -> _Sym:
    s._need()
    axes = range(s.ndim) if axis is None else [_normalize_axis(x, s.ndim) for x in ([axis] if _is_int(axis) else axis)]
    index = [slice(None)] * s.ndim
    for ax in axes:
        index[ax] = slice(None, None, -1)
    return index_sym(s, tuple(index)).then("flip reverses axes with negative strides: a view")


def rot90(s: _Sym, k: int = 1, axes: Any = (0, 1)) -> _Sym:
    if s.ndim < 2:
        raise _Raises("Axes must be different.")
    k %= 4
    a0, a1 = axes
    if k == 0:
        return index_sym(s, (slice(None),)).then("rot90 by 0 turns is a view of the whole array")
    if k == 2:
        return flip(flip(s, a0), a1)
    perm = list(range(s.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(s, a1), perm).then("rot90: a flip and a transpose, a view")
    return flip(transpose(s, perm), a1).then("rot90: a transpose and a flip, a view")


def split(s: _Sym, sections: Any, axis: int = 0, exact: bool = True) -> list[_Sym]:
    s._need()
    if s.ndim == 0:
        raise _Raises("0-d arrays cannot be split")
    axis = _normalize_axis(axis, s.ndim)
    n = s.shape[axis]
    if _is_int(sections):
        if sections <= 0:
            raise _Raises("number sections must be larger than 0.")
        if exact and n % sections:
            raise _Raises("array split does not result in an equal division")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = [0, *itertools.accumulate(sizes)]
    else:
        bounds = [0, *sections, n]
    out = []
    for lo, hi in itertools.pairwise(bounds):
        index = [slice(None)] * s.ndim
        index[axis] = slice(lo, hi)
        out.append(index_sym(s, tuple(index)).then("each piece of a split is a basic slice: a view"))
    return out


def sliding_window_view(
    s: _Sym, window_shape: Any, axis: Any = None, *, subok: bool = False, writeable: bool = False
) -> _Sym:
    s._need()
    window = tuple(window_shape) if isinstance(window_shape, (tuple, list)) else (window_shape,)
    axes = tuple(range(s.ndim)) if axis is None else ((axis,) if _is_int(axis) else tuple(axis))
    if len(window) != len(axes):
        raise _Raises("Since axis is `None`, must provide window_shape for all dimensions of `x`")
    shape = list(s.shape)
    extra_strides = []
    for ax, w in zip(axes, window, strict=True):
        ax = _normalize_axis(ax, s.ndim)
        if shape[ax] < w:
            raise _Raises("window shape cannot be larger than input array shape")
        shape[ax] -= w - 1
        extra_strides.append(s.strides[ax])
    return s.then(
        "sliding_window_view is an as_strided view" + ("" if writeable else ", read-only"),
        shape=(*shape, *window),
        strides=(*s.strides, *extra_strides),
        writeable=bool(s.writeable and writeable),
    )


def as_strided(s: _Sym, shape: Any = None, strides: Any = None, subok: bool = False, writeable: bool = True) -> _Sym:
    s._need()
    shape = s.shape if shape is None else tuple(shape)
    strides = s.strides if strides is None else tuple(strides)
    return s.then(
        "as_strided is a view with the strides given",
        shape=shape,
        strides=strides,
        writeable=bool(s.writeable and writeable),
    )


def dtype_view(s: _Sym, dtype: Any = None, type: Any = None) -> _Sym:
    s._need()
    if dtype is None or (isinstance(dtype, builtin_type) and issubclass(dtype, np.ndarray)):
        return s.then("view() with no new dtype is a view")
    new = np.dtype(dtype)
    if (new.hasobject or s.dtype.hasobject) and new != s.dtype:
        raise _Raises("Cannot change data-type for array of references.")
    old = s.itemsize
    if new.itemsize == old:
        return s.then(f"view({new}) with the same item size reinterprets the bytes: a view", dtype=new)
    if s.ndim == 0:
        raise _Raises("Changing the dtype of a 0d array is only supported if the itemsize is unchanged")
    last_n, last_s = s.shape[-1], s.strides[-1]
    if not (last_n == 1 or last_s == old or s.size == 0):
        raise _Raises("To change to a dtype of a different size, the last axis must be contiguous")
    if new.itemsize < old:
        if new.itemsize == 0 or old % new.itemsize:
            raise _Raises("When changing to a smaller dtype, its size must be a divisor of the size of original dtype")
        n_new = last_n * (old // new.itemsize)
    else:
        if (last_n * old) % new.itemsize:
            raise _Raises(
                "When changing to a larger dtype, its size must be a divisor of the total size in bytes "
                "of the last axis of the array."
            )
        n_new = last_n * old // new.itemsize
    return s.then(
        f"view({new}) with another item size: a view, the last axis rescaled",
        dtype=new,
        shape=(*s.shape[:-1], n_new),
        strides=(*s.strides[:-1], new.itemsize),
    )


builtin_type = type


def real_part(s: _Sym) -> _Sym:
    s._need()
    if s.dtype.hasobject and _VERSION >= (2, 5):
        return _object_part(s, "real")
    if s.dtype.kind == "c":
        return s.then("real of a complex array is a view of the real halves", dtype=_half(s.dtype))
    return s.then("real of a non-complex array is the array itself")


def _half(dtype: np.dtype) -> np.dtype:
    return np.dtype(f"{dtype.byteorder if dtype.byteorder in '<>' else '='}f{dtype.itemsize // 2}")


def _object_part(s: _Sym, name: str) -> _Sym:
    """NumPy >= 2.5 takes each object's .real/.imag: a new object array, and a 0-d array gives the object itself."""
    if s.ndim == 0:
        raise _Raises(f"{name} of a 0-d object array is the element's {name} (a Python object), not an array")
    return s.copy(
        f"{name} of an object array asks each element (NumPy >= 2.5): a new array", order=None, writeable=None
    )


def imag_part(s: _Sym) -> _Sym:
    s._need()
    if s.dtype.hasobject and _VERSION >= (2, 5):
        return _object_part(s, "imag")
    if s.dtype.kind == "c":
        return s.then("imag of a complex array is a view of the imaginary halves", dtype=_half(s.dtype))
    return s.copy("imag of a non-complex array is a new read-only array of zeros", order="A", writeable=False)


def _as_dtype(dtype: Any) -> np.dtype | None:
    return None if dtype is None else np.dtype(dtype)


def from_array(
    s: _Sym,
    dtype: Any = None,
    copy: Any = "if_needed",
    order: Any = "K",
    ndmin: int = 0,
    what: str = "np.array",
) -> _Sym:
    """np.array / np.asarray / np.ascontiguousarray: NumPy's PyArray_FromArray."""
    s._need()
    new_dtype = _as_dtype(dtype)
    order = "K" if order is None else order.upper()
    if copy is False and NUMPY_2:
        copy = "never"
    if copy is False:  # NumPy 1.x: copy=False means "only if needed"
        copy = "if_needed"
    same_dtype = new_dtype is None or new_dtype == s.dtype
    c, f = s.c(), s.f()
    needs = []
    if not same_dtype:
        needs.append(f"the dtype changes ({s.dtype} to {new_dtype})")
    if order == "C" and not c:
        needs.append("order='C' and the array is not C-contiguous")
    if order == "F" and not f:
        needs.append("order='F' and the array is not F-contiguous")
    if copy is True or needs:
        if copy == "never":
            raise _Raises("Unable to avoid copy while creating an array as requested")
        if copy is True and not needs:
            why = f"{what} with copy=True always copies"
        else:
            why = f"{what} copies: " + "; ".join(needs)
        layout_order = order if order in "CF" else ("K" if order == "K" else ("F" if f and not c else "C"))
        out = s.copy(why, order=layout_order, dtype=new_dtype or s.dtype)
    else:
        out = s.then(f"{what} returns the array itself (nothing needs converting)", owns=s.owns)
    if ndmin > out.ndim:
        out = reshape(out, (1,) * (ndmin - out.ndim) + out.shape, what=f"{what}'s ndmin (a reshape)")
    return out


def astype(
    s: _Sym, dtype: Any, order: Any = "K", casting: str = "unsafe", subok: bool = True, copy: Any = True
) -> _Sym:
    s._need()
    new = np.dtype(dtype)
    order = "K" if order is None else order.upper()
    if copy is False or copy is None:
        c, f = s.c(), s.f()
        fits = order == "K" or (order == "A" and (c or f)) or (order == "C" and c) or (order == "F" and f)
        if new == s.dtype and fits:
            return s.then("astype(copy=False) returns the array itself: dtype and order already fit")
    layout_order = order if order in "CF" else ("K" if order == "K" else ("F" if s.f() and not s.c() else "C"))
    return s.copy(f"astype to {new} allocates a new array", order=layout_order, dtype=new)


def require(s: _Sym, dtype: Any = None, requirements: Any = None) -> _Sym:
    s._need()
    if not requirements:
        return from_array(s, dtype=dtype, what="np.require")
    reqs = {r.upper()[0] if len(r) > 1 and r.upper() not in ("C", "F") else r.upper() for r in requirements}
    names = {
        "CONTIGUOUS": "C",
        "C_CONTIGUOUS": "C",
        "FORTRAN": "F",
        "F_CONTIGUOUS": "F",
        "ALIGNED": "A",
        "WRITEABLE": "W",
        "OWNDATA": "O",
        "ENSUREARRAY": "E",
    }
    reqs = {names.get(r.upper(), r.upper()) for r in requirements}
    order = "A"
    if "C" in reqs:
        order = "C"
        reqs.discard("C")
    elif "F" in reqs:
        order = "F"
        reqs.discard("F")
    reqs.discard("E")
    arr = from_array(s, dtype=dtype, copy=None if NUMPY_2 else False, order=order, what="np.require")
    for prop in reqs:
        if (prop == "W" and not arr.writeable) or (prop == "O" and not arr.owns):
            return arr.copy(
                f"np.require: the array lacks {prop}, so it copies",
                order=order if order != "A" else ("F" if arr.f() and not arr.c() else "C"),
            )
    return arr


def copy_of(s: _Sym, order: Any = "K", what: str = "copy") -> _Sym:
    s._need()
    order = "K" if order is None else order.upper()
    if order == "A":
        order = "F" if s.f() and not s.c() else "C"
    return s.copy(f"{what} always allocates a new array", order=order)


# -- what each name does ----------------------------------------------------------------------------


def _first(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A function of the array first (np.f(a, ...)) from a step of the symbolic array."""

    def handler(w: _Walker, s: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(s, _Sym):
            raise _Syntax("predict() reads functions whose first argument is the array `a`")
        return fn(s, *args, **kwargs)

    return handler


def _always_new(name: str, shape_rule: str = "same", order: str | None = None) -> Callable[..., Any]:
    def handler(w: _Walker, s: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(s, (list, tuple)):
            syms = [x for x in s if isinstance(x, _Sym)]
            s = syms[0]
        if not isinstance(s, _Sym):
            syms = [x for x in args if isinstance(x, _Sym)]
            if not syms:
                raise _Syntax(f"predict() reads {name} of the array `a`")
            s = syms[0]
        if name in _NO_COMPLEX and s.dtype is not None and s.dtype.kind == "c":
            raise _Raises(f"np.{name} is not defined for complex arrays")
        shape = _new_shape(s, shape_rule, args, kwargs)
        return s.copy(
            f"np.{name} always writes a new array",
            shape=shape,
            order=order if shape is not None else None,
            dtype=s.dtype if order is not None else None,
        )

    return handler


_NO_COMPLEX = {"fix", "i0", "isneginf", "isposinf", "unwrap"}


def _new_shape(s: _Sym, rule: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, ...] | None:
    if s.shape is None:
        return None
    if rule == "same":
        return s.shape
    if rule == "flat":
        return (s.size,)
    if rule == "reduce":
        axis = kwargs.get("axis", args[0] if args else None)
        if axis is None:
            return ()
        axes = {_normalize_axis(x, s.ndim) for x in ([axis] if _is_int(axis) else axis)}
        if kwargs.get("keepdims"):
            return tuple(1 if i in axes else n for i, n in enumerate(s.shape))
        return tuple(n for i, n in enumerate(s.shape) if i not in axes)
    return None


def _method(fn: Callable[..., Any]) -> Callable[..., Any]:
    def handler(w: _Walker, s: _Sym, *args: Any, **kwargs: Any) -> Any:
        return fn(s, *args, **kwargs)

    return handler


def _reduction_method(name: str) -> Callable[..., Any]:
    """The method ``name`` of a reduction (sum, max, any...): a new array, of the shape axis= and keepdims= leave."""

    def handler(w: _Walker, s: _Sym, *args: Any, **kwargs: Any) -> _Sym:
        return s.copy(f"{name} writes a new array", shape=_new_shape(s, "reduce", args, kwargs), order=None, dtype=None)

    return handler


def _reshape_method(s: _Sym, *shape: Any, order: Any = "C", copy: Any = None) -> _Sym:
    if len(shape) == 1:
        shape = shape[0]
    if copy is not None and _VERSION < (2, 1):
        raise _Raises("reshape() got an unexpected keyword argument 'copy' before NumPy 2.1")
    return reshape(s, _shape_arg(shape), order=order, copy=copy)


def _reshape_function(s: _Sym, shape: Any = None, order: Any = "C", *, newshape: Any = None, copy: Any = None) -> _Sym:
    if copy is not None and _VERSION < (2, 1):
        raise _Raises("np.reshape() got an unexpected keyword argument 'copy' before NumPy 2.1")
    return reshape(s, _shape_arg(shape if shape is not None else newshape), order=order, copy=copy, what="np.reshape")


def _transpose_method(s: _Sym, *axes: Any) -> _Sym:
    return transpose(s, axes if axes else None)


def _squeeze_method(s: _Sym, axis: Any = None) -> _Sym:
    return squeeze(s, axis)


def _flatten(s: _Sym, order: Any = "C") -> _Sym:
    s._need()
    order = _order(order, "CFAK")
    return s.copy("flatten always allocates a new array", shape=(s.size,), order="C")


def _byteswap(s: _Sym, inplace: bool = False) -> _Sym:
    if inplace:
        if not s.writeable:
            raise _Raises("array to be byte-swapped is read-only")
        return s.then("byteswap(inplace=True) swaps in place and returns the array itself")
    return copy_of(s, "A", what="byteswap")


def _split(exact: bool, axis: int | None = None) -> Callable[..., Any]:
    def handler(w: _Walker, s: _Sym, sections: Any, axis_arg: int = 0, **kwargs: Any) -> Any:
        ax = kwargs.get("axis", axis_arg) if axis is None else axis
        if axis is not None and s.ndim <= axis:
            raise _Raises(f"this split needs an array of at least {axis + 1} dimensions")
        if axis == 1 and s.ndim == 1:
            ax = 0
        return split(s, sections, ax, exact)

    return handler


def _hsplit(w: _Walker, s: _Sym, sections: Any) -> Any:
    if s.ndim == 0:
        raise _Raises("hsplit only works on arrays of 1 or more dimensions")
    return split(s, sections, 1 if s.ndim > 1 else 0, True)


def _vsplit(w: _Walker, s: _Sym, sections: Any) -> Any:
    if s.ndim < 2:
        raise _Raises("vsplit only works on arrays of 2 or more dimensions")
    return split(s, sections, 0, True)


def _dsplit(w: _Walker, s: _Sym, sections: Any) -> Any:
    if s.ndim < 3:
        raise _Raises("dsplit only works on arrays of 3 or more dimensions")
    return split(s, sections, 2, True)


def _unstack(w: _Walker, s: _Sym, axis: int = 0) -> Any:
    s._need()
    if s.ndim == 0:
        raise _Raises("Input array must be at least 1-d.")
    axis = _normalize_axis(axis, s.ndim)
    out = []
    for i in range(s.shape[axis]):
        index = [slice(None)] * s.ndim
        index[axis] = i
        out.append(index_sym(s, tuple(index)).then("each array of unstack is an integer index: a view"))
    return tuple(out)


def _broadcast_arrays(w: _Walker, *arrays: Any, subok: bool = False) -> Any:
    syms = [x for x in arrays if isinstance(x, _Sym)]
    shape = np.broadcast_shapes(*(x._known_shape() for x in syms))
    out = []
    for x in syms:
        if x.shape == shape:
            out.append(x.then("broadcast_arrays returns an array already of the shape as it is"))
        else:
            b = broadcast_to(x, shape)
            out.append(b.then("broadcast_arrays: a broadcast view", writeable=x.writeable))
    return out


def _einsum(w: _Walker, subscripts: str, *operands: Any, **kwargs: Any) -> Any:
    if len(operands) != 1 or not isinstance(operands[0], _Sym) or kwargs:
        raise _Syntax("predict() reads einsum of the one array `a` only")
    s = operands[0]
    s._need()
    spec = subscripts.replace(" ", "")
    if "->" not in spec:
        raise _Syntax("predict() reads einsum with an explicit output ('ij->ji')")
    ins, out = spec.split("->")
    if "..." in ins:
        n_ell = s.ndim - len(ins.replace("...", ""))
        ins = ins.replace("...", "".join(chr(0x100 + i) for i in range(n_ell)))
        out = out.replace("...", "".join(chr(0x100 + i) for i in range(n_ell)))
    if len(ins) != s.ndim:
        raise _Raises("einsum subscripts do not match the number of dimensions")
    if set(out) != set(ins) or len(out) != len(set(ins)):
        return s.copy("einsum that sums over an axis writes a new array", shape=None, order=None)
    strides: dict[str, int] = {}
    shape: dict[str, int] = {}
    for label, n, st in zip(ins, s.shape, s.strides, strict=True):
        strides[label] = strides.get(label, 0) + st
        shape[label] = n if label not in shape else min(shape[label], n)
    return s.then(
        "einsum that only relabels axes is a view",
        shape=tuple(shape[x] for x in out),
        strides=tuple(strides[x] for x in out),
    )


def _ascontiguous(order: str) -> Callable[..., Any]:
    def handler(w: _Walker, s: _Sym, dtype: Any = None, **kwargs: Any) -> Any:
        name = "np.ascontiguousarray" if order == "C" else "np.asfortranarray"
        return from_array(s, dtype=dtype, order=order, ndmin=1, what=name)

    return handler


def _array(default_copy: Any, what: str, default_order: str = "K") -> Callable[..., Any]:
    def handler(
        w: _Walker,
        s: _Sym,
        dtype: Any = None,
        *,
        copy: Any = default_copy,
        order: Any = default_order,
        subok: bool = False,
        ndmin: int = 0,
        **kwargs: Any,
    ) -> Any:
        if copy is None and not NUMPY_2 and what == "np.array":
            copy = "if_needed"  # 1.x reads None as False: only if needed
        if copy is None:
            copy = "if_needed"
        return from_array(s, dtype=dtype, copy=copy, order=order, ndmin=ndmin, what=what)

    return handler


def _asarray(w: _Walker, s: _Sym, dtype: Any = None, order: Any = None, *, copy: Any = None, **kwargs: Any) -> Any:
    if not NUMPY_2 and "copy" in kwargs:
        raise _Raises("np.asarray has no copy= before NumPy 2.0")
    return from_array(s, dtype=dtype, copy="if_needed" if copy is None else copy, order=order or "K", what="np.asarray")


def _np_copy(w: _Walker, s: _Sym, order: Any = "K", subok: bool = False) -> Any:
    return copy_of(s, order, what="np.copy")


def _np_diag(w: _Walker, s: _Sym, k: int = 0) -> Any:
    s._need()
    if s.ndim == 1:
        n = s.shape[0] + abs(k)
        return s.copy("np.diag of a 1-D array builds a new 2-D array", shape=(n, n), order="C")
    if s.ndim == 2:
        return diagonal(s, k).then("np.diag of a 2-D array is its diagonal")
    raise _Raises("Input must be 1- or 2-d.")


def _np_imag(w: _Walker, s: _Sym) -> Any:
    return imag_part(s)


def _np_real(w: _Walker, s: _Sym) -> Any:
    return real_part(s)


def _np_matrix_transpose(w: _Walker, s: _Sym) -> Any:
    return _mT(w, s)


def _mT(w: _Walker, s: _Sym) -> _Sym:
    if s.ndim < 2:
        raise _Raises("matrix transpose with ndim < 2 is undefined")
    return swapaxes(s, -1, -2).then("mT swaps the last two axes: a view")


def _take(w: _Walker, s: _Sym, indices: Any, axis: Any = None, **kwargs: Any) -> Any:
    s._need()
    idx = np.asarray(indices)
    if axis is None:
        shape = idx.shape
    else:
        ax = _normalize_axis(axis, s.ndim)
        shape = (*s.shape[:ax], *idx.shape, *s.shape[ax + 1 :])
    return s.copy("take gathers the elements into a new array", shape=shape, order="C")


_ATTRIBUTES: dict[str, Callable[[_Walker, _Sym], Any]] = {
    "T": lambda w, s: transpose(s).then("T reverses the axes: a view"),
    "mT": _mT,
    "real": lambda w, s: real_part(s),
    "imag": lambda w, s: imag_part(s),
    "flat": lambda w, s: _Flat(s),
}

_METHODS: dict[str, Callable[..., Any]] = {
    "reshape": _method(_reshape_method),
    "ravel": _method(ravel),
    "flatten": _method(_flatten),
    "transpose": _method(_transpose_method),
    "swapaxes": _method(swapaxes),
    "squeeze": _method(_squeeze_method),
    "diagonal": _method(diagonal),
    "view": _method(dtype_view),
    "astype": _method(astype),
    "copy": _method(lambda s, order="C": copy_of(s, order, what="copy()")),
    "__copy__": _method(lambda s: copy_of(s, "K", what="__copy__()")),
    "__deepcopy__": _method(lambda s, memo=None: copy_of(s, "K", what="__deepcopy__()")),
    "__array__": _method(lambda s, *args, **kw: s.then("__array__() returns the array itself")),
    "byteswap": _method(_byteswap),
    "newbyteorder": _method(
        lambda s, order="S": s.then(
            "newbyteorder() is a view with the byte order swapped", dtype=s.dtype.newbyteorder(order)
        )
    ),
    "take": lambda w, s, *a, **k: _take(w, s, *a, **k),
    "repeat": lambda w, s, *a, **k: s.copy("repeat writes a new array", shape=None, order=None),
    "compress": lambda w, s, *a, **k: s.copy("compress writes a new array", shape=None, order=None),
    "conj": lambda w, s: _conj(s, "conj"),
    "conjugate": lambda w, s: _conj(s, "conjugate"),
    "round": lambda w, s, decimals=0, **k: _round(s, decimals),
    "clip": lambda w, s, *a, **k: s.copy("clip writes a new array", order=None, dtype=None),
    "cumsum": lambda w, s, *a, **k: s.copy("cumsum writes a new array", shape=None, order=None, dtype=None),
    "cumprod": lambda w, s, *a, **k: s.copy("cumprod writes a new array", shape=None, order=None, dtype=None),
    "sum": _reduction_method("sum"),
    "prod": _reduction_method("prod"),
    "mean": _reduction_method("mean"),
    "std": _reduction_method("std"),
    "var": _reduction_method("var"),
    "max": _reduction_method("max"),
    "min": _reduction_method("min"),
    "argmax": _reduction_method("argmax"),
    "argmin": _reduction_method("argmin"),
    "argsort": lambda w, s, *a, **k: s.copy("argsort writes a new array", order=None, dtype=None),
    "nonzero": lambda w, s, *a, **k: tuple(
        s.copy("nonzero writes new index arrays", shape=None, order=None, dtype=None) for _ in range(max(s.ndim, 1))
    ),
    "any": _reduction_method("any"),
    "all": _reduction_method("all"),
    "trace": lambda w, s, *a, **k: s.copy("trace writes a new array", shape=None, order=None, dtype=None),
    "dot": lambda w, s, *a, **k: s.copy("dot writes a new array", shape=None, order=None, dtype=None),
    "searchsorted": lambda w, s, *a, **k: s.copy("searchsorted writes a new array", shape=None, order=None, dtype=None),
    "choose": lambda w, s, *a, **k: s.copy("choose writes a new array", shape=None, order=None, dtype=None),
    "ptp": _reduction_method("ptp"),
}

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "reshape": _first(_reshape_function),
    "ravel": _first(ravel),
    "transpose": _first(transpose),
    "permute_dims": _first(transpose),
    "swapaxes": _first(swapaxes),
    "moveaxis": _first(moveaxis),
    "rollaxis": _first(rollaxis),
    "squeeze": _first(squeeze),
    "expand_dims": _first(expand_dims),
    "atleast_1d": _first(lambda s: atleast(s, 1)),
    "atleast_2d": _first(lambda s: atleast(s, 2)),
    "atleast_3d": _first(lambda s: atleast(s, 3)),
    "broadcast_to": _first(broadcast_to),
    "broadcast_arrays": _broadcast_arrays,
    "diagonal": _first(diagonal),
    "diag": _np_diag,
    "flip": _first(flip),
    "flipud": _first(lambda s: flip(s, 0) if s.ndim >= 1 else _raise("Input must be >= 1-d.")),
    "fliplr": _first(lambda s: flip(s, 1) if s.ndim >= 2 else _raise("Input must be >= 2-d.")),
    "rot90": _first(rot90),
    "split": lambda w, s, sections, axis=0: split(s, sections, axis, True),
    "array_split": lambda w, s, sections, axis=0: split(s, sections, axis, False),
    "hsplit": _hsplit,
    "vsplit": _vsplit,
    "dsplit": _dsplit,
    "unstack": _unstack,
    "sliding_window_view": _first(sliding_window_view),
    "as_strided": _first(as_strided),
    "real": _np_real,
    "imag": _np_imag,
    "asarray": _asarray,
    "asanyarray": lambda w, s, dtype=None, order=None, **k: from_array(
        s, dtype=dtype, order=order or "K", what="np.asanyarray"
    ),
    "ascontiguousarray": _ascontiguous("C"),
    "asfortranarray": _ascontiguous("F"),
    "require": lambda w, s, dtype=None, requirements=None: require(s, dtype, requirements),
    "array": _array(True, "np.array"),
    "copy": _np_copy,
    "astype": lambda w, s, dtype, /, *, copy=True: _np_astype(s, dtype, copy),
    "matrix_transpose": _np_matrix_transpose,
    "einsum": _einsum,
    "take": _take,
    # always a new array
    "asarray_chkfinite": lambda w, s, dtype=None, order=None: from_array(
        s, dtype=dtype, order=order or "K", what="np.asarray_chkfinite"
    ),
    "asfarray": lambda w, s, dtype=np.float64: from_array(
        s, dtype=dtype if np.issubdtype(dtype, np.inexact) else np.float64, what="np.asfarray"
    ),
    "real_if_close": lambda w, s, tol=100: _real_if_close(s),
    "trim_zeros": lambda w, s, trim="fb", **k: s.then("trim_zeros returns a slice of the array: a view", shape=None),
    "concat": _always_new("concat", "none"),
    "diagflat": _always_new("diagflat", "none"),
    "histogram_bin_edges": _always_new("histogram_bin_edges", "none"),
    "isneginf": _always_new("isneginf", "same"),
    "isposinf": _always_new("isposinf", "same"),
    "nancumprod": _always_new("nancumprod", "none"),
    "trapezoid": _always_new("trapezoid", "none"),
    "sort": lambda w, s, axis=-1, **k: _sort(s, axis, "sort"),
    "argsort": lambda w, s, axis=-1, **k: _sort(s, axis, "argsort"),
    "tile": lambda w, s, reps: _tile(s, reps),
    "cumsum": _always_new("cumsum", "none"),
    "cumprod": _always_new("cumprod", "none"),
    "diff": _always_new("diff", "none"),
    "concatenate": _always_new("concatenate", "none"),
    "stack": _always_new("stack", "none"),
    "vstack": _always_new("vstack", "none"),
    "hstack": _always_new("hstack", "none"),
    "dstack": _always_new("dstack", "none"),
    "column_stack": _always_new("column_stack", "none"),
    "block": _always_new("block", "none"),
    "append": _always_new("append", "none"),
    "insert": _always_new("insert", "none"),
    "delete": _always_new("delete", "none"),
    "unique": _always_new("unique", "none"),
    "repeat": _always_new("repeat", "none"),
    "resize": _always_new("resize", "none"),
    "pad": _always_new("pad", "none"),
    "roll": _always_new("roll", "same"),
    "where": _always_new("where", "none"),
    "clip": _always_new("clip", "same"),
    "round": lambda w, s, decimals=0, **k: _round(s, decimals),
    "around": lambda w, s, decimals=0, **k: _round(s, decimals),
    "sum": _always_new("sum", "reduce"),
    "prod": _always_new("prod", "reduce"),
    "mean": _always_new("mean", "reduce"),
    "std": _always_new("std", "reduce"),
    "var": _always_new("var", "reduce"),
    "median": _always_new("median", "reduce"),
    "percentile": _always_new("percentile", "none"),
    "quantile": _always_new("quantile", "none"),
    "average": _always_new("average", "reduce"),
    "nansum": _always_new("nansum", "reduce"),
    "nanmean": _always_new("nanmean", "reduce"),
    "max": _always_new("max", "reduce"),
    "min": _always_new("min", "reduce"),
    "amax": _always_new("amax", "reduce"),
    "amin": _always_new("amin", "reduce"),
    "argmax": _always_new("argmax", "reduce"),
    "argmin": _always_new("argmin", "reduce"),
    "any": _always_new("any", "reduce"),
    "all": _always_new("all", "reduce"),
    "ptp": _always_new("ptp", "reduce"),
    "count_nonzero": _always_new("count_nonzero", "reduce"),
    "nan_to_num": _always_new("nan_to_num", "same"),
    "zeros_like": _always_new("zeros_like", "same"),
    "ones_like": _always_new("ones_like", "same"),
    "empty_like": _always_new("empty_like", "same"),
    "full_like": _always_new("full_like", "same"),
    "partition": _always_new("partition", "same"),
    "argpartition": _always_new("argpartition", "same"),
    "cross": _always_new("cross", "none"),
    "outer": _always_new("outer", "none"),
    "kron": _always_new("kron", "none"),
    "gradient": _always_new("gradient", "none"),
    "extract": _always_new("extract", "none"),
    "compress": _always_new("compress", "none"),
    "select": _always_new("select", "none"),
    "piecewise": _always_new("piecewise", "none"),
    "isclose": _always_new("isclose", "same"),
    "sign": _always_new("sign", "same"),
    "fix": _always_new("fix", "same"),
    "isreal": _always_new("isreal", "same"),
    "iscomplex": _always_new("iscomplex", "same"),
    "convolve": _always_new("convolve", "none"),
    "correlate": _always_new("correlate", "none"),
    "sort_complex": _always_new("sort_complex", "none"),
    "flatnonzero": _always_new("flatnonzero", "none"),
    "argwhere": _always_new("argwhere", "none"),
    "nonzero": _always_new("nonzero", "none"),
    "cumulative_sum": _always_new("cumulative_sum", "none"),
    "cumulative_prod": _always_new("cumulative_prod", "none"),
    "interp": _always_new("interp", "none"),
    "histogram": _always_new("histogram", "none"),
    "bincount": _always_new("bincount", "none"),
    "nanmedian": _always_new("nanmedian", "reduce"),
    "nanstd": _always_new("nanstd", "reduce"),
    "nanvar": _always_new("nanvar", "reduce"),
    "nanmax": _always_new("nanmax", "reduce"),
    "nanmin": _always_new("nanmin", "reduce"),
    "nancumsum": _always_new("nancumsum", "none"),
    "nanprod": _always_new("nanprod", "reduce"),
    "trace": _always_new("trace", "none"),
    "tril": _always_new("tril", "same"),
    "triu": _always_new("triu", "same"),
    "dot": _always_new("dot", "none"),
    "vdot": _always_new("vdot", "none"),
    "inner": _always_new("inner", "none"),
    "tensordot": _always_new("tensordot", "none"),
    "matmul": _always_new("matmul", "none"),
    "put_along_axis": _always_new("put_along_axis", "none"),
    "take_along_axis": _always_new("take_along_axis", "none"),
    "meshgrid": _always_new("meshgrid", "none"),
    "ediff1d": _always_new("ediff1d", "none"),
    "unwrap": _always_new("unwrap", "same"),
    "angle": _always_new("angle", "same"),
    "sinc": _always_new("sinc", "same"),
    "i0": _always_new("i0", "same"),
    "lexsort": _always_new("lexsort", "none"),
    "searchsorted": _always_new("searchsorted", "none"),
    "digitize": _always_new("digitize", "none"),
    "packbits": _always_new("packbits", "none"),
    "unpackbits": _always_new("unpackbits", "none"),
    "isin": _always_new("isin", "same"),
    "in1d": _always_new("in1d", "none"),
    "union1d": _always_new("union1d", "none"),
    "intersect1d": _always_new("intersect1d", "none"),
    "setdiff1d": _always_new("setdiff1d", "none"),
    "setxor1d": _always_new("setxor1d", "none"),
    "fft": _always_new("fft", "none"),
    "ifft": _always_new("ifft", "none"),
    "inv": _always_new("inv", "none"),
    "norm": _always_new("norm", "none"),
    "unique_values": _always_new("unique_values", "none"),
}


def _real_if_close(s: _Sym) -> _Sym:
    """np.real_if_close: the array itself, or its real part when the imaginary parts are small: a view either way."""
    if s.dtype is not None and s.dtype.kind != "c":
        return s.then("real_if_close of a non-complex array returns the array itself", owns=s.owns)
    # which of the two depends on the values: the strides are the same, the dtype is not known
    return s.then("real_if_close of a complex array returns it or its real part: a view either way", dtype=None)


def _round(s: _Sym, decimals: int) -> _Sym:
    if _VERSION < (2, 4) and s.dtype is not None and s.dtype.kind in "iu" and decimals >= 0:
        return s.then("NumPy < 2.4 rounds an integer array to itself: the array is returned", owns=s.owns)
    return s.copy("round writes a new array", order=None, dtype=None)


def _conj(s: _Sym, name: str) -> _Sym:
    if s.dtype is not None and s.dtype.kind == "c":
        return s.copy(f"{name}() of a complex array writes a new array", order=None)
    return s.then(f"{name}() of a non-complex array returns the array itself", owns=s.owns)


def _sort(s: _Sym, axis: Any, name: str) -> _Sym:
    if axis is None:
        shape = (max(s.size, 1),) if s.ndim == 0 else (s.size,)
    else:
        if s.ndim == 0:
            raise _Raises("Cannot sort a 0-d array")
        _normalize_axis(axis, s.ndim)
        shape = s.shape
    order = "C" if axis is None else None  # along an axis, the copy keeps the input's axis order
    dtype = s.dtype if name == "sort" else np.dtype(np.intp)
    return s.copy(f"np.{name} always writes a new array", shape=shape, order=order, dtype=dtype)


def _tile(s: _Sym, reps: Any) -> _Sym:
    """np.tile: a copy, except of an empty array, which it only reshapes (a view)."""
    tup = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
    d = len(tup)
    if all(x == 1 for x in tup):
        return from_array(s, copy=True, ndmin=d, what="np.tile with every repetition 1")
    c = from_array(s, ndmin=d, what="np.tile")
    if d < c.ndim:
        tup = (1,) * (c.ndim - d) + tup
    shape_out = tuple(n * r for n, r in zip(c.shape, tup, strict=True))
    if c.size == 0:
        return reshape(c, shape_out, what="np.tile of an empty array only reshapes it")
    return s.copy("np.tile repeats the elements into a new array", shape=shape_out, order="C")


def _np_astype(s: _Sym, dtype: Any, copy: Any) -> _Sym:
    return astype(s, dtype, copy=copy)


def _raise(message: str) -> Any:
    raise _Raises(message)


# -- the public function ------------------------------------------------------------------------------

LEGACY_OPS = ("ravel", "flatten", "reshape(-1)")


@functools.lru_cache(maxsize=4096)
def _parse(expression: str) -> ast.AST:
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ValueError(f"predict() could not parse {expression!r} as a Python expression: {error.msg}") from None
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(_BUILTINS)
    if "a" not in names:
        raise ValueError(
            f'predict() takes an expression in `a` and `np`, such as "a.T.reshape(-1)"; got {expression!r}'
        )
    if names - {"a", "np"}:
        raise ValueError(
            f"predict() reads expressions in `a` and `np` only; {expression!r} also names {', '.join(sorted(names - {'a', 'np'}))}"
        )
    return tree.body


def predict_expression(a: np.ndarray, expression: str) -> Prediction:
    """The new form of :func:`viewcopy.predict`; ``a`` is already checked."""
    if not isinstance(expression, str):
        raise TypeError(f'predict() takes the expression as a string, such as "a.T", got {short_repr(expression)}')
    node = _parse(expression)
    walker = _Walker(a)
    try:
        result = walker.ev(node)
    except _Raises as error:
        raise ValueError(f"NumPy would raise on {expression!r} for this array: {error}") from None
    except _Syntax as error:
        raise ValueError(f"predict() cannot read {expression!r}: {error}") from None
    except _Unknown as error:
        raise ValueError(f"predict() cannot answer {expression!r} from the layout: {error}") from None
    except (KeyError, IndexError) as error:  # an index or a field the layout does not have
        raise ValueError(
            f"predict() cannot answer {expression!r} for this array: {type(error).__name__} ({error})"
        ) from None
    if isinstance(result, (list, tuple)) and result and isinstance(result[0], _Sym):
        raise ValueError(f'{expression!r} gives a sequence of arrays: index it, as in "np.split(a, 2)[0]"')
    what = result if isinstance(result, _Sym) else None
    if what is None:  # a shape, a dtype, a number: the expression is fine, its answer is not an array
        raise ValueError(f"{expression!r} does not give an array (it gives {short_repr(result)})")
    kind: Literal["view", "copy"] = "view" if result.view else "copy"
    reason = "; then ".join(result.why) if result.why else "the expression is the array itself"
    return Prediction(kind, reason, result.shape, result.strides, result.dtype, result.writeable)
