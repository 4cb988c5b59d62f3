/* Unit tests of the parse stage: letter text -> document model, and errors
 * with their positions. */
#include <stdlib.h>

#include "check.h"
#include "parse.h"
#include "style.h"

static mkl_doc *parse_ok(const char *text) {
    mkl_error e = {0};
    mkl_doc *d = NULL;
    mkl_status st = mkl__parse_letter(text, strlen(text), "t.md", "", &d, &e);
    CHECK_MSG(st == MKL_OK, "%s:%d:%d: %s", e.file, e.line, e.column, e.message);
    return d;
}

/* Parse must fail with `code` at `line` (and `col` if > 0) with `needle` in the message. */
static void parse_err(const char *text, size_t len, mkl_status code, int line, int col, const char *needle) {
    mkl_error e = {0};
    mkl_doc *d = NULL;
    mkl_status st = mkl__parse_letter(text, len, "t.md", "", &d, &e);
    CHECK_MSG(st == code, "status %d, wanted %d for: %.200s", st, code, text);
    CHECK(d == NULL);
    if (line > 0) CHECK_MSG(e.line == line, "line %d, wanted %d (%s)", e.line, line, e.message);
    else CHECK_MSG(e.line > 0 && e.column > 0, "no position (%s)", e.message);
    if (col > 0) CHECK_MSG(e.column == col, "column %d, wanted %d (%s)", e.column, col, e.message);
    CHECK_MSG(strstr(e.message, needle) != NULL, "message '%s' lacks '%s'", e.message, needle);
    CHECK(!strcmp(e.file, "t.md"));
}

static void test_full_front_matter(void) {
    const char *t =
        "---\n"
        "lang: en\n"
        "paper: letter\n"
        "layout: plain\n"
        "date: 2020-02-21\n"
        "place: Seoul\n"
        "letterhead:\n  name: TJWG\n  lines: [\"a\", \"b\"]\n"
        "from: |\n  Sender\n  Street\n"
        "to: |\n  Moon Jae-in\n  President\n"
        "cc:\n  - |\n    A\n    B\n  - C\n"
        "subject: Subj\n"
        "opening: Dear,\n"
        "closing: Sincerely,\n"
        "signatures:\n  - {name: N1, title: T1}\n  - name: N2\n"
        "signatories:\n  - heading: Orgs\n    columns: 2\n    entries:\n      - One, X\n      - {name: Two, note: Y}\n"
        "enclosures: [E1, E2]\n"
        "ps: Later.\n"
        "fonts:\n  body: [\"Liberation Serif\", NanumMyeongjo]\n  size: 12pt\n"
        "---\n"
        "\nFirst *em* **strong** [link](https://example.org) `code`.\n\n- item one\n- item two\n\n1. first\n";
    mkl_doc *d = parse_ok(t);
    if (!d) return;
    CHECK(d->paper == MKL_PAPER_LETTER);
    CHECK(!strcmp(d->date, "2020-02-21"));  /* kept as written; formatted when set */
    CHECK(!strcmp(d->place, "Seoul"));
    CHECK(!strcmp(d->lh_name, "TJWG") && d->lh_lines.n == 2 && !strcmp(d->lh_lines.v[1], "b"));
    CHECK(d->from.n == 2 && !strcmp(d->from.v[1], "Street"));
    CHECK(d->to.n == 2 && !strcmp(d->to.v[0], "Moon Jae-in"));
    CHECK(d->ncc == 2 && d->cc[0].n == 2 && d->cc[1].n == 1 && !strcmp(d->cc[1].v[0], "C"));
    CHECK(!strcmp(d->subject, "Subj") && !strcmp(d->opening, "Dear,") && !strcmp(d->closing, "Sincerely,"));
    CHECK(d->nsignatures == 2 && !strcmp(d->signatures[0].title, "T1") && d->signatures[1].title == NULL);
    CHECK(d->ngroups == 1 && d->groups[0].columns == 2 && d->groups[0].nentries == 2);
    CHECK(!strcmp(d->groups[0].entries[0].name, "One, X") && d->groups[0].entries[0].note == NULL);
    CHECK(!strcmp(d->groups[0].entries[1].note, "Y"));
    CHECK(d->enclosures.n == 2 && !strcmp(d->ps, "Later."));
    CHECK(d->font_body.nfamilies == 2 && !strcmp(d->font_body.families[1], "NanumMyeongjo"));
    CHECK(d->font_size == 12);
    CHECK(d->nblocks == 4);
    if (d->nblocks == 4) {
        const mkl_rich *r = &d->blocks[0].rich;
        CHECK(!strcmp(r->text, "First em strong link code."));
        CHECK(r->nruns == 9);
        int saw_i = 0, saw_b = 0, saw_link = 0, saw_code = 0;
        for (size_t i = 0; i < r->nruns; i++) {
            saw_i |= r->runs[i].style == MKL_STYLE_ITALIC;
            saw_b |= r->runs[i].style == MKL_STYLE_BOLD;
            saw_link |= r->runs[i].link == 0;
            saw_code |= (r->runs[i].style & MKL_STYLE_CODE) != 0;
        }
        CHECK(saw_i && saw_b && saw_link && saw_code);
        CHECK(d->nlinks == 1 && !strcmp(d->links[0], "https://example.org"));
        CHECK(d->blocks[1].kind == MKL_BLOCK_ITEM && d->blocks[1].marker && d->blocks[1].line == 42);
        CHECK(d->blocks[3].marker && !strcmp(d->blocks[3].marker, "1."));
        CHECK(d->blocks[0].line == 40);
    }
    mkl__doc_free(d);
}

