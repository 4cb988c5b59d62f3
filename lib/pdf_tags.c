/* pdf_tags.c - tagged PDF: marked content, structure tree, parent tree. See pdf_tags.h.
 *
 * The structure elements are libharu dictionaries made indirect with
 * HPDF_Xref_Add, as pdf.c makes its font objects. An element's /K lists its
 * children in reading order: the child elements, its marked-content
 * sequences (an MCID, or an MCR dictionary on a page other than its /Pg) and
 * its link annotations (OBJR), sorted by the sequence numbers the layout gave
 * them (structure.h). Each page that holds marked content has
 * /StructParents, a key of the parent tree whose value lists, by MCID, the
 * element each sequence belongs to; each link annotation has a
 * /StructParent whose value is its Link element. Each layout added is one
 * subtree: the Document itself for one letter, a Part of the Document in a
 * combined file. */
#include "pdf_tags.h"
#include "model.h"

#include <hpdf_doc.h>
#include <hpdf_objects.h>
#include <string.h>

/* A child of an element: another element, a marked-content sequence or a
 * link annotation. */
enum { KID_ELEM, KID_MCID, KID_OBJR };
typedef struct Kid {
    uint32_t parent;       /* element index + 1 in the layout; 0: the layout's root */
    uint32_t seq;
    uint8_t type;
    int32_t mcid;          /* KID_MCID */
    uint32_t elem;         /* KID_ELEM: the element's index */
    HPDF_Page page;        /* KID_MCID, KID_OBJR */
    HPDF_Dict obj;         /* KID_OBJR: the annotation */
} Kid;

/* A parent tree entry: the page's (or annotation's) key and its value. */
/* own: the value is a direct array (a page's) that no libharu object holds
 * yet: the tagger frees it if the document is never finished. */
typedef struct Num { uint32_t key; void *value; int own; } Num;

struct mkl_tagger {
    HPDF_Doc pdf;
    const mkl_layout *L;
    HPDF_Dict *dict;           /* per element of L: its dictionary, or NULL (nothing drawn) */
    uint8_t *lang;             /* per element of L: its language, inherited */
    HPDF_Dict root;            /* the layout's root element */
    MKL_VEC(Kid) kids;
    MKL_VEC(HPDF_Dict) copies; /* the root of each layout added */
    MKL_VEC(Num) nums;
    uint32_t next_key;
    int doc_lang;              /* the first layout's language */
    /* the page being written */
    HPDF_Page page;
    MKL_VEC(HPDF_Dict) page_mcids;   /* MCID -> element */
    mkl_tag open;              /* the open sequence's tag, or MKL_TAG_NONE_OPEN */
    int failed;                /* out of memory while writing marks */
    /* a file written as it is made (mkl__tags_flat) */
    int flat;
    HPDF_Dict doc;             /* the Document, made first */
    size_t flushed_nums, flushed_copies, flushed_leaves;   /* those that are stubs already */
    MKL_VEC(HPDF_Null) stubs;  /* objects standing for written ones (by number) */
    MKL_VEC(HPDF_Dict) leaves; /* the parent tree's leaves made so far (a full one is written with its layout) */
};

/* Keys a leaf of the parent tree holds. */
#define LEAF 512

#define NONE_OPEN INT32_MIN

const char *mkl__tags_lang(int lang) { return lang == MKL_LANG_KO ? "ko-KR" : "en"; }

mkl_tagger *mkl__tagger_new(HPDF_Doc pdf) {
    mkl_tagger *t = mkl__calloc(1, sizeof *t);
    if (t) {
        t->pdf = pdf;
        t->open = NONE_OPEN;
    }
    return t;
}

static void layout_clear(mkl_tagger *t) {
    mkl__free(t->dict);
    mkl__free(t->lang);
    t->dict = NULL;
    t->lang = NULL;
    t->kids.n = 0;
    t->L = NULL;
}

void mkl__tagger_free(mkl_tagger *t) {
    if (!t) return;
    for (size_t i = 0; i < t->nums.n; i++)
        if (t->nums.v[i].own) HPDF_Obj_Free(t->pdf->mmgr, t->nums.v[i].value);
    layout_clear(t);
    for (size_t i = 0; i < t->stubs.n; i++) mkl__free(t->stubs.v[i]);
    mkl__free(t->leaves.v);
    mkl__free(t->stubs.v);
    mkl__free(t->kids.v);
    mkl__free(t->copies.v);
    mkl__free(t->nums.v);
    mkl__free(t->page_mcids.v);
    mkl__free(t);
}

