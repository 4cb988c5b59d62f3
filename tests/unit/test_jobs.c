/* test_jobs.c - a combined file deflated on several threads
 * (mkl_batch_set_jobs): the arguments it takes, the threads it starts (and
 * joins), and the same bytes for every number of them, with copies whose
 * rows bring new glyphs (Hangul names) and a failing copy that leaves no file. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "mkletter.h"
#include "util.h"

/* Threads of this process named `name` (from /proc). */
static int named(const char *name) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[300], comm[32] = {0};
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = e->d_name[0] != '.' ? fopen(path, "r") : NULL;
        if (f && fgets(comm, sizeof comm, f) && !strncmp(comm, name, strlen(name))) n++;
        if (f) fclose(f);
    }
    if (d) closedir(d);
    return n;
}

/* This thread and the batches' deflating threads. */
static int threads(void) { return 1 + named("mkl-deflate"); }

static const char *LETTER =
    "---\nsubject: Notice {{n}}\nto: |\n  {{name}}\n  Seoul\nopening: \"Dear {{name}},\"\n---\n\n"
    "We write to you, {{name}}, about the [notice](https://example.org/{{n}}).\n\n"
    "## Details\n\nA second paragraph, so that a copy has some text to deflate.\n";

typedef struct Row { char n[16], name[64]; } Row;

static const char *get(void *user, const char *name) {
    Row *r = user;
    return !strcmp(name, "n") ? r->n : !strcmp(name, "name") ? r->name : NULL;
}

/* A whole file (NULL if it cannot be read), as the library reads one. */
static char *slurp(const char *path, size_t *len) {
    char *s = NULL;
    return mkl__read_file(path, (size_t)1 << 30, "PDF", &s, len, NULL) == MKL_OK ? s : NULL;
}

/* What a writer callback was handed: the bytes, the pieces, the largest;
 * `fail_at`: the piece it fails (0: none). */
typedef struct Got { mkl_buf all; int pieces, fail_at; size_t largest; } Got;

static int collect(void *user, const unsigned char *data, size_t len) {
    Got *g = user;
    if (++g->pieces == g->fail_at) return 1;
    mkl__buf_add(&g->all, (const char *)data, len);
    if (len > g->largest) g->largest = len;
    return 0;
}

/* A combined file of `copies` copies made with `jobs` threads into `path`
 * (or, when `spooled` is not NULL, spooled and handed to it by
 * mkl_batch_write); the copy `bad` (or none: -1) has a character no font
 * has. Returns the status of the whole; *during: the threads while copies
 * were added. */
static mkl_status combined_to(int jobs, int copies, int bad, const char *path, Got *spooled, int *during) {
    mkl_options o;
    mkl_options_init(&o);
    o.font_dir = MKL_TEST_FONT_DIR;
    o.creation_time = 1600000000;   /* (not now: the two files are made seconds apart) */
    mkl_renderer *r = NULL;
    mkl_letter *tmpl = NULL;
    mkl_batch *b = NULL;
    mkl_fileset *s = NULL;
    mkl_status st = mkl_renderer_new(&o, &r);
    if (!st) st = mkl_letter_parse(r, LETTER, strlen(LETTER), "jobs.md", NULL, &tmpl);
    if (!st) st = mkl_fileset_new(r, &s);
    if (!st) st = mkl_batch_new(r, 0, &b);
    if (!st) st = mkl_batch_set_jobs(b, jobs);
    if (!st) st = spooled ? mkl_batch_spool(b) : mkl_fileset_stream_batch(s, b, path);
    *during = 0;
    for (int i = 0; i < copies && !st; i++) {
        Row row;
        snprintf(row.n, sizeof row.n, "%d", i + 1);
        /* a new Hangul syllable in every copy: glyphs the earlier copies did not draw */
        char syl[4] = {(char)(0xEA + (i * 37 % 3)), (char)(0xB0 + (i * 13 % 16)), (char)(0x80 + (i * 7 % 64)), 0};
        snprintf(row.name, sizeof row.name, i == bad ? "Bad \xF4\x8F\xBF\xBD" : "Person %d %s", i + 1, syl);
        mkl_letter *l = NULL;
        st = mkl_letter_fill(r, tmpl, get, &row, &l);
        if (!st) st = mkl_batch_add(b, l);
        mkl_letter_free(l);
        if (!st && threads() > *during) *during = threads();
    }
    if (!st) st = spooled ? mkl_batch_write(b, collect, spooled) : mkl_fileset_add_batch(s, b, path);
    if (!st) CHECK_MSG(threads() == 1, "the batch's threads are joined once it is written: %d left", threads());
    if (!st && !spooled) st = mkl_fileset_commit(s);
    mkl_fileset_free(s);
    mkl_batch_free(b);
    mkl_letter_free(tmpl);
    mkl_renderer_free(r);
    CHECK(threads() == 1);
    return st;
}

