/* The public interface as a program uses it: building a letter in code,
 * sticky errors, output to memory, to a writer and to a file, and one
 * renderer reused for many letters. */
#define _GNU_SOURCE 1 /* RTLD_NEXT */
#include <mkletter.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "render_text.h"
#include <stddef.h>

typedef struct Sink { size_t n, calls; int fail; } Sink;
static int sink(void *user, const unsigned char *data, size_t len) {
    Sink *s = user;
    (void)data;
    s->n += len;
    s->calls++;
    return s->fail;
}

/* The text pdftotext finds in a PDF (or, with "-info", what pdfinfo says),
 * NUL-terminated, in `out`; "" and a failed check if the tool cannot run. */
static void pdf_tool(const unsigned char *pdf, size_t len, int info, char *out, size_t outsz) {
    out[0] = 0;
    char path[] = "/tmp/mkl-api-text-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) { CHECK_MSG(0, "mkstemp failed"); return; }
    CHECK(write(fd, pdf, len) == (ssize_t)len);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, info ? "pdfinfo '%s' 2>&1" : "pdftotext -enc UTF-8 '%s' - 2>&1", path);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, outsz - 1, p) : 0;
    out[n] = 0;
    int rc = p ? pclose(p) : -1;
    CHECK_MSG(rc == 0, "%s failed (is poppler-utils installed?): %.200s", info ? "pdfinfo" : "pdftotext", out);
    remove(path);
}

/* Every one of the NULL-terminated strings is in the text. */
static void expect_all(const char *what, const char *text, const char *const *want) {
    for (const char *const *w = want; *w; w++) CHECK_MSG(strstr(text, *w) != NULL, "%s: no '%s' in the text", what, *w);
}

static void test_build(mkl_renderer *r) {
    mkl_letter *l;
    CHECK(mkl_letter_new(r, &l) == MKL_OK);
    CHECK(mkl_letter_set(l, MKL_FIELD_PAPER, "letter") == MKL_OK);
    CHECK(mkl_letter_set(l, MKL_FIELD_DATE, "2020-02-21") == MKL_OK);
    CHECK(mkl_letter_set(l, MKL_FIELD_TO, "Moon Jae-in\nPresident") == MKL_OK);
    CHECK(mkl_letter_add_cc(l, "A\nB") == MKL_OK);
    CHECK(mkl_letter_set(l, MKL_FIELD_SUBJECT, "Subject") == MKL_OK);
    CHECK(mkl_letter_add_text(l, "Hello ", 0, NULL) == MKL_OK);       /* starts a paragraph */
    CHECK(mkl_letter_add_text(l, "bold", MKL_TEXT_BOLD, "https://example.org") == MKL_OK);
    CHECK(mkl_letter_add_paragraph(l) == MKL_OK);
    for (int i = 0; i < 200; i++) CHECK(mkl_letter_add_text(l, "word ", (unsigned)(i % 3), NULL) == MKL_OK);
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof name, "Organisation %d", i);
        CHECK(mkl_letter_add_entry(l, name, i % 2 ? "Seoul" : NULL) == MKL_OK);
    }
    CHECK(mkl_letter_status(l) == MKL_OK);
    unsigned char *pdf = NULL;
    size_t len = 0;
    CHECK(mkl_render_to_memory(r, l, &pdf, &len) == MKL_OK);
    CHECK(pdf && len > 1000 && !memcmp(pdf, "%PDF-", 5));
    CHECK(mkl_renderer_page_count(r) >= 3);
    /* what was added is in the PDF, on US letter paper */
    static char text[1 << 16];
    if (pdf) {
        pdf_tool(pdf, len, 0, text, sizeof text);
        static const char *const want[] = {"February 21, 2020", "Moon Jae-in\nPresident", "CC", "A\nB", "Re: Subject",
                                           "Hello bold", "word word word", "Organisation 0", "Organisation 1, Seoul",
                                           "Organisation 298", "Organisation 299, Seoul", NULL};
        expect_all("built letter", text, want);
        pdf_tool(pdf, len, 1, text, sizeof text);
        CHECK_MSG(strstr(text, "612 x 792 pts") != NULL, "built letter: not on US letter paper: %.300s", text);
    }
    mkl_free(pdf);
    /* the writer gets the same bytes, once the PDF is complete */
    Sink s = {0, 0, 0};
    CHECK(mkl_render_to_writer(r, l, sink, &s) == MKL_OK && s.n == len);
    Sink f = {0, 0, 1};
    CHECK(mkl_render_to_writer(r, l, sink, &f) == MKL_ERR_WRITE);
    mkl_letter_free(l);
}

