/* What a merge copy reuses instead of making it again (issue 15, a copy's
 * CPU): the paragraph cache lends its glyphs to the paragraphs made from it,
 * and the glyphs stay while a paragraph holds them, even when the cache is
 * cleared; a renderer's output never depends on what it kept. */
#include <math.h>
#include <mkletter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render_text.h"
#include "layout.h"
#include "pdf_internal.h"
#include "renderer.h"

static mkl_renderer *renderer(void) {
    mkl_options o;
    mkl_options_init(&o);
    o.creation_time = 1582243200;
    mkl_renderer *r = NULL;
    CHECK(mkl_renderer_new(&o, &r) == MKL_OK);
    return r;
}

/* The letterhead's lines are all made before they are placed: the second
 * line, the first one's text again, is made from the cache's entry; then
 * the name is made, and with a cache of one entry that clears the cache.
 * The second line must still have its own glyphs (a cleared entry's glyphs
 * freed under it would be the name's, whose glyphs are as many and take
 * the freed memory). Three renders, the cache's limit 1 and then the usual
 * one: the same bytes each time, and the same as a fresh renderer's. */
static void test_held_through_clear(void) {
    static const char letter[] =
        "---\nletterhead:\n  name: Grey Owl Press\n  lines:\n    - Grey Owl Lane\n    - Grey Owl Lane\n"
        "    - Seoul 03170\nsubject: Held\ndate: 2020-02-21\nclosing: Yours,\n---\n"
        "Dear friends,\n\nThe quick brown fox jumps over the lazy dog.\n";
    mkl_renderer *fresh = renderer(), *shared = renderer();
    if (!fresh || !shared) return;
    size_t want_n = 0;
    unsigned char *want = render_text(fresh, letter, &want_n);
    size_t lent0 = mkl__parcache_lent(shared->cache);
    size_t saved = mkl__parcache_max_entries;
    for (int round = 0; round < 3; round++) {
        mkl__parcache_max_entries = round < 2 ? 1 : saved;
        size_t n = 0;
        unsigned char *got = render_text(shared, letter, &n);
        CHECK_MSG(want && got && n == want_n && !memcmp(got, want, n),
                  "round %d: the letter with a cache of %zu entries is not the fresh renderer's (%zu and %zu bytes)",
                  round, mkl__parcache_max_entries, n, want_n);
        mkl_free(got);
    }
    mkl__parcache_max_entries = saved;
    /* the paragraphs were made from the cache's glyphs, not copies */
    CHECK_MSG(mkl__parcache_lent(shared->cache) > lent0, "no paragraph was made with the cache's glyphs");
    mkl_free(want);
    mkl_renderer_free(fresh);
    mkl_renderer_free(shared);
}

/* The page content's rounding (inline) is libm's llround for every value:
 * halves away from zero, the doubles next to a half on either side (where
 * |x| + 0.5 rounds up to the next integer), and values a page has. */
static void test_round_away(void) {
    unsigned long bad = 0, n = 0;
    double first_bad = 0;
    for (long k = -200000; k <= 200000; k++) {
        double half = k + 0.5, xs[5] = {half, nextafter(half, -1e300), nextafter(half, 1e300), k * 0.001 * 997, k / 7.0};
        for (int i = 0; i < 5; i++, n++)
            if (mkl__round_away(xs[i]) != llround(xs[i]) && !bad++) first_bad = xs[i];
    }
    static const double edge[] = {0.49999999999999994, -0.49999999999999994, 0.5, -0.5, 1.5, 2.5, -2.5, 0.0, -0.0,
                                  4503599627370495.5, 4503599627370497.0, -4503599627370497.0, 1e17, -1e17,
                                  2251799813685247.5, 6e15};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++, n++)
        if (mkl__round_away(edge[i]) != llround(edge[i]) && !bad++) first_bad = edge[i];
    unsigned seed = 15;
    for (int i = 0; i < 1000000; i++, n++) {
        seed = seed * 1103515245u + 12345u;
        double x = ((double)seed / 4294967296.0 - 0.5) * 2e6;
        if (mkl__round_away(x) != llround(x) && !bad++) first_bad = x;
    }
    CHECK_MSG(!bad, "%lu of %lu values rounded unlike llround, the first %.17g: %lld, not %lld", bad, n, first_bad,
              mkl__round_away(first_bad), llround(first_bad));
}

/* A front-matter string with quotes, made with smart punctuation once and
 * then kept: letters whose strings differ by a letter (of one length) each
 * get their own, the same bytes as from a fresh renderer, twice each and
 * in turn; with the memo's usual slots, and with one slot for every string
 * (each letter has one string that smart punctuation changes: the other's
 * is in the slot when a letter's comes after it). */
static void test_smart_kept(void) {
    static const char *const letters[] = {
        "---\nto: Anna's office\ndate: 2020-02-21\n---\nDear friend,\n\nThank you.\n",
        "---\nto: Anne's office\ndate: 2020-02-21\n---\nDear friend,\n\nThank you.\n",
    };
    size_t saved = mkl__parcache_smart_slots;
    for (int slots = 0; slots < 2; slots++) {
        mkl__parcache_smart_slots = slots ? 1 : saved;
        mkl_renderer *shared = renderer();
        if (!shared) break;
        size_t hits0 = mkl__parcache_smart_hits(shared->cache);
        static const int order[] = {0, 0, 1, 1, 0, 1};
        for (int round = 0; round < 6; round++) {
            const char *text = letters[order[round]];
            mkl_renderer *fresh = renderer();
            if (!fresh) break;
            size_t a = 0, b = 0;
            unsigned char *pa = render_text(shared, text, &a), *pb = render_text(fresh, text, &b);
            CHECK_MSG(pa && pb && a == b && !memcmp(pa, pb, a), "%zu slots, round %d: letter %d is not the fresh renderer's",
                      mkl__parcache_smart_slots, round, order[round]);
            mkl_free(pa);
            mkl_free(pb);
            mkl_renderer_free(fresh);
        }
        CHECK_MSG(mkl__parcache_smart_hits(shared->cache) > hits0, "no string's smart punctuation was kept");
        mkl_renderer_free(shared);
    }
    mkl__parcache_smart_slots = saved;
}

int main(void) {
    test_round_away();
    test_smart_kept();
    test_held_through_clear();
    return check_done();
}
