/* pdf_tags.c - tagged PDF: marked content, structure tree, parent tree. See pdf_tags.h.
 *
 * The structure tree is a few hundred small dictionaries a letter (a
 * co-signer alone is an LI and its LBody): they are not libharu objects.
 * Each element has an object number of libharu's, held by a placeholder
 * (a null object), and its dictionary is formatted here, compactly, into one
 * buffer; pack.c writes those bytes in place of the placeholders
 * (mkl__tags_subst, pack.h). Only the catalog's entries, each page's
 * /StructParents and /Tabs and each link annotation's /StructParent and
 * /Contents go through libharu.
 *
 * An element's /K lists its children in reading order: the child elements,
 * its marked-content sequences (an MCID, or an MCR dictionary on a page
 * other than its /Pg) and its link annotations (OBJR), sorted by the
 * sequence numbers the layout gave them (structure.h). Each page that holds
 * marked content has /StructParents, a key of the parent tree whose value
 * lists, by MCID, the element each sequence belongs to; each link annotation
 * has a /StructParent whose value is its Link element. Each layout added is
 * one subtree: the Document itself for one letter, a Part of the Document in
 * a combined file. */
#include "pdf_tags.h"
#include "pdf_internal.h"
#include "model.h"

#include <hpdf_doc.h>
#include <hpdf_objects.h>
#include <string.h>

/* A child of an element: another element, a marked-content sequence or a
 * link annotation. 16 bytes: a petition's 100,000 co-signers have 300,000
 * of them (an LI's LBody, an LBody's MCID, the list's LI). */
enum { KID_ELEM, KID_MCID, KID_OBJR };
typedef struct Kid {
    uint32_t parent;       /* element index + 1 in the layout; 0: the layout's root */
    uint32_t seq;
    uint32_t what;         /* KID_ELEM: the element's index; KID_MCID: the MCID; KID_OBJR: the annotation's object */
    uint32_t page_type;    /* the page's object number (KID_MCID, KID_OBJR; 23 bits) | the type << 30 */
} Kid;

static unsigned kid_type(const Kid *k) { return k->page_type >> 30; }
static uint32_t kid_page(const Kid *k) { return k->page_type & 0x3FFFFFFFu; }
static uint32_t kid_page_type(uint32_t page, unsigned type) { return page | (uint32_t)type << 30; }

/* A parent tree entry: the page's (or annotation's) key and its value: for
 * a page, the objects of mcids[at, at + n), by MCID; for an annotation (n
 * = 0), the object `at`. */
typedef struct Num { uint32_t key; uint32_t n; size_t at; } Num;

/* The root of the last layout added: its object, its language (0: the
 * document's), and its kids, formatted ("6 0 R 10 0 R") in roots_k, k_n of
 * them. It is the Document itself when it is the only one; once a second
 * layout begins, each is a Part of a Document, formatted as soon as its
 * kids are known, so that a copy of a combined file leaves only its Part's
 * number here (`parts`). */
typedef struct Root { uint32_t obj; uint8_t lang; size_t k_n; } Root;

struct mkl_tagger {
    HPDF_Doc pdf;
    const mkl_layout *L;
    uint32_t *obj;             /* per element of L: its object number, or 0 (nothing drawn) */
    uint32_t *up;              /* per element of L: its parent's object number (a group's, past MAX_KIDS) */
    uint8_t *lang;             /* per element of L: its language, inherited */
    uint32_t root;             /* the layout's root element's object number */
    unsigned numw;             /* the digits of the layout's largest object number (padded_u) */
    MKL_VEC(Kid) kids;
    MKL_VEC(uint32_t) parts;   /* each layout's root object, in order */
    Root last;                 /* the last layout's root */
    mkl_buf roots_k;           /* its kids */
    uint32_t doc;              /* the Document's object, from the second layout on */
    MKL_VEC(Num) nums;
    MKL_VEC(uint32_t) mcids;   /* the pages' parent tree values */
    uint32_t next_key;
    int doc_lang;              /* the first layout's language */
    /* the structure's own objects, formatted */
    mkl_buf bytes;
    MKL_VEC(mkl_pack_obj) objs;
    /* the page being written */
    HPDF_Page page;
    uint32_t page_obj;
    size_t page_mcids;         /* where the page's MCIDs begin in mcids */
    mkl_tag open;              /* the open sequence's tag, or NONE_OPEN */
    int failed;                /* out of memory while writing marks */
    int defer;                 /* layout_end leaves the structure to layout_flush (mkl__tags_defer) */
    int waiting;               /* a layout's structure waits for layout_flush */
    MKL_VEC(uint32_t) leaves;  /* a file written as it is made: the parent tree's leaves written already */
};

