/* parse.c - letter file -> document model.
 *
 * The front matter is read with libyaml's document loader (so every node keeps
 * its line and column), the body with cmark. Every key of the spec is checked
 * for type and value here, so that later stages can trust the model. */
#include "parse.h"
#include "merge.h"
#include "style.h"

#include <cmark.h>
#include <strings.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Limits: hostile input is refused quickly with MKL_ERR_LIMIT and a position
 * (docs/errors.md lists them). Each is far above what a real letter needs. */
#define MAX_LETTER_BYTES MKL_LETTER_MAX       /* the whole file */
#define MAX_LINE_BYTES ((size_t)1 << 20)      /* one line, without its '\n' */
#define MAX_YAML_NESTING 64                   /* '[' '{' in flow, and levels of indentation */
#define MAX_ANCHORS 100                       /* &name in the front matter (libyaml looks them up linearly) */
#define MAX_ALIASES 1000                      /* *name in the front matter */
#define MAX_ANCHOR_NAME 128                   /* bytes of one anchor or alias name */
/* strings read from the front matter (values and lines): a petition's
 * 100,000 signatories are as many, and a string costs ~0.5 KB while the
 * front matter is read (libyaml's node and copy, measured), so at most
 * ~125 MB; repeated through aliases, where a short file stands for many
 * strings, the old bound holds */
#define MAX_STRINGS 250000
#define MAX_REPEATED_STRINGS 50000
#define MAX_VALUE_BYTES ((size_t)2 << 20)     /* one front-matter string */
#define MAX_BLOCK_BYTES ((size_t)2 << 20)     /* the text of one body paragraph (or heading, item, ...) */
#define MAX_INLINE_DEPTH 32                   /* emphasis, links and spans inside each other */
#define MAX_IMAGE_BRACKETS 10000000.0         /* ('![' count) x (']' count) in the body: cmark 0.30.2
                                                 takes time proportional to it */

typedef struct P {
    mkl_doc *doc;
    yaml_document_t *ydoc;
    mkl_error *e;
    const char *name;
    int body_line;        /* line of the body's first line in the file, minus 1 */
    MKL_VEC(const char *) links;
    MKL_VEC(struct mkl_srcpos) pos;
    /* body: the <div lang=... hangul-breaks=...> blocks open around the current one */
    struct { int lang, syllable; } divs[16];
    int ndivs, div_depth_ignored;
    /* front matter read so far: aliases (*name) make the loader share nodes, so
     * a small file can stand for a huge tree; these bound what is read */
    size_t read_bytes, max_read_bytes;
    unsigned char *seen;  /* a bit per node of the document: a string node already read */
    size_t repeated;      /* strings read again (through an alias) */
    /* the file each node of ydoc came from (0 the letter, k the style
     * doc->styles[k - 1]); NULL when the letter has no style */
    const unsigned char *origin;
    size_t norigin;
    /* the text of each file, and where each of its lines starts, as far as
     * indented_col() has looked (line_scan: where it goes on) */
    struct { const char *src; size_t len; MKL_VEC(size_t) line_start; size_t line_scan; } files[1 + MKL_STYLE_CHAIN_MAX];
    /* char_col(): the start of one line, where the next search starts */
    int cc_line;
    size_t cc_at;
} P;

#define NODE_LINE(n) ((int)(n)->start_mark.line + 1)
#define NODE_COL(n) ((int)(n)->start_mark.column + 1)

/* The file node `n` came from: 0 the letter, k the style doc->styles[k - 1]. */
static int node_origin(const P *p, const yaml_node_t *n) {
    if (!p->origin || !n || !p->ydoc) return 0;
    size_t i = (size_t)(n - p->ydoc->nodes.start);
    return i < p->norigin ? p->origin[i] : 0;
}
static const char *origin_file(const P *p, int origin) {
    return origin > 0 && (size_t)origin <= p->doc->nstyles ? p->doc->styles[origin - 1].file : p->name;
}
static const char *node_file(const P *p, const yaml_node_t *n) { return origin_file(p, node_origin(p, n)); }

static mkl_status perr(P *p, yaml_node_t *n, const char *fmt, const char *a, const char *b) {
    char msg[900];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    return mkl__err(p->e, MKL_ERR_INPUT, node_file(p, n), n ? NODE_LINE(n) : 0, n ? NODE_COL(n) : 0, "%s", msg);
}
static mkl_status oom(P *p) { return mkl__err(p->e, MKL_ERR_NOMEM, p->name, 0, 0, "out of memory"); }

static const char *kind_name(yaml_node_t *n) {
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a string";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

/* The column (from 1) where a scalar's text starts: after its quote if quoted. */
static int text_col(const yaml_node_t *n) {
    int quoted = n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                 n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    return NODE_COL(n) + quoted;
}

/* The column (from 1) where line `line` of the letter starts past its
 * indentation (where a block scalar's line is), 0 if there is no such line,
 * -1 when out of memory. The index of line starts grows only as far as
 * asked: block scalars are in the front matter. */
static int indented_col(P *p, int origin, int line) {
    if (origin < 0 || origin > MKL_STYLE_CHAIN_MAX) return 0;
    const char *src = p->files[origin].src;
    size_t len = p->files[origin].len;
    if (line < 1 || !src) return 0;
    while (p->files[origin].line_start.n < (size_t)line) {
        size_t scan = p->files[origin].line_scan;
        if (scan > len) return 0;
        size_t *at = MKL_PUSH(&p->files[origin].line_start);
        if (!at) return -1;
        *at = scan;
        const char *nl = memchr(src + scan, '\n', len - scan);
        p->files[origin].line_scan = nl ? (size_t)(nl - src) + 1 : len + 1;
    }
    const char *q = src + p->files[origin].line_start.v[line - 1], *end = src + len;
    int col = 1;
    while (q < end && (*q == ' ' || *q == '\t')) q++, col++;
    return col;
}

/* The column in characters of byte column `bcol` (cmark's) on line `line`.
 * Lines are asked for in about increasing order (the links of the body), so
 * the search goes on from the line asked for last. */
static int char_col(P *p, int line, int bcol) {
    const char *src = p->doc->src;
    size_t len = p->doc->srclen;
    if (!src || line < 1 || bcol < 1) return bcol;
    if (p->cc_line < 1 || line < p->cc_line) { p->cc_line = 1; p->cc_at = 0; }
    while (p->cc_line < line) {
        const char *nl = p->cc_at < len ? memchr(src + p->cc_at, '\n', len - p->cc_at) : NULL;
        if (!nl) return bcol;
        p->cc_at = (size_t)(nl - src) + 1;
        p->cc_line++;
    }
    int col = 1;
    for (size_t i = p->cc_at; i < len && i < p->cc_at + (size_t)bcol - 1; i++)
        if (((unsigned char)src[i] & 0xC0) != 0x80) col++;
    return col;
}

/* Trim a scalar (block scalars keep a final newline) and copy it into the arena. */
static mkl_status get_str(P *p, yaml_node_t *n, const char *key, const char **out) {
    if (n->type != YAML_SCALAR_NODE)
        return perr(p, n, "'%s' must be a string, not %s", key, kind_name(n));
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r')) len--;
    if (memchr(s, 0, len)) return perr(p, n, "'%s' contains a NUL character", key, NULL);
    if (len > MAX_VALUE_BYTES)
        return mkl__err(p->e, MKL_ERR_LIMIT, node_file(p, n), NODE_LINE(n), NODE_COL(n),
                        "'%s' is %zu bytes long; a value may be at most 2 MiB (%zu bytes)", key, len, MAX_VALUE_BYTES);
    if (p->pos.n >= MAX_STRINGS)
        return mkl__err(p->e, MKL_ERR_LIMIT, node_file(p, n), NODE_LINE(n), NODE_COL(n),
                        "the front matter holds more than %d strings (values, lines and entries)", MAX_STRINGS);
    size_t nodes = (size_t)(p->ydoc->nodes.top - p->ydoc->nodes.start), at = (size_t)(n - p->ydoc->nodes.start);
    if (!p->seen && !(p->seen = mkl__calloc(nodes / 8 + 1, 1))) return oom(p);
    if (at < nodes && (p->seen[at / 8] & (1 << (at % 8))) && ++p->repeated > MAX_REPEATED_STRINGS)
        return mkl__err(p->e, MKL_ERR_LIMIT, node_file(p, n), NODE_LINE(n), NODE_COL(n),
                        "the front matter's aliases (*name) repeat more than %d strings", MAX_REPEATED_STRINGS);
    if (at < nodes) p->seen[at / 8] |= (unsigned char)(1 << (at % 8));
    if ((p->read_bytes += len) > p->max_read_bytes)
        return mkl__err(p->e, MKL_ERR_LIMIT, node_file(p, n), NODE_LINE(n), NODE_COL(n),
                        "the front matter's aliases (*name) repeat more text than twice its size");
    *out = mkl__arena_strndup(&p->doc->arena, s, len);
    if (!*out) return oom(p);
    struct mkl_srcpos *sp = MKL_PUSH(&p->pos);
    if (!sp) return oom(p);
    *sp = (struct mkl_srcpos){*out, NODE_LINE(n), text_col(n), node_origin(p, n)};
    return MKL_OK;
}

/* A string that is a path (an image): one written in a style is taken from
 * the style's folder, so the model holds it joined to that folder. */
static mkl_status get_path(P *p, yaml_node_t *n, const char *key, const char **out) {
    mkl_status st = get_str(p, n, key, out);
    int origin = node_origin(p, n);
    if (st || !origin || (*out)[0] == '/' || !(*out)[0]) return st;
    const char *dir = p->doc->styles[origin - 1].dir;
    if (!dir[0]) return MKL_OK;
    size_t dl = strlen(dir), sl = strlen(*out);
    int slash = dir[dl - 1] != '/';
    if (dl + slash + sl >= MKL_PATH_MAX)   /* never a shortened path: it could name another file */
        return mkl__err(p->e, MKL_ERR_INPUT, node_file(p, n), NODE_LINE(n), text_col(n),
                        "'%s': the path joined to the style's folder is longer than %d bytes", key, MKL_PATH_MAX - 1);
    char *joined = mkl__arena_alloc(&p->doc->arena, dl + slash + sl + 1);
    struct mkl_srcpos *sp = joined ? MKL_PUSH(&p->pos) : NULL;
    if (!sp) return oom(p);
    memcpy(joined, dir, dl);
    if (slash) joined[dl] = '/';
    memcpy(joined + dl + slash, *out, sl + 1);
    *sp = (struct mkl_srcpos){joined, NODE_LINE(n), text_col(n), origin};
    *out = joined;
    return MKL_OK;
}

/* A block of lines: a multi-line string (one line a line) or a list of strings. */
static mkl_status get_lines(P *p, yaml_node_t *n, const char *key, mkl_lines *out) {
    MKL_VEC(const char *) v = {0};
    mkl_status st = MKL_OK;
    if (n->type == YAML_SCALAR_NODE) {
        const char *s;
        if ((st = get_str(p, n, key, &s))) return st;
        const char *ls = s;
        for (;;) {
            const char *nl = strchr(ls, '\n');
            size_t l = nl ? (size_t)(nl - ls) : strlen(ls);
            while (l && (ls[l - 1] == ' ' || ls[l - 1] == '\r' || ls[l - 1] == '\t')) l--;
            if (p->pos.n >= MAX_STRINGS) {
                st = mkl__err(p->e, MKL_ERR_LIMIT, node_file(p, n), NODE_LINE(n), NODE_COL(n),
                              "the front matter holds more than %d strings (values, lines and entries)", MAX_STRINGS);
                break;
            }
            const char **slot = MKL_PUSH(&v);
            if (!slot || !(*slot = mkl__arena_strndup(&p->doc->arena, ls, l))) { st = oom(p); break; }
            struct mkl_srcpos *sp = MKL_PUSH(&p->pos);
            if (!sp) { st = oom(p); break; }
            /* a block scalar ('|') starts on the line after its indicator, each
             * line where its indentation ends */
            int blockish = n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE || n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
            int line = NODE_LINE(n) + blockish + (int)(v.n - 1);
            int col = blockish ? indented_col(p, node_origin(p, n), line) : v.n == 1 ? text_col(n) : NODE_COL(n);
            if (col < 0) { st = oom(p); break; }
            /* a block line indented more than the block keeps the extra spaces */
            for (size_t k = 0; blockish && col > 1 && k < l && (ls[k] == ' ' || ls[k] == '\t'); k++) col--;
            *sp = (struct mkl_srcpos){*slot, line, col, node_origin(p, n)};
            if (!nl) break;
            ls = nl + 1;
        }
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            yaml_node_t *c = yaml_document_get_node(p->ydoc, *it);
            const char **slot = MKL_PUSH(&v);
            if (!slot) { st = oom(p); break; }
            if ((st = get_str(p, c, key, slot))) break;
        }
    } else {
        return perr(p, n, "'%s' must be a string or a list of strings, not %s", key, kind_name(n));
    }
    if (!st) {
        out->n = v.n;
        out->v = mkl__arena_alloc(&p->doc->arena, (v.n ? v.n : 1) * sizeof *out->v);
        if (!out->v) st = oom(p);
        else if (v.n) memcpy(out->v, v.v, v.n * sizeof *out->v);
    }
    mkl__free(v.v);
    return st;
}

