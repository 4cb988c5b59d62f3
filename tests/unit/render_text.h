/* render_text.h - a letter's text rendered to memory, each step checked: for
 * the unit tests that compare PDFs made different ways. */
#ifndef MKL_RENDER_TEXT_H
#define MKL_RENDER_TEXT_H

#include <mkletter.h>
#include <string.h>

#include "check.h"

/* The PDF `r` makes of the letter `text` (to be freed), or NULL; *len its
 * size, 0 without one. */
static unsigned char *render_text(mkl_renderer *r, const char *text, size_t *len) {
    mkl_letter *l = NULL;
    unsigned char *pdf = NULL;
    *len = 0;
    CHECK(mkl_letter_parse(r, text, strlen(text), "letter.md", NULL, &l) == MKL_OK);
    if (l) CHECK(mkl_render_to_memory(r, l, &pdf, len) == MKL_OK);
    mkl_letter_free(l);
    return pdf;
}

#endif
