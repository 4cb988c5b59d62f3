/* Unit tests of how the library treats the user's files: only regular files
 * are read, each opened without blocking and never read past its limit; a
 * font folder is scanned in near-linear time and its non-regular files are
 * skipped; paths are never shortened; messages show control characters and
 * invalid bytes escaped. Every test that could block runs under alarm(): a
 * FIFO that blocks fails the test instead of hanging it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "font.h"
#include "image.h"
#include "mkletter.h"
#include "util.h"

static char dir[] = "/tmp/mkl-inputs-XXXXXX";

static const char *in_dir(const char *name) {
    static char paths[8][512];
    static int k;
    char *p = paths[k++ % 8];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static double now(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec / 1e6;
}

/* The CPU time this process has used: what a scan costs, however busy the
 * machine is (a wall clock on a loaded machine measures the other jobs). */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(2); }
    fputs(text, f);
    fclose(f);
}

/* A FIFO, a device, a folder: refused at once with what it is, never read. */
static void test_not_regular(void) {
    const char *fifo = in_dir("pipe.png");
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK(mkdir(in_dir("folder.png"), 0700) == 0);
    struct { const char *path, *says; } cases[] = {
        {fifo, "cannot read: a FIFO (named pipe); only regular files are read"},
        {"/dev/zero", "cannot read: a character device; only regular files are read"},
        {"/dev/null", "cannot read: a character device"},
        {in_dir("folder.png"), "cannot read: Is a directory"},
        {in_dir("missing.png"), "cannot open: No such file or directory"},
        {"", "the image's file name is empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mkl_image im;
        mkl_error e = {0};
        alarm(10);
        double t0 = now();
        mkl_status st = mkl__image_load(cases[i].path, &im, &e);
        double dt = now() - t0;
        alarm(0);
        CHECK_MSG(st == MKL_ERR_READ && strstr(e.message, cases[i].says) && !strcmp(e.file, cases[i].path),
                  "%s: status %d, %s: %s", cases[i].path, (int)st, e.file, e.message);
        CHECK_MSG(dt < 0.5, "%s: %.2f s", cases[i].path, dt);
    }
    /* the letter and the data file the same way */
    mkl_renderer *r;
    CHECK(mkl_renderer_new(NULL, &r) == MKL_OK);
    mkl_letter *l = NULL;
    alarm(10);
    CHECK(mkl_letter_parse_file(r, fifo, &l) == MKL_ERR_READ && !l);
    CHECK_MSG(strstr(mkl_renderer_error(r)->message, "FIFO"), "%s", mkl_renderer_error(r)->message);
    mkl_data *d = NULL;
    CHECK(mkl_data_load(r, fifo, &d) == MKL_ERR_READ && !d);
    CHECK_MSG(strstr(mkl_renderer_error(r)->message, "FIFO"), "%s", mkl_renderer_error(r)->message);
    CHECK(mkl_data_load(r, "/dev/zero", &d) == MKL_ERR_READ && !d);
    alarm(0);
    mkl_renderer_free(r);
    unlink(fifo);
    rmdir(in_dir("folder.png"));
}

/* Limits are kept before reading: a file over its limit is refused by its size. */
static void test_limits(void) {
    const char *big = in_dir("big.png");
    int fd = open(big, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)MKL_IMAGE_MAX_FILE + 1) == 0);   /* sparse: nothing written */
    if (fd >= 0) close(fd);
    mkl_image im;
    mkl_error e = {0};
    double t0 = now();
    CHECK(mkl__image_load(big, &im, &e) == MKL_ERR_LIMIT);
    CHECK_MSG(strstr(e.message, "the image is 67108865 bytes (64.0 MiB); an image may be at most 64 MiB"), "%s",
              e.message);
    CHECK(now() - t0 < 0.5);
    unlink(big);
    /* reading stops at the limit */
    char *data;
    size_t len;
    const char *small = in_dir("small.txt");
    write_text(small, "0123456789");
    CHECK(mkl__read_file(small, 10, "file", &data, &len, &e) == MKL_OK && len == 10 && data[10] == 0);
    mkl__free(data);
    CHECK(mkl__read_file(small, 9, "data file", &data, &len, &e) == MKL_ERR_LIMIT && !data);
    CHECK_MSG(strstr(e.message, "the data file is 10 bytes"), "%s", e.message);
    /* a file whose size says nothing (0 in /proc) is held to the limit while it is read */
    CHECK(mkl__read_file("/proc/self/status", 9, "file", &data, &len, &e) == MKL_ERR_LIMIT && !data);
    CHECK_MSG(strstr(e.message, "grew past 9 bytes"), "%s", e.message);
    CHECK(mkl__read_file("/proc/self/status", 1 << 20, "file", &data, &len, &e) == MKL_OK && len > 9);
    mkl__free(data);
    write_text(small, "");
    CHECK(mkl__read_file(small, 9, "file", &data, &len, &e) == MKL_OK && len == 0 && data && !data[0]);
    mkl__free(data);
    unlink(small);
}