static int key_is(yaml_node_t *k, const char *name) {
    return k->type == YAML_SCALAR_NODE && strlen(name) == k->data.scalar.length &&
           !memcmp(k->data.scalar.value, name, k->data.scalar.length);
}

/* Check that every key of mapping `n` is one of `known` (NULL-terminated). */
static mkl_status check_keys(P *p, yaml_node_t *n, const char *where, const char *const *known) {
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(p->ydoc, pr->key);
        if (k->type != YAML_SCALAR_NODE) return perr(p, k, "a key in %s must be a plain string", where, NULL);
        int ok = 0;
        for (const char *const *q = known; *q; q++) ok |= key_is(k, *q);
        if (!ok) {
            char kbuf[128];
            snprintf(kbuf, sizeof kbuf, "%.*s", (int)MKL_MIN(k->data.scalar.length, 100), k->data.scalar.value);
            return perr(p, k, "unknown key '%s' in %s", kbuf, where);
        }
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr; q++) {
            yaml_node_t *k2 = yaml_document_get_node(p->ydoc, q->key);
            if (k2->type == YAML_SCALAR_NODE && k2->data.scalar.length == k->data.scalar.length &&
                !memcmp(k2->data.scalar.value, k->data.scalar.value, k->data.scalar.length))
                return perr(p, k, "key '%s' is given twice in %s", (const char *)k->data.scalar.value, where);
        }
    }
    return MKL_OK;
}

static yaml_node_t *map_get(P *p, yaml_node_t *n, const char *key) {
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++)
        if (key_is(yaml_document_get_node(p->ydoc, pr->key), key)) return yaml_document_get_node(p->ydoc, pr->value);
    return NULL;
}

static int parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

int mkl__format_date(const char *iso, const char *lang, int official, char *out, size_t outsz) {
    static const char *months[] = {"January", "February", "March", "April", "May", "June", "July",
                                   "August", "September", "October", "November", "December"};
    int y, m, d;
    char tail;
    if (strlen(iso) != 10 || iso[4] != '-' || iso[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)iso[i])) return 0;
    if (sscanf(iso, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return 0;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 0;
    int ko = lang && !strcmp(lang, "ko");
    if (ko && official) snprintf(out, outsz, "%d. %d. %d.", y, m, d);  /* Korean official documents */
    else if (ko) snprintf(out, outsz, "%d\xEB\x85\x84 %d\xEC\x9B\x94 %d\xEC\x9D\xBC", y, m, d); /* 년 월 일 */
    else if (official) snprintf(out, outsz, "%d %s %d", d, months[m - 1], y);
    else snprintf(out, outsz, "%s %d, %d", months[m - 1], d, y);
    return 1;
}

mkl_status mkl__doc_set(mkl_doc *d, const char *key, const char *s, char *msg, size_t msgsz) {
#define BAD(...) return (snprintf(msg, msgsz, __VA_ARGS__), MKL_ERR_INPUT)
    if (!strcmp(key, "lang")) {
        if (strcmp(s, "en") && strcmp(s, "ko")) BAD("'lang' must be 'en' or 'ko', not '%.100s'", s);
        d->lang = s;
    } else if (!strcmp(key, "paper")) {
        if (!strcmp(s, "a4")) d->paper = MKL_PAPER_A4;
        else if (!strcmp(s, "letter")) d->paper = MKL_PAPER_LETTER;
        else if (!strcmp(s, "legal")) d->paper = MKL_PAPER_LEGAL;
        else BAD("'paper' must be a4, letter or legal, not '%.100s'", s);
    } else if (!strcmp(key, "layout")) {
        if (!strcmp(s, "plain")) d->layout = MKL_LAYOUT_PLAIN;
        else if (!strcmp(s, "din5008a")) d->layout = MKL_LAYOUT_DIN5008A;
        else if (!strcmp(s, "din5008b")) d->layout = MKL_LAYOUT_DIN5008B;
        else if (!strcmp(s, "us-window")) d->layout = MKL_LAYOUT_US_WINDOW;
        else if (!strcmp(s, "kr-official")) d->layout = MKL_LAYOUT_KR_OFFICIAL;
        else BAD("'layout' must be plain, din5008a, din5008b, us-window or kr-official, not '%.100s'", s);
    } else if (!strcmp(key, "date-style")) {
        if (!strcmp(s, "official")) d->date_official = 1;
        else if (!strcmp(s, "long")) d->date_official = 0;
        else BAD("'date-style' must be 'long' or 'official', not '%.100s'", s);
    } else if (!strcmp(key, "hangul-breaks")) {
        if (!strcmp(s, "syllable")) d->syllable = MKL_HANGUL_SYLLABLE;
        else if (!strcmp(s, "word")) d->syllable = MKL_HANGUL_WORD;
        else if (!strcmp(s, "auto")) d->syllable = MKL_HANGUL_AUTO;
        else BAD("'hangul-breaks' must be 'auto', 'word' or 'syllable', not '%.100s'", s);
    } else if (!strcmp(key, "date")) {
        /* kept as written; an ISO date is formatted for the letter's language when it is set */
        char buf[64];
        if (!mkl__format_date(s, "en", 0, buf, sizeof buf) && strlen(s) == 10 && s[4] == '-' && s[7] == '-' &&
            isdigit((unsigned char)s[0]))
            BAD("'date' looks like an ISO date but '%.100s' is not a valid date", s);
        d->date = s;
    } else if (!strcmp(key, "letterhead-align")) {
        if (!strcmp(s, "left")) d->lh_align = 0;
        else if (!strcmp(s, "center")) d->lh_align = 1;
        else if (!strcmp(s, "right")) d->lh_align = 2;
        else BAD("letterhead 'align' must be left, center or right, not '%.100s'", s);
    } else if (!strcmp(key, "place")) {
        d->place = s;
    } else if (!strcmp(key, "subject")) {
        d->subject = s;
    } else if (!strcmp(key, "opening")) {
        d->opening = s;
    } else if (!strcmp(key, "closing")) {
        d->closing = s;
    } else if (!strcmp(key, "ps")) {
        d->ps = s;
    } else if (!strcmp(key, "size")) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || (strcmp(end, "pt") && strcmp(end, "")) || !(v >= 6 && v <= 24))
            BAD("'size' must be a point size from 6pt to 24pt, like 11pt, not '%.100s'", s);
        d->font_size = v;
    } else if (!strcmp(key, "leading")) {
        /* baseline to baseline: a share of the size ("160%") or points ("17.5pt") */
        char *end;
        double v = strtod(s, &end);
        if (end != s && !strcmp(end, "%") && v >= 100 && v <= 250) {
            d->leading = v;
            d->leading_points = 0;
        } else if (end != s && !strcmp(end, "pt") && v >= 6 && v <= 60) {
            d->leading = v;
            d->leading_points = 1;
        } else {
            BAD("'leading' must be a share of the size from 100%% to 250%%, like 160%%, or points from 6pt to 60pt, "
                "like 17.5pt, not '%.100s'", s);
        }
    } else {
        BAD("unknown key '%.100s'", key);
    }
    return MKL_OK;
