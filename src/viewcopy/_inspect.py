"""Tell a view from a copy, describe an array's layout, predict what an op returns."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np

from ._errors import short_repr
from ._evidence import listening, note
from ._format import format_bytes

try:  # NumPy >= 1.25
    from numpy.exceptions import TooHardError
except ImportError:  # pragma: no cover - older NumPy
    TooHardError = np.TooHardError  # type: ignore[attr-defined,misc]

DEFAULT_MAX_WORK = 100_000
"""Work bound passed to :func:`numpy.shares_memory` (see :func:`relation`)."""

OPS = ("ravel", "flatten", "reshape(-1)")
ORDERS = ("C", "F", "A", "K")


def require_array(x: Any, name: str, func: str) -> np.ndarray:
    """Return ``x`` if it is a NumPy array, else raise a TypeError that says what to do."""
    if isinstance(x, np.ndarray):
        return x
    if x is None:
        got, fix = "None", "pass the array itself"
    elif isinstance(x, (list, tuple)):
        got = f"a {type(x).__name__}"
        fix = (
            f"a {type(x).__name__} holds Python objects, not a NumPy buffer, so it is "
            f"neither a view nor a copy; convert it once with np.asarray({name}), "
            "which itself copies"
        )
    elif isinstance(x, np.generic):
        got = f"a NumPy scalar ({x.dtype})"
        fix = "a scalar owns its value and has no buffer to share; use np.asarray(x) for a 0-d array"
    elif isinstance(x, (bytes, bytearray, memoryview)):
        got = f"a {type(x).__name__} object"
        fix = f"wrap its buffer without copying with np.frombuffer({name}, dtype=...)"
    else:
        got = f"{type(x).__name__} {short_repr(x, 40)}"
        fix = f"convert it with np.asarray({name}) first"
    raise TypeError(f"{func}() needs a NumPy array for {name}, got {got}: {fix}")


def _owner(a: np.ndarray) -> object:
    """The object at the end of ``a``'s base chain: the array or buffer whose memory ``a`` reads."""
    owner: object = a
    # follow arrays, and the interface objects as_strided puts between them
    while isinstance(owner, np.ndarray) or hasattr(owner, "__array_interface__"):
        base = getattr(owner, "base", None)
        if base is None:
            break
        owner = base
    while isinstance(owner, memoryview) and owner.obj is not None:  # np.frombuffer wraps each call in a new one
        owner = owner.obj
    return owner


def decide(source: np.ndarray, result: np.ndarray, max_work: int | None) -> tuple[str, bool, bool]:
    """The one definition of a view: (kind, numpy.shares_memory's answer, exact).

    ``result`` is a *view* of ``source`` when it reads ``source``'s memory.
    For arrays that hold bytes that means sharing one byte or more, which
    :func:`numpy.shares_memory` decides exactly (up to ``max_work``), in
    either direction and whichever array was made from which: two
    overlapping slices of one buffer are views of each other, two disjoint
    ones are ``'copy'`` though neither allocated.  An array with no bytes
    (an empty array, or a 0-byte dtype) shares memory with nothing, so
    NumPy's answer is False for every one; where either array holds no
    bytes, the result is a view when it reads the same buffer as ``source``:
    its base chain ends where ``source``'s does (the owner of the buffer
    counts as reading it).  ``kind``
    is ``'view'``, ``'copy'``, or ``'undecided'`` when the exact check gave up
    while the memory bounds overlap.  Every check in viewcopy decides here.

    >>> import numpy as np
    >>> e = np.zeros((0, 3))
    >>> decide(e, e.ravel(), None), decide(e, e.flatten(), None)
    (('view', False, True), ('copy', False, True))
    >>> a = np.arange(10.0)
    >>> decide(a[:5], a[3:], None)[0], decide(a[:3], a[5:], None)[0], decide(a[0:0], a[5:5], None)[0]
    ('view', 'copy', 'view')
    >>> decide(a[0:0], a, None)[0], decide(a.reshape(2, 5)[0:0], a.reshape(2, 5), None)[0]
    ('view', 'view')
    """
    if result.nbytes and source.nbytes:
        try:
            shares = bool(np.shares_memory(source, result, max_work))  # positional: NumPy parses it faster
        except TooHardError:
            # bounds that do not overlap prove "no sharing"; bounds that do prove nothing
            may = bool(np.may_share_memory(source, result))
            return ("undecided" if may else "copy"), may, not may
        return ("view" if shares else "copy"), shares, True
    made_from = result is source or _owner(result) is _owner(source)  # the buffer's owner reads it too
    return ("view" if made_from else "copy"), False, True


