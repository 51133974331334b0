/* push.c - the pusher: a container's other files into the kernel's page cache (push.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "push.h"

#define MAX_SIBLINGS (BFS_FILE_COUNT - 1)
/* Store jobs waiting for the pusher. */
#define JOBS_CAP 64
/* How long a READ waits for its siblings' stores before it is answered anyway: a store waits
 * only for the page lock of a READ of that sibling another process sent meanwhile, which
 * another request thread answers. */
#define WAIT_NS (5 * 1000 * 1000L)
/* One trigger in PROBE_EVERY is a probe; the pusher pushes while one of the last
 * PROBE_WINDOW probes had a sibling read. */
#define PROBE_EVERY 8
#define PROBE_WINDOW 4
/* Bigger files are left to READ (a store is one message holding the whole file). */
#define PUSH_MAX_BYTES (1024 * 1024)

struct job {
    uint64_t ino[MAX_SIBLINGS];
    size_t n;
};

struct bfs_push {
    struct bfs_tree *tree;
    struct fuse_session *se;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    bool stop;
    struct job jobs[JOBS_CAP];
    size_t head, len;
    uint64_t queued_seq, done_seq; /* jobs are done in order */
    /* adaptivity */
    bool on;
    uint64_t since_probe;
    struct job probes[PROBE_WINDOW];
    bool probe_read[PROBE_WINDOW];
    size_t next_probe, nprobes;
};

static int store(struct bfs_push *p, uint64_t ino, const char *data, size_t len)
{
    struct fuse_bufvec bv = FUSE_BUFVEC_INIT(len);

    bv.buf[0].mem = (void *)data;
    return fuse_lowlevel_notify_store(p->se, ino, 0, &bv, 0);
}

/* Store one file's bytes: those a READ of this inode would be answered with. A file that
 * failed (EIO) or can no longer be made (ESTALE) is left alone: its READ will say. */
static int push_one(struct bfs_push *p, uint64_t ino)
{
    const char *data;
    size_t len;
    struct bfs_pin *pin;
    int r = bfs_read_ino(p->tree, ino, &data, &len, &pin);

    if (r < 0)
        return r;
    r = len > PUSH_MAX_BYTES ? -EFBIG : store(p, ino, data, len);
    if (r == 0)
        bfs_read_unpin_whole(p->tree, pin, ino);
    else
        bfs_read_unpin(p->tree, pin);
    return r;
}

/* A store the kernel refuses (ENOENT: it forgot the inode meanwhile) or a file that cannot
 * be pushed only means its READ comes to the daemon after all. */
static void push_job(struct bfs_push *p, const struct job *job)
{
    for (size_t i = 0; i < job->n; i++)
        (void)push_one(p, job->ino[i]);
}

static void *push_thread(void *arg)
{
    struct bfs_push *p = arg;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct job job;
        while (!p->stop && p->len == 0)
            pthread_cond_wait(&p->work, &p->lock);
        if (p->stop)
            break;
        job = p->jobs[p->head];
        p->head = (p->head + 1) % JOBS_CAP;
        p->len--;
        pthread_mutex_unlock(&p->lock);
        push_job(p, &job);
        pthread_mutex_lock(&p->lock);
        p->done_seq++;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int bfs_push_start(struct bfs_tree *t, struct fuse_session *se, struct bfs_push **out)
{
    struct bfs_push *p = calloc(1, sizeof(*p));
    pthread_condattr_t ca;
    int r;

    *out = NULL;
    if (!p)
        return -ENOMEM;
    p->tree = t;
    p->se = se;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->done, &ca);
    pthread_condattr_destroy(&ca);
    r = pthread_create(&p->thread, NULL, push_thread, p);
    if (r != 0) {
        pthread_cond_destroy(&p->done);
        pthread_cond_destroy(&p->work);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return -r;
    }
    *out = p;
    return 0;
}

/* Answer requests while the pusher finishes: a store it is in may wait for the page lock of
 * a READ the kernel still has queued (the session loop has ended), and only the READ's reply
 * releases it. */
void bfs_push_stop(struct bfs_push *p)
{
    struct fuse_buf fbuf = {.mem = NULL};
    int fd;

    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
    fd = fuse_session_fd(p->se);
    for (int tries = 0; tries < 250; tries++) { /* 5 s at most */
        struct timespec ts;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (pthread_timedjoin_np(p->thread, NULL, &ts) == 0) {
            free(fbuf.mem);
            pthread_cond_destroy(&p->done);
            pthread_cond_destroy(&p->work);
            pthread_mutex_destroy(&p->lock);
            free(p);
            return;
        }
        if (fd >= 0 && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) &&
            fuse_session_receive_buf(p->se, &fbuf) > 0)
            fuse_session_process_buf(p->se, &fbuf);
    }
    free(fbuf.mem);
    bfs_log("the pusher did not stop within 5 s: leaving it behind"); /* and its memory */
}

/* A READ of a probe's sibling: files of containers are read together, push them. Called
 * with the lock held. */
static void probe_check(struct bfs_push *p, uint64_t ino)
{
    for (size_t k = 0; k < p->nprobes; k++)
        for (size_t i = 0; i < p->probes[k].n; i++)
            if (p->probes[k].ino[i] == ino) {
                p->probe_read[k] = true;
                p->on = true;
            }
}

/* Whether these siblings are pushed; if not, they are a probe. Called with the lock held. */
static bool push_or_probe(struct bfs_push *p, const struct job *j)
{
    bool any = false;

    if (p->on && ++p->since_probe < PROBE_EVERY)
        return true;
    p->since_probe = 0;
    p->probes[p->next_probe] = *j;
    p->probe_read[p->next_probe] = false;
    p->next_probe = (p->next_probe + 1) % PROBE_WINDOW;
    if (p->nprobes < PROBE_WINDOW)
        p->nprobes++;
    for (size_t k = 0; k < p->nprobes; k++)
        any |= p->probe_read[k];
    /* A full window of probes whose siblings nobody read: one file of each is read. */
    if (p->nprobes == PROBE_WINDOW && !any)
        p->on = false;
    return false;
}

void bfs_push_read(struct bfs_push *p, uint64_t ino)
{
    struct job j = {.n = 0};
    struct timespec until;
    uint64_t seq;
    bool push;

    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    probe_check(p, ino);
    pthread_mutex_unlock(&p->lock);
    j.n = bfs_file_siblings(p->tree, ino, false, j.ino, MAX_SIBLINGS);
    if (j.n == 0)
        return;
    pthread_mutex_lock(&p->lock);
    push = push_or_probe(p, &j);
    pthread_mutex_unlock(&p->lock);
    if (!push)
        return;
    /* claim them: whoever reads them first from now on gets them from the kernel's cache */
    j.n = bfs_file_siblings(p->tree, ino, true, j.ino, MAX_SIBLINGS);
    if (j.n == 0)
        return;
    pthread_mutex_lock(&p->lock);
    if (p->len == JOBS_CAP) { /* far behind: these are read the usual way */
        pthread_mutex_unlock(&p->lock);
        return;
    }
    p->jobs[(p->head + p->len++) % JOBS_CAP] = j;
    seq = ++p->queued_seq;
    pthread_cond_signal(&p->work);
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += WAIT_NS;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (p->done_seq < seq && !p->stop)
        if (pthread_cond_timedwait(&p->done, &p->lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&p->lock);
}
