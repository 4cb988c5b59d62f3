/* bench - how fast mkletter sets a letter, and how big the PDF is.
 *
 *   bench [LETTER] [MKLETTER-BINARY] [RUNS] [COPIES]
 *
 * Prints: the median time to render LETTER in-process (fresh renderer each
 * time, and a reused renderer), the median wall time of the whole command
 * (fork + exec + render + write), the PDF size, and a mail merge of COPIES
 * (1000) personalised copies: copies per second one file per copy and in one
 * combined file, and the peak memory as the copies go; then the same merge
 * signed (a throw-away RSA-2048 and ECDSA P-256 key made with the openssl
 * command) against unsigned, side by side in alternating chunks, and how
 * much larger a signed copy is. Run it on an idle machine; it measures, it
 * does not assert. */
#include <mkletter.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long peak_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    fclose(f);
    if (s) { s[n] = 0; *len = (size_t)n; }
    return s;
}

/* Replace the first `from` in *s by `to` (reallocating). */
static void replace(char **s, const char *from, const char *to) {
    char *at = strstr(*s, from);
    if (!at) return;
    size_t a = (size_t)(at - *s), fl = strlen(from), tl = strlen(to), n = strlen(*s);
    char *ns = malloc(n - fl + tl + 1);
    memcpy(ns, *s, a);
    memcpy(ns + a, to, tl);
    memcpy(ns + a + tl, *s + a + fl, n - a - fl + 1);
    free(*s);
    *s = ns;
}

static void die(mkl_renderer *r, const char *what) {
    char msg[2048];
    mkl_error_format(mkl_renderer_error(r), msg, sizeof msg);
    fprintf(stderr, "bench: %s: %s\n", what, msg);
    exit(1);
}

/* Tagged against untagged, side by side: two renderers alike but for
 * mkl_options.tags, taking turns (which goes first alternates), so that both
 * see the same machine. One letter (reused renderer) `runs` times, and
 * `copies` merge copies of `tmpl` with the rows of `csv`, each timed alone. */
static void tags_side_by_side(const char *letter, const char *tmpl, const char *csv, int runs, int copies) {
    mkl_renderer *rr[2];
    mkl_letter *tl[2];
    mkl_data *data[2];
    double *t[2] = {malloc(sizeof(double) * (size_t)runs), malloc(sizeof(double) * (size_t)runs)};
    double *m[2] = {malloc(sizeof(double) * (size_t)copies), malloc(sizeof(double) * (size_t)copies)};
    size_t size[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        mkl_options o;
        mkl_options_init(&o);
        o.tags = k;   /* 0 untagged, 1 tagged */
        if (mkl_renderer_new(&o, &rr[k])) exit(1);
        if (mkl_letter_parse(rr[k], tmpl, strlen(tmpl), letter, NULL, &tl[k])) die(rr[k], "parse template");
        if (mkl_data_load(rr[k], csv, &data[k])) die(rr[k], "load data");
    }
    for (int i = 0; i < runs; i++)
        for (int j = 0; j < 2; j++) {
            int k = (i + j) % 2;
            mkl_letter *l;
            unsigned char *pdf;
            double t0 = now();
            if (mkl_letter_parse_file(rr[k], letter, &l)) die(rr[k], "parse");
            if (mkl_render_to_memory(rr[k], l, &pdf, &size[k])) die(rr[k], "render");
            t[k][i] = now() - t0;
            mkl_free(pdf);
            mkl_letter_free(l);
        }
    for (int i = 0; i < copies; i++)
        for (int j = 0; j < 2; j++) {
            int k = (i + j) % 2;
            mkl_letter *copy;
            unsigned char *pdf;
            size_t n;
            double t0 = now();
            if (mkl_letter_fill_row(rr[k], tl[k], data[k], (size_t)i, &copy)) die(rr[k], "fill");
            if (mkl_render_to_memory(rr[k], copy, &pdf, &n)) die(rr[k], "render");
            m[k][i] = now() - t0;
            mkl_free(pdf);
            mkl_letter_free(copy);
        }
    double one[2] = {median(t[0], runs), median(t[1], runs)}, merge[2] = {median(m[0], copies), median(m[1], copies)};
    printf("tagged / untagged, side by side (the same letter, renderers taking turns):\n");
    printf("  PDF size:                     %zu / %zu bytes (%+zd)\n", size[1], size[0], (ssize_t)size[1] - (ssize_t)size[0]);
    printf("  one letter, reused renderer:  %.2f / %.2f ms (%+.1f%%, median of %d)\n", one[1], one[0],
           100 * (one[1] / one[0] - 1), runs);
    printf("  a merge copy (fill + render): %.2f / %.2f ms (%+.1f%%, median of %d)\n", merge[1], merge[0],
           100 * (merge[1] / merge[0] - 1), copies);
    for (int k = 0; k < 2; k++) {
        mkl_data_free(data[k]);
        mkl_letter_free(tl[k]);
        mkl_renderer_free(rr[k]);
        free(t[k]);
        free(m[k]);
    }
}