def _describe_base(obj: Any) -> str:
    if isinstance(obj, np.ndarray):
        owns = ", owns its data" if obj.flags.owndata else ""
        return f"{type(obj).__name__} {obj.shape} {obj.dtype}{owns}"
    try:
        size = f", {format_bytes(memoryview(obj).nbytes)}"
    except (TypeError, ValueError):
        size = ""
    return f"{type(obj).__name__}{size}"


def base_chain(a: np.ndarray) -> tuple[str, ...]:
    """Describe ``a.base``, its base, and so on, down to the object that owns the memory."""
    chain = []
    obj = a.base
    while obj is not None:
        chain.append(_describe_base(obj))
        obj = obj.base if isinstance(obj, np.ndarray) else None
    return tuple(chain)


@dataclasses.dataclass(frozen=True)
class Relation:
    """How a result relates to its source array; returned by :func:`relation`.

    Attributes
    ----------
    kind : str
        ``'view'`` when the result reads the source's memory, ``'copy'``
        when it reads none of it, and ``'undecided'`` when the exact check
        gave up at ``max_work`` while the arrays' memory bounds overlap: they
        may or may not share memory.  For arrays that hold bytes, ``'view'``
        means that one byte or more is both arrays', whichever was made from
        which (overlapping sibling slices are ``'view'``; disjoint ones are
        ``'copy'``, though neither allocated).  An empty array shares memory
        with nothing, so where either array is empty the result is a view
        when it reads its source's buffer: its base chain ends where the
        source's does (see ``viewcopy._inspect.decide``).
    shares_memory : bool
        The answer of :func:`numpy.shares_memory` (False for every empty
        array, views included); when ``exact`` is False, the answer of
        :func:`numpy.may_share_memory` (bounds overlap), which is not proof
        of sharing.
    exact : bool
        False when the exact overlap problem needed more than ``max_work``
        and the arrays' memory bounds overlap.
    owns_data : bool
        ``result.flags.owndata``.
    base_chain : tuple of str
        ``result.base``, its base, and so on.
    """

    kind: Literal["view", "copy", "undecided"]
    shares_memory: bool
    exact: bool
    owns_data: bool
    base_chain: tuple[str, ...]

    @property
    def base_misleads(self) -> bool:
        """True when ``result.base is None`` would give the wrong answer about sharing."""
        return self.kind in ("view", "copy") and bool(self.base_chain) != (self.kind == "view")

    def __str__(self) -> str:
        if self.exact:
            how = f"shares memory: {self.shares_memory}, exact"
        else:
            how = "memory bounds overlap; the exact check gave up at max_work"
        base = " -> ".join(self.base_chain) or "None"
        return f"{self.kind} ({how}); owns its data: {self.owns_data}; base chain: {base}"


