/* pdf_sign.h - the signature of a PDF, inside the PDF module (pdf.c calls it;
 * nothing else includes it: it speaks libharu).
 *
 * Before libharu writes the document, mkl__pdfsig_add() adds the signature
 * dictionary (/Type /Sig /Filter /Adobe.PPKLite /SubFilter
 * /ETSI.CAdES.detached, /M), the signature field with its invisible widget
 * on the first page (/F 132: printable and locked; an empty appearance
 * stream; /Rect [0 0 0 0]) and /AcroForm (/SigFlags 3) in the catalog. The
 * dictionary holds a fixed-width placeholder for /ByteRange (a name, as wide
 * as any byte range) and a /Contents hole of zeros as large as the signer's
 * largest signature. It is the document's last object, so nothing the
 * letter holds is written after it uncompressed. For a file that pack.c
 * rewrites it carries pack.c's mark to stay out of the object streams.
 *
 * Once the file's bytes are final, mkl__pdfsig_sign() finds the placeholder
 * (the last one in the file), writes the byte range over it (padded with
 * spaces), signs everything but the hole, and writes the signature's hex in
 * the hole: the file is written once, no incremental update. */
#ifndef MKL_PDF_SIGN_H
#define MKL_PDF_SIGN_H

#include "util.h"
#include <hpdf.h>

/* Add the signature objects; `ctime` is the creation time (Unix seconds),
 * `packed` whether pack.c rewrites the file. Returns libharu's status
 * (HPDF_OK), or HPDF_INVALID_PARAMETER when the signature cannot fit a PDF
 * string (a chain of certificates over 64 KB). */
HPDF_STATUS mkl__pdfsig_add(HPDF_Doc pdf, HPDF_Page first, const mkl_signer *s, long long ctime, int packed,
                            HPDF_Dict *widget_out);

/* Sign the PDF out->s[at..out->n) in place. */
mkl_status mkl__pdfsig_sign(mkl_buf *out, size_t at, const mkl_signer *s, mkl_error *e);

#endif
