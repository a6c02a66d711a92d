/*
 * viewcopy._counting: count NumPy data-buffer bytes per thread.
 *
 * NumPy allocates every array's data through a data-memory handler (NEP 49).
 * Its default handler is one global, writable struct in NumPy itself; the
 * capsule PyDataMem_DefaultHandler points at it.  install() saves that
 * struct's four allocator functions and puts counting wrappers in their
 * place, once, for the whole process, when the first Block opens (importing
 * the module changes nothing): every thread, context, generator and
 * asyncio task then allocates through the wrappers, and nothing has to be
 * installed or removed per block (so nothing can be left behind by Ctrl-C).
 * Arrays allocated before install() are freed through the wrappers too, which
 * call the saved functions, so their memory goes back where it came from.
 *
 * A thread with no open Block counts nothing and records nothing: its
 * allocations cost one thread-local read.  Buffers made inside a Block get an
 * entry in a process-wide table (ptr -> stamp), under one lock, since realloc
 * and free do not say who made them or (realloc) how big they were.  A thread that opens a
 * Block gets a ThreadState (heap, found through a thread-local pointer)
 * listing its open Blocks.  Each buffer the thread then allocates is stamped
 * (thread state, sequence number, running generator blocks) and raises the
 * level of every open Block that is running; freeing the buffer, in any
 * thread, lowers the level of exactly the Blocks it raised, and counts as
 * "freed" for the freeing thread's other running Blocks.  So a Block reports
 * the bytes of its own buffers still alive at its end, their peak, and the
 * bytes of older buffers it freed; none can go negative.
 *
 * A Block opened in a generator or coroutine is running only while that
 * generator runs: while it is suspended, what its thread does (another
 * generator, another asyncio task) is not inside the block.  Up to 64 such
 * Blocks can be open at once per thread (one bit each in the stamp); more
 * count their thread whether running or not.
 *
 * A Block is a Python object: it opens in __enter__, closes in __exit__ or,
 * if never exited (an interrupt), in its dealloc, from whatever thread that
 * runs in (the state's mutex makes that safe).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_22_API_VERSION
#define NPY_TARGET_VERSION NPY_1_22_API_VERSION
#include <numpy/arrayobject.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
typedef SRWLOCK vc_lock;
#define LOCK_INIT(l) InitializeSRWLock(l)
#define LOCK(l) AcquireSRWLockExclusive(l)
#define UNLOCK(l) ReleaseSRWLockExclusive(l)
#define LOCK_FINI(l) ((void)0)
#define THREAD_LOCAL __declspec(thread)
#else
#include <pthread.h>
typedef pthread_mutex_t vc_lock;
#define LOCK_INIT(l) pthread_mutex_init((l), NULL)
#define LOCK(l) pthread_mutex_lock(l)
#define UNLOCK(l) pthread_mutex_unlock(l)
#define LOCK_FINI(l) pthread_mutex_destroy(l)
#define THREAD_LOCAL _Thread_local
#endif

/* ------------------------------------------------------------------ */
/* per-thread counters and open blocks                                 */

typedef struct Block Block;

/* A ThreadState lives while anything refers to it: the thread it belongs to
   (until its last block closes), each open block, and each live buffer it
   stamped, so a buffer freed by any thread, at any time, finds the blocks
   that counted it. */
typedef struct {
    vc_lock lock;          /* taken on each allocation and free it counts, and by anyone closing a block */
    uint64_t seq;          /* number of buffers this thread allocated since the state was made */
    uint64_t slots;        /* bit i set: generator slot i is taken by an open block */
    Py_ssize_t refs;
    Block *open;           /* this thread's open blocks, a doubly linked list */
    Py_ssize_t nopen;
} ThreadState;

static THREAD_LOCAL ThreadState *t_state = NULL;

