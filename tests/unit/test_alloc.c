/* Allocation failures: every public entry point, with the n-th allocation of
 * the library failing for n = 0, 1, 2, ... until the call succeeds. Each
 * failing call must return MKL_ERR_NOMEM (never another status, never a crash),
 * hand back no object, leak nothing (this program runs under ASan's leak
 * checker and valgrind), and leave the renderer usable: once the call
 * succeeds its result must equal the one made without failures. Each entry
 * point runs in a child process, so that a crash is reported (with the
 * allocation that was failing) and does not hide the others.
 *
 * Only the allocations made through mkl__malloc and friends fail: the
 * library's own and libharu's (lib/pdf.c hands it that allocator); those of
 * libyaml, cmark, HarfBuzz, ICU and Fontconfig are not hooked.
 *
 * usage: test_alloc [STEP [DENSE]]   every n below DENSE (all of them unless
 *                                  given: 1,200 renders a call, 3 s under
 *                                  ASan) is tried, then n grows by STEP (7) or
 *                                  by a fortieth of n, whichever is more
 *                                  (valgrind runs "2000 40": every early
 *                                  failure and a sample of later ones)
 * MKL_TEST_NO_FORK=1 runs everything in one process (for a debugger). */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "mkletter.h"
#include "pdf.h"
#include "util.h"

static long step = 7, dense = 1L << 30;
/* The allocation being made to fail, in memory shared with the parent, so that
 * a crash can be reported with it (each entry point runs in a child process). */
static volatile long *failing;

/* The n to try after n. */
static long next_n(long n) { return n < dense ? n + 1 : n + (n / 40 > step ? n / 40 : step); }
static void fail_after(long n) {
    if (n >= 0) *failing = n;
    mkl__fail_alloc_after(n);
}
#define MAX_N 2000000L   /* no call makes this many allocations: the loop must end before */

static const char LETTER[] =
    "---\n"
    "lang: en\n"
    "date: 2020-02-21\n"
    "letterhead:\n  name: Transitional Justice Working Group\n  lines: [\"Jongno-gu, Seoul\", tjwg.org]\n"
    "to: |\n  Moon Jae-in\n  President of the Republic of Korea\n"
    "cc:\n  - |\n    Foreign Minister Kang Kyung-hwa\n    Ministry of Foreign Affairs\n"
    "subject: Open letter on \xEB\x8C\x80\xED\x95\x9C\xEB\xAF\xBC\xEA\xB5\xAD (South Korea)\n"
    "opening: President Moon,\n"
    "closing: Sincerely,\n"
    "signatures: [{name: Kim Chul, title: Director}]\n"
    "signatories:\n"
    "  - heading: Organizations\n"
    "    columns: 2\n"
    "    entries:\n"
    "      - 1969 KAL Abductees' Families Association, South Korea\n"
    "      - {name: Marzuki Darusman, note: Former UN Special Rapporteur}\n"
    "      - \xEC\x9D\xB8\xEA\xB6\x8C \xEB\x8B\xA8\xEC\xB2\xB4\n"
    "---\n"
    "\n"
    "We write about [human rights](https://example.org/rights) in \xEB\x8C\x80\xED\x95\x9C\xEB\xAF\xBC\xEA\xB5\xAD, "
    "*urgently* and **plainly**.\n"
    "\n"
    "- a point\n"
    "- another\n";

static mkl_options opts(void) {
    mkl_options o;
    mkl_options_init(&o);
    o.font_dir = MKL_TEST_FONT_DIR;
    o.creation_time = 1582243200;
    return o;
}

static int ok_or_nomem(mkl_status st) { return st == MKL_OK || st == MKL_ERR_NOMEM; }

static void test_renderer_new(void) {
    mkl_options o = opts();
    long n, tried = 0;
    int bad = 0;
    for (n = 0; n < MAX_N; n = next_n(n), tried++) {
        mkl_renderer *r = (mkl_renderer *)1;
        fail_after(n);
        mkl_status st = mkl_renderer_new(&o, &r);
        fail_after(-1);
        if (!ok_or_nomem(st) || (st && r)) {
            if (bad++ < 5) CHECK_MSG(0, "mkl_renderer_new, allocation %ld fails: %s, renderer %p", n, mkl_status_str(st), (void *)r);
        }
        if (st == MKL_OK) {
            mkl_renderer_free(r);
            break;
        }
    }
    CHECK_MSG(n < MAX_N, "mkl_renderer_new never succeeds");
    CHECK(!bad);
    printf("info: mkl_renderer_new: %ld runs, succeeds from allocation %ld on\n", tried + 1, n);
}

