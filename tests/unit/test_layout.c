/* Unit tests of page layout on the seed letter: margins, baseline grid, no
 * overlaps, continuation header, balanced signatory columns. */
#include <math.h>
#include <stdlib.h>

#include "fixture.h"
#include "layout.h"
#include "parse.h"
#include "util.h"

static mkl_doc *load(const char *path) {
    char *text;
    size_t len;
    mkl_error e = {0};
    mkl_doc *d = NULL;
    if (mkl__read_file(path, MKL_READ_MAX, "letter", &text, &len, &e) || mkl__parse_letter(text, len, path, "", &d, &e)) {
        fprintf(stderr, "%s: %s\n", path, e.message);
        exit(2);
    }
    mkl__free(text);
    return d;
}

typedef struct Line { double y, x0, x1, size; int page; } Line;

/* Group a page's glyphs into lines (same baseline, same run size). */
static size_t page_lines(const mkl_layout *L, size_t p, Line *out, size_t max) {
    size_t n = 0;
    const mkl_page *pg = &L->pages.v[p];
    for (size_t r = 0; r < pg->runs.n; r++) {
        const mkl_prun *run = &pg->runs.v[r];
        for (size_t i = run->first; i < run->first + run->count; i++) {
            const mkl_pglyph *g = &L->glyphs.v[i];
            double adv = run->size * 0.5;
            size_t k;
            for (k = 0; k < n; k++)
                if (fabs(out[k].y - g->y) < 0.01 && fabs(out[k].size - run->size) < 0.01 && g->x >= out[k].x0 - 1 &&
                    g->x <= out[k].x1 + run->size * 2)
                    break;
            if (k == n) {
                if (n == max) return n;
                out[n++] = (Line){g->y, g->x, g->x + adv, run->size, (int)p};
            } else {
                if (g->x < out[k].x0) out[k].x0 = g->x;
                if (g->x + adv > out[k].x1) out[k].x1 = g->x + adv;
            }
        }
    }
    return n;
}

static void test_seed_letter(void) {
    mkl_doc *d = load(MKL_TEST_SOURCE_DIR "/examples/open-letter.md");
    mkl_layout L = {0};
    mkl_error e = {0};
    mkl_layout_opts o = {NULL, 1, NULL, NULL, NULL};
    CHECK(mkl__layout(d, fx_db, fx_sh, &o, &L, &e) == MKL_OK);
    CHECK_MSG(L.pages.n >= 2 && L.pages.n <= 4, "%zu pages", L.pages.n);
    double left = L.margin[0], right = L.width - L.margin[2], bottom = L.height - L.margin[3];
    static Line lines[4000];
    int in_margins = 1, on_grid = 1, above_bottom = 1, no_overlap = 1;
    for (size_t p = 0; p < L.pages.n; p++) {
        size_t n = page_lines(&L, p, lines, 4000);
        for (size_t i = 0; i < n; i++) {
            Line *l = &lines[i];
            if (l->x0 < left - 0.01 || l->x1 > right + l->size * 0.5) {
                in_margins = 0;
                fprintf(stderr, "page %zu: line at y=%.1f spans %.1f..%.1f\n", p + 1, l->y, l->x0, l->x1);
            }
            int furniture = l->size < 9;   /* header, footer, letterhead lines */
            if (!furniture && l->y > bottom + 0.01) above_bottom = 0;
            /* body-size lines sit on the grid */
            if (fabs(l->size - d->font_size) < 0.01) {
                double k = (l->y - L.margin[1]) / L.lead;
                if (fabs(k - round(k)) > 0.001) {
                    on_grid = 0;
                    fprintf(stderr, "page %zu: 11pt line at y=%.2f off the %.1fpt grid\n", p + 1, l->y, L.lead);
                }
            }
            for (size_t k = 0; k < i; k++) {
                Line *m = &lines[k];
                double gap = fabs(l->y - m->y), need = 0.75 * MKL_MAX(l->size, m->size);
                if (gap < need && l->x0 < m->x1 && m->x0 < l->x1 && !(gap < 0.01 && (l->x0 >= m->x1 || m->x0 >= l->x1))) {
                    no_overlap = 0;
                    fprintf(stderr, "page %zu: lines at y=%.1f and y=%.1f overlap\n", p + 1, l->y, m->y);
                }
            }
        }
    }
    CHECK(in_margins);
    CHECK(on_grid);
    CHECK(above_bottom);
    CHECK(no_overlap);
    /* page 2 starts with the continuation header: small type at the top */
    if (L.pages.n >= 2) {
        size_t n = page_lines(&L, 1, lines, 4000);
        double top = 1e9;
        size_t ti = 0;
        for (size_t i = 0; i < n; i++)
            if (lines[i].y < top) { top = lines[i].y; ti = i; }
        CHECK(n > 0 && lines[ti].size < 9 && top < L.margin[1] + 12);
    }
    mkl__layout_free(&L);
    mkl__doc_free(d);
}

