/* layout_body.c - the letter itself: subject and opening, the body blocks, the closing and the
 * signatures. See layout_internal.h. */
#include "layout_internal.h"

#include <math.h>

#include "image.h"
#include "parse.h"

mkl_status mkl__lay_subject_opening(Composer *c) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    Par ps = {0}, po = {0};
    if (d->subject) {
        mkl_buf b = {0};
        mkl__buf_adds(&b, c->ko ? "\xEC\xA0\x9C\xEB\xAA\xA9: " : "Re: "); /* 제목: */
        mkl__buf_adds(&b, d->subject);
        if (b.oom) { mkl__buf_free(&b); return mkl__lay_oom(c); }
        st = mkl__par_plain(c, &ps, &c->head, b.s, c->size, c->lead, MKL_STYLE_BOLD, c->text_width, AL_LEFT, BLACK);
        mkl__buf_free(&b);
        if (st) goto out;
    }
    if (d->opening && (st = mkl__par_plain(c, &po, &c->body, d->opening, c->size, c->lead, 0, c->text_width, AL_LEFT, BLACK)))
        goto out;
    mkl__snap(c);
    /* subject + opening + two lines of the body stay together */
    double need = (ps.lines.n ? (ps.lines.n + 1) * c->lead : 0) + (po.lines.n ? (po.lines.n + 1) * c->lead : 0) +
                  3 * c->lead;
    if ((st = mkl__keep(c, need))) goto out;
    if (ps.lines.n && (st = mkl__par_flow(c, &ps, c->margin_left, 2 * c->lead))) goto out;
    if (po.lines.n && (st = mkl__par_flow(c, &po, c->margin_left, (ps.lines.n ? 1 : 2) * c->lead))) goto out;
out:
    mkl__par_free(&ps);
    mkl__par_free(&po);
    return st;
}

/* Lists nested deeper than this are set at this level's indent (the parser
 * refuses more than 32 levels): 8 levels take 141 pt at 11 pt, so every
 * item keeps at least two thirds of the text width. */
#define MKL_LIST_INDENT_LEVELS 8

static double level_indent(const Composer *c, int level) {
    return MKL_MIN(level, MKL_LIST_INDENT_LEVELS) * 1.6 * c->size;
}

mkl_status mkl__lay_body(Composer *c) {
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
        double w = c->text_width - indent - right;
        int lang = b->lang ? b->lang : mkl__doc_lang(d);
        c->lang = lang == MKL_LANG_KO ? "ko" : "en";
        int hangul = b->syllable >= 0 ? b->syllable : d->syllable;
        c->keep_all = hangul == MKL_HANGUL_SYLLABLE ? MKL_KEEP_NONE : hangul == MKL_HANGUL_WORD ? MKL_KEEP_ALL : MKL_KEEP_AUTO;
        mkl_fontset *fs = b->kind == MKL_BLOCK_HEADING ? &c->head : &c->body;
        /* a Korean paragraph in a letter that is not Korean keeps Korean leading */
        double lead = lang == MKL_LANG_KO ? c->lead_ko : c->lead;
        st = mkl__par_make(c, &p, fs, &b->rich, size, lead, style, w, w, 0, align, BLACK, b->line);
        c->lang = d->lang;
        c->keep_all = 1;
        if (st) break;
        if (b->kind == MKL_BLOCK_HEADING && (st = mkl__keep(c, (p.lines.n + 3) * c->lead + space))) break;
        int fpage = c->page;
        double fbase = 0;
        c->in_body = 1;
        st = mkl__par_flow_at(c, &p, c->margin_left + indent, space, &fpage, &fbase);
        c->in_body = 0;
        if (st) break;
        if (lead != c->lead) mkl__snap(c);   /* back onto the letter's grid */
        if (b->marker && p.lines.n) {
            /* the marker hangs in the indent, on the first line's baseline */
            if ((st = mkl__par_plain(c, &m, &c->body, b->marker, size, c->lead, 0, 1.3 * c->size, AL_RIGHT, BLACK))) break;
            int save = c->page;
            c->page = fpage;
            st = mkl__par_at(c, &m, c->margin_left + indent - 1.6 * c->size, fbase);
            c->page = save;
        }
    }
    mkl__par_free(&p);
    mkl__par_free(&m);
    return st;
}

/* Signatures stand side by side, up to three a row, with room above each
 * name to sign. The height of the row starting at signature `i` (from the
 * cursor to its last baseline), its names and titles wrapped in columns `cw`
 * wide. A row taller than a page is an error at the signature that makes it
 * so: it could not be set without running over the foot of the page. */
