/* mkletter - the command: parse flags, call the library, map statuses to exit
 * codes, report progress. Uses only the public header. */
#define _GNU_SOURCE 1 /* sched_getaffinity */
#include <errno.h>
#include <fcntl.h>
#include <mkletter.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_WRITE = 3 };

/* --check reports at most this many problems, then stops looking */
#define MAX_PROBLEMS 100

/* --jobs at most (a renderer each, some MB of fonts and caches) */
#define MAX_JOBS 256

/* A letter on standard input may be as large as a letter file (64 MiB). */
#define MAX_STDIN ((size_t)64 << 20)

static void usage(FILE *f) {
    fprintf(f,
            "usage: mkletter LETTER [-o OUT.pdf] [--merge DATA.csv [--rows A-B] [--duplex]\n"
            "                [-j N]] [--style STYLE] [--check] [--pdfa] [--pdfua] [--no-tags]\n"
            "                [--no-page-numbers] [--quiet] [--sign KEY [--sign-cert CERT.pem]\n"
            "                [--sign-password-file FILE]]\n"
            "\n"
            "Typeset LETTER (YAML front matter + CommonMark body) as a PDF.\n"
            "LETTER '-' reads the letter from standard input (paths in it are taken\n"
            "from the current folder; messages call it <stdin>).\n"
            "\n"
            "  -o, --output OUT.pdf  where to write the PDF (default: LETTER with .pdf;\n"
            "                        standard output when LETTER is '-'); '-' is standard\n"
            "                        output, written only once the PDF is complete; with\n"
            "                        --merge, a name holding {{field}} makes one PDF per row\n"
            "      --merge DATA.csv  one copy per CSV row, {{field}} filled from its columns;\n"
            "                        every row is checked before anything is written\n"
            "      --rows A-B        only data rows A to B (1 = the first row after the header;\n"
            "                        A-, -B and A also work; B past the end is cut to it),\n"
            "                        to split a batch over machines\n"
            "      --duplex          in a combined file, start every copy on a front side\n"
            "  -j, --jobs N          threads for a merge (default: the cores this process\n"
            "                        may use); the files are the same as with -j 1\n"
            "      --check           check the letter (with --merge: fill and lay out every\n"
            "                        row, make every output name) and write nothing; prints\n"
            "                        every problem found, up to %d, and exits 1 if any\n"
            "      --style STYLE     the house style (a YAML file of front-matter keys) the\n"
            "                        letter inherits, in place of its own 'style:'; looked\n"
            "                        up in the current folder, then ~/.local/share/mkletter/\n"
            "                        styles ($XDG_DATA_HOME), then the installed styles\n"
            "      --pdfa            write PDF/A-1b (archival)\n"
            "      --pdfua           declare PDF/UA-1 (accessible; needs a subject, the\n"
            "                        title); with --pdfa, PDF/A-1b and PDF/UA-1 both\n"
            "      --no-tags         an untagged PDF (no structure for screen readers)\n"
            "      --no-page-numbers leave out \"Page x of y\"\n"
            "      --sign KEY        sign every PDF (PAdES B-B) with KEY: PKCS#12 (.p12) with\n"
            "                        the certificate and its chain, or a PEM key (its\n"
            "                        certificates after it, or in --sign-cert CERT.pem);\n"
            "                        the password comes from $MKLETTER_SIGN_PASSWORD, from\n"
            "                        --sign-password-file FILE (its first line), or is\n"
            "                        asked on the terminal\n"
            "  -q, --quiet           no progress messages\n"
            "  -h, --help            this help\n"
            "  -V, --version         the version\n"
            "\n"
            "Exit status: 0 done, 1 bad input, 2 usage error, 3 cannot write the output.\n",
            MAX_PROBLEMS);
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

static int exit_status(mkl_status st) {
    if (st == MKL_ERR_WRITE) return EXIT_WRITE;
    if (st == MKL_ERR_ARGUMENT) return EXIT_USAGE;
    return EXIT_INPUT;
}

/* The output files being written: on SIGINT, SIGTERM or SIGHUP their
 * temporary files are removed and the run ends with 128 + the signal. */
static mkl_fileset *volatile pending;

static void on_signal(int sig) {
    mkl_fileset_abort(pending);
    _exit(128 + sig);
}

/* Put the files in place with the signals held: a run is stopped before the
 * renames or after them, never between two. */
static mkl_status commit(mkl_fileset *files) {
    sigset_t hold, old;
    sigemptyset(&hold);
    sigaddset(&hold, SIGINT);
    sigaddset(&hold, SIGTERM);
    sigaddset(&hold, SIGHUP);
    sigprocmask(SIG_BLOCK, &hold, &old);
    mkl_status st = mkl_fileset_commit(files);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return st;
}

static void catch_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaddset(&sa.sa_mask, sigs[i]);
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, NULL);
}

