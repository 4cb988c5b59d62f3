/* fuzz_letter.c - libFuzzer target for the whole pipeline: parse the input as
 * a letter (lib/parse.c) and, when it parses, lay it out (lib/layout.c) and
 * write the PDF into memory (lib/pdf.c).
 *
 * Every input must give a document or an error with a message, a file name
 * and, for a bad letter, a position; a document must be well formed (runs
 * inside their text and in order, links that exist, valid UTF-8); layout and
 * PDF must succeed or fail with a message (never MKL_ERR_PDF, an internal
 * error) and place everything at finite coordinates near the page; never a
 * crash, an abort, a leak or undefined behaviour. Inputs over
 * 64 KiB are skipped to keep each run short.
 *
 * House styles (lib/style.c) are fuzzed from the same input: the text after
 * a line "%%s1.yaml" is the style file s1.yaml, after "%%s2.yaml" s2.yaml,
 * and so on (up to s9), found by name from memory; a letter that says
 * `style: s1.yaml` reads and merges them (chains, cycles, bad YAML in a
 * style, keys of every type). An error in a style must name that style.
 *
 * The font database and the shaper are made once (as a renderer keeps them)
 * over the bundled fonts: MKL_FUZZ_FONT_DIR, or $MKLETTER_FONT_DIR. Build with
 * cmake -DMKL_BUILD_FUZZERS=ON (see README.md). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"
#include "layout.h"
#include "parse.h"
#include "pdf.h"
#include "shape.h"
#include "style.h"
#include "util.h"

#ifndef MKL_FUZZ_FONT_DIR
#define MKL_FUZZ_FONT_DIR "fonts"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mkl_fontdb *db;
static mkl_shaper *sh;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *env = getenv("MKLETTER_FONT_DIR");
    const char *dirs[] = {env && *env ? env : MKL_FUZZ_FONT_DIR};
    mkl_error e = {0};
    if (mkl__fontdb_new(dirs, 1, &db, &e) || mkl__shaper_new(&sh, &e)) {
        fprintf(stderr, "fuzz_letter: %s\n", e.message);
        exit(2);
    }
    return 0;
}

static void check_rich(const mkl_doc *d, const mkl_rich *r) {
    if (!r->text || r->text[r->len] != 0 || strlen(r->text) != r->len) abort();
    if (mkl__utf8_invalid(r->text, r->len) != (size_t)-1) abort();
    uint32_t prev = 0;
    for (size_t i = 0; i < r->nruns; i++) {
        const mkl_srun *s = &r->runs[i];
        if (s->start < prev || s->end < s->start || s->end > r->len) abort();
        if (s->link < -1 || (s->link >= 0 && (size_t)s->link >= d->nlinks)) abort();
        prev = s->end;
    }
}

static void check_doc(const mkl_doc *d) {
    if (!d->lang || (strcmp(d->lang, "en") && strcmp(d->lang, "ko"))) abort();
    if (!(d->font_size >= 6 && d->font_size <= 24)) abort();
    for (size_t i = 0; i < d->nblocks; i++) check_rich(d, &d->blocks[i].rich);
    for (size_t i = 0; i < d->nlinks; i++)
        if (!d->links[i] || !d->links[i][0]) abort();
    for (size_t g = 0; g < d->ngroups; g++) {
        if (d->groups[g].columns < 1 || d->groups[g].columns > 4) abort();
        for (size_t k = 0; k < d->groups[g].nentries; k++)
            if (!d->groups[g].entries[k].name) abort();
    }
    for (size_t i = 0; i < d->nsignatures; i++)
        if (!d->signatures[i].name) abort();
}

/* Everything is placed at finite coordinates near the page (text that runs
 * off the page by more than a page is a layout bug). */
static int near(double v, double extent) { return isfinite(v) && v > -extent && v < 2 * extent; }
static void check_layout(const mkl_layout *L) {
    if (!(L->width > 0 && L->height > 0)) abort();
    for (size_t p = 0; p < L->pages.n; p++) {
        const mkl_page *pg = &L->pages.v[p];
        for (size_t r = 0; r < pg->runs.n; r++) {
            const mkl_prun *R = &pg->runs.v[r];
            if (R->first + R->count > L->glyphs.n || !(R->size > 0)) abort();
            for (size_t g = R->first; g < R->first + R->count; g++) {
                const mkl_pglyph *G = &L->glyphs.v[g];
                if (!near(G->x, L->width) || !near(G->y, L->height)) {
                    fprintf(stderr, "page %zu: glyph %zu at (%g, %g)\n", p + 1, g, G->x, G->y);
                    abort();
                }
                if ((size_t)G->toff + G->tlen > L->text.n) abort();
            }
        }
        for (size_t r = 0; r < pg->rules.n; r++) {
            const mkl_prule *R = &pg->rules.v[r];
            if (!near(R->x0, L->width) || !near(R->x1, L->width) || !near(R->y0, L->height) || !near(R->y1, L->height))
                abort();
        }
        for (size_t k = 0; k < pg->links.n; k++) {
            const mkl_plink *R = &pg->links.v[k];
            if (!near(R->x0, L->width) || !near(R->x1, L->width) || !near(R->y0, L->height) || !near(R->y1, L->height))
                abort();
        }
    }
}

