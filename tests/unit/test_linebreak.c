/* Unit tests of line breaking: widths respected, total fit, emergency breaks. */
#include <stdlib.h>

#include "fixture.h"
#include "linebreak.h"

static const char *TEXT =
    "We appreciate your recent efforts to promote peace, dialogue, and engagement with the North Korean "
    "government. We also note the key role the Republic of Korea (ROK, South Korea) has played in recent "
    "years supporting North Korea resolutions at the HRC and the UN General Assembly (UNGA), including "
    "resolutions that established the 2013 UN Commission of Inquiry (COI) on the human rights situation.";

/* How much line `l` of `s` may shrink when justified: its spaces by
 * MKL_SPACE_SHRINK, its other glyphs (not Hangul) by MKL_EXPAND. */
static double shrinkable(const mkl_shaped *s, const mkl_line *l) {
    double sp = 0, ew = 0;
    for (size_t k = l->start; k < l->end; k++) {
        if (s->g[k].flags & MKL_G_SPACE) sp += s->g[k].adv;
        else if (!(s->g[k].flags & MKL_G_HANGUL)) ew += s->g[k].adv;
    }
    return MKL_SPACE_SHRINK * sp + MKL_EXPAND * ew;
}

static void test_widths(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    mkl_lines_out L = {0};
    mkl_error e = {0};
    fx_shape(&fs, TEXT, "en", &s);
    for (double w = 120; w <= 480; w += 60) {
        CHECK(mkl__break_lines(&s, w, w, 1, &L, &e) == MKL_OK);
        size_t covered = 0;
        int fits = 1, last_ok = 1;
        for (size_t i = 0; i < L.n; i++) {
            double nat = L.v[i].width;
            if (nat - shrinkable(&s, &L.v[i]) > w + 1e-6) fits = 0;   /* shrinking more than allowed */
            if (L.v[i].last != (i == L.n - 1)) last_ok = 0;
            covered += L.v[i].end - L.v[i].start;
        }
        CHECK_MSG(fits, "a line overflows at width %g", w);
        CHECK(last_ok);
        CHECK(L.n >= 2 && covered + L.n - 1 == s.n); /* every glyph placed but the spaces at breaks */
    }
    /* the first line may have its own width */
    CHECK(mkl__break_lines(&s, 200, 400, 1, &L, &e) == MKL_OK);
    CHECK(L.n > 1 && L.v[0].width <= 200 * 1.05 && L.v[1].width > 300);
    mkl__free(L.v);
    mkl__shaped_free(&s);
}

/* Glyph expansion counts in the breaker: at some widths a line is set that
 * fits only with its glyphs narrower (its spaces alone cannot shrink enough),
 * and across widths the lines are more even than at natural glyph widths. */
static void test_expansion_counted(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    mkl_lines_out L = {0};
    mkl_error e = {0};
    fx_shape(&fs, TEXT, "en", &s);
    int needs_glyphs = 0;
    for (double w = 150; w <= 480; w += 1) {
        CHECK(mkl__break_lines(&s, w, w, 1, &L, &e) == MKL_OK);
        for (size_t i = 0; i + 1 < L.n; i++) {
            double sp = 0;
            for (size_t k = L.v[i].start; k < L.v[i].end; k++)
                if (s.g[k].flags & MKL_G_SPACE) sp += s.g[k].adv;
            if (L.v[i].width - MKL_SPACE_SHRINK * sp > w + 1e-6) needs_glyphs++;
        }
    }
    CHECK_MSG(needs_glyphs >= 5, "only %d lines set narrower glyphs to fit", needs_glyphs);
    mkl__free(L.v);
    mkl__shaped_free(&s);
}

static void test_emergency(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    mkl_lines_out L = {0};
    mkl_error e = {0};
    char word[700];
    for (int i = 0; i < 600; i++) word[i] = (char)('a' + i % 26);
    strcpy(word + 600, " end");
    fx_shape(&fs, word, "en", &s);
    CHECK(mkl__break_lines(&s, 300, 300, 1, &L, &e) == MKL_OK);
    int fits = 1;
    for (size_t i = 0; i < L.n; i++) fits &= L.v[i].width - (L.v[i].last ? 0 : shrinkable(&s, &L.v[i])) <= 300 + 1e-6;
    CHECK(fits);
    CHECK(L.n >= 10);
    mkl__free(L.v);
    mkl__shaped_free(&s);
}

