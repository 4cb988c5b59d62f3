/* Unit tests of image decoding: every PNG colour type and bit depth, JPEG
 * gray/RGB/CMYK/YCCK, size limits, and damaged files (truncated, CRC errors,
 * corrupt scan data, random byte flips), which must fail cleanly.
 * The test images are written here with libpng / libjpeg into a temporary
 * folder that is removed at the end. */
#include <png.h>
#include <jpeglib.h>

#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "image.h"

/* ---- temporary folder ---------------------------------------------------- */

static char tmpdir[64];
static char *made[64];
static int nmade;

static const char *tmp_path(const char *name) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    for (int i = 0; i < nmade; i++)
        if (!strcmp(made[i], buf)) return made[i];
    if (nmade == (int)(sizeof made / sizeof *made)) abort();
    made[nmade] = strdup(buf);
    return made[nmade++];
}

static void cleanup_tmp(void) {
    for (int i = 0; i < nmade; i++) {
        unlink(made[i]);
        free(made[i]);
    }
    rmdir(tmpdir);
}

static int write_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = len ? fwrite(data, 1, len, f) : 0;
    return (fclose(f) == 0 && n == len) ? 0 : -1;
}

static unsigned char *read_bytes(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

/* ---- writing PNGs -------------------------------------------------------- */

typedef struct png_spec {
    int w, h, depth, ctype, interlace;
    const unsigned char *data;        /* rows in PNG byte order, tightly packed */
    const png_color *palette;
    int npalette;
    const unsigned char *trns;
    int ntrns;
    unsigned ppm;                     /* pHYs pixels per metre, 0 = none */
} png_spec;

static size_t png_rowbytes(const png_spec *s) {
    int ch = s->ctype == PNG_COLOR_TYPE_GRAY ? 1 : s->ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
           : s->ctype == PNG_COLOR_TYPE_RGB ? 3 : s->ctype == PNG_COLOR_TYPE_RGBA ? 4 : 1;
    return ((size_t)s->w * (size_t)ch * (size_t)s->depth + 7) / 8;
}

static int write_png_rows(png_structp png, png_infop info, FILE *f, const png_spec *s, png_bytep *rows) {
    if (setjmp(png_jmpbuf(png))) return -1;
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, s->depth, s->ctype,
                 s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s->palette) png_set_PLTE(png, info, s->palette, s->npalette);
    if (s->trns) png_set_tRNS(png, info, s->trns, s->ntrns, NULL);
    if (s->ppm) png_set_pHYs(png, info, s->ppm, s->ppm, PNG_RESOLUTION_METER);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    return 0;
}

static int write_png(const char *path, const png_spec *s) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_bytep *rows = malloc(sizeof *rows * (size_t)s->h);
    size_t rb = png_rowbytes(s);
    for (int y = 0; y < s->h; y++) rows[y] = (png_bytep)s->data + rb * (size_t)y;
    int r = write_png_rows(png, info, f, s, rows);
    png_destroy_write_struct(&png, &info);
    free(rows);
    if (fclose(f) != 0) r = -1;
    return r;
}

/* ---- writing JPEGs ------------------------------------------------------- */

typedef struct jpeg_spec {
    int w, h, components;
    J_COLOR_SPACE in_space, jpeg_space;
    int adobe;                         /* write the Adobe marker (CMYK only) */
    int dpi;                           /* JFIF density in dots per inch, 0 = none, < 0: -dpi dots per cm */
    const unsigned char *data;
} jpeg_spec;

static int write_jpeg(const char *path, const jpeg_spec *s) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);   /* the test's own files: libjpeg's exit on error is acceptable */
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)s->w;
    c.image_height = (JDIMENSION)s->h;
    c.input_components = s->components;
    c.in_color_space = s->in_space;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, s->jpeg_space);
    jpeg_set_quality(&c, 95, TRUE);
    if (s->in_space == JCS_CMYK) c.write_Adobe_marker = s->adobe ? TRUE : FALSE;
    if (s->dpi) {
        c.write_JFIF_header = TRUE;
        c.density_unit = s->dpi > 0 ? 1 : 2;
        c.X_density = (UINT16)(s->dpi > 0 ? s->dpi : -s->dpi);
        c.Y_density = c.X_density;
    }
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)s->data + (size_t)c.next_scanline * (size_t)s->w * (size_t)s->components;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- crafting PNG chunks ------------------------------------------------- */