#undef BAD
}

static mkl_status parse_fonts(P *p, yaml_node_t *n) {
    static const char *const keys[] = {"body", "heading", "size", "leading", NULL};
    mkl_status st;
    if (n->type != YAML_MAPPING_NODE) return perr(p, n, "'fonts' must be a mapping, not %s", kind_name(n), NULL);
    if ((st = check_keys(p, n, "'fonts'", keys))) return st;
    const char *roles[2] = {"body", "heading"};
    mkl_fontspec *specs[2] = {&p->doc->font_body, &p->doc->font_heading};
    for (int r = 0; r < 2; r++) {
        yaml_node_t *v = map_get(p, n, roles[r]);
        if (!v) continue;
        mkl_lines l = {0};
        if (v->type == YAML_SCALAR_NODE) {
            const char *s;
            if ((st = get_str(p, v, roles[r], &s))) return st;
            l.v = mkl__arena_alloc(&p->doc->arena, sizeof *l.v);
            if (!l.v) return oom(p);
            l.v[0] = s;
            l.n = 1;
        } else if ((st = get_lines(p, v, roles[r], &l))) {
            return st;
        }
        if (!l.n) return perr(p, v, "'fonts: %s' names no font family", roles[r], NULL);
        for (size_t i = 0; i < l.n; i++)
            if (!l.v[i][0]) return perr(p, v, "'fonts: %s' has an empty family name", roles[r], NULL);
        specs[r]->families = l.v;
        specs[r]->nfamilies = l.n;
        specs[r]->line = mkl__arena_alloc(&p->doc->arena, l.n * sizeof(int));
        specs[r]->col = mkl__arena_alloc(&p->doc->arena, l.n * sizeof(int));
        if (!specs[r]->line || !specs[r]->col) return oom(p);
        for (size_t i = 0; i < l.n; i++) {
            yaml_node_t *at = v->type == YAML_SEQUENCE_NODE
                                  ? yaml_document_get_node(p->ydoc, v->data.sequence.items.start[i]) : v;
            specs[r]->line[i] = NODE_LINE(at);
            specs[r]->col[i] = NODE_COL(at);
        }
    }
    static const char *const scalars[] = {"size", "leading"};
    for (size_t k = 0; k < 2; k++) {
        yaml_node_t *sz = map_get(p, n, scalars[k]);
        if (!sz) continue;
        const char *s;
        char msg[512];
        if ((st = get_str(p, sz, scalars[k], &s))) return st;
        if ((st = mkl__doc_set(p->doc, scalars[k], s, msg, sizeof msg)))
            return mkl__err(p->e, st, node_file(p, sz), NODE_LINE(sz), NODE_COL(sz), "%s", msg);
    }
    return MKL_OK;
}

static mkl_status parse_entry(P *p, yaml_node_t *n, mkl_entry *out) {
    mkl_status st;
    if (n->type == YAML_SCALAR_NODE) return get_str(p, n, "entries", &out->name);
    if (n->type != YAML_MAPPING_NODE)
        return perr(p, n, "a signatory entry must be a string or {name, note}, not %s", kind_name(n), NULL);
    static const char *const keys[] = {"name", "note", NULL};
    if ((st = check_keys(p, n, "a signatory entry", keys))) return st;
    yaml_node_t *v = map_get(p, n, "name");
    if (!v) return perr(p, n, "a signatory entry needs a 'name'", NULL, NULL);
    if ((st = get_str(p, v, "name", &out->name))) return st;
    if ((v = map_get(p, n, "note")) && (st = get_str(p, v, "note", &out->note))) return st;
    return MKL_OK;
}

static mkl_status parse_signatories(P *p, yaml_node_t *n) {
    mkl_status st;
    if (n->type != YAML_SEQUENCE_NODE)
        return perr(p, n, "'signatories' must be a list of groups, not %s", kind_name(n), NULL);
    size_t ng = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    mkl_group *g = mkl__arena_alloc(&p->doc->arena, (ng ? ng : 1) * sizeof *g);
    if (!g) return oom(p);
    p->doc->groups = g;
    p->doc->ngroups = ng;
    for (size_t i = 0; i < ng; i++) {
        yaml_node_t *gn = yaml_document_get_node(p->ydoc, n->data.sequence.items.start[i]);
        if (gn->type != YAML_MAPPING_NODE)
            return perr(p, gn, "a signatory group must be a mapping with 'entries', not %s", kind_name(gn), NULL);
        static const char *const keys[] = {"heading", "columns", "entries", NULL};
        if ((st = check_keys(p, gn, "a signatory group", keys))) return st;
        yaml_node_t *v;
        if ((v = map_get(p, gn, "heading")) && (st = get_str(p, v, "heading", &g[i].heading))) return st;
        g[i].columns = 1;
        if ((v = map_get(p, gn, "columns"))) {
            const char *s;
            long c;
            if ((st = get_str(p, v, "columns", &s))) return st;
            if (!parse_int(s, 1, MKL_MAX_COLUMNS, &c)) return perr(p, v, "'columns' must be a whole number from 1 to 4, not '%s'", s, NULL);
            g[i].columns = (int)c;
        }
        if (!(v = map_get(p, gn, "entries"))) return perr(p, gn, "a signatory group needs 'entries'", NULL, NULL);
        if (v->type != YAML_SEQUENCE_NODE) return perr(p, v, "'entries' must be a list, not %s", kind_name(v), NULL);
        size_t ne = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
        g[i].entries = mkl__arena_alloc(&p->doc->arena, (ne ? ne : 1) * sizeof *g[i].entries);
        if (!g[i].entries) return oom(p);
        g[i].nentries = ne;
        for (size_t k = 0; k < ne; k++)
            if ((st = parse_entry(p, yaml_document_get_node(p->ydoc, v->data.sequence.items.start[k]), &g[i].entries[k])))
                return st;
    }
    return MKL_OK;
}

