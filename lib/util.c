/* util.c - see util.h */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

void mkl__buf_add(mkl_buf *b, const char *s, size_t n) {
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

mkl_status mkl__err(mkl_error *e, mkl_status code, const char *file, int line, int col, const char *fmt, ...) {
    if (!e) return code;
    e->code = code;
    e->line = line;
    e->column = col;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return code;
}
void mkl__err_clear(mkl_error *e) { if (e) memset(e, 0, sizeof *e); }

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

/* Input files are read whole; more than this is refused rather than read
 * until memory runs out (a letter is refused past 64 MiB when it is parsed). */
#define MAX_FILE_BYTES ((size_t)1 << 30)

mkl_status mkl__read_file(const char *path, char **data, size_t *len, mkl_error *e) {
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return mkl__err(e, MKL_ERR_READ, path, 0, 0, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            fclose(f);
            return mkl__err(e, MKL_ERR_READ, path, 0, 0, "cannot read: %s", strerror(EISDIR));
        }
        if (S_ISREG(sb.st_mode) && (unsigned long long)sb.st_size > MAX_FILE_BYTES) {
            fclose(f);
            return mkl__err(e, MKL_ERR_LIMIT, path, 0, 0, "the file is %lld bytes; files of more than 1 GiB are not read",
                            (long long)sb.st_size);
        }
    }
    mkl_buf b = {0};
    char chunk[65536];
    size_t n;
    int too_big = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.n + n > MAX_FILE_BYTES) { too_big = 1; break; }
        mkl__buf_add(&b, chunk, n);
        if (b.oom) break;
    }
    int rerr = ferror(f) ? errno : 0;
    fclose(f);
    if (too_big) {
        mkl__buf_free(&b);
        return mkl__err(e, MKL_ERR_LIMIT, path, 0, 0, "more than 1 GiB to read; files of more than 1 GiB are not read");
    }
    if (b.oom) { mkl__buf_free(&b); return mkl__err(e, MKL_ERR_NOMEM, path, 0, 0, "out of memory reading the file"); }
    if (rerr) { mkl__buf_free(&b); return mkl__err(e, MKL_ERR_READ, path, 0, 0, "read error: %s", strerror(rerr)); }
    if (!b.s) { b.s = mkl__strndup("", 0); if (!b.s) return mkl__err(e, MKL_ERR_NOMEM, path, 0, 0, "out of memory"); }
    *data = b.s;
    *len = b.n;
    return MKL_OK;
}