static uint32_t crc_table[256];
static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}
static uint32_t crc32_of(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}
static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}
static uint32_t get32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
/* Append a chunk with a correct CRC at b+*n. */
static void add_chunk(unsigned char *b, size_t *n, const char *type, const unsigned char *data, uint32_t len) {
    put32(b + *n, len);
    memcpy(b + *n + 4, type, 4);
    if (len) memcpy(b + *n + 8, data, len);
    put32(b + *n + 8 + len, crc32_of(b + *n + 4, len + 4));
    *n += 12 + len;
}
/* A PNG with the given IHDR and one IDAT holding `idat` (not necessarily enough data). */
static size_t craft_png(unsigned char *b, uint32_t w, uint32_t h, int depth, int ctype,
                        const unsigned char *idat, uint32_t idat_len) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    size_t n = 8;
    memcpy(b, sig, 8);
    unsigned char ihdr[13];
    put32(ihdr, w);
    put32(ihdr + 4, h);
    ihdr[8] = (unsigned char)depth; ihdr[9] = (unsigned char)ctype;
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    add_chunk(b, &n, "IHDR", ihdr, 13);
    add_chunk(b, &n, "IDAT", idat, idat_len);
    add_chunk(b, &n, "IEND", NULL, 0);
    return n;
}
/* Offset of the first chunk of `type` (its length field), or 0. */
static size_t find_chunk(const unsigned char *b, size_t len, const char *type) {
    size_t p = 8;
    while (p + 12 <= len) {
        uint32_t n = get32(b + p);
        if (!memcmp(b + p + 4, type, 4)) return p;
        if (n > len - p - 12) break;
        p += 12 + n;
    }
    return 0;
}
/* Recompute every chunk CRC, so that damage reaches the decoder proper. */
static void fix_crcs(unsigned char *b, size_t len) {
    size_t p = 8;
    while (p + 12 <= len) {
        uint32_t n = get32(b + p);
        if (n > len - p - 12) break;
        put32(b + p + 8 + n, crc32_of(b + p + 4, n + 4));
        p += 12 + n;
    }
}

/* ---- test images --------------------------------------------------------- */

enum { W = 37, H = 23 };   /* odd sizes: no row padding hides errors */

static unsigned char rgba_data[W * H * 4];
static void make_rgba(void) {
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            unsigned char *p = rgba_data + (y * W + x) * 4;
            p[0] = (unsigned char)(x * 7);
            p[1] = (unsigned char)(y * 11);
            p[2] = (unsigned char)((x + y) * 3);
            p[3] = (unsigned char)(x * 255 / (W - 1));
        }
}

static int rgba_matches(const mkl_image *im) {
    if (im->width != W || im->height != H || im->channels != 3 || !im->pixels || !im->alpha) return 0;
    for (int i = 0; i < W * H; i++) {
        if (memcmp(im->pixels + i * 3, rgba_data + i * 4, 3)) return 0;
        if (im->alpha[i] != rgba_data[i * 4 + 3]) return 0;
    }
    return 1;
}

static void test_png_rgba(void) {
    make_rgba();
    const char *p = tmp_path("rgba.png");
    png_spec s = {W, H, 8, PNG_COLOR_TYPE_RGBA, 0, rgba_data, NULL, 0, NULL, 0, 11811};
    CHECK(write_png(p, &s) == 0);
    mkl_image im;
    mkl_error e = {0};
    CHECK(mkl__image_load(p, &im, &e) == MKL_OK);
    CHECK(rgba_matches(&im));
    CHECK(im.dpi_x > 299.9 && im.dpi_x < 300.1 && im.dpi_y > 299.9 && im.dpi_y < 300.1);
    mkl__image_free(&im);
    CHECK(im.pixels == NULL && im.alpha == NULL && im.width == 0);
    mkl__image_free(&im);    /* twice is harmless */
    mkl__image_free(NULL);

    /* interlaced: the same pixels */
    const char *pi = tmp_path("interlaced.png");
    s.interlace = 1;
    s.ppm = 0;
    CHECK(write_png(pi, &s) == 0);
    CHECK(mkl__image_load(pi, &im, &e) == MKL_OK);
    CHECK(rgba_matches(&im));
    CHECK(im.dpi_x == 0 && im.dpi_y == 0);
    mkl__image_free(&im);

    /* from memory, same result */
    size_t len;
    unsigned char *b = read_bytes(p, &len);
    CHECK(b && mkl__image_decode(b, len, "mem", &im, &e) == MKL_OK);
    CHECK(rgba_matches(&im));
    mkl__image_free(&im);
    free(b);
}

static void test_png_opaque_rgba(void) {
    static unsigned char d[W * H * 4];
    for (int i = 0; i < W * H; i++) {
        d[i * 4] = (unsigned char)i; d[i * 4 + 1] = (unsigned char)(i >> 3);
        d[i * 4 + 2] = 200; d[i * 4 + 3] = 255;
    }
    const char *p = tmp_path("opaque.png");
    png_spec s = {W, H, 8, PNG_COLOR_TYPE_RGBA, 0, d, NULL, 0, NULL, 0, 0};
    CHECK(write_png(p, &s) == 0);
    mkl_image im;
    mkl_error e = {0};
    CHECK(mkl__image_load(p, &im, &e) == MKL_OK);
    CHECK(im.channels == 3 && im.alpha == NULL && im.width == W && im.height == H);
    int ok = im.pixels != NULL;
    for (int i = 0; ok && i < W * H; i++) ok = !memcmp(im.pixels + i * 3, d + i * 4, 3);
    CHECK(ok);
    mkl__image_free(&im);
}

