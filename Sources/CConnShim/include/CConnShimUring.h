/*
 * io_uring for connbench's UringDriver: plain functions over an opaque ring, because
 * liburing.h (it defines _GNU_SOURCE) cannot be imported next to SwiftGlibc. Each prep
 * function queues one SQE (submitting what is queued first when the SQ is full) and
 * returns 0, or -errno. No liburing type appears here.
 */
#ifndef CCONNSHIM_URING_H
#define CCONNSHIM_URING_H

#include <stdint.h>
#include <sys/socket.h>

struct cbs_uring;

/* IOSQE_* flags, spelled out so Swift need not see liburing's headers. */
#define CBS_SQE_FIXED_FILE 1u
#define CBS_SQE_IO_LINK 4u
#define CBS_SQE_IO_HARDLINK 8u
#define CBS_SQE_CQE_SKIP_SUCCESS 64u

/* Opcodes the driver needs (kernel numbering; BIND is newer than liburing 2.3). */
#define CBS_OP_CONNECT 16
#define CBS_OP_CLOSE 19
#define CBS_OP_LINK_TIMEOUT 15
#define CBS_OP_SOCKET 45
#define CBS_OP_URING_CMD 46
#define CBS_OP_BIND 56

/* A ring of `entries` SQEs (SINGLE_ISSUER | COOP_TASKRUN, CQ of `cq_entries`), its fd
 * registered, with `files` sparse fixed-file slots. NULL and *err = errno on failure;
 * *stage says which call failed (0 io_uring_setup, 1 register files). */
struct cbs_uring *cbs_uring_create(unsigned entries, unsigned cq_entries, unsigned files, int *err, int *stage);
void cbs_uring_destroy(struct cbs_uring *r);
/* 1 when the kernel supports `op`, 0 when not, -errno when the probe failed. */
int cbs_uring_supports(struct cbs_uring *r, int op);

int cbs_uring_prep_socket_direct(struct cbs_uring *r, int domain, int type, unsigned slot, uint64_t ud, unsigned flags);
/* SOCKET_URING_OP_SETSOCKOPT by IORING_OP_URING_CMD on a fixed file (kernel 6.7+);
 * liburing 2.3 has no helper, so the SQE is filled by hand. `value` must stay valid
 * until submission. */
int cbs_uring_prep_setsockopt(struct cbs_uring *r, unsigned slot, int level, int name, const void *value, int length, uint64_t ud, unsigned flags);
int cbs_uring_prep_bind(struct cbs_uring *r, unsigned slot, const struct sockaddr *addr, socklen_t length, uint64_t ud, unsigned flags);
int cbs_uring_prep_connect(struct cbs_uring *r, unsigned slot, const struct sockaddr *addr, socklen_t length, uint64_t ud, unsigned flags);
/* Linked to the SQE queued just before it (which must carry CBS_SQE_IO_LINK). */
int cbs_uring_prep_link_timeout(struct cbs_uring *r, uint64_t timeout_ns, uint64_t ud, unsigned flags);
/* __kernel_timespec's layout, for a timer's deadline (CLOCK_MONOTONIC). */
struct cbs_timespec { int64_t tv_sec; int64_t tv_nsec; };
/* IORING_OP_TIMEOUT at an absolute CLOCK_MONOTONIC deadline, linked (flags) to the
 * IORING_OP_ASYNC_CANCEL queued right after it; call cbs_uring_reserve(2) first. */
int cbs_uring_prep_timer_at(struct cbs_uring *r, const struct cbs_timespec *deadline, uint64_t ud, unsigned flags);
/* IORING_OP_ASYNC_CANCEL of the request whose user_data is target_ud. */
int cbs_uring_prep_cancel(struct cbs_uring *r, uint64_t target_ud, uint64_t ud, unsigned flags);
/* The same on an ordinary descriptor (a socket made by socket(2), when this kernel cannot
 * set its options or bind it through the ring). */
int cbs_uring_prep_connect_fd(struct cbs_uring *r, int fd, const struct sockaddr *addr, socklen_t length, uint64_t ud, unsigned flags);
int cbs_uring_prep_close_fd(struct cbs_uring *r, int fd, uint64_t ud, unsigned flags);
int cbs_uring_prep_close_direct(struct cbs_uring *r, unsigned slot, uint64_t ud, unsigned flags);
/* Room for `n` SQEs, so a linked chain is never split across two submissions (the
 * kernel ends a chain at the end of a submission): submits what is queued if needed. */
int cbs_uring_reserve(struct cbs_uring *r, unsigned n);
/* SQEs queued and not yet submitted. */
unsigned cbs_uring_queued(struct cbs_uring *r);
/* One io_uring_enter: submits what is queued and, when wait_for is nonzero, waits for
 * that many completions or timeout_ns (<0: no limit). Returns >= 0, or -errno (-ETIME
 * and -EINTR are normal answers). */
int cbs_uring_enter(struct cbs_uring *r, unsigned wait_for, int64_t timeout_ns);
/* Copies up to `max` completions (user_data, res) out of the CQ and frees their entries. */
unsigned cbs_uring_reap(struct cbs_uring *r, uint64_t *user_data, int32_t *res, unsigned max);

#endif
