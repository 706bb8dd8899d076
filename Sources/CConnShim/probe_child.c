#define _GNU_SOURCE
#include "CConnShimProbe.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void report_and_exit(int fd, int step, int err) {
    int report[2] = {step, err};
    ssize_t n;
    do {
        n = write(fd, report, sizeof(report));
    } while (n < 0 && errno == EINTR);
    _exit(0);
}

int cbs_probe_connect_as(const struct sockaddr *addr, socklen_t len, unsigned uid, unsigned gid,
                         int *step, int *child_errno) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        /* Child: async-signal-safe calls only, then _exit. */
        close(fds[0]);
        if (geteuid() == 0) {
            if (setgroups(0, NULL) != 0)
                report_and_exit(fds[1], CBS_PROBE_STEP_SETGROUPS, errno);
            if (setresgid(gid, gid, gid) != 0)
                report_and_exit(fds[1], CBS_PROBE_STEP_SETGID, errno);
            if (setresuid(uid, uid, uid) != 0)
                report_and_exit(fds[1], CBS_PROBE_STEP_SETUID, errno);
        }
        int s = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
            report_and_exit(fds[1], CBS_PROBE_STEP_SOCKET, errno);
        int rc = connect(s, addr, len);
        report_and_exit(fds[1], CBS_PROBE_STEP_CONNECT, rc == 0 ? 0 : errno);
    }
    close(fds[1]);
    int report[2] = {0, 0};
    ssize_t n;
    do {
        n = read(fds[0], report, sizeof(report));
    } while (n < 0 && errno == EINTR);
    int read_errno = errno;
    close(fds[0]);
    int status = 0;
    pid_t waited;
    do {
        waited = waitpid(pid, &status, 0);
    } while (waited < 0 && errno == EINTR);
    if (waited < 0)
        return -1;
    if (n != (ssize_t)sizeof(report)) {
        errno = n < 0 ? read_errno : EPIPE;
        return -1;
    }
    *step = report[0];
    *child_errno = report[1];
    return 0;
}
