/* refused-loop.c — the reference for "how fast does the kernel refuse": one thread, blocking
 * socket() + connect() + close() to a port nothing listens on, for a fixed time; prints
 * attempts, refusals and attempts per second. Run it on the CPU connbench's worker uses.
 *
 * usage: refused-loop PORT SECONDS */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: refused-loop PORT SECONDS\n"); return 2; }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    double seconds = atof(argv[2]);
    unsigned long attempts = 0, refused = 0, other = 0;
    double start = now(), end = start + seconds, t = start;
    while (t < end) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) { perror("socket"); return 1; }
        attempts++;
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) other++;
        else if (errno == ECONNREFUSED) refused++;
        else other++;
        close(fd);
        if ((attempts & 63) == 0) t = now();
    }
    t = now();
    printf("attempts=%lu refused=%lu other=%lu seconds=%.3f rate=%.1f\n", attempts, refused, other, t - start, attempts / (t - start));
    return other == 0 ? 0 : 1;
}
