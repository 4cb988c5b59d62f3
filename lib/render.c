/* render.c - the public interface (mkletter.h): renderer and letter handles,
 * the pipeline parse -> layout -> PDF, and atomic file output. */
#define _GNU_SOURCE 1 /* dladdr */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "font.h"
#include "glyphbase.h"
#include "icu.h"
#include "image.h"
#include "layout.h"
#include "letter.h"
#include "pack.h"
#include "renderer.h"
#include "mkletter.h"
#include "parse.h"
#include "pdf.h"
#include "shape.h"
#include "style.h"
#include "util.h"

#ifndef MKL_FONT_DIR_INSTALLED
#define MKL_FONT_DIR_INSTALLED ""
#endif
#ifndef MKL_FONT_DIR_SOURCE
#define MKL_FONT_DIR_SOURCE ""
#endif
#ifndef MKL_FONTS_FROM_LIB
#define MKL_FONTS_FROM_LIB "../share/mkletter/fonts"
#endif
#ifndef MKL_FONTS_FROM_BIN
#define MKL_FONTS_FROM_BIN "../share/mkletter/fonts"
#endif



const char *mkl_version(void) { return MKLETTER_VERSION_STRING; }

const char *mkl_status_str(mkl_status s) {
    switch (s) {
    case MKL_OK: return "success";
    case MKL_ERR_NOMEM: return "out of memory";
    case MKL_ERR_INPUT: return "invalid letter";
    case MKL_ERR_FONT: return "font error";
    case MKL_ERR_IMAGE: return "image error";
    case MKL_ERR_READ: return "cannot read input";
    case MKL_ERR_WRITE: return "cannot write output";
    case MKL_ERR_ARGUMENT: return "invalid argument";
    case MKL_ERR_PDF: return "PDF back end error";
    case MKL_ERR_LIMIT: return "input exceeds a limit";
    }
    return "unknown status";
}

int mkl_error_format(const mkl_error *err, char *buf, size_t size) {
    if (!err) return snprintf(buf, size, "%s", "");
    const char *msg = err->message[0] ? err->message : mkl_status_str(err->code);
    /* file and message are bounded by the struct; both may hold what the
     * input held (a file name with ESC in it): shown escaped, never raw */
    char raw[sizeof err->file + sizeof err->message + 32];
    int n;
    int fl = (int)strnlen(err->file, sizeof err->file), ml = (int)strnlen(msg, sizeof err->message);
    if (err->file[0] && err->line > 0 && err->column > 0)
        n = snprintf(raw, sizeof raw, "%.*s:%d:%d: %.*s", fl, err->file, err->line, err->column, ml, msg);
    else if (err->file[0] && err->line > 0) n = snprintf(raw, sizeof raw, "%.*s:%d: %.*s", fl, err->file, err->line, ml, msg);
    else if (err->file[0]) n = snprintf(raw, sizeof raw, "%.*s: %.*s", fl, err->file, ml, msg);
    else n = snprintf(raw, sizeof raw, "%.*s", ml, msg);
    if (n < 0) return snprintf(buf, size, "%s", "");
    return (int)mkl__escape(raw, MKL_MIN((size_t)n, sizeof raw - 1), buf, size);
}

void mkl_options_init_size(mkl_options *o, size_t size) {
    if (!o || size < offsetof(mkl_options, font_dir) + sizeof o->font_dir) return;
    mkl_options d;
    memset(&d, 0, sizeof d);
    d.struct_size = MKL_MIN(size, sizeof d);
    d.page_numbers = 1;
    d.tags = 1;
    memcpy(o, &d, d.struct_size);
}

void mkl_free(void *p) { mkl__free(p); }

