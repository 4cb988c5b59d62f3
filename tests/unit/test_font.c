/* Unit tests of font lookup: bundled folder first, styles, errors. */
#include <stdlib.h>

#include "fixture.h"

static void test_bundled(void) {
    mkl_error e = {0};
    mkl_face *f[4];
    for (int s = 0; s < 4; s++) {
        CHECK(mkl__fontdb_find(fx_db, "Liberation Serif", s & 1, (s & 2) != 0, &f[s], &e) == MKL_OK);
        CHECK(f[s] && f[s]->bold == (s & 1) && f[s]->italic == ((s & 2) != 0));
        CHECK(f[s] && strstr(f[s]->path, MKL_TEST_FONT_DIR) == f[s]->path); /* from the bundled folder */
    }
    CHECK(f[0] != f[1] && f[1] != f[3]);
    CHECK(!strcmp(f[0]->family, "Liberation Serif") && !strcmp(f[0]->psname, "LiberationSerif"));
    CHECK(f[0]->upem == 2048 && f[0]->ascender > 0 && f[0]->descender < 0 && f[0]->cap_height > 0);
    mkl_face *again;
    CHECK(mkl__fontdb_find(fx_db, "liberation-serif", 0, 0, &again, &e) == MKL_OK && again == f[0]);
    /* Nanum Myeongjo: names with and without space, Korean name; no italic -> upright */
    mkl_face *n1, *n2, *n3, *n4;
    CHECK(mkl__fontdb_find(fx_db, "NanumMyeongjo", 0, 0, &n1, &e) == MKL_OK);
    CHECK(mkl__fontdb_find(fx_db, "Nanum Myeongjo", 0, 0, &n2, &e) == MKL_OK && n1 == n2);
    CHECK(mkl__fontdb_find(fx_db, "\xEB\x82\x98\xEB\x88\x94\xEB\xAA\x85\xEC\xA1\xB0", 0, 0, &n3, &e) == MKL_OK && n3 == n1);
    CHECK(mkl__fontdb_find(fx_db, "NanumMyeongjo", 0, 1, &n4, &e) == MKL_OK && n4 == n1);
    CHECK(mkl__face_glyph(n1, 0xD55C) != 0);     /* 한 */
    CHECK(mkl__face_glyph(f[0], 0xD55C) == 0);   /* Liberation has no Hangul */
    CHECK(mkl__face_glyph(f[0], 0x2014) != 0);   /* — */
}

static void test_unknown(void) {
    mkl_error e = {0};
    mkl_face *f = (mkl_face *)1;
    CHECK(mkl__fontdb_find(fx_db, "No Such Family 4711", 0, 0, &f, &e) == MKL_ERR_FONT);
    CHECK(f == NULL);
    CHECK(strstr(e.message, "No Such Family 4711") != NULL);
}

static void test_fontset(void) {
    mkl_fontset fs = fx_body();
    mkl_error e = {0};
    CHECK(mkl__fontset_resolve(&fs, MKL_STYLE_BOLD, &e) == MKL_OK);
    CHECK(fs.faces[1][0]->bold && fs.faces[1][1]->bold);
    const char *const bad[] = {"Liberation Serif", "Missing Family"};
    mkl_fontset fb = {0};
    fb.db = fx_db;
    fb.families = bad;
    fb.nfamilies = 2;
    CHECK(mkl__fontset_resolve(&fb, 0, &e) == MKL_ERR_FONT && strstr(e.message, "Missing Family"));
}

/* A font whose glyph table is damaged: refused with a message naming the file. */
static void test_damaged(void) {
    char dir[] = "/tmp/mkl-font-XXXXXX";
    if (!mkdtemp(dir)) return;
    char path[256];
    snprintf(path, sizeof path, "%s/Damaged.ttf", dir);
    FILE *in = fopen(MKL_TEST_FONT_DIR "/LiberationSerif-Regular.ttf", "rb");
    static unsigned char buf[600000];
    size_t n = in ? fread(buf, 1, sizeof buf, in) : 0;
    if (in) fclose(in);
    /* make the 'glyf' table reach past the end of the file, as in a truncated copy */
    unsigned ntables = (unsigned)(buf[4] << 8 | buf[5]);
    for (unsigned t = 0; t < ntables; t++) {
        unsigned char *rec = buf + 12 + 16 * t;
        if (!memcmp(rec, "glyf", 4)) rec[12] = 0x7F;
    }
    FILE *out = fopen(path, "wb");
    if (out) {
        fwrite(buf, 1, n, out);
        fclose(out);
    }
    const char *dirs[] = {dir};
    mkl_fontdb *db;
    mkl_error e = {0};
    mkl_face *f = NULL;
    CHECK(mkl__fontdb_new(dirs, 1, &db, &e) == MKL_OK);
    CHECK(mkl__fontdb_find(db, "Liberation Serif", 0, 0, &f, &e) == MKL_ERR_FONT);
    CHECK_MSG(strstr(e.message, "damaged") && strstr(e.file, "Damaged.ttf"), "%s: %s", e.file, e.message);
    CHECK(f == NULL);
    mkl__fontdb_free(db);
    remove(path);
    remove(dir);
}

/* A variable font ('fvar') is refused, not embedded at its default outlines:
 * Liberation Serif with its 'gasp' table renamed 'fvar' is not a face. */
