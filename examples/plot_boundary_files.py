"""
Boundary: memory-mapped files, which operations stay on the file
================================================================

``np.load(path, mmap_mode=...)`` and ``np.memmap`` map a file into memory
instead of reading it: the array's buffer *is* the file, and the kernel
maps a page of it into the process only when something touches it (from its
page cache, reading the page from disk first if it is not cached; a file
just written, as here, usually is). Those pages are file-backed: the kernel
can drop them and read them again. A result built from the mapping, on the
other hand, is ordinary anonymous memory
(:claim:`files-whole-copies-into-ram`).

So this page measures with the **kernel's resident counts** (Linux):
``RssAnon``, the process's anonymous memory (``/proc/self/status``), and
the pages of the file mapped into this process (``Rss`` of its mappings in
``/proc/self/smaps``), called ``RssFile`` below. On this page, an operation
*reads* the file when it maps the file's pages into the process, and the
file's *resident* pages are those mapped pages; whether the kernel had to go
to disk for them is not measured. In mode ``'c'``, the pages written are
private to the process and still count in the mapping's ``Rss``. :func:`viewcopy.track`
sees what NumPy builds in RAM, not the mapping:
:claim:`files-load-mmap-reads-nothing`. Each claim names the operation checked, on a
float64 ``.npy`` file written at build time.
"""

# %%
import ctypes
import gc
import mmap
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np

import viewcopy
from viewcopy.claims import claim

ROWS, WIDTH = (100_000, 1000) if os.environ.get("VIEWCOPY_FULL_SCALE") else (5_000, 1000)
PAGE = mmap.PAGESIZE
_libc = ctypes.CDLL(None)
print(f"NumPy {np.__version__}, page size {PAGE} B")


# Why this page reads /proc itself rather than viewcopy.track(resident=True): that meter is the rise of the
# process's resident high-water mark (VmHWM), one figure that adds the file's pages to the process's own and
# counts only a peak. Here the two must be told apart (RssAnon against the mapped file's own Rss in smaps), and
# own_pages() below asks page by page whether one buffer is resident and anonymous (/proc/self/pagemap):
# what track cannot see. NumPy's handler (plain viewcopy.track) counts only what NumPy allocates, never the
# mapping, which np.load and np.memmap get from mmap.
MAPPED = set()  # the files this page maps: their pages are counted as "RssFile" below


def resident():
    """RssAnon (the process's own memory) and RssFile (resident pages of this page's mapped files), in bytes.

    Linux only: RssAnon from /proc/self/status, the files' pages from /proc/self/smaps (the process-wide RssFile
    would count shared libraries' code too).
    """
    counts = {"RssAnon": 0, "RssFile": 0}
    with open("/proc/self/status") as status:
        counts["RssAnon"] = next(int(line.split()[1]) * 1024 for line in status if line.startswith("RssAnon:"))
    mapping = None
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):  # a mapping's header: address range, ..., path
                mapping = fields[5] if len(fields) > 5 else None
            elif fields[0] == "Rss:" and mapping in MAPPED:
                counts["RssFile"] += int(fields[1]) * 1024
    return counts


def measured(call):
    """(call(), its rise in anonymous and file-backed resident memory, what viewcopy.track saw).

    Memory freed earlier but still resident would be reused unseen: malloc_trim hands it back to the system first.
    """
    gc.collect()
    _libc.malloc_trim(0)
    before = resident()
    with viewcopy.track() as numpy_seen:
        result = call()
    after = resident()
    return result, {key: after[key] - before[key] for key in after}, numpy_seen


