/* pack.c - PDF 1.5 object streams and a cross-reference stream. See pack.h. */
#include "pack.h"

#include <stdlib.h>
#include <string.h>

#define MARK "/MklFlate true"
#define TOP_MARK "/" MKL_PACK_TOP_KEY " true"

/* Objects a stream holds: more would make a reader inflate a lot to reach one
 * page of a combined batch; fewer compress worse. */
#define PER_STREAM 200   /* (at most 256: Obj.idx) */

/* An object of the input: 20 bytes, as a petition has 200,000 of them (its
 * signatories' LI and LBody), where 80 were most of the memory packing took.
 * Offsets are 32-bit: libharu's streams are (HPDF_GetStreamSize). What only a
 * stream or a TOP object has is in a Big of its own. */
typedef struct Obj {
    uint32_t off;            /* "N 0 obj" in the input */
    uint32_t body, end;      /* the object, without "N 0 obj" and "endobj", trimmed */
    uint32_t stm;            /* PLAIN: its object stream; STREAM, TOP: its Big */
    uint8_t kind;            /* FREE, PLAIN, STREAM, TOP (TOP_MARK) or GONE (a /Length now written in place) */
    uint8_t idx;             /* PLAIN: its place in its object stream */
} Obj;
typedef struct Big {
    uint32_t len_at, len_end;  /* a stream's "K 0 R" after /Length, or 0 */
    uint32_t mark;             /* a stream's MARK (see pack.h), TOP's TOP_MARK, or 0 */
    uint32_t len_obj;          /* K */
    size_t newoff;             /* where it is in the output */
} Big;
typedef MKL_VEC(Big) Bigs;
enum { FREE, PLAIN, STREAM, GONE, TOP };

/* Bytes of an object written in place of in[at..end). */
typedef struct Repl { size_t at, end; const char *with; size_t n; } Repl;

static int ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0; }
static void skip_ws(const char *in, size_t n, size_t *i) {
    while (*i < n && ws(in[*i])) (*i)++;
}
static int lit(const char *in, size_t n, size_t *i, const char *s) {
    size_t k = strlen(s);
    if (*i + k > n || memcmp(in + *i, s, k)) return 0;
    *i += k;
    return 1;
}
/* An unsigned decimal of at most 15 digits at in[*i]. */
static int num(const char *in, size_t n, size_t *i, uint64_t *v) {
    size_t j = *i;
    uint64_t x = 0;
    while (j < n && j - *i < 15 && in[j] >= '0' && in[j] <= '9') x = x * 10 + (uint64_t)(in[j++] - '0');
    if (j == *i || (j < n && in[j] >= '0' && in[j] <= '9')) return 0;
    *i = j;
    *v = x;
    return 1;
}
/* "N 0 R" at in[*i] (after white space). */
static int ref(const char *in, size_t n, size_t *i, uint64_t *obj) {
    uint64_t gen;
    size_t j = *i;
    skip_ws(in, n, &j);
    if (!num(in, n, &j, obj)) return 0;
    skip_ws(in, n, &j);
    if (!num(in, n, &j, &gen) || gen) return 0;
    skip_ws(in, n, &j);
    if (!lit(in, n, &j, "R")) return 0;
    *i = j;
    return 1;
}
/* First `s` in in[from..to), or `to`. */
static size_t find(const char *in, size_t from, size_t to, const char *s) {
    size_t k = strlen(s);
    for (size_t i = from; i + k <= to; i++)
        if (in[i] == s[0] && !memcmp(in + i, s, k)) return i;
    return to;
}
/* Last `s` in in[from..to), or `to`. */
static size_t rfind(const char *in, size_t from, size_t to, const char *s) {
    size_t k = strlen(s);
    for (size_t i = to; i >= from + k; i--)
        if (!memcmp(in + i - k, s, k)) return i - k;
    return to;
}

static int cmp_off(const void *a, const void *b) {
    const Obj *x = *(Obj *const *)a, *y = *(Obj *const *)b;
    return (x->off > y->off) - (x->off < y->off);
}