static mkl_status hpdf(HPDF_STATUS r) {
    if (r == HPDF_OK) return MKL_OK;
    return r == HPDF_FAILD_TO_ALLOC_MEM ? MKL_ERR_NOMEM : MKL_ERR_PDF;
}

static HPDF_Dict new_indirect(mkl_tagger *t) {
    HPDF_Dict d = HPDF_Dict_New(t->pdf->mmgr);
    if (d && HPDF_Xref_Add(t->pdf->xref, d) != HPDF_OK) return NULL;   /* (the xref frees it) */
    return d;
}

/* A text string: literal when it is printable ASCII, else UTF-16BE with its BOM. */
static HPDF_STATUS add_text(mkl_tagger *t, HPDF_Dict d, const char *key, const char *s) {
    size_t n = strlen(s), i = 0;
    int ascii = 1;
    for (size_t k = 0; k < n && ascii; k++) ascii = (unsigned char)s[k] >= 0x20 && (unsigned char)s[k] < 0x7F;
    if (ascii) return HPDF_Dict_Add(d, key, HPDF_String_New(t->pdf->mmgr, s, NULL));
    HPDF_BYTE *u = mkl__malloc(2 * 2 * n + 2);
    if (!u) return HPDF_FAILD_TO_ALLOC_MEM;
    size_t m = 0;
    u[m++] = 0xFE;
    u[m++] = 0xFF;
    while (i < n) {
        uint32_t cp = mkl__utf8_next(s, n, &i);
        uint32_t units[2] = {cp, 0};
        int nu = 1;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            units[0] = 0xD800 + (cp >> 10);
            units[1] = 0xDC00 + (cp & 0x3FF);
            nu = 2;
        }
        for (int k = 0; k < nu; k++) {
            u[m++] = (HPDF_BYTE)(units[k] >> 8);
            u[m++] = (HPDF_BYTE)(units[k] & 0xFF);
        }
    }
    HPDF_STATUS r = HPDF_Dict_Add(d, key, HPDF_Binary_New(t->pdf->mmgr, u, (HPDF_UINT)m));
    mkl__free(u);
    return r;
}

mkl_status mkl__tags_flat(mkl_tagger *t) {
    t->flat = 1;
    return (t->doc = new_indirect(t)) ? MKL_OK : MKL_ERR_PDF;
}

/* An object standing for `obj`, written already: its number only. */
static HPDF_Null stub_for(mkl_tagger *t, const void *obj) {
    HPDF_Null s = mkl__calloc(1, sizeof *s);
    HPDF_Null *slot = s ? MKL_PUSH(&t->stubs) : NULL;
    if (!slot) {
        mkl__free(s);
        return NULL;
    }
    s->header.obj_id = ((const HPDF_Obj_Header *)obj)->obj_id;
    s->header.obj_class = HPDF_OCLASS_NULL;
    *slot = s;
    return s;
}

mkl_status mkl__tags_flush(mkl_tagger *t) {
    for (; t->flushed_nums < t->nums.n; t->flushed_nums++) {
        Num *nm = &t->nums.v[t->flushed_nums];
        if (!(nm->value = stub_for(t, nm->value))) return MKL_ERR_NOMEM;
    }
    for (; t->flushed_leaves < t->leaves.n; t->flushed_leaves++) {
        HPDF_Dict *c = &t->leaves.v[t->flushed_leaves];
        if (!(*c = (HPDF_Dict)stub_for(t, *c))) return MKL_ERR_NOMEM;
    }
    for (; t->flushed_copies < t->copies.n; t->flushed_copies++) {
        HPDF_Dict *c = &t->copies.v[t->flushed_copies];
        if (!(*c = (HPDF_Dict)stub_for(t, *c))) return MKL_ERR_NOMEM;
    }
    return MKL_OK;
}

static void mark_used(uint8_t *used, const mkl_structure *s, mkl_tag tag) {
    if (tag > 0 && MKL_TAG_INDEX(tag) < s->elems.n) used[MKL_TAG_INDEX(tag)] = 1;
}

