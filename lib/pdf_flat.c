/* pdf_flat.c - the flat writer: a combined file whose pages go to the output
 * as they are made. See PFlat in pdf_internal.h.
 *
 * The file is PDF 1.5, as pack.c writes one: streams are objects of their
 * own, every other object goes into a compressed object stream (one or more
 * for each copy, at most PER_STREAM objects each), and the cross-reference
 * table is a compressed cross-reference stream. libharu still makes and
 * writes each object (HPDF_Obj_WriteValue); what it cannot do is write part
 * of a document and free it, so each copy's objects are made in a
 * cross-reference of their own, numbered here when the copy is finished,
 * written, and freed with it. A stream this module deflated itself is
 * marked "/MklFlate true" (pack.h), which becomes "/Filter /FlateDecode". */
#include "pdf_internal.h"
#include "deflate.h"

#include <errno.h>
#include <stdio.h>
#include <hpdf_streams.h>
#include <string.h>

#define MARK "/MklFlate true"
#define PER_STREAM 200
/* libharu keeps an object's number in 23 bits */
#define MAX_OBJ 0x7FFFFFu

/* An object stream being filled. */
typedef struct Stm { mkl_buf hdr, data; uint32_t num[PER_STREAM]; unsigned n; } Stm;

static mkl_status flat_oom(W *w) { return mkl__pdf_oom(w); }

/* The output (pdf_flat_out.c). */
static mkl_status put(W *w, const char *s, size_t n) { return mkl__flat_put(w, s, n); }

/* The next entry of a run: the next object in the same object stream. */
static uint64_t run_step(uint64_t entry) { return (entry & 3) == 2 ? entry + 4 : 0; }

mkl_status mkl__flat_entry(W *w, uint32_t num, uint64_t entry) {
    PFlat *f = w->flat;
    FlatRun *last = f->runs.n ? &f->runs.v[f->runs.n - 1] : NULL;
    if (last && last->first + last->n == num && run_step(last->entry + 4 * (uint64_t)(last->n - 1)) == entry) {
        last->n++;
        return MKL_OK;
    }
    FlatRun *r = MKL_PUSH(&f->runs);
    if (!r) return flat_oom(w);
    r->first = num;
    r->n = 1;
    r->entry = entry;
    return MKL_OK;
}

static int cmp_run(const void *a, const void *b) {
    uint32_t x = ((const FlatRun *)a)->first, y = ((const FlatRun *)b)->first;
    return (x > y) - (x < y);
}

/* A number: outside a copy the next one; in a copy (or the file's end) a
 * placeholder's in the copy's cross-reference (a null, never written), so
 * that the numbers libharu and the tagger take there are final as taken. */
mkl_status mkl__flat_reserve(W *w, uint32_t *num) {
    PFlat *f = w->flat;
    if (f->copy) {
        HPDF_Null o = HPDF_Null_New(w->pdf->mmgr);
        if (!o || HPDF_Xref_Add(f->copy, o) != HPDF_OK) return mkl__pdf_fail(w, "numbering an object");
        *num = ((HPDF_Obj_Header *)o)->obj_id & 0x00FFFFFF;
    } else {
        *num = f->next++;
    }
    if (*num > MAX_OBJ)
        return mkl__err(w->e, MKL_ERR_LIMIT, NULL, 0, 0, "more than %u objects in one PDF file", MAX_OBJ);
    return MKL_OK;
}

void *mkl__flat_stub(W *w, uint32_t num, int transient) {
    PFlat *f = w->flat;
    HPDF_Null_Rec *s = mkl__calloc(1, sizeof *s);
    void **slot = s ? (transient ? MKL_PUSH(&f->transient) : MKL_PUSH(&f->stubs)) : NULL;
    if (!slot) {
        mkl__free(s);
        return NULL;
    }
    s->header.obj_id = num | HPDF_OTYPE_INDIRECT;
    s->header.obj_class = HPDF_OCLASS_NULL;
    *slot = s;
    return s;
}

static void free_transient(PFlat *f) {
    for (size_t i = 0; i < f->transient.n; i++) mkl__free(f->transient.v[i]);
    f->transient.n = 0;
}

