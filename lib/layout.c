/* layout.c - the letter's parts placed on pages. See layout.h.
 *
 * Vertical rhythm: body text sits on a grid of `lead` points from the top
 * margin; every part that breaks the grid (letterhead, CC, tables) is
 * followed by a snap back onto it. The cursor `y` is the baseline of the last
 * line placed. */
#include "layout.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "image.h"
#include "linebreak.h"
#include "parse.h"

enum { AL_LEFT, AL_RIGHT, AL_CENTER, AL_JUSTIFY };

static const float BLACK[3] = {0, 0, 0};
static const float GRAY[3] = {0.33f, 0.33f, 0.33f};
static const float LINKC[3] = {0.05f, 0.2f, 0.55f};

typedef struct Par {
    mkl_shaped s;
    mkl_lines_out lines;
    double w1, w;      /* first and other line widths */
    double indent;     /* x offset of lines after the first, relative to the first */
    double lead;
    int align;
    const float *rgb;
    char *own;         /* text owned by the paragraph, or NULL */
} Par;

typedef struct LC {
    const mkl_doc *doc;
    mkl_layout *L;
    mkl_shaper *sh;
    mkl_error *e;
    const mkl_layout_opts *o;
    mkl_fontset body, head;
    int ko;
    double pw, ph, ml, mr, mt, mb, tw;
    double size, lead;
    double grid0;         /* baseline grid origin */
    double bottom;        /* lowest baseline allowed */
    double bottom1;       /* the same on page 1 (above the letterhead's footer band) */
    double cont_top;      /* cursor at the top of continuation pages */
    int page;             /* current page index */
    double y;
    int at_top;           /* nothing placed yet on this page */
    /* the text being set: its language and Hangul line-break mode, and where it
     * comes from in the letter (for errors) */
    const char *lang;
    int keep_all;
    int src_line, src_col;
    const char *date;     /* the letter's date as set: ISO dates formatted for its language */
    char datebuf[64];
} LC;

/* "Place, date" (or either alone) into b, whole however long; 0 if the
 * letter has neither (or memory ran out: b->oom). */
static int date_line(const LC *c, mkl_buf *b) {
    const mkl_doc *d = c->doc;
    if (!c->date && !d->place) return 0;
    if (d->place) mkl__buf_adds(b, d->place);
    if (d->place && c->date) mkl__buf_adds(b, ", ");
    if (c->date) mkl__buf_adds(b, c->date);
    return !b->oom;
}