struct Block {
    PyObject_HEAD
    ThreadState *ts;       /* non-NULL while open */
    Block *prev, *next;
    uint64_t base_seq;     /* ts->seq when the block opened: later buffers may be the block's own */
    int64_t level;         /* bytes of the block's own buffers alive now */
    int64_t peak;          /* the highest level so far */
    int64_t freed;         /* bytes of other buffers this thread freed while the block ran */
    PyObject *gen;         /* a weak reference to the generator or coroutine the block runs in, or NULL */
    PyObject *running;     /* the name of its "running" attribute (gi_running, cr_running, ag_running) */
    int slot;              /* its bit in the stamps of the buffers it counted; -1: it counts them all */
    int state;             /* 0 new, 1 open, 2 closed */
};

/* Each live buffer made through the wrappers: its size and who made it when.
   owner is the ThreadState of the thread that made it (NULL: that thread had
   no open block), seq that thread's count of buffers then, running the slots
   of the generator blocks that were running then (and so counted it). */
typedef struct {
    size_t size;
    ThreadState *owner;
    uint64_t seq, running;
} Stamp;

/* call with ts->lock held; releases it */
static void
ts_release(ThreadState *ts)
{
    int dead = --ts->refs == 0;
    UNLOCK(&ts->lock);
    if (dead) {
        LOCK_FINI(&ts->lock);
        free(ts);
    }
}

/* Is the block's generator (if it has one) running, rather than suspended?
   A suspended generator's block counts nothing: what runs meanwhile is not
   inside it.  Without the GIL nothing can be asked: count. */
static int
block_running(Block *b)
{
    if (b->gen == NULL || b->slot < 0 || !PyGILState_Check()) {
        /* a block without a generator slot (past 64 at once) counts its thread whether its generator runs or
           not: counted_by() counts every later buffer's free against it, so it must count their allocation too */
        return 1;
    }
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *pending = PyErr_GetRaisedException();
#else
    PyObject *kind, *value, *tb;
    PyErr_Fetch(&kind, &value, &tb);
#endif
    int running = 0;
#if PY_VERSION_HEX >= 0x030D0000
    PyObject *gen = NULL;
    if (PyWeakref_GetRef(b->gen, &gen) < 0) {
        PyErr_Clear();
    }
#else
    PyObject *gen = PyWeakref_GetObject(b->gen);
    gen = gen == Py_None ? NULL : (Py_INCREF(gen), gen);
#endif
    if (gen != NULL) {
        PyObject *flag = PyObject_GetAttr(gen, b->running);
        running = flag == NULL ? 1 : flag == Py_True;  /* cannot fail for these types; if it did, count */
        if (flag == NULL) {
            PyErr_Clear();
        }
        Py_XDECREF(flag);
        Py_DECREF(gen);
    }
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(pending);
#else
    PyErr_Restore(kind, value, tb);
#endif
    return running;
}

/* a new buffer of n bytes in this thread: stamp it, raise the running blocks' levels */
static inline Stamp
note_allocated(size_t n)
{
    Stamp stamp = {n, NULL, 0, 0};
    ThreadState *ts = t_state;
    if (ts == NULL) {
        return stamp;
    }
    LOCK(&ts->lock);
    stamp.owner = ts;
    ts->refs++;
    stamp.seq = ++ts->seq;
    for (Block *b = ts->open; b != NULL; b = b->next) {
        if (!block_running(b)) {
            continue;
        }
        if (b->slot >= 0) {
            stamp.running |= (uint64_t)1 << b->slot;
        }
        b->level += (int64_t)n;
        if (b->level > b->peak) {
            b->peak = b->level;
        }
    }
    UNLOCK(&ts->lock);
    return stamp;
}

static inline int
counted_by(Block *b, Stamp stamp)
{
    return stamp.seq > b->base_seq && (b->slot < 0 || (stamp.running >> b->slot) & 1);
}

/* Some thread frees a buffer: the blocks that counted it, in whatever thread,
   lose it; this thread's running blocks that did not count it call it freed. */
