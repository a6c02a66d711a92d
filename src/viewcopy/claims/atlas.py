"""The atlas: every array-returning NumPy operation, measured on the layouts family.

The operation list is made here, not remembered: :func:`inventory` walks
NumPy's public namespace and ``ndarray``'s methods and attributes, calls each
public callable on one small array, and sorts each name into "in the atlas"
or "left out, and why".  :data:`ENTRIES` are the expressions measured, one
per operation and per argument that changes the answer (``order=``,
``axis=``, ``copy=``, ``dtype=``), ufuncs included (generated from the
namespace).

:func:`measure` runs every entry on every case of :func:`viewcopy.layouts`
(and, for the entries where the dtype matters, on a family of further
dtypes) and records, per entry: view or copy (:func:`is_view`, the site's
one definition), the condition where it depends (every candidate of
:data:`CONDITIONS` checked on every case), writeability, the result's
layout, bytes allocated and peak as multiples of the input's bytes
(:func:`viewcopy.track`), and whether :func:`viewcopy.predict` agreed on
every case.  The atlas page runs it, under each NumPy release of the
matrix, as claims.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import itertools
import json
import re
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, NamedTuple

import numpy as np

from viewcopy import predict, relation, track

from ._layouts import Case, layouts

try:
    from numpy.exceptions import ComplexWarning as _ComplexWarning
except ImportError:  # pragma: no cover - NumPy < 1.25
    _ComplexWarning = np.ComplexWarning  # type: ignore[attr-defined]

VERSION = tuple(int(x) for x in re.findall(r"\d+", np.__version__)[:2])

# -- the one definition of a view ------------------------------------------------------------------


def is_view(source: np.ndarray, result: np.ndarray) -> bool:
    """The site's one definition, :func:`viewcopy.relation`'s: ``result`` was made from ``source``'s memory.

    For arrays with bytes that is sharing memory (proven by
    :func:`numpy.shares_memory`); an empty array has no byte to share, and
    there a view is a result that owns no data and reads ``source``'s buffer
    (``np.zeros((0, 3))[:, ::2].ravel()`` is one).  An undecided answer raises:
    the atlas never guesses.
    """
    if result is source:
        return True
    kind = relation(source, result).kind
    if kind == "undecided":
        raise ValueError(f"shares_memory gave up on {result.shape} {result.strides}: cannot say view or copy")
    return kind == "view"


def order_of(x: np.ndarray) -> str:
    c, f = bool(x.flags.c_contiguous), bool(x.flags.f_contiguous)
    return "C and F" if c and f else "C" if c else "F" if f else "neither"


# -- the entries --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Entry:
    """One expression of the atlas.

    ``where`` names the arrays it applies to (:data:`WHERE`); ``since`` the
    first NumPy release that has it; ``dtypes``: also measured on
    :func:`dtype_family`; ``raises``: exceptions that mean "not for this
    array" (a ufunc without a loop for the dtype, ``copy=False`` when a
    copy is needed), counted, and predicted too.
    """

    expression: str
    group: str
    where: str = "any"
    since: tuple[int, int] = (1, 26)
    until: tuple[int, int] = (99, 0)
    dtypes: bool = False
    raises: tuple[type[BaseException], ...] = ()
    docs: str = ""

    @property
    def id(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.expression.lower()).strip("-")

    @property
    def names(self) -> set[str]:
        """The NumPy names the expression uses: ``np.reshape`` and ``ndarray.reshape`` style."""
        found = {f"np.{m}" for m in re.findall(r"\bnp\.((?:lib\.stride_tricks\.)?\w+)", self.expression)}
        found |= {f"ndarray.{m}" for m in re.findall(r"\ba\.(\w+)", self.expression)}
        found |= {f"ndarray.{m}" for m in re.findall(r"\)\.(\w+)", self.expression)}
        return found


def _has(x: np.ndarray, n: int) -> bool:
    return x.ndim >= n


WHERE: dict[str, tuple[str, Callable[[np.ndarray], bool]]] = {
    "any": ("every array", lambda x: True),
    "1d+": ("arrays of 1 or more dimensions", lambda x: x.ndim >= 1),
    "2d+": ("arrays of 2 or more dimensions", lambda x: x.ndim >= 2),
    "3d+": ("arrays of 3 or more dimensions", lambda x: x.ndim >= 3),
    "1d": ("1-D arrays", lambda x: x.ndim == 1),
    "1d-2d": ("1-D and 2-D arrays", lambda x: x.ndim in (1, 2)),
    "2d": ("2-D arrays", lambda x: x.ndim == 2),
    "row": ("arrays with a first axis of length >= 1", lambda x: x.ndim >= 1 and x.shape[0] >= 1),
    "row2d": ("arrays of 2+ dimensions with a first axis of length >= 1", lambda x: x.ndim >= 2 and x.shape[0] >= 1),
    "last": ("arrays with a last axis of length >= 1", lambda x: x.ndim >= 1 and x.shape[-1] >= 1),
    "cols": (
        "arrays of 2+ dimensions whose first two axes have length >= 1",
        lambda x: x.ndim >= 2 and x.shape[0] >= 1 and x.shape[1] >= 1,
    ),
    "len1": ("arrays with a first axis of length 1", lambda x: x.ndim >= 1 and x.shape[0] == 1),
    "nonempty": ("arrays with at least one element", lambda x: x.size >= 1),
    "nonempty1d+": ("non-empty arrays of 1 or more dimensions", lambda x: x.size >= 1 and x.ndim >= 1),
    "nonempty2d+": ("non-empty arrays of 2 or more dimensions", lambda x: x.size >= 1 and x.ndim >= 2),
    "struct": ("structured arrays", lambda x: x.dtype.names is not None),
    "writeable": ("writeable arrays", lambda x: bool(x.flags.writeable)),
    "numeric": ("arrays of numbers (bool, integer, float, complex)", lambda x: x.dtype.kind in "biufc"),
    "even0": ("arrays whose first axis has an even length", lambda x: x.ndim >= 1 and x.shape[0] % 2 == 0),
}


def _entries() -> list[Entry]:
    E: list[Entry] = []

    def add(group: str, *expressions: str, **kw: Any) -> None:
        E.extend(Entry(e, group, **kw) for e in expressions)

    # attributes and methods that give an array back
    add("attributes", "a.T", "a.real", "a.imag", "a.__array__()", "a.view()", "a.view(np.ndarray)", dtypes=True)
    add("attributes", "a.mT", where="2d+", since=(2, 0))
    add("attributes", "a.flat[:]", "a.flat[::2]", dtypes=False)
    add("attributes", "a.flat[[0]]", where="nonempty")
    add("attributes", "a.__copy__()", "a.__deepcopy__({})", dtypes=True)
    # reshape and its arguments
    add("reshape", "a.reshape(-1)", "a.reshape(-1, order='F')", "a.reshape(-1, order='A')", dtypes=True)
    add(
        "reshape",
        "np.reshape(a, -1)",
        "np.reshape(a, -1, order='F')",
        "a.reshape(a.shape)",
        "a.reshape(a.shape[::-1])",
        "a.reshape(a.shape + (1,))",
        "a.reshape((1,) + a.shape)",
        "a.reshape(a.shape + (1,), order='F')",
        "a.reshape(1, -1)",
        "a.reshape(-1, 1)",
        "a.reshape(a.size)",
    )
    add("reshape", "a.reshape(a.shape[0], -1)", "a.reshape(a.shape[0], -1, order='F')", where="row")
    add("reshape", "a.reshape(-1, a.shape[-1])", "a.reshape(-1, a.shape[-1], order='F')", where="last")
    add("reshape", "a.reshape(a.shape[0] // 2, -1)", where="even0", raises=(ValueError,))
    add("reshape", "a.reshape(-1, copy=True)", "np.reshape(a, -1, copy=True)", since=(2, 1))
    add(
        "reshape",
        "a.reshape(-1, copy=False)",
        "np.reshape(a, -1, order='F', copy=False)",
        since=(2, 1),
        raises=(ValueError,),
    )
    # ravel and flatten, each order
    for order in ("C", "F", "A", "K"):
        add("ravel", f"a.ravel(order='{order}')", f"np.ravel(a, order='{order}')", dtypes=order == "K")
        add("new", f"a.flatten(order='{order}')")
    add("ravel", "a.ravel()", "np.ravel(a)", dtypes=True)
    add("new", "a.flatten()")
    # axes
    add("axes", "a.transpose()", "np.transpose(a)", "np.transpose(a, tuple(range(a.ndim))[::-1])", dtypes=True)
    add("axes", "np.transpose(a, tuple(range(a.ndim)))")
    add("axes", "np.permute_dims(a)", since=(2, 0))
    add("axes", "np.matrix_transpose(a)", where="2d+", since=(2, 0))
    add(
        "axes",
        "np.swapaxes(a, 0, -1)",
        "a.swapaxes(0, -1)",
        "np.moveaxis(a, 0, -1)",
        "np.moveaxis(a, -1, 0)",
        "np.rollaxis(a, -1)",
        "np.rollaxis(a, 0, a.ndim)",
        where="1d+",
    )
    add("axes", "a.squeeze()", "np.squeeze(a)", dtypes=True)
    add("axes", "np.squeeze(a, axis=0)", "a.squeeze(0)", where="len1")
    add("axes", "np.expand_dims(a, 0)", "np.expand_dims(a, -1)", "np.expand_dims(a, (0, -1))")
    add("axes", "np.atleast_1d(a)", "np.atleast_2d(a)", "np.atleast_3d(a)")
    add("axes", "np.broadcast_to(a, (2,) + a.shape)", "np.broadcast_to(a, a.shape)", dtypes=True)
    add("axes", "np.broadcast_arrays(a, a[None])[0]", "np.broadcast_arrays(a, a)[0]")
    add(
        "axes", "a.diagonal()", "np.diagonal(a)", "np.diagonal(a, 1)", "np.diagonal(a, axis1=-2, axis2=-1)", where="2d+"
    )
    add("axes", "np.diag(a)", where="1d-2d")
    add("axes", "np.flip(a)", "np.flip(a, -1)", where="1d+")
    add("axes", "np.flip(a, 0)", "np.flipud(a)", where="1d+")
    add("axes", "np.fliplr(a)", "np.rot90(a)", "np.rot90(a, 2)", "np.rot90(a, -1)", "np.rot90(a, 0)", where="2d+")
    add("axes", "np.einsum('ij->ji', a)", where="2d")
    add("axes", "np.lib.stride_tricks.as_strided(a)", "np.lib.stride_tricks.as_strided(a, writeable=False)")
    add("axes", "np.lib.stride_tricks.as_strided(a, shape=a.shape[:1], strides=a.strides[:1])", where="1d+")
    add(
        "axes",
        "np.lib.stride_tricks.sliding_window_view(a, 1, axis=0)",
        "np.lib.stride_tricks.sliding_window_view(a, 1, axis=0, writeable=True)",
        where="row",
    )
    # splitting
    add(
        "split",
        "np.split(a, 1)[0]",
        "np.array_split(a, 2)[0]",
        "np.array_split(a, 2)[-1]",
        "np.hsplit(a, 1)[0]",
        "np.split(a, [1])[0]",
        "np.split(a, [1])[-1]",
        where="1d+",
    )
    add("split", "np.vsplit(a, 1)[0]", where="2d+")
    add("split", "np.dsplit(a, 1)[0]", where="3d+")
    add("split", "np.unstack(a)[0]", where="row2d", since=(2, 1))
    # dtypes
    add("dtype", "a.view(a.dtype)", "a.view(a.dtype.newbyteorder())", dtypes=True)
    add(
        "dtype",
        "a.view(np.uint8)",
        "a.view(np.int8)",
        "a.view(np.float64)",
        "a.view(np.int64)",
        "a.view('V' + str(a.itemsize))",
        dtypes=True,
        raises=(ValueError, TypeError),
        where="1d+",
    )
    add("dtype", "np.real(a)", "np.imag(a)", dtypes=True)
    add("dtype", "a.byteswap()", dtypes=True)
    add("dtype", "a.byteswap(inplace=True)", dtypes=True, raises=(ValueError,))
    add(
        "dtype",
        "a.astype(a.dtype)",
        "a.astype(a.dtype, copy=False)",
        "a.astype(a.dtype, order='C', copy=False)",
        "a.astype(a.dtype, order='F', copy=False)",
        "a.astype(a.dtype, order='A', copy=False)",
        "a.astype(a.dtype, order='C')",
        "a.astype(a.dtype, order='F')",
        "a.astype(a.dtype.newbyteorder(), copy=False)",
        dtypes=True,
    )
    add(
        "dtype",
        "a.astype(np.float64, copy=False)",
        "a.astype(np.float64)",
        "a.astype(np.complex128, copy=False)",
        "a.astype(np.int8, copy=False)",
        dtypes=True,
        where="numeric",
    )
    add("dtype", "np.astype(a, a.dtype)", "np.astype(a, a.dtype, copy=False)", since=(2, 1), dtypes=True)
    # conversions
    add(
        "convert",
        "np.asarray(a)",
        "np.asarray(a, order='C')",
        "np.asarray(a, order='F')",
        "np.asarray(a, order='A')",
        "np.asarray(a, order='K')",
        "np.asarray(a, dtype=a.dtype)",
        "np.asanyarray(a)",
        "np.asanyarray(a, order='F')",
        "np.ascontiguousarray(a)",
        "np.asfortranarray(a)",
        "np.require(a)",
        "np.require(a, requirements='C')",
        "np.require(a, requirements='F')",
        "np.require(a, requirements='A')",
        "np.require(a, requirements='W')",
        "np.require(a, requirements='O')",
        "np.require(a, requirements='E')",
        "np.array(a)",
        "np.array(a, copy=True)",
        "np.array(a, order='C')",
        "np.array(a, order='F')",
        "np.array(a, ndmin=a.ndim + 1)",
        dtypes=True,
    )
    add(
        "convert",
        "np.asarray(a, dtype=np.float64)",
        "np.ascontiguousarray(a, dtype=np.float64)",
        "np.require(a, np.float64)",
        dtypes=True,
        where="numeric",
    )
    add("convert", "np.asarray(a, dtype=a.dtype.newbyteorder())", dtypes=True)
    add("convert", "np.array(a, copy=False)", dtypes=True, raises=(ValueError,))
    add(
        "convert",
        "np.array(a, copy=None)",
        "np.array(a, copy=None, order='C')",
        "np.array(a, copy=None, order='F')",
        "np.array(a, copy=None, ndmin=3)",
        "np.asarray(a, copy=True)",
        since=(2, 0),
        dtypes=True,
    )
    add(
        "convert",
        "np.asarray(a, copy=False)",
        "np.asarray(a, order='C', copy=False)",
        since=(2, 0),
        dtypes=True,
        raises=(ValueError,),
    )
    add(
        "convert",
        "np.copy(a)",
        "np.copy(a, order='C')",
        "np.copy(a, order='F')",
        "a.copy()",
        "a.copy('F')",
        "a.copy('K')",
        "a.copy('A')",
        dtypes=True,
    )
    # indexing
    add("index", "a[...]", "a[None]", "a[..., None]", "a[np.newaxis, ...]", dtypes=True)
    add("index", "a[()]", where="1d+", dtypes=True)
    add(
        "index", "a[:]", "a[::2]", "a[::-1]", "a[1:]", "a[:1]", "a[..., ::2]", "a[..., ::-1]", "a[:, None]", where="1d+"
    )
    add("index", "a[0]", "a[-1]", "a[np.intp(0)]", where="row2d")
    add("index", "a[np.array(0)]", where="row2d")
    add(
        "index",
        "a[0, ...]",
        "a[[0]]",
        "a[[0, 0]]",
        "a[[-1, 0]]",
        "a[[[0]]]",
        "a[[0], ...]",
        "a[np.array([0])]",
        where="row",
    )
    add("index", "a[..., 0]", "a[..., [0]]", where="last")
    add("index", "a[np.arange(a.shape[0])]", "a[np.arange(a.shape[0])[::-1]]", "a[a.shape[0] * [True]]", where="1d+")
    add(
        "index",
        "a[np.ones(a.shape, dtype=bool)]",
        "a[np.zeros(a.shape, dtype=bool)]",
        "a[a == a]",
        "a[True]",
        "a[False]",
    )
    add("index", "a[:, [0]]", "a[[0], :]", "a[[0], [0]]", "a[0, [0]]", "a[[0], 0]", "a[:, [0], ...]", where="cols")
    add("index", "a[0, ::2]", "a[0, None]", where="row2d")
    add("fields", "a['f0']", "a['f1']", "a[['f0', 'f1']]", "a[['f1']]", "a[['f1', 'f0']]", where="struct", dtypes=True)
    # always new
    add(
        "new",
        "np.sort(a, axis=None)",
        "np.argsort(a, axis=None)",
        "np.cumsum(a)",
        "np.concatenate([a], axis=None)",
        "np.unique(a)",
        "np.tile(a, 1)",
        "np.tile(a, 2)",
        "np.repeat(a, 1)",
        "np.resize(a, a.shape)",
        "np.pad(a, 0)",
        "np.pad(a, 1)",
        "np.roll(a, 1)",
        "np.roll(a, 0)",
        "np.where(a == a, a, a)",
        "np.append(a, a)",
        "np.insert(a, 0, 0)",
        "np.zeros_like(a)",
        "np.empty_like(a)",
        "np.ones_like(a)",
        "np.full_like(a, 1)",
        "a.repeat(1)",
        "a.cumsum()",
        "np.extract(a == a, a)",
        "np.stack([a])",
        "np.block([a])",
        "np.broadcast_to(a, a.shape).copy()",
        "np.copy(np.broadcast_to(a, (2,) + a.shape))",
    )
    add(
        "new",
        "np.round(a)",
        "np.nan_to_num(a)",
        "a.round()",
        "a.conj()",
        "a.conjugate()",
        "a + 0",
        "a * 1",
        "a + a",
        "-a",
        "+a",
        "a ** 1",
        "a == a",
        "np.einsum('...->...', a)",
        where="1d+",
    )
    add(
        "new",
        "np.sort(a)",
        "np.argsort(a)",
        "np.diff(a)",
        "np.concatenate([a])",
        "np.concatenate([a, a])",
        "np.vstack([a])",
        "np.hstack([a])",
        "np.dstack([a])",
        "np.sum(a, axis=0, keepdims=True)",
        "np.mean(a, axis=0, keepdims=True)",
        "np.std(a, axis=0, keepdims=True)",
        "np.var(a, axis=0, keepdims=True)",
        "np.median(a, axis=0, keepdims=True)",
        "np.cumsum(a, axis=-1)",
        "a.sum(axis=0, keepdims=True)",
        where="row",
    )
    add("new", "np.sum(a, axis=0)", "np.column_stack([a])", "np.tril(a)", "np.triu(a)", where="2d+")
    add(
        "new",
        "np.angle(a)",
        "np.around(a)",
        "np.clip(a, 0, 1)",
        "a.clip(0, 1)",
        "np.cumprod(a)",
        "a.cumprod()",
        "np.diagflat(a)",
        "np.ediff1d(a)",
        "np.argwhere(a)",
        "np.flatnonzero(a)",
        "np.i0(a)",
        "np.iscomplex(a)",
        "np.isreal(a)",
        "np.isneginf(a)",
        "np.isposinf(a)",
        "np.nancumprod(a)",
        "np.nancumsum(a)",
        "np.sinc(a)",
        "np.sort_complex(a)",
        "np.unwrap(a)",
        "a.argsort()",
        "np.histogram_bin_edges(a)",
        where="1d+",
        raises=(TypeError,),
    )
    add("new", "np.fix(a)", where="1d+", raises=(TypeError,), until=(2, 5))
    add("new", "np.lexsort(a)", where="row2d", raises=(TypeError,))
    add("new", "np.concat([a])", "np.unique_values(a)", where="1d+", since=(2, 0))
    add("new", "np.trapezoid(a)", where="2d+", since=(2, 0))
    add("convert", "np.asarray_chkfinite(a)", "np.real_if_close(a)", dtypes=True, where="numeric")
    add("convert", "np.asfarray(a)", until=(2, 0), where="numeric")
    add("dtype", "a.newbyteorder()", until=(2, 0), dtypes=True)
    add("index", "np.trim_zeros(a)", where="1d")
    add(
        "new",
        "np.take(a, [0], axis=0)",
        "a.take([0])",
        "np.delete(a, 0)",
        "a.compress([True], axis=0)",
        "np.partition(a, 0)",
        "np.max(a, axis=0, keepdims=True)",
        where="nonempty1d+",
    )
    return E


def _ufunc_entries() -> list[Entry]:
    """One entry per ufunc of NumPy's namespace: one, two or the first of two outputs."""
    out = []
    for name in sorted(dir(np)):
        f = getattr(np, name)
        if not isinstance(f, np.ufunc) or name.startswith("_"):
            continue
        if f.nin == 1:
            e = f"np.{name}(a)" if f.nout == 1 else f"np.{name}(a)[0]"
        elif f.nin == 2:
            e = f"np.{name}(a, a)" if f.nout == 1 else f"np.{name}(a, a)[0]"
        else:
            continue
        if f.signature is not None:
            continue  # generalized ufuncs (matmul, vecdot...): core dimensions, see the inventory
        out.append(Entry(e, "ufunc", where="1d+", raises=(TypeError,), dtypes=name == "isnat"))
    return out