/* Run a command quietly; its exit status (127: not found). */
static int run_quiet(char *const argv[]) {
    fflush(stdout);   /* else the child's freopen writes what is buffered a second time */
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) return 127;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 127;
}

/* A self-signed signing certificate and its key in `dir`/NAME.pem. */
static mkl_signer *bench_key(const char *dir, const char *name, const char *newkey) {
    char key[512], cert[512], arg[600];
    snprintf(key, sizeof key, "%s/%s.key", dir, name);
    snprintf(cert, sizeof cert, "%s/%s.pem", dir, name);
    snprintf(arg, sizeof arg, "%s", newkey);
    char *argv[] = {"openssl", "req", "-x509", "-newkey", arg, "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=mkletter bench", "-addext", "keyUsage=critical,digitalSignature", NULL};
    mkl_signer *s = NULL;
    mkl_error e;
    if (run_quiet(argv) || mkl_signer_load(key, cert, NULL, &s, &e)) s = NULL;
    unlink(key);
    unlink(cert);
    return s;
}

/* Copies [from, from+n) of a merge, one file each; the milliseconds taken
 * and the size of the last file. */
static double merge_chunk(mkl_renderer *r, const mkl_letter *tl, const mkl_data *data, const char *dir, int from,
                          int n, size_t *size) {
    char path[512];
    double t0 = now();
    for (int i = from; i < from + n; i++) {
        mkl_letter *copy;
        if (mkl_letter_fill_row(r, tl, data, (size_t)i, &copy)) die(r, "fill");
        snprintf(path, sizeof path, "%s/%d.pdf", dir, i + 1);
        if (mkl_render_to_file(r, copy, path)) die(r, "render");
        mkl_letter_free(copy);
        struct stat sb;
        if (!stat(path, &sb)) *size = (size_t)sb.st_size;
        unlink(path);
    }
    return now() - t0;
}
int main(int argc, char **argv) {
    const char *letter = argc > 1 ? argv[1] : MKL_BENCH_LETTER;
    const char *exe = argc > 2 ? argv[2] : MKL_BENCH_EXE;
    int runs = argc > 3 ? atoi(argv[3]) : 50;
    if (runs < 1) runs = 1;
    double *t = malloc(sizeof *t * (size_t)runs);
    size_t size = 0;
    int pages = 0;

    /* in-process, fresh renderer: parse + lay out + PDF in memory */
    for (int i = 0; i < runs; i++) {
        double t0 = now();
        mkl_renderer *r;
        mkl_letter *l;
        unsigned char *pdf;
        if (mkl_renderer_new(NULL, &r)) return 1;
        if (mkl_letter_parse_file(r, letter, &l)) die(r, "parse");
        if (mkl_render_to_memory(r, l, &pdf, &size)) die(r, "render");
        pages = mkl_renderer_page_count(r);
        mkl_free(pdf);
        mkl_letter_free(l);
        mkl_renderer_free(r);
        t[i] = now() - t0;
    }
    double fresh = median(t, runs);

    /* in-process, one renderer reused (fonts stay loaded) */
    mkl_renderer *r;
    if (mkl_renderer_new(NULL, &r)) return 1;
    for (int i = 0; i < runs; i++) {
        double t0 = now();
        mkl_letter *l;
        unsigned char *pdf;
        if (mkl_letter_parse_file(r, letter, &l)) die(r, "parse");
        if (mkl_render_to_memory(r, l, &pdf, &size)) die(r, "render");
        mkl_free(pdf);
        mkl_letter_free(l);
        t[i] = now() - t0;
    }
    mkl_renderer_free(r);
    double reused = median(t, runs);

    /* the whole command */
    char out[] = "/tmp/mkl-bench-XXXXXX";
    int fd = mkstemp(out);
    if (fd < 0) return 1;
    close(fd);
    for (int i = 0; i < runs; i++) {
        double t0 = now();
        pid_t pid = fork();
        if (pid == 0) {
            execl(exe, exe, "-q", letter, "-o", out, (char *)NULL);
            _exit(127);
        }
        int status;
        waitpid(pid, &status, 0);
        t[i] = now() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status)) {
            fprintf(stderr, "bench: %s failed\n", exe);
            return 1;
        }
    }
    unlink(out);
    double whole = median(t, runs);

    /* mail merge: N personalised copies, one file each and one combined file */
    int copies = argc > 4 ? atoi(argv[4]) : 1000;
    size_t tlen;
    char *tmpl = read_all(letter, &tlen);
    if (!tmpl) return 1;
    replace(&tmpl, "\n  Moon Jae-in\n  President of the Republic of Korea\n", "\n  {{name}}\n  {{title}}\n");
    replace(&tmpl, "opening: President Moon Jae-in,", "opening: Dear {{name}},");
    char dir[] = "/tmp/mkl-bench-merge-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char csv[256], path[512];
    snprintf(csv, sizeof csv, "%s/data.csv", dir);
    FILE *f = fopen(csv, "w");
    fprintf(f, "id,name,title\n");
    for (int i = 0; i < copies; i++) fprintf(f, "%d,Recipient No. %d,Minister of Department %d\n", i + 1, i + 1, i % 37);
    fclose(f);
    long rss0 = peak_kb();
    double per_file = 0, combined = 0;
    long rss_tenth = 0, rss_file = 0, rss_comb = 0;
    size_t combined_size = 0;
    if (copies > 0) {
        mkl_renderer *mr;
        mkl_letter *tl;
        mkl_data *data;
        if (mkl_renderer_new(NULL, &mr)) return 1;
        if (mkl_letter_parse(mr, tmpl, strlen(tmpl), letter, NULL, &tl)) die(mr, "parse template");
        if (mkl_data_load(mr, csv, &data)) die(mr, "load data");
        double t0 = now();
        for (int i = 0; i < copies; i++) {
            mkl_letter *copy;
            if (mkl_letter_fill_row(mr, tl, data, (size_t)i, &copy)) die(mr, "fill");
            snprintf(path, sizeof path, "%s/%d.pdf", dir, i + 1);
            if (mkl_render_to_file(mr, copy, path)) die(mr, "render");
            mkl_letter_free(copy);
            unlink(path);
            if (i == copies / 10) rss_tenth = peak_kb();
        }
        per_file = now() - t0;
        rss_file = peak_kb();
        t0 = now();
        mkl_batch *b;
        if (mkl_batch_new(mr, 1, &b)) die(mr, "batch");
        for (int i = 0; i < copies; i++) {
            mkl_letter *copy;
            if (mkl_letter_fill_row(mr, tl, data, (size_t)i, &copy)) die(mr, "fill");
            if (mkl_batch_add(b, copy)) die(mr, "batch add");
            mkl_letter_free(copy);
        }
        snprintf(path, sizeof path, "%s/all.pdf", dir);
        if (mkl_batch_write_file(b, path)) die(mr, "batch write");
        combined = now() - t0;
        rss_comb = peak_kb();
        FILE *cf = fopen(path, "rb");
        if (cf) { fseek(cf, 0, SEEK_END); combined_size = (size_t)ftell(cf); fclose(cf); }
        unlink(path);
        mkl_batch_free(b);
        mkl_data_free(data);
        mkl_letter_free(tl);
        mkl_renderer_free(mr);
    }
    if (copies > 0) tags_side_by_side(letter, tmpl, csv, runs, copies < 400 ? copies : 400);

    /* signed against unsigned, one file per copy: a renderer each (warmed by
     * a first chunk that is not counted), chunks of a tenth taken in turn */
    const char *kinds[3] = {"unsigned", "RSA-2048", "ECDSA P-256"};
    mkl_signer *signers[3] = {NULL, bench_key(dir, "rsa", "rsa:2048"), NULL};
    char ecparam[600];
    snprintf(ecparam, sizeof ecparam, "%s/p256.pem", dir);
    char *ecargv[] = {"openssl", "ecparam", "-name", "prime256v1", "-out", ecparam, NULL};
    if (!run_quiet(ecargv)) {
        char nk[700];
        snprintf(nk, sizeof nk, "ec:%s", ecparam);
        signers[2] = bench_key(dir, "ec", nk);
    }
    unlink(ecparam);
    double sign_ms[3] = {0, 0, 0};
    size_t sign_size[3] = {0, 0, 0};
    int have_sign = copies > 0 && signers[1] && signers[2];
    if (have_sign) {
        mkl_renderer *sr[3];
        mkl_letter *stl[3];
        mkl_data *sdata[3];
        for (int k = 0; k < 3; k++) {
            mkl_options o;
            mkl_options_init(&o);
            o.signer = signers[k];
            if (mkl_renderer_new(&o, &sr[k])) return 1;
            if (mkl_letter_parse(sr[k], tmpl, strlen(tmpl), letter, NULL, &stl[k])) die(sr[k], "parse template");
            if (mkl_data_load(sr[k], csv, &sdata[k])) die(sr[k], "load data");
            merge_chunk(sr[k], stl[k], sdata[k], dir, 0, copies < 20 ? copies : 20, &sign_size[k]);
        }
        int chunk = copies >= 10 ? copies / 10 : 1;
        for (int from = 0; from < copies; from += chunk) {
            int n = from + chunk <= copies ? chunk : copies - from;
            for (int k = 0; k < 3; k++) sign_ms[k] += merge_chunk(sr[k], stl[k], sdata[k], dir, from, n, &sign_size[k]);
        }
        for (int k = 0; k < 3; k++) {
            mkl_data_free(sdata[k]);
            mkl_letter_free(stl[k]);
            mkl_renderer_free(sr[k]);
        }
    }
    for (int k = 0; k < 3; k++) mkl_signer_free(signers[k]);
    unlink(csv);
    rmdir(dir);
    free(tmpl);

    printf("letter:                         %s (%d pages)\n", letter, pages);
    printf("in-process, fresh renderer:     %.2f ms (median of %d)\n", fresh, runs);
    printf("in-process, reused renderer:    %.2f ms (median of %d)\n", reused, runs);
    printf("whole command (fork+exec):      %.2f ms (median of %d)\n", whole, runs);
    printf("PDF size:                       %zu bytes\n", size);
    if (copies > 0) {
    printf("merge, one file per copy:       %d copies in %.2f s = %.0f copies/s\n", copies, per_file / 1e3, copies / (per_file / 1e3));
    printf("merge, one combined file:       %d copies in %.2f s = %.0f copies/s, %zu bytes\n", copies, combined / 1e3,
           copies / (combined / 1e3), combined_size);
    printf("peak memory (max RSS):          %ld KB before, %ld KB after %d copies, %ld KB after %d copies\n", rss0,
           rss_tenth, copies / 10 + 1, rss_file, copies);
    printf("peak memory, combined file:     %ld KB (the whole file is built in memory)\n", rss_comb);
    }
    if (have_sign) {
        for (int k = 0; k < 3; k++)
            printf("merge, one file per copy, %-11s %d copies in %.2f s = %.0f copies/s (%.0f %% of unsigned), %zu bytes a copy (%+ld)\n",
                   kinds[k], copies, sign_ms[k] / 1e3, copies / (sign_ms[k] / 1e3), 100 * sign_ms[0] / sign_ms[k],
                   sign_size[k], (long)sign_size[k] - (long)sign_size[0]);
    } else if (copies > 0) {
        printf("merge, signed:                  not measured (the openssl command could not make a key)\n");
    }
    free(t);
    return 0;
}
