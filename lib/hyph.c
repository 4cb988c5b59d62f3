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

typedef struct Dict { char lang[8]; HyphenDict *d; int tried; } Dict;

struct mkl_hyph {
    Dict dicts[8];
    size_t n;
};

mkl_status mkl__hyph_new(mkl_hyph **out, mkl_error *e) {
    *out = mkl__calloc(1, sizeof **out);
    return *out ? MKL_OK : mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

void mkl__hyph_free(mkl_hyph *h) {
    if (!h) return;
    for (size_t i = 0; i < h->n; i++)
        if (h->dicts[i].d) hnj_hyphen_free(h->dicts[i].d);
    mkl__free(h);
}

static HyphenDict *dict_for(mkl_hyph *h, const char *lang) {
    for (size_t i = 0; i < h->n; i++)
        if (!strcmp(h->dicts[i].lang, lang)) return h->dicts[i].d;
    if (h->n == sizeof h->dicts / sizeof *h->dicts) return NULL;
    Dict *d = &h->dicts[h->n++];
    snprintf(d->lang, sizeof d->lang, "%s", lang);
    /* en -> hyph_en_US.dic (Debian's hyphen-en-us), other languages by their code */
    static const char *const suffixes[] = {"_US", "", "_GB", "_DE", "_FR"};
    for (size_t k = 0; k < sizeof suffixes / sizeof *suffixes && !d->d; k++) {
        char path[256];
        snprintf(path, sizeof path, "%s/hyph_%s%s.dic", MKL_HYPHEN_DIR, lang, suffixes[k]);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        fclose(f);
        d->d = hnj_hyphen_load(path);
    }
    if (d->d && !d->d->utf8) {   /* only UTF-8 pattern files: the text is UTF-8 */
        hnj_hyphen_free(d->d);
        d->d = NULL;
    }
    return d->d;
}

int mkl__hyph_word(mkl_hyph *h, const char *lang, const char *w, size_t n, uint8_t *after) {
    if (!h || !lang || n < 5 || n > MAX_WORD) return 0;
    HyphenDict *d = dict_for(h, lang);
    if (!d) return 0;
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
    char **rep = NULL;
    int *pos = NULL, *cut = NULL;
    memset(hy, 0, sizeof hy);
    if (hnj_hyphen_hyphenate2(d, low, (int)n, hy, NULL, &rep, &pos, &cut)) return 0;
    if (rep) {   /* non-standard hyphenation (Schiff=fahrt): not used here */
        for (size_t i = 0; i < n; i++) free(rep[i]);
        free(rep);
        free(pos);
        free(cut);
        return 0;
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