static mkl_status combined(int jobs, int copies, int bad, const char *path, int *during) {
    return combined_to(jobs, copies, bad, path, NULL, during);
}

/* mkl_batch_spool: before the first copy only; the writer gets the bytes of
 * the file streamed to a file set, in pieces of at most 1 MiB, with the
 * threads of mkl_batch_set_jobs; a writer that fails is MKL_ERR_WRITE. */
static void test_spool(const char *streamed, size_t streamed_len) {
    mkl_renderer *r = NULL;
    mkl_batch *b = NULL;
    mkl_letter *l = NULL;
    const char *t = "---\nto: A\n---\n\nHello.\n";
    CHECK(mkl_batch_spool(NULL) == MKL_ERR_ARGUMENT);
    CHECK(mkl_renderer_new(NULL, &r) == MKL_OK && mkl_batch_new(r, 0, &b) == MKL_OK);
    CHECK(mkl_letter_parse(r, t, strlen(t), "t.md", NULL, &l) == MKL_OK && mkl_batch_add(b, l) == MKL_OK);
    CHECK(mkl_batch_spool(b) == MKL_ERR_ARGUMENT && strstr(mkl_renderer_error(r)->message, "it is spooled before"));
    mkl_letter_free(l);
    mkl_batch_free(b);
    mkl_renderer_free(r);
    Got got = {0};
    int during = 0;
    CHECK(combined_to(3, 40, -1, NULL, &got, &during) == MKL_OK);
    CHECK_MSG(during == 3, "spooled, three jobs: two threads beside this one (%d)", during);
    CHECK_MSG(got.all.n == streamed_len && !memcmp(got.all.s, streamed, streamed_len),
              "spooled: the writer gets the bytes of the file streamed to a file set (%zu and %zu bytes)", got.all.n,
              streamed_len);
    mkl__buf_free(&got.all);
    /* 1,500 copies, some 1.7 MB: more than the spool's piece */
    Got big = {0};
    CHECK(combined_to(1, 1500, -1, NULL, &big, &during) == MKL_OK);
    CHECK_MSG(big.pieces >= 2 && big.largest <= ((size_t)1 << 20) && big.all.n > ((size_t)1 << 20),
              "in pieces of at most 1 MiB (%d, the largest %zu, %zu in all)", big.pieces, big.largest, big.all.n);
    mkl__buf_free(&big.all);
    for (int at = 1; at <= 2; at++) {
        Got failing = {.fail_at = at};
        CHECK_MSG(combined_to(1, 1500, -1, NULL, &failing, &during) == MKL_ERR_WRITE, "a writer failing piece %d", at);
        mkl__buf_free(&failing.all);
    }
}

