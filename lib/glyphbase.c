/* glyphbase.c - the glyphs a merge's fixed text draws. See glyphbase.h. */
#include "glyphbase.h"

#include <stdlib.h>
#include <string.h>

typedef struct BaseFace {
    const mkl_face *face;
    uint32_t *gids;   /* sorted, unique */
    size_t n;
    uint8_t *bits;    /* a bit per glyph of the face */
} BaseFace;

struct mkl_glyph_base {
    MKL_VEC(BaseFace) faces;
};

void mkl__glyph_base_free(mkl_glyph_base *b) {
    if (!b) return;
    for (size_t i = 0; i < b->faces.n; i++) {
        mkl__free(b->faces.v[i].gids);
        mkl__free(b->faces.v[i].bits);
    }
    mkl__free(b->faces.v);
    mkl__free(b);
}

static int big_face(const mkl_face *f) { return f && !f->cff && hb_face_get_glyph_count(f->face) >= MKL_BASE_MIN_GLYPHS; }

mkl_glyph_base *mkl__glyph_base_new(const mkl_layout *L) {
    mkl_glyph_base *b = mkl__calloc(1, sizeof *b);
    if (!b) return NULL;
    /* a bit per glyph for each big face drawn */
    for (size_t p = 0; p < L->pages.n; p++)
        for (size_t r = 0; r < L->pages.v[p].runs.n; r++) {
            const mkl_prun *run = &L->pages.v[p].runs.v[r];
            if (!run->count || !big_face(run->face)) continue;
            size_t i = 0;
            while (i < b->faces.n && b->faces.v[i].face != run->face) i++;
            unsigned count = hb_face_get_glyph_count(run->face->face);
            if (i == b->faces.n) {
                BaseFace *bf = MKL_PUSH(&b->faces);
                if (!bf || !(bf->bits = mkl__calloc(count / 8 + 1, 1))) {
                    mkl__glyph_base_free(b);
                    return NULL;
                }
                bf->face = run->face;
            }
            uint8_t *bits = b->faces.v[i].bits;
            for (size_t g = run->first; g < run->first + run->count; g++) {
                uint32_t gid = L->glyphs.v[g].gid;
                if (gid < count) bits[gid >> 3] |= (uint8_t)(1 << (gid & 7));
            }
        }
    /* and the glyphs in order */
    for (size_t i = 0; i < b->faces.n; i++) {
        BaseFace *bf = &b->faces.v[i];
        unsigned count = hb_face_get_glyph_count(bf->face->face);
        for (unsigned g = 0; g < count; g++) bf->n += (bf->bits[g >> 3] >> (g & 7)) & 1;
        if (!(bf->gids = mkl__malloc((bf->n ? bf->n : 1) * sizeof *bf->gids))) {
            mkl__glyph_base_free(b);
            return NULL;
        }
        size_t k = 0;
        for (unsigned g = 0; g < count; g++)
            if ((bf->bits[g >> 3] >> (g & 7)) & 1) bf->gids[k++] = g;
    }
    return b;
}

const uint32_t *mkl__glyph_base_of(const mkl_glyph_base *b, const mkl_face *face, size_t *n, const uint8_t **bits) {
    for (size_t i = 0; b && i < b->faces.n; i++)
        if (b->faces.v[i].face == face && b->faces.v[i].n) {
            *n = b->faces.v[i].n;
            *bits = b->faces.v[i].bits;
            return b->faces.v[i].gids;
        }
    return NULL;
}
