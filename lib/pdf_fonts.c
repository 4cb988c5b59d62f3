/* pdf_fonts.c - the embedded fonts of the PDF back end: subsets made with
 * hb-subset (kept by the renderer from one document to the next), the CIDs
 * of each pair, /W, ToUnicode, CIDToGIDMap and the font objects. See pdf.h
 * and pdf_internal.h. */
#include "pdf_internal.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_CID_H
#include <hb-subset.h>
#include <hpdf_streams.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* A subset font, kept by the renderer for the next document that needs
 * exactly the same glyphs of the same face (the letter rendered again, or a
 * merge copy whose fields add no glyph to that face). */
typedef struct SubEntry {
    const mkl_face *face;
    uint32_t *gids, *newg;   /* sorted old glyph ids and their ids in the subset */
    size_t n;
    uint32_t nglyphs;        /* glyphs in the subset (with .notdef and components) */
    hb_blob_t *blob;         /* the subset font program */
    uint16_t *cid;           /* a CID-keyed CFF subset: each glyph's CID (its charset's); else NULL, CID = glyph id */
    uint32_t ncid;           /* with `cid`: the largest CID + 1 */
    /* the streams as deflated for the last document that used this subset,
     * written again as they are when the next one has the same bytes: the
     * font program (always the same), and its ToUnicode CMap and
     * CIDToGIDMap with the raw bytes they were made from */
    mkl_buf zprog, tu_raw, tu_z, map_raw, map_z;
} SubEntry;

/* A TrueType face cut down to the tables a subset keeps, every glyph in
 * place (so glyph ids are the face's). hb-subset's plan reads the whole cmap
 * of the face it is given even when asked for glyphs: 3 ms a subset for
 * Nanum Myeongjo, 0.02-0.9 ms from this face (measured). Subsets of it are
 * byte for byte those of the face (the same tables, hinting already
 * dropped), so which one served a document never shows in its bytes. Made
 * (32 ms for Nanum) the second time a face needs a new subset: a batch
 * whose rows bring new glyphs. */
typedef struct Reduced { const mkl_face *face; hb_face_t *sub; } Reduced;

struct mkl_subsets {
    SubEntry e[8];
    size_t next;
    Reduced red[4];
    size_t next_red;
    size_t twins;   /* twin subsets of base fonts made (glyphbase.h) */
};

static void sub_clear(SubEntry *e) {
    mkl__free(e->gids);
    mkl__free(e->newg);
    mkl__free(e->cid);
    hb_blob_destroy(e->blob);
    mkl__buf_free(&e->zprog);
    mkl__buf_free(&e->tu_raw);
    mkl__buf_free(&e->tu_z);
    mkl__buf_free(&e->map_raw);
    mkl__buf_free(&e->map_z);
    memset(e, 0, sizeof *e);
}

mkl_subsets *mkl__subsets_new(void) { return mkl__calloc(1, sizeof(mkl_subsets)); }

void mkl__subsets_free(mkl_subsets *c) {
    if (!c) return;
    for (size_t i = 0; i < sizeof c->e / sizeof *c->e; i++) sub_clear(&c->e[i]);
    for (size_t i = 0; i < sizeof c->red / sizeof *c->red; i++) hb_face_destroy(c->red[i].sub);
    mkl__free(c);
}

/* The CID of each glyph of a CID-keyed CFF subset, as FreeType reads it from
 * the subset's own charset: hb-subset keeps the font's CIDs there, and a
 * CIDFontType0 maps a PDF's CID to a glyph through that charset (ISO
 * 32000-1, 9.7.4.2), so the pages, /W, ToUnicode and CIDSet use these. */
