/* Receive buffers of UDP sockets (udpbuf.h). */
#include "tessera/udpbuf.h"

#include <dirent.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

void tsr_udp_set_rcvbuf(int fd, int bytes)
{
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

/* True for a UDP socket connected to addr_be:port_be. */
static bool connected_to(int fd, uint32_t addr_be, uint16_t port_be)
{
    int type = 0;
    socklen_t tl = sizeof type;
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_DGRAM &&
           getpeername(fd, (struct sockaddr *)&peer, &pl) == 0 && peer.sin_family == AF_INET &&
           peer.sin_port == port_be && peer.sin_addr.s_addr == addr_be;
}

/* The process's open descriptors are listed in /proc/self/fd: every one is
 * looked at, whatever its number, and only those. */
void tsr_udp_grow_rcvbuf(uint32_t addr_be, uint16_t port_be, int bytes)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return; /* best effort (udpbuf.h) */
    int self = dirfd(d);
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end != '\0' || end == e->d_name || fd == self || fd < 0)
            continue;
        if (connected_to((int)fd, addr_be, port_be))
            tsr_udp_set_rcvbuf((int)fd, bytes);
    }
    closedir(d);
}