/* Read the cross-reference table and every object's extent. */
static mkl_status read_objects(const char *in, size_t n, Obj **out_objs, size_t *out_count, Bigs *bigs,
                               size_t *trailer, size_t *trailer_end) {
    size_t i = rfind(in, n > 1024 ? n - 1024 : 0, n, "startxref");
    uint64_t x, first, count;
    if (i == n || n > UINT32_MAX) return MKL_ERR_PDF;
    i += 9;
    skip_ws(in, n, &i);
    if (!num(in, n, &i, &x) || x >= n) return MKL_ERR_PDF;
    size_t xref = (size_t)x, j = xref;
    if (!lit(in, n, &j, "xref")) return MKL_ERR_PDF;
    skip_ws(in, n, &j);
    if (!num(in, n, &j, &first) || first) return MKL_ERR_PDF;
    skip_ws(in, n, &j);
    /* each entry is 20 bytes: the count cannot be more than the bytes left */
    if (!num(in, n, &j, &count) || !count || count > (n - j) / 20 || count > 0xFFFFFF) return MKL_ERR_PDF;
    Obj *objs = mkl__calloc((size_t)count, sizeof *objs);
    Obj **order = mkl__malloc((size_t)count * sizeof *order);
    if (!objs || !order) {
        mkl__free(objs);
        mkl__free(order);
        return MKL_ERR_NOMEM;
    }
    mkl_status st = MKL_ERR_PDF;
    size_t used = 0;
    for (uint64_t k = 0; k < count; k++) {
        uint64_t off, gen;
        skip_ws(in, n, &j);
        if (!num(in, n, &j, &off)) goto out;
        skip_ws(in, n, &j);
        if (!num(in, n, &j, &gen)) goto out;
        skip_ws(in, n, &j);
        if (j >= n || (in[j] != 'n' && in[j] != 'f')) goto out;
        if (in[j++] == 'n') {
            if (gen || !k || off >= xref) goto out;
            objs[k].kind = PLAIN;
            objs[k].off = (uint32_t)off;
            order[used++] = &objs[k];
        }
    }
    skip_ws(in, n, &j);
    if (!lit(in, n, &j, "trailer")) goto out;
    *trailer = j;
    *trailer_end = find(in, j, n, "startxref");
    /* one section, no encryption: anything else is not what this packs */
    if (find(in, j, *trailer_end, "/Prev") != *trailer_end || find(in, j, *trailer_end, "/Encrypt") != *trailer_end)
        goto out;
    qsort(order, used, sizeof *order, cmp_off);
    for (size_t k = 0; k < used; k++) {
        Obj *o = order[k];
        size_t end = k + 1 < used ? order[k + 1]->off : xref, p = o->off;
        uint64_t num_, gen;
        if (k + 1 < used && end == o->off) goto out; /* two objects at one place */
        if (!num(in, end, &p, &num_) || num_ != (uint64_t)(o - objs)) goto out;
        skip_ws(in, end, &p);
        if (!num(in, end, &p, &gen) || gen) goto out;
        skip_ws(in, end, &p);
        if (!lit(in, end, &p, "obj")) goto out;
        skip_ws(in, end, &p);
        size_t e = rfind(in, p, end, "endobj");
        if (e == end) goto out;
        while (e > p && ws(in[e - 1])) e--;
        o->body = (uint32_t)p;
        o->end = (uint32_t)e;
        size_t t = p;
        int top = lit(in, e, &t, "<<") && (skip_ws(in, e, &t), lit(in, e, &t, TOP_MARK));
        int stream = !top && e - p >= 9 && !memcmp(in + e - 9, "endstream", 9);
        Big *big = top || stream ? MKL_PUSH(bigs) : NULL;
        if ((top || stream) && !big) {
            st = MKL_ERR_NOMEM;
            goto out;
        }
        if (big) o->stm = (uint32_t)(bigs->n - 1);
        if (top) {
            o->kind = TOP;
            big->mark = (uint32_t)(t - strlen(TOP_MARK));
            continue;
        }
        if (stream) {
            /* the dictionary ends at the first "stream" keyword after ">>" */
            size_t kw = p;
            for (;;) {
                kw = find(in, kw, e, "stream");
                if (kw == e) goto out;
                size_t b = kw;
                while (b > p && ws(in[b - 1])) b--;
                if (b - p >= 2 && in[b - 1] == '>' && in[b - 2] == '>' && kw + 6 < e &&
                    (in[kw + 6] == '\n' || in[kw + 6] == '\r'))
                    break;
                kw++;
            }
            o->kind = STREAM;
            size_t mk = find(in, p, kw, MARK);
            if (mk < kw) big->mark = (uint32_t)mk;
            for (size_t l = find(in, p, kw, "/Length"); l < kw; l = find(in, l + 1, kw, "/Length")) {
                size_t v = l + 7;
                uint64_t lobj;
                if (v < kw && ws(in[v]) && ref(in, kw, &v, &lobj) && lobj < count) {
                    big->len_obj = (uint32_t)lobj;
                    big->len_at = (uint32_t)(l + 8);   /* "/Length " stays, the reference goes */
                    big->len_end = (uint32_t)v;
                }
            }
        }
    }
    st = MKL_OK;
out:
    mkl__free(order);
    if (st) {
        mkl__free(objs);
        return st;
    }
    *out_objs = objs;
    *out_count = (size_t)count;
    return MKL_OK;
}