mkl_status mkl_renderer_new(const mkl_options *opts, mkl_renderer **out) {
    if (!out) return MKL_ERR_ARGUMENT;
    *out = NULL;
    mkl_renderer *r = mkl__calloc(1, sizeof *r);
    if (!r) return MKL_ERR_NOMEM;
    mkl_options_init(&r->opts);
    if (opts) {
        if (opts->struct_size < offsetof(mkl_options, font_dir) + sizeof opts->font_dir) {
            mkl__free(r);
            return MKL_ERR_ARGUMENT;
        }
        memcpy(&r->opts, opts, MKL_MIN(opts->struct_size, sizeof r->opts));
        r->opts.struct_size = sizeof r->opts;
    }
    if (r->opts.font_dir && !(r->font_dir = mkl__strdup(r->opts.font_dir))) {
        mkl__free(r);
        return MKL_ERR_NOMEM;
    }
    r->opts.font_dir = r->font_dir;
    if (r->opts.style && !(r->style = mkl__strdup(r->opts.style))) {
        mkl__free(r->font_dir);
        mkl__free(r);
        return MKL_ERR_NOMEM;
    }
    r->opts.style = r->style;
    /* font folders: the caller's, $MKLETTER_FONT_DIR, the fonts installed with
     * this library (found from where the library or program is, so an
     * installed tree can be moved), the configured install path, the source
     * tree's. Folders that do not exist are skipped. */
    const char *dirs[6];
    char rel_lib[4096], rel_bin[4096];
    size_t nd = 0;
    if (r->font_dir) dirs[nd++] = r->font_dir;
    const char *env = getenv("MKLETTER_FONT_DIR");
    if (env && *env) dirs[nd++] = env;
    Dl_info info;
    if (dladdr((void *)&mkl_version, &info) && info.dli_fname && strchr(info.dli_fname, '/')) {
        const char *slash = strrchr(info.dli_fname, '/');
        int n = (int)(slash - info.dli_fname);
        /* a folder whose name does not fit is not searched (never a shortened name) */
        int a = snprintf(rel_lib, sizeof rel_lib, "%.*s/%s", n, info.dli_fname, MKL_FONTS_FROM_LIB);
        int b = snprintf(rel_bin, sizeof rel_bin, "%.*s/%s", n, info.dli_fname, MKL_FONTS_FROM_BIN);
        if (a > 0 && (size_t)a < sizeof rel_lib) dirs[nd++] = rel_lib;
        if (b > 0 && (size_t)b < sizeof rel_bin) dirs[nd++] = rel_bin;
    }
    if (MKL_FONT_DIR_INSTALLED[0]) dirs[nd++] = MKL_FONT_DIR_INSTALLED;
    if (MKL_FONT_DIR_SOURCE[0]) dirs[nd++] = MKL_FONT_DIR_SOURCE;
    /* of the bundled-font candidates (after the caller's and the environment's),
     * only the first that exists is searched */
    size_t first = (r->font_dir ? 1 : 0) + (env && *env ? 1 : 0), keep = first;
    for (size_t i = first; i < nd; i++)
        if (access(dirs[i], R_OK | X_OK) == 0) {
            dirs[keep++] = dirs[i];
            break;
        }
    nd = keep;
    /* ICU loads while the fonts are found and the letter is read (icu.h);
     * after dladdr(), which would wait for the loader's lock */
    mkl__icu_prefetch();
    mkl_status st = mkl__fontdb_new(dirs, nd, &r->db, &r->err);
    if (!st) st = mkl__shaper_new(&r->sh, &r->err);
    if (!st && !(r->cache = mkl__parcache_new())) st = MKL_ERR_NOMEM;
    if (!st && !(r->subsets = mkl__subsets_new())) st = MKL_ERR_NOMEM;
    if (!st && !(r->objstreams = mkl__pack_cache_new())) st = MKL_ERR_NOMEM;
    if (st) {
        mkl_renderer_free(r);
        return st;
    }
    *out = r;
    return MKL_OK;
}