static mkl_status oom(LC *c) { return mkl__err(c->e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory"); }

static void par_free(Par *p) {
    mkl__shaped_free(&p->s);
    mkl__free(p->lines.v);
    mkl__free(p->own);
    memset(p, 0, sizeof *p);
}

static mkl_status new_page(LC *c) {
    mkl_page *pg = MKL_PUSH(&c->L->pages);
    if (!pg) return oom(c);
    c->page = (int)c->L->pages.n - 1;
    c->y = c->cont_top;
    c->at_top = 1;
    return MKL_OK;
}

static mkl_page *cur(LC *c) { return &c->L->pages.v[c->page]; }

static mkl_status add_rule(LC *c, double x0, double y0, double x1, double y1, double w, double gray) {
    mkl_prule *r = MKL_PUSH(&cur(c)->rules);
    if (!r) return oom(c);
    *r = (mkl_prule){(float)x0, (float)y0, (float)x1, (float)y1, (float)w, (float)gray};
    return MKL_OK;
}

/* The decoded image a letter names at `path` (a string of the model, relative
 * to the letter's folder). Errors point at the letter's line and name the image. */
static mkl_status image_of(LC *c, const char *path, const mkl_image **out) {
    const mkl_doc *d = c->doc;
    char full[MKL_PATH_MAX];
    int line = 0, col = 0;
    mkl__doc_pos(d, path, &line, &col);
    int n;
    if (path[0] == '/' || !d->base_dir[0]) n = snprintf(full, sizeof full, "%s", path);
    else n = snprintf(full, sizeof full, "%s%s%s", d->base_dir, d->base_dir[strlen(d->base_dir) - 1] == '/' ? "" : "/", path);
    if (n < 0 || (size_t)n >= sizeof full)   /* never a shortened path: it could name another file */
        return mkl__err(c->e, MKL_ERR_IMAGE, d->file, line, col,
                        "image '%.200s...': the path is %d bytes long; a path may be at most %d bytes", path, n,
                        MKL_PATH_MAX - 1);
    if (!c->o->load_image) return mkl__err(c->e, MKL_ERR_IMAGE, d->file, line, col, "image '%s': images cannot be read here", path);
    mkl_error ie = {0};
    mkl_status st = c->o->load_image(c->o->loader, full, out, &ie);
    if (st) return mkl__err(c->e, st, d->file, line, col, "image '%s': %s", path, ie.message);
    return MKL_OK;
}

/* The size of `img` fitted into max_w x max_h points: its own size (from its
 * resolution, 300 dpi when it has none) if that fits, else scaled down. */
static void image_fit(const mkl_image *img, double max_w, double max_h, double *w, double *h) {
    double dx = img->dpi_x > 0 ? img->dpi_x : 300, dy = img->dpi_y > 0 ? img->dpi_y : dx;
    double nw = img->width * 72.0 / dx, nh = img->height * 72.0 / dy;
    double k = MKL_MIN(1.0, MKL_MIN(max_w / nw, max_h / nh));
    *w = nw * k;
    *h = nh * k;
}

static mkl_status add_image(LC *c, const mkl_image *img, double x, double y, double w, double h) {
    mkl_pimage *pi = MKL_PUSH(&cur(c)->images);
    if (!pi) return oom(c);
    *pi = (mkl_pimage){img, (float)x, (float)y, (float)w, (float)h};
    return MKL_OK;
}

/* Lines after the first (0 for an empty paragraph). */
static double extra_lines(const Par *p) { return p->lines.n ? (double)(p->lines.n - 1) : 0; }

/* Shape and break rich text into a paragraph. */
/* ---- the paragraph cache ---------------------------------------------- */

typedef struct CEntry {
    uint64_t hash;
    char *key;
    size_t keylen;
    mkl_glyph *g;
    size_t ng;
    mkl_line *lines;
    size_t nl;
} CEntry;

struct mkl_parcache {
    CEntry *slots;
    size_t cap, n, bytes;
};

#define CACHE_SLOTS 2048      /* at most half of them used */
#define CACHE_BYTES (4u << 20)

mkl_parcache *mkl__parcache_new(void) {
    mkl_parcache *c = mkl__calloc(1, sizeof *c);
    if (c && !(c->slots = mkl__calloc(CACHE_SLOTS, sizeof *c->slots))) {
        mkl__free(c);
        return NULL;
    }
    if (c) c->cap = CACHE_SLOTS;
    return c;
}

static void cache_clear(mkl_parcache *c) {
    for (size_t i = 0; i < c->cap; i++) {
        CEntry *e = &c->slots[i];
        mkl__free(e->key);
        mkl__free(e->g);
        mkl__free(e->lines);
        memset(e, 0, sizeof *e);
    }
    c->n = c->bytes = 0;
}

void mkl__parcache_free(mkl_parcache *c) {
    if (!c) return;
    cache_clear(c);
    mkl__free(c->slots);
    mkl__free(c);
}

static uint64_t fnv64(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h | 1;   /* 0 marks an empty slot */
}

/* Everything the shaped and broken paragraph depends on. */
static int cache_key(mkl_buf *k, const mkl_fontset *fs, const mkl_rich *r, const mkl_shape_opts *so, double w1,
                     double w) {
    double dparams[3] = {so->size, w1, w};
    int iparams[3] = {so->style, so->keep_all, so->hyphenate};
    mkl__buf_add(k, (const char *)dparams, sizeof dparams);
    mkl__buf_add(k, (const char *)iparams, sizeof iparams);
    mkl__buf_adds(k, so->lang ? so->lang : "");
    mkl__buf_add(k, "", 1);
    for (size_t i = 0; i < fs->nfamilies; i++) mkl__buf_add(k, fs->families[i], strlen(fs->families[i]) + 1);
    mkl__buf_add(k, "|", 1);
    for (size_t i = 0; fs->bold_families && i < fs->nbold; i++) mkl__buf_add(k, fs->bold_families[i], strlen(fs->bold_families[i]) + 1);
    mkl__buf_add(k, "|", 1);
    for (size_t i = 0; i < r->nruns; i++) {   /* field by field: a struct's padding is not part of the key */
        const mkl_srun *u = &r->runs[i];
        int32_t f[5] = {(int32_t)u->start, (int32_t)u->end, u->style, u->link, u->lang};
        mkl__buf_add(k, (const char *)f, sizeof f);
    }
    mkl__buf_add(k, r->text, r->len);
    return !k->oom;
}

static CEntry *cache_find(mkl_parcache *c, const mkl_buf *k, uint64_t h) {
    for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        CEntry *e = &c->slots[i];
        if (!e->hash) return e;
        if (e->hash == h && e->keylen == k->n && !memcmp(e->key, k->s, k->n)) return e;
    }
}

/* Keep a copy of the paragraph (a failed allocation only means no caching). */
static void cache_put(mkl_parcache *c, const mkl_buf *k, uint64_t h, const Par *p) {
    size_t bytes = k->n + p->s.n * sizeof *p->s.g + p->lines.n * sizeof *p->lines.v;
    if (c->n + 1 > c->cap / 2 || c->bytes + bytes > CACHE_BYTES) cache_clear(c);
    CEntry *e = cache_find(c, k, h);
    if (e->hash) return;
    e->key = mkl__malloc(k->n ? k->n : 1);
    e->g = mkl__malloc((p->s.n ? p->s.n : 1) * sizeof *e->g);
    e->lines = mkl__malloc((p->lines.n ? p->lines.n : 1) * sizeof *e->lines);
    if (!e->key || !e->g || !e->lines) {
        mkl__free(e->key);
        mkl__free(e->g);
        mkl__free(e->lines);
        memset(e, 0, sizeof *e);
        return;
    }
    memcpy(e->key, k->s, k->n);
    if (p->s.n) memcpy(e->g, p->s.g, p->s.n * sizeof *e->g);
    if (p->lines.n) memcpy(e->lines, p->lines.v, p->lines.n * sizeof *e->lines);
    e->keylen = k->n;
    e->ng = p->s.n;
    e->nl = p->lines.n;
    e->hash = h;
    c->n++;
    c->bytes += bytes;
}

/* Fill p from a cache entry: the glyphs' text offsets point into r->text,
 * which is byte for byte the text the entry was made from. */
static mkl_status cache_get(LC *c, const CEntry *e, const mkl_rich *r, Par *p) {
    if (p->s.cap < e->ng) {
        mkl_glyph *ng = mkl__realloc(p->s.g, (e->ng ? e->ng : 1) * sizeof *ng);
        if (!ng) return oom(c);
        p->s.g = ng;
        p->s.cap = e->ng;
    }
    if (p->lines.cap < e->nl) {
        mkl_line *nl = mkl__realloc(p->lines.v, (e->nl ? e->nl : 1) * sizeof *nl);
        if (!nl) return oom(c);
        p->lines.v = nl;
        p->lines.cap = e->nl;
    }
    if (e->ng) memcpy(p->s.g, e->g, e->ng * sizeof *e->g);
    if (e->nl) memcpy(p->lines.v, e->lines, e->nl * sizeof *e->lines);
    p->s.n = e->ng;
    p->lines.n = e->nl;
    p->s.text = r->text;
    p->s.len = r->len;
    return MKL_OK;
}

static mkl_status par_make(LC *c, Par *p, mkl_fontset *fs, const mkl_rich *r, double size, double lead, int style,
                           double w1, double w, double indent, int align, const float *rgb, int line) {
    mkl_shape_opts so = {size, c->lang, c->keep_all, style, c->doc->file, line ? line : c->src_line, c->doc->src,
                         c->doc->srclen, align == AL_JUSTIFY};
    p->w1 = w1;
    p->w = w;
    p->indent = indent;
    p->lead = lead;
    p->align = align;
    p->rgb = rgb;
    mkl_parcache *cache = c->o->cache;
    mkl_buf key = {0};
    uint64_t h = 0;
    if (cache && cache_key(&key, fs, r, &so, w1, w)) {
        h = fnv64(key.s, key.n);
        CEntry *e = cache_find(cache, &key, h);
        if (e->hash) {
            mkl_status st = cache_get(c, e, r, p);
            mkl__buf_free(&key);
            return st;
        }
    }
    mkl_status st = mkl__shape(c->sh, fs, r, &so, &p->s, c->e);
    if (!st) st = mkl__break_lines(&p->s, w1, w, align == AL_JUSTIFY, &p->lines, c->e);
    if (!st && cache && h) cache_put(cache, &key, h, p);
    mkl__buf_free(&key);
    return st;
}

/* A paragraph of one plain string. The text is copied into the paragraph, so
 * the caller's string may go away before the lines are placed. */
static mkl_status par_plain(LC *c, Par *p, mkl_fontset *fs, const char *text, double size, double lead, int style,
                            double w, int align, const float *rgb) {
    size_t n = strlen(text);
    /* a string of the front matter: errors point at it */
    if (!mkl__doc_pos(c->doc, text, &c->src_line, &c->src_col)) c->src_line = c->src_col = 0;
    char *copy = mkl__strndup(text, n);
    if (!copy) return oom(c);
    mkl__free(p->own);
    p->own = copy;
    mkl_srun run = {0, (uint32_t)n, 0, -1, 0};
    mkl_rich r = {copy, n, &run, 1};
    return par_make(c, p, fs, &r, size, lead, style, w, w - size, size, align, rgb, 0);
}

/* Put line `li` of `p` with its baseline at `baseline`, its box starting at x. */
static mkl_status emit_line(LC *c, const Par *p, size_t li, double x, double baseline) {
    const mkl_line *ln = &p->lines.v[li];
    const mkl_shaped *s = &p->s;
    double avail = li == 0 ? p->w1 : p->w;
    if (li > 0) x += p->indent;
    double extra = 0, pen = x, hgap = 0; /* per space; per em between Hangul syllables */
    if (p->align == AL_JUSTIFY && !ln->last) mkl__justify(s, ln, avail, &extra, &hgap);
    else if (p->align == AL_RIGHT) pen = x + avail - ln->width;
    else if (p->align == AL_CENTER) pen = x + (avail - ln->width) / 2;
    mkl_layout *L = c->L;
    mkl_page *pg = cur(c);
    mkl_prun *run = NULL;
    mkl_plink *lk = NULL;
    int32_t lk_id = -1;
    /* right-to-left runs are set in visual order */
    size_t few[256], *order = few;
    int vis = 0;
    for (size_t i = ln->start; i < ln->end && !vis; i++) vis = s->g[i].level & 1;
    if (vis && ln->end - ln->start > sizeof few / sizeof *few &&
        !(order = mkl__malloc((ln->end - ln->start) * sizeof *order)))
        return oom(c);
    if (vis) vis = mkl__visual_order(s, ln->start, ln->end, order);
    if (vis < 0) goto nomem;
    for (size_t k = ln->start; k < ln->end; k++) {
        size_t i = vis ? order[k - ln->start] : k;
        const mkl_glyph *g = &s->g[i];
        if (hgap > 0 && i > ln->start && (g->flags & MKL_G_HGAP)) pen += hgap * g->size;
        const float *rgb = g->link >= 0 ? LINKC : p->rgb;
        if (!run || run->face != g->face || run->size != g->size || memcmp(run->rgb, rgb, sizeof run->rgb)) {
            if (!(run = MKL_PUSH(&pg->runs))) goto nomem;
            run->face = g->face;
            run->size = g->size;
            memcpy(run->rgb, rgb, sizeof run->rgb);
            run->first = L->glyphs.n;
        }
        mkl_pglyph *pgl = MKL_PUSH(&L->glyphs);
        if (!pgl) goto nomem;
        pgl->gid = g->gid;
        pgl->x = (float)(pen + g->xoff);
        pgl->y = (float)(baseline - g->yoff);
        pgl->toff = (uint32_t)L->text.n;
        pgl->tlen = g->tlen;
        if (g->tlen) mkl__buf_add(&L->text, s->text + g->toff, g->tlen);
        if (L->text.oom) goto nomem;
        run->count++;
        double adv = g->adv + ((g->flags & MKL_G_SPACE) ? extra : 0);
        if (g->link >= 0) {
            if (!lk || lk_id != g->link) {
                if (!(lk = MKL_PUSH(&pg->links))) goto nomem;
                lk_id = g->link;
                lk->uri = c->doc->links[g->link];
                lk->x0 = (float)pen;
                lk->y0 = (float)(baseline - g->size * 0.85);
                lk->y1 = (float)(baseline + g->size * 0.25);
            }
            lk->x1 = (float)(pen + adv);
        } else {
            lk = NULL;
            lk_id = -1;
        }
        pen += adv;
    }
    if (order != few) mkl__free(order);
    if (ln->hyphen && ln->end > ln->start) {
        /* the line ends inside a word: a plain hyphen-minus, so that text
         * extraction joins the word again */
        const mkl_glyph *g = &s->g[ln->end - 1];
        mkl_pglyph *pgl = MKL_PUSH(&L->glyphs);
        if (!pgl) return oom(c);
        pgl->gid = mkl__face_glyph(g->face, '-');
        pgl->x = (float)pen;
        pgl->y = (float)baseline;
        pgl->toff = (uint32_t)L->text.n;
        pgl->tlen = 1;
        mkl__buf_add(&L->text, "-", 1);
        if (L->text.oom) return oom(c);
        if (!run || run->face != g->face) {
            if (!(run = MKL_PUSH(&pg->runs))) return oom(c);
            run->face = g->face;
            run->size = g->size;
            memcpy(run->rgb, p->rgb, sizeof run->rgb);
            run->first = L->glyphs.n - 1;
        }
        run->count++;
    }
    return MKL_OK;
nomem:
    if (order != few) mkl__free(order);
    return oom(c);
}

static double bottom_of(const LC *c) { return c->page == 0 ? c->bottom1 : c->bottom; }

/* Lines of the current page still free below the cursor, at `lead`, after `space`. */
static int lines_free(LC *c, double space, double lead) {
    double room = bottom_of(c) - (c->y + space);
    return room < lead - 1e-6 ? 0 : (int)floor((room + 1e-6) / lead);
}

/* Move the cursor down by `space` unless at the top of a page. */
static void space_before(LC *c, double space) {
    if (!c->at_top) c->y += space;
}

static void snap(LC *c) {
    double k = ceil((c->y - c->grid0) / c->lead - 1e-6);
    c->y = c->grid0 + k * c->lead;
}

/* Place a paragraph in the text column at x, flowing over pages, with no
 * orphan (a lone first line at a page end) and no widow (a lone last line). */
static mkl_status par_flow_at(LC *c, Par *p, double x, double space, int *first_page, double *first_base) {
    size_t n = p->lines.n, i = 0;
    mkl_status st;
    if (!n) return MKL_OK;
    space_before(c, space);
    while (i < n) {
        size_t fit = (size_t)lines_free(c, 0, p->lead);
        size_t rest = n - i;
        size_t take = fit >= rest ? rest : fit;
        if (take < rest) {
            if (i == 0 && take < 2) take = 0;                    /* orphan */
            else if (rest - take == 1 && take >= 2) take--;      /* widow */
            if (take == 0 && c->at_top) take = MKL_MAX(fit, 1); /* a page cannot hold even this: go on */
        }
        for (size_t k = 0; k < take; k++, i++) {
            c->y += p->lead;
            if (i == 0 && first_page) {
                *first_page = c->page;
                *first_base = c->y;
            }
            if ((st = emit_line(c, p, i, x, c->y))) return st;
            c->at_top = 0;
        }
        if (i < n && (st = new_page(c))) return st;
    }
    return MKL_OK;
}

static mkl_status par_flow(LC *c, Par *p, double x, double space) { return par_flow_at(c, p, x, space, NULL, NULL); }

/* Lines of text that stay together at a fixed place (no page break inside). */
static mkl_status par_at(LC *c, Par *p, double x, double first_baseline) {
    mkl_status st;
    for (size_t i = 0; i < p->lines.n; i++)
        if ((st = emit_line(c, p, i, x, first_baseline + i * p->lead))) return st;
    return MKL_OK;
}

static mkl_status block_at(LC *c, const mkl_lines *lines, double x, double w, double y, double size, double lead,
                           int style, int align, const float *rgb, double *bottom) {
    mkl_status st = MKL_OK;
    Par p = {0};
    for (size_t i = 0; i < lines->n && !st; i++) {
        if (!(st = par_plain(c, &p, &c->body, lines->v[i], size, lead, style, w, align, rgb))) {
            st = par_at(c, &p, x, y);
            y += p.lines.n * lead;
        }
    }
    par_free(&p);
    *bottom = y - lead;
    return st;
}

/* The number of lines `lines` takes at width `w` (each line of it wrapped). */
static mkl_status block_lines(LC *c, const mkl_lines *lines, double w, double size, double lead, size_t *n) {
    mkl_status st = MKL_OK;
    Par p = {0};
    *n = 0;
    for (size_t i = 0; i < lines->n && !st; i++)
        if (!(st = par_plain(c, &p, &c->body, lines->v[i], size, lead, 0, w, AL_LEFT, BLACK))) *n += p.lines.n;
    par_free(&p);
    return st;
}

/* A block of the front matter that cannot be placed: an input error at its
 * first line (`key` names it, `why` says what it does not fit). */
static mkl_status too_long(LC *c, const mkl_lines *b, const char *key, size_t nlines, const char *why) {
    int line = 0, col = 0;
    if (b->n) mkl__doc_pos(c->doc, b->v[0], &line, &col);
    return mkl__err(c->e, MKL_ERR_INPUT, c->doc->file, line, col, "'%s' is %zu line%s long (as set) and does not fit %s",
                    key, nlines, nlines == 1 ? "" : "s", why);
}

/* ---- the parts of a letter ---------------------------------------------- */

/* The letterhead: the name on the left, the lines right-aligned beside it,
 * both ending on one baseline, and a rule under them. Long lines wrap in the
 * room the name leaves. */
static mkl_status letterhead(LC *c) {
    const mkl_doc *d = c->doc;
    if (!d->lh_name) return MKL_OK;
    mkl_status st;
    const double nsize = 17, lsize = 8.5, llead = 10.5;
    double nlead = 20;
    size_t nl = d->lh_lines.n;
    Par name = {0};
    Par *lines = mkl__calloc(nl ? nl : 1, sizeof *lines);
    if (!lines) return oom(c);
    /* a logo stands left of the name, its foot on the name's baseline */
    const mkl_image *logo = NULL;
    double logo_w = 0, logo_h = 0, name_x = c->ml;
    if (d->lh_logo) {
        if ((st = image_of(c, d->lh_logo, &logo))) goto out;
        image_fit(logo, c->tw * 0.3, 42, &logo_w, &logo_h);
        name_x += logo_w + 12;
    }
    /* the lines' natural width decides the room left for the name */
    double wlines = 0;
    for (size_t i = 0; i < nl; i++) {
        if ((st = par_plain(c, &lines[i], &c->body, d->lh_lines.v[i], lsize, llead, 0, 1e6, AL_RIGHT, GRAY))) goto out;
        if (lines[i].lines.n) wlines = MKL_MAX(wlines, lines[i].lines.v[0].width);
    }
    double wright = MKL_MIN(wlines, c->tw * 0.4);
    double room = c->tw - (name_x - c->ml) - (wright > 0 ? wright + 2 * lsize : 0);
    /* the name on one line: at 17 pt if it fits, else smaller down to 13 pt,
     * else wrapped (no hanging indent) */
    double size = nsize;
    for (;;) {
        if ((st = par_plain(c, &name, &c->head, d->lh_name, size, size * 1.18, MKL_STYLE_BOLD, room, AL_LEFT, BLACK)))
            goto out;
        name.w = room;
        name.indent = 0;
        if ((st = mkl__break_lines(&name.s, room, room, 0, &name.lines, c->e))) goto out;
        if (name.lines.n <= 1 || size <= 13) break;
        size -= 1;
    }
    nlead = size * 1.18;
    double wname = 0;
    for (size_t i = 0; i < name.lines.n; i++) wname = MKL_MAX(wname, name.lines.v[i].width);
    wright = MKL_MAX(c->tw - (name_x - c->ml) - wname - 2 * lsize, wright);
    size_t k = 0;
    for (size_t i = 0; i < nl; i++) {
        lines[i].w1 = lines[i].w = wright;  /* wrapped lines stay flush right too */
        lines[i].indent = 0;
        if ((st = mkl__break_lines(&lines[i].s, wright, wright, 0, &lines[i].lines, c->e))) goto out;
        k += lines[i].lines.n;
    }
    /* the common last baseline: low enough for both blocks below the top margin */
    double base = MKL_MAX(c->mt + size + extra_lines(&name) * nlead, c->mt + lsize * 0.8 + (k ? k - 1 : 0) * llead);
    base = MKL_MAX(base, c->mt + logo_h);
    double rule_y;
    if (d->lh_align == 1) {
        /* centred: the logo over the name, the lines under it */
        double y = c->mt;
        if (logo) {
            if ((st = add_image(c, logo, c->ml + (c->tw - logo_w) / 2, y, logo_w, logo_h))) goto out;
            y += logo_h + 4;
        }
        name.align = AL_CENTER;
        name.w1 = name.w = c->tw;
        if ((st = mkl__break_lines(&name.s, c->tw, c->tw, 0, &name.lines, c->e))) goto out;
        y += size;
        if ((st = par_at(c, &name, c->ml, y))) goto out;
        y += extra_lines(&name) * nlead + 2;
        for (size_t i = 0; i < nl; i++) {
            lines[i].align = AL_CENTER;
            lines[i].w1 = lines[i].w = c->tw;
            if ((st = mkl__break_lines(&lines[i].s, c->tw, c->tw, 0, &lines[i].lines, c->e))) goto out;
            y += llead;
            if ((st = par_at(c, &lines[i], c->ml, y))) goto out;
            y += extra_lines(&lines[i]) * llead;
        }
        rule_y = y + 7;
    } else {
        /* left (or, mirrored, right): logo and name on one side, the lines on the other */
        int right = d->lh_align == 2;
        double nx = right ? c->ml + c->tw - (name_x - c->ml) - wname : name_x;
        if (logo && (st = add_image(c, logo, right ? c->ml + c->tw - logo_w : c->ml, base - logo_h, logo_w, logo_h))) goto out;
        if (right) {
            name.align = AL_RIGHT;
            name.w1 = name.w = wname;
        }
        if ((st = par_at(c, &name, nx, base - extra_lines(&name) * nlead))) goto out;
        double y = base - (k ? k - 1 : 0) * llead;
        for (size_t i = 0; i < nl; i++) {
            if (right) lines[i].align = AL_LEFT;
            if ((st = par_at(c, &lines[i], right ? c->ml : c->ml + c->tw - wright, y))) goto out;
            y += lines[i].lines.n * llead;
        }
        rule_y = base + 9;
    }
    if ((st = add_rule(c, c->ml, rule_y, c->pw - c->mr, rule_y, 0.6, 0.25))) goto out;
    c->y = rule_y;
    c->at_top = 0;
out:
    par_free(&name);
    for (size_t i = 0; i < nl; i++) par_free(&lines[i]);
    mkl__free(lines);
    return st;
}

/* Address windows, in points from the page's top-left corner.
 * DIN 5008 (A4): the address field is 85 x 45 mm at 20 mm from the left, 27 mm
 * (form A) or 45 mm (form B) from the top; its first 5 mm hold the return
 * address, the next 12.7 mm notes, the last 27.3 mm the recipient, set 5 mm in
 * from the field's edge. Fold marks at 87/192 mm (A) or 105/210 mm (B), the
 * punch mark at 148.5 mm.
 * US No. 10 (letter): the envelope's 4 1/2 x 1 1/8 in window, 7/8 in from the
 * left and 1/2 in from the bottom, falls 2 1/8 in from the top of a letter
 * folded in thirds resting in the envelope; the recipient starts there, 1/8 in
 * inside the window, with the return address above it; folds at 3 2/3 and
 * 7 1/3 in. */
typedef struct Window {
    double field_x, field_top, field_w, field_h;   /* the whole field */
    double back_h;                                  /* return-address zone at its top */
    double recip_top;                               /* top of the recipient zone */
    double text_x;                                  /* left edge of the recipient's text */
    double fold[2], hole;                           /* 0 = none */
} Window;

/* The date line set at a fixed place on page 1 must end above its foot. */
static mkl_status date_fits(LC *c, const Par *p, double first_baseline) {
    double last = first_baseline + extra_lines(p) * c->lead;
    if (last <= c->bottom1 + 1e-6) return MKL_OK;
    const char *key = c->doc->place ? "place" : "date";
    int line = 0, col = 0;
    mkl__doc_pos(c->doc, c->doc->place ? c->doc->place : c->doc->date, &line, &col);
    return mkl__err(c->e, MKL_ERR_INPUT, c->doc->file, line, col,
                    "'%s' is %zu lines long (as set, with the date) and does not fit on the first page", key, p->lines.n);
}

static int window_of(const mkl_doc *d, Window *w) {
    const double mm = 72 / 25.4, in = 72;
    memset(w, 0, sizeof *w);
    switch (d->layout) {
    case MKL_LAYOUT_DIN5008A:
    case MKL_LAYOUT_DIN5008B: {
        double top = d->layout == MKL_LAYOUT_DIN5008A ? 27 : 45;
        *w = (Window){20 * mm, top * mm, 85 * mm, 45 * mm, 5 * mm, (top + 17.7) * mm, 25 * mm,
                      {(d->layout == MKL_LAYOUT_DIN5008A ? 87 : 105) * mm, (d->layout == MKL_LAYOUT_DIN5008A ? 192 : 210) * mm},
                      148.5 * mm};
        return 1;
    }
    case MKL_LAYOUT_US_WINDOW:
        *w = (Window){0.875 * in, 1.875 * in, 4.5 * in, 1.375 * in, 0.25 * in, 2.125 * in, 1.0 * in,
                      {11.0 / 3 * in, 22.0 / 3 * in}, 0};
        return 1;
    default:
        return 0;
    }
}

/* The addressee in the window: return address, recipient, fold and punch marks;
 * date and sender in the information block to the right. */
static mkl_status window_block(LC *c, const Window *w) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    Par p = {0};
    const double mm = 72 / 25.4;
    /* return address: one small underlined line at the bottom of its zone,
     * the sender's lines joined with commas, as many as fit */
    const mkl_lines *src = d->from.n ? &d->from : &d->lh_lines;
    const char *name = d->from.n ? NULL : d->lh_name;
    double bs = 7, base = w->field_top + w->back_h - 1.4 * mm, width = w->field_w - (w->text_x - w->field_x);
    for (size_t keep = src->n + 1; keep-- > 0 && !st;) {
        mkl_buf b = {0};
        if (name) mkl__buf_adds(&b, name);
        for (size_t i = 0; i < keep; i++) {
            if (b.n) mkl__buf_adds(&b, ", ");
            mkl__buf_adds(&b, src->v[i]);
        }
        if (b.oom) { mkl__buf_free(&b); st = oom(c); break; }
        if (b.n) st = par_plain(c, &p, &c->body, b.s, bs, 8.5, 0, width, AL_LEFT, GRAY);
        mkl__buf_free(&b);
        if (st || !p.lines.n) break;
        if (p.lines.n == 1 || keep == 0) {   /* one line: it must not reach into the window */
            p.lines.n = 1;
            st = par_at(c, &p, w->text_x, base);
            if (!st) st = add_rule(c, w->text_x, base + 1.2, w->text_x + p.lines.v[0].width, base + 1.2, 0.3, 0.33);
            break;
        }
    }
    if (st) goto out;
    /* the recipient: 10 pt on 12 pt, the first baseline a cap height below the zone's top */
    double rs = MKL_MIN(c->size - 1, 10), rl = 12, rw = w->field_w - 2 * (w->text_x - w->field_x), bottom;
    double first = w->recip_top + rs * 0.75, last = w->field_top + w->field_h - 0.25 * rs;   /* baselines */
    if (d->to.n && (st = block_at(c, &d->to, w->text_x, rw, first, rs, rl, 0, AL_LEFT, BLACK, &bottom))) goto out;
    if (d->to.n && bottom > last + 1e-6) {
        char why[96];
        snprintf(why, sizeof why, "the address window, which holds %d lines",
                 (int)floor((last - first) / rl + 1e-6) + 1);
        st = too_long(c, &d->to, "to", (size_t)llround((bottom - first) / rl) + 1, why);
        goto out;
    }
    /* information block: sender lines and the date, right of the field */
    double ix = w->field_x + w->field_w + 10 * mm, iw = c->pw - c->mr - ix, iy = w->field_top + 5 * mm + c->size;
    double info_bottom = 0;   /* the information block's last baseline */
    if (d->from.n && d->lh_name) {
        double top = iy;
        if ((st = block_at(c, &d->from, ix, iw, iy, c->size - 2, c->lead - 3, 0, AL_LEFT, GRAY, &bottom))) goto out;
        if (bottom > c->bottom1 - 3 * c->lead) {
            st = too_long(c, &d->from, "from", (size_t)llround((bottom - top) / (c->lead - 3)) + 1,
                          "beside the address window on the first page");
            goto out;
        }
        iy = bottom + 2 * (c->lead - 3);
        info_bottom = bottom;
    }
    mkl_buf buf = {0};
    if (date_line(c, &buf)) {
        st = par_plain(c, &p, &c->body, buf.s, c->size, c->lead, 0, iw, AL_RIGHT, BLACK);
        mkl__buf_free(&buf);
        if (st || (st = date_fits(c, &p, MKL_MAX(iy, w->recip_top + c->size)))) goto out;
        if ((st = par_at(c, &p, ix, MKL_MAX(iy, w->recip_top + c->size)))) goto out;
        info_bottom = MKL_MAX(iy, w->recip_top + c->size) + extra_lines(&p) * c->lead;
    }
    /* fold marks and the punch mark in the left margin */
    for (int k = 0; k < 2; k++)
        if (w->fold[k] > 0 && w->fold[k] < c->ph && (st = add_rule(c, 5 * mm, w->fold[k], 10 * mm, w->fold[k], 0.3, 0.4)))
            goto out;
    if (w->hole > 0 && (st = add_rule(c, 5 * mm, w->hole, 12 * mm, w->hole, 0.3, 0.4))) goto out;
    /* the text goes on below the window, and below a long information block */
    c->y = MKL_MAX(w->field_top + w->field_h, info_bottom);
    c->at_top = 0;
out:
    par_free(&p);
    return st;
}

