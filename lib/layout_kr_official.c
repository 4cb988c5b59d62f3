/* layout_kr_official.c - the Korean official document (공문서, layout:
 * kr-official), in the form of 「행정업무의 운영 및 혁신에 관한 규정」 and its
 * 시행규칙 (별지 제1호서식, the 시행문):
 *
 *   두문  the slogan and 발신기관명 (centred, larger), 수신 (참조 in
 *         parentheses after it), (경유), 제목 (larger)
 *   본문  the body, its list items numbered by depth 1. 가. 1) 가) (1) (가)
 *         ① ㉮, each level 2타 (one Hangul character) further in, wrapped
 *         lines hanging under the item's text; 붙임 from `enclosures`; "끝."
 *         2타 after the last text, or on the next line 2타 from the left
 *         edge when the text reaches the right edge
 *   결문  발신명의 (centred, larger, the 직인 seal over its last character),
 *         and at the foot of the last page the approval line (기안자 ·
 *         검토자 · 결재권자, with signature images), 협조자, 시행 and 접수,
 *         우편번호 and address / 홈페이지, 전화 · 전송 / 전자우편 / 공개 구분
 *
 * On A4 with margins top 30, bottom 15, left 20, right 15 mm. A document of
 * more than one page carries "전체 쪽수-쪽 번호" (2-1, 2-2) centred at the
 * foot of each page: 영 제19조 asks that the order of the pages and their
 * number be seen (a missing page shows), and this form shows both in the
 * least room. The 결문 stays on the last page with at least two lines of the
 * body. See layout_internal.h. */
#include "layout_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define MM (72.0 / 25.4)
#define SEAL_MAX (24 * MM)         /* a 직인 is drawn at most this wide and high */

/* ---- item labels ---------------------------------------------------------- */

static const char *const GANADA[] = {"가", "나", "다", "라", "마", "바", "사", "아", "자", "차", "카", "타", "파", "하",
                                     "거", "너", "더", "러", "머", "버", "서", "어", "저", "처", "커", "터", "퍼", "허"};
#define NGANADA (sizeof GANADA / sizeof *GANADA)

/* The label of item `num` (from 1) at list depth `depth` (from 1): 1. 가.
 * 1) 가) (1) (가) ① ㉮, the eighth form for any depth past it. */
void mkl__kr_item_label(int depth, int num, char *out, size_t n) {
    if (num < 1) num = 1;
    const char *h = (size_t)num <= NGANADA ? GANADA[num - 1] : NULL;
    char cp[8];
    switch (depth <= 1 ? 1 : depth >= 8 ? 8 : depth) {
    case 1: snprintf(out, n, "%d.", num); break;
    case 2: h ? snprintf(out, n, "%s.", h) : snprintf(out, n, "%d.", num); break;
    case 3: snprintf(out, n, "%d)", num); break;
    case 4: h ? snprintf(out, n, "%s)", h) : snprintf(out, n, "%d)", num); break;
    case 5: snprintf(out, n, "(%d)", num); break;
    case 6: h ? snprintf(out, n, "(%s)", h) : snprintf(out, n, "(%d)", num); break;
    case 7: {
        /* ① - ⑳ U+2460, ㉑ - ㉟ U+3251, ㊱ - ㊿ U+32B1 */
        uint32_t u = num <= 20 ? 0x2460 + (uint32_t)num - 1 : num <= 35 ? 0x3251 + (uint32_t)num - 21
                   : num <= 50 ? 0x32B1 + (uint32_t)num - 36 : 0;
        if (!u) { snprintf(out, n, "(%d)", num); break; }
        cp[mkl__utf8_put(cp, u)] = 0;
        snprintf(out, n, "%s", cp);
        break;
    }
    default:
        /* ㉮ - ㉻ U+326E: the circled 가 to 하 */
        if (num > 14) { h ? snprintf(out, n, "(%s)", h) : snprintf(out, n, "(%d)", num); break; }
        cp[mkl__utf8_put(cp, 0x326E + (uint32_t)num - 1)] = 0;
        snprintf(out, n, "%s", cp);
        break;
    }
}

/* ---- the body as paragraphs placed later ----------------------------------- */

/* A paragraph of the 본문 (or 붙임, or the "끝." line): its lines are given
 * pages and baselines by paginate(), then emitted. */
typedef struct KPar {
    Par p;
    double x;           /* where its lines start */
    double space;       /* before it, unless at the top of a page */
    Par label;          /* an item label or "붙임", hung at label_x on the first line; lines.n 0 if none */
    double label_x;
    int has_label;
    size_t first;       /* index of its first line in the whole body */
} KPar;

