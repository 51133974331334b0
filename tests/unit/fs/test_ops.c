/* fs/ops.c and fs/push.c linked into a test: the operations table the daemon hands libfuse. */
#include <criterion/criterion.h>

#include "ops.h"
#include "push.h"

Test(ops, every_request_the_mount_can_send_has_a_handler)
{
    cr_assert_not_null(bfs_ops.init);
    cr_assert_not_null(bfs_ops.lookup);
    cr_assert_not_null(bfs_ops.forget);
    cr_assert_not_null(bfs_ops.forget_multi);
    cr_assert_not_null(bfs_ops.getattr);
    cr_assert_not_null(bfs_ops.readlink);
    cr_assert_not_null(bfs_ops.opendir);
    cr_assert_not_null(bfs_ops.readdir);
    cr_assert_not_null(bfs_ops.readdirplus);
    cr_assert_not_null(bfs_ops.releasedir);
    cr_assert_not_null(bfs_ops.open);
    cr_assert_not_null(bfs_ops.read);
    cr_assert_not_null(bfs_ops.release);
    cr_assert_not_null(bfs_ops.statfs);
    /* what would write answers EROFS (the daemon says it too, in case of a remount) */
    cr_assert_not_null(bfs_ops.setattr);
    cr_assert_not_null(bfs_ops.write);
    cr_assert_not_null(bfs_ops.create);
}

Test(ops, no_pusher_is_a_no_op)
{
    bfs_push_read(NULL, 42); /* push.h: p may be NULL */
    bfs_push_stop(NULL);
}