static void test_arguments(void) {
    mkl_renderer *r = NULL;
    mkl_batch *b = NULL;
    CHECK(mkl_batch_set_jobs(NULL, 2) == MKL_ERR_ARGUMENT);
    CHECK(mkl_renderer_new(NULL, &r) == MKL_OK && mkl_batch_new(r, 0, &b) == MKL_OK);
    /* refused with what the renderer's error says (the CLI prints it) */
    CHECK(mkl_batch_set_jobs(b, 0) == MKL_ERR_ARGUMENT && strstr(mkl_renderer_error(r)->message, "0 threads for a batch: from 1 to"));
    CHECK(mkl_batch_set_jobs(b, MKL_BATCH_MAX_JOBS + 1) == MKL_ERR_ARGUMENT &&
          strstr(mkl_renderer_error(r)->message, "threads for a batch: from 1 to"));
    CHECK(mkl_batch_set_jobs(b, 1) == MKL_OK);
    CHECK(mkl_batch_set_jobs(b, MKL_BATCH_MAX_JOBS) == MKL_OK);
    /* a batch made whole (no file set streams it) starts no thread */
    mkl_letter *l = NULL;
    const char *t = "---\nto: A\n---\n\nHello.\n";
    CHECK(mkl_letter_parse(r, t, strlen(t), "t.md", NULL, &l) == MKL_OK && mkl_batch_add(b, l) == MKL_OK);
    CHECK(threads() == 1);
    CHECK(mkl_batch_set_jobs(b, 2) == MKL_ERR_ARGUMENT &&   /* it has copies already */
          strstr(mkl_renderer_error(r)->message, "the batch has copies already"));
    mkl_letter_free(l);
    mkl_batch_free(b);
    mkl_renderer_free(r);
}

/* A combined file of the rows of `csv` (mkl_batch_add_row) with `jobs`
 * threads into `path`; the error's message into `msg`; *layout: the layout
 * threads seen. */
static mkl_status combined_rows(int jobs, const char *csv, const char *path, char *msg, size_t size, int *layout) {
    mkl_options o;
    mkl_options_init(&o);
    o.font_dir = MKL_TEST_FONT_DIR;
    o.creation_time = 1600000000;
    mkl_renderer *r = NULL;
    mkl_letter *tmpl = NULL, *other = NULL;
    mkl_data *d = NULL;
    mkl_batch *b = NULL;
    mkl_fileset *s = NULL;
    mkl_status st = mkl_renderer_new(&o, &r);
    if (!st) st = mkl_letter_parse(r, LETTER, strlen(LETTER), "rows.md", NULL, &tmpl);
    if (!st) st = mkl_letter_parse(r, LETTER, strlen(LETTER), "other.md", NULL, &other);
    if (!st) st = mkl_data_load(r, csv, &d);
    if (!st) st = mkl_fileset_new(r, &s);
    if (!st) st = mkl_batch_new(r, 0, &b);
    if (!st) st = mkl_batch_set_jobs(b, jobs);
    if (!st) st = mkl_fileset_stream_batch(s, b, path);
    *layout = 0;
    for (size_t i = 0; !st && i < mkl_data_rows(d); i++) {
        st = mkl_batch_add_row(b, tmpl, d, i);
        if (named("mkl-layout") > *layout) *layout = named("mkl-layout");
        if (!st && i == 2 && jobs > 1) {
            /* rows ahead: one letter and one data file, and no mkl_batch_add meanwhile */
            CHECK(mkl_batch_add_row(b, other, d, 3) == MKL_ERR_ARGUMENT);
            CHECK(mkl_batch_add(b, tmpl) == MKL_ERR_ARGUMENT);
            CHECK(mkl_batch_set_jobs(b, 2) == MKL_ERR_ARGUMENT);
        }
    }
    if (!st) st = mkl_fileset_add_batch(s, b, path);
    if (!st) CHECK_MSG(named("mkl-layout") == 0, "the layout thread is joined once the batch is written");
    if (!st) st = mkl_fileset_commit(s);
    snprintf(msg, size, "%s", st ? mkl_renderer_error(r)->message : "");
    mkl_fileset_free(s);
    mkl_batch_free(b);
    CHECK(named("mkl-layout") == 0 && threads() == 1);
    mkl_data_free(d);
    mkl_letter_free(tmpl);
    mkl_letter_free(other);
    mkl_renderer_free(r);
    return st;
}

