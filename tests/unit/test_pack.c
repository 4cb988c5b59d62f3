/* Unit tests of pack.c: a small classic PDF is packed, and the result is read
 * back here by its cross-reference stream (predictor undone, every offset and
 * object-stream entry followed); PDFs pack.c must refuse (encrypted, updated,
 * broken tables) leave the output as it was; every truncation of a good PDF
 * is either packed or refused, never read out of bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "pack.h"

/* A PDF as libharu writes it: objects, a table, a trailer. `extra` goes into the trailer. */
static char *classic(const char *extra, size_t *len) {
    static const char *objs[] = {
        "<<\n/Type /Catalog\n/Pages 2 0 R\n>>",
        "<<\n/Type /Pages\n/Kids [ 3 0 R ]\n/Count 1\n>>",
        "<<\n/Type /Page\n/MediaBox [ 0 0 595 842 ]\n/Contents 4 0 R\n/Parent 2 0 R\n>>",
        "<<\n/Length 5 0 R\n>>\nstream\r\nBT /F1 12 Tf (endobj stream) Tj ET\nendstream",
        "34",
        "<<\n/Producer (a \\(stream\\) endobj)\n>>",
    };
    size_t n = sizeof objs / sizeof *objs, off[8];
    char *s = malloc(4096);
    size_t p = (size_t)sprintf(s, "%%PDF-1.3\n%%\xB7\xBE\xAD\xAA\n");
    for (size_t i = 0; i < n; i++) {
        off[i] = p;
        p += (size_t)sprintf(s + p, "%zu 0 obj\n%s\nendobj\n", i + 1, objs[i]);
    }
    size_t x = p;
    p += (size_t)sprintf(s + p, "xref\n0 %zu\n0000000000 65535 f\r\n", n + 1);
    for (size_t i = 0; i < n; i++) p += (size_t)sprintf(s + p, "%010zu 00000 n\r\n", off[i]);
    p += (size_t)sprintf(s + p, "trailer\n<<\n/Root 1 0 R\n/Info 6 0 R\n/Size %zu\n%s>>\nstartxref\n%zu\n%%%%EOF\n", n + 1,
                         extra, x);
    *len = p;
    return s;
}

/* strstr for bytes that hold NULs (deflated streams). */
static const char *has(const char *h, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(h + i, needle, k)) return h + i;
    return NULL;
}

static size_t be(const unsigned char *p, int w) {
    size_t v = 0;
    for (int i = 0; i < w; i++) v = v << 8 | p[i];
    return v;
}

/* Inflate the stream of the object at `obj` (its dictionary gives /Length). */
static unsigned char *inflate_at(const char *pdf, size_t n, size_t obj, size_t *outlen) {
    const char *d = has(pdf + obj, n - obj, "/Length ");
    const char *st = has(pdf + obj, n - obj, "stream\n");
    if (!d || !st) return NULL;
    size_t len = strtoul(d + 8, NULL, 10), at = (size_t)(st + 7 - pdf);
    if (at + len > n) return NULL;
    uLongf cap = 1 << 20;
    unsigned char *out = malloc(cap);
    if (uncompress(out, &cap, (const Bytef *)pdf + at, len) != Z_OK) {
        free(out);
        return NULL;
    }
    *outlen = cap;
    return out;
}

