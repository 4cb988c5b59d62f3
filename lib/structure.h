/* structure.h - the logical structure of a laid-out letter: which element
 * of the letter (a paragraph, a heading, a list item, a figure, ...) each
 * mark on a page belongs to, or that it is an artifact (page furniture,
 * fold marks, rules). Plain data the layout records and the PDF stage
 * writes as a tagged PDF; nothing here knows PDF.
 *
 * Each run, rule, image and link of a page carries a tag (mkl_tag) and a
 * sequence number. Elements and marks take their sequence numbers from one
 * counter in the order the layout makes them, which is reading order: an
 * element's children, elements and marks alike, are in reading order when
 * sorted by it, whatever order the marks are drawn in. */
#ifndef MKL_STRUCTURE_H
#define MKL_STRUCTURE_H

#include "util.h"

typedef enum mkl_skind {
    MKL_S_DOCUMENT, MKL_S_PART, MKL_S_SECT, MKL_S_DIV, MKL_S_P,
    MKL_S_H1, MKL_S_H2, MKL_S_H3, MKL_S_H4, MKL_S_H5, MKL_S_H6,
    MKL_S_L, MKL_S_LI, MKL_S_LBL, MKL_S_LBODY, MKL_S_BLOCKQUOTE, MKL_S_LINK, MKL_S_FIGURE,
    MKL_S_TABLE, MKL_S_TR, MKL_S_TH, MKL_S_TD, MKL_S_SPAN,
    MKL_S_COUNT
} mkl_skind;

/* The standard structure type's name ("P", "H1", "LBody", ...). */
const char *mkl__skind_name(mkl_skind k);

/* What a mark belongs to: an element (MKL_TAG_OF(index), > 0) or an
 * artifact. A mark nobody tagged (0) is a layout artifact, like the rules
 * and marks that mean nothing to a reader. As an element's parent, 0 is the
 * document itself. */
typedef int32_t mkl_tag;
#define MKL_TAG_LAYOUT 0         /* artifact: rules, fold, punch and window marks */
#define MKL_TAG_PAGINATION (-1)  /* artifact: running header, footer, page number */
#define MKL_TAG_OF(index) ((mkl_tag)(index) + 1)
#define MKL_TAG_INDEX(tag) ((size_t)(tag) - 1)

typedef struct mkl_selem {
    uint8_t kind;        /* mkl_skind */
    uint8_t lang;        /* MKL_LANG_* (model.h); INHERIT: its parent's */
    mkl_tag parent;      /* an element, or 0: the document */
    uint32_t seq;
    uint32_t alt;        /* /Alt: offset + 1 of a NUL-terminated text in `strings`; 0: none */
    uint32_t actual;     /* /ActualText, the same way */
} mkl_selem;

typedef struct mkl_structure {
    MKL_VEC(mkl_selem) elems;
    mkl_buf strings;
    uint32_t seq;        /* the next sequence number */
    int lang;            /* the document's language, MKL_LANG_EN or MKL_LANG_KO */
} mkl_structure;

/* The next sequence number (for a mark). */
static inline uint32_t mkl__struct_seq(mkl_structure *s) { return s->seq++; }

/* A new element of `kind` under `parent` (an element or 0), in language
 * `lang` (MKL_LANG_*), into *out. MKL_OK or MKL_ERR_NOMEM. */
mkl_status mkl__struct_add(mkl_structure *s, mkl_skind kind, mkl_tag parent, int lang, mkl_tag *out);

/* Give element `tag` its alternative text (which == 'A') or actual text
 * ('T'): `n` bytes of `text`. MKL_OK or MKL_ERR_NOMEM. */
mkl_status mkl__struct_text(mkl_structure *s, mkl_tag tag, int which, const char *text, size_t n);

/* The element's text `off` (mkl_selem.alt or .actual) or NULL. */
static inline const char *mkl__struct_str(const mkl_structure *s, uint32_t off) {
    return off ? s->strings.s + off - 1 : NULL;
}

/* The element of `tag` or NULL (an artifact or the document). */
static inline const mkl_selem *mkl__struct_elem(const mkl_structure *s, mkl_tag tag) {
    return tag > 0 && MKL_TAG_INDEX(tag) < s->elems.n ? &s->elems.v[MKL_TAG_INDEX(tag)] : NULL;
}

void mkl__struct_free(mkl_structure *s);

#endif