/* The value of key `key` ("/Root") in the trailer: a reference, as its object number. */
static int trailer_ref(const char *in, size_t t0, size_t t1, const char *key, uint64_t *obj) {
    size_t at = find(in, t0, t1, key);
    if (at == t1) return 0;
    at += strlen(key);
    return ref(in, t1, &at, obj);
}

static void put_be(unsigned char *p, uint64_t v, int width) {
    for (int i = width - 1; i >= 0; i--, v >>= 8) p[i] = (unsigned char)(v & 0xFF);
}

/* Point each object of `subst` at its bytes: sub[k] is the index + 1 in
 * subst->v of object k's replacement, 0 for none. MKL_ERR_PDF when one is
 * not a plain object of the input. */
static mkl_status subst_index(const mkl_pack_subst *subst, const Obj *objs, size_t count, uint32_t **out) {
    *out = NULL;
    if (!subst || !subst->n) return MKL_OK;
    uint32_t *sub = mkl__calloc(count, sizeof *sub);
    if (!sub) return MKL_ERR_NOMEM;
    for (size_t i = 0; i < subst->n; i++) {
        uint32_t k = subst->v[i].num;
        if (k >= count || objs[k].kind != PLAIN || sub[k]) {
            mkl__free(sub);
            return MKL_ERR_PDF;
        }
        sub[k] = (uint32_t)i + 1;
    }
    *out = sub;
    return MKL_OK;
}

/* Object k's body: its replacement's bytes or its own. */
static void body_of(const char *in, const Obj *o, const uint32_t *sub, size_t k, const mkl_pack_subst *subst,
                    const char **s, size_t *len) {
    if (sub && sub[k]) {
        const mkl_pack_obj *p = &subst->v[sub[k] - 1];
        *s = subst->bytes + p->off;
        *len = p->len;
    } else {
        *s = in + o->body;
        *len = o->end - o->body;
    }
}

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static size_t digits(size_t v) {
    size_t d = 1;
    while (v >= 10) v /= 10, d++;
    return d;
}

/* Writes v's digits ending just before `end`. */
static void put_digits_before(char *end, size_t v) {
    do *--end = (char)('0' + v % 10);
    while (v /= 10);
}

/* The writer's own objects of stream `stm` among objs[from, to) (their
 * bodies in bodies/lens, n of them) laid out in rows of `w` bytes into
 * *all: each header entry a row ("N OFF", right-aligned), then each object
 * in rows of its own, padded with spaces. The header's size into *first. */
static int lay_rows(const Obj *objs, size_t from, size_t to, size_t stm, const char *const *bodies,
                    const size_t *lens, size_t n, size_t w, mkl_buf *all, size_t *first) {
    size_t size = n * w;
    for (size_t i = 0; i < n; i++) size += (lens[i] + 1 + w - 1) / w * w;
    all->n = 0;
    if (mkl__buf_reserve(all, size)) return -1;
    memset(all->s, ' ', size);
    size_t off = 0, i = 0, body_at = n * w;
    for (size_t k = from; k < to; k++) {
        if (objs[k].kind != PLAIN || objs[k].stm != stm) continue;
        char *row = all->s + i * w;
        put_digits_before(row + w - 1, off);
        put_digits_before(row + w - 2 - digits(off), k);
        memcpy(all->s + body_at + off, bodies[i], lens[i]);
        size_t slot = (lens[i] + 1 + w - 1) / w * w;
        all->s[body_at + off + slot - 1] = '\n';
        off += slot;
        i++;
    }
    all->n = size;
    all->s[size] = 0;
    *first = n * w;
    return 0;
}

/* What deflate is left with when the Up predictor has taken each byte of
 * `all` from the one a row of `w` above: the bytes that differ, and twice
 * the runs they come in (each run breaks a match). Measured side by side on
 * the seed letter, it ranks the widths as their deflated sizes do. */
