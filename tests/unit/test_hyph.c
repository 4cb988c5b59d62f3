/* Unit tests of hyphenation: libhyphen points, what is never hyphenated, and
 * the breaker's limit of two hyphenated lines in a row. */
#include <stdlib.h>

#include "fixture.h"
#include "hyph.h"
#include "liang.h"

#include <ctype.h>
#include <hyphen.h>
#include "linebreak.h"

static void test_points(void) {
    mkl_hyph *h;
    mkl_error e = {0};
    CHECK(mkl__hyph_new(&h, &e) == MKL_OK);
    uint8_t after[64] = {0};
    const char *w = "hyphenation";   /* hy-phen-ation */
    CHECK(mkl__hyph_word(h, "en", w, strlen(w), after) >= 2);
    CHECK(after[1] && after[5]);          /* hy|phen|ation */
    CHECK(!after[0] && !after[9]);         /* at least 2 letters before, 3 after */
    memset(after, 0, sizeof after);
    CHECK(mkl__hyph_word(h, "en", "cat", 3, after) == 0);   /* too short */
    CHECK(mkl__hyph_word(h, "xx", w, strlen(w), after) == 0);   /* no patterns */
    CHECK(mkl__hyph_word(h, "en", "abc1defgh", 9, after) == 0); /* not a plain word */
    memset(after, 0, sizeof after);
    const char *u = "\xC3\xBC" "berraschung";  /* non-ASCII letters keep their byte layout */
    mkl__hyph_word(h, "en", u, strlen(u), after);
    CHECK(!after[0]);   /* never inside a character */
    mkl__hyph_free(h);
}

static size_t count_hyph(const mkl_shaped *s) {
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) n += (s->g[i].flags & MKL_G_HYPH) != 0;
    return n;
}

static void shape_hy(const char *text, const char *lang, mkl_shaped *out) {
    mkl_fontset fs = fx_body();
    mkl_error e = {0};
    mkl_shape_opts o = {11, lang, 1, 0, "t", 1, NULL, 0, 1};
    if (mkl__shape_plain(fx_sh, &fs, text, &o, out, &e)) {
        fprintf(stderr, "%s\n", e.message);
        exit(2);
    }
}

static void test_never(void) {
    mkl_shaped s = {0};
    shape_hy("Representatives representatives", "en", &s);   /* capitalised: a name; last word: never */
    CHECK(count_hyph(&s) == 0);
    shape_hy("representatives end", "en", &s);
    CHECK(count_hyph(&s) > 0);
    shape_hy("https://organizations.example.org/representatives and unrepresentative@example.org end", "en", &s);
    CHECK(count_hyph(&s) == 0);
    shape_hy("12345678901234 end", "en", &s);
    CHECK(count_hyph(&s) == 0);
    shape_hy("\xEC\x9D\xB8\xEA\xB6\x8C\xEB\xB3\xB4\xED\x98\xB8\xEB\xA5\xBC \xEC\x9C\x84\xED\x95\x9C", "en", &s); /* 인권보호를 위한 */
    CHECK(count_hyph(&s) == 0);
    mkl__shaped_free(&s);
}

static void test_consecutive(void) {
    /* long words in a narrow column: many hyphen points, never 3 hyphenated lines in a row */
    mkl_shaped s = {0};
    mkl_lines_out L = {0};
    mkl_error e = {0};
    shape_hy("internationalization responsibilities extraordinarily incomprehensibilities "
             "telecommunications counterrevolutionaries institutionalization misunderstandings "
             "characteristically representativeness interdisciplinary electroencephalograph end",
             "en", &s);
    CHECK(mkl__break_lines(&s, 90, 90, 1, &L, &e) == MKL_OK);
    int run = 0, worst = 0, any = 0;
    for (size_t i = 0; i < L.n; i++) {
        run = L.v[i].hyphen ? run + 1 : 0;
        any |= L.v[i].hyphen;
        if (run > worst) worst = run;
    }
    CHECK(any);
    CHECK_MSG(worst <= 2, "%d hyphenated lines in a row", worst);
    mkl__free(L.v);
    mkl__shaped_free(&s);
}

/* mkletter matches Debian's en_US patterns with its own table (libhyphen's
 * loader costs a third of a run): the points must be libhyphen's, word for
 * word, over every word of the examples and the README. */
