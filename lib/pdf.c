/* pdf.c - the PDF back end on libharu 2.3.0. See pdf.h.
 *
 * libharu's public API cannot draw glyph IDs, writes no TJ and writes a
 * malformed ToUnicode, so this module uses libharu for the document
 * structure (page tree, xref, streams, compression, info) and builds the font
 * objects itself through libharu's installed internal headers (HPDF_Dict,
 * HPDF_Xref, page content streams). Those internals are tied to 2.3.0: the
 * build refuses other versions and the run-time check refuses a different
 * shared library. */
#include "pdf_internal.h"
#include "deflate.h"
#include "glyphbase.h"
#include "pack.h"
#include "pdf_sign.h"

#include <hpdf.h>
#include <hpdf_doc.h>
#include <hpdf_objects.h>
#include <hpdf_encrypt.h>
#include <hpdf_pages.h>
#include <hpdf_streams.h>
#include <hpdf_version.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if HPDF_VERSION_ID != 20300
#error "pdf.c uses libharu internals of version 2.3.0 exactly (HPDF_VERSION_ID 20300)"
#endif

const char *mkl__pdf_backend_version(void) { return HPDF_GetVersion(); }
int mkl__pdf_backend_ok(void) { return !strcmp(HPDF_GetVersion(), "2.3.0"); }

/* Raw page content a writer keeps before it deflates the next pages (fast
 * level) while they wait: a page of text is ~12 KB as written, ~4 KB so.
 * Up to 16 MiB (about 1,300 pages) a batch pays no time for it; beyond, a
 * combined file takes about 15% longer and a third less memory. A variable
 * so that tests can take that path with a short letter. */
size_t mkl__pdf_keep_raw = (size_t)16 << 20;

static void on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user) {
    Ctx *c = user;
    if (c->quiet) return;
    if (!c->err) {
        c->err = error_no;
        c->detail = detail_no;
    }
}

mkl_status mkl__pdf_oom(W *w) { return mkl__err(w->e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory"); }

/* What a pdf_tags.c function returned, reported. */
static mkl_status tags_status(W *w, mkl_status st) {
    if (st == MKL_ERR_NOMEM) return mkl__pdf_oom(w);
    return st ? mkl__pdf_fail(w, "tagging") : MKL_OK;
}

mkl_status mkl__pdf_fail(W *w, const char *what) {
    /* libharu reports a refused allocation as all sorts of errors (or none) */
    if (w->ctx.err == HPDF_FAILD_TO_ALLOC_MEM || mkl__alloc_failures() != w->fail_mark) return mkl__pdf_oom(w);
    return mkl__err(w->e, MKL_ERR_PDF, NULL, 0, 0, "PDF back end (libharu) failed in %s: error 0x%04X, detail %u", what,
                    (unsigned)w->ctx.err, (unsigned)w->ctx.detail);
}

/* The slot of a (glyph, text) pair in a font's table: FNV-1a of the text,
 * then the glyph mixed in by multiplication. (FNV seeded with the glyph
 * collided for most of a Latin subset, whose glyph ids follow the code
 * points: 'a' is glyph 68 = 0x61 ^ 0x25, 'c' 70 = 0x63 ^ 0x25, ...; the
 * lookups probed long chains, a fifth of the page content's time.) The
 * slots never show in the output: codes are given in order of first use. */
static uint32_t hash_pair(uint32_t gid, const char *t, uint32_t n) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++) h = (h ^ (unsigned char)t[i]) * 16777619u;
    h ^= gid * 2654435761u;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    return h ^ (h >> 12);
}

/* A new font of `face` at the end of w->fonts (which may move). */
static mkl_status font_new(W *w, mkl_face *face, int is_twin) {
    PFont *f = MKL_PUSH(&w->fonts);
    if (!f) return mkl__pdf_oom(w);
    f->face = face;
    f->is_twin = is_twin;
    f->hcap = 1024;
    f->hash = mkl__calloc(f->hcap, sizeof *f->hash);
    uint32_t *z0 = MKL_PUSH(&f->cid_gid), *z1 = MKL_PUSH(&f->cid_toff), *z2 = MKL_PUSH(&f->cid_tlen); /* CID 0 */
    if (!f->hash || !z0 || !z1 || !z2) return mkl__pdf_oom(w);
    if (!is_twin && !w->flat && (f->base_gids = mkl__glyph_base_of(w->base, face, &f->base_n, &f->base_bits)))
        f->base_count = hb_face_get_glyph_count(face->face);
    f->type0 = HPDF_Dict_New(w->pdf->mmgr);
    if (w->flat) {
        /* written at the end, under a number the pages refer to now */
        uint32_t num, *code = MKL_PUSH(&f->codes);
        if (!code) return mkl__pdf_oom(w);
        if (!f->type0) return mkl__pdf_fail(w, "creating a font");
        mkl_status st = mkl__flat_reserve(w, &num);
        if (st) return st;
        f->type0->header.obj_id = num | HPDF_OTYPE_INDIRECT;
        return MKL_OK;
    }
    if (!f->type0 || HPDF_Xref_Add(w->pdf->xref, f->type0) != HPDF_OK) return mkl__pdf_fail(w, "creating a font");
    return MKL_OK;
}

static mkl_status font_for(W *w, mkl_face *face, PFont **out) {
    for (size_t i = 0; i < w->fonts.n; i++)
        if (w->fonts.v[i].face == face && !w->fonts.v[i].is_twin) {
            *out = &w->fonts.v[i];
            return MKL_OK;
        }
    mkl_status st = font_new(w, face, 0);
    if (st) return st;
    *out = &w->fonts.v[w->fonts.n - 1];
    return MKL_OK;
}

/* The slot of glyph `gid` in f->gtext. */
static uint32_t *gtext_slot(PFont *f, uint32_t gid) {
    size_t h = (gid * 2654435761u) & (f->gtcap - 1);
    while (f->gtext[h] && f->cid_gid.v[f->gtext[h]] != gid) h = (h + 1) & (f->gtcap - 1);
    return &f->gtext[h];
}

/* The pair (gid, text t) in font f, or 0. */
static uint32_t pair_find(const PFont *f, uint32_t gid, const char *t, uint32_t tlen) {
    for (uint32_t h = hash_pair(gid, t, tlen) & (f->hcap - 1);; h = (h + 1) & (f->hcap - 1)) {
        uint32_t c = f->hash[h];
        if (!c || (f->cid_gid.v[c] == gid && f->cid_tlen.v[c] == tlen && !memcmp(f->text.s + f->cid_toff.v[c], t, tlen)))
            return c;
    }
}

/* The twin of font `*f`, made if need be; `*f` becomes it. */
static mkl_status twin_of(W *w, PFont **f) {
    PFont *g = *f;
    if (!g->twin) {
        size_t at = (size_t)(g - w->fonts.v);
        mkl_status st = font_new(w, g->face, 1);
        if (st) return st;
        w->fonts.v[at].twin = w->fonts.n;   /* index + 1 of the font just made */
        g = &w->fonts.v[at];
    }
    *f = &w->fonts.v[g->twin - 1];
    return MKL_OK;
}

/* The font (f, or a twin of it) that can draw `gid` for text t: one where the
 * glyph has no text yet, or this one. Only CFF fonts have twins; and, in a
 * flat writer, TrueType fonts, whose code for a glyph is the glyph's id: a
 * glyph drawn for a second text (or none, after one) is drawn from a twin,
 * so that no CIDToGIDMap is needed. A merge copy's base font (glyphbase.h)
 * draws a glyph outside the base from its twin. */
