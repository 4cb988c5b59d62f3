/* image.c - see image.h
 *
 * Both decoders report errors by longjmp. The rule followed throughout: the
 * only setjmp is in decode_png() / decode_jpeg() below; every callback that
 * can be reached from libpng or libjpeg (error, warning, read, progress) jumps
 * back there, never further. All state that must survive the jump (library
 * handles, buffers, flags) lives in the `img_ctx` the caller owns, not in
 * locals of the function that called setjmp, so nothing is clobbered; the
 * work between setjmp and the jump is done in separate non-inlined functions.
 */
#include "image.h"

#include <limits.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <png.h>
#include <jpeglib.h>
#include <jerror.h>

/* A progressive JPEG may have any number of scans; each costs a pass over the
 * whole coefficient buffer. Legitimate files have about ten. */
#define MKL_JPEG_MAX_SCANS 1000
/* Deflate cannot expand data by more than 1032:1, so a PNG whose pixels need
 * more than 1032 times its IDAT bytes is necessarily short of image data:
 * refused before the pixel buffer is allocated. */
#define MKL_DEFLATE_MAX_RATIO 1032

typedef struct img_ctx {
    jmp_buf jmp;
    const unsigned char *data;
    size_t len;
    size_t pos;                 /* PNG read position */
    /* why we jumped */
    int truncated;              /* the data ended early */
    int nomem;                  /* an allocation failed */
    mkl_status final_code;      /* set by fail(): `msg` is the final message */
    mkl_status status;          /* the result, kept here rather than in a local of the setjmp caller */
    int jpeg_code;              /* libjpeg msg_code of the error */
    char msg[JMSG_LENGTH_MAX > 256 ? JMSG_LENGTH_MAX : 256];
    /* resources, released by cleanup whatever happened */
    unsigned char *buf;         /* decoded pixels, handed to the image on success */
    size_t buf_rows;            /* JPEG: rows `buf` has room for */
    unsigned char **rows;       /* PNG row pointers */
    unsigned char *row;         /* JPEG: one CMYK scanline */
    png_structp png;
    png_infop info;
    struct jpeg_decompress_struct jpg;
    struct jpeg_error_mgr jerr;
    struct jpeg_source_mgr jsrc;
    struct jpeg_progress_mgr jprog;
} img_ctx;

