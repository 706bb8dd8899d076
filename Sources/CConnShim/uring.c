/*
 * connbench's io_uring calls (see include/CConnShimUring.h). liburing.h defines
 * _GNU_SOURCE itself, so it is included first and only here.
 */
#include <liburing.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "include/CConnShimUring.h"

#ifndef SOCKET_URING_OP_SETSOCKOPT
#define SOCKET_URING_OP_SETSOCKOPT 3
#endif

struct cbs_uring {
    struct io_uring ring;
    int enter_fd;
    unsigned enter_flags;
    struct __kernel_timespec link_ts;  /* read by the kernel at prep (submission) time */
};

struct cbs_uring *cbs_uring_create(unsigned entries, unsigned cq_entries, unsigned files, int *err, int *stage) {
    struct cbs_uring *r = calloc(1, sizeof(*r));
    if (!r) { *err = ENOMEM; *stage = 0; return NULL; }
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = cq_entries;
    int rc = io_uring_queue_init_params(entries, &r->ring, &p);
    if (rc < 0) { *err = -rc; *stage = 0; free(r); return NULL; }
    r->enter_fd = r->ring.ring_fd;
    if (io_uring_register_ring_fd(&r->ring) == 1) {
        r->enter_fd = r->ring.enter_ring_fd;
        r->enter_flags = IORING_ENTER_REGISTERED_RING;
    }
    if (files > 0 && (rc = io_uring_register_files_sparse(&r->ring, files)) < 0) {
        *err = -rc; *stage = 1;
        io_uring_queue_exit(&r->ring);
        free(r);
        return NULL;
    }
    return r;
}

void cbs_uring_destroy(struct cbs_uring *r) {
    if (!r) return;
    io_uring_queue_exit(&r->ring);  /* cancels what is in flight, closes fixed files */
    free(r);
}

int cbs_uring_supports(struct cbs_uring *r, int op) {
    struct io_uring_probe *probe = io_uring_get_probe_ring(&r->ring);
    if (!probe) return -EOPNOTSUPP;
    int ok = op <= probe->last_op && (probe->ops[op].flags & IO_URING_OP_SUPPORTED);
    io_uring_free_probe(probe);
    return ok ? 1 : 0;
}

int cbs_uring_enter(struct cbs_uring *r, unsigned wait_for, int64_t timeout_ns) {
    struct io_uring_sq *sq = &r->ring.sq;
    unsigned tail = sq->sqe_tail;
    if (sq->sqe_head != tail) {
        sq->sqe_head = tail;
        io_uring_smp_store_release(sq->ktail, tail);
    }
    unsigned to_submit = tail - *sq->khead;
    unsigned flags = r->enter_flags;
    struct __kernel_timespec ts;
    struct io_uring_getevents_arg arg;
    memset(&arg, 0, sizeof(arg));
    void *argp = NULL;
    size_t argsz = 0;
    if (wait_for) {
        flags |= IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
        if (timeout_ns >= 0) {
            ts.tv_sec = timeout_ns / 1000000000;
            ts.tv_nsec = timeout_ns % 1000000000;
            arg.ts = (uint64_t)(uintptr_t)&ts;
        }
        argp = &arg;
        argsz = sizeof(arg);
    } else if (to_submit == 0) {
        /* Nothing to submit: still enter, so that completions waiting as task work
         * (COOP_TASKRUN runs them on the next kernel entry) are posted. */
        flags |= IORING_ENTER_GETEVENTS;
    }
    long rc = syscall(__NR_io_uring_enter, r->enter_fd, to_submit, wait_for, flags, argp, argsz);
    return rc < 0 ? -errno : (int)rc;
}

/* A free SQE; when the SQ is full, what is queued is submitted first (no wait). */
static inline struct io_uring_sqe *next_sqe(struct cbs_uring *r) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
    if (!sqe) {
        cbs_uring_enter(r, 0, 0);
        sqe = io_uring_get_sqe(&r->ring);
    }
    return sqe;
}

int cbs_uring_prep_socket_direct(struct cbs_uring *r, int domain, int type, unsigned slot, uint64_t ud, unsigned flags) {
    struct io_uring_sqe *sqe = next_sqe(r);
    if (!sqe) return -EBUSY;
    io_uring_prep_socket_direct(sqe, domain, type, 0, slot, 0);
    sqe->flags |= (uint8_t)flags;
    sqe->user_data = ud;
    return 0;
}

int cbs_uring_prep_setsockopt(struct cbs_uring *r, unsigned slot, int level, int name, const void *value, int length, uint64_t ud, unsigned flags) {
    struct io_uring_sqe *sqe = next_sqe(r);
    if (!sqe) return -EBUSY;
    /* The kernel's layout: cmd_op = low half of off, level/optname = addr,
     * optlen = file_index, optval = addr3. */
    io_uring_prep_rw(IORING_OP_URING_CMD, sqe, (int)slot, NULL, 0, 0);
    sqe->off = SOCKET_URING_OP_SETSOCKOPT;
    sqe->addr = ((uint64_t)(uint32_t)name << 32) | (uint32_t)level;
    sqe->file_index = (uint32_t)length;
    sqe->addr3 = (uint64_t)(uintptr_t)value;
    sqe->flags |= (uint8_t)(flags | IOSQE_FIXED_FILE);
    sqe->user_data = ud;
    return 0;
}