mkl_status mkl__tags_layout_begin(mkl_tagger *t, const mkl_layout *L) {
    const mkl_structure *s = &L->structure;
    size_t n = s->elems.n;
    layout_clear(t);
    t->L = L;
    if (!t->copies.n) t->doc_lang = s->lang ? s->lang : MKL_LANG_EN;
    t->dict = mkl__calloc(n + 1, sizeof *t->dict);
    t->lang = mkl__calloc(n + 1, 1);
    if (!t->dict || !t->lang) return MKL_ERR_NOMEM;
    /* the elements something is drawn for, and their ancestors (a parent is
     * made before its children) */
    uint8_t *used = t->lang;   /* (reused for the languages below) */
    for (size_t p = 0; p < L->pages.n; p++) {
        const mkl_page *pg = &L->pages.v[p];
        for (size_t k = 0; k < pg->runs.n; k++)
            if (pg->runs.v[k].count) mark_used(used, s, pg->runs.v[k].tag);
        for (size_t k = 0; k < pg->rules.n; k++) mark_used(used, s, pg->rules.v[k].tag);
        for (size_t k = 0; k < pg->images.n; k++) mark_used(used, s, pg->images.v[k].tag);
        for (size_t k = 0; k < pg->links.n; k++) mark_used(used, s, pg->links.v[k].tag);
    }
    for (size_t i = n; i-- > 0;)
        if (used[i] && s->elems.v[i].parent > 0) used[MKL_TAG_INDEX(s->elems.v[i].parent)] = 1;
    if (!(t->root = new_indirect(t))) return MKL_ERR_PDF;
    for (size_t i = 0; i < n; i++)
        if (used[i] && !(t->dict[i] = new_indirect(t))) return MKL_ERR_PDF;
    /* each element's language: its own or its parent's */
    int copy_lang = s->lang ? s->lang : MKL_LANG_EN;
    for (size_t i = 0; i < n; i++) {
        const mkl_selem *el = &s->elems.v[i];
        int up = el->parent > 0 ? t->lang[MKL_TAG_INDEX(el->parent)] : copy_lang;
        t->lang[i] = (uint8_t)(el->lang ? el->lang : up);
    }
    HPDF_Dict *c = MKL_PUSH(&t->copies);
    if (!c) return MKL_ERR_NOMEM;
    *c = t->root;
    if (t->flat && (HPDF_Dict_AddName(t->root, "S", "Part") != HPDF_OK || HPDF_Dict_Add(t->root, "P", t->doc) != HPDF_OK))
        return MKL_ERR_PDF;
    if (copy_lang != t->doc_lang &&
        HPDF_Dict_Add(t->root, "Lang", HPDF_String_New(t->pdf->mmgr, mkl__tags_lang(copy_lang), NULL)) != HPDF_OK)
        return MKL_ERR_PDF;
    return MKL_OK;
}

void mkl__tags_page_begin(mkl_tagger *t, HPDF_Page page) {
    t->page = page;
    t->page_mcids.n = 0;
    t->open = NONE_OPEN;
}

void mkl__tags_close(mkl_tagger *t, mkl_buf *b) {
    if (t->open != NONE_OPEN) mkl__buf_adds(b, "EMC\n");
    t->open = NONE_OPEN;
}

void mkl__tags_mark(mkl_tagger *t, mkl_buf *b, mkl_tag tag, uint32_t seq) {
    const mkl_structure *s = &t->L->structure;
    if (tag > 0 && (MKL_TAG_INDEX(tag) >= s->elems.n || !t->dict[MKL_TAG_INDEX(tag)])) tag = MKL_TAG_LAYOUT;
    if (tag == t->open) return;
    mkl__tags_close(t, b);
    t->open = tag;
    if (tag == MKL_TAG_PAGINATION) {
        mkl__buf_adds(b, "/Artifact <</Type /Pagination>> BDC\n");
        return;
    }
    if (tag <= 0) {
        mkl__buf_adds(b, "/Artifact <</Type /Layout>> BDC\n");
        return;
    }
    size_t i = MKL_TAG_INDEX(tag);
    HPDF_Dict *slot = MKL_PUSH(&t->page_mcids);
    Kid *k = MKL_PUSH(&t->kids);
    if (!slot || !k) {
        t->failed = 1;
        return;
    }
    *slot = t->dict[i];
    k->parent = (uint32_t)tag;
    k->seq = seq;
    k->type = KID_MCID;
    k->mcid = (int32_t)(t->page_mcids.n - 1);
    k->page = t->page;
    mkl__buf_printf(b, "/%s <</MCID %d>> BDC\n", mkl__skind_name((mkl_skind)s->elems.v[i].kind), (int)k->mcid);
}

