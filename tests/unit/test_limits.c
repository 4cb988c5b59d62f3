/* Limits: big letters that must render, and hostile ones that must be refused
 * quickly (MKL_ERR_LIMIT or MKL_ERR_INPUT) instead of taking minutes or all
 * memory. Every letter is made in memory and goes through the public API.
 *
 * Wall times and peak memory are printed as "info:" lines. Times are not
 * checked (they depend on the machine); memory is, with room: peak memory
 * must grow linearly with the letter (twice the signatories, at most 2.5
 * times the memory beyond the process) and stay under a ceiling (256 MB for
 * 10,000 signatories; four times that with AddressSanitizer, whose shadow
 * memory and quarantine count in the RSS). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "mkletter.h"

static mkl_renderer *R;

/* ---- letters in memory ---------------------------------------------------- */

typedef struct { char *s; size_t n, cap; } Txt;

static void put(Txt *t, const char *s, size_t n) {
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 65536;
        while (cap < t->n + n + 1) cap *= 2;
        char *ns = realloc(t->s, cap);
        if (!ns) {
            fprintf(stderr, "test_limits: out of memory\n");
            exit(2);
        }
        t->s = ns;
        t->cap = cap;
    }
    memcpy(t->s + t->n, s, n);
    t->n += n;
    t->s[t->n] = 0;
}
static void puts_(Txt *t, const char *s) { put(t, s, strlen(s)); }
static void putf(Txt *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(Txt *t, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(t, buf, (size_t)n);
}
static void rep(Txt *t, const char *s, size_t times) {
    size_t n = strlen(s);
    for (size_t i = 0; i < times; i++) put(t, s, n);
}
static void txt_free(Txt *t) {
    free(t->s);
    memset(t, 0, sizeof *t);
}

/* Words of varying length, from a fixed pseudo-random sequence, so runs are reproducible. */
static unsigned rng = 12345;
static const char *word(void) {
    static const char *const w[] = {"the", "of", "human", "rights", "and", "government", "to", "organizations",
                                    "in", "a", "commission", "inquiry", "is", "that", "policy", "for", "North",
                                    "Korea", "dialogue", "engagement", "with", "peace", "we", "urge", "you"};
    rng = rng * 1103515245u + 12345u;
    return w[(rng >> 16) % (sizeof w / sizeof *w)];
}
static void sentence_words(Txt *t, int n) {
    for (int i = 0; i < n; i++) {
        puts_(t, word());
        puts_(t, i + 1 < n ? " " : ".");
    }
}

static void signatories(Txt *t, int n) {
    puts_(t, "---\nsubject: Open letter\nsignatories:\n  - heading: Signatories\n    columns: 2\n    entries:\n");
    for (int i = 0; i < n; i++) {
        if (i % 3 == 0) putf(t, "      - {name: Signatory %d, note: Organization %d}\n", i, i % 97);
        else putf(t, "      - Signatory number %d, Association of %s\n", i, word());
    }
    puts_(t, "---\n\nWe write to you.\n");
}

/* ---- running ---------------------------------------------------------------- */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Parse and render `t`; returns the status, the page count and the PDF size. */
static mkl_status render(const Txt *t, int *pages, size_t *pdf_len, char *msg, size_t msgsz) {
    mkl_letter *l = NULL;
    *pages = 0;
    *pdf_len = 0;
    msg[0] = 0;
    mkl_status st = mkl_letter_parse(R, t->s, t->n, "big.md", NULL, &l);
    if (!st) {
        unsigned char *pdf = NULL;
        st = mkl_render_to_memory(R, l, &pdf, pdf_len);
        if (!st) {
            *pages = mkl_renderer_page_count(R);
            if (*pdf_len < 5 || memcmp(pdf, "%PDF-", 5)) st = MKL_ERR_PDF;
        }
        mkl_free(pdf);
    }
    if (st) mkl_error_format(mkl_renderer_error(R), msg, msgsz);
    mkl_letter_free(l);
    return st;
}

/* A letter that must render: returns its page count (0 on failure). */
static int must_render(const char *what, Txt *t) {
    int pages;
    size_t len;
    char msg[2048];
    double t0 = now();
    mkl_status st = render(t, &pages, &len, msg, sizeof msg);
    double dt = now() - t0;
    CHECK_MSG(st == MKL_OK, "%s: %s (%s)", what, mkl_status_str(st), msg);
    printf("info: %-42s %8.3f s  %5d pages  %9zu bytes of PDF  (%zu bytes of letter)\n", what, dt, pages, len, t->n);
    txt_free(t);
    return st == MKL_OK ? pages : 0;
}

/* A hostile letter: refused with MKL_ERR_LIMIT or MKL_ERR_INPUT, a position and `needle` in the message. */
static void must_refuse(const char *what, Txt *t, mkl_status want, const char *needle) {
    mkl_letter *l = NULL;
    double t0 = now();
    mkl_status st = mkl_letter_parse(R, t->s, t->n, "bad.md", NULL, &l);
    if (!st) {   /* a letter that parses must then fail to render */
        unsigned char *pdf = NULL;
        size_t len;
        st = mkl_render_to_memory(R, l, &pdf, &len);
        mkl_free(pdf);
    }
    double dt = now() - t0;
    const mkl_error *e = mkl_renderer_error(R);
    char msg[2048];
    mkl_error_format(e, msg, sizeof msg);
    CHECK_MSG(st == want, "%s: status %s, wanted %s (%s)", what, mkl_status_str(st), mkl_status_str(want), msg);
    CHECK_MSG(e->line > 0 && e->column > 0, "%s: no position in '%s'", what, msg);
    CHECK_MSG(strstr(e->message, needle) != NULL, "%s: '%s' lacks '%s'", what, msg, needle);
    printf("info: %-42s %8.3f s  refused: %.160s\n", what, dt, msg);
    mkl_letter_free(l);
    txt_free(t);
}

/* ---- memory: peak RSS of a child that renders n signatories ----------------- */

static long child_max_rss_kb(int n) {
    Txt t = {0};
    signatories(&t, n);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int pages;
        size_t len;
        char msg[2048];
        _exit(render(&t, &pages, &len, msg, sizeof msg) == MKL_OK ? 0 : 1);
    }
    txt_free(&t);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) return -1;
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "rendering %d signatories in a child failed", n);
    return ru.ru_maxrss;
}

