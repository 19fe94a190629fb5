/* SPDX-License-Identifier: GPL-2.0-only */
/* bombusctl metrics: GetStatus's counters as OpenMetrics text (which
 * Prometheus's text parser, and so node_exporter's textfile collector, also
 * reads). The names are documented in docs/metrics.md. */
#pragma once

#include <stdio.h>

#include <json-c/json.h>

/* Writes the metrics of the status @status (transport_get_status()) to @out. */
int metrics_write(json_object *status, FILE *out);
