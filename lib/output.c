/* output.c - output files, all or nothing (mkletter.h, "Output files"): each
 * PDF goes to a temporary file beside its target, and every temporary file is
 * renamed into place only once all of them are written. Temporary files have
 * names of their own (".mkletter-PID-XXXXXX.tmp", short enough beside any
 * output name), so that a later run can remove those a killed run left. */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mkletter.h"
#include "pdf.h"
#include "renderer.h"
#include "util.h"

#define TMP_PREFIX ".mkletter-"
#define TMP_SUFFIX ".tmp"

/* A temporary file written bit by bit (a combined file streamed to it). */
typedef struct Stream { int fd; int err; } Stream;

typedef struct Target {
    char *path;        /* the file to make: symlinks resolved, so a link is kept */
    char *shown;       /* the name the caller gave, for messages */
    char *tmp;         /* its temporary file, or NULL when written through */
    mkl_buf through;   /* for a device or FIFO: the bytes, written at commit */
    mkl_spool *spool;  /* or, for a batch streamed to one, where they wait */
    int cancelled;     /* its batch failed: it cannot be committed */
    Stream *stream;    /* open still, or NULL */
    dev_t dev;         /* the file system of its folder (one syncfs() each) */
} Target;

/* The folder of the last target, as given and resolved: a merge's thousand
 * names in one folder resolve it once, not a realpath() (a getcwd() and a
 * readlink() for each part) a file; a stat() a file checks it is the same. */
typedef struct FolderCache { char *given; char *real; dev_t dev; ino_t ino; } FolderCache;

struct mkl_fileset {
    mkl_renderer *r;
    MKL_VEC(Target) targets;
    /* the temporary files, for mkl_fileset_abort() in a signal handler: the
     * array is replaced (never changed in place) and the count raised only
     * once a slot is set */
    char *volatile *volatile tmps;
    volatile sig_atomic_t ntmps;
    size_t tmps_cap;
    /* the targets' resolved paths, hashed (target index + 1; 0 is free), so
     * that a name twice is found in one look, not by comparing every pair */
    size_t *by_path;
    size_t by_path_cap, by_path_used;
    FolderCache folder;
    int done;
};

/* A file the renderer has read: an output must not be one of them. */
void mkl__note_input(mkl_renderer *r, const char *path) {
    struct stat sb;
    if (!r || !path || stat(path, &sb) != 0) return;
    for (size_t i = 0; i < r->inputs.n; i++)
        if (r->inputs.v[i].dev == sb.st_dev && r->inputs.v[i].ino == sb.st_ino) return;
    char *copy = mkl__strdup(path);
    MklInput *in = copy ? MKL_PUSH(&r->inputs) : NULL;
    if (!in) {
        mkl__free(copy);   /* out of memory: the check is lost, not the run */
        return;
    }
    in->dev = sb.st_dev;
    in->ino = sb.st_ino;
    in->path = copy;
}