/* A progress line is on standard error, not yet ended by a newline. */
static int progress_open;

static void end_progress(void) {
    if (progress_open) fputc('\n', stderr);
    progress_open = 0;
}

static int fail(const mkl_error *err, mkl_status st) {
    end_progress();
    char msg[4096];
    mkl_error_format(err, msg, sizeof msg);
    fprintf(stderr, "%s\n", msg);
    return exit_status(st);
}

/* What a run does with problems: stop at the first, or (--check) report each
 * and go on, up to MAX_PROBLEMS. */
typedef struct Run {
    mkl_renderer *r;
    const mkl_options *opts;   /* for the renderers of other threads */
    int jobs;                  /* threads for a merge */
    int check;
    int quiet;
    int problems;
    int first_exit;   /* the exit status of the first problem */
} Run;

/* Report a problem of the run. Returns non-zero when the run must stop:
 * always outside --check, and in --check after MAX_PROBLEMS or when memory
 * ran out. */
static int problem(Run *run, const mkl_error *err, mkl_status st) {
    int rc = fail(err, st);
    if (!run->problems++) run->first_exit = rc;
    if (!run->check || st == MKL_ERR_NOMEM) return 1;
    if (run->problems == MAX_PROBLEMS) {
        fprintf(stderr, "mkletter: stopped after %d problems; mend these and check again\n", MAX_PROBLEMS);
        return 1;
    }
    return 0;
}

/* A problem the command finds itself (not the library), as FILE: message. */
static int problemf(Run *run, mkl_status st, const char *file, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int problemf(Run *run, mkl_status st, const char *file, const char *fmt, ...) {
    mkl_error e;
    memset(&e, 0, sizeof e);
    e.code = st;
    snprintf(e.file, sizeof e.file, "%s", file);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.message, sizeof e.message, fmt, ap);
    va_end(ap);
    return problem(run, &e, st);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Progress on standard error, for batches that take longer than a second. */
typedef struct Progress { double start, last; size_t total; int quiet; const char *what; } Progress;

static void progress(Progress *p, size_t done) {
    if (p->quiet) return;
    double t = now();
    if (t - p->start < 1.0 || (t - p->last < 0.25 && done < p->total)) return;
    p->last = t;
    fprintf(stderr, "\rmkletter: %zu/%zu copies %s (%zu%%), %.0f/s ", done, p->total, p->what,
            p->total ? done * 100 / p->total : 100, done / (t - p->start));
    progress_open = 1;
    if (done == p->total) end_progress();
}

/* One whole number of --rows: digits only, at most 12 of them. */
static int row_number(const char **s, unsigned long long *v) {
    const char *p = *s;
    unsigned long long n = 0;
    while (*p >= '0' && *p <= '9' && p - *s < 12) n = n * 10 + (unsigned long long)(*p++ - '0');
    if (p == *s || (*p >= '0' && *p <= '9')) return 0;
    *s = p;
    *v = n;
    return 1;
}

/* --rows A-B, A-, -B or A (data rows from 1) as [*first, *last) of the
 * `nrows` rows. Returns 0 for anything else. A range past the end is cut to
 * the data (the last job of an array may ask for more rows than there are)
 * and may select nothing. */
static int parse_rows(const char *s, size_t nrows, size_t *first, size_t *last) {
    unsigned long long a = 1, b = nrows;
    int from = *s != '-', to;
    if (from && !row_number(&s, &a)) return 0;
    if (*s == '-') {
        s++;
        to = *s != 0;
        if (to && !row_number(&s, &b)) return 0;
        if (!from && !to) return 0; /* "-" alone names no row */
    } else {
        b = a;
        to = 1;
    }
    if (*s || a < 1 || (to && b < a)) return 0;
    if (b > nrows) b = nrows;
    *first = a - 1 < nrows ? (size_t)(a - 1) : nrows;
    *last = (size_t)b > *first ? (size_t)b : *first;
    return 1;
}

/* The folder a file name is in, as a new string ("." for a bare name). */
static char *folder_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Can a file be made at `path`? Its folder must exist and be writable. The
 * last folder looked at is kept in *ok_folder (names of a merge share one),
 * after a '!' when it was found wanting and said so. */
static int check_output_folder(Run *run, const char *path, const char *row, char **ok_folder) {
    char *dir = folder_of(path);
    if (!dir) return problemf(run, MKL_ERR_NOMEM, path, "out of memory");
    if (*ok_folder && !strcmp(*ok_folder, dir)) {
        free(dir);
        return 0;
    }
    struct stat sb;
    int stop = 0;
    if (*ok_folder && **ok_folder == '!' && !strcmp(*ok_folder + 1, dir)) {
        free(dir);   /* said already */
        return -1;
    }
    if (stat(dir, &sb) != 0)
        stop = problemf(run, MKL_ERR_WRITE, path, "%scannot write: the folder '%s' does not exist", row, dir);
    else if (!S_ISDIR(sb.st_mode))
        stop = problemf(run, MKL_ERR_WRITE, path, "%scannot write: '%s' is not a folder", row, dir);
    else if (access(dir, W_OK | X_OK) != 0)
        stop = problemf(run, MKL_ERR_WRITE, path, "%scannot write: no permission to make files in the folder '%s'", row, dir);
    else {
        free(*ok_folder);
        *ok_folder = dir;
        return 0;
    }
    /* remembered as said ("!folder"), so that a merge says it once */
    free(*ok_folder);
    *ok_folder = malloc(strlen(dir) + 2);
    if (*ok_folder) {
        **ok_folder = '!';
        strcpy(*ok_folder + 1, dir);
    }
    free(dir);
    return stop ? stop : -1;
}

/* Standard output as a writer: the PDF is handed over whole, once made. */
static int write_stdout(void *user, const unsigned char *data, size_t len) {
    if (fwrite(data, 1, len, stdout) == len) return 0;
    *(int *)user = errno ? errno : EIO;
    return 1;
}

/* Flush standard output; a failure (a full disk, a closed pipe) is exit 3. */
static int flush_stdout(int err) {
    if (!err && fflush(stdout) != 0) err = errno ? errno : EIO;
    if (!err) return 0;
    fprintf(stderr, "mkletter: cannot write to standard output: %s\n", strerror(err));
    return EXIT_WRITE;
}

static int is_stdio(const char *name) { return !strcmp(name, "-"); }

/* The cores this process may use (its affinity mask), for --jobs. */
static int cores(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set) < MAX_JOBS ? CPU_COUNT(&set) : MAX_JOBS;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)(n < MAX_JOBS ? n : MAX_JOBS) : 1;
}