static mkl_status parse_signature_list(P *p, yaml_node_t *n, const char *key, mkl_signature **out, size_t *nout) {
    mkl_status st;
    if (n->type != YAML_SEQUENCE_NODE)
        return perr(p, n, "'%s' must be a list, not %s", key, kind_name(n));
    size_t ns = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    mkl_signature *s = mkl__arena_alloc(&p->doc->arena, (ns ? ns : 1) * sizeof *s);
    if (!s) return oom(p);
    *out = s;
    *nout = ns;
    for (size_t i = 0; i < ns; i++) {
        yaml_node_t *sn = yaml_document_get_node(p->ydoc, n->data.sequence.items.start[i]);
        if (sn->type != YAML_MAPPING_NODE)
            return perr(p, sn, "a signature must be a mapping with 'name', not %s", kind_name(sn), NULL);
        static const char *const keys[] = {"name", "title", "image", "alt", NULL};
        if ((st = check_keys(p, sn, "a signature", keys))) return st;
        yaml_node_t *v;
        if (!(v = map_get(p, sn, "name"))) return perr(p, sn, "a signature needs a 'name'", NULL, NULL);
        if ((st = get_str(p, v, "name", &s[i].name))) return st;
        if ((v = map_get(p, sn, "title")) && (st = get_str(p, v, "title", &s[i].title))) return st;
        if ((v = map_get(p, sn, "image")) && (st = get_path(p, v, "image", &s[i].image))) return st;
        if ((v = map_get(p, sn, "alt")) && (st = get_str(p, v, "alt", &s[i].alt))) return st;
    }
    return MKL_OK;
}

static mkl_status parse_signatures(P *p, yaml_node_t *n) {
    return parse_signature_list(p, n, "signatures", &p->doc->signatures, &p->doc->nsignatures);
}

int mkl__official_disclosure_ok(const char *s) {
    /* 공개, or 부분공개(N) / 비공개(N) with N the ground of 정보공개법 제9조제1항 (1-8) */
    const char *rest = NULL;
    if (!strncmp(s, "\xEB\xB6\x80\xEB\xB6\x84\xEA\xB3\xB5\xEA\xB0\x9C", 12)) rest = s + 12;  /* 부분공개 */
    else if (!strncmp(s, "\xEB\xB9\x84\xEA\xB3\xB5\xEA\xB0\x9C", 9)) rest = s + 9;           /* 비공개 */
    return !strcmp(s, "\xEA\xB3\xB5\xEA\xB0\x9C") ||                                              /* 공개 */
           (rest && rest[0] == '(' && rest[1] >= '1' && rest[1] <= '8' && rest[2] == ')' && !rest[3]);
}

/* `official:`, the parts of a Korean official document (layout: kr-official). */
static mkl_status parse_official(P *p, yaml_node_t *n) {
    static const char *const keys[] = {"number", "via", "reference", "sender", "seal", "cooperation", "postcode",
                                       "address", "homepage", "phone", "fax", "email", "disclosure", NULL};
    mkl_official *o = &p->doc->official;
    mkl_status st;
    if (n->type != YAML_MAPPING_NODE) return perr(p, n, "'official' must be a mapping, not %s", kind_name(n), NULL);
    if ((st = check_keys(p, n, "'official'", keys))) return st;
    struct { const char *key; const char **at; } strs[] = {
        {"number", &o->number}, {"via", &o->via}, {"reference", &o->reference}, {"sender", &o->sender},
        {"postcode", &o->postcode}, {"address", &o->address}, {"homepage", &o->homepage}, {"phone", &o->phone},
        {"fax", &o->fax}, {"email", &o->email}, {"disclosure", &o->disclosure}};
    yaml_node_t *v;
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        if ((v = map_get(p, n, strs[i].key)) && (st = get_str(p, v, strs[i].key, strs[i].at))) return st;
    if ((v = map_get(p, n, "seal")) && (st = get_path(p, v, "seal", &o->seal))) return st;
    if ((v = map_get(p, n, "cooperation")) &&
        (st = parse_signature_list(p, v, "cooperation", &o->cooperation, &o->ncooperation)))
        return st;
    if (o->disclosure && !mkl__official_disclosure_ok(o->disclosure))
        return perr(p, map_get(p, n, "disclosure"), MKL__DISCLOSURE_MSG, o->disclosure, NULL);
    return MKL_OK;
}

/* The front matter of a kr-official document: Korean, A4, and only the keys
 * the form has a place for. A key the letter itself gives that the form has
 * no place for is an error; one inherited from a house style is left out. */
static mkl_status check_official(P *p, yaml_node_t *root) {
    mkl_doc *d = p->doc;
    yaml_node_t *v = map_get(p, root, "official");
    if (d->layout != MKL_LAYOUT_KR_OFFICIAL) {
        if (v) return perr(p, v, "'official' is for 'layout: kr-official' (the Korean official document)", NULL, NULL);
        return MKL_OK;
    }
    static const char *const unused[] = {"opening", "from", "cc", "place", "signatories", "ps", NULL};
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(p->ydoc, pr->key);
        for (const char *const *u = unused; *u; u++)
            if (key_is(k, *u) && node_origin(p, k) == 0)
                return perr(p, k, "'%s' has no place in a Korean official document (layout: kr-official)", *u, NULL);
    }
    yaml_node_t *lh = map_get(p, root, "letterhead"), *footer = lh && lh->type == YAML_MAPPING_NODE ? map_get(p, lh, "footer") : NULL;
    if (footer && node_origin(p, footer) == 0)
        return perr(p, footer, "a Korean official document has no letterhead footer: its 결문 holds the address (official: address)", NULL, NULL);
    if ((v = map_get(p, root, "lang")) && strcmp(d->lang, "ko"))
        return perr(p, v, "a Korean official document (layout: kr-official) is in Korean: 'lang' must be ko", NULL, NULL);
    d->lang = "ko";
    if ((v = map_get(p, root, "paper")) && d->paper != MKL_PAPER_A4)
        return perr(p, v, "a Korean official document (layout: kr-official) is set on A4 paper", NULL, NULL);
    return MKL_OK;
}

static mkl_status parse_front(P *p, yaml_node_t *root) {
    static const char *const keys[] = {"lang", "paper", "layout", "date", "date-style", "place", "letterhead", "from",
                                       "to", "cc", "subject", "opening", "closing", "signatures", "signatories",
                                       "enclosures", "ps", "fonts", "hangul-breaks", "official", NULL};
    mkl_doc *d = p->doc;
    mkl_status st;
    if (root->type != YAML_MAPPING_NODE)
        return perr(p, root, "the front matter must be a mapping of keys (like 'subject: ...'), not %s", kind_name(root), NULL);
    if ((st = check_keys(p, root, "the front matter", keys))) return st;
    yaml_node_t *v;
    const char *s;
    /* the keys that take one string: checked by mkl__doc_set, the same code
     * that checks them when a program builds a letter */
    static const char *const scalars[] = {"lang", "paper", "layout", "date-style", "hangul-breaks", "date", "place",
                                          "subject", "opening", "closing", "ps", NULL};
    for (const char *const *k = scalars; *k; k++) {
        if (!(v = map_get(p, root, *k))) continue;
        if ((st = get_str(p, v, *k, &s))) return st;
        char msg[512];
        if ((st = mkl__doc_set(d, *k, s, msg, sizeof msg))) {
            if (st == MKL_ERR_NOMEM) return oom(p);
            return mkl__err(p->e, st, node_file(p, v), NODE_LINE(v), NODE_COL(v), "%s", msg);
        }
    }
    if ((v = map_get(p, root, "letterhead"))) {
        if (v->type != YAML_MAPPING_NODE) return perr(p, v, "'letterhead' must be a mapping with 'name', not %s", kind_name(v), NULL);
        static const char *const lk[] = {"name", "lines", "logo", "logo-alt", "align", "footer", NULL};
        if ((st = check_keys(p, v, "'letterhead'", lk))) return st;
        yaml_node_t *w;
        if (!(w = map_get(p, v, "name"))) return perr(p, v, "'letterhead' needs a 'name'", NULL, NULL);
        if ((st = get_str(p, w, "name", &d->lh_name))) return st;
        if ((w = map_get(p, v, "lines")) && (st = get_lines(p, w, "lines", &d->lh_lines))) return st;
        if ((w = map_get(p, v, "logo"))) {
            if ((st = get_path(p, w, "logo", &d->lh_logo))) return st;
        }
        if ((w = map_get(p, v, "logo-alt")) && (st = get_str(p, w, "logo-alt", &d->lh_logo_alt))) return st;
        if ((w = map_get(p, v, "footer")) && (st = get_lines(p, w, "footer", &d->lh_footer))) return st;
        if ((w = map_get(p, v, "align"))) {
            const char *a;
            char msg[512];
            if ((st = get_str(p, w, "align", &a))) return st;
            if ((st = mkl__doc_set(d, "letterhead-align", a, msg, sizeof msg)))
                return mkl__err(p->e, st, node_file(p, w), NODE_LINE(w), NODE_COL(w), "%s", msg);
        }
    }
    if ((v = map_get(p, root, "from")) && (st = get_lines(p, v, "from", &d->from))) return st;
    if ((v = map_get(p, root, "to")) && (st = get_lines(p, v, "to", &d->to))) return st;
    if ((v = map_get(p, root, "cc"))) {
        if (v->type == YAML_SCALAR_NODE) {
            if (!(d->cc = mkl__arena_alloc(&d->arena, sizeof *d->cc))) return oom(p);
            d->ncc = 1;
            if ((st = get_lines(p, v, "cc", &d->cc[0]))) return st;
        } else if (v->type == YAML_SEQUENCE_NODE) {
            size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
            if (!(d->cc = mkl__arena_alloc(&d->arena, (n ? n : 1) * sizeof *d->cc))) return oom(p);
            d->ncc = n;
            for (size_t i = 0; i < n; i++) {
                yaml_node_t *c = yaml_document_get_node(p->ydoc, v->data.sequence.items.start[i]);
                if (c->type != YAML_SCALAR_NODE)
                    return perr(p, c, "each 'cc' block must be a (multi-line) string, not %s", kind_name(c), NULL);
                if ((st = get_lines(p, c, "cc", &d->cc[i]))) return st;
            }
        } else {
            return perr(p, v, "'cc' must be a list of blocks, not %s", kind_name(v), NULL);
        }
    }
    if ((v = map_get(p, root, "signatures")) && (st = parse_signatures(p, v))) return st;
    if ((v = map_get(p, root, "signatories")) && (st = parse_signatories(p, v))) return st;
    if ((v = map_get(p, root, "enclosures")) && (st = get_lines(p, v, "enclosures", &d->enclosures))) return st;
    if ((v = map_get(p, root, "fonts")) && (st = parse_fonts(p, v))) return st;
    if ((v = map_get(p, root, "official")) && (st = parse_official(p, v))) return st;
    return check_official(p, root);
}

