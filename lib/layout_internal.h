/* layout_internal.h - what the files of the layout stage share (not part of
 * the library's interface).
 *
 * The stage is split by concern:
 *   layout.c       fonts of each role, the page, the parts in order
 *   layout_text.c  inline text: shape and break a paragraph (cached), set a line
 *   layout_flow.c  page flow: pages, the cursor and baseline grid, flowing and
 *                  fixed blocks, rules and images
 *   layout_head.c  letterhead, address window or address blocks, date, CC
 *   layout_body.c  subject, opening, body, closing and signatures
 *   layout_end.c   co-signer groups, enclosures, P.S.
 *   layout_page.c  running header, footer band, folio
 *   layout_kr_official.c  the Korean official document (layout: kr-official), whole
 * Coordinates are points from the top-left corner of the page, y downwards. */
#ifndef MKL_LAYOUT_INTERNAL_H
#define MKL_LAYOUT_INTERNAL_H

#include "image.h"
#include "layout.h"
#include "linebreak.h"

enum { AL_LEFT, AL_RIGHT, AL_CENTER, AL_JUSTIFY };

static const float BLACK[3] = {0, 0, 0};
static const float GRAY[3] = {0.33f, 0.33f, 0.33f};
static const float LINKC[3] = {0.05f, 0.2f, 0.55f};

typedef struct Par {
    mkl_shaped s;
    mkl_lines_out lines;
    double w1, w;      /* first and other line widths */
    double indent;     /* x offset of lines after the first, relative to the first */
    double lead;
    int align;
    const float *rgb;
    char *own;         /* text owned by the paragraph, or NULL */
    /* the paragraph cache's glyphs `s.g` points into (s.cap 0), held until
     * the paragraph is made again or freed; NULL: s.g is the paragraph's */
    struct CGlyphs *held;
} Par;

/* Keeping the close with what it closes (mkl__layout): the last two lines of
 * the body, the closing and the start of what follows it (the first row of
 * signatures, else the first group's heading with its first rows) on one
 * page. A layout records where they fell; a later one may be asked to start a
 * new page before body line `break_at`, and says what that cost. */
typedef struct CloseKeep {
    long break_at;        /* body line (from 0) to start a page with, or -1 */
    long body_lines;      /* body lines placed so far */
    int last_pages[2];    /* pages of the last two body lines */
    int close_page;       /* page of the closing's first line, -1 none */
    int follow_page;      /* page where what follows the closing starts, -1 none */
    int bad;              /* the forced break left an orphan or a widow */
    double hole;          /* lines left empty at the foot of the page the forced break ended */
    int trial;            /* a trial of a break: only where the lines fall is wanted, no line is set */
} CloseKeep;

/* What the layouts of one letter (mkl__layout: the trials of its page
 * breaks and the one kept) learn once and share: the number of lines of
 * each co-signer entry, which no page break changes (group_lines[i] is
 * group i's, or NULL until a layout measured it). */
typedef struct LayoutMemo {
    uint32_t **group_lines;
    size_t ngroups;
} LayoutMemo;

/* The state of composing one letter: where the cursor is, on which page, in
 * which fonts and language. */
