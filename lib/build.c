/* build.c - building a letter in code (mkletter.h, "Building a letter in
 * code"). Every string goes into the document's arena; arrays grow by doubling
 * inside the arena, so a letter built call by call costs what a parsed one
 * does. The one-string keys are checked by mkl__doc_set, the parser's code. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "letter.h"
#include "mkletter.h"
#include "merge.h"
#include "parse.h"
#include "util.h"

/* Record the first failure; every later call returns it. */
static mkl_status fail(mkl_letter *l, mkl_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static mkl_status fail(mkl_letter *l, mkl_status st, const char *fmt, ...) {
    if (l->err.code) return l->err.code;
    l->err.code = st;
    char raw[sizeof l->err.message];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    mkl__escape(raw, n < 0 ? 0 : MKL_MIN((size_t)n, sizeof raw - 1), l->err.message, sizeof l->err.message);
    return st;
}

#define STICKY(l)                                 \
    do {                                          \
        if (!(l)) return MKL_ERR_ARGUMENT;        \
        if ((l)->err.code) return (l)->err.code;  \
    } while (0)

static mkl_status oom(mkl_letter *l) { return fail(l, MKL_ERR_NOMEM, "out of memory"); }

/* Make room for one more element in an arena array of n elements. */
static void *grow(mkl_letter *l, void *arr, size_t n, size_t *cap, size_t elem) {
    if (arr && n < *cap) return arr;
    size_t nc = n < 4 ? 8 : 2 * n;
    void *na = mkl__arena_alloc(&l->doc->arena, nc * elem);
    if (!na) return NULL;
    if (n) memcpy(na, arr, n * elem);
    *cap = nc;
    return na;
}

/* Copy a string into the arena, checking that it is UTF-8. */
static mkl_status copy(mkl_letter *l, const char *s, const char *what, const char **out) {
    if (!s) return fail(l, MKL_ERR_ARGUMENT, "%s: NULL string", what);
    size_t n = strlen(s);
    if (mkl__utf8_invalid(s, n) != (size_t)-1) return fail(l, MKL_ERR_INPUT, "%s: invalid UTF-8", what);
    if (!(*out = mkl__arena_strndup(&l->doc->arena, s, n))) return oom(l);
    return MKL_OK;
}

mkl_status mkl_letter_new(mkl_renderer *r, mkl_letter **out) {
    (void)r;
    if (!out) return MKL_ERR_ARGUMENT;
    *out = NULL;
    mkl_letter *l = mkl__calloc(1, sizeof *l);
    mkl_doc *d = l ? mkl__calloc(1, sizeof *d) : NULL;
    if (!d) {
        mkl__free(l);
        return MKL_ERR_NOMEM;
    }
    l->doc = d;
    l->serial = mkl__letter_serial();
    d->lang = "en";
    d->font_size = 11;
    d->syllable = MKL_HANGUL_AUTO;
    if (!(d->file = mkl__arena_strndup(&d->arena, "<letter>", 8)) || !(d->base_dir = mkl__arena_strndup(&d->arena, "", 0))) {
        mkl_letter_free(l);
        return MKL_ERR_NOMEM;
    }
    *out = l;
    return MKL_OK;
}

mkl_status mkl_letter_status(const mkl_letter *l) { return l ? l->err.code : MKL_ERR_ARGUMENT; }
const mkl_error *mkl_letter_error(const mkl_letter *l) { return l ? &l->err : NULL; }

/* The line block a field adds to, with its capacity. */
static int block_of(mkl_letter *l, mkl_field f, const char ***v, size_t **n, size_t **cap) {
    mkl_doc *d = l->doc;
    switch (f) {
    case MKL_FIELD_LETTERHEAD: *v = d->lh_lines.v; *n = &d->lh_lines.n; *cap = &l->cap_lh; return 1;
    case MKL_FIELD_FROM: *v = d->from.v; *n = &d->from.n; *cap = &l->cap_from; return 2;
    case MKL_FIELD_TO: *v = d->to.v; *n = &d->to.n; *cap = &l->cap_to; return 3;
    case MKL_FIELD_ENCLOSURES: *v = d->enclosures.v; *n = &d->enclosures.n; *cap = &l->cap_encl; return 4;
    case MKL_FIELD_FONT_BODY: *v = (const char **)d->font_body.families; *n = &d->font_body.nfamilies; *cap = &l->cap_fbody; return 5;
    case MKL_FIELD_FONT_HEADING: *v = (const char **)d->font_heading.families; *n = &d->font_heading.nfamilies; *cap = &l->cap_fhead; return 6;
    case MKL_FIELD_LETTERHEAD_FOOTER: *v = d->lh_footer.v; *n = &d->lh_footer.n; *cap = &l->cap_lfoot; return 7;
    default: return 0;
    }
}

mkl_status mkl_letter_add_line(mkl_letter *l, mkl_field field, const char *line) {
    STICKY(l);
    const char **v;
    size_t *n, *cap;
    int which = block_of(l, field, &v, &n, &cap);
    if (!which) return fail(l, MKL_ERR_ARGUMENT, "field %d takes no lines", (int)field);
    const char *s;
    mkl_status st = copy(l, line, "line", &s);
    if (st) return st;
    if ((which == 5 || which == 6) && !*s) return fail(l, MKL_ERR_INPUT, "an empty font family name");
    const char **nv = grow(l, v, *n, cap, sizeof *nv);
    if (!nv) return oom(l);
    nv[(*n)++] = s;
    mkl_doc *d = l->doc;
    switch (which) {
    case 1: d->lh_lines.v = nv; break;
    case 2: d->from.v = nv; break;
    case 3: d->to.v = nv; break;
    case 4: d->enclosures.v = nv; break;
    case 5: d->font_body.families = nv; d->font_body.line = d->font_body.col = NULL; break;
    case 6: d->font_heading.families = nv; d->font_heading.line = d->font_heading.col = NULL; break;
    default: d->lh_footer.v = nv; break;
    }
    return MKL_OK;
}

mkl_status mkl_letter_set(mkl_letter *l, mkl_field field, const char *value) {
    STICKY(l);
    static const char *const keys[] = {
        [MKL_FIELD_LANG] = "lang",       [MKL_FIELD_PAPER] = "paper",     [MKL_FIELD_LAYOUT] = "layout",
        [MKL_FIELD_DATE] = "date",       [MKL_FIELD_DATE_STYLE] = "date-style", [MKL_FIELD_PLACE] = "place",
        [MKL_FIELD_SUBJECT] = "subject", [MKL_FIELD_OPENING] = "opening", [MKL_FIELD_CLOSING] = "closing",
        [MKL_FIELD_PS] = "ps",           [MKL_FIELD_HANGUL_BREAKS] = "hangul-breaks", [MKL_FIELD_FONT_SIZE] = "size",
        [MKL_FIELD_LETTERHEAD_ALIGN] = "letterhead-align", [MKL_FIELD_FONT_LEADING] = "leading"};
    const char **v;
    size_t *n, *cap;
    if (field != MKL_FIELD_LETTERHEAD && block_of(l, field, &v, &n, &cap)) {
        /* a block: replaced by the value's lines */
        if (!value) return fail(l, MKL_ERR_ARGUMENT, "NULL value");
        *n = 0;
        for (const char *p = value;;) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            char *line = mkl__arena_strndup(&l->doc->arena, p, len);
            if (!line) return oom(l);
            mkl_status st = mkl_letter_add_line(l, field, line);
            if (st) return st;
            if (!nl) break;
            p = nl + 1;
        }
        return MKL_OK;
    }
    const char *s;
    mkl_status st = copy(l, value, "value", &s);
    if (st) return st;
    if (field == MKL_FIELD_LETTERHEAD) {
        l->doc->lh_name = s;
        return MKL_OK;
    }
    if (field == MKL_FIELD_LETTERHEAD_LOGO) {
        l->doc->lh_logo = s;
        return MKL_OK;
    }
    mkl_official *o = &l->doc->official;
    const char **official[] = {
        [MKL_FIELD_OFFICIAL_NUMBER - MKL_FIELD_OFFICIAL_NUMBER] = &o->number,
        [MKL_FIELD_OFFICIAL_VIA - MKL_FIELD_OFFICIAL_NUMBER] = &o->via,
        [MKL_FIELD_OFFICIAL_REFERENCE - MKL_FIELD_OFFICIAL_NUMBER] = &o->reference,
        [MKL_FIELD_OFFICIAL_SENDER - MKL_FIELD_OFFICIAL_NUMBER] = &o->sender,
        [MKL_FIELD_OFFICIAL_SEAL - MKL_FIELD_OFFICIAL_NUMBER] = &o->seal,
        [MKL_FIELD_OFFICIAL_POSTCODE - MKL_FIELD_OFFICIAL_NUMBER] = &o->postcode,
        [MKL_FIELD_OFFICIAL_ADDRESS - MKL_FIELD_OFFICIAL_NUMBER] = &o->address,
        [MKL_FIELD_OFFICIAL_HOMEPAGE - MKL_FIELD_OFFICIAL_NUMBER] = &o->homepage,
        [MKL_FIELD_OFFICIAL_PHONE - MKL_FIELD_OFFICIAL_NUMBER] = &o->phone,
        [MKL_FIELD_OFFICIAL_FAX - MKL_FIELD_OFFICIAL_NUMBER] = &o->fax,
        [MKL_FIELD_OFFICIAL_EMAIL - MKL_FIELD_OFFICIAL_NUMBER] = &o->email,
        [MKL_FIELD_OFFICIAL_DISCLOSURE - MKL_FIELD_OFFICIAL_NUMBER] = &o->disclosure};
    if (field >= MKL_FIELD_OFFICIAL_NUMBER && field <= MKL_FIELD_OFFICIAL_DISCLOSURE) {
        if (field == MKL_FIELD_OFFICIAL_DISCLOSURE && !mkl__official_disclosure_ok(s))
            return fail(l, MKL_ERR_INPUT, MKL__DISCLOSURE_MSG, s);
        *official[field - MKL_FIELD_OFFICIAL_NUMBER] = s;
        return MKL_OK;
    }
    if (field == MKL_FIELD_LANG && l->doc->layout == MKL_LAYOUT_KR_OFFICIAL && strcmp(s, "ko"))
        return fail(l, MKL_ERR_INPUT, "a Korean official document (layout: kr-official) is in Korean: 'lang' must be ko");
    if ((unsigned)field >= sizeof keys / sizeof *keys || !keys[field])
        return fail(l, MKL_ERR_ARGUMENT, "unknown field %d", (int)field);
    char msg[512];
    if ((st = mkl__doc_set(l->doc, keys[field], s, msg, sizeof msg))) return fail(l, st, "%s", msg);
    if (field == MKL_FIELD_LAYOUT && l->doc->layout == MKL_LAYOUT_KR_OFFICIAL) l->doc->lang = "ko";
    return MKL_OK;
}