static void test_hard_break(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    mkl_lines_out L = {0};
    mkl_error e = {0};
    fx_shape(&fs, "short\nline", "en", &s);
    CHECK(mkl__break_lines(&s, 400, 400, 1, &L, &e) == MKL_OK);
    CHECK(L.n == 2 && L.v[0].last && L.v[1].last);
    mkl__free(L.v);
    mkl__shaped_free(&s);
}

static void test_even_spacing(void) {
    /* total fit: no line much looser than the others (ratio of max to median stretch) */
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    mkl_lines_out L = {0};
    mkl_error e = {0};
    fx_shape(&fs, TEXT, "en", &s);
    CHECK(mkl__break_lines(&s, 250, 250, 1, &L, &e) == MKL_OK);
    double worst = 0;
    for (size_t i = 0; i + 1 < L.n; i++) {
        double slack = (250 - L.v[i].width) / (L.v[i].nspaces ? L.v[i].nspaces : 1);
        if (slack > worst) worst = slack;
    }
    CHECK_MSG(worst < 11 * 0.5, "a space stretched by %.2fpt at 11pt", worst);
    mkl__free(L.v);
    mkl__shaped_free(&s);
}

/* A hyphenated line is fitted with its hyphen: its natural width, hyphen
 * included, never needs more than the spaces' shrink, at any width. */
static void test_hyphen_fits(void) {
    static const char *WORDS =
        "Notwithstanding extraordinary international representations, governmental responsibilities "
        "concerning accountability mechanisms, institutionalization, implementation and documentation "
        "of humanitarian considerations characterize organizations' recommendations unquestionably.";
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    mkl_lines_out L = {0};
    mkl_error e = {0};
    mkl_shape_opts o = {11, "en", 0, 0, "t", 1, NULL, 0, 1};
    if (mkl__shape_plain(fx_sh, &fs, WORDS, &o, &s, &e)) {
        fprintf(stderr, "shaping: %s\n", e.message);
        exit(2);
    }
    int points = 0, hyphenated = 0, over = 0, three = 0;
    for (size_t i = 0; i < s.n; i++) points += (s.g[i].flags & MKL_G_HYPH) != 0;
    CHECK_MSG(points >= 20, "only %d hyphenation points", points);
    double worst = 0, worst_w = 0;
    for (double w = 90; w <= 330; w += 0.5) {
        CHECK(mkl__break_lines(&s, w, w, 1, &L, &e) == MKL_OK);
        for (size_t i = 0; i < L.n; i++) {
            if (i >= 2 && L.v[i].hyphen && L.v[i - 1].hyphen && L.v[i - 2].hyphen) three++;
            if (!L.v[i].hyphen) continue;
            hyphenated++;
            double excess = L.v[i].width - shrinkable(&s, &L.v[i]) - w;
            if (excess > 1e-6) over++;
            if (excess > worst) { worst = excess; worst_w = w; }
        }
    }
    CHECK_MSG(hyphenated >= 100, "only %d hyphenated lines over all widths", hyphenated);
    CHECK_MSG(over == 0, "%d hyphenated lines shrink more than the spaces and glyphs allow (worst %.2fpt too wide at width %g)",
              over, worst, worst_w);
    CHECK_MSG(three == 0, "three hyphenated lines in a row %d times", three);
    mkl__free(L.v);
    mkl__shaped_free(&s);
}

/* A hanging indent: the first line wider than the others. A piece that fits
 * the first line stays on it whole, even when it is wider than the others
 * (a list marker "3)" in its box, a long name in a narrow column). */