typedef struct Composer {
    const mkl_doc *doc;
    mkl_layout *L;
    mkl_shaper *sh;
    mkl_error *e;
    const mkl_layout_opts *o;
    mkl_fontset body, head;
    int ko;
    double page_width, page_height;
    double margin_left, margin_right, margin_top, margin_bottom;
    double text_width;    /* page_width - margin_left - margin_right */
    double size, lead;
    double lead_ko;      /* a Korean paragraph's leading (the letter's own lead in a Korean letter) */
    double grid0;         /* baseline grid origin */
    double bottom;        /* lowest baseline allowed */
    double bottom1;       /* the same on page 1 (above the letterhead's footer band) */
    double cont_top;      /* cursor at the top of continuation pages */
    int page;             /* current page index */
    double y;
    int at_top;           /* nothing placed yet on this page */
    /* the text being set: its language and Hangul line-break mode, and where it
     * comes from in the letter (for errors) */
    const char *lang;
    int keep_all;
    int src_line, src_col;
    const char *src_file;   /* the file src_line is in (a house style's, or NULL: the letter's) */
    const char *date;     /* the letter's date as set: ISO dates formatted for its language */
    char datebuf[64];
    /* the structure element (or artifact) the marks placed now belong to, and
     * the Link element of the link being set (its parent and link index) */
    mkl_tag tag;
    mkl_tag link_tag, link_parent;
    int32_t link_id;
    /* the Span of a run in another language being set (<span lang>): its
     * parent and language (0: none) */
    mkl_tag span_tag, span_parent;
    int span_lang;
    int join_lines;       /* the last line of a paragraph keeps a space after it (mkl__emit_line) */
    CloseKeep *close;     /* where the close falls (never NULL while laying out) */
    LayoutMemo *memo;     /* shared by the letter's layouts (never NULL while laying out) */
    int in_body;          /* body paragraphs are being placed: their lines are counted */
} Composer;

/* ---- layout.c: the structure --------------------------------------------- */

/* Open an element of `kind` inside the current one (in language `lang`,
 * MKL_LANG_*): the marks placed until mkl__tag_close(c, *saved) belong to it. */
mkl_status mkl__tag_open(Composer *c, mkl_skind kind, int lang, mkl_tag *saved);
static inline void mkl__tag_close(Composer *c, mkl_tag saved) { c->tag = saved; }
/* Make a new element of `kind` under `parent` (an element or 0: the
 * document) the current one. */
static inline mkl_status mkl__tag_in(Composer *c, mkl_tag parent, mkl_skind kind) {
    mkl_tag saved;
    c->tag = parent;
    return mkl__tag_open(c, kind, MKL_LANG_INHERIT, &saved);
}
/* Give the current element its alternative text. */
mkl_status mkl__tag_alt(Composer *c, const char *text);

/* Lines after the first (0 for an empty paragraph). */
static inline double extra_lines(const Par *p) { return p->lines.n ? (double)(p->lines.n - 1) : 0; }

/* ---- layout_text.c --------------------------------------------------------- */

void mkl__par_free(Par *p);
mkl_status mkl__par_make(Composer *c, Par *p, mkl_fontset *fs, const mkl_rich *r, double size, double lead, int style,
                         double w1, double w, double indent, int align, const float *rgb, int line);
/* A paragraph of one plain string, its lines after the first indented by
 * its size (a wrapped address line, a table entry). The text is copied into
 * the paragraph, so the caller's string may go away before the lines are
 * placed. */
mkl_status mkl__par_plain(Composer *c, Par *p, mkl_fontset *fs, const char *text, double size, double lead, int style,
                          double w, int align, const float *rgb);
/* The same with every line at the paragraph's edge (a signature's name and
 * title, a footer line, the P.S.). */
mkl_status mkl__par_flush(Composer *c, Par *p, mkl_fontset *fs, const char *text, double size, double lead, int style,
                          double w, int align, const float *rgb);
/* `n` bytes at `text` appended to `b` with smart punctuation (smart.h), as
 * the paragraph cache kept them when it has (b->oom when out of memory). */
void mkl__par_smart_append(Composer *c, mkl_buf *b, const char *text, size_t n);
/* Put line `li` of `p` with its baseline at `baseline`, its box starting at x. */
mkl_status mkl__emit_line(Composer *c, const Par *p, size_t li, double x, double baseline);

/* ---- layout_flow.c --------------------------------------------------------- */

mkl_status mkl__lay_oom(Composer *c);
mkl_status mkl__new_page(Composer *c);
mkl_page *mkl__cur_page(Composer *c);
mkl_status mkl__add_rule(Composer *c, double x0, double y0, double x1, double y1, double w, double gray);
/* The decoded image a letter names at `path` (a string of the model, relative
 * to the letter's folder). Errors point at the letter's line and name the image. */