ENTRIES: list[Entry] = []


def entries() -> list[Entry]:
    """The atlas's entries, for the NumPy installed (an entry ``since`` a later release is left out)."""
    if not ENTRIES:
        seen: dict[str, Entry] = {}
        for e in _entries() + _ufunc_entries():
            seen.setdefault(e.expression, e)
        ENTRIES.extend(seen.values())
    return [e for e in ENTRIES if e.since <= VERSION < e.until]


def entry_info(expression: str) -> dict[str, str]:
    """What the atlas's definition says of an expression, whatever the release: its group and what it applies to."""
    entries()
    entry = next((e for e in ENTRIES if e.expression == expression), None)
    if entry is None:
        return {}
    family = "the layouts family and further dtypes" if entry.dtypes else "the layouts family"
    return {"group": entry.group, "applies_to": f"{WHERE[entry.where][0]} of {family}"}


def absence(expression: str, release: tuple[int, int]) -> str:
    """Why a release has no row for an atlas expression: deprecated there (:data:`BY_HAND` says so), or absent.

    >>> absence("np.fix(a)", (2, 5)), absence("np.permute_dims(a)", (1, 26))
    ('deprecated in this release', 'not in this release')
    """
    entries()
    entry = next((e for e in ENTRIES if e.expression == expression), None)
    if entry is not None and release >= entry.until and any("deprecated" in BY_HAND.get(n, "") for n in entry.names):
        return "deprecated in this release"
    return "not in this release"


