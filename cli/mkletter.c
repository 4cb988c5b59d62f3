/* mkletter - the command: parse flags, call the library, map statuses to exit
 * codes, report progress. Uses only the public header. */
#define _POSIX_C_SOURCE 200809L
#include <mkletter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_WRITE = 3 };

static void usage(FILE *f) {
    fprintf(f,
            "usage: mkletter LETTER [-o OUT.pdf] [--merge DATA.csv [--rows A-B] [--duplex]]\n"
            "                [--pdfa] [--no-page-numbers] [--quiet]\n"
            "\n"
            "Typeset LETTER (YAML front matter + CommonMark body) as a PDF.\n"
            "\n"
            "  -o, --output OUT.pdf  where to write the PDF (default: LETTER with .pdf); with\n"
            "                        --merge, a name holding {{field}} makes one PDF per row\n"
            "      --merge DATA.csv  one copy per CSV row, {{field}} filled from its columns;\n"
            "                        every row is checked before anything is written\n"
            "      --rows A-B        only data rows A to B (1 = the first row after the header;\n"
            "                        A-, -B and A also work; B past the end is cut to it),\n"
            "                        to split a batch over machines\n"
            "      --duplex          in a combined file, start every copy on a front side\n"
            "      --pdfa            write PDF/A-1b (archival)\n"
            "      --no-page-numbers leave out \"Page x of y\"\n"
            "  -q, --quiet           no progress messages\n"
            "  -h, --help            this help\n"
            "  -V, --version         the version\n"
            "\n"
            "Exit status: 0 done, 1 bad input, 2 usage error, 3 cannot write the output.\n");
}

static char *default_output(const char *in) {
    size_t n = strlen(in);
    const char *slash = strrchr(in, '/');
    const char *dot = strrchr(in, '.');
    if (dot && (!slash || dot > slash + 1)) n = (size_t)(dot - in);
    char *out = malloc(n + 5);
    if (!out) return NULL;
    memcpy(out, in, n);
    memcpy(out + n, ".pdf", 5);
    return out;
}

