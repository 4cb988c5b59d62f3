/* fill.c - documents with their placeholders filled in. See fill.h. */
#include "fill.h"
#include "parse.h"

#include <stdio.h>
#include <string.h>

typedef struct F {
    const mkl_doc *src;
    mkl_doc *dst;
    const mkl_lookup *lk;
    mkl_error *e;
    MKL_VEC(struct mkl_srcpos) pos;
    size_t total;   /* bytes filled so far */
} F;

static mkl_status oom(F *f) { return mkl__err(f->e, MKL_ERR_NOMEM, f->src->file, 0, 0, "out of memory"); }

/* Where an error inside string `s` (at line/col within it) is in the letter. */
static void locate(F *f, const char *s, int line_in, int col_in, int fallback_line) {
    int line = 0, col = 0;
    if (mkl__doc_pos(f->src, s, &line, &col)) {
        if (line_in > 1) { line += line_in - 1; col = 0; }
        else if (col) col += col_in - 1;
    } else {
        line = fallback_line;
    }
    f->e->line = line;
    f->e->column = col;
    snprintf(f->e->file, sizeof f->e->file, "%s", s ? mkl__doc_file_of(f->src, s) : f->src->file);
}

/* Count `n` more filled bytes against the limit for a whole letter. */
static mkl_status grow(F *f, size_t n, const char *s, int line) {
    f->total += n;
    if (f->total <= MKL_FILLED_LETTER_MAX) return MKL_OK;
    mkl__err(f->e, MKL_ERR_LIMIT, NULL, 0, 0, "with its fields filled in, the letter is larger than 64 MiB (the limit)");
    locate(f, s, 1, 1, line);
    return MKL_ERR_LIMIT;
}

/* Fill one string into the destination's arena (NULL stays NULL). */
static mkl_status str(F *f, const char *in, const char **out) {
    *out = NULL;
    if (!in) return MKL_OK;
    mkl_buf b = {0};
    mkl_status st = mkl__fill_with(in, f->lk, &b, f->e);
    if (st) {
        mkl__buf_free(&b);
        if (st != MKL_ERR_NOMEM) locate(f, in, f->e->line, f->e->column, 0);
        return st;
    }
    if ((st = grow(f, b.n, in, 0))) {
        mkl__buf_free(&b);
        return st;
    }
    *out = mkl__arena_strndup(&f->dst->arena, b.s ? b.s : "", b.n);
    mkl__buf_free(&b);
    if (!*out) return oom(f);
    const struct mkl_srcpos *at = mkl__doc_srcpos(f->src, in);
    if (at) {
        struct mkl_srcpos *p = MKL_PUSH(&f->pos);
        if (!p) return oom(f);
        *p = (struct mkl_srcpos){*out, at->line, at->col, at->origin};
    }
    return MKL_OK;
}

/* A value a placeholder filled in gets the check the same value gets in a
 * letter: `in` is the template's string, `out` the filled one. */
static mkl_status check_filled(F *f, const char *key, const char *in, const char *out) {
    if (!in || !mkl__has_placeholder(in)) return MKL_OK;   /* checked when the letter was read */
    char msg[512];
    if (!strcmp(key, "link")) {
        if (mkl__link_allowed(out)) return MKL_OK;
        snprintf(msg, sizeof msg, MKL_LINK_REFUSED, out);
    } else {
        mkl_doc scratch;
        memset(&scratch, 0, sizeof scratch);
        if (!mkl__doc_set(&scratch, key, out, msg, sizeof msg)) return MKL_OK;
    }
    mkl__err(f->e, MKL_ERR_INPUT, NULL, 0, 0, "%s", msg);
    locate(f, in, 1, 1, 0);
    return MKL_ERR_INPUT;
}

static void *arr(F *f, size_t n, size_t elem) { return mkl__arena_alloc(&f->dst->arena, (n ? n : 1) * elem); }

/* A block of lines; lines that come out empty from a placeholder are dropped. */
static mkl_status lines(F *f, const mkl_lines *in, mkl_lines *out) {
    out->n = 0;
    if (!(out->v = arr(f, in->n, sizeof *out->v))) return oom(f);
    for (size_t i = 0; i < in->n; i++) {
        const char *s;
        mkl_status st = str(f, in->v[i], &s);
        if (st) return st;
        if (*s || !mkl__has_placeholder(in->v[i])) out->v[out->n++] = s;
    }
    return MKL_OK;
}

static mkl_status rich(F *f, const mkl_rich *in, int line, mkl_rich *out) {
    mkl_buf b = {0};
    mkl_status st = MKL_OK;
    if (!(out->runs = arr(f, in->nruns, sizeof *out->runs))) return oom(f);
    out->nruns = in->nruns;
    for (size_t i = 0; i < in->nruns && !st; i++) {
        const mkl_srun *r = &in->runs[i];
        char *piece = mkl__strndup(in->text + r->start, r->end - r->start);
        if (!piece) { st = oom(f); break; }
        size_t start = b.n;
        mkl_lookup smart = *f->lk;   /* a merged value in the body gets the body's smart punctuation */
        smart.smart = 1;
        st = mkl__fill_with(piece, &smart, &b, f->e);
        mkl__free(piece);
        if (st) {
            if (st != MKL_ERR_NOMEM) locate(f, NULL, 0, 0, line);
            break;
        }
        out->runs[i] = *r;
        out->runs[i].start = (uint32_t)start;
        out->runs[i].end = (uint32_t)b.n;
    }
    if (!st) st = grow(f, b.n, NULL, line);
    if (!st) {
        out->text = mkl__arena_strndup(&f->dst->arena, b.s ? b.s : "", b.n);
        out->len = b.n;
        if (!out->text) st = oom(f);
    }
    mkl__buf_free(&b);
    return st;
}