/* One file per row on several threads, a renderer each: workers take rows
 * in order and render each copy to memory; this thread alone writes them to
 * the file set (so a signal, which only this thread takes, always finds every
 * temporary file registered). The workers start before this thread has
 * checked every row and made every file name, and render ahead meanwhile
 * (the copies kept until it is done): a check that fails stops them, and
 * nothing has been written. The first failing row (by row order) is
 * reported and rows after it are not started; nothing is put in place unless
 * every copy was made. The bytes are those of one thread: a renderer's
 * caches never change its output. */
typedef struct Done { size_t row; unsigned char *pdf; size_t len; mkl_status st; mkl_error err; } Done;

/* copies rendered ahead and not yet written: at most this many, and past
 * the first, at most this many bytes */
enum { JOBS_AHEAD = 32 };
#define JOBS_AHEAD_BYTES ((size_t)16 << 20)

typedef struct Jobs {
    pthread_mutex_t lock;
    pthread_cond_t changed;   /* a copy is done, a slot is free, or a worker left */
    const mkl_options *opts;
    const mkl_letter *tmpl;
    const mkl_data *data;
    size_t first, last, next;
    size_t fail_row;          /* the first row that failed, or (size_t)-1 */
    Done *queue;              /* copies made and not yet written, at most `cap` */
    size_t nqueue, cap, queued_bytes;
    int workers;              /* still running */
    pthread_t *threads;
    size_t started;
} Jobs;

static void *job_worker(void *arg) {
    Jobs *j = arg;
    sigset_t hold;
    sigemptyset(&hold);
    sigaddset(&hold, SIGINT);
    sigaddset(&hold, SIGTERM);
    sigaddset(&hold, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hold, NULL);
    mkl_renderer *r = NULL;
    mkl_status st = mkl_renderer_new(j->opts, &r);
    pthread_mutex_lock(&j->lock);
    while (j->next < j->last && j->next < j->fail_row) {
        Done d = {j->next++, NULL, 0, st, {0}};
        pthread_mutex_unlock(&j->lock);
        mkl_letter *copy = NULL;
        if (!d.st) d.st = mkl_letter_fill_row(r, j->tmpl, j->data, d.row, &copy);
        if (!d.st) d.st = mkl_render_to_memory(r, copy, &d.pdf, &d.len);
        if (d.st && r) d.err = *mkl_renderer_error(r);
        else if (d.st) snprintf(d.err.message, sizeof d.err.message, "a renderer for a thread: %s", mkl_status_str(d.st));
        mkl_letter_free(copy);
        pthread_mutex_lock(&j->lock);
        while (j->nqueue == j->cap || (j->nqueue && j->queued_bytes + d.len > JOBS_AHEAD_BYTES))
            pthread_cond_wait(&j->changed, &j->lock);
        j->queue[j->nqueue++] = d;
        j->queued_bytes += d.len;
        pthread_cond_broadcast(&j->changed);
    }
    j->workers--;
    pthread_cond_broadcast(&j->changed);
    pthread_mutex_unlock(&j->lock);
    mkl_renderer_free(r);
    return NULL;
}