static size_t changed(const mkl_buf *all, size_t w) {
    size_t c = 0;
    int in_run = 0;
    const unsigned char *s = (const unsigned char *)all->s;
    for (size_t i = 0; i < all->n; i++) {
        int d = i < w ? s[i] != 0 : s[i] != s[i - w];
        c += (size_t)d + (size_t)(d && !in_run) * 2;
        in_run = d;
    }
    return c;
}

/* The objects of stream `stm` among objs[from, to) (at most PER_STREAM):
 * their bodies and sizes (+ 1, the newline) into bodies/lens, their count
 * into *n, their sizes' sum into *sum, the last one's number into *last. */
static void own_objects(const char *in, const Obj *objs, size_t from, size_t to, size_t stm, const uint32_t *sub,
                        const mkl_pack_subst *subst, const char **bodies, size_t *lens, size_t *n, size_t *sum,
                        size_t *last) {
    *n = *sum = 0;
    *last = from;
    for (size_t k = from; k < to && *n < PER_STREAM; k++) {
        if (objs[k].kind != PLAIN || objs[k].stm != stm) continue;
        body_of(in, &objs[k], sub, k, subst, &bodies[*n], &lens[*n]);
        *sum += lens[*n] + 1;
        *last = k;
        (*n)++;
    }
}

/* The row width for those objects: the one, of the four from the median
 * object's (rounded up to 8) in steps of 8, that leaves deflate the least
 * (changed(), into *cost); 0 when out of memory. `tmp` is scratch. */
static size_t best_width(const Obj *objs, size_t from, size_t to, size_t stm, const char *const *bodies,
                         const size_t *lens, size_t n, size_t sum, size_t last, mkl_buf *tmp, size_t *cost) {
    size_t sorted[PER_STREAM], first;
    for (size_t i = 0; i < n; i++) sorted[i] = lens[i] + 1;
    qsort(sorted, n, sizeof *sorted, cmp_size);
    size_t w0 = n ? (sorted[n / 2] + 7) / 8 * 8 : 32;
    w0 = MKL_MIN(MKL_MAX(w0, 32), 512);   /* (32 holds any header entry of a file under 4 GiB) */
    size_t best = 0;
    *cost = SIZE_MAX;
    for (size_t w = w0; w <= w0 + 24; w += 8) {
        /* a header entry fits (an offset is below sum + n * w) */
        if (digits(last) + 1 + digits(sum + n * w) + 1 > w) continue;
        if (lay_rows(objs, from, to, stm, bodies, lens, n, w, tmp, &first)) return 0;
        size_t c = changed(tmp, w);
        if (c < *cost) *cost = c, best = w;
    }
    return best;
}

/* What a renderer keeps of its last documents' object streams (pack.h): a
 * merge's copies, and a letter rendered again, give object streams (the
 * structure tree's rows above all) byte for byte those of the copy before,
 * and deflating them again was most of what tagging cost a copy. Kept: the
 * raw bytes of the last few object streams with their deflated bytes, and
 * the writer's own objects last laid out in rows with the width chosen for
 * them. A copy that differs in one byte is packed afresh. */
#define KEPT_STREAMS 4
struct mkl_pack_cache {
    mkl_buf raw[KEPT_STREAMS], z[KEPT_STREAMS];
    size_t next;
    mkl_buf rows_key;   /* the own objects' bodies, each with its newline */
    size_t rows_width;
    int rows_pay, rows_known;
};

mkl_pack_cache *mkl__pack_cache_new(void) { return mkl__calloc(1, sizeof(mkl_pack_cache)); }

void mkl__pack_cache_free(mkl_pack_cache *c) {
    if (!c) return;
    for (size_t i = 0; i < KEPT_STREAMS; i++) {
        mkl__buf_free(&c->raw[i]);
        mkl__buf_free(&c->z[i]);
    }
    mkl__buf_free(&c->rows_key);
    mkl__free(c);
}

/* Deflate `n` bytes at `src` into `z` (mkl__deflate, MKL_DEFLATE_OBJECTS), or
 * take the bytes a kept stream equal to it was deflated to. */
