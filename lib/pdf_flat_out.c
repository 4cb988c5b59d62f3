/* pdf_flat_out.c - the flat writer's output (pdf_flat.c): its bytes in
 * order, and its deflated streams (page content, object streams) deflated on
 * other threads when the batch has some (mkl_batch_set_jobs).
 *
 * Deflating is a part of a combined file's time (measured with perf on a
 * 300-copy merge of the seed letter, tagged, page content at level 1: 20 %;
 * layout 38 %, content 31 %), and it needs nothing but its bytes; everything else a copy costs
 * (its layout, its content, its objects) stays on the thread that adds the
 * copies, so the file is the same, byte for byte, however many threads
 * deflate: a stream is written where it was made, deflated at the same
 * level. (That thread is then what limits -j: some 80 % of the work.)
 *
 * Without threads a stream is deflated and written at once. With them, a
 * stream to deflate is a job in a queue of pieces of the output, in order:
 * jobs, and the bytes written between them (with the objects that start in
 * those bytes, whose offsets are known once the pieces before them are
 * written). The helper threads take the first job nobody has started; the
 * adding thread hands finished pieces from the front of the queue to the
 * output, and when the queue is full it deflates a waiting job itself. Only
 * the thread that adds copies touches the writer; the helpers touch a job's
 * bytes, under the queue's lock while they take and return it. */
#define _GNU_SOURCE   /* pthread_setname_np */
#include "pdf_internal.h"
#include "deflate.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* the queue's bounds: jobs waiting a helper, and bytes held */
#define MAX_JOBS_PER_THREAD 4
#define MAX_HELD ((size_t)16 << 20)

/* An object that starts `off` bytes into a piece. */
typedef struct Mark { uint32_t num; size_t off; } Mark;

typedef struct Piece {
    int is_job;
    int state;              /* a job: WAITING, RUNNING, DONE or FAILED */
    mkl_buf bytes;          /* bytes to write; a job's, once done */
    /* a job: the stream object `num`, its dictionary's keys before and after
     * /Length, its data deflated at `level` */
    mkl_buf in;
    char *before, *after;
    uint32_t num;
    int level;
    MKL_VEC(Mark) marks;    /* bytes: the objects that start in them */
    size_t held;            /* what it counts in the queue's `held` */
} Piece;

enum { WAITING, RUNNING, DONE, FAILED };

struct FlatJobs {
    pthread_mutex_t lock;
    pthread_cond_t work;    /* a job is waiting, or the helpers must stop */
    pthread_cond_t done;    /* a job is done */
    pthread_t *threads;
    int nthreads, stop;
    MKL_VEC(Piece *) q;     /* the pieces not written yet, in order */
    size_t waiting;         /* jobs of `q` nobody has started */
    size_t held;            /* bytes in `q` */
};

static mkl_status out_oom(W *w) { return mkl__pdf_oom(w); }

/* A stream object, whole: "NUM 0 obj << BEFORE/Length N AFTER >> stream ... endobj". */
static int stream_bytes(mkl_buf *b, uint32_t num, const char *before, const char *after, const mkl_buf *in, int level) {
    mkl_buf z = {0};
    int rc = mkl__deflate(&z, in->s ? in->s : "", in->n, level);
    if (!rc) {
        mkl__buf_printf(b, "%u 0 obj\n<< %s/Length %zu%s >>\nstream\n", (unsigned)num, before, z.n, after);
        mkl__buf_add(b, z.s, z.n);
        mkl__buf_add(b, "\nendstream\nendobj\n", 18);
        rc = b->oom ? -1 : 0;
    }
    mkl__buf_free(&z);
    return rc;
}

/* Deflate job `p` (taken: RUNNING), outside the lock; then, under it, mark it done. */
static void run_job(struct FlatJobs *j, Piece *p) {
    int rc = stream_bytes(&p->bytes, p->num, p->before, p->after, &p->in, p->level);
    mkl__buf_free(&p->in);
    pthread_mutex_lock(&j->lock);
    p->state = rc ? FAILED : DONE;
    pthread_cond_broadcast(&j->done);
    pthread_mutex_unlock(&j->lock);
}

/* The first job nobody has started, taken (under the lock), or NULL. */
static Piece *take_job(struct FlatJobs *j) {
    if (!j->waiting) return NULL;
    for (size_t i = 0; i < j->q.n; i++)
        if (j->q.v[i]->is_job && j->q.v[i]->state == WAITING) {
            j->q.v[i]->state = RUNNING;
            j->waiting--;
            return j->q.v[i];
        }
    return NULL;
}