static void test_defaults_and_dates(void) {
    mkl_doc *d = parse_ok("---\n---\nBody \"quoted\" -- text.\n");
    if (d) {
        CHECK(!strcmp(d->lang, "en") && d->paper == MKL_PAPER_A4 && d->font_size == 11);
        CHECK(d->subject == NULL && d->date == NULL && d->ngroups == 0);
        CHECK(d->nblocks == 1 && !strcmp(d->blocks[0].rich.text, "Body \xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x80\x93 text."));
        mkl__doc_free(d);
    }
    d = parse_ok("---\nlang: ko\ndate: 2020-02-21\n---\n");
    if (d) {
        CHECK(!strcmp(d->date, "2020-02-21") && !strcmp(d->lang, "ko"));
        mkl__doc_free(d);
    }
    d = parse_ok("---\ndate: Spring 2020\n---\n");
    if (d) {
        CHECK(!strcmp(d->date, "Spring 2020"));
        mkl__doc_free(d);
    }
    char buf[64];
    CHECK(mkl__format_date("2024-02-29", "en", 0, buf, sizeof buf) && !strcmp(buf, "February 29, 2024"));
    CHECK(mkl__format_date("2024-02-09", "en", 1, buf, sizeof buf) && !strcmp(buf, "9 February 2024"));
    CHECK(mkl__format_date("2020-02-21", "ko", 1, buf, sizeof buf) && !strcmp(buf, "2020. 2. 21."));
    CHECK(!mkl__format_date("2023-02-29", "en", 0, buf, sizeof buf));
    CHECK(!mkl__format_date("2023-13-01", "en", 0, buf, sizeof buf));
    CHECK(!mkl__format_date("20230-1-01", "en", 0, buf, sizeof buf));
    /* leap years: every 4th, not every 100th, every 400th */
    CHECK(mkl__format_date("2000-02-29", "en", 0, buf, sizeof buf) && !strcmp(buf, "February 29, 2000"));
    CHECK(!mkl__format_date("1900-02-29", "en", 0, buf, sizeof buf));
    CHECK(!mkl__format_date("2100-02-29", "en", 0, buf, sizeof buf));
    CHECK(!mkl__format_date("2024-02-30", "en", 0, buf, sizeof buf) && !mkl__format_date("2024-04-31", "en", 0, buf, sizeof buf));
    CHECK(mkl__format_date("2024-01-31", "en", 0, buf, sizeof buf) && mkl__format_date("2024-12-31", "en", 0, buf, sizeof buf));
    /* the paper and the font size as written, at the edges of their ranges */
    static const char *const papers[] = {"a4", "letter", "legal"};
    static const int paper_ids[] = {MKL_PAPER_A4, MKL_PAPER_LETTER, MKL_PAPER_LEGAL};
    for (int i = 0; i < 3; i++) {
        char t[64];
        snprintf(t, sizeof t, "---\npaper: %s\n---\n", papers[i]);
        d = parse_ok(t);
        if (d) {
            CHECK_MSG((int)d->paper == paper_ids[i], "paper: %s read as %d", papers[i], (int)d->paper);
            mkl__doc_free(d);
        }
    }
    static const char *const sizes[] = {"6pt", "24pt", "6", "10.5pt"};
    static const double size_v[] = {6, 24, 6, 10.5};
    for (int i = 0; i < 4; i++) {
        char t[64];
        snprintf(t, sizeof t, "---\nfonts: {size: %s}\n---\n", sizes[i]);
        d = parse_ok(t);
        if (d) {
            CHECK_MSG(d->font_size == size_v[i], "size: %s read as %g", sizes[i], d->font_size);
            mkl__doc_free(d);
        }
    }
    d = parse_ok("---\nlang: ko\ndate-style: official\ndate: 2020-02-21\nhangul-breaks: syllable\n---\n");
    if (d) {
        CHECK(!strcmp(d->date, "2020-02-21") && d->date_official && d->syllable == MKL_HANGUL_SYLLABLE);
        mkl__doc_free(d);
    }
    /* hangul-breaks: auto unless the letter says (issue 14) */
    static const char *const modes[] = {"", "hangul-breaks: auto\n", "hangul-breaks: word\n"};
    static const int mode_v[] = {MKL_HANGUL_AUTO, MKL_HANGUL_AUTO, MKL_HANGUL_WORD};
    for (size_t i = 0; i < 3; i++) {
        char src[96];
        snprintf(src, sizeof src, "---\nlang: ko\n%s---\n", modes[i]);
        if ((d = parse_ok(src))) {
            CHECK_MSG(d->syllable == mode_v[i], "'%s' read as %d", modes[i], d->syllable);
            mkl__doc_free(d);
        }
    }
}

