/* fake_libicuuc.c - a "libicuuc.so.N" (N: the ICU version the library is
 * built against) with none of the functions the library calls: golden_icu_load
 * puts it first on LD_LIBRARY_PATH to check that an ICU that cannot be used is
 * a clear error, not a crash. */
int mkl_fake_icu_marker(void);
int mkl_fake_icu_marker(void) { return 72; }
