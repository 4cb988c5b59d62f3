/* liang.c - Liang pattern tables. See liang.h. */
#include "liang.h"

#include <string.h>

static uint32_t fnv32(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h | 1;
}

void mkl__liang_free(mkl_liang *l) {
    if (!l || !l->owned) return;
    mkl__free((void *)l->pool);
    mkl__free((void *)l->slots);
    mkl__free(l);
}

uint64_t mkl__liang_fingerprint(const char *text, size_t len) { return mkl__hash64(text, len); }

const mkl_liang *mkl__liang_builtin(const char *text, size_t len) {
    uint64_t fp = 0;
    for (const mkl_liang_builtin *b = mkl__liang_builtins; b->file_len; b++) {
        if (b->file_len != len) continue;
        if (!fp) fp = mkl__liang_fingerprint(text, len) | 1;   /* (0: not computed yet) */
        if ((b->fingerprint | 1) == fp) return &b->table;
    }
    return NULL;
}

mkl_liang *mkl__liang_parse(const char *text, size_t len, int *oom) {
    mkl_liang *l = mkl__calloc(1, sizeof *l);
    mkl_pattern *slots = NULL;
    char *pool = NULL;
    size_t npat = 0;
    for (size_t i = 0; i < len; i++) npat += text[i] == '\n';
    if (l) {
        l->owned = 1;
        l->cap = 16;
        while (l->cap < 2 * npat + 16) l->cap *= 2;
        l->slots = slots = mkl__calloc(l->cap, sizeof *slots);
        l->pool = pool = mkl__malloc(2 * len + 16);
    }
    if (!l || !slots || !pool) *oom = 1;
    int ok = l && slots && pool && len > 5 && !strncmp(text, "UTF-8", 5);
    size_t used = 0;
    for (size_t i = 0; ok && i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n') e++;
        const char *line = text + i;
        size_t n = e - i;
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ')) n--;
        i = e + 1;
        /* keywords are upper case, patterns lower case: most lines are
         * patterns, and comparing each with six keywords was a fifth of the load */
        int upper = n && line[0] >= 'A' && line[0] <= 'Z';
        if (line == text || !n || line[0] == '%' ||
            (upper && (!strncmp(line, "LEFTHYPHENMIN", 13) || !strncmp(line, "RIGHTHYPHENMIN", 14) ||
                       !strncmp(line, "COMPOUNDLEFTHYPHENMIN", 21) || !strncmp(line, "COMPOUNDRIGHTHYPHENMIN", 22))))
            continue;
        if (memchr(line, '/', n) || memchr(line, '=', n) ||
            (upper && (!strncmp(line, "NEXTLEVEL", 9) || !strncmp(line, "NOHYPHEN", 8)))) {
            ok = 0;   /* non-standard hyphenation: libhyphen's job */
            break;
        }
        /* "a1b2c": key "abc", digits {0,1,2,0} */
        mkl_pattern p = {0, (uint32_t)used, 0, 0};
        char *key = pool + used;
        unsigned char dg[128] = {0};
        for (size_t k = 0; k < n && p.keylen < 120; k++) {
            if (line[k] >= '0' && line[k] <= '9') dg[p.keylen] = (unsigned char)(line[k] - '0');
            else key[p.keylen++] = line[k];
        }
        p.digits = (uint32_t)(used + p.keylen);
        memcpy(pool + p.digits, dg, p.keylen + 1);
        used += 2 * p.keylen + 1;
        p.hash = fnv32(key, p.keylen);
        if (p.keylen > l->maxlen) l->maxlen = p.keylen;
        size_t h = p.hash & (l->cap - 1);
        while (slots[h].hash) h = (h + 1) & (l->cap - 1);
        slots[h] = p;
    }
    if (!ok) {
        mkl__liang_free(l);
        return NULL;
    }
    l->pool_len = used;
    return l;
}

void mkl__liang_word(const mkl_liang *l, const char *w, size_t n, unsigned char *vals) {
    char dotted[MKL_LIANG_MAX_WORD + 2];
    dotted[0] = '.';
    memcpy(dotted + 1, w, n);
    dotted[n + 1] = '.';
    size_t dn = n + 2;
    unsigned char v[MKL_LIANG_MAX_WORD + 3] = {0};
    for (size_t i = 0; i < dn; i++) {
        uint32_t run = 2166136261u;   /* fnv32 of dotted[i .. i+len), grown one byte at a time */
        for (size_t len = 1; len <= l->maxlen && i + len <= dn; len++) {
            run = (run ^ (unsigned char)dotted[i + len - 1]) * 16777619u;
            uint32_t hh = run | 1;
            for (size_t h = hh & (l->cap - 1); l->slots[h].hash; h = (h + 1) & (l->cap - 1)) {
                const mkl_pattern *p = &l->slots[h];
                if (p->hash != hh || p->keylen != len || memcmp(l->pool + p->key, dotted + i, len)) continue;
                const unsigned char *dg = (const unsigned char *)l->pool + p->digits;
                for (size_t k = 0; k <= len; k++)
                    if (dg[k] > v[i + k]) v[i + k] = dg[k];
                break;
            }
        }
    }
    /* v[j] is the value between dotted[j-1] and dotted[j]: before word byte j-1 */
    for (size_t k = 0; k <= n; k++) vals[k] = v[k + 1];
}