static void test_wide_first_line(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    mkl_lines_out L = {0};
    mkl_error e = {0};
    static const char *const texts[] = {"3)", "12)", "Organisations", "(ROK)"};
    for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
        fx_shape(&fs, texts[t], "en", &s);
        double wd = mkl__shaped_width(&s, 0, s.n);
        for (int justify = 0; justify < 2; justify++) {
            CHECK(mkl__break_lines(&s, wd + 2, wd / 3, justify, &L, &e) == MKL_OK);
            CHECK_MSG(L.n == 1, "'%s' (%.1fpt) in a first line of %.1fpt: %zu lines", texts[t], wd, wd + 2, L.n);
        }
    }
    /* and the lines after the first still keep to their own width */
    fx_shape(&fs, TEXT, "en", &s);
    CHECK(mkl__break_lines(&s, 400, 200, 1, &L, &e) == MKL_OK);
    int fits = L.n > 2;
    for (size_t i = 1; i < L.n; i++) fits &= L.v[i].width <= 200 * 1.05;
    CHECK_MSG(fits && L.v[0].width > 300, "first line %.1f, %zu lines", L.n ? L.v[0].width : 0.0, L.n);
    /* after a hard break the lines are continuation lines: the narrower width */
    char hard[1024];
    snprintf(hard, sizeof hard, "Short first line.\n%s", TEXT);
    fx_shape(&fs, hard, "en", &s);
    CHECK(mkl__break_lines(&s, 400, 200, 0, &L, &e) == MKL_OK);
    fits = L.n > 2 && L.v[0].last;
    for (size_t i = 1; i < L.n; i++) fits &= L.v[i].width <= 200 + 1e-6;
    CHECK_MSG(fits, "a line after the hard break is wider than 200pt (%zu lines)", L.n);
    /* ... and break as the same text alone at that width does, justified or
     * not, whether the first line is wider (a hanging indent) or narrower
     * (a first-line indent): only the paragraph's first line has its width */
    for (int justify = 0; justify < 4; justify++) {
        double first_width = justify < 2 ? 400 : 150;
        mkl_shaped alone = {0};
        mkl_lines_out A = {0};
        fx_shape(&fs, hard, "en", &s);
        fx_shape(&fs, TEXT, "en", &alone);
        CHECK(mkl__break_lines(&s, first_width, 200, justify & 1, &L, &e) == MKL_OK);
        CHECK(mkl__break_lines(&alone, 200, 200, justify & 1, &A, &e) == MKL_OK);
        size_t off = s.n - alone.n;
        int same = L.n == A.n + 1;
        for (size_t i = 0; same && i < A.n; i++) same = L.v[i + 1].start - off == A.v[i].start && L.v[i + 1].end - off == A.v[i].end;
        CHECK_MSG(same, "after a hard break, %zu lines where the text alone makes %zu, or other breaks (justify %d, "
                  "first line %.0fpt)", L.n ? L.n - 1 : 0, A.n, justify & 1, first_width);
        mkl__free(A.v);
        mkl__shaped_free(&alone);
    }
    mkl__free(L.v);
    mkl__shaped_free(&s);
}

/* A line that ends at a space is as wide as its last glyph without the
 * kerning with that space (endw): counted when the line is chosen, not only
 * when it is measured afterwards. */
static void test_line_end_kerning(void) {
    mkl_fontset fs = fx_body();
    mkl_shaped s = {0};
    mkl_lines_out L = {0};
    mkl_error e = {0};
    fx_shape(&fs, "aaaa bbbb cccc", "en", &s);
    size_t last_b = 8;   /* the glyph of the second word's last letter (one glyph a letter) */
    CHECK(s.n == 14 && (s.g[last_b + 1].flags & MKL_G_SPACE));
    if (s.n != 14) return;
    double loses = s.g[last_b].endw - s.g[last_b].adv;
    double w = mkl__shaped_width(&s, 0, last_b + 1) + loses + 1.5;   /* "aaaa bbbb" fits, by 1.5 pt */
    s.g[last_b].endw += 3;   /* ... unless its end loses 3 pt more of kerning */
    CHECK(mkl__break_lines(&s, w, w, 0, &L, &e) == MKL_OK);
    int fits = L.n > 0;
    for (size_t i = 0; i < L.n; i++) fits &= L.v[i].width <= w + 1e-6;
    CHECK_MSG(fits, "%zu lines, the first %.2f pt in %.2f pt", L.n, L.n ? L.v[0].width : 0.0, w);
    mkl__free(L.v);
    mkl__shaped_free(&s);
}

/* The stretch ratio of a justified line of glyphs [a, b) set `w` wide, as
 * the breaker and mkl__justify count it (spaces and Hangul gaps). */
static double ratio(const mkl_shaped *s, size_t a, size_t b, double w) {
    while (b > a && (s->g[b - 1].flags & MKL_G_SPACE)) b--;
    double nat = 0, stretch = 0;
    for (size_t k = a; k < b; k++) {
        nat += s->g[k].adv;
        if ((s->g[k].flags & MKL_G_SPACE) && s->g[k].adv > 0) stretch += s->g[k].adv * MKL_SPACE_STRETCH;
        if ((s->g[k].flags & MKL_G_HGAP) && k > a) stretch += MKL_HGAP_STRETCH * s->g[k].size;
    }
    return stretch > 0 ? (w - nat) / stretch : 0;
}

static void shape_ko(mkl_fontset *fs, const char *text, int keep_all, mkl_shaped *out) {
    mkl_error e = {0};
    mkl_shape_opts o = {11, "ko", keep_all, 0, "t", 1, NULL, 0, 0};
    if (mkl__shape_plain(fx_sh, fs, text, &o, out, &e)) {
        fprintf(stderr, "shaping: %s\n", e.message);
        exit(2);
    }
}