static void test_packs(void) {
    size_t n;
    char *in = classic("/ID [<00112233445566778899AABBCCDDEEFF> <00112233445566778899AABBCCDDEEFF>]\n", &n);
    mkl_buf out = {0};
    mkl__buf_adds(&out, "kept");   /* the packed PDF is appended: offsets count from its start */
    CHECK(mkl__pdf_pack(in, n, &out) == MKL_OK);
    const char *pdf = out.s + 4;
    size_t len = out.n - 4;
    CHECK(!strncmp(out.s, "kept%PDF-1.5\n", 13));
    CHECK(len < n + 400);
    /* the stream keeps its data, with its /Length written in place */
    CHECK(has(pdf, len, "4 0 obj\n<<\n/Length 34\n>>\nstream\r\nBT /F1 12 Tf (endobj stream) Tj ET\nendstream\nendobj\n"));
    CHECK(!has(pdf, len, "5 0 obj"));
    const char *sx = has(pdf, len, "startxref\n");
    CHECK(sx != NULL);
    if (!sx) goto out;
    size_t xoff = strtoul(sx + 10, NULL, 10);
    CHECK(xoff < len && !strncmp(pdf + xoff, "8 0 obj\n<< /Type /XRef /Size 9 /W [1 ", 37));
    CHECK(has(pdf + xoff, len - xoff, "/Root 1 0 R /Info 6 0 R /ID [<00112233445566778899AABBCCDDEEFF> <0011"));
    int w = atoi(pdf + xoff + 37);
    size_t rl = 0;
    unsigned char *rows = inflate_at(pdf, len, xoff, &rl);
    CHECK(rows && w >= 1 && rl == 9 * (size_t)(2 + w + 2));
    if (!rows) goto out;
    /* undo the PNG "Up" predictor */
    int cols = 1 + w + 2;
    unsigned char prev[16] = {0}, row[16];
    size_t objstm = 0;
    const char *expect_plain[] = {"", "<<\n/Type /Catalog", "<<\n/Type /Pages", "<<\n/Type /Page\n", "", "", "<<\n/Producer"};
    for (size_t r = 0; r < 9; r++) {
        CHECK(rows[r * (size_t)(cols + 1)] == 2);
        for (int c = 0; c < cols; c++) row[c] = (unsigned char)(rows[r * (size_t)(cols + 1) + 1 + (size_t)c] + prev[c]);
        memcpy(prev, row, sizeof prev);
        int type = row[0];
        size_t f2 = be(row + 1, w), f3 = be(row + 1 + w, 2);
        char head[32];
        snprintf(head, sizeof head, "%zu 0 obj\n", r);
        if (r == 0 || r == 5) CHECK_MSG(type == 0, "object %zu is free", r);
        else if (r == 4 || r == 7 || r == 8) CHECK_MSG(type == 1 && f2 < len && !strncmp(pdf + f2, head, strlen(head)), "object %zu at its offset", r);
        else CHECK_MSG(type == 2 && f2 == 7, "object %zu in the object stream", r);
        if (r == 7 && type == 1) objstm = f2;
        (void)f3;
    }
    free(rows);
    /* the object stream: "N off" pairs, then the objects in that order */
    size_t ol = 0;
    unsigned char *os = objstm ? inflate_at(pdf, len, objstm, &ol) : NULL;
    CHECK(os != NULL);
    if (os) {
        CHECK(has(pdf + objstm, len - objstm, "/Type /ObjStm /N 4 /First "));
        size_t first = strtoul(has(pdf + objstm, len - objstm, "/First ") + 7, NULL, 10);
        const char *p = (const char *)os;
        for (int k = 0; k < 4; k++) {
            char *e;
            size_t num = strtoul(p, &e, 10), off = strtoul(e, &e, 10);
            p = e;
            CHECK_MSG(num < 7 && first + off < ol && !strncmp((const char *)os + first + off, expect_plain[num],
                                                              strlen(expect_plain[num])),
                      "entry %d: object %zu", k, num);
        }
        free(os);
    }
out:
    mkl__buf_free(&out);
    free(in);
}

/* A stream marked /MklFlate true gets /Filter /FlateDecode in its place. */
static void test_mark(void) {
    size_t n;
    char *in = classic("", &n);
    char *at = strstr(in, "<<\n/Length 5 0 R\n>>");
    size_t head = (size_t)(at - in) + 17, m = n + 15;   /* after "/Length 5 0 R\n" */
    char *marked = malloc(m + 64);   /* room for the new startxref */
    memcpy(marked, in, head);
    memcpy(marked + head, "/MklFlate true\n", 15);
    memcpy(marked + head + 15, in + head, n - head + 1);
    /* the offsets after the mark move by 15 */
    for (char *e = strstr(marked, "xref\n"); e && (e = strstr(e, " 00000 n")); e += 8) {
        size_t off = strtoul(e - 10, NULL, 10);
        if (off > head) {
            char d[11];
            snprintf(d, sizeof d, "%010zu", off + 15);
            memcpy(e - 10, d, 10);
        }
    }
    char *sx = strstr(marked, "startxref\n");
    size_t x = strtoul(sx + 10, NULL, 10) + 15;
    snprintf(sx + 10, 32, "%zu\n%%%%EOF\n", x);
    m = strlen(marked);
    mkl_buf out = {0};
    CHECK(mkl__pdf_pack(marked, m, &out) == MKL_OK);
    CHECK(out.s && has(out.s, out.n, "4 0 obj\n<<\n/Length 34\n/Filter /FlateDecode\n>>\nstream\r\n"));
    CHECK(out.s && !has(out.s, out.n, "MklFlate"));
    mkl__buf_free(&out);
    free(marked);
    free(in);
}