/* Start the workers for rows [first, last); `j->started` says how many
 * began (none: out of memory or threads). */
static void jobs_start(Jobs *j, Run *run, const mkl_letter *tmpl, const mkl_data *data, size_t first, size_t last) {
    size_t n = (size_t)run->jobs < last - first ? (size_t)run->jobs : last - first;
    memset(j, 0, sizeof *j);
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->changed, NULL);
    j->opts = run->opts;
    j->tmpl = tmpl;
    j->data = data;
    j->first = j->next = first;
    j->last = last;
    j->fail_row = (size_t)-1;
    j->cap = 2 * n > JOBS_AHEAD ? 2 * n : JOBS_AHEAD;
    j->queue = calloc(j->cap, sizeof *j->queue);
    j->threads = j->queue ? calloc(n, sizeof *j->threads) : NULL;
    pthread_mutex_lock(&j->lock);
    for (size_t i = 0; j->threads && i < n; i++)
        if (pthread_create(&j->threads[j->started], NULL, job_worker, j) == 0) j->started++;
    j->workers = (int)j->started;
    pthread_mutex_unlock(&j->lock);
}

/* Wait for the workers to leave, then free what they shared. */
static void jobs_end(Jobs *j) {
    for (size_t i = 0; i < j->started; i++) pthread_join(j->threads[i], NULL);
    free(j->threads);
    free(j->queue);
    pthread_cond_destroy(&j->changed);
    pthread_mutex_destroy(&j->lock);
}

/* The next copy made, the lock held: 0 once every worker has left and
 * every copy is taken. */
static int jobs_next(Jobs *j, Done *d) {
    while (!j->nqueue) {
        if (!j->workers) return 0;
        pthread_cond_wait(&j->changed, &j->lock);
    }
    *d = j->queue[--j->nqueue];
    j->queued_bytes -= d->len;
    pthread_cond_broadcast(&j->changed);
    return 1;
}

/* A row was refused before anything was written: no more rows, the copies
 * made are dropped. */
static void jobs_stop(Jobs *j) {
    Done d;
    pthread_mutex_lock(&j->lock);
    j->fail_row = 0;
    while (jobs_next(j, &d)) mkl_free(d.pdf);
    pthread_mutex_unlock(&j->lock);
    jobs_end(j);
}

/* Every row checked: the copies go to the file set as they come. */
static int jobs_write(Jobs *j, Run *run, char **names, mkl_fileset *files, Progress *p) {
    size_t done = 0;
    mkl_error fail_err;
    mkl_status fail_st = MKL_OK;
    Done d;
    pthread_mutex_lock(&j->lock);
    if (!j->workers && !j->started) {
        fail_st = MKL_ERR_NOMEM;
        memset(&fail_err, 0, sizeof fail_err);
        snprintf(fail_err.message, sizeof fail_err.message, "cannot start a thread for --jobs");
    }
    while (jobs_next(j, &d)) {
        pthread_mutex_unlock(&j->lock);
        if (!d.st && d.row < j->fail_row && (d.st = mkl_fileset_add_pdf(files, d.pdf, d.len, names[d.row - j->first])))
            d.err = *mkl_renderer_error(run->r);
        mkl_free(d.pdf);
        if (++done < p->total) progress(p, done);   /* 100 % once the files are in place */
        pthread_mutex_lock(&j->lock);
        if (d.st && d.row < j->fail_row) {
            j->fail_row = d.row;
            fail_err = d.err;
            fail_st = d.st;
        }
    }
    pthread_mutex_unlock(&j->lock);
    jobs_end(j);
    return fail_st ? fail(&fail_err, fail_st) : 0;
}

typedef struct RowName { char *name; size_t row; } RowName;

