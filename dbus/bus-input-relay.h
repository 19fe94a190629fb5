/* SPDX-License-Identifier: GPL-2.0-only */
/* What the bus sends bombusd, moved into sd-bus a bounded chunk per main-loop
 * iteration. sd-bus reads its socket for as long as it has data and reallocs
 * its read buffer on every partial read, so a 3.2 MB message took the loop
 * for one long iteration (4-13 ms, 0.2-0.6 s with AddressSanitizer). Here
 * sd-bus reads from a socket pair that the relay fills from the bus socket,
 * RELAY_CHUNK_BYTES at a time and only as much as the pair takes; sd-bus
 * writes to the bus socket itself, so outbound traffic is as before.
 *
 * A plain byte stream: no file descriptors are passed on, so the bus
 * connection must not negotiate them (bombusd's API takes none; dbus-daemon
 * answers a call carrying some with an error). Nothing moves while the
 * loop does not run: the bus must never be used synchronously
 * (sd_bus_call(), sd_bus_add_match(), sd_bus_request_name()...). */
#pragma once

#include <stddef.h>

#include <systemd/sd-event.h>

#include "macro.h"

/* At most this much is read from the bus, and written into the pair, per
 * iteration; the pair holds about as much. With AddressSanitizer, whose
 * realloc() always copies, every read sd-bus makes of a partial message
 * copies all of it whatever the chunk (70 ms for 3.2 MB): there a larger
 * chunk costs an iteration little more and spares most of the copies (3-4 s
 * of them for 3.2 MB with 64 KiB chunks). */
#ifdef __SANITIZE_ADDRESS__
#define RELAY_CHUNK_BYTES (512u << 10)
#else
#define RELAY_CHUNK_BYTES (64u << 10)
#endif

struct bus_input_relay;

/* The path of a "unix:path=PATH[,guid=GUID]" D-Bus address (%-escapes
 * decoded) in @path: -EPROTONOSUPPORT for another transport, a list of
 * addresses or other keys, -ENAMETOOLONG when it does not fit @size,
 * -EINVAL when malformed. */
int bus_address_unix_path(const char *address, char *path, size_t size);

/* A stream socket connected to the D-Bus daemon at @address (as
 * bus_address_unix_path() takes it), non-blocking; or a negative errno. */
int bus_address_connect(const char *address);

/* Relays what arrives on @bus_fd (a connected stream socket; the relay
 * reads a duplicate of it, @bus_fd stays the caller's) into a new socket
 * pair: *ret_input_fd, the caller's, is the end to read it from. When the
 * bus closes or fails, the pair is closed: its reader reads the end of the
 * stream. When the reader closes its end, the relay closes its own. */
int bus_input_relay_new(sd_event *e, int bus_fd, int *ret_input_fd, struct bus_input_relay **ret);
void bus_input_relay_free(struct bus_input_relay *relay);
DEFINE_POINTER_CLEANUP(struct bus_input_relay, bus_input_relay_free)
