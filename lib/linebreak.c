/* linebreak.c - total-fit line breaking. See linebreak.h. */
#include "linebreak.h"

#include <math.h>
#include <string.h>

#define INF_COST 1e30

/* A break candidate. The DP keeps, per candidate, the best way to reach it
 * with h = 0, 1, 2 hyphenated lines in a row just before it (never 3). */
typedef struct Cand {
    size_t pos;
    size_t trimmed;     /* pos with the spaces before it dropped (trim_end from the segment's start) */
    double trimmed_extra;   /* end_extra of a line ending at `trimmed` */
    double penalty;
    int hyph;           /* breaking here adds a hyphen of width hyw */
    double hyw;
    int syl;            /* a break between two syllables of an eojeol (MKL_G_SYL) ... */
    size_t word_start;  /* ... whose word starts here */
    double cost[3];
    size_t prev[3];
    int prevh[3];
} Cand;

#define HYPHEN_PENALTY 120.0      /* squared into the demerits, like TeX's \hyphenpenalty */
#define DOUBLE_HYPHEN 20000.0     /* two hyphenated lines in a row */
#define SYLLABLE_PENALTY 50.0     /* an eojeol split over two lines (hangul-breaks: auto) */
#define BALANCE_MAX_LINES 3       /* ragged blocks of up to this many lines are balanced */
#define TAIL_PENALTY 200.0        /* a break inside a balanced block's last phrase after a comma */

static int line_push(mkl_lines_out *out, size_t start, size_t end, double w, int nsp, int last) {
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 4;   /* most paragraphs kept are a line or two (signatories) */
        mkl_line *nv = mkl__realloc(out->v, cap * sizeof *nv);
        if (!nv) return 0;
        out->v = nv;
        out->cap = cap;
    }
    mkl_line *l = &out->v[out->n++];
    l->start = start;
    l->end = end;
    l->width = w;
    l->nspaces = nsp;
    l->last = last;
    l->hyphen = 0;
    return 1;
}

/* prefix sums: width, space width, Hangul-gap stretch, width that expands (MKL_EXPANDS), spaces */
typedef struct Sums { double *w, *sw, *hg, *ew; int *ns; } Sums;

static size_t trim_end(const mkl_shaped *s, size_t a, size_t b) {
    while (b > a && (s->g[b - 1].flags & MKL_G_SPACE)) b--;
    return b;
}

/* What a line of glyphs [a, b) is wider by for ending there: its last glyph
 * loses the kerning with the glyph after it (a space dropped at the line end;
 * not at a hyphen, which is set right after the kerned advance). */
static double end_extra(const mkl_shaped *s, size_t a, size_t b) {
    return b > a ? s->g[b - 1].endw - s->g[b - 1].adv : 0;
}

/* How far the justified line of glyphs [ls, le) (natural width `nat`) must
 * stretch to fill `lw`, as a ratio of what its glue may stretch: above 1 it is
 * looser than the stretch limit. */
static double stretch_ratio(const Sums *S, size_t ls, size_t le, double nat, double lw) {
    double spc = S->sw[le] - S->sw[ls];
    double stretch = spc * MKL_SPACE_STRETCH + (S->hg[le] - S->hg[ls + 1 <= le ? ls + 1 : le]) +
                     MKL_EXPAND * (S->ew[le] - S->ew[ls]);
    return stretch > 0 ? (lw - nat) / stretch : ((lw - nat) > 1 ? 100 : 0);
}

/* Break glyphs [a, b) (no hard break inside) into lines. With `syllables`, a
 * line may also end at an MKL_G_SYL break, but only where ending it before
 * that eojeol instead would leave it looser than MKL_HANGUL_LOOSE. */
