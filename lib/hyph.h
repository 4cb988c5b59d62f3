/* hyph.h - where a word may be hyphenated, from libhyphen and Debian's
 * pattern files (/usr/share/hyphen/hyph_<lang>*.dic). Dictionaries are loaded
 * once per renderer, on first use of a language. */
#ifndef MKL_HYPH_H
#define MKL_HYPH_H

#include "util.h"

typedef struct mkl_hyph mkl_hyph;

mkl_status mkl__hyph_new(mkl_hyph **out, mkl_error *e);
void mkl__hyph_free(mkl_hyph *h);

/* Mark in `after` (one byte per byte of `w`, zeroed by the caller) the bytes
 * after which the word [w, w+n) may take a hyphen: at least 2 letters before
 * and 3 after the break. Returns the number of points found; 0 when the
 * language has no patterns installed or the word is not a plain word; -1 if
 * memory ran out loading the patterns. */
int mkl__hyph_word(mkl_hyph *h, const char *lang, const char *w, size_t n, uint8_t *after);
/* Whether the patterns of `lang` (loaded now if they are not yet) are a
 * table compiled in (liang.h), not one read from their file (for the tests). */
int mkl__hyph_compiled_in(mkl_hyph *h, const char *lang);

#endif