/* Give up with a final status and message (from inside a decoder only). */
static void fail(img_ctx *c, mkl_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static void fail(img_ctx *c, mkl_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->final_code = code;
    longjmp(c->jmp, 1);
}

static void check_size(img_ctx *c, unsigned long w, unsigned long h) {
    if (w > MKL_IMAGE_MAX_SIDE || h > MKL_IMAGE_MAX_SIDE ||
        (unsigned long long)w * h > MKL_IMAGE_MAX_PIXELS)
        fail(c, MKL_ERR_IMAGE, "image too large (%lux%lu); the limit is %dx%d and %d megapixels",
             w, h, MKL_IMAGE_MAX_SIDE, MKL_IMAGE_MAX_SIDE, MKL_IMAGE_MAX_PIXELS / 1000000);
    if (w == 0 || h == 0) fail(c, MKL_ERR_IMAGE, "image has no pixels (%lux%lu)", w, h);
}

/* The decoded pixels (and alpha) of one image may take at most
 * MKL_IMAGE_MAX_DECODED bytes; checked before the pixel buffer is allocated. */
static void check_budget(img_ctx *c, unsigned long w, unsigned long h, int ch) {
    unsigned long long bytes = (unsigned long long)w * h * (unsigned)ch;
    if (bytes > MKL_IMAGE_MAX_DECODED)
        fail(c, MKL_ERR_IMAGE,
             "image too large to decode: %lux%lu pixels of %d byte%s take %.1f MiB; an image may take at most %d MiB "
             "decoded (4096x4096 with transparency, 4729x4729 in colour)",
             w, h, ch, ch == 1 ? "" : "s", (double)bytes / (1 << 20), (int)(MKL_IMAGE_MAX_DECODED >> 20));
}

/* c->buf holds w*h pixels of `ch` channels (1 G, 2 GA, 3 RGB, 4 RGBA). Split
 * off the alpha channel (dropped when all 255) and hand everything to `out`. */
static void finish_image(img_ctx *c, mkl_image *out, int w, int h, int ch, double dx, double dy) {
    size_t n = (size_t)w * (size_t)h;
    unsigned char *alpha = NULL;
    if (ch == 2 || ch == 4) {
        unsigned char *p = c->buf;
        size_t k = (size_t)ch;
        int opaque = 1;
        for (size_t i = 0; i < n; i++)
            if (p[i * k + k - 1] != 255) { opaque = 0; break; }
        if (!opaque) {
            alpha = mkl__malloc(n);
            if (!alpha) fail(c, MKL_ERR_NOMEM, "out of memory decoding the image (%dx%d)", w, h);
        }
        /* compact in place: the write position never passes the read position */
        for (size_t i = 0; i < n; i++) {
            const unsigned char *s = p + i * k;
            unsigned char px[4];
            memcpy(px, s, k);            /* read the whole pixel before writing */
            unsigned char *d = p + i * (k - 1);
            memcpy(d, px, k - 1);
            if (alpha) alpha[i] = px[k - 1];
        }
        ch--;
        unsigned char *shrunk = mkl__realloc(c->buf, n * (size_t)ch);
        if (shrunk) c->buf = shrunk;   /* keeping the larger block is fine too */
    }
    out->width = w;
    out->height = h;
    out->channels = ch;
    out->pixels = c->buf;
    out->alpha = alpha;
    out->dpi_x = dx;
    out->dpi_y = dy;
    c->buf = NULL;
}

/* ---- PNG ---------------------------------------------------------------- */

#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* CRC-32 of PNG chunks (ISO 3309), four bits at a time: no table to build, so
 * no shared state between threads. */
static uint32_t png_crc(const unsigned char *p, size_t n) {
    static const uint32_t t[16] = {
        0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
        0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
        0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        c = (c >> 4) ^ t[c & 15];
        c = (c >> 4) ^ t[c & 15];
    }
    return c ^ 0xFFFFFFFFu;
}
#endif

static uint32_t be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Walk the chunks before decoding: every chunk must be complete and have a
 * correct CRC, up to IEND. libpng checks an IDAT's CRC only after inflating
 * it, so damaged image data would otherwise show up as a zlib error; and a
 * file cut short is reported as such whichever chunk it is cut in.
 * Returns the total IDAT length. */
static size_t png_check_chunks(img_ctx *c) {
    const unsigned char *b = c->data;
    size_t len = c->len, pos = 8, idat = 0;
    for (;;) {
        if (len - pos < 12) {
            c->truncated = 1;
            longjmp(c->jmp, 1);
        }
        uint32_t n = be32(b + pos);
        const unsigned char *type = b + pos + 4;
        char name[16];
        int letters = 1;
        for (int i = 0; i < 4; i++)
            letters &= (type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z');
        if (letters) snprintf(name, sizeof name, "%.4s", (const char *)type);
        else snprintf(name, sizeof name, "0x%08X", (unsigned)be32(type));
        if (n > 0x7FFFFFFFu || !letters)
            fail(c, MKL_ERR_IMAGE, "corrupt PNG: bad chunk header at byte %zu (%s, length %u)", pos,
                 name, (unsigned)n);
        if (n > len - pos - 12) {
            c->truncated = 1;
            longjmp(c->jmp, 1);
        }
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
        if (png_crc(type, (size_t)n + 4) != be32(type + 4 + n))
            fail(c, MKL_ERR_IMAGE, "CRC error in PNG (%s chunk at byte %zu)", name, pos);
#endif
        if (!memcmp(type, "IDAT", 4)) idat += n;
        pos += 12 + (size_t)n;
        if (!memcmp(type, "IEND", 4)) return idat;
    }
}

static void png_error_cb(png_structp png, png_const_charp msg) {
    img_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg ? msg : "unknown error");
    longjmp(c->jmp, 1);
}

static void png_warning_cb(png_structp png, png_const_charp msg) {
    (void)png; /* warnings are about harmless things (e.g. an odd sRGB profile) */
    (void)msg;
}

static png_voidp png_malloc_cb(png_structp png, png_alloc_size_t n) {
    void *p = mkl__malloc(n);
    if (!p) {
        img_ctx *c = png_get_mem_ptr(png);
        if (c) c->nomem = 1;
    }
    return p;
}

static void png_free_cb(png_structp png, png_voidp p) {
    (void)png;
    mkl__free(p);
}

static void png_read_cb(png_structp png, png_bytep dst, size_t n) {
    img_ctx *c = png_get_io_ptr(png);
    if (n > c->len - c->pos) {
        c->truncated = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(dst, c->data + c->pos, n);
    c->pos += n;
}

__attribute__((noinline)) static void png_read_all(img_ctx *c, mkl_image *out) {
    png_structp png = c->png;
    png_infop info = c->info;
    size_t idat = png_check_chunks(c);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* let the fuzzer reach the decoder with data whose CRCs it cannot fix */
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#else
    /* a CRC error in any chunk is an error, not a warning (already checked above) */
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
#endif
    /* our own size limit gives a better message than libpng's */
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    /* text is not needed: do not inflate it (its CRC is still checked) */
    static const png_byte text_chunks[] = "tEXt\0zTXt\0iTXt";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, text_chunks, 3);
    png_set_read_fn(png, c, png_read_cb);
    png_read_info(png, info);

    png_uint_32 w, h;
    int depth, ctype, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    check_size(c, w, h);
    int in_channels = png_get_channels(png, info);
    unsigned long long raw = ((unsigned long long)w * h * (unsigned)in_channels * (unsigned)depth) / 8;
    if (raw / MKL_DEFLATE_MAX_RATIO > (unsigned long long)idat + 64)
        fail(c, MKL_ERR_IMAGE, "corrupt PNG: %zu bytes of image data cannot hold %ux%u pixels", idat,
             (unsigned)w, (unsigned)h);

    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) {
#ifdef PNG_READ_SCALE_16_TO_8_SUPPORTED
        png_set_scale_16(png);
#else
        png_set_strip_16(png);
#endif
    }
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int ch = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (png_get_bit_depth(png, info) != 8 || ch < 1 || ch > 4 || rowbytes != (size_t)w * (size_t)ch)
        fail(c, MKL_ERR_IMAGE, "unsupported PNG layout (color type %d, bit depth %d)", ctype, depth);
    check_budget(c, w, h, ch);   /* 16-bit samples are already reduced to 8 */

    c->buf = mkl__malloc(rowbytes * h);
    c->rows = mkl__malloc(sizeof *c->rows * h);
    if (!c->buf || !c->rows)
        fail(c, MKL_ERR_NOMEM, "out of memory decoding the image (%ux%u)", (unsigned)w, (unsigned)h);
    for (png_uint_32 y = 0; y < h; y++) c->rows[y] = c->buf + rowbytes * y;
    png_read_image(png, c->rows);
    png_read_end(png, NULL);   /* reads up to IEND: checks the remaining chunks and CRCs */

    double dx = 0, dy = 0;
    png_uint_32 rx, ry;
    int unit;
    if (png_get_pHYs(png, info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER) {
        dx = rx * 0.0254;
        dy = ry * 0.0254;
    }
    finish_image(c, out, (int)w, (int)h, ch, dx, dy);
}

static mkl_status decode_png(img_ctx *c, mkl_image *out, const char *name, mkl_error *e) {
    if (setjmp(c->jmp) == 0) {
        c->png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, c, png_error_cb, png_warning_cb,
                                          c, png_malloc_cb, png_free_cb);
        if (c->png) c->info = png_create_info_struct(c->png);
        if (!c->png || !c->info)
            fail(c, MKL_ERR_NOMEM, "out of memory starting the PNG decoder");
        png_read_all(c, out);
    } else {
        /* `c`, `out`, `name`, `e` are not modified after setjmp: still valid */
        if (c->final_code) {
            c->status = mkl__err(e, c->final_code, name, 0, 0, "%s", c->msg);
        } else if (c->nomem) {
            c->status = mkl__err(e, MKL_ERR_NOMEM, name, 0, 0, "out of memory decoding PNG");
        } else if (c->truncated) {
            c->status = mkl__err(e, MKL_ERR_IMAGE, name, 0, 0, "truncated PNG (%zu bytes)", c->len);
        } else {
            const char *crc = strstr(c->msg, "CRC error");
            const char *colon = strchr(c->msg, ':');
            if (crc && colon && colon < crc)
                c->status = mkl__err(e, MKL_ERR_IMAGE, name, 0, 0, "CRC error in PNG (%.*s chunk)",
                              (int)(colon - c->msg), c->msg);
            else if (crc)
                c->status = mkl__err(e, MKL_ERR_IMAGE, name, 0, 0, "CRC error in PNG");
            else
                c->status = mkl__err(e, MKL_ERR_IMAGE, name, 0, 0, "corrupt PNG: %s", c->msg);
        }
        mkl__image_free(out);
    }
    if (c->png) png_destroy_read_struct(&c->png, c->info ? &c->info : NULL, NULL);
    mkl__free(c->rows);
    mkl__free(c->buf);
    c->png = NULL;
    c->info = NULL;
    c->rows = NULL;
    c->buf = NULL;
    return c->status;
}