/* libharu's writer into a buffer: the stream's attr is the mkl_buf. */
static HPDF_STATUS to_buf(HPDF_Stream stream, const HPDF_BYTE *ptr, HPDF_UINT size) {
    mkl_buf *b = stream->attr;
    mkl__buf_add(b, (const char *)ptr, size);
    return b->oom ? HPDF_FAILD_TO_ALLOC_MEM : HPDF_OK;
}

/* The value of `obj` as libharu writes it, appended to `b`. */
static mkl_status serialize(W *w, void *obj, mkl_buf *b) {
    HPDF_Stream s = HPDF_CallbackWriter_New(w->pdf->mmgr, to_buf, b);
    if (!s) return flat_oom(w);
    HPDF_STATUS r = HPDF_Obj_WriteValue(obj, s, NULL);
    HPDF_Stream_Free(s);
    if (b->oom) return flat_oom(w);
    return r != HPDF_OK ? mkl__pdf_fail(w, "writing an object") : MKL_OK;
}

static uint32_t num_of(const void *obj) { return ((const HPDF_Obj_Header *)obj)->obj_id & 0x00FFFFFF; }

static int is_null(const void *obj) { return (((const HPDF_Obj_Header *)obj)->obj_class & HPDF_OCLASS_ANY) == HPDF_OCLASS_NULL; }

static int is_stream(const void *obj) {
    const HPDF_Obj_Header *h = obj;
    return (h->obj_class & HPDF_OCLASS_ANY) == HPDF_OCLASS_DICT && ((const struct _HPDF_Dict_Rec *)obj)->stream;
}

/* A stream object `obj`, written as an object of its own. */
static mkl_status write_stream_obj(W *w, void *obj) {
    mkl_buf b = {0};
    uint32_t num = num_of(obj);
    mkl__buf_printf(&b, "%u 0 obj\n", (unsigned)num);
    size_t start = b.n;
    mkl_status st = serialize(w, obj, &b);
    if (!st) {
        /* the mark of data deflated here, in the dictionary (before "stream") */
        const char *kw = NULL;
        for (size_t i = start; i + 9 <= b.n && !kw; i++)
            if (!memcmp(b.s + i, "\012stream\015\012", 9)) kw = b.s + i;
        const char *mark = NULL;
        for (const char *p = b.s + start; kw && p + strlen(MARK) <= kw && !mark; p++)
            if (!memcmp(p, MARK, strlen(MARK))) mark = p;
        st = mkl__flat_put_here(w, num);
        if (!st && mark) {
            size_t at = (size_t)(mark - b.s);
            if (!st) st = put(w, b.s, at);
            if (!st) st = put(w, "/Filter /FlateDecode", 20);
            if (!st) st = put(w, b.s + at + strlen(MARK), b.n - at - strlen(MARK));
        } else if (!st) {
            st = put(w, b.s, b.n);
        }
        if (!st) st = put(w, "\nendobj\n", 8);
    }
    mkl__buf_free(&b);
    return st;
}

/* Write the object stream `s` (if it holds anything) and empty it. */
static mkl_status stm_flush(W *w, Stm *s) {
    if (!s->n) return MKL_OK;
    uint32_t num = 0;
    mkl_status st = mkl__flat_reserve(w, &num);
    if (st) return st;
    size_t first = s->hdr.n;
    mkl__buf_add(&s->hdr, s->data.s, s->data.n);
    if (s->hdr.oom) st = flat_oom(w);
    for (unsigned i = 0; i < s->n && !st; i++) st = mkl__flat_entry(w, s->num[i], FLAT_IN(num, i));
    char before[96];
    snprintf(before, sizeof before, "/Type /ObjStm /N %u /First %zu /Filter /FlateDecode ", s->n, first);
    /* (the header and data are the stream's, taken) */
    if (!st) st = mkl__flat_put_stream(w, num, before, "", &s->hdr, MKL_DEFLATE_FLAT_OBJECTS);
    mkl__buf_free(&s->hdr);
    s->data.n = 0;
    s->n = 0;
    return st;
}

