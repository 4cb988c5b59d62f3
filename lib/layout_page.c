/* layout_page.c - page furniture: the running header of later pages, the letterhead footer band of
 * page 1 and the folio. See layout_internal.h. */
#include "layout_internal.h"

#include <stdio.h>
#include <string.h>

#include "linebreak.h"

/* Where the letterhead's footer band starts on page 1 (its lines, 9.5 pt
 * apart, end a line above the page number). */
double mkl__band_top(const Composer *c) {
    return c->page_height - c->margin_bottom + 2 * c->lead - 12 - c->doc->lh_footer.n * 9.5 - 3;
}

/* The running header of pages 2+ as one line in `p`: the addressee's first
 * line and the date, "Name  ·  date". An addressee too long for the line is
 * shortened at a word (or, for one long word, at a character) and ends in
 * an ellipsis; the date stays whole. */
static mkl_status running_header(Composer *c, Par *p, double fsize) {
    const mkl_doc *d = c->doc;
    const char *to = d->to.n ? d->to.v[0] : "";
    size_t keep = strlen(to);
    mkl_status st = MKL_OK;
    for (int shortened = 0;; shortened = 1) {
        mkl_buf b = {0};
        mkl__buf_add(&b, to, keep);
        if (shortened) mkl__buf_adds(&b, "\xE2\x80\xA6");   /* … */
        if (c->date) {
            if (b.n) mkl__buf_adds(&b, "  \xC2\xB7  ");
            mkl__buf_adds(&b, c->date);
        }
        if (b.oom) {
            mkl__buf_free(&b);
            return mkl__lay_oom(c);
        }
        st = mkl__par_plain(c, p, &c->body, b.s, fsize, fsize * 1.25, 0, 1e6, AL_LEFT, GRAY);
        mkl__buf_free(&b);
        if (st || !p->lines.n || p->lines.v[0].width <= c->text_width || keep == 0) break;
        /* drop the last word (with the spaces and punctuation before it), or,
         * with one word left, its last character */
        size_t k = keep;
        while (k > 0 && to[k - 1] != ' ') k--;
        if (k == 0) {
            k = keep - 1;
            while (k > 0 && ((unsigned char)to[k] & 0xC0) == 0x80) k--;
        }
        while (k > 0 && (to[k - 1] == ' ' || to[k - 1] == ',' || to[k - 1] == ';' || to[k - 1] == ':')) k--;
        keep = k;
    }
    if (!st) {
        p->w1 = p->w = c->text_width;
        p->lines.n = MKL_MIN(p->lines.n, 1);
    }
    return st;
}

/* Continuation headers on pages 2+ (addressee and date), the footer band on
 * page 1, and the one folio of every page, "Page x of y" at its foot. */
mkl_status mkl__lay_page_furniture(Composer *c) {
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
            double hb = c->margin_top + fsize;
            if ((d->to.n || c->date) && !(st = running_header(c, &p, fsize))) st = mkl__par_at(c, &p, c->margin_left, hb);
            if (!st) st = mkl__add_rule(c, c->margin_left, hb + 5, c->page_width - c->margin_right, hb + 5, 0.4, 0.5);
        }
        if (!st && i == 0 && d->lh_footer.n) {
            /* the letterhead's footer band: small, centred, over a hairline */
            double y = mkl__band_top(c);
            st = mkl__add_rule(c, c->margin_left, y, c->page_width - c->margin_right, y, 0.4, 0.5);
            for (size_t k = 0; k < d->lh_footer.n && !st; k++) {
                y += 9.5;
                /* wrapped footer lines stay centred, not indented */
                if (!(st = mkl__par_flush(c, &p, &c->body, d->lh_footer.v[k], 7.5, 9.5, 0, c->text_width, AL_CENTER, GRAY))) {
                    st = mkl__par_at(c, &p, c->margin_left, y);
                    y += extra_lines(&p) * 9.5;
                }
            }
        }
        if (!st && c->o->page_numbers) {
            st = mkl__par_plain(c, &p, &c->body, buf, fsize, fsize * 1.25, 0, c->text_width, AL_CENTER, GRAY);
            if (!st) st = mkl__par_at(c, &p, c->margin_left, c->page_height - c->margin_bottom + 2 * c->lead);
        }
    }
    mkl__par_free(&p);
    return st;
}
