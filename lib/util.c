/* util.c - see util.h */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static long g_fail_after = -1;
static long g_failures;   /* allocations refused so far (by the test hook or by malloc) */

long mkl__alloc_failures(void) { return g_failures; }

void mkl__fail_alloc_after(long n) { g_fail_after = n; }

static int alloc_fails(void) {
    if (g_fail_after < 0) return 0;
    if (g_fail_after == 0) return 1;
    g_fail_after--;
    return 0;
}

static void *counted(void *p) {
    if (!p) g_failures++;
    return p;
}
void *mkl__malloc(size_t n) { return counted(alloc_fails() ? NULL : malloc(n ? n : 1)); }
void *mkl__calloc(size_t n, size_t size) { return counted(alloc_fails() ? NULL : calloc(n ? n : 1, size ? size : 1)); }
void *mkl__realloc(void *p, size_t n) { return counted(alloc_fails() ? NULL : realloc(p, n ? n : 1)); }
void mkl__free(void *p) { free(p); }

char *mkl__strndup(const char *s, size_t n) {
    char *d = mkl__malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}
char *mkl__strdup(const char *s) { return s ? mkl__strndup(s, strlen(s)) : NULL; }

uint64_t mkl__hash64(const void *data, size_t n) {
    const char *s = data;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {   /* eight bytes at a time */
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001B3ull;
    return h ^ (h >> 32);
}

void *mkl__vec_grow(void *vec, size_t elem_size) {
    struct { char *v; size_t n, cap; } *a = vec;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        if (cap > ((size_t)-1) / elem_size) return NULL;
        char *nv = mkl__realloc(a->v, cap * elem_size);
        if (!nv) return NULL;
        a->v = nv;
        a->cap = cap;
    }
    char *p = a->v + a->n * elem_size;
    memset(p, 0, elem_size);
    a->n++;
    return p;
}

void mkl__buf_add_grow(mkl_buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *ns = mkl__realloc(b->s, cap);
        if (!ns) { b->oom = 1; return; }
        b->s = ns;
        b->cap = cap;
    }
    if (n) memcpy(b->s + b->n, s, n);   /* s may be NULL when n is 0 (an empty buffer) */
    b->n += n;
    b->s[b->n] = 0;
}
void mkl__buf_adds(mkl_buf *b, const char *s) { mkl__buf_add(b, s, strlen(s)); }
void mkl__buf_printf(mkl_buf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) { mkl__buf_add(b, tmp, (size_t)n); return; }
    char *big = mkl__malloc((size_t)n + 1);
    if (!big) { b->oom = 1; return; }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    mkl__buf_add(b, big, (size_t)n);
    mkl__free(big);
}
void mkl__buf_free(mkl_buf *b) { mkl__free(b->s); memset(b, 0, sizeof *b); }
int mkl__buf_reserve(mkl_buf *b, size_t extra) {
    if (b->oom || extra > SIZE_MAX - b->n - 1) return b->oom = 1, -1;
    if (b->cap >= b->n + extra + 1) return 0;
    char *ns = mkl__realloc(b->s, b->n + extra + 1);
    if (!ns) return b->oom = 1, -1;
    b->s = ns;
    b->cap = b->n + extra + 1;
    return 0;
}

struct mkl_arena_block { struct mkl_arena_block *next; size_t used, cap; max_align_t data[]; };

void *mkl__arena_alloc(mkl_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    struct mkl_arena_block *b = a->head;
    if (!b || b->used + n > b->cap) {
        size_t cap = n > 16384 ? n : 16384;
        b = mkl__malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    char *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}
char *mkl__arena_strndup(mkl_arena *a, const char *s, size_t n) {
    char *d = mkl__arena_alloc(a, n + 1);
    if (d) memcpy(d, s, n);
    return d;
}
void mkl__arena_free(mkl_arena *a) {
    struct mkl_arena_block *b = a->head;
    while (b) { struct mkl_arena_block *n = b->next; mkl__free(b); b = n; }
    a->head = NULL;
}

/* Characters that must not reach a terminal as they are: C0 and C1 controls,
 * DEL, and the invisible ones that reorder or break lines (bidi overrides and
 * isolates, line and paragraph separators). */
static int unsafe_cp(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t mkl__escape(const char *s, size_t n, char *out, size_t outsz) {
    size_t need = 0, o = 0;
    int full = outsz == 0;
    for (size_t i = 0; i < n;) {
        size_t at = i;
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = c < 0x80 ? (i++, c) : mkl__utf8_next(s, n, &i);
        int bad = cp == 0xFFFD && !(i - at == 3 && !memcmp(s + at, "\xEF\xBF\xBD", 3));
        char esc[16];
        const char *piece = s + at;
        size_t len = i - at;
        if (bad) {   /* one invalid byte: shown by its value, the rest is looked at again */
            i = at + 1;
            len = (size_t)snprintf(esc, sizeof esc, "\\x%02x", c);
            piece = esc;
        } else if (unsafe_cp(cp)) {
            len = cp < 0x80 ? (size_t)snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp)
                            : (size_t)snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
            piece = esc;
        }
        need += len;
        if (!full && o + len < outsz) {
            memcpy(out + o, piece, len);
            o += len;
        } else {
            full = 1;   /* never half an escape or half a character */
        }
    }
    if (outsz) out[o] = 0;
    return need;
}

mkl_status mkl__err(mkl_error *e, mkl_status code, const char *file, int line, int col, const char *fmt, ...) {
    if (!e) return code;
    e->code = code;
    e->line = line;
    e->column = col;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    char raw[sizeof e->message];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    /* messages quote the input: its control characters are shown escaped */
    mkl__escape(raw, n < 0 ? 0 : MKL_MIN((size_t)n, sizeof raw - 1), e->message, sizeof e->message);
    return code;
}
void mkl__err_clear(mkl_error *e) { if (e) memset(e, 0, sizeof *e); }
void mkl__err_default_file(mkl_error *e, const char *file) {
    if (e && e->code && !e->file[0] && file) snprintf(e->file, sizeof e->file, "%s", file);
}

uint32_t mkl__utf8_next(const char *str, size_t len, size_t *i) {
    const unsigned char *s = (const unsigned char *)str;
    size_t p = *i;
    unsigned c = s[p];
    if (c < 0x80) { *i = p + 1; return c; }
    int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
    if (n < 0 || c > 0xF4 || p + (size_t)n >= len) { *i = p + 1; return 0xFFFD; }
    uint32_t cp = c & (0x3F >> n);
    for (int k = 1; k <= n; k++) {
        if ((s[p + k] & 0xC0) != 0x80) { *i = p + 1; return 0xFFFD; }
        cp = (cp << 6) | (s[p + k] & 0x3F);
    }
    static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { *i = p + 1; return 0xFFFD; }
    *i = p + 1 + (size_t)n;
    return cp;
}

int mkl__utf8_put(char *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t mkl__utf8_invalid(const char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        size_t at = i;
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) { i++; continue; }
        uint32_t cp = mkl__utf8_next(s, len, &i);
        if (cp == 0xFFFD && !(i - at == 3 && (unsigned char)s[at] == 0xEF && (unsigned char)s[at + 1] == 0xBF &&
                              (unsigned char)s[at + 2] == 0xBD))
            return at;
    }
    return (size_t)-1;
}

