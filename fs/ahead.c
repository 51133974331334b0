/* ahead.c - readahead: the next containers of a walk made before they are asked for.
 *
 * A walk of the mount (find, ls -R, cat <every container>/<file>, a runtime scanning bundles)
 * asks for containers in the root's listing order, one after the other, and each first ask
 * waits for a generation while the machine's other cores idle. When the container a request
 * asks for is the one after the previous one in the root's current listing, a thread of the
 * tree's own makes the next AHEAD_DEPTH containers (what a listing of their folders would
 * make: their version, watched, with its bytes), so the walk finds them made. A jump anywhere
 * else starts no readahead; a request for a container being made waits for that generation
 * instead of starting another (ctr_current_locked). The bytes go to the bounded cache like any. */
#include <errno.h>
#include <string.h>

#include "tree_internal.h"

/* A request asks for container c (called locked). */
void ahead_note_locked(struct bfs_tree *t, const struct ctr *c)
{
    tree_assert_locked(t);
    const struct idlist *ids = t->ids.cur;
    size_t idx;
    bool same_list, next;

    if (!t->ahead.running || !ids || (idx = idlist_lower_bound(ids, c->id)) == ids->n ||
        strcmp(ids->v[idx], c->id) != 0)
        return;
    same_list = t->ahead.have_last && t->ahead.last_gen == ids->gen;
    if (same_list && idx == t->ahead.last_idx)
        return; /* the same container again (its next file) */
    next = same_list && idx == t->ahead.last_idx + 1;
    t->ahead.have_last = true;
    t->ahead.last_gen = ids->gen;
    t->ahead.last_idx = idx;
    if (!next)
        return;
    t->ahead.n_want = 0;
    for (size_t k = 1; k <= AHEAD_DEPTH && idx + k < ids->n; k++)
        memcpy(t->ahead.want[t->ahead.n_want++], ids->v[idx + k], LS_ID_LEN + 1);
    pthread_cond_signal(&t->ahead.cond);
}

static void *ahead_thread(void *arg)
{
    struct bfs_tree *t = arg;

    tree_lock(t);
    while (!t->ahead.stop) {
        char id[LS_ID_LEN + 1];
        struct version *v = NULL;
        struct ctr *c;
        int r;
        if (t->ahead.n_want == 0) {
            tree_wait(t, &t->ahead.cond);
            continue;
        }
        memcpy(id, t->ahead.want[0], sizeof(id));
        memmove(t->ahead.want[0], t->ahead.want[1], (--t->ahead.n_want) * sizeof(t->ahead.want[0]));
        c = ctr_get_locked(t, id);
        if (!c || (!c->generating && version_ready_locked(t, c->cur, true, bf_mono_ns())))
            continue; /* made already */
        c->refs++;
        r = ctr_current_locked(t, c, true, &v); /* unlocked while it reads */
        if (r == 0)
            t->stats.readahead++;
        else if (r == -ENOENT && c->in_table && c->refs == 2 && !c->cur)
            ctr_remove_locked(t, c); /* gone meanwhile: nothing holds it */
        version_unref_locked(t, v);
        ctr_unref_locked(t, c);
    }
    tree_unlock(t);
    return NULL;
}

int bfs_tree_readahead(struct bfs_tree *t, bool on)
{
    int r = 0;

    tree_lock(t);
    if (on && !t->ahead.running) {
        t->ahead.stop = false;
        r = -pthread_create(&t->ahead.thread, NULL, ahead_thread, t);
        t->ahead.running = r == 0;
    } else if (!on && t->ahead.running) {
        t->ahead.stop = true;
        pthread_cond_signal(&t->ahead.cond);
        tree_unlock(t);
        pthread_join(t->ahead.thread, NULL);
        tree_lock(t);
        t->ahead.running = false;
        t->ahead.have_last = false;
        t->ahead.n_want = 0;
    }
    tree_unlock(t);
    return r;
}
