/* merge.c - see merge.h.
 *
 * The CSV is parsed by libcsv's push parser in strict mode. libcsv does not
 * say where a record starts, so the text is fed to it one physical line at a
 * time (and at most CHUNK bytes at a time): a record can only end on the last
 * byte of what was fed, so the parser's callbacks always know the line they
 * are on. Empty lines are recognised here, before libcsv sees them (it would
 * skip them silently).
 *
 * Every cell goes into one growing buffer, NUL-terminated, with its offset in
 * a second array: memory stays linear in the input size. */
#include "merge.h"
#include "smart.h"

#include <csv.h>
#include <limits.h>
#include <string.h>

#include "util.h"

#define CHUNK 65536   /* most bytes fed to libcsv at once */

struct mkl_table {
    char *store;        /* every cell, NUL-terminated, one after the other */
    size_t *cell;       /* (rows + 1) * cols offsets into store; row 0 is the header */
    size_t *namelen;    /* cols: length of each (trimmed) column name */
    int *line;          /* rows + 1: physical line where each record starts */
    size_t rows, cols;
};

typedef struct {
    const char *text;
    const char *name;
    mkl_error *e;
    mkl_status st;       /* first error, set by the callbacks too */
    mkl_buf store;
    MKL_VEC(size_t) cells;
    MKL_VEC(int) lines;
    size_t ncols;        /* fields in the header, once it is complete */
    size_t nrec;         /* complete records, header included */
    size_t nfield;       /* fields seen so far in the current record */
    size_t rec_start;    /* offset where the current record starts */
    int rec_line;        /* line where it starts */
    int in_record;
} csv_ctx;

/* Spaces are data (RFC 4180): libcsv must not trim them. */
static int never_space(unsigned char c) { (void)c; return 0; }