static int cmp_name(const void *a, const void *b) {
    const RowName *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* Every row's file name: filled, in an existing folder, no two the same. */
static int check_names(Run *run, const mkl_data *data, const char *csv, const char *out, size_t first, size_t last,
                       char **names) {
    mkl_renderer *r = run->r;
    char *ok_folder = NULL;
    int stop = 0;
    for (size_t row = first; row < last && !stop; row++) {
        mkl_status st = mkl_data_fill_path(r, data, row, out, &names[row - first]);
        if (st) stop = problem(run, mkl_renderer_error(r), st);
        else {
            char label[300];
            snprintf(label, sizeof label, "row %zu (%.200s line %d): ", row + 1, csv, mkl_data_line(data, row));
            if (check_output_folder(run, names[row - first], label, &ok_folder) > 0) stop = 1;
        }
    }
    free(ok_folder);
    size_t n = last - first;
    RowName *sorted = stop ? NULL : malloc((n ? n : 1) * sizeof *sorted);
    if (!stop && !sorted) return problemf(run, MKL_ERR_NOMEM, csv, "out of memory");
    size_t k = 0;
    /* a value cannot hold '/' (mkl_data_fill_path), so one file has one spelling */
    for (size_t i = 0; sorted && i < n; i++)
        if (names[i]) sorted[k++] = (RowName){names[i], first + i};
    if (sorted) qsort(sorted, k, sizeof *sorted, cmp_name);
    for (size_t i = 1; sorted && i < k && !stop; i++)
        if (!strcmp(sorted[i - 1].name, sorted[i].name))
            stop = problemf(run, MKL_ERR_INPUT, csv, "rows %zu and %zu (lines %d and %d) make the same output file '%s'; "
                            "put a field that differs in -o", sorted[i - 1].row + 1, sorted[i].row + 1,
                            mkl_data_line(data, sorted[i - 1].row), mkl_data_line(data, sorted[i].row), sorted[i].name);
    free(sorted);
    return stop;
}

/* One copy per row: every row filled (and, with --check, laid out) and every
 * file name made before anything is written. */
static int merge(Run *run, const char *in, const mkl_letter *tmpl, const char *csv, const char *rows, const char *out, int duplex) {
    mkl_renderer *r = run->r;
    mkl_data *data;
    mkl_status st = mkl_data_load(r, csv, &data);
    if (st) return fail(mkl_renderer_error(r), st);
    size_t nrows = mkl_data_rows(data), first = 0, last = nrows;
    int rc = 0;
    if (rows && !parse_rows(rows, nrows, &first, &last)) {
        fprintf(stderr, "mkletter: --rows '%s' is not a range of data rows (A-B, A-, -B or A, from 1; like 1-100)\n", rows);
        mkl_data_free(data);
        return EXIT_USAGE;
    }
    if (first >= last) {
        if (!run->quiet) {
            if (rows)
                fprintf(stderr, "mkletter: --rows %s selects none of the %zu data rows of %s; nothing to do\n", rows, nrows,
                        csv);
            else
                fprintf(stderr, "mkletter: %s has no data rows; nothing to do\n", csv);
        }
        mkl_data_free(data);
        return 0;
    }
    int per_file = strstr(out, "{{") != NULL;
    if (per_file && duplex) {
        fprintf(stderr, "mkletter: --duplex is for one combined file; the output name '%s' makes one file per row\n", out);
        mkl_data_free(data);
        return EXIT_USAGE;
    }
    /* 1. every row: its copy (laid out too with --check), its file name */
    char **names = per_file ? calloc(last - first + 1, sizeof *names) : NULL;
    if (per_file && !names) {
        mkl_data_free(data);
        problemf(run, MKL_ERR_NOMEM, csv, "out of memory");
        return EXIT_INPUT;
    }
    Progress p = {now(), 0, last - first, run->quiet, run->check ? "checked" : "made"};
    int stop = 0;
    /* -j N, one file each: the workers render while this thread checks */
    int parallel = per_file && run->jobs > 1 && last - first > 1 && !run->check;
    Jobs jobs;
    if (parallel) jobs_start(&jobs, run, tmpl, data, first, last);
    for (size_t row = first; row < last && !stop; row++) {
        mkl_letter *copy;
        if ((st = mkl_letter_fill_row(r, tmpl, data, row, &copy))) {
            stop = problem(run, mkl_renderer_error(r), st);
            continue;
        }
        if (run->check && (st = mkl_letter_check(r, copy))) stop = problem(run, mkl_renderer_error(r), st);
        mkl_letter_free(copy);
        if (run->check) progress(&p, row - first + 1);
    }
    if (per_file && !stop) stop = check_names(run, data, csv, out, first, last, names);
    if (!per_file && !stop && !is_stdio(out)) {
        char *ok_folder = NULL;
        check_output_folder(run, out, "", &ok_folder);
        free(ok_folder);
    }
    if (run->check) {
        end_progress();
        if (!run->quiet && !run->problems)
            fprintf(stderr, "mkletter: %s with %s: %zu rows checked, no problems\n", in, csv, last - first);
        rc = run->problems ? EXIT_INPUT : 0;
    } else if (run->problems) {
        rc = run->first_exit;
    }
    if (parallel && rc) {   /* a row was refused: nothing was written */
        jobs_stop(&jobs);
        parallel = 0;
    }
    /* 2. render: every file to a temporary one, then all put in place */
    int out_errno = 0;
    mkl_batch *batch = NULL;
    mkl_fileset *files = NULL;
    if (!rc && !run->check) {
        p = (Progress){now(), 0, last - first, run->quiet, "made"};
        if ((st = mkl_fileset_new(r, &files)) || (!per_file && (st = mkl_batch_new(r, duplex, &batch))))
            rc = fail(mkl_renderer_error(r), st);
        /* a combined file: this thread lays the copies out, the others deflate */
        if (!rc && batch && (st = mkl_batch_set_jobs(batch, run->jobs < MKL_BATCH_MAX_JOBS ? run->jobs : MKL_BATCH_MAX_JOBS)))
            rc = fail(mkl_renderer_error(r), st);
        /* a combined file: its pages go to its temporary file as they are made */
        if (!rc && batch && !is_stdio(out) && (st = mkl_fileset_stream_batch(files, batch, out)))
            rc = fail(mkl_renderer_error(r), st);
        /* to standard output: to an unnamed temporary file, handed over whole */
        if (!rc && batch && is_stdio(out) && (st = mkl_batch_spool(batch))) rc = fail(mkl_renderer_error(r), st);
        pending = files;
        if (parallel && !rc) rc = jobs_write(&jobs, run, names, files, &p);
        else if (parallel) jobs_stop(&jobs);   /* the file set or the batch could not be made */
        for (size_t row = first; row < last && !rc && !parallel; row++) {
            if (batch) {
                /* (with -j, the rows are laid out ahead on a thread of the batch's) */
                if ((st = mkl_batch_add_row(batch, tmpl, data, row))) rc = fail(mkl_renderer_error(r), st);
                /* the run is done when its file is in place: its last step waits for that */
                if (row + 1 < last) progress(&p, row + 1 - first);
                continue;
            }
            mkl_letter *copy;
            if ((st = mkl_letter_fill_row(r, tmpl, data, row, &copy))) {
                rc = fail(mkl_renderer_error(r), st);
                break;
            }
            st = mkl_fileset_add(files, copy, names[row - first]);
            mkl_letter_free(copy);
            if (st) rc = fail(mkl_renderer_error(r), st);
            /* the run is done when its files are in place: its last step waits for that */
            if (row + 1 < last) progress(&p, row - first + 1);
        }
        if (!rc && batch && is_stdio(out)) {
            st = mkl_batch_write(batch, write_stdout, &out_errno);
            if (st && out_errno) rc = flush_stdout(out_errno);
            else if (st) rc = fail(mkl_renderer_error(r), st);
            else rc = flush_stdout(0);
        } else if (!rc && batch && (st = mkl_fileset_add_batch(files, batch, out))) {
            rc = fail(mkl_renderer_error(r), st);
        }
        if (!rc && (st = commit(files))) rc = fail(mkl_renderer_error(r), st);
        if (!rc) progress(&p, last - first);
        end_progress();
        pending = NULL;
    }
    mkl_fileset_free(files);
    mkl_batch_free(batch);
    if (names)
        for (size_t i = 0; i < last - first; i++) mkl_free(names[i]);
    free(names);
    mkl_data_free(data);
    return rc;
}

/* The letter on standard input, read whole (at most a letter file's 64 MiB). */
static int read_stdin(char **text, size_t *len) {
    size_t n = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            char *grown = cap > MAX_STDIN ? NULL : realloc(buf, cap * 2);
            if (!grown) break;
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (n > MAX_STDIN) {
            fprintf(stderr, "<stdin>:1:1: the letter is more than 64 MiB; a letter may be at most 64 MiB\n");
            free(buf);
            return EXIT_INPUT;
        }
        if (got == 0) {
            if (ferror(stdin)) {
                fprintf(stderr, "<stdin>: cannot read: %s\n", strerror(errno));
                free(buf);
                return EXIT_INPUT;
            }
            *text = buf;
            *len = n;
            return 0;
        }
    }
    free(buf);
    fprintf(stderr, "<stdin>: out of memory\n");
    return EXIT_INPUT;
}