static void *helper(void *arg) {
    struct FlatJobs *j = arg;
    pthread_mutex_lock(&j->lock);
    for (;;) {
        Piece *p = take_job(j);
        if (!p) {
            if (j->stop) break;
            pthread_cond_wait(&j->work, &j->lock);
            continue;
        }
        pthread_mutex_unlock(&j->lock);
        run_job(j, p);
        pthread_mutex_lock(&j->lock);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

static void piece_free(Piece *p) {
    if (!p) return;
    mkl__buf_free(&p->bytes);
    mkl__buf_free(&p->in);
    mkl__free(p->before);
    mkl__free(p->after);
    mkl__free(p->marks.v);
    mkl__free(p);
}

mkl_status mkl__flat_out_start(W *w, int threads) {
    PFlat *f = w->flat;
    if (threads < 1) return MKL_OK;
    struct FlatJobs *j = mkl__calloc(1, sizeof *j);
    if (!j || !(j->threads = mkl__calloc((size_t)threads, sizeof *j->threads))) {
        mkl__free(j);
        return out_oom(w);
    }
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->work, NULL);
    pthread_cond_init(&j->done, NULL);
    f->jobs = j;
    /* the helpers take no signal: the program's own threads handle them */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int i = 0; i < threads; i++)
        if (pthread_create(&j->threads[j->nthreads], NULL, helper, j) == 0)
            pthread_setname_np(j->threads[j->nthreads++], "mkl-deflate");   /* (as top and /proc show it) */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    /* no helper at all: the adding thread deflates every job itself */
    return MKL_OK;
}

void mkl__flat_out_free(PFlat *f) {
    struct FlatJobs *j = f->jobs;
    if (!j) return;
    pthread_mutex_lock(&j->lock);
    j->stop = 1;
    /* jobs nobody has started are dropped (the file is being given up or is done) */
    for (size_t i = 0; i < j->q.n; i++)
        if (j->q.v[i]->is_job && j->q.v[i]->state == WAITING) j->q.v[i]->state = FAILED;
    j->waiting = 0;
    pthread_cond_broadcast(&j->work);
    pthread_mutex_unlock(&j->lock);
    for (int i = 0; i < j->nthreads; i++) pthread_join(j->threads[i], NULL);
    for (size_t i = 0; i < j->q.n; i++) piece_free(j->q.v[i]);
    mkl__free(j->q.v);
    mkl__free(j->threads);
    pthread_cond_destroy(&j->done);
    pthread_cond_destroy(&j->work);
    pthread_mutex_destroy(&j->lock);
    mkl__free(j);
    f->jobs = NULL;
}

/* Hand what is held to the sink. */
static mkl_status to_sink(W *w) {
    PFlat *f = w->flat;
    if (f->out.oom) return out_oom(w);
    if (!f->out.n) return MKL_OK;
    int err = f->sink(f->user, f->out.s, f->out.n);
    if (err)
        return mkl__err(w->e, MKL_ERR_WRITE, f->name, 0, 0, "cannot write: %s", strerror(err));
    f->off += f->out.n;
    f->out.n = 0;
    return MKL_OK;
}

static int queued(const PFlat *f) { return f->jobs && f->jobs->q.n; }

/* The output, by the megabyte. */
static mkl_status out_add(W *w, const char *s, size_t n) {
    PFlat *f = w->flat;
    mkl__buf_add(&f->out, s, n);
    if (f->out.oom) return out_oom(w);
    return f->out.n >= ((size_t)1 << 20) ? to_sink(w) : MKL_OK;
}

/* The piece at the end of the queue that bytes are added to (a new one after a job). */
static Piece *tail_bytes(W *w) {
    struct FlatJobs *j = w->flat->jobs;
    Piece *last = j->q.v[j->q.n - 1];
    if (!last->is_job) return last;
    Piece *p = mkl__calloc(1, sizeof *p);
    if (!p) return NULL;
    pthread_mutex_lock(&j->lock);
    Piece **slot = MKL_PUSH(&j->q);
    if (slot) *slot = p;
    pthread_mutex_unlock(&j->lock);
    if (!slot) mkl__free(p);
    return slot ? p : NULL;
}

mkl_status mkl__flat_put(W *w, const char *s, size_t n) {
    PFlat *f = w->flat;
    if (!queued(f)) return out_add(w, s, n);
    Piece *p = tail_bytes(w);
    if (!p) return out_oom(w);
    mkl__buf_add(&p->bytes, s, n);
    pthread_mutex_lock(&f->jobs->lock);
    f->jobs->held += n;
    p->held += n;
    pthread_mutex_unlock(&f->jobs->lock);
    return p->bytes.oom ? out_oom(w) : MKL_OK;
}

