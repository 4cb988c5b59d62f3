/* pdf_tags.h - tagged PDF for pdf.c: marked content around each element's
 * marks on a page, the structure tree, the parent tree, link annotations in
 * the tree, and what a tagged (PDF/UA-1) file declares in its catalog and XMP.
 * Internal to the PDF module (lib/pdf*.c): it knows libharu.
 *
 * The writer calls, for each layout added: layout_begin; for each page,
 * page_begin, then mark() before each rule, run and image it draws (close()
 * before BT and ET and at the end), link() for each link annotation, and
 * page_end; then layout_end. finish() before the document is saved. The
 * functions return MKL_OK, MKL_ERR_NOMEM, or MKL_ERR_PDF when libharu
 * refused something (the caller reports it). */
#ifndef MKL_PDF_TAGS_H
#define MKL_PDF_TAGS_H

#include "layout.h"
#include "pack.h"

#include <hpdf.h>

typedef struct mkl_tagger mkl_tagger;

/* NULL when out of memory. */
mkl_tagger *mkl__tagger_new(HPDF_Doc pdf);
void mkl__tagger_free(mkl_tagger *t);

mkl_status mkl__tags_layout_begin(mkl_tagger *t, const mkl_layout *L);
void mkl__tags_page_begin(mkl_tagger *t, HPDF_Page page);
/* Before a mark of `tag` (sequence number `seq`) is written to `b`: ends
 * the marked-content sequence open if it is another's, and opens this one's. */
void mkl__tags_mark(mkl_tagger *t, mkl_buf *b, mkl_tag tag, uint32_t seq);
/* End the open marked-content sequence, if any. */
void mkl__tags_close(mkl_tagger *t, mkl_buf *b);
mkl_status mkl__tags_link(mkl_tagger *t, HPDF_Annotation a, const mkl_plink *lk);
mkl_status mkl__tags_page_end(mkl_tagger *t);
mkl_status mkl__tags_layout_end(mkl_tagger *t);
/* A tagger that defers: layout_end only notes that the layout's pages are
 * done, and layout_flush formats its structure tree, which needs the
 * layout's structure (mkl_structure) but none of its pages: the caller may
 * free the pages (a petition's glyphs, most of its memory) in between.
 * layout_flush comes before the next layout_begin and before finish(),
 * with no object made in between (the elements are numbered as they would
 * be otherwise). */
void mkl__tags_defer(mkl_tagger *t);
mkl_status mkl__tags_layout_flush(mkl_tagger *t);

/* The catalog's /StructTreeRoot, /MarkInfo, /Lang and /ViewerPreferences.
 * `widget`, when not NULL, is a signature field's widget on `page`: it is
 * put in a Form element, the Document's last child (PDF/UA: every
 * annotation in the structure). */
mkl_status mkl__tags_finish(mkl_tagger *t, HPDF_Dict widget, HPDF_Page page);

/* The structure's objects, which libharu holds placeholders for: for
 * pack.c (mkl__pdf_pack_with, mkl__pdf_substitute), after finish() and
 * while the tagger lives. */
void mkl__tags_subst(const mkl_tagger *t, mkl_pack_subst *out);

/* A file written as it is made (pdf_flat.c): the objects of
 * mkl__tags_subst are written; the tagger forgets them (the numbers it
 * keeps for the end, a copy's root and the parent tree's values, stay). */
void mkl__tags_written(mkl_tagger *t);
/* Such a file: each full leaf of the parent tree (512 keys) formatted now
 * (written with the copy's objects), its entries and values forgotten. */
mkl_status mkl__tags_flat_leaves(mkl_tagger *t);

/* The PDF/UA-1 identification for the XMP packet: a Description with
 * pdfuaid:part 1 and, for PDF/A (pdfa = 1), the extension schema PDF/A-1
 * wants for a namespace it does not know. Appended to x. */
void mkl__tags_xmp_pdfua(mkl_buf *x, int pdfa);

/* Whether `p` is the placeholder the tagger puts in the cross-reference for
 * the objects it formats: one for them all, which libharu must not free
 * (the writer's allocator lets it be). */
int mkl__tags_is_placeholder(const void *p);

/* The language tag for MKL_LANG_* ("en", "ko-KR"). */
const char *mkl__tags_lang(int lang);

#endif
