/* font.h - finding and loading fonts.
 *
 * Families are looked up first in the font folders (the bundled fonts/ and any
 * folder the caller adds), then through Fontconfig. Faces with TrueType ('glyf')
 * or OpenType CFF ('CFF ') outlines are accepted, alone or in a collection
 * (.ttc/.otc, by face index); variable fonts ('fvar') and CFF2 are refused:
 * they are not instanced, and a PDF cannot embed them as they are.
 * A face is loaded once per database (HarfBuzz face and font, metrics) and
 * shared by every document rendered with it. */
#ifndef MKL_FONT_H
#define MKL_FONT_H

#include <hb.h>
#include <sys/types.h>

#include "util.h"

typedef struct mkl_face {
    int id;                   /* index in the database, stable */
    char *path;
    unsigned index;           /* face index in a collection */
    char *family;             /* English family name */
    char *psname;             /* PostScript name, for the PDF BaseFont */
    int bold, italic;
    hb_blob_t *blob;
    hb_face_t *face;
    hb_font_t *font;          /* scale = upem: positions in font units */
    unsigned upem;
    /* metrics in font units */
    int ascender, descender, cap_height, x_height;
    int bbox[4];
    double italic_angle;
    int weight;
    int loaded;
    int cff;                  /* outlines in a 'CFF ' table (else 'glyf') */
    int cid_keyed;            /* the CFF is CID-keyed (FreeType says so once loaded): Noto CJK, Source Han */
    int sans;                 /* 1 sans serif, 0 serif, -1 not known (OS/2 class, else the name) */
    int in_folder;            /* found in a font folder (bundled), not through Fontconfig */
    int32_t *w1000;           /* mkl__face_w1000's cache: width + 1, 0 = not yet known */
    unsigned nw1000;
    /* shaping's caches (mkl__face_advance, mkl__face_cover), touched only by
     * the thread that lays out (batch_rows.c): advance + 1, glyph + 1 of the
     * BMP's code points in pages of 256; 0 = not yet known */
    int32_t *adv;
    unsigned nadv;
    uint32_t *cmap_page[256];
} mkl_face;

typedef struct mkl_fontdb mkl_fontdb;

/* `dirs` are searched in order before Fontconfig. Free with mkl__fontdb_free(). */
mkl_status mkl__fontdb_new(const char *const *dirs, size_t ndirs, mkl_fontdb **out, mkl_error *e);
void mkl__fontdb_free(mkl_fontdb *db);

/* Find `family` in the wanted style. If the family has no such style the
 * nearest one is used (bold italic -> bold -> regular). The face stays owned
 * by the database. Errors: MKL_ERR_FONT with a message naming the family. */
mkl_status mkl__fontdb_find(mkl_fontdb *db, const char *family, int bold, int italic, mkl_face **out, mkl_error *e);

/* The file of a loaded face that is the file (dev, ino), or NULL: an output
 * must not replace a font in use. */
const char *mkl__fontdb_loaded_file(const mkl_fontdb *db, dev_t dev, ino_t ino);

/* A face for code point `cp` when no family of a role covers it: font
 * folders first, then Fontconfig, by the character and the text's language
 * (`lang`, "ko", "en"; NULL for none), preferring the role's class (`sans`:
 * 1 sans, 0 serif, -1 any), weight and slant. Order: folder faces of the
 * class, Fontconfig's of the class, folder faces of any class, Fontconfig's.
 * Fontconfig's candidates are ranked once per (language, class, style) and
 * kept, so the choice for a character never depends on what came before;
 * every answer is cached for the life of the database. *out = NULL (and
 * MKL_OK) when no installed font covers `cp`. Errors: only out of memory. */
mkl_status mkl__fontdb_fallback(mkl_fontdb *db, uint32_t cp, const char *lang, int sans, int bold, int italic,
                                mkl_face **out, mkl_error *e);

/* A bold face of class `sans` (1 sans, 0 serif) covering `cp`, of OS/2
 * weight `min_weight` or more, for a script's companion of a Latin bold
 * (mkl__fontset_resolve): folder faces first, then Fontconfig's for `lang`.
 * *out = NULL (and MKL_OK) when there is none. Errors: only out of memory. */
mkl_status mkl__fontdb_weighted(mkl_fontdb *db, uint32_t cp, const char *lang, int sans, int italic, int min_weight,
                                mkl_face **out, mkl_error *e);

/* The advance of glyph `gid` in thousandths of an em, rounded to a whole
 * number (as a PDF's /W gives it). Kept on the face: the PDF writer asks for
 * every glyph it draws, in every copy of a merge. */
int mkl__face_w1000(mkl_face *f, uint32_t gid);

/* Where a message says Fontconfig was asked: "Fontconfig", or why it cannot
 * be used (its library could not be loaded: fc.h). */
const char *mkl__fontconfig_said(char *buf, size_t size);

/* The nominal advance of glyph `gid` in font units (without kerning), and
 * the glyph of code point `cp` (0: not covered), as mkl__face_glyph: kept on
 * the face, for shaping (a letter asks for each character, a merge for each
 * copy's). */
hb_position_t mkl__face_advance(mkl_face *f, uint32_t gid);
hb_codepoint_t mkl__face_cover(mkl_face *f, uint32_t cp);

/* Glyph of code point `cp` in `f`, or 0 if the face does not cover it. */
static inline hb_codepoint_t mkl__face_glyph(const mkl_face *f, uint32_t cp) {
    hb_codepoint_t g = 0;
    return hb_font_get_nominal_glyph(f->font, cp, &g) ? g : 0;
}

#endif