/* ---- body ---------------------------------------------------------------- */

typedef struct RichB {
    mkl_buf text;
    MKL_VEC(mkl_srun) runs;
    uint8_t langs[16];     /* open <span lang=...> elements */
    int nlangs, ignored;
    int too_deep;          /* inline elements nested more than MAX_INLINE_DEPTH */
    char bad[320];         /* the first link or span refused (an input error), and where it is */
    int bad_line, bad_col;
} RichB;

static uint8_t rich_lang(const RichB *r) { return r->nlangs ? r->langs[r->nlangs - 1] : MKL_LANG_INHERIT; }

static void rich_add(RichB *r, const char *s, size_t n, int style, int link) {
    if (!n) return;
    uint32_t start = (uint32_t)r->text.n;
    uint8_t lang = rich_lang(r);
    mkl__buf_add(&r->text, s, n);
    mkl_srun *last = r->runs.n ? &r->runs.v[r->runs.n - 1] : NULL;
    if (last && last->style == style && last->link == link && last->lang == lang && last->end == start) {
        last->end = (uint32_t)r->text.n;
        return;
    }
    mkl_srun *run = MKL_PUSH(&r->runs);
    if (!run) { r->text.oom = 1; return; }
    run->start = start;
    run->end = (uint32_t)r->text.n;
    run->style = (uint8_t)style;
    run->link = link;
    run->lang = lang;
}

/* The value of attribute `name` in an HTML tag, copied into out; 0 if absent. */
static int html_attr(const char *tag, const char *name, char *out, size_t outsz) {
    size_t nl = strlen(name);
    for (const char *q = tag; (q = strstr(q, name)); q += nl) {
        if (q > tag && !isspace((unsigned char)q[-1])) continue;
        const char *v = q + nl;
        while (isspace((unsigned char)*v)) v++;
        if (*v != '=') continue;
        v++;
        while (isspace((unsigned char)*v)) v++;
        char quote = (*v == '"' || *v == '\'') ? *v++ : 0;
        size_t k = 0;
        while (*v && (quote ? *v != quote : !isspace((unsigned char)*v) && *v != '>') && k + 1 < outsz) out[k++] = *v++;
        out[k] = 0;
        return 1;
    }
    return 0;
}

static int lang_code(const char *v) {
    if (!strncmp(v, "en", 2) && (!v[2] || v[2] == '-')) return MKL_LANG_EN;
    if (!strncmp(v, "ko", 2) && (!v[2] || v[2] == '-')) return MKL_LANG_KO;
    return -1;
}

/* Is `lit` exactly one opening tag `<name ...>` or closing tag `</name>`? 1 open, 2 close, 0 neither. */
static int html_tag(const char *lit, const char *name) {
    size_t nl = strlen(name);
    const char *q = lit;
    while (isspace((unsigned char)*q)) q++;
    int close = q[0] == '<' && q[1] == '/';
    q += close ? 2 : 1;
    if (lit[0] != '<' && !isspace((unsigned char)lit[0])) return 0;
    if (strncasecmp(q, name, nl) || (q[nl] != '>' && !isspace((unsigned char)q[nl]))) return 0;
    const char *gt = strchr(q, '>');
    if (!gt) return 0;
    for (gt++; *gt; gt++)
        if (!isspace((unsigned char)*gt)) return 0;
    return close ? 2 : 1;
}

static int scheme_is(const char *url, size_t n, const char *scheme) {
    return strlen(scheme) == n && !strncasecmp(url, scheme, n);
}

int mkl__link_allowed(const char *url) {
    /* no control character or space anywhere: viewers drop them, so that
     * " java\tscript:" would be read as a scheme they run */
    for (const unsigned char *q = (const unsigned char *)url; *q; q++)
        if (*q <= 0x20 || *q == 0x7F) return 0;
    size_t n = 0;
    while (isalnum((unsigned char)url[n]) || url[n] == '+' || url[n] == '-' || url[n] == '.') n++;
    if (url[n] != ':' || n == 0) return 0;   /* no scheme: a relative link opens a file beside the PDF */
    return scheme_is(url, n, "http") || scheme_is(url, n, "https") || scheme_is(url, n, "mailto") ||
           scheme_is(url, n, "tel");
}

/* A link of the body; its position is kept, for an error in the value a
 * placeholder fills in. */
static int add_link(P *p, const char *url, int line, int col) {
    const char **slot = MKL_PUSH(&p->links);
    if (!slot) return -1;
    *slot = mkl__arena_strndup(&p->doc->arena, url, strlen(url));
    struct mkl_srcpos *sp = *slot ? MKL_PUSH(&p->pos) : NULL;
    if (!sp) return -1;
    *sp = (struct mkl_srcpos){*slot, line, col, 0};
    return (int)p->links.n - 1;
}

/* Collect the inline content of `node` into r; `depth` inline elements are open around it. */
static void inlines(P *p, cmark_node *node, RichB *r, int style, int link, int depth) {
    if (depth > MAX_INLINE_DEPTH) { r->too_deep = 1; return; }
    for (cmark_node *c = cmark_node_first_child(node); c && !r->too_deep; c = cmark_node_next(c)) {
        const char *lit;
        switch (cmark_node_get_type(c)) {
        case CMARK_NODE_TEXT:
            lit = cmark_node_get_literal(c);
            if (lit) rich_add(r, lit, strlen(lit), style, link);
            break;
        case CMARK_NODE_HTML_INLINE: {
            lit = cmark_node_get_literal(c);
            if (!lit) break;
            int t = html_tag(lit, "span");
            char v[32];
            if (t == 1) {
                int has_lang = html_attr(lit, "lang", v, sizeof v);
                int lc = has_lang ? lang_code(v) : -1;
                if (has_lang && lc < 0 && !r->bad[0]) {   /* as <div lang=...>: never silently ignored */
                    r->bad_line = cmark_node_get_start_line(c) + p->body_line;
                    r->bad_col = char_col(p, r->bad_line, cmark_node_get_start_column(c));
                    snprintf(r->bad, sizeof r->bad, "lang=\"%s\": only 'en' and 'ko' are supported%s", v,
                             mkl__has_placeholder(v) ? " (a language cannot come from the data)" : "");
                }
                if (lc < 0 || r->nlangs == 16) r->ignored++; /* a span we do not act on: keep nesting right */
                else r->langs[r->nlangs++] = (uint8_t)lc;
            } else if (t == 2) {
                if (r->ignored) r->ignored--;
                else if (r->nlangs) r->nlangs--;
            } else if (html_tag(lit, "br")) {
                rich_add(r, "\n", 1, style, link);
            } else if (strncmp(lit, "<!--", 4)) {
                rich_add(r, lit, strlen(lit), style, link); /* other markup is set as written */
            }
            break;
        }
        case CMARK_NODE_CODE:
            lit = cmark_node_get_literal(c);
            if (lit) rich_add(r, lit, strlen(lit), style | MKL_STYLE_CODE, link);
            break;
        case CMARK_NODE_SOFTBREAK: rich_add(r, " ", 1, style, link); break;
        case CMARK_NODE_LINEBREAK: rich_add(r, "\n", 1, style, link); break;
        case CMARK_NODE_EMPH: inlines(p, c, r, style | MKL_STYLE_ITALIC, link, depth + 1); break;
        case CMARK_NODE_STRONG: inlines(p, c, r, style | MKL_STYLE_BOLD, link, depth + 1); break;
        case CMARK_NODE_LINK: {
            const char *url = cmark_node_get_url(c);
            int line = cmark_node_get_start_line(c) + p->body_line;
            int col = char_col(p, line, cmark_node_get_start_column(c));
            /* a value a placeholder fills in is checked once it is filled */
            if (url && *url && !mkl__has_placeholder(url) && !mkl__link_allowed(url) && !r->bad[0]) {
                snprintf(r->bad, sizeof r->bad, MKL_LINK_REFUSED, url);
                r->bad_line = line;
                r->bad_col = col;
            }
            int l = url && *url ? add_link(p, url, line, col) : link;
            if (url && *url && l < 0) r->text.oom = 1;
            inlines(p, c, r, style, l, depth + 1);
            break;
        }
        case CMARK_NODE_IMAGE: inlines(p, c, r, style, link, depth + 1); break; /* alt text */
        default: inlines(p, c, r, style, link, depth + 1); break;
        }
    }
}