/* Parse the letter text `t` and lay it out into `L` (no page numbers). */
static mkl_doc *lay_out(const char *t, mkl_layout *L) {
    mkl_doc *d = NULL;
    mkl_error e = {0};
    CHECK(mkl__parse_letter(t, strlen(t), "t", "", &d, &e) == MKL_OK);
    mkl_layout_opts o = {NULL, 0, NULL, NULL, NULL};
    CHECK(d && mkl__layout(d, fx_db, fx_sh, &o, L, &e) == MKL_OK);
    return d;
}

static void test_balanced_columns(void) {
    /* 9 one-line entries in 3 columns on one page: 3 rows, columns of 3 */
    const char *t = "---\nsignatories:\n  - columns: 3\n    entries: [a1, a2, a3, b1, b2, b3, c1, c2, c3]\n---\n";
    mkl_layout L = {0};
    mkl_doc *d = lay_out(t, &L);
    /* first glyph of each entry: x per column, rows per column */
    double xs[9], ys[9];
    size_t k = 0;
    const mkl_page *pg = &L.pages.v[0];
    for (size_t r = 0; r < pg->runs.n && k < 9; r++) {
        const mkl_pglyph *g = &L.glyphs.v[pg->runs.v[r].first];
        xs[k] = g->x;
        ys[k++] = g->y;
    }
    CHECK(k == 9);
    if (k == 9) {
        CHECK(xs[0] == xs[1] && xs[1] == xs[2] && xs[3] == xs[4] && xs[6] == xs[8]);
        CHECK(xs[0] < xs[3] && xs[3] < xs[6]);
        CHECK(ys[0] == ys[3] && ys[3] == ys[6] && ys[2] == ys[8]);
    }
    mkl__layout_free(&L);
    mkl__doc_free(d);
}

/* 16 one-line entries in 3 columns: 6 / 5 / 5, not 6 / 6 / 4 (the same
 * height, the columns as even as the entries allow, the fuller ones first). */
static void test_even_columns(void) {
    char t[512] = "---\nsignatories:\n  - columns: 3\n    entries: [";
    for (int i = 1; i <= 16; i++) snprintf(t + strlen(t), sizeof t - strlen(t), "%se%02d", i > 1 ? ", " : "", i);
    snprintf(t + strlen(t), sizeof t - strlen(t), "]\n---\n");
    mkl_layout L = {0};
    mkl_doc *d = lay_out(t, &L);
    double xs[3] = {0};
    int counts[3] = {0}, ncols = 0, entries = 0;
    const mkl_page *pg = &L.pages.v[0];
    for (size_t r = 0; r < pg->runs.n; r++) {
        double x = L.glyphs.v[pg->runs.v[r].first].x;
        int k = 0;
        while (k < ncols && fabs(xs[k] - x) > 0.5) k++;
        if (k == ncols && ncols < 3) xs[ncols++] = x;
        if (k < 3) counts[k]++;
        entries++;
    }
    CHECK_MSG(entries == 16 && ncols == 3 && counts[0] == 6 && counts[1] == 5 && counts[2] == 5,
              "16 entries in %d columns of %d / %d / %d, expected 6 / 5 / 5", ncols, counts[0], counts[1], counts[2]);
    mkl__layout_free(&L);
    mkl__doc_free(d);
}

