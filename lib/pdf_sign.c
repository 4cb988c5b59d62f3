/* pdf_sign.c - the PAdES signature objects and the signing in place. See pdf_sign.h. */
#include "pdf_sign.h"
#include "pack.h"
#include "sign.h"

#include <hpdf_doc.h>
#include <hpdf_objects.h>
#include <hpdf_pages.h>
#include <hpdf_version.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#if HPDF_VERSION_ID != 20300
#error "pdf_sign.c uses libharu internals of version 2.3.0 exactly (HPDF_VERSION_ID 20300)"
#endif

/* The /ByteRange placeholder: a name as wide as "[0 A B C]" with three
 * numbers of up to 13 digits. */
#define RANGE_NAME "MklByteRange000000000000000000000000000000000000"
#define RANGE_KEY "/ByteRange /" RANGE_NAME
#define CONTENTS_KEY "\012/Contents <"

/* libharu frees an object it fails to add: a container is filled only once
 * it is in place, and the first failure ends the work. */
#define TRY(call) do { HPDF_STATUS r_ = (call); if (r_ != HPDF_OK) return r_; } while (0)
#define MADE(obj) do { if (!(obj)) return HPDF_FAILD_TO_ALLOC_MEM; } while (0)

HPDF_STATUS mkl__pdfsig_add(HPDF_Doc pdf, HPDF_Page first, const mkl_signer *s, long long ctime, int packed,
                            HPDF_Dict *widget_out) {
    HPDF_MMgr mm = pdf->mmgr;
    size_t hole = mkl__sign_max_size(s);
    if (hole > HPDF_LIMIT_MAX_STRING_LEN) return HPDF_INVALID_PARAMETER;
    time_t t = (time_t)ctime;
    struct tm tm = {0};
    char date[64];
    if (!gmtime_r(&t, &tm)) return HPDF_INVALID_PARAMETER;
    snprintf(date, sizeof date, "D:%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);

    /* an empty appearance: the widget shows nothing, yet has one (PDF/A) */
    HPDF_Dict ap = HPDF_DictStream_New(mm, pdf->xref);
    MADE(ap);
    TRY(HPDF_Dict_AddName(ap, "Type", "XObject"));
    TRY(HPDF_Dict_AddName(ap, "Subtype", "Form"));
    HPDF_Array bbox = HPDF_Array_New(mm);
    MADE(bbox);
    TRY(HPDF_Dict_Add(ap, "BBox", bbox));
    for (int i = 0; i < 4; i++) TRY(HPDF_Array_AddNumber(bbox, 0));

    HPDF_Dict widget = HPDF_Dict_New(mm);
    MADE(widget);
    TRY(HPDF_Xref_Add(pdf->xref, widget));
    TRY(HPDF_Dict_AddName(widget, "Type", "Annot"));
    TRY(HPDF_Dict_AddName(widget, "Subtype", "Widget"));
    TRY(HPDF_Dict_AddName(widget, "FT", "Sig"));
    TRY(HPDF_Dict_Add(widget, "T", HPDF_String_New(mm, "Signature1", NULL)));
    TRY(HPDF_Dict_AddNumber(widget, "F", 132));   /* Print | Locked */
    TRY(HPDF_Dict_Add(widget, "TU", HPDF_String_New(mm, "Digital signature", NULL)));   /* its name for a screen reader */
    *widget_out = widget;
    HPDF_Array rect = HPDF_Array_New(mm);
    MADE(rect);
    TRY(HPDF_Dict_Add(widget, "Rect", rect));
    for (int i = 0; i < 4; i++) TRY(HPDF_Array_AddNumber(rect, 0));
    TRY(HPDF_Dict_Add(widget, "P", first));
    HPDF_Dict apd = HPDF_Dict_New(mm);
    MADE(apd);
    TRY(HPDF_Dict_Add(widget, "AP", apd));
    TRY(HPDF_Dict_Add(apd, "N", ap));
    HPDF_Array annots = HPDF_Dict_GetItem(first, "Annots", HPDF_OCLASS_ARRAY);
    if (!annots) {
        annots = HPDF_Array_New(mm);
        MADE(annots);
        TRY(HPDF_Dict_Add(first, "Annots", annots));
    }
    TRY(HPDF_Array_Add(annots, widget));

    HPDF_Dict form = HPDF_Dict_New(mm);
    MADE(form);
    TRY(HPDF_Dict_Add(pdf->catalog, "AcroForm", form));
    HPDF_Array fields = HPDF_Array_New(mm);
    MADE(fields);
    TRY(HPDF_Dict_Add(form, "Fields", fields));
    TRY(HPDF_Array_Add(fields, widget));
    TRY(HPDF_Dict_AddNumber(form, "SigFlags", 3));   /* SignaturesExist | AppendOnly */

    /* the signature dictionary, last */
    HPDF_Dict sig = HPDF_Dict_New(mm);
    MADE(sig);
    TRY(HPDF_Xref_Add(pdf->xref, sig));
    if (packed) TRY(HPDF_Dict_AddBoolean(sig, MKL_PACK_TOP_KEY, HPDF_TRUE));   /* first: see pack.h */
    TRY(HPDF_Dict_AddName(sig, "Type", "Sig"));
    TRY(HPDF_Dict_AddName(sig, "Filter", "Adobe.PPKLite"));
    TRY(HPDF_Dict_AddName(sig, "SubFilter", "ETSI.CAdES.detached"));
    TRY(HPDF_Dict_AddName(sig, "ByteRange", RANGE_NAME));
    HPDF_BYTE *zeros = mkl__calloc(hole ? hole : 1, 1);
    MADE(zeros);
    HPDF_Binary contents = HPDF_Binary_New(mm, zeros, (HPDF_UINT)hole);
    mkl__free(zeros);
    TRY(HPDF_Dict_Add(sig, "Contents", contents));
    TRY(HPDF_Dict_Add(sig, "M", HPDF_String_New(mm, date, NULL)));
    TRY(HPDF_Dict_Add(widget, "V", sig));
    return HPDF_OK;
}

/* The last `s` in p[0..n), or n. */
static size_t last(const char *p, size_t n, const char *s) {
    size_t k = strlen(s);
    for (size_t i = n; i >= k; i--)
        if (p[i - k] == s[0] && !memcmp(p + i - k, s, k)) return i - k;
    return n;
}

mkl_status mkl__pdfsig_sign(mkl_buf *out, size_t at, const mkl_signer *s, mkl_error *e) {
    char *p = out->s + at;
    size_t n = out->n - at, hole = mkl__sign_max_size(s);
    size_t key = last(p, n, RANGE_KEY);
    size_t name = key + strlen("/ByteRange "), name_end = key + strlen(RANGE_KEY);
    size_t hole_at = name_end + strlen(CONTENTS_KEY) - 1, hole_end = hole_at + 2 * hole + 2;
    int found = key < n && hole_end <= n && !memcmp(p + name_end, CONTENTS_KEY, strlen(CONTENTS_KEY)) &&
                p[hole_end - 1] == '>';
    for (size_t i = hole_at + 1; found && i + 1 < hole_end; i++) found = p[i] == '0';
    if (!found) return mkl__err(e, MKL_ERR_PDF, NULL, 0, 0, "internal error: the signature's place is not in the PDF");
    char range[sizeof RANGE_NAME + 1];
    int rn = snprintf(range, sizeof range, "[0 %zu %zu %zu]", hole_at, hole_end, n - hole_end);
    if (rn < 0 || (size_t)rn > name_end - name)
        return mkl__err(e, MKL_ERR_LIMIT, NULL, 0, 0, "the PDF is too large to be signed");
    memset(p + name, ' ', name_end - name);
    memcpy(p + name, range, (size_t)rn);
    unsigned char *cms = mkl__malloc(hole ? hole : 1);
    if (!cms) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    size_t len = 0;
    mkl_status st = mkl__sign_pdf(s, (const unsigned char *)p, n, hole_at, hole_end, cms, hole, &len, e);
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; !st && i < len; i++) {
        p[hole_at + 1 + 2 * i] = hex[cms[i] >> 4];
        p[hole_at + 2 + 2 * i] = hex[cms[i] & 15];
    }
    mkl__free(cms);
    return st;
}