/* ---- JPEG --------------------------------------------------------------- */

static void jpeg_error_exit_cb(j_common_ptr cinfo) {
    img_ctx *c = cinfo->client_data;
    c->jpeg_code = cinfo->err->msg_code;
    (*cinfo->err->format_message)(cinfo, c->msg);
    longjmp(c->jmp, 1);
}

/* Level -1 is a warning. libjpeg "warns" about corrupt or missing data and
 * goes on with grey blocks; here that is an error. */
static void jpeg_emit_message_cb(j_common_ptr cinfo, int level) {
    if (level >= 0) return;   /* trace messages */
    int code = cinfo->err->msg_code;
    if (code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM) return;   /* harmless */
    cinfo->err->num_warnings++;
    if (code == JWRN_JPEG_EOF) ((img_ctx *)cinfo->client_data)->truncated = 1;
    jpeg_error_exit_cb(cinfo);
}

static void jpeg_output_message_cb(j_common_ptr cinfo) { (void)cinfo; /* never print */ }

static void jpeg_progress_cb(j_common_ptr cinfo) {
    if (!cinfo->is_decompressor) return;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > MKL_JPEG_MAX_SCANS)
        fail(cinfo->client_data, MKL_ERR_IMAGE, "corrupt JPEG: more than %d scans", MKL_JPEG_MAX_SCANS);
}