typedef struct BodyB {
    MKL_VEC(mkl_block) blocks;
} BodyB;

static mkl_status finish_rich(P *p, RichB *r, mkl_rich *out) {
    if (r->text.oom) { mkl__buf_free(&r->text); mkl__free(r->runs.v); return oom(p); }
    /* trim trailing white space (a hard break at the end of a paragraph) */
    size_t len = r->text.n;
    while (len && (r->text.s[len - 1] == ' ' || r->text.s[len - 1] == '\n')) len--;
    out->text = mkl__arena_strndup(&p->doc->arena, r->text.s ? r->text.s : "", len);
    size_t nr = 0;
    for (size_t i = 0; i < r->runs.n; i++)
        if (r->runs.v[i].start < len) nr++;
    out->runs = mkl__arena_alloc(&p->doc->arena, (nr ? nr : 1) * sizeof *out->runs);
    mkl_status st = (out->text && out->runs) ? MKL_OK : oom(p);
    if (!st) {
        for (size_t i = 0; i < nr; i++) {
            out->runs[i] = r->runs.v[i];
            if (out->runs[i].end > len) out->runs[i].end = (uint32_t)len;
        }
        out->nruns = nr;
        out->len = len;
    }
    mkl__buf_free(&r->text);
    mkl__free(r->runs.v);
    return st;
}

static mkl_status add_block(P *p, BodyB *b, cmark_node *n, mkl_block_kind kind, int level, const char *marker,
                            int tight, int style) {
    RichB r = {0};
    if (cmark_node_get_type(n) == CMARK_NODE_CODE_BLOCK || cmark_node_get_type(n) == CMARK_NODE_HTML_BLOCK) {
        const char *lit = cmark_node_get_literal(n);
        int code = cmark_node_get_type(n) == CMARK_NODE_CODE_BLOCK ? MKL_STYLE_CODE : 0;
        if (lit) rich_add(&r, lit, strlen(lit), style | code, -1);
    } else {
        inlines(p, n, &r, style, -1, 0);
    }
    int line = cmark_node_get_start_line(n) + p->body_line;
    mkl_status lim = MKL_OK;
    if (r.too_deep)
        lim = mkl__err(p->e, MKL_ERR_LIMIT, p->name, line, 1,
                       "emphasis, links and spans are nested more than %d deep", MAX_INLINE_DEPTH);
    else if (r.bad[0])
        lim = mkl__err(p->e, MKL_ERR_INPUT, p->name, r.bad_line, r.bad_col, "%s", r.bad);
    else if (r.text.n > MAX_BLOCK_BYTES)
        lim = mkl__err(p->e, MKL_ERR_LIMIT, p->name, line, 1,
                       "this paragraph is %zu bytes long; a paragraph may be at most 2 MiB (%zu bytes)", r.text.n,
                       MAX_BLOCK_BYTES);
    if (lim) {
        mkl__buf_free(&r.text);
        mkl__free(r.runs.v);
        return lim;
    }
    mkl_block *blk = MKL_PUSH(&b->blocks);
    if (!blk) { mkl__buf_free(&r.text); mkl__free(r.runs.v); return oom(p); }
    blk->kind = kind;
    blk->level = level;
    blk->tight = tight;
    blk->lang = p->ndivs ? p->divs[p->ndivs - 1].lang : MKL_LANG_INHERIT;
    blk->syllable = p->ndivs ? p->divs[p->ndivs - 1].syllable : -1;
    blk->line = line;
    if (marker && !(blk->marker = mkl__arena_strndup(&p->doc->arena, marker, strlen(marker)))) {
        mkl__buf_free(&r.text);
        mkl__free(r.runs.v);
        return oom(p);
    }
    return finish_rich(p, &r, &blk->rich);
}

static mkl_status walk_node(P *p, BodyB *b, cmark_node *n, int level, int quote, int depth);

static mkl_status walk_children(P *p, BodyB *b, cmark_node *parent, int level, int quote, int depth) {
    mkl_status st = MKL_OK;
    for (cmark_node *n = cmark_node_first_child(parent); n && !st; n = cmark_node_next(n))
        st = walk_node(p, b, n, level, quote, depth);
    return st;
}

static int is_textblock(cmark_node_type t) {
    return t == CMARK_NODE_PARAGRAPH || t == CMARK_NODE_CODE_BLOCK || t == CMARK_NODE_HTML_BLOCK ||
           t == CMARK_NODE_HEADING;
}

static mkl_status walk_node(P *p, BodyB *b, cmark_node *n, int level, int quote, int depth) {
    mkl_status st = MKL_OK;
    if (depth > 32)
        return mkl__err(p->e, MKL_ERR_LIMIT, p->name, cmark_node_get_start_line(n) + p->body_line,
                        cmark_node_get_start_column(n), "the body nests lists or quotes more than 32 deep");
    int qstyle = quote ? MKL_STYLE_ITALIC : 0;
    switch (cmark_node_get_type(n)) {
    case CMARK_NODE_HTML_BLOCK: {
        const char *lit = cmark_node_get_literal(n);
        if (!lit || !strncmp(lit, "<!--", 4)) return MKL_OK; /* comments are not set */
        int t = html_tag(lit, "div");
        if (t == 1) {
            /* <div lang="en" hangul-breaks="syllable">: applies to the blocks up to </div> */
            char v[32];
            int lang = p->ndivs ? p->divs[p->ndivs - 1].lang : MKL_LANG_INHERIT;
            int syl = p->ndivs ? p->divs[p->ndivs - 1].syllable : -1;
            int line = cmark_node_get_start_line(n) + p->body_line;
            if (html_attr(lit, "lang", v, sizeof v) && (lang = lang_code(v)) < 0)
                return mkl__err(p->e, MKL_ERR_INPUT, p->name, line, 1, "lang=\"%s\": only 'en' and 'ko' are supported", v);
            if (html_attr(lit, "hangul-breaks", v, sizeof v)) {
                if (!strcmp(v, "syllable")) syl = MKL_HANGUL_SYLLABLE;
                else if (!strcmp(v, "word")) syl = MKL_HANGUL_WORD;
                else if (!strcmp(v, "auto")) syl = MKL_HANGUL_AUTO;
                else return mkl__err(p->e, MKL_ERR_INPUT, p->name, line, 1,
                                     "hangul-breaks=\"%s\": must be 'auto', 'word' or 'syllable'", v);
            }
            if (p->ndivs == 16) return mkl__err(p->e, MKL_ERR_LIMIT, p->name, line, 1, "more than 16 nested <div> blocks");
            p->divs[p->ndivs].lang = lang;
            p->divs[p->ndivs++].syllable = syl;
            return MKL_OK;
        }
        if (t == 2) {
            if (p->ndivs) p->ndivs--;
            return MKL_OK;
        }
        return add_block(p, b, n, quote ? MKL_BLOCK_QUOTE : MKL_BLOCK_PARA, level, NULL, 0, qstyle);
    }
    case CMARK_NODE_PARAGRAPH:
    case CMARK_NODE_CODE_BLOCK:
        return add_block(p, b, n, quote ? MKL_BLOCK_QUOTE : MKL_BLOCK_PARA, level, NULL, 0, qstyle);
    case CMARK_NODE_HEADING:
        return add_block(p, b, n, MKL_BLOCK_HEADING, cmark_node_get_heading_level(n), NULL, 0, MKL_STYLE_BOLD);
    case CMARK_NODE_BLOCK_QUOTE: return walk_children(p, b, n, level, 1, depth + 1);
    case CMARK_NODE_LIST: {
        int ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
        int num = cmark_node_get_list_start(n);
        int tight = cmark_node_get_list_tight(n);
        for (cmark_node *item = cmark_node_first_child(n); item && !st; item = cmark_node_next(item), num++) {
            char marker[32];
            if (ordered)
                snprintf(marker, sizeof marker, "%d%c", num, cmark_node_get_list_delim(n) == CMARK_PAREN_DELIM ? ')' : '.');
            else
                snprintf(marker, sizeof marker, "%s", level % 2 ? "\xE2\x80\x93" : "\xE2\x80\xA2"); /* – or • */
            int first = 1;
            for (cmark_node *c = cmark_node_first_child(item); c && !st; c = cmark_node_next(c)) {
                if (is_textblock(cmark_node_get_type(c)))
                    st = add_block(p, b, c, MKL_BLOCK_ITEM, level + 1, first ? marker : NULL, tight, qstyle);
                else
                    st = walk_node(p, b, c, level + 1, quote, depth + 1);
                first = 0;
            }
        }
        return st;
    }
    default: return MKL_OK; /* thematic breaks and the like are not letter content */
    }
}

