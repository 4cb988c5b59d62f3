/* letter.h - the mkl_letter handle behind the public interface: a document
 * model plus what building it in code needs. Shared by render.c and build.c. */
#ifndef MKL_LETTER_H
#define MKL_LETTER_H

#include "model.h"

struct mkl_letter {
    mkl_doc *doc;
    mkl_error err;       /* the first building error */
    /* capacities of the doc's arrays while a program adds to them (arena arrays
     * grown by doubling; 0 = the array is exactly as long as its count) */
    size_t cap_lh, cap_from, cap_to, cap_encl, cap_cc, cap_blocks, cap_sigs, cap_groups, cap_entries, cap_links;
    size_t cap_fbody, cap_fhead, cap_lfoot, cap_text, cap_runs;
};

#endif