static mkl_status heading_block(LC *c) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    Par p = {0}, lab = {0};   /* lab: the CC label */
    Window win;
    if (window_of(d, &win)) {
        if ((st = window_block(c, &win))) return st;
        goto cc;
    }
    /* date (with place), right */
    mkl_buf buf = {0};
    if (date_line(c, &buf)) {
        c->y += 2 * c->lead;
        snap(c);
        st = par_plain(c, &p, &c->body, buf.s, c->size, c->lead, 0, c->tw, AL_RIGHT, BLACK);
        mkl__buf_free(&buf);
        if (st || (st = date_fits(c, &p, c->y))) goto out;
        if ((st = par_at(c, &p, c->ml, c->y))) goto out;
        c->y += extra_lines(&p) * c->lead;
        c->at_top = 0;
    }
    /* addressee left, sender (from) right */
    if (d->to.n || d->from.n) {
        c->y += 2 * c->lead;
        snap(c);
        double top = c->y, b1 = top - c->lead, b2 = top - c->lead;
        double fw = d->from.n ? c->tw * 0.36 : 0;
        if (d->to.n && (st = block_at(c, &d->to, c->ml, c->tw - fw - 12, top, c->size, c->lead, 0, AL_LEFT, BLACK, &b1)))
            goto out;
        if (d->from.n &&
            (st = block_at(c, &d->from, c->pw - c->mr - fw, fw, top, c->size - 1.5, c->lead - 2, 0, AL_LEFT, GRAY, &b2)))
            goto out;
        /* an addressee or sender longer than the first page is a mistake in
         * the letter (a block scalar that swallowed the keys after it, say) */
        const mkl_lines *lb = b1 >= b2 ? &d->to : &d->from;
        if (MKL_MAX(b1, b2) > c->bottom1 - 2 * c->lead) {
            double bl = b1 >= b2 ? c->lead : c->lead - 2, room = floor((c->bottom1 - 2 * c->lead - top) / bl + 1e-6) + 1;
            char why[160];
            snprintf(why, sizeof why, "on the first page (the letterhead, its footer and the date leave room for %d)",
                     room > 0 ? (int)room : 0);
            st = too_long(c, lb, lb == &d->to ? "to" : "from", (size_t)llround((MKL_MAX(b1, b2) - top) / bl) + 1, why);
            goto out;
        }
        c->y = MKL_MAX(b1, b2);
        c->at_top = 0;
    }