mkl_status mkl__flat_put_here(W *w, uint32_t num) {
    PFlat *f = w->flat;
    if (!queued(f)) return mkl__flat_entry(w, num, FLAT_AT(f->off + f->out.n));
    Piece *p = tail_bytes(w);
    Mark *m = p ? MKL_PUSH(&p->marks) : NULL;
    if (!m) return out_oom(w);
    m->num = num;
    m->off = p->bytes.n;
    return MKL_OK;
}

/* Write the finished pieces at the front of the queue; with `all`, every
 * piece (deflating waiting jobs on this thread, waiting for the helpers'). */
static mkl_status drain_queue(W *w, int all) {
    PFlat *f = w->flat;
    struct FlatJobs *j = f->jobs;
    mkl_status st = MKL_OK;
    if (!j) return MKL_OK;
    pthread_mutex_lock(&j->lock);
    while (j->q.n && !st) {
        Piece *p = j->q.v[0];
        if (p->is_job && (p->state == WAITING || p->state == RUNNING)) {
            if (!all) break;
            Piece *mine = take_job(j);
            if (mine) {
                pthread_mutex_unlock(&j->lock);
                run_job(j, mine);
                pthread_mutex_lock(&j->lock);
            } else {
                pthread_cond_wait(&j->done, &j->lock);
            }
            continue;
        }
        memmove(j->q.v, j->q.v + 1, (j->q.n - 1) * sizeof *j->q.v);
        j->q.n--;
        j->held -= p->held;
        int failed = p->is_job && p->state == FAILED;
        pthread_mutex_unlock(&j->lock);
        uint64_t at = f->off + f->out.n;
        if (failed) st = out_oom(w);
        if (!st && p->is_job) st = mkl__flat_entry(w, p->num, FLAT_AT(at));
        for (size_t i = 0; i < p->marks.n && !st; i++) st = mkl__flat_entry(w, p->marks.v[i].num, FLAT_AT(at + p->marks.v[i].off));
        if (!st) st = out_add(w, p->bytes.s, p->bytes.n);
        piece_free(p);
        pthread_mutex_lock(&j->lock);
    }
    pthread_mutex_unlock(&j->lock);
    return st;
}

mkl_status mkl__flat_put_stream(W *w, uint32_t num, const char *before, const char *after, mkl_buf *data, int level) {
    PFlat *f = w->flat;
    struct FlatJobs *j = f->jobs;
    if (!j) {
        /* no threads: deflated and written now */
        mkl_buf b = {0};
        mkl_status st = stream_bytes(&b, num, before, after, data, level) ? out_oom(w) : MKL_OK;
        if (!st) st = mkl__flat_put_here(w, num);
        if (!st) st = out_add(w, b.s, b.n);
        mkl__buf_free(&b);
        mkl__buf_free(data);
        return st;
    }
    Piece *p = mkl__calloc(1, sizeof *p);
    if (!p || !(p->before = mkl__strdup(before)) || !(p->after = mkl__strdup(after))) {
        piece_free(p);
        mkl__buf_free(data);
        return out_oom(w);
    }
    p->is_job = 1;
    p->num = num;
    p->level = level;
    p->in = *data;   /* taken */
    *data = (mkl_buf){0};
    pthread_mutex_lock(&j->lock);
    Piece **slot = MKL_PUSH(&j->q);
    if (slot) {
        *slot = p;
        j->waiting++;
        j->held += p->held = p->in.n;
        pthread_cond_signal(&j->work);
    }
    int full = j->waiting > (size_t)(MAX_JOBS_PER_THREAD * (j->nthreads + 1)) || j->held > MAX_HELD;
    pthread_mutex_unlock(&j->lock);
    if (!slot) {
        piece_free(p);
        return out_oom(w);
    }
    /* a full queue: this thread deflates the first waiting job, then writes what is done */
    while (full) {
        pthread_mutex_lock(&j->lock);
        Piece *mine = take_job(j);
        pthread_mutex_unlock(&j->lock);
        if (mine) run_job(j, mine);
        mkl_status st = drain_queue(w, !mine);
        if (st) return st;
        pthread_mutex_lock(&j->lock);
        full = j->waiting > (size_t)(MAX_JOBS_PER_THREAD * (j->nthreads + 1)) || j->held > MAX_HELD;
        pthread_mutex_unlock(&j->lock);
    }
    return drain_queue(w, 0);
}

mkl_status mkl__flat_drain(W *w) {
    mkl_status st = drain_queue(w, 1);
    return st ? st : to_sink(w);
}

uint64_t mkl__flat_here(W *w) { return w->flat->off + w->flat->out.n; }
