/* layout_end.c - the end matter: the groups of co-signers as tables, the enclosures and the P.S.. See
 * layout_internal.h. */
#include "layout_internal.h"
#include "smart.h"

#include <math.h>
#include <string.h>

#include "linebreak.h"
#include "parse.h"

/* A new item of `list` (LI and its LBody), the current element. */
static mkl_status item(Composer *c, mkl_tag list) {
    mkl_status st = mkl__tag_in(c, list, MKL_S_LI);
    return st ? st : mkl__tag_in(c, c->tag, MKL_S_LBODY);
}

/* The least column height, in lines, that holds entries [i, j) in `cols`
 * columns (filled in order, an entry never split). */
static int column_height(const uint32_t *nlines, size_t i, size_t j, int cols) {
    int total = 0, tallest = 0;
    for (size_t k = i; k < j; k++) {
        total += (int)nlines[k];
        tallest = MKL_MAX(tallest, (int)nlines[k]);
    }
    for (int H = MKL_MAX((total + cols - 1) / cols, tallest);; H++) {
        int cc = 0, u = 0;
        for (size_t k = i; k < j; k++) {
            int h1 = (int)nlines[k];
            if (u + h1 > H) { cc++; u = 0; }
            u += h1;
        }
        if (cc < cols) return H;
    }
}

/* Split entries [i, j) into `cols` columns, none taller than `height` lines,
 * as evenly as the entries allow: the least sum of the squared shortfalls
 * from `height` (6 / 5 / 5, not 6 / 6 / 4), the earlier columns fuller on a
 * tie. first[k] is the first entry of column k (j for an empty column). */
static mkl_status even_columns(Composer *c, const uint32_t *nlines, size_t i, size_t j, int cols, int height, size_t *first) {
    size_t n = j - i, w = n + 1;
    double *cost = mkl__malloc((size_t)(cols + 1) * w * sizeof *cost);
    size_t *from = mkl__malloc((size_t)(cols + 1) * w * sizeof *from);
    int *pre = mkl__malloc(w * sizeof *pre);
    if (!cost || !from || !pre) {
        mkl__free(cost);
        mkl__free(from);
        mkl__free(pre);
        return mkl__lay_oom(c);
    }
    pre[0] = 0;
    for (size_t k = 0; k < n; k++) pre[k + 1] = pre[k] + (int)nlines[i + k];
    for (size_t k = 0; k <= n; k++) cost[k] = k ? HUGE_VAL : 0;
    for (int col = 1; col <= cols; col++)
        for (size_t k = 0; k <= n; k++) {
            double best = HUGE_VAL;
            size_t at = k;
            for (size_t m = k + 1; m-- > 0;) {   /* the column holds entries [m, k) */
                int h = pre[k] - pre[m];
                if (h > height) break;
                double prev = cost[(size_t)(col - 1) * w + m];
                double v = prev + (double)(height - h) * (height - h);
                if (prev < HUGE_VAL && v < best - 1e-9) { best = v; at = m; }
            }
            cost[(size_t)col * w + k] = best;
            from[(size_t)col * w + k] = at;
        }
    /* `height` holds the entries in `cols` columns, so cost[cols][n] is finite */
    for (size_t col = (size_t)cols, k = n; col > 0; col--) {
        k = from[col * w + k];
        first[col - 1] = i + k;
    }
    mkl__free(cost);
    mkl__free(from);
    mkl__free(pre);
    return MKL_OK;
}

/* Shape and break entry `en` of a group into `p` (whose memory is reused):
 * its name, in bold when a note follows it. */
static mkl_status entry_par(Composer *c, const mkl_entry *en, Par *p, double tsize, double tlead, double w1, double w,
                            double hang) {
    mkl_buf b = {0};
    mkl__free(p->own);   /* the last entry's text: it is placed */
    p->own = NULL;
    mkl__par_smart_append(c, &b, en->name, strlen(en->name));
    mkl_srun runs[2];
    size_t nr = 1;
    runs[0] = (mkl_srun){0, (uint32_t)b.n, en->note ? MKL_STYLE_BOLD : 0, -1, 0};
    if (en->note) {
        mkl__buf_adds(&b, ", ");
        mkl__par_smart_append(c, &b, en->note, strlen(en->note));
        runs[1] = (mkl_srun){runs[0].end, (uint32_t)b.n, 0, -1, 0};
        nr = 2;
    }
    p->own = b.s; /* the glyphs point into this text until the entry is placed */
    if (b.oom) return mkl__lay_oom(c);
    mkl_rich r = {b.s, b.n, runs, nr};
    if (!mkl__doc_pos(c->doc, en->name, &c->src_line, &c->src_col)) c->src_line = c->src_col = 0;
    c->src_file = mkl__doc_file_of(c->doc, en->name);
    return mkl__par_make(c, p, &c->body, &r, tsize, tlead, 0, w1, w, hang, AL_LEFT, BLACK, 0);
}