static mkl_status font_for_text(W *w, PFont **f, uint32_t gid, const char *t, uint32_t tlen) {
    /* a glyph a merge copy's row brings: from the twin of its base font */
    const PFont *b = *f;
    if (b->base_bits && (gid >= b->base_count || !(b->base_bits[gid >> 3] & (1 << (gid & 7))))) return twin_of(w, f);
    if (w->flat && !(*f)->face->cff) {
        for (;;) {
            PFont *g = *f;
            if (!g->gid_taken) {
                unsigned n = hb_face_get_glyph_count(g->face->face);
                if (!(g->gid_taken = mkl__calloc(n / 8 + 1, 1))) return mkl__pdf_oom(w);
            }
            if (!(g->gid_taken[gid >> 3] & (1 << (gid & 7))) || pair_find(g, gid, t, tlen)) return MKL_OK;
            mkl_status st = twin_of(w, f);
            if (st) return st;
        }
    }
    if (!(*f)->face->cff || !tlen) return MKL_OK;
    for (;;) {
        PFont *g = *f;
        if ((g->gtn + 1) * 2 > g->gtcap) {
            size_t ncap = g->gtcap ? g->gtcap * 2 : 256, ocap = g->gtcap;
            uint32_t *old = g->gtext, *nt = mkl__calloc(ncap, sizeof *nt);
            if (!nt) return mkl__pdf_oom(w);
            g->gtext = nt;
            g->gtcap = ncap;
            for (size_t i = 0; i < ocap; i++)
                if (old[i]) *gtext_slot(g, g->cid_gid.v[old[i]]) = old[i];
            mkl__free(old);
        }
        uint32_t p = *gtext_slot(g, gid);
        if (!p || (g->cid_tlen.v[p] == tlen && !memcmp(g->text.s + g->cid_toff.v[p], t, tlen))) return MKL_OK;
        mkl_status st = twin_of(w, f);
        if (st) return st;
    }
}

/* The `n` bytes at a and b are the same (a glyph's text is a byte or a few:
 * memcmp's call cost more than the compare). */
static inline int same_text(const char *a, const char *b, uint32_t n) {
    if (n > 8) return !memcmp(a, b, n);
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* The CID of (gid, text) in font f, allocated on first use. */
static mkl_status cid_for(W *w, PFont *f, uint32_t gid, const char *t, uint32_t tlen, uint32_t *cid) {
    uint32_t *recent = &f->recent[gid & (sizeof f->recent / sizeof *f->recent - 1)], r = *recent;
    if (r && f->cid_gid.v[r] == gid && f->cid_tlen.v[r] == tlen && same_text(f->text.s + f->cid_toff.v[r], t, tlen)) {
        *cid = r;
        return MKL_OK;
    }
    if (f->cid_gid.n * 2 >= f->hcap) {
        size_t ncap = f->hcap * 2;
        uint32_t *nh = mkl__calloc(ncap, sizeof *nh);
        if (!nh) return mkl__pdf_oom(w);
        for (size_t c = 1; c < f->cid_gid.n; c++) {
            uint32_t h = hash_pair(f->cid_gid.v[c], f->text.s + f->cid_toff.v[c], f->cid_tlen.v[c]) & (ncap - 1);
            while (nh[h]) h = (h + 1) & (ncap - 1);
            nh[h] = (uint32_t)c;
        }
        mkl__free(f->hash);
        f->hash = nh;
        f->hcap = ncap;
    }
    uint32_t h = hash_pair(gid, t, tlen) & (f->hcap - 1);
    for (;;) {
        uint32_t c = f->hash[h];
        if (!c) break;
        if (f->cid_gid.v[c] == gid && f->cid_tlen.v[c] == tlen && same_text(f->text.s + f->cid_toff.v[c], t, tlen)) {
            *cid = c;
            *recent = c;
            return MKL_OK;
        }
        h = (h + 1) & (f->hcap - 1);
    }
    if (f->cid_gid.n >= 0xFFFF)
        return mkl__err(w->e, MKL_ERR_LIMIT, NULL, 0, 0, "more than 65,535 distinct glyphs in one font");
    uint32_t *a = MKL_PUSH(&f->cid_gid), *b = MKL_PUSH(&f->cid_toff), *c = MKL_PUSH(&f->cid_tlen);
    if (!a || !b || !c) return mkl__pdf_oom(w);
    *a = gid;
    *b = (uint32_t)f->text.n;
    *c = tlen;
    mkl__buf_add(&f->text, t, tlen);
    if (f->text.oom) return mkl__pdf_oom(w);
    *cid = (uint32_t)(f->cid_gid.n - 1);
    f->hash[h] = *cid;
    *recent = *cid;
    if (w->flat) {
        uint32_t *code = MKL_PUSH(&f->codes);
        if (!code) return mkl__pdf_oom(w);
        mkl_status st = mkl__pdf_flat_code(w, f, gid, code);
        if (st) return st;
    }
    if (tlen && f->gtcap) {
        uint32_t *g = gtext_slot(f, gid);
        if (!*g) {
            *g = *cid;
            f->gtn++;
        }
    }
    return MKL_OK;
}

/* Four upper-case hex digits (a provisional code): printf is a fifth of the
 * time of a render. */
static void hex4(mkl_buf *b, uint32_t v) {
    static const char d[] = "0123456789ABCDEF";
    char s[4] = {d[(v >> 12) & 15], d[(v >> 8) & 15], d[(v >> 4) & 15], d[v & 15]};
    mkl__buf_add(b, s, 4);
}

/* A final code (a CID) in a literal string of the page's content: its two
 * bytes, high first (Identity-H), a backslash before '(', ')' and '\', and
 * CR and LF as \r and \n (a reader turns a bare end of line in a string
 * into LF). Written so rather than as hex digits, a page's content is a
 * third smaller: deflated in a third of the time and about 9% smaller
 * (measured on the seed letter's pages). */
static inline char *code_put(char *p, uint32_t v) {
    for (int i = 0; i < 2; i++) {
        char c = (char)(i ? v & 0xFF : (v >> 8) & 0xFF);
        if (c == '(' || c == ')' || c == '\\') { *p++ = '\\'; *p++ = c; }
        else if (c == '\r') { *p++ = '\\'; *p++ = 'r'; }
        else if (c == '\n') { *p++ = '\\'; *p++ = 'n'; }
        else *p++ = c;
    }
    return p;   /* (at most 4 bytes written: no more than the code's 4 hex digits) */
}

static void code_bytes(mkl_buf *b, uint32_t v) {
    char s[4];
    mkl__buf_add(b, s, (size_t)(code_put(s, v) - s));
}

/* Shortest decimal for a coordinate: up to 3 decimals, no trailing zeros. */
static void num(mkl_buf *b, double v) {
    long long m = mkl__round_away(v * 1000);
    char s[32], *e = s + sizeof s, *p = e;
    int neg = m < 0;
    unsigned long long u = (unsigned long long)(neg ? -m : m);
    unsigned frac = (unsigned)(u % 1000);
    u /= 1000;
    if (frac) {
        int digits = 3;
        while (frac % 10 == 0) { frac /= 10; digits--; }
        for (int i = 0; i < digits; i++) { *--p = (char)('0' + frac % 10); frac /= 10; }
        *--p = '.';
    }
    do { *--p = (char)('0' + u % 10); u /= 10; } while (u);
    if (neg) *--p = '-';
    mkl__buf_add(b, p, (size_t)(e - p));
}

/* Content operators: `fmt` copied, each '#' a number (a double) written by num(). */
static void ops(mkl_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p;) {
        if (*p == '#') {
            num(b, va_arg(ap, double));
            p++;
            continue;
        }
        size_t k = strcspn(p, "#");
        mkl__buf_add(b, p, k);
        p += k;
    }
    va_end(ap);
}

/* The glyph's width as written in /W: whole 1/1000 em (some viewers read
 * /DW only as an integer). The content stream tracks the pen with the same
 * value and corrects the difference to HarfBuzz's advance with TJ numbers. */