#define NONE_OPEN INT32_MIN

/* An array holds at most this many items (libharu's limit and the
 * implementation limit of ISO 32000-1, Annex C). */
#define MAX_KIDS 8191

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
    mkl__free(t->obj);
    mkl__free(t->up);
    mkl__free(t->lang);
    t->obj = t->up = NULL;
    t->lang = NULL;
    mkl__free(t->kids.v);   /* (not kept for the next copy: a letter's are written by then) */
    memset(&t->kids, 0, sizeof t->kids);
    t->L = NULL;
}

void mkl__tagger_free(mkl_tagger *t) {
    if (!t) return;
    layout_clear(t);
    mkl__free(t->parts.v);
    mkl__buf_free(&t->roots_k);
    mkl__free(t->nums.v);
    mkl__free(t->mcids.v);
    mkl__buf_free(&t->bytes);
    mkl__free(t->objs.v);
    mkl__free(t->leaves.v);
    mkl__free(t);
}

void mkl__tags_subst(const mkl_tagger *t, mkl_pack_subst *out) {
    out->bytes = t->bytes.s;
    out->v = t->objs.v;
    out->n = t->objs.n;
}

void mkl__tags_written(mkl_tagger *t) {
    t->bytes.n = 0;
    t->objs.n = 0;
}

static mkl_status hpdf(HPDF_STATUS r) {
    if (r == HPDF_OK) return MKL_OK;
    return r == HPDF_FAILD_TO_ALLOC_MEM ? MKL_ERR_NOMEM : MKL_ERR_PDF;
}

static uint32_t obj_num(const void *o) { return ((const HPDF_Obj_Header *)o)->obj_id & 0x00FFFFFF; }

/* A placeholder for an object formatted here: a null libharu writes and
 * pack.c replaces. NULL when libharu refused it (the xref frees it). One
 * that libharu refers to (the StructTreeRoot, from the catalog). */
static HPDF_Null reserve_obj(mkl_tagger *t) {
    HPDF_Null o = HPDF_Null_New(t->pdf->mmgr);
    if (o && HPDF_Xref_Add(t->pdf->xref, o) != HPDF_OK) return NULL;
    return o;
}

/* The null that holds the place of every object only this module refers
 * to (the elements, the parent tree's nodes): libharu numbers an object by
 * its entry's place in the cross-reference and writes the entry's object,
 * so one null serves them all, where a null each took 32 bytes (64 a
 * petition's signatory). The writer's allocator never frees it
 * (mkl__tags_is_placeholder). */
static HPDF_Null_Rec placeholder = {{0, 0, HPDF_OCLASS_NULL}};

int mkl__tags_is_placeholder(const void *p) { return p == &placeholder; }

/* A new entry in the cross-reference for an object formatted here: its
 * number, or 0 when libharu refused it. */
static uint32_t reserve(mkl_tagger *t) {
    HPDF_Xref x = t->pdf->xref;
    if (x->entries->count >= HPDF_LIMIT_MAX_XREF_ELEMENT) return 0;
    HPDF_XrefEntry e = HPDF_GetMem(t->pdf->mmgr, sizeof *e);
    if (!e) return 0;
    if (HPDF_List_Add(x->entries, e) != HPDF_OK) {
        HPDF_FreeMem(t->pdf->mmgr, e);
        return 0;
    }
    e->entry_typ = HPDF_IN_USE_ENTRY;
    e->byte_offset = 0;
    e->gen_no = 0;
    e->obj = &placeholder;
    return (uint32_t)(x->start_offset + x->entries->count - 1);
}

/* ---- formatting ------------------------------------------------------- */

static void put(mkl_buf *b, const char *s) { mkl__buf_adds(b, s); }
static void put_u(mkl_buf *b, uint64_t v) {
    char tmp[24];
    int i = (int)sizeof tmp;
    do tmp[--i] = (char)('0' + v % 10);
    while (v /= 10);
    mkl__buf_add(b, tmp + i, sizeof tmp - (size_t)i);
}
static void put_ref(mkl_buf *b, uint32_t obj) {
    put_u(b, obj);
    mkl__buf_add(b, " 0 R", 4);
}
/* v right-aligned, spaces before it, in `width` digits: elements of a kind
 * then have their numbers in the same columns, and pack.c's rows of them
 * differ from one to the next in those digits only (own_stream). */