mkl_status mkl_letter_add_cc(mkl_letter *l, const char *block) {
    STICKY(l);
    mkl_doc *d = l->doc;
    const char *s;
    mkl_status st = copy(l, block, "cc", &s);
    if (st) return st;
    size_t nlines = 1;
    for (const char *p = s; *p; p++) nlines += *p == '\n';
    mkl_lines cc = {mkl__arena_alloc(&d->arena, nlines * sizeof(char *)), 0};
    mkl_lines *ncc = grow(l, d->cc, d->ncc, &l->cap_cc, sizeof *ncc);
    if (!cc.v || !ncc) return oom(l);
    for (const char *p = s;;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (!(cc.v[cc.n++] = mkl__arena_strndup(&d->arena, p, len))) return oom(l);
        if (!nl) break;
        p = nl + 1;
    }
    d->cc = ncc;
    d->cc[d->ncc++] = cc;
    return MKL_OK;
}

mkl_status mkl_letter_add_paragraph(mkl_letter *l) {
    STICKY(l);
    mkl_doc *d = l->doc;
    mkl_block *nb = grow(l, d->blocks, d->nblocks, &l->cap_blocks, sizeof *nb);
    if (!nb) return oom(l);
    d->blocks = nb;
    mkl_block *b = &d->blocks[d->nblocks++];
    memset(b, 0, sizeof *b);
    b->kind = MKL_BLOCK_PARA;
    b->syllable = -1;
    b->rich.text = "";
    l->cap_text = l->cap_runs = 0;
    return MKL_OK;
}