static void test_sticky(mkl_renderer *r) {
    mkl_letter *l;
    CHECK(mkl_letter_new(r, &l) == MKL_OK);
    CHECK(mkl_letter_set(l, MKL_FIELD_PAPER, "a5") == MKL_ERR_INPUT);
    CHECK(strstr(mkl_letter_error(l)->message, "'paper' must be") != NULL);
    CHECK(mkl_letter_set(l, MKL_FIELD_SUBJECT, "later") == MKL_ERR_INPUT);   /* sticky */
    CHECK(mkl_letter_status(l) == MKL_ERR_INPUT);
    mkl_letter_free(l);
    CHECK(mkl_letter_new(r, &l) == MKL_OK);
    CHECK(mkl_letter_set(l, MKL_FIELD_DATE, "2021-02-30") == MKL_ERR_INPUT);
    mkl_letter_free(l);
    CHECK(mkl_letter_new(r, &l) == MKL_OK);
    CHECK(mkl_letter_add_group(l, "x", 0) == MKL_ERR_INPUT);
    mkl_letter_free(l);
    CHECK(mkl_letter_new(r, &l) == MKL_OK);
    CHECK(mkl_letter_add_text(l, "bad \xFF utf-8", 0, NULL) == MKL_ERR_INPUT);
    mkl_letter_free(l);
    for (int k = 0; k < 2; k++) {   /* an empty family name, body or heading */
        CHECK(mkl_letter_new(r, &l) == MKL_OK);
        CHECK(mkl_letter_add_line(l, k ? MKL_FIELD_FONT_HEADING : MKL_FIELD_FONT_BODY, "") == MKL_ERR_INPUT);
        CHECK(strstr(mkl_letter_error(l)->message, "empty font family") != NULL);
        mkl_letter_free(l);
    }
    CHECK(mkl_letter_new(r, &l) == MKL_OK);
    CHECK(mkl_letter_add_line(l, MKL_FIELD_FONT_BODY, "No Such Family 77") == MKL_OK);
    unsigned char *pdf;
    size_t len;
    CHECK(mkl_render_to_memory(r, l, &pdf, &len) == MKL_ERR_FONT);
    CHECK(strstr(mkl_renderer_error(r)->message, "No Such Family 77") != NULL);
    mkl_letter_free(l);
    mkl_letter_free(NULL);
    mkl_renderer_free(NULL);
    CHECK(mkl_letter_set(NULL, MKL_FIELD_SUBJECT, "x") == MKL_ERR_ARGUMENT);
}