static inline int glyph_w1000(mkl_face *f, uint32_t gid) {
    /* (font.c's cache, read here: a call per glyph, twice, was a fiftieth of a merge copy) */
    if (f->w1000 && gid < f->nw1000 && f->w1000[gid]) return f->w1000[gid] - 1;
    return mkl__face_w1000(f, gid);
}

static mkl_status image_for(W *w, const mkl_image *img, HPDF_Image *out);

/* The name of font `f` in the page's resources: libharu's, or, in a flat
 * writer, F and the font's index + 1 (the page's resources are made when its
 * content is done). */
static const char *font_name(W *w, PPage *pp, PFont *f, char buf[32]) {
    if (!w->flat) return HPDF_Page_GetLocalFontName(pp->page, f->type0);
    f->used_on_page = 1;
    snprintf(buf, 32, "F%zu", (size_t)(f - w->fonts.v) + 1);
    return buf;
}

/* Write the image `im` into the page's content (after the text, as before). */
static mkl_status page_image(W *w, PPage *pp, const mkl_pimage *im) {
    HPDF_Image obj = NULL;
    mkl_status st = image_for(w, im->img, &obj);
    if (st) return st;
    char buf[32];
    const char *name = buf;
    if (w->flat) {
        size_t i = 0;
        while (w->images.v[i].img != im->img) i++;
        w->images.v[i].used_on_page = 1;
        snprintf(buf, sizeof buf, "Im%zu", i + 1);
    } else {
        name = HPDF_Page_GetXObjectName(pp->page, obj);
    }
    if (!name) return mkl__pdf_fail(w, "drawing an image");
    mkl_buf *b = &pp->content;
    ops(b, "q # 0 0 # # # cm /", (double)im->w, (double)im->h, (double)im->x, w->L->height - im->y - im->h);
    mkl__buf_adds(b, name);
    mkl__buf_adds(b, " Do Q\n");
    return MKL_OK;
}

/* How far (pt) a glyph may sit from its place before a TJ number moves it:
 * 0.0035 mm, nine tenths of the TJ unit (1/1000 em) at 11 pt. */
#define PEN_SLACK 0.01

/* A coordinate as written (3 decimals), so the pen can be tracked exactly. */
static double as_written(double v) { return (double)mkl__round_away(v * 1000) / 1000; }

/* The character spacing (Tc, pt) for glyphs [i, j) of a run, one line: the
 * commonest gap between neighbours beyond their /W widths (the space a
 * justified Korean line puts between syllables, or the drift of a font
 * whose em is not 1000 units), so that those glyphs need no TJ number.
 * Keeps `cur` when it places as many. Looks at the first 256 gaps, and
 * counts the first 16 distinct gaps (in TJ units) it meets. `hz`: the
 * horizontal scaling (Tz / 100), which scales Tc as it does the widths. */
static double line_tc(const mkl_layout *L, mkl_face *face, size_t i, size_t j, double size, double hz, double cur) {
    enum { MAXG = 256, MAXV = 16 };
    double gap[MAXG];
    long val[MAXV], units[MAXG];
    size_t cnt[MAXV], nv = 0, n = 0;
    /* the index + 1 in val of a gap of -64 to 63 units (most are): found
     * without a search of val */
    unsigned char near[128] = {0};
    for (size_t k = i; k + 1 < j && n < MAXG; k++, n++) {
        const mkl_pglyph *a = &L->glyphs.v[k];
        double dx = L->glyphs.v[k + 1].x - a->x;
        gap[n] = (hz == 1 ? dx : dx / hz) - glyph_w1000(face, a->gid) * size / 1000;   /* (x / 1 is x) */
        long u = units[n] = (long)mkl__round_away(gap[n] * 1000 / size);
        unsigned char *slot = u >= -64 && u < 64 ? &near[u + 64] : NULL;
        size_t v = 0;
        if (slot) v = *slot ? *slot - 1u : nv;
        else
            while (v < nv && val[v] != u) v++;
        if (v < nv) cnt[v]++;
        else if (nv < MAXV) {
            if (slot) *slot = (unsigned char)(nv + 1);
            val[nv] = u;
            cnt[nv++] = 1;
        }
    }
    if (!n) return cur;
    size_t best = 0;
    for (size_t v = 1; v < nv; v++)
        if (cnt[v] > cnt[best]) best = v;
    double sum = 0;
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (units[k] == val[best]) { sum += gap[k]; m++; }
    double tc = as_written(sum / (double)m);
    size_t ntc = 0, ncur = 0;
    for (size_t k = 0; k < n; k++) {
        ntc += fabs(gap[k] - tc) < PEN_SLACK;
        ncur += fabs(gap[k] - cur) < PEN_SLACK;
    }
    return ncur >= ntc ? cur : tc;
}

/* `p` (holding `n` elements of `size` bytes, `*cap` allocated) with what it
 * over-allocated given back; if that fails, `p` as it was. */
static void *trim(void *p, size_t *cap, size_t n, size_t size) {
    void *t = p && n ? mkl__realloc(p, n * size) : NULL;
    if (!t) return p;
    *cap = n;
    return t;
}

