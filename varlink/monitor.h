/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * io.bombus.Monitor: bombusd's Varlink API (varlink/io.bombus.Monitor.varlink,
 * docs/varlink-api.md), the twin in meaning of the D-Bus API: Subscribe,
 * GetStatus and GetProcess with the same options, limits, polkit actions
 * and errors, on a Varlink server (server.h) on the daemon's loop.
 *
 * Its subscriptions are one output of the daemon: each Subscribe call is a
 * stream with its own filter and bounded backlog (daemon/subscribe/), written
 * to the connection as fast as the peer reads, at most WindowSize bytes
 * ahead of it. A peer that stops reading fills its backlog and then loses
 * events, counted, and told with {"dropped": N} at that place of its stream
 * when it reads again; nothing it does slows the ring buffers or the others.
 */
#pragma once

#include "macro.h"

struct authorizer;
struct daemon;
struct varlink_monitor;

/* The Varlink API of @d, its calls authorized by @authorizer (shared with the
 * D-Bus API, so that their quotas are one; it must outlive the monitor). Its
 * subscriptions are added to @d as an output. */
int varlink_monitor_new(struct daemon *d, struct authorizer *authorizer, struct varlink_monitor **ret);
/* Ends every call (cancelling their authorizations) and closes the
 * connections; the output stays with the daemon, without subscriptions. */
void varlink_monitor_free(struct varlink_monitor *m);
DEFINE_POINTER_CLEANUP(struct varlink_monitor, varlink_monitor_free)

/* Serves on the listening socket @fd (taken), or binds @path (mode 0666:
 * anyone may connect, polkit decides what they may do). */
int varlink_monitor_listen_fd(struct varlink_monitor *m, int fd);
int varlink_monitor_listen_path(struct varlink_monitor *m, const char *path);