static mkl_status fill_doc(F *f) {
    const mkl_doc *s = f->src;
    mkl_doc *d = f->dst;
    mkl_status st;
#define STR(field) if ((st = str(f, s->field, &d->field))) return st
#define LINES(field) if ((st = lines(f, &s->field, &d->field))) return st
    STR(file); STR(base_dir); STR(date);
    /* the house styles, for errors that point into them (their text is not kept) */
    if (!(d->styles = arr(f, s->nstyles, sizeof *d->styles))) return oom(f);
    for (size_t i = 0; i < s->nstyles; i++, d->nstyles++) {
        const struct mkl_style_file *sf = &s->styles[i];
        if (!(d->styles[i].file = mkl__arena_strndup(&d->arena, sf->file, strlen(sf->file))) ||
            !(d->styles[i].dir = mkl__arena_strndup(&d->arena, sf->dir, strlen(sf->dir))))
            return oom(f);
    }
    if ((st = check_filled(f, "date", s->date, d->date))) return st;
    STR(place); STR(lh_name); STR(lh_logo); STR(lh_logo_alt); STR(subject); STR(opening);
    STR(closing); STR(ps);
    /* the parts of a Korean official document */
    STR(official.number); STR(official.via); STR(official.reference); STR(official.sender); STR(official.seal);
    STR(official.postcode); STR(official.address); STR(official.homepage); STR(official.phone); STR(official.fax);
    STR(official.email); STR(official.disclosure);
    if (!(d->official.cooperation = arr(f, s->official.ncooperation, sizeof *d->official.cooperation))) return oom(f);
    for (size_t i = 0; i < s->official.ncooperation; i++, d->official.ncooperation++) {
        STR(official.cooperation[i].name); STR(official.cooperation[i].title); STR(official.cooperation[i].image);
    }
    LINES(lh_lines); LINES(lh_footer); LINES(from); LINES(to); LINES(enclosures);
    d->lh_align = s->lh_align;
    /* the template's text, for the position of a character no font covers: a
     * character of the template is found where it is written; one that came
     * from the data is not in it (the error keeps the line of its text), or is
     * found later in the template, which no copy could then be set with */
    d->src = NULL; d->srclen = 0;
    if (s->src && !(d->src = mkl__arena_strndup(&d->arena, s->src, s->srclen))) return oom(f);
    if (s->src) d->srclen = s->srclen;
    d->lang = !strcmp(s->lang, "ko") ? "ko" : "en";
    d->paper = s->paper; d->layout = s->layout; d->font_size = s->font_size;
    d->date_official = s->date_official; d->syllable = s->syllable;
    d->leading = s->leading; d->leading_points = s->leading_points;
    d->font_body = s->font_body; d->font_heading = s->font_heading;
    const mkl_fontspec *specs[2] = {&s->font_body, &s->font_heading};
    mkl_fontspec *dspecs[2] = {&d->font_body, &d->font_heading};
    for (int k = 0; k < 2; k++) {
        dspecs[k]->line = dspecs[k]->col = NULL;
        if (!specs[k]->nfamilies) continue;
        const char **fam = arr(f, specs[k]->nfamilies, sizeof *fam);
        if (!fam) return oom(f);
        if (specs[k]->line) {   /* where each family is named: a font error keeps its line and column */
            int *fl = arr(f, specs[k]->nfamilies, sizeof *fl), *fc = arr(f, specs[k]->nfamilies, sizeof *fc);
            if (!fl || !fc) return oom(f);
            memcpy(fl, specs[k]->line, specs[k]->nfamilies * sizeof *fl);
            memcpy(fc, specs[k]->col, specs[k]->nfamilies * sizeof *fc);
            dspecs[k]->line = fl;
            dspecs[k]->col = fc;
        }
        for (size_t i = 0; i < specs[k]->nfamilies; i++)
            if (!(fam[i] = mkl__arena_strndup(&d->arena, specs[k]->families[i], strlen(specs[k]->families[i])))) return oom(f);
        dspecs[k]->families = fam;
    }
    if (!(d->cc = arr(f, s->ncc, sizeof *d->cc))) return oom(f);
    for (size_t i = 0; i < s->ncc; i++) {
        if ((st = lines(f, &s->cc[i], &d->cc[d->ncc]))) return st;
        if (d->cc[d->ncc].n) d->ncc++;   /* a block left empty is dropped */
    }
    if (!(d->signatures = arr(f, s->nsignatures, sizeof *d->signatures))) return oom(f);
    for (size_t i = 0; i < s->nsignatures; i++, d->nsignatures++) {
        STR(signatures[i].name); STR(signatures[i].title); STR(signatures[i].image); STR(signatures[i].alt);
    }
    if (!(d->groups = arr(f, s->ngroups, sizeof *d->groups))) return oom(f);
    for (size_t i = 0; i < s->ngroups; i++, d->ngroups++) {
        d->groups[i].columns = s->groups[i].columns;
        STR(groups[i].heading);
        if (!(d->groups[i].entries = arr(f, s->groups[i].nentries, sizeof *d->groups[i].entries))) return oom(f);
        for (size_t k = 0; k < s->groups[i].nentries; k++, d->groups[i].nentries++) {
            STR(groups[i].entries[k].name); STR(groups[i].entries[k].note);
        }
    }
    if (!(d->links = arr(f, s->nlinks, sizeof *d->links))) return oom(f);
    for (size_t i = 0; i < s->nlinks; i++, d->nlinks++) {
        STR(links[i]);
        if ((st = check_filled(f, "link", s->links[i], d->links[i]))) return st;
    }
    if (!(d->blocks = arr(f, s->nblocks, sizeof *d->blocks))) return oom(f);
    for (size_t i = 0; i < s->nblocks; i++, d->nblocks++) {
        d->blocks[i] = s->blocks[i];
        STR(blocks[i].marker);
        if ((st = rich(f, &s->blocks[i].rich, s->blocks[i].line, &d->blocks[i].rich))) return st;
    }
#undef STR
#undef LINES
    if (!(d->pos = arr(f, f->pos.n, sizeof *d->pos))) return oom(f);
    if (f->pos.n) memcpy(d->pos, f->pos.v, f->pos.n * sizeof *d->pos);
    d->npos = f->pos.n;
    mkl__doc_index_pos(d);
    return MKL_OK;
}