static int deflate_kept(mkl_pack_cache *c, mkl_buf *z, const char *src, size_t n) {
    for (size_t i = 0; c && i < KEPT_STREAMS; i++)
        if (c->raw[i].n == n && c->z[i].n && !memcmp(c->raw[i].s, src, n)) {
            mkl__buf_add(z, c->z[i].s, c->z[i].n);
            return z->oom ? -1 : 0;
        }
    if (mkl__deflate(z, src, n, MKL_DEFLATE_OBJECTS)) return -1;
    if (c) {
        /* (out of memory here only means nothing kept) */
        size_t i = c->next++ % KEPT_STREAMS;
        c->raw[i].n = c->z[i].n = 0;
        c->raw[i].oom = c->z[i].oom = 0;
        mkl__buf_add(&c->raw[i], src, n);
        mkl__buf_add(&c->z[i], z->s, z->n);
        if (c->raw[i].oom || c->z[i].oom) {
            mkl__buf_free(&c->raw[i]);
            mkl__buf_free(&c->z[i]);
        }
    }
    return 0;
}

/* Whether the writer's own objects are worth rows of their own (their
 * stream's wrapper and the loss of matches with libharu's objects
 * included): when they are many and alike. Measured side by side: rows
 * make the seed letter (184 elements, most of them co-signers' LI and
 * LBody) 330 bytes smaller, the Korean example (97) 150 bytes larger and
 * the 공문 (31) 400; changed() leaves 53 %, 60 % and 79 % of their bytes.
 * More than a stream's worth (a petition, a merge): rows. */
static int rows_pay(const char *in, Obj *objs, size_t count, const uint32_t *sub, const mkl_pack_subst *subst,
                    size_t own, mkl_pack_cache *cache, mkl_buf *tmp, size_t *width) {
    *width = 0;   /* the width, when one stream holds them all */
    if (!own) return 0;
    if (own > PER_STREAM) return 1;
    const char *bodies[PER_STREAM];
    size_t lens[PER_STREAM], n, sum, last, cost;
    for (size_t k = 1; k < count; k++)
        if (objs[k].kind == PLAIN && sub[k]) objs[k].stm = UINT32_MAX;   /* (set again when they are written) */
    own_objects(in, objs, 1, count, UINT32_MAX, sub, subst, bodies, lens, &n, &sum, &last);
    mkl_buf key = {0};
    for (size_t i = 0; cache && i < n; i++) {
        mkl__buf_add(&key, bodies[i], lens[i]);
        mkl__buf_add(&key, "\n", 1);
    }
    if (cache && !key.oom && cache->rows_known && key.n == cache->rows_key.n &&
        !memcmp(key.s, cache->rows_key.s, key.n)) {   /* (the same bodies: the same rows) */
        mkl__buf_free(&key);
        *width = cache->rows_width;
        return cache->rows_pay;
    }
    size_t w = best_width(objs, 1, count, UINT32_MAX, bodies, lens, n, sum, last, tmp, &cost);
    *width = w;
    int pay = w && cost * 100 < sum * 56;
    if (cache) {
        mkl__buf_free(&cache->rows_key);
        cache->rows_known = !key.oom;
        cache->rows_key = key;
        if (key.oom) mkl__buf_free(&cache->rows_key);
        cache->rows_width = w;
        cache->rows_pay = pay;
    }
    return pay;
}

/* An object stream of the writer's own objects (those of stream `stm`
 * among objs[from, to)) as rows, PNG "Up" predicted (lay_rows): the
 * structure tree's dictionaries come kind by kind (see pdf_tags.c), so that
 * a row differs from the one above in a few digits and the differences
 * deflate to almost nothing. `width`: the rows' (best_width), or 0 to
 * find it. hdr->n gets the header's size (/First), *data the predicted rows
 * of the whole stream, *columns the width. */
static mkl_status own_stream(const char *in, const Obj *objs, size_t from, size_t to, size_t stm, const uint32_t *sub,
                             const mkl_pack_subst *subst, size_t width, mkl_buf *hdr, mkl_buf *data, size_t *columns) {
    const char *bodies[PER_STREAM];
    size_t lens[PER_STREAM], n, sum, last, cost, first;
    own_objects(in, objs, from, to, stm, sub, subst, bodies, lens, &n, &sum, &last);
    size_t w = width ? width : best_width(objs, from, to, stm, bodies, lens, n, sum, last, hdr, &cost);
    if (!w) return hdr->oom ? MKL_ERR_NOMEM : MKL_ERR_PDF;   /* (no width: not with a file under 4 GiB) */
    if (lay_rows(objs, from, to, stm, bodies, lens, n, w, hdr, &first)) return MKL_ERR_NOMEM;
    size_t total = hdr->n, nrows = total / w;
    if (mkl__buf_reserve(data, total + nrows)) return MKL_ERR_NOMEM;
    /* each row a filter byte (2: Up) and its differences to the row above */
    unsigned char *dst = (unsigned char *)data->s + data->n;
    const unsigned char *src = (const unsigned char *)hdr->s;
    for (size_t r = 0; r < nrows; r++) {
        *dst++ = 2;
        for (size_t c = 0; c < w; c++) *dst++ = (unsigned char)(src[r * w + c] - (r ? src[(r - 1) * w + c] : 0));
    }
    data->n += total + nrows;
    data->s[data->n] = 0;
    hdr->n = first;
    *columns = w;
    return MKL_OK;
}