/* One group of co-signers as a table: entries never split, columns balanced on
 * every page the table spans, flowing over pages. Only each entry's number
 * of lines is kept between measuring and placing (a petition has 100,000
 * entries): an entry is shaped again when it is placed, from a scratch
 * paragraph, so memory does not grow with the entries. */
static mkl_status group_table(Composer *c, const mkl_group *g, int last) {
    mkl_status st = MKL_OK;
    double tsize = c->size - 1, tlead = round(tsize * 1.27), gutter = 2 * tsize;
    int cols = g->columns;
    double cw = (c->text_width - (cols - 1) * gutter) / cols, hang = tsize;
    size_t n = g->nentries, gi = (size_t)(g - c->doc->groups);
    Par h = {0}, e = {0};
    /* each entry measured once for all the letter's layouts: a trial of a
     * page break measured all 76 of the seed letter's again (a seventh of
     * the letter's time, measured) */
    uint32_t *nlines = c->memo->group_lines[gi];
    if (!nlines) {
        if (!(nlines = mkl__calloc(n ? n : 1, sizeof *nlines))) return mkl__lay_oom(c);
        for (size_t i = 0; i < n && !st; i++) {
            st = entry_par(c, &g->entries[i], &e, tsize, tlead, cw, cw - hang, hang);
            nlines[i] = (uint32_t)MKL_MIN(e.lines.n, (size_t)UINT32_MAX);
        }
        if (st) {
            mkl__free(nlines);
            mkl__par_free(&e);
            return st;
        }
        c->memo->group_lines[gi] = nlines;   /* the memo frees it */
    }
    mkl__snap(c);
    if (g->heading &&
        (st = mkl__par_plain(c, &h, &c->head, g->heading, c->size, c->lead, MKL_STYLE_BOLD, c->text_width, AL_LEFT, BLACK)))
        goto out;
    if (last && !c->at_top && n) {
        /* the letter's last part would break over a page but fits whole on
         * the next: it goes there whole, at no cost in pages (the broken
         * table needs that page too), and is read as one */
        double head = g->heading ? h.lines.n * c->lead + tlead * 0.35 : 0;
        double rows = column_height(nlines, 0, n, cols) * tlead;
        double here = (g->heading ? c->lead : c->lead - tlead) + head + rows;
        if (c->y + here > mkl__bottom_of(c) + 1e-6 && c->cont_top + head + rows <= c->bottom + 1e-6 &&
            (st = mkl__new_page(c)))
            goto out;
    }
    /* a Sect of the heading and the entries as a list: the columns only save
     * room (the entries run down one, then the next), so a table would have a
     * screen reader announce rows and columns that mean nothing */
    if ((st = mkl__tag_in(c, 0, MKL_S_SECT))) goto out;
    mkl_tag sect = c->tag;
    if (g->heading) {
        /* the heading never ends a page: keep it with two rows */
        size_t first_rows = 0;
        for (size_t i = 0; i < n && i < (size_t)(2 * cols); i++)
            first_rows = MKL_MAX(first_rows, MKL_MIN(nlines[i], 3));   /* an entry flowing over pages starts here */
        if ((st = mkl__keep(c, (c->at_top ? 0 : c->lead) + h.lines.n * c->lead + 2 * first_rows * tlead))) goto out;
        if ((st = mkl__tag_in(c, sect, MKL_S_H2))) goto out;
        int hpage = c->page;
        double hbase;
        if ((st = mkl__par_flow_at(c, &h, c->margin_left, c->lead, &hpage, &hbase))) goto out;
        if (c->close->follow_page < 0) c->close->follow_page = hpage;   /* the first group's heading, kept with its rows */
        if (c->close->trial) goto out;   /* a trial of a page break has what it wants (layout.c) */
        c->y += tlead * 0.35;
    } else {
        mkl__space_before(c, c->lead - tlead);
    }
    if ((st = mkl__tag_in(c, sect, MKL_S_L))) goto out;
    mkl_tag list = c->tag;
    size_t i = 0;
    while (i < n) {
        int avail = mkl__lines_free(c, 0, tlead);
        /* entries that fit on this page: fill column by column */
        size_t j = i;
        int col = 0, used = 0;
        while (j < n) {
            int h1 = (int)nlines[j];
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
            if (!c->at_top && (int)nlines[i] <= page_lines) { if ((st = mkl__new_page(c))) goto out; continue; }
            /* an entry taller than a page: set across the text width, its
             * lines flowing over pages, then the table goes on below it */
            if ((st = item(c, list))) goto out;
            if ((st = entry_par(c, &g->entries[i], &e, tsize, tlead, c->text_width, c->text_width - hang, hang))) goto out;
            if ((st = mkl__par_flow(c, &e, c->margin_left, 0))) goto out;
            i++;
            continue;
        }
        int H = column_height(nlines, i, j, cols);
        size_t first[MKL_MAX_COLUMNS + 1];
        if ((st = even_columns(c, nlines, i, j, cols, H, first))) goto out;
        first[cols] = j;
        double top = c->y;
        for (int col = 0; col < cols; col++)
            for (size_t k = first[col], u = 0; k < first[col + 1]; u += nlines[k], k++) {
                if ((st = item(c, list))) goto out;
                if ((st = entry_par(c, &g->entries[k], &e, tsize, tlead, cw, cw - hang, hang)) ||
                    (st = mkl__par_at(c, &e, c->margin_left + col * (cw + gutter), top + (double)(u + 1) * tlead)))
                    goto out;
            }
        c->y = top + H * tlead;
        c->at_top = 0;
        i = j;
        if (i < n && (st = mkl__new_page(c))) goto out;
    }
out:
    mkl__par_free(&e);
    mkl__par_free(&h);
    return st;
}