void mkl_renderer_free(mkl_renderer *r) {
    if (!r) return;
    for (size_t i = 0; i < r->images.n; i++) {
        mkl__free(r->images.v[i]->path);
        mkl__image_free(&r->images.v[i]->img);
        mkl__free(r->images.v[i]);
    }
    mkl__free(r->images.v);
    for (size_t i = 0; i < r->inputs.n; i++) mkl__free(r->inputs.v[i].path);
    mkl__free(r->inputs.v);
    for (size_t i = 0; i < r->swept.n; i++) mkl__free(r->swept.v[i]);
    mkl__free(r->swept.v);
    mkl__shaper_free(r->sh);
    mkl__parcache_free(r->cache);
    mkl__subsets_free(r->subsets);
    mkl__glyph_base_free(r->base);
    mkl__pack_cache_free(r->objstreams);
    mkl__fontdb_free(r->db);
    mkl__free(r->font_dir);
    mkl__free(r->style);
    mkl__free(r);
}

const char *mkl__renderer_input(const mkl_renderer *r, dev_t dev, ino_t ino) {
    for (size_t i = 0; i < r->inputs.n; i++)
        if (r->inputs.v[i].dev == dev && r->inputs.v[i].ino == ino) return r->inputs.v[i].path;
    return mkl__fontdb_loaded_file(r->db, dev, ino);
}

const mkl_error *mkl_renderer_error(const mkl_renderer *r) { return r ? &r->err : NULL; }
int mkl_renderer_page_count(const mkl_renderer *r) { return r ? r->pages : 0; }

mkl_status mkl_letter_parse(mkl_renderer *r, const char *text, size_t len, const char *name, const char *base_dir,
                            mkl_letter **out) {
    if (!r || !out || (!text && len)) return MKL_ERR_ARGUMENT;
    *out = NULL;
    mkl__err_clear(&r->err);
    mkl_letter *l = mkl__calloc(1, sizeof *l);
    if (!l) return mkl__err(&r->err, MKL_ERR_NOMEM, name, 0, 0, "out of memory");
    l->serial = mkl__letter_serial();
    mkl_parse_opts po = {r->style, "", NULL, NULL};
    mkl_status st = mkl__parse_letter_opts(text ? text : "", len, name, base_dir, &po, &l->doc, &r->err);
    if (st) {
        mkl__free(l);
        return st;
    }
    /* the house styles read are inputs: no output may replace one */
    for (size_t i = 0; i < l->doc->nstyles; i++) mkl__note_input(r, l->doc->styles[i].file);
    *out = l;
    return MKL_OK;
}