/* One letter: checked, or rendered to a file or to standard output. */
static int single(Run *run, const char *in, const mkl_letter *letter, const char *out) {
    mkl_renderer *r = run->r;
    mkl_status st;
    if (strstr(out, "{{")) {
        fprintf(stderr, "mkletter: the output name '%s' holds a {{field}}; that needs --merge\n", out);
        return EXIT_USAGE;
    }
    if (run->check) {
        if ((st = mkl_letter_check(r, letter))) problem(run, mkl_renderer_error(r), st);
        char *ok_folder = NULL;
        if (!is_stdio(out)) check_output_folder(run, out, "", &ok_folder);
        free(ok_folder);
        if (!run->problems && !run->quiet)
            fprintf(stderr, "mkletter: %s: no problems, %d page%s\n", in, mkl_renderer_page_count(r),
                    mkl_renderer_page_count(r) == 1 ? "" : "s");
        return run->problems ? EXIT_INPUT : 0;
    }
    if (!is_stdio(out)) {
        mkl_fileset *files = NULL;
        int rc = 0;
        if ((st = mkl_fileset_new(r, &files))) return fail(mkl_renderer_error(r), st);
        pending = files;
        if ((st = mkl_fileset_add(files, letter, out)) || (st = commit(files))) rc = fail(mkl_renderer_error(r), st);
        pending = NULL;
        mkl_fileset_free(files);
        return rc;
    }
    int out_errno = 0;
    st = mkl_render_to_writer(r, letter, write_stdout, &out_errno);
    if (st && out_errno) return flush_stdout(out_errno);
    if (st) return fail(mkl_renderer_error(r), st);
    return flush_stdout(0);
}

