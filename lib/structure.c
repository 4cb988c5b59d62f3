/* structure.c - the logical structure of a laid-out letter. See structure.h. */
#include "structure.h"

#include <string.h>

const char *mkl__skind_name(mkl_skind k) {
    static const char *const names[MKL_S_COUNT] = {
        "Document", "Part", "Sect", "Div", "P", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl", "LBody",
        "BlockQuote", "Link", "Figure", "Table", "TR", "TH", "TD", "Span"};
    return (unsigned)k < MKL_S_COUNT ? names[k] : "Div";
}

mkl_status mkl__struct_add(mkl_structure *s, mkl_skind kind, mkl_tag parent, int lang, mkl_tag *out) {
    mkl_selem *el = MKL_PUSH(&s->elems);
    if (!el) return MKL_ERR_NOMEM;
    el->kind = (uint8_t)kind;
    el->lang = (uint8_t)lang;
    el->parent = parent > 0 ? parent : 0;
    el->seq = s->seq++;
    *out = MKL_TAG_OF(s->elems.n - 1);
    return MKL_OK;
}

mkl_status mkl__struct_text(mkl_structure *s, mkl_tag tag, int which, const char *text, size_t n) {
    if (tag <= 0 || MKL_TAG_INDEX(tag) >= s->elems.n) return MKL_OK;
    uint32_t off = (uint32_t)s->strings.n + 1;
    mkl__buf_add(&s->strings, text, n);
    mkl__buf_add(&s->strings, "", 1);   /* the NUL that ends it */
    if (s->strings.oom) return MKL_ERR_NOMEM;
    mkl_selem *el = &s->elems.v[MKL_TAG_INDEX(tag)];
    if (which == 'A') el->alt = off;
    else el->actual = off;
    return MKL_OK;
}

void mkl__struct_free(mkl_structure *s) {
    mkl__free(s->elems.v);
    mkl__buf_free(&s->strings);
    memset(s, 0, sizeof *s);
}