def all_expressions() -> list[str]:
    """Every expression of the atlas, whatever the release (for the page: those a release lacks)."""
    entries()
    return [e.expression for e in ENTRIES]


# -- the conditions searched --------------------------------------------------------------------------


def _equally_spaced(x: np.ndarray, order: str) -> bool:
    """Read in ``order``, one stride reaches every element (length-1 axes skipped): written apart from predict."""
    if x.size == 0:
        return True
    axes = [(n, s) for n, s in zip(x.shape, x.strides, strict=True) if n != 1]
    if order == "F":
        axes.reverse()
    return all(s == n_next * s_next for (_, s), (n_next, s_next) in itertools.pairwise(axes))


def _tiles_some_order(x: np.ndarray) -> bool:
    pairs = sorted(zip(x.shape, x.strides, strict=True), key=lambda p: -abs(p[1]))
    step = x.itemsize
    for n, s in reversed(pairs):
        if n == 1:
            continue
        if s != step:
            return False
        step *= n
    return True


def _last_contiguous(x: np.ndarray) -> bool:
    return x.ndim == 0 or x.shape[-1] == 1 or x.strides[-1] == x.itemsize or x.size == 0


def _predicted_view(x: np.ndarray, e: Entry) -> bool:
    try:
        return predict(x, e.expression).kind == "view"
    except ValueError:
        return False


