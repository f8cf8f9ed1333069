/* Receive buffers of client UDP sockets (udpbuf.h). */
#include "tessera/udpbuf.h"

#include <netinet/in.h>
#include <sys/socket.h>

/* Descriptors scanned: a client process opens a handful. */
#define FD_SCAN_MAX 1024

void tsr_udp_grow_rcvbuf(uint32_t addr_be, uint16_t port_be, int bytes)
{
    for (int fd = 0; fd < FD_SCAN_MAX; fd++) {
        int type = 0;
        socklen_t tl = sizeof type;
        struct sockaddr_in peer;
        socklen_t pl = sizeof peer;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_DGRAM ||
            getpeername(fd, (struct sockaddr *)&peer, &pl) != 0 || peer.sin_family != AF_INET ||
            peer.sin_port != port_be || peer.sin_addr.s_addr != addr_be)
            continue;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
            (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    }
}
