/* SPDX-License-Identifier: GPL-2.0-only */
/* bombusctl metrics: GetStatus's counters as OpenMetrics text (which
 * Prometheus's text parser, and so node_exporter's textfile collector, also
 * reads). The names are documented in docs/metrics.md. */
#pragma once

#include <stdio.h>

#include <systemd/sd-bus.h>

/* Writes the metrics of the GetStatus reply @reply to @out; < 0 when the
 * reply cannot be read. */
int metrics_write(sd_bus_message *reply, FILE *out);
