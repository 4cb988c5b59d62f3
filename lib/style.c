/* style.c - house styles: find the chain of style files a letter names, read
 * each with the letter's own limits, and merge them under the letter's front
 * matter into one YAML document. See style.h. */
#include "style.h"
#include "parse.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef MKL_STYLES_DIR
#define MKL_STYLES_DIR ""
#endif

/* Aliased mappings in both a style and the letter can make the merge visit
 * one node along many paths; the merged document is kept to this many times
 * the nodes read (and nests no deeper than this). */
#define MERGE_GROWTH 4
#define MERGE_DEPTH 64

#define NODE_LINE(n) ((int)(n)->start_mark.line + 1)
#define NODE_COL(n) ((int)(n)->start_mark.column + 1)

/* ---- finding a style on disk ------------------------------------------- */

static int has_extension(const char *name) {
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    return strchr(base, '.') != NULL;
}

/* The folder of `path` with links resolved, so that paths inside the style
 * are found from wherever the letter is; the folder as written if that fails. */
static char *folder_of(const char *path) {
    char resolved[PATH_MAX];
    const char *from = realpath(path, resolved) ? resolved : path;
    const char *slash = strrchr(from, '/');
    if (!slash) return mkl__strdup("");
    return mkl__strndup(from, slash == from ? 1 : (size_t)(slash - from));
}

mkl_status mkl__style_find_file(void *user, const char *name, const char *from_dir, char **path, char **dir,
                                char **text, size_t *len, unsigned long long id[2], mkl_error *e) {
    (void)user;
    *path = *dir = *text = NULL;
    char xdg[MKL_PATH_MAX] = "";
    const char *env = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    /* the XDG base directory rules: a relative $XDG_DATA_HOME is ignored */
    if (env && env[0] == '/') snprintf(xdg, sizeof xdg, "%s/mkletter/styles", env);
    else if (home && home[0]) snprintf(xdg, sizeof xdg, "%s/.local/share/mkletter/styles", home);
    const char *dirs[3];
    size_t nd = 0;
    if (name[0] == '/') dirs[nd++] = "";
    else {
        dirs[nd++] = from_dir ? from_dir : "";
        if (xdg[0]) dirs[nd++] = xdg;
        if (MKL_STYLES_DIR[0]) dirs[nd++] = MKL_STYLES_DIR;
    }
    int variants = has_extension(name) ? 1 : 2;
    char cand[MKL_PATH_MAX];
    for (size_t d = 0; d < nd; d++)
        for (int v = 0; v < variants; v++) {
            const char *in = dirs[d];
            size_t il = strlen(in);
            int n = snprintf(cand, sizeof cand, "%s%s%s%s", in, il && in[il - 1] != '/' ? "/" : "", name,
                             v ? ".yaml" : "");
            if (n < 0 || (size_t)n >= sizeof cand) continue;   /* never a shortened path */
            struct stat sb;
            if (stat(cand, &sb)) {
                if (errno == ENOENT || errno == ENOTDIR) continue;
                return mkl__err(e, MKL_ERR_READ, cand, 0, 0, "cannot read the style '%s': %s", cand, strerror(errno));
            }
            mkl_status st = mkl__read_file(cand, MKL_LETTER_MAX, "style", text, len, e);
            if (st) return st;
            id[0] = (unsigned long long)sb.st_dev;
            id[1] = (unsigned long long)sb.st_ino;
            if (!(*path = mkl__strdup(cand)) || !(*dir = folder_of(cand))) {
                mkl__free(*path);
                mkl__free(*text);
                *path = *text = NULL;
                return mkl__err(e, MKL_ERR_NOMEM, cand, 0, 0, "out of memory");
            }
            return MKL_OK;
        }
    char where[3 * MKL_PATH_MAX + 64];
    size_t at = 0;
    for (size_t d = 0; d < nd && at < sizeof where; d++) {
        const char *shown = dirs[d][0] ? dirs[d] : name[0] == '/' ? "" : "the current folder";
        int n = snprintf(where + at, sizeof where - at, "%s%s", d == 0 ? "" : d + 1 == nd ? " or " : ", ", shown);
        if (n > 0) at += (size_t)n;
    }
    if (name[0] == '/') return mkl__err(e, MKL_ERR_READ, name, 0, 0, "no such file");
    return mkl__err(e, MKL_ERR_READ, name, 0, 0, "not found in %s%s", where, variants > 1 ? " (nor with .yaml)" : "");
}

/* ---- the chain ---------------------------------------------------------- */