/* Object `num` into the object stream: `obj` as libharu writes it, or the text `text`. */
static mkl_status stm_add(W *w, Stm *s, uint32_t num, void *obj, const char *text, size_t tlen) {
    mkl__buf_printf(&s->hdr, "%u %zu ", (unsigned)num, s->data.n);
    mkl_status st = MKL_OK;
    if (obj) st = serialize(w, obj, &s->data);
    else mkl__buf_add(&s->data, text, tlen);
    mkl__buf_adds(&s->data, "\n");
    if (!st && (s->data.oom || s->hdr.oom)) st = flat_oom(w);
    if (st) return st;
    s->num[s->n++] = num;
    return s->n == PER_STREAM ? stm_flush(w, s) : MKL_OK;
}

static void stm_free(Stm *s) {
    mkl__buf_free(&s->hdr);
    mkl__buf_free(&s->data);
}

/* Write every object of `x` but `skip` and the placeholders (nulls: objects
 * this module or the tagger writes): streams first (their /Length is a
 * number object that gets its value as the stream is written), then the
 * others into `s`. */
static mkl_status write_xref_objects(W *w, HPDF_Xref x, const void *skip, Stm *s) {
    mkl_status st = MKL_OK;
    for (int pass = 0; pass < 2 && !st; pass++)
        for (HPDF_UINT i = 0; i < x->entries->count && !st; i++) {
            HPDF_XrefEntry e = HPDF_Xref_GetEntry(x, i);
            if (!e->obj || e->obj == skip || is_null(e->obj) || is_stream(e->obj) != !pass) continue;
            st = pass ? stm_add(w, s, num_of(e->obj), e->obj, NULL, 0) : write_stream_obj(w, e->obj);
        }
    return st;
}

mkl_status mkl__flat_new(W *w, const mkl_pdf_info *info) {
    PFlat *f = mkl__calloc(1, sizeof *f);
    if (!f) return flat_oom(w);
    w->flat = f;
    f->sink = info->sink;
    f->user = info->sink_user;
    f->name = info->sink_name;
    f->main = w->pdf->xref;
    /* the numbers libharu gave the document's own objects are taken */
    f->next = (uint32_t)f->main->entries->count;
    mkl_status st = mkl__flat_reserve(w, &f->root);
    if (!st) st = mkl__flat_out_start(w, info->jobs - 1);
    if (st) return st;
    return put(w, "%PDF-1.5\n%\xE2\xE3\xCF\xD3\n", 15);
}

void mkl__flat_free(W *w) {
    PFlat *f = w->flat;
    if (!f) return;
    mkl__flat_out_free(f);
    if (w->pdf) w->pdf->xref = f->main;
    if (f->copy) HPDF_Xref_Free(f->copy);
    free_transient(f);
    for (size_t i = 0; i < f->stubs.n; i++) mkl__free(f->stubs.v[i]);
    /* the fonts' Type0 dictionaries are in no cross-reference */
    for (size_t i = 0; i < w->fonts.n; i++)
        if (w->fonts.v[i].type0) HPDF_Dict_Free(w->fonts.v[i].type0);
    for (size_t i = 0; i < w->fonts.n; i++) w->fonts.v[i].type0 = NULL;
    mkl__free(f->stubs.v);
    mkl__free(f->transient.v);
    mkl__free(f->runs.v);
    mkl__free(f->pages.v);
    mkl__free(f->nodes.v);
    mkl__free(f->copy_pages.v);
    mkl__buf_free(&f->out);
    mkl__free(f);
    w->flat = NULL;
}

static mkl_status xref_begin(W *w) {
    PFlat *f = w->flat;
    if (f->broken)
        return mkl__err(w->e, MKL_ERR_ARGUMENT, NULL, 0, 0, "the combined file cannot be finished: a copy failed");
    /* (start_offset 1: no free entry 0; the objects are numbered when written) */
    if (!(f->copy = HPDF_Xref_New(w->pdf->mmgr, f->next))) return flat_oom(w);
    w->pdf->xref = f->copy;
    f->copy_pages.n = 0;
    return MKL_OK;
}

mkl_status mkl__flat_copy_begin(W *w) { return xref_begin(w); }

