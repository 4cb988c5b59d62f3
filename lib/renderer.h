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

typedef struct CachedImage { char *path; mkl_image img; } CachedImage;

struct mkl_renderer {
    mkl_options opts;
    MKL_VEC(CachedImage *) images;   /* decoded once, shared by every copy; stable addresses */
    mkl_parcache *cache;             /* shaped paragraphs, shared by every copy */
    struct mkl_subsets *subsets;     /* subset fonts, shared by copies with the same glyphs */
    char *font_dir;
    mkl_fontdb *db;
    mkl_shaper *sh;
    mkl_error err;
    int pages;
};

/* Lay out `letter` with the renderer's fonts, shaper and image cache. `out`
 * must be zeroed; free it with mkl__layout_free() in every case. */
mkl_status mkl__render_layout(mkl_renderer *r, const mkl_letter *letter, mkl_layout *out);

/* The creation time for documents made now (options, $SOURCE_DATE_EPOCH, clock). */
long long mkl__creation_time(const mkl_renderer *r);

/* Write `data` to `path` through a temporary file in the same folder and a
 * rename: nothing is left behind on failure. */
mkl_status mkl__write_atomic(const char *path, const char *data, size_t len, mkl_error *e);

#endif