mkl_status mkl__tags_link(mkl_tagger *t, HPDF_Annotation a, const mkl_plink *lk) {
    const mkl_structure *s = &t->L->structure;
    HPDF_STATUS r = HPDF_OK;
    if (lk->uri) r |= add_text(t, a, "Contents", lk->uri);
    if (lk->tag <= 0 || MKL_TAG_INDEX(lk->tag) >= s->elems.n || !t->dict[MKL_TAG_INDEX(lk->tag)]) return hpdf(r);
    Kid *k = MKL_PUSH(&t->kids);
    Num *nm = MKL_PUSH(&t->nums);
    if (!k || !nm) return MKL_ERR_NOMEM;
    k->parent = (uint32_t)lk->tag;
    k->seq = lk->seq;
    k->type = KID_OBJR;
    k->page = t->page;
    k->obj = a;
    nm->key = t->next_key++;
    nm->value = t->dict[MKL_TAG_INDEX(lk->tag)];
    r |= HPDF_Dict_AddNumber(a, "StructParent", (HPDF_INT32)nm->key);
    return hpdf(r);
}

mkl_status mkl__tags_page_end(mkl_tagger *t) {
    if (t->failed) return MKL_ERR_NOMEM;
    HPDF_STATUS r = HPDF_Dict_AddName(t->page, "Tabs", "S");
    if (t->page_mcids.n) {
        Num *nm = MKL_PUSH(&t->nums);
        if (!nm) return MKL_ERR_NOMEM;
        HPDF_Array arr = HPDF_Array_New(t->pdf->mmgr);
        if (!arr) return MKL_ERR_NOMEM;
        nm->key = t->next_key++;
        nm->value = arr;
        nm->own = 1;
        if (t->flat) {   /* written with the layout's objects */
            nm->own = 0;
            if (HPDF_Xref_Add(t->pdf->xref, arr) != HPDF_OK) {   /* (which frees it) */
                t->nums.n--;
                return MKL_ERR_PDF;
            }
        }
        for (size_t i = 0; i < t->page_mcids.n && r == HPDF_OK; i++) r |= HPDF_Array_Add(arr, t->page_mcids.v[i]);
        r |= HPDF_Dict_AddNumber(t->page, "StructParents", (HPDF_INT32)nm->key);
    }
    t->page = NULL;
    return hpdf(r);
}

static int kid_before(const Kid *x, const Kid *y) { return x->seq != y->seq ? x->seq < y->seq : x->type < y->type; }

/* Order the kids by parent (a counting sort: parents are element indexes),
 * then by sequence number within each parent (an insertion sort: a parent's
 * kids come in order but for its child elements, pushed last). */
static mkl_status sort_kids(mkl_tagger *t, size_t nelems) {
    size_t n = t->kids.n, *start = mkl__calloc(nelems + 2, sizeof *start);
    Kid *out = mkl__malloc((n ? n : 1) * sizeof *out);
    if (!start || !out) {
        mkl__free(start);
        mkl__free(out);
        return MKL_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) start[t->kids.v[i].parent + 1]++;
    for (size_t p = 1; p < nelems + 2; p++) start[p] += start[p - 1];
    for (size_t i = 0; i < n; i++) out[start[t->kids.v[i].parent]++] = t->kids.v[i];
    for (size_t i = 1; i < n; i++) {
        Kid k = out[i];
        size_t j = i;
        for (; j > 0 && out[j - 1].parent == k.parent && kid_before(&k, &out[j - 1]); j--) out[j] = out[j - 1];
        out[j] = k;
    }
    memcpy(t->kids.v, out, n * sizeof *out);
    mkl__free(start);
    mkl__free(out);
    return MKL_OK;
}

/* Write one element's /K from kids[a, b) (its children, in order) and /Pg. */
/* An array holds at most this many items (libharu's limit and the
 * implementation limit of ISO 32000-1, Annex C). */
#define MAX_KIDS 8191

