/* layout.c - the letter's parts placed on pages: the fonts of its roles, the page,
 * and the parts in order (see layout_internal.h for the files that set them).
 *
 * Vertical rhythm: body text sits on a grid of `lead` points from the top
 * margin; every part that breaks the grid (letterhead, CC, tables) is
 * followed by a snap back onto it. The cursor `y` is the baseline of the last
 * line placed. */
#include "layout_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

/* Default fonts: Latin from a Latin font, Hangul from a Korean one, in one
 * fallback chain (the Latin font first, so that Latin in Korean text is set in
 * its companion). Korean letterheads and headings are set in Gothic (dotum)
 * with Liberation Sans, Korean text in Myeongjo (batang) with Liberation Serif;
 * bold keeps each role's class (serif with serif, sans with sans) at the Latin
 * bold's weight (mkl__fontset_resolve). */
static const char *const DEFAULT_BODY[] = {"Liberation Serif", "NanumMyeongjo"};
static const char *const DEFAULT_HEAD_EN[] = {"Liberation Serif", "NanumMyeongjo"};
static const char *const DEFAULT_HEAD_KO[] = {"Liberation Sans", "NanumGothic"};

#define LATIN_LEADING 1.27
#define KOREAN_LEADING 1.5

/* Resolve the upright style of every family of a role; an unknown family is an
 * error at the place the letter names it. */
static mkl_status resolve_named(mkl_fontset *fs, const mkl_fontspec *spec, const mkl_doc *doc, mkl_error *e) {
    for (size_t i = 0; i < fs->nfamilies; i++) {
        mkl_face *f;
        mkl_status st = mkl__fontdb_find(fs->db, fs->families[i], 0, 0, &f, e);
        if (st) {
            int named = spec->families == (const char **)fs->families && spec->line;
            /* the letter, or the house style the family is named in */
            const char *file = named ? mkl__doc_file_of(doc, spec->families[i]) : doc->file;
            if (st == MKL_ERR_FONT && e->file[0]) {
                /* the font file itself is damaged: the error is about that file */
                char where[1100];
                if (named) snprintf(where, sizeof where, " (family '%.100s', named at %.900s:%d:%d)", fs->families[i], file,
                                    spec->line[i], spec->col[i]);
                else snprintf(where, sizeof where, " (family '%.100s')", fs->families[i]);
                size_t ml = strlen(e->message);
                snprintf(e->message + ml, sizeof e->message - ml, "%s", where);
                return st;
            }
            snprintf(e->file, sizeof e->file, "%s", file);
            if (named) {
                e->line = spec->line[i];
                e->column = spec->col[i];
            }
            return st;
        }
    }
    return mkl__fontset_resolve(fs, 0, e);
}

/* A trial of a page break has what it wants once what follows the closing
 * has been placed: no later part moves the close or what it is kept with. */
static int trial_over(const CloseKeep *k) { return k->trial && k->follow_page >= 0; }

