/*
 * C views of what Swift's Glibc module does not carry: epoll, and the GNU-only calls
 * connbench needs (accept4, epoll_pwait2, CPU affinity, unshare/setns, link flags).
 *
 * No _GNU_SOURCE here: defining it in a header imported by Swift breaks clean builds
 * (fd_set loses __fds_bits). The GNU calls are wrapped in shim.c, which defines it for
 * itself, and exposed with plain types. Each wrapper returns what the call returned
 * (-1 and errno on failure); the Swift syscall layer reads errno.
 */
#ifndef CCONNSHIM_H
#define CCONNSHIM_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

/* Socket options newer than some libc headers. */
#define CBS_IP_BIND_ADDRESS_NO_PORT 24
#define CBS_IP_LOCAL_PORT_RANGE 51
#define CBS_TCP_USER_TIMEOUT 18
#define CBS_TCP_SYNCNT 7

/* CLOCK_MONOTONIC in nanoseconds: inline so the hot path pays only the vDSO call. */
static inline uint64_t cbs_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* This thread's CPU time in nanoseconds. Not in the vDSO: a real syscall (~0.5 µs here). */
static inline uint64_t cbs_thread_clock_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t cbs_realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* epoll_event is packed; Swift imports it with a 12-byte stride. Reading fields through
 * these keeps Swift from guessing at the layout. */
static inline uint64_t cbs_event_data(const struct epoll_event *events, int i) {
    return events[i].data.u64;
}
static inline uint32_t cbs_event_flags(const struct epoll_event *events, int i) {
    return events[i].events;
}
static inline int cbs_epoll_add(int ep, int fd, uint32_t flags, uint64_t data) {
    struct epoll_event ev;
    ev.events = flags;
    ev.data.u64 = data;
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}
static inline int cbs_epoll_del(int ep, int fd) {
    struct epoll_event ev;
    ev.events = 0;
    ev.data.u64 = 0;
    return epoll_ctl(ep, EPOLL_CTL_DEL, fd, &ev);
}
static inline size_t cbs_epoll_event_size(void) { return sizeof(struct epoll_event); }

/* epoll_pwait2 with a nanosecond timeout; timeout_ns < 0 waits forever. */
int cbs_epoll_wait_ns(int ep, struct epoll_event *events, int max, int64_t timeout_ns);

int cbs_accept4(int fd, int flags);
int cbs_sched_getcpu(void);

/* Pin the calling thread to one CPU (sched_setaffinity on tid 0). */
int cbs_pin_self(int cpu);
/* The CPUs this process may run on, ascending; returns how many, or -1. */
int cbs_allowed_cpus(int *out, int max);

/* Network namespaces: unshare the calling thread's, or join one by fd. */
int cbs_unshare_net(void);
int cbs_setns_net(int fd);

/* Set or clear IFF_UP on an interface through an AF_INET datagram socket. */
int cbs_set_link_up(const char *name, int up);

/* rtnetlink, in the calling thread's namespace (netlink.c); -1 with errno from the
 * kernel's ack on failure.
 * A veth pair NAME <-> PEER_NAME; the peer is created in the namespace open at
 * peer_netns_fd (or beside NAME when it is < 0). */
int cbs_veth_create(const char *name, const char *peer_name, int peer_netns_fd);
/* ADDR (4 bytes for AF_INET, 16 for AF_INET6) / prefix on an interface; IPv6 without DAD. */
int cbs_addr_add(const char *ifname, int family, const void *addr, int prefix);
/* A root netem qdisc adding delay_ns to every packet the interface sends. */
int cbs_qdisc_add_netem(const char *ifname, uint64_t delay_ns);

/* Timer slack of the calling thread in ns (prctl PR_SET_TIMERSLACK). The default 50 µs
 * would make every scheduled wake-up of an open-loop worker that much late. */
int cbs_set_timer_slack(unsigned long ns);

/* Ask for SIGKILL when the thread that created this process ends (prctl PR_SET_PDEATHSIG):
 * a hold part must not outlive the supervisor that would close its connections. */
int cbs_set_parent_death_signal(int sig);

/* The calling thread's kernel id (gettid): what tracepoints call pid and bpftrace calls tid.
 * Swift's Glibc module does not declare it. */
int cbs_gettid(void);

/* The calling thread's CPU time in nanoseconds (RUSAGE_THREAD), or 0. */
uint64_t cbs_thread_cpu_ns(void);

/* The errno name glibc knows (strerrorname_np), or NULL. */
const char *cbs_errno_name(int e);

/* renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE): swaps two paths atomically. */
int cbs_rename_exchange(const char *a, const char *b);

#endif