static void test_parse_then_complete(mkl_renderer *r) {
    const char *t = "---\nsubject: S\nsignatories:\n  - heading: Signed\n    columns: 2\n    entries: [Alpha Org, Beta Org]\n"
                    "---\n\nThe body.\n";
    mkl_letter *l;
    CHECK(mkl_letter_parse(r, t, strlen(t), "t.md", NULL, &l) == MKL_OK);
    CHECK(mkl_letter_add_entry(l, "Gamma Org", NULL) == MKL_OK);   /* added to the parsed group */
    CHECK(mkl_letter_add_text(l, " More words.", MKL_TEXT_ITALIC, NULL) == MKL_OK);  /* to the parsed paragraph */
    {
        unsigned char *pdf = NULL;
        size_t len = 0;
        static char text[1 << 16];
        CHECK(mkl_render_to_memory(r, l, &pdf, &len) == MKL_OK);
        if (pdf) {
            pdf_tool(pdf, len, 0, text, sizeof text);
            static const char *const want[] = {"The body. More words.", "Signed", "Alpha Org", "Beta Org", "Gamma Org", NULL};
            expect_all("parsed, then completed", text, want);
            /* the added entry is the group's third, after the parsed ones */
            char *a = strstr(text, "Alpha Org"), *g = strstr(text, "Gamma Org");
            CHECK_MSG(a && g && a < g && strstr(text, "Signed") < a, "entries out of order: %.400s", text);
        }
        mkl_free(pdf);
    }
    char path[] = "/tmp/mkl-api-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    CHECK(mkl_render_to_file(r, l, path) == MKL_OK);
    FILE *f = fopen(path, "rb");
    char head[5] = {0};
    CHECK(f && fread(head, 1, 5, f) == 5 && !memcmp(head, "%PDF-", 5));
    if (f) fclose(f);
    remove(path);
    mkl_letter_free(l);
}

/* A CSV's rows by number: the last one is there, the one after is an argument error. */
static void test_data_rows(mkl_renderer *r) {
    char path[] = "/tmp/mkl-api-csv-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return;
    static const char csv[] = "name\nAnn\nBob\n";
    CHECK(write(fd, csv, sizeof csv - 1) == (ssize_t)(sizeof csv - 1));
    close(fd);
    const char *t = "---\nsubject: For {{name}}\n---\n\nHello.\n";
    mkl_letter *tmpl = NULL, *copy = NULL;
    mkl_data *d = NULL;
    CHECK(mkl_letter_parse(r, t, strlen(t), "t.md", NULL, &tmpl) == MKL_OK);
    CHECK(mkl_data_load(r, path, &d) == MKL_OK && mkl_data_rows(d) == 2);
    if (tmpl && d) {
        CHECK(mkl_letter_fill_row(r, tmpl, d, 1, &copy) == MKL_OK);
        if (copy) {
            unsigned char *pdf = NULL;
            size_t len = 0;
            static char text[1 << 14];
            CHECK(mkl_render_to_memory(r, copy, &pdf, &len) == MKL_OK);
            if (pdf) pdf_tool(pdf, len, 0, text, sizeof text);
            CHECK_MSG(strstr(text, "Re: For Bob") != NULL, "row 1 is the second data row: %.200s", text);
            mkl_free(pdf);
            mkl_letter_free(copy);
        }
        copy = (mkl_letter *)1;
        CHECK(mkl_letter_fill_row(r, tmpl, d, 2, &copy) == MKL_ERR_ARGUMENT && copy == NULL);
        char *s = (char *)1;
        CHECK(mkl_data_fill(r, d, 2, "{{name}}", &s) == MKL_ERR_ARGUMENT && s == NULL);
        CHECK(mkl_data_fill(r, d, 0, "x-{{name}}.pdf", &s) == MKL_OK && s && !strcmp(s, "x-Ann.pdf"));
        mkl_free(s);
    }
    mkl_data_free(d);
    mkl_letter_free(tmpl);
    remove(path);
}


