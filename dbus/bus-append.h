/* SPDX-License-Identifier: GPL-2.0-only */
/* Building the a{sv} dictionaries of replies. */
#pragma once

#include <stdint.h>

#include <systemd/sd-bus.h>

/* Opens the entry "{sv}" @key with a variant of @signature; the caller
 * appends the value, then bus_close_entry(). */
int bus_open_entry(sd_bus_message *m, const char *key, const char *signature);
int bus_close_entry(sd_bus_message *m);

/* @key => "as": the names of the categories in @mask. */
int bus_append_categories(sd_bus_message *m, const char *key, uint32_t mask);
/* @key => "as": the names of the event types in type mask @mask. */
int bus_append_types(sd_bus_message *m, const char *key, uint32_t mask);