CONDITIONS: list[tuple[str, Callable[[np.ndarray, Entry], bool]]] = [
    ("the array is C-contiguous", lambda x, e: bool(x.flags.c_contiguous)),
    ("the array is F-contiguous", lambda x, e: bool(x.flags.f_contiguous)),
    ("the array is C- or F-contiguous", lambda x, e: bool(x.flags.c_contiguous or x.flags.f_contiguous)),
    (
        "read in C order, its elements are equally spaced in memory (one stride walks them)",
        lambda x, e: _equally_spaced(x, "C"),
    ),
    (
        "read in F order, its elements are equally spaced in memory (one stride walks them)",
        lambda x, e: _equally_spaced(x, "F"),
    ),
    ("its strides, sorted by size, tile one gap-free block (no negative stride)", lambda x, e: _tiles_some_order(x)),
    (
        "the array is C- or F-contiguous, or its strides, sorted by size, tile one gap-free block",
        lambda x, e: bool(x.flags.c_contiguous or x.flags.f_contiguous) or _tiles_some_order(x),
    ),
    ("the array is empty", lambda x, e: x.size == 0),
    ("the array is not complex", lambda x, e: x.dtype.kind != "c"),
    ("the array is 2-D", lambda x, e: x.ndim == 2),
    ("the array is float64 and C-contiguous", lambda x, e: x.dtype == np.float64 and bool(x.flags.c_contiguous)),
    ("the array is writeable", lambda x, e: bool(x.flags.writeable)),
    ("the array owns its data", lambda x, e: bool(x.flags.owndata)),
    ("the array is float64 (native byte order) already", lambda x, e: x.dtype == np.float64),
    ("the array is int8 already", lambda x, e: x.dtype == np.int8),
    ("the array is of integers", lambda x, e: x.dtype.kind in "iu"),
    ("the array is of objects", lambda x, e: x.dtype.hasobject),
    ("the array is not of objects", lambda x, e: not x.dtype.hasobject),
    ("the array is complex128 (native byte order) already", lambda x, e: x.dtype == np.complex128),
    ("the array is complex", lambda x, e: x.dtype.kind == "c"),
    ("the array is not 0-d", lambda x, e: x.ndim > 0),
    ("its last axis is contiguous (stride = item size) or of length 1", lambda x, e: _last_contiguous(x)),
    ("the dtype is in native byte order", lambda x, e: x.dtype.isnative),
    (
        "its dtype is the same in either byte order (one-byte items, bool, objects)",
        lambda x, e: x.dtype.newbyteorder() == x.dtype,
    ),
    (
        "the array is C-contiguous and in native byte order",
        lambda x, e: bool(x.flags.c_contiguous) and x.dtype.isnative,
    ),
    (
        (
            "NumPy's rule, as viewcopy.predict applies it, says view (for a reshape: each group of axes the new shape "
            "merges is evenly strided in the order asked)"
        ),
        _predicted_view,  # itself, not wrapped: _condition_holds reuses what measuring predicted
    ),
]


