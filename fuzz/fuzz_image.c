/* fuzz_image.c - libFuzzer target for the image decoder (lib/image.c).
 *
 * Any input must give MKL_OK (with a well-formed image) or an error with a
 * message; never a crash, an abort, a leak or undefined behaviour.
 * Build with -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION to skip PNG CRC
 * checks, so that mutated PNGs reach the decoder (see README.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mkl_image img;
    mkl_error err;
    memset(&err, 0, sizeof err);
    mkl_status st = mkl__image_decode(data, size, "fuzz", &img, &err);
    if (st == MKL_OK) {
        if (img.width <= 0 || img.height <= 0 || (img.channels != 1 && img.channels != 3) ||
            !img.pixels)
            abort();
        /* touch every byte, so that ASan sees any short buffer */
        size_t n = (size_t)img.width * (size_t)img.height;
        unsigned sum = 0;
        for (size_t i = 0; i < n * (size_t)img.channels; i++) sum += img.pixels[i];
        if (img.alpha)
            for (size_t i = 0; i < n; i++) sum += img.alpha[i];
        volatile unsigned sink = sum;
        (void)sink;
        mkl__image_free(&img);
    } else {
        if (img.pixels || img.alpha || img.width || !err.message[0] || strcmp(err.file, "fuzz"))
            abort();
    }
    return 0;
}
