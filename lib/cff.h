/* cff.h - the few facts about a CFF font program (Adobe TN 5176) that
 * embedding needs: is it CID-keyed, and a copy whose charset maps every
 * glyph to the CID of its own number. */
#ifndef MKL_CFF_H
#define MKL_CFF_H

#include <stddef.h>

/* Is the CFF program CID-keyed (its Top DICT begins with ROS)? */
int mkl__cff_is_cid_keyed(const unsigned char *cff, size_t len);

/* A copy of the CID-keyed CFF program `cff` whose charset is the identity
 * (glyph g has CID g, for the `nglyphs` glyphs), so that a PDF's CIDs are
 * glyph ids whichever way a reader maps them (ISO 32000-1, 9.7.4.2: through
 * the charset of a CID-keyed font). hb-subset keeps the font's original
 * CIDs in the charset of a subset. The new charset (format 0, 2 bytes a
 * glyph: Ghostscript 10.0 draws .notdef for every glyph of a format 2
 * range) is appended and the Top DICT's offset to it patched in place. Returns 0 and a malloc'd copy
 * in *out, -1 out of memory, 1 if the program is not one this can patch. */
int mkl__cff_identity_charset(const unsigned char *cff, size_t len, unsigned nglyphs, unsigned char **out,
                              size_t *outlen);

#endif
