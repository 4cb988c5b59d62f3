/* image.h - decoding PNG and JPEG images into 8-bit pixels (+ optional alpha).
 *
 * The PDF stage never hands image files to libharu directly: libharu aborts
 * the process on a corrupt PNG and embeds truncated JPEGs unchecked. Images
 * are decoded here with libpng / libjpeg instead, strictly (a truncated file,
 * a CRC error or corrupt JPEG scan data is an error, not a warning), and
 * without ever aborting, exiting or letting a longjmp escape. */
#ifndef MKL_IMAGE_H
#define MKL_IMAGE_H

#include <stddef.h>

#include "util.h"

/* Largest accepted image: each side at most MKL_IMAGE_MAX_SIDE pixels and at
 * most MKL_IMAGE_MAX_PIXELS pixels in all. Checked before any pixel buffer is
 * allocated. */
#define MKL_IMAGE_MAX_SIDE 20000
#define MKL_IMAGE_MAX_PIXELS 100000000
/* The memory budget of one decoded image: width x height x channels (8 bits
 * each, alpha included) at most 64 MiB. 16-bit PNG samples are reduced to 8
 * bits while decoding. A larger image is MKL_ERR_IMAGE, stating its size. */
#define MKL_IMAGE_MAX_DECODED ((size_t)64 << 20)
/* An image file is read whole: larger files are refused before they are read. */
#define MKL_IMAGE_MAX_FILE ((size_t)64 << 20)

typedef struct mkl_image {
    int width, height;
    int channels;          /* 1 = gray, 3 = RGB (8 bits each, row-major, no padding) */
    unsigned char *pixels; /* width*height*channels bytes, mkl__malloc'd */
    unsigned char *alpha;  /* width*height bytes (8-bit alpha), or NULL if fully opaque */
    double dpi_x, dpi_y;   /* from pHYs / JFIF density, 0 if unknown */
} mkl_image;

/* Decode the PNG or JPEG (by signature, not by extension) at `path`. On failure
 * returns MKL_ERR_READ (cannot open/read) or MKL_ERR_IMAGE with a message naming the
 * problem ("truncated PNG", "CRC error in PNG", "not a PNG or JPEG image", "corrupt JPEG: ...",
 * "image too large (WxH)") and e->file = path; *out is left zeroed.
 * MKL_ERR_NOMEM when an allocation fails. */
mkl_status mkl__image_load(const char *path, mkl_image *out, mkl_error *e);

/* The same for the `len` bytes at `data`; `name` (may be NULL: "<image>") is
 * what e->file is set to on failure. `data` is not kept. */
mkl_status mkl__image_decode(const unsigned char *data, size_t len, const char *name,
                             mkl_image *out, mkl_error *e);

/* Free the pixel buffers and zero `img`. NULL and zeroed images are allowed. */
void mkl__image_free(mkl_image *img);

#endif
