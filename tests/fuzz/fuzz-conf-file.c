// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer harness of the config file parser: any bytes as
 * /etc/bombus/bombusd.conf. Whatever it accepts must be within the
 * documented bounds. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "conf-file.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64];
	struct config c;

	if (fd < 0) {
		fd = memfd_create("bombusd.conf", MFD_CLOEXEC);
		assert(fd >= 0);
		log_set_max_level(LOG_EMERG); /* refusals are expected: quiet */
	}
	assert(ftruncate(fd, 0) == 0);
	assert(pwrite(fd, data, size, 0) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* Not config_init_defaults(): that is daemon.c, with the whole
	 * daemon. The parser only needs values to restore on "Key=". */
	c = (struct config){.ringbuf_bytes = 8u << 20,
			    .journal_queue_bytes = 4u << 20,
			    .max_subscriptions = 128,
			    .max_subscriptions_per_client = 16,
			    .subscriber_backlog_bytes = 4u << 20,
			    .subscriber_window_bytes = 1u << 20};
	if (conf_file_load(path, true, &c) < 0)
		return 0;
	assert(conf_ringbuf_size_valid(c.ringbuf_bytes) && c.ringbuf_bytes <= CONF_SIZE_MAX);
	assert(c.journal_queue_bytes > 0 && c.journal_queue_bytes <= CONF_SIZE_MAX);
	assert(c.subscriber_backlog_bytes > 0 && c.subscriber_backlog_bytes <= CONF_SIZE_MAX);
	assert(c.subscriber_window_bytes > 0 && c.subscriber_window_bytes <= CONF_SIZE_MAX);
	assert(c.max_subscriptions >= 1 && c.max_subscriptions <= 65536);
	assert(c.n_disabled_hooks <= CONFIG_MAX_DISABLED_HOOKS);
	return 0;
}