/* Source manager over the whole buffer: asking for more data means the file
 * is truncated. */
static void jsrc_init(j_decompress_ptr d) { (void)d; }
static void jsrc_term(j_decompress_ptr d) { (void)d; }
static boolean jsrc_fill(j_decompress_ptr d) {
    static const JOCTET eoi[2] = {0xFF, JPEG_EOI};
    WARNMS(d, JWRN_JPEG_EOF);   /* does not return: see jpeg_emit_message_cb */
    d->src->next_input_byte = eoi;
    d->src->bytes_in_buffer = 2;
    return TRUE;
}
static void jsrc_skip(j_decompress_ptr d, long n) {
    if (n <= 0) return;
    if ((unsigned long)n > d->src->bytes_in_buffer) {
        d->src->next_input_byte += d->src->bytes_in_buffer;
        d->src->bytes_in_buffer = 0;
        jsrc_fill(d);
        return;
    }
    d->src->next_input_byte += n;
    d->src->bytes_in_buffer -= (size_t)n;
}

static unsigned char mul255(unsigned a, unsigned b) { return (unsigned char)((a * b + 127) / 255); }

__attribute__((noinline)) static void jpeg_read_all(img_ctx *c, mkl_image *out) {
    j_decompress_ptr d = &c->jpg;
    d->err = jpeg_std_error(&c->jerr);
    c->jerr.error_exit = jpeg_error_exit_cb;
    c->jerr.emit_message = jpeg_emit_message_cb;
    c->jerr.output_message = jpeg_output_message_cb;
    d->client_data = c;
    jpeg_create_decompress(d);   /* keeps err and client_data */

    c->jsrc.init_source = jsrc_init;
    c->jsrc.fill_input_buffer = jsrc_fill;
    c->jsrc.skip_input_data = jsrc_skip;
    c->jsrc.resync_to_restart = jpeg_resync_to_restart;
    c->jsrc.term_source = jsrc_term;
    c->jsrc.next_input_byte = c->data;
    c->jsrc.bytes_in_buffer = c->len;
    d->src = &c->jsrc;
    c->jprog.progress_monitor = jpeg_progress_cb;
    d->progress = &c->jprog;

    jpeg_read_header(d, TRUE);
    check_size(c, d->image_width, d->image_height);
    switch (d->jpeg_color_space) {
    case JCS_GRAYSCALE: d->out_color_space = JCS_GRAYSCALE; break;
    case JCS_YCbCr:
    case JCS_RGB: d->out_color_space = JCS_RGB; break;
    case JCS_CMYK:
    case JCS_YCCK: d->out_color_space = JCS_CMYK; break;
    default:
        fail(c, MKL_ERR_IMAGE, "unsupported JPEG color space (%d components)", d->num_components);
    }
    check_budget(c, d->image_width, d->image_height, d->out_color_space == JCS_GRAYSCALE ? 1 : 3);
    /* libjpeg's own buffers (a progressive file keeps every coefficient) are
     * held to the same budget: past it libjpeg fails instead of allocating */
    d->mem->max_memory_to_use = (long)MKL_IMAGE_MAX_DECODED;
    jpeg_start_decompress(d);

    int oc = d->output_components;
    int ch = oc == 4 ? 3 : oc;
    unsigned w = d->output_width, h = d->output_height;
    if ((oc != 1 && oc != 3 && oc != 4) || w != d->image_width || h != d->image_height)
        fail(c, MKL_ERR_IMAGE, "unsupported JPEG layout (%d components)", oc);
    size_t rowlen = (size_t)w * (size_t)ch;
    if (oc == 4) {
        c->row = mkl__malloc((size_t)w * 4);
        if (!c->row) fail(c, MKL_ERR_NOMEM, "out of memory decoding the image (%ux%u)", w, h);
    }
    /* The pixel buffer grows as rows arrive, so that a small corrupt file
     * claiming a huge size fails before the whole buffer is allocated. */
    size_t first = ((size_t)1 << 22) / rowlen;
    c->buf_rows = 0;
    int invert = !d->saw_Adobe_marker;   /* Adobe (Photoshop) CMYK is stored inverted */
    while (d->output_scanline < h) {
        size_t y = d->output_scanline;
        if (y >= c->buf_rows) {
            size_t nrows = c->buf_rows ? c->buf_rows * 2 : (first ? first : 1);
            if (nrows > h) nrows = h;
            unsigned char *nb = mkl__realloc(c->buf, nrows * rowlen);
            if (!nb) fail(c, MKL_ERR_NOMEM, "out of memory decoding the image (%ux%u)", w, h);
            c->buf = nb;
            c->buf_rows = nrows;
        }
        unsigned char *dst = c->buf + y * rowlen;
        JSAMPROW r = oc == 4 ? c->row : dst;
        if (jpeg_read_scanlines(d, &r, 1) != 1) fail(c, MKL_ERR_IMAGE, "corrupt JPEG: no scanline");
        if (oc == 4) {
            for (unsigned x = 0; x < w; x++) {
                const unsigned char *s = c->row + 4 * (size_t)x;
                unsigned cc = s[0], mm = s[1], yy = s[2], kk = s[3];
                if (invert) { cc = 255 - cc; mm = 255 - mm; yy = 255 - yy; kk = 255 - kk; }
                /* now 255 = no ink */
                dst[3 * (size_t)x] = mul255(cc, kk);
                dst[3 * (size_t)x + 1] = mul255(mm, kk);
                dst[3 * (size_t)x + 2] = mul255(yy, kk);
            }
        }
    }
    jpeg_finish_decompress(d);   /* reads up to EOI: a missing end is an error too */

    double dx = 0, dy = 0;
    if (d->saw_JFIF_marker && d->density_unit == 1) {
        dx = d->X_density;
        dy = d->Y_density;
    } else if (d->saw_JFIF_marker && d->density_unit == 2) {
        dx = d->X_density * 2.54;
        dy = d->Y_density * 2.54;
    }
    finish_image(c, out, (int)w, (int)h, ch, dx, dy);
}