/* A path that does not fit is an error naming it, never a shorter path. */
static void test_long_paths(void) {
    char path[6000];
    memset(path, 'a', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = 0;
    mkl_image im;
    mkl_error e = {0};
    CHECK(mkl__image_load(path, &im, &e) == MKL_ERR_READ);
    CHECK_MSG(strstr(e.message, "the path is 5999 bytes long; a path may be at most 4095 bytes"), "%s", e.message);
    /* an image named by a letter, in a folder: the joined path is checked */
    mkl_renderer *r;
    CHECK(mkl_renderer_new(NULL, &r) == MKL_OK);
    char text[8000];
    memset(path, 'b', 4090);
    path[4090] = 0;   /* under the limit alone, over it once joined to the letter's folder */
    snprintf(text, sizeof text, "---\nsignatures: [{name: A, image: %s.png}]\n---\n\nHi.\n", path);
    mkl_letter *l = NULL;
    CHECK(mkl_letter_parse(r, text, strlen(text), "long.md", "/tmp/some/folder/", &l) == MKL_OK);
    unsigned char *pdf = NULL;
    size_t plen = 0;
    CHECK(l && mkl_render_to_memory(r, l, &pdf, &plen) == MKL_ERR_IMAGE);
    const mkl_error *re = mkl_renderer_error(r);
    CHECK_MSG(re->line == 2 && strstr(re->message, "bbbbbbbb...': the path is 4111 bytes long"), "%d: %s", re->line,
              re->message);
    mkl_free(pdf);
    mkl_letter_free(l);
    mkl_renderer_free(r);
}

/* 40,000 files in a font folder (one of them a FIFO named like a font, one a
 * folder, one a link to a real font): scanned in well under a second. */
static void test_font_folder(void) {
    char fdir[600];
    snprintf(fdir, sizeof fdir, "%s/fonts", dir);
    CHECK(mkdir(fdir, 0700) == 0);
    char p[700];
    for (int i = 0; i < 40000; i++) {
        /* names in an order the directory does not keep */
        snprintf(p, sizeof p, "%s/f%05d.ttf", fdir, (i * 7919) % 40000);
        int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
        if (fd < 0) { CHECK(fd >= 0); break; }
        CHECK(write(fd, "not a font", 10) == 10);
        close(fd);
    }
    snprintf(p, sizeof p, "%s/aaa-pipe.ttf", fdir);
    CHECK(mkfifo(p, 0600) == 0);
    snprintf(p, sizeof p, "%s/folder.ttf", fdir);
    CHECK(mkdir(p, 0700) == 0);
    snprintf(p, sizeof p, "%s/zz-link.ttf", fdir);
    CHECK(symlink(MKL_TEST_FONT_DIR "/LiberationSerif-Bold.ttf", p) == 0);

    const char *dirs[] = {fdir};
    mkl_fontdb *db;
    mkl_error e = {0};
    CHECK(mkl__fontdb_new(dirs, 1, &db, &e) == MKL_OK);
    mkl_face *f = NULL;
    alarm(30);
    double t0 = cpu_now();
    CHECK(mkl__fontdb_find(db, "Liberation Serif", 1, 0, &f, &e) == MKL_OK);
    double dt = cpu_now() - t0;
    alarm(0);
    printf("font folder of 40,003 files scanned in %.3f s of CPU time\n", dt);
    /* 0.45 s here; the insertion sort took 9 s. CPU time, so that a loaded
     * machine does not fail it: this guards the scan's order of growth */
    CHECK_MSG(dt < 3.0, "%.2f s of CPU time", dt);
    CHECK(f && strstr(f->path, "zz-link.ttf") && f->bold);
    mkl__fontdb_free(db);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fdir);
    CHECK(system(cmd) == 0);
}

