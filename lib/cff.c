/* cff.c - reading and patching a CFF Top DICT. See cff.h. */
#include "cff.h"

#include "util.h"

#include <string.h>

/* The data of the first element of the INDEX at `at`, and where the INDEX
 * ends. 0 if it does not fit in `len` bytes. */
static int index_first(const unsigned char *d, size_t len, size_t at, size_t *first, size_t *first_end, size_t *end) {
    if (at + 2 > len) return 0;
    size_t count = (size_t)d[at] << 8 | d[at + 1];
    if (!count) {
        *first = *first_end = *end = at + 2;
        return 1;
    }
    if (at + 3 > len) return 0;
    unsigned osz = d[at + 2];
    if (osz < 1 || osz > 4 || (len - at - 3) / osz < count + 1) return 0;
    const unsigned char *offs = d + at + 3;
    size_t base = at + 3 + (count + 1) * osz - 1, o0 = 0, o1 = 0, on = 0;
    for (unsigned k = 0; k < osz; k++) {
        o0 = o0 << 8 | offs[k];
        o1 = o1 << 8 | offs[osz + k];
        on = on << 8 | offs[count * osz + k];
    }
    if (o0 < 1 || o1 < o0 || on < o1 || base + on > len) return 0;
    *first = base + o0;
    *first_end = base + o1;
    *end = base + on;
    return 1;
}

/* The Top DICT: [*start, *end). */
static int top_dict(const unsigned char *d, size_t len, size_t *start, size_t *end) {
    if (len < 4 || d[0] != 1 || d[2] < 4 || d[2] >= len) return 0;
    size_t a, b, names_end;
    if (!index_first(d, len, d[2], &a, &b, &names_end)) return 0;
    size_t top_end;
    return index_first(d, len, names_end, start, end, &top_end) && *end > *start;
}

/* One DICT token at d[p]: an operator (returns its code, 1200 + n for
 * "12 n") or an operand (returns -1). *next is the byte after it. */
static int dict_token(const unsigned char *d, size_t end, size_t p, size_t *next) {
    unsigned char b0 = d[p];
    if (b0 <= 21) {
        if (b0 == 12) {
            *next = p + 2;
            return p + 1 < end ? 1200 + d[p + 1] : -2;
        }
        *next = p + 1;
        return b0;
    }
    if (b0 == 28) *next = p + 3;
    else if (b0 == 29) *next = p + 5;
    else if (b0 == 30) {
        p++;
        while (p < end && (d[p] & 15) != 15 && (d[p] >> 4) != 15) p++;
        *next = p + 1;
    } else if (b0 >= 247 && b0 <= 254) *next = p + 2;
    else if (b0 >= 32) *next = p + 1;
    else return -2;   /* reserved */
    return *next <= end ? -1 : -2;
}

int mkl__cff_is_cid_keyed(const unsigned char *d, size_t len) {
    size_t s, e, next;
    if (!top_dict(d, len, &s, &e)) return 0;
    for (size_t p = s; p < e; p = next) {
        int op = dict_token(d, e, p, &next);
        if (op == -2) return 0;
        if (op >= 0) return op == 1230;   /* ROS must be the first operator */
    }
    return 0;
}

int mkl__cff_identity_charset(const unsigned char *d, size_t len, unsigned nglyphs, unsigned char **out,
                              size_t *outlen) {
    *out = NULL;
    size_t s, e, next, operand = 0;
    int kind = 0;   /* encoding byte of the last operand */
    size_t at = 0;  /* the charset operand, when found */
    if (!top_dict(d, len, &s, &e) || nglyphs < 1 || nglyphs > 65535) return 1;
    for (size_t p = s; p < e; p = next) {
        int op = dict_token(d, e, p, &next);
        if (op == -2) return 1;
        if (op == -1) {
            operand = p;
            kind = d[p];
            continue;
        }
        if (op == 15) {
            if (kind != 29) return 1;   /* only a 5-byte offset can point past the end */
            at = operand;
        }
        kind = 0;
    }
    if (!at || len > 0x7FFFFFFF - 8) return 1;
    /* format 0: the CID of each glyph after .notdef (CID 0) is its number */
    size_t cslen = 1 + 2 * (size_t)(nglyphs - 1);
    unsigned char *c = mkl__malloc(len + cslen);
    if (!c) return -1;
    memcpy(c, d, len);
    c[len] = 0;
    for (unsigned g = 1; g < nglyphs; g++) {
        c[len + 2 * g - 1] = (unsigned char)(g >> 8);
        c[len + 2 * g] = (unsigned char)(g & 0xFF);
    }
    c[at + 1] = (unsigned char)(len >> 24);
    c[at + 2] = (unsigned char)(len >> 16);
    c[at + 3] = (unsigned char)(len >> 8);
    c[at + 4] = (unsigned char)len;
    *out = c;
    *outlen = len + cslen;
    return 0;
}
