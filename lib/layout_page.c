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

/* The running header of pages 2+ is one line: the addressee's first line and
 * the date, "Name  ·  date". What is too long for the line is shortened at a
 * word (or, for one long word, at a character) and ends in an ellipsis: the
 * addressee first, down to nothing (then left out, with the separator);
 * then the date, which stays whole while it fits alone. */
typedef struct Header {
    const char *part[2];   /* the addressee's first line, the date (NULL: none) */
    size_t len[2], keep[2];
} Header;

static mkl_status header_set(Composer *c, Par *p, const Header *h, double fsize, int *fits) {
    mkl_buf b = {0};
    for (int i = 0; i < 2; i++) {
        if (!h->part[i] || (i == 0 && !h->keep[i])) continue;   /* an addressee cut to nothing goes, "…" too */
        if (i == 1 && b.n) mkl__buf_adds(&b, "  \xC2\xB7  ");
        mkl__buf_add(&b, h->part[i], h->keep[i]);
        if (h->keep[i] < h->len[i]) mkl__buf_adds(&b, "\xE2\x80\xA6");   /* … */
    }
    if (b.oom) {
        mkl__buf_free(&b);
        return mkl__lay_oom(c);
    }
    mkl_status st = mkl__par_plain(c, p, &c->body, b.s ? b.s : "", fsize, fsize * 1.25, 0, 1e6, AL_LEFT, GRAY);
    mkl__buf_free(&b);
    *fits = !st && (!p->lines.n || p->lines.v[0].width <= c->text_width);
    return st;
}

/* The start of the character at or before byte k of s. */
static size_t char_start(const char *s, size_t k) {
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k;
}

/* Cuts part i of the header to the longest prefix that fits (the others as
 * they are): found by halving, as the width grows with the prefix, then
 * taken back to the end of a word, without the spaces and punctuation before
 * the cut; inside the first word, at a character. A few shapings, not one a
 * character, however long the part. */
static mkl_status header_cut(Composer *c, Par *p, Header *h, int i, double fsize) {
    const char *s = h->part[i];
    size_t lo = 0, hi = h->len[i];   /* a cut at lo fits (or is 0), at hi it does not */
    mkl_status st = MKL_OK;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        int fits = 0;
        h->keep[i] = char_start(s, mid);
        if ((st = header_set(c, p, h, fsize, &fits))) return st;
        if (fits) lo = mid;
        else hi = mid;
    }
    size_t cut = char_start(s, lo), k = cut;
    if (s[k] != ' ') {
        while (k > 0 && s[k - 1] != ' ') k--;
        if (k == 0) k = cut;   /* one word: cut at a character */
    }
    while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == ',' || s[k - 1] == ';' || s[k - 1] == ':')) k--;
    h->keep[i] = k;
    return st;
}

static mkl_status running_header(Composer *c, Par *p, double fsize) {
    const mkl_doc *d = c->doc;
    Header h = {{d->to.n ? d->to.v[0] : "", c->date}, {0, 0}, {0, 0}};
    for (int i = 0; i < 2; i++) h.keep[i] = h.len[i] = h.part[i] ? strlen(h.part[i]) : 0;
    int fits = 0;
    mkl_status st = header_set(c, p, &h, fsize, &fits);
    for (int i = 0; i < 2 && !st && !fits; i++) {
        if (!h.len[i]) continue;
        if (!(st = header_cut(c, p, &h, i, fsize))) st = header_set(c, p, &h, fsize, &fits);
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
        c->tag = MKL_TAG_PAGINATION;   /* running headers and folios: artifacts */
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
            /* said once, not repeated: the sender's details, read after the letter */
            mkl_tag saved;
            c->tag = 0;
            if (!st) st = mkl__tag_open(c, MKL_S_DIV, MKL_LANG_INHERIT, &saved);
            mkl_tag band = c->tag;
            for (size_t k = 0; k < d->lh_footer.n && !st; k++) {
                y += 9.5;
                c->tag = band;
                if ((st = mkl__tag_open(c, MKL_S_P, MKL_LANG_INHERIT, &saved))) break;
                /* wrapped footer lines stay centred, not indented */
                if (!(st = mkl__par_flush(c, &p, &c->body, d->lh_footer.v[k], 7.5, 9.5, 0, c->text_width, AL_CENTER, GRAY))) {
                    st = mkl__par_at(c, &p, c->margin_left, y);
                    y += extra_lines(&p) * 9.5;
                }
            }
            c->tag = MKL_TAG_PAGINATION;
        }
        if (!st && c->o->page_numbers) {
            st = mkl__par_plain(c, &p, &c->body, buf, fsize, fsize * 1.25, 0, c->text_width, AL_CENTER, GRAY);
            if (!st) st = mkl__par_at(c, &p, c->margin_left, c->page_height - c->margin_bottom + 2 * c->lead);
        }
    }
    mkl__par_free(&p);
    return st;
}