def _condition_holds(res: Result, name: str, condition: Callable[[np.ndarray, Entry], bool]) -> bool:
    if condition is _predicted_view and name in res.predicted:  # already asked while measuring
        return res.predicted[name]
    return bool(condition(res.arrays[name], res.entry))


# -- the families -------------------------------------------------------------------------------------

STRUCTURED = np.dtype([("f0", "<i4"), ("f1", "<f8")])
EXTRA_DTYPES = (
    STRUCTURED,
    np.dtype(bool),
    np.dtype(object),
    np.dtype("M8[s]"),
    np.dtype(">f8"),
    np.dtype("c8"),
    np.dtype("<U3"),
    np.dtype(np.int64),
)
"""The further dtypes for entries where the dtype matters: structured, bool, object, datetime64,
non-native byte order, complex64, strings, and a second integer type (beside the family's int8), so that
a condition naming one integer type is told from one naming them all."""


def dtype_family() -> list[Case]:
    return layouts(ndim=range(3), dtypes=EXTRA_DTYPES)


# -- measuring ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    """What the atlas measured for one entry on the NumPy installed."""

    entry: Entry
    cases: int = 0
    views: int = 0
    copies: int = 0
    raised: int = 0
    scalars: int = 0
    readonly_views: int = 0
    views_like_source: int = 0
    readonly_copies: int = 0
    warned_writeable: int = 0
    orders: Counter = dataclasses.field(default_factory=Counter)
    alloc: list[float] = dataclasses.field(default_factory=list)
    peak: list[float] = dataclasses.field(default_factory=list)
    temporaries: int = 0
    agree: int = 0
    disagree: list[str] = dataclasses.field(default_factory=list)
    outcome: dict[str, bool] = dataclasses.field(default_factory=dict)  # case name -> view
    predicted: dict[str, bool] = dataclasses.field(default_factory=dict, repr=False)  # case name -> predict: view
    arrays: dict[str, np.ndarray] = dataclasses.field(default_factory=dict, repr=False)
    examples: dict[str, str] = dataclasses.field(default_factory=dict)
    condition: str = ""
    candidates: dict[str, str] = dataclasses.field(default_factory=dict)
    errors: Counter = dataclasses.field(default_factory=Counter)
    checked: list[Checked] = dataclasses.field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        """predict agreed on every case, and a "depends" found its exact condition."""
        return not self.disagree and self.condition != NO_CONDITION

    @property
    def writeable(self) -> str:
        """The result's writeability in words."""
        parts = []
        if self.views:
            if self.readonly_views == self.views:
                parts.append("read-only view")
            elif self.views_like_source == self.views:
                parts.append("view writeable like its source")
            else:
                parts.append(f"view: {self.readonly_views} of {self.views} read-only")
        if self.copies:
            if not self.readonly_copies:
                parts.append("writeable copy")
            elif self.readonly_copies == self.copies:
                parts.append("read-only copy")
            else:
                parts.append(f"copy: {self.readonly_copies} of {self.copies} read-only")
        if self.warned_writeable:  # np.broadcast_arrays' results: NumPy warns when the flag is read
            parts.append(f"reading the flag warned on {self.warned_writeable} of {self.cases}")
        return "; ".join(parts)

    @property
    def verdict(self) -> str:
        if self.views and not self.copies:
            return "view"
        if self.copies and not self.views:
            return "copy"
        return "depends" if self.views else "raises"

    def record(self) -> dict[str, Any]:
        """The entry's line of evidence and of ``atlas.json``: short keys, no NumPy objects."""

        def span(xs: list[float]) -> list[float] | None:
            return [round(min(xs), 3), round(max(xs), 3)] if xs else None

        return {
            "expression": self.entry.expression,
            "group": self.entry.group,
            "verdict": self.verdict,
            "condition": self.condition,
            "cases": self.cases,
            "views": self.views,
            "copies": self.copies,
            "raised": self.raised,
            "scalars": self.scalars,
            "readonly_views": self.readonly_views,
            "writeable": self.writeable,
            "readonly_copies": self.readonly_copies,
            "orders": dict(sorted(self.orders.items())),
            "allocated": span(self.alloc),
            "peak": span(self.peak),
            "temporaries": self.temporaries,
            "predict_agrees": self.agree,
            "predict_disagrees": len(self.disagree),
            "examples": self.examples,
            "candidates": self.candidates,
            "applies_to": WHERE[self.entry.where][0],
            "dtypes": "layouts family and further dtypes" if self.entry.dtypes else "layouts family",
        }


def _agree(
    x: np.ndarray,
    expression: str,
    result: np.ndarray | None,
    view: bool | None,
    error: BaseException | None,
    writeable: bool | None,
    predicted: dict[str, bool] | None = None,
    name: str = "",
) -> str:
    """'' when predict says what NumPy did, else what differs (``predicted`` keeps predict's view-or-copy)."""
    try:
        p = predict(x, expression)
    except ValueError as predicted_error:
        return "" if error is not None else f"predict raised ({predicted_error}) where NumPy did not"
    if predicted is not None:
        predicted[name] = p.kind == "view"
    if error is not None:
        return f"NumPy raised {type(error).__name__} ({error}); predict said {p.kind}"
    if p.kind != ("view" if view else "copy"):
        return f"predict said {p.kind}, NumPy gave a {'view' if view else 'copy'} ({p.reason})"
    if p.shape is not None and tuple(p.shape) != result.shape:
        return f"shape: predicted {p.shape}, NumPy {result.shape}"
    if p.dtype is not None and p.dtype != result.dtype:
        return f"dtype: predicted {p.dtype}, NumPy {result.dtype}"
    if p.writeable is not None and writeable is not None and p.writeable != writeable:
        return f"writeable: predicted {p.writeable}, NumPy {writeable}"
    if p.strides is not None and result.size:
        long = [i for i, n in enumerate(result.shape) if n > 1]
        if [p.strides[i] for i in long] != [result.strides[i] for i in long]:
            return f"strides: predicted {p.strides}, NumPy {result.strides}"
        if p.order is not None and p.order != order_of(result):
            return f"layout: predicted {p.order}, NumPy {order_of(result)}"
    return ""


def _predict_raises(x: np.ndarray, expression: str) -> bool:
    try:
        predict(x, expression)
    except ValueError:
        return True
    return False


def _writeable(r: np.ndarray, careful: bool) -> tuple[bool, bool]:
    """(writeable, reading the flag warned): broadcast_arrays' results warn when asked (``careful``)."""
    if not careful:
        return bool(r.flags.writeable), False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flag = bool(r.flags.writeable)
    return flag, bool(caught)