mkl_status mkl_letter_add_text(mkl_letter *l, const char *text, unsigned style, const char *url) {
    STICKY(l);
    mkl_doc *d = l->doc;
    mkl_status st;
    if (!text) return fail(l, MKL_ERR_ARGUMENT, "text: NULL string");
    size_t n = strlen(text);
    if (mkl__utf8_invalid(text, n) != (size_t)-1) return fail(l, MKL_ERR_INPUT, "text: invalid UTF-8");
    if (style & ~(unsigned)(MKL_TEXT_BOLD | MKL_TEXT_ITALIC)) return fail(l, MKL_ERR_ARGUMENT, "unknown text style %u", style);
    if (!d->nblocks && (st = mkl_letter_add_paragraph(l))) return st;
    int32_t link = -1;
    if (url) {
        const char *u;
        if (!mkl__has_placeholder(url) && !mkl__link_allowed(url)) return fail(l, MKL_ERR_INPUT, MKL_LINK_REFUSED, url);
        if ((st = copy(l, url, "url", &u))) return st;
        const char **nl = grow(l, (void *)d->links, d->nlinks, &l->cap_links, sizeof *nl);
        if (!nl) return oom(l);
        d->links = nl;
        d->links[d->nlinks] = u;
        link = (int32_t)d->nlinks++;
    }
    if (!n) return MKL_OK;
    mkl_rich *r = &d->blocks[d->nblocks - 1].rich;
    /* the text grows by doubling too (one byte more for the NUL) */
    if (r->len + n + 1 > l->cap_text) {
        size_t nc = (r->len + n + 1) * 2;
        char *nt = mkl__arena_alloc(&d->arena, nc);
        if (!nt) return oom(l);
        memcpy(nt, r->text, r->len);
        r->text = nt;
        l->cap_text = nc;
    }
    memcpy((char *)r->text + r->len, text, n + 1);
    mkl_srun *nr = grow(l, r->runs, r->nruns, &l->cap_runs, sizeof *nr);
    if (!nr) return oom(l);
    r->runs = nr;
    r->runs[r->nruns++] = (mkl_srun){(uint32_t)r->len, (uint32_t)(r->len + n), (uint8_t)style, link, 0};
    r->len += n;
    return MKL_OK;
}

