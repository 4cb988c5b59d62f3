/* layout_head.c - the head of a letter: the letterhead, the address window or the addressee and sender
 * blocks, the date and the CC block. See layout_internal.h. */
#include "layout_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "image.h"
#include "linebreak.h"
#include "parse.h"

/* "Place, date" (or either alone) into b, whole however long; 0 if the
 * letter has neither (or memory ran out: b->oom). */
int mkl__date_line(const Composer *c, mkl_buf *b) {
    const mkl_doc *d = c->doc;
    if (!c->date && !d->place) return 0;
    if (d->place) mkl__buf_adds(b, d->place);
    if (d->place && c->date) mkl__buf_adds(b, ", ");
    if (c->date) mkl__buf_adds(b, c->date);
    return !b->oom;
}

/* The letterhead: the name on the left, the lines right-aligned beside it,
 * both ending on one baseline, and a rule under them. Long lines wrap in the
 * room the name leaves. */
mkl_status mkl__lay_letterhead(Composer *c) {
    const mkl_doc *d = c->doc;
    if (!d->lh_name) return MKL_OK;
    mkl_status st;
    const double nsize = 17, lsize = 8.5, llead = 10.5;
    double nlead = 20;
    size_t nl = d->lh_lines.n;
    Par name = {0};
    Par *lines = mkl__calloc(nl ? nl : 1, sizeof *lines);
    if (!lines) return mkl__lay_oom(c);
    /* a logo stands left of the name, its foot on the name's baseline */
    const mkl_image *logo = NULL;
    double logo_w = 0, logo_h = 0, name_x = c->margin_left;
    if (d->lh_logo) {
        if ((st = mkl__image_of(c, d->lh_logo, &logo))) goto out;
        mkl__image_fit(logo, c->text_width * 0.3, 42, &logo_w, &logo_h);
        name_x += logo_w + 12;
    }
    /* the lines' natural width decides the room left for the name */
    double wlines = 0;
    for (size_t i = 0; i < nl; i++) {
        if ((st = mkl__par_plain(c, &lines[i], &c->body, d->lh_lines.v[i], lsize, llead, 0, 1e6, AL_RIGHT, GRAY))) goto out;
        if (lines[i].lines.n) wlines = MKL_MAX(wlines, lines[i].lines.v[0].width);
    }
    double wright = MKL_MIN(wlines, c->text_width * 0.4);
    double room = c->text_width - (name_x - c->margin_left) - (wright > 0 ? wright + 2 * lsize : 0);
    /* the name on one line: at 17 pt if it fits, else smaller down to 13 pt,
     * else wrapped (no hanging indent) */
    double size = nsize;
    for (;;) {
        if ((st = mkl__par_plain(c, &name, &c->head, d->lh_name, size, size * 1.18, MKL_STYLE_BOLD, room, AL_LEFT, BLACK)))
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
    wright = MKL_MAX(c->text_width - (name_x - c->margin_left) - wname - 2 * lsize, wright);
    size_t k = 0;
    for (size_t i = 0; i < nl; i++) {
        lines[i].w1 = lines[i].w = wright;  /* wrapped lines stay flush right too */
        lines[i].indent = 0;
        if ((st = mkl__break_lines(&lines[i].s, wright, wright, 0, &lines[i].lines, c->e))) goto out;
        k += lines[i].lines.n;
    }
    /* the common last baseline: low enough for both blocks below the top margin */
    double base = MKL_MAX(c->margin_top + size + extra_lines(&name) * nlead, c->margin_top + lsize * 0.8 + (k ? k - 1 : 0) * llead);
    base = MKL_MAX(base, c->margin_top + logo_h);
    double rule_y;
    if (d->lh_align == 1) {
        /* centred: the logo over the name, the lines under it */
        double y = c->margin_top;
        if (logo) {
            if ((st = mkl__add_image(c, logo, c->margin_left + (c->text_width - logo_w) / 2, y, logo_w, logo_h))) goto out;
            y += logo_h + 4;
        }
        name.align = AL_CENTER;
        name.w1 = name.w = c->text_width;
        if ((st = mkl__break_lines(&name.s, c->text_width, c->text_width, 0, &name.lines, c->e))) goto out;
        y += size;
        if ((st = mkl__par_at(c, &name, c->margin_left, y))) goto out;
        y += extra_lines(&name) * nlead + 2;
        for (size_t i = 0; i < nl; i++) {
            lines[i].align = AL_CENTER;
            lines[i].w1 = lines[i].w = c->text_width;
            if ((st = mkl__break_lines(&lines[i].s, c->text_width, c->text_width, 0, &lines[i].lines, c->e))) goto out;
            y += llead;
            if ((st = mkl__par_at(c, &lines[i], c->margin_left, y))) goto out;
            y += extra_lines(&lines[i]) * llead;
        }
        rule_y = y + 7;
    } else {
        /* left (or, mirrored, right): logo and name on one side, the lines on the other */
        int right = d->lh_align == 2;
        double nx = right ? c->margin_left + c->text_width - (name_x - c->margin_left) - wname : name_x;
        if (logo && (st = mkl__add_image(c, logo, right ? c->margin_left + c->text_width - logo_w : c->margin_left, base - logo_h, logo_w, logo_h))) goto out;
        if (right) {
            name.align = AL_RIGHT;
            name.w1 = name.w = wname;
        }
        if ((st = mkl__par_at(c, &name, nx, base - extra_lines(&name) * nlead))) goto out;
        double y = base - (k ? k - 1 : 0) * llead;
        for (size_t i = 0; i < nl; i++) {
            if (right) lines[i].align = AL_LEFT;
            if ((st = mkl__par_at(c, &lines[i], right ? c->margin_left : c->margin_left + c->text_width - wright, y))) goto out;
            y += lines[i].lines.n * llead;
        }
        rule_y = base + 9;
    }
    if ((st = mkl__add_rule(c, c->margin_left, rule_y, c->page_width - c->margin_right, rule_y, 0.6, 0.25))) goto out;
    c->y = rule_y;
    c->at_top = 0;
out:
    mkl__par_free(&name);
    for (size_t i = 0; i < nl; i++) mkl__par_free(&lines[i]);
    mkl__free(lines);
    return st;
}

/* Address windows, in points from the page's top-left corner.
 * DIN 5008 (A4): the address field is 85 x 45 mm at 20 mm from the left, 27 mm
 * (form A) or 45 mm (form B) from the top; its first 5 mm hold the return
 * address, the next 12.7 mm notes, the last 27.3 mm the recipient, set 5 mm in
 * from the field's edge. Fold marks at 87/192 mm (A) or 105/210 mm (B), the
 * punch mark at 148.5 mm.
 * US No. 10: the envelope (4 1/8 x 9 1/2 in) has a 1 1/8 x 4 1/2 in window
 * 7/8 in from the left and 1/2 in from the bottom. The sheet, US Letter or A4,
 * is folded in thirds of its own height and rests on the envelope's bottom,
 * so the window shows the part of the sheet from 1 5/8 in to 1/2 in above the
 * first fold. Everything in it stays 1/8 in inside the window (the clear zone,
 * 4 1/4 x 7/8 in): one small return line, then the recipient, 10 pt on 11 pt,
 * at most five lines. */
typedef struct Window {
    double field_x, field_top, field_w, field_h;   /* the whole field (the window) */
    double inset;                                   /* clearance kept inside it on every side */
    double back_h;                                  /* return-address zone at its top */
    double back_size;                               /* the return line's size */
    double recip_top;                               /* top of the recipient zone */
    double recip_lead;                              /* the recipient's line spacing */
    double text_x;                                  /* left edge of the recipient's text */
    double fold[2], hole;                           /* 0 = none */
} Window;

/* The date line set at a fixed place on page 1 must end above its foot. */
static mkl_status date_fits(Composer *c, const Par *p, double first_baseline) {
    double last = first_baseline + extra_lines(p) * c->lead;
    if (last <= c->bottom1 + 1e-6) return MKL_OK;
    const char *key = c->doc->place ? "place" : "date";
    int line = 0, col = 0;
    mkl__doc_pos(c->doc, c->doc->place ? c->doc->place : c->doc->date, &line, &col);
    return mkl__err(c->e, MKL_ERR_INPUT, mkl__doc_file_of(c->doc, c->doc->place ? c->doc->place : c->doc->date), line, col,
                    "'%s' is %zu lines long (as set, with the date) and does not fit on the first page", key, p->lines.n);
}

static int window_of(const mkl_doc *d, double page_height, Window *w) {
    const double mm = 72 / 25.4, in = 72;
    memset(w, 0, sizeof *w);
    switch (d->layout) {
    case MKL_LAYOUT_DIN5008A:
    case MKL_LAYOUT_DIN5008B: {
        double top = d->layout == MKL_LAYOUT_DIN5008A ? 27 : 45;
        *w = (Window){.field_x = 20 * mm, .field_top = top * mm, .field_w = 85 * mm, .field_h = 45 * mm,
                      .back_h = 5 * mm, .back_size = 7, .recip_top = (top + 17.7) * mm, .recip_lead = 12,
                      .text_x = 25 * mm,
                      .fold = {(d->layout == MKL_LAYOUT_DIN5008A ? 87 : 105) * mm,
                               (d->layout == MKL_LAYOUT_DIN5008A ? 192 : 210) * mm},
                      .hole = 148.5 * mm};
        return 1;
    }
    case MKL_LAYOUT_US_WINDOW: {
        double panel = page_height / 3, inset = 0.125 * in, back_size = 6;
        double top = panel - 1.625 * in;
        /* the return line's baseline an ascender below the clear zone's top;
         * the recipient's zone starts below its descenders and underline,
         * with 3 pt between them */
        double back_base = top + inset + 0.75 * back_size;
        *w = (Window){.field_x = 0.875 * in, .field_top = top, .field_w = 4.5 * in, .field_h = 1.125 * in,
                      .inset = inset, .back_h = back_base - top + 1.4 * mm, .back_size = back_size,
                      .recip_top = back_base + 0.25 * back_size + 3, .recip_lead = 11, .text_x = 1.0 * in,
                      .fold = {panel, 2 * panel}};
        return 1;
    }
    default:
        return 0;
    }
}

/* The addressee in the window: return address, recipient, fold and punch marks;
 * date and sender in the information block to the right. */
static mkl_status window_block(Composer *c, const Window *w) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    Par p = {0};
    const double mm = 72 / 25.4;
    /* return address: one small underlined line at the bottom of its zone,
     * the sender's lines joined with commas, as many as fit */
    const mkl_lines *src = d->from.n ? &d->from : &d->lh_lines;
    const char *name = d->from.n ? NULL : d->lh_name;
    double bs = w->back_size, base = w->field_top + w->back_h - 1.4 * mm;
    double width = w->field_w - (w->text_x - w->field_x) - w->inset;
    for (size_t keep = src->n + 1; keep-- > 0 && !st;) {
        mkl_buf b = {0};
        if (name) mkl__buf_adds(&b, name);
        for (size_t i = 0; i < keep; i++) {
            if (b.n) mkl__buf_adds(&b, ", ");
            mkl__buf_adds(&b, src->v[i]);
        }
        if (b.oom) { mkl__buf_free(&b); st = mkl__lay_oom(c); break; }
        if (b.n) st = mkl__par_plain(c, &p, &c->body, b.s, bs, 8.5, 0, width, AL_LEFT, GRAY);
        mkl__buf_free(&b);
        if (st || !p.lines.n) break;
        if (p.lines.n == 1 || keep == 0) {   /* one line: it must not reach into the window */
            p.lines.n = 1;
            st = mkl__par_at(c, &p, w->text_x, base);
            if (!st) st = mkl__add_rule(c, w->text_x, base + 1.2, w->text_x + p.lines.v[0].width, base + 1.2, 0.3, 0.33);
            break;
        }
    }
    if (st) goto out;
    /* the recipient: 10 pt on 12 pt, the first baseline a cap height below the zone's top */
    double rs = MKL_MIN(c->size - 1, 10), rl = w->recip_lead, rw = w->field_w - 2 * (w->text_x - w->field_x), bottom;
    double first = w->recip_top + rs * 0.75, last = w->field_top + w->field_h - w->inset - 0.25 * rs;   /* baselines */
    if (d->to.n && (st = mkl__block_at(c, &d->to, w->text_x, rw, first, rs, rl, 0, AL_LEFT, BLACK, &bottom))) goto out;
    if (d->to.n && bottom > last + 1e-6) {
        char why[96];
        snprintf(why, sizeof why, "the address window, which holds %d lines",
                 (int)floor((last - first) / rl + 1e-6) + 1);
        st = mkl__too_long(c, &d->to, "to", (size_t)llround((bottom - first) / rl) + 1, why);
        goto out;
    }
    /* information block: sender lines and the date, right of the field */
    double ix = w->field_x + w->field_w + 10 * mm, iw = c->page_width - c->margin_right - ix, iy = w->field_top + 5 * mm + c->size;
    double info_bottom = 0;   /* the information block's last baseline */
    if (d->from.n && d->lh_name) {
        double top = iy;
        if ((st = mkl__block_at(c, &d->from, ix, iw, iy, c->size - 2, c->lead - 3, 0, AL_LEFT, GRAY, &bottom))) goto out;
        if (bottom > c->bottom1 - 3 * c->lead) {
            st = mkl__too_long(c, &d->from, "from", (size_t)llround((bottom - top) / (c->lead - 3)) + 1,
                          "beside the address window on the first page");
            goto out;
        }
        iy = bottom + 2 * (c->lead - 3);
        info_bottom = bottom;
    }
    mkl_buf buf = {0};
    if (mkl__date_line(c, &buf)) {
        st = mkl__par_plain(c, &p, &c->body, buf.s, c->size, c->lead, 0, iw, AL_RIGHT, BLACK);
        mkl__buf_free(&buf);
        if (st || (st = date_fits(c, &p, MKL_MAX(iy, w->recip_top + c->size)))) goto out;
        if ((st = mkl__par_at(c, &p, ix, MKL_MAX(iy, w->recip_top + c->size)))) goto out;
        info_bottom = MKL_MAX(iy, w->recip_top + c->size) + extra_lines(&p) * c->lead;
    }
    /* fold marks and the punch mark in the left margin */
    for (int k = 0; k < 2; k++)
        if (w->fold[k] > 0 && w->fold[k] < c->page_height && (st = mkl__add_rule(c, 5 * mm, w->fold[k], 10 * mm, w->fold[k], 0.3, 0.4)))
            goto out;
    if (w->hole > 0 && (st = mkl__add_rule(c, 5 * mm, w->hole, 12 * mm, w->hole, 0.3, 0.4))) goto out;
    /* the text goes on below the window, and below a long information block */
    c->y = MKL_MAX(w->field_top + w->field_h, info_bottom);
    c->at_top = 0;
out:
    mkl__par_free(&p);
    return st;
}