typedef struct Src {
    yaml_document_t ydoc;
    int loaded;
    int *memo;            /* node index -> id of its copy in the merged document, 0 none yet */
    size_t nnodes;
} Src;

typedef struct S {
    mkl_doc *doc;
    mkl_error *e;
    yaml_document_t *out;
    MKL_VEC(unsigned char) origin;
    size_t made, max_made;
    Src src[1 + MKL_STYLE_CHAIN_MAX];   /* 0 the letter (not owned), k the style doc->styles[k - 1] */
    size_t nsrc;
    int fail;             /* out of memory or over a limit: stop */
} S;

static const char *src_file(const S *s, size_t k) { return k ? s->doc->styles[k - 1].file : s->doc->file; }

static int key_is(const yaml_node_t *k, const char *name) {
    return k && k->type == YAML_SCALAR_NODE && strlen(name) == k->data.scalar.length &&
           !memcmp(k->data.scalar.value, name, k->data.scalar.length);
}

static int same_key(const yaml_node_t *a, const yaml_node_t *b) {
    return a && b && a->type == YAML_SCALAR_NODE && b->type == YAML_SCALAR_NODE &&
           a->data.scalar.length == b->data.scalar.length &&
           !memcmp(a->data.scalar.value, b->data.scalar.value, a->data.scalar.length);
}

static yaml_node_t *style_key(yaml_document_t *d, yaml_node_t *map) {
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++)
        if (key_is(yaml_document_get_node(d, pr->key), "style")) return yaml_document_get_node(d, pr->value);
    return NULL;
}

static mkl_status oom(S *s) {
    s->fail = 1;
    return mkl__err(s->e, MKL_ERR_NOMEM, s->doc->file, 0, 0, "out of memory");
}

/* A node was added to the merged document (id `id`, 0 if libyaml failed):
 * give it the marks of `like` and the origin `k`. */
static int made(S *s, int id, const yaml_node_t *like, size_t k) {
    if (!id) { oom(s); return 0; }
    unsigned char *o = MKL_PUSH(&s->origin);
    if (!o) { oom(s); return 0; }
    *o = (unsigned char)k;
    s->out->nodes.start[id - 1].start_mark = like->start_mark;
    s->out->nodes.start[id - 1].end_mark = like->end_mark;
    if (++s->made > s->max_made) {
        s->fail = 1;
        mkl__err(s->e, MKL_ERR_LIMIT, src_file(s, k), NODE_LINE(like), NODE_COL(like),
                 "the letter and its styles repeat aliased mappings (*name) that would merge into more than %zu nodes",
                 s->max_made);
        return 0;
    }
    return id;
}

/* The copy of node `id` of source k in the merged document (made once: an
 * alias stays one node, and a node that holds itself does not loop). */
static int copy(S *s, size_t k, int id) {
    Src *src = &s->src[k];
    if (s->fail || id < 1 || (size_t)id > src->nnodes) return 0;
    if (src->memo[id - 1]) return src->memo[id - 1];
    yaml_node_t n = src->ydoc.nodes.start[id - 1];   /* a copy: the source does not move, but keep it simple */
    int nid = 0;
    switch (n.type) {
    case YAML_SCALAR_NODE:
        nid = made(s, yaml_document_add_scalar(s->out, n.tag, n.data.scalar.value, (int)n.data.scalar.length,
                                               n.data.scalar.style), &n, k);
        if (nid) src->memo[id - 1] = nid;
        return nid;
    case YAML_SEQUENCE_NODE:
        if (!(nid = made(s, yaml_document_add_sequence(s->out, n.tag, n.data.sequence.style), &n, k))) return 0;
        src->memo[id - 1] = nid;
        for (yaml_node_item_t *it = n.data.sequence.items.start; it < n.data.sequence.items.top; it++) {
            int c = copy(s, k, *it);
            if (!c) return 0;
            if (!yaml_document_append_sequence_item(s->out, nid, c)) { oom(s); return 0; }
        }
        return nid;
    case YAML_MAPPING_NODE:
        if (!(nid = made(s, yaml_document_add_mapping(s->out, n.tag, n.data.mapping.style), &n, k))) return 0;
        src->memo[id - 1] = nid;
        for (yaml_node_pair_t *pr = n.data.mapping.pairs.start; pr < n.data.mapping.pairs.top; pr++) {
            int ck = copy(s, k, pr->key), cv = ck ? copy(s, k, pr->value) : 0;
            if (!cv) return 0;
            if (!yaml_document_append_mapping_pair(s->out, nid, ck, cv)) { oom(s); return 0; }
        }
        return nid;
    default:
        return 0;
    }
}