static mkl_status cff_cids(W *w, const mkl_face *face, hb_face_t *sub, SubEntry *e) {
    hb_blob_t *otf = hb_face_reference_blob(sub);
    unsigned len;
    const char *d = hb_blob_get_data(otf, &len);
    FT_Library lib;
    FT_Face ff = NULL;
    FT_Bool keyed = 0;
    unsigned char *seen = NULL;
    mkl_status st = MKL_OK;
    if (FT_Init_FreeType(&lib)) {
        hb_blob_destroy(otf);
        return mkl__pdf_oom(w);
    }
    int ok = len && !FT_New_Memory_Face(lib, (const FT_Byte *)d, (FT_Long)len, 0, &ff) &&
             !FT_Get_CID_Is_Internally_CID_Keyed(ff, &keyed) && keyed && ff->num_glyphs == (FT_Long)e->nglyphs;
    if (ok && (!(e->cid = mkl__malloc(e->nglyphs * sizeof *e->cid)) || !(seen = mkl__calloc(65536 / 8, 1))))
        st = mkl__pdf_oom(w);
    for (uint32_t g = 0; ok && !st && g < e->nglyphs; g++) {
        FT_UInt c = 0;
        /* .notdef is CID 0, and no two glyphs share a CID */
        ok = !FT_Get_CID_From_Glyph_Index(ff, g, &c) && c <= 0xFFFF && (g == 0) == (c == 0) &&
             !(seen[c >> 3] & (1 << (c & 7)));
        if (!ok) break;
        seen[c >> 3] |= (unsigned char)(1 << (c & 7));
        e->cid[g] = (uint16_t)c;
        if (c + 1 > e->ncid) e->ncid = c + 1;
    }
    if (!st && !ok)
        st = mkl__err(w->e, MKL_ERR_FONT, face->path, 0, 0, "cannot embed the font: its CFF subset has no usable CIDs");
    mkl__free(seen);
    if (ff) FT_Done_Face(ff);
    FT_Done_FreeType(lib);
    hb_blob_destroy(otf);
    return st;
}

/* The program a FontFile3 /CIDFontType0C embeds: the subset's bare 'CFF '
 * table, as hb-subset made it; a CID-keyed one with its glyphs' CIDs. */
static mkl_status cff_program(W *w, const mkl_face *face, hb_face_t *sub, SubEntry *e) {
    hb_blob_t *cff = hb_face_reference_table(sub, HB_TAG('C', 'F', 'F', ' '));
    if (!hb_blob_get_length(cff)) {
        hb_blob_destroy(cff);
        return MKL_OK;
    }
    e->blob = cff;
    return face->cid_keyed ? cff_cids(w, face, sub, e) : MKL_OK;
}

/* The subset input for the glyphs `gids` (all of them when NULL) of `face`
 * (hb-subset's face `from`: the face's own or its Reduced one); NULL when out
 * of memory. */
static hb_subset_input_t *subset_input(const mkl_face *face, hb_face_t *from, const uint32_t *gids, size_t n, int retain) {
    hb_subset_input_t *in = hb_subset_input_create_or_fail();
    if (!in) return NULL;
    hb_set_t *gs = hb_subset_input_glyph_set(in);
    if (gids)
        for (size_t i = 0; i < n; i++) hb_set_add(gs, gids[i]);
    else
        hb_set_add_range(gs, 0, hb_face_get_glyph_count(from) - 1);
    hb_set_clear(hb_subset_input_unicode_set(in));
    /* CFF charstrings without subroutines: a subset with them is 3% (Latin)
     * to 14% (Hanja) larger once deflated */
    hb_subset_input_set_flags(in, HB_SUBSET_FLAGS_NO_HINTING | (face->cff ? HB_SUBSET_FLAGS_DESUBROUTINIZE : 0) |
                                      (retain ? HB_SUBSET_FLAGS_RETAIN_GIDS : 0));
    /* A CIDFontType2 program needs only these tables (ISO 32000-1, 9.9; cvt,
     * fpgm and prep when hinted): the PDF names the font and gives its
     * metrics, so 'name', 'post', 'OS/2' and every other table of the face
     * are dropped, as in Acrobat's own subsets (FreeType loads such fonts). A
     * Korean letter is 1.2 KB smaller. */
    static const char keep_tt[][5] = {"glyf", "head", "hhea", "hmtx", "loca", "maxp"};
    static const char keep_cff[][5] = {"CFF ", "head", "hhea", "hmtx", "maxp"};
    const char(*keep)[5] = face->cff ? keep_cff : keep_tt;
    size_t nkeep = face->cff ? sizeof keep_cff / sizeof *keep_cff : sizeof keep_tt / sizeof *keep_tt;
    hb_set_t *drop = hb_subset_input_set(in, HB_SUBSET_SETS_DROP_TABLE_TAG);
    hb_tag_t tags[64];
    for (unsigned start = 0, got = 64; got == 64; start += got) {
        got = 64;
        hb_face_get_table_tags(from, start, &got, tags);
        for (unsigned i = 0; i < got; i++) {
            int needed = 0;
            for (size_t k = 0; k < nkeep && !needed; k++)
                needed = tags[i] == hb_tag_from_string(keep[k], 4);
            if (!needed) hb_set_add(drop, tags[i]);
        }
    }
    if (!hb_set_allocation_successful(gs) || !hb_set_allocation_successful(drop)) {
        hb_subset_input_destroy(in);
        return NULL;
    }
    return in;
}