static int cmp_obj(const void *a, const void *b) {
    uint32_t x = ((const mkl_pack_obj *)a)->num, y = ((const mkl_pack_obj *)b)->num;
    return (x > y) - (x < y);
}

/* The structure's objects the tagger formatted since the last time: written
 * now, and dropped from the tagger. In their numbers' order: objects that
 * follow in number and in the object stream are one run of the
 * cross-reference (set_entry), where the tagger's order (parents first)
 * made a run of nearly each one, ~170 a copy of the seed letter. */
static mkl_status write_tag_objects(W *w, Stm *s) {
    if (!w->tags) return MKL_OK;
    mkl_status ls = mkl__tags_flat_leaves(w->tags);
    if (ls) return ls == MKL_ERR_NOMEM ? flat_oom(w) : mkl__pdf_fail(w, "tagging");
    mkl_pack_subst sub;
    mkl__tags_subst(w->tags, &sub);
    mkl_pack_obj *order = mkl__malloc((sub.n ? sub.n : 1) * sizeof *order);
    if (!order) return flat_oom(w);
    if (sub.n) memcpy(order, sub.v, sub.n * sizeof *order);
    qsort(order, sub.n, sizeof *order, cmp_obj);
    mkl_status st = MKL_OK;
    for (size_t i = 0; i < sub.n && !st; i++) st = stm_add(w, s, order[i].num, NULL, sub.bytes + order[i].off, order[i].len);
    mkl__free(order);
    if (!st) mkl__tags_written(w->tags);
    return st;
}

mkl_status mkl__flat_copy_end(W *w, mkl_status st) {
    PFlat *f = w->flat;
    HPDF_Xref x = f->copy;
    w->pdf->xref = f->main;
    if (!x) return st;
    Stm s = {0};
    w->pdf->xref = x;   /* (numbers taken while writing: the object streams) */
    for (size_t i = 0; i < f->copy_pages.n && !st; i++) {
        uint32_t *p = MKL_PUSH(&f->pages);
        if (!p) st = flat_oom(w);
        else *p = num_of(f->copy_pages.v[i]);
    }
    /* what outlives the copy refers to its objects by number */
    for (size_t i = 0; i < w->images.n && !st; i++) {
        PImage *im = &w->images.v[i];
        if (im->written) continue;
        if (!(im->obj = mkl__flat_stub(w, num_of(im->obj), 0))) st = flat_oom(w);
        im->written = 1;
    }
    if (!st) st = write_xref_objects(w, x, NULL, &s);
    if (!st) st = write_tag_objects(w, &s);
    if (!st) st = stm_flush(w, &s);
    stm_free(&s);
    w->pdf->xref = f->main;
    f->next = (uint32_t)(x->start_offset + x->entries->count);
    HPDF_Xref_Free(x);
    f->copy = NULL;
    free_transient(f);
    if (st) f->broken = 1;
    return st;
}

mkl_status mkl__flat_page(W *w, double width, double height, HPDF_Dict *out) {
    PFlat *f = w->flat;
    HPDF_MMgr mm = w->pdf->mmgr;
    if (w->pages % 512 == 0) {   /* a new node of the page tree */
        uint32_t num = 0, *slot;
        mkl_status st = mkl__flat_reserve(w, &num);
        if (st) return st;
        if (!(slot = MKL_PUSH(&f->nodes)) || !(f->node_stub = mkl__flat_stub(w, num, 0))) return flat_oom(w);
        *slot = num;
    }
    HPDF_Dict page = HPDF_Dict_New(mm);
    if (!page || HPDF_Xref_Add(w->pdf->xref, page) != HPDF_OK) return mkl__pdf_fail(w, "adding a page");
    HPDF_Dict *slot = MKL_PUSH(&f->copy_pages);
    if (!slot) return flat_oom(w);
    *slot = page;
    HPDF_STATUS r = HPDF_Dict_AddName(page, "Type", "Page");
    r |= HPDF_Dict_Add(page, "Parent", f->node_stub);
    HPDF_Array box = HPDF_Array_New(mm);
    if (!box || HPDF_Dict_Add(page, "MediaBox", box) != HPDF_OK) return mkl__pdf_fail(w, "adding a page");
    r |= HPDF_Array_AddNumber(box, 0);
    r |= HPDF_Array_AddNumber(box, 0);
    r |= HPDF_Array_AddReal(box, (HPDF_REAL)width);
    r |= HPDF_Array_AddReal(box, (HPDF_REAL)height);
    if (r != HPDF_OK) return mkl__pdf_fail(w, "adding a page");
    *out = page;
    return MKL_OK;
}