static void test_rows(const char *dir) {
    char csv[96], bad[96], p1[96], p3[96], pb[96], m1[1024], m3[1024];
    snprintf(csv, sizeof csv, "%s/rows.csv", dir);
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    snprintf(p1, sizeof p1, "%s/r1.pdf", dir);
    snprintf(p3, sizeof p3, "%s/r3.pdf", dir);
    snprintf(pb, sizeof pb, "%s/rbad.pdf", dir);
    FILE *f = fopen(csv, "w"), *g = fopen(bad, "w");
    if (!f || !g) return;
    fputs("n,name\n", f);
    fputs("n,name\n", g);
    for (int i = 1; i <= 30; i++) {
        /* a new Hangul syllable in every row */
        fprintf(f, "%d,Person %d \xEB%c%c\n", i, i, (char)(0xB0 + i % 16), (char)(0x80 + i * 7 % 64));
        fprintf(g, i == 20 ? "%d,Bad \xF4\x8F\xBF\xBD\n" : "%d,Person %d\n", i, i);
    }
    fclose(f);
    fclose(g);
    int lay1 = 0, lay3 = 0, layb = 0;
    CHECK(combined_rows(1, csv, p1, m1, sizeof m1, &lay1) == MKL_OK);
    CHECK(combined_rows(3, csv, p3, m3, sizeof m3, &lay3) == MKL_OK);
    CHECK_MSG(lay1 == 0 && lay3 == 1, "rows laid out ahead by one thread with 3 jobs, none with 1 (%d, %d)", lay1, lay3);
    size_t n1 = 0, n3 = 0;
    char *a = slurp(p1, &n1), *c = slurp(p3, &n3);
    CHECK_MSG(a && c && n1 > 10000 && n1 == n3 && !memcmp(a, c, n1), "rows: -j 3 writes the bytes of -j 1 (%zu, %zu)", n1, n3);
    free(a);
    free(c);
    /* row 20 fails: the same error with 1 and 3 jobs, no file */
    CHECK(combined_rows(1, bad, pb, m1, sizeof m1, &layb) == MKL_ERR_FONT);
    CHECK(combined_rows(3, bad, pb, m3, sizeof m3, &layb) == MKL_ERR_FONT);
    CHECK_MSG(strstr(m1, "row 20 (") && !strcmp(m1, m3), "the failing row's error, the same with 3 jobs: '%s' and '%s'", m1, m3);
    struct stat sb;
    CHECK_MSG(stat(pb, &sb) != 0, "a failing row leaves no file");
    unlink(csv);
    unlink(bad);
    unlink(p1);
    unlink(p3);
}

int main(void) {
    test_arguments();
    char dir[] = "/tmp/mkl-jobs-XXXXXX";
    if (!mkdtemp(dir)) return 2;
    test_rows(dir);
    char p1[64], p3[64], pb[64];
    snprintf(p1, sizeof p1, "%s/j1.pdf", dir);
    snprintf(p3, sizeof p3, "%s/j3.pdf", dir);
    snprintf(pb, sizeof pb, "%s/bad.pdf", dir);
    int during1 = 0, during3 = 0, during_bad = 0;
    CHECK(combined(1, 40, -1, p1, &during1) == MKL_OK);
    CHECK(combined(3, 40, -1, p3, &during3) == MKL_OK);
    CHECK_MSG(during1 == 1, "one job: no other thread (%d)", during1);
    CHECK_MSG(during3 == 3, "three jobs: two threads beside this one (%d)", during3);
    size_t n1 = 0, n3 = 0;
    char *a = slurp(p1, &n1), *c = slurp(p3, &n3);
    CHECK_MSG(a && c && n1 > 10000 && n1 == n3 && !memcmp(a, c, n1), "-j 3 writes the bytes of -j 1 (%zu and %zu bytes)", n1, n3);
    if (a) test_spool(a, n1);
    free(a);
    free(c);
    /* copy 30 of 40 fails, with streams of the copies before it still being deflated: no file */
    CHECK(combined(3, 40, 29, pb, &during_bad) == MKL_ERR_FONT);
    struct stat sb;
    CHECK_MSG(stat(pb, &sb) != 0, "a failed batch leaves no file");
    DIR *d = opendir(dir);
    int left = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "j1.pdf") && strcmp(e->d_name, "j3.pdf"))
            left++;
    if (d) closedir(d);
    CHECK_MSG(left == 0, "no other file, temporary or not, is left (%d)", left);
    unlink(p1);
    unlink(p3);
    rmdir(dir);
    return check_done();
}
