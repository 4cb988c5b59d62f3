/* pdf_internal.h - what the PDF back end's files share: the writer and its
 * fonts and pages (pdf.c: documents, pages, content; pdf_fonts.c: subsets,
 * ToUnicode and the font objects). libharu's internals are tied to 2.3.0. */
#ifndef MKL_PDF_INTERNAL_H
#define MKL_PDF_INTERNAL_H

#include "pdf.h"
#include "pdf_tags.h"

#include <hpdf.h>
#include <math.h>
#include <hpdf_doc.h>
#include <hpdf_objects.h>

#if HPDF_VERSION_ID != 20300
#error "the PDF back end uses libharu internals of version 2.3.0 exactly (HPDF_VERSION_ID 20300)"
#endif

typedef struct Ctx {
    HPDF_STATUS err, detail;
    int quiet;
} Ctx;


/* One embedded font: a face and the (glyph, text) pairs drawn with it.
 *
 * Page content is written with a provisional code per pair (its index, from
 * 1). When the document is finished the font is subset, and each pair gets
 * its final CID: the glyph's id in the subset (so /CIDToGIDMap is /Identity
 * and the CIDs follow the font's glyph order, which compresses best), or,
 * for a second text drawn with the same glyph, a CID after the last glyph,
 * mapped by a CIDToGIDMap stream. A CID-keyed CFF font has no CIDToGIDMap:
 * its CIDs are those the subset's charset gives its glyphs. The pages are
 * then patched in place. */
typedef struct PFont {
    mkl_face *face;
    HPDF_Dict type0;
    /* pairs from 1: cid_gid[pair], and the text it stands for: (offset, len) in `text` */
    MKL_VEC(uint32_t) cid_gid;
    MKL_VEC(uint32_t) cid_toff;
    MKL_VEC(uint32_t) cid_tlen;
    mkl_buf text;
    uint32_t *hash;            /* open addressing: 0 = empty, else pair */
    size_t hcap;
    uint32_t *final;           /* pair -> CID, once the font is finished */
    /* the pair last found or made for a glyph, by its id's low bits (0:
     * none): most glyphs of a page are drawn for the text they were drawn
     * for last, found without hashing the text */
    uint32_t recent[512];
    /* CFF fonts: a CIDFontType0 has no CIDToGIDMap, so one glyph has one CID
     * and one text. A glyph drawn for a second text (Noto CJK draws 豈
     * U+F900 with the glyph of U+8C48) is drawn from a twin: another subset
     * of the same face, with its own ToUnicode. */
    size_t twin;               /* index of the twin in the writer's fonts + 1; 0: none yet */
    int is_twin;               /* (CFF fonts, and a flat writer's TrueType fonts, have twins) */
    uint32_t *gtext;           /* open addressing by glyph: the first pair with a text (0 = empty) */
    size_t gtcap, gtn;
    /* a flat writer (pdf_flat.c): the codes are final when a page is
     * written. A TrueType font's code is the glyph's own id (the subset
     * keeps every glyph id; a glyph drawn again for another text, or none,
     * is drawn from a twin), a CID-keyed CFF's is the glyph's CID in the
     * face (`face_cid`). */
    MKL_VEC(uint32_t) codes;   /* pair -> its final code */
    uint8_t *gid_taken;        /* TrueType: a bit per glyph of the face that has its code */
    uint16_t *face_cid;        /* CID-keyed CFF: the face's CID of each glyph */
    int used_on_page;          /* a flat writer: drawn on the page being written */
    /* a merge copy's big TrueType face (glyphbase.h): this font is subset to
     * exactly the template's glyphs of the face (`base_gids`, a bit each in
     * `base_bits`), and a glyph outside them is drawn from the twin */
    const uint32_t *base_gids;
    size_t base_n;
    const uint8_t *base_bits;
    uint32_t base_count;       /* the face's glyphs (bits in base_bits) */
} PFont;

/* Where a TJ array starts in a page's content (just after its '['), and
 * the font its codes belong to. */
typedef struct PSite { uint32_t off, font; } PSite;

/* A page whose content waits for the final CIDs: as written (`content`),
 * or, once the writer holds more than mkl__pdf_keep_raw bytes of it (a combined
 * batch of many copies), deflated (`z`, inflating to `rawlen` bytes). */