cc:
    /* CC: a hanging label, the blocks side by side in two columns */
    if (d->ncc) {
        const char *label = c->ko ? "\xEC\xB0\xB8\xEC\xA1\xB0" : "CC."; /* 참조 */
        double csize = c->size - 1, clead = round(csize * 1.27);
        if ((st = par_plain(c, &lab, &c->body, label, csize, clead, 0, c->tw, AL_LEFT, BLACK))) goto out;
        double lw = MKL_MAX(lab.lines.n ? lab.lines.v[0].width : 0, 2.5 * csize) + csize;
        c->y += c->lead + clead;
        double gutter = 1.5 * csize;
        int cols = d->ncc >= 2 ? 2 : 1;
        /* side by side only if no line of any block has to wrap */
        for (size_t i = 0; i < d->ncc && cols == 2 && !st; i++)
            for (size_t k = 0; k < d->cc[i].n && cols == 2; k++) {
                if ((st = par_plain(c, &p, &c->body, d->cc[i].v[k], csize, clead, 0, 1e6, AL_LEFT, BLACK))) break;
                if (p.lines.n && p.lines.v[0].width > (c->tw - lw - gutter) / 2) cols = 1;
            }
        if (st) goto out;
        double cw = (c->tw - lw - (cols - 1) * gutter) / cols;
        /* rows of `cols` blocks (the label beside the first); a row that does
         * not fit goes to the next page */
        double y = c->y, maxb = c->y;
        for (size_t i = 0; i < d->ncc; i += (size_t)cols) {
            size_t end = MKL_MIN(i + (size_t)cols, d->ncc), most = 1;
            for (size_t k = i; k < end; k++) {
                size_t n;
                if ((st = block_lines(c, &d->cc[k], cw, csize, clead, &n))) goto out;
                most = MKL_MAX(most, n);
            }
            if (y + (double)(most - 1) * clead > bottom_of(c) && !c->at_top) {
                if ((st = new_page(c))) goto out;
                y = c->y + clead;
            }
            if (y + (double)(most - 1) * clead > bottom_of(c)) {
                st = too_long(c, &d->cc[i], "cc", most, "on a page");
                goto out;
            }
            if (i == 0 && (st = par_at(c, &lab, c->ml, y))) goto out;
            double rowb = y;
            for (size_t k = i; k < end; k++) {
                double b;
                if ((st = block_at(c, &d->cc[k], c->ml + lw + (double)(k - i) * (cw + gutter), cw, y, csize, clead, 0,
                                   AL_LEFT, BLACK, &b)))
                    goto out;
                rowb = MKL_MAX(rowb, b);
            }
            c->at_top = 0;
            maxb = rowb;
            y = rowb + 2 * clead;
        }
        c->y = maxb;
    }