static void test_errors(void) {
#define E(t, code, line, col, needle) parse_err(t, strlen(t), code, line, col, needle)
    E("---\nsubject: a\nsubjet: b\n---\n", MKL_ERR_INPUT, 3, 1, "unknown key 'subjet'");
    E("---\nsubject: [a, b]\n---\n", MKL_ERR_INPUT, 2, 10, "'subject' must be a string, not a list");
    E("---\nto: {a: b}\n---\n", MKL_ERR_INPUT, 2, 5, "'to' must be a string or a list of strings");
    E("---\nsignatories:\n  - columns: 0\n    entries: [a]\n---\n", MKL_ERR_INPUT, 3, 14, "'columns' must be a whole number");
    E("---\nsignatories:\n  - columns: 2\n---\n", MKL_ERR_INPUT, 3, 5, "needs 'entries'");
    E("---\nsignatories:\n  - entries: [[a]]\n---\n", MKL_ERR_INPUT, 3, 15, "string or {name, note}");
    E("---\nsignatories:\n  - entries: [{name: a, nott: b}]\n---\n", MKL_ERR_INPUT, 3, 25, "unknown key 'nott'");
    E("---\nsubject: a\n", MKL_ERR_INPUT, 1, 1, "never closed");
    E("subject: a\n", MKL_ERR_INPUT, 1, 1, "must start with a '---'");
    E("---\nto: \"unterminated\n---\n", MKL_ERR_INPUT, 2, 5, "while scanning a quoted scalar");
    E("---\nlang: fr\n---\n", MKL_ERR_INPUT, 2, 7, "'lang' must be 'en' or 'ko'");
    E("---\npaper: a5\n---\n", MKL_ERR_INPUT, 2, 8, "'paper' must be");
    E("---\nfonts: {size: 5.9pt}\n---\n", MKL_ERR_INPUT, 2, 15, "'size' must be a point size from 6pt to 24pt");
    E("---\nfonts: {size: 24.5pt}\n---\n", MKL_ERR_INPUT, 2, 15, "'size' must be a point size from 6pt to 24pt");
    E("---\nfonts: {size: 11px}\n---\n", MKL_ERR_INPUT, 2, 15, "'size' must be a point size");
    E("---\ndate: 1900-02-29\n---\n", MKL_ERR_INPUT, 2, 7, "not a valid date");
    E("---\ndate: 2020-02-30\n---\n", MKL_ERR_INPUT, 2, 7, "not a valid date");
    E("---\nsubject: a\nsubject: b\n---\n", MKL_ERR_INPUT, 3, 1, "given twice");
    E("---\nfonts: {size: 99pt}\n---\n", MKL_ERR_INPUT, 2, 15, "'size' must be");
    E("---\nfonts: {body: []}\n---\n", MKL_ERR_INPUT, 2, 15, "names no font family");
    E("---\nletterhead: {lines: [a]}\n---\n", MKL_ERR_INPUT, 2, 13, "needs a 'name'");
    E("---\n- a\n- b\n---\n", MKL_ERR_INPUT, 2, 1, "must be a mapping");
    E("---\nsignatures: [{title: x}]\n---\n", MKL_ERR_INPUT, 2, 14, "needs a 'name'");
    E("---\nlayout: window\n---\n", MKL_ERR_INPUT, 2, 9, "must be plain, din5008a, din5008b, us-window or kr-official");
    E("---\ndate-style: short\n---\n", MKL_ERR_INPUT, 2, 13, "'date-style' must be");
    E("---\nhangul-breaks: some\n---\n", MKL_ERR_INPUT, 2, 16, "'hangul-breaks' must be");
    E("---\n---\n\n<div lang=\"fr\">\n\nx\n\n</div>\n", MKL_ERR_INPUT, 4, 1, "only 'en' and 'ko'");
    E("---\n---\n\n<div hangul-breaks=\"x\">\n\ny\n", MKL_ERR_INPUT, 4, 1, "must be 'auto', 'word' or 'syllable'");
#undef E
    const char bad[] = "---\nsubject: a\n---\n\nok \xFF here\n";
    parse_err(bad, sizeof bad - 1, MKL_ERR_INPUT, 5, 4, "invalid UTF-8");
    const char nul[] = "---\nsubject: a\n---\nx\0y\n";
    parse_err(nul, sizeof nul - 1, MKL_ERR_INPUT, 4, 2, "NUL");
}

