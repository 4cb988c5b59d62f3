/* shape.c - font fallback per cluster, HarfBuzz shaping per run, ICU line-break
 * opportunities. See shape.h. */
#include "shape.h"

#include "hyph.h"

#include <stdio.h>
#include <string.h>

#include "icu.h"

struct mkl_shaper {
    hb_buffer_t *buf;
    UBreakIterator *brk;
    mkl_hyph *hyph;
    /* scratch, reused */
    MKL_VEC(uint32_t) cps;      /* code point at each char index */
    MKL_VEC(uint32_t) offs;     /* byte offset of each char */
    MKL_VEC(int16_t) facei;     /* chosen face index per char */
    MKL_VEC(uint8_t) brk_before;/* per byte: 1 = break allowed, 2 = hard break, 3 = hyphen point, 4 = MKL_G_SYL */
    MKL_VEC(uint8_t) prohib;    /* per byte: 1 = a break before it is prohibited */
    MKL_VEC(uint8_t) level;     /* bidi level of each char */
    UBiDi *bidi;                /* opened at the first right-to-left text */
    MKL_VEC(UChar) u16;
    MKL_VEC(uint32_t) u16_byte; /* byte offset for each UTF-16 unit */
};

mkl_status mkl__shaper_new(mkl_shaper **out, mkl_error *e) {
    *out = NULL;
    mkl_shaper *sh = mkl__calloc(1, sizeof *sh);
    if (!sh) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    sh->buf = hb_buffer_create();
    if (!hb_buffer_allocation_successful(sh->buf)) {
        mkl__shaper_free(sh);
        return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    if (mkl__hyph_new(&sh->hyph, e)) {
        mkl__shaper_free(sh);
        return MKL_ERR_NOMEM;
    }
    /* ICU is still loading (icu.h): its line breaker is opened by the
     * first text shaped */
    *out = sh;
    return MKL_OK;
}

/* ICU, and its line breaker, the first time text is shaped. */
static mkl_status shaper_ready(mkl_shaper *sh, mkl_error *e) {
    if (sh->brk) return MKL_OK;
    mkl_status st = mkl__icu_load(e);
    if (st) return st;
    UErrorCode uerr = U_ZERO_ERROR;
    sh->brk = ubrk_open(UBRK_LINE, "en", NULL, 0, &uerr);
    if (U_FAILURE(uerr)) {
        if (sh->brk) ubrk_close(sh->brk);
        sh->brk = NULL;
        return mkl__err(e, uerr == U_MEMORY_ALLOCATION_ERROR ? MKL_ERR_NOMEM : MKL_ERR_PDF, NULL, 0, 0,
                        "ICU line breaker: %s", u_errorName(uerr));
    }
    return MKL_OK;
}

void mkl__shaper_free(mkl_shaper *sh) {
    if (!sh) return;
    hb_buffer_destroy(sh->buf);
    if (sh->brk) ubrk_close(sh->brk);
    mkl__hyph_free(sh->hyph);
    mkl__free(sh->cps.v);
    mkl__free(sh->offs.v);
    mkl__free(sh->facei.v);
    mkl__free(sh->brk_before.v);
    mkl__free(sh->prohib.v);
    mkl__free(sh->level.v);
    if (sh->bidi) ubidi_close(sh->bidi);
    mkl__free(sh->u16.v);
    mkl__free(sh->u16_byte.v);
    mkl__free(sh);
}

void mkl__shaped_free(mkl_shaped *s) {
    mkl__free(s->g);
    memset(s, 0, sizeof *s);
}

mkl_status mkl__fontset_resolve(mkl_fontset *fs, int style, mkl_error *e) {
    style &= 3;
    if (fs->resolved[style]) return MKL_OK;
    int bold = (style & MKL_STYLE_BOLD) != 0;
    const char *const *fam = fs->families;
    size_t n = MKL_MIN(fs->nfamilies, 8);
    int italic = (style & MKL_STYLE_ITALIC) != 0;
    for (size_t i = 0; i < n; i++) {
        mkl_status st = mkl__fontdb_find(fs->db, fam[i], bold, italic, &fs->faces[style][i], e);
        if (st) return st;
    }
    fs->nfaces[style] = fs->nall[style] = n;
    fs->resolved[style] = 1;
    return MKL_OK;
}

/* Vector helpers that make room for `n` elements. */
#define RESERVE(vec, count) reserve((void **)&(vec).v, &(vec).cap, (count), sizeof *(vec).v)

/* Room for `count` elements; on failure the vector is left as it was. */
static int reserve(void **v, size_t *cap, size_t count, size_t elem) {
    if (*cap >= count) return 1;
    void *nv = mkl__realloc(*v, count * elem);
    if (!nv) return 0;
    *v = nv;
    *cap = count;
    return 1;
}

static int is_hangul(uint32_t c) {
    return (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F) ||
           (c >= 0xA960 && c <= 0xA97F) || (c >= 0xD7B0 && c <= 0xD7FF);
}

/* Characters that take the font of the text around them when it covers them. */
static int is_neutral(uint32_t c) {
    if (c == ' ' || c == '\n' || c == '\t' || c == 0xA0) return 1;
    int8_t t = u_charType((UChar32)c);
    switch (t) {
    case U_SPACE_SEPARATOR:
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_NON_SPACING_MARK:
    case U_ENCLOSING_MARK:
    case U_COMBINING_SPACING_MARK:
    case U_FORMAT_CHAR:
        return 1;
    default:
        return 0;
    }
}

/* Format and joining controls: drawn by no font, they go with the text around them. */
static int is_invisible(uint32_t c) {
    return c == 0x200B || c == 0x200C || c == 0x200D || c == 0x2060 || c == 0xFE0F || c == 0xFE0E || c == 0xAD;
}

static int first_cover(const mkl_fontset *fs, int style, uint32_t cp) {
    for (size_t f = 0; f < fs->nfaces[style]; f++)
        if (mkl__face_cover(fs->faces[style][f], cp)) return (int)f;
    return -1;
}

/* Family `i` (> 0) of a role in a bold style, the first time a character is
 * set in it. A bold lighter than the first family's (Nanum Myeongjo Bold is
 * 600 beside Liberation Serif Bold's 700) reads as regular beside it: its
 * script is set in a bold of the family's class (serif, sans) at the first
 * family's weight, where one is installed. Asked only when the text needs it,
 * so a letter without that script never asks Fontconfig. */
static mkl_status match_weight(mkl_fontset *fs, int style, size_t i, mkl_error *e) {
    fs->weighed[style][i] = 1;
    mkl_face *f = fs->faces[style][i], *first = fs->faces[style][0];
    if (!(style & MKL_STYLE_BOLD) || f->weight + 50 >= first->weight || f->sans < 0) return MKL_OK;
    static const struct { uint32_t cp; const char *lang; } scripts[] = {{0xAC00, "ko"}, {0x4E00, "zh"}};
    for (size_t k = 0; k < sizeof scripts / sizeof *scripts; k++) {
        if (!mkl__face_glyph(f, scripts[k].cp) || mkl__face_glyph(first, scripts[k].cp)) continue;
        mkl_face *heavier = NULL;
        mkl_status st = mkl__fontdb_weighted(fs->db, scripts[k].cp, scripts[k].lang, f->sans,
                                             (style & MKL_STYLE_ITALIC) != 0, first->weight - 50, &heavier, e);
        if (st) return st;
        if (heavier) fs->faces[style][i] = heavier;
        break;
    }
    return MKL_OK;
}

/* The face for `cp` in style `style`: the first of the role's own that
 * covers it, else a fallback (found by the database, appended to the set).
 * *idx = -1 when no installed font covers it. */
static mkl_status cover(mkl_fontset *fs, int style, uint32_t cp, const char *lang, int *idx, mkl_error *e) {
    mkl_status st;
    if ((*idx = first_cover(fs, style, cp)) > 0 && !fs->weighed[style][*idx]) {
        if ((st = match_weight(fs, style, (size_t)*idx, e))) return st;
        *idx = first_cover(fs, style, cp);
    }
    if (*idx >= 0) return MKL_OK;
    /* the database's answer for cp, even when a fallback face already in the
     * set covers it: the choice never depends on which character came first */
    int cls = fs->nfaces[style] ? fs->faces[style][0]->sans : -1;
    mkl_face *fb = NULL;
    st = mkl__fontdb_fallback(fs->db, cp, lang, cls, (style & MKL_STYLE_BOLD) != 0,
                                         (style & MKL_STYLE_ITALIC) != 0, &fb, e);
    if (st || !fb) return st;
    for (size_t f = fs->nfaces[style]; f < fs->nall[style]; f++)
        if (fs->faces[style][f] == fb) {
            *idx = (int)f;
            return MKL_OK;
        }
    if (fs->nall[style] >= MKL_FONTSET_MAX)
        return mkl__err(e, MKL_ERR_LIMIT, NULL, 0, 0, "the text needs more than %d fallback fonts in one style",
                        MKL_FONTSET_MAX - 8);
    fs->faces[style][fs->nall[style]] = fb;
    *idx = (int)fs->nall[style]++;
    return MKL_OK;
}

/* The scripts Debian 12's fonts-noto-core has a font for (its Noto Sans and
 * Noto Serif families, named as ICU names scripts without the underscores). */
static const char *const NOTO_CORE_SCRIPTS[] = {
    "Adlam", "Ahom", "AnatolianHieroglyphs", "Arabic", "Armenian", "Avestan", "Balinese", "Bamum", "BassaVah",
    "Batak", "Bengali", "Bhaiksuki", "Brahmi", "Buginese", "Buhid", "CanadianAboriginal", "Carian",
    "CaucasianAlbanian", "Chakma", "Cham", "Cherokee", "Coptic", "Cuneiform", "Cypriot", "Deseret", "Devanagari",
    "Dogra", "Duployan", "EgyptianHieroglyphs", "Elbasan", "Elymaic", "Ethiopic", "Georgian", "Glagolitic",
    "Gothic", "Grantha", "Gujarati", "GunjalaGondi", "Gurmukhi", "HanifiRohingya", "Hanunoo", "Hatran", "Hebrew",
    "ImperialAramaic", "InscriptionalPahlavi", "InscriptionalParthian", "Javanese", "Kaithi", "Kannada", "KayahLi",
    "Kharoshthi", "Khmer", "Khojki", "Khudawadi", "Lao", "Lepcha", "Limbu", "LinearA", "LinearB", "Lisu", "Lycian",
    "Lydian", "Mahajani", "Malayalam", "Mandaic", "Manichaean", "Marchen", "MasaramGondi", "Medefaidrin",
    "MeeteiMayek", "MendeKikakui", "Meroitic", "Miao", "Modi", "Mongolian", "Mro", "Multani", "Myanmar", "NKo",
    "Nabataean", "NewTaiLue", "Newa", "Nushu", "NyiakengPuachueHmong", "Ogham", "OlChiki", "OldHungarian",
    "OldItalic", "OldNorthArabian", "OldPermic", "OldPersian", "OldSogdian", "OldSouthArabian", "OldTurkic",
    "Oriya", "Osage", "Osmanya", "PahawhHmong", "Palmyrene", "PauCinHau", "PhagsPa", "Phoenician", "PsalterPahlavi",
    "Rejang", "Runic", "Samaritan", "Saurashtra", "Sharada", "Shavian", "Siddham", "SignWriting", "Sinhala",
    "Sogdian", "SoraSompeng", "Soyombo", "Sundanese", "SylotiNagri", "Syriac", "Tagalog", "Tagbanwa", "TaiLe",
    "TaiTham", "TaiViet", "Takri", "Tamil", "Tangut", "Telugu", "Thaana", "Thai", "Tibetan", "Tifinagh", "Tirhuta",
    "Ugaritic", "Vai", "Wancho", "WarangCiti", "Yezidi", "Yi", "ZanabazarSquare", "Latin", "Greek", "Cyrillic",
};

/* ICU's name of a script and a Noto family's script part are the same
 * letters, ICU's with underscores ("Egyptian_Hieroglyphs", "Nko"). */
static int same_script_name(const char *icu, const char *noto) {
    for (;; icu++, noto++) {
        while (*icu == '_') icu++;
        if (!*icu || !*noto) return !*icu && !*noto;
        if ((*icu | 0x20) != (*noto | 0x20)) return 0;
    }
}

/* What to install for a script: the Debian package of Noto fonts that has
 * it, or NULL when none of Debian 12's has (fonts-noto-extra has more
 * weights of the same scripts, no other script). */
static const char *package_for(uint32_t c, const char **script) {
    UErrorCode uerr = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript((UChar32)c, &uerr);
    *script = U_FAILURE(uerr) ? "Unknown" : uscript_getName(sc);
    switch (sc) {
    case USCRIPT_HAN:
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_HANGUL:
    case USCRIPT_BOPOMOFO:
        return "fonts-noto-cjk";
    case USCRIPT_COMMON:
    case USCRIPT_INHERITED:
    case USCRIPT_UNKNOWN:
        return u_charType((UChar32)c) == U_OTHER_SYMBOL ? "fonts-symbola" : "fonts-noto-core";
    default:
        for (size_t i = 0; i < sizeof NOTO_CORE_SCRIPTS / sizeof *NOTO_CORE_SCRIPTS; i++)
            if (same_script_name(*script, NOTO_CORE_SCRIPTS[i])) return "fonts-noto-core";
        return NULL;
    }
}

static mkl_status uncovered(const mkl_fontset *fs, int style, const mkl_shape_opts *o, uint32_t c, mkl_error *e) {
    char tried[512] = "";
    size_t at = 0;
    for (size_t f = 0; f < fs->nfaces[style] && at < sizeof tried; f++) {
        int n = snprintf(tried + at, sizeof tried - at, "%s%s", f ? ", " : "", fs->faces[style][f]->family);
        if (n > 0) at += (size_t)n;
    }
    char utf8[5] = {0};
    mkl__utf8_put(utf8, c);
    /* find the character in the letter, from the text's first line on */
    int line = o->line, col = 0;
    if (o->src && line > 0) {
        int l = 1;
        size_t i = 0;
        while (i < o->srclen && l < line)
            if (o->src[i++] == '\n') l++;
        for (int ccol = 1; i < o->srclen;) {
            if (o->src[i] == '\n') { l++; ccol = 1; i++; continue; }
            if (mkl__utf8_next(o->src, o->srclen, &i) == c) { line = l; col = ccol; break; }
            ccol++;
        }
    }
    const char *script;
    const char *pkg = package_for(c, &script);
    char fc[400];
    return mkl__err(e, MKL_ERR_FONT, o->file, line, col,
                    "no installed font covers the character U+%04X '%s' (fonts tried: %s, then the font folders and "
                    "%s): install a font with the %s script%s%s",
                    (unsigned)c, utf8, tried, mkl__fontconfig_said(fc, sizeof fc), script,
                    pkg ? ", e.g. the Debian package " : " (no Debian 12 font package has one)", pkg ? pkg : "");
}

/* KLREQ (W3C Requirements for Hangul Text Layout) and UAX #14: characters
 * that never begin a line (closing brackets and quotes, hyphens and dashes,
 * dividing punctuation, middle dots, full stops, commas, ...) and characters
 * that never end one (opening brackets and quotes). */
static int no_line_start(uint32_t c) {
    if (c < 0x80) {   /* (most characters: a scan of the set for each was a quarter of shaping's own time) */
        switch (c) {
        case ')': case ']': case '}': case '-': case '?': case '!': case ':': case ';': case '.': case ',': case '%':
            return 1;
        default:
            return 0;
        }
    }
    static const uint32_t set[] = {')', ']', '}', 0x3015, 0x3009, 0x300B, 0x300D, 0x300F, 0x3011, 0x3017, 0x3019,
                                   0x2019, 0x201D, 0xFF09, 0xFF5D, 0xFF3D, 0x2010, '-', 0x2014, 0x2013, 0x301C,
                                   '?', '!', 0xFF1F, 0xFF01, 0x00B7, 0x30FB, ':', ';', 0xFF1A, 0xFF1B, '.', 0x3002,
                                   0xFF0E, ',', 0x3001, 0xFF0C, 0x3003, 0x30FC, '%', 0x2030, 0x2103, 0x00B0, 0x2032,
                                   0x2033, 0x2026, 0x2025};
    for (size_t i = 0; i < sizeof set / sizeof *set; i++)
        if (set[i] == c) return 1;
    return 0;
}

static int no_line_end(uint32_t c) {
    if (c < 0x80) return c == '(' || c == '[' || c == '{';
    static const uint32_t set[] = {'(', '[', '{', 0x3014, 0x3008, 0x300A, 0x300C, 0x300E, 0x3010, 0x3016, 0x3018,
                                   0x2018, 0x201C, 0xFF08, 0xFF5B, 0xFF3B};
    for (size_t i = 0; i < sizeof set / sizeof *set; i++)
        if (set[i] == c) return 1;
    return 0;
}

static int is_digit(uint32_t c) { return c >= '0' && c <= '9'; }

static mkl_status compute_breaks(mkl_shaper *sh, size_t len, int keep_all, mkl_error *e) {
    size_t nch = sh->cps.n;
    if (!RESERVE(sh->u16, 2 * nch + 1) || !RESERVE(sh->u16_byte, 2 * nch + 2) || !RESERVE(sh->brk_before, len + 1))
        return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    size_t u = 0;
    for (size_t i = 0; i < nch; i++) {
        uint32_t c = sh->cps.v[i];
        if (c >= 0x10000) {
            sh->u16.v[u] = (UChar)(0xD800 + ((c - 0x10000) >> 10));
            sh->u16_byte.v[u++] = sh->offs.v[i];
            sh->u16.v[u] = (UChar)(0xDC00 + ((c - 0x10000) & 0x3FF));
            sh->u16_byte.v[u++] = sh->offs.v[i];
        } else {
            sh->u16.v[u] = (UChar)c;
            sh->u16_byte.v[u++] = sh->offs.v[i];
        }
    }
    sh->u16_byte.v[u] = (uint32_t)len;
    memset(sh->brk_before.v, 0, len + 1);
    UErrorCode uerr = U_ZERO_ERROR;
    ubrk_setText(sh->brk, sh->u16.v, (int32_t)u, &uerr);
    if (U_FAILURE(uerr)) return mkl__err(e, MKL_ERR_PDF, NULL, 0, 0, "ICU line breaker: %s", u_errorName(uerr));
    for (int32_t p = ubrk_first(sh->brk); p != UBRK_DONE; p = ubrk_next(sh->brk)) {
        if (p <= 0 || (size_t)p >= u) continue;
        int hard = ubrk_getRuleStatus(sh->brk) >= UBRK_LINE_HARD && ubrk_getRuleStatus(sh->brk) < UBRK_LINE_HARD_LIMIT;
        sh->brk_before.v[sh->u16_byte.v[p]] = hard ? 2 : 1;
    }
    if (!RESERVE(sh->prohib, len + 1)) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    memset(sh->prohib.v, 0, len + 1);
    for (size_t i = 1; i < nch; i++) {
        uint32_t a = sh->cps.v[i - 1], b = sh->cps.v[i];
        uint8_t *brk = &sh->brk_before.v[sh->offs.v[i]];
        /* line-start and line-end prohibitions, and digit runs ("2014", "100%") stay whole */
        if (no_line_start(b) || no_line_end(a) || (is_digit(a) && is_digit(b)) || (a == 0x2014 && b == 0x2014) ||
            (a == 0x2026 && b == 0x2026)) {
            sh->prohib.v[sh->offs.v[i]] = 1;
            if (*brk == 1) *brk = 0;
        }
        /* CSS word-break: keep-all: no soft break inside a Korean word (eojeol).
         * In either mode a number or a Latin word stays with the Hangul attached
         * to it ("2013년", "HRC는"): only Hangul-Hangul breaks are optional. */
        if (*brk == 1 && ((is_hangul(b) && !is_hangul(a) && u_isalnum((UChar32)a)) ||
                          (is_hangul(a) && !is_hangul(b) && u_isalnum((UChar32)b))))
            *brk = 0;
        /* keep-all: none between two syllables; auto: one the breaker takes only
         * to save a line from going loose (KLREQ C.1, research/korean.md) */
        if (*brk == 1 && is_hangul(b) && is_hangul(a) && keep_all != MKL_KEEP_NONE)
            *brk = keep_all == MKL_KEEP_AUTO ? 4 : 0;
    }
    return MKL_OK;
}

/* The bidi level of every character (after compute_breaks, which made the
 * UTF-16 text): ICU's UAX #9 in a left-to-right paragraph. Text with no right-to-left
 * character (or embedding) is all level 0 without asking ICU. */
static mkl_status bidi_levels(mkl_shaper *sh, mkl_error *e) {
    size_t nch = sh->cps.n, nu = 0;
    if (!RESERVE(sh->level, nch + 1)) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    memset(sh->level.v, 0, nch + 1);
    int rtl = 0;
    for (size_t i = 0; i < nch; i++) {
        UCharDirection d = u_charDirection((UChar32)sh->cps.v[i]);
        rtl |= d == U_RIGHT_TO_LEFT || d == U_RIGHT_TO_LEFT_ARABIC || d == U_RIGHT_TO_LEFT_EMBEDDING ||
               d == U_RIGHT_TO_LEFT_OVERRIDE || d == U_RIGHT_TO_LEFT_ISOLATE;
        nu += sh->cps.v[i] >= 0x10000 ? 2 : 1;
    }
    if (!rtl) return MKL_OK;
    if (!sh->bidi && !(sh->bidi = ubidi_open())) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    UErrorCode uerr = U_ZERO_ERROR;
    /* the letter's languages run left to right: so does every paragraph (a
     * signatory "דוד בן־גוריון, Israel" keeps the list's order) */
    ubidi_setPara(sh->bidi, sh->u16.v, (int32_t)nu, UBIDI_LTR, NULL, &uerr);
    const UBiDiLevel *lv = U_SUCCESS(uerr) ? ubidi_getLevels(sh->bidi, &uerr) : NULL;
    if (U_FAILURE(uerr) || !lv)
        return mkl__err(e, uerr == U_MEMORY_ALLOCATION_ERROR ? MKL_ERR_NOMEM : MKL_ERR_PDF, NULL, 0, 0,
                        "ICU bidi: %s", u_errorName(uerr));
    for (size_t i = 0, u = 0; i < nch; i++) {
        sh->level.v[i] = lv[u];
        u += sh->cps.v[i] >= 0x10000 ? 2 : 1;
    }
    return MKL_OK;
}

/* Style and link at `byte`; *cursor moves forward through the runs (bytes are asked in order). */
static int style_at(const mkl_rich *r, size_t byte, size_t *cursor, int32_t *link);

/* The language of the character at `byte` (its run's `cur` found by style_at): "en", "ko", else the text's. */
static const char *lang_at(const mkl_rich *r, size_t cur, size_t byte, const char *lang) {
    int rl = cur < r->nruns && byte >= r->runs[cur].start ? r->runs[cur].lang : 0;
    return rl == MKL_LANG_EN ? "en" : rl == MKL_LANG_KO ? "ko" : lang;
}

/* Hyphenation points (brk_before = 3) in the words of text whose language has
 * patterns. Not hyphenated: capitalised words (names), words in tokens with
 * digits, '@', '/', ':' or '.' inside (numbers, e-mail addresses, URLs), and
 * the last word of the paragraph. */
static int mark_hyphens(mkl_shaper *sh, const mkl_rich *r, const char *text, size_t len, const char *lang) {
    size_t nch = sh->cps.n, cur = 0;
    size_t last_word = nch;
    for (size_t i = nch; i-- > 0;)
        if (u_isalpha((UChar32)sh->cps.v[i])) { last_word = i; break; }
    for (size_t i = 0; i < nch;) {
        /* a token: up to the next space */
        if (u_isspace((UChar32)sh->cps.v[i])) { i++; continue; }
        size_t t0 = i;
        int skip = 0;
        while (i < nch && !u_isspace((UChar32)sh->cps.v[i])) {
            uint32_t c = sh->cps.v[i];
            if (u_isdigit((UChar32)c) || c == '@' || c == '/' || c == ':' || c == '_' ||
                (c == '.' && i + 1 < nch && u_isalpha((UChar32)sh->cps.v[i + 1])))
                skip = 1;
            i++;
        }
        if (skip || last_word < t0) continue;
        /* the letter runs of the token */
        for (size_t k = t0; k < i;) {
            if (!u_isalpha((UChar32)sh->cps.v[k]) || is_hangul(sh->cps.v[k])) { k++; continue; }
            size_t w0 = k;
            while (k < i && u_isalpha((UChar32)sh->cps.v[k]) && !is_hangul(sh->cps.v[k])) k++;
            if (u_isupper((UChar32)sh->cps.v[w0]) || (k > last_word && w0 <= last_word)) continue;
            /* the language of the word: its run's, else the paragraph's */
            int32_t link;
            style_at(r, sh->offs.v[w0], &cur, &link);
            int rl = cur < r->nruns && sh->offs.v[w0] >= r->runs[cur].start ? r->runs[cur].lang : 0;
            const char *wl = rl == MKL_LANG_EN ? "en" : rl == MKL_LANG_KO ? "ko" : lang;
            size_t b0 = sh->offs.v[w0], b1 = sh->offs.v[k];
            uint8_t after[64];
            if (b1 - b0 > sizeof after) continue;
            memset(after, 0, sizeof after);
            int found = mkl__hyph_word(sh->hyph, wl ? wl : "en", text + b0, b1 - b0, after);
            if (found < 0) return -1;
            if (!found) continue;
            for (size_t q = 0; q + 1 < b1 - b0; q++)
                if (after[q] && !sh->brk_before.v[b0 + q + 1] && !sh->prohib.v[b0 + q + 1]) sh->brk_before.v[b0 + q + 1] = 3;
        }
    }
    (void)len;
    return 0;
}

static int style_at(const mkl_rich *r, size_t byte, size_t *cursor, int32_t *link) {
    while (*cursor < r->nruns && r->runs[*cursor].end <= byte) (*cursor)++;
    if (*cursor < r->nruns && byte >= r->runs[*cursor].start) {
        *link = r->runs[*cursor].link;
        return r->runs[*cursor].style;
    }
    *link = -1;
    return 0;
}

mkl_status mkl__shape(mkl_shaper *sh, mkl_fontset *fs, const mkl_rich *r, const mkl_shape_opts *o, mkl_shaped *out,
                      mkl_error *e) {
    mkl_status ready = shaper_ready(sh, e);
    if (ready) return ready;
    const char *text = r->text;
    size_t len = r->len;
    out->text = text;
    out->len = len;
    out->n = 0;
    mkl_status st;
    sh->cps.n = sh->offs.n = sh->facei.n = 0;
    if (!RESERVE(sh->cps, len + 1) || !RESERVE(sh->offs, len + 1) || !RESERVE(sh->facei, len + 1))
        return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < len;) {
        sh->offs.v[sh->cps.n] = (uint32_t)i;
        sh->cps.v[sh->cps.n++] = mkl__utf8_next(text, len, &i);
    }
    size_t nch = sh->cps.n;
    sh->offs.v[nch] = (uint32_t)len;

    /* 1. choose a face for every character. Letters take the first font of the
     * list that covers them; neutral characters (spaces, punctuation, marks)
     * follow the text around them so that a phrase never flips fonts:
     * opening punctuation the letter after it, the others the one before. */
    size_t cur = 0;
    int32_t link;
    for (size_t i = 0; i < nch; i++) {
        int style = (style_at(r, sh->offs.v[i], &cur, &link) | o->style) & 3;
        if ((st = mkl__fontset_resolve(fs, style, e))) return st;
        sh->facei.v[i] = -1;
        if (!is_neutral(sh->cps.v[i])) {
            int fi;
            if ((st = cover(fs, style, sh->cps.v[i], lang_at(r, cur, sh->offs.v[i], o->lang), &fi, e))) return st;
            if (fi < 0) return uncovered(fs, style, o, sh->cps.v[i], e);
            sh->facei.v[i] = (int16_t)fi;
        }
    }
    cur = 0;
    int next_face = -1;   /* face of the next non-neutral character */
    size_t next_at = 0;
    for (size_t i = 0; i < nch; i++) {
        int style = (style_at(r, sh->offs.v[i], &cur, &link) | o->style) & 3;
        uint32_t c = sh->cps.v[i];
        if (sh->facei.v[i] >= 0) continue;
        if (next_at <= i) {
            next_at = i + 1;
            while (next_at < nch && sh->facei.v[next_at] < 0) next_at++;
            next_face = next_at < nch ? sh->facei.v[next_at] : -1;
        }
        int prev_face = i > 0 ? sh->facei.v[i - 1] : -1;
        int8_t t = u_charType((UChar32)c);
        int opening = t == U_START_PUNCTUATION || t == U_INITIAL_PUNCTUATION;
        int want[2] = {opening ? next_face : prev_face, opening ? prev_face : next_face};
        uint32_t probe = (c == '\n' || c == '\t') ? ' ' : c;
        int chosen = -1;
        for (int k = 0; k < 2 && chosen < 0; k++)
            if (want[k] >= 0 && (size_t)want[k] < fs->nall[style] &&
                (mkl__face_cover(fs->faces[style][want[k]], probe) || is_invisible(c)))
                chosen = want[k];
        if (chosen < 0 && is_invisible(c)) chosen = 0;
        if (chosen < 0 && (st = cover(fs, style, probe, lang_at(r, cur, sh->offs.v[i], o->lang), &chosen, e))) return st;
        if (chosen < 0) return uncovered(fs, style, o, c, e);
        sh->facei.v[i] = (int16_t)chosen;
    }

    if ((st = compute_breaks(sh, len, o->keep_all, e)) || (st = bidi_levels(sh, e))) return st;
    if (o->hyphenate && mark_hyphens(sh, r, text, len, o->lang) < 0)
        return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");

    /* 2. shape runs of one face and style */
    hb_language_t langs[3] = {hb_language_from_string(o->lang ? o->lang : "en", -1), hb_language_from_string("en", -1),
                              hb_language_from_string("ko", -1)};
    static const hb_feature_t feats[] = {{HB_TAG('k', 'e', 'r', 'n'), 1, 0, (unsigned)-1}};
    size_t i = 0;
    cur = 0;
    while (i < nch) {
        int style = style_at(r, sh->offs.v[i], &cur, &link) | o->style;
        int fi = sh->facei.v[i];
        int rl = cur < r->nruns && sh->offs.v[i] >= r->runs[cur].start ? r->runs[cur].lang : 0;
        size_t j = i + 1, cur2 = cur;
        while (j < nch) {
            int32_t l2;
            int s2 = style_at(r, sh->offs.v[j], &cur2, &l2) | o->style;
            int rl2 = cur2 < r->nruns && sh->offs.v[j] >= r->runs[cur2].start ? r->runs[cur2].lang : 0;
            if (sh->facei.v[j] != fi || s2 != style || l2 != link || rl2 != rl || sh->level.v[j] != sh->level.v[i])
                break;
            j++;
        }
        mkl_face *face = fs->faces[style & 3][fi];
        hb_buffer_clear_contents(sh->buf);
        hb_buffer_add_utf8(sh->buf, text, (int)len, sh->offs.v[i], (int)(sh->offs.v[j] - sh->offs.v[i]));
        uint8_t level = sh->level.v[i];
        hb_buffer_set_direction(sh->buf, (level & 1) ? HB_DIRECTION_RTL : HB_DIRECTION_LTR);
        hb_buffer_set_language(sh->buf, langs[rl <= 2 ? rl : 0]);
        hb_buffer_guess_segment_properties(sh->buf);
        hb_buffer_set_cluster_level(sh->buf, HB_BUFFER_CLUSTER_LEVEL_MONOTONE_CHARACTERS);
        hb_shape(face->font, sh->buf, feats, 1);
        if (!hb_buffer_allocation_successful(sh->buf)) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
        /* right to left: HarfBuzz gives the glyphs in visual order; the
         * paragraph keeps them in logical order (clusters reversed, each
         * cluster's glyphs as drawn) until a line is set (mkl__visual_order) */
        if (level & 1) hb_buffer_reverse_clusters(sh->buf);
        unsigned ng;
        hb_glyph_info_t *gi = hb_buffer_get_glyph_infos(sh->buf, &ng);
        hb_glyph_position_t *gp = hb_buffer_get_glyph_positions(sh->buf, &ng);
        if (out->n + ng > out->cap) {
            /* from what this run needs: a signatory of a petition is a
             * paragraph of a dozen glyphs, and 100,000 of them are kept
             * shaped until they are placed (256 glyphs were 14 KB each) */
            size_t cap = out->cap ? out->cap : 16;
            while (cap < out->n + ng) cap *= 2;
            mkl_glyph *ngl = mkl__realloc(out->g, cap * sizeof *ngl);
            if (!ngl) return mkl__err(e, MKL_ERR_NOMEM, NULL, 0, 0, "out of memory");
            out->g = ngl;
            out->cap = cap;
        }
        double scale = o->size / face->upem;
        size_t runend = sh->offs.v[j];
        for (unsigned k = 0; k < ng;) {
            /* one cluster: glyphs [k, k2), text [cs, ce) */
            uint32_t cs = gi[k].cluster;
            unsigned k2 = k;
            while (k2 < ng && gi[k2].cluster == cs) k2++;
            uint32_t ce = k2 < ng ? gi[k2].cluster : (uint32_t)runend;
            size_t nchars = 0;
            for (size_t b = cs; b < ce; b++) nchars += ((unsigned char)text[b] & 0xC0) != 0x80;
            size_t tpos = cs;
            for (unsigned g = k; g < k2; g++) {
                mkl_glyph *G = &out->g[out->n++];
                memset(G, 0, sizeof *G);
                G->face = face;
                G->gid = gi[g].codepoint;
                G->cluster = cs;
                G->adv = (float)(gp[g].x_advance * scale);
                G->endw = G->adv;
                if (!(level & 1) && gp[g].x_advance > 0) {
                    /* kerning with the next glyph (the space a line end drops, or the letter after a hyphen) */
                    double nominal = mkl__face_advance(face, gi[g].codepoint) * scale;
                    if (nominal > G->adv && nominal < 1.5 * G->adv) G->endw = (float)nominal;
                }
                G->xoff = (float)(gp[g].x_offset * scale);
                G->yoff = (float)(gp[g].y_offset * scale);
                G->size = (float)o->size;
                G->style = (uint8_t)style;
                G->level = level;
                G->lang = (uint8_t)rl;
                G->link = link;
                if (nchars == (size_t)(k2 - k)) {
                    size_t nb = tpos;
                    mkl__utf8_next(text, len, &nb);
                    G->toff = (uint32_t)tpos;
                    G->tlen = (uint32_t)(nb - tpos);
                    tpos = nb;
                } else if (g == k) {
                    G->toff = cs;
                    G->tlen = ce - cs;
                }
                if (g == k) {
                    G->flags |= MKL_G_CSTART;
                    if (sh->prohib.v[cs]) G->flags |= MKL_G_NOBREAK;
                    size_t cpos = cs;
                    if (is_hangul(mkl__utf8_next(text, len, &cpos))) G->flags |= MKL_G_HANGUL;
                    uint8_t b = sh->brk_before.v[cs];
                    if (b && b != 4) G->flags |= MKL_G_BREAK;
                    if (b == 4) G->flags |= MKL_G_SYL;
                    if (b == 2) G->flags |= MKL_G_HARD;
                    if (b == 3) {
                        /* the hyphen is set in the font of the letter before the break */
                        G->flags |= MKL_G_HYPH;
                        hb_position_t hadv = mkl__face_advance(face, mkl__face_cover(face, '-'));
                        G->hyw = (float)(hadv * scale);
                    }
                    char c0 = text[cs];
                    if (c0 == ' ' || c0 == '\t' || (ce - cs == 2 && !memcmp(text + cs, "\xC2\xA0", 2))) G->flags |= MKL_G_SPACE;
                    if (c0 == '\n') {
                        G->flags |= MKL_G_SPACE;
                        G->adv = 0;
                        G->tlen = 0;
                    }
                }
            }
            k = k2;
        }
        i = j;
    }
    /* gaps between two Hangul syllables: the only place, besides spaces, where
     * justification may add space (KLREQ: never around punctuation) */
    int prev_hangul = 0;
    for (size_t k = 0; k < out->n; k++) {
        mkl_glyph *G = &out->g[k];
        if (!(G->flags & MKL_G_CSTART)) continue;
        int h = (G->flags & MKL_G_HANGUL) != 0;
        if (h && prev_hangul) G->flags |= MKL_G_HGAP;
        prev_hangul = h;
    }
    return MKL_OK;
}