static void refused(const char *in, size_t n, const char *what) {
    mkl_buf out = {0};
    mkl__buf_adds(&out, "kept");
    CHECK_MSG(mkl__pdf_pack(in, n, &out) == MKL_ERR_PDF, "%s is refused", what);
    CHECK_MSG(out.n == 4 && !strcmp(out.s, "kept"), "%s leaves the output as it was", what);
    mkl__buf_free(&out);
}

static void test_refuses(void) {
    size_t n;
    char *in = classic("/Encrypt 9 0 R\n", &n);
    refused(in, n, "an encrypted PDF");
    free(in);
    in = classic("/Prev 10\n", &n);
    refused(in, n, "an updated PDF");
    free(in);
    refused("", 0, "nothing");
    refused("%PDF-1.3\nstartxref\n99\n%%EOF\n", 29, "a table beyond the end");
    in = classic("", &n);
    char *bad = malloc(n + 1);
    /* an offset that does not point at its object */
    memcpy(bad, in, n + 1);
    char *e = strstr(bad, "00000 n\r\n");
    e[-2] = (char)(e[-2] == '9' ? '8' : e[-2] + 1);
    refused(bad, n, "a wrong offset");
    /* a table claiming more entries than the file has */
    memcpy(bad, in, n + 1);
    char *c = strstr(bad, "xref\n0 7");
    c[7] = '9';
    refused(bad, n, "a table that is too long");
    /* a table of a later section (objects from 1), which this file alone cannot be */
    memcpy(bad, in, n + 1);
    c = strstr(bad, "xref\n0 7");
    c[5] = '1';
    refused(bad, n, "a table that does not start at object 0");
    free(bad);
    /* every truncation: refused (never read past the end) */
    int ok = 1;
    for (size_t k = 0; k < n; k++) {
        char *cut = malloc(k ? k : 1);
        memcpy(cut, in, k);
        mkl_buf out = {0};
        mkl_status st = mkl__pdf_pack(cut, k, &out);
        if (st != MKL_ERR_PDF && !(st == MKL_OK && k > n - 8)) ok = 0;
        mkl__buf_free(&out);
        free(cut);
    }
    CHECK_MSG(ok, "every truncation is refused");
    free(in);
}

/* `in` with `text` put at `head`, the table's offsets and startxref moved. */
static char *inserted(const char *in, size_t n, size_t head, const char *text, size_t *len) {
    size_t k = strlen(text);
    char *s = malloc(n + k + 64);
    memcpy(s, in, head);
    memcpy(s + head, text, k);
    memcpy(s + head + k, in + head, n - head + 1);
    for (char *e = strstr(s, "xref\n"); e && (e = strstr(e, " 00000 n")); e += 8) {
        size_t off = strtoul(e - 10, NULL, 10);
        if (off > head) {
            char d[11];
            snprintf(d, sizeof d, "%010zu", off + k);
            memcpy(e - 10, d, 10);
        }
    }
    char *sx = strstr(s, "startxref\n");
    size_t x = strtoul(sx + 10, NULL, 10) + k;
    snprintf(sx + 10, 32, "%zu\n%%%%EOF\n", x);
    *len = strlen(s);
    return s;
}

/* A dictionary that begins with /MklTop true stays out of the object
 * streams (a signature's, patched after packing), the mark dropped; the
 * mark anywhere else is no mark. */
static void test_top(void) {
    size_t n, m;
    char *in = classic("", &n);
    size_t head = (size_t)(strstr(in, "<<\n/Type /Page\n") - in) + 3;
    char *marked = inserted(in, n, head, "/MklTop true\n", &m);
    mkl_buf out = {0};
    CHECK(mkl__pdf_pack(marked, m, &out) == MKL_OK);
    CHECK(out.s && has(out.s, out.n, "3 0 obj\n<<\n\n/Type /Page\n/MediaBox"));
    CHECK(out.s && !has(out.s, out.n, "MklTop"));
    CHECK(out.s && has(out.s, out.n, "/Type /ObjStm /N 3 "));
    mkl__buf_free(&out);
    free(marked);
    head = (size_t)(strstr(in, "/Pages 2 0 R") - in);
    marked = inserted(in, n, head, "/MklTop true\n", &m);
    CHECK(mkl__pdf_pack(marked, m, &out) == MKL_OK);
    CHECK(out.s && !has(out.s, out.n, "1 0 obj") && has(out.s, out.n, "/Type /ObjStm /N 4 "));
    mkl__buf_free(&out);
    free(marked);
    free(in);
}

/* A classic PDF whose Info says `producer` and that has `nulls` placeholder
 * objects after it (numbers 7 on), for objects the writer formats itself. */