/* ---- the whole file ------------------------------------------------------ */

/* Find the front matter: the text must start with a line "---"; it ends at the
 * next line "---" or "...". Returns 0 if there is no closing line. */
static int split_front(const char *t, size_t len, size_t *fm_start, size_t *fm_end, size_t *body, int *body_line) {
    size_t i = 0;
    if (len >= 3 && !memcmp(t, "\xEF\xBB\xBF", 3)) i = 3;
    if (len - i < 3 || memcmp(t + i, "---", 3)) return -1;
    i += 3;
    while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r')) i++;
    if (i < len && t[i] != '\n') return -1;
    i++;
    *fm_start = i;
    int line = 2;
    while (i <= len) {
        size_t e = i;
        while (e < len && t[e] != '\n') e++;
        size_t le = e;
        while (le > i && (t[le - 1] == ' ' || t[le - 1] == '\t' || t[le - 1] == '\r')) le--;
        if ((le - i == 3) && (!memcmp(t + i, "---", 3) || !memcmp(t + i, "...", 3))) {
            *fm_end = i;
            *body = e < len ? e + 1 : len;
            *body_line = line;
            return 1;
        }
        if (e >= len) break;
        i = e + 1;
        line++;
    }
    return 0;
}

static void utf8_pos(const char *t, size_t off, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (t[i] == '\n') { (*line)++; *col = 1; }
        else if (((unsigned char)t[i] & 0xC0) != 0x80) (*col)++;
    }
}

/* Refuse a line longer than MAX_LINE_BYTES. */
static mkl_status check_lines(const char *t, size_t len, const char *name, mkl_error *e) {
    int line = 1;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(t + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - t) : len;
        if (end - i > MAX_LINE_BYTES)
            return mkl__err(e, MKL_ERR_LIMIT, name, line, 1,
                            "line %d is %zu bytes long; a line may be at most 1 MiB (%zu bytes)", line, end - i,
                            MAX_LINE_BYTES);
        i = end + 1;
        line++;
    }
    return MKL_OK;
}

/* Before libyaml's loader sees the front matter: its scanner takes time
 * quadratic in the nesting depth and its loader looks anchors up linearly, so
 * tokens are counted here first (the scan stops at the first token over a
 * limit, so it stays linear). Syntax errors are left to the loader, which
 * reports them with their context. */
static mkl_status prescan_front(const char *t, size_t fs, size_t fe, int first_line, const char *name, mkl_error *e) {
    yaml_parser_t ps;
    if (!yaml_parser_initialize(&ps)) return mkl__err(e, MKL_ERR_NOMEM, name, 0, 0, "out of memory");
    yaml_parser_set_input_string(&ps, (const unsigned char *)t + fs, fe - fs);
    yaml_parser_set_encoding(&ps, YAML_UTF8_ENCODING);
    int flow = 0, block = 0, anchors = 0, aliases = 0;
    mkl_status st = MKL_OK;
    for (;;) {
        yaml_token_t tok;
        if (!yaml_parser_scan(&ps, &tok)) {
            if (ps.error == YAML_MEMORY_ERROR) st = mkl__err(e, MKL_ERR_NOMEM, name, 0, 0, "out of memory");
            break;
        }
        /* the front matter starts on line 2 of the letter, a style on line 1 */
        int line = (int)tok.start_mark.line + first_line, col = (int)tok.start_mark.column + 1;
        const char *an = NULL;
        switch (tok.type) {
        case YAML_FLOW_SEQUENCE_START_TOKEN:
        case YAML_FLOW_MAPPING_START_TOKEN:
            if (++flow > MAX_YAML_NESTING)
                st = mkl__err(e, MKL_ERR_LIMIT, name, line, col,
                              "the front matter nests '[' and '{' more than %d deep", MAX_YAML_NESTING);
            break;
        case YAML_FLOW_SEQUENCE_END_TOKEN:
        case YAML_FLOW_MAPPING_END_TOKEN: flow--; break;
        case YAML_BLOCK_SEQUENCE_START_TOKEN:
        case YAML_BLOCK_MAPPING_START_TOKEN:
            if (++block > MAX_YAML_NESTING)
                st = mkl__err(e, MKL_ERR_LIMIT, name, line, col,
                              "the front matter nests lists and mappings more than %d levels deep", MAX_YAML_NESTING);
            break;
        case YAML_BLOCK_END_TOKEN: block--; break;
        case YAML_ANCHOR_TOKEN:
            an = (const char *)tok.data.anchor.value;
            if (++anchors > MAX_ANCHORS)
                st = mkl__err(e, MKL_ERR_LIMIT, name, line, col, "the front matter has more than %d anchors (&name)",
                              MAX_ANCHORS);
            break;
        case YAML_ALIAS_TOKEN:
            an = (const char *)tok.data.alias.value;
            if (++aliases > MAX_ALIASES)
                st = mkl__err(e, MKL_ERR_LIMIT, name, line, col, "the front matter has more than %d aliases (*name)",
                              MAX_ALIASES);
            break;
        default: break;
        }
        if (!st && an && strlen(an) > MAX_ANCHOR_NAME)
            st = mkl__err(e, MKL_ERR_LIMIT, name, line, col, "an anchor or alias name is longer than %d bytes",
                          MAX_ANCHOR_NAME);
        int end = tok.type == YAML_STREAM_END_TOKEN;
        yaml_token_delete(&tok);
        if (st || end) break;
    }
    yaml_parser_delete(&ps);
    return st;
}

/* cmark 0.30.2 takes time proportional to (image openers '![') x (link ends ']')
 * in a paragraph (fixed in cmark 0.30.3); refuse a body where that product is
 * huge, counted over the whole body. */
static mkl_status check_image_brackets(const char *t, size_t bs, size_t len, const char *name, mkl_error *e) {
    size_t opens = 0, closes = 0, first = 0;
    for (size_t i = bs; i < len; i++) {
        if (t[i] == ']') closes++;
        else if (t[i] == '!' && i + 1 < len && t[i + 1] == '[') {
            if (!opens++) first = i;
        }
    }
    if ((double)opens * (double)closes <= MAX_IMAGE_BRACKETS) return MKL_OK;
    int l, c;
    utf8_pos(t, first, &l, &c);
    return mkl__err(e, MKL_ERR_LIMIT, name, l, c,
                    "the body has %zu image openers '![' and %zu ']': more than %.0f pairs of them take too long to parse",
                    opens, closes, MAX_IMAGE_BRACKETS);
}

static mkl_status parse_text(const char *text, size_t len, const char *name, const char *base_dir,
                             const mkl_parse_opts *opts, mkl_doc **out, mkl_error *e);

mkl_status mkl__parse_letter(const char *text, size_t len, const char *name, const char *base_dir, mkl_doc **out,
                             mkl_error *e) {
    return mkl__parse_letter_opts(text, len, name, base_dir, NULL, out, e);
}

mkl_status mkl__parse_letter_opts(const char *text, size_t len, const char *name, const char *base_dir,
                                  const mkl_parse_opts *opts, mkl_doc **out, mkl_error *e) {
    *out = NULL;
    if (!name) name = "<letter>";
    /* a file with CR line ends only (classic Mac OS) is read as if they were
     * LF; CR LF needs nothing (YAML and cmark take it as one line end) */
    if (len <= MAX_LETTER_BYTES && len && !memchr(text, '\n', len) && memchr(text, '\r', len)) {
        char *lf = mkl__malloc(len);
        if (!lf) return mkl__err(e, MKL_ERR_NOMEM, name, 0, 0, "out of memory reading the letter");
        for (size_t i = 0; i < len; i++) lf[i] = text[i] == '\r' ? '\n' : text[i];
        mkl_status st = parse_text(lf, len, name, base_dir, opts, out, e);
        mkl__free(lf);
        return st;
    }
    return parse_text(text, len, name, base_dir, opts, out, e);
}

mkl_status mkl__text_check(const char *text, size_t len, const char *name, const char *what, mkl_error *e) {
    if (len > MAX_LETTER_BYTES)
        return mkl__err(e, MKL_ERR_LIMIT, name, 1, 1, "the %s is %zu bytes (%.1f MiB); a %s may be at most 64 MiB (%zu bytes)",
                        what, len, (double)len / (1 << 20), what, MAX_LETTER_BYTES);
    mkl_status lst = check_lines(text, len, name, e);
    if (lst) return lst;
    size_t bad = mkl__utf8_invalid(text, len);
    if (bad != (size_t)-1) {
        int l, c;
        utf8_pos(text, bad, &l, &c);
        return mkl__err(e, MKL_ERR_INPUT, name, l, c, "invalid UTF-8 (byte 0x%02X); the %s must be UTF-8 text",
                        (unsigned char)text[bad], what);
    }
    if (memchr(text, 0, len)) {
        int l, c;
        utf8_pos(text, (size_t)((const char *)memchr(text, 0, len) - text), &l, &c);
        return mkl__err(e, MKL_ERR_INPUT, name, l, c, "NUL byte in the %s; the %s must be text", what, what);
    }
    return MKL_OK;
}

