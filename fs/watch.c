/* watch.c - the inotify watcher thread (see watch.h). */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "hex.h"
#include "bf_util.h"
#include "htab.h"
#include "jarena.h"
#include "watch.h"

#define WATCH_MASK                                                                                 \
    (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM |              \
     IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define ROOT_CHECK_MS 1000
#define SWEEP_MS 250 /* bfs_tree_sweep walks every container: not on every event batch */
/* Free memory inside malloc's heaps (every worker thread has its own arena) goes back to the
 * kernel this often, so resident memory follows what is live after churn, not its high mark. */
#define TRIM_MS 10000

static volatile sig_atomic_t stats_requested;

void bfs_watch_request_stats(void)
{
    stats_requested = 1;
}

/* The figures that say whether memory follows what is live (the churn test reads them);
 * "malloc in use" counts jansson's chunks (jarena.h) too. */
static void log_stats(struct bfs_tree *t)
{
    struct bfs_stats st;
    struct mallinfo2 mi = mallinfo2();

    bfs_tree_stats(t, &st);
    bfs_log("stats: containers %zu, kernel inodes %zu, versions made %llu, generations %llu, "
            "cache %zu bytes, retained %zu bytes, trims %llu, malloc in use %zu bytes",
            st.containers, st.nodes, (unsigned long long)st.versions,
            (unsigned long long)st.generations, st.cache_bytes, st.retained_bytes,
            (unsigned long long)st.trims, mi.uordblks + mi.hblkhd + ja_bytes_in_use());
}

#define ID_BYTES 32 /* a 64-hex folder name */

/* A watched folder. Its path (rel) is its parent's, the watched folder it is in (parent,
 * referenced), and its name: ID_BYTES bytes when it is 64 lowercase hex digits (an ID: most
 * folders), else the text. Folders are watched parents first, so the parent is there but for
 * one of the data-root's own entries (and the data-root itself) and a parent watched under
 * another name: those have no parent and their whole rel as their name. An entry dropped from
 * the tables lives on while a child refers to it. */
struct wentry {
    struct hlink by_rel;    /* keyed by bfs_hash(rel) */
    struct hlink by_wd;     /* keyed by wd */
    struct wentry *parent;
    unsigned refs;          /* the tables' while in them, and one per child */
    int wd;
    bool id;
    unsigned char name[];
};

struct bfs_watch {
    struct bfs_tree *t;
    int ifd;
    int stop[2];
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    struct htab rels, wds;
    bool limit_logged;
    bfs_inval_fn inval;
    void *ctx;
};

#define ENTRY_OF_REL(l) ((struct wentry *)(l))
#define ENTRY_OF_WD(l) ((struct wentry *)((char *)(l)-offsetof(struct wentry, by_wd)))

/* rel's parent (len bytes, none when *name == rel) and name. */
static void split_rel(const char *rel, size_t *len, const char **name)
{
    const char *slash = strrchr(rel, '/');
    *len = slash ? (size_t)(slash - rel) : 0;
    *name = slash ? slash + 1 : rel;
}

/* e's path into buf (PATH_MAX bytes: it was a path that fit when watched); the length. */
static size_t rel_into(const struct wentry *e, char *buf)
{
    size_t n = 0;

    if (e->parent) {
        n = rel_into(e->parent, buf);
        buf[n++] = '/';
    }
    if (e->id) {
        hex_encode(e->name, ID_BYTES, buf + n);
        n += 2 * ID_BYTES;
        buf[n] = '\0';
    } else {
        size_t k = strlen((const char *)e->name);
        memcpy(buf + n, e->name, k + 1);
        n += k;
    }
    return n;
}

static const char *rel_of(const struct wentry *e, char *buf)
{
    rel_into(e, buf);
    return buf;
}

/* Is e's path the first len bytes of rel? */
static bool entry_is_n(const struct wentry *e, const char *rel, size_t rlen)
{
    const char *slash = memrchr(rel, '/', rlen);
    const char *name = e->parent && slash ? slash + 1 : rel;
    size_t nlen = rlen - (size_t)(name - rel);
    uint8_t id[ID_BYTES];

    if (e->parent && !slash)
        return false;
    if (e->id) {
        if (!hex_decode(name, nlen, id, sizeof(id)) || memcmp(id, e->name, sizeof(id)) != 0)
            return false;
    } else if (strlen((const char *)e->name) != nlen || memcmp(e->name, name, nlen) != 0) {
        return false;
    }
    return !e->parent || entry_is_n(e->parent, rel, (size_t)(slash - rel));
}

/* The entry of the first len bytes of rel. */
static struct wentry *find_rel_n(struct bfs_watch *w, const char *rel, size_t len)
{
    uint64_t h = bfs_hash(rel, len);
    for (struct hlink *l = htab_first(&w->rels, h); l; l = l->next)
        if (l->hash == h && entry_is_n(ENTRY_OF_REL(l), rel, len))
            return ENTRY_OF_REL(l);
    return NULL;
}

static struct wentry *find_rel(struct bfs_watch *w, const char *rel)
{
    return find_rel_n(w, rel, strlen(rel));
}

/* A new entry for rel (not in the tables yet; its one reference is theirs), or NULL when out
 * of memory. */
static struct wentry *entry_new(struct bfs_watch *w, const char *rel)
{
    const char *name;
    size_t len, nlen;
    uint8_t id[ID_BYTES];
    struct wentry *parent = NULL, *e;
    bool is_id;

    split_rel(rel, &len, &name);
    if (name != rel && !(parent = find_rel_n(w, rel, len)))
        name = rel; /* watched under another name: the whole path, as a top-level one */
    nlen = strlen(name);
    is_id = hex_decode(name, nlen, id, sizeof(id));
    e = calloc(1, sizeof(*e) + (is_id ? sizeof(id) : nlen + 1));
    if (!e)
        return NULL;
    e->refs = 1;
    e->parent = parent;
    if (parent)
        parent->refs++;
    e->id = is_id;
    memcpy(e->name, is_id ? (const void *)id : (const void *)name, is_id ? sizeof(id) : nlen + 1);
    return e;
}

static struct wentry *find_wd(struct bfs_watch *w, int wd)
{
    for (struct hlink *l = htab_first(&w->wds, (uint64_t)wd); l; l = l->next)
        if (l->hash == (uint64_t)wd && ENTRY_OF_WD(l)->wd == wd)
            return ENTRY_OF_WD(l);
    return NULL;
}

static void entry_unref(struct wentry *e)
{
    while (e && --e->refs == 0) {
        struct wentry *parent = e->parent;
        free(e);
        e = parent;
    }
}

static void drop_entry(struct bfs_watch *w, struct wentry *e)
{
    htab_del(&w->rels, &e->by_rel);
    htab_del(&w->wds, &e->by_wd);
    entry_unref(e);
}

/* Watch `rel` and its parents. Called with w->lock held. */
static int add_locked(struct bfs_watch *w, const char *rel)
{
    struct bf_error err = BF_ERROR_INIT;
    char proc[64], *parent;
    const char *slash;
    struct wentry *e;
    int fd, wd, r;
    bool added = false;

    if (find_rel(w, rel))
        return 0;
    if (*rel) { /* parents first: a parent being replaced must be seen too */
        slash = strrchr(rel, '/');
        parent = strndup(rel, slash ? (size_t)(slash - rel) : 0);
        if (!parent)
            return -ENOMEM;
        r = add_locked(w, parent);
        free(parent);
        if (r < 0)
            return r;
        added = r > 0;
    }
    /* Open without following links, then watch what was opened (through /proc): a link
     * planted in the data-root can never make us watch a folder outside it. */
    fd = bfs_tree_open_dir(w->t, rel, &err);
    if (fd < 0) {
        bf_error_clear(&err);
        /* A folder that does not exist (yet) is covered by its parent's watch: its creation
         * is an event there. */
        return fd == -ENOENT || fd == -ENOTDIR ? added : fd;
    }
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    wd = inotify_add_watch(w->ifd, proc, WATCH_MASK);
    r = -errno;
    close(fd);
    if (wd < 0) {
        if ((r == -ENOSPC || r == -ENOMEM) && !w->limit_logged) {
            bfs_log("inotify: cannot watch more folders (%s; see fs.inotify.max_user_watches): "
                    "the rest are re-checked when read, at most once a second",
                    strerror(-r));
            w->limit_logged = true;
        }
        return r;
    }
    e = find_wd(w, wd); /* the same folder under another name: keep the first */
    if (e)
        return added;
    e = entry_new(w, rel);
    if (!e)
        return -ENOMEM;
    e->wd = wd;
    if (htab_add(&w->rels, &e->by_rel, bfs_hash(rel, strlen(rel))) < 0) {
        entry_unref(e);
        return -ENOMEM;
    }
    if (htab_add(&w->wds, &e->by_wd, (uint64_t)wd) < 0) {
        htab_del(&w->rels, &e->by_rel);
        entry_unref(e);
        return -ENOMEM;
    }
    return 1;
}

static int watch_add(void *ctx, const char *rel)
{
    struct bfs_watch *w = ctx;
    int r;

    pthread_mutex_lock(&w->lock);
    r = add_locked(w, rel);
    pthread_mutex_unlock(&w->lock);
    return r;
}

static void clear_all(struct bfs_watch *w)
{
    pthread_mutex_lock(&w->lock);
    HTAB_FOREACH (&w->rels, p) {
        inotify_rm_watch(w->ifd, ENTRY_OF_REL(p)->wd);
        drop_entry(w, ENTRY_OF_REL(p));
    }
    pthread_mutex_unlock(&w->lock);
}

/* The folders whose changes matter before anything was generated: container creation and
 * removal, and the data-root's own entries. */
static void watch_basics(struct bfs_watch *w)
{
    watch_add(w, "containers");
}

/* The watches of folder `rel` and of every folder under it: what they watch is no longer at
 * those paths (moved, replaced, removed). Each is watched again when a bundle is generated from
 * it, and its inputs checked then; containers/ at once. Called with w->lock held. */
static bool forget_tree_locked(struct bfs_watch *w, const char *rel)
{
    size_t len = strlen(rel);
    bool basics = false;
    char buf[PATH_MAX];

    HTAB_FOREACH (&w->rels, p) {
        struct wentry *e = ENTRY_OF_REL(p);
        const char *er = rel_of(e, buf);
        if (strncmp(er, rel, len) != 0 || (er[len] && er[len] != '/' && len))
            continue;
        basics |= strcmp(er, "containers") == 0;
        inotify_rm_watch(w->ifd, e->wd);
        drop_entry(w, e);
    }
    return basics;
}

static void handle(struct bfs_watch *w, const struct inotify_event *ev)
{
    struct wentry *e;
    char *rel = NULL, buf[PATH_MAX];
    bool basics = false;

    if (ev->mask & IN_Q_OVERFLOW) {
        bfs_tree_changed_all(w->t, w->inval, w->ctx);
        return;
    }
    pthread_mutex_lock(&w->lock);
    e = find_wd(w, ev->wd);
    if (e) {
        rel = strdup(rel_of(e, buf));
        if (ev->mask & IN_IGNORED) { /* the folder went away: it is watched again when read */
            drop_entry(w, e);
        } else if (ev->mask & (IN_MOVE_SELF | IN_DELETE_SELF)) {
            /* moved away (the path may name another folder now): the table must not say
             * "watched" for it */
            if (rel)
                basics = forget_tree_locked(w, rel);
        } else if (rel && ev->len && (ev->mask & IN_ISDIR) &&
                   (ev->mask & (IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE))) {
            /* a folder in a watched one came, went or was renamed over: a watch of that name
             * watches what was there before */
            char *child = *rel ? NULL : strdup(ev->name);
            if (*rel && asprintf(&child, "%s/%s", rel, ev->name) < 0)
                child = NULL;
            if (child)
                basics = forget_tree_locked(w, child);
            else
                basics = forget_tree_locked(w, rel); /* no memory: forget more, never less */
            free(child);
        }
    }
    pthread_mutex_unlock(&w->lock);
    if (basics)
        watch_basics(w);
    if (!rel) {
        if (ev->wd >= 0 && !(ev->mask & IN_IGNORED))
            bfs_tree_changed_all(w->t, w->inval, w->ctx); /* unknown watch or no memory: be safe */
        return;
    }
    bfs_tree_changed_how(w->t, rel, ev->len ? ev->name : NULL,
                         (ev->mask & IN_CREATE) ? BFS_EV_CREATED : 0, w->inval, w->ctx);
    free(rel);
}

static void *run(void *arg)
{
    struct bfs_watch *w = arg;
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    int64_t last_sweep = 0, last_trim = (bf_mono_ns() / 1000000);

    for (;;) {
        struct pollfd p[2] = {{.fd = w->ifd, .events = POLLIN},
                              {.fd = w->stop[0], .events = POLLIN}};
        int n = poll(p, 2, ROOT_CHECK_MS);
        if (n < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (n > 0 && (p[0].revents & POLLIN)) {
            ssize_t len = read(w->ifd, buf, sizeof(buf));
            for (char *q = buf; len > 0 && q < buf + len;) {
                const struct inotify_event *ev = (const struct inotify_event *)q;
                handle(w, ev);
                q += sizeof(*ev) + ev->len;
            }
        }
        bfs_tree_names_drain(w->t, w->inval, w->ctx); /* by-name entries taken back elsewhere */
        if (stats_requested) {
            stats_requested = 0;
            log_stats(w->t);
        }
        if ((bf_mono_ns() / 1000000) - last_sweep >= SWEEP_MS) {
            bfs_tree_sweep(w->t, w->inval, w->ctx);
            last_sweep = (bf_mono_ns() / 1000000);
        }
        if ((bf_mono_ns() / 1000000) - last_trim >= TRIM_MS) {
            malloc_trim(0);
            last_trim = (bf_mono_ns() / 1000000);
        }
        if (bfs_tree_check_root(w->t)) {
            /* A new data-root: the old watches describe folders no longer in use. */
            clear_all(w);
            watch_basics(w);
            bfs_tree_changed_all(w->t, w->inval, w->ctx);
        }
    }
    return NULL;
}

int bfs_watch_start(struct bfs_tree *t, bfs_inval_fn inval, void *ctx, struct bfs_watch **out,
                    struct bf_error *err)
{
    struct bfs_watch *w = calloc(1, sizeof(*w));
    struct bfs_watch_ops ops;

    *out = NULL;
    if (!w)
        return bf_error_set(err, ENOMEM, "out of memory");
    w->t = t;
    w->inval = inval;
    w->ctx = ctx;
    w->stop[0] = w->stop[1] = -1;
    pthread_mutex_init(&w->lock, NULL);
    w->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (w->ifd < 0 || pipe2(w->stop, O_CLOEXEC) < 0) {
        int e = errno;
        bfs_watch_stop(w);
        return bf_error_set(err, e, "inotify: %s", strerror(e));
    }
    ops.add = watch_add;
    ops.ctx = w;
    bfs_tree_set_watch(t, &ops);
    watch_basics(w);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        bfs_watch_stop(w);
        return bf_error_set(err, EAGAIN, "cannot start the watcher thread");
    }
    w->started = true;
    *out = w;
    return 0;
}

void bfs_watch_stop(struct bfs_watch *w)
{
    if (!w)
        return;
    bfs_tree_set_watch(w->t, NULL);
    if (w->started) {
        char c = 0;
        if (write(w->stop[1], &c, 1) < 0) {
            /* the pipe cannot be full: one byte, written once */
        }
        pthread_join(w->thread, NULL);
    }
    clear_all(w);
    htab_free(&w->rels);
    htab_free(&w->wds);
    if (w->ifd >= 0)
        close(w->ifd);
    if (w->stop[0] >= 0)
        close(w->stop[0]);
    if (w->stop[1] >= 0)
        close(w->stop[1]);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