static char *with_nulls(const char *producer, size_t nulls, size_t *len) {
    size_t cap = 4096 + nulls * 64, n = 6 + nulls, *off = malloc((n + 1) * sizeof *off);
    char *s = malloc(cap);
    size_t p = (size_t)sprintf(s, "%%PDF-1.3\n%%\xB7\xBE\xAD\xAA\n");
    for (size_t i = 0; i < n; i++) {
        off[i] = p;
        const char *body = i == 0   ? "<<\n/Type /Catalog\n/Pages 2 0 R\n>>"
                           : i == 1 ? "<<\n/Type /Pages\n/Kids [ 3 0 R ]\n/Count 1\n>>"
                           : i == 2 ? "<<\n/Type /Page\n/MediaBox [ 0 0 595 842 ]\n/Contents 4 0 R\n/Parent 2 0 R\n>>"
                           : i == 3 ? "<<\n/Length 5 0 R\n>>\nstream\r\nBT /F1 12 Tf (x) Tj ET\nendstream"
                           : i == 4 ? "22"
                           : i == 5 ? NULL
                                    : "null";
        if (body) p += (size_t)sprintf(s + p, "%zu 0 obj\n%s\nendobj\n", i + 1, body);
        else p += (size_t)sprintf(s + p, "%zu 0 obj\n<<\n/Producer (%s)\n>>\nendobj\n", i + 1, producer);
    }
    size_t x = p;
    p += (size_t)sprintf(s + p, "xref\n0 %zu\n0000000000 65535 f\r\n", n + 1);
    for (size_t i = 0; i < n; i++) p += (size_t)sprintf(s + p, "%010zu 00000 n\r\n", off[i]);
    p += (size_t)sprintf(s + p, "trailer\n<<\n/Root 1 0 R\n/Info 6 0 R\n/Size %zu\n>>\nstartxref\n%zu\n%%%%EOF\n", n + 1, x);
    free(off);
    *len = p;
    return s;
}

/* Pack `producer`'s PDF with `nulls` formatted objects (list items alike but
 * for their numbers) with the cache, and check the bytes are those packing
 * it without one gives. */
static void packed_as_fresh(mkl_pack_cache *cache, const char *producer, size_t nulls, const char *what) {
    size_t n;
    char *in = with_nulls(producer, nulls, &n);
    mkl_buf bytes = {0};
    mkl_pack_obj *v = calloc(nulls + 1, sizeof *v);
    for (size_t i = 0; i < nulls; i++) {
        v[i].num = (uint32_t)(7 + i);
        v[i].off = bytes.n;
        mkl__buf_printf(&bytes, "<</Type/StructElem/S/LI/P %zu 0 R/K[%zu 0 R]>>", 7 + (i + 1) % nulls, 7 + i);
        v[i].len = (uint32_t)(bytes.n - v[i].off);
    }
    mkl_pack_subst sub = {bytes.s, v, nulls};
    mkl_buf kept = {0}, fresh = {0};
    CHECK(mkl__pdf_pack_kept(in, n, &sub, cache, &kept) == MKL_OK);
    CHECK(mkl__pdf_pack_with(in, n, &sub, &fresh) == MKL_OK);
    if (kept.n != fresh.n || memcmp(kept.s, fresh.s, kept.n)) {
        printf("packed with the cache (%s): %zu bytes, not the %zu packing afresh gives\n", what, kept.n, fresh.n);
        CHECK(0);
    }
    mkl__buf_free(&kept);
    mkl__buf_free(&fresh);
    mkl__buf_free(&bytes);
    free(v);
    free(in);
}

/* Object streams kept from one document to the next give the bytes packing
 * afresh gives: the same document again (kept), one of the same size with
 * another byte, one with more of the writer's objects (rows of another
 * width), and back. */
static void test_kept(void) {
    mkl_pack_cache *cache = mkl__pack_cache_new();
    CHECK(cache != NULL);
    packed_as_fresh(cache, "first", 3, "a document");
    packed_as_fresh(cache, "first", 3, "the same again");
    packed_as_fresh(cache, "fir5t", 3, "one byte other");
    packed_as_fresh(cache, "first", 60, "many more objects (in rows)");
    packed_as_fresh(cache, "first", 3, "back to the first");
    packed_as_fresh(cache, "first", 61, "one more object");
    packed_as_fresh(cache, "first", 300, "more than a stream holds");
    mkl__pack_cache_free(cache);
}

int main(void) {
    test_packs();
    test_mark();
    test_top();
    test_refuses();
    test_kept();
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}
