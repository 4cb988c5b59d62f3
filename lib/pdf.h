/* pdf.h - laid-out pages -> PDF bytes. The only module that knows libharu.
 *
 * Fonts are embedded as Type0/CIDFontType2 with Identity-H: each font is
 * subset with hb-subset (hinting and every table a CID font does not need
 * dropped, glyphs renumbered) and the CIDs are the subset's glyph ids
 * (/CIDToGIDMap /Identity), so page content is kept until the document is
 * finished and then patched with the final CIDs. A writer with a sink (a
 * combined file) keeps the face's glyph ids in its subsets instead, so that
 * each page is final when made and goes to the output at once. This module writes its own
 * /W and ToUnicode CMap (as ranges). Each run of glyphs becomes one TJ with
 * the exact positions of the layout; lines are placed with Td. */
#ifndef MKL_PDF_H
#define MKL_PDF_H

#include "image.h"
#include "layout.h"

/* Subset fonts kept from one document to the next (the renderer's). */
typedef struct mkl_subsets mkl_subsets;
mkl_subsets *mkl__subsets_new(void);
void mkl__subsets_free(mkl_subsets *c);

typedef struct mkl_pdf_info {
    const char *title;     /* or NULL */
    const char *author;    /* or NULL */
    long long ctime;       /* creation time, Unix seconds (UTC) */
    int pdfa;              /* write PDF/A-1b */
    mkl_subsets *subsets;  /* or NULL */
    const mkl_signer *signer;  /* sign the document (PAdES B-B, pdf_sign.h), or NULL */
    int tags;              /* a tagged PDF: the layouts' structure (pdf_tags.h) */
    int pdfua;             /* declare PDF/UA-1 (needs tags and a title) */
    /* a writer of several layouts: hand the file to `sink` as it is made, so
     * that memory stays flat however many pages (not for PDF/A or a signed
     * file, which are made whole first; nor when NULL). `sink` returns 0 or
     * an errno; `sink_name` names the output in messages. */
    int (*sink)(void *user, const char *data, size_t n);
    void *sink_user;
    const char *sink_name;
    struct mkl_pack_cache *objstreams;  /* object streams kept from one document to the next (pack.h; the
                                           renderer's), or NULL */
    const struct mkl_glyph_base *base;  /* a merge copy: its template's fixed glyphs of big faces, drawn from
                                           a subset of exactly them (glyphbase.h; not for a combined file) */
    int jobs;              /* a writer with a sink: threads that may deflate its streams (the
                              calling one among them); 0 or 1: the calling thread only */
} mkl_pdf_info;

/* Write the PDF for `l` into `out` (appended). */
mkl_status mkl__pdf_write(const mkl_layout *l, const mkl_pdf_info *info, mkl_buf *out, mkl_error *e);

/* A writer for several layouts in one file (a batch of copies): fonts and
 * images are stored once for all of them. */
typedef struct mkl_pdfw mkl_pdfw;
mkl_status mkl__pdfw_new(const mkl_pdf_info *info, mkl_pdfw **out, mkl_error *e);
/* Add the pages of `l` (which may be freed afterwards); with to_even, a blank
 * page follows when `l` has an odd number of pages (duplex printing). */
mkl_status mkl__pdfw_add(mkl_pdfw *w, const mkl_layout *l, int to_even, mkl_error *e);
int mkl__pdfw_pages(const mkl_pdfw *w);
/* A writer for one letter, which may be a petition of 100,000 signatories,
 * set up to hold as little as it can while the letter waits for its fonts:
 * its pages' content is deflated past MKL_LETTER_KEEP_RAW bytes (as a
 * batch's is past mkl__pdf_keep_raw), and, tagged (not with a sink),
 * mkl__pdfw_add leaves the layout's structure tree to
 * mkl__pdfw_structure(), so that the caller can free the layout's pages in
 * between (mkl__layout_free_pages): the glyphs then never wait beside the
 * formatted structure. mkl__pdfw_structure comes before mkl__pdfw_finish;
 * it needs the layout's structure. */
#define MKL_LETTER_KEEP_RAW ((size_t)1 << 20)
void mkl__pdfw_one_letter(mkl_pdfw *w);
mkl_status mkl__pdfw_structure(mkl_pdfw *w, mkl_error *e);
/* Finish the document and append its bytes to `out` (a writer with a sink
 * hands them to the sink instead: `out` stays as it is). */
mkl_status mkl__pdfw_finish(mkl_pdfw *w, mkl_buf *out, mkl_error *e);
void mkl__pdfw_free(mkl_pdfw *w);

/* Raw page content (bytes) a writer keeps as written before it deflates
 * what waits for the fonts to be subset (16 MiB, about 1,300 pages; tests
 * set 0). */
extern size_t mkl__pdf_keep_raw;

/* The libharu version linked, and whether it is the one this module was written for. */
const char *mkl__pdf_backend_version(void);
int mkl__pdf_backend_ok(void);

#endif