static mkl_status sig_row_height(Composer *c, size_t i, int per_row, double cw, Par *p, double *height) {
    const mkl_doc *d = c->doc;
    double tallest = 0;
    size_t tallest_k = i;
    mkl_status st;
    for (int k = 0; k < per_row && i + (size_t)k < d->nsignatures; k++) {
        const mkl_signature *s = &d->signatures[i + (size_t)k];
        if ((st = mkl__par_flush(c, p, &c->body, s->name, c->size, c->lead, 0, cw, AL_LEFT, BLACK))) return st;
        double h = 4 * c->lead + extra_lines(p) * c->lead;
        if (s->title) {
            if ((st = mkl__par_flush(c, p, &c->body, s->title, c->size - 1.5, c->lead - 2, 0, cw, AL_LEFT, GRAY))) return st;
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
        return mkl__err(c->e, MKL_ERR_INPUT, mkl__doc_file_of(d, s->name), line, col,
                        "the signature of '%.100s' is %.0f lines high (as set, with its title and the room to sign) and "
                        "does not fit on a page, which holds %.0f",
                        s->name, tallest / c->lead, floor(room / c->lead));
    }
    return MKL_OK;
}

mkl_status mkl__lay_closing(Composer *c) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    Par p = {0};
    if (!d->closing && !d->nsignatures) return MKL_OK;
    int per_row = (int)MKL_MIN(d->nsignatures, 3);
    double gutter = 1.5 * c->size, cw = per_row ? (c->text_width - (per_row - 1) * gutter) / per_row : c->text_width;
    double sig_h = 0;   /* the first row's height: the closing stays with it */
    if (d->nsignatures && (st = sig_row_height(c, 0, per_row, cw, &p, &sig_h))) goto out;
    if (d->closing) {
        /* a Korean sign-off ("... 올림") stands at the right, an English closing at the left */
        if ((st = mkl__par_plain(c, &p, &c->body, d->closing, c->size, c->lead, 0, c->text_width, c->ko ? AL_RIGHT : AL_LEFT, BLACK)))
            goto out;
        if ((st = mkl__keep(c, c->lead + p.lines.n * c->lead + sig_h))) goto out;
        double base;
        if ((st = mkl__par_flow_at(c, &p, c->margin_left, c->lead, &c->close->close_page, &base))) goto out;
    } else if ((st = mkl__keep(c, c->lead + sig_h))) {
        goto out;
    }
    if (d->nsignatures) c->close->follow_page = c->page;   /* the first row is kept with the closing */
    if (d->nsignatures) {
        for (size_t i = 0; i < d->nsignatures; i += (size_t)per_row) {
            double row_h;
            if ((st = sig_row_height(c, i, per_row, cw, &p, &row_h))) goto out;
            if ((st = mkl__keep(c, row_h))) goto out;
            double nb = c->y + 4 * c->lead, maxb = nb;
            for (int k = 0; k < per_row && i + (size_t)k < d->nsignatures; k++) {
                const mkl_signature *s = &d->signatures[i + (size_t)k];
                double x = c->margin_left + k * (cw + gutter), b = nb;
                if (s->image) {
                    /* the scanned signature above the name, in the room left for signing */
                    const mkl_image *img;
                    double iw, ih;
                    if ((st = mkl__image_of(c, s->image, &img))) goto out;
                    mkl__image_fit(img, cw, 3 * c->lead, &iw, &ih);
                    if ((st = mkl__add_image(c, img, x, nb - c->size * 0.9 - ih, iw, ih))) goto out;
                }
                if ((st = mkl__par_flush(c, &p, &c->body, s->name, c->size, c->lead, 0, cw, AL_LEFT, BLACK))) goto out;
                if ((st = mkl__par_at(c, &p, x, nb))) goto out;
                b = nb + extra_lines(&p) * c->lead;
                if (s->title) {
                    double ts = c->size - 1.5;
                    if ((st = mkl__par_flush(c, &p, &c->body, s->title, ts, c->lead - 2, 0, cw, AL_LEFT, GRAY))) goto out;
                    if ((st = mkl__par_at(c, &p, x, b + c->lead - 2))) goto out;
                    b += p.lines.n * (c->lead - 2);
                }
                maxb = MKL_MAX(maxb, b);
            }
            c->y = maxb;
            c->at_top = 0;
        }
    }
out:
    mkl__par_free(&p);
    return st;
}