mkl_status mkl__doc_fill(const mkl_doc *src, const mkl_lookup *lk, mkl_doc **out, mkl_error *e) {
    *out = NULL;
    mkl_doc *d = mkl__calloc(1, sizeof *d);
    if (!d) return mkl__err(e, MKL_ERR_NOMEM, src->file, 0, 0, "out of memory");
    F f = {src, d, lk, e, {0}, 0};
    mkl_status st = fill_doc(&f);
    mkl__free(f.pos.v);
    if (st) {
        mkl__doc_free(d);
        return st;
    }
    *out = d;
    return MKL_OK;
}

/* Every string of the document, in the order above, to fn. */
static int each_string(const mkl_doc *d, int (*fn)(void *, const char *), void *user) {
    int r;
#define S(x) if ((x) && (r = fn(user, (x)))) return r
    S(d->date); S(d->place); S(d->lh_name); S(d->lh_logo); S(d->lh_logo_alt); S(d->subject); S(d->opening); S(d->closing); S(d->ps);
    const mkl_official *o = &d->official;
    S(o->number); S(o->via); S(o->reference); S(o->sender); S(o->seal); S(o->postcode); S(o->address);
    S(o->homepage); S(o->phone); S(o->fax); S(o->email); S(o->disclosure);
    for (size_t i = 0; i < o->ncooperation; i++) {
        S(o->cooperation[i].name); S(o->cooperation[i].title); S(o->cooperation[i].image);
    }
    const mkl_lines *ls[] = {&d->lh_lines, &d->lh_footer, &d->from, &d->to, &d->enclosures};
    for (size_t k = 0; k < 5; k++)
        for (size_t i = 0; i < ls[k]->n; i++) S(ls[k]->v[i]);
    for (size_t c = 0; c < d->ncc; c++)
        for (size_t i = 0; i < d->cc[c].n; i++) S(d->cc[c].v[i]);
    for (size_t i = 0; i < d->nsignatures; i++) {
        S(d->signatures[i].name); S(d->signatures[i].title); S(d->signatures[i].image); S(d->signatures[i].alt);
    }
    for (size_t i = 0; i < d->ngroups; i++) {
        S(d->groups[i].heading);
        for (size_t k = 0; k < d->groups[i].nentries; k++) {
            S(d->groups[i].entries[k].name); S(d->groups[i].entries[k].note);
        }
    }
    for (size_t i = 0; i < d->nlinks; i++) S(d->links[i]);
    for (size_t i = 0; i < d->nblocks; i++) S(d->blocks[i].rich.text);
#undef S
    return 0;
}

static int has(void *user, const char *s) { (void)user; return mkl__has_placeholder(s); }
int mkl__doc_has_fields(const mkl_doc *d) { return each_string(d, has, NULL); }

typedef struct FieldsCb { int (*fn)(void *, const char *, size_t); void *user; } FieldsCb;
static int fields(void *user, const char *s) {
    FieldsCb *cb = user;
    return mkl__placeholders(s, cb->fn, cb->user);
}
int mkl__doc_fields(const mkl_doc *d, int (*fn)(void *user, const char *name, size_t len), void *user) {
    FieldsCb cb = {fn, user};
    return each_string(d, fields, &cb);
}