mkl_status mkl__flat_page_content(W *w, HPDF_Dict page, mkl_buf *content) {
    HPDF_MMgr mm = w->pdf->mmgr;
    HPDF_Dict res = HPDF_Dict_New(mm), fonts = NULL, xobjects = NULL;
    if (!res || HPDF_Dict_Add(page, "Resources", res) != HPDF_OK) return mkl__pdf_fail(w, "writing a page");
    HPDF_STATUS r = HPDF_OK;
    char name[32];
    for (size_t i = 0; i < w->fonts.n && r == HPDF_OK; i++) {
        PFont *f = &w->fonts.v[i];
        if (!f->used_on_page) continue;
        f->used_on_page = 0;
        if (!fonts && (!(fonts = HPDF_Dict_New(mm)) || HPDF_Dict_Add(res, "Font", fonts) != HPDF_OK))
            return mkl__pdf_fail(w, "writing a page");
        snprintf(name, sizeof name, "F%zu", i + 1);
        r |= HPDF_Dict_Add(fonts, name, f->type0);
    }
    for (size_t i = 0; i < w->images.n && r == HPDF_OK; i++) {
        PImage *im = &w->images.v[i];
        if (!im->used_on_page) continue;
        im->used_on_page = 0;
        if (!xobjects && (!(xobjects = HPDF_Dict_New(mm)) || HPDF_Dict_Add(res, "XObject", xobjects) != HPDF_OK))
            return mkl__pdf_fail(w, "writing a page");
        snprintf(name, sizeof name, "Im%zu", i + 1);
        r |= HPDF_Dict_Add(xobjects, name, im->obj);
    }
    if (r != HPDF_OK) return mkl__pdf_fail(w, "writing a page");
    if (!content || !content->n) return MKL_OK;
    /* the content: deflated (perhaps on another thread) and written in its place */
    uint32_t num = 0;
    mkl_status st = mkl__flat_reserve(w, &num);
    if (st) return st;
    void *stub = mkl__flat_stub(w, num, 1);
    if (!stub) return flat_oom(w);
    if (HPDF_Dict_Add(page, "Contents", stub) != HPDF_OK) return mkl__pdf_fail(w, "writing a page");
    return mkl__flat_put_stream(w, num, "", " /Filter /FlateDecode", content, MKL_DEFLATE_PAGES);
}

mkl_status mkl__flat_link(W *w, HPDF_Dict page, const mkl_plink *lk, double page_height, HPDF_Dict *out) {
    HPDF_MMgr mm = w->pdf->mmgr;
    HPDF_Dict a = HPDF_Dict_New(mm);
    if (!a || HPDF_Xref_Add(w->pdf->xref, a) != HPDF_OK) return mkl__pdf_fail(w, "adding a link");
    HPDF_Array annots = HPDF_Dict_GetItem(page, "Annots", HPDF_OCLASS_ARRAY);
    if (!annots && (!(annots = HPDF_Array_New(mm)) || HPDF_Dict_Add(page, "Annots", annots) != HPDF_OK))
        return mkl__pdf_fail(w, "adding a link");
    HPDF_STATUS r = HPDF_Array_Add(annots, a);
    r |= HPDF_Dict_AddName(a, "Type", "Annot");
    r |= HPDF_Dict_AddName(a, "Subtype", "Link");
    HPDF_Array rect = HPDF_Array_New(mm), border = HPDF_Array_New(mm);
    HPDF_Dict action = HPDF_Dict_New(mm);
    if (!rect || HPDF_Dict_Add(a, "Rect", rect) != HPDF_OK || !border || HPDF_Dict_Add(a, "Border", border) != HPDF_OK ||
        !action || HPDF_Dict_Add(a, "A", action) != HPDF_OK)
        return mkl__pdf_fail(w, "adding a link");
    r |= HPDF_Array_AddReal(rect, lk->x0);
    r |= HPDF_Array_AddReal(rect, (HPDF_REAL)(page_height - lk->y1));
    r |= HPDF_Array_AddReal(rect, lk->x1);
    r |= HPDF_Array_AddReal(rect, (HPDF_REAL)(page_height - lk->y0));
    for (int i = 0; i < 3; i++) r |= HPDF_Array_AddNumber(border, 0);
    r |= HPDF_Dict_AddName(action, "Type", "Action");
    r |= HPDF_Dict_AddName(action, "S", "URI");
    r |= HPDF_Dict_Add(action, "URI", HPDF_String_New(mm, lk->uri ? lk->uri : "", NULL));
    if (r != HPDF_OK) return mkl__pdf_fail(w, "adding a link");
    *out = a;
    return MKL_OK;
}