static void test_markup(void) {
    /* <div lang hangul-breaks> around blocks, <span lang> inside, comments dropped */
    mkl_doc *d = parse_ok("---\nlang: ko\n---\n\n<div lang=\"en\" hangul-breaks=\"syllable\">\n\nEnglish.\n\n</div>\n\n"
                          "<!-- a note -->\n\n\xED\x95\x9C <span lang=\"en\">Tom\xC3\xA1s</span> \xEA\xB8\x80<br>x\n");
    if (!d) return;
    CHECK(d->nblocks == 2);
    if (d->nblocks == 2) {
        CHECK(d->blocks[0].lang == MKL_LANG_EN && d->blocks[0].syllable == 1);
        CHECK(d->blocks[1].lang == MKL_LANG_INHERIT && d->blocks[1].syllable == -1);
        const mkl_rich *r = &d->blocks[1].rich;
        CHECK(!strcmp(r->text, "\xED\x95\x9C Tom\xC3\xA1s \xEA\xB8\x80\nx"));
        CHECK(r->nruns == 3 && r->runs[1].lang == MKL_LANG_EN && r->runs[0].lang == 0 && r->runs[2].lang == 0);
        CHECK(r->nruns == 3 && r->runs[1].start == 4 && r->runs[1].end == 10);
    }
    int line, col;
    CHECK(mkl__doc_pos(d, d->lang, &line, &col) && line == 2 && col == 7);
    mkl__doc_free(d);
    d = parse_ok("---\nto: |\n  A\n  B\nsubject: S\n---\n");
    if (d) {
        CHECK(mkl__doc_pos(d, d->to.v[1], &line, &col) && line == 4 && col == 3);   /* past the indentation */
        CHECK(mkl__doc_pos(d, d->subject, &line, &col) && line == 5 && col == 10);
        mkl__doc_free(d);
    }
    /* a quoted value's text starts after its quote; a block's lines where the block's indentation ends */
    d = parse_ok("---\nsubject: \"Dear\"\ncc:\n  - |\n      X\n        Y\n---\n");
    if (d) {
        CHECK(mkl__doc_pos(d, d->subject, &line, &col) && line == 2 && col == 11);
        CHECK(d->ncc == 1 && mkl__doc_pos(d, d->cc[0].v[0], &line, &col) && line == 5 && col == 7);
        /* "  Y": the string keeps the spaces beyond the block's indentation */
        CHECK(d->ncc == 1 && d->cc[0].n == 2 && !strcmp(d->cc[0].v[1], "  Y") &&
              mkl__doc_pos(d, d->cc[0].v[1], &line, &col) && line == 6 && col == 7);
        mkl__doc_free(d);
    }
}

