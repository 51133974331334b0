/* golden.h - read an expected-output file of tests/data/spec/ (written by hand). */
#ifndef SPEC_TEST_GOLDEN_H
#define SPEC_TEST_GOLDEN_H

/* The file's bytes, NUL-terminated (malloc'd); *path_out (nullable) gets its path. Fails the
 * current criterion test when the file cannot be read. */
char *golden_read(const char *name, const char **path_out);

#endif
