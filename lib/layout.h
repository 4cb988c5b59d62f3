/* layout.h - document model -> pages of positioned glyphs and rules.
 *
 * The page model is what the PDF stage draws: nothing in it depends on PDF.
 * Coordinates are points from the top-left corner of the page, y downwards;
 * glyph positions are baselines. */
#ifndef MKL_LAYOUT_H
#define MKL_LAYOUT_H

#include "model.h"
#include "shape.h"
#include "structure.h"

/* A glyph placed on a page, 16 bytes (a petition's 100,000 signatories
 * have 1.7 million): a glyph id is 16-bit in OpenType, and the text a glyph
 * stands for (toff, tlen in the layout's text) is at most 65,535 bytes
 * (mkl__emit_line cuts a longer cluster's at a character). */
typedef struct mkl_pglyph { float x, y; uint32_t toff; uint16_t gid, tlen; } mkl_pglyph;
/* Every mark has the tag of what it belongs to and its sequence number (see
 * structure.h). A run with `hyphen` is the hyphen a line break added. A run's
 * glyphs are drawn (1 + expand) times as wide as designed (glyph expansion,
 * MKL_EXPAND; their places x already count it). */
typedef struct mkl_prun {
    mkl_face *face; float size; float rgb[3]; size_t first, count;
    mkl_tag tag; uint32_t seq; uint8_t hyphen; float expand;
} mkl_prun;
typedef struct mkl_prule { float x0, y0, x1, y1, width, gray; mkl_tag tag; uint32_t seq; } mkl_prule;
typedef struct mkl_plink { float x0, y0, x1, y1; const char *uri; mkl_tag tag; uint32_t seq; } mkl_plink;
struct mkl_image;
/* An image drawn in the box (x, y) .. (x + w, y + h), y downwards to its top. */
typedef struct mkl_pimage { const struct mkl_image *img; float x, y, w, h; mkl_tag tag; uint32_t seq; } mkl_pimage;

typedef struct mkl_page {
    MKL_VEC(mkl_prun) runs;
    MKL_VEC(mkl_prule) rules;
    MKL_VEC(mkl_plink) links;
    MKL_VEC(mkl_pimage) images;
} mkl_page;

typedef struct mkl_layout {
    double width, height;
    double margin[4];             /* left, top, right, bottom: the text area */
    double lead;                  /* body baseline grid step, from margin[1] */
    MKL_VEC(mkl_page) pages;
    MKL_VEC(mkl_pglyph) glyphs;   /* runs index into this */
    mkl_buf text;                 /* glyph texts (toff, tlen) index into this */
    mkl_structure structure;      /* the elements the marks' tags name */
} mkl_layout;

/* Gives the decoded image at `path` (already resolved against the letter's
 * folder); the image stays owned by the loader (a cache that outlives the
 * layout). */
typedef mkl_status (*mkl_image_loader)(void *user, const char *path, const struct mkl_image **out, mkl_error *e);

/* Shaped and broken paragraphs kept from one layout to the next (the body
 * and the signatories of a letter are the same in every copy of a batch).
 * Bounded: emptied when it holds more than 1,024 paragraphs or 4 MiB. */
typedef struct mkl_parcache mkl_parcache;
mkl_parcache *mkl__parcache_new(void);
void mkl__parcache_free(mkl_parcache *c);
/* Paragraphs made with a cached paragraph's glyphs (not copied) so far; the
 * entries kept before the cache is cleared (tests lower it). */
size_t mkl__parcache_lent(const mkl_parcache *c);
/* Strings of the front matter whose smart punctuation was found kept. */
size_t mkl__parcache_smart_hits(const mkl_parcache *c);
extern size_t mkl__parcache_smart_slots;
extern size_t mkl__parcache_max_entries;

typedef struct mkl_layout_opts {
    const char *const *font_dirs;
    int page_numbers;
    mkl_image_loader load_image;
    void *loader;
    mkl_parcache *cache;   /* or NULL */
} mkl_layout_opts;

/* Lay out `doc`. `out` must be zeroed; free with mkl__layout_free() on success or failure. */
mkl_status mkl__layout(const mkl_doc *doc, mkl_fontdb *db, mkl_shaper *sh, const mkl_layout_opts *o, mkl_layout *out,
                       mkl_error *e);
void mkl__layout_free(mkl_layout *l);
/* Free the pages, their glyphs and texts, keeping the structure (for a
 * writer whose structure tree waits: mkl__pdfw_defer_structure). */
void mkl__layout_free_pages(mkl_layout *l);

#endif