static void test_same_as_libhyphen(void) {
    HyphenDict *ref = hnj_hyphen_load("/usr/share/hyphen/hyph_en_US.dic");
    CHECK(ref != NULL);
    if (!ref) return;
    mkl_hyph *h;
    mkl_error e = {0};
    CHECK(mkl__hyph_new(&h, &e) == MKL_OK);
    const char *files[] = {MKL_TEST_SOURCE_DIR "/examples/open-letter.md", MKL_TEST_SOURCE_DIR "/README.md",
                           MKL_TEST_SOURCE_DIR "/man/mkletter.1"};
    int words = 0, same = 1;
    for (size_t f = 0; f < 3; f++) {
        FILE *in = fopen(files[f], "rb");
        if (!in) continue;
        char w[64];
        size_t n = 0;
        int ch;
        do {
            ch = fgetc(in);
            if (ch != EOF && isalpha(ch) && n < sizeof w - 1) {
                w[n++] = (char)tolower(ch);
                continue;
            }
            if (n >= 5) {
                w[n] = 0;
                uint8_t mine[64] = {0};
                char theirs[80] = {0};
                char **rep = NULL;
                int *pos = NULL, *cut = NULL;
                mkl__hyph_word(h, "en", w, n, mine);
                hnj_hyphen_hyphenate2(ref, w, (int)n, theirs, NULL, &rep, &pos, &cut);
                for (size_t i = 0; i + 1 < n; i++) {
                    int want = (theirs[i] & 1) && i + 1 >= 2 && n - (i + 1) >= 3;
                    if (want != (mine[i] != 0)) {
                        same = 0;
                        fprintf(stderr, "'%s': after byte %zu: libhyphen %d, mkletter %d\n", w, i, want, mine[i]);
                    }
                }
                words++;
            }
            n = 0;
        } while (ch != EOF);
        fclose(in);
    }
    CHECK_MSG(words > 1500, "%d words compared", words);
    CHECK(same);
    mkl__hyph_free(h);
    hnj_hyphen_free(ref);
}

/* Debian's en_US patterns are compiled in (liang.h): the table is the one
 * their file makes, byte for byte, and serves only that file: a file whose
 * bytes changed is read again. */
static void test_compiled_in(void) {
    char *text;
    size_t len;
    mkl_error e = {0};
    CHECK_MSG(!mkl__read_file("/usr/share/hyphen/hyph_en_US.dic", MKL_READ_MAX, "patterns", &text, &len, &e),
              "hyph_en_US.dic (Debian's hyphen-en-us) is needed: %s", e.message);
    if (e.code) return;
    const mkl_liang *in = mkl__liang_builtin(text, len);
    int oom = 0;
    mkl_liang *read = mkl__liang_parse(text, len, &oom);
    CHECK_MSG(in != NULL, "the en_US table is compiled in");
    CHECK(read != NULL);
    if (in && read) {
        CHECK(in->cap == read->cap && in->maxlen == read->maxlen && in->pool_len == read->pool_len);
        CHECK(!memcmp(in->pool, read->pool, read->pool_len));
        CHECK(!memcmp(in->slots, read->slots, read->cap * sizeof *read->slots));
        CHECK(!in->owned);
    }
    mkl__liang_free(read);
    /* the same file with one pattern's digit changed: not the table compiled in */
    char *dig = strstr(text, "\n.ach4");
    dig = dig ? dig : strstr(text, "1");
    CHECK(dig != NULL);
    char *one = dig ? strpbrk(dig, "123456789") : NULL;
    CHECK(one != NULL);
    if (one) {
        *one = *one == '1' ? '2' : '1';
        CHECK(mkl__liang_builtin(text, len) == NULL);
        *one = *one == '1' ? '2' : '1';
    }
    text[len - 1] ^= 1;   /* (any byte) */
    CHECK(mkl__liang_builtin(text, len) == NULL);
    text[len - 1] ^= 1;
    CHECK(mkl__liang_builtin(text, len - 1) == NULL);   /* nor a shorter one */
    mkl__free(text);
    /* and it is the one a letter's English paragraphs are hyphenated with */
    mkl_hyph *h;
    CHECK(mkl__hyph_new(&h, &e) == MKL_OK);
    CHECK(mkl__hyph_compiled_in(h, "en"));
    uint8_t after[64] = {0};
    CHECK(mkl__hyph_word(h, "en", "hyphenation", 11, after) >= 2 && after[1] && after[5]);
    mkl__hyph_free(h);
}

int main(void) {
    fx_init();
    test_compiled_in();
    test_points();
    test_never();
    test_consecutive();
    test_same_as_libhyphen();
    fx_done();
    return check_done();
}