def measure_entry(entry: Entry, cases: Iterable[Case]) -> Result:
    """Run one entry on every case it applies to; nothing is skipped silently (errors not in ``raises`` propagate)."""
    code = compile(entry.expression, entry.expression, "eval")
    applies = WHERE[entry.where][1]
    res = Result(entry)
    careful = "broadcast_arrays" in entry.expression
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _ComplexWarning)  # casting complex to real: about values, not layout
        _measure_cases(entry, code, applies, careful, res, cases)
    if res.verdict == "depends":
        _search_condition(res)
    res.arrays.clear()
    res.predicted.clear()
    return res


def _measure_cases(
    entry: Entry, code: Any, applies: Callable[[np.ndarray], bool], careful: bool, res: Result, cases: Iterable[Case]
) -> None:
    for case in cases:
        if not applies(case.array):
            continue
        res.cases += 1
        why = _measure_case(entry, code, careful, res, case)
        if why:
            res.disagree.append(f"{case.name}: {why}")
        else:
            res.agree += 1
        res.checked.append(Checked(case.name, not why, why))


def _measure_case(entry: Entry, code: Any, careful: bool, res: Result, case: Case) -> str:
    """Run the entry on one case and record what NumPy did; '' when predict said the same, else what differs."""
    x = case.array
    nbytes = x.nbytes
    error = None
    with np.errstate(all="ignore"):
        try:
            with track() as t:
                r = eval(code, {"np": np, "a": x})
        except entry.raises as e:
            error, r = e, None
    if error is not None:
        res.raised += 1
        res.errors[type(error).__name__] += 1
        res.examples.setdefault("raises", case.name)
        return _agree(x, entry.expression, None, None, error, None)
    if not isinstance(r, np.ndarray):
        if not isinstance(r, (np.generic, int, float, complex, str, bytes)) and r is not None:
            raise TypeError(f"atlas entry {entry.expression!r} gave a {type(r).__name__} on {case.name}")
        res.scalars += 1  # a release that gives an element, not an array: counted, and predicted
        res.examples.setdefault("scalar", case.name)
        return "" if _predict_raises(x, entry.expression) else "predict gave an array where NumPy gave a scalar"
    view = is_view(x, r)
    writeable, warned = _writeable(r, careful)
    res.warned_writeable += warned
    res.outcome[case.name] = view
    res.arrays[case.name] = x
    if view:
        res.views += 1
        res.readonly_views += not writeable
        res.views_like_source += writeable == bool(x.flags.writeable)
        res.examples.setdefault("view", case.name)
    else:
        res.copies += 1
        res.readonly_copies += not writeable
        res.examples.setdefault("copy", case.name)
    res.orders[order_of(r)] += 1
    if nbytes:
        res.alloc.append(t.allocated_bytes / nbytes)
        res.peak.append(t.peak_bytes / nbytes)
        res.temporaries += t.peak_bytes > t.allocated_bytes
    return _agree(x, entry.expression, r, view, None, writeable if not warned else None, res.predicted, case.name)


NO_CONDITION = "no candidate condition is exact"


class Checked(NamedTuple):
    """One case of one entry: whether predict agreed with NumPy on it (``name`` counts it in a claim)."""

    name: str
    agreed: bool
    what: str


def _search_condition(res: Result) -> None:
    """Check every candidate on every case; the first that is true exactly where the result was a view wins."""
    for words, condition in CONDITIONS:
        # every candidate is tried, in the family's order, until its first counterexample
        wrong = next(
            (name for name, view in res.outcome.items() if _condition_holds(res, name, condition) != view), None
        )
        res.candidates[words] = "exact" if wrong is None else f"wrong, e.g. on {wrong}"
        if wrong is None and not res.condition:
            res.condition = words
    if not res.condition:
        res.condition = NO_CONDITION


def measure(
    *, entries_: list[Entry] | None = None, cases: list[Case] | None = None, extra: list[Case] | None = None
) -> list[Result]:
    """Every entry on the layouts family (and the further dtypes where they matter)."""
    main = layouts() if cases is None else cases
    more = dtype_family() if extra is None else extra
    out = []
    for entry in entries() if entries_ is None else entries_:
        out.append(measure_entry(entry, [*main, *more] if entry.dtypes else main))
    return out


# -- the inventory: NumPy's public callables, sorted ------------------------------------------------

SIDE_EFFECTS = {
    "test",
    "show_config",
    "show_runtime",
    "info",
    "source",
    "lookfor",
    "setbufsize",
    "seterr",
    "seterrcall",
    "set_printoptions",
    "printoptions",
    "savetxt",
    "save",
    "savez",
    "savez_compressed",
    "load",
    "loadtxt",
    "genfromtxt",
    "fromfile",
    "memmap",
    "errstate",
    "set_string_function",
    "fromregex",
    "tofile",
    "dump",
    "dumps",
    "disp",
    "deprecate",
    "deprecate_with_doc",
    "add_newdoc",
    "add_docstring",
    "add_newdoc_ufunc",
    "get_include",
    "_add_newdoc_ufunc",
    "seterrobj",
    "geterrobj",
    "recfromcsv",
    "recfromtxt",
    "safe_eval",
    "put",
    "putmask",
    "place",
    "copyto",
    "fill",
    "itemset",
    "setfield",
    "setflags",
    "resize",
    "sort",
    "partition",
    "fill_diagonal",
    "put_along_axis",
}
"""Callables not called by the inventory: they write files, print, change settings, or change the array in place."""


BY_HAND = {
    "np.asmatrix": "makes an np.matrix, which is pending deprecation (making one warns)",
    "np.mat": "an alias of np.asmatrix (np.matrix is pending deprecation)",
    "np.bmat": "builds an np.matrix from blocks (np.matrix is pending deprecation); np.block is in the atlas",
    "np.row_stack": "a deprecated alias of np.vstack, which is in the atlas",
    "np.cumproduct": "a deprecated alias of np.cumprod, which is in the atlas",
    "np.round_": "a deprecated alias of np.round, which is in the atlas",
    "np.msort": "deprecated; np.sort(a, axis=0) does the same",
    "np.trapz": "a deprecated alias of np.trapezoid",
    "np.fastCopyAndTranspose": "deprecated; a.T.copy() does the same",
    "np.fix": "deprecated in NumPy 2.5 (calling it warns); np.trunc, in the atlas, does the same",
    "np.fromstring": "reads a string, not an array",
    "np.frombuffer": "reads any buffer object; for an array it needs a contiguous buffer and a dtype that divides it",
    "np.from_dlpack": "takes any DLPack producer; which dtypes and flags it accepts differs by release",
    "np.cov": "a statistic of the values (always a new array); on the family's small samples it warns",
    "np.corrcoef": "a statistic of the values (always a new array); on the family's small samples it warns",
}
"""Public callables that return an array from an array but are left out, each with its reason."""


def _probe() -> np.ndarray:
    return np.arange(6.0).reshape(2, 3)


