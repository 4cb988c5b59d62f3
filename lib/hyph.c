/* hyph.c - hyphenation points from libhyphen. See hyph.h. */
#include "hyph.h"
#include "liang.h"

#include <hyphen.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "icu.h"

#ifndef MKL_HYPHEN_DIR
#define MKL_HYPHEN_DIR "/usr/share/hyphen"
#endif

#define MAX_WORD MKL_LIANG_MAX_WORD   /* longer "words" are not hyphenated (no language has them) */

/* A standard Liang pattern file (no replacements, no compound levels) is
 * matched by mkletter's own table (liang.h), which loads in ~1 ms where
 * libhyphen's loader takes ~12 ms (a third of a whole run), or in no time
 * when the file is one whose table was compiled in (its bytes are the
 * file's: a file changed since is read again); libhyphen does the rest. */
typedef struct Dict { char lang[8]; HyphenDict *d; const mkl_liang *liang; mkl_liang *own; } Dict;

struct mkl_hyph {
    Dict dicts[8];   /* loaded on first use of a language */
    size_t n;
};

/* The table of the pattern file at `path`: compiled in, or read; NULL if
 * there is no such file, it is not a plain UTF-8 Liang file (then libhyphen
 * reads it) or on an error, when *oom says whether memory ran out. */
static const mkl_liang *liang_load(Dict *d, const char *path, int *oom) {
    char *text;
    size_t len;
    mkl_error ignore;
    mkl_status rs = mkl__read_file(path, MKL_READ_MAX, "pattern file", &text, &len, &ignore);
    if (rs == MKL_ERR_NOMEM) *oom = 1;
    if (rs) return NULL;
    const mkl_liang *l = mkl__liang_builtin(text, len);
    if (!l) l = d->own = mkl__liang_parse(text, len, oom);
    mkl__free(text);
    return l;
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
        d->liang = liang_load(d, path, &oom);
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
        mkl__liang_free(h->dicts[i].own);
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

int mkl__hyph_compiled_in(mkl_hyph *h, const char *lang) {
    int oom = 0;
    Dict *d = h && lang ? dict_for(h, lang, &oom) : NULL;
    return d && d->liang && !d->own;
}

int mkl__hyph_word(mkl_hyph *h, const char *lang, const char *w, size_t n, uint8_t *after) {
    if (!h || !lang || n < 5 || n > MAX_WORD) return 0;
    int oom = 0;
    Dict *dict = dict_for(h, lang, &oom);
    if (oom) return -1;
    if (!dict || (!dict->d && !dict->liang)) return 0;
    if (mkl__icu_load(NULL)) return 0;   /* (text is shaped with ICU: loaded by then) */
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
        mkl__liang_word(dict->liang, low, n, vals);
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