/* hangul-breaks: auto. At every width: where whole eojeol leave no line looser
 * than MKL_HANGUL_LOOSE the lines are those of keep-all; an eojeol is split
 * only in a line that would be too loose without its first piece; the split
 * is between two Hangul syllables; and the splits make the loosest line
 * tighter than keep-all's. */
static void test_hangul_auto(void) {
    static const char *KO =
        "저희 전환기정의워킹그룹을 비롯한 국내외 32개 시민사회단체와 뜻을 같이하는 개인 3명은 북한 인권 문제에 "
        "관하여 대통령님께 이 서한을 올립니다. 다음 달 유엔 인권이사회(UN Human Rights Council, HRC)는 북한 인권 "
        "상황을 다시 심의하고, 북한에서 벌어지는 인권 침해를 조사·기록하며 책임 규명을 추진하는 유엔의 메커니즘을 "
        "지키는 새 결의안을 채택할 예정입니다. 정부는 지난해 11월, 2008년 이후 한 해도 빠짐없이 참여해 온 유엔 총회 "
        "북한 인권 결의안의 공동제안국에서 빠지기로 결정하였습니다.";
    mkl_fontset fs = fx_body();
    mkl_shaped word = {0}, au = {0};
    mkl_lines_out W = {0}, A = {0};
    mkl_error e = {0};
    shape_ko(&fs, KO, MKL_KEEP_ALL, &word);
    shape_ko(&fs, KO, MKL_KEEP_AUTO, &au);
    CHECK(word.n == au.n);
    int splits = 0, same_when_even = 1, unneeded = 0, bad_site = 0, tighter = 0, looser = 0;
    for (double w = 150; w <= 400; w += 2.5) {
        CHECK(mkl__break_lines(&word, w, w, 1, &W, &e) == MKL_OK);
        CHECK(mkl__break_lines(&au, w, w, 1, &A, &e) == MKL_OK);
        double worst_w = 0, worst_a = 0;
        for (size_t i = 0; i + 1 < W.n; i++) worst_w = MKL_MAX(worst_w, ratio(&word, W.v[i].start, W.v[i].end, w));
        for (size_t i = 0; i + 1 < A.n; i++) worst_a = MKL_MAX(worst_a, ratio(&au, A.v[i].start, A.v[i].end, w));
        int same = W.n == A.n;
        for (size_t i = 0; same && i < W.n; i++) same = W.v[i].start == A.v[i].start && W.v[i].end == A.v[i].end;
        if (worst_w <= MKL_HANGUL_LOOSE) same_when_even &= same;
        int split_here = 0;
        for (size_t i = 0; i + 1 < A.n; i++) {
            size_t end = A.v[i].end;
            if (au.g[end].flags & MKL_G_SPACE) continue;     /* ends at a space */
            if (au.g[end].flags & MKL_G_BREAK) continue;     /* a break between words (after punctuation) */
            splits++;
            split_here = 1;
            bad_site += !(au.g[end].flags & MKL_G_SYL) || !(au.g[end].flags & MKL_G_HANGUL) ||
                        !(au.g[end - 1].flags & MKL_G_HANGUL);
            /* the line had the eojeol gone whole to the next line */
            size_t ws = end;
            while (ws > A.v[i].start && !(au.g[ws].flags & MKL_G_BREAK)) ws--;
            if (ws <= A.v[i].start || ratio(&au, A.v[i].start, ws, w) <= MKL_HANGUL_LOOSE) unneeded++;
        }
        if (split_here) {
            tighter += worst_a < worst_w;
            looser += worst_a > worst_w + 1e-9;
        }
    }
    CHECK_MSG(splits >= 5, "only %d eojeol split over all widths", splits);
    CHECK_MSG(same_when_even, "auto breaks differently from keep-all where keep-all has no loose line");
    CHECK_MSG(unneeded == 0, "%d eojeol split in a line that was not too loose", unneeded);
    CHECK_MSG(bad_site == 0, "%d splits not between two Hangul syllables", bad_site);
    CHECK_MSG(tighter >= 5 && looser == 0, "splits made the loosest line tighter %d times, looser %d times", tighter,
              looser);
    mkl__free(W.v);
    mkl__free(A.v);
    mkl__shaped_free(&word);
    mkl__shaped_free(&au);
}

int main(void) {
    fx_init();
    test_widths();
    test_emergency();
    test_expansion_counted();
    test_hard_break();
    test_line_end_kerning();
    test_even_spacing();
    test_hyphen_fits();
    test_wide_first_line();
    test_hangul_auto();
    fx_done();
    return check_done();
}
