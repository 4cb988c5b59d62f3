/* smart.c - smart punctuation for text outside the body. See smart.h.
 *
 * Each line is escaped into CommonMark that can only be one paragraph of
 * text (every ASCII punctuation character but the quotes, hyphens and
 * periods backslash-escaped, a period after a leading number too) and given to
 * cmark with CMARK_OPT_SMART, the same rules as the body; the paragraph's
 * text nodes are the result. Leading and trailing blanks, which CommonMark
 * would drop, are kept as they were. */
#include "smart.h"

#include <cmark.h>
#include <string.h>

static int keeps(char c) { return c == '\'' || c == '"' || c == '-' || c == '.'; }

static int ascii_punct(char c) { return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~'); }

/* One line without its blanks at either end: smart, or as it is when cmark
 * makes anything but one paragraph of text of it. */
static void smart_line(mkl_buf *out, const char *s, size_t n) {
    mkl_buf md = {0};
    int digits = 1;   /* only digits so far: "1." would start a list */
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n && keeps(s[i + 1])) {
            mkl__buf_add(&md, s + i, 2);   /* the writer's escape: that character stays as written */
            i++;
        } else if (ascii_punct(c) && (!keeps(c) || (c == '.' && digits) || (c == '-' && i == 0 && (n == 1 || s[1] == ' ' || s[1] == '\t')))) {
            mkl__buf_add(&md, "\\", 1);
            mkl__buf_add(&md, &c, 1);
        } else {
            mkl__buf_add(&md, &c, 1);
        }
        digits = digits && c >= '0' && c <= '9';
    }
    if (md.oom) {
        out->oom = 1;
        mkl__buf_free(&md);
        return;
    }
    cmark_node *doc = md.n ? cmark_parse_document(md.s, md.n, CMARK_OPT_SMART) : NULL;
    mkl__buf_free(&md);
    cmark_node *par = doc ? cmark_node_first_child(doc) : NULL;
    int ok = par && cmark_node_get_type(par) == CMARK_NODE_PARAGRAPH && !cmark_node_next(par);
    size_t start = out->n;
    for (cmark_node *t = ok ? cmark_node_first_child(par) : NULL; t && ok; t = cmark_node_next(t)) {
        const char *lit = cmark_node_get_literal(t);
        ok = cmark_node_get_type(t) == CMARK_NODE_TEXT && lit;
        if (ok) mkl__buf_adds(out, lit);
    }
    if (!ok) {
        out->n = start;
        mkl__buf_add(out, s, n);
    }
    if (doc) cmark_node_free(doc);
}

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

int mkl__smart_changes(const char *s, size_t n) {
    /* the bytes that may start a change, one test a byte (a layout asks for
     * every string of the letter, each time it is laid out) */
    static const unsigned char starts[256] = {['\''] = 1, ['"'] = 1, ['\\'] = 1, ['-'] = 2, ['.'] = 3};
    for (size_t i = 0; i < n; i++) {
        unsigned k = starts[(unsigned char)s[i]];
        if (!k) continue;
        if (k == 1 || (k == 2 && i + 1 < n && s[i + 1] == '-') || (k == 3 && i + 2 < n && s[i + 1] == '.' && s[i + 2] == '.'))
            return 1;
    }
    return 0;
}

void mkl__smart_append(mkl_buf *out, const char *s, size_t n) {
    if (!mkl__smart_changes(s, n)) {
        mkl__buf_add(out, s, n);
        return;
    }
    for (size_t a = 0; a <= n;) {
        size_t b = a;
        while (b < n && s[b] != '\n') b++;
        size_t x = a, y = b;
        while (x < y && blank(s[x])) x++;
        while (y > x && blank(s[y - 1])) y--;
        mkl__buf_add(out, s + a, x - a);
        smart_line(out, s + x, y - x);
        mkl__buf_add(out, s + y, b - y);
        if (b < n) mkl__buf_add(out, "\n", 1);
        a = b + 1;
    }
}