const char *mkl__file_kind(unsigned mode) {
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    return "not a regular file";
}

int mkl__open_regular(const char *path, struct stat *sb, mkl_error *e) {
    if (!*path) return mkl__err(e, MKL_ERR_READ, path, 0, 0, "the file name is empty"), -1;
    if (strlen(path) >= MKL_PATH_MAX)
        return mkl__err(e, MKL_ERR_READ, path, 0, 0, "the path is %zu bytes long; a path may be at most %d bytes",
                        strlen(path), MKL_PATH_MAX - 1), -1;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return mkl__err(e, MKL_ERR_READ, path, 0, 0, "cannot open: %s", strerror(errno)), -1;
    if (fstat(fd, sb) != 0) {
        int err = errno;
        close(fd);
        return mkl__err(e, MKL_ERR_READ, path, 0, 0, "cannot read: %s", strerror(err)), -1;
    }
    if (!S_ISREG(sb->st_mode)) {
        close(fd);
        if (S_ISDIR(sb->st_mode)) return mkl__err(e, MKL_ERR_READ, path, 0, 0, "cannot read: %s", strerror(EISDIR)), -1;
        return mkl__err(e, MKL_ERR_READ, path, 0, 0, "cannot read: %s; only regular files are read",
                        mkl__file_kind(sb->st_mode)), -1;
    }
    return fd;
}

static mkl_status too_big(const char *path, const char *what, unsigned long long size, size_t max, mkl_error *e) {
    const char *article = strchr("aeiou", what[0]) ? "an" : "a";
    return mkl__err(e, MKL_ERR_LIMIT, path, 0, 0, "the %s is %llu bytes (%.1f MiB); %s %s may be at most %.0f MiB (%zu bytes)",
                    what, size, (double)size / (1 << 20), article, what, (double)max / (1 << 20), max);
}

mkl_status mkl__read_file(const char *path, size_t max, const char *what, char **data, size_t *len, mkl_error *e) {
    *data = NULL;
    *len = 0;
    if (!what) what = "file";
    if (!*path) return mkl__err(e, MKL_ERR_READ, path, 0, 0, "the %s's file name is empty", what);
    struct stat sb;
    int fd = mkl__open_regular(path, &sb, e);
    if (fd < 0) return e ? e->code : MKL_ERR_READ;
    if ((unsigned long long)sb.st_size > max) {
        close(fd);
        return too_big(path, what, (unsigned long long)sb.st_size, max, e);
    }
    /* the size is a hint: the file may grow while it is read, so the limit is
     * kept while reading (one byte more than allowed is read to see it). One
     * byte of room past the size sees the end without growing the buffer. */
    size_t want = (size_t)sb.st_size + 1;
    mkl_buf b = {0};
    int rerr = 0, over = 0;
    if (mkl__buf_reserve(&b, want) == 0) {
        b.s[0] = 0;
        for (;;) {
            if (b.n > max) { over = 1; break; }
            size_t room = b.cap - b.n - 1;
            if (room == 0) {   /* a file larger than it said (or /proc): grow by doubling */
                if (mkl__buf_reserve(&b, MKL_MIN(MKL_MAX((size_t)65536, b.n), max + 1 - b.n))) break;
                room = b.cap - b.n - 1;
            }
            if (room > max + 1 - b.n) room = max + 1 - b.n;
            ssize_t n = read(fd, b.s + b.n, room);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) { rerr = errno; break; }
            if (n == 0) break;
            b.n += (size_t)n;
            b.s[b.n] = 0;
        }
    }
    close(fd);
    if (over) {
        mkl__buf_free(&b);
        return mkl__err(e, MKL_ERR_LIMIT, path, 0, 0, "the %s grew past %zu bytes while it was read; at most %zu are read",
                        what, max, max);
    }
    if (b.oom) { mkl__buf_free(&b); return mkl__err(e, MKL_ERR_NOMEM, path, 0, 0, "out of memory reading the file"); }
    if (rerr) { mkl__buf_free(&b); return mkl__err(e, MKL_ERR_READ, path, 0, 0, "read error: %s", strerror(rerr)); }
    *data = b.s;
    *len = b.n;
    return MKL_OK;
}
