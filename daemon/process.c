// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "flags.h"
#include "json-fields.h"
#include "process.h"

void process_changed(struct process *p)
{
	free(p->json);
	p->json = NULL;
}

void process_clear_strings(struct process *p)
{
	free(p->filename);
	free(p->binary_path);
	free(p->args);
	free(p->ima_hash);
	p->filename = p->binary_path = p->args = p->ima_hash = NULL;
	process_changed(p);
}

static int fill_empty(char **s)
{
	if (!*s)
		*s = strdup("");
	return *s ? 0 : -ENOMEM;
}

int process_set_binary(struct process *p, char *binary_path, char *filename, char *args)
{
	process_clear_strings(p);
	p->binary_path = binary_path;
	p->filename = filename;
	p->args = args;
	if (fill_empty(&p->binary_path) < 0 || fill_empty(&p->filename) < 0 || fill_empty(&p->args) < 0)
		return -ENOMEM;
	return 0;
}

int process_copy_binary(struct process *p, const struct process *from)
{
	int r;

	p->secureexec = from->secureexec;
	r = process_set_binary(p, from->binary_path ? strdup(from->binary_path) : NULL,
			       from->filename ? strdup(from->filename) : NULL,
			       from->args ? strdup(from->args) : NULL);
	if (r < 0 || !from->ima_hash)
		return r;
	p->ima_hash = strdup(from->ima_hash);
	return p->ima_hash ? 0 : -ENOMEM;
}

json_object *process_json_object(const struct process *p, int64_t offset)
{
	json_object *o = json_object_new_object();
	char time[ISO8601_MS_LEN], caps[CAPS_STRING_MAX], secure[FLAGS_STRING_MAX];
	int r = 0;

	if (!o)
		return NULL;
	r |= json_add_string(o, "start_time", format_iso8601_ms((int64_t)p->start_ns + offset, time));
	r |= json_add(o, "cloned", json_object_new_boolean(p->cloned));
	r |= json_add_uint(o, "pid", p->pid);
	r |= json_add_uint(o, "tid", p->tid);
	r |= json_add_uint(o, "ppid", p->ppid);
	r |= json_add_uint(o, "uid", p->creds.uid);
	r |= json_add_uint(o, "euid", p->creds.euid);
	r |= json_add_uint(o, "gid", p->creds.gid);
	r |= json_add_uint(o, "egid", p->creds.egid);
	r |= json_add_uint(o, "auid", p->creds.auid);
	r |= json_add_string(o, "cap_inheritable", caps_to_string(p->creds.cap_inheritable, caps));
	r |= json_add_string(o, "cap_permitted", caps_to_string(p->creds.cap_permitted, caps));
	r |= json_add_string(o, "cap_effective", caps_to_string(p->creds.cap_effective, caps));
	r |= json_add_string(o, "secureexec", secureexec_to_string(p->secureexec, secure));
	r |= json_add_string(o, "filename", p->filename);
	r |= json_add_string(o, "binary_path", p->binary_path);
	if (p->ima_hash)
		r |= json_add_string(o, "binary_ima_hash", p->ima_hash);
	r |= json_add_string(o, "args", p->args);
	if (r) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

const char *process_json(struct process *p, int64_t offset, size_t *len)
{
	/* start_time is shown to the millisecond: a sub-ms change of the
	 * offset leaves the cached text valid. */
	if (p->json && (p->json_offset_ns - offset) / 1000000 != 0)
		process_changed(p);
	if (!p->json) {
		json_object *obj = process_json_object(p, offset);
		const char *text = obj ? json_text(obj, &p->json_len) : NULL;

		p->json = text ? strndup(text, p->json_len) : NULL;
		p->json_offset_ns = offset;
		json_object_put(obj);
	}
	*len = p->json_len;
	return p->json;
}