def relation(source: np.ndarray, result: np.ndarray, *, max_work: int | None = DEFAULT_MAX_WORK) -> Relation:
    """Tell whether ``result`` is a view of ``source`` or a copy.

    ``result`` is a view when it reads ``source``'s memory
    (``viewcopy._inspect.decide``): for arrays that hold bytes, when one
    byte or more is both arrays', which :func:`numpy.shares_memory` decides,
    whichever array was made from which.  The answer never comes from ``.base``
    alone: a copy can have a base (``a.T.reshape(-1).base`` is a temporary
    copy) and a view's base need not be the source.  The exact check is
    bounded by ``max_work``; past it NumPy gives up.  Then, if the arrays'
    memory bounds do not overlap, the answer is still a proven ``'copy'``;
    if they do, ``kind`` is ``'undecided'`` (never a guess) and ``exact`` is
    False.  ``max_work=None`` asks for the exact answer however long it
    takes.

    >>> import numpy as np, viewcopy
    >>> a = np.arange(12.0).reshape(3, 4)
    >>> viewcopy.relation(a, a.ravel()).kind
    'view'
    >>> r = viewcopy.relation(a.T, a.T.reshape(-1))
    >>> r.kind, r.base_misleads
    ('copy', True)
    >>> e = np.zeros((0, 3))                      # nothing to share, yet ravel allocates nothing
    >>> viewcopy.relation(e, e.ravel()).kind, viewcopy.relation(e, e.flatten()).kind
    ('view', 'copy')
    >>> v = np.arange(10.0)                       # siblings: overlapping, then disjoint
    >>> viewcopy.relation(v[:5], v[3:]).kind, viewcopy.relation(v[:3], v[5:]).kind
    ('view', 'copy')
    """
    source = require_array(source, "source", "relation")
    result = require_array(result, "result", "relation")
    if max_work is not None:
        if isinstance(max_work, bool) or not isinstance(max_work, (int, np.integer)) or max_work < 1:
            raise ValueError(f"relation() needs max_work to be a positive int or None, got {short_repr(max_work)}")
        max_work = int(max_work)
    kind, shares, exact = decide(source, result, max_work)
    found = Relation(kind, shares, exact, bool(result.flags.owndata), base_chain(result))
    if listening():  # the evidence's words cost more than the answer; only an open claim reads them
        note(f"relation: {found}")
    return found


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where an array's elements sit in memory; returned by :func:`layout`.

    Attributes
    ----------
    shape : tuple of int
        As NumPy reports it.
    strides : tuple of int
        The byte step between neighbours along each axis, as NumPy reports
        it: negative when the axis steps backwards through memory, 0 when it
        repeats one element (a broadcast).  NumPy may report any stride for
        an axis of length 0 or 1, which is never stepped along:
        ``np.arange(3.0)[0:0][::-1].strides`` is ``(8,)``.
    itemsize : int
        Bytes per element.
    c_contiguous : bool
        One unbroken block, read row by row (C order).
    f_contiguous : bool
        One unbroken block, read column by column (Fortran order).
    owns_data : bool
        ``a.flags.owndata``.  Not the opposite of being a view: a copy can
        own no data (``a.T.reshape(-1)`` reads a temporary copy, its base).
    offset : int
        Byte offset of the first element ``a[0, 0, ...]`` from the start of
        the buffer at the end of the base chain (negative strides read
        backwards from there), through views made with ``as_strided`` too;
        for a :class:`numpy.memmap`, from the start of the file.
    """

    shape: tuple[int, ...]
    strides: tuple[int, ...]
    itemsize: int
    c_contiguous: bool
    f_contiguous: bool
    owns_data: bool
    offset: int

    @property
    def order(self) -> str:
        """``'C and F'`` when both contiguity flags are set, else ``'C'``, ``'F'`` or ``'neither'``.

        Both are set for a contiguous 1-D array, an array whose axes but one
        have length 1 (and that one contiguous), and an empty or 0-d array; a
        1-D array with gaps is ``'neither'``.

        >>> import numpy as np, viewcopy
        >>> [viewcopy.layout(x).order for x in (np.arange(10.0), np.arange(10.0)[::2], np.zeros((0, 3)), np.zeros(()))]
        ['C and F', 'neither', 'C and F', 'C and F']
        """
        if self.c_contiguous and self.f_contiguous:
            return "C and F"
        return "C" if self.c_contiguous else "F" if self.f_contiguous else "neither"


def _buffer_start(a: np.ndarray) -> int:
    """Address of the start of the memory ``a`` lies in (for a memmap: of the file)."""
    root, owner = a, a.base
    # follow arrays, and the interface objects as_strided puts between them
    while owner is not None and (isinstance(owner, np.ndarray) or hasattr(owner, "__array_interface__")):
        if isinstance(owner, np.ndarray):
            root = owner
        owner = getattr(owner, "base", None)
    address = root.__array_interface__["data"][0]
    if isinstance(root, np.memmap) and isinstance(getattr(root, "offset", None), int):
        # root starts root.offset bytes into its file
        return address - root.offset
    if owner is not None:  # memory owned by a bytes, mmap, ... object
        with contextlib.suppress(TypeError, ValueError, BufferError):
            address = np.frombuffer(owner, dtype=np.uint8).__array_interface__["data"][0]
    return address


def layout(a: np.ndarray) -> Layout:
    """Describe how ``a`` lies in memory.

    >>> import numpy as np, viewcopy
    >>> a = np.arange(12.0).reshape(3, 4)
    >>> viewcopy.layout(a)
    Layout(shape=(3, 4), strides=(32, 8), itemsize=8, c_contiguous=True, f_contiguous=False, owns_data=False, offset=0)
    >>> viewcopy.layout(a[:, 1:]).offset        # starts one float64 in
    8
    >>> viewcopy.layout(a.T).order
    'F'
    """
    a = require_array(a, "a", "layout")
    offset = a.__array_interface__["data"][0] - _buffer_start(a)
    return Layout(
        shape=a.shape,
        strides=a.strides,
        itemsize=a.itemsize,
        c_contiguous=bool(a.flags.c_contiguous),
        f_contiguous=bool(a.flags.f_contiguous),
        owns_data=bool(a.flags.owndata),
        offset=int(offset),
    )


from . import _predict

Prediction = _predict.Prediction


def _tiles_one_block(pairs: Iterable[tuple[int, int]], itemsize: int) -> bool:
    """True if the (length, stride) pairs, innermost first, step through one gap-free block."""
    expected = itemsize
    for n, stride in pairs:
        if n == 1:  # a length-1 axis is never stepped along: its stride does not matter
            continue
        if stride != expected:
            return False
        expected *= n
    return True


def _contiguous(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int, order: str) -> bool:
    """NumPy's contiguity rule: size-1 axes do not count, an empty array always is."""
    if 0 in shape:
        return True
    pairs = list(zip(shape, strides, strict=True))
    return _tiles_one_block(reversed(pairs) if order == "C" else pairs, itemsize)