static inline void
note_freed(Stamp stamp)
{
    ThreadState *me = t_state, *owner = stamp.owner;
    int64_t size = (int64_t)stamp.size;
    if (owner != NULL) {
        LOCK(&owner->lock);
        for (Block *b = owner->open; b != NULL; b = b->next) {
            if (counted_by(b, stamp)) {
                b->level -= size;
            }
            else if (owner == me && size && block_running(b)) {
                b->freed += size;
            }
        }
        ts_release(owner);
    }
    if (me != NULL && me != owner && size) {
        LOCK(&me->lock);
        for (Block *b = me->open; b != NULL; b = b->next) {
            if (block_running(b)) {
                b->freed += size;
            }
        }
        UNLOCK(&me->lock);
    }
}

/* ------------------------------------------------------------------ */
/* live buffer sizes, for realloc                                      */

typedef struct {
    void *ptr;   /* NULL: empty; TOMBSTONE: removed */
    Stamp stamp;
} Entry;

#define TOMBSTONE ((void *)1)
static vc_lock table_lock;
static Entry *table = NULL;
static size_t table_cap = 0;   /* a power of two */
static size_t table_used = 0;  /* live entries plus tombstones */
static volatile size_t table_live = 0;  /* read without the lock by counting_free (see there) */

static inline size_t
slot_of(void *ptr, size_t cap)
{
    uintptr_t h = (uintptr_t)ptr;
    h ^= h >> 33;
    h *= (uintptr_t)0xff51afd7ed558ccdULL;
    h ^= h >> 29;
    return (size_t)h & (cap - 1);
}

/* call with table_lock held; returns 0 if out of memory (the entry is then lost) */
static int
table_grow(void)
{
    size_t cap = table_cap ? table_cap : 1024;
    while (table_live * 2 >= cap) {
        cap *= 2;
    }
    Entry *fresh = calloc(cap, sizeof(Entry));
    if (fresh == NULL) {
        return 0;
    }
    for (size_t i = 0; i < table_cap; i++) {
        void *p = table[i].ptr;
        if (p != NULL && p != TOMBSTONE) {
            size_t j = slot_of(p, cap);
            while (fresh[j].ptr != NULL) {
                j = (j + 1) & (cap - 1);
            }
            fresh[j] = table[i];
        }
    }
    free(table);
    table = fresh;
    table_cap = cap;
    table_used = table_live;
    return 1;
}

static void
table_put(void *ptr, Stamp stamp)
{
    LOCK(&table_lock);
    if ((table_used + 1) * 4 >= table_cap * 3 && !table_grow()) {
        UNLOCK(&table_lock);
        return;
    }
    size_t i = slot_of(ptr, table_cap), grave = (size_t)-1;
    for (;; i = (i + 1) & (table_cap - 1)) {
        void *p = table[i].ptr;
        if (p == ptr) {
            table[i].stamp = stamp;
            break;
        }
        if (p == TOMBSTONE && grave == (size_t)-1) {
            grave = i;
        }
        if (p == NULL) {
            if (grave != (size_t)-1) {
                i = grave;
            }
            else {
                table_used++;
            }
            table[i].ptr = ptr;
            table[i].stamp = stamp;
            table_live++;
            break;
        }
    }
    UNLOCK(&table_lock);
}

/* remove ptr; return its stamp, or `otherwise` if it is not in the table */
static Stamp
table_pop(void *ptr, Stamp otherwise)
{
    Stamp found = otherwise;
    LOCK(&table_lock);
    if (table_cap) {
        for (size_t i = slot_of(ptr, table_cap);; i = (i + 1) & (table_cap - 1)) {
            void *p = table[i].ptr;
            if (p == NULL) {
                break;
            }
            if (p == ptr) {
                found = table[i].stamp;
                table[i].ptr = TOMBSTONE;
                table_live--;
                break;
            }
        }
    }
    UNLOCK(&table_lock);
    return found;
}

