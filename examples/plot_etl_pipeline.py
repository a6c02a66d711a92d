"""
The ETL case: where a pipeline's memory goes, step by step
==========================================================

A CSV of sensor readings is parsed into a table, four feature columns are
picked, laid out column after column for a model, and standardised. Written
the obvious way, in a step its author believed cheap:
:claim:`etl-guard-finds-hidden-copy`; and
:claim:`etl-obvious-standardise-peak`. Written carefully:
:claim:`etl-both-copy-the-features`; and
:claim:`etl-careful-standardise-in-place`. This page measures both pipelines
step by step: :claim:`etl-careful-peak-lower`.
"""

# %%
# The data: CSV-shaped, generated here
# ------------------------------------
# A few lines of real CSV text show the format; the full table has the same
# columns, generated directly (parsing hundreds of megabytes of text would
# only slow the build down). The table is laid out row after row, as
# :func:`numpy.loadtxt` laid out the sample above (a pandas frame's
# ``to_numpy()`` need not be: see :doc:`plot_boundary_csv_pandas`):
# :claim:`etl-table-c-ordered-like-loadtxt`.
import io
import logging
import os
import sys

import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim, layouts

N = 100_000_000 if os.environ.get("VIEWCOPY_FULL_SCALE") else 10_000_000
COLUMNS = ["id", "temp", "pressure", "humidity", "wind", "lat", "lon", "flags"]
FEATURES = [1, 2, 3, 4]
rng = np.random.default_rng(42)

sample = "\n".join(",".join(f"{v:.3f}" for v in row) for row in rng.random((3, len(COLUMNS))))
print(",".join(COLUMNS))
print(sample)
parsed = np.loadtxt(io.StringIO(sample), delimiter=",")
print("parsed:", parsed.shape)