typedef struct Kr {
    Composer *c;
    MKL_VEC(KPar) pars;
    size_t nlines;      /* lines of the whole body */
    int *page;          /* per line: page index, baseline */
    double *base;
    int npages;
    double body_top;    /* the first baseline on page 1 (after the 두문) and on later pages */
    double cont_top;
    double bottom;      /* the lowest baseline of body text on a page */
    double end_mark_x;  /* "끝." on the last body line at this x, or < 0 when it is a line of its own */
    Par end_mark;
} Kr;

static mkl_status kr_oom(Kr *k) { return mkl__lay_oom(k->c); }

/* A paragraph of one plain string, every line `w` wide from the same x (no
 * hanging indent: par_plain's is for addresses). */
static mkl_status plain(Composer *c, Par *p, mkl_fontset *fs, const char *text, double size, double lead, int style,
                        double w, int align, const float *rgb) {
    mkl_status st = mkl__par_plain(c, p, fs, text, size, lead, style, w, align, rgb);
    if (st) return st;
    p->w = p->w1 = w;
    p->indent = 0;
    return mkl__break_lines(&p->s, w, w, align == AL_JUSTIFY, &p->lines, c->e);
}

static double par_width(const Par *p) {
    double w = 0;
    for (size_t i = 0; i < p->lines.n; i++) w = MKL_MAX(w, p->lines.v[i].width);
    return w;
}

/* An image of the form (the organisation's mark, the 직인, an approver's
 * signature) as a Figure with its alternative text, inside what is open. */
static mkl_status figure(Composer *c, const mkl_image *img, double x, double y, double w, double h, const char *alt) {
    mkl_tag saved;
    mkl_status st = mkl__tag_open(c, MKL_S_FIGURE, MKL_LANG_INHERIT, &saved);
    if (!st) st = mkl__tag_alt(c, alt);
    if (!st) st = mkl__add_image(c, img, x, y, w, h);
    mkl__tag_close(c, saved);
    return st;
}

static KPar *kr_push(Kr *k) {
    KPar *kp = MKL_PUSH(&k->pars);
    return kp;
}

/* Item labels: the number of the item at each depth so far. */
static mkl_status add_body(Kr *k) {
    Composer *c = k->c;
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    double em = c->size, half = 0.5 * c->size;
    double text_x[34] = {0};   /* where the text of the last item at each depth starts */
    for (size_t i = 0; i < d->nblocks && !st; i++) {
        const mkl_block *b = &d->blocks[i];
        int level = b->kind == MKL_BLOCK_HEADING ? 0 : MKL_MIN(b->level, 32);
        /* the lines of a 공문's body follow each other: no blank line between
         * items or paragraphs (a heading keeps one before it) */
        double x = c->margin_left, right = 0, space = b->kind == MKL_BLOCK_HEADING ? c->lead : 0;
        int style = b->kind == MKL_BLOCK_HEADING ? MKL_STYLE_BOLD : 0;
        if (b->kind == MKL_BLOCK_QUOTE) { x += 2 * em; right = 2 * em; }
        else if (level > 0) x = text_x[level] ? text_x[level] : c->margin_left + (level - 1) * em;
        KPar *kp = kr_push(k);
        if (!kp) return kr_oom(k);
        memset(kp, 0, sizeof *kp);
        if (b->kind == MKL_BLOCK_ITEM && b->marker) {
            /* the label 2타 further in at each depth; the text 1타 after it */
            char lab[32];
            const char *m = b->marker;
            if (m[0] >= '0' && m[0] <= '9') mkl__kr_item_label(level, atoi(m), lab, sizeof lab);
            else snprintf(lab, sizeof lab, "%s", m);
            double lx = c->margin_left + (level - 1) * em;
            if ((st = plain(c, &kp->label, &c->body, lab, c->size, c->lead, 0, c->text_width, AL_LEFT, BLACK))) break;
            kp->has_label = 1;
            kp->label_x = lx;
            x = lx + par_width(&kp->label) + half;
            text_x[level] = x;
            for (int l = level + 1; l < 34; l++) text_x[l] = 0;
        } else if (level == 0) {
            for (int l = 0; l < 34; l++) text_x[l] = 0;
        }
        double w = c->margin_left + c->text_width - right - x;
        int lang = b->lang ? b->lang : mkl__doc_lang(d);
        c->lang = lang == MKL_LANG_KO ? "ko" : "en";
        int hangul = b->syllable >= 0 ? b->syllable : d->syllable;
        c->keep_all = hangul == MKL_HANGUL_SYLLABLE ? MKL_KEEP_NONE : hangul == MKL_HANGUL_WORD ? MKL_KEEP_ALL : MKL_KEEP_AUTO;
        st = mkl__par_make(c, &kp->p, &c->body, &b->rich, c->size, c->lead, style, w, w, 0,
                           b->kind == MKL_BLOCK_HEADING ? AL_LEFT : AL_JUSTIFY, BLACK, b->line);
        c->lang = "ko";
        c->keep_all = 1;
        kp->x = x;
        kp->space = space;
    }
    return st;
}