static void put_padded(mkl_buf *b, uint64_t v, unsigned width) {
    unsigned d = 1;
    for (uint64_t x = v; x >= 10; x /= 10) d++;
    for (; d < width; d++) mkl__buf_add(b, " ", 1);
    put_u(b, v);
}
static void put_padded_ref(mkl_buf *b, uint32_t obj, unsigned width) {
    put_padded(b, obj, width);
    mkl__buf_add(b, " 0 R", 4);
}

static int printable_ascii(const char *s, size_t n) {
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] < 0x20 || (unsigned char)s[k] >= 0x7F) return 0;
    return 1;
}

/* A text string: literal when it is printable ASCII, else UTF-16BE with its BOM. */
static void put_text(mkl_buf *b, const char *s) {
    size_t n = strlen(s);
    if (printable_ascii(s, n)) {
        put(b, "(");
        for (size_t k = 0; k < n; k++) {
            if (s[k] == '(' || s[k] == ')' || s[k] == '\\') put(b, "\\");
            mkl__buf_add(b, s + k, 1);
        }
        put(b, ")");
        return;
    }
    put(b, "<FEFF");
    mkl__pdf_utf16be(b, s, n);
    put(b, ">");
}

/* Object `num`'s bytes begin (obj_begin) and end (obj_end) in t->bytes. */
static void obj_begin(mkl_tagger *t, uint32_t num) {
    mkl_pack_obj *o = MKL_PUSH(&t->objs);
    if (!o) {
        t->failed = 1;
        return;
    }
    o->num = num;
    o->off = t->bytes.n;
}
static void obj_end(mkl_tagger *t) {
    if (t->failed || !t->objs.n) return;
    mkl_pack_obj *o = &t->objs.v[t->objs.n - 1];
    o->len = (uint32_t)(t->bytes.n - o->off);
}

/* ---- marks --------------------------------------------------------------- */

static void put_part(mkl_tagger *t);

static void mark_used(uint8_t *used, const mkl_structure *s, mkl_tag tag) {
    if (tag > 0 && MKL_TAG_INDEX(tag) < s->elems.n) used[MKL_TAG_INDEX(tag)] = 1;
}

mkl_status mkl__tags_layout_begin(mkl_tagger *t, const mkl_layout *L) {
    const mkl_structure *s = &L->structure;
    size_t n = s->elems.n;
    if (t->waiting) return MKL_ERR_PDF;   /* the last layout's structure was not flushed: a bug */
    layout_clear(t);
    t->L = L;
    if (!t->parts.n) t->doc_lang = s->lang ? s->lang : MKL_LANG_EN;
    t->obj = mkl__calloc(n + 1, sizeof *t->obj);
    t->up = mkl__calloc(n + 1, sizeof *t->up);
    t->lang = mkl__calloc(n + 1, 1);
    if (!t->obj || !t->up || !t->lang) return MKL_ERR_NOMEM;
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
    if (!(t->root = reserve(t))) return MKL_ERR_PDF;
    /* numbered kind by kind: pack.c writes objects in their numbers' order,
     * and dictionaries alike side by side compress best (a co-signer's LI
     * and LBody: 50 bytes less on the seed letter than in turn) */
    for (int kind = 0; kind < MKL_S_COUNT; kind++)
        for (size_t i = 0; i < n; i++)
            if (used[i] && s->elems.v[i].kind == kind && !(t->obj[i] = reserve(t))) return MKL_ERR_PDF;
    /* each element's language: its own or its parent's */
    int copy_lang = s->lang ? s->lang : MKL_LANG_EN;
    for (size_t i = 0; i < n; i++) {
        const mkl_selem *el = &s->elems.v[i];
        int up = el->parent > 0 ? t->lang[MKL_TAG_INDEX(el->parent)] : copy_lang;
        t->lang[i] = (uint8_t)(el->lang ? el->lang : up);
    }
    uint32_t *part = MKL_PUSH(&t->parts);
    if (!part) return MKL_ERR_NOMEM;
    *part = t->root;
    if (t->parts.n == 2) {   /* a second layout: the first is a Part of a Document */
        if (!(t->doc = reserve(t))) return MKL_ERR_PDF;
        put_part(t);
    }
    t->last.obj = t->root;
    t->last.lang = (uint8_t)(copy_lang != t->doc_lang ? copy_lang : 0);
    t->last.k_n = 0;
    t->roots_k.n = 0;
    return MKL_OK;
}

void mkl__tags_page_begin(mkl_tagger *t, HPDF_Page page) {
    t->page = page;
    t->page_obj = obj_num(page);
    t->page_mcids = t->mcids.n;
    t->open = NONE_OPEN;
}

void mkl__tags_close(mkl_tagger *t, mkl_buf *b) {
    if (t->open != NONE_OPEN) mkl__buf_adds(b, "EMC\n");
    t->open = NONE_OPEN;
}