out:
    par_free(&p);
    par_free(&lab);
    return st;
}

/* Keep `needed` points of what follows on this page, else start a new one. */
static mkl_status keep(LC *c, double needed) {
    if (!c->at_top && c->y + needed > bottom_of(c) + 1e-6) return new_page(c);
    return MKL_OK;
}

static mkl_status subject_opening(LC *c) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    Par ps = {0}, po = {0};
    if (d->subject) {
        mkl_buf b = {0};
        mkl__buf_adds(&b, c->ko ? "\xEC\xA0\x9C\xEB\xAA\xA9: " : "Re: "); /* 제목: */
        mkl__buf_adds(&b, d->subject);
        if (b.oom) { mkl__buf_free(&b); return oom(c); }
        st = par_plain(c, &ps, &c->head, b.s, c->size, c->lead, MKL_STYLE_BOLD, c->tw, AL_LEFT, BLACK);
        mkl__buf_free(&b);
        if (st) goto out;
    }
    if (d->opening && (st = par_plain(c, &po, &c->body, d->opening, c->size, c->lead, 0, c->tw, AL_LEFT, BLACK)))
        goto out;
    snap(c);
    /* subject + opening + two lines of the body stay together */
    double need = (ps.lines.n ? (ps.lines.n + 1) * c->lead : 0) + (po.lines.n ? (po.lines.n + 1) * c->lead : 0) +
                  3 * c->lead;
    if ((st = keep(c, need))) goto out;
    if (ps.lines.n && (st = par_flow(c, &ps, c->ml, 2 * c->lead))) goto out;
    if (po.lines.n && (st = par_flow(c, &po, c->ml, (ps.lines.n ? 1 : 2) * c->lead))) goto out;
