/*
 * Receive buffers of a CoAP client's UDP socket. A node answers a whole
 * group commit at once; a burst of ~1 KB replies overflows the kernel's
 * default 208 KiB receive buffer, and a lost reply costs a retry (or, for a
 * NON request, is never answered). libcoap 4.3.1 has no API for a client
 * session's socket, so this finds the UDP sockets connected to the server.
 */
#ifndef TESSERA_UDPBUF_H
#define TESSERA_UDPBUF_H

#include <stdbool.h>
#include <stdint.h>

/* A client's receive buffer: 8 MiB holds thousands of replies. */
#define TSR_UDP_CLIENT_RCVBUF (8 << 20)

/* Sets fd's receive buffer to `bytes`: SO_RCVBUFFORCE when the process
 * may, else SO_RCVBUF (which the kernel caps at rmem_max). Best effort. */
void tsr_udp_set_rcvbuf(int fd, int bytes);

/* tsr_udp_set_rcvbuf on every UDP socket of this process (any descriptor
 * number) connected to the IPv4 address `addr_be` and `port_be` (both in
 * network byte order). Best effort: a socket it cannot change keeps its
 * buffer. */
void tsr_udp_grow_rcvbuf(uint32_t addr_be, uint16_t port_be, int bytes);

#endif