mkl_status mkl_letter_parse_file(mkl_renderer *r, const char *path, mkl_letter **out) {
    if (!r || !path || !out) return MKL_ERR_ARGUMENT;
    *out = NULL;
    mkl__err_clear(&r->err);
    char *text;
    size_t len;
    /* refused by its size before it is read: the parser's limit is 64 MiB */
    mkl_status st = mkl__read_file(path, MKL_LETTER_MAX, "letter", &text, &len, &r->err);
    if (st == MKL_ERR_LIMIT) r->err.line = r->err.column = 1;
    if (st) return st;
    char *dir = mkl__strdup(path);
    if (!dir) {
        mkl__free(text);
        return mkl__err(&r->err, MKL_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    char *slash = strrchr(dir, '/');
    if (slash) slash[1] = 0;
    else dir[0] = 0;
    st = mkl_letter_parse(r, text, len, path, dir, out);
    if (!st) mkl__note_input(r, path);
    mkl__free(dir);
    mkl__free(text);
    return st;
}

void mkl_letter_free(mkl_letter *l) {
    if (!l) return;
    mkl__free(l->row_label);
    mkl__doc_free(l->doc);
    mkl__free(l);
}

long long mkl__creation_time(const mkl_renderer *r) {
    if (r->opts.creation_time) return r->opts.creation_time;
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        long long v = strtoll(sde, &end, 10);
        if (!*end && v >= 0) return v;
    }
    return (long long)time(NULL);
}

/* Images are decoded once per renderer and path (a batch of signed copies
 * decodes each signature once). */
static mkl_status load_image(void *user, const char *path, const mkl_image **out, mkl_error *e) {
    mkl_renderer *r = user;
    for (size_t i = 0; i < r->images.n; i++)
        if (!strcmp(r->images.v[i]->path, path)) {
            *out = &r->images.v[i]->img;
            return MKL_OK;
        }
    mkl_image img;
    mkl_status st = mkl__image_load(path, &img, e);
    if (st) return st;
    CachedImage *ci = mkl__calloc(1, sizeof *ci);
    CachedImage **slot = ci ? MKL_PUSH(&r->images) : NULL;
    if (!slot || !(ci->path = mkl__strdup(path))) {
        if (slot) r->images.n--;
        mkl__free(ci);
        mkl__image_free(&img);
        return mkl__err(e, MKL_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    ci->img = img;
    *slot = ci;
    mkl__note_input(r, path);
    *out = &ci->img;
    return MKL_OK;
}

/* What PDF/UA-1 asks of a letter that tags cannot give it: a title (the
 * subject) and alternative text for every image, which may not be empty. */
static mkl_status pdfua_check(mkl_renderer *r, const mkl_doc *d) {
    int line = 0, col = 0;
    if (!r->opts.tags)
        return mkl__err(&r->err, MKL_ERR_ARGUMENT, d->file, 0, 0, "PDF/UA-1 needs a tagged PDF, and tags are turned off");
    if (!d->subject || !d->subject[0])
        return mkl__err(&r->err, MKL_ERR_INPUT, d->file, 0, 0,
                        "PDF/UA-1 needs a document title: give the letter a 'subject'");
    if (d->lh_logo && d->lh_logo_alt && !d->lh_logo_alt[0]) {
        mkl__doc_pos(d, d->lh_logo_alt, &line, &col);
        return mkl__err(&r->err, MKL_ERR_INPUT, d->file, line, col,
                        "PDF/UA-1 needs alternative text for the logo: 'logo-alt' is empty");
    }
    for (size_t i = 0; i < d->nsignatures; i++)
        if (d->signatures[i].image && d->signatures[i].alt && !d->signatures[i].alt[0]) {
            mkl__doc_pos(d, d->signatures[i].alt, &line, &col);
            return mkl__err(&r->err, MKL_ERR_INPUT, d->file, line, col,
                            "PDF/UA-1 needs alternative text for the signature of '%.100s': its 'alt' is empty",
                            d->signatures[i].name);
        }
    return MKL_OK;
}

mkl_status mkl__render_layout(mkl_renderer *r, const mkl_letter *letter, mkl_layout *out) {
    mkl_layout_opts lo = {NULL, r->opts.page_numbers, load_image, r, r->cache};
    if (r->opts.pdfua) {
        mkl_status st = pdfua_check(r, letter->doc);
        if (st) return st;
    }
    return mkl__layout(letter->doc, r->db, r->sh, &lo, out, &r->err);
}

mkl_status mkl__err_in_row(mkl_error *e, const char *label, mkl_status st) {
    size_t ll = label ? strlen(label) : 0;
    if (!st || st == MKL_ERR_NOMEM || !ll || (!strncmp(e->message, label, ll) && e->message[ll] == ':')) return st;
    char msg[sizeof e->message];
    int head = snprintf(msg, sizeof msg, "%.300s: ", label);
    snprintf(msg + head, sizeof msg - (size_t)head, "%.*s", (int)(sizeof msg - (size_t)head - 1), e->message);
    memcpy(e->message, msg, sizeof msg);
    return st;
}

mkl_status mkl_letter_check(mkl_renderer *r, const mkl_letter *letter) {
    if (!r || !letter) return MKL_ERR_ARGUMENT;
    mkl__err_clear(&r->err);
    mkl_layout L = {0};
    mkl_status st = mkl__render_layout(r, letter, &L);
    if (!st) r->pages = (int)L.pages.n;
    mkl__layout_free(&L);
    if (st && !r->err.code) r->err.code = st;
    if (st == MKL_ERR_NOMEM) mkl__err_default_file(&r->err, letter->doc->file);
    return mkl__err_in_row(&r->err, letter->row_label, st);
}

/* The whole pipeline into a memory buffer. */
mkl_status mkl__render_buf(mkl_renderer *r, const mkl_letter *letter, mkl_buf *out) {
    if (!r || !letter) return MKL_ERR_ARGUMENT;
    mkl__err_clear(&r->err);
    mkl_layout L = {0};
    mkl_status st = mkl__render_layout(r, letter, &L);
    if (!st) {
        r->pages = (int)L.pages.n;
        mkl_pdf_info info = {letter->doc->subject, letter->doc->lh_name, mkl__creation_time(r), r->opts.pdfa, r->subsets,
                             r->opts.signer, r->opts.tags, r->opts.pdfua, NULL, NULL, NULL, r->objstreams, NULL, 0};
        /* a copy of a merge: its template's fixed glyphs (glyphbase.h) */
        if (letter->filled_from && letter->filled_from == r->base_of) info.base = r->base;
        /* the layout goes once its pages are added, before the file is
         * finished and packed: a petition's 100,000 signatories have 30 MB
         * of glyphs, which would wait beside the whole file; and its pages
         * go before its structure tree is formatted (~10 MB of
         * dictionaries), which needs the structure only (pdf.h) */
        mkl_pdfw *w = NULL;
        st = mkl__pdfw_new(&info, &w, &r->err);
        if (!st) {
            mkl__pdfw_one_letter(w);
            st = mkl__pdfw_add(w, &L, 0, &r->err);
        }
        mkl__layout_free_pages(&L);
        if (!st) st = mkl__pdfw_structure(w, &r->err);
        mkl__layout_free(&L);
        if (!st) st = mkl__pdfw_finish(w, out, &r->err);
        mkl__pdfw_free(w);
    }
    mkl__layout_free(&L);
    if (st && !r->err.code) r->err.code = st;
    if (st == MKL_ERR_NOMEM) mkl__err_default_file(&r->err, letter->doc->file);   /* not a bare "out of memory" */
    return mkl__err_in_row(&r->err, letter->row_label, st);
}

mkl_status mkl_render_to_memory(mkl_renderer *r, const mkl_letter *letter, unsigned char **data, size_t *len) {
    if (!data || !len) return MKL_ERR_ARGUMENT;
    *data = NULL;
    *len = 0;
    mkl_buf b = {0};
    mkl_status st = mkl__render_buf(r, letter, &b);
    if (st) {
        mkl__buf_free(&b);
        return st;
    }
    *data = (unsigned char *)b.s;
    *len = b.n;
    return MKL_OK;
}

mkl_status mkl_render_to_writer(mkl_renderer *r, const mkl_letter *letter, mkl_write_fn write, void *user) {
    if (!write) return MKL_ERR_ARGUMENT;
    mkl_buf b = {0};
    mkl_status st = mkl__render_buf(r, letter, &b);
    if (!st && b.n && write(user, (const unsigned char *)b.s, b.n))
        st = mkl__err(&r->err, MKL_ERR_WRITE, NULL, 0, 0, "the writer callback failed");
    mkl__buf_free(&b);
    return st;
}

mkl_status mkl_render_to_file(mkl_renderer *r, const mkl_letter *letter, const char *path) {
    if (!r || !letter || !path) return MKL_ERR_ARGUMENT;
    mkl_buf b = {0};
    mkl_status st = mkl__render_buf(r, letter, &b);
    if (!st) st = mkl__write_atomic(r, path, b.s, b.n);
    mkl__buf_free(&b);
    return st;
}

mkl_status mkl_render_file(const char *letter_path, const char *pdf_path, const mkl_options *opts, mkl_error *err) {
    if (err) memset(err, 0, sizeof *err);
    if (!letter_path || !pdf_path) {
        if (err) err->code = MKL_ERR_ARGUMENT;
        return MKL_ERR_ARGUMENT;
    }
    mkl_renderer *r;
    mkl_status st = mkl_renderer_new(opts, &r);
    if (st) {
        if (err) mkl__err(err, st, NULL, 0, 0, "%s", mkl_status_str(st));
        return st;
    }
    mkl_letter *l = NULL;
    st = mkl_letter_parse_file(r, letter_path, &l);
    if (!st) st = mkl_render_to_file(r, l, pdf_path);
    if (st && err) *err = r->err;
    mkl_letter_free(l);
    mkl_renderer_free(r);
    return st;
}