out:
    par_free(&ps);
    par_free(&po);
    return st;
}

/* Lists nested deeper than this are set at this level's indent (the parser
 * refuses more than 32 levels): 8 levels take 141 pt at 11 pt, so every
 * item keeps at least two thirds of the text width. */
#define MKL_LIST_INDENT_LEVELS 8

static double level_indent(const LC *c, int level) {
    return MKL_MIN(level, MKL_LIST_INDENT_LEVELS) * 1.6 * c->size;
}

static mkl_status body(LC *c) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    Par p = {0}, m = {0};
    for (size_t i = 0; i < d->nblocks && !st; i++) {
        const mkl_block *b = &d->blocks[i];
        double indent = 0, right = 0, space = c->lead;
        int align = AL_JUSTIFY, style = 0;
        double size = c->size;
        switch (b->kind) {
        case MKL_BLOCK_ITEM: indent = level_indent(c, b->level); if (b->tight && !b->marker) space = 0; else if (b->tight && i > 0 && d->blocks[i - 1].kind == MKL_BLOCK_ITEM) space = 0; break;
        case MKL_BLOCK_QUOTE: indent = 2 * c->size; right = 2 * c->size; break;
        case MKL_BLOCK_HEADING: align = AL_LEFT; style = MKL_STYLE_BOLD; break;
        default: indent = level_indent(c, b->level); break;
        }
        double w = c->tw - indent - right;
        int lang = b->lang ? b->lang : mkl__doc_lang(d);
        c->lang = lang == MKL_LANG_KO ? "ko" : "en";
        c->keep_all = !(b->syllable >= 0 ? b->syllable : d->syllable);
        mkl_fontset *fs = b->kind == MKL_BLOCK_HEADING ? &c->head : &c->body;
        st = par_make(c, &p, fs, &b->rich, size, c->lead, style, w, w, 0, align, BLACK, b->line);
        c->lang = d->lang;
        c->keep_all = 1;
        if (st) break;
        if (b->kind == MKL_BLOCK_HEADING && (st = keep(c, (p.lines.n + 3) * c->lead + space))) break;
        int fpage = c->page;
        double fbase = 0;
        if ((st = par_flow_at(c, &p, c->ml + indent, space, &fpage, &fbase))) break;
        if (b->marker && p.lines.n) {
            /* the marker hangs in the indent, on the first line's baseline */
            if ((st = par_plain(c, &m, &c->body, b->marker, size, c->lead, 0, 1.3 * c->size, AL_RIGHT, BLACK))) break;
            int save = c->page;
            c->page = fpage;
            st = par_at(c, &m, c->ml + indent - 1.6 * c->size, fbase);
            c->page = save;
        }
    }
    par_free(&p);
    par_free(&m);
    return st;
}

/* Signatures stand side by side, up to three a row, with room above each
 * name to sign. The height of the row starting at signature `i` (from the
 * cursor to its last baseline), its names and titles wrapped in columns `cw`
 * wide. A row taller than a page is an error at the signature that makes it
 * so: it could not be set without running over the foot of the page. */
static mkl_status sig_row_height(LC *c, size_t i, int per_row, double cw, Par *p, double *height) {
    const mkl_doc *d = c->doc;
    double tallest = 0;
    size_t tallest_k = i;
    mkl_status st;
    for (int k = 0; k < per_row && i + (size_t)k < d->nsignatures; k++) {
        const mkl_signature *s = &d->signatures[i + (size_t)k];
        if ((st = par_plain(c, p, &c->body, s->name, c->size, c->lead, 0, cw, AL_LEFT, BLACK))) return st;
        double h = 4 * c->lead + extra_lines(p) * c->lead;
        if (s->title) {
            if ((st = par_plain(c, p, &c->body, s->title, c->size - 1.5, c->lead - 2, 0, cw, AL_LEFT, GRAY))) return st;
            h += p->lines.n * (c->lead - 2);
        }
        if (h > tallest) { tallest = h; tallest_k = i + (size_t)k; }
    }
    *height = MKL_MAX(tallest, 6 * c->lead);   /* a name, a title and a line to spare */
    double room = c->bottom - c->cont_top;
    if (tallest > room + 1e-6) {
        const mkl_signature *s = &d->signatures[tallest_k];
        int line = 0, col = 0;
        mkl__doc_pos(d, s->name, &line, &col);
        return mkl__err(c->e, MKL_ERR_INPUT, d->file, line, col,
                        "the signature of '%.100s' is %.0f lines high (as set, with its title and the room to sign) and "
                        "does not fit on a page, which holds %.0f",
                        s->name, tallest / c->lead, floor(room / c->lead));
    }
    return MKL_OK;
}

static mkl_status closing(LC *c) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    Par p = {0};
    if (!d->closing && !d->nsignatures) return MKL_OK;
    int per_row = (int)MKL_MIN(d->nsignatures, 3);
    double gutter = 1.5 * c->size, cw = per_row ? (c->tw - (per_row - 1) * gutter) / per_row : c->tw;
    double sig_h = 0;   /* the first row's height: the closing stays with it */
    if (d->nsignatures && (st = sig_row_height(c, 0, per_row, cw, &p, &sig_h))) goto out;
    if (d->closing) {
        /* a Korean sign-off ("... 올림") stands at the right, an English closing at the left */
        if ((st = par_plain(c, &p, &c->body, d->closing, c->size, c->lead, 0, c->tw, c->ko ? AL_RIGHT : AL_LEFT, BLACK)))
            goto out;
        if ((st = keep(c, c->lead + p.lines.n * c->lead + sig_h))) goto out;
        if ((st = par_flow(c, &p, c->ml, c->lead))) goto out;
    } else if ((st = keep(c, c->lead + sig_h))) {
        goto out;
    }
    if (d->nsignatures) {
        for (size_t i = 0; i < d->nsignatures; i += (size_t)per_row) {
            double row_h;
            if ((st = sig_row_height(c, i, per_row, cw, &p, &row_h))) goto out;
            if ((st = keep(c, row_h))) goto out;
            double nb = c->y + 4 * c->lead, maxb = nb;
            for (int k = 0; k < per_row && i + (size_t)k < d->nsignatures; k++) {
                const mkl_signature *s = &d->signatures[i + (size_t)k];
                double x = c->ml + k * (cw + gutter), b = nb;
                if (s->image) {
                    /* the scanned signature above the name, in the room left for signing */
                    const mkl_image *img;
                    double iw, ih;
                    if ((st = image_of(c, s->image, &img))) goto out;
                    image_fit(img, cw, 3 * c->lead, &iw, &ih);
                    if ((st = add_image(c, img, x, nb - c->size * 0.9 - ih, iw, ih))) goto out;
                }
                if ((st = par_plain(c, &p, &c->body, s->name, c->size, c->lead, 0, cw, AL_LEFT, BLACK))) goto out;
                if ((st = par_at(c, &p, x, nb))) goto out;
                b = nb + extra_lines(&p) * c->lead;
                if (s->title) {
                    double ts = c->size - 1.5;
                    if ((st = par_plain(c, &p, &c->body, s->title, ts, c->lead - 2, 0, cw, AL_LEFT, GRAY))) goto out;
                    if ((st = par_at(c, &p, x, b + c->lead - 2))) goto out;
                    b += p.lines.n * (c->lead - 2);
                }
                maxb = MKL_MAX(maxb, b);
            }
            c->y = maxb;
            c->at_top = 0;
        }
    }