void mkl__tags_mark(mkl_tagger *t, mkl_buf *b, mkl_tag tag, uint32_t seq) {
    const mkl_structure *s = &t->L->structure;
    if (tag > 0 && (MKL_TAG_INDEX(tag) >= s->elems.n || !t->obj[MKL_TAG_INDEX(tag)])) tag = MKL_TAG_LAYOUT;
    if (tag == t->open) return;
    mkl__tags_close(t, b);
    t->open = tag;
    if (tag == MKL_TAG_PAGINATION) {
        mkl__buf_adds(b, "/Artifact<</Type/Pagination>>BDC\n");
        return;
    }
    if (tag <= 0) {   /* a layout artifact: the default type */
        mkl__buf_adds(b, "/Artifact BMC\n");
        return;
    }
    size_t i = MKL_TAG_INDEX(tag);
    uint32_t *slot = MKL_PUSH(&t->mcids);
    Kid *k = MKL_PUSH(&t->kids);
    if (!slot || !k) {
        t->failed = 1;
        return;
    }
    *slot = t->obj[i];
    k->parent = (uint32_t)tag;
    k->seq = seq;
    k->what = (uint32_t)(t->mcids.n - 1 - t->page_mcids);
    k->page_type = kid_page_type(t->page_obj, KID_MCID);
    mkl__buf_adds(b, "/");
    mkl__buf_adds(b, mkl__skind_name((mkl_skind)s->elems.v[i].kind));
    mkl__buf_adds(b, "<</MCID ");
    put_u(b, k->what);
    mkl__buf_adds(b, ">>BDC\n");
}

/* For the annotation's /Contents (a libharu dictionary): as put_text. */
static HPDF_STATUS add_text(mkl_tagger *t, HPDF_Dict d, const char *key, const char *s) {
    size_t n = strlen(s);
    if (printable_ascii(s, n)) return HPDF_Dict_Add(d, key, HPDF_String_New(t->pdf->mmgr, s, NULL));
    mkl_buf u = {0};
    mkl__pdf_utf16be_bytes(&u, s, n);
    if (u.oom) {
        mkl__buf_free(&u);
        return HPDF_FAILD_TO_ALLOC_MEM;
    }
    HPDF_STATUS r = HPDF_Dict_Add(d, key, HPDF_Binary_New(t->pdf->mmgr, (HPDF_BYTE *)u.s, (HPDF_UINT)u.n));
    mkl__buf_free(&u);
    return r;
}

mkl_status mkl__tags_link(mkl_tagger *t, HPDF_Annotation a, const mkl_plink *lk) {
    const mkl_structure *s = &t->L->structure;
    HPDF_STATUS r = HPDF_OK;
    if (lk->uri) r |= add_text(t, a, "Contents", lk->uri);
    if (lk->tag <= 0 || MKL_TAG_INDEX(lk->tag) >= s->elems.n || !t->obj[MKL_TAG_INDEX(lk->tag)]) return hpdf(r);
    Kid *k = MKL_PUSH(&t->kids);
    Num *nm = MKL_PUSH(&t->nums);
    if (!k || !nm) return MKL_ERR_NOMEM;
    k->parent = (uint32_t)lk->tag;
    k->seq = lk->seq;
    k->what = obj_num(a);
    k->page_type = kid_page_type(t->page_obj, KID_OBJR);
    nm->key = t->next_key++;
    nm->n = 0;
    nm->at = t->obj[MKL_TAG_INDEX(lk->tag)];
    r |= HPDF_Dict_AddNumber(a, "StructParent", (HPDF_INT32)nm->key);
    return hpdf(r);
}

mkl_status mkl__tags_page_end(mkl_tagger *t) {
    if (t->failed) return MKL_ERR_NOMEM;
    HPDF_STATUS r = HPDF_Dict_AddName(t->page, "Tabs", "S");
    if (t->mcids.n > t->page_mcids) {
        Num *nm = MKL_PUSH(&t->nums);
        if (!nm) return MKL_ERR_NOMEM;
        nm->key = t->next_key++;
        nm->n = (uint32_t)(t->mcids.n - t->page_mcids);
        nm->at = t->page_mcids;
        r |= HPDF_Dict_AddNumber(t->page, "StructParents", (HPDF_INT32)nm->key);
    }
    t->page = NULL;
    return hpdf(r);
}

static int kid_before(const Kid *x, const Kid *y) {
    return x->seq != y->seq ? x->seq < y->seq : kid_type(x) < kid_type(y);
}

/* The elements something is drawn for, each its parent's kid: made here,
 * not kept beside the structure's own record of them. */