static void test_errors(void) {
    mkl_error e;
    CHECK(mkl_render_file("/nonexistent/letter.md", "/tmp/x.pdf", NULL, &e) == MKL_ERR_READ);
    char msg[256];
    mkl_error_format(&e, msg, sizeof msg);
    CHECK(strstr(msg, "/nonexistent/letter.md: cannot open") == msg);
    CHECK(!strcmp(mkl_status_str(MKL_ERR_FONT), "font error"));
    CHECK(!strcmp(mkl_version(), MKLETTER_VERSION_STRING));
    mkl_options o;
    mkl_options_init(&o);
    CHECK(o.struct_size == sizeof o && o.page_numbers == 1);
    o.struct_size = 1;   /* a caller with a broken options struct */
    mkl_renderer *r = NULL;
    CHECK(mkl_renderer_new(&o, &r) == MKL_ERR_ARGUMENT && r == NULL);
    /* a program built against an older, shorter mkl_options: the library
     * writes only that much, and the fields it does not know take defaults */
    size_t old_size = offsetof(mkl_options, style);
    union { mkl_options o; unsigned char bytes[sizeof(mkl_options) + 16]; } older;
    memset(&older, 0xA5, sizeof older);
    mkl_options_init_size(&older.o, old_size);
    CHECK(older.o.struct_size == old_size && older.o.page_numbers == 1 && older.o.font_dir == NULL);
    int untouched = 1;
    for (size_t i = old_size; i < sizeof older.bytes; i++) untouched &= older.bytes[i] == 0xA5;
    CHECK(untouched);
    older.o.creation_time = 1582243200;
    /* the fields that program's header did not have (style, signer, tags,
     * pdfua) take their defaults: the PDF is the one full options give */
    mkl_options full;
    mkl_options_init(&full);
    full.creation_time = older.o.creation_time;
    size_t n_old = 0, n_full = 0;
    unsigned char *p_old = NULL, *p_full = NULL;
    const char *text = "---\nsubject: Old\n---\nDear friends,\n\nA letter.\n";
    mkl_renderer *r_full = NULL;
    CHECK(mkl_renderer_new(&older.o, &r) == MKL_OK && r != NULL);
    CHECK(mkl_renderer_new(&full, &r_full) == MKL_OK && r_full != NULL);
    if (r && r_full) {
        p_old = render_text(r, text, &n_old);
        p_full = render_text(r_full, text, &n_full);
        CHECK(p_old && p_full && n_old == n_full && !memcmp(p_old, p_full, n_old));
    }
    mkl_free(p_old);
    mkl_free(p_full);
    mkl_renderer_free(r);
    mkl_renderer_free(r_full);
    mkl_options_init_size(&older.o, 3);   /* too small even for struct_size: nothing written */
    CHECK(older.o.struct_size == old_size);
}

/* Font subsets are kept on the renderer for later letters with the same
 * glyphs: output must be byte-identical to a fresh renderer's, whatever the
 * order of letters with different glyph sets. */
static void test_subset_cache(void) {
    static const char *const texts[] = {
        "---\nsubject: Alpha\n---\nDear friends,\n\nThe quick brown fox.\n",
        "---\nsubject: Beta\n---\nDear friends,\n\nJumps over the lazy dog, \xea\xb0\x80\xeb\x82\x98\xeb\x8b\xa4.\n",
        "---\nsubject: Alpha\n---\nDear friends,\n\nThe quick brown fox.\n",
    };
    mkl_options o;
    mkl_options_init(&o);
    o.creation_time = 1582243200;
    mkl_renderer *shared = NULL;
    CHECK(mkl_renderer_new(&o, &shared) == MKL_OK);
    if (!shared) return;
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
            mkl_renderer *fresh = NULL;
            CHECK(mkl_renderer_new(&o, &fresh) == MKL_OK);
            if (!fresh) break;
            size_t a = 0, b = 0;
            unsigned char *pa = render_text(shared, texts[i], &a), *pb = render_text(fresh, texts[i], &b);
            CHECK(pa && pb && a == b && !memcmp(pa, pb, a));
            mkl_free(pa);
            mkl_free(pb);
            mkl_renderer_free(fresh);
        }
    mkl_renderer_free(shared);
}

/* A field of 1 MiB: three in one string, or a body of 2 MiB paragraphs, go
 * over the limits a letter file has (MKL_ERR_LIMIT at the place). */
static char *big;
static const char *get_big(void *user, const char *name) {
    (void)user;
    return !strcmp(name, "big") ? big : NULL;
}