static mkl_status page_content(W *w, PPage *pp, const mkl_page *pg) {
    const mkl_layout *L = w->L;
    mkl_buf *b = &pp->content;
    double H = L->height;
    mkl_status st;
    float rgb[3] = {0, 0, 0};
    mkl_tagger *T = w->tags;
    for (size_t r = 0; r < pg->rules.n; r++) {
        const mkl_prule *ru = &pg->rules.v[r];
        if (T) mkl__tags_mark(T, b, ru->tag, ru->seq);
        ops(b, "q # G # w # # m # # l S Q\n", (double)ru->gray, (double)ru->width, (double)ru->x0, H - ru->y0,
            (double)ru->x1, H - ru->y1);
    }
    int text = 0;
    for (size_t r = 0; r < pg->runs.n && !text; r++) text = pg->runs.v[r].count > 0;
    if (T) mkl__tags_close(T, b);
    if (text) mkl__buf_adds(b, "BT\n");
    PFont *curf = NULL;
    size_t curf_at = 0;   /* curf's index: w->fonts may move when a twin is made */
    float cursize = -1;
    /* The viewer's state: the line origin (lx, ly) that Td moves, in PDF
     * coordinates as written; the pen, where the next glyph would go, on the
     * baseline `peny` (layout coordinates); `havepen` once a line is set. */
    double lx = 0, ly = 0, pen = 0, peny = 0, tc = 0, hz = 1;   /* hz: Tz / 100 */
    int havepen = 0;
    for (size_t r = 0; r < pg->runs.n && text; r++) {
        const mkl_prun *run = &pg->runs.v[r];
        if (!run->count) continue;
        /* the hyphen a line break added is no part of the text: an artifact,
         * so that text read from the structure has the word whole */
        if (T) mkl__tags_mark(T, b, run->hyphen ? MKL_TAG_LAYOUT : run->tag, run->seq);
        PFont *f = NULL;
        if ((st = font_for(w, run->face, &f))) return st;
        curf = curf ? &w->fonts.v[curf_at] : NULL;
        if (f != curf || run->size != cursize) {
            char buf[32];
            const char *name = font_name(w, pp, f, buf);
            if (!name) return mkl__pdf_fail(w, "adding a font to a page");
            mkl__buf_printf(b, "/%s", name);
            ops(b, " # Tf\n", (double)run->size);
            curf = f;
            curf_at = (size_t)(f - w->fonts.v);
            cursize = run->size;
        }
        if (memcmp(rgb, run->rgb, sizeof rgb)) {
            memcpy(rgb, run->rgb, sizeof rgb);
            ops(b, "# # # rg\n", (double)rgb[0], (double)rgb[1], (double)rgb[2]);
        }
        double size = run->size;
        /* glyph expansion: the run's glyphs drawn wider or narrower (Tz) */
        double want_hz = as_written(100.0 * (1 + run->expand)) / 100;
        if (want_hz != hz) {
            ops(b, "# Tz\n", want_hz * 100);
            hz = want_hz;
        }
        int open = 0;
        size_t end = run->first + run->count;
        size_t base = (size_t)(f - w->fonts.v);
        for (size_t i = run->first; i < end; i++) {
            const mkl_pglyph *g = &L->glyphs.v[i];
            const char *gt = L->text.s ? L->text.s + g->toff : "";
            uint32_t cid = 0;
            f = &w->fonts.v[base];   /* (font_for_text may move the fonts) */
            if ((st = font_for_text(w, &f, g->gid, gt, g->tlen))) return st;
            curf = curf ? &w->fonts.v[curf_at] : NULL;
            if (f != curf) {
                /* a twin (or back): the same metrics, another font resource */
                if (open) mkl__buf_add(b, w->flat ? ")] TJ\n" : ">] TJ\n", 6);
                open = 0;
                char buf[32];
                const char *name = font_name(w, pp, f, buf);
                if (!name) return mkl__pdf_fail(w, "adding a font to a page");
                mkl__buf_printf(b, "/%s", name);
                ops(b, " # Tf\n", size);
                curf = f;
                curf_at = (size_t)(f - w->fonts.v);
            }
            if ((st = cid_for(w, f, g->gid, gt, g->tlen, &cid))) return st;
            /* on the pen's baseline and near it: a TJ number moves the pen;
             * elsewhere Td starts a new line there */
            /* (more than 30000 TJ units away needs 29 ems at least: the
             * division, a glyph's, only then) */
            double off = fabs(g->x - pen);
            int newline = !havepen || fabs(g->y - peny) > 0.0005 || (off >= 29 * size && off * 1000 / size > 30000);
            if (i == run->first || newline) {
                /* a new line of this run: the character spacing that suits it */
                size_t j = i + 1;
                while (j < end && fabs(L->glyphs.v[j].y - g->y) <= 0.0005) j++;
                double want = line_tc(L, f->face, i, j, size, hz, tc);
                if (want != tc) {
                    if (open) mkl__buf_add(b, w->flat ? ")] TJ\n" : ">] TJ\n", 6);
                    open = 0;
                    ops(b, "# Tc\n", want);
                    tc = want;
                }
            }
            if (newline) {
                if (open) mkl__buf_add(b, w->flat ? ")] TJ\n" : ">] TJ\n", 6);
                double dx = as_written(g->x - lx), dy = as_written(H - g->y - ly);
                ops(b, "# # Td\n", dx, dy);
                lx += dx;
                ly += dy;
                pen = lx;
                peny = g->y;
                havepen = 1;
                open = 0;
            }
            /* move the pen to the glyph's place when it is off by PEN_SLACK or
             * more (a font whose em is not 1000 units, like Nanum Myeongjo's
             * 1024, has widths /W can only round: the pen drifts slowly) */
            double adj = fabs(g->x - pen) < PEN_SLACK ? 0 : (double)mkl__round_away(-(g->x - pen) * 1000 / (size * hz));
            if (!open) {
                mkl__buf_add(b, "[", 1);
                if (!w->flat) {   /* (a flat writer's codes are final) */
                    PSite *site = MKL_PUSH(&pp->sites);
                    if (!site) return mkl__pdf_oom(w);
                    site->off = (uint32_t)b->n;
                    site->font = (uint32_t)(f - w->fonts.v);
                }
                if (adj != 0) num(b, adj);
                mkl__buf_add(b, w->flat ? "(" : "<", 1);
                open = 1;
            } else if (adj != 0) {
                mkl__buf_add(b, w->flat ? ")" : ">", 1);
                num(b, adj);
                mkl__buf_add(b, w->flat ? "(" : "<", 1);
            }
            if (adj != 0) pen -= adj * size * hz / 1000;   /* (a division the next glyph waited for, else) */
            /* a flat writer's codes are final; others are provisional (hex,
             * for page_final) */
            if (w->flat) code_bytes(b, f->codes.v[cid]);
            else hex4(b, cid);
            pen += (glyph_w1000(f->face, g->gid) * size / 1000 + tc) * hz;
        }
        if (open) mkl__buf_add(b, w->flat ? ")] TJ\n" : ">] TJ\n", 6);
    }
    if (T) mkl__tags_close(T, b);
    if (text) mkl__buf_adds(b, "ET\n");
    for (size_t k = 0; k < pg->images.n; k++) {
        if (T) mkl__tags_mark(T, b, pg->images.v[k].tag, pg->images.v[k].seq);
        if ((st = page_image(w, pp, &pg->images.v[k]))) return st;
    }
    if (T) mkl__tags_close(T, b);
    if (b->n > UINT32_MAX - 16) return mkl__err(w->e, MKL_ERR_LIMIT, NULL, 0, 0, "a page's content is over 4 GiB");
    return b->oom ? mkl__pdf_oom(w) : MKL_OK;
}

/* The value of an upper-case hex digit (hex4's). */
static const unsigned char hex_value[256] = {['1'] = 1, ['2'] = 2, ['3'] = 3, ['4'] = 4, ['5'] = 5, ['6'] = 6, ['7'] = 7,
                                             ['8'] = 8, ['9'] = 9, ['A'] = 10, ['B'] = 11, ['C'] = 12, ['D'] = 13,
                                             ['E'] = 14, ['F'] = 15};

/* The content of a finished page (`s`, `n` bytes, as page_content wrote it)
 * into `out` with the final CIDs: each TJ array's provisional hex strings
 * (<code...>) as literal strings of the final codes (code_bytes). */
static void page_final(W *w, const PPage *pp, const char *s, size_t n, mkl_buf *out) {
    /* a code's literal bytes are never more than its hex digits: the
     * result is at most `n` bytes, written in place */
    if (mkl__buf_reserve(out, n)) return;
    char *o = out->s + out->n;
    size_t at = 0;
    for (size_t k = 0; k < pp->sites.n; k++) {
        const uint32_t *final = w->fonts.v[pp->sites.v[k].font].final;
        size_t c = pp->sites.v[k].off;
        memcpy(o, s + at, c - at);
        o += c - at;
        while (s[c] != ']') {
            if (s[c] != '<') {
                *o++ = s[c++];
                continue;
            }
            *o++ = '(';
            for (c++; s[c] != '>'; c += 4) {
                uint32_t v = (uint32_t)hex_value[(unsigned char)s[c]] << 12 | (uint32_t)hex_value[(unsigned char)s[c + 1]] << 8 |
                             (uint32_t)hex_value[(unsigned char)s[c + 2]] << 4 | hex_value[(unsigned char)s[c + 3]];
                o = code_put(o, final[v]);
            }
            *o++ = ')';
            c++;
        }
        at = c;
    }
    memcpy(o, s + at, n - at);
    o += n - at;
    out->n = (size_t)(o - out->s);
    out->s[out->n] = 0;
}

void mkl__pdf_utf16be_bytes(mkl_buf *b, const char *s, size_t n) {
    mkl__buf_add(b, "\xFE\xFF", 2);
    size_t i = 0;
    while (i < n) {
        uint32_t units[2];
        int nu = mkl__utf16(mkl__utf8_next(s, n, &i), units);
        for (int k = 0; k < nu; k++) {
            char two[2] = {(char)(units[k] >> 8), (char)(units[k] & 0xFF)};
            mkl__buf_add(b, two, 2);
        }
    }
}

void mkl__pdf_utf16be(mkl_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0;
    while (i < n) {
        uint32_t cp = mkl__utf8_next(s, n, &i);
        uint32_t units[2];
        int nu = mkl__utf16(cp, units);
        for (int k = 0; k < nu; k++) {
            char h[4] = {hex[units[k] >> 12 & 15], hex[units[k] >> 8 & 15], hex[units[k] >> 4 & 15], hex[units[k] & 15]};
            mkl__buf_add(b, h, 4);
        }
    }
}

