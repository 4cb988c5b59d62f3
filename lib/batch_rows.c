/* batch_rows.c - the rows of a merge into a combined file filled and laid
 * out ahead, on a thread of the batch's (mkl_batch_add_row with jobs > 1),
 * while the calling thread writes the copies laid out before them.
 *
 * The layout thread works with the batch's renderer, the only one: the
 * copies are laid out by it as with -j 1 (same faces, same caches), so the
 * file is the same, byte for byte. What the two threads share while both
 * run: the renderer's faces (HarfBuzz fonts are safe to use from several
 * threads; the widths the writer keeps on a face, `w1000`, only the writer
 * touches) and decoded images (never changed once decoded, never moved).
 * The renderer's error is the layout thread's; the writer reports to the
 * batch's own (`werr`), copied to the renderer's once the layout thread has
 * stopped. The layout thread takes the rows in order and stops at the first
 * that fails; the calling thread writes the rows in order, so the error
 * returned is the first failing row's, as with -j 1. */
#define _GNU_SOURCE   /* pthread_setname_np */
#include "batch_internal.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

/* rows laid out ahead, at most */
#define AHEAD 4

typedef struct Slot {
    size_t row;
    mkl_letter *copy;
    mkl_layout L;
    mkl_status st;
    int laid;   /* the layout thread is done with it */
} Slot;

struct BatchRows {
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t changed;     /* a row queued or laid out, a slot written, or stop */
    const mkl_letter *tmpl;
    const mkl_data *d;
    Slot slot[AHEAD];
    size_t head, n;             /* the queued rows: slot[head], ... (n of them) */
    size_t laid;                /* of which the first `laid` are laid out */
    int stop;
    mkl_status failed;          /* the batch's first error: no row is taken after it */
    mkl_error werr;             /* the writer's errors */
};

static void *lay_rows(void *arg) {
    mkl_batch *b = arg;
    struct BatchRows *q = b->rows;
    mkl_renderer *r = b->r;
    pthread_mutex_lock(&q->lock);
    while (!q->stop) {
        if (q->laid == q->n) {
            pthread_cond_wait(&q->changed, &q->lock);
            continue;
        }
        Slot *s = &q->slot[(q->head + q->laid) % AHEAD];
        size_t row = s->row;
        pthread_mutex_unlock(&q->lock);
        /* as mkl_letter_fill_row() and mkl_batch_add() do it with -j 1 */
        mkl_letter *copy = NULL;
        mkl_layout L = {0};
        mkl_status st = mkl_letter_fill_row(r, q->tmpl, q->d, row, &copy);
        if (!st) {
            mkl__err_clear(&r->err);
            st = mkl__render_layout(r, copy, &L);
            if (st == MKL_ERR_NOMEM) mkl__err_default_file(&r->err, copy->doc->file);
            st = mkl__err_in_row(&r->err, copy->row_label, st);
        }
        pthread_mutex_lock(&q->lock);
        s->copy = copy;
        s->L = L;
        s->st = st;
        s->laid = 1;
        q->laid++;
        pthread_cond_broadcast(&q->changed);
        if (st) break;   /* the rows after a failing one are not laid out */
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

static void slot_free(Slot *s) {
    mkl__layout_free(&s->L);
    mkl_letter_free(s->copy);
    memset(s, 0, sizeof *s);
}

/* The layout thread stopped and joined (it finishes the row it lays out). */
static void stop(struct BatchRows *q) {
    if (!q->started) return;
    pthread_mutex_lock(&q->lock);
    q->stop = 1;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    q->started = 0;
}

/* A failure: the batch takes no more rows; the renderer's error says why. */
static mkl_status fail(mkl_batch *b, mkl_status st, const mkl_error *writer) {
    struct BatchRows *q = b->rows;
    stop(q);
    if (writer) b->r->err = *writer;
    q->failed = st;
    return st;
}

/* Write the laid-out rows at the front: while there are `keep` or more
 * queued (0: every one), waiting for the layout thread as needed. */
static mkl_status write_rows(mkl_batch *b, size_t keep) {
    struct BatchRows *q = b->rows;
    pthread_mutex_lock(&q->lock);
    while (q->n && q->n >= (keep ? keep : 1)) {
        Slot *s = &q->slot[q->head];
        if (!s->laid) {
            pthread_cond_wait(&q->changed, &q->lock);
            continue;
        }
        Slot mine = *s;
        memset(s, 0, sizeof *s);
        q->head = (q->head + 1) % AHEAD;
        q->n--;
        q->laid--;
        pthread_cond_broadcast(&q->changed);
        pthread_mutex_unlock(&q->lock);
        mkl_status st = mine.st;
        if (!st) {
            mkl__err_clear(&q->werr);
            st = mkl__batch_write_copy(b, mine.copy, &mine.L, &q->werr);
            slot_free(&mine);
            if (st) return fail(b, st, &q->werr);
        } else {
            slot_free(&mine);
            return fail(b, st, NULL);   /* (the layout thread's error, on the renderer) */
        }
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return MKL_OK;
}

mkl_status mkl__batch_rows_add(mkl_batch *b, const mkl_letter *tmpl, const mkl_data *d, size_t row) {
    struct BatchRows *q = b->rows;
    if (!q) {
        if (!(q = mkl__calloc(1, sizeof *q))) return mkl__err(&b->r->err, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
        pthread_mutex_init(&q->lock, NULL);
        pthread_cond_init(&q->changed, NULL);
        q->tmpl = tmpl;
        q->d = d;
        b->rows = q;
    }
    if (q->failed) return q->failed;
    if (tmpl != q->tmpl || d != q->d) return MKL_ERR_ARGUMENT;   /* (the renderer is the layout thread's) */
    /* a free slot: the front written if the queue is full */
    mkl_status st = write_rows(b, AHEAD);
    if (st) return st;
    pthread_mutex_lock(&q->lock);
    Slot *s = &q->slot[(q->head + q->n) % AHEAD];
    memset(s, 0, sizeof *s);
    s->row = row;
    q->n++;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
    if (!q->started) {
        /* the thread takes no signal: the program's own threads handle them */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int err = pthread_create(&q->thread, NULL, lay_rows, b);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (err) {
            /* no thread: this one lays the row out (and every later one) */
            pthread_mutex_lock(&q->lock);
            q->n--;
            pthread_mutex_unlock(&q->lock);
            mkl__batch_rows_free(b);
            b->jobs = 1;
            return mkl_batch_add_row(b, tmpl, d, row);
        }
        pthread_setname_np(q->thread, "mkl-layout");
        q->started = 1;
    }
    /* what is laid out already, written (the queue kept as full as it is) */
    pthread_mutex_lock(&q->lock);
    size_t ready = q->laid;
    pthread_mutex_unlock(&q->lock);
    return ready ? write_rows(b, q->n - ready + 1) : MKL_OK;
}

mkl_status mkl__batch_rows_finish(mkl_batch *b) {
    struct BatchRows *q = b->rows;
    if (!q) return MKL_OK;
    if (q->failed) return q->failed;
    mkl_status st = write_rows(b, 0);
    if (!st) stop(q);
    return st;
}

void mkl__batch_rows_free(mkl_batch *b) {
    struct BatchRows *q = b->rows;
    if (!q) return;
    stop(q);
    for (size_t i = 0; i < AHEAD; i++) slot_free(&q->slot[i]);
    pthread_cond_destroy(&q->changed);
    pthread_mutex_destroy(&q->lock);
    mkl__free(q);
    b->rows = NULL;
}
