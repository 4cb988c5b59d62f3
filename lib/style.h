/* style.h - house styles: YAML files of front-matter keys a letter inherits.
 *
 * A letter (or the caller, for every letter) names a style with `style:`;
 * the style may name another (a chain of at most MKL_STYLE_CHAIN_MAX files,
 * a cycle an error). The files are merged into one YAML document under the
 * letter's front matter: the letter's keys win, mappings merge key by key,
 * everything else (strings, lists) is replaced whole. Each node of the merged
 * document remembers the file it came from, so that errors point into it. */
#ifndef MKL_STYLE_H
#define MKL_STYLE_H

#include <yaml.h>

#include "model.h"

/* At most this many style files in one chain (the letter not counted). */
#define MKL_STYLE_CHAIN_MAX 8

/* Finds and reads the style `name` named from the folder `from_dir` ("" =
 * the current folder). On success *path (the file as opened, for messages),
 * *text (NUL-terminated) and *dir (the folder paths inside it are taken
 * from) are new allocations (mkl__malloc) the caller frees, and id[] tells
 * one file from another (device and inode). Not found or not readable is
 * MKL_ERR_READ with the reason in `e` (its file and position left to the
 * caller). */
typedef mkl_status (*mkl_style_find_fn)(void *user, const char *name, const char *from_dir, char **path, char **dir,
                                        char **text, size_t *len, unsigned long long id[2], mkl_error *e);

/* How a letter is parsed, beyond its text. */
typedef struct mkl_parse_opts {
    const char *style;         /* a style used in place of the letter's own `style:`, or NULL */
    const char *style_from;    /* the folder `style` is taken from (NULL or "" = the current one) */
    mkl_style_find_fn find;    /* NULL: mkl__style_find_file */
    void *find_user;
} mkl_parse_opts;

/* The lookup of a style on disk: `name` as written when it is absolute;
 * else in `from_dir`, then in $XDG_DATA_HOME/mkletter/styles (default
 * ~/.local/share/mkletter/styles), then in the installed styles folder; in
 * each, as written and then with ".yaml" added when the name has no
 * extension. */
mkl_status mkl__style_find_file(void *user, const char *name, const char *from_dir, char **path, char **dir,
                                char **text, size_t *len, unsigned long long id[2], mkl_error *e);

/* The merged front matter. origin[i] is the file node i came from: 0 the
 * letter, k the style doc->styles[k - 1]. */
typedef struct mkl_styled {
    yaml_document_t ydoc;
    unsigned char *origin;
    size_t norigin;
    size_t text_bytes;    /* bytes of style text read, for the alias bound */
} mkl_styled;

/* If the letter's front matter `letter` (its root a mapping) has a `style`
 * key, or opts names a style, read the chain and merge it into out->ydoc,
 * recording the style files in doc->styles; returns MKL_OK with *merged
 * set to 1. With no style, *merged is 0 and `out` untouched. `letter`'s
 * nodes are read, never changed. Errors name the file and position. */
mkl_status mkl__style_apply(mkl_doc *doc, yaml_document_t *letter, const mkl_parse_opts *opts, mkl_styled *out,
                            int *merged, mkl_error *e);

/* Free what mkl__style_apply made. */
void mkl__styled_free(mkl_styled *s);

/* Shared with parse.c: check `len` bytes of text for the limits of a letter
 * file (size, line length, UTF-8, no NUL); `what` names it ("letter",
 * "style"). */
mkl_status mkl__text_check(const char *text, size_t len, const char *name, const char *what, mkl_error *e);

/* Load the YAML in text[start, end) whose first line is line `first_line`
 * of file `name` into `out` (which the caller deletes on success), after
 * the prescan that bounds nesting, anchors and aliases. Marks are shifted so
 * that NODE lines are lines of the file. */
mkl_status mkl__yaml_load(const char *text, size_t start, size_t end, int first_line, const char *name,
                          yaml_document_t *out, mkl_error *e);

#endif
