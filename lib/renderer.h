/* renderer.h - the mkl_renderer handle and the pipeline steps render.c
 * shares with batch.c (mail merge and combined files). */
#ifndef MKL_RENDERER_H
#define MKL_RENDERER_H

#include "font.h"
#include "image.h"
#include "layout.h"
#include "letter.h"
#include "mkletter.h"
#include "shape.h"
#include <sys/types.h>

typedef struct CachedImage { char *path; mkl_image img; } CachedImage;

/* A file read for a letter (the letter, its data, an image). */
typedef struct MklInput { dev_t dev; ino_t ino; char *path; } MklInput;

struct mkl_renderer {
    mkl_options opts;
    char *style;          /* opts.style, copied */
    MKL_VEC(CachedImage *) images;   /* decoded once, shared by every copy; stable addresses */
    mkl_parcache *cache;             /* shaped paragraphs, shared by every copy */
    struct mkl_subsets *subsets;     /* subset fonts, shared by copies with the same glyphs */
    struct mkl_glyph_base *base;     /* the fixed glyphs of the template `base_of` (glyphbase.h), or NULL */
    uint64_t base_of;                /* the serial of the template `base` was made for; 0: none yet */
    struct mkl_pack_cache *objstreams;   /* the last documents' object streams, deflated (pack.h) */
    char *font_dir;
    mkl_fontdb *db;
    mkl_shaper *sh;
    MKL_VEC(MklInput) inputs;        /* every file read: outputs must not replace one */
    MKL_VEC(char *) swept;           /* output folders already swept of stale temporary files */
    mkl_error err;
    int pages;
};

/* Remember that `path` was read (an output must not replace it). */
void mkl__note_input(mkl_renderer *r, const char *path);
/* The input (or loaded font) that is the file (dev, ino), or NULL. */
const char *mkl__renderer_input(const mkl_renderer *r, dev_t dev, ino_t ino);

/* The whole pipeline for `letter` into `out` (zeroed; freed by the caller). */
mkl_status mkl__render_buf(mkl_renderer *r, const mkl_letter *letter, mkl_buf *out);


/* Lay out `letter` with the renderer's fonts, shaper and image cache. `out`
 * must be zeroed; free it with mkl__layout_free() in every case. */
mkl_status mkl__render_layout(mkl_renderer *r, const mkl_letter *letter, mkl_layout *out);

/* The creation time for documents made now (options, $SOURCE_DATE_EPOCH, clock). */
long long mkl__creation_time(const mkl_renderer *r);

/* Write `data` to `path` through a temporary file in the same folder and a
 * rename (a file set of one): nothing is left behind on failure. Errors go
 * to r->err. */
/* Hand the batch's file to `sink` as it is made (before its first copy):
 * MKL_ERR_ARGUMENT when it has copies already or a sink. mkl_batch's finish
 * then writes only what is left (the writer may still make the file whole
 * and hand it over at the end: PDF/A, a signed file). `name` for messages. */
mkl_status mkl__batch_stream(mkl_batch *b, int (*sink)(void *user, const char *data, size_t n), void *user, const char *name);
/* The `user` given to mkl__batch_stream, or NULL. */
void *mkl__batch_sink_user(const mkl_batch *b);
/* The end of a batch streamed to a temporary file of `s` for `path`
 * (mkl_fileset_stream_batch; `user` the stream): when `ok`, `data` appended
 * and the file closed; else (the batch failed) the file removed. */
mkl_status mkl__fileset_end_stream(mkl_fileset *s, void *user, const char *path, int ok, const char *data, size_t len);
/* A spool (output.c): an unnamed temporary file in $TMPDIR (or /tmp) that a
 * batch written by mkl_batch_write() is streamed to (mkl__spool_sink, the
 * user the spool; mkl__spool_name for messages), handed to the writer in
 * pieces at the end with `tail` (the rest of the file) after it, and gone
 * when freed. Errors on r->err (new) and `e` (hand over). */
typedef struct mkl_spool mkl_spool;
mkl_status mkl__spool_new(mkl_renderer *r, mkl_spool **out);
int mkl__spool_sink(void *user, const char *data, size_t n);
/* A new spool in *out with the batch `b` streamed to it (named `name` in
 * messages, or the spool's own name when NULL); on an error, no spool. */
mkl_status mkl__spool_batch(mkl_renderer *r, mkl_batch *b, const char *name, mkl_spool **out);
const char *mkl__spool_name(const mkl_spool *sp);
/* The first write to the spool that failed (an errno), or 0. */
int mkl__spool_error(const mkl_spool *sp);
mkl_status mkl__spool_hand_over(mkl_spool *sp, const char *tail, size_t len, mkl_write_fn write, void *user,
                                mkl_error *e);
void mkl__spool_free(mkl_spool *sp);
mkl_status mkl__write_atomic(mkl_renderer *r, const char *path, const char *data, size_t len);

#endif