static void test_nested_limit(void) {
    /* 40 nested block quotes: refused with a clear error, not a stack overflow */
    char t[256] = "---\n---\n";
    for (int i = 0; i < 40; i++) strcat(t, ">");
    strcat(t, " deep\n");
    parse_err(t, strlen(t), MKL_ERR_LIMIT, 3, 0, "more than 32 deep");
}


/* ---- limits: hostile input is refused quickly with MKL_ERR_LIMIT ---------- */

/* A letter assembled in a growable buffer. */
typedef struct { char *s; size_t n, cap; } Txt;
static void tput(Txt *t, const char *s, size_t n) {
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->n + n + 1) cap *= 2;
        char *ns = realloc(t->s, cap);
        if (!ns) abort();
        t->s = ns;
        t->cap = cap;
    }
    memcpy(t->s + t->n, s, n);
    t->n += n;
    t->s[t->n] = 0;
}
static void tputs(Txt *t, const char *s) { tput(t, s, strlen(s)); }
static void trep(Txt *t, const char *s, size_t times) {
    for (size_t i = 0; i < times; i++) tputs(t, s);
}

/* Parse t; expect `code` (and, when line > 0, that line) with `needle` in the message. */
static void limit_err(Txt *t, mkl_status code, int line, int col, const char *needle) {
    parse_err(t->s, t->n, code, line, col, needle);
    free(t->s);
    memset(t, 0, sizeof *t);
}
static void limit_ok(Txt *t) {
    mkl_doc *d = parse_ok(t->s);
    mkl__doc_free(d);
    free(t->s);
    memset(t, 0, sizeof *t);
}

static void test_size_limits(void) {
    Txt t = {0};
    /* a file over 64 MiB: refused before anything else, with its size */
    tputs(&t, "---\n---\n");
    size_t want = ((size_t)64 << 20) + 1;
    while (t.n < want) {
        size_t k = MKL_MIN(want - t.n, (size_t)60);
        char line[64];
        memset(line, 'a', k);
        if (k > 1) line[k - 1] = '\n';
        tput(&t, line, k);
    }
    limit_err(&t, MKL_ERR_LIMIT, 1, 1, "67108865 bytes");

    /* a line of exactly 1 MiB is fine; one byte more is not, and the line is named */
    tputs(&t, "---\nsubject: s\n---\n\n");
    for (size_t i = 0; i < ((size_t)1 << 20); i++) tput(&t, i % 8 == 7 ? " " : "w", 1);
    tputs(&t, "\n");
    limit_ok(&t);
    tputs(&t, "---\nsubject: s\n---\n\nfirst\n\n");
    trep(&t, "x", ((size_t)1 << 20) + 1);
    tputs(&t, "\n");
    limit_err(&t, MKL_ERR_LIMIT, 7, 1, "line 7 is 1048577 bytes long");
    /* the same in the front matter, and a last line without '\n' */
    tputs(&t, "---\nsubject: ");
    trep(&t, "y", ((size_t)1 << 20));
    tputs(&t, "\n---\n");
    limit_err(&t, MKL_ERR_LIMIT, 2, 1, "line 2 is");
    tputs(&t, "---\n---\n");
    trep(&t, "z", ((size_t)1 << 20) + 5);
    limit_err(&t, MKL_ERR_LIMIT, 3, 1, "at most 1 MiB");

    /* one front-matter value over 2 MiB (a block scalar of short lines) */
    tputs(&t, "---\nto: |\n");
    trep(&t, "  an address line that is not short at all, repeated\n", 45000);
    tputs(&t, "---\n");
    limit_err(&t, MKL_ERR_LIMIT, 2, 5, "'to' is");
    /* one paragraph over 2 MiB (many short lines); the one before is fine */
    tputs(&t, "---\n---\n\nfine\n\n");
    trep(&t, "a line of a paragraph that goes on and on and on\n", 45000);
    limit_err(&t, MKL_ERR_LIMIT, 6, 1, "paragraph may be at most 2 MiB");
}