/* One file set of 50,000 outputs in a folder (a print run's merge): a later
 * name for the same file, spelled another way, is found (the first target
 * named, after the table has grown many times) in near-linear time, and
 * nothing is left once the set is dropped. */
static void test_many_targets(void) {
    /* in memory where there is /dev/shm: on ext4 the font folder's 40,000
     * files just removed make each new file a search past their inodes */
    char odir[600] = "/dev/shm/mkl-outputs-XXXXXX";
    if (!mkdtemp(odir)) {
        snprintf(odir, sizeof odir, "%s/out", dir);
        CHECK(mkdir(odir, 0700) == 0);
    }
    mkl_renderer *r = NULL;
    CHECK(mkl_renderer_new(NULL, &r) == MKL_OK);
    mkl_fileset *s = NULL;
    CHECK(r && mkl_fileset_new(r, &s) == MKL_OK);
    if (!s) {
        mkl_renderer_free(r);
        return;
    }
    static const unsigned char pdf[] = "%PDF-1.7\n%%EOF\n";
    char p[700];
    int added = 0;
    double t0 = cpu_now();
    for (int i = 0; i < 50000; i++) {
        snprintf(p, sizeof p, "%s/copy-%05d.pdf", odir, i);
        if (mkl_fileset_add_pdf(s, pdf, sizeof pdf - 1, p) == MKL_OK) added++;
    }
    double dt = cpu_now() - t0;
    CHECK_MSG(added == 50000, "%d of 50,000 added", added);
    printf("a file set of 50,000 outputs made in %.3f s of CPU time\n", dt);
    /* 0.7 s here (the files' own creation); comparing every pair of names
     * took 7.7 s. CPU time: this guards the order of growth, not a speed */
    CHECK_MSG(dt < 4.0, "%.2f s of CPU time", dt);
    /* two spellings of earlier targets: through "." and through the folder's parent */
    char spelled[2][700];
    snprintf(spelled[0], sizeof spelled[0], "%s/./copy-00000.pdf", odir);
    snprintf(spelled[1], sizeof spelled[1], "%s/../%s/copy-49999.pdf", odir, strrchr(odir, '/') + 1);
    const char *first[] = {"copy-00000.pdf", "copy-49999.pdf"};
    for (size_t k = 0; k < 2; k++) {
        mkl_status st = mkl_fileset_add_pdf(s, pdf, sizeof pdf - 1, spelled[k]);
        const char *msg = mkl_renderer_error(r)->message;
        CHECK_MSG(st == MKL_ERR_ARGUMENT && strstr(msg, "are the same file") && strstr(msg, first[k]), "%s: %d %s",
                  spelled[k], st, msg);
    }
    snprintf(p, sizeof p, "%s/copy-50000.pdf", odir);
    CHECK(mkl_fileset_add_pdf(s, pdf, sizeof pdf - 1, p) == MKL_OK);   /* a new name still goes */
    mkl_fileset_free(s);   /* not committed: every temporary file removed */
    mkl_renderer_free(r);
    CHECK_MSG(rmdir(odir) == 0, "the folder is empty once the set is dropped: %s", strerror(errno));
}

