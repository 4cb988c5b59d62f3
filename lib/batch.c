/* batch.c - mail merge and combined print files (mkletter.h, "Mail merge and
 * batches"): filling a letter for one copy, CSV data, and one PDF holding
 * many copies with their fonts and images stored once. */
#include <stdio.h>
#include <string.h>

#include "batch_internal.h"
#include "fill.h"
#include "glyphbase.h"
#include "merge.h"
#include "pdf.h"
#include "renderer.h"
#include "util.h"

struct mkl_data {
    mkl_table *t;
    char *path;
};

mkl_status mkl__batch_stream(mkl_batch *b, int (*sink)(void *user, const char *data, size_t n), void *user, const char *name) {
    if (!b || b->w || b->written || b->sink) return MKL_ERR_ARGUMENT;
    if (!(b->sink_name = mkl__strdup(name))) return MKL_ERR_NOMEM;
    b->sink = sink;
    b->sink_user = user;
    return MKL_OK;
}

void *mkl__batch_sink_user(const mkl_batch *b) { return b ? b->sink_user : NULL; }

int mkl_letter_has_fields(const mkl_letter *l) { return l && mkl__doc_has_fields(l->doc); }

uint64_t mkl__letter_serial(void) {
    static uint64_t last;
    return __atomic_add_fetch(&last, 1, __ATOMIC_RELAXED);
}

static const char *empty_get(void *user, const char *name, size_t len) {
    (void)user;
    (void)name;
    (void)len;
    return "";
}

/* The renderer's base for the template (glyphbase.h): made the first time
 * a copy of it is filled, from the template alone, laid out with every
 * field empty; none when that fails (a copy is then written as without). */
static void make_base(mkl_renderer *r, const mkl_letter *tmpl) {
    if (r->base_of == tmpl->serial) return;
    mkl__glyph_base_free(r->base);
    r->base = NULL;
    r->base_of = tmpl->serial;
    mkl_lookup empty = {empty_get, NULL, NULL, 0, 0};
    mkl_error e = {0};
    mkl_letter blank = {0};
    if (!mkl__doc_fill(tmpl->doc, &empty, &blank.doc, &e)) {
        mkl_layout L = {0};
        if (!mkl__render_layout(r, &blank, &L)) r->base = mkl__glyph_base_new(&L);
        mkl__layout_free(&L);
    }
    mkl__doc_free(blank.doc);
    mkl__err_clear(&r->err);   /* (what the blank letter's layout said is no copy's error) */
}

/* A copy of the template's document filled through `lk`, as a new letter. */
static mkl_status fill_letter(mkl_renderer *r, const mkl_letter *tmpl, const mkl_lookup *lk, mkl_letter **out) {
    mkl_letter *l = mkl__calloc(1, sizeof *l);
    if (!l) return mkl__err(&r->err, MKL_ERR_NOMEM, tmpl->doc->file, 0, 0, "out of memory");
    mkl_status st = mkl__doc_fill(tmpl->doc, lk, &l->doc, &r->err);
    if (st) {
        mkl__free(l);
        return st;
    }
    l->serial = mkl__letter_serial();
    l->filled_from = tmpl->serial;
    make_base(r, tmpl);
    *out = l;
    return MKL_OK;
}

/* A placeholder's name as a C string (names longer than the buffer are no field). */
static int field_name(char *buf, size_t size, const char *name, size_t len) {
    if (len >= size) return 0;
    memcpy(buf, name, len);
    buf[len] = 0;
    return 1;
}

typedef struct Api { mkl_field_fn get; void *user; } Api;

static const char *api_get(void *user, const char *name, size_t len) {
    const Api *a = user;
    char buf[256];
    return field_name(buf, sizeof buf, name, len) ? a->get(a->user, buf) : NULL;
}

mkl_status mkl_letter_fill(mkl_renderer *r, const mkl_letter *tmpl, mkl_field_fn get, void *user, mkl_letter **out) {
    if (!r || !tmpl || !get || !out) return MKL_ERR_ARGUMENT;
    *out = NULL;
    mkl__err_clear(&r->err);
    Api a = {get, user};
    mkl_lookup lk = {api_get, NULL, &a, 1, 0};
    return fill_letter(r, tmpl, &lk, out);
}