static yaml_node_t *out_node(S *s, int id) { return yaml_document_get_node(s->out, id); }

/* Merge mapping `over` of source k over node `base` of the merged document:
 * keys of both are merged (mappings) or taken from `over`; keys of one are
 * kept. At the top (depth 0) `over`'s `style` is left out. Returns the new
 * node's id, 0 on failure. */
static int merge(S *s, int base, size_t k, int over, int depth) {
    if (s->fail) return 0;
    yaml_node_t *o = yaml_document_get_node(&s->src[k].ydoc, over), *b = out_node(s, base);
    if (!o) return 0;
    if (!b || b->type != YAML_MAPPING_NODE || o->type != YAML_MAPPING_NODE) return copy(s, k, over);
    if (depth > MERGE_DEPTH) {
        s->fail = 1;
        mkl__err(s->e, MKL_ERR_LIMIT, src_file(s, k), NODE_LINE(o), NODE_COL(o),
                 "mappings that merge with a style's nest more than %d deep", MERGE_DEPTH);
        return 0;
    }
    yaml_node_t on = *o;
    int m = made(s, yaml_document_add_mapping(s->out, on.tag, on.data.mapping.style), &on, k);
    if (!m) return 0;
    yaml_node_pair_t *opairs = on.data.mapping.pairs.start;
    size_t nop = (size_t)(on.data.mapping.pairs.top - opairs);
    unsigned char *taken = mkl__calloc(nop ? nop : 1, 1);
    if (!taken) { oom(s); return 0; }
    int ok = 1;
    /* the base's keys, in order (the merged document may move as it grows:
     * its pairs are read by index) */
    size_t nbp = (size_t)(out_node(s, base)->data.mapping.pairs.top - out_node(s, base)->data.mapping.pairs.start);
    for (size_t i = 0; ok && i < nbp; i++) {
        yaml_node_pair_t bp = out_node(s, base)->data.mapping.pairs.start[i];
        yaml_node_t *bk = out_node(s, bp.key);
        size_t j = 0;
        while (j < nop && !(same_key(bk, yaml_document_get_node(&s->src[k].ydoc, opairs[j].key)) &&
                            !(depth == 0 && key_is(bk, "style"))))
            j++;
        int key = bp.key, value = bp.value;
        if (j < nop) {
            taken[j] = 1;
            key = copy(s, k, opairs[j].key);
            value = key ? merge(s, bp.value, k, opairs[j].value, depth + 1) : 0;
        }
        ok = key && value && yaml_document_append_mapping_pair(s->out, m, key, value);
        if (!ok && !s->fail) oom(s);
    }
    for (size_t j = 0; ok && j < nop; j++) {
        yaml_node_t *ok_node = yaml_document_get_node(&s->src[k].ydoc, opairs[j].key);
        if (taken[j] || (depth == 0 && key_is(ok_node, "style"))) continue;
        /* a key written twice stays twice, for the parser to refuse */
        int key = copy(s, k, opairs[j].key), value = key ? copy(s, k, opairs[j].value) : 0;
        ok = key && value && yaml_document_append_mapping_pair(s->out, m, key, value);
        if (!ok && !s->fail) oom(s);
    }
    mkl__free(taken);
    return ok ? m : 0;
}

/* The name a `style` node gives, checked; NULL after an error. */
static const char *style_name(S *s, size_t k, yaml_node_t *v) {
    const char *file = src_file(s, k);
    if (v->type != YAML_SCALAR_NODE) {
        mkl__err(s->e, MKL_ERR_INPUT, file, NODE_LINE(v), NODE_COL(v), "'style' must be a file name, not %s",
                 v->type == YAML_SEQUENCE_NODE ? "a list" : "a mapping");
        return NULL;
    }
    const char *name = (const char *)v->data.scalar.value;
    size_t len = v->data.scalar.length;
    while (len && (name[len - 1] == ' ' || name[len - 1] == '\n' || name[len - 1] == '\t' || name[len - 1] == '\r')) len--;
    if (!len || memchr(name, 0, len) || len >= MKL_PATH_MAX) {
        mkl__err(s->e, MKL_ERR_INPUT, file, NODE_LINE(v), NODE_COL(v),
                 !len ? "'style' names no file" : memchr(name, 0, len) ? "'style' contains a NUL character"
                                                               : "'style' is longer than a path may be");
        return NULL;
    }
    char *copy_name = mkl__arena_strndup(&s->doc->arena, name, len);
    if (!copy_name) oom(s);
    return copy_name;
}

/* Read the chain that starts with style `name` named in source `from`
 * (at node `at`, NULL for the caller's style) and whose relative names are
 * taken from `from_dir`. */