static mkl_status decode_jpeg(img_ctx *c, mkl_image *out, const char *name, mkl_error *e) {
    if ((unsigned long)c->len != c->len)
        return mkl__err(e, MKL_ERR_IMAGE, name, 0, 0, "image too large (%zu bytes)", c->len);
    if (setjmp(c->jmp) == 0) {
        jpeg_read_all(c, out);
    } else {
        if (c->final_code)
            c->status = mkl__err(e, c->final_code, name, 0, 0, "%s", c->msg);
        else if (c->jpeg_code == JERR_OUT_OF_MEMORY)
            c->status = mkl__err(e, MKL_ERR_NOMEM, name, 0, 0, "out of memory decoding JPEG: %s", c->msg);
        else if (c->truncated || c->jpeg_code == JERR_INPUT_EOF)
            c->status = mkl__err(e, MKL_ERR_IMAGE, name, 0, 0, "truncated JPEG (%zu bytes)", c->len);
        else {
            static const char prefix[] = "Corrupt JPEG data: ";   /* libjpeg's, redundant here */
            const char *m = c->msg;
            if (!strncmp(m, prefix, sizeof prefix - 1)) m += sizeof prefix - 1;
            c->status = mkl__err(e, MKL_ERR_IMAGE, name, 0, 0, "corrupt JPEG: %s", m);
        }
        mkl__image_free(out);
    }
    jpeg_destroy_decompress(&c->jpg);   /* safe on a never-created (zeroed) struct */
    mkl__free(c->row);
    mkl__free(c->buf);
    c->row = NULL;
    c->buf = NULL;
    return c->status;
}

