/* deflate.c - FlateDecode streams. See deflate.h. */
#include "deflate.h"

#include <libdeflate.h>
#include <pthread.h>
#include <string.h>
#include <zlib.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static void *dalloc(size_t n) { return mkl__malloc(n); }
static void set_allocator(void) { libdeflate_set_memory_allocator(dalloc, mkl__free); }

int mkl__deflate(mkl_buf *out, const void *src, size_t n, int level) {
    if (level < 1 || level > 12) level = MKL_DEFLATE_CONTENT;
    /* a compressor a call: making one costs 3-8 us (measured), less than
     * what keeping one per thread would complicate */
    pthread_once(&g_once, set_allocator);
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    if (!c) return -1;
    size_t cap = libdeflate_zlib_compress_bound(c, n);
    int rc = -1;
    if (!mkl__buf_reserve(out, cap)) {
        size_t got = libdeflate_zlib_compress(c, src, n, out->s + out->n, cap);
        if (got) {
            out->n += got;
            out->s[out->n] = 0;
            rc = 0;
        }
    }
    libdeflate_free_compressor(c);
    return rc;
}

static voidpf zalloc(voidpf o, uInt items, uInt size) {
    (void)o;
    return mkl__malloc((size_t)items * size);
}
static void zfree(voidpf o, voidpf p) {
    (void)o;
    mkl__free(p);
}

int mkl__inflate(mkl_buf *out, const void *src, size_t n, size_t rawlen) {
    z_stream z;
    memset(&z, 0, sizeof z);
    z.zalloc = zalloc;
    z.zfree = zfree;
    if (n > UINT32_MAX || rawlen > UINT32_MAX || inflateInit(&z) != Z_OK) return -1;
    int rc = -1;
    if (!mkl__buf_reserve(out, rawlen)) {
        z.next_in = (Bytef *)src;
        z.avail_in = (uInt)n;
        z.next_out = (Bytef *)out->s + out->n;
        z.avail_out = (uInt)rawlen;
        int r = inflate(&z, Z_FINISH);
        if (r == Z_STREAM_END && z.total_out == rawlen) {
            out->n += rawlen;
            out->s[out->n] = 0;
            rc = 0;
        } else if (r != Z_MEM_ERROR && r != Z_BUF_ERROR) {
            rc = 1;
        }
    }
    inflateEnd(&z);
    return rc;
}


struct mkl_deflater { z_stream z; };

mkl_deflater *mkl__deflater_new(int level) {
    mkl_deflater *d = mkl__calloc(1, sizeof *d);
    if (!d) return NULL;
    d->z.zalloc = zalloc;
    d->z.zfree = zfree;
    if (deflateInit(&d->z, level < 1 || level > 9 ? Z_DEFAULT_COMPRESSION : level) != Z_OK) {
        mkl__free(d);
        return NULL;
    }
    return d;
}

int mkl__deflater_add(mkl_deflater *d, mkl_buf *out, const void *src, size_t n, int finish) {
    z_stream *z = &d->z;
    const unsigned char *p = src;
    for (;;) {
        uInt piece = (uInt)MKL_MIN(n, (size_t)1 << 20);
        z->next_in = (Bytef *)p;
        z->avail_in = piece;
        int last = finish && piece == n;
        int r;
        do {
            if (mkl__buf_reserve(out, MKL_MAX((size_t)65536, out->n / 2))) return -1;
            size_t room = out->cap - out->n - 1;
            if (room > UINT32_MAX) room = UINT32_MAX;
            z->next_out = (Bytef *)out->s + out->n;
            z->avail_out = (uInt)room;
            r = deflate(z, last ? Z_FINISH : Z_NO_FLUSH);
            out->n += room - z->avail_out;
            out->s[out->n] = 0;
            if (r == Z_STREAM_ERROR) return -1;
        } while (last ? r != Z_STREAM_END : z->avail_out == 0);
        p += piece;
        n -= piece;
        if (!n && (!finish || last)) return 0;
    }
}

void mkl__deflater_free(mkl_deflater *d) {
    if (!d) return;
    deflateEnd(&d->z);
    mkl__free(d);
}
