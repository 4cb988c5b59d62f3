/* fixture.h - a font database over the bundled fonts and a shaper, for unit tests. */
#ifndef MKL_FIXTURE_H
#define MKL_FIXTURE_H

#include "check.h"
#include "font.h"
#include "shape.h"

static mkl_fontdb *fx_db;
static mkl_shaper *fx_sh;
static const char *const FX_BODY[] = {"Liberation Serif", "NanumMyeongjo"};

static void fx_init(void) {
    const char *dirs[] = {MKL_TEST_FONT_DIR};
    mkl_error e = {0};
    if (mkl__fontdb_new(dirs, 1, &fx_db, &e) || mkl__shaper_new(&fx_sh, &e)) {
        fprintf(stderr, "fixture: %s\n", e.message);
        exit(2);
    }
}

static void fx_done(void) {
    mkl__shaper_free(fx_sh);
    mkl__fontdb_free(fx_db);
}

static inline mkl_fontset fx_body(void) {
    mkl_fontset fs = {0};
    fs.db = fx_db;
    fs.families = FX_BODY;
    fs.nfamilies = 2;
    return fs;
}

/* Shape plain text at 11pt; aborts the test program on error. */
static inline void fx_shape(mkl_fontset *fs, const char *text, const char *lang, mkl_shaped *out) {
    mkl_error e = {0};
    mkl_shape_opts o = {11, lang, lang && !strcmp(lang, "ko"), 0, "t", 1, NULL, 0, 0};
    if (mkl__shape_plain(fx_sh, fs, text, &o, out, &e)) {
        fprintf(stderr, "fixture: shaping '%s': %s\n", text, e.message);
        exit(2);
    }
}

#endif
