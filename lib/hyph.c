/* hyph.c - hyphenation points from libhyphen. See hyph.h. */
#include "hyph.h"

#include <hyphen.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unicode/uchar.h>

#ifndef MKL_HYPHEN_DIR
#define MKL_HYPHEN_DIR "/usr/share/hyphen"
#endif

#define MAX_WORD 64   /* longer "words" are not hyphenated (no language has them) */

/* A standard Liang pattern file (no replacements, no compound levels) is
 * matched by mkletter's own table, which loads in ~1 ms where libhyphen's
 * loader takes ~12 ms (a third of a whole run); libhyphen does the rest. */
typedef struct Pattern { uint32_t hash; uint32_t key, keylen, digits; } Pattern;
typedef struct Liang {
    char *pool;            /* keys and digit vectors */
    Pattern *slots;
    size_t cap, maxlen;
} Liang;

typedef struct Dict { char lang[8]; HyphenDict *d; Liang *liang; } Dict;

struct mkl_hyph {
    Dict dicts[8];   /* loaded on first use of a language */
    size_t n;
};

static uint32_t fnv32(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h | 1;
}

static void liang_free(Liang *l) {
    if (!l) return;
    mkl__free(l->pool);
    mkl__free(l->slots);
    mkl__free(l);
}

/* Read a pattern file into a table; NULL if it is not a plain UTF-8 Liang
 * file (then libhyphen reads it) or on an error, when *oom says whether
 * memory ran out. */
static Liang *liang_load(const char *path, int *oom) {
    char *text;
    size_t len;
    mkl_error ignore;
    mkl_status rs = mkl__read_file(path, MKL_READ_MAX, "pattern file", &text, &len, &ignore);
    if (rs == MKL_ERR_NOMEM) *oom = 1;
    if (rs) return NULL;
    Liang *l = mkl__calloc(1, sizeof *l);
    size_t npat = 0;
    for (size_t i = 0; i < len; i++) npat += text[i] == '\n';
    if (l) {
        l->cap = 16;
        while (l->cap < 2 * npat + 16) l->cap *= 2;
        l->slots = mkl__calloc(l->cap, sizeof *l->slots);
        l->pool = mkl__malloc(2 * len + 16);
    }
    if (!l || !l->slots || !l->pool) *oom = 1;
    int ok = l && l->slots && l->pool && len > 5 && !strncmp(text, "UTF-8", 5);
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
        Pattern p = {0, (uint32_t)used, 0, 0};
        char *key = l->pool + used;
        unsigned char dg[128] = {0};
        for (size_t k = 0; k < n && p.keylen < 120; k++) {
            if (line[k] >= '0' && line[k] <= '9') dg[p.keylen] = (unsigned char)(line[k] - '0');
            else key[p.keylen++] = line[k];
        }
        p.digits = (uint32_t)(used + p.keylen);
        memcpy(l->pool + p.digits, dg, p.keylen + 1);
        used += 2 * p.keylen + 1;
        p.hash = fnv32(key, p.keylen);
        if (p.keylen > l->maxlen) l->maxlen = p.keylen;
        size_t h = p.hash & (l->cap - 1);
        while (l->slots[h].hash) h = (h + 1) & (l->cap - 1);
        l->slots[h] = p;
    }
    mkl__free(text);
    if (!ok) {
        liang_free(l);
        return NULL;
    }
    return l;
}

/* Liang's algorithm on a lower-case word: vals[k] odd = a hyphen may go
 * before byte k of the word (k in 1..n-1). */