mkl_status mkl__pdf_substitute(const char *in, size_t n, const mkl_pack_subst *subst, mkl_buf *out) {
    Obj *objs = NULL;
    Bigs bigs = {0};
    size_t count = 0, t0 = 0, t1 = 0, keep = out->n;
    mkl_status st = read_objects(in, n, &objs, &count, &bigs, &t0, &t1);
    mkl__free(bigs.v);
    if (st) return st;
    uint32_t *sub = NULL;
    size_t *off = mkl__calloc(count, sizeof *off), first = n;
    if (!off) st = MKL_ERR_NOMEM;
    else st = subst_index(subst, objs, count, &sub);
    for (size_t k = 1; k < count && !st; k++)
        if (objs[k].kind != FREE && objs[k].off < first) first = objs[k].off;
    if (!st) {
        mkl__buf_add(out, in, first);   /* the header line and its binary comment */
        for (size_t k = 1; k < count; k++) {
            if (objs[k].kind == FREE) continue;
            const char *s;
            size_t len;
            body_of(in, &objs[k], sub, k, subst, &s, &len);
            off[k] = out->n - keep;
            mkl__buf_printf(out, "%zu 0 obj\n", k);
            mkl__buf_add(out, s, len);
            mkl__buf_adds(out, "\nendobj\n");
        }
        size_t xref = out->n - keep;
        mkl__buf_printf(out, "xref\n0 %zu\n0000000000 65535 f\r\n", count);
        for (size_t k = 1; k < count; k++) {
            if (objs[k].kind == FREE) mkl__buf_adds(out, "0000000000 65535 f\r\n");
            else mkl__buf_printf(out, "%010zu 00000 n\r\n", off[k]);
        }
        mkl__buf_adds(out, "trailer");
        mkl__buf_add(out, in + t0, t1 - t0);
        mkl__buf_printf(out, "startxref\n%zu\n%%%%EOF\n", xref);
        st = out->oom ? MKL_ERR_NOMEM : MKL_OK;
    }
    mkl__free(objs);
    mkl__free(off);
    mkl__free(sub);
    if (st) {
        out->n = keep;
        if (out->s) out->s[keep] = 0;
        out->oom = 0;
    }
    return st;
}

mkl_status mkl__pdf_pack(const char *in, size_t n, mkl_buf *out) { return mkl__pdf_pack_with(in, n, NULL, out); }

mkl_status mkl__pdf_pack_with(const char *in, size_t n, const mkl_pack_subst *subst, mkl_buf *out) {
    return mkl__pdf_pack_kept(in, n, subst, NULL, out);
}