static void test_nesting_limits(void) {
    Txt t = {0};
    /* flow nesting: 64 is allowed by the limit (and then refused as a list for 'to'), 65 is not */
    tputs(&t, "---\nto: ");
    trep(&t, "[", 64);
    tputs(&t, "x");
    trep(&t, "]", 64);
    tputs(&t, "\n---\n");
    limit_err(&t, MKL_ERR_INPUT, 2, 0, "'to' must be");
    tputs(&t, "---\nto: ");
    trep(&t, "[", 65);
    tputs(&t, "x");
    trep(&t, "]", 65);
    tputs(&t, "\n---\n");
    limit_err(&t, MKL_ERR_LIMIT, 2, 69, "more than 64 deep");
    /* the measured case: 200,000 deep, unclosed, mixed with '{' */
    tputs(&t, "---\nsubject: x\nto: ");
    trep(&t, "[{a: ", 40000);
    tputs(&t, "\n---\n");
    limit_err(&t, MKL_ERR_LIMIT, 3, 0, "more than 64 deep");
    /* brackets inside quoted strings are text */
    tputs(&t, "---\nsubject: \"");
    trep(&t, "[{", 500);
    tputs(&t, "\"\nclosing: '");
    trep(&t, "[", 500);
    tputs(&t, "'\n---\n");
    limit_ok(&t);

    /* block nesting: 65 levels of indentation */
    tputs(&t, "---\nsignatories:\n");
    for (int i = 1; i <= 70; i++) {
        trep(&t, "  ", (size_t)i);
        tputs(&t, "- a:\n");
    }
    tputs(&t, "---\n");
    limit_err(&t, MKL_ERR_LIMIT, 0, 0, "more than 64 levels deep");
    /* and on one line: "- - - - x" */
    tputs(&t, "---\nto:\n");
    trep(&t, "- ", 100);
    tputs(&t, "x\n---\n");
    limit_err(&t, MKL_ERR_LIMIT, 3, 0, "more than 64 levels deep");

    /* inline nesting in the body (emphasis inside emphasis, ...): 32 is the limit */
    tputs(&t, "---\n---\n\n");
    trep(&t, "*a **a ", 20);
    tputs(&t, "b");
    trep(&t, " a** a*", 20);
    tputs(&t, "\n");
    limit_err(&t, MKL_ERR_LIMIT, 4, 1, "nested more than 32 deep");
    tputs(&t, "---\n---\n\n");
    trep(&t, "*a **a ", 8);
    tputs(&t, "b");
    trep(&t, " a** a*", 8);
    tputs(&t, "\n");
    limit_ok(&t);
}