static void test_parse(mkl_renderer *r) {
    long n, tried = 0;
    int bad = 0;
    for (n = 0; n < MAX_N; n = next_n(n), tried++) {
        mkl_letter *l = (mkl_letter *)1;
        fail_after(n);
        mkl_status st = mkl_letter_parse(r, LETTER, sizeof LETTER - 1, "alloc.md", NULL, &l);
        fail_after(-1);
        const mkl_error *e = mkl_renderer_error(r);
        if (!ok_or_nomem(st) || (st && l) || (st && e->code != st)) {
            char msg[2048];
            mkl_error_format(e, msg, sizeof msg);
            if (bad++ < 5)
                CHECK_MSG(0, "mkl_letter_parse, allocation %ld fails: %s (%s), letter %p", n, mkl_status_str(st), msg, (void *)l);
        }
        if (st == MKL_OK) {
            mkl_letter_free(l);
            break;
        }
    }
    CHECK_MSG(n < MAX_N, "mkl_letter_parse never succeeds");
    CHECK(!bad);
    printf("info: mkl_letter_parse: %ld runs, succeeds from allocation %ld on\n", tried + 1, n);
}

/* Render `l` with r, making allocation n fail for each n; the first success must equal `ref`. */
static void test_render(mkl_renderer *r, const mkl_letter *l, const char *what, const unsigned char *ref,
                        size_t reflen) {
    long n, tried = 0;
    int bad = 0;
    for (n = 0; n < MAX_N; n = next_n(n), tried++) {
        unsigned char *pdf = (unsigned char *)1;
        size_t len = 1;
        fail_after(n);
        mkl_status st = mkl_render_to_memory(r, l, &pdf, &len);
        fail_after(-1);
        if (!ok_or_nomem(st) || (st && (pdf || len))) {
            char msg[2048];
            mkl_error_format(mkl_renderer_error(r), msg, sizeof msg);
            if (bad++ < 5)
                CHECK_MSG(0, "%s, allocation %ld fails: %s (%s)", what, n, mkl_status_str(st), msg);
        }
        if (st == MKL_OK) {
            CHECK_MSG(ref && len == reflen && !memcmp(pdf, ref, len),
                      "%s: the PDF made after %ld failed runs differs from the one made without", what, tried);
            mkl_free(pdf);
            break;
        }
    }
    CHECK_MSG(n < MAX_N, "%s never succeeds", what);
    CHECK(!bad);
    printf("info: %s: %ld runs, succeeds from allocation %ld on\n", what, tried + 1, n);
}

/* Build a letter in code; every call must give MKL_OK or MKL_ERR_NOMEM, and
 * after the first failure every call (sticky) the same. Returns the status. */
