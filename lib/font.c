/* font.c - font database: font folders first, then Fontconfig. See font.h. */
#include "font.h"
#include "fc.h"

#include <limits.h>
#include <math.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_CID_H
#include <hb-ot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Fontconfig's fonts for one (language, class, style), best first. */
typedef struct FbRank {
    char lang[16];
    int sans, bold, italic;
    int asked;
    FcFontSet *set;              /* NULL: Fontconfig has none (or is not available) */
} FbRank;

/* A fallback answer: (code point, rank) -> face id, or -1 for none. */
typedef struct FbHit {
    uint64_t key;
    int32_t face;
} FbHit;

struct mkl_fontdb {
    char **dirs;
    size_t ndirs;
    int scanned;
    MKL_VEC(mkl_face *) faces;   /* every face known, loaded or not */
    MKL_VEC(char *) names;       /* normalized family names, parallel to faces: "a\0b\0\0" lists */
    int fc_ready;
    FT_Library ft;               /* validates a face before it is used */
    size_t nfolder;              /* faces [0, nfolder) come from the font folders */
    MKL_VEC(FbRank) ranks;       /* Fontconfig's candidates per (language, class, style) */
    FbHit *hits;                 /* fallback answers: open addressing, key 0 = empty */
    size_t hcap, nhits;
};