typedef struct PPage {
    HPDF_Page page;
    mkl_buf content, z;
    size_t rawlen;
    MKL_VEC(PSite) sites;
} PPage;

/* An image drawn in the document: stored once, however often it is drawn. */
typedef struct PImage { const mkl_image *img; HPDF_Image obj; int used_on_page, written; } PImage;

/* A flat writer's state (pdf_flat.c): a combined file whose pages go to the
 * output as they are made, each copy's objects written and freed once the
 * copy is added, so that memory does not grow with the copies beyond a few
 * bytes a page and an object. Each copy's objects are made in a libharu
 * cross-reference of their own (`copy`), numbered when the copy is written;
 * an object that outlives its copy is referred to through a stub (an object
 * header holding only its number). The fonts, the page tree, the catalog and
 * the structure tree's top are written at the end, then the cross-reference
 * stream. */
typedef struct FlatRun { uint32_t first, n; uint64_t entry; } FlatRun;
typedef struct PFlat {
    int (*sink)(void *user, const char *data, size_t n);   /* returns 0 or an errno */
    void *user;
    const char *name;        /* the output's name, for messages */
    mkl_buf out;             /* bytes not handed to `sink` yet */
    uint64_t off;            /* bytes handed to `sink` so far */
    /* the cross-reference, as runs of objects numbered in a row whose
     * entries follow each other (an object stream's objects: a few runs a
     * copy, where an entry each would be 1.5 KB a copy) */
    MKL_VEC(FlatRun) runs;
    uint32_t next;           /* the next object number */
    HPDF_Xref main, copy;    /* the document's own objects; the copy's */
    MKL_VEC(uint32_t) pages; /* every page's object number */
    MKL_VEC(uint32_t) nodes; /* the page tree's nodes, a node per 512 pages */
    uint32_t root;           /* the page tree's root */
    void *node_stub;         /* the node pages are added to */
    MKL_VEC(void *) stubs;   /* stubs kept to the end */
    MKL_VEC(void *) transient;   /* stubs of the copy being added */
    MKL_VEC(HPDF_Dict) copy_pages;   /* the copy's pages, numbered when it is written */
    int broken;              /* a copy failed halfway: the file cannot be finished */
    struct FlatJobs *jobs;   /* threads that deflate its streams (pdf_flat_out.c), or NULL */
} PFlat;

/* A cross-reference entry: an object at an offset, or the index-th in an
 * object stream. */
#define FLAT_AT(off) (((uint64_t)(off) << 2) | 1)
#define FLAT_IN(stm, idx) ((((uint64_t)(stm) << 16 | (idx)) << 2) | 2)

/* The writer: one libharu document that layouts are added to, page by page. */
typedef struct mkl_pdfw {
    int pdfa, pdfua;
    mkl_tagger *tags;      /* or NULL: untagged */
    char *title, *author;
    long long ctime;
    const mkl_layout *L;   /* the layout being added */
    HPDF_Doc pdf;
    Ctx ctx;
    mkl_error *e;
    MKL_VEC(PFont) fonts;
    MKL_VEC(PImage) images;
    MKL_VEC(PPage) pending;
    size_t kept;           /* raw bytes of `pending` content */
    int pages;
    long fail_mark;        /* mkl__alloc_failures() when the writer was made */
    mkl_subsets *subsets;  /* the renderer's subset fonts, or NULL */
    const struct mkl_glyph_base *base;  /* a merge copy's fixed glyphs (glyphbase.h), or NULL */
    struct mkl_pack_cache *objstreams;  /* the renderer's kept object streams, or NULL */
    const mkl_signer *signer;  /* sign the document, or NULL */
    HPDF_Page first;       /* the first page: the signature's widget is there */
    PFlat *flat;           /* pages go to the output as they are made (pdf_flat.c), or NULL */
    size_t keep_raw;       /* mkl__pdf_keep_raw, or less for one letter (mkl__pdfw_one_letter) */
} W;

/* llround(x), inline: the nearest integer, halves away from zero. (libm's
 * took a twentieth of a merge copy's time: every coordinate and every gap
 * of a page is rounded.) |x| truncated, and one more when what is left is
 * a half or more: that remainder is exact (below 2^52 an integer and |x|
 * are within a factor of two of each other, or the integer is 0). Beyond
 * 2^52 (never a coordinate), and for NaN, libm's. */