/* 붙임  1. 제목 1부.
 *       2. 제목 1부.   (one enclosure: no number) */
static mkl_status add_enclosures(Kr *k) {
    Composer *c = k->c;
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    if (!d->enclosures.n) return MKL_OK;
    Par head = {0};
    if ((st = plain(c, &head, &c->body, "붙임", c->size, c->lead, 0, c->text_width, AL_LEFT, BLACK))) return st;
    double items_x = c->margin_left + par_width(&head) + c->size;   /* 2타 after 붙임 */
    for (size_t i = 0; i < d->enclosures.n && !st; i++) {
        KPar *kp = kr_push(k);
        if (!kp) { st = kr_oom(k); break; }
        memset(kp, 0, sizeof *kp);
        kp->space = i == 0 ? c->lead : 0;
        double x = items_x;
        if (i == 0) {
            kp->label = head;
            memset(&head, 0, sizeof head);
            kp->has_label = 1;
            kp->label_x = c->margin_left;
        }
        if (d->enclosures.n > 1) {
            /* the number stands in front of the text; wrapped lines hang under the text */
            char num[32];
            snprintf(num, sizeof num, "%zu.", i + 1);
            Par np = {0};
            if ((st = plain(c, &np, &c->body, num, c->size, c->lead, 0, c->text_width, AL_LEFT, BLACK))) {
                mkl__par_free(&np);
                break;
            }
            double nw = par_width(&np);
            mkl__par_free(&np);
            /* one label a paragraph: the number joins 붙임's line as text of its own */
            mkl_buf b = {0};
            mkl__buf_printf(&b, "%s %s", num, d->enclosures.v[i]);
            if (b.oom) { st = kr_oom(k); break; }
            if (!mkl__doc_pos(d, d->enclosures.v[i], &c->src_line, &c->src_col)) c->src_line = c->src_col = 0;
            c->src_file = mkl__doc_file_of(d, d->enclosures.v[i]);
            double w = c->margin_left + c->text_width - x;
            mkl_srun run = {0, (uint32_t)b.n, 0, -1, 0};
            mkl_rich r = {b.s, b.n, &run, 1};
            double hang = nw + 0.5 * c->size;
            st = mkl__par_make(c, &kp->p, &c->body, &r, c->size, c->lead, 0, w, w - hang, hang, AL_LEFT, BLACK, 0);
            if (!st) kp->p.own = b.s;
            else mkl__buf_free(&b);
        } else {
            st = plain(c, &kp->p, &c->body, d->enclosures.v[i], c->size, c->lead, 0,
                       c->margin_left + c->text_width - x, AL_LEFT, BLACK);
        }
        kp->x = x;
    }
    mkl__par_free(&head);
    return st;
}

/* "끝." 2타 after the last text; on a line of its own, 2타 from the left edge,
 * when it does not fit there. */
static mkl_status add_end_mark(Kr *k) {
    Composer *c = k->c;
    mkl_status st = plain(c, &k->end_mark, &c->body, "끝.", c->size, c->lead, 0, c->text_width, AL_LEFT, BLACK);
    if (st) return st;
    double gap = c->size, mw = par_width(&k->end_mark);
    k->end_mark_x = -1;
    for (size_t i = k->pars.n; i-- > 0;) {
        KPar *kp = &k->pars.v[i];
        if (!kp->p.lines.n) continue;
        const mkl_line *ln = &kp->p.lines.v[kp->p.lines.n - 1];
        double end = kp->x + (kp->p.lines.n > 1 ? kp->p.indent : 0) + ln->width;
        if (end + gap + mw <= c->margin_left + c->text_width + 1e-6) {
            k->end_mark_x = end + gap;
            return MKL_OK;
        }
        break;
    }
    /* a line of its own */
    KPar *kp = kr_push(k);
    if (!kp) return kr_oom(k);
    memset(kp, 0, sizeof *kp);
    kp->p = k->end_mark;
    memset(&k->end_mark, 0, sizeof k->end_mark);
    kp->x = c->margin_left + gap;
    kp->space = 0;
    return MKL_OK;
}

/* Give each body line a page and a baseline: no orphan, no widow, and a page
 * break before line `force` (SIZE_MAX: none). */