static mkl_status break_segment(const mkl_shaped *s, const Sums *S, size_t a, size_t b, double w1, double w,
                                int justify, int first_line, int syllables, int balance, mkl_lines_out *out,
                                mkl_error *e) {
    /* balance (ragged text): the last line costs as the others do, unless it
     * is the whole phrase after the segment's last ", " (`tail`: "South
     * Korea"), and a break inside that phrase costs TAIL_PENALTY */
    size_t tail = b;
    for (size_t k = b; balance && k-- > a + 1;)
        if ((s->g[k].flags & MKL_G_SPACE) && s->g[k - 1].tlen == 1 && s->text[s->g[k - 1].toff] == ',') {
            tail = k + 1;   /* where the phrase after ", " starts */
            break;
        }
    /* candidates: a, every allowed break inside, b */
    MKL_VEC(Cand) c = {0};
    Cand *x = MKL_PUSH(&c);
    if (!x) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    x->pos = a;
    double maxw = w1 < w ? w1 : w;   /* a word wider than the narrower line is broken */
    size_t lastpos = a, word_cands = c.n;   /* candidates inside the current word start here */
    for (size_t k = a + 1; k <= b; k++) {
        int syl = k < b && syllables && (s->g[k].flags & MKL_G_SYL);
        if (k < b && !(s->g[k].flags & MKL_G_BREAK) && !syl) continue;
        /* a word wider than the line: allow breaks between its clusters (emergency) */
        size_t wend = trim_end(s, lastpos, k);
        if (S->w[wend] - S->w[lastpos] > maxw) {
            /* between clusters, where the line-start and line-end rules allow; if a
             * piece is still too wide (a long number), anywhere between clusters */
            int strict = 1;
            c.n = word_cands;   /* its hyphenation points are replaced by the cluster breaks */
            size_t before = c.n;
            for (int pass = 0; pass < 2; pass++) {
                size_t prev = lastpos;
                double widest = 0;
                for (size_t q = lastpos + 1; q < wend; q++) {
                    if (!(s->g[q].flags & MKL_G_CSTART) || (strict && (s->g[q].flags & MKL_G_NOBREAK))) continue;
                    if (!(x = MKL_PUSH(&c))) { mkl__free(c.v); return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory"); }
                    x->pos = q;
                    x->penalty = strict ? 3000 : 6000;
                    widest = MKL_MAX(widest, S->w[q] - S->w[prev]);
                    prev = q;
                }
                widest = MKL_MAX(widest, S->w[wend] - S->w[prev]);
                if (widest <= maxw || !strict) break;
                c.n = before;
                strict = 0;
            }
        }
        if (!(x = MKL_PUSH(&c))) { mkl__free(c.v); return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory"); }
        x->pos = k;
        if (syl) {
            x->syl = 1;
            x->word_start = lastpos;
            continue;   /* inside the eojeol */
        }
        if (k < b && (s->g[k].flags & MKL_G_HYPH)) {
            x->hyph = 1;
            x->hyw = s->g[k].hyw;
            continue;   /* a hyphen point is inside a word: the word goes on */
        }
        lastpos = k;
        word_cands = c.n;
    }
    for (size_t j = 0; j < c.n; j++) {
        for (int h = 0; h < 3; h++) { c.v[j].cost[h] = INF_COST; c.v[j].prev[h] = j ? j - 1 : 0; c.v[j].prevh[h] = 0; }
        /* where a line ending here ends, whatever its start: trimmed from a
         * later start it stops at the same glyph, or at the start itself */
        c.v[j].trimmed = trim_end(s, a, c.v[j].pos);
        c.v[j].trimmed_extra = end_extra(s, a, c.v[j].trimmed);
    }
    c.v[0].cost[0] = 0;
    for (size_t j = 1; j < c.n; j++) {
        Cand *cj = &c.v[j];
        int is_last = j == c.n - 1;
        double best_over = INF_COST;
        size_t over_i = j - 1;
        int feasible = 0;
        for (size_t i = j; i-- > 0;) {
            Cand *ci = &c.v[i];
            size_t ls = ci->pos, le;
            double le_extra;   /* the hyphen, or what the line's last glyph loses of its kerning */
            if (cj->hyph) le = cj->pos, le_extra = cj->hyw;
            else if (cj->trimmed > ls) le = cj->trimmed, le_extra = cj->trimmed_extra;
            else le = ls, le_extra = 0;
            double lw = (i == 0 && first_line) ? w1 : w;
            if (cj->syl) {
                /* the eojeol split only to save the line from going loose: the
                 * line that ends before it must be too loose */
                if (cj->word_start <= ls) continue;
                size_t we = trim_end(s, ls, cj->word_start);
                double nat0 = S->w[we] - S->w[ls] + end_extra(s, ls, we);
                if (nat0 > lw && !(first_line && w1 > w)) break;   /* earlier starts are only wider */
                if (stretch_ratio(S, ls, we, nat0, lw) <= MKL_HANGUL_LOOSE) continue;
            }
            double nat = S->w[le] - S->w[ls] + le_extra;
            double spc = S->sw[le] - S->sw[ls];
            double cost;
            if (nat > lw) {
                /* only a justified line has its spaces shrunk when it is set:
                 * a ragged one wider than its column would run into the margin */
                double shrink = justify && !is_last ? spc * MKL_SPACE_SHRINK + MKL_EXPAND * (S->ew[le] - S->ew[ls]) : 0;
                if (nat - lw > shrink + 1e-6) {
                    /* overfull: only as a last resort, the least overfull one */
                    /* the least overfull is the nearest start's; the first line,
                     * tried below, does not compete (it holds more clusters) */
                    if (best_over >= INF_COST) { best_over = nat - lw; over_i = i; }
                    /* earlier starts are only wider, but the paragraph's first
                     * line may be wider too (a hanging indent): try it */
                    if (i > 0 && first_line && w1 > w) { i = 1; continue; }
                    break;
                }
                double r = shrink > 0 ? (nat - lw) / shrink : 0;
                cost = pow(1 + 100 * r * r * r, 2);
            } else if (is_last && (!balance || ls == tail)) {
                cost = 1;   /* balanced, a last line that is the whole last phrase may be short */
            } else if (justify) {
                double r = stretch_ratio(S, ls, le, nat, lw);
                double bad = 100 * r * r * r;
                if (bad > 1e7) bad = 1e7;
                cost = pow(1 + bad, 2);
            } else {
                double em = s->g[ls].size > 0 ? s->g[ls].size : 10;
                double slack = (lw - nat) / em;
                cost = 1 + slack * slack * slack;
                /* a short ragged block keeps its last phrase after a comma together
                 * ("…, / South Korea", not "…, South / Korea") */
                if (balance && !is_last && cj->pos > tail) cost += TAIL_PENALTY;
            }
            cost += cj->penalty * cj->penalty + (cj->hyph ? HYPHEN_PENALTY * HYPHEN_PENALTY : 0) +
                    (cj->syl ? SYLLABLE_PENALTY * SYLLABLE_PENALTY : 0);
            for (int hi = 0; hi < 3; hi++) {
                if (ci->cost[hi] >= INF_COST) continue;
                int hj = cj->hyph ? hi + 1 : 0;
                if (hj > 2) continue;   /* never three hyphenated lines in a row */
                double total = ci->cost[hi] + cost + (cj->hyph && hi ? DOUBLE_HYPHEN : 0);
                if (total < cj->cost[hj]) {
                    cj->cost[hj] = total;
                    cj->prev[hj] = i;
                    cj->prevh[hj] = hi;
                    feasible = 1;
                }
            }
        }
        if (!feasible && !cj->hyph && !cj->syl) {
            /* nothing fits: the least overfull line, from the best state before it */
            Cand *ci = &c.v[over_i];
            int hi = ci->cost[0] <= ci->cost[1] ? (ci->cost[0] <= ci->cost[2] ? 0 : 2) : (ci->cost[1] <= ci->cost[2] ? 1 : 2);
            if (ci->cost[hi] < INF_COST) {
                cj->cost[0] = 1e25 + ci->cost[hi];
                cj->prev[0] = over_i;
                cj->prevh[0] = hi;
            }
        }
    }
    /* backtrack from the best state of the end */
    Cand *end = &c.v[c.n - 1];
    int h = end->cost[0] <= end->cost[1] ? (end->cost[0] <= end->cost[2] ? 0 : 2) : (end->cost[1] <= end->cost[2] ? 1 : 2);
    size_t nl = 0;
    for (size_t j = c.n - 1, hh = (size_t)h; j > 0;) {
        size_t pj = c.v[j].prev[hh];
        hh = (size_t)c.v[j].prevh[hh];
        j = pj;
        nl++;
    }
    size_t base = out->n;
    for (size_t k = 0; k < nl; k++)
        if (!line_push(out, 0, 0, 0, 0, 0)) { mkl__free(c.v); return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory"); }
    size_t k = nl;
    for (size_t j = c.n - 1, hh = (size_t)h; j > 0;) {
        mkl_line *l = &out->v[base + --k];
        size_t pj = c.v[j].prev[hh];
        size_t ls = c.v[pj].pos;
        l->start = ls;
        l->hyphen = c.v[j].hyph;
        l->end = c.v[j].hyph ? c.v[j].pos : trim_end(s, ls, c.v[j].pos);
        l->width = S->w[l->end] - S->w[ls] + (c.v[j].hyph ? c.v[j].hyw : end_extra(s, ls, l->end));
        l->nspaces = S->ns[l->end] - S->ns[ls];
        l->last = j == c.n - 1;
        hh = (size_t)c.v[j].prevh[hh];
        j = pj;
    }
    mkl__free(c.v);
    return MKL_OK;
}

/* Whether glyphs [a, b), broken into lines out[base ..] with whole eojeol,
 * have a breakable eojeol (MKL_G_SYL) and a line looser than MKL_HANGUL_LOOSE. */
static int needs_syllables(const mkl_shaped *s, const Sums *S, size_t a, size_t b, const mkl_lines_out *out,
                           size_t base, double w1, double w, int first_line) {
    int any = 0;
    for (size_t k = a; k < b && !any; k++) any = (s->g[k].flags & MKL_G_SYL) != 0;
    if (!any) return 0;
    for (size_t k = base; k < out->n; k++) {
        const mkl_line *l = &out->v[k];
        if (l->last) continue;
        double lw = (k == base && first_line) ? w1 : w;
        if (l->width < lw && stretch_ratio(S, l->start, l->end, l->width, lw) > MKL_HANGUL_LOOSE) return 1;
    }
    return 0;
}

mkl_status mkl__break_lines(const mkl_shaped *s, double first_width, double width, int justify, mkl_lines_out *out,
                            mkl_error *e) {
    out->n = 0;
    if (s->n == 0) return MKL_OK;
    Sums S;
    S.w = mkl__malloc((s->n + 1) * sizeof *S.w);
    S.sw = mkl__malloc((s->n + 1) * sizeof *S.sw);
    S.ns = mkl__malloc((s->n + 1) * sizeof *S.ns);
    S.hg = mkl__malloc((s->n + 1) * sizeof *S.hg);
    S.ew = mkl__malloc((s->n + 1) * sizeof *S.ew);
    mkl_status st = MKL_OK;
    if (!S.w || !S.sw || !S.ns || !S.hg || !S.ew) st = mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    if (!st) {
        S.w[0] = S.sw[0] = S.hg[0] = S.ew[0] = 0;
        S.ns[0] = 0;
        for (size_t i = 0; i < s->n; i++) {
            int sp = (s->g[i].flags & MKL_G_SPACE) && s->g[i].adv > 0;
            S.w[i + 1] = S.w[i] + s->g[i].adv;
            S.sw[i + 1] = S.sw[i] + (sp ? s->g[i].adv : 0);
            S.ns[i + 1] = S.ns[i] + sp;
            S.hg[i + 1] = S.hg[i] + ((s->g[i].flags & MKL_G_HGAP) ? MKL_HGAP_STRETCH * s->g[i].size : 0);
            S.ew[i + 1] = S.ew[i] + (MKL_EXPANDS(&s->g[i]) ? s->g[i].adv : 0);
        }
        size_t a = 0;
        int first = 1;
        for (size_t k = 1; k <= s->n && !st; k++) {
            if (k < s->n && !(s->g[k].flags & MKL_G_HARD)) continue;
            size_t base = out->n;
            st = break_segment(s, &S, a, k, first_width, width, justify, first, 0, 0, out, e);
            if (!st && justify && needs_syllables(s, &S, a, k, out, base, first_width, width, first)) {
                /* hangul-breaks: auto, and whole eojeol leave a line too loose */
                out->n = base;
                st = break_segment(s, &S, a, k, first_width, width, justify, first, 1, 0, out, e);
            }
            size_t nl = out->n - base;
            if (!st && !justify && nl >= 2 && nl <= BALANCE_MAX_LINES) {
                /* a short ragged block: as even as it can be in as many lines */
                mkl_lines_out keep = {0};
                size_t bytes = nl * sizeof *out->v;
                if (!(keep.v = mkl__malloc(bytes))) { st = mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory"); break; }
                memcpy(keep.v, out->v + base, bytes);
                out->n = base;
                st = break_segment(s, &S, a, k, first_width, width, justify, first, 0, 1, out, e);
                if (!st && out->n - base != nl) {   /* more lines: not worth it */
                    out->n = base;
                    memcpy(out->v + base, keep.v, bytes);
                    out->n = base + nl;
                }
                mkl__free(keep.v);
            }
            first = 0;
            a = k;
        }
    }
    mkl__free(S.w);
    mkl__free(S.sw);
    mkl__free(S.ns);
    mkl__free(S.hg);
    mkl__free(S.ew);
    return st;
}

void mkl__justify(const mkl_shaped *s, const mkl_line *ln, double avail, double *space_extra, double *hgap_extra,
                  double *expand) {
    double slack = avail - ln->width, sp = 0, hg = 0, ew = 0;
    *space_extra = *hgap_extra = *expand = 0;
    for (size_t i = ln->start; i < ln->end; i++) {
        const mkl_glyph *g = &s->g[i];
        if ((g->flags & MKL_G_SPACE) && g->adv > 0) sp += g->adv;
        if ((g->flags & MKL_G_HGAP) && i > ln->start) hg += MKL_HGAP_STRETCH * g->size;
        if (MKL_EXPANDS(g)) ew += g->adv;
    }
    if (slack < 0) {
        /* shrink: the glyphs in step with the spaces, up to MKL_EXPAND; the spaces the rest */
        double cap = sp * MKL_SPACE_SHRINK + MKL_EXPAND * ew;
        double r = cap > 0 ? MKL_MIN(-slack / cap, 1.0) : 0;
        *expand = -r * MKL_EXPAND;
        if (ln->nspaces) *space_extra = (slack + r * MKL_EXPAND * ew) / ln->nspaces;
        return;
    }
    double cap = sp * MKL_SPACE_STRETCH + hg + MKL_EXPAND * ew;
    if (cap <= 0) return;
    /* every piece of glue stretches by the same ratio of its stretchability;
     * past the limit the glyphs stay at MKL_EXPAND and the glue takes the rest */
    double r = slack / cap;
    *expand = MKL_MIN(r, 1.0) * MKL_EXPAND;
    double glue = sp * MKL_SPACE_STRETCH + hg;
    if (glue <= 0) return;
    double rg = (slack - *expand * ew) / glue;
    if (ln->nspaces) *space_extra = rg * sp * MKL_SPACE_STRETCH / ln->nspaces;
    *hgap_extra = rg * MKL_HGAP_STRETCH;  /* per em */
}