out:
    par_free(&p);
    return st;
}

/* One group of co-signers as a table: entries never split, columns balanced on
 * every page the table spans, flowing over pages. */
static mkl_status group_table(LC *c, const mkl_group *g) {
    mkl_status st = MKL_OK;
    double tsize = c->size - 1, tlead = round(tsize * 1.27), gutter = 2 * tsize;
    int cols = g->columns;
    double cw = (c->tw - (cols - 1) * gutter) / cols, hang = tsize;
    size_t n = g->nentries;
    Par *ps = mkl__calloc(n ? n : 1, sizeof *ps);
    Par h = {0};
    if (!ps) return oom(c);
    for (size_t i = 0; i < n && !st; i++) {
        const mkl_entry *en = &g->entries[i];
        mkl_buf b = {0};
        mkl__buf_adds(&b, en->name);
        mkl_srun runs[2];
        size_t nr = 1;
        runs[0] = (mkl_srun){0, (uint32_t)b.n, en->note ? MKL_STYLE_BOLD : 0, -1, 0};
        if (en->note) {
            mkl__buf_adds(&b, ", ");
            mkl__buf_adds(&b, en->note);
            runs[1] = (mkl_srun){runs[0].end, (uint32_t)b.n, 0, -1, 0};
            nr = 2;
        }
        if (b.oom) { mkl__buf_free(&b); st = oom(c); break; }
        mkl_rich r = {b.s, b.n, runs, nr};
        if (!mkl__doc_pos(c->doc, en->name, &c->src_line, &c->src_col)) c->src_line = c->src_col = 0;
        st = par_make(c, &ps[i], &c->body, &r, tsize, tlead, 0, cw, cw - hang, hang, AL_LEFT, BLACK, 0);
        ps[i].own = b.s; /* the glyphs point into this text until the entry is placed */
    }
    if (st) goto out;
    snap(c);
    if (g->heading) {
        if ((st = par_plain(c, &h, &c->head, g->heading, c->size, c->lead, MKL_STYLE_BOLD, c->tw, AL_LEFT, BLACK))) goto out;
        /* the heading never ends a page: keep it with two rows */
        size_t first_rows = 0;
        for (size_t i = 0; i < n && i < (size_t)(2 * cols); i++)
            first_rows = MKL_MAX(first_rows, MKL_MIN(ps[i].lines.n, 3));   /* an entry flowing over pages starts here */
        if ((st = keep(c, (c->at_top ? 0 : c->lead) + h.lines.n * c->lead + 2 * first_rows * tlead))) goto out;
        if ((st = par_flow(c, &h, c->ml, c->lead))) goto out;
        c->y += tlead * 0.35;
    } else {
        space_before(c, c->lead - tlead);
    }
    size_t i = 0;
    while (i < n) {
        int avail = lines_free(c, 0, tlead);
        /* entries that fit on this page: fill column by column */
        size_t j = i;
        int col = 0, used = 0;
        while (j < n) {
            int h1 = (int)ps[j].lines.n;
            if (used + h1 > avail) {
                if (++col >= cols) break;
                used = 0;
                if (h1 > avail) break;
            }
            used += h1;
            j++;
        }
        int page_lines = (int)floor((c->bottom - c->cont_top + 1e-6) / tlead);
        if (j == i) {
            if (!c->at_top && (int)ps[i].lines.n <= page_lines) { if ((st = new_page(c))) goto out; continue; }
            /* an entry taller than a page: set across the text width, its
             * lines flowing over pages, then the table goes on below it */
            Par *big = &ps[i];
            big->w1 = c->tw;
            big->w = c->tw - hang;
            if ((st = mkl__break_lines(&big->s, big->w1, big->w, 0, &big->lines, c->e))) goto out;
            if ((st = par_flow(c, big, c->ml, 0))) goto out;
            i++;
            continue;
        }
        /* balance: the least column height that holds entries [i, j) in `cols` columns */
        int total = 0, tallest = 0;
        for (size_t k = i; k < j; k++) { total += (int)ps[k].lines.n; tallest = MKL_MAX(tallest, (int)ps[k].lines.n); }
        int H = MKL_MAX((total + cols - 1) / cols, tallest);
        for (;; H++) {
            int cc = 0, u = 0;
            for (size_t k = i; k < j; k++) {
                int h1 = (int)ps[k].lines.n;
                if (u + h1 > H) { cc++; u = 0; }
                u += h1;
            }
            if (cc < cols) break;
        }
        double top = c->y;
        int cc = 0, u = 0;
        for (size_t k = i; k < j; k++) {
            int h1 = (int)ps[k].lines.n;
            if (u + h1 > H) { cc++; u = 0; }
            if ((st = par_at(c, &ps[k], c->ml + cc * (cw + gutter), top + (u + 1) * tlead))) goto out;
            u += h1;
        }
        c->y = top + H * tlead;
        c->at_top = 0;
        i = j;
        if (i < n && (st = new_page(c))) goto out;
    }
out:
    for (size_t k = 0; k < n; k++) par_free(&ps[k]);
    mkl__free(ps);
    par_free(&h);
    return st;
}

static mkl_status endmatter(LC *c) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    Par p = {0};
    for (size_t i = 0; i < d->ngroups && !st; i++) {
        c->y += c->lead;
        st = group_table(c, &d->groups[i]);
    }
    if (st) goto out;
    if (d->enclosures.n) {
        const char *label = c->ko ? "\xEB\xB6\x99\xEC\x9E\x84" /* 붙임 */ : d->enclosures.n > 1 ? "Enclosures:" : "Enclosure:";
        snap(c);
        if ((st = par_plain(c, &p, &c->head, label, c->size, c->lead, MKL_STYLE_BOLD, c->tw, AL_LEFT, BLACK))) goto out;
        if ((st = keep(c, 2 * c->lead + MKL_MIN(d->enclosures.n, 3) * c->lead))) goto out;
        if ((st = par_flow(c, &p, c->ml, 2 * c->lead))) goto out;
        for (size_t i = 0; i < d->enclosures.n; i++) {
            if ((st = par_plain(c, &p, &c->body, d->enclosures.v[i], c->size, c->lead, 0, c->tw - 1.6 * c->size, AL_LEFT, BLACK)))
                goto out;
            if ((st = par_flow(c, &p, c->ml + 1.6 * c->size, 0))) goto out;
        }
    }
    if (d->ps) {
        mkl_buf b = {0};
        mkl__buf_adds(&b, "P.S. ");
        mkl__buf_adds(&b, d->ps);
        if (b.oom) { mkl__buf_free(&b); st = oom(c); goto out; }
        snap(c);
        st = par_plain(c, &p, &c->body, b.s, c->size, c->lead, 0, c->tw, AL_JUSTIFY, BLACK);
        if (!st) {
            p.w = p.w1; /* no hanging indent */
            p.indent = 0;
            st = mkl__break_lines(&p.s, c->tw, c->tw, 1, &p.lines, c->e);
        }
        if (!st) st = par_flow(c, &p, c->ml, 2 * c->lead);
        mkl__buf_free(&b);
    }
out:
    par_free(&p);
    return st;
}

/* Where the letterhead's footer band starts on page 1 (its lines, 9.5 pt
 * apart, end a line above the page number). */
static double band_top(const LC *c) {
    return c->ph - c->mb + 2 * c->lead - 12 - c->doc->lh_footer.n * 9.5 - 3;
}

/* Continuation headers on pages 2+ (addressee and date), the footer band on
 * page 1, and the one folio of every page, "Page x of y" at its foot. */