mkl_status mkl__flat_final_begin(W *w) { return xref_begin(w); }

/* A node of the page tree (the root when `parent` is 0) listing `kids`. */
static mkl_status tree_node(W *w, Stm *s, uint32_t num, uint32_t parent, const uint32_t *kids, size_t n, size_t count) {
    mkl_buf b = {0};
    mkl__buf_adds(&b, "<< /Type /Pages");
    if (parent) mkl__buf_printf(&b, " /Parent %u 0 R", (unsigned)parent);
    mkl__buf_adds(&b, " /Kids [");
    for (size_t i = 0; i < n; i++) mkl__buf_printf(&b, i ? " %u 0 R" : "%u 0 R", (unsigned)kids[i]);
    mkl__buf_printf(&b, "] /Count %zu >>", count);
    mkl_status st = b.oom ? flat_oom(w) : stm_add(w, s, num, NULL, b.s, b.n);
    mkl__buf_free(&b);
    return st;
}

static void put_be(unsigned char *p, uint64_t v, int width) {
    for (int i = width - 1; i >= 0; i--, v >>= 8) p[i] = (unsigned char)(v & 0xFF);
}

/* The cross-reference stream and the end of the file. */
static mkl_status write_xref(W *w) {
    PFlat *f = w->flat;
    uint32_t num = 0;
    /* every stream written, so that every offset is known */
    mkl_status st = mkl__flat_drain(w);
    if (!st) st = mkl__flat_reserve(w, &num);
    if (st) return st;
    uint64_t xoff = mkl__flat_here(w);
    if ((st = mkl__flat_entry(w, num, FLAT_AT(xoff)))) return st;
    size_t size = f->copy ? f->copy->start_offset + f->copy->entries->count : f->next;
    qsort(f->runs.v, f->runs.n, sizeof *f->runs.v, cmp_run);
    uint64_t big = xoff;
    for (size_t i = 0; i < f->runs.n; i++)
        if ((f->runs.v[i].entry & 3) == 2 && (f->runs.v[i].entry >> 18) > big) big = f->runs.v[i].entry >> 18;
    int wd = 1;
    while (wd < 8 && (big >> (8 * wd)) != 0) wd++;
    int cols = 1 + wd + 2;
    /* rows as the difference to the row before (PNG "Up"), as pack.c writes
     * them, deflated by the 64 KB: whole, they would take 8 bytes an object
     * (30 MB for 20,000 copies of the seed letter, tagged) */
    mkl_buf rows = {0}, z = {0}, t = {0};
    mkl_deflater *d = mkl__deflater_new(MKL_DEFLATER_ROWS);
    if (!d) st = flat_oom(w);
    unsigned char row[2][16] = {{0}};
    size_t run = 0;
    for (size_t c = 0; c < size && !st; c++) {
        unsigned char *cur = row[c & 1], *prev = row[!(c & 1)];
        memset(cur, 0, (size_t)cols);
        while (run < f->runs.n && f->runs.v[run].first + f->runs.v[run].n <= c) run++;
        uint64_t e = 0;
        if (run < f->runs.n && f->runs.v[run].first <= c) e = f->runs.v[run].entry + 4 * (uint64_t)(c - f->runs.v[run].first) * ((f->runs.v[run].entry & 3) == 2);
        if (c == 0 || !e) {
            put_be(cur + 1 + wd, c == 0 ? 0xFFFF : 0, 2);
        } else if ((e & 3) == 1) {
            cur[0] = 1;
            put_be(cur + 1, e >> 2, wd);
        } else {
            cur[0] = 2;
            put_be(cur + 1, e >> 18, wd);
            put_be(cur + 1 + wd, (e >> 2) & 0xFFFF, 2);
        }
        char up[1 + 16];
        up[0] = 2;
        for (int b = 0; b < cols; b++) up[1 + b] = (char)(cur[b] - prev[b]);
        mkl__buf_add(&rows, up, (size_t)cols + 1);
        int last = c + 1 == size;
        if (rows.oom) {
            st = flat_oom(w);
        } else if (rows.n >= 65536 || last) {
            if (mkl__deflater_add(d, &z, rows.s, rows.n, last)) st = flat_oom(w);
            rows.n = 0;
        }
    }
    mkl__deflater_free(d);
    if (!st) {
        mkl__buf_printf(&t, "%u 0 obj\n<< /Type /XRef /Size %zu /W [1 %d 2] /Root %u 0 R /Info %u 0 R", (unsigned)num, size,
                        wd, (unsigned)num_of(w->pdf->catalog), (unsigned)num_of(w->pdf->info));
        mkl__buf_printf(&t, " /Filter /FlateDecode /DecodeParms << /Columns %d /Predictor 12 >> /Length %zu >>\nstream\n",
                        cols, z.n);
        st = t.oom ? flat_oom(w) : put(w, t.s, t.n);
    }
    if (!st) st = put(w, z.s, z.n);
    t.n = 0;
    mkl__buf_printf(&t, "\nendstream\nendobj\nstartxref\n%llu\n%%%%EOF\n", (unsigned long long)xoff);
    if (!st) st = t.oom ? flat_oom(w) : put(w, t.s, t.n);
    mkl__buf_free(&rows);
    mkl__buf_free(&z);
    mkl__buf_free(&t);
    return st;
}

