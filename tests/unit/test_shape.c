/* Unit tests of shaping: kerning, font fallback, clusters, break opportunities. */
#include <math.h>
#include <stdlib.h>

#include "linebreak.h"

#include "fixture.h"

static size_t count_flag(const mkl_shaped *s, int flag) {
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) n += (s->g[i].flags & flag) != 0;
    return n;
}

static void test_kerning(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped av = {0}, a = {0}, v = {0};
    fx_shape(&fs, "AV", "en", &av);
    fx_shape(&fs, "A", "en", &a);
    fx_shape(&fs, "V", "en", &v);
    CHECK(av.n == 2);
    /* kerning on: the pair is narrower than its letters alone */
    CHECK(mkl__shaped_width(&av, 0, 2) < mkl__shaped_width(&a, 0, 1) + mkl__shaped_width(&v, 0, 1) - 0.3);
    mkl__shaped_free(&av);
    mkl__shaped_free(&a);
    mkl__shaped_free(&v);
}

static void test_fallback(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    const char *t = "Seoul \xEC\x84\x9C\xEC\x9A\xB8, \xE2\x80\x9CTom\xC3\xA1s\xE2\x80\x9D"; /* Seoul 서울, “Tomás” */
    fx_shape(&fs, t, "en", &s);
    mkl_face *lib = fs.faces[0][0], *nanum = fs.faces[0][1];
    int ok = 1;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)t[s.g[i].cluster];
        int hangul = c == 0xEC;
        if (hangul && s.g[i].face != nanum) ok = 0;
        if (!hangul && c != ',' && c != ' ' && s.g[i].face != lib) ok = 0;
    }
    CHECK(ok);
    /* the comma after Hangul takes the Hangul font (it covers it), no flip mid-phrase */
    size_t comma = (size_t)(strchr(t, ',') - t);
    for (size_t i = 0; i < s.n; i++)
        if (s.g[i].cluster == comma) CHECK(s.g[i].face == nanum);
    /* every character's text is kept for ToUnicode, in order */
    char back[128] = "";
    for (size_t i = 0; i < s.n; i++) strncat(back, t + s.g[i].toff, s.g[i].tlen);
    CHECK(!strcmp(back, t));
    mkl__shaped_free(&s);
}

static void test_uncovered(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    mkl_error e = {0};
    const char *src = "line 1\nline 2\nx \xF0\x9F\x98\x80 y\n";
    mkl_shape_opts o = {11, "en", 0, 0, "t.md", 2, src, strlen(src), 0};
    CHECK(mkl__shape_plain(fx_sh, &fs, "x \xF0\x9F\x98\x80 y", &o, &s, &e) == MKL_ERR_FONT); /* 😀 */
    CHECK_MSG(strstr(e.message, "U+1F600") != NULL && e.line == 3 && e.column == 3 && !strcmp(e.file, "t.md"),
              "%d:%d %s", e.line, e.column, e.message);
    CHECK(strstr(e.message, "Liberation Serif, NanumMyeongjo") != NULL);
    mkl__shaped_free(&s);
}

static void test_breaks(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    fx_shape(&fs, "one two-part three\nfour", "en", &s);
    CHECK(count_flag(&s, MKL_G_SPACE) == 3);   /* two spaces and the newline */
    CHECK(count_flag(&s, MKL_G_HARD) == 1);
    CHECK(count_flag(&s, MKL_G_BREAK) == 4);   /* before two, part, three, four */
    /* Korean keep-all: no break inside 대한민국, breaks at spaces */
    fx_shape(&fs, "\xEB\x8C\x80\xED\x95\x9C\xEB\xAF\xBC\xEA\xB5\xAD \xEC\x9D\xB8\xEA\xB6\x8C", "ko", &s);
    CHECK(count_flag(&s, MKL_G_BREAK) == 1);
    fx_shape(&fs, "\xEB\x8C\x80\xED\x95\x9C\xEB\xAF\xBC\xEA\xB5\xAD \xEC\x9D\xB8\xEA\xB6\x8C", "en", &s);
    CHECK(count_flag(&s, MKL_G_BREAK) == 5);   /* ICU default: between syllables */
    /* but never between a number and the Hangul after it, nor before closing punctuation */
    fx_shape(&fs, "2013\xEB\x85\x84 \xEB\x8C\x80\xED\x95\x9C)", "en", &s);  /* 2013년 대한) */
    CHECK(count_flag(&s, MKL_G_BREAK) == 2);   /* before 대 and between 대|한 only */
    mkl__shaped_free(&s);
}

/* Justification may widen the gap between two Hangul syllables, and only
 * there besides spaces: never beside punctuation (KLREQ). */
static void test_hangul_gaps(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    /* 대한민국, (인권). 한 */
    const char *t = "\xEB\x8C\x80\xED\x95\x9C\xEB\xAF\xBC\xEA\xB5\xAD, (\xEC\x9D\xB8\xEA\xB6\x8C). \xED\x95\x9C";
    fx_shape(&fs, t, "ko", &s);
    char got[64] = "", want[] = "-+++----+----";
    size_t k = 0;
    for (size_t i = 0; i < s.n && k + 1 < sizeof got; i++)
        if (s.g[i].flags & MKL_G_CSTART) got[k++] = (s.g[i].flags & MKL_G_HGAP) ? '+' : '-';
    got[k] = 0;
    CHECK_MSG(!strcmp(got, want), "gaps that may stretch (+) before each cluster: %s, expected %s", got, want);
    /* and justifying a line of it stretches only those gaps and the spaces */
    mkl_line ln = {0, s.n, mkl__shaped_width(&s, 0, s.n), 2, 1, 0};
    double sp = 0, hg = 0;
    mkl__justify(&s, &ln, ln.width + 10, &sp, &hg);
    double spaces = 0;
    for (size_t i = 0; i < s.n; i++)
        if (s.g[i].flags & MKL_G_SPACE) spaces += s.g[i].adv;
    double total = 2 * sp + 4 * hg * 11;
    CHECK_MSG(fabs(total - 10) < 1e-6, "spaces (%.3f each) and 4 Hangul gaps (%.4f em each) take %.3f of 10pt", sp, hg,
              total);
    /* every syllable of the block U+AC00..U+D7A3 counts, the last ones too: 가 휴 힘 힣 */
    fx_shape(&fs, "\xEA\xB0\x80\xED\x9C\xB4\xED\x9E\x98\xED\x9E\xA3", "ko", &s);
    k = 0;
    for (size_t i = 0; i < s.n && k + 1 < sizeof got; i++)
        if (s.g[i].flags & MKL_G_CSTART) got[k++] = (s.g[i].flags & MKL_G_HGAP) ? '+' : '-';
    got[k] = 0;
    CHECK_MSG(!strcmp(got, "-+++"), "gaps in '가휴힘힣': %s, expected -+++", got);
    mkl__shaped_free(&s);
}

int main(void) {
    fx_init();
    test_kerning();
    test_fallback();
    test_uncovered();
    test_breaks();
    test_hangul_gaps();
    fx_done();
    return check_done();
}