/* Line breaks: LF, CRLF, or a lone CR. */
static int count_breaks(const char *t, size_t from, size_t to, size_t len) {
    long n = 0;
    for (size_t i = from; i < to; i++)
        if (t[i] == '\n' || (t[i] == '\r' && !(i + 1 < len && t[i + 1] == '\n'))) n++;
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* A 1-based field number as an error column. */
static int fieldcol(size_t k) { return k >= (size_t)INT_MAX ? INT_MAX : (int)k + 1; }

static int add_lines(int line, int n) { return line > INT_MAX - n ? INT_MAX : line + n; }

/* Copy at most `max` bytes of `s` into `out` (size max + 4), cut on a UTF-8
 * character boundary, with "..." when cut. */
static void clip(char *out, size_t max, const char *s, size_t len) {
    if (len <= max) {
        memcpy(out, s, len);
        out[len] = 0;
        return;
    }
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    memcpy(out, s, n);
    memcpy(out + n, "...", 4);
}

/* "the header, field 3", "row 7, field 'name'" or "row 7, field 9" (an extra one);
 * rows are data rows, 1 the first after the header, as --rows counts them. */
static void where(const csv_ctx *c, size_t field, char *out, size_t size) {
    if (c->nrec == 0) {
        snprintf(out, size, "the header, field %zu", field + 1);
    } else if (field < c->ncols) {
        const char *nm = c->store.s + c->cells.v[field];
        char name[84];
        clip(name, 80, nm, strlen(nm));
        snprintf(out, size, "row %zu, field '%s'", c->nrec, name);
    } else {
        snprintf(out, size, "row %zu, field %zu", c->nrec, field + 1);
    }
}

static void on_field(void *s, size_t len, void *data) {
    csv_ctx *c = data;
    if (c->st) return;
    size_t k = c->nfield++;
    char w[160];
    if (c->nrec == 0 && c->nfield > MKL_CSV_MAX_COLS) {
        c->st = mkl__err(c->e, MKL_ERR_LIMIT, c->name, c->rec_line, 0,
                         "the header has more than %u columns (the limit)", MKL_CSV_MAX_COLS);
        return;
    }
    if (c->nrec > 0 && k >= c->ncols) return;   /* an extra field: counted, reported at the end of the row */
    if (len > MKL_CSV_MAX_FIELD) {
        where(c, k, w, sizeof w);
        c->st = mkl__err(c->e, MKL_ERR_LIMIT, c->name, c->rec_line, fieldcol(k),
                         "field longer than 1 MiB (the limit) in %s", w);
        return;
    }
    if (len && memchr(s, 0, len)) {
        where(c, k, w, sizeof w);
        c->st = mkl__err(c->e, MKL_ERR_INPUT, c->name, c->rec_line, fieldcol(k), "NUL byte in %s", w);
        return;
    }
    if (mkl__utf8_invalid(s, len) != (size_t)-1) {
        where(c, k, w, sizeof w);
        c->st = mkl__err(c->e, MKL_ERR_INPUT, c->name, c->rec_line, fieldcol(k), "invalid UTF-8 in %s (save the file as UTF-8)", w);
        return;
    }
    size_t *off = MKL_PUSH(&c->cells);
    if (!off) { c->st = mkl__err(c->e, MKL_ERR_NOMEM, c->name, 0, 0, "out of memory"); return; }
    *off = c->store.n;
    mkl__buf_add(&c->store, len ? s : "", len);
    mkl__buf_add(&c->store, "", 1);   /* the cell's NUL */
    if (c->store.oom) c->st = mkl__err(c->e, MKL_ERR_NOMEM, c->name, 0, 0, "out of memory");
}

static int is_ws(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f'; }

/* The header is complete: trim the names, refuse empty and repeated ones. */
static void end_header(csv_ctx *c) {
    c->ncols = c->nfield;
    char *st = c->store.s;
    for (size_t i = 0; i < c->ncols; i++) {
        size_t o = c->cells.v[i], n = strlen(st + o);
        while (n && is_ws(st[o])) o++, n--;
        while (n && is_ws(st[o + n - 1])) n--;
        st[o + n] = 0;
        c->cells.v[i] = o;
        if (!n) {
            c->st = mkl__err(c->e, MKL_ERR_INPUT, c->name, c->rec_line, (int)i + 1, "empty column name (column %zu)", i + 1);
            return;
        }
    }
    for (size_t j = 1; j < c->ncols; j++)
        for (size_t i = 0; i < j; i++)
            if (!strcmp(st + c->cells.v[i], st + c->cells.v[j])) {
                char name[84];
                clip(name, 80, st + c->cells.v[j], strlen(st + c->cells.v[j]));
                c->st = mkl__err(c->e, MKL_ERR_INPUT, c->name, c->rec_line, (int)j + 1,
                                 "duplicate column name '%s' (columns %zu and %zu)", name, i + 1, j + 1);
                return;
            }
}

static void on_record(int term, void *data) {
    (void)term;
    csv_ctx *c = data;
    if (c->st) return;
    if (c->nrec == 0) {
        end_header(c);
        if (c->st) return;
    } else {
        if (c->nfield != c->ncols) {
            c->st = mkl__err(c->e, MKL_ERR_INPUT, c->name, c->rec_line, 0, "row %zu has %zu field%s, the header has %zu",
                             c->nrec, c->nfield, c->nfield == 1 ? "" : "s", c->ncols);
            return;
        }
        if (c->nrec - 1 >= MKL_CSV_MAX_ROWS) {
            c->st = mkl__err(c->e, MKL_ERR_LIMIT, c->name, c->rec_line, 0, "more than %u rows (the limit)", MKL_CSV_MAX_ROWS);
            return;
        }
    }
    int *l = MKL_PUSH(&c->lines);
    if (!l) { c->st = mkl__err(c->e, MKL_ERR_NOMEM, c->name, 0, 0, "out of memory"); return; }
    *l = c->rec_line;
    c->nrec++;
    c->nfield = 0;
    c->in_record = 0;
}

/* Where the quote of the unterminated field at the end of the record that
 * starts at `start` opened. The record parsed cleanly up to the end of the
 * text, so fields are well formed. */
static size_t open_quote(const char *t, size_t start, size_t len) {
    size_t i = start, q = start;
    while (i < len) {
        if (t[i] == '"') {
            q = i++;
            for (;;) {
                if (i >= len) return q;
                if (t[i] == '"') {
                    if (i + 1 < len && t[i + 1] == '"') { i += 2; continue; }
                    i++;
                    break;
                }
                i++;
            }
        } else {
            while (i < len && t[i] != ',' && t[i] != '\n' && t[i] != '\r') i++;
        }
        if (i < len && t[i] == ',') i++;
        else return q;
    }
    return q;
}

static void parse_error(csv_ctx *c, struct csv_parser *p, size_t at, size_t len) {
    int kind = csv_error(p);
    if (kind == CSV_ENOMEM) { c->st = mkl__err(c->e, MKL_ERR_NOMEM, c->name, 0, 0, "out of memory"); return; }
    if (kind == CSV_ETOOBIG) { c->st = mkl__err(c->e, MKL_ERR_LIMIT, c->name, c->rec_line, 0, "field too large"); return; }
    char w[160], on[40] = "";
    where(c, c->nfield, w, sizeof w);
    int l = add_lines(c->rec_line, count_breaks(c->text, c->rec_start, at, len));
    if (l != c->rec_line) snprintf(on, sizeof on, " (on line %d)", l);
    unsigned char ch = (unsigned char)c->text[at];
    int col = fieldcol(c->nfield);
    if (ch == '"') {
        c->st = mkl__err(c->e, MKL_ERR_INPUT, c->name, c->rec_line, col,
                         "unexpected '\"' in %s%s: a field that holds a quote must be quoted as a whole, "
                         "with each '\"' inside doubled",
                         w, on);
    } else {
        char what[16];
        if (ch > 32 && ch < 127) snprintf(what, sizeof what, "'%c'", ch);
        else if (ch == ' ') snprintf(what, sizeof what, "space");
        else snprintf(what, sizeof what, "text");
        c->st = mkl__err(c->e, MKL_ERR_INPUT, c->name, c->rec_line, col,
                         "unexpected %s after the closing quote in %s%s: a '\"' inside a quoted field must be "
                         "doubled, and nothing may follow the closing quote",
                         what, w, on);
    }
}

mkl_status mkl__table_parse(const char *text, size_t len, const char *name, mkl_table **out, mkl_error *e) {
    if (out) *out = NULL;
    if (!out || (!text && len)) return mkl__err(e, MKL_ERR_ARGUMENT, name, 0, 0, "invalid argument");
    if (!text) text = "";
    csv_ctx c = {0};
    c.text = text;
    c.name = name;
    c.e = e;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return mkl__err(e, MKL_ERR_NOMEM, name, 0, 0, "out of memory");
    csv_set_space_func(&p, never_space);
    csv_set_realloc_func(&p, mkl__realloc);
    csv_set_free_func(&p, mkl__free);
    csv_set_blk_size(&p, 4096);

    size_t i = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) i = 3;
    if (len >= 2 && (!memcmp(text, "\xFF\xFE", 2) || !memcmp(text, "\xFE\xFF", 2))) {
        csv_free(&p);
        return mkl__err(e, MKL_ERR_INPUT, name, 1, 0, "the file is in UTF-16: save it as UTF-8 (\"CSV UTF-8\")");
    }
    int line = 1;
    int blank_line = 0;       /* first of the empty lines not yet known to be trailing */
    size_t blank_row = 0;
    while (i < len && !c.st) {
        size_t lim = len - i > CHUNK ? i + CHUNK : len;
        size_t j = i;
        while (j < lim && text[j] != '\n' && text[j] != '\r') j++;
        size_t end = lim;
        int brk = 0;
        if (j < lim) {
            end = j + 1;
            if (text[j] == '\r' && end < len && text[end] == '\n') end++;
            brk = 1;
        }
        if (!c.in_record) {
            if (j == i && brk) {   /* an empty line */
                if (c.nrec == 0) {
                    c.st = mkl__err(e, MKL_ERR_INPUT, name, line, 0,
                                    "line %d is empty: the first line must name the fields", line);
                    break;
                }
                if (!blank_line) { blank_line = line; blank_row = c.nrec; }
                line = add_lines(line, 1);
                i = end;
                continue;
            }
            if (blank_line) {
                c.st = mkl__err(e, MKL_ERR_INPUT, name, blank_line, 0, "row %zu is an empty line, the header has %zu field%s%s",
                                blank_row, c.ncols, c.ncols == 1 ? "" : "s",
                                c.ncols == 1 ? " (write \"\" for an empty value)" : "");
                break;
            }
            c.in_record = 1;
            c.rec_start = i;
            c.rec_line = line;
        }
        size_t n = csv_parse(&p, text + i, end - i, on_field, on_record, &c);
        if (c.st) break;
        if (n < end - i) { parse_error(&c, &p, i + n, len); break; }
        if (p.entry_pos > MKL_CSV_MAX_FIELD) {
            char w[160];
            where(&c, c.nfield, w, sizeof w);
            c.st = mkl__err(e, MKL_ERR_LIMIT, name, c.rec_line, fieldcol(c.nfield),
                            "field longer than 1 MiB (the limit) in %s", w);
            break;
        }
        size_t have = csv_get_buffer_size(&p);
        if (have > 4096) csv_set_blk_size(&p, have);   /* grow geometrically */
        if (brk) line = add_lines(line, 1);
        i = end;
    }
    if (!c.st && csv_fini(&p, on_field, on_record, &c) != 0 && !c.st) {
        size_t q = open_quote(text, c.rec_start, len);
        int ql = add_lines(c.rec_line, count_breaks(text, c.rec_start, q, len));
        c.st = mkl__err(e, MKL_ERR_INPUT, name, c.rec_line, fieldcol(c.nfield),
                        "unterminated quoted field (opened on line %d)", ql);
    }
    csv_free(&p);
    if (!c.st && c.nrec == 0)
        c.st = mkl__err(e, MKL_ERR_INPUT, name, 1, 0, "the file is empty: its first line must name the fields");

    mkl_table *t = NULL;
    if (!c.st) {
        t = mkl__calloc(1, sizeof *t);
        size_t *nl = mkl__calloc(c.ncols, sizeof *nl);
        if (!t || !nl) {
            mkl__free(t);
            mkl__free(nl);
            t = NULL;
            c.st = mkl__err(e, MKL_ERR_NOMEM, name, 0, 0, "out of memory");
        } else {
            t->store = c.store.s;
            t->cell = c.cells.v;
            t->line = c.lines.v;
            t->namelen = nl;
            t->cols = c.ncols;
            t->rows = c.nrec - 1;
            for (size_t k = 0; k < c.ncols; k++) nl[k] = strlen(t->store + t->cell[k]);
        }
    }
    if (c.st) {
        mkl__buf_free(&c.store);
        mkl__free(c.cells.v);
        mkl__free(c.lines.v);
        return c.st;
    }
    *out = t;
    return MKL_OK;
}

mkl_status mkl__table_load(const char *path, mkl_table **out, mkl_error *e) {
    if (out) *out = NULL;
    if (!path || !out) return mkl__err(e, MKL_ERR_ARGUMENT, path, 0, 0, "invalid argument");
    char *data;
    size_t len;
    mkl_status st = mkl__read_file(path, MKL_READ_MAX, "data file", &data, &len, e);
    if (st) return st;
    st = mkl__table_parse(data, len, path, out, e);
    mkl__free(data);
    return st;
}

void mkl__table_free(mkl_table *t) {
    if (!t) return;
    mkl__free(t->store);
    mkl__free(t->cell);
    mkl__free(t->namelen);
    mkl__free(t->line);
    mkl__free(t);
}

size_t mkl__table_rows(const mkl_table *t) { return t ? t->rows : 0; }
size_t mkl__table_cols(const mkl_table *t) { return t ? t->cols : 0; }

const char *mkl__table_colname(const mkl_table *t, size_t col) {
    return t && col < t->cols ? t->store + t->cell[col] : NULL;
}

static int find_col(const mkl_table *t, const char *name, size_t len) {
    for (size_t k = 0; k < t->cols; k++)
        if (t->namelen[k] == len && !memcmp(t->store + t->cell[k], name, len)) return k > INT_MAX ? -1 : (int)k;
    return -1;
}

int mkl__table_col(const mkl_table *t, const char *name) {
    return t && name ? find_col(t, name, strlen(name)) : -1;
}

const char *mkl__table_get(const mkl_table *t, size_t row, size_t col) {
    if (!t || row >= t->rows || col >= t->cols) return "";
    return t->store + t->cell[(row + 1) * t->cols + col];
}

int mkl__table_row_line(const mkl_table *t, size_t row) {
    return t && row < t->rows ? t->line[row + 1] : 0;
}

/* ---- placeholders ---- */

enum { PH_NONE = 0, PH_FOUND = 1, PH_UNCLOSED = -1, PH_EMPTY = -2 };

/* The first placeholder at or after `s`: *open is its "{{", [*name, *name + *len)
 * its trimmed name, *after the byte after its "}}". */
static int next_placeholder(const char *s, const char **open, const char **name, size_t *len, const char **after) {
    const char *o = strstr(s, "{{");
    if (!o) return PH_NONE;
    *open = o;
    const char *q = o + 2;
    while (*q && *q != '\n' && *q != '\r' && !(q[0] == '}' && q[1] == '}')) q++;
    if (*q != '}') return PH_UNCLOSED;
    const char *a = o + 2, *b = q;
    while (a < b && (*a == ' ' || *a == '\t')) a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
    if (a == b) return PH_EMPTY;
    *name = a;
    *len = (size_t)(b - a);
    *after = q + 2;
    return PH_FOUND;
}

int mkl__placeholders(const char *s, int (*fn)(void *user, const char *name, size_t len), void *user) {
    if (!s) return 0;
    for (;;) {
        const char *open, *name = NULL, *after = NULL;
        size_t len = 0;
        int r = next_placeholder(s, &open, &name, &len, &after);
        if (r == PH_NONE) return 0;
        if (r < 0) return MKL_ERR_INPUT;
        if (fn) {
            int v = fn(user, name, len);
            if (v) return v;
        }
        s = after;
    }
}

int mkl__has_placeholder(const char *s) { return s && strstr(s, "{{") != NULL; }

/* 1-based line and column (in characters) of `at` inside `s`. */
void mkl__text_pos(const char *s, const char *at, int *line, int *col) {
    long l = 1, c = 1;
    for (const char *p = s; p < at; p++) {
        if (*p == '\n') { l++; c = 1; }
        else if (((unsigned char)*p & 0xC0) != 0x80) c++;
    }
    *line = l > INT_MAX ? INT_MAX : (int)l;
    *col = c > INT_MAX ? INT_MAX : (int)c;
}

static mkl_status unknown_field(const mkl_table *t, const char *s, const char *open, const char *name, size_t len,
                                mkl_error *e) {
    mkl_buf list = {0};
    for (size_t k = 0; k < t->cols; k++) {
        const char *nm = t->store + t->cell[k];
        if (list.n + t->namelen[k] > 600) {
            mkl__buf_adds(&list, k ? ", ..." : "...");
            break;
        }
        if (k) mkl__buf_adds(&list, ", ");
        mkl__buf_add(&list, nm, t->namelen[k]);
    }
    char nm[204];
    clip(nm, 200, name, len);
    int line, col;
    mkl__text_pos(s, open, &line, &col);
    mkl_status st = mkl__err(e, MKL_ERR_INPUT, NULL, line, col, "unknown field '%s' (the CSV has: %s)", nm,
                             list.oom || !list.s ? "..." : list.s);
    mkl__buf_free(&list);
    return st;
}

mkl_status mkl__fill_with(const char *s, const mkl_lookup *lk, mkl_buf *b, mkl_error *e) {
    if (!s || !lk || !lk->get || !b) return mkl__err(e, MKL_ERR_ARGUMENT, NULL, 0, 0, "invalid argument");
    const char *p = s;
    for (;;) {
        const char *open = NULL, *name = NULL, *after = NULL;
        size_t len = 0;
        int r = next_placeholder(p, &open, &name, &len, &after);
        if (r == PH_NONE) {
            mkl__buf_adds(b, p);
            break;
        }
        int line, col;
        if (r < 0) {
            mkl__text_pos(s, open, &line, &col);
            return mkl__err(e, MKL_ERR_INPUT, NULL, line, col, r == PH_UNCLOSED ? "unclosed '{{'" : "empty placeholder '{{ }}'");
        }
        /* "{{name?}}": the value may be empty */
        int optional = len > 1 && name[len - 1] == '?';
        size_t nlen = optional ? len - 1 : len;
        while (optional && nlen && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t')) nlen--;
        const char *v = lk->get(lk->user, name, nlen);
        if (!v) {
            if (lk->unknown) return lk->unknown(lk->user, s, open, name, nlen, e);
            char nm[204];
            clip(nm, 200, name, nlen);
            mkl__text_pos(s, open, &line, &col);
            return mkl__err(e, MKL_ERR_INPUT, NULL, line, col, "unknown field '%s'", nm);
        }
        if (lk->required && !optional && !*v) {
            char nm[204];
            clip(nm, 200, name, nlen);
            mkl__text_pos(s, open, &line, &col);
            return mkl__err(e, MKL_ERR_INPUT, NULL, line, col,
                            "field '%s' is empty (write {{%s?}} where it may be empty)", nm, nm);
        }
        size_t vlen = strlen(v);
        if (b->n + (size_t)(open - p) + vlen > MKL_FILLED_MAX) {
            mkl__text_pos(s, open, &line, &col);
            return mkl__err(e, MKL_ERR_LIMIT, NULL, line, col,
                            "with its fields filled in, this text is longer than 2 MiB (the limit)");
        }
        mkl__buf_add(b, p, (size_t)(open - p));
        if (lk->smart) mkl__smart_append(b, v, vlen);
        else mkl__buf_add(b, v, vlen);
        p = after;
    }
    if (b->oom) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return MKL_OK;
}

typedef struct TableRow { const mkl_table *t; size_t row; } TableRow;

static const char *table_get(void *user, const char *name, size_t len) {
    const TableRow *tr = user;
    int k = find_col(tr->t, name, len);
    return k < 0 ? NULL : mkl__table_get(tr->t, tr->row, (size_t)k);
}

static mkl_status table_unknown(void *user, const char *s, const char *open, const char *name, size_t len, mkl_error *e) {
    return unknown_field(((const TableRow *)user)->t, s, open, name, len, e);
}

mkl_status mkl__fill(const char *s, const mkl_table *t, size_t row, char **out, mkl_error *e) {
    if (out) *out = NULL;
    if (!s || !t || !out) return mkl__err(e, MKL_ERR_ARGUMENT, NULL, 0, 0, "invalid argument");
    if (row >= t->rows)
        return mkl__err(e, MKL_ERR_ARGUMENT, NULL, 0, 0, "row %zu is out of range (the CSV has %zu rows)", row, t->rows);
    TableRow tr = {t, row};
    mkl_lookup lk = {table_get, table_unknown, &tr, 0, 0};
    mkl_buf b = {0};
    mkl_status st = mkl__fill_with(s, &lk, &b, e);
    if (!st && !b.s && !(b.s = mkl__strndup("", 0))) st = mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    if (st) {
        mkl__buf_free(&b);
        return st;
    }
    *out = b.s;
    return MKL_OK;
}