static mkl_status read_chain(S *s, const char *name, const char *from_dir, size_t from, yaml_node_t *at,
                             const mkl_parse_opts *opts) {
    mkl_style_find_fn find = opts && opts->find ? opts->find : mkl__style_find_file;
    unsigned long long ids[MKL_STYLE_CHAIN_MAX][2];
    mkl_doc *doc = s->doc;
    if (!(doc->styles = mkl__arena_alloc(&doc->arena, MKL_STYLE_CHAIN_MAX * sizeof *doc->styles))) return oom(s);
    for (;;) {
        const char *at_file = src_file(s, from);
        int line = at ? NODE_LINE(at) : 0, col = at ? NODE_COL(at) : 0;
        if (at && at->type == YAML_SCALAR_NODE &&
            (at->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE || at->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE))
            col++;
        if (doc->nstyles == MKL_STYLE_CHAIN_MAX)
            return mkl__err(s->e, MKL_ERR_LIMIT, at_file, line, col,
                            "style '%s': a chain of styles may be at most %d files long", name, MKL_STYLE_CHAIN_MAX);
        char *path = NULL, *dir = NULL, *text = NULL;
        size_t len = 0;
        unsigned long long id[2] = {0, 0};
        mkl_error fe = {0};
        mkl_status st = find(opts ? opts->find_user : NULL, name, from_dir, &path, &dir, &text, &len, id, &fe);
        if (st) {
            if (st == MKL_ERR_NOMEM) return oom(s);
            if (!at) return mkl__err(s->e, st, fe.file[0] ? fe.file : name, fe.line, fe.column, "style: %s", fe.message);
            if (fe.line) /* a problem inside the file found (its size): there */
                return mkl__err(s->e, st, fe.file, fe.line, fe.column, "%s", fe.message);
            return mkl__err(s->e, st, at_file, line, col, "style '%s': %s", name, fe.message);
        }
        for (size_t i = 0; i < doc->nstyles; i++)
            if (ids[i][0] == id[0] && ids[i][1] == id[1]) {
                mkl__err(s->e, MKL_ERR_INPUT, at_file, line, col,
                         "style '%s' is '%s' again: styles that name each other in a cycle", name, doc->styles[i].file);
                mkl__free(path), mkl__free(dir), mkl__free(text);
                return MKL_ERR_INPUT;
            }
        struct mkl_style_file *sf = &doc->styles[doc->nstyles];
        sf->file = mkl__arena_strndup(&doc->arena, path, strlen(path));
        sf->dir = mkl__arena_strndup(&doc->arena, dir, strlen(dir));
        sf->text = mkl__arena_strndup(&doc->arena, text, len);
        sf->textlen = len;
        mkl__free(path), mkl__free(dir), mkl__free(text);
        if (!sf->file || !sf->dir || !sf->text) return oom(s);
        ids[doc->nstyles][0] = id[0];
        ids[doc->nstyles][1] = id[1];
        size_t k = ++doc->nstyles;
        s->nsrc = k + 1;
        if ((st = mkl__text_check(sf->text, len, sf->file, "style", s->e))) return st;
        if ((st = mkl__yaml_load(sf->text, 0, len, 1, sf->file, &s->src[k].ydoc, s->e))) return st;
        s->src[k].loaded = 1;
        s->src[k].nnodes = (size_t)(s->src[k].ydoc.nodes.top - s->src[k].ydoc.nodes.start);
        yaml_node_t *root = yaml_document_get_root_node(&s->src[k].ydoc);
        if (!root || (root->type == YAML_SCALAR_NODE && !root->data.scalar.length)) return MKL_OK;  /* empty */
        if (root->type != YAML_MAPPING_NODE)
            return mkl__err(s->e, MKL_ERR_INPUT, sf->file, NODE_LINE(root), NODE_COL(root),
                            "a style must be a mapping of front-matter keys (like 'from: ...'), not %s",
                            root->type == YAML_SCALAR_NODE ? "a string" : "a list");
        yaml_node_t *next = style_key(&s->src[k].ydoc, root);
        if (!next) return MKL_OK;
        if (!(name = style_name(s, k, next))) return s->e->code;
        /* the next is looked up beside this one, by the folder as it was
         * found (so that messages name it as short as it was written) */
        const char *slash = strrchr(sf->file, '/');
        char *lookup = mkl__arena_strndup(&doc->arena, sf->file, slash ? (size_t)(slash - sf->file) + 1 : 0);
        if (!lookup) return oom(s);
        from_dir = lookup;
        from = k;
        at = next;
    }
}