static void test_png_gray(void) {
    static unsigned char d[W * H];
    for (int i = 0; i < W * H; i++) d[i] = (unsigned char)(i * 5);
    const char *p = tmp_path("gray.png");
    png_spec s = {W, H, 8, PNG_COLOR_TYPE_GRAY, 0, d, NULL, 0, NULL, 0, 0};
    CHECK(write_png(p, &s) == 0);
    mkl_image im;
    mkl_error e = {0};
    CHECK(mkl__image_load(p, &im, &e) == MKL_OK);
    CHECK(im.channels == 1 && im.alpha == NULL && im.width == W && im.height == H);
    CHECK(im.pixels && !memcmp(im.pixels, d, sizeof d));
    mkl__image_free(&im);

    /* 1-bit gray: expanded to 0 / 255 */
    static unsigned char bits[((W + 7) / 8) * H];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if ((x + y) % 3 == 0) bits[y * ((W + 7) / 8) + x / 8] |= (unsigned char)(0x80 >> (x % 8));
    const char *p1 = tmp_path("gray1.png");
    png_spec s1 = {W, H, 1, PNG_COLOR_TYPE_GRAY, 0, bits, NULL, 0, NULL, 0, 0};
    CHECK(write_png(p1, &s1) == 0);
    CHECK(mkl__image_load(p1, &im, &e) == MKL_OK);
    CHECK(im.channels == 1 && im.alpha == NULL && im.width == W);
    int ok = im.pixels != NULL;
    for (int y = 0; ok && y < H; y++)
        for (int x = 0; ok && x < W; x++) ok = im.pixels[y * W + x] == ((x + y) % 3 == 0 ? 255 : 0);
    CHECK(ok);
    mkl__image_free(&im);

    /* 2- and 4-bit gray: expanded to 8 bits (v * 255 / max) */
    for (int depth = 2; depth <= 4; depth += 2) {
        static unsigned char nib[((W * 4 + 7) / 8) * H];
        int max = (1 << depth) - 1, per = 8 / depth, stride = (W * depth + 7) / 8;
        memset(nib, 0, sizeof nib);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                nib[y * stride + x / per] |= (unsigned char)(((x + y) % (max + 1)) << (8 - depth * (x % per + 1)));
        const char *pn = tmp_path(depth == 2 ? "gray2.png" : "gray4.png");
        png_spec sn = {W, H, depth, PNG_COLOR_TYPE_GRAY, 0, nib, NULL, 0, NULL, 0, 0};
        CHECK(write_png(pn, &sn) == 0);
        CHECK(mkl__image_load(pn, &im, &e) == MKL_OK);
        CHECK(im.channels == 1 && im.alpha == NULL && im.width == W);
        ok = im.pixels != NULL;
        for (int y = 0; ok && y < H; y++)
            for (int x = 0; ok && x < W; x++) ok = im.pixels[y * W + x] == (x + y) % (max + 1) * 255 / max;
        CHECK_MSG(ok, "%d-bit gray PNG not expanded to 8 bits", depth);
        mkl__image_free(&im);
    }
}

/* Half-transparent everywhere (no pixel fully clear): the alpha is kept. */
static void test_png_translucent(void) {
    static unsigned char d[W * H * 4];
    for (int i = 0; i < W * H; i++) {
        d[i * 4] = 10; d[i * 4 + 1] = 20; d[i * 4 + 2] = 30; d[i * 4 + 3] = (unsigned char)(1 + i % 200);
    }
    const char *p = tmp_path("translucent.png");
    png_spec s = {W, H, 8, PNG_COLOR_TYPE_RGBA, 0, d, NULL, 0, NULL, 0, 0};
    CHECK(write_png(p, &s) == 0);
    mkl_image im;
    mkl_error e = {0};
    CHECK(mkl__image_load(p, &im, &e) == MKL_OK);
    CHECK_MSG(im.channels == 3 && im.alpha != NULL, "a translucent PNG lost its alpha (channels %d)", im.channels);
    int ok = im.alpha != NULL;
    for (int i = 0; ok && i < W * H; i++) ok = im.alpha[i] == d[i * 4 + 3];
    CHECK(ok);
    mkl__image_free(&im);
}

static void test_png_gray_alpha(void) {
    static unsigned char d[W * H * 2];
    for (int i = 0; i < W * H; i++) { d[i * 2] = (unsigned char)(i % W * 6); d[i * 2 + 1] = (unsigned char)(i / W * 10); }
    const char *p = tmp_path("ga.png");
    png_spec s = {W, H, 8, PNG_COLOR_TYPE_GRAY_ALPHA, 0, d, NULL, 0, NULL, 0, 0};
    CHECK(write_png(p, &s) == 0);
    mkl_image im;
    mkl_error e = {0};
    CHECK(mkl__image_load(p, &im, &e) == MKL_OK);
    CHECK(im.channels == 1 && im.alpha != NULL && im.width == W && im.height == H);
    int ok = im.pixels && im.alpha;
    for (int i = 0; ok && i < W * H; i++) ok = im.pixels[i] == d[i * 2] && im.alpha[i] == d[i * 2 + 1];
    CHECK(ok);
    mkl__image_free(&im);
}

