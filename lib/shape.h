/* shape.h - rich text -> positioned glyphs, with font fallback and line-break
 * opportunities. One mkl_shaper is reused for every paragraph of a render. */
#ifndef MKL_SHAPE_H
#define MKL_SHAPE_H

#include "font.h"
#include "model.h"

enum {
    MKL_G_SPACE = 1,   /* an interword space: stretches when justifying, dropped at a line end */
    MKL_G_BREAK = 2,   /* a line may break before this glyph */
    MKL_G_HARD = 4,    /* a line must break before this glyph */
    MKL_G_CSTART = 8,  /* first glyph of its cluster: break positions only fall here */
    MKL_G_NOBREAK = 16,/* never break before this glyph, not even in an emergency (KLREQ line-start and
                          line-end rules, digit runs) */
    MKL_G_HANGUL = 32, /* the cluster is Hangul */
    MKL_G_HGAP = 64,   /* a Hangul cluster right after another: justification may widen the gap before it */
    MKL_G_HYPH = 128,  /* a line may break before this glyph with a hyphen (of width hyw) after the glyph before */
    MKL_G_SYL = 256    /* hangul-breaks: auto: a break between two syllables of an eojeol, taken only where the
                          line would otherwise be looser than the stretch limit (mkl__break_lines) */
};

typedef struct mkl_glyph {
    mkl_face *face;
    uint32_t gid;
    uint32_t cluster;     /* byte offset of the cluster in the text */
    uint32_t toff, tlen;  /* the text this glyph stands for (ToUnicode); tlen 0 = none */
    float adv, xoff, yoff; /* points */
    float size;
    float hyw;            /* MKL_G_HYPH: width of the hyphen to add */
    float endw;           /* the advance as the glyph ends a line: without the kerning with what follows
                             (a line's last "A" is as wide as its ink, not narrowed for the space after it) */
    uint8_t style;
    uint16_t flags;
    uint8_t level;        /* bidi embedding level (UAX #9): odd = right to left */
    int32_t link;
} mkl_glyph;

/* Faces one style of a role may use: its own families (up to 8) and the
 * fallback faces its text has needed. */
#define MKL_FONTSET_MAX 32

/* The families of one role (body, heading), resolved lazily per style. A
 * character none of them covers takes a fallback face (mkl__fontdb_fallback)
 * of the class of the role's first family (serif, sans serif), appended to
 * faces[style] after the families' own. In a bold style a family lighter than
 * the first one's bold (by OS/2 weight) gives way, for its script (Hangul,
 * Han), to a bold of its own class at the first one's weight, where one is
 * installed (mkl__fontdb_weighted), when the text first needs it. */
typedef struct mkl_fontset {
    mkl_fontdb *db;
    const char *const *families;
    size_t nfamilies;
    mkl_face *faces[4][MKL_FONTSET_MAX];   /* [style & 3][i]: the families', then fallbacks */
    size_t nfaces[4];        /* the families' faces */
    size_t nall[4];          /* and the fallbacks after them */
    int resolved[4];
    uint8_t weighed[4][8];   /* [style][i]: family i's weight matched to the first's (bold styles) */
} mkl_fontset;

/* Resolve style `style` (MKL_STYLE_BOLD | MKL_STYLE_ITALIC) of every family:
 * an unknown family is an error (MKL_ERR_FONT). */
mkl_status mkl__fontset_resolve(mkl_fontset *fs, int style, mkl_error *e);

typedef struct mkl_shaped {
    const char *text;
    size_t len;
    mkl_glyph *g;
    size_t n, cap;
} mkl_shaped;

typedef struct mkl_shaper mkl_shaper;
mkl_status mkl__shaper_new(mkl_shaper **out, mkl_error *e);
void mkl__shaper_free(mkl_shaper *sh);

/* mkl_shape_opts.keep_all */
enum {
    MKL_KEEP_NONE = 0,  /* a line may break between any two Hangul syllables */
    MKL_KEEP_ALL = 1,   /* CSS keep-all: Korean words (eojeol) stay whole */
    MKL_KEEP_AUTO = 2   /* eojeol whole first; breaks between syllables marked MKL_G_SYL for the breaker */
};

typedef struct mkl_shape_opts {
    double size;
    const char *lang;   /* "en", "ko": the text's language; runs with a lang of their own override it */
    int keep_all;       /* MKL_KEEP_*: breaks between two Hangul letters */
    int style;          /* added to every run's style */
    const char *file;   /* for error messages */
    int line;           /* source line, for error messages */
    const char *src;    /* the letter's text (or NULL): errors find the character in it */
    size_t srclen;
    int hyphenate;      /* mark hyphenation points (justified text in a language with patterns) */
} mkl_shape_opts;

/* Shape `r` into `out` (which is reset; its memory is reused). Errors: a
 * character no installed font covers (MKL_ERR_FONT, naming U+XXXX, its
 * place and what to install). */
mkl_status mkl__shape(mkl_shaper *sh, mkl_fontset *fs, const mkl_rich *r, const mkl_shape_opts *o, mkl_shaped *out,
                      mkl_error *e);
void mkl__shaped_free(mkl_shaped *s);

/* Shape a plain string (one style). */
mkl_status mkl__shape_plain(mkl_shaper *sh, mkl_fontset *fs, const char *text, const mkl_shape_opts *o,
                            mkl_shaped *out, mkl_error *e);

/* The glyphs [a, b) of one line in visual order (UAX #9, L2: clusters of
 * every run at level >= k reversed, for each k from the highest level down to
 * the lowest odd one), into order[0 .. b-a). Returns 0, and leaves `order`
 * alone, when the line has no right-to-left glyph: the order is logical. */
int mkl__visual_order(const mkl_shaped *s, size_t a, size_t b, size_t *order);

/* Sum of advances of glyphs [a, b). */
double mkl__shaped_width(const mkl_shaped *s, size_t a, size_t b);

#endif