static void test_memory(void) {
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    long a = child_max_rss_kb(5000), b = child_max_rss_kb(10000);
    printf("info: max RSS: test process %ld KB at fork; 5,000 signatories %ld KB; 10,000 signatories %ld KB;"
           " growth %.2f times for twice the signatories (beyond the process)\n",
           self.ru_maxrss, a, b, (a > self.ru_maxrss) ? (double)(b - self.ru_maxrss) / (double)(a - self.ru_maxrss) : 0.0);
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MKL_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(MKL_TEST_ASAN)
    const long ceiling_kb = 4 * 256 * 1024;
#else
    const long ceiling_kb = 256 * 1024;
#endif
    CHECK_MSG(a > 0 && b > 0, "the children's peak memory could not be read (%ld, %ld)", a, b);
    CHECK_MSG(a > self.ru_maxrss && b - self.ru_maxrss <= 2.5 * (a - self.ru_maxrss),
              "peak memory grows faster than the letter: %ld KB for 5,000 signatories, %ld KB for 10,000 (process %ld KB)",
              a, b, self.ru_maxrss);
    CHECK_MSG(b <= ceiling_kb, "10,000 signatories take %ld KB at peak, over the ceiling of %ld KB", b, ceiling_kb);
}

/* ---- big letters that must render ------------------------------------------ */

static void test_big(void) {
    Txt t = {0};

    signatories(&t, 10000);
    int pages = must_render("10,000 signatories in 2 columns", &t);
    CHECK_MSG(pages > 20, "10,000 signatories on %d pages", pages);

    puts_(&t, "---\nsubject: A long letter\n---\n\n");
    while (t.n < 5u * 1000 * 1000) {
        sentence_words(&t, 40 + (int)(rng % 80));
        puts_(&t, "\n\n");
    }
    pages = must_render("a 5 MB body in many paragraphs", &t);
    CHECK_MSG(pages > 500, "a 5 MB body on %d pages", pages);

    puts_(&t, "---\nsubject: A hundred pages\nto: [Someone, Somewhere]\ncc: [A, B]\nclosing: Yours,\n"
              "signatures: [{name: Kim, title: Director}]\n---\n\n");
    for (int i = 0; t.n < 400 * 1000; i++) {
        if (i % 25 == 0) putf(&t, "## Part %d\n\n", i / 25 + 1);
        if (i % 10 == 9) {
            puts_(&t, "- ");
            sentence_words(&t, 12);
            puts_(&t, "\n- *");
            sentence_words(&t, 9);
            puts_(&t, "*\n\n");
        } else {
            sentence_words(&t, 60 + (int)(rng % 60));
            puts_(&t, "\n\n");
        }
    }
    pages = must_render("a letter of about 100 pages", &t);
    CHECK_MSG(pages >= 70 && pages <= 150, "the 100-page letter has %d pages", pages);

    puts_(&t, "---\n---\n\nBefore ");
    for (int i = 0; i < 600; i++) put(&t, &"abcdefghijklmnopqrstuvwxyz"[i % 26], 1);
    puts_(&t, " after.\n");
    pages = must_render("a 600-character unbreakable word", &t);
    CHECK(pages == 1);

    puts_(&t, "---\n---\n\n");
    size_t start = t.n;
    while (t.n - start < 200 * 1000) {
        puts_(&t, word());
        puts_(&t, " ");
    }
    puts_(&t, "end.\n");
    pages = must_render("a 200 KB single-line paragraph", &t);
    CHECK(pages > 10);
}

