/* tree_fx.h - the fs unit suites' shared fixture (tests/unit/fs/test_<room>.c, one per room of
 * fs/): the bundlefs namespace without FUSE over a fixture data-root.
 *
 * Expected bytes come from spec_bundle_generate() called directly (the contract is that the
 * filesystem serves exactly what the spec module renders); inode and errno behaviour is
 * asserted from the rules in fs/tree.h. Every suite is `tree` (TestSuite(tree, .init = setup,
 * .fini = teardown)), each test opening its tree with open_tree.
 */
#ifndef BFS_TREE_FX_H
#define BFS_TREE_FX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../layerstore/fixture.h"
#include "tree.h"
#include "watch.h"

extern struct fx fx;
extern struct bfs_tree *tree;
extern bool unchanged;       /* bfs_opendir's answer, for the tests that look at it */
extern struct bfs_watch *tw; /* a test's watcher, stopped even when the test fails */

void setup(void);
void teardown(void);
void open_tree(unsigned trust_ms, size_t cache_bytes);
void sleep_ms(int ms);
/* The bytes spec_bundle_generate gives for file f of container id (as bundlefsctl prints). */
char *expected(const char *id, int f, size_t *len);
uint64_t lookup_ok(uint64_t parent, const char *name, struct bfs_attr *a);
/* What a read of handle h returns (a copy, NUL-terminated). */
char *read_handle(struct bfs_handle *h, size_t *len);
char *read_all(uint64_t ino, size_t *len, bool *direct);
bool listed(uint64_t ino, const char *name);
void set_isolation(const char *id, const char *iso);
char *read_ino(uint64_t ino, size_t *len, int *err);

/* One thread telling another it is done: a test holding the daemon's work mid-way (in a watch
 * hook) while a second request runs, which may finish first or wait for the held one. */
struct fx_done {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
};
#define FX_DONE_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false}
void fx_done_signal(struct fx_done *d);
void fx_done_wait(struct fx_done *d, int ms); /* until signalled, or ms at most */

/* What the kernel was told to drop (the watcher's inval callback: record, with &rec). */
struct inval_rec {
    pthread_mutex_t lock;
    size_t n;
    struct {
        uint64_t parent;
        char name[80];
    } v[4096];
};
extern struct inval_rec rec;
void record(void *ctx, uint64_t parent, const char *name);
void rec_clear(void);
/* Was (parent, name) invalidated? name NULL: the inode itself. */
bool recorded(uint64_t parent, const char *name);
bool wait_recorded(uint64_t parent, const char *name);

#endif
