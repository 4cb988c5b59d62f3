/* Unit tests of the parse stage: letter text -> document model, and errors
 * with their positions. */
#include <stdlib.h>

#include "check.h"
#include "parse.h"

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
    CHECK_MSG(st == code, "status %d, wanted %d for: %s", st, code, text);
    CHECK(d == NULL);
    CHECK_MSG(e.line == line, "line %d, wanted %d (%s)", e.line, line, e.message);
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
    d = parse_ok("---\nlang: ko\ndate-style: official\ndate: 2020-02-21\nhangul-breaks: syllable\n---\n");
    if (d) {
        CHECK(!strcmp(d->date, "2020-02-21") && d->date_official && d->syllable == 1);
        mkl__doc_free(d);
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
    E("---\ndate: 2020-02-30\n---\n", MKL_ERR_INPUT, 2, 7, "not a valid date");
    E("---\nsubject: a\nsubject: b\n---\n", MKL_ERR_INPUT, 3, 1, "given twice");
    E("---\nfonts: {size: 99pt}\n---\n", MKL_ERR_INPUT, 2, 15, "'size' must be");
    E("---\nfonts: {body: []}\n---\n", MKL_ERR_INPUT, 2, 15, "names no font family");
    E("---\nletterhead: {lines: [a]}\n---\n", MKL_ERR_INPUT, 2, 13, "needs a 'name'");
    E("---\n- a\n- b\n---\n", MKL_ERR_INPUT, 2, 1, "must be a mapping");
    E("---\nsignatures: [{title: x}]\n---\n", MKL_ERR_INPUT, 2, 14, "needs a 'name'");
    E("---\nlayout: window\n---\n", MKL_ERR_INPUT, 2, 9, "must be plain, din5008a, din5008b or us-window");
    E("---\ndate-style: short\n---\n", MKL_ERR_INPUT, 2, 13, "'date-style' must be");
    E("---\nhangul-breaks: some\n---\n", MKL_ERR_INPUT, 2, 16, "'hangul-breaks' must be");
    E("---\n---\n\n<div lang=\"fr\">\n\nx\n\n</div>\n", MKL_ERR_INPUT, 4, 1, "only 'en' and 'ko'");
    E("---\n---\n\n<div hangul-breaks=\"x\">\n\ny\n", MKL_ERR_INPUT, 4, 1, "must be 'word' or 'syllable'");
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
        CHECK(mkl__doc_pos(d, d->to.v[1], &line, &col) && line == 4);
        CHECK(mkl__doc_pos(d, d->subject, &line, &col) && line == 5 && col == 10);
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

int main(void) {
    test_full_front_matter();
    test_defaults_and_dates();
    test_errors();
    test_markup();
    test_nested_limit();
    return check_done();
}