mkl_status mkl__lay_endmatter(Composer *c) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    Par p = {0};
    for (size_t i = 0; i < d->ngroups && !st; i++) {
        c->y += c->lead;
        st = group_table(c, &d->groups[i], i + 1 == d->ngroups && !d->enclosures.n && !d->ps);
        if (c->close->trial && c->close->follow_page >= 0) goto out;   /* (layout.c) */
    }
    if (st) goto out;
    if (d->enclosures.n) {
        const char *label = c->ko ? "\xEB\xB6\x99\xEC\x9E\x84" /* 붙임 */ : d->enclosures.n > 1 ? "Enclosures:" : "Enclosure:";
        mkl__snap(c);
        if ((st = mkl__par_plain(c, &p, &c->head, label, c->size, c->lead, MKL_STYLE_BOLD, c->text_width, AL_LEFT, BLACK))) goto out;
        if ((st = mkl__keep(c, 2 * c->lead + MKL_MIN(d->enclosures.n, 3) * c->lead))) goto out;
        if ((st = mkl__tag_in(c, 0, MKL_S_DIV))) goto out;
        mkl_tag div = c->tag;
        if ((st = mkl__tag_in(c, div, MKL_S_P))) goto out;
        if ((st = mkl__par_flow(c, &p, c->margin_left, 2 * c->lead))) goto out;
        if ((st = mkl__tag_in(c, div, MKL_S_L))) goto out;
        mkl_tag list = c->tag;
        for (size_t i = 0; i < d->enclosures.n; i++) {
            if ((st = item(c, list))) goto out;
            if ((st = mkl__par_plain(c, &p, &c->body, d->enclosures.v[i], c->size, c->lead, 0, c->text_width - 1.6 * c->size, AL_LEFT, BLACK)))
                goto out;
            if ((st = mkl__par_flow(c, &p, c->margin_left + 1.6 * c->size, 0))) goto out;
        }
    }
    if (d->ps) {
        mkl_buf b = {0};
        mkl__buf_adds(&b, "P.S. ");
        mkl__buf_adds(&b, d->ps);
        if (b.oom) { mkl__buf_free(&b); st = mkl__lay_oom(c); goto out; }
        mkl__snap(c);
        st = mkl__par_flush(c, &p, &c->body, b.s, c->size, c->lead, 0, c->text_width, AL_JUSTIFY, BLACK);
        if (!st) st = mkl__tag_in(c, 0, MKL_S_P);
        if (!st) st = mkl__par_flow(c, &p, c->margin_left, 2 * c->lead);
        mkl__buf_free(&b);
    }
out:
    mkl__par_free(&p);
    return st;
}
