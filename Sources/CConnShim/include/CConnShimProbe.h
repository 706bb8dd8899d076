/*
 * What `connbench probe` needs in C: a connect() made by a child process under another
 * credential (the EACCES scenarios need a caller that is not root, since root passes every
 * permission check).
 */
#ifndef CCONNSHIM_PROBE_H
#define CCONNSHIM_PROBE_H

#include <sys/socket.h>

/* Steps the child reports, so the parent can say which call failed. */
#define CBS_PROBE_STEP_SETGROUPS 1
#define CBS_PROBE_STEP_SETGID 2
#define CBS_PROBE_STEP_SETUID 3
#define CBS_PROBE_STEP_SOCKET 4
#define CBS_PROBE_STEP_CONNECT 5

/*
 * fork()s a child that (when running as root) drops to uid/gid with no supplementary
 * groups, makes a blocking stream socket of addr's family and connects it to addr, then
 * writes {step, errno} to a pipe and _exit()s. The child calls only async-signal-safe
 * functions. The parent reads the report and waitpid()s the child before returning, so no
 * child is left behind.
 *
 * Returns 0 with *step and *child_errno filled in (child_errno 0: the connect succeeded), or
 * -1 with errno set when pipe, fork, read or waitpid failed.
 */
int cbs_probe_connect_as(const struct sockaddr *addr, socklen_t len, unsigned uid, unsigned gid,
                         int *step, int *child_errno);

#endif
