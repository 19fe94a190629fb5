// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer harness of the kernel record decoders: any bytes as a record of
 * any monitor's ring, through the daemon's one path (process cache, render)
 * to an output that checks each event is one line of valid UTF-8. The first
 * byte picks the decoder; the input persists across runs in the process
 * cache, as a real stream does. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon.h"
#include "decode/iouringmon.h"
#include "decode/procmon-privilege.h"
#include "decode/procmon.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_emit(struct output *o, const struct event *ev, struct rendered_event *rendered)
{
	assert(rendered->len > 2 && rendered->json[0] == '{' && rendered->json[rendered->len - 1] == '}');
	assert(!memchr(rendered->json, '\n', rendered->len));
	return 0;
}

static void no_free(struct output *o)
{
}

static const struct output_ops check_ops = { .name = "check", .emit = check_emit, .free = no_free };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct output out = { .ops = &check_ops, .categories = CATEGORY_ALL };
	static struct iouring_opcodes names = { .names = { [0] = "IORING_OP_NOP", [18] = "IORING_OP_OPENAT" } };
	static struct daemon *d;
	/* Records are aligned in the ring: so are the copies given here. */
	static uint64_t record[(sizeof(struct bombus_process_record) + 7) / 8];

	if (!d) {
		struct config config;

		log_set_max_level(LOG_EMERG);
		config_init_defaults(&config);
		config.process_cache_max = 64; /* eviction paths too */
		config.process_cache_max_exited = 8;
		assert(daemon_new(&config, &d) >= 0 && daemon_add_output(d, &out) >= 0);
	}
	if (size < 1 || size - 1 > sizeof(record))
		return 0;
	memcpy(record, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		procmon_decode(d, record, size - 1);
		break;
	case 1:
		privilege_decode(d, record, size - 1);
		break;
	default:
		iouring_decode(d, &names, record, size - 1);
		break;
	}
	return 0;
}