mkl_status mkl__image_of(Composer *c, const char *path, const mkl_image **out);
/* The size of `img` fitted into max_w x max_h points: its own size (from its
 * resolution, 300 dpi when it has none) if that fits, else scaled down. */
void mkl__image_fit(const mkl_image *img, double max_w, double max_h, double *w, double *h);
mkl_status mkl__add_image(Composer *c, const mkl_image *img, double x, double y, double w, double h);
double mkl__bottom_of(const Composer *c);
/* Lines of the current page still free below the cursor, at `lead`, after `space`. */
int mkl__lines_free(Composer *c, double space, double lead);
/* Move the cursor down by `space` unless at the top of a page. */
void mkl__space_before(Composer *c, double space);
void mkl__snap(Composer *c);
/* Keep `needed` points of what follows on this page, else start a new one. */
mkl_status mkl__keep(Composer *c, double needed);
/* Place a paragraph in the text column at x, flowing over pages, with no
 * orphan (a lone first line at a page end) and no widow (a lone last line). */
mkl_status mkl__par_flow_at(Composer *c, Par *p, double x, double space, int *first_page, double *first_base);
mkl_status mkl__par_flow(Composer *c, Par *p, double x, double space);
/* Lines of text that stay together at a fixed place (no page break inside). */
mkl_status mkl__par_at(Composer *c, Par *p, double x, double first_baseline);
mkl_status mkl__block_at(Composer *c, const mkl_lines *lines, double x, double w, double y, double size, double lead,
                         int style, int align, const float *rgb, double *bottom);
/* The number of lines `lines` takes at width `w` (each line of it wrapped). */
mkl_status mkl__block_lines(Composer *c, const mkl_lines *lines, double w, double size, double lead, size_t *n);
/* A block of the front matter that cannot be placed: an input error at its
 * first line (`key` names it, `why` says what it does not fit). */
mkl_status mkl__too_long(Composer *c, const mkl_lines *b, const char *key, size_t nlines, const char *why);

/* ---- layout_head.c --------------------------------------------------------- */

/* "Place, date" (or either alone) into b, whole however long; 0 if the
 * letter has neither (or memory ran out: b->oom). */
int mkl__date_line(const Composer *c, mkl_buf *b);
/* The letterhead: the name on the left, the lines right-aligned beside it,
 * both ending on one baseline, and a rule under them. Long lines wrap in the
 * room the name leaves. */
mkl_status mkl__lay_letterhead(Composer *c);
mkl_status mkl__lay_heading(Composer *c);

/* ---- layout_body.c --------------------------------------------------------- */

mkl_status mkl__lay_subject_opening(Composer *c);
mkl_status mkl__lay_body(Composer *c);
mkl_status mkl__lay_closing(Composer *c);

/* ---- layout_end.c ---------------------------------------------------------- */

mkl_status mkl__lay_endmatter(Composer *c);

/* ---- layout_page.c --------------------------------------------------------- */

/* Where the letterhead's footer band starts on page 1 (its lines, 9.5 pt
 * apart, end a line above the page number). */
double mkl__band_top(const Composer *c);
/* Continuation headers on pages 2+ (addressee and date), the footer band on
 * page 1, and the one folio of every page, "Page x of y" at its foot. */
mkl_status mkl__lay_page_furniture(Composer *c);

/* ---- layout_kr_official.c ------------------------------------------------- */

/* The whole of a Korean official document (공문서), its own page and parts. */
mkl_status mkl__lay_kr_official(Composer *c);
/* The label of item `num` (from 1) at list depth `depth` (from 1) of a
 * Korean official document: 1. 가. 1) 가) (1) (가) ① ㉮. */
void mkl__kr_item_label(int depth, int num, char *out, size_t n);

#endif
