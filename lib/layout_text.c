/* layout_text.c - inline text: a paragraph shaped and broken into lines (with the cache that keeps
 * them from one letter to the next), and a line set on the page. See layout_internal.h. */
#include "layout_internal.h"
#include "smart.h"

#include <string.h>

#include "linebreak.h"
#include "parse.h"

/* A cache entry's glyphs, shared with the paragraphs made from it: the
 * cache holds a reference, and so does each paragraph that points into
 * them, so that the entry's glyphs outlive a clearing of the cache while a
 * paragraph still uses them. Paragraphs are made from the cache thousands
 * of times a merge copy (each trial of a page break makes them all again):
 * a copy of the glyphs each time was a tenth of the copy's time. */
typedef struct CGlyphs {
    size_t refs;
    mkl_glyph g[];
} CGlyphs;

static void glyphs_release(CGlyphs *cg) {
    if (cg && !--cg->refs) mkl__free(cg);
}

/* The paragraph's glyphs its own again (none): what it held let go. */
static void par_unhold(Par *p) {
    if (!p->held) return;
    glyphs_release(p->held);
    p->held = NULL;
    p->s.g = NULL;
    p->s.n = p->s.cap = 0;
}

void mkl__par_free(Par *p) {
    par_unhold(p);
    mkl__shaped_free(&p->s);
    mkl__free(p->lines.v);
    mkl__free(p->own);
    memset(p, 0, sizeof *p);
}

/* ---- the paragraph cache ---------------------------------------------- */

typedef struct CEntry {
    uint64_t hash;
    char *key;
    size_t keylen;
    CGlyphs *g;        /* (a reference held) */
    size_t ng;
    mkl_line *lines;
    size_t nl;
} CEntry;

/* A string of the front matter and the same with smart punctuation (by
 * cmark: a tenth of a merge copy's layout, each string made again for each
 * trial of a page break and each copy). */
typedef struct SmartMemo {
    uint64_t hash;     /* 0: empty */
    char *in, *out;    /* (NUL-terminated) */
    size_t inlen, outlen;
} SmartMemo;

#define SMART_SLOTS 256       /* by the string's hash: a later string takes a slot */
#define SMART_MAX 4096        /* longer strings are not kept */

struct mkl_parcache {
    CEntry *slots;
    size_t cap, n, bytes;
    size_t lent;   /* paragraphs made with the glyphs of an entry */
    size_t smart_hits;   /* strings whose smart punctuation was kept */
    mkl_buf key;   /* the key of the paragraph being made: its memory reused */
    SmartMemo smart[SMART_SLOTS];
};

#define CACHE_SLOTS 2048      /* at most half of them used */
#define CACHE_BYTES (4u << 20)

/* The entries kept before the cache is cleared: a variable, so that a test
 * can clear it while paragraphs hold its glyphs. */
size_t mkl__parcache_max_entries = CACHE_SLOTS / 2;

size_t mkl__parcache_lent(const mkl_parcache *c) { return c ? c->lent : 0; }
size_t mkl__parcache_smart_hits(const mkl_parcache *c) { return c ? c->smart_hits : 0; }
/* The memo's slots used (a power of two up to SMART_SLOTS): a variable, so
 * that a test can put every string in one slot. */
size_t mkl__parcache_smart_slots = SMART_SLOTS;

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
        glyphs_release(e->g);
        mkl__free(e->lines);
        memset(e, 0, sizeof *e);
    }
    c->n = c->bytes = 0;
}

void mkl__parcache_free(mkl_parcache *c) {
    if (!c) return;
    cache_clear(c);
    for (size_t i = 0; i < SMART_SLOTS; i++) {
        mkl__free(c->smart[i].in);
        mkl__free(c->smart[i].out);
    }
    mkl__free(c->slots);
    mkl__buf_free(&c->key);
    mkl__free(c);
}

/* One 8-byte step of key_hash's lanes. */
static inline uint64_t key_mix(uint64_t h, const char *s) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    return h ^ (h >> 29);
}

/* Eight bytes at a time (a byte at a time took a tenth of a merge copy's
 * time), in four lanes that do not wait for each other (one lane, like
 * mkl__hash64's, was a thirtieth of a copy: each step waits for the last
 * multiplication): it only picks the slot, the whole key is compared. */
