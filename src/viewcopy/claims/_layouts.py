"""Families of array layouts: many small arrays, each named, to test a rule on all of them."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .._evidence import listeners, note

DEFAULT_DTYPES = ("float64", "int8", "complex128")
"""Three item sizes (8, 1 and 16 bytes), so a rule about strides meets more than one."""

_SHAPES = {  # per dimensionality: empty, length-1 and ordinary axes
    0: [()],
    1: [(0,), (1,), (7,)],
    2: [(0, 3), (1, 5), (5, 1), (4, 6)],
    3: [(2, 0, 3), (1, 4, 1), (3, 4, 5)],
    4: [(1, 3, 1, 2), (2, 3, 4, 5)],
}


@dataclasses.dataclass(frozen=True)
class Case:
    """One array of a family, with a name that says how it was made.

    The name reads ``dtype (base shape) order steps``: ``"float64 (4,6) C
    [::-1, :] T"`` is a C-ordered 4x6 ``float64`` buffer, reversed along its
    rows, then transposed. Two cases are equal when their names are.
    """

    name: str
    array: np.ndarray = dataclasses.field(compare=False, repr=False)

    def __str__(self) -> str:
        return self.name


def _index(ndim: int, axis: int, item: slice | None) -> tuple[Any, ...]:
    index: list[Any] = [slice(None)] * ndim
    index[axis] = item
    return tuple(index)


def _show(index: tuple[Any, ...]) -> str:
    def one(item: Any) -> str:
        if item is None:
            return "None"
        start = "" if item.start is None else str(item.start)
        stop = "" if item.stop is None else str(item.stop)
        step = "" if item.step is None else f":{item.step}"
        return f"{start}:{stop}{step}"

    return "[" + ", ".join(one(i) for i in index) + "]"


def _steps(shape: tuple[int, ...]) -> list[tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    """The views made of one base array: (how to write it, how to make it)."""
    nd = len(shape)
    steps: list[tuple[str, Callable[[np.ndarray], np.ndarray]]] = [("", lambda a: a)]
    if nd == 0:
        steps.append(("[None]", lambda a: a[None]))
        return steps
    last = nd - 1
    for axis in sorted({0, last}):
        for item in (slice(None, None, 2), slice(None, None, -1), slice(1, None), slice(None, 1)):
            index = _index(nd, axis, item)
            steps.append((_show(index), lambda a, i=index: a[i]))
    if nd >= 2:
        both = tuple(slice(None, None, -1) for _ in shape)
        steps.append((_show(both), lambda a, i=both: a[i]))
        steps.append(("T", lambda a: a.T))
        every_other = _index(nd, 0, slice(None, None, 2))
        steps.append((_show(every_other) + " T", lambda a, i=every_other: a[i].T))
    if nd >= 3:
        for axes in [(1, 0, *range(2, nd)), (*range(nd - 2), last, last - 1), (last, *range(last))]:
            steps.append((f"transpose{axes}".replace(" ", ""), lambda a, p=axes: a.transpose(p)))
    middle = tuple([slice(None)] * (nd // 2) + [None] + [slice(None)] * (nd - nd // 2))
    steps.append((_show(middle), lambda a, i=middle: a[i]))  # a new length-1 axis
    return steps


def _broadcasts(shape: tuple[int, ...]) -> list[tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    """Zero-stride views from :func:`numpy.broadcast_to` (read-only, as NumPy makes them)."""
    nd = len(shape)
    if nd == 0:
        return [("broadcast to (5,)", lambda a: np.broadcast_to(a, (5,)))]
    out = []
    if shape[0] != 1:
        first = _index(nd, 0, slice(None, 1))
        out.append((f"{_show(first)} broadcast to {_fmt(shape)}", lambda a, i=first: np.broadcast_to(a[i], a.shape)))
    out.append((f"broadcast to {_fmt((3, *shape))}", lambda a: np.broadcast_to(a, (3, *a.shape))))
    return out


def _fmt(shape: tuple[int, ...]) -> str:
    return "(" + ",".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _signature(a: np.ndarray) -> tuple[Any, ...]:
    return (a.dtype.str, a.shape, a.strides, a.flags.writeable, _offset(a))


def _offset(a: np.ndarray) -> int:
    """Byte offset of the first element from the start of the buffer that owns it."""
    owner = a
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    return a.__array_interface__["data"][0] - owner.__array_interface__["data"][0]


def layouts(
    *,
    ndim: int | Iterable[int] = range(5),
    dtypes: Iterable[Any] = DEFAULT_DTYPES,
    seed: int = 0,
    where: Callable[[np.ndarray], bool] | None = None,
) -> list[Case]:
    """A reproducible family of small arrays in many memory layouts, each named.

    For every dimensionality in ``ndim`` and every dtype in ``dtypes`` it
    builds C- and F-ordered base arrays (with length-0 and length-1 axes among
    the shapes) and views of them: step slices, negative strides, offset
    sub-blocks, transposes and other axis permutations, inserted length-1
    axes, zero-stride broadcasts (:func:`numpy.broadcast_to`), and read-only
    copies. Arrays with the same dtype, shape, strides, offset and
    writeability are listed once, under the first name.

    Use it to check a rule on every layout rather than on one array, in a
    claim (``for case in c.over(viewcopy.claims.layouts())``) or in your own tests.

    Parameters
    ----------
    ndim : int or list of int
        Dimensionalities of the arrays returned, from 0 to 4. Default: all.
    dtypes : list of numpy.dtype
        Element types (names such as ``"int8"`` work); the default has item
        sizes 8, 1 and 16 bytes.
    seed : int
        Seed of the values (a shuffled ``arange``, so elements differ where the
        dtype allows). The same arguments give the same names and values.
    where : collections.abc.Callable or None
        Keep only the arrays for which ``where(array)`` is true.

    Returns
    -------
    list of Case
        Each with a ``name`` such as ``"float64 (4,6) F [::-1, :]"`` and the
        ``array``. The arrays are fresh on every call: change them freely.

    Examples
    --------
    >>> import numpy as np, viewcopy, viewcopy.claims
    >>> cases = viewcopy.claims.layouts()
    >>> len(cases) >= 50, len({c.name for c in cases}) == len(cases)
    (True, True)
    >>> [c.name for c in viewcopy.claims.layouts(ndim=2, dtypes=["int8"])][:3]
    ['int8 (0,) C [None, :]', 'int8 (0,) C broadcast to (3,0)', 'int8 (1,) C [None, :]']
    >>> f_only = viewcopy.claims.layouts(where=lambda a: a.flags.f_contiguous and a.ndim > 1)
    >>> all(viewcopy.relation(c.array, c.array.ravel("F")).kind == "view" for c in f_only)
    True
    """
    dims = [ndim] if isinstance(ndim, (int, np.integer)) else list(ndim)
    for d in dims:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d not in _SHAPES:
            raise ValueError(f"layouts(ndim=...) takes dimensionalities from 0 to 4, got {d!r}")
    kinds = []
    for dtype in [dtypes] if isinstance(dtypes, (str, type, np.dtype)) else list(dtypes):
        try:
            kinds.append(np.dtype(dtype))
        except TypeError as error:
            raise TypeError(f"layouts(dtypes=...) takes NumPy dtypes such as 'float64', got {dtype!r}") from error
    if not kinds:
        raise ValueError("layouts(dtypes=...) needs at least one dtype")
    if where is not None and not callable(where):
        raise TypeError(f"layouts(where=...) takes a function of the array returning a bool, got {where!r}")
    made: list[tuple[str, np.ndarray]] = []
    for dtype in kinds:
        for nd, shapes in _SHAPES.items():
            for k, shape in enumerate(shapes):
                size = int(np.prod(shape))
                values = np.asarray(np.random.default_rng((seed, nd, k)).permutation(size).reshape(shape) % 100)
                if dtype.kind == "c":
                    values = values + 1j * (99 - values)
                for order in ("C", "F") if nd >= 2 else ("C",):
                    for step, make in _steps(shape) + _broadcasts(shape):
                        base = np.array(values, dtype=dtype, order=order)
                        name = f"{dtype.name} {_fmt(shape)} {order} {step}".rstrip()
                        made.append((name, make(base)))
                        if step in ("", "T") or step.startswith("[::-1"):  # a read-only twin of a few
                            frozen = make(np.array(values, dtype=dtype, order=order))
                            frozen.flags.writeable = False
                            made.append((name + " readonly", frozen))
    # one case per distinct layout; a plain base array keeps its own name
    first: dict[tuple[Any, ...], int] = {}
    for i in sorted(range(len(made)), key=lambda i: made[i][0].count(" ") > 2):
        first.setdefault(_signature(made[i][1]), i)
    keep = sorted(i for i in first.values() if made[i][1].ndim in dims)
    return [Case(*made[i]) for i in keep if where is None or where(made[i][1])]


@functools.cache
def _family_names() -> frozenset[str]:
    return frozenset(case.name for case in layouts())


@dataclasses.dataclass(frozen=True)
class Search:
    """What a search of a family for counterexamples to a rule found.

    Attributes
    ----------
    rule : str
        The statement searched, as a sentence.
    results : tuple of (Case, bool)
        Each case searched, with whether the rule held on it.
    """

    rule: str
    results: tuple[tuple[Case, bool], ...] = dataclasses.field(repr=False)

    @property
    def counterexamples(self) -> tuple[Case, ...]:
        """The cases on which the rule did not hold, in the family's order."""
        return tuple(case for case, held in self.results if not held)

    @property
    def holds(self) -> bool:
        """True if no case is a counterexample."""
        return not self.counterexamples

    @property
    def verdict(self) -> str:
        """``"holds on all 858 layouts"`` or ``"fails on 12 of 858 layouts"``, from the results.

        "layouts" when every case is one of the default :func:`layouts` family, "arrays" when others were
        searched too (then the count is not the family's).
        """
        n, bad = len(self.results), len(self.counterexamples)
        noun = "layouts" if all(case.name in _family_names() for case, _ in self.results) else "arrays"
        return f"holds on all {n:,} {noun}" if not bad else f"fails on {bad:,} of {n:,} {noun}"

    def boundary(self, k: int = 3) -> tuple[Case, ...]:
        """Up to ``k`` counterexamples: the smallest non-empty ones first, each of another dimensionality if possible."""
        ranked = sorted(self.counterexamples, key=lambda c: (c.array.size == 0, c.array.size, c.array.ndim))
        picked: list[Case] = []
        for case in ranked:  # first one per dimensionality, then fill up
            if len(picked) < k and all(p.array.ndim != case.array.ndim for p in picked):
                picked.append(case)
        picked += [c for c in ranked if c not in picked][: k - len(picked)]
        return tuple(picked)

    def exactly_when(self, conditions: dict[str, Callable[[np.ndarray], bool]]) -> When:
        """Check every candidate condition against the search: the one true exactly where the rule held, and why the others are not.

        Every candidate is run on every case searched; none is skipped.  The
        answer is the one candidate that agrees with the rule on every case;
        each other candidate is rejected with a case where it disagrees (its
        counterexample), so a page can show why.  Raise :class:`ValueError`
        when no candidate agrees everywhere (naming a counterexample for each)
        or when more than one does (the family cannot tell them apart: say
        which one, or search a larger family).

        >>> import numpy as np, viewcopy, viewcopy.claims
        >>> s = viewcopy.claims.search(lambda a: a.flags.c_contiguous or a.size == 0, viewcopy.claims.layouts(), about="C or empty")
        >>> when = s.exactly_when({"the array is C-contiguous": lambda a: a.flags.c_contiguous,
        ...                        "the array is 1-D": lambda a: a.ndim == 1})
        >>> when.condition
        'the array is C-contiguous'
        >>> [(text, case.name) for text, case in when.rejected]
        [('the array is 1-D', 'float64 () C')]
        """
        if not isinstance(conditions, dict) or not conditions:
            raise TypeError("exactly_when() takes a dict of candidate conditions: {'sentence': function of the array}")
        right, rejected = [], []
        for text, condition in conditions.items():
            wrong = next((c for c, held in self.results if bool(condition(c.array)) != held), None)
            if wrong is None:
                right.append(text)
            else:
                rejected.append((text, wrong))
        if not right:
            misses = "; ".join(f"{text!r} is wrong for {case.name}" for text, case in rejected)
            raise ValueError(f"no condition matches {self.rule!r} on every case: {misses}")
        if len(right) > 1:
            raise ValueError(
                f"{len(right)} conditions match {self.rule!r} on every case searched ({', '.join(map(repr, right))}): "
                "the family cannot tell them apart; keep one, or search a family where they differ"
            )
        return When(self.rule, right[0], tuple(rejected))

    def __str__(self) -> str:
        found = ", ".join(c.name for c in self.boundary())
        return f"{self.rule}: {self.verdict}" + (f" (e.g. {found})" if found else "")


