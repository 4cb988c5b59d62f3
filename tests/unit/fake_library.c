/* fake_library.c - a "libicuuc.so.N" or "libfontconfig.so.1" with none of the
 * functions the library calls: golden_startup puts it first on
 * LD_LIBRARY_PATH to check that a library that cannot be used is a clear
 * error, not a crash. */
int mkl_fake_library_marker(void);
int mkl_fake_library_marker(void) { return 1; }