mkl_status mkl__yaml_load(const char *text, size_t start, size_t end, int first_line, const char *name,
                          yaml_document_t *out, mkl_error *e) {
    mkl_status st = prescan_front(text, start, end, first_line, name, e);
    if (st) return st;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return mkl__err(e, MKL_ERR_NOMEM, name, 0, 0, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text + start, end - start);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    if (!yaml_parser_load(&parser, out)) {
        /* point at the construct that is broken (an unclosed quote starts there),
         * and say where libyaml noticed it */
        int pl = (int)parser.problem_mark.line + first_line, pc = (int)parser.problem_mark.column + 1;
        int l = pl, c = pc;
        if (parser.context && parser.context_mark.line + (size_t)first_line <= (size_t)pl) {
            l = (int)parser.context_mark.line + first_line;
            c = (int)parser.context_mark.column + 1;
        }
        if (parser.error == YAML_MEMORY_ERROR) st = mkl__err(e, MKL_ERR_NOMEM, name, 0, 0, "out of memory");
        else if (l != pl || c != pc)
            st = mkl__err(e, MKL_ERR_INPUT, name, l, c, "YAML: %s: %s at line %d, column %d", parser.context,
                          parser.problem ? parser.problem : "syntax error", pl, pc);
        else
            st = mkl__err(e, MKL_ERR_INPUT, name, l, c, "YAML: %s%s%s", parser.problem ? parser.problem : "syntax error",
                          parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return st;
    }
    yaml_parser_delete(&parser);
    /* libyaml counts lines from 0 at the start of the text given */
    for (yaml_node_t *n = out->nodes.start; n < out->nodes.top; n++) n->start_mark.line += (size_t)first_line - 1;
    return MKL_OK;
}

static mkl_status parse_text(const char *text, size_t len, const char *name, const char *base_dir,
                             const mkl_parse_opts *opts, mkl_doc **out, mkl_error *e) {
    mkl_status lst = mkl__text_check(text, len, name, "letter", e);
    if (lst) return lst;
    size_t fs, fe, bs;
    int body_line;
    int r = split_front(text, len, &fs, &fe, &bs, &body_line);
    if (r < 0) return mkl__err(e, MKL_ERR_INPUT, name, 1, 1, "the letter must start with a '---' line that opens the front matter");
    if (r == 0) return mkl__err(e, MKL_ERR_INPUT, name, 1, 1, "the front matter opened here is never closed by a '---' line");
    if ((lst = check_image_brackets(text, bs, len, name, e))) return lst;

    mkl_doc *doc = mkl__calloc(1, sizeof *doc);
    if (!doc) return mkl__err(e, MKL_ERR_NOMEM, name, 0, 0, "out of memory");
    P p = {.doc = doc, .e = e, .name = name, .body_line = body_line, .max_read_bytes = 2 * (fe - fs) + ((size_t)1 << 20)};
    mkl_status st = MKL_OK;
    doc->lang = "en";
    doc->font_size = 11;
    doc->syllable = MKL_HANGUL_AUTO;
    doc->srclen = len;
    if (!(doc->file = mkl__arena_strndup(&doc->arena, name, strlen(name))) ||
        !(doc->src = mkl__arena_strndup(&doc->arena, text, len)) ||
        !(doc->base_dir = mkl__arena_strndup(&doc->arena, base_dir ? base_dir : "", base_dir ? strlen(base_dir) : 0))) {
        mkl__doc_free(doc);
        return oom(&p);
    }

    p.files[0].src = doc->src;
    p.files[0].len = len;

    /* front matter, with the house styles it names merged under it */
    yaml_document_t ydoc;
    if ((st = mkl__yaml_load(text, fs, fe, 2, name, &ydoc, e))) {
        mkl__doc_free(doc);
        return st;
    }
    yaml_node_t *root = yaml_document_get_root_node(&ydoc);
    mkl_styled styled;
    memset(&styled, 0, sizeof styled);
    int merged = 0;
    int empty = !root || (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0);
    if ((root && root->type == YAML_MAPPING_NODE) || (opts && opts->style && empty))
        st = mkl__style_apply(doc, &ydoc, opts, &styled, &merged, e);
    if (!st && merged) {
        p.origin = styled.origin;
        p.norigin = styled.norigin;
        p.max_read_bytes += 2 * styled.text_bytes;
        for (size_t k = 0; k < doc->nstyles && k < MKL_STYLE_CHAIN_MAX; k++) {
            p.files[k + 1].src = doc->styles[k].text;
            p.files[k + 1].len = doc->styles[k].textlen;
        }
        p.ydoc = &styled.ydoc;
        root = yaml_document_get_root_node(&styled.ydoc);
    } else {
        p.ydoc = &ydoc;
    }
    if (!st && root && !(root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)) st = parse_front(&p, root);
    if (merged) mkl__styled_free(&styled);
    for (size_t k = 0; k < doc->nstyles; k++) doc->styles[k].text = NULL;   /* the arena keeps it; nothing reads it */
    yaml_document_delete(&ydoc);
    p.ydoc = NULL;

    /* body */
    if (!st) {
        cmark_node *body = cmark_parse_document(text + bs, len - bs, CMARK_OPT_SMART);
        if (!body) st = oom(&p);
        else {
            BodyB b = {0};
            st = walk_children(&p, &b, body, 0, 0, 0);
            cmark_node_free(body);
            if (!st) {
                doc->blocks = mkl__arena_alloc(&doc->arena, (b.blocks.n ? b.blocks.n : 1) * sizeof *doc->blocks);
                if (!doc->blocks) st = oom(&p);
                else {
                    if (b.blocks.n) memcpy(doc->blocks, b.blocks.v, b.blocks.n * sizeof *doc->blocks);
                    doc->nblocks = b.blocks.n;
                }
            }
            mkl__free(b.blocks.v);
        }
    }
    if (!st) {
        doc->links = mkl__arena_alloc(&doc->arena, (p.links.n ? p.links.n : 1) * sizeof *doc->links);
        if (!doc->links) st = oom(&p);
        else {
            if (p.links.n) memcpy(doc->links, p.links.v, p.links.n * sizeof *doc->links);
            doc->nlinks = p.links.n;
        }
    }
    mkl__free(p.links.v);
    if (!st) {
        doc->pos = mkl__arena_alloc(&doc->arena, (p.pos.n ? p.pos.n : 1) * sizeof *doc->pos);
        if (!doc->pos) st = oom(&p);
        else {
            if (p.pos.n) memcpy(doc->pos, p.pos.v, p.pos.n * sizeof *doc->pos);
            doc->npos = p.pos.n;
            mkl__doc_index_pos(doc);
        }
    }
    mkl__free(p.pos.v);
    mkl__free(p.seen);
    for (size_t k = 0; k <= MKL_STYLE_CHAIN_MAX; k++) mkl__free(p.files[k].line_start.v);
    if (st) {
        mkl__doc_free(doc);
        return st;
    }
    *out = doc;
    return MKL_OK;
}

static int pos_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const struct mkl_srcpos *)a)->s, y = (uintptr_t)((const struct mkl_srcpos *)b)->s;
    return (x > y) - (x < y);
}

void mkl__doc_index_pos(mkl_doc *doc) {
    if (doc->npos > 1) qsort(doc->pos, doc->npos, sizeof *doc->pos, pos_cmp);
}

int mkl__doc_pos(const mkl_doc *doc, const char *s, int *line, int *col) {
    /* the table is sorted by address (mkl__doc_index_pos): a letter with tens
     * of thousands of signatories looks each one up */
    struct mkl_srcpos key = {s, 0, 0, 0};
    const struct mkl_srcpos *p = doc->npos ? bsearch(&key, doc->pos, doc->npos, sizeof *doc->pos, pos_cmp) : NULL;
    if (!p) return 0;
    *line = p->line;
    *col = p->col;
    return 1;
}

const struct mkl_srcpos *mkl__doc_srcpos(const mkl_doc *doc, const char *s) {
    struct mkl_srcpos key = {s, 0, 0, 0};
    return doc->npos ? bsearch(&key, doc->pos, doc->npos, sizeof *doc->pos, pos_cmp) : NULL;
}

const char *mkl__doc_file_of(const mkl_doc *doc, const char *s) {
    const struct mkl_srcpos *p = mkl__doc_srcpos(doc, s);
    if (p && p->origin > 0 && (size_t)p->origin <= doc->nstyles) return doc->styles[p->origin - 1].file;
    return doc->file;
}

int mkl__doc_lang(const mkl_doc *doc) { return doc->lang && !strcmp(doc->lang, "ko") ? MKL_LANG_KO : MKL_LANG_EN; }

void mkl__doc_free(mkl_doc *doc) {
    if (!doc) return;
    mkl__arena_free(&doc->arena);
    mkl__free(doc);
}
