/*
 * rtnetlink requests for the veth lab (`run --topology veth`): a veth pair with one end in
 * another namespace, an address on an interface, and a netem qdisc. Done here rather than
 * by spawning `ip`/`tc`, so that nothing outlives the run's threads and every failure comes
 * back as an errno from the kernel's own ack.
 *
 * Each request is sent on a fresh NETLINK_ROUTE socket, which belongs to the calling
 * thread's network namespace: the caller picks the namespace by the thread it calls from.
 */
#define _GNU_SOURCE
#include "CConnShim.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct nl_request {
    struct nlmsghdr h;
    char payload[2048];
};

/* Appends one attribute; returns it (for nesting) or NULL when the buffer is full. */
static struct rtattr *nl_put(struct nl_request *r, unsigned short type, const void *data, size_t len) {
    size_t at = NLMSG_ALIGN(r->h.nlmsg_len);
    size_t size = RTA_LENGTH(len);
    if (at + RTA_ALIGN(size) > sizeof(*r))
        return NULL;
    struct rtattr *a = (struct rtattr *)((char *)r + at);
    a->rta_type = type;
    a->rta_len = (unsigned short)size;
    if (len)
        memcpy(RTA_DATA(a), data, len);
    r->h.nlmsg_len = (uint32_t)(at + RTA_ALIGN(size));
    return a;
}

/* Appends raw bytes (a struct inside an attribute, as veth's peer and netem's options want). */
static int nl_put_raw(struct nl_request *r, const void *data, size_t len) {
    size_t at = NLMSG_ALIGN(r->h.nlmsg_len);
    if (at + NLMSG_ALIGN(len) > sizeof(*r))
        return -1;
    memcpy((char *)r + at, data, len);
    r->h.nlmsg_len = (uint32_t)(at + NLMSG_ALIGN(len));
    return 0;
}

static void nl_end(struct nl_request *r, struct rtattr *nest) {
    nest->rta_len = (unsigned short)((char *)r + r->h.nlmsg_len - (char *)nest);
}

/* Sends the request with NLM_F_ACK and reads the kernel's answer: 0, or -1 with errno set
 * to what the kernel refused it with. */
static int nl_talk(struct nl_request *r) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    r->h.nlmsg_seq = 1;
    int rc = -1, err = EPROTO;
    if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
        err = errno;
        goto out;
    }
    for (;;) {
        char buf[8192];
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
            goto out;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != 1)
                continue;
            if (h->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *e = NLMSG_DATA(h);
                if (e->error == 0) {
                    rc = 0;
                } else {
                    err = -e->error;
                }
                goto out;
            }
        }
    }
out:
    close(fd);
    if (rc != 0)
        errno = err;
    return rc;
}

static void nl_start(struct nl_request *r, unsigned short type, unsigned short flags, const void *head, size_t len) {
    memset(r, 0, sizeof(*r));
    r->h.nlmsg_len = NLMSG_LENGTH(len);
    r->h.nlmsg_type = type;
    r->h.nlmsg_flags = flags;
    memcpy(NLMSG_DATA(&r->h), head, len);
}

int cbs_veth_create(const char *name, const char *peer_name, int peer_netns_fd) {
    struct nl_request r;
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
    nl_start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
    struct rtattr *linkinfo, *data, *peer;
    if (!nl_put(&r, IFLA_IFNAME, name, strlen(name) + 1) || !(linkinfo = nl_put(&r, IFLA_LINKINFO, NULL, 0)) ||
        !nl_put(&r, IFLA_INFO_KIND, "veth", 5) || !(data = nl_put(&r, IFLA_INFO_DATA, NULL, 0)) ||
        !(peer = nl_put(&r, VETH_INFO_PEER, NULL, 0)) || nl_put_raw(&r, &ifi, sizeof(ifi)) != 0 ||
        !nl_put(&r, IFLA_IFNAME, peer_name, strlen(peer_name) + 1)) {
        errno = ENOBUFS;
        return -1;
    }
    if (peer_netns_fd >= 0) {
        uint32_t fd = (uint32_t)peer_netns_fd;
        if (!nl_put(&r, IFLA_NET_NS_FD, &fd, sizeof(fd))) {
            errno = ENOBUFS;
            return -1;
        }
    }
    nl_end(&r, peer);
    nl_end(&r, data);
    nl_end(&r, linkinfo);
    return nl_talk(&r);
}

int cbs_addr_add(const char *ifname, int family, const void *addr, int prefix) {
    unsigned index = if_nametoindex(ifname);
    if (index == 0)
        return -1;
    size_t len = family == AF_INET6 ? 16 : 4;
    struct nl_request r;
    /* IFA_F_NODAD: no duplicate-address detection on a link only this run can see, so an
     * IPv6 address is usable at once instead of after ~1 s of tentative state. */
    struct ifaddrmsg ifa = {.ifa_family = (unsigned char)family, .ifa_prefixlen = (unsigned char)prefix,
                            .ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0, .ifa_scope = RT_SCOPE_UNIVERSE,
                            .ifa_index = index};
    nl_start(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
    if (!nl_put(&r, IFA_LOCAL, addr, len) || !nl_put(&r, IFA_ADDRESS, addr, len)) {
        errno = ENOBUFS;
        return -1;
    }
    return nl_talk(&r);
}

int cbs_qdisc_add_netem(const char *ifname, uint64_t delay_ns) {
    unsigned index = if_nametoindex(ifname);
    if (index == 0)
        return -1;
    struct nl_request r;
    struct tcmsg tc = {.tcm_family = AF_UNSPEC, .tcm_ifindex = (int)index, .tcm_handle = 0, .tcm_parent = TC_H_ROOT};
    nl_start(&r, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, &tc, sizeof(tc));
    /* netem's options are a struct tc_netem_qopt followed by attributes, not a plain nest. */
    struct tc_netem_qopt qopt = {.limit = 1000};
    int64_t latency = (int64_t)delay_ns;
    struct rtattr *options;
    if (!nl_put(&r, TCA_KIND, "netem", 6) || !(options = nl_put(&r, TCA_OPTIONS, NULL, 0)) ||
        nl_put_raw(&r, &qopt, sizeof(qopt)) != 0 || !nl_put(&r, TCA_NETEM_LATENCY64, &latency, sizeof(latency))) {
        errno = ENOBUFS;
        return -1;
    }
    nl_end(&r, options);
    return nl_talk(&r);
}
