/* layout_flow.c - page flow: pages, the cursor and its baseline grid, paragraphs flowing over pages,
 * fixed blocks, rules and images. See layout_internal.h. */
#include "layout_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "image.h"
#include "parse.h"

mkl_status mkl__lay_oom(Composer *c) { return mkl__err(c->e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory"); }

mkl_status mkl__new_page(Composer *c) {
    mkl_page *pg = MKL_PUSH(&c->L->pages);
    if (!pg) return mkl__lay_oom(c);
    c->page = (int)c->L->pages.n - 1;
    c->y = c->cont_top;
    c->at_top = 1;
    return MKL_OK;
}

mkl_page *mkl__cur_page(Composer *c) { return &c->L->pages.v[c->page]; }

mkl_status mkl__add_rule(Composer *c, double x0, double y0, double x1, double y1, double w, double gray) {
    mkl_prule *r = MKL_PUSH(&mkl__cur_page(c)->rules);
    if (!r) return mkl__lay_oom(c);
    *r = (mkl_prule){(float)x0, (float)y0, (float)x1, (float)y1, (float)w, (float)gray};
    return MKL_OK;
}

/* The decoded image a letter names at `path` (a string of the model, relative
 * to the letter's folder). Errors point at the letter's line and name the image. */
mkl_status mkl__image_of(Composer *c, const char *path, const mkl_image **out) {
    const mkl_doc *d = c->doc;
    char full[MKL_PATH_MAX];
    int line = 0, col = 0;
    mkl__doc_pos(d, path, &line, &col);
    const char *file = mkl__doc_file_of(d, path);   /* the letter, or the house style that names it */
    int n;
    if (path[0] == '/' || !d->base_dir[0]) n = snprintf(full, sizeof full, "%s", path);
    else n = snprintf(full, sizeof full, "%s%s%s", d->base_dir, d->base_dir[strlen(d->base_dir) - 1] == '/' ? "" : "/", path);
    if (n < 0 || (size_t)n >= sizeof full)   /* never a shortened path: it could name another file */
        return mkl__err(c->e, MKL_ERR_IMAGE, file, line, col,
                        "image '%.200s...': the path is %d bytes long; a path may be at most %d bytes", path, n,
                        MKL_PATH_MAX - 1);
    if (!c->o->load_image) return mkl__err(c->e, MKL_ERR_IMAGE, file, line, col, "image '%s': images cannot be read here", path);
    mkl_error ie = {0};
    mkl_status st = c->o->load_image(c->o->loader, full, out, &ie);
    if (st) return mkl__err(c->e, st, file, line, col, "image '%s': %s", path, ie.message);
    return MKL_OK;
}

/* The size of `img` fitted into max_w x max_h points: its own size (from its
 * resolution, 300 dpi when it has none) if that fits, else scaled down. */
void mkl__image_fit(const mkl_image *img, double max_w, double max_h, double *w, double *h) {
    double dx = img->dpi_x > 0 ? img->dpi_x : 300, dy = img->dpi_y > 0 ? img->dpi_y : dx;
    double nw = img->width * 72.0 / dx, nh = img->height * 72.0 / dy;
    double k = MKL_MIN(1.0, MKL_MIN(max_w / nw, max_h / nh));
    *w = nw * k;
    *h = nh * k;
}

mkl_status mkl__add_image(Composer *c, const mkl_image *img, double x, double y, double w, double h) {
    mkl_pimage *pi = MKL_PUSH(&mkl__cur_page(c)->images);
    if (!pi) return mkl__lay_oom(c);
    *pi = (mkl_pimage){img, (float)x, (float)y, (float)w, (float)h};
    return MKL_OK;
}

double mkl__bottom_of(const Composer *c) { return c->page == 0 ? c->bottom1 : c->bottom; }

/* Lines of the current page still free below the cursor, at `lead`, after `space`. */
int mkl__lines_free(Composer *c, double space, double lead) {
    double room = mkl__bottom_of(c) - (c->y + space);
    return room < lead - 1e-6 ? 0 : (int)floor((room + 1e-6) / lead);
}

/* Move the cursor down by `space` unless at the top of a page. */
void mkl__space_before(Composer *c, double space) {
    if (!c->at_top) c->y += space;
}

void mkl__snap(Composer *c) {
    double k = ceil((c->y - c->grid0) / c->lead - 1e-6);
    c->y = c->grid0 + k * c->lead;
}

/* Keep `needed` points of what follows on this page, else start a new one. */
mkl_status mkl__keep(Composer *c, double needed) {
    if (!c->at_top && c->y + needed > mkl__bottom_of(c) + 1e-6) return mkl__new_page(c);
    return MKL_OK;
}

/* Place a paragraph in the text column at x, flowing over pages, with no
 * orphan (a lone first line at a page end) and no widow (a lone last line). */
mkl_status mkl__par_flow_at(Composer *c, Par *p, double x, double space, int *first_page, double *first_base) {
    size_t n = p->lines.n, i = 0;
    mkl_status st;
    if (!n) return MKL_OK;
    double y_before = c->y;   /* above the space before the paragraph */
    mkl__space_before(c, space);
    while (i < n) {
        size_t fit = (size_t)mkl__lines_free(c, 0, p->lead);
        size_t rest = n - i;
        size_t take = fit >= rest ? rest : fit;
        if (take < rest) {
            if (rest - take == 1 && take > 0) take--;            /* widow: two lines go over */
            if (i == 0 && take < 2) take = 0;                    /* orphan, also one the widow rule made */
            if (take == 0 && c->at_top) take = MKL_MAX(fit, 1); /* a page cannot hold even this: go on */
        }
        CloseKeep *ck = c->close;
        long to_break = c->in_body && ck->break_at >= 0 ? ck->break_at - ck->body_lines : -1;
        if (to_break >= 0 && (size_t)to_break < rest && (size_t)to_break <= fit && !(to_break == 0 && c->at_top)) {
            /* the page breaker asked for a page to start here, to keep the close together */
            take = (size_t)to_break;
            ck->break_at = -1;
            ck->bad = take > 0 && ((i == 0 && take == 1) || rest - take == 1);   /* an orphan or a widow */
            /* the empty room at the foot: a paragraph moved whole takes its space with it */
            double end = i == 0 && take == 0 ? y_before : c->y + (double)take * p->lead;
            ck->hole = (mkl__bottom_of(c) - end) / c->lead;
        }
        for (size_t k = 0; k < take; k++, i++) {
            c->y += p->lead;
            if (c->in_body) {
                ck->last_pages[0] = ck->last_pages[1];
                ck->last_pages[1] = c->page;
                ck->body_lines++;
            }
            if (i == 0 && first_page) {
                *first_page = c->page;
                *first_base = c->y;
            }
            if ((st = mkl__emit_line(c, p, i, x, c->y))) return st;
            c->at_top = 0;
        }
        if (i < n && (st = mkl__new_page(c))) return st;
    }
    return MKL_OK;
}

mkl_status mkl__par_flow(Composer *c, Par *p, double x, double space) { return mkl__par_flow_at(c, p, x, space, NULL, NULL); }

/* Lines of text that stay together at a fixed place (no page break inside). */
mkl_status mkl__par_at(Composer *c, Par *p, double x, double first_baseline) {
    mkl_status st;
    for (size_t i = 0; i < p->lines.n; i++)
        if ((st = mkl__emit_line(c, p, i, x, first_baseline + i * p->lead))) return st;
    return MKL_OK;
}

mkl_status mkl__block_at(Composer *c, const mkl_lines *lines, double x, double w, double y, double size, double lead,
                         int style, int align, const float *rgb, double *bottom) {
    mkl_status st = MKL_OK;
    Par p = {0};
    for (size_t i = 0; i < lines->n && !st; i++) {
        if (!(st = mkl__par_plain(c, &p, &c->body, lines->v[i], size, lead, style, w, align, rgb))) {
            st = mkl__par_at(c, &p, x, y);
            y += p.lines.n * lead;
        }
    }
    mkl__par_free(&p);
    *bottom = y - lead;
    return st;
}

/* The number of lines `lines` takes at width `w` (each line of it wrapped). */
mkl_status mkl__block_lines(Composer *c, const mkl_lines *lines, double w, double size, double lead, size_t *n) {
    mkl_status st = MKL_OK;
    Par p = {0};
    *n = 0;
    for (size_t i = 0; i < lines->n && !st; i++)
        if (!(st = mkl__par_plain(c, &p, &c->body, lines->v[i], size, lead, 0, w, AL_LEFT, BLACK))) *n += p.lines.n;
    mkl__par_free(&p);
    return st;
}

/* A block of the front matter that cannot be placed: an input error at its
 * first line (`key` names it, `why` says what it does not fit). */
mkl_status mkl__too_long(Composer *c, const mkl_lines *b, const char *key, size_t nlines, const char *why) {
    int line = 0, col = 0;
    if (b->n) mkl__doc_pos(c->doc, b->v[0], &line, &col);
    return mkl__err(c->e, MKL_ERR_INPUT, b->n ? mkl__doc_file_of(c->doc, b->v[0]) : c->doc->file, line, col,
                    "'%s' is %zu line%s long (as set) and does not fit %s",
                    key, nlines, nlines == 1 ? "" : "s", why);
}