def inventory() -> list[dict[str, str]]:
    """Every public callable of ``np`` and every public method and attribute of ``ndarray``, sorted.

    Each is called on a 2x3 ``float64`` array (methods and attributes of
    it): "in the atlas" when an entry uses the name; otherwise left out
    with the reason seen: what it returned, the error it raised, or why it
    was not called.
    """
    used: set[str] = set()
    for e in entries():  # this release's: an entry it lacks does not cover the name
        used |= e.names
    rows = []
    for name in sorted(n for n in dir(np) if not n.startswith("_")):
        obj = getattr(np, name)
        rows.append(_classify(f"np.{name}", obj, used, lambda f=obj: f(_probe())))
    for name in ("as_strided", "sliding_window_view"):
        rows.append(
            _classify(
                f"np.lib.stride_tricks.{name}",
                getattr(np.lib.stride_tricks, name),
                used,
                lambda n=name: (
                    getattr(np.lib.stride_tricks, n)(_probe(), 1)
                    if n != "as_strided"
                    else np.lib.stride_tricks.as_strided(_probe())
                ),
            )
        )
    for name in [*sorted(n for n in dir(np.ndarray) if not n.startswith("_")), "__array__", "__copy__", "__deepcopy__"]:
        attr = inspect.getattr_static(np.ndarray, name)
        if (
            callable(getattr(np.ndarray, name))
            and not isinstance(attr, property)
            and type(attr).__name__ not in ("getset_descriptor", "member_descriptor")
        ):
            rows.append(_classify(f"ndarray.{name}", attr, used, lambda n=name: getattr(_probe(), n)()))
        else:
            rows.append(_classify(f"ndarray.{name}", attr, used, lambda n=name: getattr(_probe(), n), attribute=True))
    return rows


def _classify(name: str, obj: Any, used: set[str], call: Callable[[], Any], attribute: bool = False) -> dict[str, str]:
    short = name.split(".")[-1]
    if name in BY_HAND and name not in used:
        return {"name": name, "status": "left out", "reason": BY_HAND[name]}
    if name in used:
        return {"name": name, "status": "in the atlas", "reason": ""}
    if isinstance(obj, np.ufunc) and obj.signature is not None:
        return {
            "name": name,
            "status": "left out",
            "reason": "a generalized ufunc: its operands need matching core dimensions, not any layout",
        }
    if isinstance(obj, np.ufunc):
        return {"name": name, "status": "in the atlas", "reason": ""}
    if not attribute:
        if isinstance(obj, type):
            return {
                "name": name,
                "status": "left out",
                "reason": "a type (dtype, scalar type, class), not an operation",
            }
        if inspect.ismodule(obj):
            return {"name": name, "status": "left out", "reason": "a submodule, not an operation"}
        if not callable(obj):
            return {"name": name, "status": "left out", "reason": f"not callable ({type(obj).__name__})"}
        if short in SIDE_EFFECTS:
            return {
                "name": name,
                "status": "left out",
                "reason": "not called: it writes files, prints, changes settings, or changes the array in place",
            }
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                got = call()
    except Exception as error:  # noqa: BLE001 (the reason is the error)
        message = str(error).splitlines()[0][:80] if str(error) else ""
        return {
            "name": name,
            "status": "left out",
            "reason": f"called with the array alone it raises {type(error).__name__}"
            + (f" ({message})" if message else "")
            + ": it needs other arguments, or no array",
        }
    if isinstance(got, np.ndarray):
        if attribute and short == "base":
            return {"name": name, "status": "left out", "reason": "the owner of the memory, not an operation"}
        return {"name": name, "status": "missing", "reason": "returns an array when given one, but no entry uses it"}
    kind = type(got).__name__
    what = "None (it works in place)" if got is None else f"a {kind}, not an array"
    return {"name": name, "status": "left out", "reason": f"returns {what}"}


# -- NumPy's docstrings, checked ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Docstring:
    """A statement of a NumPy docstring, and the atlas entry and test that check it."""

    name: str  # e.g. "np.ravel"
    quote: str  # a regular expression over the docstring, whitespace normalized
    expression: str
    test: str  # "view", "copy", "readonly view", "view when possible", "identity", "c-contiguous ndim>=1"
    witness: str = ""  # for "view when possible": an expression that gives the same elements as a view


DOCSTRINGS = [
    Docstring("np.ravel", r"A copy is made only if needed\.", "np.ravel(a)", "view when possible", "a.reshape(-1)"),
    Docstring(
        "np.ravel",
        r"When a view is desired in as many cases as possible, ``arr\.reshape\(-1\)`` may be "
        r"preferable\.",
        "a.reshape(-1)",
        "at least as many views",
        "a.ravel()",
    ),
    Docstring(
        "np.reshape",
        r"This will be a new view object if possible; otherwise, it will be a copy\.",
        "np.reshape(a, -1)",
        "view when possible",
        "equally spaced C",
    ),
    Docstring("np.transpose", r"A view is returned whenever possible\.", "np.transpose(a)", "view"),
    Docstring("ndarray.transpose", r"Returns a view of the array with axes transposed\.", "a.transpose()", "view"),
    Docstring(
        "np.diagonal",
        r"Starting in NumPy 1\.9 it returns a read-only view on the original array\.",
        "np.diagonal(a)",
        "readonly view",
    ),
    Docstring(
        "np.broadcast_to",
        r"A readonly view on the original array with the given shape\.",
        "np.broadcast_to(a, (2,) + a.shape)",
        "readonly view",
    ),
    Docstring(
        "np.ascontiguousarray",
        r"Return a contiguous array \(ndim >= 1\) in memory \(C order\)\.",
        "np.ascontiguousarray(a)",
        "c-contiguous ndim>=1",
    ),
    Docstring(
        "ndarray.astype", r"By default, astype always returns a newly allocated array\.", "a.astype(a.dtype)", "copy"
    ),
    Docstring(
        "ndarray.astype",
        r"If this is set to false, and the `dtype`, `order`, and `subok` requirements are "
        r"satisfied, the input array is returned instead of a copy\.",
        "a.astype(a.dtype, copy=False)",
        "identity",
    ),
    Docstring("np.swapaxes", r"if `a` is an ndarray, then a view of `a` is returned", "np.swapaxes(a, 0, -1)", "view"),
    Docstring("np.moveaxis", r"This array is a view of the input array\.", "np.moveaxis(a, 0, -1)", "view"),
    Docstring("np.squeeze", r"This is always `a` itself or a view into `a`\.", "np.squeeze(a)", "view"),
    Docstring(
        "np.expand_dims", r"View of `a` with the number of dimensions increased\.", "np.expand_dims(a, 0)", "view"
    ),
    Docstring("np.flip", r"A view of `m` with the entries of axis reversed\.", "np.flip(a)", "view"),
    Docstring("np.rot90", r"A rotated view of `m`\.", "np.rot90(a)", "view"),
    Docstring(
        "np.atleast_2d",
        r"Copies are avoided where possible, and views with two or more dimensions are "
        r"returned\.",
        "np.atleast_2d(a)",
        "view",
    ),
    Docstring("np.split", r"A list of sub-arrays as views into `ary`\.", "np.split(a, 1)[0]", "view"),
    Docstring("np.round", r"Unless `out` was specified, a new array is created\.", "np.round(a)", "copy"),
    Docstring(
        "np.broadcast_arrays",
        r"These arrays are views on the original arrays\.",
        "np.broadcast_arrays(a, a[None])[0]",
        "view",
    ),
    Docstring(
        "np.lib.stride_tricks.as_strided",
        r"Create a view into the array with the given shape and strides\.",
        "np.lib.stride_tricks.as_strided(a)",
        "view",
    ),
    Docstring("ndarray.view", r"New view of array with the same data\.", "a.view()", "view"),
    Docstring("ndarray.flatten", r"Return a copy of the array collapsed into one dimension\.", "a.flatten()", "copy"),
    Docstring(
        "np.lib.stride_tricks.sliding_window_view",
        r"Creating a view with the default ``writeable=False`` and "
        r"then writing to it raises an error\.",
        "np.lib.stride_tricks.sliding_window_view(a, 1, axis=0)",
        "readonly view",
    ),
]