static mkl_status page_furniture(LC *c) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    Par p = {0};
    int total = (int)c->L->pages.n;
    double fsize = 8.5;
    for (int i = 0; i < total && !st; i++) {
        c->page = i;
        char buf[1024];
        if (c->ko) snprintf(buf, sizeof buf, "%d / %d", i + 1, total);
        else snprintf(buf, sizeof buf, "Page %d of %d", i + 1, total);
        if (i > 0) {
            mkl_buf b = {0};
            if (d->to.n) mkl__buf_adds(&b, d->to.v[0]);
            if (c->date) {
                if (b.n) mkl__buf_adds(&b, "  \xC2\xB7  ");
                mkl__buf_adds(&b, c->date);
            }
            if (b.oom) { st = oom(c); break; }
            double hb = c->mt + fsize;
            if (b.n) {
                st = par_plain(c, &p, &c->body, b.s, fsize, fsize * 1.25, 0, c->tw, AL_LEFT, GRAY);
                if (!st) {
                    p.lines.n = MKL_MIN(p.lines.n, 1);
                    st = par_at(c, &p, c->ml, hb);
                }
            }
            mkl__buf_free(&b);
            if (!st) st = add_rule(c, c->ml, hb + 5, c->pw - c->mr, hb + 5, 0.4, 0.5);
        }
        if (!st && i == 0 && d->lh_footer.n) {
            /* the letterhead's footer band: small, centred, over a hairline */
            double y = band_top(c);
            st = add_rule(c, c->ml, y, c->pw - c->mr, y, 0.4, 0.5);
            for (size_t k = 0; k < d->lh_footer.n && !st; k++) {
                y += 9.5;
                if (!(st = par_plain(c, &p, &c->body, d->lh_footer.v[k], 7.5, 9.5, 0, c->tw, AL_CENTER, GRAY))) {
                    p.w = p.w1;   /* wrapped footer lines stay centred, not indented */
                    p.indent = 0;
                    if (!(st = mkl__break_lines(&p.s, c->tw, c->tw, 0, &p.lines, c->e))) {
                        st = par_at(c, &p, c->ml, y);
                        y += extra_lines(&p) * 9.5;
                    }
                }
            }
        }
        if (!st && c->o->page_numbers) {
            st = par_plain(c, &p, &c->body, buf, fsize, fsize * 1.25, 0, c->tw, AL_CENTER, GRAY);
            if (!st) st = par_at(c, &p, c->ml, c->ph - c->mb + 2 * c->lead);
        }
    }
    par_free(&p);
    return st;
}

/* Default fonts: Latin from a Latin font, Hangul from a Korean one, in one
 * fallback chain (the Latin font first, so that Latin in Korean text is set in
 * its companion). Korean letterheads and headings are set in Gothic (dotum)
 * with Liberation Sans, Korean text in Myeongjo (batang) with Liberation Serif. */
static const char *const DEFAULT_BODY[] = {"Liberation Serif", "NanumMyeongjo"};
/* Bold Hangul in body text is set in Gothic, as Korean typesetters do (and
 * one Korean font fewer is embedded). */
static const char *const DEFAULT_BODY_BOLD[] = {"Liberation Serif", "NanumGothic"};
static const char *const DEFAULT_HEAD_EN[] = {"Liberation Serif", "NanumMyeongjo"};
static const char *const DEFAULT_HEAD_KO[] = {"Liberation Sans", "NanumGothic"};

/* Resolve the upright style of every family of a role; an unknown family is an
 * error at the place the letter names it. */
static mkl_status resolve_named(mkl_fontset *fs, const mkl_fontspec *spec, const char *file, mkl_error *e) {
    for (size_t i = 0; i < fs->nfamilies; i++) {
        mkl_face *f;
        mkl_status st = mkl__fontdb_find(fs->db, fs->families[i], 0, 0, &f, e);
        if (st) {
            int named = spec->families == (const char **)fs->families && spec->line;
            if (st == MKL_ERR_FONT && e->file[0]) {
                /* the font file itself is damaged: the error is about that file */
                char where[1100];
                if (named) snprintf(where, sizeof where, " (family '%.100s', named at %.900s:%d:%d)", fs->families[i], file,
                                    spec->line[i], spec->col[i]);
                else snprintf(where, sizeof where, " (family '%.100s')", fs->families[i]);
                size_t ml = strlen(e->message);
                snprintf(e->message + ml, sizeof e->message - ml, "%s", where);
                return st;
            }
            snprintf(e->file, sizeof e->file, "%s", file);
            if (named) {
                e->line = spec->line[i];
                e->column = spec->col[i];
            }
            return st;
        }
    }
    return mkl__fontset_resolve(fs, 0, e);
}

mkl_status mkl__layout(const mkl_doc *doc, mkl_fontdb *db, mkl_shaper *sh, const mkl_layout_opts *o, mkl_layout *out,
                       mkl_error *e) {
    LC c = {0};
    c.doc = doc;
    c.L = out;
    c.sh = sh;
    c.e = e;
    c.o = o;
    c.ko = doc->lang && !strcmp(doc->lang, "ko");
    c.lang = doc->lang;
    c.keep_all = 1;
    c.date = doc->date;
    if (doc->date && mkl__format_date(doc->date, doc->lang, doc->date_official, c.datebuf, sizeof c.datebuf))
        c.date = c.datebuf;
    c.body.db = c.head.db = db;
    if (doc->font_body.nfamilies) {
        c.body.families = doc->font_body.families;
        c.body.nfamilies = doc->font_body.nfamilies;
    } else {
        c.body.families = DEFAULT_BODY;
        c.body.bold_families = DEFAULT_BODY_BOLD;
        c.body.nbold = 2;
        c.body.nfamilies = 2;
    }
    if (doc->font_heading.nfamilies) {
        c.head.families = doc->font_heading.families;
        c.head.nfamilies = doc->font_heading.nfamilies;
    } else if (doc->font_body.nfamilies) {
        c.head = c.body;
    } else {
        c.head.families = c.ko ? DEFAULT_HEAD_KO : DEFAULT_HEAD_EN;
        c.head.nfamilies = 2;
    }
    /* an unknown family is an error even if no character needs it */
    mkl_status st;
    if ((st = resolve_named(&c.body, &doc->font_body, doc->file, e)) ||
        (st = resolve_named(&c.head, &doc->font_heading, doc->file, e)))
        return st;
    switch (doc->paper) {
    case MKL_PAPER_LETTER: c.pw = 612; c.ph = 792; break;
    case MKL_PAPER_LEGAL: c.pw = 612; c.ph = 1008; break;
    default: c.pw = 595.276; c.ph = 841.89; break;
    }
    out->width = c.pw;
    out->height = c.ph;
    double mm = 72 / 25.4;
    c.ml = 25 * mm;
    c.mr = 22 * mm;
    c.mt = 15 * mm;
    c.mb = 22 * mm;
    c.tw = c.pw - c.ml - c.mr;
    c.size = doc->font_size;
    c.lead = round(c.size * 1.27 * 2) / 2;
    c.grid0 = c.mt;
    c.bottom = c.ph - c.mb;
    c.bottom1 = c.bottom;
    if (doc->lh_footer.n) c.bottom1 = MKL_MIN(c.bottom, band_top(&c) - c.lead);
    /* continuation pages: the header, its rule, then the body on the grid */
    c.cont_top = c.mt + ceil((8.5 + 5 + 0.8 * c.lead) / c.lead) * c.lead;
    out->margin[0] = c.ml;
    out->margin[1] = c.mt;
    out->margin[2] = c.mr;
    out->margin[3] = c.mb;
    out->lead = c.lead;
    if ((st = new_page(&c))) return st;
    c.y = c.mt;
    if ((st = letterhead(&c)) || (st = heading_block(&c)) || (st = subject_opening(&c)) || (st = body(&c)) ||
        (st = closing(&c)) || (st = endmatter(&c)) || (st = page_furniture(&c))) {
        if (!e->file[0]) snprintf(e->file, sizeof e->file, "%s", doc->file);
        return st;
    }
    return MKL_OK;
}

void mkl__layout_free(mkl_layout *l) {
    for (size_t i = 0; i < l->pages.n; i++) {
        mkl__free(l->pages.v[i].runs.v);
        mkl__free(l->pages.v[i].rules.v);
        mkl__free(l->pages.v[i].links.v);
        mkl__free(l->pages.v[i].images.v);
    }
    mkl__free(l->pages.v);
    mkl__free(l->glyphs.v);
    mkl__buf_free(&l->text);
    memset(l, 0, sizeof *l);
}