mkl_status mkl_letter_add_signature(mkl_letter *l, const char *name, const char *title, const char *image) {
    STICKY(l);
    mkl_doc *d = l->doc;
    mkl_signature sg = {0};
    mkl_status st = copy(l, name, "name", &sg.name);
    if (!st && title) st = copy(l, title, "title", &sg.title);
    if (!st && image) st = copy(l, image, "image", &sg.image);
    if (st) return st;
    mkl_signature *ns = grow(l, d->signatures, d->nsignatures, &l->cap_sigs, sizeof *ns);
    if (!ns) return oom(l);
    d->signatures = ns;
    d->signatures[d->nsignatures++] = sg;
    return MKL_OK;
}

mkl_status mkl_letter_add_cooperation(mkl_letter *l, const char *name, const char *title) {
    STICKY(l);
    mkl_official *o = &l->doc->official;
    mkl_signature sg = {0};
    mkl_status st = copy(l, name, "name", &sg.name);
    if (!st && title) st = copy(l, title, "title", &sg.title);
    if (st) return st;
    mkl_signature *nc = grow(l, o->cooperation, o->ncooperation, &l->cap_cooperation, sizeof *nc);
    if (!nc) return oom(l);
    o->cooperation = nc;
    o->cooperation[o->ncooperation++] = sg;
    return MKL_OK;
}

mkl_status mkl_letter_add_group(mkl_letter *l, const char *heading, int columns) {
    STICKY(l);
    mkl_doc *d = l->doc;
    if (columns < 1 || columns > 4) return fail(l, MKL_ERR_INPUT, "'columns' must be from 1 to 4, not %d", columns);
    mkl_group g = {0};
    g.columns = columns;
    mkl_status st;
    if (heading && (st = copy(l, heading, "heading", &g.heading))) return st;
    mkl_group *ng = grow(l, d->groups, d->ngroups, &l->cap_groups, sizeof *ng);
    if (!ng) return oom(l);
    d->groups = ng;
    d->groups[d->ngroups++] = g;
    l->cap_entries = 0;
    return MKL_OK;
}

mkl_status mkl_letter_add_entry(mkl_letter *l, const char *name, const char *note) {
    STICKY(l);
    mkl_doc *d = l->doc;
    mkl_status st;
    if (!d->ngroups && (st = mkl_letter_add_group(l, NULL, 1))) return st;
    mkl_entry en = {0};
    if ((st = copy(l, name, "name", &en.name))) return st;
    if (note && (st = copy(l, note, "note", &en.note))) return st;
    mkl_group *g = &d->groups[d->ngroups - 1];
    mkl_entry *ne = grow(l, g->entries, g->nentries, &l->cap_entries, sizeof *ne);
    if (!ne) return oom(l);
    g->entries = ne;
    g->entries[g->nentries++] = en;
    return MKL_OK;
}