static void test_alias_limits(void) {
    Txt t = {0};
    /* billion laughs: the loader keeps aliases as references, and the first unknown key stops it */
    tputs(&t, "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    const char *names = "abcdefghi";
    for (int k = 1; k < 9; k++) {
        char line[128];
        int n = snprintf(line, sizeof line, "%c: &%c [", names[k], names[k]);
        for (int j = 0; j < 9; j++) n += snprintf(line + n, sizeof line - (size_t)n, "%s*%c", j ? "," : "", names[k - 1]);
        snprintf(line + n, sizeof line - (size_t)n, "]\n");
        tputs(&t, line);
    }
    tputs(&t, "---\n");
    limit_err(&t, MKL_ERR_INPUT, 2, 1, "unknown key 'a'");
    /* the same idea under keys that are allowed: a group of 3000 entries repeated 999 times */
    tputs(&t, "---\nsignatories:\n  - &g {entries: [x");
    trep(&t, ",x", 2999);
    tputs(&t, "]}\n");
    trep(&t, "  - *g\n", 999);
    tputs(&t, "---\n");
    limit_err(&t, MKL_ERR_LIMIT, 0, 0, "more than 50000 strings");
    /* a long string repeated by aliases */
    tputs(&t, "---\nsubject: &s \"");
    trep(&t, "0123456789", 50000);
    tputs(&t, "\"\nto: [*s");
    trep(&t, ", *s", 200);
    tputs(&t, "]\n---\n");
    limit_err(&t, MKL_ERR_LIMIT, 0, 0, "aliases (*name)");
    /* a few aliases are fine */
    tputs(&t, "---\nsubject: &s Hello\nclosing: *s\nsignatories:\n  - &g {entries: [a, b]}\n  - *g\n---\n");
    limit_ok(&t);
    /* too many anchors, too many aliases, a long anchor name */
    tputs(&t, "---\nto:\n");
    for (int i = 0; i < 101; i++) {
        char line[64];
        snprintf(line, sizeof line, "  - &a%d x\n", i);
        tputs(&t, line);
    }
    tputs(&t, "---\n");
    limit_err(&t, MKL_ERR_LIMIT, 103, 5, "more than 100 anchors");
    tputs(&t, "---\nsubject: &s x\nto: [*s");
    trep(&t, ",*s", 1000);
    tputs(&t, "]\n---\n");
    limit_err(&t, MKL_ERR_LIMIT, 3, 0, "more than 1000 aliases");
    tputs(&t, "---\nsubject: &");
    trep(&t, "n", 129);
    tputs(&t, " x\n---\n");
    limit_err(&t, MKL_ERR_LIMIT, 2, 10, "longer than 128 bytes");
}

static void test_count_limits(void) {
    Txt t = {0};
    /* 250,000 front-matter strings are the limit */
    tputs(&t, "---\nenclosures:\n");
    trep(&t, "  - e\n", 250001);
    tputs(&t, "---\n");
    limit_err(&t, MKL_ERR_LIMIT, 0, 0, "more than 250000 strings");
    tputs(&t, "---\nenclosures:\n");
    trep(&t, "  - e\n", 49000);
    tputs(&t, "---\n");
    limit_ok(&t);
    /* cmark 0.30.2 is quadratic in '![' x ']' (https://github.com/commonmark/cmark, fixed in 0.30.3) */
    tputs(&t, "---\n---\n\nSome text.\n\n");
    trep(&t, "![[]()", 50000);
    tputs(&t, "\n");
    limit_err(&t, MKL_ERR_LIMIT, 6, 1, "image openers");
    tputs(&t, "---\n---\n\n![a picture](p.png) and [a link](https://example.org) [x] [y]\n");
    limit_ok(&t);
}

/* House styles from memory: "base" and "dept" (dept names base). */
static const char *STYLE_BASE = "lang: en\nletterhead:\n  name: Base\n  lines: [b1, b2]\n  logo: logo.png\n"
                                "closing: Base closing\nsignatures:\n  - name: Ann\nps: |\n  base ps\n";
static const char *STYLE_DEPT = "# the department\nstyle: base\nclosing: Dept closing\nfonts: {size: 10pt}\n";
static const char *style_bad_text;
static mkl_status mem_find(void *user, const char *name, const char *from_dir, char **path, char **dir, char **text,
                           size_t *len, unsigned long long id[2], mkl_error *e) {
    (void)user;
    (void)from_dir;
    const char *t = !strcmp(name, "base") ? STYLE_BASE : !strcmp(name, "dept") ? STYLE_DEPT
                    : !strcmp(name, "bad") ? style_bad_text : NULL;
    if (!t) return mkl__err(e, MKL_ERR_READ, name, 0, 0, "not found");
    *path = mkl__strdup(name);
    *dir = mkl__strdup("/styles");
    *text = mkl__strdup(t);
    if (!*path || !*dir || !*text) {
        mkl__free(*path), mkl__free(*dir), mkl__free(*text);
        return mkl__err(e, MKL_ERR_NOMEM, name, 0, 0, "out of memory");
    }
    *len = strlen(t);
    id[0] = 1;
    id[1] = (unsigned long long)t[0] + strlen(t);
    return MKL_OK;
}

static void test_styles(void) {
    mkl_parse_opts po = {NULL, NULL, mem_find, NULL};
    const char *t = "---\nstyle: dept\nletterhead:\n  name: Mine\nclosing: Mine too\n---\nBody\n";
    mkl_error e = {0};
    mkl_doc *d = NULL;
    mkl_status st = mkl__parse_letter_opts(t, strlen(t), "t.md", "", &po, &d, &e);
    CHECK_MSG(st == MKL_OK, "%s:%d:%d: %s", e.file, e.line, e.column, e.message);
    if (d) {
        CHECK(d->nstyles == 2 && !strcmp(d->styles[0].file, "dept") && !strcmp(d->styles[1].file, "base"));
        CHECK(!strcmp(d->lh_name, "Mine"));                          /* the letter wins */
        CHECK(d->lh_lines.n == 2 && !strcmp(d->lh_lines.v[1], "b2")); /* merged key by key */
        CHECK(!strcmp(d->closing, "Mine too"));
        CHECK(d->font_size == 10);                                     /* from dept */
        CHECK(d->nsignatures == 1 && !strcmp(d->signatures[0].name, "Ann"));
        CHECK(d->lh_logo && !strcmp(d->lh_logo, "/styles/logo.png")); /* from the style's folder */
        int line = 0, col = 0;
        CHECK_MSG(mkl__doc_pos(d, d->ps, &line, &col) && line == 9 && col == 5, "ps at %d:%d", line, col);   /* a block scalar: its indicator */
        CHECK(!strcmp(mkl__doc_file_of(d, d->ps), "base"));
        CHECK(!strcmp(mkl__doc_file_of(d, d->closing), "t.md"));
        CHECK(mkl__doc_pos(d, d->lh_lines.v[0], &line, &col) && line == 4 && col == 11);
        mkl__doc_free(d);
    }
    /* the caller's style replaces the letter's */
    po.style = "base";
    d = NULL;
    st = mkl__parse_letter_opts(t, strlen(t), "t.md", "", &po, &d, &e);
    CHECK(st == MKL_OK && d && d->nstyles == 1 && d->font_size == 11);
    mkl__doc_free(d);
    po.style = NULL;
    /* errors in a style name it */
    struct { const char *text; int line, col; const char *needle; } bad[] = {
        {"closing: x\nletterhead:\n  nam: y\n", 3, 3, "unknown key 'nam'"},
        {"closing: [\n", 2, 1, "YAML"},
        {"lang: fr\n", 1, 7, "'lang' must be"},
        {"style: bad\n", 1, 8, "cycle"},
        {"style: nowhere\n", 1, 8, "style 'nowhere': not found"},
        {"a: &a {b: *a}\n", 1, 1, "unknown key 'a'"},
        {"from: &a [x, *a]\n", 1, 7, "'from' must be"},
        {"\xff\n", 1, 1, "UTF-8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        style_bad_text = bad[i].text;
        const char *lt = "---\nstyle: bad\nletterhead: {name: N, lines: [x]}\n---\nBody\n";
        d = NULL;
        memset(&e, 0, sizeof e);
        st = mkl__parse_letter_opts(lt, strlen(lt), "t.md", "", &po, &d, &e);
        CHECK_MSG(st != MKL_OK && !d, "bad style %zu parsed", i);
        CHECK_MSG(!strcmp(e.file, "bad") && e.line == bad[i].line && e.column == bad[i].col && strstr(e.message, bad[i].needle),
                  "bad style %zu: %s:%d:%d: %s", i, e.file, e.line, e.column, e.message);
    }
    /* a style's merge when allocations fail: an error, never a crash or a leak */
    for (long n = 0; n < 400; n++) {
        d = NULL;
        mkl__fail_alloc_after(n);
        st = mkl__parse_letter_opts(t, strlen(t), "t.md", "", &po, &d, &e);
        mkl__fail_alloc_after(-1);
        CHECK_MSG(st == MKL_OK ? d != NULL : (d == NULL && st == MKL_ERR_NOMEM), "allocation %ld: status %d", n, st);
        mkl__doc_free(d);
    }
}

int main(void) {
    test_full_front_matter();
    test_defaults_and_dates();
    test_errors();
    test_markup();
    test_nested_limit();
    test_size_limits();
    test_nesting_limits();
    test_alias_limits();
    test_count_limits();
    test_styles();
    return check_done();
}