def _one_stride(shape: tuple[int, ...], strides: tuple[int, ...], order: str) -> bool:
    """True if the elements, read in ``order``, are equally spaced in memory."""
    axes = [(n, s) for n, s in zip(shape, strides, strict=False) if n != 1]
    if order == "F":
        axes.reverse()
    return all(s == n_next * s_next for (_, s), (n_next, s_next) in itertools.pairwise(axes))


def _contiguous_in_some_axis_order(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int) -> bool:
    """Positive strides that, sorted, tile one block: ravel(order='K') can view that."""
    return _tiles_one_block(sorted(zip(shape, strides, strict=True), key=lambda p: abs(p[1])), itemsize)


_OLD_FORM = object()


def predict(a: np.ndarray, expression: str, order: Any = _OLD_FORM) -> Prediction:
    """Predict whether ``expression`` returns a view or a copy of ``a``, and its layout, from ``a``'s layout alone.

    ``expression`` is Python in ``a`` and ``np``, as a reader would write it:
    ``"a.reshape(-1, order='F')"``, ``"np.swapaxes(a, 0, 1)"``, a chain such
    as ``"a.T[::2].reshape(-1)"``.  It is parsed, never run: each step is
    simulated on the shape, strides, dtype and flags, by NumPy's own rules,
    so the answer for a chain composes.  Every expression of the site's
    atlas is answered, and checked against NumPy on the arrays of
    :func:`viewcopy.claims.layouts` the entry applies to, under each release
    of the site's matrix.

    The result's ``shape``, ``strides``, ``writeable`` and ``order`` are
    given where the layout decides them (for the views of the atlas's
    entries).  ``ValueError`` says so when predict finds NumPy would raise
    on this array, or when the expression is not one predict reads.  On
    arrays an atlas entry does not apply to (a 0-d array in ``np.tril``),
    predict can answer where NumPy raises, and the reverse.

    The old form ``predict(a, "ravel" | "flatten" | "reshape(-1)", order)``
    still works.

    >>> import numpy as np, viewcopy
    >>> a = np.arange(12.0).reshape(3, 4)
    >>> p = viewcopy.predict(a, "a[:, :1].T.reshape(-1)")     # a chain: each step from the last
    >>> p.kind, p.shape, p.strides
    ('view', (3,), (32,))
    >>> viewcopy.predict(a, "a.T.reshape(-1)").kind
    'copy'
    >>> viewcopy.predict(a.T, "a.ravel(order='K')").order
    'C and F'
    >>> print(viewcopy.predict(a.T, "ravel", order="K"))      # the old form
    view: F-contiguous, so the F-order sequence is the buffer itself
    """
    a = require_array(a, "a", "predict")
    if not isinstance(expression, str):
        raise TypeError(
            f'predict() takes the expression as a string, such as "a.T.reshape(-1)", got {short_repr(expression)}'
        )
    if expression.strip() in (*OPS, "reshape"):
        return _predict_old(a, expression.strip(), "C" if order is _OLD_FORM else order)
    if expression.strip().isidentifier():  # an op name, as the old form takes: say what both forms take
        name = expression.strip()
        raise ValueError(
            f"predict() knows the ops {', '.join(map(repr, OPS))} in its old form, got {name!r}; "
            f'the new form takes an expression: predict(a, "a.{name}()")'
        )
    if order is not _OLD_FORM:
        raise TypeError(
            f"predict(a, expression) takes no order=: write it into the expression, as in "
            f'predict(a, "a.ravel(order={order!r})")'
        )
    if not any(ch.isalpha() for ch in expression) or "a" not in expression:
        raise ValueError(
            f'predict() takes an expression in `a` such as "a.T.reshape(-1)" (the old form knows the ops '
            f"{', '.join(map(repr, OPS))}), got {short_repr(expression)}"
        )
    try:
        return _predict.predict_expression(a, expression)
    except ValueError as error:
        if expression.isidentifier():
            raise ValueError(
                f"{error}; the old form knows the ops {', '.join(map(repr, OPS))}, the new one takes an "
                f'expression such as "a.{expression}()"'
            ) from None
        raise