/* ---- entry points ------------------------------------------------------- */

static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
static const unsigned char jpeg_sig[3] = {0xFF, 0xD8, 0xFF};

mkl_status mkl__image_decode(const unsigned char *data, size_t len, const char *name,
                             mkl_image *out, mkl_error *e) {
    if (!name) name = "<image>";
    if (!out) return mkl__err(e, MKL_ERR_ARGUMENT, name, 0, 0, "no image to decode into");
    memset(out, 0, sizeof *out);
    if (!data && len) return mkl__err(e, MKL_ERR_ARGUMENT, name, 0, 0, "no image data");
    if (len == 0) return mkl__err(e, MKL_ERR_IMAGE, name, 0, 0, "not a PNG or JPEG image (empty file)");

    img_ctx c;
    memset(&c, 0, sizeof c);
    c.data = data;
    c.len = len;
    if (len >= sizeof png_sig && !memcmp(data, png_sig, sizeof png_sig))
        return decode_png(&c, out, name, e);
    if (len >= sizeof jpeg_sig && !memcmp(data, jpeg_sig, sizeof jpeg_sig))
        return decode_jpeg(&c, out, name, e);
    if (len >= 2 && len < sizeof png_sig && !memcmp(data, png_sig, len))
        return mkl__err(e, MKL_ERR_IMAGE, name, 0, 0, "truncated PNG (%zu bytes)", len);
    if (len == 2 && !memcmp(data, jpeg_sig, len))
        return mkl__err(e, MKL_ERR_IMAGE, name, 0, 0, "truncated JPEG (%zu bytes)", len);
    return mkl__err(e, MKL_ERR_IMAGE, name, 0, 0, "not a PNG or JPEG image");
}

mkl_status mkl__image_load(const char *path, mkl_image *out, mkl_error *e) {
    if (out) memset(out, 0, sizeof *out);
    if (!path) return mkl__err(e, MKL_ERR_ARGUMENT, "", 0, 0, "no image path");
    char *data = NULL;
    size_t len = 0;
    mkl_status st = mkl__read_file(path, MKL_IMAGE_MAX_FILE, "image", &data, &len, e);
    if (st != MKL_OK) return st;   /* MKL_ERR_READ (or NOMEM), e->file = path */
    st = mkl__image_decode((const unsigned char *)data, len, path, out, e);
    mkl__free(data);
    return st;
}

void mkl__image_free(mkl_image *img) {
    if (!img) return;
    mkl__free(img->pixels);
    mkl__free(img->alpha);
    memset(img, 0, sizeof *img);
}
