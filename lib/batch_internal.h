/* batch_internal.h - what batch.c (the batch, its writer) and batch_rows.c
 * (rows filled and laid out ahead, on a thread of the batch's) share. */
#ifndef MKL_BATCH_INTERNAL_H
#define MKL_BATCH_INTERNAL_H

#include "pdf.h"
#include "renderer.h"

struct BatchRows;

struct mkl_batch {
    mkl_renderer *r;
    mkl_pdfw *w;
    int duplex;
    int written;
    int jobs;          /* threads the batch may use (mkl_batch_set_jobs) */
    /* a batch streamed to a file set's temporary file (mkl__batch_stream) */
    int (*sink)(void *user, const char *data, size_t n);
    void *sink_user;
    char *sink_name;
    mkl_spool *spool;   /* the sink's temporary file, for mkl_batch_write (mkl_batch_spool) */
    struct BatchRows *rows;   /* rows laid out ahead (batch_rows.c), or NULL */
};

/* Add the laid-out copy `l` (its layout `L`) to the batch, the writer made
 * first if there is none; errors go to `e`, naming the copy's row. */
mkl_status mkl__batch_write_copy(mkl_batch *b, const mkl_letter *l, const mkl_layout *L, mkl_error *e);

/* Rows laid out ahead (batch_rows.c). mkl__batch_rows_add queues a row (the
 * thread started by the first); mkl__batch_rows_finish writes every queued
 * row and joins the thread; mkl__batch_rows_free gives the rest up. */
mkl_status mkl__batch_rows_add(mkl_batch *b, const mkl_letter *tmpl, const mkl_data *d, size_t row);
mkl_status mkl__batch_rows_finish(mkl_batch *b);
void mkl__batch_rows_free(mkl_batch *b);

#endif
