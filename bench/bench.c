/* bench - how fast mkletter sets a letter, and how big the PDF is.
 *
 *   bench [LETTER] [MKLETTER-BINARY] [RUNS]
 *
 * Prints: the median time to render LETTER in-process (fresh renderer each
 * time, and a reused renderer), the median wall time of the whole command
 * (fork + exec + render + write), and the PDF size. Run it on an idle machine;
 * it measures, it does not assert. */
#include <mkletter.h>
#include <stdio.h>
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

static void die(mkl_renderer *r, const char *what) {
    char msg[2048];
    mkl_error_format(mkl_renderer_error(r), msg, sizeof msg);
    fprintf(stderr, "bench: %s: %s\n", what, msg);
    exit(1);
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

    printf("letter:                         %s (%d pages)\n", letter, pages);
    printf("in-process, fresh renderer:     %.2f ms (median of %d)\n", fresh, runs);
    printf("in-process, reused renderer:    %.2f ms (median of %d)\n", reused, runs);
    printf("whole command (fork+exec):      %.2f ms (median of %d)\n", whole, runs);
    printf("PDF size:                       %zu bytes\n", size);
    free(t);
    return 0;
}
