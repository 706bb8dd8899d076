/*
 * liburing as a system library: this target exists for its pkg-config entry
 * (liburing), its apt provider (liburing-dev) and its `link "uring"`.
 *
 * Swift does not import it: liburing.h defines _GNU_SOURCE, which breaks SwiftGlibc's
 * fd_set next to it. CConnShim's uring.c includes liburing.h and exposes plain
 * functions over an opaque ring (CConnShimUring.h) instead.
 */
#ifndef CURING_SHIM_H
#define CURING_SHIM_H
#include <liburing.h>
#endif
