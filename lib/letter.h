/* letter.h - the mkl_letter handle behind the public interface: a document
 * model plus what building it in code needs. Shared by render.c and build.c. */
#ifndef MKL_LETTER_H
#define MKL_LETTER_H

#include "model.h"

struct mkl_letter {
    mkl_doc *doc;
    mkl_error err;       /* the first building error */
    char *row_label;     /* a copy filled from a data row: "row 7 (data.csv line 8)",
                            put before every later error about it; else NULL */
    uint64_t serial;     /* this letter's number, unique in the process (mkl__letter_serial) */
    uint64_t filled_from;   /* a copy filled from a template: the template's serial; else 0 */
    /* capacities of the doc's arrays while a program adds to them (arena arrays
     * grown by doubling; 0 = the array is exactly as long as its count) */
    size_t cap_lh, cap_from, cap_to, cap_encl, cap_cc, cap_blocks, cap_sigs, cap_cooperation, cap_groups, cap_entries, cap_links;
    size_t cap_fbody, cap_fhead, cap_lfoot, cap_text, cap_runs;
};

/* Put "LABEL: " before the message of `e` (a copy's row), unless it is there
 * already or the error is an out-of-memory. Returns `st`. */
mkl_status mkl__err_in_row(mkl_error *e, const char *label, mkl_status st);

/* A new letter's serial: never 0, never the same twice in a process. */
uint64_t mkl__letter_serial(void);

#endif