table = rng.random((N // len(COLUMNS), len(COLUMNS)))
with claim(
    "etl-table-c-ordered-like-loadtxt",
    "the generated table and np.loadtxt's parse of the sample are both C-contiguous and not F-contiguous",
) as c:
    for name, x in {"table": table, "np.loadtxt(sample)": parsed}.items():
        c.check(
            x.flags.c_contiguous and not x.flags.f_contiguous,
            f"{name} {x.shape}: C-contiguous {x.flags.c_contiguous}, F-contiguous {x.flags.f_contiguous}",
        )
print(f"NumPy {np.__version__}; table {table.shape} float64, {viewcopy.format_bytes(table.nbytes)}")

logging.basicConfig(stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s", force=True)

# %%
# The obvious pipeline
# --------------------
# The two reshaping steps are guarded by :func:`viewcopy.log_copies`,
# because the author believed they were cheap; the standardising step,
# which is arithmetic, is not.


@viewcopy.log_copies("select features")
def select_features(t):
    return t[:, FEATURES]  # a list of columns: fancy indexing


@viewcopy.log_copies("columns first")
def columns_first(x):
    return x.T.ravel()  # C order of a transposed array


def standardise(v):
    return (v - v.mean()) / v.std()  # two full-size temporaries


OBVIOUS = [("select", select_features), ("column-major", columns_first), ("standardise", standardise)]

# %%
# Only the selection is logged. The author expected ``columns_first`` to be
# the costly step. :claim:`fancy-columns-come-back-f-ordered`
# (:term:`fancy indexing`); and :claim:`etl-columns-first-free`. That is a property of NumPy's indexing machinery, measured here, not
# a promise of its documentation; a guard is how you would notice if it
# changed.
with claim(
    "fancy-columns-come-back-f-ordered",
    "for this C-ordered 2-D table, t[:, list_of_columns] returns a Fortran-ordered array",
) as c:
    picked = table[:, FEATURES]
    c.check(
        picked.flags.f_contiguous and not picked.flags.c_contiguous,
        "picked.flags.f_contiguous and not picked.flags.c_contiguous",
    )
    viewcopy.expect_view(picked.T, picked.T.ravel())
with claim(
    "etl-columns-first-free",
    "for this table, table[:, FEATURES].T is C-contiguous and its ravel() is a view that allocates nothing",
) as c:
    c.check(picked.T.flags.c_contiguous, f"table[:, FEATURES].T: C-contiguous {picked.T.flags.c_contiguous}")
    with viewcopy.track() as flattening:
        viewcopy.expect_view(picked.T, picked.T.ravel())
    c.check(flattening.allocated_bytes == flattening.peak_bytes == 0, f"ravel(): {flattening}")
print("table[:, FEATURES]:", viewcopy.layout(picked))
del picked

# %%
# It is not a rule of fancy indexing: with a third axis, the same kind of
# selection comes back in neither order.
cube = np.zeros((4, 3, 5))
with claim(
    "fancy-columns-3d-neither-order",
    "for cube, this C-ordered 3-D array, cube[:, [1, 2]] is neither C- nor F-contiguous",
) as c:
    picked3 = cube[:, [1, 2]]
    c.check(
        not picked3.flags.c_contiguous and not picked3.flags.f_contiguous,
        f"{viewcopy.layout(picked3)!s}: not picked3.flags.c_contiguous and not picked3.flags.f_contiguous",
    )
print("cube[:, [1, 2]]:", viewcopy.layout(picked3))

# %%
# The careful pipeline
# --------------------
# Adjacent columns, over the site's :term:`family`:
# :claim:`etl-adjacent-columns-view`. The features column after column, as
# the model needs them: ``ravel(order='F')``, checked with
# :func:`viewcopy.expect_copy`. Scaling then works on that result in place
# (measured below).
with claim(
    "etl-adjacent-columns-view",
    f"for the {len(layouts(ndim=range(2, 5)))} layouts of the family with two axes or more, a[:, :2], a slice of "
    "adjacent columns, is a view that allocates nothing",
) as c:
    for case in c.over(layouts(ndim=range(2, 5))):
        with viewcopy.track() as slicing:
            columns = case.array[:, :2]
        c.check(
            viewcopy.relation(case.array, columns).kind == "view" and slicing.allocated_bytes == 0,
            f"{case.name}: {viewcopy.relation(case.array, columns).kind}, {slicing.allocated_bytes} B",
        )
    del columns


def select_slice(t):
    return viewcopy.expect_view(t, t[:, FEATURES[0] : FEATURES[-1] + 1])


def columns_first_once(x):
    return viewcopy.expect_copy(x, x.ravel(order="F"))


def standardise_in_place(v):
    v -= v.mean()
    v /= np.sqrt(np.dot(v, v) / v.size)  # v.std() would allocate a temporary as large as v
    return v


CAREFUL = [("select", select_slice), ("column-major", columns_first_once), ("standardise", standardise_in_place)]

# %%
# Run both, step by step
# ----------------------
# Inside an outer :func:`viewcopy.track`, each step is tracked on its own:
# the timeline adds each step's ``allocated_bytes - freed_bytes`` to what is
# alive, and its ``peak_bytes`` to what was alive before it for the step's
# highest point.


def run(steps):
    alive = table.nbytes
    timeline = [("load", alive, alive)]
    x = table
    with viewcopy.track():
        for name, step in steps:
            with viewcopy.track() as t:
                x = step(x)
            timeline.append((name, alive + t.allocated_bytes - t.freed_bytes, alive + t.peak_bytes))
            alive += t.allocated_bytes - t.freed_bytes
    return x, timeline


logged = []  # keep the guard's records as well, to check them
collector = logging.Handler()
collector.emit = logged.append
logging.getLogger("viewcopy").addHandler(collector)

print("-- obvious pipeline (the guard's log):")
obvious_result, obvious = run(OBVIOUS)
print("-- careful pipeline (nothing to log):")
with claim("etl-careful-copies-once", "the careful pipeline selects by view and copies exactly once"):
    careful_result, careful = run(CAREFUL)

with claim("etl-guard-finds-hidden-copy", "log_copies flags the fancy-indexed column selection as a copy") as c:
    c.check(
        [record.viewcopy_step for record in logged] == ["select features"],
        f'[record.viewcopy_step for record in logged] == ["select features"] ({[record.viewcopy_step for record in logged]=!s})',
    )
    c.check(
        logged[0].viewcopy_bytes == table.nbytes * len(FEATURES) // len(COLUMNS),
        f"logged[0].viewcopy_bytes == table.nbytes * len(FEATURES) // len(COLUMNS) ({logged[0].viewcopy_bytes=!s}, {table.nbytes * len(FEATURES) // len(COLUMNS)=!s})",
    )

with claim("etl-same-result", "both pipelines produce the same standardised features") as c:
    c.check(np.allclose(obvious_result, careful_result), "np.allclose(obvious_result, careful_result)")


def step_of(timeline, name):
    return next(step for step in timeline if step[0] == name)


def allocated(timeline):
    """Bytes each step added to what is alive (a step's net allocation)."""
    return {name: alive - before for (name, alive, _), (_, before, _) in zip(timeline[1:], timeline, strict=False)}


obvious_peak = max(peak for _, _, peak in obvious)
careful_peak = max(peak for _, _, peak in careful)
features_bytes = table.nbytes * len(FEATURES) // len(COLUMNS)
with claim(
    "etl-both-copy-the-features",
    "each pipeline leaves the features' bytes allocated once, net of what its steps free: the obvious one when "
    "selecting, the careful one when laying them out column-major",
) as c:
    c.check(
        allocated(obvious)["select"] == features_bytes,
        f'allocated(obvious)["select"] == features_bytes ({allocated(obvious)["select"]=!s}, {features_bytes=!s})',
    )
    c.check(allocated(careful)["select"] == 0, f'allocated(careful)["select"] == 0 ({allocated(careful)["select"]=!s})')
    c.check(
        allocated(careful)["column-major"] == features_bytes,
        f'allocated(careful)["column-major"] == features_bytes ({allocated(careful)["column-major"]=!s}, {features_bytes=!s})',
    )
with claim(
    "etl-careful-peak-lower", "the careful pipeline's peak is lower, and the difference is made at the standardise step"
) as c:
    c.check(careful_peak < obvious_peak, f"careful_peak < obvious_peak ({careful_peak=!s}, {obvious_peak=!s})")
    steps_before = [peak for name, _, peak in obvious if name != "standardise"]
    # before standardising, the two peaks agree to within 1% of the table (a few Python objects)
    c.check(
        abs(max(steps_before) - careful_peak) < table.nbytes / 100,
        f"{steps_before!s}, {careful_peak!s}: abs(max(steps_before) - careful_peak) < table.nbytes / 100 ({abs(max(steps_before) - careful_peak)=!s}, {table.nbytes / 100=!s})",
    )
    c.check(
        step_of(obvious, "standardise")[2] == obvious_peak,
        f'step_of(obvious, "standardise")[2] == obvious_peak ({step_of(obvious, "standardise")[2]=!s}, {obvious_peak=!s})',
    )
extra = step_of(obvious, "standardise")[2] - step_of(obvious, "standardise")[1]
with claim(
    "etl-obvious-standardise-peak",
    f"in the obvious pipeline, the standardise step peaked {viewcopy.format_bytes(extra)} above what was alive "
    f"after it, twice the features' {viewcopy.format_bytes(features_bytes)}",
) as c:
    c.check(
        2 * features_bytes <= extra < 2 * features_bytes + 4096,
        f"{extra:,} B above; the features {features_bytes:,} B",
    )
standardised, before = step_of(careful, "standardise"), step_of(careful, "column-major")
with claim(
    "etl-careful-standardise-in-place",
    f"the careful pipeline's standardise step left NumPy memory unchanged on net and peaked, in this run, "
    f"{standardised[2] - before[1]} B above it (at most 64 B): the scaling works in place",
) as c:
    c.check(
        standardised[1] == before[1] and standardised[2] - before[1] <= 64,
        f"alive {before[1]:,} B -> {standardised[1]:,} B; peak {standardised[2]:,} B",
    )
for (name, alive, peak), (_, alive2, peak2) in zip(obvious, careful, strict=True):
    print(
        f"{name:13} obvious: alive {viewcopy.format_bytes(alive):>9} peak {viewcopy.format_bytes(peak):>9} | "
        f"careful: alive {viewcopy.format_bytes(alive2):>9} peak {viewcopy.format_bytes(peak2):>9}"
    )
print(
    f"both pipelines copy the features once ({viewcopy.format_bytes(features_bytes)}): the copy moved, it was not "
    f"removed; peaks {viewcopy.format_bytes(obvious_peak)} vs {viewcopy.format_bytes(careful_peak)}, "
    f"{viewcopy.format_bytes(obvious_peak - careful_peak)} apart, all of it at the standardise step, where the obvious "
    f"pipeline's temporaries took {viewcopy.format_bytes(extra)} above what stays alive"
)

# %%
# The figure
# ----------
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
steps = [name for name, _, _ in obvious]
for timeline, label, colour in [(obvious, "obvious", "#e76f51"), (careful, "careful", "#2a9d8f")]:
    alive = [a / 1e6 for _, a, _ in timeline]
    peaks = [p / 1e6 for _, _, p in timeline]
    ax.plot(steps, alive, marker="o", color=colour, label=f"{label}: NumPy memory alive after the step")
    ax.plot(steps, peaks, linestyle=":", marker="^", color=colour, label=f"{label}: peak during the step")
    top = int(np.argmax(peaks))
    ax.annotate(f"peak {viewcopy.format_bytes(int(peaks[top] * 1e6))}", (top, peaks[top]), textcoords="offset points",
                xytext=(-70, 8), color=colour, fontsize=8, weight="bold")  # fmt: skip
ax.set_ylabel("MB of NumPy buffers (viewcopy.track)")
ax.set_ylim(0, obvious_peak / 1e6 * 1.2)
ax.margins(x=0.08)
ax.tick_params(axis="x", labelsize=8)
ax.set_title("NumPy memory over the pipeline's steps")
ax.legend(fontsize=7, loc="lower right")
plt.show()