static mkl_status paginate(Kr *k, size_t force) {
    Composer *c = k->c;
    int page = 0;
    double y = k->body_top - c->lead;   /* the first line's baseline is body_top */
    int at_top = 1;
    size_t g = 0;
    for (size_t i = 0; i < k->pars.n; i++) {
        KPar *kp = &k->pars.v[i];
        size_t n = kp->p.lines.n, placed = 0;
        kp->first = g;
        if (!n) continue;
        if (!at_top) y += kp->space;
        while (placed < n) {
            if (g + placed == force && !at_top) {
                page++;
                y = k->cont_top - c->lead;
                at_top = 1;
            }
            double room = k->bottom - y;
            size_t fit = room < c->lead - 1e-6 ? 0 : (size_t)floor((room + 1e-6) / c->lead);
            size_t rest = n - placed, take = fit >= rest ? rest : fit;
            if (force > g + placed && force < g + n && take > force - (g + placed)) take = force - (g + placed);
            if (take < rest) {
                if (placed == 0 && take < 2 && !(force == g + 1 && take == 1)) take = 0;  /* orphan */
                else if (rest - take == 1 && take >= 2) take--;                          /* widow */
                if (take == 0 && at_top) take = MKL_MAX(fit, 1);
            }
            for (size_t t = 0; t < take; t++, placed++) {
                y += c->lead;
                k->page[g + placed] = page;
                k->base[g + placed] = y;
                at_top = 0;
            }
            if (placed < n) {
                page++;
                y = k->cont_top - c->lead;
                at_top = 1;
            }
        }
        g += n;
    }
    k->npages = page + 1;
    return MKL_OK;
}

/* ---- the 결문 --------------------------------------------------------------- */

typedef struct Foot {
    MKL_VEC(Par) rows;      /* the rows at the foot of the last page, top to bottom */
    MKL_VEC(double) row_x;
    MKL_VEC(int) row_new;   /* 1: the row starts a new line (else: beside the previous) */
    double height;          /* from the rule above the first row to the last baseline */
    double small, lead;
} Foot;

static void foot_free(Foot *f) {
    for (size_t i = 0; i < f->rows.n; i++) mkl__par_free(&f->rows.v[i]);
    mkl__free(f->rows.v);
    mkl__free(f->row_x.v);
    mkl__free(f->row_new.v);
}

/* Add a piece of a row at x; a new line when `newline`. */
static mkl_status foot_add(Composer *c, Foot *f, const char *text, double x, double w, int newline, int style) {
    Par *p = MKL_PUSH(&f->rows);
    double *px = MKL_PUSH(&f->row_x);
    int *pn = MKL_PUSH(&f->row_new);
    if (!p || !px || !pn) return mkl__lay_oom(c);
    memset(p, 0, sizeof *p);
    *px = x;
    *pn = newline;
    return plain(c, p, &c->body, text, f->small, f->lead, style, w, AL_LEFT, BLACK);
}