static void test_png_palette(void) {
    static const png_color pal[4] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30}};
    static const unsigned char trns[2] = {0, 128};   /* index 0 transparent, 1 half */
    /* 2-bit indices: pixel x has index x % 4 */
    enum { RB = (W * 2 + 7) / 8 };
    static unsigned char d[RB * H];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            d[y * RB + x / 4] |= (unsigned char)((x % 4) << (6 - 2 * (x % 4)));
    const char *p = tmp_path("palette.png");
    png_spec s = {W, H, 2, PNG_COLOR_TYPE_PALETTE, 0, d, pal, 4, trns, 2, 0};
    CHECK(write_png(p, &s) == 0);
    mkl_image im;
    mkl_error e = {0};
    CHECK(mkl__image_load(p, &im, &e) == MKL_OK);
    CHECK(im.channels == 3 && im.alpha != NULL && im.width == W && im.height == H);
    int ok = im.pixels && im.alpha;
    static const unsigned char want_a[4] = {0, 128, 255, 255};
    for (int y = 0; ok && y < H; y++)
        for (int x = 0; ok && x < W; x++) {
            const unsigned char *px = im.pixels + (y * W + x) * 3;
            const png_color *c = &pal[x % 4];
            ok = px[0] == c->red && px[1] == c->green && px[2] == c->blue && im.alpha[y * W + x] == want_a[x % 4];
        }
    CHECK(ok);
    mkl__image_free(&im);

    /* palette without tRNS: no alpha */
    const char *p2 = tmp_path("palette_opaque.png");
    png_spec s2 = {W, H, 2, PNG_COLOR_TYPE_PALETTE, 0, d, pal, 4, NULL, 0, 0};
    CHECK(write_png(p2, &s2) == 0);
    CHECK(mkl__image_load(p2, &im, &e) == MKL_OK);
    CHECK(im.channels == 3 && im.alpha == NULL && im.pixels && im.pixels[3] == 0 && im.pixels[4] == 255);
    mkl__image_free(&im);
}

static void test_png_16(void) {
    /* 16-bit RGBA, big-endian: values chosen so that scaling and stripping agree */
    static unsigned char d[W * H * 8];
    static const uint16_t vals[4] = {0xFFFF, 0x0000, 0x8080, 0x4040};
    for (int i = 0; i < W * H; i++)
        for (int k = 0; k < 4; k++) {
            uint16_t v = vals[(i + k) % 4];
            d[i * 8 + k * 2] = (unsigned char)(v >> 8);
            d[i * 8 + k * 2 + 1] = (unsigned char)v;
        }
    const char *p = tmp_path("rgba16.png");
    png_spec s = {W, H, 16, PNG_COLOR_TYPE_RGBA, 0, d, NULL, 0, NULL, 0, 0};
    CHECK(write_png(p, &s) == 0);
    mkl_image im;
    mkl_error e = {0};
    CHECK(mkl__image_load(p, &im, &e) == MKL_OK);
    CHECK(im.channels == 3 && im.alpha != NULL && im.width == W && im.height == H);
    int ok = im.pixels && im.alpha;
    for (int i = 0; ok && i < W * H; i++)
        for (int k = 0; ok && k < 4; k++) {
            unsigned want = vals[(i + k) % 4] >> 8;
            unsigned got = k < 3 ? im.pixels[i * 3 + k] : im.alpha[i];
            ok = got == want;
        }
    CHECK(ok);
    mkl__image_free(&im);
}

/* ---- JPEG ---------------------------------------------------------------- */

enum { JW = 48, JH = 32 };   /* 3 x 2 blocks of 16 x 16, each one flat colour */

static int near(int a, int b) { return abs(a - b) <= 8; }

static const unsigned char rgb_blocks[6][3] = {
    {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}, {0, 0, 0}, {128, 64, 200}};

static void fill_blocks(unsigned char *d, int comps, const unsigned char (*colors)[4]) {
    for (int y = 0; y < JH; y++)
        for (int x = 0; x < JW; x++)
            memcpy(d + (y * JW + x) * comps, colors[(y / 16) * 3 + x / 16], (size_t)comps);
}

/* The colour at the centre of block b. */
static const unsigned char *block_px(const mkl_image *im, int b) {
    int x = (b % 3) * 16 + 8, y = (b / 3) * 16 + 8;
    return im->pixels + ((size_t)y * (size_t)im->width + (size_t)x) * (size_t)im->channels;
}

static unsigned char rgb_jpeg_data[JW * JH * 3];