mkl_status mkl_fileset_new(mkl_renderer *r, mkl_fileset **out) {
    if (!r || !out) return MKL_ERR_ARGUMENT;
    *out = NULL;
    mkl_fileset *s = mkl__calloc(1, sizeof *s);
    if (!s) return mkl__err(&r->err, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    s->r = r;
    *out = s;
    return MKL_OK;
}

void mkl_fileset_abort(mkl_fileset *s) {
    if (!s) return;
    char *volatile *t = s->tmps;
    for (sig_atomic_t i = 0; i < s->ntmps; i++)
        if (t[i]) unlink(t[i]);
}

static void target_free(Target *t) {
    if (t->stream && t->stream->fd >= 0) close(t->stream->fd);
    mkl__free(t->stream);
    mkl__free(t->path);
    mkl__free(t->shown);
    mkl__free(t->tmp);
    mkl__buf_free(&t->through);
    mkl__spool_free(t->spool);
}

void mkl_fileset_free(mkl_fileset *s) {
    if (!s) return;
    if (!s->done) mkl_fileset_abort(s);
    for (size_t i = 0; i < s->targets.n; i++) target_free(&s->targets.v[i]);
    mkl__free(s->targets.v);
    mkl__free((void *)s->tmps);
    mkl__free(s->by_path);
    mkl__free(s->folder.given);
    mkl__free(s->folder.real);
    mkl__free(s);
}

/* Register `tmp` for abort (before the file exists: a signal right after it
 * is made must find it). */
static int register_tmp(mkl_fileset *s, char *tmp) {
    if ((size_t)s->ntmps == s->tmps_cap) {
        size_t cap = s->tmps_cap ? s->tmps_cap * 2 : 16;
        char **grown = mkl__calloc(cap, sizeof *grown);
        if (!grown) return -1;
        for (sig_atomic_t i = 0; i < s->ntmps; i++) grown[i] = s->tmps[i];
        char *volatile *old = s->tmps;
        s->tmps = (char *volatile *)grown;
        s->tmps_cap = cap;
        mkl__free((void *)old);
    }
    s->tmps[s->ntmps] = tmp;
    s->ntmps = s->ntmps + 1;
    return 0;
}

static void unregister_tmp(mkl_fileset *s, const char *tmp) {
    for (sig_atomic_t i = 0; i < s->ntmps; i++)
        if (s->tmps[i] == tmp) s->tmps[i] = NULL;
}

/* "DIR/.mkletter-PID-XXXXXX.tmp" is ours, left by process PID. */
static int stale_tmp_pid(const char *name, long *pid) {
    size_t pl = strlen(TMP_PREFIX), n = strlen(name);
    if (strncmp(name, TMP_PREFIX, pl) || n < pl + 1 + 1 + 6 + strlen(TMP_SUFFIX) ||
        strcmp(name + n - strlen(TMP_SUFFIX), TMP_SUFFIX))
        return 0;
    char *end;
    errno = 0;
    long p = strtol(name + pl, &end, 10);
    if (errno || end == name + pl || p <= 0 || *end != '-' || (size_t)(end + 1 + 6 - name) != n - strlen(TMP_SUFFIX))
        return 0;
    for (const char *c = end + 1; c < name + n - strlen(TMP_SUFFIX); c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))) return 0;
    *pid = p;
    return 1;
}

/* Remove the temporary files that a run killed before it could (kill -9, a
 * power cut) left in `dir`: ours by name, regular, owned by this user, and
 * their process gone. Once per folder and renderer: a program writing
 * 10,000 files one call at a time reads the folder once. */
static void sweep_stale(mkl_fileset *s, const char *dir) {
    mkl_renderer *r = s->r;
    for (size_t i = 0; i < r->swept.n; i++)
        if (!strcmp(r->swept.v[i], dir)) return;
    char *copy = mkl__strdup(dir);
    char **slot = copy ? MKL_PUSH(&r->swept) : NULL;
    if (!slot) {
        mkl__free(copy);
        return;
    }
    *slot = copy;
    DIR *d = opendir(dir);
    if (!d) return;
    int dfd = dirfd(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        long pid;
        struct stat sb;
        if (!stale_tmp_pid(de->d_name, &pid) || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;   /* still running (or not ours to ask) */
        if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid())
            continue;
        unlinkat(dfd, de->d_name, 0);
    }
    closedir(d);
}

/* The folder `dir` (as given) resolved, and its file system: from the cache
 * when it is the last target's folder still (the same name, and the same
 * folder by inode: a chdir() or a link changed between two files is seen).
 * NULL (errno set) when it cannot be. */
static const char *resolve_folder(mkl_fileset *s, const char *dir, dev_t *dev) {
    FolderCache *c = &s->folder;
    struct stat sb;
    if (stat(dir, &sb) != 0) return NULL;
    if (c->given && !strcmp(c->given, dir) && c->dev == sb.st_dev && c->ino == sb.st_ino) {
        *dev = c->dev;
        return c->real;
    }
    char *real = realpath(dir, NULL);
    if (!real) return NULL;
    char *given = mkl__strdup(dir), *copy = mkl__strdup(real);
    free(real);
    if (!given || !copy) {
        mkl__free(given);
        mkl__free(copy);
        errno = ENOMEM;
        return NULL;
    }
    mkl__free(c->given);
    mkl__free(c->real);
    c->given = given;
    c->real = copy;
    c->dev = sb.st_dev;
    c->ino = sb.st_ino;
    *dev = sb.st_dev;
    return copy;
}