/* The rows of the 결문's foot, measured. */
static mkl_status foot_make(Composer *c, Foot *f) {
    const mkl_doc *d = c->doc;
    const mkl_official *o = &d->official;
    mkl_status st = MKL_OK;
    double left = c->margin_left, w = c->text_width;
    f->small = c->size * 0.9;
    f->lead = round(f->small * 1.55 * 2) / 2;
    mkl_buf b = {0};
    /* the approval line: 기안자, 검토자, ..., 결재권자, each "직위 이름" */
    double x = left;
    for (size_t i = 0; i < d->nsignatures && !st; i++) {
        const mkl_signature *s = &d->signatures[i];
        b.n = 0;
        if (s->title) mkl__buf_printf(&b, "%s ", s->title);
        mkl__buf_adds(&b, s->name);
        if (b.oom) { st = mkl__lay_oom(c); break; }
        Par probe = {0};
        if ((st = plain(c, &probe, &c->body, b.s, f->small, f->lead, 0, w, AL_LEFT, BLACK))) { mkl__par_free(&probe); break; }
        double pw = par_width(&probe);
        mkl__par_free(&probe);
        int newline = i == 0 || x + pw > left + w + 1e-6;
        if (newline) x = left;
        if ((st = foot_add(c, f, b.s, x, w - (x - left), newline, 0))) break;
        x += pw + 3 * f->small;
    }
    if (!st && o->ncooperation) {
        b.n = 0;
        mkl__buf_adds(&b, "협조자  ");
        for (size_t i = 0; i < o->ncooperation; i++) {
            if (i) mkl__buf_adds(&b, "   ");
            if (o->cooperation[i].title) mkl__buf_printf(&b, "%s ", o->cooperation[i].title);
            mkl__buf_adds(&b, o->cooperation[i].name);
        }
        if (b.oom) st = mkl__lay_oom(c);
        else st = foot_add(c, f, b.s, left, w, 1, 0);
    }
    if (!st) {
        /* 시행 처리과명-일련번호 (시행일자) ... 접수 (left blank for the receiver) */
        b.n = 0;
        mkl__buf_adds(&b, "시행  ");
        if (o->number) mkl__buf_adds(&b, o->number);
        if (c->date) mkl__buf_printf(&b, "%s(%s)", o->number ? " " : "", c->date);
        if (b.oom) st = mkl__lay_oom(c);
        else st = foot_add(c, f, b.s, left, w * 0.55, 1, 0);
        if (!st) st = foot_add(c, f, "접수", left + w * 0.58, w * 0.42, 0, 0);
    }
    if (!st && (o->postcode || o->address || o->homepage)) {
        b.n = 0;
        if (o->postcode) mkl__buf_printf(&b, "우 %s", o->postcode);
        if (o->address) mkl__buf_printf(&b, "%s%s", b.n ? "  " : "", o->address);
        if (o->homepage) mkl__buf_printf(&b, "%s/ %s", b.n ? "  " : "", o->homepage);
        if (b.oom) st = mkl__lay_oom(c);
        else st = foot_add(c, f, b.s, left, w, 1, 0);
    }
    if (!st && (o->phone || o->fax || o->email || o->disclosure)) {
        b.n = 0;
        if (o->phone) mkl__buf_printf(&b, "전화번호 %s", o->phone);
        if (o->fax) mkl__buf_printf(&b, "%s전송 %s", b.n ? "  " : "", o->fax);
        if (o->email) mkl__buf_printf(&b, "%s/ %s", b.n ? "  " : "", o->email);
        if (o->disclosure) mkl__buf_printf(&b, "%s/ %s", b.n ? "  " : "", o->disclosure);
        if (b.oom) st = mkl__lay_oom(c);
        else st = foot_add(c, f, b.s, left, w, 1, 0);
    }
    mkl__buf_free(&b);
    if (st) return st;
    /* the approval line stands a little apart: room for signatures above it */
    double h = 0;
    for (size_t i = 0; i < f->rows.n; i++) {
        if (!f->row_new.v[i]) continue;
        double extra = 0;
        for (size_t j = i; j < f->rows.n && (j == i || !f->row_new.v[j]); j++)
            extra = MKL_MAX(extra, extra_lines(&f->rows.v[j]));
        h += (1 + extra) * f->lead;
    }
    /* the rule above, room to sign above the approval line, the rows, the rule below */
    f->height = h + (d->nsignatures ? f->lead : 0) + 0.6 * f->lead + 0.45 * f->lead;
    return MKL_OK;
}

/* Place the foot with its rule below at `bottom`. */
static mkl_status foot_place(Composer *c, Foot *f, double bottom) {
    const mkl_doc *d = c->doc;
    mkl_status st;
    double top = bottom - f->height;
    double y = top + 0.6 * f->lead + (d->nsignatures ? f->lead : 0);
    mkl_tag div = c->tag;
    if ((st = mkl__add_rule(c, c->margin_left, top, c->margin_left + c->text_width, top, 1.0, 0))) return st;
    size_t sig = 0;
    double row_base = y, row_extra = 0;
    for (size_t i = 0; i < f->rows.n; i++) {
        if (f->row_new.v[i] && i) {
            row_base += (1 + row_extra) * f->lead;
            row_extra = 0;
        }
        Par *p = &f->rows.v[i];
        /* each entry of the 결문 its own P in the Div */
        if ((st = mkl__tag_in(c, div, MKL_S_P)) || (st = mkl__par_at(c, p, f->row_x.v[i], row_base))) return st;
        row_extra = MKL_MAX(row_extra, extra_lines(p));
        /* an approver's signature image over the name, as a seal over a name */
        if (sig < d->nsignatures && i == sig) {
            const mkl_signature *s = &d->signatures[sig++];
            if (s->image) {
                const mkl_image *img;
                double iw, ih, pw = par_width(p);
                if ((st = mkl__image_of(c, s->image, &img))) return st;
                mkl__image_fit(img, MKL_MAX(pw * 0.6, 12 * MM), 1.8 * f->lead, &iw, &ih);
                double cx = f->row_x.v[i] + pw - 0.5 * MKL_MAX(pw * 0.45, iw * 0.5);
                char alt[300];
                snprintf(alt, sizeof alt, "%.280s 서명", s->name);   /* "NAME's signature" */
                if ((st = figure(c, img, cx - iw / 2, row_base - 0.35 * f->small - ih / 2, iw, ih, alt))) return st;
            }
        }
    }
    double end = row_base + row_extra * f->lead + 0.45 * f->lead;
    return mkl__add_rule(c, c->margin_left, end, c->margin_left + c->text_width, end, 0.5, 0);
}

/* ---- the whole document ------------------------------------------------------ */

