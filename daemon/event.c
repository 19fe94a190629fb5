// SPDX-License-Identifier: GPL-2.0-only
#include "event.h"

static const char *const type_names[_EVENT_TYPE_MAX] = {
	[EVENT_PROCESS_EXEC] = "ProcessExec",
	[EVENT_PROCESS_CLONE] = "ProcessClone",
	[EVENT_PROCESS_EXIT] = "ProcessExit",
	[EVENT_PROCESS_EVENT] = "ProcessEvent",
	[EVENT_IOURING] = "IOUringEvent",
};

const char *event_type_to_string(enum event_type type)
{
	return type < _EVENT_TYPE_MAX ? type_names[type] : "Unknown";
}

enum event_category event_type_category(enum event_type type)
{
	switch (type) {
	case EVENT_PROCESS_EXEC:
	case EVENT_PROCESS_CLONE:
	case EVENT_PROCESS_EXIT:
	default:
		return CATEGORY_PROCESS;
	case EVENT_PROCESS_EVENT:
		return CATEGORY_PRIVILEGE;
	case EVENT_IOURING:
		return CATEGORY_IO_URING;
	}
}

void event_clear(struct event *ev)
{
	process_unrefp(&ev->process);
	process_unrefp(&ev->parent);
	ev->process = ev->parent = NULL;
}