/* A relative output name means the folder it names when it is added: after a
 * chdir(), "out/x.pdf" is another file (the set's folder cache sees that). */
static void test_relative_after_chdir(void) {
    char home[4096], a[600], b[600];
    CHECK(getcwd(home, sizeof home) != NULL);
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    char p[700];
    const char *made[] = {a, b};
    for (int k = 0; k < 2; k++) {
        CHECK(mkdir(made[k], 0700) == 0);
        snprintf(p, sizeof p, "%s/out", made[k]);
        CHECK(mkdir(p, 0700) == 0);
    }
    mkl_renderer *r = NULL;
    mkl_fileset *s = NULL;
    CHECK(mkl_renderer_new(NULL, &r) == MKL_OK && mkl_fileset_new(r, &s) == MKL_OK);
    static const unsigned char pdf[] = "%PDF-1.7\n%%EOF\n";
    CHECK(chdir(a) == 0);
    CHECK(s && mkl_fileset_add_pdf(s, pdf, sizeof pdf - 1, "out/x.pdf") == MKL_OK);
    CHECK(chdir(b) == 0);
    mkl_status st = s ? mkl_fileset_add_pdf(s, pdf, sizeof pdf - 1, "out/x.pdf") : MKL_ERR_ARGUMENT;
    CHECK_MSG(st == MKL_OK, "%s", r ? mkl_renderer_error(r)->message : "");
    CHECK(s && mkl_fileset_commit(s) == MKL_OK);
    CHECK(chdir(home) == 0);
    mkl_fileset_free(s);
    mkl_renderer_free(r);
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s/out/x.pdf", made[k]);
        CHECK_MSG(unlink(p) == 0, "%s was made", p);
        snprintf(p, sizeof p, "%s/out", made[k]);
        CHECK(rmdir(p) == 0);
        CHECK(rmdir(made[k]) == 0);
    }
}

/* A rename that fails at commit (the target became a folder after it was
 * added) is an error naming that output, and no temporary file is left. */
static void test_rename_fails(void) {
    char odir[600], p[700];
    snprintf(odir, sizeof odir, "%s/renamed", dir);
    CHECK(mkdir(odir, 0700) == 0);
    mkl_renderer *r = NULL;
    mkl_fileset *s = NULL;
    CHECK(mkl_renderer_new(NULL, &r) == MKL_OK && mkl_fileset_new(r, &s) == MKL_OK);
    static const unsigned char pdf[] = "%PDF-1.7\n%%EOF\n";
    snprintf(p, sizeof p, "%s/b.pdf", odir);
    CHECK(s && mkl_fileset_add_pdf(s, pdf, sizeof pdf - 1, p) == MKL_OK);
    CHECK(mkdir(p, 0700) == 0);   /* after it was added: only the rename can find it */
    mkl_status st = s ? mkl_fileset_commit(s) : MKL_ERR_ARGUMENT;
    const char *msg = r ? mkl_renderer_error(r)->message : "";
    CHECK_MSG(st == MKL_ERR_WRITE && strstr(msg, "cannot write"), "%d %s", st, msg);
    CHECK(r && strstr(mkl_renderer_error(r)->file, "b.pdf"));
    mkl_fileset_free(s);
    mkl_renderer_free(r);
    CHECK(rmdir(p) == 0);
    CHECK_MSG(rmdir(odir) == 0, "no temporary file is left: %s", strerror(errno));
}

/* Control characters, invisible reordering characters and invalid bytes are
 * escaped in every message and in mkl_error_format's line. */