static void liang_word(const Liang *l, const char *w, size_t n, unsigned char *vals) {
    char dotted[MAX_WORD + 2];
    dotted[0] = '.';
    memcpy(dotted + 1, w, n);
    dotted[n + 1] = '.';
    size_t dn = n + 2;
    unsigned char v[MAX_WORD + 3] = {0};
    for (size_t i = 0; i < dn; i++) {
        uint32_t run = 2166136261u;   /* fnv32 of dotted[i .. i+len), grown one byte at a time */
        for (size_t len = 1; len <= l->maxlen && i + len <= dn; len++) {
            run = (run ^ (unsigned char)dotted[i + len - 1]) * 16777619u;
            uint32_t hh = run | 1;
            for (size_t h = hh & (l->cap - 1); l->slots[h].hash; h = (h + 1) & (l->cap - 1)) {
                const Pattern *p = &l->slots[h];
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

static HyphenDict *load_lang(const char *lang) {
    /* en -> hyph_en_US.dic (Debian's hyphen-en-us), other languages by their code */
    static const char *const suffixes[] = {"_US", "", "_GB", "_DE", "_FR"};
    HyphenDict *d = NULL;
    for (size_t k = 0; k < sizeof suffixes / sizeof *suffixes && !d; k++) {
        char path[256];
        snprintf(path, sizeof path, "%s/hyph_%s%s.dic", MKL_HYPHEN_DIR, lang, suffixes[k]);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        fclose(f);
        d = hnj_hyphen_load(path);
    }
    if (d && !d->utf8) {   /* only UTF-8 pattern files: the text is UTF-8 */
        hnj_hyphen_free(d);
        d = NULL;
    }
    return d;
}

/* Load the patterns of d->lang; 0 if memory ran out (then nothing is kept
 * and the next word tries again). */
static int load_dict(Dict *d) {
    char path[256];
    int oom = 0;
    static const char *const suffixes[] = {"_US", "", "_GB", "_DE", "_FR"};
    for (size_t k = 0; k < sizeof suffixes / sizeof *suffixes && !d->liang && !oom; k++) {
        snprintf(path, sizeof path, "%s/hyph_%s%s.dic", MKL_HYPHEN_DIR, d->lang, suffixes[k]);
        d->liang = liang_load(path, &oom);
    }
    if (!d->liang && !oom) d->d = load_lang(d->lang);
    return !oom;
}


mkl_status mkl__hyph_new(mkl_hyph **out, mkl_error *e) {
    *out = mkl__calloc(1, sizeof **out);
    return *out ? MKL_OK : mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

void mkl__hyph_free(mkl_hyph *h) {
    if (!h) return;
    for (size_t i = 0; i < h->n; i++) {
        if (h->dicts[i].d) hnj_hyphen_free(h->dicts[i].d);
        liang_free(h->dicts[i].liang);
    }
    mkl__free(h);
}

static Dict *dict_for(mkl_hyph *h, const char *lang, int *oom) {
    for (size_t i = 0; i < h->n; i++)
        if (!strcmp(h->dicts[i].lang, lang)) return &h->dicts[i];
    if (h->n == sizeof h->dicts / sizeof *h->dicts) return NULL;
    Dict *d = &h->dicts[h->n];
    memset(d, 0, sizeof *d);
    snprintf(d->lang, sizeof d->lang, "%s", lang);
    if (!load_dict(d)) {   /* not remembered: tried again */
        *oom = 1;
        return NULL;
    }
    h->n++;
    return d;
}

int mkl__hyph_word(mkl_hyph *h, const char *lang, const char *w, size_t n, uint8_t *after) {
    if (!h || !lang || n < 5 || n > MAX_WORD) return 0;
    int oom = 0;
    Dict *dict = dict_for(h, lang, &oom);
    if (oom) return -1;
    if (!dict || (!dict->d && !dict->liang)) return 0;
    /* lower-case copy with the same byte layout; a letter whose lower case has
     * another length, or anything but a letter, means "not a plain word" */
    char low[MAX_WORD + 1];
    size_t nchars = 0;
    for (size_t i = 0; i < n;) {
        size_t at = i;
        uint32_t c = mkl__utf8_next(w, n, &i);
        if (!u_isalpha((UChar32)c)) return 0;
        uint32_t l = (uint32_t)u_tolower((UChar32)c);
        char enc[4];
        if ((size_t)mkl__utf8_put(enc, l) != i - at) return 0;
        memcpy(low + at, enc, i - at);
        nchars++;
    }
    low[n] = 0;
    if (nchars < 5) return 0;
    char hy[MAX_WORD + 5];
    memset(hy, 0, sizeof hy);
    if (dict->liang) {
        unsigned char vals[MAX_WORD + 1];
        liang_word(dict->liang, low, n, vals);
        for (size_t i = 0; i + 1 < n; i++) hy[i] = (char)vals[i + 1];   /* after byte i = before byte i+1 */
    } else {
        char **rep = NULL;
        int *pos = NULL, *cut = NULL;
        if (hnj_hyphen_hyphenate2(dict->d, low, (int)n, hy, NULL, &rep, &pos, &cut)) return 0;
        if (rep) {   /* non-standard hyphenation (Schiff=fahrt): not used here */
            for (size_t i = 0; i < n; i++) free(rep[i]);
            free(rep);
            free(pos);
            free(cut);
            return 0;
        }
    }
    int count = 0;
    size_t ci = 0;   /* characters up to and including byte i */
    for (size_t i = 0; i + 1 < n; i++) {
        if (((unsigned char)w[i] & 0xC0) != 0x80) ci++;
        if (((unsigned char)w[i + 1] & 0xC0) == 0x80) continue;  /* inside a character */
        if ((hy[i] & 1) && ci >= 2 && nchars - ci >= 3) {
            after[i] = 1;
            count++;
        }
    }
    return count;
}