static Kid element_kid(const mkl_selem *el, size_t i) {
    Kid k = {el->parent > 0 ? (uint32_t)el->parent : 0, el->seq, (uint32_t)i, kid_page_type(0, KID_ELEM)};
    return k;
}

/* The kids (the marks' and links' pushed, then each element's) ordered by
 * parent (a counting sort: parents are element indexes), then by sequence
 * number within each parent (an insertion sort: a parent's kids come in
 * order but for its child elements, put last), into a new t->kids. */
static mkl_status sort_kids(mkl_tagger *t, const mkl_structure *s) {
    size_t nelems = s->elems.n, n = t->kids.n;
    for (size_t i = 0; i < nelems; i++) n += t->obj[i] != 0;
    uint32_t *start = mkl__calloc(nelems + 2, sizeof *start);
    Kid *out = mkl__malloc((n ? n : 1) * sizeof *out);
    if (!start || !out) {
        mkl__free(start);
        mkl__free(out);
        return MKL_ERR_NOMEM;
    }
    for (size_t i = 0; i < t->kids.n; i++) start[t->kids.v[i].parent + 1]++;
    for (size_t i = 0; i < nelems; i++)
        if (t->obj[i]) start[element_kid(&s->elems.v[i], i).parent + 1]++;
    for (size_t p = 1; p < nelems + 2; p++) start[p] += start[p - 1];
    for (size_t i = 0; i < t->kids.n; i++) out[start[t->kids.v[i].parent]++] = t->kids.v[i];
    for (size_t i = 0; i < nelems; i++)
        if (t->obj[i]) {
            Kid k = element_kid(&s->elems.v[i], i);
            out[start[k.parent]++] = k;
        }
    for (size_t i = 1; i < n; i++) {
        Kid k = out[i];
        size_t j = i;
        for (; j > 0 && out[j - 1].parent == k.parent && kid_before(&k, &out[j - 1]); j--) out[j] = out[j - 1];
        out[j] = k;
    }
    mkl__free(start);
    mkl__free(t->kids.v);
    t->kids.v = out;
    t->kids.n = t->kids.cap = n;
    return MKL_OK;
}

/* The items of a /K: kids[a, b), space-separated; an MCID on page `pg` as
 * its number, on another page as an MCR. */
static void put_kids(const mkl_tagger *t, mkl_buf *b, const Kid *kids, size_t a, size_t e, uint32_t pg) {
    unsigned width = e - a == 1 ? t->numw : 0;   /* one kid: padded */
    for (size_t k = a; k < e; k++) {
        const Kid *kd = &kids[k];
        unsigned type = kid_type(kd);
        if (k > a) put(b, " ");
        if (type == KID_ELEM) {
            put_padded_ref(b, t->obj[kd->what], width);
        } else if (type == KID_MCID && kid_page(kd) == pg) {
            put_padded(b, kd->what, width);
        } else if (type == KID_MCID) {
            put(b, "<</Type/MCR/Pg ");
            put_ref(b, kid_page(kd));
            put(b, "/MCID ");
            put_u(b, kd->what);
            put(b, ">>");
        } else {
            put(b, "<</Type/OBJR/Obj ");
            put_ref(b, kd->what);
            put(b, "/Pg ");
            put_ref(b, kid_page(kd));
            put(b, ">>");
        }
    }
}

/* More child elements than an array holds (a petition's 100,000
 * signatories): groups of MAX_KIDS, each an element of `role` (a nested L in
 * a list) whose children they become, under `parent`; their objects' items
 * into `items`, and their count into *count. The children's /P is their group. */
static mkl_status put_groups(mkl_tagger *t, mkl_buf *items, const char *role, uint32_t parent, const Kid *kids,
                             size_t a, size_t e, size_t *count) {
    for (size_t k = a; k < e; k++)
        if (kid_type(&kids[k]) != KID_ELEM) return MKL_ERR_PDF;   /* content too: not what a letter makes */
    *count = 0;
    for (size_t g = a; g < e; g += MAX_KIDS) {
        size_t ge = MKL_MIN(g + MAX_KIDS, e);
        uint32_t grp = reserve(t);
        if (!grp) return MKL_ERR_PDF;
        for (size_t k = g; k < ge; k++) t->up[kids[k].what] = grp;
        obj_begin(t, grp);
        put(&t->bytes, "<</S/");
        put(&t->bytes, role);
        put(&t->bytes, "/K[");
        put_kids(t, &t->bytes, kids, g, ge, 0);
        put(&t->bytes, "]/P ");
        put_ref(&t->bytes, parent);
        put(&t->bytes, ">>");
        obj_end(t);
        if (*count) put(items, " ");
        put_ref(items, grp);
        (*count)++;
    }
    return MKL_OK;
}