static mkl_status lay_once(const mkl_doc *doc, mkl_fontdb *db, mkl_shaper *sh, const mkl_layout_opts *o, mkl_layout *out,
                           CloseKeep *close, LayoutMemo *memo, mkl_error *e) {
    Composer c = {0};
    c.memo = memo;
    close->body_lines = 0;
    close->last_pages[0] = close->last_pages[1] = close->close_page = close->follow_page = -1;
    close->bad = 0;
    close->hole = 0;
    c.close = close;
    c.doc = doc;
    c.L = out;
    c.sh = sh;
    c.e = e;
    c.o = o;
    c.ko = doc->lang && !strcmp(doc->lang, "ko");
    c.lang = doc->lang;
    c.keep_all = 1;
    c.date = doc->date;
    if (doc->date && mkl__format_date(doc->date, doc->lang, doc->date_official, c.datebuf, sizeof c.datebuf))
        c.date = c.datebuf;
    c.body.db = c.head.db = db;
    if (doc->font_body.nfamilies) {
        c.body.families = doc->font_body.families;
        c.body.nfamilies = doc->font_body.nfamilies;
    } else {
        c.body.families = DEFAULT_BODY;
        c.body.nfamilies = 2;
    }
    if (doc->font_heading.nfamilies) {
        c.head.families = doc->font_heading.families;
        c.head.nfamilies = doc->font_heading.nfamilies;
    } else if (doc->font_body.nfamilies && !c.ko) {
        c.head = c.body;   /* English headings are the body's serif */
    } else {
        /* Korean headings are Gothic (dotum) whatever the body is (C.8) */
        c.head.families = c.ko ? DEFAULT_HEAD_KO : DEFAULT_HEAD_EN;
        c.head.nfamilies = 2;
    }
    /* an unknown family is an error even if no character needs it */
    mkl_status st;
    if ((st = resolve_named(&c.body, &doc->font_body, doc, e)) ||
        (st = resolve_named(&c.head, &doc->font_heading, doc, e)))
        return st;
    switch (doc->paper) {
    case MKL_PAPER_LETTER: c.page_width = 612; c.page_height = 792; break;
    case MKL_PAPER_LEGAL: c.page_width = 612; c.page_height = 1008; break;
    default: c.page_width = 595.276; c.page_height = 841.89; break;
    }
    out->width = c.page_width;
    out->height = c.page_height;
    double mm = 72 / 25.4;
    /* a US window letter keeps the body flush with the address, 1 in from the edge */
    c.margin_left = doc->layout == MKL_LAYOUT_US_WINDOW ? 72 : 25 * mm;
    c.margin_right = 22 * mm;
    c.margin_top = 15 * mm;
    c.margin_bottom = 22 * mm;
    c.text_width = c.page_width - c.margin_left - c.margin_right;
    c.size = doc->font_size;
    /* baseline to baseline: Latin 127 %; Korean text 150 % (research C.13:
     * commonly 160 %), on the Korean letter's own grid. 150 % is the most a
     * reader's text extraction still takes for one paragraph: poppler joins
     * two lines into a block only when their baselines are at most 1.5 times
     * the font size apart (its size as drawn, Tf by the text matrix, which
     * is the glyphs' height: no other way to report it); at 16.55 pt for
     * 11 pt each line is a block of its own, measured side by side */
    double korean = round(c.size * KOREAN_LEADING * 2) / 2;
    if (doc->leading > 0) {
        c.lead = c.lead_ko = doc->leading_points ? doc->leading : c.size * doc->leading / 100;
    } else {
        c.lead = c.ko ? korean : round(c.size * LATIN_LEADING * 2) / 2;
        c.lead_ko = korean;
    }
    c.grid0 = c.margin_top;
    c.bottom = c.page_height - c.margin_bottom;
    c.bottom1 = c.bottom;
    if (doc->lh_footer.n) c.bottom1 = MKL_MIN(c.bottom, mkl__band_top(&c) - c.lead);
    /* continuation pages: the header, its rule, then the body on the grid */
    c.cont_top = c.margin_top + ceil((8.5 + 5 + 0.8 * c.lead) / c.lead) * c.lead;
    out->margin[0] = c.margin_left;
    out->margin[1] = c.margin_top;
    out->margin[2] = c.margin_right;
    out->margin[3] = c.margin_bottom;
    out->lead = c.lead;
    out->structure.lang = mkl__doc_lang(doc);
    c.link_id = -1;
    if ((st = mkl__new_page(&c))) return st;
    c.y = c.margin_top;
    if (doc->layout == MKL_LAYOUT_KR_OFFICIAL) {
        if ((st = mkl__lay_kr_official(&c)) && !e->file[0]) snprintf(e->file, sizeof e->file, "%s", doc->file);
        return st;
    }
    if ((st = mkl__lay_letterhead(&c)) || (st = mkl__lay_heading(&c)) || (st = mkl__lay_subject_opening(&c)) || (st = mkl__lay_body(&c)) ||
        (st = mkl__lay_closing(&c)) || (!trial_over(close) && (st = mkl__lay_endmatter(&c))) ||
        (!close->trial && (st = mkl__lay_page_furniture(&c)))) {
        if (!e->file[0]) snprintf(e->file, sizeof e->file, "%s", doc->file);
        return st;
    }
    return MKL_OK;
}

mkl_status mkl__tag_open(Composer *c, mkl_skind kind, int lang, mkl_tag *saved) {
    *saved = c->tag;
    if (mkl__struct_add(&c->L->structure, kind, c->tag > 0 ? c->tag : 0, lang, &c->tag)) return mkl__lay_oom(c);
    return MKL_OK;
}

mkl_status mkl__tag_alt(Composer *c, const char *text) {
    if (mkl__struct_text(&c->L->structure, c->tag, 'A', text, strlen(text))) return mkl__lay_oom(c);
    return MKL_OK;
}

/* Whether the close fell on one page: the body's last two lines, the closing
 * and what follows it. */