/* More child elements than an array holds (a petition's 100,000
 * signatories): groups of MAX_KIDS, each an element of `role` (a nested L in
 * a list) whose children they become, are `el`'s children instead. */
static HPDF_STATUS write_groups(mkl_tagger *t, HPDF_Dict el, const char *role, const Kid *kids, size_t a, size_t b) {
    HPDF_MMgr mm = t->pdf->mmgr;
    HPDF_Array top = HPDF_Array_New(mm);
    if (!top || HPDF_Dict_Add(el, "K", top) != HPDF_OK) return HPDF_FAILD_TO_ALLOC_MEM;
    HPDF_STATUS r = HPDF_OK;
    for (size_t g = a; g < b && r == HPDF_OK; g += MAX_KIDS) {
        HPDF_Dict grp = new_indirect(t);
        HPDF_Array arr = HPDF_Array_New(mm);
        if (!grp || !arr) return HPDF_FAILD_TO_ALLOC_MEM;
        r |= HPDF_Dict_AddName(grp, "S", role);
        r |= HPDF_Dict_Add(grp, "P", el);
        r |= HPDF_Dict_Add(grp, "K", arr);
        r |= HPDF_Array_Add(top, grp);
        for (size_t k = g; k < MKL_MIN(g + MAX_KIDS, b) && r == HPDF_OK; k++) {
            HPDF_Dict child = t->dict[kids[k].elem];
            r |= HPDF_Dict_Add(child, "P", grp);   /* (in place of el) */
            r |= HPDF_Array_Add(arr, child);
        }
    }
    return r;
}

static HPDF_STATUS write_kids(mkl_tagger *t, HPDF_Dict el, const char *role, const Kid *kids, size_t a, size_t b) {
    HPDF_MMgr mm = t->pdf->mmgr;
    if (b - a > MAX_KIDS) {
        size_t k = a;
        while (k < b && kids[k].type == KID_ELEM) k++;
        if (k < b) return HPDF_ARRAY_COUNT_ERR;   /* content too: not what a letter makes */
        return write_groups(t, el, role, kids, a, b);
    }
    HPDF_Page pg = NULL;
    for (size_t k = a; k < b && !pg; k++)
        if (kids[k].type == KID_MCID) pg = kids[k].page;
    HPDF_STATUS r = HPDF_OK;
    if (pg) r |= HPDF_Dict_Add(el, "Pg", pg);
    HPDF_Array arr = NULL;
    if (b - a > 1) {
        if (!(arr = HPDF_Array_New(mm)) || HPDF_Dict_Add(el, "K", arr) != HPDF_OK) return HPDF_FAILD_TO_ALLOC_MEM;
    }
    for (size_t k = a; k < b && r == HPDF_OK; k++) {
        const Kid *kd = &kids[k];
        void *o = NULL;
        if (kd->type == KID_ELEM) {
            o = t->dict[kd->elem];
        } else if (kd->type == KID_MCID && kd->page == pg) {
            o = HPDF_Number_New(mm, kd->mcid);
        } else {
            HPDF_Dict d = HPDF_Dict_New(mm);
            if (!d) return HPDF_FAILD_TO_ALLOC_MEM;
            o = d;
            if (kd->type == KID_MCID) {
                r |= HPDF_Dict_AddName(d, "Type", "MCR");
                r |= HPDF_Dict_Add(d, "Pg", kd->page);
                r |= HPDF_Dict_AddNumber(d, "MCID", kd->mcid);
            } else {
                r |= HPDF_Dict_AddName(d, "Type", "OBJR");
                r |= HPDF_Dict_Add(d, "Obj", kd->obj);
                r |= HPDF_Dict_Add(d, "Pg", kd->page);
            }
        }
        if (!o) return HPDF_FAILD_TO_ALLOC_MEM;
        r |= arr ? HPDF_Array_Add(arr, o) : HPDF_Dict_Add(el, "K", o);
    }
    return r;
}