mkl_status mkl__pdf_pack_kept(const char *in, size_t n, const mkl_pack_subst *subst, mkl_pack_cache *cache,
                              mkl_buf *out) {
    Obj *objs = NULL;
    Bigs bigs = {0};
    size_t count = 0, t0 = 0, t1 = 0, keep = out->n;
    mkl_status st = read_objects(in, n, &objs, &count, &bigs, &t0, &t1);
    if (st) {
        mkl__free(bigs.v);
        return st;
    }
    uint32_t *sub = NULL;
    if ((st = subst_index(subst, objs, count, &sub))) {
        mkl__free(objs);
        mkl__free(bigs.v);
        return st;
    }
    uint64_t root = 0, info = 0;
    int has_info = trailer_ref(in, t0, t1, "/Info", &info);
    mkl_buf hdr = {0}, data = {0}, rows = {0};
    unsigned char *xrow = NULL;
    st = MKL_ERR_PDF;
    if (!trailer_ref(in, t0, t1, "/Root", &root) || root >= count || objs[root].kind != PLAIN ||
        (has_info && (info >= count || objs[info].kind != PLAIN)))
        goto out;
    /* the ID array, copied as it is */
    size_t id0 = find(in, t0, t1, "/ID"), id1 = id0;
    if (id0 < t1) {
        id0 += 3;
        skip_ws(in, t1, &id0);
        id1 = find(in, id0, t1, "]");
        if (id0 >= t1 || in[id0] != '[' || id1 == t1) goto out;
        id1++;
    }
    /* a /Length held by a number object is written in place; that object
     * goes (a reference to anything else stays, and so does its object) */
    for (size_t k = 1; k < count; k++) {
        Obj *o = &objs[k];
        if (o->kind != STREAM || !bigs.v[o->stm].len_end) continue;
        Big *b = &bigs.v[o->stm];
        Obj *l = &objs[b->len_obj];
        size_t p = l->body;
        uint64_t v;
        if ((l->kind != PLAIN && l->kind != GONE) || !num(in, l->end, &p, &v) || p != l->end) {
            b->len_end = 0;
            continue;
        }
        l->kind = GONE;
    }

    mkl__buf_add(out, "%PDF-1.5\n%\xE2\xE3\xCF\xD3\n", 15);
    for (size_t k = 1; k < count; k++) {
        Obj *o = &objs[k];
        if (o->kind != STREAM && o->kind != TOP) continue;
        Big *b = &bigs.v[o->stm];
        b->newoff = out->n - keep;
        mkl__buf_printf(out, "%zu 0 obj\n", k);
        /* the object as it is but for its /Length reference and its MARK */
        Repl r[2];
        int nr = 0;
        if (b->len_end) {
            const Obj *l = &objs[b->len_obj];
            r[nr++] = (Repl){b->len_at, b->len_end, in + l->body, l->end - l->body};
        }
        if (o->kind == TOP) r[nr++] = (Repl){b->mark, b->mark + strlen(TOP_MARK), "", 0};
        else if (b->mark) r[nr++] = (Repl){b->mark, b->mark + strlen(MARK), "/Filter /FlateDecode", 20};
        if (nr == 2 && r[1].at < r[0].at) {
            Repl t = r[0];
            r[0] = r[1];
            r[1] = t;
        }
        if (nr == 2 && r[0].end > r[1].at) goto out;   /* overlapping: not what this packs */
        size_t from = o->body;
        for (int i = 0; i < nr; i++) {
            mkl__buf_add(out, in + from, r[i].at - from);
            mkl__buf_add(out, r[i].with, r[i].n);
            from = r[i].end;
        }
        mkl__buf_add(out, in + from, o->end - from);
        mkl__buf_adds(out, "\nendobj\n");
    }
    /* the other objects, PER_STREAM to an object stream numbered from
     * `count`: libharu's first, then the writer's own (subst: the structure
     * tree's dictionaries), in rows (own_stream) */
    size_t nplain[2] = {0, 0};
    for (size_t k = 1; k < count; k++)
        if (objs[k].kind == PLAIN) nplain[sub && sub[k]]++;
    size_t width = 0;
    int in_rows = rows_pay(in, objs, count, sub, subst, nplain[1], cache, &hdr, &width);
    if (hdr.oom) { st = MKL_ERR_NOMEM; goto out; }
    if (!in_rows) nplain[0] += nplain[1], nplain[1] = 0;
    size_t nstm0 = (nplain[0] + PER_STREAM - 1) / PER_STREAM;
    size_t nstm = nstm0 + (nplain[1] + PER_STREAM - 1) / PER_STREAM, size = count + nstm + 1;
    size_t *stm_off = mkl__calloc(nstm + 1, sizeof *stm_off);
    if (!stm_off) { st = MKL_ERR_NOMEM; goto out; }
    size_t k = 1;
    int failed = 0;
    for (size_t s = 0; s < nstm; s++) {
        int own = s >= nstm0;
        if (s == nstm0) k = 1;
        hdr.n = data.n = 0;
        uint32_t idx = 0;
        size_t from = k;
        for (; idx < PER_STREAM && k < count; k++) {
            Obj *o = &objs[k];
            if (o->kind != PLAIN || (in_rows && sub[k] != 0) != own) continue;
            o->stm = (uint32_t)(count + s);
            o->idx = (uint8_t)idx++;
            if (own) continue;   /* (laid out below) */
            mkl__buf_printf(&hdr, "%zu %zu ", k, data.n);
            const char *body;
            size_t len;
            body_of(in, o, sub, k, subst, &body, &len);
            mkl__buf_add(&data, body, len);
            mkl__buf_adds(&data, "\n");
        }
        size_t columns = 0;
        mkl_status ost = MKL_OK;
        if (own) ost = own_stream(in, objs, from, k, count + s, sub, subst, width, &hdr, &data, &columns);
        else mkl__buf_add(&hdr, data.s, data.n);
        if (ost || hdr.oom || data.oom) { st = ost == MKL_ERR_PDF ? ost : MKL_ERR_NOMEM; failed = 1; break; }
        mkl_buf z = {0};
        const mkl_buf *src = own ? &data : &hdr;   /* own: the predicted rows are in data */
        if (deflate_kept(cache, &z, src->s, src->n)) { st = MKL_ERR_NOMEM; mkl__buf_free(&z); break; }
        stm_off[s] = out->n - keep;
        mkl__buf_printf(out, "%zu 0 obj\n<< /Type /ObjStm /N %u /First %zu /Filter /FlateDecode", count + s, (unsigned)idx,
                        own ? hdr.n : hdr.n - data.n);   /* (own: hdr.n is the header's size) */
        if (own) mkl__buf_printf(out, " /DecodeParms << /Predictor 12 /Columns %zu >>", columns);
        mkl__buf_printf(out, " /Length %zu >>\nstream\n", z.n);
        mkl__buf_add(out, z.s, z.n);
        mkl__buf_adds(out, "\nendstream\nendobj\n");
        mkl__buf_free(&z);
    }
    if (failed || st == MKL_ERR_NOMEM) { mkl__free(stm_off); goto out; }
    /* the cross-reference stream: rows of type (1 byte), field 2 (`w` bytes)
     * and field 3 (2 bytes), each row as the difference to the one before
     * (PNG "Up" predictor), which deflate packs to almost nothing */
    size_t xoff = out->n - keep;
    int w = 1;
    while (w < 8 && (xoff >> (8 * w)) != 0) w++;
    if (w < 8 && size >> (8 * w)) w++;
    int cols = 1 + w + 2;
    xrow = mkl__calloc(2, (size_t)cols);
    if (!xrow) { mkl__free(stm_off); st = MKL_ERR_NOMEM; goto out; }
    unsigned char *row = xrow, *prev = xrow + cols;
    for (size_t c = 0; c < size; c++) {
        memset(row, 0, (size_t)cols);
        if (c == 0) {
            put_be(row + 1 + w, 0xFFFF, 2);
        } else if (c < count && (objs[c].kind == STREAM || objs[c].kind == TOP)) {
            row[0] = 1;
            put_be(row + 1, bigs.v[objs[c].stm].newoff, w);
        } else if (c < count && objs[c].kind == PLAIN) {
            row[0] = 2;
            put_be(row + 1, objs[c].stm, w);
            put_be(row + 1 + w, objs[c].idx, 2);
        } else if (c >= count) {
            row[0] = 1;
            put_be(row + 1, c + 1 == size ? xoff : stm_off[c - count], w);
        }
        char up[1 + 16];
        up[0] = 2;
        for (int b = 0; b < cols; b++) up[1 + b] = (char)(row[b] - prev[b]);
        mkl__buf_add(&rows, up, (size_t)cols + 1);
        unsigned char *t = prev;
        prev = row;
        row = t;
    }
    mkl__free(stm_off);
    mkl_buf z = {0};
    if (rows.oom || mkl__deflate(&z, rows.s, rows.n, MKL_DEFLATE_BEST)) {
        mkl__buf_free(&z);
        st = MKL_ERR_NOMEM;
        goto out;
    }
    mkl__buf_printf(out, "%zu 0 obj\n<< /Type /XRef /Size %zu /W [1 %d 2] /Root %llu 0 R", size - 1, size, w,
                    (unsigned long long)root);
    if (has_info) mkl__buf_printf(out, " /Info %llu 0 R", (unsigned long long)info);
    if (id1 > id0) {
        mkl__buf_adds(out, " /ID ");
        mkl__buf_add(out, in + id0, id1 - id0);
    }
    mkl__buf_printf(out, " /Filter /FlateDecode /DecodeParms << /Columns %d /Predictor 12 >> /Length %zu >>\nstream\n",
                    cols, z.n);
    mkl__buf_add(out, z.s, z.n);
    mkl__buf_printf(out, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", xoff);
    mkl__buf_free(&z);
    st = out->oom ? MKL_ERR_NOMEM : MKL_OK;
out:
    mkl__free(objs);
    mkl__free(bigs.v);
    mkl__free(sub);
    mkl__free(xrow);
    mkl__buf_free(&hdr);
    mkl__buf_free(&data);
    mkl__buf_free(&rows);
    if (st) {
        out->n = keep;
        if (out->s) out->s[keep] = 0;
        out->oom = 0;
    }
    return st;
}
