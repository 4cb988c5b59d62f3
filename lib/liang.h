/* liang.h - a Liang hyphenation pattern table (a plain UTF-8 libhyphen
 * pattern file: no replacements, no compound levels), read from the file's
 * text or compiled into the library at build time (tools/hyph_table.c makes
 * the table of each pattern file it is given, hyph_builtin.c, the bytes a
 * load of that file makes). Used by hyph.c. */
#ifndef MKL_LIANG_H
#define MKL_LIANG_H

#include "util.h"

/* A pattern "a1b2c": its key "abc" at pool[key] and its digits {0,1,2,0} at
 * pool[digits] (keylen + 1 of them); hash 0 marks an empty slot. */
typedef struct mkl_pattern { uint32_t hash; uint32_t key, keylen, digits; } mkl_pattern;

typedef struct mkl_liang {
    const char *pool;           /* keys and digit vectors */
    const mkl_pattern *slots;   /* open addressing by hash, `cap` (a power of 2) of them */
    size_t cap, maxlen;
    size_t pool_len;            /* bytes of `pool` used */
    int owned;                  /* pool and slots are the library's to free (a table read at run time) */
} mkl_liang;

/* A table compiled in: the pattern file it was made from, known by its
 * length and fingerprint (mkl__liang_fingerprint) rather than its path. */
typedef struct mkl_liang_builtin {
    size_t file_len;
    uint64_t fingerprint;
    mkl_liang table;
} mkl_liang_builtin;

extern const mkl_liang_builtin mkl__liang_builtins[];   /* ends with file_len 0 */

/* The table of a pattern file's text; NULL if it is not a plain UTF-8 Liang
 * file or on an error, when *oom says whether memory ran out. */
mkl_liang *mkl__liang_parse(const char *text, size_t len, int *oom);
/* The compiled-in table made from exactly this text, or NULL. */
const mkl_liang *mkl__liang_builtin(const char *text, size_t len);
void mkl__liang_free(mkl_liang *l);   /* a table from mkl__liang_parse */
/* 64 bits of the text, which tell it from any other pattern file of the same length. */
uint64_t mkl__liang_fingerprint(const char *text, size_t len);

#define MKL_LIANG_MAX_WORD 64
/* Liang's algorithm on a lower-case word of at most MKL_LIANG_MAX_WORD bytes:
 * vals[k] odd = a hyphen may go before byte k of the word (k in 1..n-1). */
void mkl__liang_word(const mkl_liang *l, const char *w, size_t n, unsigned char *vals);

#endif
