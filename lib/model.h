/* model.h - the document model: what a letter says, independent of how it is set.
 * Produced by parse.c, consumed by the layout stage (layout*.c). Everything hangs off one arena owned
 * by the mkl_doc, freed by mkl__doc_free(). */
#ifndef MKL_MODEL_H
#define MKL_MODEL_H

#include "util.h"

enum { MKL_STYLE_BOLD = 1, MKL_STYLE_ITALIC = 2, MKL_STYLE_CODE = 4 };

enum { MKL_LANG_INHERIT = 0, MKL_LANG_EN = 1, MKL_LANG_KO = 2 };

/* A run of styled text inside a rich string: bytes [start, end). link = index
 * into mkl_doc.links or -1; lang = MKL_LANG_* (INHERIT: the block's). */
typedef struct mkl_srun { uint32_t start, end; uint8_t style; int32_t link; uint8_t lang; } mkl_srun;

/* Text with inline styles. text is NUL-terminated; runs cover it in order. */
typedef struct mkl_rich {
    const char *text;
    size_t len;
    mkl_srun *runs;
    size_t nruns;
} mkl_rich;

typedef enum { MKL_BLOCK_PARA, MKL_BLOCK_ITEM, MKL_BLOCK_HEADING, MKL_BLOCK_QUOTE } mkl_block_kind;

typedef struct mkl_block {
    mkl_block_kind kind;
    int level;            /* list nesting (1 = top) or heading level */
    const char *marker;   /* list marker ("•", "3.") or NULL */
    int tight;            /* list item in a tight list: no space before it */
    int line;             /* source line of the block in the letter file */
    int lang;             /* MKL_LANG_*; INHERIT: the letter's */
    int syllable;         /* Hangul line breaks: -1 the letter's, else an MKL_HANGUL_* mode */
    mkl_rich rich;
} mkl_block;

/* hangul-breaks: where a line of Korean may end (research/korean.md C.1) */
enum {
    MKL_HANGUL_WORD = 0,      /* between words only: eojeol stay whole */
    MKL_HANGUL_SYLLABLE = 1,  /* between any two syllables */
    MKL_HANGUL_AUTO = 2       /* eojeol whole unless that leaves a line looser than the stretch limit */
};

typedef struct mkl_lines { const char **v; size_t n; } mkl_lines;   /* one string a line */

typedef struct mkl_entry { const char *name; const char *note; } mkl_entry;

/* The most columns a group of co-signers may have (parse.c's message says 4). */
#define MKL_MAX_COLUMNS 4

typedef struct mkl_group {
    const char *heading;  /* or NULL */
    int columns;          /* 1 to MKL_MAX_COLUMNS */
    mkl_entry *entries;
    size_t nentries;
} mkl_group;

/* alt: the image's alternative text, or NULL ("Signature of NAME") */
typedef struct mkl_signature { const char *name, *title, *image, *alt; } mkl_signature;

typedef enum { MKL_PAPER_A4, MKL_PAPER_LETTER, MKL_PAPER_LEGAL } mkl_paper;
typedef enum {
    MKL_LAYOUT_PLAIN, MKL_LAYOUT_DIN5008A, MKL_LAYOUT_DIN5008B, MKL_LAYOUT_US_WINDOW,
    MKL_LAYOUT_KR_OFFICIAL   /* the Korean official document (공문서), lib/layout_kr_official.c */
} mkl_layout_kind;

/* The parts of a Korean official document that no other letter has (the
 * front matter's `official:` mapping); NULL when not given. */
typedef struct mkl_official {
    const char *number;      /* 시행: 처리과명-일련번호 */
    const char *via;         /* 경유 */
    const char *reference;   /* 참조: set in parentheses after the 수신 */
    const char *sender;      /* 발신명의 (default: the letterhead's name) */
    const char *seal;        /* 직인: an image set over the end of the 발신명의 */
    mkl_signature *cooperation;   /* 협조자 */
    size_t ncooperation;
    const char *postcode, *address, *homepage, *phone, *fax, *email;
    const char *disclosure;  /* 공개 구분: 공개, 부분공개 or 비공개 (with its grounds) */
} mkl_official;

typedef struct mkl_fontspec {
    const char **families;   /* fallback order */
    size_t nfamilies;
    int *line, *col;         /* where each family is named in the letter */
} mkl_fontspec;

typedef struct mkl_doc {
    mkl_arena arena;
    const char *file;       /* name for error messages */
    const char *src;        /* the letter's text, for locating errors found after parsing */
    size_t srclen;
    const char *base_dir;   /* folder of the letter file ("" = current) */
    const char *lang;       /* "en" or "ko" */
    mkl_paper paper;
    mkl_layout_kind layout;
    const char *date;       /* formatted for display, or NULL */
    const char *place;
    const char *lh_name;    /* letterhead */
    mkl_lines lh_lines;
    const char *lh_logo;
    const char *lh_logo_alt; /* the logo's alternative text, or NULL (the letterhead name) */
    int lh_align;           /* 0 left, 1 center, 2 right: where the name and logo stand */
    mkl_lines lh_footer;    /* a band at the foot of page 1 (registered address, contacts) */
    mkl_lines from, to;
    mkl_lines *cc;          /* ncc blocks */
    size_t ncc;
    const char *subject, *opening, *closing;
    mkl_signature *signatures;
    size_t nsignatures;
    mkl_group *groups;
    size_t ngroups;
    mkl_lines enclosures;
    const char *ps;
    mkl_official official;
    mkl_fontspec font_body, font_heading;
    double font_size;       /* points */
    double leading;         /* fonts: leading: 0 = the language's (127 %, Korean 150 %) ... */
    int leading_points;     /* ... else a percentage of font_size, or (1) points */
    const char **links;     /* URLs referenced by mkl_srun.link */
    size_t nlinks;
    mkl_block *blocks;      /* the body */
    size_t nblocks;
    int date_official;      /* date-style: official ("2020. 2. 21.") */
    int syllable;           /* hangul-breaks: an MKL_HANGUL_* mode (MKL_HANGUL_AUTO unless the letter says) */
    /* the house styles the letter inherits from (style: FILE), the nearest
     * first: the file as opened (for messages and the output-clash check)
     * and the folder relative paths in it are taken from; its text while
     * the letter is parsed (NULL after) */
    struct mkl_style_file { const char *file, *dir, *text; size_t textlen; } *styles;
    size_t nstyles;
    /* where each front-matter string was written, for errors found later:
     * origin 0 is the letter, k the style styles[k - 1] */
    struct mkl_srcpos { const char *s; int line, col, origin; } *pos;
    size_t npos;
} mkl_doc;

/* Sort the position table (after it is filled) for mkl__doc_pos. */
void mkl__doc_index_pos(mkl_doc *doc);

/* Where the front-matter string `s` (a pointer into the model) was written;
 * 0 if unknown. */
int mkl__doc_pos(const mkl_doc *doc, const char *s, int *line, int *col);

/* The position entry of front-matter string `s`, or NULL. */
const struct mkl_srcpos *mkl__doc_srcpos(const mkl_doc *doc, const char *s);

/* The file the front-matter string `s` was written in: the letter's, or the
 * house style's it came from. */
const char *mkl__doc_file_of(const mkl_doc *doc, const char *s);

/* The language of the letter as MKL_LANG_*. */
int mkl__doc_lang(const mkl_doc *doc);

void mkl__doc_free(mkl_doc *doc);

#endif
