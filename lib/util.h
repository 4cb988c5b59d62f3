/* util.h - memory, growable buffers, errors and UTF-8 helpers shared by every stage.
 * Internal to libmkletter: nothing here is part of the public interface. */
#ifndef MKL_UTIL_H
#define MKL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "mkletter.h"

/* All library allocations go through these, so that allocation-failure tests
 * can make the n-th allocation fail (mkl__fail_alloc_after). */
void *mkl__malloc(size_t n);
void *mkl__calloc(size_t n, size_t size);
void *mkl__realloc(void *p, size_t n);
void mkl__free(void *p);
char *mkl__strndup(const char *s, size_t n);
char *mkl__strdup(const char *s);
/* Test hook: after `n` more successful allocations, fail every one (-1 = never). */
void mkl__fail_alloc_after(long n);
/* How many allocations have failed so far: a library that reports its own
 * allocation failures as other errors (libharu) is told apart by this. */
long mkl__alloc_failures(void);

/* Growable array: `MKL_VEC(T) v = {0};` then mkl__vec_push(&v, sizeof(T)). */
#define MKL_VEC(T) struct { T *v; size_t n, cap; }
/* Make room for one more element; returns a pointer to it (zeroed), or NULL on OOM. */
/* A 64-bit hash of `n` bytes (not for security: cache slots, fingerprints). */
uint64_t mkl__hash64(const void *data, size_t n);
void *mkl__vec_grow(void *vec, size_t elem_size);
/* (in place while there is room: a call per glyph placed was a tenth of a merge copy's layout) */
#define MKL_PUSH(vecp)                                                                                  \
    ({                                                                                                  \
        __typeof__(vecp) mkl_vec_ = (vecp);                                                             \
        mkl_vec_->n < mkl_vec_->cap                                                                     \
            ? (__typeof__(mkl_vec_->v))memset(&mkl_vec_->v[mkl_vec_->n++], 0, sizeof *mkl_vec_->v)      \
            : (__typeof__(mkl_vec_->v))mkl__vec_grow(mkl_vec_, sizeof *mkl_vec_->v);                    \
    })

/* Growable byte string, always NUL-terminated when non-empty. */
typedef struct mkl_buf { char *s; size_t n, cap; int oom; } mkl_buf;
void mkl__buf_add_grow(mkl_buf *b, const char *s, size_t n);
/* Append `n` bytes (in place while there is room: most appends are a few bytes). */
static inline void mkl__buf_add(mkl_buf *b, const char *s, size_t n) {
    if (b->oom || b->n + n >= b->cap) {
        mkl__buf_add_grow(b, s, n);
        return;
    }
    if (n) memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}
void mkl__buf_adds(mkl_buf *b, const char *s);
void mkl__buf_printf(mkl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mkl__buf_free(mkl_buf *b);
/* Make room for `extra` more bytes (and the NUL) in one allocation of the
 * exact size, for a writer that fills b->s + b->n itself; 0, or -1 (and
 * b->oom) when out of memory. */
int mkl__buf_reserve(mkl_buf *b, size_t extra);

/* Arena: many small allocations freed at once. */
typedef struct mkl_arena { struct mkl_arena_block *head; } mkl_arena;
void *mkl__arena_alloc(mkl_arena *a, size_t n);   /* zeroed, 8-aligned; NULL on OOM */
char *mkl__arena_strndup(mkl_arena *a, const char *s, size_t n);
void mkl__arena_free(mkl_arena *a);

/* Errors: set the detail and return the code. */
mkl_status mkl__err(mkl_error *e, mkl_status code, const char *file, int line, int col,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void mkl__err_clear(mkl_error *e);
/* An error found while working on `file` (a letter) that names no file, such
 * as running out of memory deep in a stage, is put on that file. */
void mkl__err_default_file(mkl_error *e, const char *file);
/* Copy the `n` bytes at `s` into `out` (NUL-terminated, never cut inside a
 * character or an escape) with control characters, invisible reordering
 * characters and invalid UTF-8 bytes shown escaped: ESC as \x1b, an invalid
 * byte 0xFF as \xff, U+202E as \u202e. Returns the length the whole escaped
 * text needs, like snprintf. */
size_t mkl__escape(const char *s, size_t n, char *out, size_t outsz);

/* UTF-8: decode one code point at s[*i] (advancing *i); invalid bytes give 0xFFFD. */
uint32_t mkl__utf8_next(const char *s, size_t len, size_t *i);
/* Code point `cp` as UTF-16 code units in `units`; returns how many (1 or 2). */
static inline int mkl__utf16(uint32_t cp, uint32_t units[2]) {
    if (cp < 0x10000) {
        units[0] = cp;
        return 1;
    }
    cp -= 0x10000;
    units[0] = 0xD800 + (cp >> 10);
    units[1] = 0xDC00 + (cp & 0x3FF);
    return 2;
}
int mkl__utf8_put(char *out, uint32_t cp);   /* writes 1-4 bytes, returns count */
/* Offset of the first invalid byte, or (size_t)-1 if `s` is valid UTF-8. */
size_t mkl__utf8_invalid(const char *s, size_t len);

/* Paths longer than this (with the NUL) are refused, never cut short. */
#define MKL_PATH_MAX 4096
/* Input files are read whole; more than this is never read. */
#define MKL_READ_MAX ((size_t)1 << 30)

struct stat;
/* Open `path` for reading without blocking (a FIFO does not wait for a
 * writer) and with close-on-exec; refuse (and close) anything but a regular
 * file. Returns the descriptor with *sb filled, or -1 with the error in `e`
 * (MKL_ERR_READ, naming the path). */
int mkl__open_regular(const char *path, struct stat *sb, mkl_error *e);
/* "a FIFO (named pipe)", "a folder", ... for a st_mode that is not a regular file. */
const char *mkl__file_kind(unsigned mode);

/* Read the whole regular file `path`, at most `max` bytes (a larger file is
 * MKL_ERR_LIMIT, refused by its size before it is read and kept to the limit
 * while it is read). `what` names it in messages ("letter", "image", "data
 * file"). *data is NUL-terminated (and non-NULL) on success. */
mkl_status mkl__read_file(const char *path, size_t max, const char *what, char **data, size_t *len, mkl_error *e);

#define MKL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MKL_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
