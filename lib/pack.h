/* pack.h - a finished PDF with a classic cross-reference table (as libharu
 * writes it) -> the same objects in PDF 1.5 form: every object that is not a
 * stream goes into compressed object streams, the cross-reference table
 * becomes a compressed cross-reference stream, and each stream's /Length is
 * written in place of the number object that held it (libharu refers to
 * such an object from that /Length only). Page dictionaries, font
 * dictionaries and the table are a tenth of a letter before this.
 *
 * A stream whose dictionary holds "/MklFlate true" is one whose data the
 * writer deflated itself (libharu cannot be given compressed data): the
 * mark becomes "/Filter /FlateDecode". Such a file is only valid packed.
 *
 * An object that is not a stream and whose dictionary begins with
 * "/MklTop true" (MKL_PACK_TOP_KEY) stays out of the object streams, as an
 * object of its own, the mark dropped: a signature dictionary, whose
 * /Contents is written into the file after packing.
 *
 * Knows nothing of libharu: it reads the PDF through its cross-reference
 * table only, so any content is safe. PDF/A-1 (PDF 1.4) forbids both
 * features: the caller does not pack there. */
#ifndef MKL_PACK_H
#define MKL_PACK_H

#include "deflate.h"
#include "util.h"

#define MKL_PACK_TOP_KEY "MklTop"

/* Append the packed form of `in[0..n)` to `out`. Returns MKL_OK; MKL_ERR_NOMEM;
 * or MKL_ERR_PDF when `in` is not a PDF of the shape described above (an
 * encrypted one, one with several cross-reference sections, ...), with `out`
 * as it was. Sets no error message: the caller reports it (mkletter's own
 * writer treats it as an internal error: its marked streams need packing). */
mkl_status mkl__pdf_pack(const char *in, size_t n, mkl_buf *out);

/* Objects a writer formats itself, without libharu (the structure tree: a
 * few hundred small dictionaries a letter, which libharu would build key by
 * key): object `num` is written as bytes[off, off + len) in place of the
 * body libharu wrote for it (a placeholder: `null`). `v` is in increasing
 * `num` order; each number is an object of the input that is no stream. */
typedef struct mkl_pack_obj { uint32_t num, len; size_t off; } mkl_pack_obj;
typedef struct mkl_pack_subst { const char *bytes; const mkl_pack_obj *v; size_t n; } mkl_pack_subst;

/* mkl__pdf_pack with the objects of `subst` (NULL: none) in place. */
mkl_status mkl__pdf_pack_with(const char *in, size_t n, const mkl_pack_subst *subst, mkl_buf *out);

/* Object streams kept from one document to the next (a renderer's, one
 * thread's): mkl__pdf_pack_kept gives the bytes mkl__pdf_pack_with gives,
 * taking an object stream equal to one of the last documents' as it was
 * deflated then. */
typedef struct mkl_pack_cache mkl_pack_cache;
mkl_pack_cache *mkl__pack_cache_new(void);
void mkl__pack_cache_free(mkl_pack_cache *c);
mkl_status mkl__pdf_pack_kept(const char *in, size_t n, const mkl_pack_subst *subst, mkl_pack_cache *cache,
                              mkl_buf *out);

/* The same objects in place, the file otherwise as it is (PDF 1.4, a
 * classic cross-reference table written anew): for PDF/A-1, not packed.
 * MKL_OK, MKL_ERR_NOMEM, MKL_ERR_PDF as mkl__pdf_pack. */
mkl_status mkl__pdf_substitute(const char *in, size_t n, const mkl_pack_subst *subst, mkl_buf *out);

#endif