static int fail(const mkl_error *err, mkl_status st) {
    char msg[4096];
    mkl_error_format(err, msg, sizeof msg);
    fprintf(stderr, "%s\n", msg);
    if (st == MKL_ERR_WRITE) return EXIT_WRITE;
    if (st == MKL_ERR_ARGUMENT) return EXIT_USAGE;
    return EXIT_INPUT;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Progress on standard error, for batches that take longer than a second. */
typedef struct Progress { double start, last; size_t total; int quiet, shown; } Progress;

static void progress(Progress *p, size_t done) {
    if (p->quiet) return;
    double t = now();
    if (t - p->start < 1.0 || (t - p->last < 0.25 && done < p->total)) return;
    p->last = t;
    p->shown = 1;
    fprintf(stderr, "\rmkletter: %zu/%zu copies (%zu%%), %.0f/s ", done, p->total, p->total ? done * 100 / p->total : 100,
            done / (t - p->start));
    if (done == p->total) fputc('\n', stderr);
}

/* --rows A-B, A-, -B or A (1-based data rows) into [*first, *last). */
static int parse_rows(const char *s, size_t nrows, size_t *first, size_t *last) {
    char *end;
    unsigned long long a = 1, b = nrows;
    if (*s != '-') {
        a = strtoull(s, &end, 10);
        if (end == s) return 0;
        s = end;
        if (!*s) b = a;
    }
    if (*s == '-') {
        s++;
        if (*s) {
            b = strtoull(s, &end, 10);
            if (end == s || *end) return 0;
        }
    } else if (*s) {
        return 0;
    }
    if (a < 1 || a > b) return 0;
    /* a slice past the end is cut to the data (the last job of an array may
     * ask for more rows than there are) */
    if (b > nrows) b = nrows;
    if (a > b) a = b + 1;
    *first = (size_t)a - 1;
    *last = (size_t)b;
    return 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* One copy per row: all rows checked first, then written. */
static int merge(mkl_renderer *r, const mkl_letter *tmpl, const char *csv, const char *rows, const char *out, int duplex,
                 int quiet) {
    mkl_data *data;
    mkl_status st = mkl_data_load(r, csv, &data);
    if (st) return fail(mkl_renderer_error(r), st);
    size_t nrows = mkl_data_rows(data), first = 0, last = nrows;
    int rc = 0;
    if (rows && !parse_rows(rows, nrows, &first, &last)) {
        fprintf(stderr, "mkletter: --rows '%s' is not a range of the %zu data rows of %s (like 1-100)\n", rows, nrows, csv);
        mkl_data_free(data);
        return EXIT_USAGE;
    }
    if (first >= last) {
        if (!quiet) fprintf(stderr, "mkletter: --rows %s selects none of the %zu data rows of %s; nothing to do\n", rows, nrows, csv);
        mkl_data_free(data);
        return 0;
    }
    int per_file = strstr(out, "{{") != NULL;
    if (per_file && duplex) {
        fprintf(stderr, "mkletter: --duplex is for one combined file; the output name '%s' makes one file per row\n", out);
        mkl_data_free(data);
        return EXIT_USAGE;
    }
    /* 1. every row: its copy and its file name */
    char **names = per_file ? calloc(last - first + 1, sizeof *names) : NULL;
    if (per_file && !names) {
        mkl_data_free(data);
        return EXIT_INPUT;
    }
    for (size_t row = first; row < last && !rc; row++) {
        mkl_letter *copy;
        if ((st = mkl_letter_fill_row(r, tmpl, data, row, &copy))) {
            rc = fail(mkl_renderer_error(r), st);
            break;
        }
        mkl_letter_free(copy);
        if (per_file && (st = mkl_data_fill(r, data, row, out, &names[row - first]))) rc = fail(mkl_renderer_error(r), st);
    }
    if (!rc && per_file) {
        /* two rows must not write the same file */
        size_t n = last - first;
        char **sorted = malloc((n ? n : 1) * sizeof *sorted);
        if (!sorted) rc = EXIT_INPUT;
        else {
            memcpy(sorted, names, n * sizeof *sorted);
            qsort(sorted, n, sizeof *sorted, cmp_str);
            for (size_t i = 1; i < n && !rc; i++)
                if (!strcmp(sorted[i - 1], sorted[i])) {
                    fprintf(stderr, "%s: two rows make the same output file '%s'; put a field that differs in -o\n", csv,
                            sorted[i]);
                    rc = EXIT_INPUT;
                }
            free(sorted);
        }
    }
    /* 2. render */
    Progress p = {now(), 0, last - first, quiet, 0};
    mkl_batch *batch = NULL;
    if (!rc && !per_file && (st = mkl_batch_new(r, duplex, &batch))) rc = fail(mkl_renderer_error(r), st);
    for (size_t row = first; row < last && !rc; row++) {
        mkl_letter *copy;
        if ((st = mkl_letter_fill_row(r, tmpl, data, row, &copy))) {
            rc = fail(mkl_renderer_error(r), st);
            break;
        }
        st = per_file ? mkl_render_to_file(r, copy, names[row - first]) : mkl_batch_add(batch, copy);
        mkl_letter_free(copy);
        if (st) rc = fail(mkl_renderer_error(r), st);
        progress(&p, row - first + 1);
    }
    if (!rc && batch && (st = mkl_batch_write_file(batch, out))) rc = fail(mkl_renderer_error(r), st);
    if (rc && p.shown && !quiet) fputc('\n', stderr);
    mkl_batch_free(batch);
    if (names)
        for (size_t i = 0; i < last - first; i++) mkl_free(names[i]);
    free(names);
    mkl_data_free(data);
    return rc;
}

int main(int argc, char **argv) {
    const char *in = NULL, *out = NULL, *csv = NULL, *rows = NULL;
    int quiet = 0, page_numbers = 1, pdfa = 0, duplex = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **val = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("mkletter %s\n", mkl_version());
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            val = &out;
        } else if (!strncmp(a, "--output=", 9)) {
            out = a + 9;
        } else if (!strcmp(a, "--merge")) {
            val = &csv;
        } else if (!strcmp(a, "--rows")) {
            val = &rows;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--no-page-numbers")) {
            page_numbers = 0;
        } else if (!strcmp(a, "--pdfa")) {
            pdfa = 1;
        } else if (!strcmp(a, "--duplex")) {
            duplex = 1;
        } else if (!strcmp(a, "--")) {
            if (i + 1 < argc && !in) in = argv[++i];
            if (i + 1 < argc) {
                fprintf(stderr, "mkletter: only one letter file can be given\n");
                return EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "mkletter: unknown option '%s'\n", a);
            usage(stderr);
            return EXIT_USAGE;
        } else if (in) {
            fprintf(stderr, "mkletter: only one letter file can be given ('%s' and '%s')\n", in, a);
            return EXIT_USAGE;
        } else {
            in = a;
        }
        if (val) {
            if (++i >= argc) {
                fprintf(stderr, "mkletter: %s needs a value\n", a);
                return EXIT_USAGE;
            }
            *val = argv[i];
        }
    }
    if (out && !*out) {
        fprintf(stderr, "mkletter: the output file name is empty\n");
        return EXIT_USAGE;
    }
    if (!in) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if ((rows || duplex) && !csv) {
        fprintf(stderr, "mkletter: %s goes with --merge\n", rows ? "--rows" : "--duplex");
        return EXIT_USAGE;
    }
    char *def = NULL;
    if (!out) {
        if (!(def = default_output(in))) {
            fprintf(stderr, "mkletter: out of memory\n");
            return EXIT_INPUT;
        }
        out = def;
    }
    int rc = 0;
    if (!strcmp(in, out)) {
        fprintf(stderr, "mkletter: the output '%s' would replace the letter itself\n", out);
        rc = EXIT_USAGE;
    }
    mkl_options opts;
    mkl_options_init(&opts);
    opts.page_numbers = page_numbers;
    opts.pdfa = pdfa;
    mkl_renderer *r = NULL;
    mkl_letter *letter = NULL;
    mkl_status st;
    if (!rc && (st = mkl_renderer_new(&opts, &r))) {
        fprintf(stderr, "mkletter: %s\n", mkl_status_str(st));
        rc = EXIT_INPUT;
    }
    if (!rc && (st = mkl_letter_parse_file(r, in, &letter))) rc = fail(mkl_renderer_error(r), st);
    if (!rc && csv) {
        rc = merge(r, letter, csv, rows, out, duplex, quiet);
    } else if (!rc) {
        if (strstr(out, "{{")) {
            fprintf(stderr, "mkletter: the output name '%s' holds a {{field}}; that needs --merge\n", out);
            rc = EXIT_USAGE;
        } else if ((st = mkl_render_to_file(r, letter, out))) {
            rc = fail(mkl_renderer_error(r), st);
        }
    }
    mkl_letter_free(letter);
    mkl_renderer_free(r);
    free(def);
    return rc;
}