static void test_fill_limits(mkl_renderer *r) {
    big = malloc((1 << 20) + 1);
    if (!big) return;
    memset(big, 'a', 1 << 20);
    big[1 << 20] = 0;
    mkl_letter *t = NULL, *out = (mkl_letter *)1;
    const char *one = "---\nto: A\nsubject: \"{{big}}{{big}}{{big}}\"\n---\n\nHello.\n";
    CHECK(mkl_letter_parse(r, one, strlen(one), "one.md", NULL, &t) == MKL_OK);
    if (t) {
        CHECK(mkl_letter_fill(r, t, get_big, NULL, &out) == MKL_ERR_LIMIT && out == NULL);
        const mkl_error *e = mkl_renderer_error(r);
        CHECK_MSG(e->line == 3 && e->column == 25 && strstr(e->message, "longer than 2 MiB"), "%d:%d: %s", e->line,
                  e->column, e->message);
        mkl_letter_free(t);
    }
    /* two fields a paragraph are allowed; 40 such paragraphs are 80 MiB */
    {
        size_t cap = 64 + 40 * 20, n = 0;
        char *text = malloc(cap);
        n += (size_t)snprintf(text + n, cap - n, "---\nto: A\nsubject: S\n---\n");
        for (int i = 0; i < 40; i++) n += (size_t)snprintf(text + n, cap - n, "\n{{big}}{{big}}\n");
        t = NULL;
        CHECK(mkl_letter_parse(r, text, n, "many.md", NULL, &t) == MKL_OK);
        if (t) {
            out = (mkl_letter *)1;
            CHECK(mkl_letter_fill(r, t, get_big, NULL, &out) == MKL_ERR_LIMIT && out == NULL);
            const mkl_error *e = mkl_renderer_error(r);
            /* paragraphs are on lines 6, 8, 10, ...: the 32nd (with "A" and "S") passes 64 MiB */
            CHECK_MSG(e->line == 6 + 2 * 31 && strstr(e->message, "larger than 64 MiB") && !strcmp(e->file, "many.md"),
                      "%s:%d:%d: %s", e->file, e->line, e->column, e->message);
            mkl_letter_free(t);
        }
        free(text);
    }
    free(big);
}

/* A Korean official document built in code is the one its letter file gives:
 * every `official:` part has its field, 협조자 their call. */