HPDF_Dict mkl__pdf_stream_new(W *w) {
    HPDF_Dict d = HPDF_DictStream_New(w->pdf->mmgr, w->pdf->xref);
    if (d) d->filter = HPDF_STREAM_FILTER_FLATE_DECODE;
    return d;
}

/* Write `n` bytes at `data` as the data of the stream `d` (from stream_new),
 * deflated here and marked for pack.c (see pack.h). `z`, when not NULL,
 * keeps the deflated bytes: when it holds some already (the same data
 * deflated for an earlier copy), they are written as they are. PDF/A files
 * are not packed: there libharu deflates. */
HPDF_STATUS mkl__pdf_stream_data(W *w, HPDF_Dict d, const void *data, size_t n, mkl_buf *z) {
    if (w->pdfa || !n) return HPDF_Stream_Write(d->stream, (const HPDF_BYTE *)data, (HPDF_UINT)n);
    mkl_buf own = {0};
    if (!z) z = &own;
    if (!z->n && mkl__deflate(z, data, n, MKL_DEFLATE_CONTENT)) {
        mkl__buf_free(z);   /* (a kept buffer must not stay marked out of memory) */
        return HPDF_FAILD_TO_ALLOC_MEM;
    }
    d->filter = HPDF_STREAM_FILTER_NONE;
    HPDF_STATUS r = HPDF_Dict_AddBoolean(d, "MklFlate", HPDF_TRUE);
    if (r == HPDF_OK) r = HPDF_Stream_Write(d->stream, (const HPDF_BYTE *)z->s, (HPDF_UINT)z->n);
    mkl__buf_free(&own);
    return r;
}

/* mkl__pdf_stream_data() for bytes `raw` that a cached subset kept from the last
 * document (`keep_raw`, deflated to `keep_z`): the same bytes are written
 * deflated as they were; others replace them (`raw` is taken). */
HPDF_STATUS mkl__pdf_stream_kept(W *w, HPDF_Dict d, mkl_buf *raw, mkl_buf *keep_raw, mkl_buf *keep_z) {
    if (keep_raw->n != raw->n || memcmp(keep_raw->s, raw->s, raw->n)) {
        mkl__buf_free(keep_raw);
        mkl__buf_free(keep_z);
        *keep_raw = *raw;
        memset(raw, 0, sizeof *raw);
    }
    return mkl__pdf_stream_data(w, d, keep_raw->s, keep_raw->n, keep_z);
}


static void xml_escaped(mkl_buf *b, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': mkl__buf_adds(b, "&amp;"); break;
        case '<': mkl__buf_adds(b, "&lt;"); break;
        case '>': mkl__buf_adds(b, "&gt;"); break;
        case '"': mkl__buf_adds(b, "&quot;"); break;
        default: mkl__buf_add(b, s, 1);
        }
    }
}

/* The XMP packet: the same title, author, creator, producer and date as the
 * info dictionary, and the PDF/A-1b and PDF/UA-1 identifications asked for.
 * Not compressed (PDF/A-1 wants it so). Its bytes go into `md5`. */
static mkl_status xmp(W *w, const mkl_pdf_info *info, const struct tm *tm, HPDF_MD5_CTX *md5) {
    HPDF_Doc pdf = w->pdf;
    HPDF_STATUS r = HPDF_OK;
    mkl_buf x = {0};
    char date[96];
    snprintf(date, sizeof date, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
             tm->tm_hour, tm->tm_min, tm->tm_sec);
    const char *producer = HPDF_GetInfoAttr(pdf, HPDF_INFO_PRODUCER);
    mkl__buf_adds(&x, "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
                      "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
                      "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n");
    if (info->title) {
        mkl__buf_adds(&x, "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">");
        xml_escaped(&x, info->title);
        mkl__buf_adds(&x, "</rdf:li></rdf:Alt></dc:title>\n");
    }
    if (info->author) {
        mkl__buf_adds(&x, "<dc:creator><rdf:Seq><rdf:li>");
        xml_escaped(&x, info->author);
        mkl__buf_adds(&x, "</rdf:li></rdf:Seq></dc:creator>\n");
    }
    mkl__buf_printf(&x, "</rdf:Description>\n<rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n"
                        "<xmp:CreatorTool>mkletter %s</xmp:CreatorTool><xmp:CreateDate>%s</xmp:CreateDate>\n"
                        "</rdf:Description>\n<rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n"
                        "<pdf:Producer>", MKLETTER_VERSION_STRING, date);
    xml_escaped(&x, producer);
    mkl__buf_adds(&x, "</pdf:Producer>\n</rdf:Description>\n");
    if (info->pdfa)
        mkl__buf_adds(&x, "<rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">"
                          "<pdfaid:part>1</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>\n");
    if (info->pdfua) mkl__tags_xmp_pdfua(&x, info->pdfa);
    mkl__buf_adds(&x, "</rdf:RDF></x:xmpmeta>\n<?xpacket end=\"w\"?>");
    if (x.oom) { mkl__buf_free(&x); return mkl__pdf_oom(w); }
    HPDF_Dict meta = HPDF_DictStream_New(pdf->mmgr, pdf->xref);
    if (!meta) { mkl__buf_free(&x); return mkl__pdf_fail(w, "adding the XMP metadata"); }
    r |= HPDF_Dict_AddName(meta, "Type", "Metadata");
    r |= HPDF_Dict_AddName(meta, "Subtype", "XML");
    r |= HPDF_Stream_Write(meta->stream, (const HPDF_BYTE *)x.s, (HPDF_UINT)x.n);
    r |= HPDF_Dict_Add(pdf->catalog, "Metadata", meta);
    HPDF_MD5Update(md5, (const HPDF_BYTE *)x.s, (HPDF_UINT)x.n);
    mkl__buf_free(&x);
    if (r != HPDF_OK || w->ctx.err) return mkl__pdf_fail(w, "adding the XMP metadata");
    return MKL_OK;
}

/* PDF/A-1b. libharu's own PDF/A code writes the output intent's profile under
 * a misspelt key ("DestOutputProfile " with a space), does not escape XML and
 * makes the file ID from the clock; so the XMP packet, the output intent and
 * a reproducible ID are made here. */
static mkl_status pdfa(W *w, const mkl_pdf_info *info, const struct tm *tm) {
    HPDF_Doc pdf = w->pdf;
    HPDF_MMgr mm = pdf->mmgr;
    static const char *const icc[] = {"/usr/share/color/icc/sRGB.icc", "/usr/share/color/icc/colord/sRGB.icc",
                                      "/usr/share/color/icc/ghostscript/srgb.icc"};
    char *prof = NULL;
    size_t plen = 0;
    for (size_t i = 0; i < sizeof icc / sizeof *icc && !prof; i++) {
        mkl_error ignore;
        if (mkl__read_file(icc[i], MKL_READ_MAX, "colour profile", &prof, &plen, &ignore)) prof = NULL;
    }
    if (!prof)
        return mkl__err(w->e, MKL_ERR_PDF, NULL, 0, 0,
                        "PDF/A needs an sRGB ICC profile; none found (install Debian's icc-profiles-free)");
    HPDF_STATUS r = HPDF_OK;
    HPDF_Dict prof_stream = mkl__pdf_stream_new(w);
    if (prof_stream) {
        r |= HPDF_Dict_AddNumber(prof_stream, "N", 3);
        r |= HPDF_Stream_Write(prof_stream->stream, (const HPDF_BYTE *)prof, (HPDF_UINT)plen);
    }
    mkl__free(prof);
    HPDF_Dict intent = HPDF_Dict_New(mm);
    HPDF_Array intents = HPDF_Array_New(mm);
    if (!prof_stream || !intent || !intents || HPDF_Xref_Add(pdf->xref, intent) != HPDF_OK)
        return mkl__pdf_fail(w, "adding the sRGB output intent");
    r |= HPDF_Dict_AddName(intent, "Type", "OutputIntent");
    r |= HPDF_Dict_AddName(intent, "S", "GTS_PDFA1");
    r |= HPDF_Dict_Add(intent, "OutputConditionIdentifier", HPDF_String_New(mm, "sRGB IEC61966-2.1", NULL));
    r |= HPDF_Dict_Add(intent, "Info", HPDF_String_New(mm, "sRGB IEC61966-2.1", NULL));
    r |= HPDF_Dict_Add(intent, "DestOutputProfile", prof_stream);
    r |= HPDF_Array_Add(intents, intent);
    r |= HPDF_Dict_Add(pdf->catalog, "OutputIntents", intents);

    /* the file ID: from the document's content, so the same letter gives the same bytes */
    HPDF_MD5_CTX md5;
    HPDF_BYTE id[HPDF_MD5_KEY_LEN];
    HPDF_MD5Init(&md5);
    mkl_status st = xmp(w, info, tm, &md5);
    if (st) return st;
    for (size_t i = 0; i < w->fonts.n; i++)
        if (w->fonts.v[i].text.n) HPDF_MD5Update(&md5, (const HPDF_BYTE *)w->fonts.v[i].text.s, (HPDF_UINT)w->fonts.v[i].text.n);
    HPDF_MD5Final(id, &md5);
    HPDF_Array ida = HPDF_Array_New(mm);
    if (!ida) return mkl__pdf_fail(w, "adding the file ID");
    r |= HPDF_Array_Add(ida, HPDF_Binary_New(mm, id, HPDF_MD5_KEY_LEN));
    r |= HPDF_Array_Add(ida, HPDF_Binary_New(mm, id, HPDF_MD5_KEY_LEN));
    r |= HPDF_Dict_Add(pdf->trailer, "ID", ida);
    pdf->pdf_version = HPDF_VER_14;
    if (r != HPDF_OK || w->ctx.err) return mkl__pdf_fail(w, "making the file PDF/A-1b");
    return MKL_OK;
}

/* The image object for `img`, made on first use. PDF/A-1 allows no
 * transparency: there the alpha is flattened onto white paper. */
static mkl_status image_for(W *w, const mkl_image *img, HPDF_Image *out) {
    for (size_t i = 0; i < w->images.n; i++)
        if (w->images.v[i].img == img) {
            *out = w->images.v[i].obj;
            return MKL_OK;
        }
    HPDF_ColorSpace cs = img->channels == 1 ? HPDF_CS_DEVICE_GRAY : HPDF_CS_DEVICE_RGB;
    const unsigned char *px = img->pixels;
    unsigned char *flat = NULL;
    size_t n = (size_t)img->width * (size_t)img->height;
    if (img->alpha && w->pdfa) {
        if (!(flat = mkl__malloc(n * (size_t)img->channels))) return mkl__pdf_oom(w);
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < img->channels; c++) {
                unsigned a = img->alpha[i], v = img->pixels[i * (size_t)img->channels + (size_t)c];
                flat[i * (size_t)img->channels + (size_t)c] = (unsigned char)((v * a + 255 * (255 - a) + 127) / 255);
            }
        px = flat;
    }
    HPDF_Image obj = HPDF_LoadRawImageFromMem(w->pdf, px, (HPDF_UINT)img->width, (HPDF_UINT)img->height, cs, 8);
    mkl__free(flat);
    if (!obj) return mkl__pdf_fail(w, "adding an image");
    if (img->alpha && !w->pdfa) {
        HPDF_Image mask = HPDF_LoadRawImageFromMem(w->pdf, img->alpha, (HPDF_UINT)img->width, (HPDF_UINT)img->height,
                                                   HPDF_CS_DEVICE_GRAY, 8);
        if (!mask || HPDF_Image_AddSMask(obj, mask) != HPDF_OK) return mkl__pdf_fail(w, "adding an image's transparency");
    }
    PImage *pi = MKL_PUSH(&w->images);
    if (!pi) return mkl__pdf_oom(w);
    pi->img = img;
    pi->obj = obj;
    *out = obj;
    return MKL_OK;
}