/* Lower-case ASCII, drop spaces, '-' and '_': "Nanum Myeongjo" == "NanumMyeongjo". */
static void norm(const char *s, char *out, size_t outsz) {
    size_t o = 0;
    for (; *s && o + 1 < outsz; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ' || c == '-' || c == '_') continue;
        out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[o] = 0;
}

static unsigned be16(const char *p) { return ((unsigned)(unsigned char)p[0] << 8) | (unsigned char)p[1]; }

static int has_table(hb_face_t *f, hb_tag_t tag) {
    hb_blob_t *b = hb_face_reference_table(f, tag);
    unsigned len = hb_blob_get_length(b);
    hb_blob_destroy(b);
    return len > 0;
}

/* Outlines the PDF stage can embed: TrueType, or CFF (OpenType). Variable
 * fonts are refused, not instanced: their default outlines would be
 * embedded whatever instance was asked for. */
static int embeddable(hb_face_t *f) {
    if (has_table(f, HB_TAG('f', 'v', 'a', 'r'))) return 0;
    return has_table(f, HB_TAG('g', 'l', 'y', 'f')) || has_table(f, HB_TAG('C', 'F', 'F', ' '));
}

/* Serif or sans serif: the OS/2 IBM family class (8: sans serif; 1-5, 7:
 * serifs), else the family name ("Gothic", "Dotum" are Korean sans serifs,
 * "Myeongjo", "Batang", "Mincho", "Song", "Ming" serifs); -1 if neither says. */
static int name_class(const char *family) {
    static const char *const sans[] = {"sans", "gothic", "dotum", "gulim", "hei", "grotesk"};
    static const char *const serif[] = {"serif", "myeongjo", "batang", "mincho", "song", "ming", "roman", "times"};
    char low[256];
    size_t n = 0;
    for (const char *p = family ? family : ""; *p && n + 1 < sizeof low; p++)
        low[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    low[n] = 0;
    for (size_t i = 0; i < sizeof sans / sizeof *sans; i++)
        if (strstr(low, sans[i])) return 1;
    for (size_t i = 0; i < sizeof serif / sizeof *serif; i++)
        if (strstr(low, serif[i])) return 0;
    return -1;
}

static int face_class(hb_face_t *f, const char *family) {
    hb_blob_t *b = hb_face_reference_table(f, HB_TAG('O', 'S', '/', '2'));
    unsigned len;
    const char *d = hb_blob_get_data(b, &len);
    int cls = len >= 32 ? (unsigned char)d[30] : 0;
    hb_blob_destroy(b);
    if (cls == 8) return 1;
    if ((cls >= 1 && cls <= 5) || cls == 7) return 0;
    return name_class(family);
}

/* Read style bits and names of a face (without creating an hb_font). */
static void face_style(hb_face_t *f, int *bold, int *italic, int *weight) {
    hb_blob_t *b = hb_face_reference_table(f, HB_TAG('O', 'S', '/', '2'));
    unsigned len;
    const char *d = hb_blob_get_data(b, &len);
    *bold = *italic = 0;
    *weight = 400;
    if (len >= 64) {
        *weight = (int)be16(d + 4);
        unsigned sel = be16(d + 62);
        *italic = (sel & 1) != 0;
        *bold = (sel & 32) != 0 || *weight >= 600;
    }
    hb_blob_destroy(b);
}

/* The name `id` of face `f` in `lang`, or NULL when the face has none (and
 * then *oom is left alone) or when copying it fails (*oom set). */
static char *name_utf8(hb_face_t *f, hb_ot_name_id_t id, hb_language_t lang, int *oom) {
    char buf[256];
    unsigned len = sizeof buf;
    if (!hb_ot_name_get_utf8(f, id, lang, &len, buf) || !len) return NULL;
    char *s = mkl__strndup(buf, strlen(buf));
    if (!s) *oom = 1;
    return s;
}

/* Build the "\0"-separated list of normalized family names of a face. */
static char *family_names(hb_face_t *f) {
    unsigned n = 0;
    const hb_ot_name_entry_t *entries = hb_ot_name_list_names(f, &n);
    mkl_buf b = {0};
    for (unsigned i = 0; i < n; i++) {
        if (entries[i].name_id != HB_OT_NAME_ID_FONT_FAMILY && entries[i].name_id != HB_OT_NAME_ID_TYPOGRAPHIC_FAMILY)
            continue;
        char buf[256], nb[256];
        unsigned len = sizeof buf;
        if (!hb_ot_name_get_utf8(f, entries[i].name_id, entries[i].language, &len, buf)) continue;
        norm(buf, nb, sizeof nb);
        if (nb[0]) mkl__buf_add(&b, nb, strlen(nb) + 1);
    }
    mkl__buf_add(&b, "", 1);
    if (b.oom) { mkl__buf_free(&b); return NULL; }
    return b.s;
}

static void face_free(mkl_face *f) {
    if (!f) return;
    hb_font_destroy(f->font);
    hb_face_destroy(f->face);
    hb_blob_destroy(f->blob);
    mkl__free(f->path);
    mkl__free(f->family);
    mkl__free(f->psname);
    mkl__free(f->w1000);
    mkl__free(f->adv);
    for (size_t i = 0; i < sizeof f->cmap_page / sizeof *f->cmap_page; i++) mkl__free(f->cmap_page[i]);
    mkl__free(f);
}

const char *mkl__fontconfig_said(char *buf, size_t size) {
    const char *why = mkl__fc_trouble();
    if (!why) return "Fontconfig";
    snprintf(buf, size, "not Fontconfig, which cannot be used: %s", why);
    return buf;
}

/* Glyph gid's slot in one of a face's per-glyph tables (made, zeroed, the
 * first time: *n its length, UINT_MAX when there was no memory for it), or
 * NULL (no table). */
static int32_t *glyph_slot(const mkl_face *f, int32_t **table, unsigned *n, uint32_t gid) {
    if (!*table && *n == 0) {
        unsigned count = hb_face_get_glyph_count(f->face);
        *table = count ? mkl__calloc(count, sizeof **table) : NULL;
        *n = *table ? count : UINT_MAX;
    }
    return *table && gid < *n ? &(*table)[gid] : NULL;
}

hb_position_t mkl__face_advance(mkl_face *f, uint32_t gid) {
    int32_t *slot = glyph_slot(f, &f->adv, &f->nadv, gid);
    if (slot && *slot) return (hb_position_t)*slot - 1;
    hb_position_t a = hb_font_get_glyph_h_advance(f->font, gid);
    if (slot && a >= 0 && a < INT32_MAX) *slot = a + 1;
    return a;
}

hb_codepoint_t mkl__face_cover(mkl_face *f, uint32_t cp) {
    if (cp > 0xFFFF) return mkl__face_glyph(f, cp);
    uint32_t **page = &f->cmap_page[cp >> 8];
    if (!*page && !(*page = mkl__calloc(256, sizeof **page))) return mkl__face_glyph(f, cp);
    uint32_t *slot = &(*page)[cp & 255];
    if (!*slot) *slot = mkl__face_glyph(f, cp) + 1;
    return *slot - 1;
}

int mkl__face_w1000(mkl_face *f, uint32_t gid) {
    int32_t *slot = glyph_slot(f, &f->w1000, &f->nw1000, gid);
    if (slot && *slot) return *slot - 1;
    int w = (int)lround(hb_font_get_glyph_h_advance(f->font, gid) * 1000.0 / f->upem);
    if (slot && w >= 0) *slot = w + 1;
    return w;
}

/* A font file larger than this is not a font a letter needs (the largest
 * CJK fonts are about 30 MiB); it is skipped like any file that is no font. */
#define MKL_FONT_MAX_FILE ((size_t)256 << 20)

typedef struct mapping { void *addr; size_t len; } mapping;

static void unmap(void *user) {
    mapping *m = user;
    munmap(m->addr, m->len);
    mkl__free(m);
}

/* The file at `path` as a blob, mapped read-only; NULL (skipped) for anything
 * but a regular file of a sane size. Opened without blocking: a FIFO named
 * like a font in a font folder does not stop the run. */
static hb_blob_t *font_blob(const char *path) {
    struct stat sb;
    int fd = mkl__open_regular(path, &sb, NULL);
    if (fd < 0) return NULL;
    if (sb.st_size <= 0 || (unsigned long long)sb.st_size > MKL_FONT_MAX_FILE) {
        close(fd);
        return NULL;
    }
    size_t len = (size_t)sb.st_size;
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return NULL;
    mapping *m = mkl__malloc(sizeof *m);
    if (!m) { munmap(p, len); return NULL; }
    m->addr = p;
    m->len = len;
    hb_blob_t *b = hb_blob_create_or_fail(p, (unsigned)len, HB_MEMORY_MODE_READONLY_MAY_MAKE_WRITABLE, m, unmap);
    if (!b) unmap(m);
    return b;
}

/* Register a face found at path/index. Returns MKL_OK, or an error only for OOM;
 * unusable files are skipped silently (they are not the one asked for). */
static mkl_status add_face(mkl_fontdb *db, const char *path, unsigned index, mkl_face **out) {
    if (out) *out = NULL;
    hb_blob_t *blob = font_blob(path);
    if (!blob) return MKL_OK;
    hb_face_t *hf = hb_face_create(blob, index);
    if (hb_face_get_glyph_count(hf) == 0 || !embeddable(hf)) {
        hb_face_destroy(hf);
        hb_blob_destroy(blob);
        return MKL_OK;
    }
    mkl_face *f = mkl__calloc(1, sizeof *f);
    char *names = family_names(hf);
    char *fpath = mkl__strdup(path);
    /* the names first: a copy that fails is out of memory, not a face
     * without that name (which would be embedded under another one) */
    int oom = 0;
    hb_language_t en = hb_language_from_string("en", -1);
    char *family = name_utf8(hf, HB_OT_NAME_ID_TYPOGRAPHIC_FAMILY, en, &oom);
    if (!family && !oom) family = name_utf8(hf, HB_OT_NAME_ID_FONT_FAMILY, en, &oom);
    char *psname = oom ? NULL : name_utf8(hf, HB_OT_NAME_ID_POSTSCRIPT_NAME, HB_LANGUAGE_INVALID, &oom);
    if (!psname && !oom) psname = name_utf8(hf, HB_OT_NAME_ID_POSTSCRIPT_NAME, en, &oom);
    mkl_face **slot = f && names && fpath && !oom ? MKL_PUSH(&db->faces) : NULL;
    char **nslot = slot ? MKL_PUSH(&db->names) : NULL;
    if (!nslot) {
        if (slot) db->faces.n--;
        mkl__free(family);
        mkl__free(psname);
        mkl__free(names);
        mkl__free(fpath);
        mkl__free(f);
        hb_face_destroy(hf);
        hb_blob_destroy(blob);
        return MKL_ERR_NOMEM;
    }
    f->id = (int)db->faces.n - 1;
    f->path = fpath;
    f->index = index;
    f->blob = blob;
    f->face = hf;
    f->family = family;
    f->psname = psname;
    face_style(hf, &f->bold, &f->italic, &f->weight);
    f->cff = !has_table(hf, HB_TAG('g', 'l', 'y', 'f'));
    f->sans = face_class(hf, f->family);
    *slot = f;
    *nslot = names;
    if (out) *out = f;
    return MKL_OK;
}

static int has_suffix(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    if (a < b) return 0;
    for (size_t i = 0; i < b; i++) {
        char c = s[a - b + i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != suf[i]) return 0;
    }
    return 1;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every face of every font folder, in name order within a folder (so that the
 * result does not depend on the order of the directory). Files that are not
 * regular (a FIFO, a device, a folder named *.ttf) or not fonts are skipped. */
static mkl_status scan_dirs(mkl_fontdb *db) {
    db->scanned = 1;
    for (size_t d = 0; d < db->ndirs; d++) {
        DIR *dir = opendir(db->dirs[d]);
        if (!dir) continue;
        MKL_VEC(char *) files = {0};
        struct dirent *ent;
        mkl_status st = MKL_OK;
        while ((ent = readdir(dir)) && !st) {
            if (!has_suffix(ent->d_name, ".ttf") && !has_suffix(ent->d_name, ".ttc") && !has_suffix(ent->d_name, ".otf") &&
                !has_suffix(ent->d_name, ".otc"))
                continue;
            char *name = mkl__strdup(ent->d_name);
            char **slot = name ? MKL_PUSH(&files) : NULL;
            if (!slot) {
                mkl__free(name);
                st = MKL_ERR_NOMEM;
            } else {
                *slot = name;
            }
        }
        closedir(dir);
        if (files.n > 1) qsort(files.v, files.n, sizeof *files.v, cmp_names);
        for (size_t i = 0; i < files.n; i++) {
            char path[MKL_PATH_MAX];
            int pn = snprintf(path, sizeof path, "%s/%s", db->dirs[d], files.v[i]);
            /* a path that does not fit is skipped, never shortened into another file's name */
            if (!st && pn > 0 && (size_t)pn < sizeof path) {
                if (has_suffix(path, ".ttc") || has_suffix(path, ".otc")) {
                    hb_blob_t *b = font_blob(path);
                    unsigned nf = b ? hb_face_count(b) : 0;
                    hb_blob_destroy(b);
                    for (unsigned k = 0; k < nf && !st; k++) st = add_face(db, path, k, NULL);
                } else {
                    st = add_face(db, path, 0, NULL);
                }
            }
            mkl__free(files.v[i]);
        }
        mkl__free(files.v);
        if (st) return st;
    }
    return MKL_OK;
}

mkl_status mkl__fontdb_new(const char *const *dirs, size_t ndirs, mkl_fontdb **out, mkl_error *e) {
    *out = NULL;
    mkl_fontdb *db = mkl__calloc(1, sizeof *db);
    if (!db) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    db->dirs = mkl__calloc(ndirs ? ndirs : 1, sizeof *db->dirs);
    if (!db->dirs) { mkl__free(db); return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory"); }
    for (size_t i = 0; i < ndirs; i++) {
        if (!dirs[i]) continue;
        if (!(db->dirs[db->ndirs++] = mkl__strdup(dirs[i]))) {
            mkl__fontdb_free(db);
            return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
        }
    }
    *out = db;
    return MKL_OK;
}

void mkl__fontdb_free(mkl_fontdb *db) {
    if (!db) return;
    for (size_t i = 0; i < db->faces.n; i++) face_free(db->faces.v[i]);
    for (size_t i = 0; i < db->names.n; i++) mkl__free(db->names.v[i]);
    for (size_t i = 0; i < db->ndirs; i++) mkl__free(db->dirs[i]);
    if (db->ft) FT_Done_FreeType(db->ft);
    for (size_t i = 0; i < db->ranks.n; i++)
        if (db->ranks.v[i].set) FcFontSetDestroy(db->ranks.v[i].set);
    mkl__free(db->ranks.v);
    mkl__free(db->hits);
    mkl__free(db->faces.v);
    mkl__free(db->names.v);
    mkl__free(db->dirs);
    mkl__free(db);
}

static int names_match(const char *list, const char *want) {
    for (const char *p = list; *p; p += strlen(p) + 1)
        if (!strcmp(p, want)) return 1;
    return 0;
}

/* Best face of a family among those known: exact style, else the nearest. */
static mkl_face *best_known(mkl_fontdb *db, const char *want, int bold, int italic) {
    mkl_face *best = NULL;
    int best_score = -1;
    for (size_t i = 0; i < db->faces.n; i++) {
        if (!names_match(db->names.v[i], want)) continue;
        mkl_face *f = db->faces.v[i];
        int score = (f->bold == bold ? 2 : 0) + (f->italic == italic ? 4 : 0);
        if (!f->italic && italic && f->bold == bold) score += 1; /* upright of same weight over other weight */
        if (score > best_score) { best = f; best_score = score; }
    }
    return best;
}

/* HarfBuzz reads whatever it can of a damaged file; FreeType checks the
 * tables a renderer needs. A face FreeType refuses is an error, not tofu. */
static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Every table of the face's directory lies inside the file (a truncated or
 * damaged file fails here, where HarfBuzz and FreeType would read on). */
static int sfnt_dir_ok(const unsigned char *d, size_t len, unsigned index) {
    size_t off = 0;
    if (len >= 12 && !memcmp(d, "ttcf", 4)) {
        if (index >= be32(d + 8) || 16 + 4 * (size_t)index > len) return 0;
        off = be32(d + 12 + 4 * (size_t)index);
    }
    if (off > len || len - off < 12) return 0;
    size_t nt = (size_t)d[off + 4] << 8 | d[off + 5];
    if (nt == 0 || (len - off - 12) / 16 < nt) return 0;
    for (size_t t = 0; t < nt; t++) {
        const unsigned char *rec = d + off + 12 + 16 * t;
        uint32_t toff = be32(rec + 8), tlen = be32(rec + 12);
        if (toff > len || tlen > len - toff) return 0;
    }
    return 1;
}

static mkl_status validate_face(mkl_fontdb *db, mkl_face *f, mkl_error *e) {
    unsigned blen;
    const unsigned char *bdata = (const unsigned char *)hb_blob_get_data(f->blob, &blen);
    if (!sfnt_dir_ok(bdata, blen, f->index))
        return mkl__err(e, MKL_ERR_FONT, f->path, 0, 0, "the font file is damaged or truncated (a table lies past its end)");
    if (!db->ft && FT_Init_FreeType(&db->ft)) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "cannot start FreeType");
    unsigned len;
    const char *data = hb_blob_get_data(f->blob, &len);
    FT_Face ff;
    FT_Error fe = FT_New_Memory_Face(db->ft, (const FT_Byte *)data, (FT_Long)len, (FT_Long)f->index, &ff);
    if (fe) return mkl__err(e, MKL_ERR_FONT, f->path, 0, 0, "the font file is damaged (FreeType error %d)", fe);
    int ok = FT_IS_SFNT(ff) && FT_HAS_HORIZONTAL(ff) && ff->num_glyphs > 0 && (ff->face_flags & FT_FACE_FLAG_SCALABLE);
    FT_Bool keyed = 0;
    f->cid_keyed = f->cff && !FT_Get_CID_Is_Internally_CID_Keyed(ff, &keyed) && keyed;
    /* load one outline to see that glyf/loca (or the CFF charstrings) are readable */
    if (ok && FT_Load_Glyph(ff, ff->num_glyphs > 1 ? 1 : 0, FT_LOAD_NO_SCALE | FT_LOAD_NO_HINTING)) ok = 0;
    FT_Done_Face(ff);
    if (!ok) return mkl__err(e, MKL_ERR_FONT, f->path, 0, 0, "the font file is damaged or not a scalable TrueType or OpenType font");
    return MKL_OK;
}

static mkl_status load_face(mkl_fontdb *db, mkl_face *f, mkl_error *e) {
    if (f->loaded) return MKL_OK;
    mkl_status st = validate_face(db, f, e);
    if (st) return st;
    f->font = hb_font_create(f->face);
    if (!f->font || f->font == hb_font_get_empty())
        return mkl__err(e, MKL_ERR_NOMEM, f->path, 0, 0, "out of memory loading the font");
    hb_ot_font_set_funcs(f->font);
    f->upem = hb_face_get_upem(f->face);
    hb_position_t v;
    f->ascender = hb_ot_metrics_get_position(f->font, HB_OT_METRICS_TAG_HORIZONTAL_ASCENDER, &v) ? v : (int)(f->upem * 0.8);
    f->descender = hb_ot_metrics_get_position(f->font, HB_OT_METRICS_TAG_HORIZONTAL_DESCENDER, &v) ? v : -(int)(f->upem * 0.2);
    f->cap_height = hb_ot_metrics_get_position(f->font, HB_OT_METRICS_TAG_CAP_HEIGHT, &v) && v > 0 ? v : (int)(f->upem * 0.7);
    f->x_height = hb_ot_metrics_get_position(f->font, HB_OT_METRICS_TAG_X_HEIGHT, &v) && v > 0 ? v : (int)(f->upem * 0.45);
    hb_blob_t *head = hb_face_reference_table(f->face, HB_TAG('h', 'e', 'a', 'd'));
    unsigned len;
    const char *d = hb_blob_get_data(head, &len);
    if (len >= 54) {
        for (int i = 0; i < 4; i++) f->bbox[i] = (int16_t)be16(d + 36 + 2 * i);
    } else {
        f->bbox[0] = 0; f->bbox[1] = f->descender; f->bbox[2] = (int)f->upem; f->bbox[3] = f->ascender;
    }
    hb_blob_destroy(head);
    hb_blob_t *post = hb_face_reference_table(f->face, HB_TAG('p', 'o', 's', 't'));
    d = hb_blob_get_data(post, &len);
    if (len >= 8) f->italic_angle = (int16_t)be16(d + 4) + be16(d + 6) / 65536.0;
    hb_blob_destroy(post);
    if (!f->psname) {
        char buf[128];
        snprintf(buf, sizeof buf, "Font%d", f->id);
        if (!(f->psname = mkl__strdup(buf))) return mkl__err(e, MKL_ERR_NOMEM, f->path, 0, 0, "out of memory");
    }
    f->loaded = 1;
    return MKL_OK;
}

/* Ask Fontconfig for `family`; add the matching file if it really is that family. */
static mkl_status fc_lookup(mkl_fontdb *db, const char *family, const char *want, int bold, int italic) {
    if (!db->fc_ready) {
        if (mkl__fc_load() || !FcInit()) return MKL_OK;
        db->fc_ready = 1;
    }
    FcPattern *pat = FcPatternCreate();
    if (!pat) return MKL_ERR_NOMEM;
    FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)family);
    FcPatternAddInteger(pat, FC_WEIGHT, bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
    FcPatternAddInteger(pat, FC_SLANT, italic ? FC_SLANT_ITALIC : FC_SLANT_ROMAN);
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult res;
    FcFontSet *set = FcFontSort(NULL, pat, FcFalse, NULL, &res);
    FcPatternDestroy(pat);
    if (!set) return MKL_OK;
    mkl_status st = MKL_OK;
    for (int i = 0; i < set->nfont && !st; i++) {
        FcPattern *m = set->fonts[i];
        int fam_ok = 0;
        FcChar8 *fam;
        for (int k = 0; FcPatternGetString(m, FC_FAMILY, k, &fam) == FcResultMatch; k++) {
            char nb[256];
            norm((const char *)fam, nb, sizeof nb);
            if (!strcmp(nb, want)) fam_ok = 1;
        }
        if (!fam_ok) continue;
        FcChar8 *file;
        int index = 0;
        if (FcPatternGetString(m, FC_FILE, 0, &file) != FcResultMatch) continue;
        FcPatternGetInteger(m, FC_INDEX, 0, &index);
        int known = 0;
        for (size_t k = 0; k < db->faces.n; k++)
            if (!strcmp(db->faces.v[k]->path, (const char *)file) && db->faces.v[k]->index == (unsigned)index) known = 1;
        if (!known) st = add_face(db, (const char *)file, (unsigned)(index & 0xFFFF), NULL);
    }
    FcFontSetDestroy(set);
    return st;
}

/* Is there a file of this family that we could not use (e.g. CFF)? For the message. */
static int fc_has_family(mkl_fontdb *db, const char *want, char *file, size_t filesz) {
    if (!db->fc_ready) return 0;
    FcPattern *pat = FcPatternCreate();
    FcObjectSet *os = FcObjectSetBuild(FC_FAMILY, FC_FILE, (char *)0);
    FcFontSet *set = pat && os ? FcFontList(NULL, pat, os) : NULL;
    int found = 0;
    for (int i = 0; set && i < set->nfont && !found; i++) {
        FcChar8 *fam, *f;
        for (int k = 0; FcPatternGetString(set->fonts[i], FC_FAMILY, k, &fam) == FcResultMatch; k++) {
            char nb[256];
            norm((const char *)fam, nb, sizeof nb);
            if (!strcmp(nb, want) && FcPatternGetString(set->fonts[i], FC_FILE, 0, &f) == FcResultMatch) {
                snprintf(file, filesz, "%s", (const char *)f);
                found = 1;
                break;
            }
        }
    }
    if (set) FcFontSetDestroy(set);
    if (os) FcObjectSetDestroy(os);
    if (pat) FcPatternDestroy(pat);
    return found;
}

static mkl_status ensure_scanned(mkl_fontdb *db, mkl_error *e) {
    mkl_status st;
    if (!db->scanned) {
        /* a scan that fails (out of memory) is undone and tried again next
         * time: a half-read folder would send families to Fontconfig */
        size_t before = db->faces.n;
        if ((st = scan_dirs(db))) {
            while (db->faces.n > before) {
                face_free(db->faces.v[--db->faces.n]);
                if (db->names.n > db->faces.n) mkl__free(db->names.v[--db->names.n]);
            }
            db->scanned = 0;
            return mkl__err(e, st, NULL, 0, 0, "out of memory reading font folders");
        }
        db->nfolder = db->faces.n;
    }
    return MKL_OK;
}

mkl_status mkl__fontdb_find(mkl_fontdb *db, const char *family, int bold, int italic, mkl_face **out, mkl_error *e) {
    *out = NULL;
    char want[256];
    norm(family, want, sizeof want);
    mkl_status st;
    if ((st = ensure_scanned(db, e))) return st;
    mkl_face *f = best_known(db, want, bold, italic);
    if (!f) {
        /* not in the font folders: ask Fontconfig. A family found in the folders is
         * taken from there alone (nearest style), so output does not depend on the
         * machine and Fontconfig is never initialised for the bundled fonts. */
        if ((st = fc_lookup(db, family, want, bold, italic))) return mkl__err(e, st, NULL, 0, 0, "out of memory");
        f = best_known(db, want, bold, italic);
    }
    if (!f) {
        char file[1024];
        if (fc_has_family(db, want, file, sizeof file)) {
            hb_blob_t *b = hb_blob_create_from_file_or_fail(file);
            hb_face_t *hf = b ? hb_face_create(b, 0) : NULL;
            int variable = hf && has_table(hf, HB_TAG('f', 'v', 'a', 'r'));
            hb_face_destroy(hf);
            hb_blob_destroy(b);
            if (variable)
                return mkl__err(e, MKL_ERR_FONT, NULL, 0, 0,
                                "font family '%s' (%s) is a variable font; variable fonts are not instanced: install "
                                "the family's static fonts",
                                family, file);
            return mkl__err(e, MKL_ERR_FONT, NULL, 0, 0,
                            "font family '%s' (%s) has neither TrueType nor OpenType CFF outlines; only those can be "
                            "embedded",
                            family, file);
        }
        char fc[400];
        return mkl__err(e, MKL_ERR_FONT, NULL, 0, 0, "font family '%s' not found (looked in the font folders and %s)",
                        family, mkl__fontconfig_said(fc, sizeof fc));
    }
    if ((st = load_face(db, f, e))) return st;
    *out = f;
    return MKL_OK;
}

const char *mkl__fontdb_loaded_file(const mkl_fontdb *db, dev_t dev, ino_t ino) {
    for (size_t i = 0; db && i < db->faces.n; i++) {
        struct stat sb;
        const mkl_face *f = db->faces.v[i];
        if (f->loaded && f->path && stat(f->path, &sb) == 0 && sb.st_dev == dev && sb.st_ino == ino) return f->path;
    }
    return NULL;
}

/* ---- fallback by coverage ---- */

/* How well a face's style matches: as best_known scores it. */
static int style_score(const mkl_face *f, int bold, int italic) {
    int score = (f->bold == bold ? 2 : 0) + (f->italic == italic ? 4 : 0);
    if (!f->italic && italic && f->bold == bold) score += 1;
    return score;
}

/* A face usable for fallback: loaded (a damaged one is passed over, not an
 * error: it is not one the letter asked for) and covering cp. */
static int usable_for(mkl_fontdb *db, mkl_face *f, uint32_t cp) {
    mkl_error ignore;
    if (!f->loaded && load_face(db, f, &ignore)) return 0;
    return mkl__face_glyph(f, cp) != 0;
}

/* The folder face of the class (or any, sans = -1) that covers cp, in the
 * best style; among equals the first in folder order. */
static mkl_face *folder_pick(mkl_fontdb *db, uint32_t cp, int sans, int bold, int italic, int min_weight) {
    mkl_face *best = NULL;
    int best_score = -1;
    for (size_t i = 0; i < db->nfolder; i++) {
        mkl_face *f = db->faces.v[i];
        if ((sans >= 0 && f->sans != sans) || f->weight < min_weight) continue;
        int score = style_score(f, bold, italic);
        if (score > best_score && usable_for(db, f, cp)) {
            best = f;
            best_score = score;
        }
    }
    return best;
}

/* Fontconfig's fonts for the rank's language, class and style, sorted once. */
static void rank_ask(mkl_fontdb *db, FbRank *r) {
    r->asked = 1;
    if (!db->fc_ready) {
        if (mkl__fc_load() || !FcInit()) return;
        db->fc_ready = 1;
    }
    FcPattern *pat = FcPatternCreate();
    if (!pat) return;
    FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)(r->sans == 1 ? "sans-serif" : "serif"));
    if (r->lang[0]) FcPatternAddString(pat, FC_LANG, (const FcChar8 *)r->lang);
    FcPatternAddInteger(pat, FC_WEIGHT, r->bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
    FcPatternAddInteger(pat, FC_SLANT, r->italic ? FC_SLANT_ITALIC : FC_SLANT_ROMAN);
    FcPatternAddBool(pat, FC_SCALABLE, FcTrue);
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult res;
    r->set = FcFontSort(NULL, pat, FcFalse, NULL, &res);
    FcPatternDestroy(pat);
}

