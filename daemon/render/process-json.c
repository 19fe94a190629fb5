// SPDX-License-Identifier: GPL-2.0-only
#include "../clock.h"
#include "flags.h"
#include "process-json.h"

void process_json_head(struct json_writer *w, int64_t start_realtime_ns, bool cloned, uint32_t pid)
{
	char time[ISO8601_MS_LEN];

	json_literal(w, "{\"start_time\":\"");
	json_raw(w, format_iso8601_ms(start_realtime_ns, time), ISO8601_MS_LEN - 1);
	json_literal(w, "\",\"cloned\":");
	json_boolean(w, cloned);
	json_literal(w, ",\"pid\":");
	json_uint(w, pid);
	json_literal(w, ",\"tid\":");
}

static void caps(struct json_writer *w, uint64_t set)
{
	char buf[CAPS_STRING_MAX];

	json_string(w, caps_to_string(set, buf));
}

void process_json_task(struct json_writer *w, const struct bombus_task *t)
{
	json_uint(w, t->tid);
	json_literal(w, ",\"ppid\":");
	json_uint(w, t->ppid);
	json_literal(w, ",\"uid\":");
	json_uint(w, t->creds.uid);
	json_literal(w, ",\"euid\":");
	json_uint(w, t->creds.euid);
	json_literal(w, ",\"gid\":");
	json_uint(w, t->creds.gid);
	json_literal(w, ",\"egid\":");
	json_uint(w, t->creds.egid);
	json_literal(w, ",\"auid\":");
	json_uint(w, t->creds.auid);
	json_literal(w, ",\"cap_inheritable\":");
	caps(w, t->creds.cap_inheritable);
	json_literal(w, ",\"cap_permitted\":");
	caps(w, t->creds.cap_permitted);
	json_literal(w, ",\"cap_effective\":");
	caps(w, t->creds.cap_effective);
}

void process_json_image(struct json_writer *w, const struct image_fields *image)
{
	char flags[FLAGS_STRING_MAX];

	json_literal(w, ",\"secureexec\":");
	json_string(w, secureexec_to_string(image->secureexec, flags));
	json_literal(w, ",\"filename\":");
	json_string(w, image->filename);
	json_literal(w, ",\"binary_path\":");
	json_string(w, image->binary_path);
	if (image->ima_hash) {
		json_literal(w, ",\"binary_ima_hash\":");
		json_string(w, image->ima_hash);
	}
	json_literal(w, ",\"args\":");
	json_string(w, image->args);
	if (image->incomplete) {
		json_literal(w, ",\"incomplete\":");
		json_string(w, image_incomplete_to_string(image->incomplete, flags));
	}
}