static uint64_t key_hash(const char *s, size_t n) {
    uint64_t a = 0x9E3779B97F4A7C15ull ^ (uint64_t)n, b = 0xC2B2AE3D27D4EB4Full, c = 0x165667B19E3779F9ull,
             d = 0x27D4EB2F165667C5ull;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a = key_mix(a, s + i);
        b = key_mix(b, s + i + 8);
        c = key_mix(c, s + i + 16);
        d = key_mix(d, s + i + 24);
    }
    for (; i + 8 <= n; i += 8) a = key_mix(a, s + i);
    for (; i < n; i++) a = (a ^ (unsigned char)s[i]) * 0x100000001B3ull;
    uint64_t h = a ^ (b * 0x9E3779B97F4A7C15ull) ^ (c * 0xC2B2AE3D27D4EB4Full) ^ (d * 0x165667B19E3779F9ull);
    h ^= h >> 32;
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
    if (c->n + 1 > MKL_MIN(mkl__parcache_max_entries, c->cap / 2) || c->bytes + bytes > CACHE_BYTES) cache_clear(c);
    CEntry *e = cache_find(c, k, h);
    if (e->hash) return;
    e->key = mkl__malloc(k->n ? k->n : 1);
    e->g = mkl__malloc(sizeof *e->g + p->s.n * sizeof *p->s.g);
    e->lines = mkl__malloc((p->lines.n ? p->lines.n : 1) * sizeof *e->lines);
    if (!e->key || !e->g || !e->lines) {
        mkl__free(e->key);
        mkl__free(e->g);
        mkl__free(e->lines);
        memset(e, 0, sizeof *e);
        return;
    }
    e->g->refs = 1;
    memcpy(e->key, k->s, k->n);
    if (p->s.n) memcpy(e->g->g, p->s.g, p->s.n * sizeof *p->s.g);
    if (p->lines.n) memcpy(e->lines, p->lines.v, p->lines.n * sizeof *e->lines);
    e->keylen = k->n;
    e->ng = p->s.n;
    e->nl = p->lines.n;
    e->hash = h;
    c->n++;
    c->bytes += bytes;
}

/* Fill p from a cache entry: its glyphs (held, not copied), whose text
 * offsets point into r->text, which is byte for byte the text the entry was
 * made from; a copy of its lines, which the letterhead breaks again. */
static mkl_status cache_get(Composer *c, const CEntry *e, mkl_parcache *cache, const mkl_rich *r, Par *p) {
    if (p->lines.cap < e->nl) {
        mkl_line *nl = mkl__realloc(p->lines.v, (e->nl ? e->nl : 1) * sizeof *nl);
        if (!nl) return mkl__lay_oom(c);
        p->lines.v = nl;
        p->lines.cap = e->nl;
    }
    if (e->nl) memcpy(p->lines.v, e->lines, e->nl * sizeof *e->lines);
    par_unhold(p);
    mkl__shaped_free(&p->s);
    e->g->refs++;
    cache->lent++;
    p->held = e->g;
    p->s.g = e->g->g;
    p->s.cap = 0;
    p->s.n = e->ng;
    p->lines.n = e->nl;
    p->s.text = r->text;
    p->s.len = r->len;
    return MKL_OK;
}

mkl_status mkl__par_make(Composer *c, Par *p, mkl_fontset *fs, const mkl_rich *r, double size, double lead, int style,
                         double w1, double w, double indent, int align, const float *rgb, int line) {
    /* a string from a house style is found in the style (whose text is not kept) */
    int in_style = !line && c->src_file && c->src_file != c->doc->file;
    mkl_shape_opts so = {size, c->lang, c->keep_all, style, in_style ? c->src_file : c->doc->file,
                         line ? line : c->src_line, in_style ? NULL : c->doc->src, in_style ? 0 : c->doc->srclen,
                         align == AL_JUSTIFY};
    p->w1 = w1;
    p->w = w;
    p->indent = indent;
    p->lead = lead;
    p->align = align;
    p->rgb = rgb;
    mkl_parcache *cache = c->o->cache;
    uint64_t h = 0;
    if (cache) {
        cache->key.n = 0;
        cache->key.oom = 0;
        if (cache_key(&cache->key, fs, r, &so, w1, w)) {
            h = key_hash(cache->key.s, cache->key.n);
            CEntry *e = cache_find(cache, &cache->key, h);
            if (e->hash) return cache_get(c, e, cache, r, p);
        }
    }
    par_unhold(p);   /* (the glyphs are made into the paragraph's own) */
    mkl_status st = mkl__shape(c->sh, fs, r, &so, &p->s, c->e);
    if (!st) st = mkl__break_lines(&p->s, w1, w, align == AL_JUSTIFY, &p->lines, c->e);
    if (!st && cache && h) cache_put(cache, &cache->key, h, p);
    return st;
}