mkl_status mkl__shape_plain(mkl_shaper *sh, mkl_fontset *fs, const char *text, const mkl_shape_opts *o,
                            mkl_shaped *out, mkl_error *e) {
    mkl_srun run = {0, (uint32_t)strlen(text), 0, -1, 0};
    mkl_rich r = {text, strlen(text), &run, 1};
    return mkl__shape(sh, fs, &r, o, out, e);
}

double mkl__shaped_width(const mkl_shaped *s, size_t a, size_t b) {
    double w = 0;
    for (size_t i = a; i < b; i++) w += s->g[i].adv;
    return w;
}

int mkl__visual_order(const mkl_shaped *s, size_t a, size_t b, size_t *order) {
    uint8_t maxl = 0, minodd = 255;
    for (size_t i = a; i < b; i++) {
        uint8_t l = s->g[i].level;
        if (l > maxl) maxl = l;
        if ((l & 1) && l < minodd) minodd = l;
    }
    if (minodd == 255) return 0;
    /* clusters: order[] holds the index of each cluster's first glyph */
    size_t nc = 0;
    for (size_t i = a; i < b; i++)
        if (i == a || s->g[i].cluster != s->g[i - 1].cluster) order[nc++] = i;
    for (int lev = maxl; lev >= minodd; lev--)
        for (size_t x = 0; x < nc;) {
            if (s->g[order[x]].level < lev) { x++; continue; }
            size_t y = x;
            while (y < nc && s->g[order[y]].level >= lev) y++;
            for (size_t p = x, q = y - 1; p < q; p++, q--) { size_t t = order[p]; order[p] = order[q]; order[q] = t; }
            x = y;
        }
    /* expand the clusters into glyphs, back to front so nothing is overwritten */
    size_t *starts = mkl__malloc((nc ? nc : 1) * sizeof *starts);
    if (!starts) return -1;
    memcpy(starts, order, nc * sizeof *starts);
    size_t o = 0;
    for (size_t x = 0; x < nc; x++) {
        size_t g = starts[x];
        do order[o++] = g++;
        while (g < b && s->g[g].cluster == s->g[g - 1].cluster);
    }
    mkl__free(starts);
    return 1;
}