def _predict_old(a: np.ndarray, op: str, order: str | None) -> Prediction:
    """The first form, ``predict(a, "ravel", order="K")``, with its own reasons (pages quote them)."""
    a = require_array(a, "a", "predict")
    op = "reshape(-1)" if op == "reshape" else op
    if op not in OPS:
        raise ValueError(f"predict() knows the ops {', '.join(map(repr, OPS))}, got {short_repr(op)}")
    if order is None:
        order = "C"  # what NumPy's ravel, flatten and reshape do with order=None
    if not isinstance(order, str) or order.upper() not in ORDERS:
        raise ValueError(f"order must be one of 'C', 'F', 'A', 'K' or None, got {short_repr(order)}")
    order = order.upper()
    if op == "flatten":
        return Prediction("copy", "flatten always allocates a new array")
    if op == "reshape(-1)" and order == "K":
        raise ValueError("NumPy rejects reshape(..., order='K'): use 'C', 'F' or 'A', or ravel(order='K')")

    shape, strides, itemsize = a.shape, a.strides, a.itemsize
    c_contig = _contiguous(shape, strides, itemsize, "C")
    f_contig = _contiguous(shape, strides, itemsize, "F")
    if order == "A":
        order = "F" if f_contig and not c_contig else "C"
    elif order == "K" and (c_contig or f_contig):
        order = "C" if c_contig else "F"

    if (order == "C" and c_contig) or (order == "F" and f_contig):
        name = "C" if order == "C" else "F"
        return Prediction("view", f"{name}-contiguous, so the {name}-order sequence is the buffer itself")
    if op == "ravel" and order == "K":
        if _contiguous_in_some_axis_order(shape, strides, itemsize):
            return Prediction("view", f"strides {strides} tile one block in some axis order, which order='K' follows")
        return Prediction("copy", f"strides {strides} have gaps, overlaps or negative steps: no single block")
    if op == "reshape(-1)":
        if a.ndim == 1:
            return Prediction("view", "the shape does not change, so reshape returns a view")
        if _one_stride(shape, strides, order):
            return Prediction(
                "view",
                f"read in {order} order the elements are equally spaced (strides {strides}): one stride walks them",
            )
        return Prediction("copy", f"read in {order} order the elements are not equally spaced (strides {strides})")
    return Prediction(
        "copy", f"not {order}-contiguous (strides {strides}), and ravel views only a contiguous {order}-order buffer"
    )