/* The styles of one input: part k (1-9) is the text after "\n%%sK.yaml\n". */
typedef struct Parts { const char *text[10]; size_t len[10]; } Parts;

static mkl_status find_part(void *user, const char *name, const char *from_dir, char **path, char **dir, char **text,
                            size_t *len, unsigned long long id[2], mkl_error *e) {
    (void)from_dir;
    const Parts *parts = user;
    int k = 0;
    if (name[0] == 's' && name[1] >= '1' && name[1] <= '9' && (!name[2] || !strcmp(name + 2, ".yaml"))) k = name[1] - '0';
    if (!k || !parts->text[k]) return mkl__err(e, MKL_ERR_READ, name, 0, 0, "no such style");
    char pname[16];
    snprintf(pname, sizeof pname, "s%d.yaml", k);
    *path = mkl__strdup(pname);
    *dir = mkl__strdup("");
    *text = mkl__strndup(parts->text[k], parts->len[k]);
    if (!*path || !*dir || !*text) {
        mkl__free(*path), mkl__free(*dir), mkl__free(*text);
        *path = *dir = *text = NULL;
        return mkl__err(e, MKL_ERR_NOMEM, name, 0, 0, "out of memory");
    }
    *len = parts->len[k];
    id[0] = 0;
    id[1] = (unsigned long long)k;
    return MKL_OK;
}

static int is_input_file(const char *file) {
    return !strcmp(file, "fuzz.md") || (file[0] == 's' && file[1] >= '1' && file[1] <= '9' && !strcmp(file + 2, ".yaml"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 65536) return 0;
    mkl_error e;
    memset(&e, 0, sizeof e);
    mkl_doc *doc = NULL;
    /* the letter ends where the first style starts */
    Parts parts;
    memset(&parts, 0, sizeof parts);
    const char *text = (const char *)data, *end = text + size;
    size_t letter_len = size;
    for (const char *q = text; q + 11 <= end; q++) {
        if (memcmp(q, "\n%%s", 4) || q[4] < '1' || q[4] > '9' || memcmp(q + 5, ".yaml\n", 6)) continue;
        int k = q[4] - '0';
        if (letter_len == size) letter_len = (size_t)(q - text) + 1;
        const char *start = q + 11, *stop = start;
        while (stop + 4 <= end && memcmp(stop, "\n%%s", 4)) stop++;
        if (stop + 4 > end) stop = end;
        else stop++;
        if (!parts.text[k]) {
            parts.text[k] = start;
            parts.len[k] = (size_t)(stop - start);
        }
        q = stop - 2;
    }
    mkl_parse_opts po = {NULL, NULL, find_part, &parts};
    mkl_status st = mkl__parse_letter_opts(text, letter_len, "fuzz.md", "", &po, &doc, &e);
    if (st != MKL_OK) {
        /* an error: no document, a message naming the letter or a style, and a position for a bad one */
        if (doc || !e.message[0] || !is_input_file(e.file) || e.code != st) abort();
        if ((st == MKL_ERR_INPUT || st == MKL_ERR_LIMIT) && (e.line < 1 || e.column < 1)) abort();
        if (st != MKL_ERR_INPUT && st != MKL_ERR_LIMIT && st != MKL_ERR_READ) abort();
        return 0;
    }
    if (!doc) abort();
    check_doc(doc);

    mkl_layout L;
    memset(&L, 0, sizeof L);
    mkl_layout_opts lo;
    memset(&lo, 0, sizeof lo);   /* no image loader: an image is MKL_ERR_IMAGE */
    lo.page_numbers = 1;
    memset(&e, 0, sizeof e);
    st = mkl__layout(doc, db, sh, &lo, &L, &e);
    if (st == MKL_OK) {
        if (L.pages.n < 1) abort();
        check_layout(&L);
        mkl_buf out = {0};
        mkl_pdf_info info;
        memset(&info, 0, sizeof info);
        info.title = doc->subject;
        info.author = doc->lh_name;
        info.ctime = 1582243200;
        st = mkl__pdf_write(&L, &info, &out, &e);
        if (st != MKL_OK) abort();   /* the PDF back end never fails on a laid-out letter */
        if (out.n < 16 || memcmp(out.s, "%PDF-", 5)) abort();
        mkl__buf_free(&out);
    } else {
        /* a letter that parses can still name an unknown font, hold a character
         * no font covers, or a layout the page cannot hold */
        if (!e.message[0]) abort();
        if (st != MKL_ERR_FONT && st != MKL_ERR_INPUT && st != MKL_ERR_LIMIT && st != MKL_ERR_IMAGE) abort();
    }
    mkl__layout_free(&L);
    mkl__doc_free(doc);
    return 0;
}
