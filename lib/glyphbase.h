/* glyphbase.h - the glyphs a merge's fixed text draws, per big face.
 *
 * A merge whose rows bring new glyphs of a big face (names in Hangul) would
 * need a new subset of the face for every copy: subsetting Nanum Myeongjo
 * and deflating the subset are half the time of such a copy (measured). The
 * glyphs of the letter's fixed text are the same in every copy, so the PDF
 * writer draws them from one subset made of exactly them (the base: kept by
 * the renderer, deflated once, written again byte for byte), and only the
 * glyphs a row adds from a second, small subset of the face. The base is
 * made from the template alone (laid out with every field empty), never from
 * the copies before: a copy is the same bytes whichever rows come before it
 * (--rows N alone, any -j). Only faces of many glyphs (8,192 or more: a face
 * with Hangul or Han) get one; a Latin face's subset is cheap to make. */
#ifndef MKL_GLYPHBASE_H
#define MKL_GLYPHBASE_H

#include "layout.h"

/* Faces of at least this many glyphs get a base. */
#define MKL_BASE_MIN_GLYPHS 8192

typedef struct mkl_glyph_base mkl_glyph_base;

/* The base of the layout `L` (the template with every field empty): for
 * each TrueType face of MKL_BASE_MIN_GLYPHS glyphs or more that it draws,
 * the glyphs drawn. NULL when out of memory. */
mkl_glyph_base *mkl__glyph_base_new(const mkl_layout *L);
void mkl__glyph_base_free(mkl_glyph_base *b);

/* The base glyphs of `face` (sorted, unique; `*n` of them) and a bit per
 * glyph of the face set for those (`*bits`), or NULL when `b` is NULL or has
 * none for the face. */
const uint32_t *mkl__glyph_base_of(const mkl_glyph_base *b, const mkl_face *face, size_t *n, const uint8_t **bits);

#endif