/* `n` bytes at `text` appended to `b` with smart punctuation, from the
 * cache's memo when it has the string (b->oom when out of memory). */
static void smart_into(mkl_parcache *cache, mkl_buf *b, const char *text, size_t len) {
    if (!mkl__smart_changes(text, len)) {
        mkl__buf_add(b, text, len);
        return;
    }
    SmartMemo *m = NULL;
    uint64_t h = 0;
    if (cache && len <= SMART_MAX) {
        h = key_hash(text, len);
        m = &cache->smart[h & (MKL_MIN(mkl__parcache_smart_slots, SMART_SLOTS) - 1)];
        if (m->hash == h && m->inlen == len && !memcmp(m->in, text, len)) {
            cache->smart_hits++;
            mkl__buf_add(b, m->out, m->outlen);
            return;
        }
    }
    size_t at = b->n;
    mkl__smart_append(b, text, len);
    if (b->oom || !m) return;
    /* kept in the slot (a failed allocation only means it is not kept) */
    char *in = mkl__strndup(text, len), *out = mkl__strndup(b->s + at, b->n - at);
    if (in && out) {
        mkl__free(m->in);
        mkl__free(m->out);
        m->in = in;
        m->out = out;
        m->inlen = len;
        m->outlen = b->n - at;
        m->hash = h;
    } else {
        mkl__free(in);
        mkl__free(out);
    }
}

void mkl__par_smart_append(Composer *c, mkl_buf *b, const char *text, size_t len) {
    smart_into(c->o->cache, b, text, len);
}

/* A paragraph of one plain string whose lines after the first are indented
 * by `hang`. The text is copied into the paragraph, so the caller's string
 * may go away before the lines are placed. */
static mkl_status par_string(Composer *c, Par *p, mkl_fontset *fs, const char *text, double size, double lead, int style,
                             double w, double hang, int align, const float *rgb) {
    /* a string of the front matter: errors point at it (its place and file
     * found once, as mkl__doc_pos and mkl__doc_file_of find them) */
    const struct mkl_srcpos *at = mkl__doc_srcpos(c->doc, text);
    c->src_line = at ? at->line : 0;
    c->src_col = at ? at->col : 0;
    c->src_file = at && at->origin > 0 && (size_t)at->origin <= c->doc->nstyles ? c->doc->styles[at->origin - 1].file
                                                                                 : c->doc->file;
    /* with smart punctuation, as the body has it */
    mkl_buf b = {0};
    smart_into(c->o->cache, &b, text, strlen(text));
    char *copy = b.oom ? NULL : mkl__strndup(b.s ? b.s : "", b.n);
    size_t n = b.n;
    mkl__buf_free(&b);
    if (!copy) return mkl__lay_oom(c);
    mkl__free(p->own);
    p->own = copy;
    mkl_srun run = {0, (uint32_t)n, 0, -1, 0};
    mkl_rich r = {copy, n, &run, 1};
    return mkl__par_make(c, p, fs, &r, size, lead, style, w, w - hang, hang, align, rgb, 0);
}

mkl_status mkl__par_plain(Composer *c, Par *p, mkl_fontset *fs, const char *text, double size, double lead, int style,
                          double w, int align, const float *rgb) {
    return par_string(c, p, fs, text, size, lead, style, w, size, align, rgb);
}

mkl_status mkl__par_flush(Composer *c, Par *p, mkl_fontset *fs, const char *text, double size, double lead, int style,
                          double w, int align, const float *rgb) {
    return par_string(c, p, fs, text, size, lead, style, w, 0, align, rgb);
}