static void test_escaped_messages(void) {
    mkl_error e = {0};
    mkl__err(&e, MKL_ERR_INPUT, "bad\x1b]0;title\a.md", 3, 4, "unknown key '%s'", "sub\x1b[31mject\xff\xe2\x80\xae");
    CHECK_MSG(!strcmp(e.message, "unknown key 'sub\\x1b[31mject\\xff\\u202e'"), "%s", e.message);
    char buf[256];
    int n = mkl_error_format(&e, buf, sizeof buf);
    const char *want = "bad\\x1b]0;title\\x07.md:3:4: unknown key 'sub\\x1b[31mject\\xff\\u202e'";
    CHECK_MSG(!strcmp(buf, want) && n == (int)strlen(want), "%d %s", n, buf);
    /* the file name set directly (not through mkl__err) is escaped when formatted */
    snprintf(e.file, sizeof e.file, "%s", "a\nb\x7f.md");
    e.line = 0;
    mkl_error_format(&e, buf, sizeof buf);
    CHECK_MSG(!strncmp(buf, "a\\x0ab\\x7f.md: ", 15), "%s", buf);
    /* valid UTF-8 (Hangul, U+FFFD itself) passes as it is; a short buffer never ends inside an escape */
    mkl__err(&e, MKL_ERR_INPUT, NULL, 0, 0, "%s", "\xed\x95\x9c \xef\xbf\xbd \x1b");
    CHECK(!strcmp(e.message, "\xed\x95\x9c \xef\xbf\xbd \\x1b"));
    snprintf(e.message, sizeof e.message, "%s", "\xed\x95\x9c \xef\xbf\xbd \x1b");   /* set raw */
    char small[10];
    n = mkl_error_format(&e, small, sizeof small);
    CHECK_MSG(n == 12 && !strcmp(small, "\xed\x95\x9c \xef\xbf\xbd "), "%d '%s'", n, small);
    /* a letter's control character reaches the message escaped */
    mkl_renderer *r;
    CHECK(mkl_renderer_new(NULL, &r) == MKL_OK);
    const char *text = "---\nlang: \"fr\\e[2J\"\n---\n\nHi.\n";   /* YAML's \e is ESC */
    mkl_letter *l = NULL;
    CHECK(mkl_letter_parse(r, text, strlen(text), "esc.md", "", &l) == MKL_ERR_INPUT);
    mkl_error_format(mkl_renderer_error(r), buf, sizeof buf);
    CHECK_MSG(!strchr(buf, '\x1b') && strstr(buf, "\\x1b[2J"), "%s", buf);
    mkl_renderer_free(r);
}

/* Out of memory anywhere in rendering a letter is reported against that letter. */
static void test_oom_names_letter(void) {
    const char *text = "---\nsubject: Memory\nto: [A, B]\n---\n\nHello *there*, a paragraph of text.\n";
    int nomem = 0, unnamed = 0;
    for (long n = 0; n < 3000; n += 3) {
        mkl_renderer *r;
        if (mkl_renderer_new(NULL, &r) != MKL_OK) continue;
        mkl_letter *l = NULL;
        if (mkl_letter_parse(r, text, strlen(text), "oom.md", "", &l) == MKL_OK) {
            unsigned char *pdf = NULL;
            size_t len = 0;
            mkl__fail_alloc_after(n);
            mkl_status st = mkl_render_to_memory(r, l, &pdf, &len);
            mkl__fail_alloc_after(-1);
            if (st == MKL_ERR_NOMEM) {
                nomem++;
                if (strcmp(mkl_renderer_error(r)->file, "oom.md")) {
                    if (!unnamed++) fprintf(stderr, "after %ld allocations: '%s': %s\n", n, mkl_renderer_error(r)->file,
                                            mkl_renderer_error(r)->message);
                }
            }
            mkl_free(pdf);
        }
        mkl_letter_free(l);
        mkl_renderer_free(r);
    }
    CHECK_MSG(nomem > 10 && unnamed == 0, "%d out-of-memory failures, %d without the letter's name", nomem, unnamed);
}

int main(void) {
    signal(SIGALRM, SIG_DFL);   /* a blocked open ends the test as a failure */
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 2; }
    test_not_regular();
    test_limits();
    test_long_paths();
    test_font_folder();
    test_many_targets();
    test_relative_after_chdir();
    test_rename_fails();
    test_escaped_messages();
    test_oom_names_letter();
    rmdir(dir);
    return check_done();
}