/* The items of an element's /K into `items` (their count into *count) and
 * the page its MCIDs are on (0: none) into *pg. */
static mkl_status element_kids(mkl_tagger *t, mkl_buf *items, const char *role, uint32_t self, const Kid *kids,
                               size_t a, size_t e, uint32_t *pg, size_t *count) {
    *pg = 0;
    if (e - a > MAX_KIDS) return put_groups(t, items, role, self, kids, a, e, count);
    for (size_t k = a; k < e && !*pg; k++)
        if (kid_type(&kids[k]) == KID_MCID) *pg = kid_page(&kids[k]);
    put_kids(t, items, kids, a, e, *pg);
    *count = e - a;
    return MKL_OK;
}

/* "/K x" or "/K[x y ...]" of `count` items. */
static void put_k(mkl_buf *b, const char *items, size_t len, size_t count) {
    if (!count) return;
    put(b, count > 1 ? "/K[" : "/K ");
    mkl__buf_add(b, items, len);
    if (count > 1) put(b, "]");
}

/* The last layout's root as a Part of the Document. */
static void put_part(mkl_tagger *t) {
    mkl_buf *b = &t->bytes;
    obj_begin(t, t->last.obj);
    put(b, "<</S/Part");
    put_k(b, t->roots_k.s, t->roots_k.n, t->last.k_n);
    if (t->last.lang) {
        put(b, "/Lang");
        put_text(b, mkl__tags_lang(t->last.lang));
    }
    put(b, "/P ");
    put_ref(b, t->doc);
    put(b, ">>");
    obj_end(t);
}

/* Element i's dictionary, its kids' items in `items`. */
static void put_element(mkl_tagger *t, size_t i, uint32_t pg, const mkl_buf *items, size_t count) {
    const mkl_structure *s = &t->L->structure;
    const mkl_selem *el = &s->elems.v[i];
    mkl_buf *b = &t->bytes;
    obj_begin(t, t->obj[i]);
    put(b, "<</S/");
    put(b, mkl__skind_name((mkl_skind)el->kind));
    if (pg) {
        put(b, "/Pg ");
        put_padded_ref(b, pg, t->numw);
    }
    put_k(b, items->s, items->n, count);
    int up = el->parent > 0 ? t->lang[MKL_TAG_INDEX(el->parent)] : (s->lang ? s->lang : MKL_LANG_EN);
    if (t->lang[i] != up) {
        put(b, "/Lang");
        put_text(b, mkl__tags_lang(t->lang[i]));
    }
    if (el->alt) {
        put(b, "/Alt");
        put_text(b, mkl__struct_str(s, el->alt));
    }
    if (el->actual) {
        put(b, "/ActualText");
        put_text(b, mkl__struct_str(s, el->actual));
    }
    put(b, "/P ");
    put_padded_ref(b, t->up[i], t->numw);
    put(b, ">>");
    obj_end(t);
}

void mkl__tags_defer(mkl_tagger *t) { t->defer = 1; }

static mkl_status layout_format(mkl_tagger *t);

mkl_status mkl__tags_layout_end(mkl_tagger *t) {
    if (t->failed) return MKL_ERR_NOMEM;
    if (!t->defer) return layout_format(t);
    t->waiting = 1;
    return MKL_OK;
}

mkl_status mkl__tags_layout_flush(mkl_tagger *t) {
    if (!t->waiting) return MKL_OK;
    t->waiting = 0;
    return layout_format(t);
}