static void test_jpeg_rgb(void) {
    unsigned char colors[6][4];
    for (int i = 0; i < 6; i++) memcpy(colors[i], rgb_blocks[i], 3);
    fill_blocks(rgb_jpeg_data, 3, (const unsigned char (*)[4])colors);
    const char *p = tmp_path("rgb.jpg");
    jpeg_spec s = {JW, JH, 3, JCS_RGB, JCS_YCbCr, 0, 300, rgb_jpeg_data};
    CHECK(write_jpeg(p, &s) == 0);
    mkl_image im;
    mkl_error e = {0};
    CHECK(mkl__image_load(p, &im, &e) == MKL_OK);
    CHECK(im.width == JW && im.height == JH && im.channels == 3 && im.alpha == NULL);
    CHECK(im.dpi_x == 300 && im.dpi_y == 300);
    int ok = im.pixels != NULL;
    for (int b = 0; ok && b < 6; b++) {
        const unsigned char *px = block_px(&im, b);
        ok = near(px[0], rgb_blocks[b][0]) && near(px[1], rgb_blocks[b][1]) && near(px[2], rgb_blocks[b][2]);
        if (!ok) fprintf(stderr, "block %d: %d %d %d\n", b, px[0], px[1], px[2]);
    }
    CHECK(ok);
    mkl__image_free(&im);
    /* a density in dots per centimetre: 100 per cm is 254 per inch */
    jpeg_spec scm = {JW, JH, 3, JCS_RGB, JCS_YCbCr, 0, -100, rgb_jpeg_data};
    const char *pcm = tmp_path("rgb-cm.jpg");
    CHECK(write_jpeg(pcm, &scm) == 0);
    CHECK(mkl__image_load(pcm, &im, &e) == MKL_OK);
    CHECK_MSG(fabs(im.dpi_x - 254) < 0.01 && fabs(im.dpi_y - 254) < 0.01, "100 dots/cm read as %g x %g dpi", im.dpi_x,
              im.dpi_y);
    mkl__image_free(&im);
}

static void test_jpeg_gray(void) {
    static unsigned char d[JW * JH];
    unsigned char colors[6][4] = {{0}, {50}, {100}, {150}, {200}, {255}};
    fill_blocks(d, 1, (const unsigned char (*)[4])colors);
    const char *p = tmp_path("gray.jpg");
    jpeg_spec s = {JW, JH, 1, JCS_GRAYSCALE, JCS_GRAYSCALE, 0, 0, d};
    CHECK(write_jpeg(p, &s) == 0);
    mkl_image im;
    mkl_error e = {0};
    CHECK(mkl__image_load(p, &im, &e) == MKL_OK);
    CHECK(im.width == JW && im.height == JH && im.channels == 1 && im.alpha == NULL);
    int ok = im.pixels != NULL;
    for (int b = 0; ok && b < 6; b++) ok = near(block_px(&im, b)[0], colors[b][0]);
    CHECK(ok);
    mkl__image_free(&im);
}

/* CMYK as ink amounts (0 = none), the RGB they should come out as. */
static const unsigned char cmyk_ink[6][4] = {
    {0, 255, 255, 0}, {255, 0, 255, 0}, {255, 255, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 255}, {255, 0, 0, 0}};
static const unsigned char cmyk_rgb[6][3] = {
    {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}, {0, 0, 0}, {0, 255, 255}};

static void check_cmyk(const char *name, J_COLOR_SPACE space, int adobe) {
    static unsigned char d[JW * JH * 4];
    unsigned char colors[6][4];
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 4; k++)   /* with the Adobe marker, ink is stored inverted */
            colors[i][k] = adobe ? (unsigned char)(255 - cmyk_ink[i][k]) : cmyk_ink[i][k];
    fill_blocks(d, 4, (const unsigned char (*)[4])colors);
    const char *p = tmp_path(name);
    jpeg_spec s = {JW, JH, 4, JCS_CMYK, space, adobe, 0, d};
    CHECK(write_jpeg(p, &s) == 0);
    mkl_image im;
    mkl_error e = {0};
    CHECK_MSG(mkl__image_load(p, &im, &e) == MKL_OK, "%s: %s", name, e.message);
    CHECK(im.width == JW && im.height == JH && im.channels == 3 && im.alpha == NULL);
    int ok = im.pixels != NULL;
    for (int b = 0; ok && b < 6; b++) {
        const unsigned char *px = block_px(&im, b);
        ok = near(px[0], cmyk_rgb[b][0]) && near(px[1], cmyk_rgb[b][1]) && near(px[2], cmyk_rgb[b][2]);
        if (!ok) fprintf(stderr, "%s block %d: %d %d %d\n", name, b, px[0], px[1], px[2]);
    }
    CHECK(ok);
    mkl__image_free(&im);
}

static void test_jpeg_cmyk(void) {
    check_cmyk("cmyk_adobe.jpg", JCS_CMYK, 1);
    check_cmyk("cmyk_plain.jpg", JCS_CMYK, 0);
    check_cmyk("ycck.jpg", JCS_YCCK, 1);
}

/* ---- damaged and unusual files ------------------------------------------ */

static void expect_error(const char *what, mkl_status st, const mkl_image *im, const mkl_error *e,
                         mkl_status want, const char *file, const char *msg) {
    CHECK_MSG(st == want, "%s: status %d, want %d (%s)", what, (int)st, (int)want, e->message);
    CHECK_MSG(strstr(e->message, msg) != NULL, "%s: message '%s' lacks '%s'", what, e->message, msg);
    CHECK_MSG(!strcmp(e->file, file), "%s: file '%s'", what, e->file);
    CHECK_MSG(e->code == want, "%s: e->code %d", what, (int)e->code);
    CHECK_MSG(im->pixels == NULL && im->alpha == NULL && im->width == 0 && im->height == 0 &&
              im->channels == 0, "%s: image not zeroed", what);
}