def _docstring_of(name: str) -> str:
    owner, _, attr = name.rpartition(".")
    obj = {"np": np, "ndarray": np.ndarray, "np.lib.stride_tricks": np.lib.stride_tricks}[owner]
    return " ".join((getattr(obj, attr).__doc__ or "").split())


def applicable(d: Docstring, cases: Iterable[Case]) -> list[Case]:
    """The cases ``d``'s expression applies to (its entry's ``where``)."""
    entry = next(e for e in entries() if e.expression == d.expression)
    return [c for c in cases if WHERE[entry.where][1](c.array)]


def by_group(results: list[Result]) -> dict[str, list[Result]]:
    """The results by their entries' group, in the order the groups first come."""
    groups: dict[str, list[Result]] = {}
    for r in results:
        groups.setdefault(r.entry.group, []).append(r)
    return groups


def check_docstring(d: Docstring, cases: Iterable[Case]) -> dict[str, Any]:
    """Whether ``d``'s statement holds on every case it applies to, with a counterexample where not."""
    text = _docstring_of(d.name)
    found = re.search(d.quote, text)
    entry = next(e for e in entries() if e.expression == d.expression)
    applies = WHERE[entry.where][1]
    code = compile(d.expression, d.expression, "eval")
    checked, bad, seen = 0, [], []
    for case in cases:
        seen.append(case)
        x = case.array
        if not applies(x):
            continue
        checked += 1
        r = eval(code, {"np": np, "a": x})
        if d.test == "view":
            ok = is_view(x, r)
        elif d.test == "copy":
            ok = not is_view(x, r)
        elif d.test == "readonly view":
            ok = is_view(x, r) and not r.flags.writeable
        elif d.test == "identity":
            ok = r is x
        elif d.test == "c-contiguous ndim>=1":
            ok = bool(r.flags.c_contiguous) and r.ndim >= 1
        elif d.test == "view when possible":
            if d.witness == "equally spaced C":
                possible = _equally_spaced(x, "C")
            else:
                possible = is_view(x, eval(compile(d.witness, d.witness, "eval"), {"np": np, "a": x}))
            ok = is_view(x, r) or not possible
        elif d.test == "at least as many views":
            other = eval(compile(d.witness, d.witness, "eval"), {"np": np, "a": x})
            ok = is_view(x, r) or not is_view(x, other)
        else:
            raise ValueError(f"unknown docstring test {d.test!r}")
        if not ok:
            bad.append(case.name)
    return {
        "name": d.name,
        "quote": found.group(0) if found else "",
        "in_docstring": bool(found),
        "expression": d.expression,
        "test": d.test,
        "checked": checked,
        "counterexamples": len(bad),
        "example": _smallest(bad, seen),
    }


def _smallest(names: list[str], cases: list[Case]) -> str:
    by = {c.name: c for c in cases}
    ranked = sorted(names, key=lambda n: (by[n].array.size == 0, by[n].array.size, by[n].array.ndim))
    return ranked[0] if ranked else ""


# -- the run the page makes ----------------------------------------------------------------------------


def run() -> dict[str, Any]:
    """The whole atlas on the NumPy installed: entries, inventory, docstrings, and the CPU seconds it took."""
    start = time.process_time()
    main, more = layouts(), dtype_family()
    results = measure(cases=main, extra=more)
    measured = time.process_time() - start
    docs = [check_docstring(d, main) for d in DOCSTRINGS]
    inv = inventory()
    return {
        "numpy": np.__version__,
        "results": results,
        "docstrings": docs,
        "inventory": inv,
        "family": len(main),
        "extra_family": len(more),
        "cpu_seconds": time.process_time() - start,
        "measure_cpu_seconds": measured,
    }


EVIDENCE_PREFIX = "atlas-entry "


# the evidence line's keys: short, since the ledger and the versions page show every line
_SHORT = {
    "expression": "e", "group": "g", "verdict": "v", "condition": "c", "cases": "n", "views": "vw",
    "copies": "cp", "raised": "r", "scalars": "s", "writeable": "w", "orders": "o", "allocated": "al",
    "peak": "pk", "temporaries": "t", "predict_agrees": "ok", "examples": "x", "exact_candidates": "k",
}  # fmt: skip
_LONG = {v: k for k, v in _SHORT.items()}


def evidence_line(record: dict[str, Any]) -> str:
    """One entry's evidence: the prefix and compact JSON (the atlas page reads it back per release).

    Kept: what atlas.json publishes per release. The candidates tried are
    the same list on every entry (:data:`CONDITIONS`); only the exact ones
    are written, and examples only where the verdict depends.
    """
    short = {_SHORT[k]: v for k, v in record.items() if k in _SHORT}
    short["k"] = [words for words, found in record.get("candidates", {}).items() if found == "exact"]
    if record["verdict"] != "depends":
        short.pop("x", None)
        short.pop("k", None)
    return EVIDENCE_PREFIX + json.dumps(short, separators=(",", ":"), sort_keys=True)


def parse_evidence(line: str) -> dict[str, Any] | None:
    """The record an :func:`evidence_line` wrote (with its long keys), or None for another line."""
    if not line.startswith(EVIDENCE_PREFIX):
        return None
    short = json.loads(line[len(EVIDENCE_PREFIX) :])
    record = {_LONG[k]: v for k, v in short.items()}
    record.setdefault("examples", {})
    record.setdefault("exact_candidates", [])
    record["candidates_tried"] = len(CONDITIONS)
    return record


__all__ = ["ENTRIES", "Entry", "Result", "entries", "inventory", "is_view", "measure", "run"]
