/* linebreak.h - choose where the lines of a shaped paragraph end.
 *
 * Total-fit: among all break opportunities the set of breaks with the least
 * total badness is chosen (Knuth-Plass without hyphenation), so spacing is
 * even across the paragraph, not only line by line. A word wider than the
 * line is broken between clusters, so no line runs into the margin. Breaks
 * marked MKL_G_SYL (hangul-breaks: auto) are tried only when the paragraph
 * set without them has a line looser than MKL_HANGUL_LOOSE. */
#ifndef MKL_LINEBREAK_H
#define MKL_LINEBREAK_H

#include "shape.h"

typedef struct mkl_line {
    size_t start, end;  /* glyphs [start, end): trailing spaces excluded */
    double width;       /* natural width in points */
    int nspaces;        /* stretchable spaces inside the line */
    int last;           /* last line of the paragraph, or ends with a hard break */
    int hyphen;         /* ends inside a word: a hyphen is added after glyph end-1 (its width is in `width`) */
} mkl_line;

/* The glue model shared by the breaker and the layout: a space may stretch by
 * MKL_SPACE_STRETCH of its width (badness 100) and shrink by MKL_SPACE_SHRINK;
 * a gap between two Hangul syllables may stretch by MKL_HGAP_STRETCH em. */
#define MKL_SPACE_STRETCH 0.6
#define MKL_SPACE_SHRINK 0.2
#define MKL_HGAP_STRETCH 0.035
/* Glyph expansion (as pdfTeX's font expansion): the glyphs of a justified
 * line that are neither spaces nor Hangul may be set up to MKL_EXPAND wider
 * or narrower (PDF horizontal scaling), so that its spaces take less of the
 * stretch. It stretches and shrinks in step with the spaces, and no further. */
#define MKL_EXPAND 0.02

/* hangul-breaks: auto. A justified line whose glue stretches past this part of
 * what it may stretch (badness 51) is too loose: only then may a paragraph
 * break between syllables, and only in a line that would be too loose if the
 * eojeol went whole to the next one. (At 1.0 the Korean example keeps lines
 * whose word spaces are 0.39 line-heights, measured side by side; at 0.8, 0.38.) */
#define MKL_HANGUL_LOOSE 0.8

/* Whether glyph `g` may be expanded (MKL_EXPAND): not a space, not Hangul. */
#define MKL_EXPANDS(g) (!((g)->flags & (MKL_G_SPACE | MKL_G_HANGUL)))

/* How a justified line of natural width `ln->width` fills `avail`: the extra
 * width of each space and of each Hangul gap (MKL_G_HGAP glyph), and the
 * expansion of its glyphs that expand (MKL_EXPANDS): their advances are set
 * (1 + *expand) times as wide, -MKL_EXPAND <= *expand <= MKL_EXPAND. */
void mkl__justify(const mkl_shaped *s, const struct mkl_line *ln, double avail, double *space_extra,
                  double *hgap_extra, double *expand);

typedef struct mkl_lines_out { mkl_line *v; size_t n, cap; } mkl_lines_out;

/* Break `s` into lines `first_width` wide for the first line and `width` for
 * the others. `justify` selects the cost model (justified vs ragged). Lines go
 * to `out` (reset first; its memory is reused). */
mkl_status mkl__break_lines(const mkl_shaped *s, double first_width, double width, int justify, mkl_lines_out *out,
                            mkl_error *e);

#endif