/* A leaf of the parent tree (an indirect dictionary) holding nums [a, b). */
static HPDF_STATUS make_leaf(mkl_tagger *t, size_t a, size_t b, HPDF_Dict *out) {
    HPDF_MMgr mm = t->pdf->mmgr;
    HPDF_Dict leaf = new_indirect(t);
    HPDF_Array nums = HPDF_Array_New(mm), lim = nums ? HPDF_Array_New(mm) : NULL;
    if (!leaf || !lim || HPDF_Dict_Add(leaf, "Nums", nums) != HPDF_OK) {
        if (nums) HPDF_Array_Free(nums);
        if (lim) HPDF_Array_Free(lim);
        return HPDF_FAILD_TO_ALLOC_MEM;
    }
    if (HPDF_Dict_Add(leaf, "Limits", lim) != HPDF_OK) return HPDF_FAILD_TO_ALLOC_MEM;
    HPDF_STATUS r = HPDF_Array_AddNumber(lim, (HPDF_INT32)t->nums.v[a].key);
    r |= HPDF_Array_AddNumber(lim, (HPDF_INT32)t->nums.v[b - 1].key);
    for (size_t i = a; i < b && r == HPDF_OK; i++) {
        r |= HPDF_Array_AddNumber(nums, (HPDF_INT32)t->nums.v[i].key);
        t->nums.v[i].own = 0;   /* the number tree has it now (libharu frees it if this fails) */
        r |= HPDF_Array_Add(nums, t->nums.v[i].value);
    }
    *out = leaf;
    return r;
}

/* A flat file: each full leaf of the parent tree made now, written with the
 * layout's objects; the tagger keeps only the leaf's number. */
static HPDF_STATUS flat_leaves(mkl_tagger *t) {
    HPDF_STATUS r = HPDF_OK;
    while (t->nums.n >= LEAF && r == HPDF_OK) {
        HPDF_Dict *slot = MKL_PUSH(&t->leaves);
        if (!slot) return HPDF_FAILD_TO_ALLOC_MEM;
        r = make_leaf(t, 0, LEAF, slot);
        if (r != HPDF_OK) {
            t->leaves.n--;
            break;
        }
        memmove(t->nums.v, t->nums.v + LEAF, (t->nums.n - LEAF) * sizeof *t->nums.v);
        t->nums.n -= LEAF;
        t->flushed_nums = t->flushed_nums > LEAF ? t->flushed_nums - LEAF : 0;
    }
    return r;
}

mkl_status mkl__tags_layout_end(mkl_tagger *t) {
    if (t->failed) return MKL_ERR_NOMEM;
    const mkl_structure *s = &t->L->structure;
    HPDF_STATUS r = HPDF_OK;
    for (size_t i = 0; i < s->elems.n; i++) {
        if (!t->dict[i]) continue;
        const mkl_selem *el = &s->elems.v[i];
        Kid *k = MKL_PUSH(&t->kids);
        if (!k) return MKL_ERR_NOMEM;
        k->parent = el->parent > 0 ? (uint32_t)el->parent : 0;
        k->seq = el->seq;
        k->type = KID_ELEM;
        k->elem = (uint32_t)i;
        HPDF_Dict d = t->dict[i];
        r |= HPDF_Dict_AddName(d, "S", mkl__skind_name((mkl_skind)el->kind));
        r |= HPDF_Dict_Add(d, "P", el->parent > 0 ? t->dict[MKL_TAG_INDEX(el->parent)] : t->root);
        int up = el->parent > 0 ? t->lang[MKL_TAG_INDEX(el->parent)] : (s->lang ? s->lang : MKL_LANG_EN);
        if (t->lang[i] != up) r |= HPDF_Dict_Add(d, "Lang", HPDF_String_New(t->pdf->mmgr, mkl__tags_lang(t->lang[i]), NULL));
        if (el->alt) r |= add_text(t, d, "Alt", mkl__struct_str(s, el->alt));
        if (el->actual) r |= add_text(t, d, "ActualText", mkl__struct_str(s, el->actual));
    }
    if (r != HPDF_OK) return hpdf(r);
    if (sort_kids(t, s->elems.n)) return MKL_ERR_NOMEM;
    for (size_t a = 0; a < t->kids.n && r == HPDF_OK;) {
        size_t b = a;
        while (b < t->kids.n && t->kids.v[b].parent == t->kids.v[a].parent) b++;
        uint32_t p = t->kids.v[a].parent;
        const char *role = p && s->elems.v[p - 1].kind == MKL_S_L ? "L" : "Div";
        r |= write_kids(t, p ? t->dict[p - 1] : t->root, role, t->kids.v, a, b);
        a = b;
    }
    if (r == HPDF_OK && t->flat) r = flat_leaves(t);
    layout_clear(t);
    return hpdf(r);
}