/* The first of the rank's fonts (of the class, when class_only; of at least
 * OS/2 weight min_weight) that covers cp and can be embedded; NULL if none.
 * Errors: out of memory. */
static mkl_status fc_pick(mkl_fontdb *db, FbRank *r, uint32_t cp, int class_only, int min_weight, mkl_face **out) {
    *out = NULL;
    if (!r->asked) rank_ask(db, r);
    for (int i = 0; r->set && i < r->set->nfont; i++) {
        FcPattern *m = r->set->fonts[i];
        FcCharSet *cs;
        FcChar8 *file, *fmt, *fam;
        FcBool variable = FcFalse;
        int index = 0;
        if (FcPatternGetCharSet(m, FC_CHARSET, 0, &cs) != FcResultMatch || !FcCharSetHasChar(cs, cp)) continue;
        if (FcPatternGetString(m, FC_FILE, 0, &file) != FcResultMatch) continue;
        if (FcPatternGetString(m, FC_FONTFORMAT, 0, &fmt) != FcResultMatch ||
            (strcmp((const char *)fmt, "TrueType") && strcmp((const char *)fmt, "CFF")))
            continue;
        if (FcPatternGetBool(m, FC_VARIABLE, 0, &variable) == FcResultMatch && variable) continue;
        if (class_only && r->sans >= 0 &&
            (FcPatternGetString(m, FC_FAMILY, 0, &fam) != FcResultMatch || name_class((const char *)fam) != r->sans))
            continue;
        FcPatternGetInteger(m, FC_INDEX, 0, &index);
        if (index >> 16) continue;   /* a named instance of a variable font */
        mkl_face *f = NULL;
        for (size_t k = 0; k < db->faces.n && !f; k++)
            if (!strcmp(db->faces.v[k]->path, (const char *)file) && db->faces.v[k]->index == (unsigned)index)
                f = db->faces.v[k];
        if (!f) {
            mkl_status st = add_face(db, (const char *)file, (unsigned)index, &f);
            if (st) return st;
        }
        if (f && f->weight >= min_weight && usable_for(db, f, cp)) {
            *out = f;
            return MKL_OK;
        }
    }
    return MKL_OK;
}