/* ------------------------------------------------------------------ */
/* the wrappers put into NumPy's default handler                       */

static PyDataMem_Handler *patched = NULL;   /* NumPy's default_handler, once installed */
static PyDataMemAllocator original;         /* its functions before that */
static int64_t unknown_reallocs = 0;        /* reallocs of buffers of unknown size (made before install) */
static PyObject *refusal = NULL;             /* why install() could not patch, once it has tried */

/* A buffer made by a thread with no open block is counted by no block, and its
   free is told its size: it needs no table entry.  So outside every block an
   allocation costs one thread-local read, and a free one more read while the
   table is empty.  (The one thing lost: a realloc of such a buffer inside a
   block cannot tell the old size, so it is not counted as freed.) */
static inline void
remember(void *p, size_t size)
{
    if (t_state != NULL) {
        table_put(p, note_allocated(size));
    }
}

static void *
counting_malloc(void *ctx, size_t size)
{
    void *p = original.malloc(ctx, size);
    if (p != NULL) {
        remember(p, size);
    }
    return p;
}

static void *
counting_calloc(void *ctx, size_t nelem, size_t elsize)
{
    void *p = original.calloc(ctx, nelem, elsize);
    if (p != NULL) {
        remember(p, nelem * elsize);
    }
    return p;
}

static void *
counting_realloc(void *ctx, void *ptr, size_t new_size)
{
    static const Stamp unknown = {(size_t)-1, NULL, 0, 0};
    Stamp old = ptr == NULL ? (Stamp){0, NULL, 0, 0} : table_pop(ptr, unknown);
    void *p = original.realloc(ctx, ptr, new_size);
    if (p == NULL) {
        if (ptr != NULL && old.size != (size_t)-1) {
            table_put(ptr, old);  /* the old buffer is still there */
        }
        return p;
    }
    if (old.size == (size_t)-1) {
        unknown_reallocs++;  /* made before install(): its old size was never seen */
        old.size = 0;
    }
    /* as a free of the old buffer and a new buffer */
    note_freed(old);
    remember(p, new_size);
    return p;
}

/* table_live is read without the lock: a buffer this thread frees was handed
   to it after its table_put returned (through the GIL or another lock), so an
   entry for it is seen; a stale non-zero only costs the lookup. */
static void
counting_free(void *ctx, void *ptr, size_t size)
{
    if (ptr != NULL) {
        Stamp given = {size, NULL, 0, 0};
        note_freed(table_live ? table_pop(ptr, given) : given);
    }
    original.free(ctx, ptr, size);
}

/* ------------------------------------------------------------------ */
/* Block: one open measurement                                         */

static void
block_close(Block *self)
{
    ThreadState *ts = self->ts;
    if (self->state != 1 || ts == NULL) {
        return;
    }
    LOCK(&ts->lock);
    if (self->prev) {
        self->prev->next = self->next;
    }
    else {
        ts->open = self->next;
    }
    if (self->next) {
        self->next->prev = self->prev;
    }
    if (self->slot >= 0) {
        ts->slots &= ~((uint64_t)1 << self->slot);
    }
    int detach = --ts->nopen == 0 && ts == t_state;
    self->ts = NULL;
    self->prev = self->next = NULL;
    self->state = 2;
    if (detach) {
        /* no block of this thread is open: count nothing here until the next one */
        t_state = NULL;
        ts->refs--;  /* the thread's reference; the block's own is released below */
    }
    ts_release(ts);
    Py_CLEAR(self->gen);
}

static PyObject *str_gi_running, *str_cr_running, *str_ag_running, *str_name;

/* Is this frame's code in `package` or one of its modules (its __name__ is
   the package's, or starts with it and a dot)? */
