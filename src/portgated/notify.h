/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify.h - readiness for service managers: the sd_notify(3) datagram
 * protocol ($NOTIFY_SOCKET) without libsystemd, and a readiness fd.
 * Privilege: notify_open() runs before the privilege drop, so the socket stays
 * usable after it.  Trust: $NOTIFY_SOCKET comes from our service manager.
 */
#ifndef PGD_NOTIFY_H
#define PGD_NOTIFY_H

/* Connect to $NOTIFY_SOCKET ("/path" or "@abstract") if set.  0 or -errno (logged). */
int notify_open(void);

/* Send one state string ("READY=1", "RELOADING=1"...); a no-op without a socket. */
void notify_send(const char *state);

void notify_close(void);

#endif