/* Letterhead arrangements and the footer band of page 1. */
static void test_letterhead(void) {
    const char *fmt = "---\nletterhead:\n  name: Org\n  lines: [Line one]\n  align: %s\n  footer: [Registered office, Tel 1]\n"
                      "---\n\n%s\n";
    static char body[20000], text[21000];
    body[0] = 0;
    for (int i = 0; i < 80; i++) strcat(body, "A paragraph long enough to fill the first page of this letter.\n\n");
    for (int a = 0; a < 3; a++) {
        static const char *const al[] = {"left", "center", "right"};
        snprintf(text, sizeof text, fmt, al[a], body);
        mkl_doc *d = NULL;
        mkl_error e = {0};
        CHECK(mkl__parse_letter(text, strlen(text), "t", "", &d, &e) == MKL_OK);
        if (!d) continue;
        CHECK(d->lh_align == a && d->lh_footer.n == 2);
        mkl_layout L = {0};
        mkl_layout_opts o = {NULL, 1, NULL, NULL, NULL};
        CHECK(mkl__layout(d, fx_db, fx_sh, &o, &L, &e) == MKL_OK);
        CHECK(L.pages.n >= 2);
        /* the name (17 pt or less, bold) sits left, centred or right */
        double name_x0 = 1e9, name_x1 = 0, band_y = 0, body_low = 0, band_on_2 = 0;
        for (size_t pn = 0; pn < L.pages.n; pn++) {
            const mkl_page *pg = &L.pages.v[pn];
            for (size_t r = 0; r < pg->runs.n; r++) {
                const mkl_prun *run = &pg->runs.v[r];
                const mkl_pglyph *g0 = &L.glyphs.v[run->first], *g1 = &L.glyphs.v[run->first + run->count - 1];
                if (pn == 0 && run->size > 12) { name_x0 = MKL_MIN(name_x0, g0->x); name_x1 = MKL_MAX(name_x1, g1->x); }
                if (run->size == 7.5f) { if (pn == 0) band_y = MKL_MAX(band_y, g0->y); else band_on_2 = 1; }
                if (pn == 0 && run->size == 11) body_low = MKL_MAX(body_low, g0->y);
            }
        }
        double mid = (name_x0 + name_x1) / 2, page_mid = L.width / 2;
        if (a == 0) CHECK(name_x0 < L.margin[0] + 1);
        if (a == 1) CHECK_MSG(fabs(mid - page_mid) < 20, "centred name at %.1f, page middle %.1f", mid, page_mid);
        if (a == 2) CHECK(name_x1 > L.width - L.margin[2] - 20);
        CHECK(band_y > 0 && !band_on_2);                 /* the band on page 1 only */
        CHECK_MSG(body_low < band_y - 20, "body down to %.1f, band at %.1f", body_low, band_y);
        mkl__layout_free(&L);
        mkl__doc_free(d);
    }
}

/* A CC list longer than the first page goes on over the next, a row at a
 * time; every glyph of every page stays above the bottom margin. */
static void test_long_cc(void) {
    static char text[20000];
    size_t n = (size_t)snprintf(text, sizeof text, "---\nto: |\n  Moon Jae-in\n  President\nsubject: S\ncc:\n");
    for (int i = 1; i <= 24; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "  - |\n    Minister %d\n    Ministry %d\n    Street %d\n    Fax %d\n",
                              i, i, i, i);
    snprintf(text + n, sizeof text - n, "---\n\nBody.\n");
    mkl_doc *d = NULL;
    mkl_error e = {0};
    CHECK(mkl__parse_letter(text, strlen(text), "t", "", &d, &e) == MKL_OK);
    if (!d) return;
    mkl_layout L = {0};
    mkl_layout_opts o = {NULL, 1, NULL, NULL, NULL};
    CHECK(mkl__layout(d, fx_db, fx_sh, &o, &L, &e) == MKL_OK);
    CHECK_MSG(L.pages.n == 2, "%zu pages", L.pages.n);
    double low = 0;
    size_t on2 = 0;
    for (size_t pn = 0; pn < L.pages.n; pn++) {
        const mkl_page *pg = &L.pages.v[pn];
        for (size_t r = 0; r < pg->runs.n; r++)
            for (size_t i = pg->runs.v[r].first; i < pg->runs.v[r].first + pg->runs.v[r].count; i++) {
                if (pg->runs.v[r].size < 9) continue;   /* "Page x of y", below the margin */
                low = MKL_MAX(low, L.glyphs.v[i].y);
                on2 += pn == 1;
            }
    }
    CHECK_MSG(low <= L.height - L.margin[3] + 1e-3, "a glyph at %.1f, the bottom margin at %.1f", low,
              L.height - L.margin[3]);
    CHECK(on2 > 100);
    mkl__layout_free(&L);
    mkl__doc_free(d);
}

int main(void) {
    fx_init();
    test_seed_letter();
    test_balanced_columns();
    test_even_columns();
    test_letterhead();
    test_long_cc();
    fx_done();
    return check_done();
}