static void load_expect(const char *name, const void *data, size_t len, mkl_status want, const char *msg) {
    const char *p = tmp_path(name);
    CHECK(write_bytes(p, data, len) == 0);
    mkl_image im;
    memset(&im, 0xAB, sizeof im);   /* must come back zeroed */
    mkl_error e = {0};
    mkl_status st = mkl__image_load(p, &im, &e);
    expect_error(name, st, &im, &e, want, p, msg);
    if (getenv("MKL_TEST_VERBOSE")) printf("%-16s %d %s\n", name, (int)st, e.message);
    if (st == MKL_OK) mkl__image_free(&im);
}

static void test_bad_png(void) {
    size_t len;
    unsigned char *b = read_bytes(tmp_path("rgba.png"), &len);
    CHECK(b && len > 100);
    if (!b) return;
    load_expect("half.png", b, len / 2, MKL_ERR_IMAGE, "truncated PNG");
    load_expect("header.png", b, 8, MKL_ERR_IMAGE, "truncated PNG");
    load_expect("sig4.png", b, 4, MKL_ERR_IMAGE, "truncated PNG");
    load_expect("no_iend.png", b, len - 12, MKL_ERR_IMAGE, "truncated PNG");

    unsigned char *c = malloc(len);
    size_t idat = find_chunk(b, len, "IDAT");
    CHECK(idat > 0);
    memcpy(c, b, len);
    c[idat + 8 + get32(b + idat) / 2] ^= 0x5A;   /* flip a byte in the middle of IDAT */
    load_expect("crc_idat.png", c, len, MKL_ERR_IMAGE, "CRC error in PNG");
    load_expect("crc_idat2.png", c, len, MKL_ERR_IMAGE, "IDAT");

    size_t phys = find_chunk(b, len, "pHYs");   /* an ancillary chunk: also an error */
    CHECK(phys > 0);
    memcpy(c, b, len);
    c[phys + 9] ^= 0x01;
    load_expect("crc_phys.png", c, len, MKL_ERR_IMAGE, "CRC error in PNG (pHYs chunk");

    /* a broken zlib stream with correct CRCs */
    memcpy(c, b, len);
    memset(c + idat + 10, 0xFF, 16);
    fix_crcs(c, len);
    load_expect("zlib.png", c, len, MKL_ERR_IMAGE, "corrupt PNG");
    free(c);
    free(b);

    /* size limits, refused before allocating */
    unsigned char buf[256];
    static const unsigned char tiny[] = {0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
    size_t n = craft_png(buf, 20001, 1, 8, 0, tiny, sizeof tiny);
    load_expect("wide.png", buf, n, MKL_ERR_IMAGE, "image too large (20001x1)");
    n = craft_png(buf, 10001, 10001, 8, 0, tiny, sizeof tiny);
    load_expect("big.png", buf, n, MKL_ERR_IMAGE, "image too large (10001x10001)");
    n = craft_png(buf, 1000000, 1000000, 8, 6, tiny, sizeof tiny);
    load_expect("huge.png", buf, n, MKL_ERR_IMAGE, "image too large (1000000x1000000)");
    /* exactly at the limit, but a few bytes cannot hold 100 megapixels */
    n = craft_png(buf, 20000, 5000, 8, 0, tiny, sizeof tiny);
    load_expect("bomb.png", buf, n, MKL_ERR_IMAGE, "cannot hold 20000x5000 pixels");
    /* a small image whose IDAT is too short */
    n = craft_png(buf, 4, 4, 8, 2, tiny, sizeof tiny);
    load_expect("short.png", buf, n, MKL_ERR_IMAGE, "corrupt PNG");
    n = craft_png(buf, 0, 4, 8, 2, tiny, sizeof tiny);
    load_expect("zero.png", buf, n, MKL_ERR_IMAGE, "corrupt PNG");

    /* the decoded budget (64 MiB): a 16-bit RGBA 10,000 x 10,000 with enough
     * IDAT bytes for its 800 MB of samples is refused by its size, before a
     * byte is inflated (it took 800 MB and 6.7 s) */
    size_t idat_len = 800000, cap = idat_len + 256;
    unsigned char *zeros = calloc(1, idat_len), *big = malloc(cap);
    CHECK(zeros && big);
    if (zeros && big) {
        n = craft_png(big, 10000, 10000, 16, 6, zeros, (uint32_t)idat_len);
        load_expect("rgba16-10k.png", big, n, MKL_ERR_IMAGE,
                    "image too large to decode: 10000x10000 pixels of 4 bytes take 381.5 MiB; an image may take at "
                    "most 64 MiB decoded");
        /* counted after 16 bits become 8: 4096 x 4096 gray 16-bit is 16 MiB decoded, within budget (it fails
         * later, on its data), while 8193 x 8193 gray is over */
        n = craft_png(big, 4096, 4096, 16, 0, zeros, (uint32_t)idat_len);
        load_expect("gray16-4k.png", big, n, MKL_ERR_IMAGE, "corrupt PNG");
        n = craft_png(big, 8193, 8193, 8, 0, zeros, (uint32_t)idat_len);
        load_expect("gray-8k.png", big, n, MKL_ERR_IMAGE, "image too large to decode: 8193x8193 pixels of 1 byte");
    }
    free(zeros);
    free(big);
}

static size_t find_sof(const unsigned char *b, size_t len) {
    for (size_t i = 2; i + 9 < len; i++)
        if (b[i] == 0xFF && (b[i + 1] == 0xC0 || b[i + 1] == 0xC1 || b[i + 1] == 0xC2)) return i;
    return 0;
}
static size_t find_sos_data(const unsigned char *b, size_t len) {
    for (size_t i = 2; i + 4 < len; i++)
        if (b[i] == 0xFF && b[i + 1] == 0xDA) return i + 2 + (((size_t)b[i + 2] << 8) | b[i + 3]);
    return 0;
}

static void test_bad_jpeg(void) {
    size_t len;
    unsigned char *b = read_bytes(tmp_path("rgb.jpg"), &len);
    CHECK(b && len > 200);
    if (!b) return;
    load_expect("cut60.jpg", b, len * 6 / 10, MKL_ERR_IMAGE, "truncated JPEG");
    load_expect("no_eoi.jpg", b, len - 2, MKL_ERR_IMAGE, "truncated JPEG");
    load_expect("soi.jpg", b, 2, MKL_ERR_IMAGE, "truncated JPEG");
    load_expect("soi3.jpg", b, 3, MKL_ERR_IMAGE, "truncated JPEG");
    load_expect("headers.jpg", b, find_sos_data(b, len), MKL_ERR_IMAGE, "truncated JPEG");

    unsigned char *c = malloc(len);
    size_t sos = find_sos_data(b, len);
    CHECK(sos > 0 && sos + 40 < len);
    /* garbage in the scan data: random bytes including markers */
    memcpy(c, b, len);
    uint32_t x = 12345;
    for (size_t i = sos + 10; i < sos + 40 && i < len - 2; i++) {
        x = x * 1103515245u + 12345u;
        c[i] = (i % 5 == 0) ? 0xFF : (unsigned char)(x >> 16);
    }
    load_expect("garbage.jpg", c, len, MKL_ERR_IMAGE, "corrupt JPEG");
    /* a bad Huffman code: all ones */
    memcpy(c, b, len);
    for (size_t i = sos + 4; i < sos + 30; i += 2) { c[i] = 0xFF; c[i + 1] = 0x00; }
    load_expect("huffman.jpg", c, len, MKL_ERR_IMAGE, "corrupt JPEG");
    /* broken header */
    memcpy(c, b, len);
    size_t sof = find_sof(b, len);
    CHECK(sof > 0);
    c[sof + 4] = 7;   /* 7-bit precision */
    load_expect("precision.jpg", c, len, MKL_ERR_IMAGE, "corrupt JPEG");
    /* size limits */
    memcpy(c, b, len);
    c[sof + 5] = 30000 >> 8; c[sof + 6] = 30000 & 0xFF;    /* height */
    load_expect("tall.jpg", c, len, MKL_ERR_IMAGE, "image too large (48x30000)");
    /* 100 megapixels with 48x32 pixels of data: must fail (truncated or corrupt), quickly */
    c[sof + 5] = 5000 >> 8; c[sof + 6] = 5000 & 0xFF;
    c[sof + 7] = 20000 >> 8; c[sof + 8] = 20000 & 0xFF;
    load_expect("bomb.jpg", c, len, MKL_ERR_IMAGE, "image too large to decode: 20000x5000 pixels of 3 bytes take 286.1 MiB");
    /* 16 megapixels, within the decoded budget, with 48x32 pixels of data */
    c[sof + 5] = 4000 >> 8; c[sof + 6] = 4000 & 0xFF;
    c[sof + 7] = 4000 >> 8; c[sof + 8] = 4000 & 0xFF;
    load_expect("bomb16.jpg", c, len, MKL_ERR_IMAGE, "JPEG");
    free(c);
    free(b);
}

static void test_bad_other(void) {
    load_expect("text.png", "hello, this is not an image\n", 28, MKL_ERR_IMAGE, "not a PNG or JPEG image");
    load_expect("empty.jpg", "", 0, MKL_ERR_IMAGE, "not a PNG or JPEG image");
    load_expect("gif.png", "GIF89a\1\0\1\0\0\0\0", 13, MKL_ERR_IMAGE, "not a PNG or JPEG image");

    mkl_image im;
    mkl_error e = {0};
    const char *missing = tmp_path("does-not-exist.png");
    mkl_status st = mkl__image_load(missing, &im, &e);
    expect_error("missing", st, &im, &e, MKL_ERR_READ, missing, "cannot open");

    /* a folder is not readable as a file */
    memset(&e, 0, sizeof e);
    st = mkl__image_load(tmpdir, &im, &e);
    CHECK(st == MKL_ERR_READ || st == MKL_ERR_IMAGE);
    CHECK(!strcmp(e.file, tmpdir) && im.pixels == NULL);

    /* memory: name defaults, NULL data */
    memset(&e, 0, sizeof e);
    CHECK(mkl__image_decode((const unsigned char *)"xx", 2, NULL, &im, &e) == MKL_ERR_IMAGE);
    CHECK(!strcmp(e.file, "<image>"));
    CHECK(mkl__image_decode(NULL, 0, "n", &im, &e) == MKL_ERR_IMAGE && im.pixels == NULL);
    CHECK(mkl__image_decode(NULL, 5, "n", &im, &e) == MKL_ERR_ARGUMENT);
    CHECK(mkl__image_decode((const unsigned char *)"xx", 2, "n", NULL, &e) == MKL_ERR_ARGUMENT);
    CHECK(mkl__image_decode((const unsigned char *)"xx", 2, "n", &im, NULL) == MKL_ERR_IMAGE);
}

/* ---- allocation failures ------------------------------------------------- */

static void alloc_failures(const char *path) {
    size_t len;
    unsigned char *b = read_bytes(path, &len);
    CHECK(b != NULL);
    if (!b) return;
    int ok_at = -1, bad = 0;
    for (int n = 0; n < 500 && ok_at < 0; n++) {
        mkl_image im;
        mkl_error e = {0};
        mkl__fail_alloc_after(n);
        mkl_status st = mkl__image_decode(b, len, path, &im, &e);
        mkl__fail_alloc_after(-1);
        if (st == MKL_OK) { ok_at = n; mkl__image_free(&im); }
        else if (st != MKL_ERR_NOMEM || im.pixels || strcmp(e.file, path)) {
            bad++;
            fprintf(stderr, "%s: alloc %d: status %d %s\n", path, n, (int)st, e.message);
        }
    }
    CHECK_MSG(ok_at > 0 && bad == 0, "%s: ok_at %d, bad %d", path, ok_at, bad);
    /* and through mkl__image_load, whose file read fails first */
    mkl_image im;
    mkl_error e = {0};
    mkl__fail_alloc_after(0);
    mkl_status st = mkl__image_load(path, &im, &e);
    mkl__fail_alloc_after(-1);
    CHECK(st == MKL_ERR_NOMEM && im.pixels == NULL);
    free(b);
}

static void test_alloc_failures(void) {
    alloc_failures(tmp_path("rgba.png"));
    alloc_failures(tmp_path("interlaced.png"));
    alloc_failures(tmp_path("palette.png"));
    alloc_failures(tmp_path("cmyk_adobe.jpg"));
    alloc_failures(tmp_path("gray.jpg"));
}

/* ---- random damage --------------------------------------------------------- */

static uint32_t rng_state;
static uint32_t rng(void) {   /* xorshift32 */
    uint32_t x = rng_state;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    return rng_state = x;
}

static void fuzz_file(const char *path, int is_png, int *ok, int *failed, int *bad) {
    size_t len;
    unsigned char *b = read_bytes(path, &len);
    CHECK(b != NULL);
    if (!b) return;
    unsigned char *c = malloc(len);
    for (uint32_t seed = 1; seed <= 200; seed++) {
        rng_state = seed * 2654435761u;
        memcpy(c, b, len);
        int flips = 1 + (int)(rng() % 8);
        for (int i = 0; i < flips; i++) c[rng() % len] ^= (unsigned char)(1 + rng() % 255);
        if (is_png && (seed & 1)) fix_crcs(c, len);   /* half of them get past the CRC check */
        mkl_image im;
        mkl_error e = {0};
        mkl_status st = mkl__image_decode(c, len, path, &im, &e);
        if (st == MKL_OK) {
            (*ok)++;
            if (!im.pixels || im.width <= 0 || im.height <= 0 || (im.channels != 1 && im.channels != 3)) (*bad)++;
            mkl__image_free(&im);
        } else {
            (*failed)++;
            if ((st != MKL_ERR_IMAGE && st != MKL_ERR_NOMEM) || !e.message[0] || strcmp(e.file, path) ||
                im.pixels || im.alpha)
                (*bad)++;
        }
    }
    free(c);
    free(b);
}

static void test_random_damage(void) {
    int ok = 0, failed = 0, bad = 0;
    fuzz_file(tmp_path("rgba.png"), 1, &ok, &failed, &bad);
    fuzz_file(tmp_path("interlaced.png"), 1, &ok, &failed, &bad);
    fuzz_file(tmp_path("rgb.jpg"), 0, &ok, &failed, &bad);
    fuzz_file(tmp_path("cmyk_adobe.jpg"), 0, &ok, &failed, &bad);
    CHECK_MSG(bad == 0, "%d bad results", bad);
    CHECK(ok + failed == 800);
    CHECK(failed > 0);   /* damage is noticed at least sometimes */
    printf("random damage: %d decoded, %d refused\n", ok, failed);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mkl_test_image_XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    crc_init();
    test_png_rgba();
    test_png_opaque_rgba();
    test_png_gray();
    test_png_gray_alpha();
    test_png_translucent();
    test_png_palette();
    test_png_16();
    test_jpeg_rgb();
    test_jpeg_gray();
    test_jpeg_cmyk();
    test_bad_png();
    test_bad_jpeg();
    test_bad_other();
    test_alloc_failures();
    test_random_damage();
    cleanup_tmp();
    return check_done();
}