/* The password of a key: $MKLETTER_SIGN_PASSWORD, the first line of
 * `file`, or typed on the terminal without echo. 0, or an exit status. */
static int sign_password(const char *key, const char *file, char *pw, size_t size) {
    const char *env = getenv("MKLETTER_SIGN_PASSWORD");
    mkl_error err;
    mkl_status st;
    if (env) {
        if (strlen(env) >= size) {
            fprintf(stderr, "mkletter: MKLETTER_SIGN_PASSWORD is longer than %zu bytes\n", size - 1);
            return EXIT_INPUT;
        }
        memcpy(pw, env, strlen(env) + 1);
        return 0;
    }
    if (file) return (st = mkl_signer_read_password(file, pw, size, &err)) ? fail(&err, st) : 0;
    pw[0] = 0;
    if (!mkl_signer_needs_password(key)) return 0;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    struct termios old, quiet;
    if (fd < 0 || tcgetattr(fd, &old)) {
        if (fd >= 0) close(fd);
        fprintf(stderr, "mkletter: %s: no terminal to ask the password on; set MKLETTER_SIGN_PASSWORD or give "
                        "--sign-password-file\n", key);
        return EXIT_INPUT;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    quiet.c_lflag |= ICANON;
    tcsetattr(fd, TCSAFLUSH, &quiet);   /* before the question: what is typed after it is kept */
    dprintf(fd, "Password for %s: ", key);
    size_t n = 0;
    char c;
    int rc = 0;
    for (;;) {
        ssize_t got = read(fd, &c, 1);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0 || c == '\n') break;
        if (n + 1 >= size) rc = EXIT_INPUT;
        else pw[n++] = c;
    }
    pw[n] = 0;
    c = 0;
    tcsetattr(fd, TCSAFLUSH, &old);
    dprintf(fd, "\n");
    close(fd);
    if (rc) fprintf(stderr, "mkletter: %s: the password is longer than %zu bytes\n", key, size - 1);
    return rc;
}

/* Load the signing key once, before anything is written. 0 or an exit status. */
static int load_signer(const char *key, const char *cert, const char *pwfile, mkl_signer **out) {
    char pw[1024];
    int rc = sign_password(key, pwfile, pw, sizeof pw);
    if (!rc) {
        mkl_error err;
        mkl_status st = mkl_signer_load(key, cert, pw, out, &err);
        if (st) rc = fail(&err, st);
    }
    /* the compiler may not drop this: volatile */
    for (volatile char *p = pw; p < pw + sizeof pw; p++) *p = 0;
    return rc;
}

/* The usage, the version: printed to standard output, which may fail. */
static int print_info(int version) {
    if (version) printf("mkletter %s\n", mkl_version());
    else usage(stdout);
    return flush_stdout(ferror(stdout) ? EIO : 0);
}