static mkl_status build(mkl_renderer *r, mkl_letter **out, int *bad, long n) {
    mkl_letter *l = (mkl_letter *)1;
    mkl_status st = mkl_letter_new(r, &l);
    if (st) {
        if (st != MKL_ERR_NOMEM || l) {
            if ((*bad)++ < 5) CHECK_MSG(0, "mkl_letter_new, allocation %ld fails: %s", n, mkl_status_str(st));
        }
        *out = NULL;
        return st;
    }
    mkl_status s[32];
    int k = 0;
    s[k++] = mkl_letter_set(l, MKL_FIELD_LANG, "en");
    s[k++] = mkl_letter_set(l, MKL_FIELD_PAPER, "letter");
    s[k++] = mkl_letter_set(l, MKL_FIELD_DATE, "2020-02-21");
    s[k++] = mkl_letter_set(l, MKL_FIELD_LETTERHEAD, "Transitional Justice Working Group");
    s[k++] = mkl_letter_add_line(l, MKL_FIELD_LETTERHEAD, "Seoul");
    s[k++] = mkl_letter_set(l, MKL_FIELD_TO, "Moon Jae-in\nPresident");
    s[k++] = mkl_letter_add_line(l, MKL_FIELD_TO, "Cheong Wa Dae");
    s[k++] = mkl_letter_add_cc(l, "Kang Kyung-hwa\nMinistry of Foreign Affairs");
    s[k++] = mkl_letter_set(l, MKL_FIELD_SUBJECT, "\xEB\x8C\x80\xED\x95\x9C\xEB\xAF\xBC\xEA\xB5\xAD");
    s[k++] = mkl_letter_set(l, MKL_FIELD_OPENING, "Dear President,");
    s[k++] = mkl_letter_add_paragraph(l);
    s[k++] = mkl_letter_add_text(l, "We write about ", 0, NULL);
    s[k++] = mkl_letter_add_text(l, "human rights", MKL_TEXT_BOLD, "https://example.org");
    s[k++] = mkl_letter_add_text(l, " in \xEB\x8C\x80\xED\x95\x9C\xEB\xAF\xBC\xEA\xB5\xAD.\nA new line.", MKL_TEXT_ITALIC, NULL);
    s[k++] = mkl_letter_add_paragraph(l);
    s[k++] = mkl_letter_add_text(l, "Second paragraph.", 0, NULL);
    s[k++] = mkl_letter_set(l, MKL_FIELD_CLOSING, "Sincerely,");
    s[k++] = mkl_letter_add_signature(l, "Kim Chul", "Director", NULL);
    s[k++] = mkl_letter_add_group(l, "Organizations", 2);
    s[k++] = mkl_letter_add_entry(l, "One", NULL);
    s[k++] = mkl_letter_add_entry(l, "Two", "a note");
    s[k++] = mkl_letter_add_entry(l, "\xEC\x9D\xB8\xEA\xB6\x8C", NULL);
    s[k++] = mkl_letter_add_line(l, MKL_FIELD_ENCLOSURES, "Report");
    s[k++] = mkl_letter_set(l, MKL_FIELD_PS, "P.S.");
    mkl_status first = MKL_OK;
    for (int i = 0; i < k; i++) {
        if (!ok_or_nomem(s[i]) || (first && s[i] != first)) {
            if ((*bad)++ < 5)
                CHECK_MSG(0, "building, allocation %ld fails: call %d gives %s after %s", n, i, mkl_status_str(s[i]),
                          mkl_status_str(first));
        }
        if (!first) first = s[i];
    }
    mkl_status ls = mkl_letter_status(l);
    if (ls != first || (ls && mkl_letter_error(l)->code != ls)) {
        if ((*bad)++ < 5) CHECK_MSG(0, "building, allocation %ld fails: status %s, first failure %s", n, mkl_status_str(ls),
                                    mkl_status_str(first));
    }
    *out = l;
    return ls;
}

static void test_build(mkl_renderer *r, const unsigned char *ref, size_t reflen) {
    long n, tried = 0;
    int bad = 0;
    mkl_letter *l = NULL;
    for (n = 0; n < MAX_N; n = next_n(n), tried++) {
        fail_after(n);
        mkl_status st = build(r, &l, &bad, n);
        fail_after(-1);
        if (st == MKL_OK) break;
        mkl_letter_free(l);
        l = NULL;
    }
    CHECK_MSG(n < MAX_N, "building a letter never succeeds");
    CHECK(!bad);
    printf("info: mkl_letter_new and building calls: %ld runs, succeed from allocation %ld on\n", tried + 1, n);
    if (l) {
        /* the letter built after failures renders like the one built without */
        unsigned char *pdf = NULL;
        size_t len = 0;
        CHECK(mkl_render_to_memory(r, l, &pdf, &len) == MKL_OK);
        CHECK_MSG(ref && len == reflen && pdf && !memcmp(pdf, ref, len), "the letter built after failures renders differently");
        mkl_free(pdf);
        test_render(r, l, "mkl_render_to_memory (built letter)", ref, reflen);
        mkl_letter_free(l);
    }
}

/* The reference PDFs: made by a fresh renderer without failures. */
static unsigned char *reference(int built, size_t *len) {
    mkl_options o = opts();
    mkl_renderer *r = NULL;
    mkl_letter *l = NULL;
    unsigned char *pdf = NULL;
    *len = 0;
    int bad = 0;
    if (mkl_renderer_new(&o, &r)) return NULL;
    mkl_status st = built ? build(r, &l, &bad, -1) : mkl_letter_parse(r, LETTER, sizeof LETTER - 1, "alloc.md", NULL, &l);
    if (!st) st = mkl_render_to_memory(r, l, &pdf, len);
    if (st) {
        char msg[2048];
        mkl_error_format(mkl_renderer_error(r), msg, sizeof msg);
        CHECK_MSG(0, "the reference letter does not render: %s", msg);
    }
    mkl_letter_free(l);
    mkl_renderer_free(r);
    return pdf;
}

/* Run `fn` in a child process: a crash or an abort there is reported with the
 * allocation that was failing, and the other entry points still run. */
