/* deflate.h - zlib-format (FlateDecode) compression for the PDF streams.
 *
 * Compression is libdeflate's (whole buffers at once): measured side by side
 * on a page of the seed letter it is 2.6 times as fast as zlib for the same
 * size at level 6, and smaller than zlib's best at level 9 in 0.6 of its time.
 * Inflating (rare: content a writer parked) stays with zlib. Both allocate
 * through the library's allocator. Thread-safe. */
#ifndef MKL_DEFLATE_H
#define MKL_DEFLATE_H

#include "util.h"

/* Levels (libdeflate's 1-12). */
enum {
    MKL_DEFLATE_FAST = 1,     /* content parked while a writer waits for its fonts */
    MKL_DEFLATE_PAGES = 1,    /* page content: every copy of a merge deflates its own (the running header
                                 names the addressee). Measured side by side (libdeflate 1.14), its glyph
                                 codes as literal strings: a 200-row seed merge, one file each, takes 0.82
                                 of the CPU time it takes at 6 (at 4: 0.94, at 5: 0.97), the seed letter
                                 24,738 B against 23,899 B at 6 (24,256 at 4, 23,943 at 5); the Korean
                                 merge's copies are 0.4% larger for 2% less time; level 2 already costs
                                 nearly twice level 1's time on these pages */
    MKL_DEFLATE_CONTENT = 6,  /* fonts, CMaps: zlib's default size (kept deflated from copy to copy) */
    MKL_DEFLATE_OBJECTS = 7,  /* object streams: the structure tree's hundreds of dictionaries alike take
                                 level 9 five times as long as 7 and come out no smaller (measured side by
                                 side on the seed letter, tagged: 0.58 against 0.12 ms; the file 25,138 B at 7,
                                 25,187 B at 9) */
    MKL_DEFLATE_FLAT_OBJECTS = 5, /* a combined file's object streams (pdf_flat.c): a copy's structure tree,
                                 deflated again for every copy, is the most of its deflate. Measured side by
                                 side, a 1,000-copy seed merge into one file with -j 2: at 6, 0.95 of the
                                 time at 7 for 0.01% more bytes; at 5, 0.95 of the time at 6 (1,082 copies
                                 a second), 0.6% more bytes than at 7; at 4, 3.4% more bytes */
    MKL_DEFLATE_BEST = 9      /* the cross-reference stream (small) */
};

/* Append `n` bytes at `src` deflated (zlib format) at `level` to `out`; 0, or
 * -1 when out of memory. */
int mkl__deflate(mkl_buf *out, const void *src, size_t n, int level);
/* A zlib-format stream deflated piece by piece, for what is too big to hold
 * whole beside its deflated bytes (a combined file's cross-reference rows:
 * 8 bytes an object, 30 MB for 20,000 copies of the seed letter, tagged).
 * zlib's, as libdeflate compresses whole buffers only. new() is NULL when
 * out of memory; add() appends `src` deflated so far to `out` (with
 * `finish`, the rest and the stream's end): 0, or -1 when out of memory. */
typedef struct mkl_deflater mkl_deflater;
/* zlib's level for those rows: 20,000 copies' 30 MB in 0.12 s of CPU and
 * 1,037,803 bytes, where level 9 takes 0.62 s for 967,065 (libdeflate's 9,
 * whole: 0.18 s, 961,718); measured side by side on the rows of that file */
enum { MKL_DEFLATER_ROWS = 5 };
mkl_deflater *mkl__deflater_new(int level);
int mkl__deflater_add(mkl_deflater *d, mkl_buf *out, const void *src, size_t n, int finish);
void mkl__deflater_free(mkl_deflater *d);

/* Append the `rawlen` bytes that `src` inflates to; 0, -1 when out of
 * memory, 1 when `src` is not that. */
int mkl__inflate(mkl_buf *out, const void *src, size_t n, size_t rawlen);

#endif