static int close_together(const CloseKeep *k) {
    if (k->close_page < 0 || k->body_lines < 2) return 1;
    return k->last_pages[0] == k->last_pages[1] && k->last_pages[1] == k->close_page &&
           (k->follow_page < 0 || k->follow_page == k->close_page);
}

/* A close split over two pages costs as much as this many lines left empty at
 * the foot of a page: a break that keeps it together is taken when it leaves
 * a smaller hole. */
#define CLOSE_SPLIT_LINES 8.0
/* Breaks tried: before the body's last 2 .. CLOSE_MAX_PUSH lines. */
#define CLOSE_MAX_PUSH 8

static mkl_status lay_letter(const mkl_doc *doc, mkl_fontdb *db, mkl_shaper *sh, const mkl_layout_opts *o,
                             mkl_layout *out, LayoutMemo *memo, mkl_error *e) {
    /* the page breaker: the letter as it flows, and if its close falls on two
     * pages, the page breaks before its last body lines that keep it on one,
     * each costed by the lines it leaves empty; the cheapest wins. The breaks
     * are tried without setting a line (a trial only says where the lines
     * fall, which setting them does not change): 8 letters laid out in full
     * for each copy cost two thirds of a merge copy's layout (measured). */
    /* A letter with a closing is first laid out as a trial too: its close
     * falls on two pages in most long letters, and the letter as it flowed is
     * then not the one kept. */
    int trial_first = doc->closing && doc->layout != MKL_LAYOUT_KR_OFFICIAL;
    CloseKeep k = {-1, 0, {-1, -1}, -1, -1, 0, 0, trial_first};
    mkl_layout first = {0}, trial = {0};
    mkl_status st = lay_once(doc, db, sh, o, trial_first ? &first : out, &k, memo, e);
    mkl__layout_free(&first);
    if (st) return st;
    long lines = k.body_lines, best = -1;
    if (!close_together(&k)) {
        double best_cost = CLOSE_SPLIT_LINES;
        for (long push = 2; push <= CLOSE_MAX_PUSH && push <= lines; push++) {
            mkl__layout_free(&trial);
            CloseKeep t = {lines - push, 0, {-1, -1}, -1, -1, 0, 0, 1};
            if ((st = lay_once(doc, db, sh, o, &trial, &t, memo, e))) break;
            if (t.break_at >= 0 || t.bad || !close_together(&t)) continue;   /* not taken, or an orphan or widow */
            if (t.hole < best_cost - 1e-6) {
                best_cost = t.hole;
                best = push;
            }
        }
        mkl__layout_free(&trial);
        if (st) return st;
    }
    /* the letter as it flowed (already laid out in full unless it was a
     * trial), or with the break that keeps its close together */
    if (best < 0 && !trial_first) return MKL_OK;
    mkl__layout_free(out);
    CloseKeep f = {best >= 0 ? lines - best : -1, 0, {-1, -1}, -1, -1, 0, 0, 0};
    return lay_once(doc, db, sh, o, out, &f, memo, e);
}

mkl_status mkl__layout(const mkl_doc *doc, mkl_fontdb *db, mkl_shaper *sh, const mkl_layout_opts *o, mkl_layout *out,
                       mkl_error *e) {
    LayoutMemo memo = {0};
    if (doc->ngroups && !(memo.group_lines = mkl__calloc(doc->ngroups, sizeof *memo.group_lines)))
        return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    memo.ngroups = doc->ngroups;
    mkl_status st = lay_letter(doc, db, sh, o, out, &memo, e);
    for (size_t i = 0; i < memo.ngroups; i++) mkl__free(memo.group_lines[i]);
    mkl__free(memo.group_lines);
    return st;
}

void mkl__layout_free_pages(mkl_layout *l) {
    for (size_t i = 0; i < l->pages.n; i++) {
        mkl__free(l->pages.v[i].runs.v);
        mkl__free(l->pages.v[i].rules.v);
        mkl__free(l->pages.v[i].links.v);
        mkl__free(l->pages.v[i].images.v);
    }
    mkl__free(l->pages.v);
    mkl__free(l->glyphs.v);
    mkl__buf_free(&l->text);
    memset(&l->pages, 0, sizeof l->pages);
    memset(&l->glyphs, 0, sizeof l->glyphs);
}

void mkl__layout_free(mkl_layout *l) {
    mkl__layout_free_pages(l);
    mkl__struct_free(&l->structure);
    memset(l, 0, sizeof *l);
}