/* A row of the 두문: a label ("수신") and its value hanging after it. */
static mkl_status head_row(Composer *c, const char *label, const char *value, double size, int style, double *y) {
    Par pl = {0}, pv = {0};
    /* the label with a space after it, which a reader of the structure keeps
     * between label and value (the value's place does not depend on it):
     * join_lines below keeps it, as a glyph that draws nothing */
    char lab[64];
    snprintf(lab, sizeof lab, "%s ", label);
    mkl_status st = plain(c, &pl, &c->body, lab, c->size, c->lead, MKL_STYLE_BOLD, c->text_width, AL_LEFT, BLACK);
    double vx = c->margin_left + 4 * c->size;
    double lead = MKL_MAX(c->lead, round(size * 1.45 * 2) / 2);
    if (!st) st = plain(c, &pv, &c->body, value, size, lead, style, c->margin_left + c->text_width - vx, AL_LEFT, BLACK);
    mkl_tag parent = c->tag;
    if (!st) st = mkl__tag_in(c, parent, MKL_S_P);
    if (!st) {
        *y += lead;
        c->join_lines = 1;   /* the label's last line keeps its space (it draws nothing) */
        st = mkl__par_at(c, &pl, c->margin_left, *y);
        c->join_lines = 0;
        if (!st) st = mkl__par_at(c, &pv, vx, *y);
        *y += extra_lines(&pv) * lead;
    }
    c->tag = parent;
    mkl__par_free(&pl);
    mkl__par_free(&pv);
    return st;
}

/* The 두문 on page 1; *y is the last baseline placed. */
static mkl_status lay_head(Composer *c, double *y) {
    const mkl_doc *d = c->doc;
    const mkl_official *o = &d->official;
    mkl_status st = MKL_OK;
    Par p = {0};
    double top = c->margin_top;
    *y = top;
    /* the slogan (홍보문구) above the name, small */
    for (size_t i = 0; i < d->lh_lines.n && !st; i++) {
        if ((st = plain(c, &p, &c->body, d->lh_lines.v[i], 8.5, 11, 0, c->text_width, AL_CENTER, GRAY)) ||
            (st = mkl__tag_in(c, MKL_TAG_LAYOUT, MKL_S_P)))
            break;
        for (size_t l = 0; l < p.lines.n && !st; l++) {
            *y += l == 0 && i == 0 ? 8.5 : 11;
            st = mkl__emit_line(c, &p, l, c->margin_left, *y);
        }
    }
    const char *name = d->lh_name ? d->lh_name : o->sender;
    if (!st && name) {
        double big = c->size * 1.7, blead = round(big * 1.3 * 2) / 2;
        if (!(st = plain(c, &p, &c->head, name, big, blead, MKL_STYLE_BOLD, c->text_width - 30 * MM, AL_CENTER, BLACK)) &&
            !(st = mkl__tag_in(c, MKL_TAG_LAYOUT, MKL_S_P))) {
            double first = *y + (*y > top ? 0.6 * blead : 0) + big * 0.95;
            st = mkl__par_at(c, &p, c->margin_left + 15 * MM, first);
            if (!st && d->lh_logo) {
                /* the organisation's mark at the left of its name */
                const mkl_image *img;
                double iw, ih;
                if (!(st = mkl__image_of(c, d->lh_logo, &img))) {
                    mkl__image_fit(img, 14 * MM, 14 * MM, &iw, &ih);
                    double mid = first - big * 0.35;
                    double itop = MKL_MAX(top, mid - ih / 2);
                    st = figure(c, img, c->margin_left, itop, iw, ih, d->lh_logo_alt ? d->lh_logo_alt : name);
                }
            }
            *y = first + extra_lines(&p) * blead;
        }
    }
    c->tag = MKL_TAG_LAYOUT;   /* the rows below are the document's children */
    if (st) goto out;
    *y += 1.2 * c->lead;
    {
        /* 수신: the addressees (참조 in parentheses after them) */
        mkl_buf b = {0};
        for (size_t i = 0; i < d->to.n; i++) mkl__buf_printf(&b, "%s%s", i ? ", " : "", d->to.v[i]);
        if (!d->to.n) mkl__buf_adds(&b, "내부결재");
        if (o->reference) mkl__buf_printf(&b, "(%s)", o->reference);
        if (b.oom) { mkl__buf_free(&b); st = mkl__lay_oom(c); goto out; }
        if (d->to.n) {
            if (!mkl__doc_pos(d, d->to.v[0], &c->src_line, &c->src_col)) c->src_line = 0;
        }
        st = head_row(c, "수신", b.s, c->size, 0, y);
        mkl__buf_free(&b);
    }
    if (!st && o->via) st = head_row(c, "(경유)", o->via, c->size, 0, y);
    if (!st && d->subject) st = head_row(c, "제목", d->subject, c->size * 1.15, MKL_STYLE_BOLD, y);
    if (!st) {
        double ry = *y + 0.55 * c->lead;
        st = mkl__add_rule(c, c->margin_left, ry, c->margin_left + c->text_width, ry, 0.6, 0);
        *y = ry;
    }
out:
    mkl__par_free(&p);
    return st;
}

