/* jarena - where jansson's small blocks come from (layerstore installs it at layerstore_open
 * or the first parse, whichever comes first).
 *
 * A bundle is generated from a few thousand small JSON values (the parsed config.v2.json and
 * hostconfig.json, the built spec) that all die at its end; through malloc and free they were
 * a quarter of a Linux container's generation. Here a block of at most 2 KiB is carved from
 * the calling thread's 64 KiB chunk and freed by counting: a chunk whose blocks are all gone
 * is used again from its start by its thread, or, once given up (full, or its thread ended),
 * by any thread. A value that outlives its generation (the seccomp cache's) only keeps its
 * chunk; nothing is ever freed twice or early. Larger blocks, and every block when the
 * address space cannot be reserved, under AddressSanitizer or under valgrind (which check
 * malloc's blocks' lifetimes, not ours), come from malloc.
 * What jansson returns to be freed (json_dumps' string) is one of its blocks: free it with
 * ja_free, never free().
 * Memory: 1 GiB of address space reserved (no memory committed until used); at most 16 free
 * chunks stay resident (and are used first), the others' pages go back to the kernel. */
#ifndef BUNDLEFS_JARENA_H
#define BUNDLEFS_JARENA_H

#include <stddef.h>

/* Reserve the address space (once; before the first ja_alloc that should use it). A failure
 * (negative errno) leaves every block to malloc. */
int ja_setup(void);
/* jansson's allocation functions: a block from the thread's chunk or malloc's; ja_free takes
 * either, from any thread (and NULL). */
void *ja_alloc(size_t n);
void ja_free(void *p);
/* The bytes of the chunks not free (for the daemon's figures). */
size_t ja_bytes_in_use(void);
/* Whether blocks come from chunks at all (not under ASan or valgrind, nor when the reserve
 * failed). */
int ja_enabled(void);

#endif
