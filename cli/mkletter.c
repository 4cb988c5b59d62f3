/* mkletter - the command: parse flags, call the library, map statuses to exit
 * codes. Uses only the public header. */
#include <mkletter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_WRITE = 3 };

static void usage(FILE *f) {
    fprintf(f,
            "usage: mkletter LETTER [-o OUT.pdf] [--pdfa] [--no-page-numbers] [--quiet]\n"
            "\n"
            "Typeset LETTER (YAML front matter + CommonMark body) as a PDF.\n"
            "\n"
            "  -o, --output OUT.pdf  where to write the PDF (default: LETTER with .pdf)\n"
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

int main(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    int quiet = 0, page_numbers = 1, pdfa = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("mkletter %s\n", mkl_version());
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (++i >= argc) {
                fprintf(stderr, "mkletter: %s needs a file name\n", a);
                return EXIT_USAGE;
            }
            out = argv[i];
        } else if (!strncmp(a, "--output=", 9)) {
            out = a + 9;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--no-page-numbers")) {
            page_numbers = 0;
        } else if (!strcmp(a, "--pdfa")) {
            pdfa = 1;
        } else if (!strcmp(a, "--merge") || !strcmp(a, "--duplex")) {
            fprintf(stderr, "mkletter: %s is not available in this version yet\n", a);
            return EXIT_USAGE;
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
    }
    (void)quiet;
    if (out && !*out) {
        fprintf(stderr, "mkletter: the output file name is empty\n");
        return EXIT_USAGE;
    }
    if (!in) {
        usage(stderr);
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
    if (!strcmp(in, out)) {
        fprintf(stderr, "mkletter: the output '%s' would replace the letter itself\n", out);
        free(def);
        return EXIT_USAGE;
    }
    mkl_options opts;
    mkl_options_init(&opts);
    opts.page_numbers = page_numbers;
    opts.pdfa = pdfa;
    mkl_error err;
    mkl_status st = mkl_render_file(in, out, &opts, &err);
    free(def);
    if (st == MKL_OK) return 0;
    char msg[4096];
    mkl_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "%s\n", msg);
    if (st == MKL_ERR_WRITE) return EXIT_WRITE;
    if (st == MKL_ERR_ARGUMENT) return EXIT_USAGE;
    return EXIT_INPUT;
}
