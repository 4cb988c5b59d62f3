/* fuzz_linebreak.c - libFuzzer target for shaping (lib/shape.c) and line
 * breaking (lib/linebreak.c) of arbitrary text.
 *
 * Input: byte 0 and byte 1 give the width of the first line and of the others
 * (1 to 511 points, in steps of 2), byte 2 options (bit 0 justify, bit 1
 * Korean, bit 2 keep Korean words whole, bit 3 hyphenate, bits 4-5 bold and
 * italic, bit 6 a second run in another style from the middle on), the rest
 * the text (invalid UTF-8 and NUL bytes become '?', as the parser guarantees
 * valid text). Shaping may refuse a character no font covers (MKL_ERR_FONT)
 * or a text that needs more fallback fonts than a set holds (MKL_ERR_LIMIT);
 * otherwise the lines must be in order, cover every glyph but the spaces
 * where lines break, and no line may be wider than its width (allowing for
 * the shrink of its spaces) unless it holds a single cluster. Inputs over
 * 16 KiB are skipped. Build with cmake -DMKL_BUILD_FUZZERS=ON (README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linebreak.h"
#include "shape.h"
#include "util.h"

#ifndef MKL_FUZZ_FONT_DIR
#define MKL_FUZZ_FONT_DIR "fonts"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mkl_fontdb *db;
static mkl_shaper *sh;
static mkl_fontset fs;
static const char *const FAMILIES[] = {"Liberation Serif", "NanumMyeongjo"};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *env = getenv("MKLETTER_FONT_DIR");
    const char *dirs[] = {env && *env ? env : MKL_FUZZ_FONT_DIR};
    mkl_error e = {0};
    if (mkl__fontdb_new(dirs, 1, &db, &e) || mkl__shaper_new(&sh, &e)) {
        fprintf(stderr, "fuzz_linebreak: %s\n", e.message);
        exit(2);
    }
    fs.db = db;
    fs.families = FAMILIES;
    fs.nfamilies = 2;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3 || size > 16384) return 0;
    double w1 = 1 + 2.0 * data[0], w = 1 + 2.0 * data[1];
    unsigned opt = data[2];
    size_t len = size - 3;
    char *text = malloc(len + 1);
    if (!text) return 0;
    memcpy(text, data + 3, len);
    text[len] = 0;
    for (size_t i = 0; i < len;) {
        size_t at = i;
        uint32_t cp = (unsigned char)text[i] < 0x80 ? (uint32_t)(unsigned char)text[i++] : mkl__utf8_next(text, len, &i);
        int bad = cp == 0 || (cp == 0xFFFD && !(i - at == 3 && !memcmp(text + at, "\xEF\xBF\xBD", 3)));
        if (bad)
            for (size_t k = at; k < i; k++) text[k] = '?';
    }
    if (mkl__utf8_invalid(text, len) != (size_t)-1) abort();

    mkl_srun runs[2];
    size_t nruns = 1;
    int style = (opt >> 4) & 3;
    runs[0] = (mkl_srun){0, (uint32_t)len, (uint8_t)style, -1, 0};
    if ((opt & 64) && len > 1) {
        size_t mid = len / 2;
        while (mid < len && ((unsigned char)text[mid] & 0xC0) == 0x80) mid++;
        if (mid > 0 && mid < len) {
            runs[0].end = (uint32_t)mid;
            runs[1] = (mkl_srun){(uint32_t)mid, (uint32_t)len, (uint8_t)(style ^ 3), 0, MKL_LANG_EN};
            nruns = 2;
        }
    }
    mkl_rich r = {text, len, runs, nruns};
    int ko = (opt & 2) != 0;
    mkl_shape_opts so = {11, ko ? "ko" : "en", (opt & 4) != 0, 0, "fuzz", 1, NULL, 0, (opt & 8) != 0};
    mkl_shaped s = {0};
    mkl_lines_out L = {0};
    mkl_error e = {0};
    /* a letter's font set starts with its families only: the fallbacks an
     * earlier input added are not this one's (a layout makes its sets anew) */
    for (int k = 0; k < 4; k++) fs.nall[k] = fs.nfaces[k];
    mkl_status st = mkl__shape(sh, &fs, &r, &so, &s, &e);
    if (st != MKL_OK) {
        /* no font for a character, or more fallback fonts than a set holds */
        if ((st != MKL_ERR_FONT && st != MKL_ERR_LIMIT) || !e.message[0]) abort();
        goto done;
    }
    for (size_t i = 0; i < s.n; i++)
        if (s.g[i].cluster > len || s.g[i].toff + (size_t)s.g[i].tlen > len) abort();
    st = mkl__break_lines(&s, w1, w, opt & 1, &L, &e);
    if (st != MKL_OK) abort();
    if (s.n && !L.n) abort();
    size_t prev_end = 0;
    for (size_t i = 0; i < L.n; i++) {
        const mkl_line *ln = &L.v[i];
        if (ln->start > ln->end || ln->end > s.n || ln->start < prev_end) abort();
        /* what is skipped between lines is only spaces (and line breaks) */
        for (size_t k = prev_end; k < ln->start; k++)
            if (!(s.g[k].flags & MKL_G_SPACE)) abort();
        double lw = i == 0 ? w1 : w;
        double nat = mkl__shaped_width(&s, ln->start, ln->end), spaces = 0, expands = 0;
        for (size_t k = ln->start; k < ln->end; k++) {
            if ((s.g[k].flags & MKL_G_SPACE) && s.g[k].adv > 0) spaces += s.g[k].adv;
            if (MKL_EXPANDS(&s.g[k])) expands += s.g[k].adv;
        }
        if (ln->hyphen) nat += s.g[ln->end].hyw;
        /* a justified line may shrink its spaces and its glyphs (expansion) */
        double shrink = MKL_SPACE_SHRINK * spaces + ((opt & 1) ? MKL_EXPAND * expands : 0);
        if (nat - shrink > lw + 0.01) {
            /* too wide: only a single cluster may be */
            for (size_t k = ln->start + 1; k < ln->end; k++)
                if (s.g[k].flags & MKL_G_CSTART) {
                    fprintf(stderr, "line %zu of %zu: glyphs [%zu, %zu) are %.2f pt wide (spaces %.2f) for %.2f pt\n", i,
                            L.n, ln->start, ln->end, nat, spaces, lw);
                    abort();
                }
        }
        prev_end = ln->end;
    }
    for (size_t k = prev_end; k < s.n; k++)
        if (!(s.g[k].flags & MKL_G_SPACE)) abort();
done:
    mkl__free(L.v);
    mkl__shaped_free(&s);
    free(text);
    return 0;
}