static void test_variable_refused(void) {
    char dir[] = "/tmp/mkl-font-XXXXXX";
    if (!mkdtemp(dir)) return;
    char path[256];
    snprintf(path, sizeof path, "%s/Variable.ttf", dir);
    FILE *in = fopen(MKL_TEST_FONT_DIR "/LiberationSerif-Regular.ttf", "rb");
    static unsigned char buf[600000];
    size_t n = in ? fread(buf, 1, sizeof buf, in) : 0;
    if (in) fclose(in);
    unsigned ntables = (unsigned)(buf[4] << 8 | buf[5]);
    int renamed = 0;
    for (unsigned t = 0; t < ntables; t++) {
        unsigned char *rec = buf + 12 + 16 * t;
        if (!memcmp(rec, "gasp", 4)) { memcpy(rec, "fvar", 4); renamed = 1; }   /* the tags stay sorted */
    }
    CHECK(renamed);
    FILE *out = fopen(path, "wb");
    if (out) {
        fwrite(buf, 1, n, out);
        fclose(out);
    }
    const char *dirs[] = {dir};
    mkl_fontdb *db;
    mkl_error e = {0};
    mkl_face *f = NULL;
    CHECK(mkl__fontdb_new(dirs, 1, &db, &e) == MKL_OK);
    CHECK(mkl__fontdb_find(db, "Liberation Serif", 0, 0, &f, &e) == MKL_ERR_FONT);
    CHECK(f == NULL);
    mkl__fontdb_free(db);
    remove(path);
    remove(dir);
}

/* OpenType CFF faces: from a font folder (.otf), and through Fontconfig from
 * a collection (.ttc, the Korean face of Noto Serif CJK by its index). */
static void test_cff(void) {
    const char *otf = "/usr/share/fonts/opentype/urw-base35/NimbusRoman-Regular.otf";
    FILE *in = fopen(otf, "rb");
    CHECK_MSG(in != NULL, "%s (fonts-urw-base35, with ghostscript in scripts/deps)", otf);
    if (!in) return;
    char dir[] = "/tmp/mkl-font-XXXXXX";
    if (!mkdtemp(dir)) { fclose(in); return; }
    char path[256];
    snprintf(path, sizeof path, "%s/Nimbus.otf", dir);
    FILE *out = fopen(path, "wb");
    static unsigned char buf[1 << 20];
    size_t n;
    while (out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    if (out) fclose(out);
    const char *dirs[] = {dir};
    mkl_fontdb *db;
    mkl_error e = {0};
    mkl_face *f = NULL;
    CHECK(mkl__fontdb_new(dirs, 1, &db, &e) == MKL_OK);
    CHECK_MSG(mkl__fontdb_find(db, "Nimbus Roman", 0, 0, &f, &e) == MKL_OK, "%s", e.message);
    CHECK(f && f->cff && !f->cid_keyed && f->sans == 0 && !strcmp(f->path, path));   /* from the folder */
    /* Noto Serif CJK KR: CID-keyed CFF, a face of a collection */
    f = NULL;
    CHECK_MSG(mkl__fontdb_find(db, "Noto Serif CJK KR", 0, 0, &f, &e) == MKL_OK, "%s (fonts-noto-cjk)", e.message);
    CHECK(f && f->cff && f->cid_keyed && f->sans == 0 && f->index > 0 && strstr(f->path, ".ttc"));
    CHECK(f && mkl__face_glyph(f, 0x524D) != 0);
    f = NULL;
    CHECK(mkl__fontdb_find(db, "Noto Sans CJK KR", 1, 0, &f, &e) == MKL_OK && f && f->sans == 1 && f->bold);
    mkl__fontdb_free(db);
    remove(path);
    remove(dir);
}

/* The caches shaping keeps on a face answer as HarfBuzz does: every code
 * point of the BMP and a few above it, every glyph's advance, asked twice
 * (the second answer from the cache), in a Latin and a Korean face. */
static void test_face_caches(void) {
    mkl_error e = {0};
    const char *fams[] = {"Liberation Serif", "NanumMyeongjo"};
    for (int k = 0; k < 2; k++) {
        mkl_face *f = NULL;
        CHECK(mkl__fontdb_find(fx_db, fams[k], 0, 0, &f, &e) == MKL_OK && f);
        if (!f) continue;
        int wrong_glyph = 0, wrong_adv = 0, covered = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (uint32_t cp = 0; cp < 0x10000 + 64; cp++) {
                hb_codepoint_t want = mkl__face_glyph(f, cp), got = mkl__face_cover(f, cp);
                wrong_glyph += got != want;
                covered += pass == 0 && want != 0;
            }
            unsigned n = hb_face_get_glyph_count(f->face);
            for (unsigned gid = 0; gid < n + 2; gid++)
                wrong_adv += mkl__face_advance(f, gid) != hb_font_get_glyph_h_advance(f->font, gid);
        }
        CHECK_MSG(wrong_glyph == 0 && covered > (k ? 11000 : 2000), "%s: %d wrong glyphs, %d covered", fams[k],
                  wrong_glyph, covered);
        CHECK_MSG(wrong_adv == 0, "%s: %d wrong advances", fams[k], wrong_adv);
    }
}

int main(void) {
    fx_init();
    test_face_caches();
    test_bundled();
    test_unknown();
    test_fontset();
    test_damaged();
    test_variable_refused();
    test_cff();
    fx_done();
    return check_done();
}