static void test_official_in_code(void) {
    const char *seal = MKL_TEST_SOURCE_DIR "/examples/official-seal.png";
    char text[2048];
    snprintf(text, sizeof text,
             "---\nlayout: kr-official\ndate: 2020-02-21\nletterhead: {name: 전환기정의워킹그룹}\nto: 통일부장관\n"
             "official:\n  reference: 인권인도실장\n  via: 법무부장관\n  number: 전환기정의-2020-017\n"
             "  sender: 전환기정의워킹그룹 대표\n  seal: %s\n  cooperation:\n    - {title: 국제연대팀장, name: 신희석}\n"
             "    - {name: 홍길동}\n  postcode: \"03186\"\n  address: 서울특별시 종로구 새문안로 92\n  homepage: tjwg.org\n"
             "  phone: 02-723-0303\n  fax: 02-723-0304\n  email: info@tjwg.org\n  disclosure: 부분공개(5)\n"
             "subject: 면담 요청\nsignatures:\n  - {title: 대표, name: 이영환}\n---\n\n귀 부의 무궁한 발전을 기원합니다.\n",
             seal);
    mkl_options o;
    mkl_options_init(&o);
    o.creation_time = 1582243200;
    mkl_renderer *r = NULL;
    CHECK(mkl_renderer_new(&o, &r) == MKL_OK);
    if (!r) return;
    size_t n_file = 0, n_code = 0;
    unsigned char *from_file = render_text(r, text, &n_file), *from_code = NULL;
    mkl_letter *l = NULL;
    CHECK(mkl_letter_new(r, &l) == MKL_OK);
    if (l) {
        mkl_letter_set(l, MKL_FIELD_LAYOUT, "kr-official");
        mkl_letter_set(l, MKL_FIELD_DATE, "2020-02-21");
        mkl_letter_set(l, MKL_FIELD_LETTERHEAD, "전환기정의워킹그룹");
        mkl_letter_set(l, MKL_FIELD_TO, "통일부장관");
        mkl_letter_set(l, MKL_FIELD_OFFICIAL_REFERENCE, "인권인도실장");
        mkl_letter_set(l, MKL_FIELD_OFFICIAL_VIA, "법무부장관");
        mkl_letter_set(l, MKL_FIELD_OFFICIAL_NUMBER, "전환기정의-2020-017");
        mkl_letter_set(l, MKL_FIELD_OFFICIAL_SENDER, "전환기정의워킹그룹 대표");
        mkl_letter_set(l, MKL_FIELD_OFFICIAL_SEAL, seal);
        mkl_letter_add_cooperation(l, "신희석", "국제연대팀장");
        mkl_letter_add_cooperation(l, "홍길동", NULL);
        mkl_letter_set(l, MKL_FIELD_OFFICIAL_POSTCODE, "03186");
        mkl_letter_set(l, MKL_FIELD_OFFICIAL_ADDRESS, "서울특별시 종로구 새문안로 92");
        mkl_letter_set(l, MKL_FIELD_OFFICIAL_HOMEPAGE, "tjwg.org");
        mkl_letter_set(l, MKL_FIELD_OFFICIAL_PHONE, "02-723-0303");
        mkl_letter_set(l, MKL_FIELD_OFFICIAL_FAX, "02-723-0304");
        mkl_letter_set(l, MKL_FIELD_OFFICIAL_EMAIL, "info@tjwg.org");
        mkl_letter_set(l, MKL_FIELD_OFFICIAL_DISCLOSURE, "부분공개(5)");
        mkl_letter_set(l, MKL_FIELD_SUBJECT, "면담 요청");
        mkl_letter_add_signature(l, "이영환", "대표", NULL);
        mkl_letter_add_text(l, "귀 부의 무궁한 발전을 기원합니다.", 0, NULL);
        CHECK(mkl_letter_status(l) == MKL_OK);
        CHECK(mkl_render_to_memory(r, l, &from_code, &n_code) == MKL_OK);
        mkl_letter_free(l);
    }
    CHECK(from_file && from_code && n_file == n_code && !memcmp(from_file, from_code, n_file));
    mkl_free(from_file);
    mkl_free(from_code);
    /* the checks of the letter file's keys hold in code too */
    CHECK(mkl_letter_new(r, &l) == MKL_OK);
    if (l) {
        CHECK(mkl_letter_set(l, MKL_FIELD_OFFICIAL_DISCLOSURE, "비공개(9)") == MKL_ERR_INPUT);
        CHECK(strstr(mkl_letter_error(l)->message, "'disclosure' must be") != NULL);
        mkl_letter_free(l);
    }
    CHECK(mkl_letter_new(r, &l) == MKL_OK);
    if (l) {
        CHECK(mkl_letter_set(l, MKL_FIELD_LAYOUT, "kr-official") == MKL_OK);
        CHECK(mkl_letter_set(l, MKL_FIELD_LANG, "en") == MKL_ERR_INPUT);
        mkl_letter_free(l);
    }
    mkl_renderer_free(r);
}

/* This program's dlopen (the library is linked into it, so its calls come
 * here): opening ICU takes 300 ms more, so that a fork right after
 * mkl_renderer_new finds the library's loader thread still loading. */
static int g_icu_dlopen_entered;   /* (atomic) the loader is inside it */
void *dlopen(const char *file, int mode) {
    void *(*real)(const char *, int);
    void *at = dlsym(RTLD_NEXT, "dlopen");
    memcpy(&real, &at, sizeof real);
    if (file && strstr(file, "libicuuc")) {
        __atomic_store_n(&g_icu_dlopen_entered, 1, __ATOMIC_SEQ_CST);
        usleep(300000);
    }
    return real(file, mode);
}

/* This program's pthread_create (the library's calls come here): with
 * g_late_threads set, a new thread begins 2 s late, as one may on a machine
 * whose cores are taken. */