mkl_status mkl__lay_heading(Composer *c) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    Par p = {0}, lab = {0};   /* lab: the CC label */
    Window win;
    if (window_of(d, c->page_height, &win)) {
        if ((st = window_block(c, &win))) return st;
        goto cc;
    }
    /* date (with place), right */
    mkl_buf buf = {0};
    if (mkl__date_line(c, &buf)) {
        c->y += 2 * c->lead;
        mkl__snap(c);
        st = mkl__par_plain(c, &p, &c->body, buf.s, c->size, c->lead, 0, c->text_width, AL_RIGHT, BLACK);
        mkl__buf_free(&buf);
        if (st || (st = date_fits(c, &p, c->y))) goto out;
        if ((st = mkl__par_at(c, &p, c->margin_left, c->y))) goto out;
        c->y += extra_lines(&p) * c->lead;
        c->at_top = 0;
    }
    /* addressee left, sender (from) right */
    if (d->to.n || d->from.n) {
        c->y += 2 * c->lead;
        mkl__snap(c);
        double top = c->y, b1 = top - c->lead, b2 = top - c->lead;
        double fw = d->from.n ? c->text_width * 0.36 : 0;
        if (d->to.n && (st = mkl__block_at(c, &d->to, c->margin_left, c->text_width - fw - 12, top, c->size, c->lead, 0, AL_LEFT, BLACK, &b1)))
            goto out;
        if (d->from.n &&
            (st = mkl__block_at(c, &d->from, c->page_width - c->margin_right - fw, fw, top, c->size - 1.5, c->lead - 2, 0, AL_LEFT, GRAY, &b2)))
            goto out;
        /* an addressee or sender longer than the first page is a mistake in
         * the letter (a block scalar that swallowed the keys after it, say) */
        const mkl_lines *lb = b1 >= b2 ? &d->to : &d->from;
        if (MKL_MAX(b1, b2) > c->bottom1 - 2 * c->lead) {
            double bl = b1 >= b2 ? c->lead : c->lead - 2, room = floor((c->bottom1 - 2 * c->lead - top) / bl + 1e-6) + 1;
            char why[160];
            snprintf(why, sizeof why, "on the first page (the letterhead, its footer and the date leave room for %d)",
                     room > 0 ? (int)room : 0);
            st = mkl__too_long(c, lb, lb == &d->to ? "to" : "from", (size_t)llround((MKL_MAX(b1, b2) - top) / bl) + 1, why);
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
        if ((st = mkl__par_plain(c, &lab, &c->body, label, csize, clead, 0, c->text_width, AL_LEFT, BLACK))) goto out;
        double lw = MKL_MAX(lab.lines.n ? lab.lines.v[0].width : 0, 2.5 * csize) + csize;
        c->y += c->lead + clead;
        double gutter = 1.5 * csize;
        int cols = d->ncc >= 2 ? 2 : 1;
        /* side by side only if no line of any block has to wrap */
        for (size_t i = 0; i < d->ncc && cols == 2 && !st; i++)
            for (size_t k = 0; k < d->cc[i].n && cols == 2; k++) {
                if ((st = mkl__par_plain(c, &p, &c->body, d->cc[i].v[k], csize, clead, 0, 1e6, AL_LEFT, BLACK))) break;
                if (p.lines.n && p.lines.v[0].width > (c->text_width - lw - gutter) / 2) cols = 1;
            }
        if (st) goto out;
        double cw = (c->text_width - lw - (cols - 1) * gutter) / cols;
        /* rows of `cols` blocks (the label beside the first); a row that does
         * not fit goes to the next page */
        double y = c->y, maxb = c->y;
        for (size_t i = 0; i < d->ncc; i += (size_t)cols) {
            size_t end = MKL_MIN(i + (size_t)cols, d->ncc), most = 1;
            for (size_t k = i; k < end; k++) {
                size_t n;
                if ((st = mkl__block_lines(c, &d->cc[k], cw, csize, clead, &n))) goto out;
                most = MKL_MAX(most, n);
            }
            if (y + (double)(most - 1) * clead > mkl__bottom_of(c) && !c->at_top) {
                if ((st = mkl__new_page(c))) goto out;
                y = c->y + clead;
            }
            if (y + (double)(most - 1) * clead > mkl__bottom_of(c)) {
                st = mkl__too_long(c, &d->cc[i], "cc", most, "on a page");
                goto out;
            }
            if (i == 0 && (st = mkl__par_at(c, &lab, c->margin_left, y))) goto out;
            double rowb = y;
            for (size_t k = i; k < end; k++) {
                double b;
                if ((st = mkl__block_at(c, &d->cc[k], c->margin_left + lw + (double)(k - i) * (cw + gutter), cw, y, csize, clead, 0,
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
    mkl__par_free(&p);
    mkl__par_free(&lab);
    return st;
}
