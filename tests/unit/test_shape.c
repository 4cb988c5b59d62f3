/* Unit tests of shaping: kerning, font fallback, clusters, break opportunities. */
#include <math.h>
#include <stdlib.h>

#include "linebreak.h"

#include "fixture.h"

#include <fontconfig/fontconfig.h>

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
    /* U+18B00 KHITAN SMALL SCRIPT CHARACTER-18B00: in no font scripts/deps installs (Noto core has Linear A) */
    const char *src = "line 1\nline 2\nx \xF0\x98\xAC\x80 y\n";
    mkl_shape_opts o = {11, "en", 0, 0, "t.md", 2, src, strlen(src), 0};
    CHECK(mkl__shape_plain(fx_sh, &fs, "x \xF0\x98\xAC\x80 y", &o, &s, &e) == MKL_ERR_FONT);
    CHECK_MSG(strstr(e.message, "U+18B00") != NULL && e.line == 3 && e.column == 3 && !strcmp(e.file, "t.md"),
              "%d:%d %s", e.line, e.column, e.message);
    CHECK(strstr(e.message, "Liberation Serif, NanumMyeongjo") != NULL);
    CHECK_MSG(strstr(e.message, "install a font with the Khitan_Small_Script script (no Debian 12 font package has one)"),
              "%s", e.message);
    mkl__shaped_free(&s);
}

/* A character none of the role's families covers takes a fallback face:
 * 前 (U+524D) in the body (Liberation Serif, Nanum Myeongjo), a serif when
 * one is installed (Noto Serif CJK KR, from fonts-noto-cjk), else the
 * bundled Nanum Gothic; the same face every time. */
static void test_coverage_fallback(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    mkl_error e = {0};
    mkl_shape_opts o = {11, "ko", 0, 0, "t.md", 1, NULL, 0, 0};
    CHECK_MSG(mkl__shape_plain(fx_sh, &fs, "\xE5\x89\x8D \xEC\x9C\xA0\xEC\x97\x94", &o, &s, &e) == MKL_OK, "%s",
              e.message);
    CHECK(s.n >= 4);
    if (s.n < 4) return;
    mkl_face *han = s.g[0].face, *hangul = s.g[2].face;
    CHECK(han != fs.faces[0][0] && han != fs.faces[0][1]);
    CHECK(mkl__face_glyph(han, 0x524D) != 0);
    CHECK(hangul == fs.faces[0][1]);   /* Hangul stays in Nanum Myeongjo */
    CHECK(fs.nall[0] == 3);
    FcPattern *p = FcNameParse((const FcChar8 *)"Noto Serif CJK KR");
    FcObjectSet *os = FcObjectSetBuild(FC_FAMILY, (char *)0);
    FcFontSet *set = FcFontList(NULL, p, os);
    int noto = set && set->nfont > 0;
    if (set) FcFontSetDestroy(set);
    FcObjectSetDestroy(os);
    FcPatternDestroy(p);
    CHECK_MSG(noto ? !strcmp(han->family, "Noto Serif CJK KR") && han->cff : !strcmp(han->family, "NanumGothic"),
              "fallback for U+524D: %s", han->family);
    CHECK(han->sans == (noto ? 0 : 1));
    /* asked again (another paragraph): the same face, from the cache */
    mkl_face *again = NULL;
    CHECK(mkl__fontdb_fallback(fs.db, 0x524D, "ko", 0, 0, 0, &again, &e) == MKL_OK && again == han);
    /* a heading role (sans) gets a sans face: the bundled Nanum Gothic */
    mkl_face *sans = NULL;
    CHECK(mkl__fontdb_fallback(fs.db, 0x524D, "ko", 1, 0, 0, &sans, &e) == MKL_OK && sans &&
          !strcmp(sans->family, "NanumGothic"));
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
    /* ASCII that never begins a line: ) ] } - ? ! : ; . , % (each here after a
     * space, where ICU alone would allow a break before some), and never ends
     * one: ( [ { (the space after each) */
    fx_shape(&fs, "a ) b ] c } d - e ? f ! g : h ; i . j , k % l ( m [ n { o", "en", &s);
    CHECK_MSG(count_flag(&s, MKL_G_NOBREAK) == 14, "%zu", count_flag(&s, MKL_G_NOBREAK));
    fx_shape(&fs, "a b c d e f g h i j k l m n o p", "en", &s);
    CHECK(count_flag(&s, MKL_G_NOBREAK) == 0);
    mkl__shaped_free(&s);
}