mkl_status mkl__flat_finish(W *w) {
    PFlat *f = w->flat;
    HPDF_Xref x = f->copy;
    Stm s = {0};
    mkl_status st = x ? MKL_OK : mkl__pdf_fail(w, "finishing the file");
    void *root = st ? NULL : mkl__flat_stub(w, f->root, 0);
    if (!st && !root) st = flat_oom(w);
    else if (!st && HPDF_Dict_Add(w->pdf->catalog, "Pages", root) != HPDF_OK) st = mkl__pdf_fail(w, "writing the page tree");
    /* libharu's own page tree is never used: its number stays free */
    if (!st) st = write_xref_objects(w, f->main, w->pdf->root_pages, &s);
    if (!st) st = write_xref_objects(w, x, NULL, &s);
    if (!st) st = write_tag_objects(w, &s);
    for (size_t i = 0; i < w->fonts.n && !st; i++) st = stm_add(w, &s, num_of(w->fonts.v[i].type0), w->fonts.v[i].type0, NULL, 0);
    for (size_t k = 0; k < f->nodes.n && !st; k++) {
        size_t a = k * 512, b = MKL_MIN(a + 512, f->pages.n);
        st = tree_node(w, &s, f->nodes.v[k], f->root, f->pages.v + a, b - a, b - a);
    }
    if (!st) st = tree_node(w, &s, f->root, 0, f->nodes.v, f->nodes.n, f->pages.n);
    if (!st) st = stm_flush(w, &s);
    stm_free(&s);
    if (!st) st = write_xref(w);
    if (!st) st = mkl__flat_drain(w);
    mkl__flat_out_free(f);   /* (the helper threads joined: nothing is left to deflate) */
    w->pdf->xref = f->main;
    f->copy = NULL;
    if (x) HPDF_Xref_Free(x);
    if (st) f->broken = 1;
    return st;
}