/* Put line `li` of `p` with its baseline at `baseline`, its box starting at x. */
/* The language of element `tag`: its own or its nearest ancestor's, else the letter's. */
static int elem_lang(const Composer *c, mkl_tag tag) {
    const mkl_structure *s = &c->L->structure;
    for (const mkl_selem *el = mkl__struct_elem(s, tag); el; el = mkl__struct_elem(s, el->parent))
        if (el->lang) return el->lang;
    return s->lang;
}

mkl_status mkl__emit_line(Composer *c, const Par *p, size_t li, double x, double baseline) {
    if (c->close->trial) return MKL_OK;   /* a trial of a page break sets nothing */
    const mkl_line *ln = &p->lines.v[li];
    const mkl_shaped *s = &p->s;
    double avail = li == 0 ? p->w1 : p->w;
    if (li > 0) x += p->indent;
    double extra = 0, pen = x, hgap = 0, expand = 0; /* per space; per em between Hangul syllables; glyph expansion */
    /* a justified paragraph's last line is set at natural spacing, unless the
     * breaker counted on its spaces' shrink: then they shrink, as any line's */
    if (p->align == AL_JUSTIFY && (!ln->last || ln->width > avail)) mkl__justify(s, ln, avail, &extra, &hgap, &expand);
    else if (p->align == AL_RIGHT) pen = x + avail - ln->width;
    else if (p->align == AL_CENTER) pen = x + (avail - ln->width) / 2;
    mkl_layout *L = c->L;
    mkl_page *pg = mkl__cur_page(c);
    mkl_prun *run = NULL;
    mkl_face *run_face = NULL;   /* run's face, size, colour (as given), tag and expansion */
    float run_size = 0, run_expand = 0;
    const float *run_rgb = NULL;
    mkl_tag run_tag = 0;
    mkl_plink *lk = NULL;
    int32_t lk_id = -1;
    /* right-to-left runs are set in visual order */
    size_t few[256], *order = few;
    int vis = 0;
    for (size_t i = ln->start; i < ln->end && !vis; i++) vis = s->g[i].level & 1;
    if (vis && ln->end - ln->start > sizeof few / sizeof *few &&
        !(order = mkl__malloc((ln->end - ln->start) * sizeof *order)))
        return mkl__lay_oom(c);
    if (vis) vis = mkl__visual_order(s, ln->start, ln->end, order);
    if (vis < 0) goto nomem;
    for (size_t k = ln->start; k < ln->end; k++) {
        size_t i = vis ? order[k - ln->start] : k;
        const mkl_glyph *g = &s->g[i];
        if (hgap > 0 && i > ln->start && (g->flags & MKL_G_HGAP)) pen += hgap * g->size;
        const float *rgb = g->link >= 0 ? LINKC : p->rgb;
        /* a link is a Link element in the current one, one for the whole
         * link however many lines it takes */
        mkl_tag tag = c->tag;
        /* words in another language than their element's are a Span with
         * its /Lang (a link in one, a Link with it) */
        int other = g->lang && c->tag > 0 && g->lang != elem_lang(c, c->tag) ? g->lang : 0;
        if (g->link >= 0 && c->tag >= 0) {
            if (c->link_id != g->link || c->link_parent != c->tag) {
                mkl_tag saved;
                if (mkl__tag_open(c, MKL_S_LINK, other, &saved)) goto nomem;
                c->link_tag = c->tag;
                c->link_parent = saved;
                c->link_id = g->link;
                mkl__tag_close(c, saved);
            }
            tag = c->link_tag;
        } else {
            c->link_id = -1;
            if (other && (c->span_lang != other || c->span_parent != c->tag)) {
                mkl_tag saved;
                if (mkl__tag_open(c, MKL_S_SPAN, other, &saved)) goto nomem;
                c->span_tag = c->tag;
                c->span_parent = saved;
                c->span_lang = other;
                mkl__tag_close(c, saved);
            }
            if (other) tag = c->span_tag;
        }
        if (!other) c->span_lang = 0;
        float gexp = MKL_EXPANDS(g) ? (float)expand : 0;
        /* (the run's fields compared as kept here: read from the run, each
         * was read again after every glyph written, which might be it) */
        if (!run || run_face != g->face || run_size != g->size || (rgb != run_rgb && memcmp(run_rgb, rgb, sizeof run->rgb)) ||
            run_tag != tag || (run_expand != gexp && !(g->flags & MKL_G_SPACE))) {
            if (!(run = MKL_PUSH(&pg->runs))) goto nomem;
            run->face = run_face = g->face;
            run->size = run_size = g->size;
            memcpy(run->rgb, rgb, sizeof run->rgb);
            run_rgb = rgb;
            run->first = L->glyphs.n;
            run->tag = run_tag = tag;
            run->seq = mkl__struct_seq(&L->structure);
            run->expand = run_expand = gexp;
        }
        mkl_pglyph *pgl = MKL_PUSH(&L->glyphs);
        if (!pgl) goto nomem;
        pgl->x = (float)(pen + g->xoff * (1 + gexp));
        pgl->y = (float)(baseline - g->yoff);
        pgl->toff = (uint32_t)L->text.n;
        uint32_t tlen = MKL_MIN(g->tlen, UINT16_MAX);
        while (tlen < g->tlen && tlen && ((unsigned char)s->text[g->toff + tlen] & 0xC0) == 0x80) tlen--;
        pgl->gid = (uint16_t)g->gid;
        pgl->tlen = (uint16_t)tlen;
        if (tlen) mkl__buf_add(&L->text, s->text + g->toff, tlen);
        if (L->text.oom) goto nomem;
        run->count++;
        double adv = g->adv * (1 + gexp) + ((g->flags & MKL_G_SPACE) ? extra : 0);
        if (g->link >= 0) {
            if (!lk || lk_id != g->link) {
                if (!(lk = MKL_PUSH(&pg->links))) goto nomem;
                lk_id = g->link;
                lk->tag = tag;
                lk->seq = mkl__struct_seq(&L->structure);
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
    /* a line that ends at a space (or a line of a block whose lines are
     * read as one) keeps a space after its last glyph (it draws nothing):
     * text read from the structure, which knows no lines, keeps its words
     * apart */
    int space = !ln->last && !ln->hyphen && ln->end < s->n && (s->g[ln->end].flags & MKL_G_SPACE);
    if ((space || (ln->last && c->join_lines)) && ln->end > ln->start && run) {
        const mkl_glyph *g = &s->g[ln->end - 1];
        mkl_pglyph *pgl = MKL_PUSH(&L->glyphs);
        if (!pgl) return mkl__lay_oom(c);
        pgl->gid = mkl__face_glyph(run->face, ' ');
        pgl->x = (float)(MKL_MIN(pen, x + avail) - 0.001);   /* where the pen is, inside the line */
        pgl->y = (float)(baseline - g->yoff);
        pgl->toff = (uint32_t)L->text.n;
        pgl->tlen = 1;
        mkl__buf_add(&L->text, " ", 1);
        if (L->text.oom) return mkl__lay_oom(c);
        run->count++;
    }
    if (ln->hyphen && ln->end > ln->start) {
        /* the line ends inside a word: a plain hyphen-minus, so that text
         * extraction joins the word again */
        const mkl_glyph *g = &s->g[ln->end - 1];
        mkl_pglyph *pgl = MKL_PUSH(&L->glyphs);
        if (!pgl) return mkl__lay_oom(c);
        pgl->gid = mkl__face_glyph(g->face, '-');
        pgl->x = (float)pen;
        pgl->y = (float)baseline;
        pgl->toff = (uint32_t)L->text.n;
        pgl->tlen = 1;
        mkl__buf_add(&L->text, "-", 1);
        if (L->text.oom) return mkl__lay_oom(c);
        /* a run of its own, which a tagged PDF marks as a soft hyphen */
        mkl_tag tag = run ? run->tag : c->tag;
        if (!(run = MKL_PUSH(&pg->runs))) return mkl__lay_oom(c);
        run->face = g->face;
        run->size = g->size;
        memcpy(run->rgb, p->rgb, sizeof run->rgb);
        run->first = L->glyphs.n - 1;
        run->tag = tag;
        run->seq = mkl__struct_seq(&L->structure);
        run->hyphen = 1;
        run->count++;
    }
    return MKL_OK;
nomem:
    if (order != few) mkl__free(order);
    return mkl__lay_oom(c);
}