/* Right to left: Hebrew in an English line has level 1 and is shaped right
 * to left; a number inside it level 2; a line is set in visual order, the
 * Hebrew reversed and the number not (UAX #9). */
static void test_bidi(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    /* x אב 12 גד y */
    const char *t = "x \xD7\x90\xD7\x91 12 \xD7\x92\xD7\x93 y";
    fx_shape(&fs, t, "en", &s);
    CHECK(s.n == 12);
    if (s.n != 12) return;
    static const uint8_t want_level[12] = {0, 0, 1, 1, 1, 2, 2, 1, 1, 1, 0, 0};
    for (size_t i = 0; i < 12; i++) CHECK_MSG(s.g[i].level == want_level[i], "glyph %zu level %d", i, s.g[i].level);
    size_t order[12];
    CHECK(mkl__visual_order(&s, 0, 12, order) == 1);
    /* visual: x, space, ד, ג, space, 1, 2, space, ב, א, space, y */
    static const size_t want[12] = {0, 1, 9, 8, 7, 5, 6, 4, 3, 2, 10, 11};
    for (size_t i = 0; i < 12; i++) CHECK_MSG(order[i] == want[i], "visual %zu: %zu", i, order[i]);
    /* a line with no right-to-left glyph keeps its order */
    fx_shape(&fs, "plain text", "en", &s);
    CHECK(mkl__visual_order(&s, 0, s.n, order) == 0);
    /* Arabic is joined: سلام is initial sin, the lam-alef ligature and an isolated meem (alef joins
     * only to the right) */
    mkl_error e = {0};
    mkl_shape_opts o = {11, "en", 0, 0, "t.md", 1, NULL, 0, 0};
    CHECK(mkl__shape_plain(fx_sh, &fs, "\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85", &o, &s, &e) == MKL_OK);
    int joined = 0;
    for (size_t i = 0; i < s.n; i++) {
        size_t at = s.g[i].cluster;
        uint32_t cp = mkl__utf8_next(s.text, s.len, &at);
        joined += s.g[i].level == 1 && s.g[i].gid != mkl__face_glyph(s.g[i].face, cp);
    }
    CHECK_MSG(joined == 2 && s.n == 3, "%d of %zu glyphs in joining forms", joined, s.n);
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
    double sp = 0, hg = 0, ex = 0, ew = 0;
    mkl__justify(&s, &ln, ln.width + 10, &sp, &hg, &ex);
    /* (the punctuation expands, as Latin glyphs do: the syllables do not) */
    for (size_t i = 0; i < s.n; i++)
        if (!(s.g[i].flags & (MKL_G_SPACE | MKL_G_HANGUL))) ew += s.g[i].adv;
    double total = 2 * sp + 4 * hg * 11 + ex * ew;
    CHECK_MSG(fabs(total - 10) < 1e-6, "spaces (%.3f each), 4 Hangul gaps (%.4f em each) and expansion take %.3f of 10pt",
              sp, hg, total);
    /* every syllable of the block U+AC00..U+D7A3 counts, the last ones too: 가 휴 힘 힣 */
    fx_shape(&fs, "\xEA\xB0\x80\xED\x9C\xB4\xED\x9E\x98\xED\x9E\xA3", "ko", &s);
    k = 0;
    for (size_t i = 0; i < s.n && k + 1 < sizeof got; i++)
        if (s.g[i].flags & MKL_G_CSTART) got[k++] = (s.g[i].flags & MKL_G_HGAP) ? '+' : '-';
    got[k] = 0;
    CHECK_MSG(!strcmp(got, "-+++"), "gaps in '가휴힘힣': %s, expected -+++", got);
    mkl__shaped_free(&s);
}

/* Every block of Hangul counts as Hangul (keep-all, the gaps justification may
 * widen, no hyphenation as a Latin word): syllables, the conjoining jamo and
 * their extensions A (old initials) and B (old medials and finals), the
 * compatibility jamo; each block's first and last assigned character. */