static void *hpdf_alloc(HPDF_UINT size) { return mkl__malloc(size); }
static void hpdf_free(void *p) {
    if (!mkl__tags_is_placeholder(p)) mkl__free(p);   /* (the tagger's, shared: pdf_tags.c) */
}

mkl_status mkl__pdfw_new(const mkl_pdf_info *info, mkl_pdfw **out, mkl_error *e) {
    *out = NULL;
    if (!mkl__pdf_backend_ok())
        return mkl__err(e, MKL_ERR_PDF, NULL, 0, 0, "libharu %s is linked, but mkletter was written for libharu 2.3.0",
                        HPDF_GetVersion());
    long mark = mkl__alloc_failures();
    W *w = mkl__calloc(1, sizeof *w);
    if (!w) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    w->fail_mark = mark;
    w->subsets = info->subsets;
    w->base = info->subsets ? info->base : NULL;   /* (its subset is kept by the renderer) */
    w->objstreams = info->objstreams;
    w->e = e;
    w->pdfa = info->pdfa;
    w->pdfua = info->pdfua;
    w->ctime = info->ctime;
    w->signer = info->signer;
    w->keep_raw = mkl__pdf_keep_raw;
    if ((info->title && !(w->title = mkl__strdup(info->title))) || (info->author && !(w->author = mkl__strdup(info->author)))) {
        mkl__pdfw_free(w);
        return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    /* libharu allocates through the library's allocator too */
    w->pdf = HPDF_NewEx(on_error, hpdf_alloc, hpdf_free, 0, &w->ctx);
    if (!w->pdf) {
        mkl__pdfw_free(w);
        return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    /* libharu's arrays hold at most 8,191 items: a combined file of thousands of
     * copies needs a page tree of several levels, 512 pages a node */
    if (HPDF_SetPagesConfiguration(w->pdf, 512) != HPDF_OK || HPDF_SetCompressionMode(w->pdf, HPDF_COMP_ALL) != HPDF_OK ||
        !w->pdf->info) {   /* (made with the producer's name: info_text() adds to it) */
        mkl_status st = mkl__pdf_fail(w, "setting up the document");
        mkl__pdfw_free(w);
        return st;
    }
    if ((info->tags || info->pdfua) && !(w->tags = mkl__tagger_new(w->pdf))) {
        mkl__pdfw_free(w);
        return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    /* to the sink as it is made; PDF/A and a signed file are made whole */
    if (info->sink && !info->pdfa && !info->signer) {
        mkl_status st = mkl__flat_new(w, info);
        if (st) {
            mkl__pdfw_free(w);
            return st;
        }
    }
    *out = w;
    return MKL_OK;
}

static mkl_status add_page(W *w, double width, double height, HPDF_Page *out) {
    if (w->flat) {
        mkl_status st = mkl__flat_page(w, width, height, out);
        if (!st) w->pages++;
        return st;
    }
    HPDF_Page page = HPDF_AddPage(w->pdf);
    if (!page || HPDF_Page_SetWidth(page, (HPDF_REAL)width) != HPDF_OK ||
        HPDF_Page_SetHeight(page, (HPDF_REAL)height) != HPDF_OK)
        return mkl__pdf_fail(w, "adding a page");
    if (!w->pages++) w->first = page;
    *out = page;
    return MKL_OK;
}

static void page_free(PPage *pp);

mkl_status mkl__pdfw_add(mkl_pdfw *w, const mkl_layout *L, int to_even, mkl_error *e) {
    mkl_status st = MKL_OK;
    w->e = e;
    w->L = L;
    if (w->flat && (st = mkl__flat_copy_begin(w))) return st;
    if (w->tags && !st) st = tags_status(w, mkl__tags_layout_begin(w->tags, L));
    for (size_t p = 0; p < L->pages.n && !st; p++) {
        const mkl_page *pg = &L->pages.v[p];
        HPDF_Page page = NULL;
        if ((st = add_page(w, L->width, L->height, &page))) break;
        PPage *pp = MKL_PUSH(&w->pending);
        if (!pp) {
            st = mkl__pdf_oom(w);
            break;
        }
        pp->page = page;
        if (w->tags) mkl__tags_page_begin(w->tags, page);
        if ((st = page_content(w, pp, pg))) break;
        if (w->flat) {
            /* final already: to the output now */
            st = mkl__flat_page_content(w, page, &pp->content);
            page_free(pp);
            w->pending.n--;
            for (size_t k = 0; k < pg->links.n && !st; k++) {
                HPDF_Dict a = NULL;
                st = mkl__flat_link(w, page, &pg->links.v[k], L->height, &a);
                if (!st && w->tags) st = tags_status(w, mkl__tags_link(w->tags, a, &pg->links.v[k]));
            }
            if (!st && w->tags) st = tags_status(w, mkl__tags_page_end(w->tags));
            continue;
        }
        /* the content waits for finish(): deflated once there is much of it
         * (not for PDF/A, which libharu compresses itself), else with what the
         * buffer over-allocated given back */
        if (!w->pdfa && w->kept + pp->content.n > w->keep_raw) {
            if (mkl__deflate(&pp->z, pp->content.s, pp->content.n, MKL_DEFLATE_FAST)) {
                st = mkl__pdf_oom(w);
                break;
            }
            pp->rawlen = pp->content.n;
            mkl__buf_free(&pp->content);
            pp->z.s = trim(pp->z.s, &pp->z.cap, pp->z.n + 1, 1);
        } else {
            w->kept += pp->content.n;
            pp->content.s = trim(pp->content.s, &pp->content.cap, pp->content.n + 1, 1);
        }
        pp->sites.v = trim(pp->sites.v, &pp->sites.cap, pp->sites.n, sizeof *pp->sites.v);
        for (size_t k = 0; k < pg->links.n && !st; k++) {
            const mkl_plink *lk = &pg->links.v[k];
            HPDF_Rect rect = {lk->x0, (HPDF_REAL)(L->height - lk->y1), lk->x1, (HPDF_REAL)(L->height - lk->y0)};
            HPDF_Annotation a = HPDF_Page_CreateURILinkAnnot(page, rect, lk->uri);
            if (!a || HPDF_LinkAnnot_SetBorderStyle(a, 0, 0, 0) != HPDF_OK ||
                (w->pdfa && HPDF_Dict_AddNumber(a, "F", 4) != HPDF_OK))   /* PDF/A: printable */
                st = mkl__pdf_fail(w, "adding a link");
            else if (w->tags)
                st = tags_status(w, mkl__tags_link(w->tags, a, lk));
        }
        if (!st && w->tags) st = tags_status(w, mkl__tags_page_end(w->tags));
    }
    if (!st && w->tags) st = tags_status(w, mkl__tags_layout_end(w->tags));
    /* duplex printing: every copy starts on a front side */
    if (!st && to_even && (L->pages.n % 2)) {
        HPDF_Page blank = NULL;
        st = add_page(w, L->width, L->height, &blank);
        if (!st && w->flat) st = mkl__flat_page_content(w, blank, NULL);
    }
    w->L = NULL;
    if (w->flat) st = mkl__flat_copy_end(w, st);
    return st;
}

void mkl__pdfw_one_letter(mkl_pdfw *w) {
    if (w->tags && !w->flat) mkl__tags_defer(w->tags);
    /* (a petition of 100,000 signatories: 11 MB of content, 2.3 MB so; the
     * time it takes is lost in the run's) */
    w->keep_raw = MKL_MIN(w->keep_raw, MKL_LETTER_KEEP_RAW);
}

mkl_status mkl__pdfw_structure(mkl_pdfw *w, mkl_error *e) {
    w->e = e;
    return w->tags ? tags_status(w, mkl__tags_layout_flush(w->tags)) : MKL_OK;
}

static void page_free(PPage *pp) {
    mkl__buf_free(&pp->content);
    mkl__buf_free(&pp->z);
    mkl__free(pp->sites.v);
    memset(pp, 0, sizeof *pp);
}

int mkl__pdfw_pages(const mkl_pdfw *w) { return w ? w->pages : 0; }

/* An entry of the document information dictionary: a text string in
 * UTF-16BE with its byte order mark, as libharu's UTF-8 encoder writes one
 * (the same bytes), without that encoder: setting it up for each document
 * took 0.9 ms, a third of a merge copy (measured). Nothing for NULL. */
static mkl_status info_text(W *w, const char *key, const char *value) {
    if (!value) return MKL_OK;
    mkl_buf b = {0};
    mkl__pdf_utf16be_bytes(&b, value, strlen(value));
    if (b.oom) return mkl__pdf_oom(w);
    HPDF_Binary v = HPDF_Binary_New(w->pdf->mmgr, (HPDF_BYTE *)b.s, (HPDF_UINT)b.n);
    mkl__buf_free(&b);
    if (!v || !w->pdf->info || HPDF_Dict_Add(w->pdf->info, key, v) != HPDF_OK) return mkl__pdf_fail(w, "setting the document info");
    return MKL_OK;
}

static mkl_status finish(W *w) {
    mkl_status st = MKL_OK;
    HPDF_Doc pdf = w->pdf;
    /* a flat writer's last objects are made apart from those written */
    if (w->flat && (st = mkl__flat_final_begin(w))) return st;
    for (size_t i = 0; i < w->fonts.n; i++)
        if ((st = mkl__pdf_font_finish(w, &w->fonts.v[i], (int)i))) return st;
    /* now that every CID is known, the pages' content goes to libharu:
     * deflated here, so that libharu holds it compressed (pack.c writes its
     * /Filter; see pack.h), but for PDF/A, which is not packed */
    mkl_buf raw = {0}, fin = {0}, z = {0};   /* scratch, reused from page to page */
    for (size_t p = 0; p < w->pending.n; p++) {
        PPage *pp = &w->pending.v[p];
        mkl_buf *content = &pp->content;
        if (pp->z.n) {
            raw.n = 0;
            int r = mkl__inflate(&raw, pp->z.s, pp->z.n, pp->rawlen);
            if (r) {
                st = r < 0 ? mkl__pdf_oom(w) : mkl__err(w->e, MKL_ERR_PDF, NULL, 0, 0, "internal error: a page's content was damaged");
                break;
            }
            content = &raw;
        }
        fin.n = 0;
        if (content->n) page_final(w, pp, content->s, content->n, &fin);
        if (fin.oom) {
            st = mkl__pdf_oom(w);
            break;
        }
        HPDF_Dict contents = ((HPDF_PageAttr)pp->page->attr)->contents;
        const char *data = fin.s;
        size_t n = fin.n;
        if (!w->pdfa && n) {
            z.n = 0;
            if (mkl__deflate(&z, data, n, MKL_DEFLATE_PAGES)) {
                st = mkl__pdf_oom(w);
                break;
            }
            contents->filter = HPDF_STREAM_FILTER_NONE;
            if (HPDF_Dict_AddBoolean(contents, "MklFlate", HPDF_TRUE) != HPDF_OK) {
                st = mkl__pdf_fail(w, "writing a page");
                break;
            }
            data = z.s;
            n = z.n;
        }
        if (n && HPDF_Stream_Write(((HPDF_PageAttr)pp->page->attr)->stream, (const HPDF_BYTE *)data, (HPDF_UINT)n) != HPDF_OK) {
            st = mkl__pdf_fail(w, "writing a page");
            break;
        }
        page_free(pp);
    }
    mkl__buf_free(&raw);
    mkl__buf_free(&fin);
    mkl__buf_free(&z);
    if (st) return st;
    if ((st = info_text(w, "Title", w->title)) || (st = info_text(w, "Author", w->author)) ||
        (st = info_text(w, "Creator", "mkletter " MKLETTER_VERSION_STRING)))
        return st;
    time_t t = (time_t)w->ctime;
    struct tm tm = {0};
    if (gmtime_r(&t, &tm)) {
        HPDF_Date d = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, 'Z', 0, 0};
        if (HPDF_SetInfoDateAttr(pdf, HPDF_INFO_CREATION_DATE, d) != HPDF_OK) return mkl__pdf_fail(w, "setting the date");
    }
    mkl_pdf_info info = {w->title, w->author, w->ctime, w->pdfa, NULL, NULL, w->tags != NULL, w->pdfua, NULL, NULL, NULL, NULL, NULL, 0};
    if (w->pdfa) {
        if ((st = pdfa(w, &info, &tm))) return st;
    } else if (w->pdfua) {
        HPDF_MD5_CTX md5;
        HPDF_MD5Init(&md5);
        if ((st = xmp(w, &info, &tm, &md5))) return st;
    }
    HPDF_Dict widget = NULL;   /* the signature's, which the structure names */
    if (w->signer && w->first) {
        HPDF_STATUS r = mkl__pdfsig_add(pdf, w->first, w->signer, w->ctime, !w->pdfa, &widget);
        if (r == HPDF_INVALID_PARAMETER)
            return mkl__err(w->e, MKL_ERR_LIMIT, NULL, 0, 0, "the signature with its certificates is over 64 KB");
        if (r != HPDF_OK || w->ctx.err) return mkl__pdf_fail(w, "adding the signature");
    }
    if (w->tags && (st = tags_status(w, mkl__tags_finish(w->tags, widget, w->first)))) return st;
    if (w->flat) return mkl__flat_finish(w);
    if (HPDF_SaveToStream(pdf) != HPDF_OK || w->ctx.err) return mkl__pdf_fail(w, "saving");
    return MKL_OK;
}

/* The document's saved bytes (`size` of them) copied into `to` from
 * libharu's memory stream, its buffers in order (each full, the last to
 * w_pos): HPDF_ReadFromStream copies a byte at a time (HPDF_MemCpy), a
 * fiftieth of a merge copy of the Hangul-names letter. 0, nothing
 * copied, when the stream is not the memory stream of `size` bytes so laid
 * out. */
static int saved_bytes(HPDF_Doc pdf, HPDF_BYTE *to, HPDF_UINT32 size) {
    HPDF_Stream st = pdf->stream;
    if (!st || st->type != HPDF_STREAM_MEMORY || st->size != size || !st->attr) return 0;
    HPDF_MemStreamAttr a = (HPDF_MemStreamAttr)st->attr;
    HPDF_UINT32 n = 0, count = a->buf ? a->buf->count : 0;
    for (HPDF_UINT32 i = 0; i < count; i++) n += i + 1 < count ? a->buf_siz : a->w_pos;
    if (n != size || (count && a->w_pos > a->buf_siz)) return 0;
    for (HPDF_UINT32 i = 0, at = 0; i < count; i++) {
        HPDF_UINT k = i + 1 < count ? a->buf_siz : a->w_pos;
        const HPDF_BYTE *chunk = HPDF_List_ItemAt(a->buf, i);
        if (!chunk) return 0;   /* (before any byte is used: the caller reads them all again) */
        memcpy(to + at, chunk, k);
        at += k;
    }
    return 1;
}

mkl_status mkl__pdfw_finish(mkl_pdfw *w, mkl_buf *out, mkl_error *e) {
    w->e = e;
    size_t start = out->n;
    mkl_status st = finish(w);
    if (st || w->flat) return st;
    /* libharu's bytes: the result itself for PDF/A-1 (PDF 1.4 has no object
     * streams), else what pack.c rewrites into PDF 1.5 */
    mkl_buf raw = {0}, *dst = w->pdfa && !w->tags ? out : &raw;
    HPDF_UINT32 size = HPDF_GetStreamSize(w->pdf);
    size_t at = dst->n;
    if (mkl__buf_reserve(dst, size)) return mkl__pdf_oom(w);
    HPDF_UINT32 got = size;
    if (!saved_bytes(w->pdf, (HPDF_BYTE *)dst->s + at, size)) {
        w->ctx.quiet = 1; /* reading to the end reports "end of stream" */
        HPDF_ReadFromStream(w->pdf, (HPDF_BYTE *)dst->s + at, &got);
    }
    if (got != size) {
        mkl__buf_free(&raw);
        return mkl__err(e, MKL_ERR_PDF, NULL, 0, 0, "PDF back end returned %u of %u bytes", (unsigned)got, (unsigned)size);
    }
    dst->n = at + size;
    dst->s[dst->n] = 0;
    /* libharu's copy of the file goes before pack.c makes the next one */
    HPDF_Free(w->pdf);
    w->pdf = NULL;
    /* the structure tree's objects go in place of their placeholders */
    mkl_pack_subst sub = {0};
    if (w->tags) mkl__tags_subst(w->tags, &sub);
    if (w->pdfa && w->tags) {
        st = mkl__pdf_substitute(raw.s, raw.n, &sub, out);
        mkl__buf_free(&raw);
        if (st == MKL_ERR_PDF) return mkl__err(e, MKL_ERR_PDF, NULL, 0, 0, "internal error: the PDF could not be written");
        if (st) return mkl__pdf_oom(w);
    } else if (!w->pdfa) {
        st = mkl__pdf_pack_kept(raw.s, raw.n, &sub, w->objstreams, out);
        mkl__buf_free(&raw);
        if (st == MKL_ERR_PDF)   /* libharu wrote something pack.c does not read: a bug */
            return mkl__err(e, MKL_ERR_PDF, NULL, 0, 0, "internal error: the PDF could not be packed");
        if (st) return st == MKL_ERR_NOMEM ? mkl__pdf_oom(w) : st;
    }
    /* the bytes are final: the signature goes into its place */
    if (w->signer && w->first) st = mkl__pdfsig_sign(out, start, w->signer, e);
    return st;
}

void mkl__pdfw_free(mkl_pdfw *w) {
    if (!w) return;
    for (size_t i = 0; i < w->fonts.n; i++) {
        mkl__free(w->fonts.v[i].cid_gid.v);
        mkl__free(w->fonts.v[i].cid_toff.v);
        mkl__free(w->fonts.v[i].cid_tlen.v);
        mkl__free(w->fonts.v[i].hash);
        mkl__free(w->fonts.v[i].gtext);
        mkl__buf_free(&w->fonts.v[i].text);
        mkl__free(w->fonts.v[i].final);
        mkl__free(w->fonts.v[i].codes.v);
        mkl__free(w->fonts.v[i].gid_taken);
        mkl__free(w->fonts.v[i].face_cid);
    }
    mkl__flat_free(w);   /* (before the document: it frees libharu objects) */
    for (size_t p = 0; p < w->pending.n; p++) page_free(&w->pending.v[p]);
    mkl__free(w->pending.v);
    mkl__free(w->fonts.v);
    mkl__free(w->images.v);
    mkl__tagger_free(w->tags);
    if (w->pdf) HPDF_Free(w->pdf);
    mkl__free(w->title);
    mkl__free(w->author);
    mkl__free(w);
}

mkl_status mkl__pdf_write(const mkl_layout *l, const mkl_pdf_info *info, mkl_buf *out, mkl_error *e) {
    mkl_pdfw *w;
    mkl_status st = mkl__pdfw_new(info, &w, e);
    if (st) return st;
    if (!(st = mkl__pdfw_add(w, l, 0, e))) st = mkl__pdfw_finish(w, out, e);
    mkl__pdfw_free(w);
    return st;
}