/* Where `path` really is: a symlink followed to the file it names (so the
 * link stays a link), a new file's folder made absolute; `*exists` says
 * whether `*sb` is the stat() of that file: 1, or 2 for a link that opens
 * but names no path (/dev/stdout to a pipe: /proc/self/fd/1 reads
 * "pipe:[...]"), kept as given, which can only be written through, never
 * replaced. NULL: out of memory. */
static char *resolve_target(mkl_fileset *s, const char *path, struct stat *sb, int *exists, dev_t *dev) {
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    int plain_name = *name && strcmp(name, ".") && strcmp(name, "..");
    int found = plain_name && lstat(path, sb) == 0;
    *exists = 0;
    *dev = 0;
    if (!plain_name || (found && S_ISLNK(sb->st_mode))) {
        /* a link, followed; or a name that is a folder's own ("out/..") */
        char *real = realpath(path, NULL);
        if (real) {
            char *r = mkl__strdup(real);
            free(real);
            if (r && stat(r, sb) == 0) {
                *exists = 1;
                *dev = sb->st_dev;
            }
            return r;
        }
        if (plain_name && stat(path, sb) == 0) {
            *exists = 2;
            *dev = sb->st_dev;
            return mkl__strdup(path);
        }
        found = 0;   /* a dangling link: replaced, as a new file would be */
    }
    char *dir = slash ? mkl__strndup(path, slash == path ? 1 : (size_t)(slash - path)) : mkl__strdup(".");
    if (!dir) return NULL;
    const char *rdir = resolve_folder(s, dir, dev);
    mkl__free(dir);
    if (!rdir) return errno == ENOMEM ? NULL : mkl__strdup(path);   /* the folder is missing: the write says so */
    mkl_buf b = {0};
    mkl__buf_printf(&b, "%s/%s", strcmp(rdir, "/") ? rdir : "", name);
    if (b.oom) {
        mkl__buf_free(&b);
        return NULL;
    }
    *exists = found;
    return b.s;
}

/* The target whose resolved path is `path`, or (size_t)-1 (and `*slot`,
 * when asked, the free slot where it would go). */
static size_t find_path(const mkl_fileset *s, const char *path, size_t *slot) {
    if (!s->by_path_cap) return (size_t)-1;
    size_t mask = s->by_path_cap - 1, i = (size_t)mkl__hash64(path, strlen(path)) & mask;
    for (; s->by_path[i]; i = (i + 1) & mask) {
        size_t k = s->by_path[i] - 1;
        if (k < s->targets.n && !strcmp(s->targets.v[k].path, path)) return k;
    }
    if (slot) *slot = i;
    return (size_t)-1;
}

/* Note target `k` under its path; -1: out of memory. */
static int note_path(mkl_fileset *s, size_t k) {
    if (2 * (s->by_path_used + 1) > s->by_path_cap) {
        size_t cap = s->by_path_cap ? 2 * s->by_path_cap : 64;
        size_t *grown = mkl__calloc(cap, sizeof *grown), *old = s->by_path, oldcap = s->by_path_cap;
        if (!grown) return -1;
        s->by_path = grown;
        s->by_path_cap = cap;
        s->by_path_used = 0;
        for (size_t i = 0; i < oldcap; i++) {
            size_t j = old[i] - 1, slot = 0;
            if (old[i] && j < s->targets.n && find_path(s, s->targets.v[j].path, &slot) == (size_t)-1) {
                s->by_path[slot] = old[i];
                s->by_path_used++;
            }
        }
        mkl__free(old);
    }
    size_t slot = 0;
    if (find_path(s, s->targets.v[k].path, &slot) == (size_t)-1) {
        s->by_path[slot] = k + 1;
        s->by_path_used++;
    }
    return 0;
}

static mkl_status write_all(int fd, const char *data, size_t len) {
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        off += (size_t)n;
    }
    return 0;
}

/* A target for `path`: checked, and its temporary file made beside it and
 * opened (`*fd`), or (`*fd` = -1) a device or FIFO, whose bytes are kept in
 * `through` to be written at commit; `data` (when not NULL) goes there. */