int cbs_uring_prep_bind(struct cbs_uring *r, unsigned slot, const struct sockaddr *addr, socklen_t length, uint64_t ud, unsigned flags) {
    struct io_uring_sqe *sqe = next_sqe(r);
    if (!sqe) return -EBUSY;
    /* IORING_OP_BIND (6.11+): addr, addr2 = length. */
    io_uring_prep_rw(CBS_OP_BIND, sqe, (int)slot, addr, 0, length);
    sqe->flags |= (uint8_t)(flags | IOSQE_FIXED_FILE);
    sqe->user_data = ud;
    return 0;
}

int cbs_uring_prep_connect(struct cbs_uring *r, unsigned slot, const struct sockaddr *addr, socklen_t length, uint64_t ud, unsigned flags) {
    struct io_uring_sqe *sqe = next_sqe(r);
    if (!sqe) return -EBUSY;
    io_uring_prep_connect(sqe, (int)slot, addr, length);
    sqe->flags |= (uint8_t)(flags | IOSQE_FIXED_FILE);
    sqe->user_data = ud;
    return 0;
}

int cbs_uring_prep_link_timeout(struct cbs_uring *r, uint64_t timeout_ns, uint64_t ud, unsigned flags) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);  /* must follow its op: no flush here */
    if (!sqe) return -EBUSY;
    r->link_ts.tv_sec = (long long)(timeout_ns / 1000000000u);
    r->link_ts.tv_nsec = (long long)(timeout_ns % 1000000000u);
    io_uring_prep_link_timeout(sqe, &r->link_ts, 0);
    sqe->flags |= (uint8_t)flags;
    sqe->user_data = ud;
    return 0;
}

int cbs_uring_prep_timer_at(struct cbs_uring *r, const struct cbs_timespec *deadline, uint64_t ud, unsigned flags) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);  /* after cbs_uring_reserve: its cancel must follow */
    if (!sqe) return -EBUSY;
    /* The kernel copies the timespec at submission; ETIME_SUCCESS lets the link go on to
     * the cancel when the timer fires (an expiry is otherwise a failure that breaks it). */
    io_uring_prep_timeout(sqe, (struct __kernel_timespec *)(uintptr_t)deadline, 0,
                          IORING_TIMEOUT_ABS | IORING_TIMEOUT_ETIME_SUCCESS);
    sqe->flags |= (uint8_t)flags;
    sqe->user_data = ud;
    return 0;
}

int cbs_uring_prep_cancel(struct cbs_uring *r, uint64_t target_ud, uint64_t ud, unsigned flags) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);  /* the link's second SQE: no flush */
    if (!sqe) return -EBUSY;
    io_uring_prep_cancel64(sqe, target_ud, 0);
    sqe->flags |= (uint8_t)flags;
    sqe->user_data = ud;
    return 0;
}

int cbs_uring_prep_connect_fd(struct cbs_uring *r, int fd, const struct sockaddr *addr, socklen_t length, uint64_t ud, unsigned flags) {
    struct io_uring_sqe *sqe = next_sqe(r);
    if (!sqe) return -EBUSY;
    io_uring_prep_connect(sqe, fd, addr, length);
    sqe->flags |= (uint8_t)flags;
    sqe->user_data = ud;
    return 0;
}

int cbs_uring_prep_close_fd(struct cbs_uring *r, int fd, uint64_t ud, unsigned flags) {
    struct io_uring_sqe *sqe = next_sqe(r);
    if (!sqe) return -EBUSY;
    io_uring_prep_close(sqe, fd);
    sqe->flags |= (uint8_t)flags;
    sqe->user_data = ud;
    return 0;
}

int cbs_uring_prep_close_direct(struct cbs_uring *r, unsigned slot, uint64_t ud, unsigned flags) {
    struct io_uring_sqe *sqe = next_sqe(r);
    if (!sqe) return -EBUSY;
    io_uring_prep_close_direct(sqe, slot);
    sqe->flags |= (uint8_t)flags;
    sqe->user_data = ud;
    return 0;
}

unsigned cbs_uring_queued(struct cbs_uring *r) { return io_uring_sq_ready(&r->ring); }

unsigned cbs_uring_reap(struct cbs_uring *r, uint64_t *user_data, int32_t *res, unsigned max) {
    unsigned head, n = 0;
    struct io_uring_cqe *cqe;
    io_uring_for_each_cqe(&r->ring, head, cqe) {
        if (n == max) break;
        user_data[n] = cqe->user_data;
        res[n] = cqe->res;
        n++;
    }
    io_uring_cq_advance(&r->ring, n);
    return n;
}

int cbs_uring_reserve(struct cbs_uring *r, unsigned n) {
    if (io_uring_sq_space_left(&r->ring) >= n) return 0;
    int rc = cbs_uring_enter(r, 0, 0);
    return rc < 0 ? rc : 0;
}