/* ---- hostile letters ------------------------------------------------------------- */

static void test_hostile(void) {
    Txt t = {0};

    puts_(&t, "---\nto: ");
    rep(&t, "[", 200000);
    puts_(&t, "\n---\n\nHello.\n");
    must_refuse("200,000-deep flow nesting '[[[['", &t, MKL_ERR_LIMIT, "more than 64 deep");

    puts_(&t, "---\nsubject: x\nfrom: ");
    rep(&t, "{a: [", 100000);
    puts_(&t, "\n---\n\nHello.\n");
    must_refuse("200,000-deep mixed '{a: [' nesting", &t, MKL_ERR_LIMIT, "more than 64 deep");

    puts_(&t, "---\nsignatories:\n");
    for (int i = 1; i <= 2000; i++) {
        rep(&t, " ", (size_t)i);
        puts_(&t, "- k:\n");
    }
    puts_(&t, "---\n\nHello.\n");
    must_refuse("2,000 levels of block indentation", &t, MKL_ERR_LIMIT, "levels deep");

    puts_(&t, "---\nto:\n");
    rep(&t, "- ", 100000);
    puts_(&t, "x\n---\n\nHello.\n");
    must_refuse("100,000 block sequences on one line", &t, MKL_ERR_LIMIT, "levels deep");

    /* billion laughs: 9 levels of 9 aliases; the loader keeps aliases as
     * references (nothing is expanded) and the unknown key 'a' stops it */
    puts_(&t, "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (char c = 'b'; c <= 'i'; c++) {
        putf(&t, "%c: &%c [", c, c);
        for (int j = 0; j < 9; j++) putf(&t, "%s*%c", j ? "," : "", c - 1);
        puts_(&t, "]\n");
    }
    puts_(&t, "---\n\nHello.\n");
    must_refuse("billion laughs (unknown keys)", &t, MKL_ERR_INPUT, "unknown key 'a'");

    /* the same under keys that exist: groups of entries and a long string repeated */
    puts_(&t, "---\nsignatories:\n  - &g {entries: [&e lol");
    rep(&t, ", *e", 900);
    puts_(&t, "]}\n");
    rep(&t, "  - *g\n", 99);
    puts_(&t, "---\n\nHello.\n");
    must_refuse("alias bomb under 'signatories'", &t, MKL_ERR_LIMIT, "aliases (*name) repeat more than 50000 strings");
    puts_(&t, "---\nsubject: &s \"");
    rep(&t, "lol ", 250000);
    puts_(&t, "\"\nenclosures: [*s");
    rep(&t, ", *s", 999);
    puts_(&t, "]\n---\n\nHello.\n");
    must_refuse("alias bomb of a 1 MB string", &t, MKL_ERR_LIMIT, "aliases (*name)");

    puts_(&t, "---\nsubject: x\n---\n\n");
    rep(&t, "lol ", (2u << 20) / 4);
    puts_(&t, "\n");
    must_refuse("a 2 MiB single line", &t, MKL_ERR_LIMIT, "line 5 is 2097152 bytes long");

    puts_(&t, "---\n---\n\n");
    rep(&t, "*a **a ", 65000);
    puts_(&t, "b");
    rep(&t, " a** a*", 65000);
    puts_(&t, "\n");
    must_refuse("130,000-deep nested emphasis", &t, MKL_ERR_LIMIT, "nested more than 32 deep");

    puts_(&t, "---\n---\n\n");
    rep(&t, "![[]()", 100000);
    puts_(&t, "\n");
    must_refuse("100,000 times '![[]()' (quadratic in cmark)", &t, MKL_ERR_LIMIT, "image openers");
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);   /* info lines stay in order with errors, even after a crash */
    mkl_options o;
    mkl_options_init(&o);
    o.font_dir = MKL_TEST_FONT_DIR;
    o.creation_time = 1582243200;
    if (mkl_renderer_new(&o, &R) != MKL_OK) {
        fprintf(stderr, "test_limits: cannot create a renderer\n");
        return 2;
    }
    test_memory();
    test_hostile();
    test_big();
    mkl_renderer_free(R);
    return check_done();
}