int main(int argc, char **argv) {
    const char *in = NULL, *out = NULL, *csv = NULL, *rows = NULL, *jobs_arg = NULL, *style = NULL;
    const char *sign_key = NULL, *sign_cert = NULL, *sign_pwfile = NULL;
    int quiet = 0, page_numbers = 1, pdfa = 0, pdfua = 0, tags = 1, duplex = 0, check = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **val = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            return print_info(0);
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            return print_info(1);
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            val = &out;
        } else if (!strncmp(a, "--output=", 9)) {
            out = a + 9;
        } else if (!strcmp(a, "--merge")) {
            val = &csv;
        } else if (!strcmp(a, "--style")) {
            val = &style;
        } else if (!strncmp(a, "--style=", 8)) {
            style = a + 8;
        } else if (!strcmp(a, "--rows")) {
            val = &rows;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--no-page-numbers")) {
            page_numbers = 0;
        } else if (!strcmp(a, "--pdfa")) {
            pdfa = 1;
        } else if (!strcmp(a, "--pdfua")) {
            pdfua = 1;
        } else if (!strcmp(a, "--no-tags")) {
            tags = 0;
        } else if (!strcmp(a, "--sign")) {
            val = &sign_key;
        } else if (!strcmp(a, "--sign-cert")) {
            val = &sign_cert;
        } else if (!strcmp(a, "--sign-password-file")) {
            val = &sign_pwfile;
        } else if (!strcmp(a, "--duplex")) {
            duplex = 1;
        } else if (!strcmp(a, "--check")) {
            check = 1;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
            val = &jobs_arg;
        } else if (!strncmp(a, "-j", 2) && a[2] >= '0' && a[2] <= '9') {
            jobs_arg = a + 2;
        } else if (!strncmp(a, "--jobs=", 7)) {
            jobs_arg = a + 7;
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
    if (style && !*style) {
        fprintf(stderr, "mkletter: the style file name is empty\n");
        return EXIT_USAGE;
    }
    if (out && !*out) {
        fprintf(stderr, "mkletter: the output file name is empty\n");
        return EXIT_USAGE;
    }
    if (!in) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!*in) {
        fprintf(stderr, "mkletter: the letter file name is empty\n");
        return EXIT_USAGE;
    }
    int jobs = cores();
    if (jobs_arg) {
        char *end;
        long j = strtol(jobs_arg, &end, 10);
        if (*end || end == jobs_arg || j < 1 || j > MAX_JOBS || *jobs_arg == '+' || *jobs_arg == ' ') {
            fprintf(stderr, "mkletter: --jobs '%s' is not a number of threads from 1 to %d\n", jobs_arg, MAX_JOBS);
            return EXIT_USAGE;
        }
        jobs = (int)j;
    }
    if ((rows || duplex) && !csv) {
        fprintf(stderr, "mkletter: %s goes with --merge\n", rows ? "--rows" : "--duplex");
        return EXIT_USAGE;
    }
    if ((sign_cert || sign_pwfile) && !sign_key) {
        fprintf(stderr, "mkletter: %s goes with --sign\n", sign_cert ? "--sign-cert" : "--sign-password-file");
        return EXIT_USAGE;
    }
    if (csv && is_stdio(csv)) {
        fprintf(stderr, "mkletter: --merge needs a CSV file; standard input is not read for it\n");
        return EXIT_USAGE;
    }
    /* /dev/stdin is standard input, a pipe or a terminal as often as a file */
    if (!strcmp(in, "/dev/stdin")) in = "-";
    char *def = NULL;
    if (!out && is_stdio(in)) out = "-";   /* a filter: standard input to standard output */
    if (!out) {
        if (!(def = default_output(in))) {
            fprintf(stderr, "mkletter: out of memory\n");
            return EXIT_INPUT;
        }
        out = def;
    }
    int rc = 0;
    if (!strcmp(in, out) && !is_stdio(in)) {
        fprintf(stderr, "mkletter: the output '%s' would replace the letter itself\n", out);
        rc = EXIT_USAGE;
    }
    if (!rc && !check && is_stdio(out) && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "mkletter: not writing a PDF to a terminal; send standard output to a file or a pipe, or give -o FILE\n");
        rc = EXIT_USAGE;
    }
    catch_signals();
    mkl_signer *signer = NULL;
    if (!rc && sign_key) rc = load_signer(sign_key, sign_cert, sign_pwfile, &signer);
    mkl_options opts;
    mkl_options_init(&opts);
    opts.page_numbers = page_numbers;
    opts.pdfa = pdfa;
    opts.style = style;
    opts.pdfua = pdfua;
    opts.tags = tags;
    if (pdfua && !tags) {
        fprintf(stderr, "mkletter: --pdfua needs a tagged PDF: leave out --no-tags\n");
        rc = EXIT_USAGE;
    }
    opts.signer = signer;
    Run run = {NULL, &opts, jobs, check, quiet, 0, 0};
    mkl_letter *letter = NULL;
    mkl_status st;
    if (!rc && (st = mkl_renderer_new(&opts, &run.r))) {
        fprintf(stderr, "mkletter: %s\n", mkl_status_str(st));
        rc = EXIT_INPUT;
    }
    if (!rc && is_stdio(in)) {
        char *text = NULL;
        size_t len = 0;
        if (!(rc = read_stdin(&text, &len)) && (st = mkl_letter_parse(run.r, text, len, "<stdin>", NULL, &letter)))
            rc = fail(mkl_renderer_error(run.r), st);
        free(text);
    } else if (!rc && (st = mkl_letter_parse_file(run.r, in, &letter))) {
        rc = fail(mkl_renderer_error(run.r), st);
    }
    if (!rc) rc = csv ? merge(&run, in, letter, csv, rows, out, duplex) : single(&run, in, letter, out);
    mkl_letter_free(letter);
    mkl_renderer_free(run.r);
    mkl_signer_free(signer);
    free(def);
    return rc;
}