def own_pages(array):
    """The pages wholly inside the array's buffer, from /proc/self/pagemap: how many, how many resident, and how
    many of those are anonymous (not a file's). Unlike RssAnon, no other allocation of the process moves it."""
    low = array.__array_interface__["data"][0]
    first, end = -(-low // PAGE), (low + array.nbytes) // PAGE
    with open("/proc/self/pagemap", "rb") as pagemap:
        pagemap.seek(first * 8)
        entries = np.frombuffer(pagemap.read((end - first) * 8), dtype="<u8")
    resident, file = (entries >> 63) & 1, (entries >> 61) & 1
    return {"pages": len(entries), "resident": int(resident.sum()), "anonymous": int((resident & (1 - file)).sum())}


def show(name, rise, numpy_seen):
    print(f"{name:28} RssAnon +{viewcopy.format_bytes(rise['RssAnon']):>9}, "
          f"RssFile +{viewcopy.format_bytes(rise['RssFile']):>9}, track: {numpy_seen}")  # fmt: skip


def measured_bar(name, call):
    """measured(call), printed and kept as the figure's bar ``name`` (in ``bars``, below)."""
    result, rise, numpy_seen = measured(call)
    show(name, rise, numpy_seen)
    bars[name] = rise
    return result, rise, numpy_seen


folder = tempfile.mkdtemp(prefix="viewcopy-files-")
path = os.path.join(folder, "readings.npy")
np.save(path, np.random.default_rng(0).random((ROWS, WIDTH)))
MAPPED.add(path)
size = ROWS * WIDTH * 8
row_bytes = WIDTH * 8
print(f"{path}: {viewcopy.format_bytes(os.path.getsize(path))} ({ROWS:,} x {WIDTH:,} float64)")
bars = {}  # operation -> (RssAnon rise, RssFile rise), for the figure

# %%
# Mapping reads nothing; views stay on the file
# ---------------------------------------------
mm, rise, numpy_seen = measured(lambda: np.load(path, mmap_mode="r"))
show("np.load(mmap_mode='r')", rise, numpy_seen)
with claim(
    "files-load-mmap-reads-nothing",
    "np.load(path, mmap_mode='r') of this file maps it without reading it: its resident file pages (the Rss of its "
    "mappings in /proc/self/smaps) rise by less than 1% of the file, and NumPy's handler (viewcopy.track) counts no "
    "buffer",
) as c:
    c.check(isinstance(mm, np.memmap), f"np.load(mmap_mode='r') returned a {type(mm).__name__}")
    c.check(
        rise["RssFile"] < size / 100,
        f"the file's resident pages +{rise['RssFile']:,} B, below 1% of the {size:,} B file",
    )
    c.check(numpy_seen.allocated_bytes == 0, f"NumPy's handler: {numpy_seen}")
VIEWS = {
    "mm[100:200]": lambda mm: mm[100:200],
    "mm[:, ::10]": lambda mm: mm[:, ::10],
    "mm.T": lambda mm: mm.T,
    "mm.reshape(-1)": lambda mm: mm.reshape(-1),
    "np.asarray(mm)": lambda mm: np.asarray(mm),
}
with claim(
    "files-views-stay-on-file",
    "basic slices, the transpose, reshape(-1) and np.asarray() of this memmap (mode 'r') share the mapping and read "
    "nothing: the file's resident pages (smaps) rise by less than 1% of it, and NumPy's handler counts nothing left "
    "allocated",
) as c:
    for name, view in VIEWS.items():
        result, rise, numpy_seen = measured(lambda view=view, mm=mm: view(mm))
        viewcopy.expect_view(mm, result)
        c.check(
            rise["RssFile"] < size / 100,
            f"{name} ({type(result).__name__}): the file's resident pages +{rise['RssFile']:,} B, below 1% of the "
            f"{size:,} B file",
        )
        c.check(numpy_seen.allocated_bytes == 0, f"{name}: NumPy's handler: {numpy_seen}")
print("np.asarray(mm) is a", type(np.asarray(mm)).__name__, "over the same mapping")

# %%
# Reading: page cache, not the process's own memory
# -------------------------------------------------
# ``mm.sum()`` touches every page once. They become resident, but as file
# pages: ``RssFile`` rises by the file's size, ``RssAnon`` does not.
total, rise, numpy_seen = measured_bar("mm.sum()", mm.sum)
with claim(
    "files-reading-is-file-backed",
    "mm.sum() over this memmap (mode 'r') makes the file resident as file-backed pages (its Rss in smaps), not "
    "anonymous memory (no anonymous page inside the buffer, by /proc/self/pagemap)",
) as c:
    c.check(
        0.95 * size <= rise["RssFile"] <= size + 2 * PAGE,
        f"RssFile +{rise['RssFile']:,} B for a {size:,} B file (between 95% and the file plus two pages)",
    )
    pages = own_pages(mm)
    c.check(
        pages["anonymous"] == 0 and pages["resident"] == pages["pages"],
        f"of the {pages['pages']:,} pages inside the memmap's buffer, {pages['resident']:,} resident, "
        f"{pages['anonymous']:,} anonymous",
    )
del mm

# %%
# What reads the file into RAM
# ----------------------------
# Each operation below runs on a fresh mapping (so the pages it reads are
# counted as new). :claim:`files-whole-copies-into-ram`;
# :claim:`files-copy-is-a-memmap-in-ram`; and
# :claim:`files-fancy-indexing-reads-its-rows` (around each page fault the
# kernel maps more than the one page: up to a whole cached folio of the
# file, here the figure printed).
READS = {
    "mm + 1": lambda mm: mm + 1,
    "mm[[1, 500, 4000]]": lambda mm: mm[[1, 500, 4000]],
    "mm.copy()": lambda mm: mm.copy(),
    "np.array(mm)": lambda mm: np.array(mm),
}
reads = {}
for name, operation in READS.items():
    fresh = np.load(path, mmap_mode="r")
    reads[name] = measured_bar(name, lambda fresh=fresh, operation=operation: operation(fresh))
    reads[name] = (*reads[name], fresh)
with claim(
    "files-whole-copies-into-ram",
    "mm + 1, mm.copy() and np.array(mm) of a fresh memmap of this file (mode 'r') each read the file (its Rss in "
    "smaps) and hold a copy of it in anonymous memory (the copy's pages, by /proc/self/pagemap), which NumPy's "
    "handler (viewcopy.track) counts",
) as c:
    for name in ("mm + 1", "mm.copy()", "np.array(mm)"):
        result, rise, numpy_seen, fresh = reads[name]
        viewcopy.expect_copy(fresh, result)
        pages = own_pages(result)
        c.check(
            pages["anonymous"] == pages["resident"] == pages["pages"] > 0.95 * size / PAGE,
            f"{name}: {pages['anonymous']:,} anonymous resident pages of the {pages['pages']:,} wholly inside the "
            f"result's buffer ({pages['resident']:,} resident; the file is {size / PAGE:,.0f} pages)",
        )
        c.check(
            rise["RssFile"] >= 0.95 * size,
            f"{name}: RssFile +{viewcopy.format_bytes(rise['RssFile'])}, file {viewcopy.format_bytes(size)} (at least "
            "95%)",
        )
        c.check(
            numpy_seen.allocated_bytes == size,
            f"{name}: NumPy's handler: {numpy_seen}, file {size:,} B",
        )
with claim(
    "files-copy-is-a-memmap-in-ram",
    f"with NumPy {np.__version__}, mm.copy() is an np.memmap instance that shares nothing with the file; mm + 1 is "
    "a plain ndarray",
) as c:
    copied, added = reads["mm.copy()"][0], reads["mm + 1"][0]
    c.check(type(copied) is np.memmap, f"mm.copy(): {type(copied).__name__}")
    c.check(type(added) is np.ndarray, f"mm + 1: {type(added).__name__}")
with claim(
    "files-fancy-indexing-reads-its-rows",
    "mm[[1, 500, 4000]] of this fresh memmap copies 3 rows into RAM (NumPy's handler counts their bytes) and makes "
    "less than a quarter of the file resident (its Rss in smaps)",
) as c:
    picked, rise, numpy_seen, fresh = reads["mm[[1, 500, 4000]]"]
    viewcopy.expect_copy(fresh, picked)
    c.check(
        numpy_seen.allocated_bytes == 3 * row_bytes,
        f"NumPy's handler: {numpy_seen}, 3 rows of {row_bytes:,} B",
    )
    c.check(
        rise["RssFile"] < size / 4,
        f"RssFile +{viewcopy.format_bytes(rise['RssFile'])}, a quarter of the file {viewcopy.format_bytes(size / 4)}",
    )
del reads, fresh, picked, copied, added

# %%
# Writing: ``'r'``, ``'c'`` and ``'r+'``
# --------------------------------------
# :claim:`files-mode-r-refuses-writes`; :claim:`files-mode-c-private-pages`;
# and :claim:`files-mode-r-plus-writes-the-file`. ``'r+'`` writes into the
# page cache, and so into the file.
written = 100


def write_rows(mode):
    mapped = np.load(path, mmap_mode=mode)
    mapped[:written].sum()  # read first, so that the write's own cost is what is measured

    def write():
        mapped[:written] = 0.0
        if mode == "r+":
            mapped.flush()

    return measured(write)[1]


with claim("files-mode-r-refuses-writes", "writing into np.load(path, mmap_mode='r') raises ValueError") as c:
    try:
        np.load(path, mmap_mode="r")[0, 0] = 1.0
    except ValueError as error:
        refused = str(error)
    else:
        refused = ""
    c.check(bool(refused), f"ValueError: {refused}" if refused else "the write went through")
private = write_rows("c")
with claim(
    "files-mode-c-private-pages",
    f"writing {written} rows into a mmap_mode='c' memmap adds their bytes (rounded up to pages) of anonymous memory "
    "(RssAnon, /proc/self/status) and leaves the file unchanged",
) as c:
    c.check(
        written * row_bytes <= private["RssAnon"] <= written * row_bytes + 2 * PAGE + 64 * PAGE,
        f"RssAnon +{private['RssAnon']:,} B for {written * row_bytes:,} B written (at most 66 pages of "
        f"{PAGE:,} B more)",
    )
    c.check(bool((np.load(path)[:written] != 0).all()), "the file's rows are not zero")
shared = write_rows("r+")
with claim(
    "files-mode-r-plus-writes-the-file",
    f"writing {written} rows into a mmap_mode='r+' memmap changes the file and adds less than half the rows' bytes of "
    "anonymous memory (RssAnon, /proc/self/status)",
) as c:
    c.check(
        shared["RssAnon"] < written * row_bytes / 2,
        f"RssAnon +{viewcopy.format_bytes(shared['RssAnon'])}, half the rows written "
        f"{viewcopy.format_bytes(written * row_bytes / 2)}",
    )
    c.check(bool((np.load(path)[:written] == 0).all()), "the file's rows are zero after flush()")
print(f"write {written} rows, mode 'c': RssAnon +{viewcopy.format_bytes(private['RssAnon'])}; mode 'r+': RssAnon "
      f"+{viewcopy.format_bytes(shared['RssAnon'])}")  # fmt: skip
bars["write, mode 'c'"] = private
bars["write, mode 'r+'"] = shared

# %%
# Raw files: ``np.memmap``, ``np.fromfile``, ``np.frombuffer``
# ------------------------------------------------------------
# ``np.memmap`` maps a part of a raw file (an ``offset=``, a ``shape=``),
# ``np.fromfile`` reads it, and ``np.frombuffer`` wraps memory that already
# exists (a ``bytes`` object, an ``mmap.mmap``):
# :claim:`files-np-memmap-offset`; :claim:`files-fromfile-reads-all`; and
# :claim:`files-frombuffer-shares`.

raw = os.path.join(folder, "raw.f64")
np.arange(ROWS * WIDTH, dtype=np.float64).tofile(raw)
MAPPED.add(raw)
part = np.memmap(raw, dtype=np.float64, mode="r", offset=8 * 1000, shape=(10,))
with claim(
    "files-np-memmap-offset",
    "np.memmap(raw, dtype=np.float64, mode='r', offset=8000, shape=(10,)) of this file of float64 values 0, 1, 2... "
    "holds values 1000 to 1009",
) as c:
    c.check(part.tolist() == list(range(1000, 1010)), f"{part.tolist()}")
loaded, rise, numpy_seen = measured_bar("np.fromfile", lambda: np.fromfile(raw, dtype=np.float64))
with claim(
    "files-fromfile-reads-all",
    "np.fromfile of this raw file allocates a NumPy buffer of its size (NumPy's handler), in anonymous memory (its "
    "pages, by /proc/self/pagemap)",
) as c:
    c.check(numpy_seen.allocated_bytes == size, f"NumPy's handler: {numpy_seen}, file {size:,} B")
    pages = own_pages(loaded)
    c.check(
        pages["anonymous"] == pages["resident"] == pages["pages"] > 0.95 * size / PAGE,
        f"{pages['anonymous']:,} anonymous resident pages of the {pages['pages']:,} wholly inside its buffer "
        f"({pages['resident']:,} resident; the file is {size / PAGE:,.0f} pages)",
    )
del loaded
with open(raw, "rb") as handle:
    contents = handle.read()
handle = open(raw, "r+b")  # noqa: SIM115 (the mapping outlives this cell)
mapping = mmap.mmap(handle.fileno(), 0)
with claim(
    "files-frombuffer-shares",
    "np.frombuffer of this bytes object is a view of it, not writeable, and of an mmap.mmap of the file a writeable "
    "view: NumPy's handler counts no allocation for either",
) as c:
    for name, source, writeable in [("bytes", contents, False), ("mmap.mmap", mapping, True)]:
        wrapped, rise, numpy_seen = measured(lambda source=source: np.frombuffer(source, dtype=np.float64))
        c.check(wrapped.flags.writeable is writeable, f"{name}: writeable {wrapped.flags.writeable}")
        c.check(numpy_seen.allocated_bytes == 0, f"{name}: NumPy's handler: {numpy_seen}")
        reads = wrapped.base if wrapped.base is source else getattr(wrapped.base, "obj", None)  # mmap: a memoryview
        c.check(reads is source, f"{name}: the array reads the {type(reads).__name__} through its base")

        c.check(wrapped[1000] == 1000.0, f"{name}: element 1000 is {wrapped[1000]}")
del wrapped, contents, part
mapping.close()
handle.close()

# %%
# The figure: where each operation's memory went
# ----------------------------------------------
# The same meter for every bar: the kernel's resident counts, anonymous and
# file-backed, as multiples of the file's size.
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
names = list(bars)
anon = [bars[name]["RssAnon"] / size for name in names]
file_backed = [bars[name]["RssFile"] / size for name in names]
ax.barh(names, anon, color="#e76f51", label="RssAnon (the process's own)")
ax.barh(names, file_backed, left=anon, color="#8ab17d", label="RssFile (page cache, mapped)")
ax.set_xlabel(f"resident rise / file size ({viewcopy.format_bytes(size)}; /proc/self/status and smaps)")
ax.set_title("Memory-mapped .npy: what each operation makes resident")
ax.invert_yaxis()
ax.legend(fontsize=8)
plt.show()