/* The parent tree: one node for up to LEAF keys, else leaves of LEAF under
 * a root (a flat file's full leaves are made already). */
static HPDF_STATUS parent_tree(mkl_tagger *t, HPDF_Dict *out) {
    HPDF_MMgr mm = t->pdf->mmgr;
    HPDF_Dict root = new_indirect(t);
    if (!root) return HPDF_FAILD_TO_ALLOC_MEM;
    *out = root;
    HPDF_STATUS r = HPDF_OK;
    if (t->nums.n <= LEAF && !t->leaves.n) {
        HPDF_Array nums = HPDF_Array_New(mm);
        if (!nums || HPDF_Dict_Add(root, "Nums", nums) != HPDF_OK) return HPDF_FAILD_TO_ALLOC_MEM;
        for (size_t i = 0; i < t->nums.n && r == HPDF_OK; i++) {
            r |= HPDF_Array_AddNumber(nums, (HPDF_INT32)t->nums.v[i].key);
            t->nums.v[i].own = 0;   /* the number tree has it now (libharu frees it if this fails) */
            r |= HPDF_Array_Add(nums, t->nums.v[i].value);
        }
        return r;
    }
    HPDF_Array kids = HPDF_Array_New(mm);
    if (!kids || HPDF_Dict_Add(root, "Kids", kids) != HPDF_OK) return HPDF_FAILD_TO_ALLOC_MEM;
    for (size_t i = 0; i < t->leaves.n && r == HPDF_OK; i++) r |= HPDF_Array_Add(kids, t->leaves.v[i]);
    for (size_t a = 0; a < t->nums.n && r == HPDF_OK; a += LEAF) {
        HPDF_Dict leaf = NULL;
        r |= make_leaf(t, a, MKL_MIN(a + LEAF, t->nums.n), &leaf);
        if (r == HPDF_OK) r |= HPDF_Array_Add(kids, leaf);
    }
    return r;
}

/* The signature's widget as a Form element, the last child of `doc`. */
static HPDF_STATUS form_element(mkl_tagger *t, HPDF_Dict doc, HPDF_Dict widget, HPDF_Page page) {
    HPDF_MMgr mm = t->pdf->mmgr;
    HPDF_Dict form = new_indirect(t), objr = HPDF_Dict_New(mm);
    Num *nm = MKL_PUSH(&t->nums);
    if (!form || !objr || !nm) {
        if (objr) HPDF_Dict_Free(objr);
        if (nm) t->nums.n--;
        return HPDF_FAILD_TO_ALLOC_MEM;
    }
    nm->key = t->next_key++;
    nm->value = form;
    nm->own = 0;
    HPDF_STATUS r = HPDF_Dict_AddName(form, "S", "Form");
    r |= HPDF_Dict_Add(form, "P", doc);
    r |= HPDF_Dict_Add(form, "Pg", page);
    r |= HPDF_Dict_Add(form, "Alt", HPDF_String_New(mm, "Digital signature", NULL));
    r |= HPDF_Dict_AddName(objr, "Type", "OBJR");
    r |= HPDF_Dict_Add(objr, "Obj", widget);
    r |= HPDF_Dict_Add(objr, "Pg", page);
    r |= HPDF_Dict_Add(form, "K", objr);
    r |= HPDF_Dict_AddNumber(widget, "StructParent", (HPDF_INT32)nm->key);
    if (r != HPDF_OK) return r;
    /* the Document's kids: an array, or one element made an array */
    HPDF_Array kids = HPDF_Dict_GetItem(doc, "K", HPDF_OCLASS_ARRAY);
    if (!kids) {
        void *one = HPDF_Dict_GetItem(doc, "K", HPDF_OCLASS_DICT);
        if (!(kids = HPDF_Array_New(mm))) return HPDF_FAILD_TO_ALLOC_MEM;
        if (one) r |= HPDF_Array_Add(kids, one);
        r |= HPDF_Dict_Add(doc, "K", kids);
    }
    return r | HPDF_Array_Add(kids, form);
}