/* The structure of the layout added: its elements formatted, its kids forgotten. */
static mkl_status layout_format(mkl_tagger *t) {
    if (t->failed) return MKL_ERR_NOMEM;
    const mkl_structure *s = &t->L->structure;
    size_t n = s->elems.n;
    for (size_t i = 0; i < n; i++) {
        if (!t->obj[i]) continue;
        const mkl_selem *el = &s->elems.v[i];
        t->up[i] = el->parent > 0 ? t->obj[MKL_TAG_INDEX(el->parent)] : t->root;
    }
    if (sort_kids(t, s)) return MKL_ERR_NOMEM;
    uint32_t most = t->root;
    for (size_t i = 0; i < n; i++) most = MKL_MAX(most, t->obj[i]);
    for (size_t k = 0; k < t->kids.n; k++) most = MKL_MAX(most, kid_page(&t->kids.v[k]));
    t->numw = 1;
    for (uint32_t x = most; x >= 10; x /= 10) t->numw++;
    /* parents in index order, each before its children (a child is made
     * after its parent): an element's /P is known, groups and all, when it
     * is written */
    uint8_t *done = mkl__calloc(n + 1, 1);
    mkl_buf items = {0};
    mkl_status st = done ? MKL_OK : MKL_ERR_NOMEM;
    for (size_t a = 0; a < t->kids.n && !st;) {
        size_t e = a;
        while (e < t->kids.n && t->kids.v[e].parent == t->kids.v[a].parent) e++;
        uint32_t p = t->kids.v[a].parent;
        const char *role = p && s->elems.v[p - 1].kind == MKL_S_L ? "L" : "Div";
        uint32_t pg;
        size_t count;
        items.n = 0;
        st = element_kids(t, &items, role, p ? t->obj[p - 1] : t->root, t->kids.v, a, e, &pg, &count);
        if (st) break;
        if (p) {
            put_element(t, p - 1, pg, &items, count);
            done[p - 1] = 1;
        } else {   /* the root's: a Part's now, a Document's at the end */
            t->roots_k.n = 0;
            mkl__buf_add(&t->roots_k, items.s, items.n);
            t->last.k_n = count;
        }
        a = e;
    }
    for (size_t i = 0; i < n && !st; i++)
        if (t->obj[i] && !done[i]) {
            items.n = 0;
            put_element(t, i, 0, &items, 0);
        }
    if (!st && t->doc) put_part(t);
    mkl__free(done);
    mkl__buf_free(&items);
    if (!st && (items.oom || t->bytes.oom || t->roots_k.oom || t->failed)) st = MKL_ERR_NOMEM;
    layout_clear(t);
    return st;
}

/* "/Nums[key value ...]" of the parent tree entries nums[a, e). */
static void put_nums(mkl_tagger *t, size_t a, size_t e) {
    mkl_buf *b = &t->bytes;
    put(b, "/Nums[");
    for (size_t i = a; i < e; i++) {
        const Num *nm = &t->nums.v[i];
        if (i > a) put(b, " ");
        put_u(b, nm->key);
        put(b, " ");
        if (!nm->n) {   /* an annotation's: its element */
            put_ref(b, (uint32_t)nm->at);
            continue;
        }
        put(b, "[");
        for (uint32_t k = 0; k < nm->n; k++) {
            if (k) put(b, " ");
            put_ref(b, t->mcids.v[nm->at + k]);
        }
        put(b, "]");
    }
    put(b, "]");
}

/* The parent tree: a dictionary in the StructTreeRoot for up to LEAF keys
 * (put_nums), else leaves of LEAF under a root, its object number here (0:
 * libharu refused one). */
enum { LEAF = 512 };
static uint32_t parent_tree(mkl_tagger *t) {
    mkl_buf *b = &t->bytes;
    uint32_t root = reserve(t);
    if (!root) return 0;
    size_t nleaves = (t->nums.n + LEAF - 1) / LEAF;
    uint32_t *ids = mkl__calloc(nleaves + 1, sizeof *ids);
    if (!ids) return 0;
    for (size_t l = 0; l < nleaves; l++)
        if (!(ids[l] = reserve(t))) {
            mkl__free(ids);
            return 0;
        }
    obj_begin(t, root);
    put(b, "<</Kids[");
    for (size_t l = 0; l < t->leaves.n; l++) {   /* (written already) */
        if (l) put(b, " ");
        put_ref(b, t->leaves.v[l]);
    }
    for (size_t l = 0; l < nleaves; l++) {
        if (l || t->leaves.n) put(b, " ");
        put_ref(b, ids[l]);
    }
    put(b, "]>>");
    obj_end(t);
    for (size_t l = 0; l < nleaves; l++) {
        size_t a = l * LEAF, e = MKL_MIN(a + LEAF, t->nums.n);
        obj_begin(t, ids[l]);
        put(b, "<</Limits[");
        put_u(b, t->nums.v[a].key);
        put(b, " ");
        put_u(b, t->nums.v[e - 1].key);
        put(b, "]");
        put_nums(t, a, e);
        put(b, ">>");
        obj_end(t);
    }
    mkl__free(ids);
    return root;
}