static int
in_package(PyFrameObject *frame, const char *package)
{
    PyObject *globals = frame ? PyFrame_GetGlobals(frame) : NULL;
    PyObject *name = globals ? PyDict_GetItemWithError(globals, str_name) : NULL;
    Py_ssize_t size = 0;
    const char *text = name != NULL && PyUnicode_Check(name) ? PyUnicode_AsUTF8AndSize(name, &size) : NULL;
    size_t n = strlen(package);
    int inside = text != NULL && (size_t)size >= n && strncmp(text, package, n) == 0 &&
                 ((size_t)size == n || text[n] == '.');
    Py_XDECREF(globals);
    PyErr_Clear();
    return inside;
}

/* The generator or coroutine whose code opens the block, if it should stop
   counting while suspended: the first frame outside viewcopy that is a
   generator's, unless contextlib runs it (a @contextmanager's generator is
   suspended exactly while the body of its `with` runs). */
static PyObject *
suspendable_generator(void)
{
    PyFrameObject *frame = PyEval_GetFrame();
    Py_XINCREF(frame);
    while (frame != NULL && in_package(frame, "viewcopy")) {  /* a wrapper such as log_copies */
        PyFrameObject *back = PyFrame_GetBack(frame);
        Py_DECREF(frame);
        frame = back;
    }
    if (frame == NULL) {
        return NULL;
    }
    PyObject *gen = PyFrame_GetGenerator(frame);
    if (gen != NULL) {
        /* Climb the generators that resume this one (with `yield from`, or a call to next()):
           when contextlib resumes the outermost, the `with` body runs while all of them are
           suspended, so the body is inside the block: count it as plain code. */
        PyFrameObject *resumer = PyFrame_GetBack(frame);
        while (resumer != NULL && !in_package(resumer, "contextlib")) {
            PyObject *outer = PyFrame_GetGenerator(resumer);
            int resumed_by_generator = outer != NULL && PyGen_CheckExact(outer);
            Py_XDECREF(outer);
            if (!resumed_by_generator) {
                break;
            }
            PyFrameObject *back = PyFrame_GetBack(resumer);
            Py_DECREF(resumer);
            resumer = back;
        }
        if (in_package(resumer, "contextlib")) {
            Py_CLEAR(gen);
        }
        Py_XDECREF(resumer);
    }
    Py_DECREF(frame);
    return gen;
}

static int
block_open(Block *self)
{
    if (self->state != 0) {
        PyErr_SetString(PyExc_RuntimeError, "a Block can be entered only once");
        return -1;
    }
    PyObject *gen = suspendable_generator();
    if (gen != NULL) {
        self->running = PyGen_CheckExact(gen)     ? str_gi_running
                        : PyCoro_CheckExact(gen) ? str_cr_running
                        : PyAsyncGen_CheckExact(gen) ? str_ag_running
                                                     : NULL;
        self->gen = self->running ? PyWeakref_NewRef(gen, NULL) : NULL;
        Py_DECREF(gen);
        if (self->gen == NULL) {
            PyErr_Clear();  /* an unknown kind of generator: count it as plain code */
        }
    }
    ThreadState *ts = t_state;
    if (ts == NULL) {
        ts = calloc(1, sizeof(ThreadState));
        if (ts == NULL) {
            Py_CLEAR(self->gen);
            PyErr_NoMemory();
            return -1;
        }
        LOCK_INIT(&ts->lock);
        ts->refs = 1;  /* the thread's */
        t_state = ts;
    }
    LOCK(&ts->lock);
    self->slot = -1;
    if (self->gen != NULL && ts->slots != UINT64_MAX) {
        while ((ts->slots >> ++self->slot) & 1) {
        }
        ts->slots |= (uint64_t)1 << self->slot;
    }  /* past 64 generator blocks at once, a block counts its thread, suspended or not */
    self->base_seq = ts->seq;
    self->level = self->peak = self->freed = 0;
    self->prev = NULL;
    self->next = ts->open;
    if (ts->open) {
        ts->open->prev = self;
    }
    ts->open = self;
    ts->nopen++;
    ts->refs++;
    self->ts = ts;
    self->state = 1;
    UNLOCK(&ts->lock);
    return 0;
}