/* 발신명의, centred and larger, the 직인 with the name's last character at
 * its centre. `base` is its baseline. */
static mkl_status lay_sender(Composer *c, const Par *p, double base) {
    const mkl_official *o = &c->doc->official;
    mkl_status st = mkl__par_at(c, (Par *)p, c->margin_left, base);
    if (st || !o->seal || !p->lines.n) return st;
    const mkl_image *img;
    double iw, ih;
    if ((st = mkl__image_of(c, o->seal, &img))) return st;
    mkl__image_fit(img, SEAL_MAX, SEAL_MAX, &iw, &ih);
    /* the last glyph of the last line: where the line ends, less half a character */
    const mkl_line *ln = &p->lines.v[p->lines.n - 1];
    double end = c->margin_left + (c->text_width + ln->width) / 2;
    double size = p->s.n ? p->s.g[ln->end ? ln->end - 1 : 0].size : c->size;
    double adv = ln->end > ln->start ? p->s.g[ln->end - 1].adv : size;
    double cx = end - adv / 2, cy = base + (p->lines.n - 1) * p->lead - size * 0.36;
    return figure(c, img, cx - iw / 2, cy - ih / 2, iw, ih, "직인");   /* the seal */
}

mkl_status mkl__lay_kr_official(Composer *c) {
    const mkl_doc *d = c->doc;
    mkl_status st = MKL_OK;
    /* the prescribed page: A4, top 30, bottom 15, left 20, right 15 mm */
    c->margin_top = 30 * MM;
    c->margin_bottom = 15 * MM;
    c->margin_left = 20 * MM;
    c->margin_right = 15 * MM;
    c->text_width = c->page_width - c->margin_left - c->margin_right;
    /* `fonts: leading`, else 160 %: the line spacing of 공문 (research C.13) */
    c->lead = d->leading > 0 ? c->lead_ko : round(c->size * 1.6 * 2) / 2;
    c->grid0 = c->margin_top;
    /* Korean, dated "2020. 2. 21.", whatever a letter built in code says */
    c->ko = 1;
    c->lang = "ko";
    if (d->date && mkl__format_date(d->date, "ko", 1, c->datebuf, sizeof c->datebuf)) c->date = c->datebuf;
    c->L->margin[0] = c->margin_left;
    c->L->margin[1] = c->margin_top;
    c->L->margin[2] = c->margin_right;
    c->L->margin[3] = c->margin_bottom;
    c->L->lead = c->lead;
    Kr k = {0};
    k.c = c;
    Foot f = {0};
    Par sender = {0};
    double foot_gap = 0;
    double page_bottom = c->page_height - c->margin_bottom;   /* glyphs end above it */
    double descent = 0.3 * c->size;
    double head_y;
    if ((st = lay_head(c, &head_y))) goto out;
    k.body_top = head_y + 1.3 * c->lead;
    k.cont_top = c->margin_top + c->size;
    if ((st = add_body(&k)) || (st = add_enclosures(&k)) || (st = add_end_mark(&k))) goto out;
    for (size_t i = 0; i < k.pars.n; i++) k.nlines += k.pars.v[i].p.lines.n;
    k.page = mkl__calloc(k.nlines + 1, sizeof *k.page);
    k.base = mkl__calloc(k.nlines + 1, sizeof *k.base);
    if (!k.page || !k.base) { st = kr_oom(&k); goto out; }
    if ((st = foot_make(c, &f))) goto out;
    const char *sname = d->official.sender ? d->official.sender : d->lh_name;
    double big = c->size * 1.6, slead = round(big * 1.3 * 2) / 2;
    if (sname) {
        if ((st = plain(c, &sender, &c->head, sname, big, slead, MKL_STYLE_BOLD, c->text_width, AL_CENTER, BLACK))) goto out;
    }
    /* what the 결문 takes below the last body line: the 발신명의 three lines
     * down, its seal, then the foot (over the folio line of a long document) */
    double seal_below = d->official.seal ? SEAL_MAX / 2 - 0.36 * big : 0;
    double sender_h = sender.lines.n ? 3 * c->lead + extra_lines(&sender) * slead : 0;
    foot_gap = MKL_MAX(seal_below + 0.6 * c->lead, 1.5 * c->lead);
    double folio_h = 1.6 * 8.5;
    int numbered = 0;
    for (int pass = 0; pass < 4; pass++) {
        double reserve = numbered ? folio_h : 0;
        k.bottom = page_bottom - descent - reserve;
        size_t force = (size_t)-1;
        if ((st = paginate(&k, force))) goto out;
        double tail = sender_h + foot_gap + f.height;
        double last_y = k.nlines ? k.base[k.nlines - 1] : k.body_top - c->lead;
        if (last_y + tail > page_bottom - descent - (k.npages > 1 || numbered ? folio_h : 0) + 1e-6 && k.nlines) {
            /* the 결문 goes to a new page, with at least two lines of the body */
            force = k.nlines >= 2 ? k.nlines - 2 : 0;
            /* not a lone first line of a paragraph left behind */
            for (size_t i = 0; i < k.pars.n; i++) {
                KPar *kp = &k.pars.v[i];
                if (kp->p.lines.n >= 2 && force == kp->first + 1) force = kp->first;
            }
            if ((st = paginate(&k, force))) goto out;
        }
        int want = k.npages > 1 && c->o->page_numbers;
        if (want == numbered) break;
        numbered = want;
    }
    {
        double last_y = k.nlines ? k.base[k.nlines - 1] : k.body_top - c->lead;
        double limit = page_bottom - descent - (numbered ? folio_h : 0);
        if (k.nlines && k.page[k.nlines - 1] == 0 && last_y + sender_h + foot_gap + f.height > limit + 1e-6) {
            /* cannot happen unless the 결문 alone is taller than a page */
        }
        if (sender_h + foot_gap + f.height + 2 * c->lead > limit - k.cont_top) {
            st = mkl__err(c->e, MKL_ERR_INPUT, d->file, 0, 0,
                          "the 결문 (발신명의, approval line, address) is taller than a page");
            goto out;
        }
    }
    /* pages, then everything in reading order */
    while ((int)c->L->pages.n < k.npages)
        if ((st = mkl__new_page(c))) goto out;
    mkl_tag last_par = MKL_TAG_LAYOUT;
    for (size_t i = 0; i < k.pars.n && !st; i++) {
        KPar *kp = &k.pars.v[i];
        /* each item, paragraph and enclosure a P, its label in it */
        if ((st = mkl__tag_in(c, MKL_TAG_LAYOUT, MKL_S_P))) break;
        last_par = c->tag;
        for (size_t l = 0; l < kp->p.lines.n && !st; l++) {
            size_t g = kp->first + l;
            c->page = k.page[g];
            if (l == 0 && kp->has_label) {
                /* a space after the label, which draws nothing: the
                 * structure's text reads "1. 귀 부의", as the page does */
                c->join_lines = 1;
                st = mkl__par_at(c, &kp->label, kp->label_x, k.base[g]);
                c->join_lines = 0;
            }
            if (!st) st = mkl__emit_line(c, &kp->p, l, kp->x, k.base[g]);
        }
    }
    if (st) goto out;
    int last_page = k.npages - 1;
    c->page = last_page;
    double last_y = k.nlines ? k.base[k.nlines - 1] : k.body_top - c->lead;
    c->tag = last_par;   /* "끝." ends the last paragraph's text */
    if (k.end_mark_x >= 0 && k.nlines && (st = mkl__par_at(c, &k.end_mark, k.end_mark_x, last_y))) goto out;
    if (sender.lines.n && ((st = mkl__tag_in(c, MKL_TAG_LAYOUT, MKL_S_P)) ||
                           (st = lay_sender(c, &sender, last_y + 3 * c->lead))))
        goto out;
    double foot_bottom = page_bottom - 0.5 - (numbered ? folio_h : 0);
    if ((st = mkl__tag_in(c, MKL_TAG_LAYOUT, MKL_S_DIV)) || (st = foot_place(c, &f, foot_bottom))) goto out;
    c->tag = MKL_TAG_PAGINATION;
    if (numbered) {
        /* "전체 쪽수-쪽 번호", centred at the foot */
        Par pn = {0};
        for (int i = 0; i < k.npages && !st; i++) {
            char buf[32];
            snprintf(buf, sizeof buf, "%d-%d", k.npages, i + 1);
            c->page = i;
            st = plain(c, &pn, &c->body, buf, 8.5, 10, 0, c->text_width, AL_CENTER, BLACK);
            if (!st) st = mkl__par_at(c, &pn, c->margin_left, page_bottom - 0.3 * 8.5);
        }
        mkl__par_free(&pn);
    }
    c->tag = MKL_TAG_LAYOUT;
out:
    for (size_t i = 0; i < k.pars.n; i++) {
        mkl__par_free(&k.pars.v[i].p);
        mkl__par_free(&k.pars.v[i].label);
    }
    mkl__free(k.pars.v);
    mkl__free(k.page);
    mkl__free(k.base);
    mkl__par_free(&k.end_mark);
    mkl__par_free(&sender);
    foot_free(&f);
    return st;
}