static void test_hangul_blocks(void) {
    static const uint32_t hangul[] = {0xAC00, 0xD7A3, 0x1100, 0x11FF, 0x3131, 0x318E,
                                      0xA960, 0xA97C, 0xD7B0, 0xD7C6, 0xD7CB, 0xD7FB};
    static const uint32_t other[] = {0x4E00, 0x3042, 0x00E9, 0x30A2};   /* 一 あ é ア */
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    for (size_t i = 0; i < sizeof hangul / sizeof *hangul + sizeof other / sizeof *other; i++) {
        int is_h = i < sizeof hangul / sizeof *hangul;
        uint32_t c = is_h ? hangul[i] : other[i - sizeof hangul / sizeof *hangul];
        char t[8];
        size_t n = 0;
        if (c < 0x800) { t[n++] = (char)(0xC0 | c >> 6); }
        else { t[n++] = (char)(0xE0 | c >> 12); t[n++] = (char)(0x80 | ((c >> 6) & 0x3F)); }
        t[n++] = (char)(0x80 | (c & 0x3F));
        t[n] = 0;
        fx_shape(&fs, t, "ko", &s);
        CHECK_MSG(s.n >= 1 && ((s.g[0].flags & MKL_G_HANGUL) != 0) == is_h, "U+%04X %s Hangul", (unsigned)c,
                  is_h ? "is" : "is not");
    }
    mkl__shaped_free(&s);
}

/* Glyph expansion: a justified Latin line's glyphs take their part of the
 * stretch and shrink in step with the spaces, never past MKL_EXPAND; past the
 * stretch limit the spaces take the rest. */
static void test_expansion(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    fx_shape(&fs, "Word spacing and glyphs", "en", &s);
    double sw = 0, ew = 0;
    int ns = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.g[i].flags & MKL_G_SPACE) { sw += s.g[i].adv; ns++; }
        else ew += s.g[i].adv;
    }
    mkl_line ln = {0, s.n, mkl__shaped_width(&s, 0, s.n), ns, 0, 0};
    double sp = 0, hg = 0, ex = 0;
    double cap = sw * MKL_SPACE_STRETCH + ew * MKL_EXPAND;
    /* half the stretch: half of each */
    mkl__justify(&s, &ln, ln.width + cap / 2, &sp, &hg, &ex);
    CHECK_MSG(fabs(ex - MKL_EXPAND / 2) < 1e-9, "half the stretch expands the glyphs by %.4f", ex);
    CHECK_MSG(fabs(ns * sp + ex * ew - cap / 2) < 1e-6, "the line is filled: %.3f of %.3f", ns * sp + ex * ew, cap / 2);
    /* twice the stretch: the glyphs at their limit, the spaces the rest */
    mkl__justify(&s, &ln, ln.width + 2 * cap, &sp, &hg, &ex);
    CHECK_MSG(fabs(ex - MKL_EXPAND) < 1e-9, "glyphs expand no more than MKL_EXPAND: %.4f", ex);
    CHECK_MSG(fabs(ns * sp + ex * ew - 2 * cap) < 1e-6, "the spaces take the rest: %.3f", ns * sp + ex * ew);
    /* shrink: the glyphs narrower too, in step */
    double shr = sw * MKL_SPACE_SHRINK + ew * MKL_EXPAND;
    mkl__justify(&s, &ln, ln.width - shr / 4, &sp, &hg, &ex);
    CHECK_MSG(fabs(ex + MKL_EXPAND / 4) < 1e-9, "a quarter of the shrink narrows the glyphs by %.4f", ex);
    CHECK_MSG(fabs(ns * sp + ex * ew + shr / 4) < 1e-6, "the line is as narrow as its room: %.3f", ns * sp + ex * ew);
    mkl__shaped_free(&s);
}

int main(void) {
    fx_init();
    test_kerning();
    test_fallback();
    test_uncovered();
    test_coverage_fallback();
    test_breaks();
    test_bidi();
    test_hangul_gaps();
    test_expansion();
    test_hangul_blocks();
    fx_done();
    return check_done();
}