mkl_status mkl__tags_flat_leaves(mkl_tagger *t) {
    mkl_buf *b = &t->bytes;
    while (t->nums.n >= LEAF) {
        uint32_t id = reserve(t), *slot = id ? MKL_PUSH(&t->leaves) : NULL;
        if (!id) return MKL_ERR_PDF;
        if (!slot) return MKL_ERR_NOMEM;
        *slot = id;
        obj_begin(t, id);
        put(b, "<</Limits[");
        put_u(b, t->nums.v[0].key);
        put(b, " ");
        put_u(b, t->nums.v[LEAF - 1].key);
        put(b, "]");
        put_nums(t, 0, LEAF);
        put(b, ">>");
        obj_end(t);
        if (b->oom || t->failed) return MKL_ERR_NOMEM;
        /* the leaf's entries and their pages' values go */
        size_t cut = 0;
        for (size_t i = 0; i < LEAF; i++)
            if (t->nums.v[i].n) cut = t->nums.v[i].at + t->nums.v[i].n;
        memmove(t->mcids.v, t->mcids.v + cut, (t->mcids.n - cut) * sizeof *t->mcids.v);
        t->mcids.n -= cut;
        t->page_mcids = t->page_mcids > cut ? t->page_mcids - cut : 0;
        memmove(t->nums.v, t->nums.v + LEAF, (t->nums.n - LEAF) * sizeof *t->nums.v);
        t->nums.n -= LEAF;
        for (size_t i = 0; i < t->nums.n; i++)
            if (t->nums.v[i].n) t->nums.v[i].at -= cut;
    }
    return MKL_OK;
}

mkl_status mkl__tags_finish(mkl_tagger *t, HPDF_Dict widget, HPDF_Page page) {
    HPDF_Doc pdf = t->pdf;
    HPDF_MMgr mm = pdf->mmgr;
    mkl_buf *b = &t->bytes;
    if (t->waiting) return MKL_ERR_PDF;   /* (a bug: see mkl__tags_defer) */
    HPDF_Null tree = reserve_obj(t);
    if (!tree || !t->parts.n) return MKL_ERR_PDF;
    size_t nparts = t->parts.n;
    uint32_t tree_obj = obj_num(tree), doc = nparts == 1 ? t->last.obj : t->doc, form = 0;
    if (!doc) return MKL_ERR_PDF;
    if (widget) {
        /* the signature's widget: a Form element, the Document's last child
         * (PDF/UA: every annotation in the structure) */
        Num *nm = MKL_PUSH(&t->nums);
        if (!nm) return MKL_ERR_NOMEM;
        if (!(form = reserve(t))) return MKL_ERR_PDF;
        nm->key = t->next_key++;
        nm->n = 0;
        nm->at = form;
        uint32_t pg = obj_num(page);
        obj_begin(t, form);
        put(b, "<</S/Form/Pg ");
        put_ref(b, pg);
        put(b, "/Alt(Digital signature)/K<</Type/OBJR/Obj ");
        put_ref(b, obj_num(widget));
        put(b, "/Pg ");
        put_ref(b, pg);
        put(b, ">>/P ");
        put_ref(b, doc);
        put(b, ">>");
        obj_end(t);
        if (HPDF_Dict_AddNumber(widget, "StructParent", (HPDF_INT32)nm->key) != HPDF_OK) return MKL_ERR_PDF;
    }
    /* the Document: one letter's root itself, or the Document of a combined
     * file's Parts, one a copy (written as their copies were) */
    obj_begin(t, doc);
    put(b, "<</S/Document");
    size_t nk = (nparts == 1 ? t->last.k_n : nparts) + (form != 0);
    if (nk) put(b, nk > 1 ? "/K[" : "/K ");
    if (nparts == 1) {
        mkl__buf_add(b, t->roots_k.s, t->roots_k.n);
    } else {
        for (size_t i = 0; i < nparts; i++) {
            if (i) put(b, " ");
            put_ref(b, t->parts.v[i]);
        }
    }
    if (form) {
        if (nk > 1) put(b, " ");
        put_ref(b, form);
    }
    if (nk > 1) put(b, "]");
    put(b, "/P ");
    put_ref(b, tree_obj);
    put(b, ">>");
    obj_end(t);
    uint32_t ptree = 0;
    if ((t->nums.n > LEAF || t->leaves.n) && !(ptree = parent_tree(t))) return MKL_ERR_PDF;
    obj_begin(t, tree_obj);
    put(b, "<</Type/StructTreeRoot/K ");
    put_ref(b, doc);
    put(b, "/ParentTree");
    if (ptree) {
        put(b, " ");
        put_ref(b, ptree);
    } else {
        put(b, "<<");
        put_nums(t, 0, t->nums.n);
        put(b, ">>");
    }
    put(b, "/ParentTreeNextKey ");
    put_u(b, t->next_key);
    put(b, ">>");
    obj_end(t);
    if (b->oom || t->failed) return MKL_ERR_NOMEM;
    HPDF_STATUS r = HPDF_Dict_Add(pdf->catalog, "StructTreeRoot", tree);
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