static int g_late_threads;
typedef struct Late { void *(*run)(void *); void *arg; } Late;
static void *late_start(void *p) {
    Late l = *(Late *)p;
    free(p);
    sleep(2);
    return l.run(l.arg);
}
int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*run)(void *), void *arg) {
    int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    void *at = dlsym(RTLD_NEXT, "pthread_create");
    memcpy(&real, &at, sizeof real);
    Late *l = g_late_threads ? malloc(sizeof *l) : NULL;
    if (!l) return real(t, attr, run, arg);
    l->run = run;
    l->arg = arg;
    int rc = real(t, attr, late_start, l);
    if (rc) free(l);
    return rc;
}

/* A letter never waits for the ICU loader thread to be given a core: if the
 * thread has not begun when the first text is shaped, the text loads ICU
 * itself (lib/icu.c). In a child of its own, whose first renderer starts
 * the loader 2 s late: the letter is made in well under a second. */
static void test_loader_late(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        g_late_threads = 1;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        mkl_renderer *r = NULL;
        mkl_letter *l = NULL;
        unsigned char *pdf = NULL;
        size_t len = 0;
        static const char text[] = "---\nlang: en\ndate: 2020-02-21\nto: The Editor\nsubject: Late\n"
                                   "opening: Dear Editor,\nclosing: Sincerely,\n---\n\nA letter on a busy machine.\n";
        int ok = mkl_renderer_new(NULL, &r) == MKL_OK && mkl_letter_parse(r, text, sizeof text - 1, NULL, NULL, &l) == MKL_OK &&
                 mkl_render_to_memory(r, l, &pdf, &len) == MKL_OK && len > 1000;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        _exit(!ok ? 1 : s < 1.0 ? 0 : 2);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "a letter whose ICU loader thread begins 2 s late: status %d (exit 2: it waited for the thread)", status);
}

/* A program that forks right after making a renderer (a server's workers)
 * renders in the child: the renderer's ICU loader thread (lib/icu.h) is
 * not in the child, so the fork waits for it to finish. Without that a
 * child forked while the loader loads waits for ever for a load no thread
 * of its own does (killed here after 20 s). */
static void test_fork_after_new(void) {
    mkl_renderer *r;
    if (mkl_renderer_new(NULL, &r) != MKL_OK) { CHECK(0); return; }
    /* the fork while the loader is loading (nothing here shapes text, so the
     * loader thread takes the load; it may wait for a core) */
    for (int i = 0; i < 10000 && !__atomic_load_n(&g_icu_dlopen_entered, __ATOMIC_SEQ_CST); i++) usleep(1000);
    CHECK_MSG(__atomic_load_n(&g_icu_dlopen_entered, __ATOMIC_SEQ_CST), "the ICU loader began within 10 s");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        static const char text[] = "---\nlang: en\ndate: 2020-02-21\nto: The Editor\nsubject: Fork\n"
                                   "opening: Dear Editor,\nclosing: Sincerely,\n---\n\nA letter from a child.\n";
        mkl_letter *l = NULL;
        unsigned char *pdf = NULL;
        size_t len = 0;
        int ok = mkl_letter_parse(r, text, sizeof text - 1, NULL, NULL, &l) == MKL_OK &&
                 mkl_render_to_memory(r, l, &pdf, &len) == MKL_OK && len > 1000;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child of a fork after mkl_renderer_new: status %d",
              status);
    mkl_renderer_free(r);
}

int main(void) {
    test_loader_late();   /* (first: the loader starts once a process, in the child here) */
    test_fork_after_new();
    mkl_renderer *r;
    if (mkl_renderer_new(NULL, &r) != MKL_OK) return 2;
    test_build(r);
    test_sticky(r);
    test_parse_then_complete(r);
    test_data_rows(r);
    test_fill_limits(r);
    mkl_renderer_free(r);
    test_errors();
    test_subset_cache();
    test_official_in_code();
    return check_done();
}
