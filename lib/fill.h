/* fill.h - a copy of a document with its {{field}} placeholders filled in
 * (mail merge). Sits between the model and the layout: the layout only ever
 * sees filled documents. */
#ifndef MKL_FILL_H
#define MKL_FILL_H

#include "merge.h"
#include "model.h"

/* Does any string of `d` hold a placeholder? */
int mkl__doc_has_fields(const mkl_doc *d);

/* Call fn(user, name, len) for every placeholder of `d` (front matter and
 * body); stops at and returns the first non-zero value. */
int mkl__doc_fields(const mkl_doc *d, int (*fn)(void *user, const char *name, size_t len), void *user);

/* A new document: `src` with every placeholder replaced through `lk`. Lines
 * of a block that end up empty are dropped. Every string is copied: the copy
 * does not depend on `src`. Errors carry the letter's file and the line (and
 * column, for one-line strings) of the placeholder. Free with mkl__doc_free(). */
mkl_status mkl__doc_fill(const mkl_doc *src, const mkl_lookup *lk, mkl_doc **out, mkl_error *e);

#endif