static uint64_t hit_key(uint32_t cp, size_t rank) { return ((uint64_t)(rank + 1) << 32) | cp; }

static FbHit *hit_slot(mkl_fontdb *db, uint64_t key) {
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & (db->hcap - 1);
    while (db->hits[h].key && db->hits[h].key != key) h = (h + 1) & (db->hcap - 1);
    return &db->hits[h];
}

static mkl_status hit_put(mkl_fontdb *db, uint64_t key, int32_t face) {
    if ((db->nhits + 1) * 2 > db->hcap) {
        size_t ncap = db->hcap ? db->hcap * 2 : 256, ocap = db->hcap;
        FbHit *old = db->hits, *nh = mkl__calloc(ncap, sizeof *nh);
        if (!nh) return MKL_ERR_NOMEM;
        db->hits = nh;
        db->hcap = ncap;
        for (size_t i = 0; i < ocap; i++)
            if (old[i].key) *hit_slot(db, old[i].key) = old[i];
        mkl__free(old);
    }
    FbHit *s = hit_slot(db, key);
    if (!s->key) db->nhits++;
    s->key = key;
    s->face = face;
    return MKL_OK;
}

/* The index of the fallback ranking for (language, class, bold, italic) in
 * db->ranks, added (not yet asked of Fontconfig) when there is none. */