static void isolated(const char *what, void (*fn)(void)) {
    *failing = -1;
    if (getenv("MKL_TEST_NO_FORK")) {   /* for a debugger: everything in one process */
        fn();
        return;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(300);   /* a call that loops forever after a failure is a bug too */
        fn();
        exit(check_failed ? 1 : 0);   /* exit(), not _exit(): leak checkers run at exit */
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        CHECK_MSG(0, "%s: cannot run a child process", what);
        return;
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        CHECK_MSG(0, "%s: still running after 300 s (a loop?) while allocation %ld was failing", what, *failing);
    else if (WIFSIGNALED(status))
        CHECK_MSG(0, "%s: crashed (signal %d) while allocation %ld was failing", what, WTERMSIG(status), *failing);
    else
        CHECK_MSG(WEXITSTATUS(status) == 0, "%s: failed (exit %d; the failures are above)", what, WEXITSTATUS(status));
}

static unsigned char *ref, *bref;
static size_t reflen, breflen;

static mkl_renderer *new_renderer(void) {
    mkl_options o = opts();
    mkl_renderer *r = NULL;
    if (mkl_renderer_new(&o, &r)) {
        fprintf(stderr, "test_alloc: cannot create a renderer\n");
        exit(2);
    }
    return r;
}

static void run_parse(void) {
    mkl_renderer *r = new_renderer();
    test_parse(r);
    mkl_renderer_free(r);
}

static void run_render(void) {
    mkl_renderer *r = new_renderer();
    mkl_letter *l = NULL;
    CHECK(mkl_letter_parse(r, LETTER, sizeof LETTER - 1, "alloc.md", NULL, &l) == MKL_OK);
    /* with a renderer that has not loaded any font yet, then again with its fonts cached */
    if (l) test_render(r, l, "mkl_render_to_memory (fresh renderer)", ref, reflen);
    if (l) test_render(r, l, "mkl_render_to_memory (fonts cached)", ref, reflen);
    mkl_letter_free(l);
    mkl_renderer_free(r);
}

/* The same letter with its page content deflated while it waits for the
 * fonts (what a combined batch of many copies does). */
static void run_render_deflated(void) {
    mkl__pdf_keep_raw = 0;
    mkl_renderer *r = new_renderer();
    mkl_letter *l = NULL;
    CHECK(mkl_letter_parse(r, LETTER, sizeof LETTER - 1, "alloc.md", NULL, &l) == MKL_OK);
    if (l) test_render(r, l, "mkl_render_to_memory (content deflated while waiting)", ref, reflen);
    mkl_letter_free(l);
    mkl_renderer_free(r);
}

/* Files written all or nothing: under any failed allocation the folder holds
 * no file at all (no temporary one either); once it succeeds, both files are
 * the reference PDF. mkl_letter_check beside it: OK or NOMEM, never else. */
static size_t folder_entries(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

static int file_is(const char *path, const unsigned char *want, size_t len) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char *buf = malloc(len + 1);
    size_t got = buf ? fread(buf, 1, len + 1, f) : 0;
    fclose(f);
    int same = buf && got == len && !memcmp(buf, want, len);
    free(buf);
    return same;
}

static void run_fileset(void) {
    mkl_renderer *r = new_renderer();
    mkl_letter *l = NULL;
    char dir[] = "/tmp/mkl-alloc-XXXXXX", a[64], b[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(a, sizeof a, "%s/a.pdf", dir);
    snprintf(b, sizeof b, "%s/b.pdf", dir);
    CHECK(mkl_letter_parse(r, LETTER, sizeof LETTER - 1, "alloc.md", NULL, &l) == MKL_OK);
    long n, tried = 0;
    int bad = 0;
    for (n = 0; l && n < MAX_N; n = next_n(n), tried++) {
        mkl_fileset *s = NULL;
        fail_after(n);
        mkl_status st = mkl_fileset_new(r, &s);
        if (!st) st = mkl_fileset_add(s, l, a);
        if (!st) st = mkl_fileset_add(s, l, b);
        if (!st) st = mkl_fileset_commit(s);
        mkl_fileset_free(s);
        mkl_status cst = mkl_letter_check(r, l);
        fail_after(-1);
        if (!ok_or_nomem(st) || !ok_or_nomem(cst) || (st && folder_entries(dir))) {
            if (bad++ < 5)
                CHECK_MSG(0, "file set, allocation %ld fails: %s / check %s, %zu files left", n, mkl_status_str(st),
                          mkl_status_str(cst), folder_entries(dir));
        }
        if (st == MKL_OK && cst == MKL_OK) {
            CHECK_MSG(file_is(a, ref, reflen) && file_is(b, ref, reflen) && folder_entries(dir) == 2,
                      "the files made after %ld failed runs are not the reference PDF", tried);
            break;
        }
    }
    CHECK_MSG(n < MAX_N, "a file set never succeeds");
    CHECK(!bad);
    printf("info: mkl_fileset_*: %ld runs, succeeds from allocation %ld on\n", tried + 1, n);
    unlink(a);
    unlink(b);
    rmdir(dir);
    mkl_letter_free(l);
    mkl_renderer_free(r);
}

static void run_build(void) {
    mkl_renderer *r = new_renderer();
    test_build(r, bref, breflen);
    mkl_renderer_free(r);
}

/* Signing: mkl_signer_load and a signed render (an RSA key, so the same
 * letter signs to the same bytes), made with the openssl command. */
static void run_sign(void) {
    char dir[] = "/tmp/mkl-alloc-sign-XXXXXX", cmd[1024], key[128], cert[128];
    if (!mkdtemp(dir)) {
        CHECK_MSG(0, "cannot make a folder for the signing key");
        return;
    }
    snprintf(key, sizeof key, "%s/k.pem", dir);
    snprintf(cert, sizeof cert, "%s/c.pem", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 -subj /CN=alloc "
             "-addext keyUsage=critical,digitalSignature >/dev/null 2>&1", key, cert);
    CHECK_MSG(system(cmd) == 0, "openssl makes a signing key (scripts/deps installs it)");
    mkl_signer *s = NULL;
    long n, tried = 0;
    int bad = 0;
    for (n = 0; n < MAX_N; n = next_n(n), tried++) {
        mkl_error e;
        s = (mkl_signer *)1;
        fail_after(n);
        mkl_status st = mkl_signer_load(key, cert, NULL, &s, &e);
        fail_after(-1);
        if (!ok_or_nomem(st) || (st && s)) {
            if (bad++ < 5) CHECK_MSG(0, "mkl_signer_load, allocation %ld fails: %s (%s)", n, mkl_status_str(st), e.message);
        }
        if (st == MKL_OK) break;
    }
    CHECK(!bad && s);
    printf("info: mkl_signer_load: %ld runs, succeeds from allocation %ld on\n", tried + 1, n);
    unlink(key);
    unlink(cert);
    rmdir(dir);
    if (!s) return;
    mkl_options o = opts();
    o.signer = s;
    mkl_renderer *r = NULL;
    mkl_letter *l = NULL;
    unsigned char *sref = NULL;
    size_t sreflen = 0;
    CHECK(mkl_renderer_new(&o, &r) == MKL_OK);
    if (r) {
        CHECK(mkl_letter_parse(r, LETTER, sizeof LETTER - 1, "alloc.md", NULL, &l) == MKL_OK);
        CHECK(l && mkl_render_to_memory(r, l, &sref, &sreflen) == MKL_OK);
        CHECK(sref && sreflen > reflen + 1000);   /* the signature is there: the CMS alone is over 1 KB */
        if (sref) test_render(r, l, "mkl_render_to_memory (signed)", sref, sreflen);
    }
    mkl_free(sref);
    mkl_letter_free(l);
    mkl_renderer_free(r);
    mkl_signer_free(s);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);   /* info lines stay in order with errors, even after a crash */
    if (argc > 1) step = strtol(argv[1], NULL, 10);
    if (argc > 2) dense = strtol(argv[2], NULL, 10);
    if (step < 1) step = 1;
    failing = mmap(NULL, sizeof *failing, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (failing == MAP_FAILED) {
        perror("test_alloc: mmap");
        return 2;
    }
    ref = reference(0, &reflen);
    bref = reference(1, &breflen);
    CHECK(ref && bref);

    isolated("mkl_renderer_new", test_renderer_new);
    isolated("mkl_letter_parse", run_parse);
    isolated("mkl_render_to_memory", run_render);
    isolated("mkl_letter_new and building", run_build);
    isolated("mkl_render_to_memory, content deflated", run_render_deflated);
    isolated("mkl_fileset_* and mkl_letter_check", run_fileset);
    isolated("mkl_signer_load and a signed render", run_sign);

    mkl_free(ref);
    mkl_free(bref);
    munmap((void *)failing, sizeof *failing);
    return check_done();
}