@dataclasses.dataclass(frozen=True)
class When:
    """What :meth:`Search.exactly_when` found: the condition, and each rejected candidate with its counterexample.

    ``str(when)`` is the condition, to write into a sentence.
    """

    rule: str
    condition: str
    rejected: tuple[tuple[str, Case], ...] = ()

    def __str__(self) -> str:
        return self.condition

    def lines(self) -> list[str]:
        """One line per candidate: the one kept, then each rejected one with the case that refutes it."""
        kept = [f"kept:     {self.condition!r} (true exactly where {self.rule!r} held)"]
        return kept + [f"rejected: {text!r}, wrong for {case.name}" for text, case in self.rejected]


def search(rule: Callable[[np.ndarray], bool], cases: Iterable[Case], *, about: str) -> Search:
    """Run ``rule(array)`` on every case and keep the cases where it is false.

    ``about`` is the rule as a sentence. Pass a claim's ``c.over(cases)`` as
    ``cases`` to count the cases searched in the claim. An exception in
    ``rule`` propagates, naming the case.  The checks ``rule`` runs add no
    evidence to an open claim; the search adds its verdict.

    >>> import numpy as np, viewcopy, viewcopy.claims
    >>> s = viewcopy.claims.search(lambda a: viewcopy.relation(a, a.ravel()).kind == "view", viewcopy.claims.layouts(),
    ...                     about="ravel() returns a view")
    >>> s.verdict
    'fails on 459 of 858 layouts'
    >>> print(s.exactly_when({"the array is C-contiguous": lambda a: a.flags.c_contiguous,
    ...                       "the array is C-contiguous and not empty": lambda a: a.flags.c_contiguous and a.size > 0}))
    the array is C-contiguous
    """
    if not callable(rule):
        raise TypeError(f"search() needs a function of the array returning a bool, got {rule!r}")
    results = []
    for case in cases:
        if not isinstance(case, Case):
            raise TypeError(f"search() takes cases from viewcopy.claims.layouts(), got {type(case).__name__}")
        quiet = listeners.set(())  # the search's evidence is its verdict, not each case's checks
        try:
            held = bool(rule(case.array))
        except Exception as error:
            error.add_note(f"while searching {about!r} on {case.name}")
            raise
        finally:
            listeners.reset(quiet)
        results.append((case, held))
    found = Search(about, tuple(results))
    note(f"search: {found}")
    return found