/* The face a subset of `face` is made from: its Reduced face when the
 * renderer keeps one, or when `make` and there is none yet (a TrueType
 * face only), else the face itself. */
static hb_face_t *subset_source(W *w, const mkl_face *face, int make) {
    mkl_subsets *c = w->subsets;
    if (!c || face->cff) return face->face;
    for (size_t i = 0; i < sizeof c->red / sizeof *c->red; i++)
        if (c->red[i].face == face) return c->red[i].sub;
    if (!make) return face->face;
    hb_subset_input_t *in = subset_input(face, face->face, NULL, 0, 0);
    hb_face_t *sub = in ? hb_subset_or_fail(face->face, in) : NULL;
    hb_subset_input_destroy(in);
    if (!sub || hb_face_get_glyph_count(sub) != hb_face_get_glyph_count(face->face)) {
        hb_face_destroy(sub);
        return face->face;   /* a subset from the face itself is as good, only slower */
    }
    hb_face_make_immutable(sub);
    Reduced *slot = &c->red[c->next_red++ % (sizeof c->red / sizeof *c->red)];
    hb_face_destroy(slot->sub);
    slot->face = face;
    slot->sub = sub;
    return sub;
}

/* Subset `face` to the sorted glyphs `gids` into `e` (which takes the array);
 * `reduce`: from the face's Reduced face, made if need be. */