static mkl_status rank_of(mkl_fontdb *db, const char *lang, int sans, int bold, int italic, size_t *out, mkl_error *e) {
    char lg[16];
    snprintf(lg, sizeof lg, "%s", lang ? lang : "");
    size_t k = 0;
    while (k < db->ranks.n && (strcmp(db->ranks.v[k].lang, lg) || db->ranks.v[k].sans != sans ||
                               db->ranks.v[k].bold != bold || db->ranks.v[k].italic != italic))
        k++;
    if (k == db->ranks.n) {
        FbRank *r = MKL_PUSH(&db->ranks);
        if (!r) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
        memset(r, 0, sizeof *r);
        memcpy(r->lang, lg, sizeof lg);
        r->sans = sans;
        r->bold = bold;
        r->italic = italic;
    }
    *out = k;
    return MKL_OK;
}

mkl_status mkl__fontdb_fallback(mkl_fontdb *db, uint32_t cp, const char *lang, int sans, int bold, int italic,
                                mkl_face **out, mkl_error *e) {
    *out = NULL;
    mkl_status st;
    if ((st = ensure_scanned(db, e))) return st;
    size_t k;
    if ((st = rank_of(db, lang, sans, bold, italic, &k, e))) return st;
    uint64_t key = hit_key(cp, k);
    if (db->hcap) {
        FbHit *h = hit_slot(db, key);
        if (h->key) {
            *out = h->face >= 0 ? db->faces.v[h->face] : NULL;
            return MKL_OK;
        }
    }
    mkl_face *f = sans >= 0 ? folder_pick(db, cp, sans, bold, italic, 0) : NULL;
    if (!f && sans >= 0 && (st = fc_pick(db, &db->ranks.v[k], cp, 1, 0, &f))) return mkl__err(e, st, NULL, 0, 0, "out of memory");
    if (!f) f = folder_pick(db, cp, -1, bold, italic, 0);
    if (!f && (st = fc_pick(db, &db->ranks.v[k], cp, 0, 0, &f))) return mkl__err(e, st, NULL, 0, 0, "out of memory");
    if (hit_put(db, key, f ? f->id : -1)) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    *out = f;
    return MKL_OK;
}

mkl_status mkl__fontdb_weighted(mkl_fontdb *db, uint32_t cp, const char *lang, int sans, int italic, int min_weight,
                                mkl_face **out, mkl_error *e) {
    *out = NULL;
    mkl_status st;
    if ((st = ensure_scanned(db, e))) return st;
    size_t k;
    if ((st = rank_of(db, lang, sans, 1, italic, &k, e))) return st;
    mkl_face *f = folder_pick(db, cp, sans, 1, italic, min_weight);
    if (!f && (st = fc_pick(db, &db->ranks.v[k], cp, 1, min_weight, &f))) return mkl__err(e, st, NULL, 0, 0, "out of memory");
    *out = f;
    return MKL_OK;
}