mkl_status mkl_data_load(mkl_renderer *r, const char *path, mkl_data **out) {
    if (!r || !path || !out) return MKL_ERR_ARGUMENT;
    *out = NULL;
    mkl__err_clear(&r->err);
    mkl_data *d = mkl__calloc(1, sizeof *d);
    if (!d || !(d->path = mkl__strdup(path))) {
        mkl__free(d);
        return mkl__err(&r->err, MKL_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    mkl_status st = mkl__table_load(path, &d->t, &r->err);
    if (st) {
        mkl_data_free(d);
        return st;
    }
    mkl__note_input(r, path);
    *out = d;
    return MKL_OK;
}

void mkl_data_free(mkl_data *d) {
    if (!d) return;
    mkl__table_free(d->t);
    mkl__free(d->path);
    mkl__free(d);
}

size_t mkl_data_rows(const mkl_data *d) { return d ? mkl__table_rows(d->t) : 0; }
int mkl_data_line(const mkl_data *d, size_t row) { return d ? mkl__table_row_line(d->t, row) : 0; }

typedef struct Row {
    const mkl_data *d;
    size_t row;
    int path_part;     /* the values go into a file name: no '/', control character, "." or ".." */
    int bad_col;       /* the first value that may not, or -1 */
    const char *bad_why;
} Row;

/* Why `v` may not stand in a file name, or NULL. */
static const char *not_a_name_part(const char *v) {
    if (!strcmp(v, ".") || !strcmp(v, "..")) return "it would name a folder, not a file";
    for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
        if (*c == '/') return "it holds '/', which would put the file in another folder";
        if (*c < 0x20 || *c == 0x7f) return "it holds a control character";
    }
    return NULL;
}

static const char *row_get(void *user, const char *name, size_t len) {
    Row *rw = user;
    char buf[1024];
    int k = field_name(buf, sizeof buf, name, len) ? mkl__table_col(rw->d->t, buf) : -1;
    const char *v = k < 0 ? NULL : mkl__table_get(rw->d->t, rw->row, (size_t)k);
    const char *why;
    if (v && rw->path_part && rw->bad_col < 0 && (why = not_a_name_part(v))) {
        rw->bad_col = k;
        rw->bad_why = why;
    }
    return v;
}

static mkl_status row_unknown(void *user, const char *s, const char *open, const char *name, size_t len, mkl_error *e) {
    const Row *rw = user;
    int line, col;
    mkl__text_pos(s, open, &line, &col);   /* inside `s`: the caller places it in the letter */
    mkl_buf cols = {0};
    for (size_t k = 0; k < mkl__table_cols(rw->d->t) && cols.n < 600; k++) {
        if (k) mkl__buf_adds(&cols, ", ");
        mkl__buf_adds(&cols, mkl__table_colname(rw->d->t, k));
    }
    mkl_status st = mkl__err(e, MKL_ERR_INPUT, NULL, line, col, "unknown field '%.*s' (%s has: %s)", (int)MKL_MIN(len, 200), name,
                             rw->d->path, cols.s ? cols.s : "");
    mkl__buf_free(&cols);
    return st;
}

/* Which row an error is about: "row 7 (data.csv line 8)", counted as --rows
 * counts them (1 is the first row after the header). */
static void row_label(const mkl_data *d, size_t row, char *buf, size_t size) {
    char path[210];   /* the data file's name is shown escaped, like the rest of the message */
    mkl__escape(d->path, strnlen(d->path, 200), path, sizeof path);
    snprintf(buf, size, "row %zu (%s line %d)", row + 1, path, mkl__table_row_line(d->t, row));
}

static mkl_status with_row(mkl_renderer *r, const mkl_data *d, size_t row, mkl_status st) {
    char label[300];
    row_label(d, row, label, sizeof label);
    return mkl__err_in_row(&r->err, label, st);
}

mkl_status mkl_letter_fill_row(mkl_renderer *r, const mkl_letter *tmpl, const mkl_data *d, size_t row, mkl_letter **out) {
    if (!r || !tmpl || !d || !out) return MKL_ERR_ARGUMENT;
    *out = NULL;
    mkl__err_clear(&r->err);
    if (row >= mkl__table_rows(d->t)) return mkl__err(&r->err, MKL_ERR_ARGUMENT, d->path, 0, 0, "no row %zu", row);
    Row rw = {d, row, 0, -1, NULL};
    mkl_lookup lk = {row_get, row_unknown, &rw, 1, 0};
    mkl_status st = with_row(r, d, row, fill_letter(r, tmpl, &lk, out));
    if (st) return st;
    /* later errors about the copy (a font, an image, the layout) name the row too */
    char label[300];
    row_label(d, row, label, sizeof label);
    if (!((*out)->row_label = mkl__strdup(label))) {
        mkl_letter_free(*out);
        *out = NULL;
        return mkl__err(&r->err, MKL_ERR_NOMEM, d->path, 0, 0, "out of memory");
    }
    return MKL_OK;
}

static mkl_status data_fill(mkl_renderer *r, const mkl_data *d, size_t row, const char *tmpl, int path_part, char **out) {
    if (!r || !d || !tmpl || !out) return MKL_ERR_ARGUMENT;
    *out = NULL;
    mkl__err_clear(&r->err);
    if (row >= mkl__table_rows(d->t)) return mkl__err(&r->err, MKL_ERR_ARGUMENT, d->path, 0, 0, "no row %zu", row);
    Row rw = {d, row, path_part, -1, NULL};
    mkl_lookup lk = {row_get, row_unknown, &rw, 1, 0};
    mkl_buf b = {0};
    mkl_status st = mkl__fill_with(tmpl, &lk, &b, &r->err);
    if (!st && !b.s && !(b.s = mkl__strndup("", 0))) st = mkl__err(&r->err, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    if (!st && rw.bad_col >= 0) {
        /* the value, shown with its control characters escaped */
        char shown[200];
        size_t o = 0;
        for (const unsigned char *c = (const unsigned char *)mkl__table_get(d->t, row, (size_t)rw.bad_col);
             *c && o + 5 < sizeof shown; c++)
            o += (size_t)snprintf(shown + o, sizeof shown - o, *c < 0x20 || *c == 0x7f ? "\\x%02x" : "%c", *c);
        shown[o] = 0;
        st = mkl__err(&r->err, MKL_ERR_INPUT, NULL, 0, 0, "field '%s' ('%s') cannot be part of the output name: %s",
                      mkl__table_colname(d->t, (size_t)rw.bad_col), shown, rw.bad_why);
    }
    if (st) {
        mkl__buf_free(&b);
        snprintf(r->err.file, sizeof r->err.file, "%s", tmpl);
        r->err.line = r->err.column = 0;
        return with_row(r, d, row, st);
    }
    *out = b.s;
    return MKL_OK;
}

mkl_status mkl_data_fill(mkl_renderer *r, const mkl_data *d, size_t row, const char *tmpl, char **out) {
    return data_fill(r, d, row, tmpl, 0, out);
}

mkl_status mkl_data_fill_path(mkl_renderer *r, const mkl_data *d, size_t row, const char *tmpl, char **out) {
    return data_fill(r, d, row, tmpl, 1, out);
}

mkl_status mkl_batch_new(mkl_renderer *r, int duplex, mkl_batch **out) {
    if (!r || !out) return MKL_ERR_ARGUMENT;
    *out = NULL;
    mkl_batch *b = mkl__calloc(1, sizeof *b);
    if (!b) return MKL_ERR_NOMEM;
    b->r = r;
    b->duplex = duplex;
    *out = b;
    return MKL_OK;
}

mkl_status mkl_batch_set_jobs(mkl_batch *b, int jobs) {
    if (!b) return MKL_ERR_ARGUMENT;
    mkl__err_clear(&b->r->err);
    if (jobs < 1 || jobs > MKL_BATCH_MAX_JOBS)
        return mkl__err(&b->r->err, MKL_ERR_ARGUMENT, NULL, 0, 0, "%d threads for a batch: from 1 to %d", jobs,
                        MKL_BATCH_MAX_JOBS);
    if (b->w || b->rows || b->written)
        return mkl__err(&b->r->err, MKL_ERR_ARGUMENT, NULL, 0, 0, "the batch has copies already: its threads are set before");
    b->jobs = jobs;
    return MKL_OK;
}

mkl_status mkl__batch_write_copy(mkl_batch *b, const mkl_letter *l, const mkl_layout *L, mkl_error *e) {
    mkl_renderer *r = b->r;
    mkl_status st = MKL_OK;
    if (!b->w) {
        /* the document's title and author are the first letter's */
        mkl_pdf_info info = {l->doc->subject, l->doc->lh_name, mkl__creation_time(r), r->opts.pdfa, r->subsets,
                             r->opts.signer, r->opts.tags, r->opts.pdfua, b->sink, b->sink_user, b->sink_name, NULL, NULL,
                             b->jobs};
        if ((st = mkl__pdfw_new(&info, &b->w, e))) return st;
    }
    st = mkl__pdfw_add(b->w, L, b->duplex, e);
    if (st == MKL_ERR_NOMEM) mkl__err_default_file(e, l->doc->file);   /* not a bare "out of memory" */
    return mkl__err_in_row(e, l->row_label, st);
}

mkl_status mkl_batch_add(mkl_batch *b, const mkl_letter *l) {
    if (!b || !l || b->written || b->rows) return MKL_ERR_ARGUMENT;
    mkl_renderer *r = b->r;
    mkl__err_clear(&r->err);
    mkl_layout L = {0};
    mkl_status st = mkl__render_layout(r, l, &L);
    if (!st) st = mkl__batch_write_copy(b, l, &L, &r->err);
    else if (st == MKL_ERR_NOMEM) mkl__err_default_file(&r->err, l->doc->file);
    mkl__layout_free(&L);
    return st ? mkl__err_in_row(&r->err, l->row_label, st) : st;
}

mkl_status mkl_batch_add_row(mkl_batch *b, const mkl_letter *tmpl, const mkl_data *d, size_t row) {
    if (!b || !tmpl || !d || b->written) return MKL_ERR_ARGUMENT;
    /* rows ahead on a thread of the batch's: for a file streamed, with jobs */
    if (b->rows || (b->jobs > 1 && b->sink && !b->r->opts.pdfa && !b->r->opts.signer))
        return mkl__batch_rows_add(b, tmpl, d, row);
    mkl_letter *copy = NULL;
    mkl_status st = mkl_letter_fill_row(b->r, tmpl, d, row, &copy);
    if (!st) st = mkl_batch_add(b, copy);
    mkl_letter_free(copy);
    return st;
}

int mkl_batch_page_count(const mkl_batch *b) { return b ? mkl__pdfw_pages(b->w) : 0; }

static mkl_status finish(mkl_batch *b, mkl_buf *out) {
    if (b && !b->written && b->rows) {
        /* the rows still queued written first, the thread joined */
        mkl_status st = mkl__batch_rows_finish(b);
        if (st) {
            b->written = 1;
            return st;
        }
    }
    if (!b || b->written || !b->w) return MKL_ERR_ARGUMENT;
    b->written = 1;
    mkl__err_clear(&b->r->err);
    return mkl__pdfw_finish(b->w, out, &b->r->err);
}

mkl_status mkl_batch_write_file(mkl_batch *b, const char *path) {
    if (!path) return MKL_ERR_ARGUMENT;
    mkl_buf out = {0};
    mkl_status st = finish(b, &out);
    if (!st) st = mkl__write_atomic(b->r, path, out.s, out.n);
    mkl__buf_free(&out);
    return st;
}

mkl_status mkl_batch_spool(mkl_batch *b) {
    if (!b) return MKL_ERR_ARGUMENT;
    mkl__err_clear(&b->r->err);
    if (b->w || b->rows || b->written || b->sink)
        return mkl__err(&b->r->err, MKL_ERR_ARGUMENT, NULL, 0, 0,
                        "the batch has copies or a file already: it is spooled before");
    return mkl__spool_batch(b->r, b, NULL, &b->spool);
}

mkl_status mkl_batch_write(mkl_batch *b, mkl_write_fn write, void *user) {
    if (!write) return MKL_ERR_ARGUMENT;
    mkl_buf out = {0};
    mkl_status st = finish(b, &out);
    if (!st && b->spool) st = mkl__spool_hand_over(b->spool, out.s, out.n, write, user, &b->r->err);
    else if (!st && out.n && write(user, (const unsigned char *)out.s, out.n))
        st = mkl__err(&b->r->err, MKL_ERR_WRITE, NULL, 0, 0, "the writer callback failed");
    mkl__buf_free(&out);
    return st;
}

mkl_status mkl_fileset_add_batch(mkl_fileset *s, mkl_batch *b, const char *path) {
    if (!s || !path) return MKL_ERR_ARGUMENT;
    mkl_buf out = {0};
    if (b && b->sink) {
        /* streamed: the rest of the file (or all of it, made whole) */
        mkl_status st = finish(b, &out);
        mkl_status end = mkl__fileset_end_stream(s, b->sink_user, path, !st, out.s, out.n);
        mkl__buf_free(&out);
        return st ? st : end;
    }
    mkl_status st = finish(b, &out);
    if (!st) st = mkl_fileset_add_pdf(s, (const unsigned char *)out.s, out.n, path);
    mkl__buf_free(&out);
    return st;
}

void mkl_batch_free(mkl_batch *b) {
    if (!b) return;
    mkl__batch_rows_free(b);
    mkl__pdfw_free(b->w);
    mkl__spool_free(b->spool);
    mkl__free(b->sink_name);
    mkl__free(b);
}
