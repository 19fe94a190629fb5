/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading the a{sv} dictionaries of bombusd's replies (GetStatus). */
#pragma once

#include <systemd/sd-bus.h>

/* Calls @fn for each entry of the a{sv} @m is at, inside its variant;
 * entries @fn does not read (it returns 0) are skipped. */
typedef int (*dict_entry_fn)(sd_bus_message *m, const char *key, void *state);
int dict_foreach(sd_bus_message *m, dict_entry_fn fn, void *state);