static mkl_status make_subset(W *w, const mkl_face *face, uint32_t *gids, size_t n, int reduce, int retain, SubEntry *e) {
    e->face = face;
    e->gids = gids;
    e->n = n;
    hb_face_t *from = subset_source(w, face, reduce);
    hb_subset_input_t *in = subset_input(face, from, gids, n, retain);
    if (!in || !(e->newg = mkl__malloc((n ? n : 1) * sizeof *e->newg))) {
        hb_subset_input_destroy(in);
        return mkl__pdf_oom(w);
    }
    hb_subset_plan_t *plan = hb_subset_plan_create_or_fail(from, in);
    hb_subset_input_destroy(in);
    if (!plan) return mkl__err(w->e, MKL_ERR_FONT, face->path, 0, 0, "cannot subset the font for embedding");
    const hb_map_t *o2n = hb_subset_plan_old_to_new_glyph_mapping(plan);
    for (size_t i = 0; i < n; i++) {
        hb_codepoint_t ng = hb_map_get(o2n, gids[i]);
        e->newg[i] = ng == HB_MAP_VALUE_INVALID ? 0 : ng;
    }
    hb_face_t *sub = hb_subset_plan_execute_or_fail(plan);
    e->nglyphs = sub ? hb_face_get_glyph_count(sub) : 0;
    mkl_status st = MKL_OK;
    if (!face->cff) e->blob = sub ? hb_face_reference_blob(sub) : NULL;
    else if (sub) st = cff_program(w, face, sub, e);
    hb_face_destroy(sub);
    hb_subset_plan_destroy(plan);
    if (st) return st;
    if (!e->blob || !hb_blob_get_length(e->blob) || !e->nglyphs)
        return mkl__err(w->e, MKL_ERR_FONT, face->path, 0, 0, "cannot subset the font for embedding");
    for (size_t i = 0; i < n; i++)
        if (e->newg[i] >= e->nglyphs) e->newg[i] = 0;
    return MKL_OK;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The id in the subset of the face's glyph `gid`. */
static uint32_t subset_gid(const SubEntry *e, uint32_t gid) {
    const uint32_t *at = bsearch(&gid, e->gids, e->n, sizeof *e->gids, cmp_u32);
    return at ? e->newg[at - e->gids] : 0;
}

/* The one code point a pair's text is, when it is one UTF-16 unit; else 0. */
static uint32_t single_unit(const PFont *f, uint32_t pair) {
    const char *t = f->text.s + f->cid_toff.v[pair];
    size_t n = f->cid_tlen.v[pair], i = 0;
    uint32_t cp = mkl__utf8_next(t, n, &i);
    return i == n && cp < 0x10000 && (cp < 0xD800 || cp > 0xDFFF) ? cp : 0;
}

/* Move `n` entries in `from` to the CMap as one block ("bfchar" or "bfrange"). */
static void cmap_block(mkl_buf *tb, mkl_buf *from, size_t *n, const char *kind) {
    mkl__buf_printf(tb, "%zu begin%s\n", *n, kind);
    mkl__buf_add(tb, from->s, from->n);
    mkl__buf_printf(tb, "end%s\n", kind);
    from->n = *n = 0;
}

/* The ToUnicode CMap of a finished font (who[cid]: its pair, 0 for none;
 * used[nused]: the CIDs drawn, ascending: a twin subset keeping glyph ids
 * has tens of thousands of CIDs and a few drawn).
 * CIDs follow the font's glyph order, so neighbouring CIDs with a text are
 * written as one bfrange: "<lo> <hi> <u>" when their texts are consecutive
 * code points, else "<lo> <hi> [<t1> <t2> ...]" (a range stays within one
 * high byte, as the CMap format requires); a CID alone is a bfchar. */
static mkl_status to_unicode(W *w, const PFont *f, const uint32_t *who, uint32_t ncid, const uint32_t *used, size_t nused,
                             mkl_buf *tb) {
    mkl_buf ch = {0}, rg = {0};
    size_t nch = 0, nrg = 0;
    mkl__buf_adds(tb, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                      "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
                      "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                      "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
    size_t k = 0;   /* used[k]: the first CID drawn at lo or after */
    for (uint32_t lo = 1; lo < ncid;) {
        while (k < nused && used[k] < lo) k++;
        if (k == nused) break;
        lo = used[k];
        if (!f->cid_tlen.v[who[lo]]) { lo++; continue; }
        uint32_t hi = lo;
        while (hi + 1 < ncid && (hi + 1) >> 8 == lo >> 8 && who[hi + 1] && f->cid_tlen.v[who[hi + 1]]) hi++;
        if (hi == lo) {
            mkl__buf_printf(&ch, "<%04X> <", (unsigned)lo);
            mkl__pdf_utf16be(&ch, f->text.s + f->cid_toff.v[who[lo]], f->cid_tlen.v[who[lo]]);
            mkl__buf_adds(&ch, ">\n");
            if (++nch == 100) cmap_block(tb, &ch, &nch, "bfchar");
        } else {
            uint32_t u0 = single_unit(f, who[lo]);
            int seq = u0 && (u0 & 0xFF) + (hi - lo) <= 0xFF;
            for (uint32_t c = lo + 1; c <= hi && seq; c++) seq = single_unit(f, who[c]) == u0 + (c - lo);
            mkl__buf_printf(&rg, "<%04X> <%04X> ", (unsigned)lo, (unsigned)hi);
            if (seq) {
                mkl__buf_printf(&rg, "<%04X>\n", (unsigned)u0);
            } else {
                mkl__buf_adds(&rg, "[");
                for (uint32_t c = lo; c <= hi; c++) {
                    mkl__buf_adds(&rg, c == lo ? "<" : " <");
                    mkl__pdf_utf16be(&rg, f->text.s + f->cid_toff.v[who[c]], f->cid_tlen.v[who[c]]);
                    mkl__buf_adds(&rg, ">");
                }
                mkl__buf_adds(&rg, "]\n");
            }
            if (++nrg == 100) cmap_block(tb, &rg, &nrg, "bfrange");
        }
        lo = hi + 1;
    }
    if (nch) cmap_block(tb, &ch, &nch, "bfchar");
    if (nrg) cmap_block(tb, &rg, &nrg, "bfrange");
    mkl__buf_adds(tb, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    int bad = ch.oom || rg.oom || tb->oom;
    mkl__buf_free(&ch);
    mkl__buf_free(&rg);
    return bad ? mkl__pdf_oom(w) : MKL_OK;
}

/* Subset the font and write its objects. */
mkl_status mkl__pdf_font_finish(W *w, PFont *f, int index) {
    HPDF_MMgr mm = w->pdf->mmgr;
    mkl_face *face = f->face;
    mkl_status st = MKL_OK;
    /* the glyphs used, sorted and unique; a base font's: the base's, all of
     * them (the glyphs drawn are among them), so that every copy has the
     * same subset, kept deflated */
    size_t ng = 0, nfrom = f->base_gids ? f->base_n : f->cid_gid.n;
    uint32_t *gids = mkl__malloc((nfrom ? nfrom : 1) * sizeof *gids);
    if (!gids) return mkl__pdf_oom(w);
    if (f->base_gids) {
        memcpy(gids, f->base_gids, nfrom * sizeof *gids);
        ng = nfrom;
    } else {
        memcpy(gids, f->cid_gid.v, nfrom * sizeof *gids);
        qsort(gids, nfrom, sizeof *gids, cmp_u32);
        for (size_t i = 0; i < nfrom; i++)
            if (!ng || gids[ng - 1] != gids[i]) gids[ng++] = gids[i];
    }
    SubEntry own = {0}, *e = NULL;
    mkl_subsets *cache = w->subsets;
    if (w->flat) cache = NULL;   /* (its subsets keep glyph ids: they serve no other document) */
    /* the twin of a base font holds the glyphs one copy's row brings: its
     * subset serves no other copy, and would push the base's out */
    int keep = cache && !(f->is_twin && !face->cff);
    for (size_t i = 0; cache && i < sizeof cache->e / sizeof *cache->e && !e; i++)
        if (cache->e[i].face == face && cache->e[i].n == ng && !memcmp(cache->e[i].gids, gids, ng * sizeof *gids))
            e = &cache->e[i];
    if (e) {
        mkl__free(gids);
    } else {
        /* a second subset of a face in this renderer: its rows bring new glyphs */
        int reduce = 0;
        for (size_t i = 0; cache && i < sizeof cache->e / sizeof *cache->e && !reduce; i++) reduce = cache->e[i].face == face;
        /* the first twin of a base font: from the face itself (3 ms for Nanum
         * Myeongjo) rather than by making its cut-down face (32 ms) for what
         * may be a merge of one row (--rows N) */
        if (cache && f->is_twin && !face->cff && !cache->twins++) reduce = 0;
        /* a flat writer's codes are the face's glyph ids (a CID-keyed CFF
         * subset keeps the face's CIDs whatever it does with glyph ids) */
        if ((st = make_subset(w, face, gids, ng, reduce, w->flat && !face->cid_keyed, &own))) {
            sub_clear(&own);
            return st;
        }
        e = &own;
        if (keep) {   /* kept for the next copies, in place of the oldest */
            SubEntry *slot = &cache->e[cache->next++ % (sizeof cache->e / sizeof *cache->e)];
            sub_clear(slot);
            *slot = own;
            memset(&own, 0, sizeof own);
            e = slot;
        }
    }
    /* e stays valid to the end: nothing below touches the cache */
    unsigned blen = 0;
    const char *bdata = hb_blob_get_data(e->blob, &blen);
    mkl_buf tb = {0};
    uint32_t *who = NULL, *used = NULL;
    size_t nused = 0;
    unsigned char *taken = NULL;

    /* final CIDs: the pair's glyph id in the subset (a CID-keyed CFF: the
     * glyph's CID), taken by the first pair of each glyph with a text; any
     * further pair of that glyph (another text, or none) gets a CID after
     * the last glyph */
    size_t npair = f->cid_gid.n;
    const uint16_t *cidof = e->cid;
    uint32_t ncid = cidof ? e->ncid : e->nglyphs;
    f->final = mkl__malloc(npair * sizeof *f->final);
    taken = mkl__calloc(e->nglyphs, 1);
    if (!f->final || !taken) { st = mkl__pdf_oom(w); goto out; }
    f->final[0] = 0;
    for (size_t p = 1; p < npair; p++) f->final[p] = UINT32_MAX;
    if (w->flat) {
        /* the pages have the codes already: the subset must draw them */
        ncid = 1;
        for (size_t p = 1; p < npair && !st; p++) {
            uint32_t c = f->final[p] = f->codes.v[p], g = subset_gid(e, f->cid_gid.v[p]);
            if (c + 1 > ncid) ncid = c + 1;
            if (cidof ? cidof[g] != c : (c < e->nglyphs && g != c) || (!g && f->cid_gid.v[p]))
                st = mkl__err(w->e, MKL_ERR_PDF, face->path, 0, 0, "internal error: a glyph's code is not the subset's");
        }
        if (st) goto out;
        /* a subset keeping glyph ids may end past the last code (a
         * composite glyph's parts): the codes are still its glyph ids */
        if (!cidof && ncid < e->nglyphs) ncid = e->nglyphs;
    }
    for (int pass = 0; pass < 2 && !w->flat; pass++)
        for (size_t p = 1; p < npair; p++) {
            if (f->final[p] != UINT32_MAX || (!pass && !f->cid_tlen.v[p])) continue;
            uint32_t g = subset_gid(e, f->cid_gid.v[p]);
            /* a CIDFontType0 has no CIDToGIDMap: a glyph drawn for a second
             * text keeps its one CID (and the first text) */
            if (!taken[g] || face->cff) {
                taken[g] = 1;
                f->final[p] = cidof ? cidof[g] : g;
            } else {
                f->final[p] = ncid++;
            }
        }
    if (ncid > (cidof ? 0x10000u : 0xFFFFu)) {
        st = mkl__err(w->e, MKL_ERR_LIMIT, NULL, 0, 0, "more than 65,535 distinct glyphs in one font");
        goto out;
    }
    /* who[cid]: the pair drawn with it (0: none); used: the CIDs drawn */
    if (!(who = mkl__calloc(ncid, sizeof *who)) || !(used = mkl__malloc((npair ? npair : 1) * sizeof *used))) {
        st = mkl__pdf_oom(w);
        goto out;
    }
    for (size_t p = 1; p < npair; p++) {
        uint32_t *c = &who[f->final[p]];
        if (!*c) used[nused++] = f->final[p];
        if (!*c || (!f->cid_tlen.v[*c] && f->cid_tlen.v[p])) *c = (uint32_t)p;
    }
    qsort(used, nused, sizeof *used, cmp_u32);

    /* subset tag: six letters from the glyph set, so identical input gives identical output */
    char tag[8], base[256];
    uint32_t h = 2166136261u ^ (uint32_t)index;
    for (size_t c = 0; c < f->cid_gid.n; c++) h = (h ^ f->cid_gid.v[c]) * 16777619u;
    for (int i = 0; i < 6; i++) { tag[i] = (char)('A' + h % 26); h /= 26; if (!h) h = 0x9E3779B9u + (uint32_t)i; }
    tag[6] = 0;
    snprintf(base, sizeof base, "%s+%s", tag, face->psname);
    for (char *p = base; *p; p++)
        if (*p <= ' ' || *p > '~' || strchr("()<>[]{}/%#", *p)) *p = '-';

    HPDF_STATUS r = HPDF_OK;
    /* FontFile2 (TrueType), or FontFile3 with a bare CFF (ISO 32000-1, 9.9) */
    HPDF_Dict ff = mkl__pdf_stream_new(w);
    if (!ff) { st = mkl__pdf_fail(w, "creating a font file"); goto out; }
    r |= mkl__pdf_stream_data(w, ff, bdata, blen, &e->zprog);
    if (face->cff) r |= HPDF_Dict_AddName(ff, "Subtype", "CIDFontType0C");
    else r |= HPDF_Dict_AddNumber(ff, "Length1", (HPDF_INT32)blen);

    /* FontDescriptor */
    double k = 1000.0 / face->upem;
    HPDF_Dict fd = HPDF_Dict_New(mm);
    if (!fd || HPDF_Xref_Add(w->pdf->xref, fd) != HPDF_OK) { st = mkl__pdf_fail(w, "creating a font descriptor"); goto out; }
    r |= HPDF_Dict_AddName(fd, "Type", "FontDescriptor");
    r |= HPDF_Dict_AddName(fd, "FontName", base);
    r |= HPDF_Dict_AddNumber(fd, "Flags", 4 | (face->italic ? 64 : 0));
    /* libharu frees an object it fails to add: nothing is used after a failed add */
    HPDF_Array bbox = HPDF_Array_New(mm);
    if (!bbox || HPDF_Dict_Add(fd, "FontBBox", bbox) != HPDF_OK) { st = mkl__pdf_fail(w, "writing a font"); goto out; }
    for (int i = 0; i < 4; i++) r |= HPDF_Array_AddNumber(bbox, (HPDF_INT32)lround(face->bbox[i] * k));
    r |= HPDF_Dict_AddReal(fd, "ItalicAngle", (HPDF_REAL)face->italic_angle);
    r |= HPDF_Dict_AddNumber(fd, "Ascent", (HPDF_INT32)lround(face->ascender * k));
    r |= HPDF_Dict_AddNumber(fd, "Descent", (HPDF_INT32)lround(face->descender * k));
    r |= HPDF_Dict_AddNumber(fd, "CapHeight", (HPDF_INT32)lround(face->cap_height * k));
    r |= HPDF_Dict_AddNumber(fd, "StemV", face->bold ? 140 : 80);
    r |= HPDF_Dict_Add(fd, face->cff ? "FontFile3" : "FontFile2", ff);
    if (w->pdfa) {
        /* PDF/A-1: a CIDSet naming every CID the subset has */
        HPDF_Dict cs = mkl__pdf_stream_new(w);
        HPDF_BYTE *set = mkl__calloc((ncid + 7) / 8, 1);
        if (!set) { st = mkl__pdf_oom(w); goto out; }
        if (!cs) { mkl__free(set); st = mkl__pdf_fail(w, "creating a CIDSet"); goto out; }
        for (uint32_t c = 0; c < (cidof ? e->nglyphs : ncid); c++) {
            uint32_t cid = cidof ? cidof[c] : c;
            set[cid >> 3] |= (HPDF_BYTE)(0x80 >> (cid & 7));
        }
        r |= mkl__pdf_stream_data(w, cs, set, (ncid + 7) / 8, NULL);
        mkl__free(set);
        r |= HPDF_Dict_Add(fd, "CIDSet", cs);
    }

    /* CIDFontType2 with /W and CIDToGIDMap */
    HPDF_Dict cf = HPDF_Dict_New(mm);
    if (!cf || HPDF_Xref_Add(w->pdf->xref, cf) != HPDF_OK) { st = mkl__pdf_fail(w, "creating a CID font"); goto out; }
    r |= HPDF_Dict_AddName(cf, "Type", "Font");
    r |= HPDF_Dict_AddName(cf, "Subtype", face->cff ? "CIDFontType0" : "CIDFontType2");
    r |= HPDF_Dict_AddName(cf, "BaseFont", base);
    HPDF_Dict si = HPDF_Dict_New(mm);
    if (!si || HPDF_Dict_Add(cf, "CIDSystemInfo", si) != HPDF_OK) { st = mkl__pdf_fail(w, "writing a font"); goto out; }
    r |= HPDF_Dict_Add(si, "Registry", HPDF_String_New(mm, "Adobe", NULL));
    r |= HPDF_Dict_Add(si, "Ordering", HPDF_String_New(mm, "Identity", NULL));
    r |= HPDF_Dict_AddNumber(si, "Supplement", 0);
    r |= HPDF_Dict_Add(cf, "FontDescriptor", fd);
    /* /DW is the most common width (every Hangul syllable, in a Korean font);
     * /W lists the others as runs "c [w1 w2 ...]" */
    int *wv = mkl__malloc(ncid * sizeof *wv), *sorted = mkl__malloc((nused ? nused : 1) * sizeof *sorted);
    if (!wv || !sorted) { mkl__free(wv); mkl__free(sorted); st = mkl__pdf_oom(w); goto out; }
    /* (wv is read only where a CID is drawn) */
    for (size_t k = 0; k < nused; k++) sorted[k] = wv[used[k]] = mkl__face_w1000(face, f->cid_gid.v[who[used[k]]]);
    qsort(sorted, nused, sizeof *sorted, cmp_int);
    int dw = nused ? sorted[0] : 1000;
    for (size_t a = 0, best = 0; a < nused;) {
        size_t b = a;
        while (b < nused && sorted[b] == sorted[a]) b++;
        if (b - a > best) { best = b - a; dw = sorted[a]; }
        a = b;
    }
    mkl__free(sorted);
    r |= HPDF_Dict_AddNumber(cf, "DW", dw);
    HPDF_Array wa = HPDF_Array_New(mm);
    if (!wa || HPDF_Dict_Add(cf, "W", wa) != HPDF_OK) r |= HPDF_FAILD_TO_ALLOC_MEM;
    size_t next = 0;   /* used[next]: the first CID drawn at c or after */
    for (uint32_t c = 1; c < ncid && r == HPDF_OK;) {
        while (next < nused && used[next] < c) next++;
        if (next == nused) break;
        c = used[next];
        if (wv[c] == dw) { c++; continue; }
        r |= HPDF_Array_AddNumber(wa, (HPDF_INT32)c);
        HPDF_Array ws = HPDF_Array_New(mm);
        if (!ws || HPDF_Array_Add(wa, ws) != HPDF_OK) { r |= HPDF_FAILD_TO_ALLOC_MEM; break; }
        for (; c < ncid && who[c] && wv[c] != dw && r == HPDF_OK; c++) r |= HPDF_Array_AddNumber(ws, wv[c]);
    }
    mkl__free(wv);
    if (face->cff) {
        /* CIDs go to glyphs through the charset: no map */
    } else if (ncid == e->nglyphs) {
        r |= HPDF_Dict_AddName(cf, "CIDToGIDMap", "Identity");
    } else {
        HPDF_Dict map = mkl__pdf_stream_new(w);
        if (!map) { st = mkl__pdf_fail(w, "creating a CIDToGIDMap"); goto out; }
        mkl_buf raw = {0};
        for (uint32_t c = 0; c < ncid; c++) {
            uint32_t g = c < e->nglyphs ? c : who[c] ? subset_gid(e, f->cid_gid.v[who[c]]) : 0;
            char two[2] = {(char)(g >> 8), (char)(g & 0xFF)};
            mkl__buf_add(&raw, two, 2);
        }
        if (raw.oom) { mkl__buf_free(&raw); st = mkl__pdf_oom(w); goto out; }
        r |= mkl__pdf_stream_kept(w, map, &raw, &e->map_raw, &e->map_z);
        mkl__buf_free(&raw);
        r |= HPDF_Dict_Add(cf, "CIDToGIDMap", map);
    }

    /* ToUnicode */
    HPDF_Dict tu = mkl__pdf_stream_new(w);
    if (!tu) { st = mkl__pdf_fail(w, "creating a ToUnicode map"); goto out; }
    if ((st = to_unicode(w, f, who, ncid, used, nused, &tb))) goto out;
    r |= mkl__pdf_stream_kept(w, tu, &tb, &e->tu_raw, &e->tu_z);

    /* Type0 */
    r |= HPDF_Dict_AddName(f->type0, "Type", "Font");
    r |= HPDF_Dict_AddName(f->type0, "Subtype", "Type0");
    r |= HPDF_Dict_AddName(f->type0, "BaseFont", base);
    r |= HPDF_Dict_AddName(f->type0, "Encoding", "Identity-H");
    HPDF_Array df = HPDF_Array_New(mm);
    if (!df || HPDF_Dict_Add(f->type0, "DescendantFonts", df) != HPDF_OK) r |= HPDF_FAILD_TO_ALLOC_MEM;
    else r |= HPDF_Array_Add(df, cf);
    r |= HPDF_Dict_Add(f->type0, "ToUnicode", tu);
    if (r != HPDF_OK || w->ctx.err) st = mkl__pdf_fail(w, "writing a font");
out:
    mkl__buf_free(&tb);
    mkl__free(who);
    mkl__free(used);
    mkl__free(taken);
    sub_clear(&own);
    return st;
}

mkl_status mkl__pdf_flat_code(W *w, PFont *f, uint32_t gid, uint32_t *code) {
    /* (CID 0: .notdef's pair, made with the font) */
    mkl_face *face = f->face;
    if (face->cff && !face->cid_keyed) {
        *code = gid;   /* a subset keeping glyph ids; twins hold further texts */
        return MKL_OK;
    }
    unsigned n = hb_face_get_glyph_count(face->face);
    if (face->cff) {
        /* the face's CID of the glyph, as FreeType reads its charset */
        if (!f->face_cid) {
            unsigned len;
            const char *d = hb_blob_get_data(face->blob, &len);
            FT_Library lib;
            FT_Face ff = NULL;
            if (!(f->face_cid = mkl__calloc(n ? n : 1, sizeof *f->face_cid))) return mkl__pdf_oom(w);
            if (FT_Init_FreeType(&lib)) return mkl__pdf_oom(w);
            int ok = !FT_New_Memory_Face(lib, (const FT_Byte *)d, (FT_Long)len, (FT_Long)face->index, &ff);
            for (unsigned g = 0; ok && g < n; g++) {
                FT_UInt c = 0;
                ok = !FT_Get_CID_From_Glyph_Index(ff, g, &c) && c <= 0xFFFF;
                f->face_cid[g] = (uint16_t)c;
            }
            if (ff) FT_Done_Face(ff);
            FT_Done_FreeType(lib);
            if (!ok) return mkl__err(w->e, MKL_ERR_FONT, face->path, 0, 0, "cannot embed the font: its CFF has no usable CIDs");
        }
        *code = gid < n ? f->face_cid[gid] : 0;
        return MKL_OK;
    }
    /* TrueType: the glyph's id (the pair is the glyph's only one in this
     * font: pdf.c draws a second text from a twin) */
    if (!f->gid_taken || gid >= n)
        return mkl__err(w->e, MKL_ERR_PDF, face->path, 0, 0, "internal error: a glyph id beyond the font's");
    f->gid_taken[gid >> 3] |= (uint8_t)(1 << (gid & 7));
    *code = gid;
    return MKL_OK;
}