static inline long long mkl__round_away(double x) {
    if (!(fabs(x) < 4503599627370496.0)) return llround(x);
    double a = fabs(x);
    long long r = (long long)a;
    r += a - (double)r >= 0.5;
    return x < 0 ? -r : r;
}

/* "out of memory" on the writer's error. */
mkl_status mkl__pdf_oom(W *w);
/* A libharu failure in `what` (or out of memory, however libharu said it). */
mkl_status mkl__pdf_fail(W *w, const char *what);
/* `n` bytes of UTF-8 at `s` as UTF-16BE hex digits. */
void mkl__pdf_utf16be(mkl_buf *b, const char *s, size_t n);
/* The same as the bytes of a text string: the BOM, then UTF-16BE. */
void mkl__pdf_utf16be_bytes(mkl_buf *b, const char *s, size_t n);
/* A new stream object, and its data (pdf.c explains the kept bytes). */
HPDF_Dict mkl__pdf_stream_new(W *w);
HPDF_STATUS mkl__pdf_stream_data(W *w, HPDF_Dict d, const void *data, size_t n, mkl_buf *z);
HPDF_STATUS mkl__pdf_stream_kept(W *w, HPDF_Dict d, mkl_buf *raw, mkl_buf *keep_raw, mkl_buf *keep_z);
/* Subset font `f` (the writer's index-th) and write its objects (pdf_fonts.c). */
mkl_status mkl__pdf_font_finish(W *w, PFont *f, int index);
/* A flat writer: the final code of glyph `gid` drawn for a text of `tlen`
 * bytes in font `f`, whose pair is new (pdf_fonts.c). */
mkl_status mkl__pdf_flat_code(W *w, PFont *f, uint32_t gid, uint32_t *code);

/* The flat writer (pdf_flat.c). */
mkl_status mkl__flat_new(W *w, const mkl_pdf_info *info);
void mkl__flat_free(W *w);
/* An object that stands for the object numbered `num` (kept to the end). */
void *mkl__flat_stub(W *w, uint32_t num, int transient);
/* A new object number. */
mkl_status mkl__flat_reserve(W *w, uint32_t *num);
/* Before and after the pages of a layout are made. */
mkl_status mkl__flat_copy_begin(W *w);
mkl_status mkl__flat_copy_end(W *w, mkl_status st);
/* A page: its dictionary (in the copy's objects), made now; its content,
 * written now; its resources, from the fonts and images used on it. */
mkl_status mkl__flat_page(W *w, double width, double height, HPDF_Dict *out);
mkl_status mkl__flat_page_content(W *w, HPDF_Dict page, mkl_buf *content);   /* (content is taken) */
/* A link annotation on `page`. */
mkl_status mkl__flat_link(W *w, HPDF_Dict page, const mkl_plink *lk, double page_height, HPDF_Dict *out);
/* Before the fonts and the document's last objects are made, and after:
 * write them, the page tree and the cross-reference stream. */
mkl_status mkl__flat_final_begin(W *w);
mkl_status mkl__flat_finish(W *w);
/* Object `num`'s cross-reference entry (FLAT_AT, FLAT_IN). */
mkl_status mkl__flat_entry(W *w, uint32_t num, uint64_t entry);

/* The flat writer's output (pdf_flat_out.c): bytes in order, the streams it
 * deflates perhaps deflated on `threads` helper threads (started by
 * mkl__flat_out_start; none: at once). The output is the same either way. */
mkl_status mkl__flat_out_start(W *w, int threads);
void mkl__flat_out_free(PFlat *f);
/* Append bytes; object `num` starts here; the stream object `num`, its
 * dictionary "<< BEFORE/Length N AFTER >>", `data` (taken) deflated at `level`. */
mkl_status mkl__flat_put(W *w, const char *s, size_t n);
mkl_status mkl__flat_put_here(W *w, uint32_t num);
mkl_status mkl__flat_put_stream(W *w, uint32_t num, const char *before, const char *after, mkl_buf *data, int level);
/* Every stream deflated and written, what is held handed to the sink; then
 * the offset the next byte is written at. */
mkl_status mkl__flat_drain(W *w);
uint64_t mkl__flat_here(W *w);

#endif