mkl_status mkl__tags_finish(mkl_tagger *t, HPDF_Dict widget, HPDF_Page page) {
    HPDF_Doc pdf = t->pdf;
    HPDF_MMgr mm = pdf->mmgr;
    HPDF_STATUS r = HPDF_OK;
    HPDF_Dict tree = new_indirect(t), ptree = NULL;
    if (!tree) return MKL_ERR_PDF;
    r |= HPDF_Dict_AddName(tree, "Type", "StructTreeRoot");
    HPDF_Dict doc = t->flat ? t->doc : t->copies.n == 1 ? t->copies.v[0] : new_indirect(t);
    if (!doc) return MKL_ERR_PDF;
    r |= HPDF_Dict_AddName(doc, "S", "Document");
    r |= HPDF_Dict_Add(doc, "P", tree);
    if (t->flat) {
        /* each copy a Part of the Document, written already */
        HPDF_Array parts = HPDF_Array_New(mm);
        if (!parts || HPDF_Dict_Add(doc, "K", parts) != HPDF_OK) return MKL_ERR_NOMEM;
        for (size_t i = 0; i < t->copies.n && r == HPDF_OK; i++) r |= HPDF_Array_Add(parts, t->copies.v[i]);
    } else if (t->copies.n != 1) {
        /* a combined file: each copy a Part of the Document */
        HPDF_Array parts = HPDF_Array_New(mm);
        if (!parts || HPDF_Dict_Add(doc, "K", parts) != HPDF_OK) return MKL_ERR_NOMEM;
        for (size_t i = 0; i < t->copies.n && r == HPDF_OK; i++) {
            r |= HPDF_Dict_AddName(t->copies.v[i], "S", "Part");
            r |= HPDF_Dict_Add(t->copies.v[i], "P", doc);
            r |= HPDF_Array_Add(parts, t->copies.v[i]);
        }
    }
    r |= HPDF_Dict_Add(tree, "K", doc);
    if (r == HPDF_OK && widget) r = form_element(t, doc, widget, page);
    if (r == HPDF_OK) r = parent_tree(t, &ptree);
    if (r == HPDF_OK) r |= HPDF_Dict_Add(tree, "ParentTree", ptree);
    r |= HPDF_Dict_AddNumber(tree, "ParentTreeNextKey", (HPDF_INT32)t->next_key);
    r |= HPDF_Dict_Add(pdf->catalog, "StructTreeRoot", tree);
    HPDF_Dict mi = HPDF_Dict_New(mm), vp = HPDF_Dict_New(mm);
    if (!mi || !vp) {   /* the one made belongs to nothing yet */
        if (mi) HPDF_Dict_Free(mi);
        if (vp) HPDF_Dict_Free(vp);
        return MKL_ERR_NOMEM;
    }
    r |= HPDF_Dict_AddBoolean(mi, "Marked", HPDF_TRUE);
    r |= HPDF_Dict_Add(pdf->catalog, "MarkInfo", mi);
    r |= HPDF_Dict_AddBoolean(vp, "DisplayDocTitle", HPDF_TRUE);
    r |= HPDF_Dict_Add(pdf->catalog, "ViewerPreferences", vp);
    r |= HPDF_Dict_Add(pdf->catalog, "Lang", HPDF_String_New(mm, mkl__tags_lang(t->doc_lang), NULL));
    return hpdf(r);
}

void mkl__tags_xmp_pdfua(mkl_buf *x, int pdfa) {
    if (pdfa)
        mkl__buf_adds(x, "<rdf:Description rdf:about=\"\" xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\""
                         " xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\""
                         " xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">\n"
                         "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">"
                         "<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>"
                         "<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>"
                         "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>"
                         "<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType=\"Resource\">"
                         "<pdfaProperty:name>part</pdfaProperty:name>"
                         "<pdfaProperty:valueType>Integer</pdfaProperty:valueType>"
                         "<pdfaProperty:category>internal</pdfaProperty:category>"
                         "<pdfaProperty:description>Indicates, which part of ISO 14289 standard is followed"
                         "</pdfaProperty:description></rdf:li></rdf:Seq></pdfaSchema:property>"
                         "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>\n");
    mkl__buf_adds(x, "<rdf:Description rdf:about=\"\" xmlns:pdfuaid=\"http://www.aiim.org/pdfua/ns/id/\">"
                     "<pdfuaid:part>1</pdfuaid:part></rdf:Description>\n");
}