static mkl_status open_target(mkl_fileset *s, const char *path, const char *data, size_t len, int *fd_out) {
    *fd_out = -1;
    mkl_error *e = &s->r->err;
    if (s->done) return mkl__err(e, MKL_ERR_ARGUMENT, path, 0, 0, "the file set is already committed");
    if (!*path) return mkl__err(e, MKL_ERR_ARGUMENT, NULL, 0, 0, "the output file name is empty");
    if (strlen(path) >= PATH_MAX)
        return mkl__err(e, MKL_ERR_WRITE, path, 0, 0, "cannot write: the path is %zu bytes, longer than the system allows (%d)",
                        strlen(path), PATH_MAX - 1);
    Target *t = MKL_PUSH(&s->targets);
    if (!t) return mkl__err(e, MKL_ERR_NOMEM, path, 0, 0, "out of memory");
    struct stat sb;
    int exists;
    if (!(t->shown = mkl__strdup(path)) || !(t->path = resolve_target(s, path, &sb, &exists, &t->dev))) {
        target_free(t);
        s->targets.n--;
        return mkl__err(e, MKL_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    size_t same = find_path(s, t->path, NULL);
    if (same != (size_t)-1) {
        mkl_status st = mkl__err(e, MKL_ERR_ARGUMENT, path, 0, 0, "'%s' and '%s' are the same file; each copy needs its own",
                                 s->targets.v[same].shown, path);
        target_free(t);
        s->targets.n--;
        return st;
    }
    if (note_path(s, s->targets.n - 1)) return mkl__err(e, MKL_ERR_NOMEM, path, 0, 0, "out of memory");
    int keep_mode = 0;
    mode_t mode = 0;
    if (exists) {
        if (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode)) {
            /* a device or a pipe (/dev/null, >(lpr)): written through at commit */
            if (data) mkl__buf_add(&t->through, data, len);
            if (t->through.oom) return mkl__err(e, MKL_ERR_NOMEM, path, 0, 0, "out of memory");
            return MKL_OK;
        }
        if (!S_ISREG(sb.st_mode))
            return mkl__err(e, MKL_ERR_WRITE, path, 0, 0, "cannot write: '%s' is %s, not a regular file; it is left as it is",
                            path, S_ISDIR(sb.st_mode) ? "a folder" : S_ISSOCK(sb.st_mode) ? "a socket" : "a device");
        if (exists == 2)
            return mkl__err(e, MKL_ERR_WRITE, path, 0, 0,
                            "cannot write: '%s' opens a file that has no name in a folder (a deleted file); it is left as "
                            "it is",
                            path);
        keep_mode = 1;
        mode = sb.st_mode & 07777;   /* a replaced file keeps its permissions */
    }
    const char *slash = strrchr(t->path, '/');
    size_t dl = slash ? (size_t)(slash - t->path) : 0;
    char *dir = slash ? mkl__strndup(t->path, dl ? dl : 1) : mkl__strdup(".");
    size_t tl = dl + 64;
    char *tmp = dir ? mkl__malloc(tl) : NULL;
    if (!tmp || register_tmp(s, tmp)) {
        mkl__free(dir);
        mkl__free(tmp);
        return mkl__err(e, MKL_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    t->tmp = tmp;
    sweep_stale(s, dir);
    mkl__free(dir);
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    long pid = (long)getpid();
    unsigned long seed = (unsigned long)time(NULL) ^ ((unsigned long)pid << 16) ^ (unsigned long)(uintptr_t)tmp;
    int fd = -1, err = 0;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        char rnd[7];
        for (int k = 0; k < 6; k++) {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            rnd[k] = alnum[(seed >> 33) % (sizeof alnum - 1)];
        }
        rnd[6] = 0;
        snprintf(tmp, tl, "%.*s%s" TMP_PREFIX "%ld-%s" TMP_SUFFIX, (int)dl, t->path, slash ? "/" : "", pid, rnd);
        /* a new file: 0666 less the umask, as open() makes it; a replaced
         * one: private until it has the old file's mode */
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, keep_mode ? 0600 : 0666);
        err = fd < 0 ? errno : 0;
        if (fd < 0 && err != EEXIST) break;
    }
    if (fd < 0) return mkl__err(e, MKL_ERR_WRITE, path, 0, 0, "cannot write: %s", strerror(err));
    if (keep_mode && fchmod(fd, mode) != 0) {
        err = errno;
        close(fd);
        unlink(tmp);
        return mkl__err(e, MKL_ERR_WRITE, path, 0, 0, "cannot write: %s", strerror(err));
    }
    *fd_out = fd;
    return MKL_OK;
}

/* The end of a temporary file: on disk before it is renamed (commit),
 * started now, waited for there; removed if anything failed. */
static mkl_status close_tmp(mkl_fileset *s, const Target *t, int fd, int err) {
    if (!err) sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    if (close(fd) != 0 && !err) err = errno;
    if (err) {
        unlink(t->tmp);
        return mkl__err(&s->r->err, MKL_ERR_WRITE, t->shown, 0, 0, "cannot write: %s", strerror(err));
    }
    return MKL_OK;
}

/* The PDF in `data` for `path`: checked, then written to a temporary file
 * beside it (or kept, for a device or FIFO, to be written at commit). */
static mkl_status add_bytes(mkl_fileset *s, const char *path, const char *data, size_t len) {
    int fd;
    mkl_status st = open_target(s, path, data, len, &fd);
    if (st || fd < 0) return st;
    return close_tmp(s, &s->targets.v[s->targets.n - 1], fd, write_all(fd, data, len));
}

static int stream_write(void *user, const char *data, size_t n) {
    Stream *st = user;
    if (!st->err) st->err = write_all(st->fd, data, n);
    return st->err;
}

/* stream_write() as a writer callback (a spool written through to a device) */
static int write_stream(void *user, const unsigned char *data, size_t n) { return stream_write(user, (const char *)data, n); }

mkl_status mkl_fileset_stream_batch(mkl_fileset *s, mkl_batch *b, const char *path) {
    if (!s || !b || !path) return MKL_ERR_ARGUMENT;
    mkl__err_clear(&s->r->err);
    Stream *strm = mkl__malloc(sizeof *strm);
    if (!strm) return mkl__err(&s->r->err, MKL_ERR_NOMEM, path, 0, 0, "out of memory");
    int fd;
    mkl_status st = open_target(s, path, NULL, 0, &fd);
    if (st) {
        mkl__free(strm);
        return st;
    }
    Target *t = &s->targets.v[s->targets.n - 1];
    if (fd < 0) {
        /* a device or FIFO: the batch waits in a spool, written through at commit */
        mkl__free(strm);
        if ((st = mkl__spool_batch(s->r, b, path, &t->spool))) s->targets.n--, target_free(t);
        return st;
    }
    strm->fd = fd;
    strm->err = 0;
    t->stream = strm;
    if ((st = mkl__batch_stream(b, stream_write, strm, path)))
        return mkl__err(&s->r->err, st, path, 0, 0, st == MKL_ERR_NOMEM ? "out of memory" : "the batch has copies already");
    return MKL_OK;
}

mkl_status mkl__fileset_end_stream(mkl_fileset *s, void *user, const char *path, int ok, const char *data, size_t len) {
    mkl_status st;
    for (size_t i = 0; i < s->targets.n; i++) {
        Target *t = &s->targets.v[i];
        if (t->spool && t->spool == user) {
            if (strcmp(t->shown, path))
                return mkl__err(&s->r->err, MKL_ERR_ARGUMENT, path, 0, 0, "the batch goes to '%s', not '%s'", t->shown, path);
            int err = ok && len ? mkl__spool_sink(t->spool, data, len) : 0;
            if (!err) err = mkl__spool_error(t->spool);
            st = err ? mkl__err(&s->r->err, MKL_ERR_WRITE, mkl__spool_name(t->spool), 0, 0, "cannot write: %s", strerror(err))
                     : MKL_OK;
            if (!ok || err) {   /* nothing of it is written */
                mkl__spool_free(t->spool);
                t->spool = NULL;
                t->cancelled = 1;
            }
            return st;
        }
        if (!t->stream || t->stream != user) continue;
        if (strcmp(t->shown, path))
            return mkl__err(&s->r->err, MKL_ERR_ARGUMENT, path, 0, 0, "the batch goes to '%s', not '%s'", t->shown, path);
        int fd = t->stream->fd;
        if (ok && len) stream_write(t->stream, data, len);
        t->stream->fd = -1;
        return close_tmp(s, t, fd, ok ? t->stream->err : ECANCELED);
    }
    return mkl__err(&s->r->err, MKL_ERR_ARGUMENT, path, 0, 0, "the batch is streamed to another file set");
}

mkl_status mkl_fileset_add(mkl_fileset *s, const mkl_letter *letter, const char *path) {
    if (!s || !letter || !path) return MKL_ERR_ARGUMENT;
    mkl_buf b = {0};
    mkl_status st = mkl__render_buf(s->r, letter, &b);
    if (!st) st = add_bytes(s, path, b.s, b.n);
    mkl__buf_free(&b);
    return st;
}

mkl_status mkl_fileset_add_pdf(mkl_fileset *s, const unsigned char *pdf, size_t len, const char *path) {
    if (!s || (!pdf && len) || !path) return MKL_ERR_ARGUMENT;
    mkl__err_clear(&s->r->err);
    return add_bytes(s, path, (const char *)pdf, len);
}

mkl_status mkl_fileset_commit(mkl_fileset *s) {
    if (!s || s->done) return MKL_ERR_ARGUMENT;
    mkl_error *e = &s->r->err;
    mkl__err_clear(e);
    /* no output may be a file this renderer read (the letter, the data, an
     * image, a font): checked for every target before any is renamed */
    for (size_t i = 0; i < s->targets.n; i++) {
        struct stat sb;
        if (stat(s->targets.v[i].path, &sb) != 0) continue;
        const char *input = mkl__renderer_input(s->r, sb.st_dev, sb.st_ino);
        if (input)
            return mkl__err(e, MKL_ERR_ARGUMENT, s->targets.v[i].shown, 0, 0,
                            "the output would replace the input '%s' (the same file); choose another output name", input);
    }
    /* every temporary file on disk before any rename: one file is synced by
     * itself; many at once with one syncfs() per file system, which costs a
     * journal commit where a thousand fsync() calls cost a thousand */
    mkl_status st = MKL_OK;
    dev_t synced[8];
    size_t nsynced = 0;
    int many = s->targets.n > 4;
    for (size_t i = 0; i < s->targets.n && !st; i++) {
        Target *t = &s->targets.v[i];
        if (!t->tmp) continue;
        size_t k = 0;
        while (many && k < nsynced && synced[k] != t->dev) k++;
        if (many && k < nsynced) continue;   /* its file system is synced already */
        int fd = open(t->tmp, O_RDONLY | O_CLOEXEC), err = 0;
        struct stat sb;
        if (fd < 0 || fstat(fd, &sb) != 0) err = errno;
        if (!err) {
            int rc = many ? syncfs(fd) : fsync(fd);
            if (rc != 0 && errno != EINVAL && errno != EROFS) err = errno;
            else if (many && nsynced < sizeof synced / sizeof *synced && sb.st_dev == t->dev) synced[nsynced++] = sb.st_dev;
        }
        if (fd >= 0) close(fd);
        if (err) st = mkl__err(e, MKL_ERR_WRITE, t->shown, 0, 0, "cannot write: %s", strerror(err));
    }
    if (st) return st;
    s->done = 1;
    for (size_t i = 0; i < s->targets.n && !st; i++) {
        Target *t = &s->targets.v[i];
        int err = 0;
        if (t->tmp) {
            if (rename(t->tmp, t->path) != 0) err = errno;
            else unregister_tmp(s, t->tmp);
        } else if (t->cancelled) {
            err = ECANCELED;
        } else {
            int fd = open(t->path, O_WRONLY | O_CLOEXEC);
            if (fd < 0) err = errno;
            else {
                if (t->spool) {
                    /* the device's write error, named by the target; or the spool's own (reading it back) */
                    Stream to = {fd, 0};
                    mkl_status hs = mkl__spool_hand_over(t->spool, NULL, 0, write_stream, &to, e);
                    if (hs && to.err) err = to.err;
                    else st = hs;
                } else {
                    err = write_all(fd, t->through.s, t->through.n);
                }
                if (close(fd) != 0 && !err) err = errno;
            }
        }
        if (err) st = mkl__err(e, MKL_ERR_WRITE, t->shown, 0, 0, "cannot write: %s", strerror(err));
    }
    if (st) mkl_fileset_abort(s);   /* the ones not renamed yet */
    return st;
}

/* Write `data` to `path` through a file set of one. */
mkl_status mkl__write_atomic(mkl_renderer *r, const char *path, const char *data, size_t len) {
    mkl_fileset *s;
    mkl_status st = mkl_fileset_new(r, &s);
    if (st) return st;
    st = add_bytes(s, path, data, len);
    if (!st) st = mkl_fileset_commit(s);
    mkl_fileset_free(s);
    return st;
}

/* ## Spools (mkl_batch_spool): a combined file for a writer callback, kept
 * in an unnamed temporary file as it is made, so that memory stays flat and
 * the writer still gets the file only once it is whole. */
struct mkl_spool {
    Stream out;     /* the file, and its first write error (the batch's sink) */
    char name[80];  /* "a temporary file in DIR", for messages */
};

mkl_status mkl__spool_new(mkl_renderer *r, mkl_spool **out) {
    *out = NULL;
    const char *dir = getenv("TMPDIR");
    if (!dir || dir[0] != '/') dir = "/tmp";
    mkl_spool *sp = mkl__calloc(1, sizeof *sp);
    if (!sp) return mkl__err(&r->err, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    int shown = (int)strlen(dir) > 48 ? 48 : (int)strlen(dir);
    snprintf(sp->name, sizeof sp->name, "a temporary file in %.*s%s", shown, dir, shown < (int)strlen(dir) ? "..." : "");
    /* unnamed from the start where the file system can (O_TMPFILE), else
     * named for as long as it takes to remove the name */
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        char tmpl[PATH_MAX];
        if (snprintf(tmpl, sizeof tmpl, "%s/" TMP_PREFIX "spool-XXXXXX", dir) >= (int)sizeof tmpl) errno = ENAMETOOLONG;
        else if ((fd = mkostemp(tmpl, O_CLOEXEC)) >= 0) unlink(tmpl);
    }
    if (fd < 0) {
        int err = errno;
        mkl__free(sp);
        return mkl__err(&r->err, MKL_ERR_WRITE, dir, 0, 0, "cannot make a temporary file for the combined file: %s",
                        strerror(err));
    }
    sp->out.fd = fd;
    *out = sp;
    return MKL_OK;
}

int mkl__spool_sink(void *user, const char *data, size_t n) { return stream_write(&((mkl_spool *)user)->out, data, n); }

mkl_status mkl__spool_batch(mkl_renderer *r, mkl_batch *b, const char *name, mkl_spool **out) {
    mkl_status st = mkl__spool_new(r, out);
    if (st || !(st = mkl__batch_stream(b, mkl__spool_sink, *out, name ? name : (*out)->name))) return st;
    mkl__spool_free(*out);
    *out = NULL;
    return mkl__err(&r->err, st, name, 0, 0, st == MKL_ERR_NOMEM ? "out of memory" : "the batch has copies already");
}

const char *mkl__spool_name(const mkl_spool *sp) { return sp->name; }

int mkl__spool_error(const mkl_spool *sp) { return sp->out.err; }

mkl_status mkl__spool_hand_over(mkl_spool *sp, const char *tail, size_t len, mkl_write_fn write, void *user,
                                mkl_error *e) {
    const size_t piece = (size_t)1 << 20;
    char *buf = mkl__malloc(piece);
    if (!buf) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    mkl_status st = MKL_OK;
    int err = sp->out.err;
    for (off_t at = 0; !err && !st;) {
        ssize_t n = pread(sp->out.fd, buf, piece, at);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) err = errno;
        if (n <= 0) break;
        at += n;
        if (write(user, (const unsigned char *)buf, (size_t)n))
            st = mkl__err(e, MKL_ERR_WRITE, NULL, 0, 0, "the writer callback failed");
    }
    mkl__free(buf);
    if (err) return mkl__err(e, MKL_ERR_WRITE, sp->name, 0, 0, "cannot read it back: %s", strerror(err));
    if (!st && len && write(user, (const unsigned char *)tail, len))
        st = mkl__err(e, MKL_ERR_WRITE, NULL, 0, 0, "the writer callback failed");
    return st;
}

void mkl__spool_free(mkl_spool *sp) {
    if (!sp) return;
    close(sp->out.fd);
    mkl__free(sp);
}