static PyObject *
block_enter(Block *self, PyObject *Py_UNUSED(ignored))
{
    if (block_open(self) < 0) {
        return NULL;
    }
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *
block_exit(Block *self, PyObject *Py_UNUSED(args))
{
    block_close(self);
    Py_RETURN_NONE;
}

static PyObject *
block_close_figures(Block *self, PyObject *Py_UNUSED(ignored))
{
    block_close(self);
    if (self->state != 2) {
        PyErr_SetString(PyExc_RuntimeError, "the Block was never entered");
        return NULL;
    }
    PyObject *allocated = PyLong_FromLongLong(self->level), *freed = PyLong_FromLongLong(self->freed),
             *peak = PyLong_FromLongLong(self->peak);
    PyObject *figures = (allocated && freed && peak) ? PyTuple_Pack(3, allocated, freed, peak) : NULL;
    Py_XDECREF(allocated);
    Py_XDECREF(freed);
    Py_XDECREF(peak);
    return figures;
}

static void
block_dealloc(Block *self)
{
    block_close(self);
    Py_CLEAR(self->gen);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
block_get(Block *self, void *which)
{
    if (self->state != 2) {
        PyErr_SetString(PyExc_RuntimeError, "the Block has not closed yet");
        return NULL;
    }
    switch ((intptr_t)which) {
        case 0: return PyLong_FromLongLong(self->level);
        case 1: return PyLong_FromLongLong(self->freed);
        default: return PyLong_FromLongLong(self->peak);
    }
}

static PyObject *
block_is_open(Block *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(self->state == 1);
}

static PyMethodDef block_methods[] = {
    {"__enter__", (PyCFunction)block_enter, METH_NOARGS, "Start counting this thread's NumPy bytes."},
    {"__exit__", (PyCFunction)block_exit, METH_VARARGS, "Stop counting; the figures are then readable."},
    {"close", (PyCFunction)block_close_figures, METH_NOARGS,
     "Close if open; return (allocated, freed, peak)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef block_getset[] = {
    {"allocated", (getter)block_get, NULL, "bytes of buffers the block's thread made in it, alive at its end",
     (void *)0},
    {"freed", (getter)block_get, NULL, "bytes of other buffers the block's thread freed in it", (void *)1},
    {"peak", (getter)block_get, NULL, "the most bytes the block's own buffers held at once", (void *)2},
    {"is_open", (getter)block_is_open, NULL, "True between __enter__ and __exit__", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject BlockType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "viewcopy._counting.Block",
    .tp_basicsize = sizeof(Block),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Counts the NumPy data bytes the thread that enters it allocates until it exits.",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)block_dealloc,
    .tp_methods = block_methods,
    .tp_getset = block_getset,
};

/* ------------------------------------------------------------------ */
/* module functions                                                    */

/* Called with the GIL held, so two threads cannot install at once. */
static PyObject *
install(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    if (patched != NULL) {
        Py_RETURN_NONE;
    }
    if (refusal != NULL) {
        return Py_NewRef(refusal);
    }
    PyObject *capsule = PyDataMem_DefaultHandler;
    if (capsule == NULL) {
        refusal = PyUnicode_FromString("NumPy has no default data-memory handler");
        return refusal == NULL ? NULL : Py_NewRef(refusal);
    }
    PyDataMem_Handler *handler = PyCapsule_GetPointer(capsule, "mem_handler");
    if (handler == NULL) {
        return NULL;
    }
    if (handler->version != 1 || strcmp(handler->name, "default_allocator") != 0) {
        refusal = PyUnicode_FromFormat("NumPy's default handler is %.127s version %d, not default_allocator 1",
                                       handler->name, (int)handler->version);
        return refusal == NULL ? NULL : Py_NewRef(refusal);
    }
    original = handler->allocator;
    /* realloc and free first: once malloc counts, its buffers may be freed at once */
    handler->allocator.free = counting_free;
    handler->allocator.realloc = counting_realloc;
    handler->allocator.calloc = counting_calloc;
    handler->allocator.malloc = counting_malloc;
    patched = handler;
    Py_RETURN_NONE;
}

static PyObject *
installed(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(patched != NULL && patched->allocator.malloc == counting_malloc);
}

/* 1 when arrays made in this context go through the counting wrappers, 0 if not, -1 on error */
static int
default_here(void)
{
    PyObject *current = PyDataMem_GetHandler();
    if (current == NULL) {
        return -1;
    }
    void *handler = PyCapsule_GetPointer(current, "mem_handler");
    Py_DECREF(current);
    if (handler == NULL) {
        return -1;
    }
    return patched != NULL && handler == (void *)patched;
}

static PyObject *
current_is_default(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    int here = default_here();
    return here < 0 ? NULL : PyBool_FromLong(here);
}

static PyObject *
open_block(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    if (patched == NULL) {  /* the first block: put the wrappers in now */
        PyObject *why = install(NULL, NULL);
        if (why == NULL) {
            return NULL;
        }
        int refused = why != Py_None;
        Py_DECREF(why);
        if (refused) {
            Py_RETURN_NONE;
        }
    }
    int here = default_here();
    if (here <= 0) {
        if (here == 0) {
            Py_RETURN_NONE;
        }
        return NULL;
    }
    Block *block = (Block *)BlockType.tp_alloc(&BlockType, 0);
    if (block == NULL) {
        return NULL;
    }
    if (block_open(block) < 0) {
        Py_DECREF(block);
        return NULL;
    }
    return (PyObject *)block;
}

static PyObject *
stats(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    LOCK(&table_lock);
    size_t live = table_live;
    UNLOCK(&table_lock);
    ThreadState *ts = t_state;
    return Py_BuildValue("{s:n,s:L,s:n}", "live_buffers", (Py_ssize_t)live, "unknown_reallocs",
                         (long long)unknown_reallocs, "open_blocks_this_thread", ts ? ts->nopen : (Py_ssize_t)0);
}

static PyMethodDef module_methods[] = {
    {"install", install, METH_NOARGS,
     "Put counting wrappers into NumPy's default handler (open() does, the first time); None when done, else the "
     "reason it was not."},
    {"installed", installed, METH_NOARGS, "True when the counting wrappers are in place."},
    {"current_is_default", current_is_default, METH_NOARGS,
     "True when this context allocates through NumPy's default (now counting) handler."},
    {"open", open_block, METH_NOARGS,
     "An entered Block, in one call, installing the wrappers the first time; None when this context allocates "
     "through another handler or they cannot be installed."},
    {"stats", stats, METH_NOARGS, "Internal figures, for tests."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_counting", "Per-thread counts of NumPy data-buffer bytes.", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__counting(void)
{
    import_array();
    if (PyType_Ready(&BlockType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    str_gi_running = PyUnicode_InternFromString("gi_running");
    str_cr_running = PyUnicode_InternFromString("cr_running");
    str_ag_running = PyUnicode_InternFromString("ag_running");
    str_name = PyUnicode_InternFromString("__name__");
    if (!(str_gi_running && str_cr_running && str_ag_running && str_name)) {
        Py_DECREF(m);
        return NULL;
    }
    static int lock_ready = 0;
    if (!lock_ready) {
        LOCK_INIT(&table_lock);
        lock_ready = 1;
    }
    Py_INCREF(&BlockType);
    if (PyModule_AddObject(m, "Block", (PyObject *)&BlockType) < 0) {
        Py_DECREF(&BlockType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
