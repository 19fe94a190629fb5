// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "../clock.h"
#include "../render/json-writer.h"
#include "process.h"
#include "snapshot-pool.h"

/* A snapshot's text: the largest a process object can be (names of every
 * capability three times, 8 KiB of path and 4 KiB of args escaped). */
#define PROCESS_JSON_MAX (256u << 10)

/* Renders into one reused buffer, copied into the object made. Snapshots are
 * made on the main loop only. */
static struct json_writer *scratch_writer(void)
{
	static struct json_writer w = { .max = PROCESS_JSON_MAX };

	json_writer_reset(&w);
	return &w;
}

static char *copy_string(char **cursor, const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = memcpy(*cursor, s, n);

	*cursor += n;
	return copy;
}

struct exec_image *exec_image_new(const struct image_fields *fields)
{
	struct json_writer *w = scratch_writer();
	size_t strings = strlen(fields->filename) + strlen(fields->binary_path) + strlen(fields->args) + 3 +
			 (fields->ima_hash ? strlen(fields->ima_hash) + 1 : 0);
	struct exec_image *image;
	size_t block_size;
	char *cursor;

	process_json_image(w, fields);
	if (w->failed)
		return NULL;
	image = snapshot_alloc(sizeof(*image) + strings + w->len, &block_size);
	if (!image)
		return NULL;
	image->refs = 1;
	image->block_size = block_size;
	image->fields = *fields;
	cursor = image->data;
	image->fields.filename = copy_string(&cursor, fields->filename);
	image->fields.binary_path = copy_string(&cursor, fields->binary_path);
	image->fields.args = copy_string(&cursor, fields->args);
	if (fields->ima_hash)
		image->fields.ima_hash = copy_string(&cursor, fields->ima_hash);
	image->json = memcpy(cursor, w->buf, w->len);
	image->json_len = w->len;
	return image;
}

struct exec_image *exec_image_unknown(void)
{
	static const char json[] = ",\"secureexec\":\"\",\"filename\":\"\",\"binary_path\":\"\",\"args\":\"\"";
	static struct exec_image unknown = {
		.refs = 0,
		.fields = { .filename = "", .binary_path = "", .args = "" },
		.json = json,
		.json_len = sizeof(json) - 1,
	};

	return &unknown;
}

struct exec_image *exec_image_ref(struct exec_image *image)
{
	if (image->refs)
		image->refs++;
	return image;
}

void exec_image_unref(struct exec_image *image)
{
	if (image->refs && --image->refs == 0)
		snapshot_free(image, image->block_size);
}

struct process *process_new(const struct bombus_task *task, bool cloned, bool start_coarse,
			    struct exec_image *image, int64_t boot_to_real_ns)
{
	struct json_writer *w = scratch_writer();
	struct process *p;
	size_t head, block_size;

	process_json_head(w, boot_to_realtime(task->start_ns, boot_to_real_ns), cloned, task->pid);
	head = w->len;
	process_json_task(w, task);
	json_raw(w, image->json, image->json_len);
	process_json_context(w, task);
	json_literal(w, "}");
	if (w->failed)
		return NULL;
	p = snapshot_alloc(sizeof(*p) + w->len, &block_size);
	if (!p)
		return NULL;
	*p = (struct process){
		.refs = 1,
		.block_size = block_size,
		.task = *task,
		.start_coarse = start_coarse,
		.cloned = cloned,
		.image = exec_image_ref(image),
		.json_head_len = head,
		.json_len = w->len,
	};
	memcpy(p->json, w->buf, w->len);
	return p;
}

struct process *process_ref(struct process *p)
{
	p->refs++;
	return p;
}

void process_unref(struct process *p)
{
	if (--p->refs > 0)
		return;
	exec_image_unref(p->image);
	snapshot_free(p, p->block_size);
}

bool bombus_task_same_state(const struct bombus_task *a, const struct bombus_task *b)
{
	return a->tid == b->tid && a->ppid == b->ppid && a->parent_start_ns == b->parent_start_ns &&
	       a->flags == b->flags && a->exec_seq == b->exec_seq && a->parent_exec_seq == b->parent_exec_seq &&
	       memcmp(&a->creds, &b->creds, sizeof(a->creds)) == 0 &&
	       memcmp(&a->context, &b->context, sizeof(a->context)) == 0;
}