mkl_status mkl__style_apply(mkl_doc *doc, yaml_document_t *letter, const mkl_parse_opts *opts, mkl_styled *out,
                            int *merged, mkl_error *e) {
    *merged = 0;
    S s;
    memset(&s, 0, sizeof s);
    s.doc = doc;
    s.e = e;
    s.src[0].ydoc = *letter;   /* read only; deleted by the caller */
    s.src[0].nnodes = (size_t)(letter->nodes.top - letter->nodes.start);
    s.nsrc = 1;
    yaml_node_t *lroot = yaml_document_get_root_node(letter);
    if (lroot && lroot->type != YAML_MAPPING_NODE) lroot = NULL;
    mkl_status st = MKL_OK;
    if (opts && opts->style) {
        st = read_chain(&s, opts->style, opts->style_from ? opts->style_from : "", 0, NULL, opts);
    } else {
        yaml_node_t *v = lroot ? style_key(letter, lroot) : NULL;
        if (!v) return MKL_OK;
        const char *name = style_name(&s, 0, v);
        st = name ? read_chain(&s, name, doc->base_dir, 0, v, opts) : e->code;
    }
    yaml_document_t *out_doc = &out->ydoc;
    int out_made = 0;
    if (!st) {
        size_t total = 0;
        for (size_t k = 0; k < s.nsrc; k++) {
            total += s.src[k].nnodes;
            if (k) out->text_bytes += doc->styles[k - 1].textlen;
            if (!(s.src[k].memo = mkl__calloc(s.src[k].nnodes ? s.src[k].nnodes : 1, sizeof *s.src[k].memo)))
                st = oom(&s);
        }
        s.max_made = MERGE_GROWTH * total + 64;
        if (!st && !yaml_document_initialize(out_doc, NULL, NULL, NULL, 1, 1)) st = oom(&s);
        else if (!st) {
            out_made = 1;
            s.out = out_doc;
            /* an empty mapping at the deepest style's place, then each file
             * merged over it, the letter last */
            size_t deepest = s.nsrc - 1;
            yaml_node_t *droot = yaml_document_get_root_node(&s.src[deepest].ydoc);
            yaml_node_t where = droot ? *droot : *(lroot ? lroot : yaml_document_get_root_node(letter));
            int root = made(&s, yaml_document_add_mapping(out_doc, NULL, YAML_BLOCK_MAPPING_STYLE), &where, deepest);
            for (size_t k = s.nsrc; root && k-- > 0;) {
                yaml_node_t *r = k ? yaml_document_get_root_node(&s.src[k].ydoc) : lroot;
                if (!r || r->type != YAML_MAPPING_NODE) continue;
                root = merge(&s, root, k, (int)(r - s.src[k].ydoc.nodes.start) + 1, 0);
            }
            /* yaml_document_get_root_node takes the first node: the root must
             * be it, so it is moved there */
            if (root && root != 1) {
                yaml_node_t tmp = out_doc->nodes.start[0];
                out_doc->nodes.start[0] = out_doc->nodes.start[root - 1];
                out_doc->nodes.start[root - 1] = tmp;
                unsigned char to = s.origin.v[0];
                s.origin.v[0] = s.origin.v[root - 1];
                s.origin.v[root - 1] = to;
                /* references to both nodes swap too */
                for (yaml_node_t *n = out_doc->nodes.start; n < out_doc->nodes.top; n++) {
                    if (n->type == YAML_SEQUENCE_NODE)
                        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
                            *it = *it == root ? 1 : *it == 1 ? root : *it;
                    else if (n->type == YAML_MAPPING_NODE)
                        for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
                            pr->key = pr->key == root ? 1 : pr->key == 1 ? root : pr->key;
                            pr->value = pr->value == root ? 1 : pr->value == 1 ? root : pr->value;
                        }
                }
            }
            if (!root) st = e->code ? e->code : oom(&s);
        }
    }
    for (size_t k = 0; k < s.nsrc; k++) {
        mkl__free(s.src[k].memo);
        if (k && s.src[k].loaded) yaml_document_delete(&s.src[k].ydoc);
    }
    if (st) {
        if (out_made) yaml_document_delete(out_doc);
        mkl__free(s.origin.v);
        return st;
    }
    out->origin = s.origin.v;
    out->norigin = s.origin.n;
    *merged = 1;
    return MKL_OK;
}

void mkl__styled_free(mkl_styled *s) {
    yaml_document_delete(&s->ydoc);
    mkl__free(s->origin);
    memset(s, 0, sizeof *s);
}
