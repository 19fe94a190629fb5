// SPDX-License-Identifier: GPL-2.0-only
/*
 * The journal output. sd_journal_sendv() writes to a blocking datagram
 * socket: when journald falls behind it would stall the caller. So entries
 * are formatted on the main loop and queued, within a byte bound, for a
 * writer thread; what does not fit is dropped and counted.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "../category.h"
#include "../context/cgroup-names.h"
#include "../context/exec-id.h"
#include "../daemon.h"
#include "../log.h"
#include "output.h"

#define JOURNAL_FIELDS 13

struct journal_entry {
	struct journal_entry *next;
	size_t size; /* counted against the queue bound */
	unsigned n_fields;
	struct iovec fields[JOURNAL_FIELDS]; /* point into data */
	char data[];
};

struct journal_output {
	struct output output;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct journal_entry *head, *tail; /* under lock */
	size_t queued_bytes, max_bytes;	   /* under lock */
	bool stopping;			   /* under lock */
	uint64_t dropped_full;		   /* main thread only */
	atomic_uint_fast64_t failed;	   /* sends journald refused */
};

static void *journal_writer(void *userdata)
{
	struct journal_output *o = userdata;
	bool reported = false;

	/* Cancelled only while it waits for journald (see journal_free). */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_mutex_lock(&o->lock);
	for (;;) {
		struct journal_entry *e;
		int r;

		while (!o->head && !o->stopping)
			pthread_cond_wait(&o->wake, &o->lock);
		if (o->stopping)
			break;
		e = o->head;
		o->head = e->next;
		if (!o->head)
			o->tail = NULL;
		o->queued_bytes -= e->size;
		pthread_mutex_unlock(&o->lock);

		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		r = sd_journal_sendv(e->fields, (int)e->n_fields);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (r < 0) {
			atomic_fetch_add(&o->failed, 1);
			if (!reported)
				log_warning_errno(
					r,
					"cannot log to the journal (further failures are only counted): %m");
			reported = true;
		}
		free(e);
		pthread_mutex_lock(&o->lock);
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

/* Appends "NAME=value" as one field; the caller sized data. */
static void entry_add(struct journal_entry *e, size_t *used, const char *name, const char *value,
		      size_t value_len)
{
	char *field = e->data + *used;
	size_t name_len = strlen(name);

	memcpy(field, name, name_len);
	field[name_len] = '=';
	memcpy(field + name_len + 1, value, value_len);
	e->fields[e->n_fields++] = (struct iovec){field, name_len + 1 + value_len};
	*used += name_len + 1 + value_len;
}

static void entry_add_string(struct journal_entry *e, size_t *used, const char *name, const char *value)
{
	entry_add(e, used, name, value, strlen(value));
}

/* @s (valid UTF-8) was cut at @len bytes by snprintf: drops what is left of
 * a character the cut split, so that journald gets valid UTF-8. */
static void cut_at_character(char *s, size_t len)
{
	size_t start = len, need;

	while (start > 0 && len - start < 4 && ((unsigned char)s[start - 1] & 0xc0) == 0x80)
		start--;
	if (start == 0 || (unsigned char)s[start - 1] < 0xc0)
		return; /* ends with ASCII or a lone continuation byte: nothing cut */
	start--;
	need = (unsigned char)s[start] >= 0xf0 ? 4 : (unsigned char)s[start] >= 0xe0 ? 3 : 2;
	if (len - start < need)
		s[start] = '\0';
}

/* Like journald's _SYSTEMD_UNIT, but of the monitored process at the event:
 * BOMBUS_UNIT, BOMBUS_CONTAINER_ID and BOMBUS_EXEC_ID, where known. */
struct entry_context {
	const char *unit, *container_id;
	char exec_id[EXEC_ID_MAX];
};

static void entry_context(const struct bombus_task *t, struct entry_context *ret)
{
	const struct cgroup_info *cgroup = t->flags & BOMBUS_TASK_CONTEXT ? cgroup_names_lookup(t->context.cgroup_id)
									     : NULL;

	ret->unit = cgroup && cgroup->unit ? cgroup->unit : "";
	ret->container_id = cgroup && cgroup->container_id ? cgroup->container_id : "";
	ret->exec_id[0] = '\0';
	if (t->flags & BOMBUS_TASK_EXEC_SEQ)
		exec_id_format(ret->exec_id, t->pid, t->start_ns, t->exec_seq);
}

static struct journal_entry *entry_new(const struct event *ev, const char *json, size_t json_len)
{
	struct entry_context context;
	const struct event_type_info *type = event_type_info(ev->type);
	const struct category_info *category = category_from_bit(event_type_category(ev->type));
	const struct process *p = ev->process;
	const char *path = p->image->fields.binary_path, *args = p->image->fields.args;
	uint32_t acting_uid = ev->task ? ev->task->creds.uid : p->task.creds.uid;
	char message[1024], priority[4], pid[16], uid[16];
	int n;
	struct journal_entry *e;
	size_t size, used = 0;

	if (!type || !category)
		return NULL;
	/* One line a person reads: what ran, as whom, started by what. */
	if (ev->parent)
		n = snprintf(message, sizeof(message), "%s %s%s%s (pid %u, uid %u, parent %s pid %u)", type->name,
			     path, *args ? " " : "", args, p->task.pid, acting_uid,
			     ev->parent->image->fields.binary_path, ev->parent->task.pid);
	else
		n = snprintf(message, sizeof(message), "%s %s%s%s (pid %u, uid %u)", type->name, path,
			     *args ? " " : "", args, p->task.pid, acting_uid);
	if (n >= (int)sizeof(message))
		cut_at_character(message, sizeof(message) - 1);
	snprintf(priority, sizeof(priority), "%d", category->journal_priority);
	snprintf(pid, sizeof(pid), "%u", p->task.pid);
	snprintf(uid, sizeof(uid), "%u", acting_uid);
	entry_context(ev->task ?: &p->task, &context);

	size = strlen(message) + strlen(type->journal_message_id) + strlen(priority) + strlen(type->name) +
	       strlen(pid) + strlen(uid) + strlen(path) + json_len + sizeof("bombusd") + strlen(context.unit) +
	       strlen(context.container_id) + strlen(context.exec_id) +
	       JOURNAL_FIELDS * 32; /* field names and '=' */
	e = malloc(sizeof(*e) + size);
	if (!e)
		return NULL;
	e->next = NULL;
	e->n_fields = 0;
	e->size = sizeof(*e) + size;
	entry_add_string(e, &used, "MESSAGE", message);
	entry_add_string(e, &used, "MESSAGE_ID", type->journal_message_id);
	entry_add_string(e, &used, "PRIORITY", priority);
	entry_add_string(e, &used, "SYSLOG_IDENTIFIER", "bombusd");
	entry_add_string(e, &used, "BOMBUS_EVENT_TYPE", type->name);
	entry_add_string(e, &used, "BOMBUS_PID", pid);
	entry_add_string(e, &used, "BOMBUS_UID", uid);
	entry_add_string(e, &used, "BOMBUS_BINARY_PATH", path);
	if (*context.unit)
		entry_add_string(e, &used, "BOMBUS_UNIT", context.unit);
	if (*context.container_id)
		entry_add_string(e, &used, "BOMBUS_CONTAINER_ID", context.container_id);
	if (*context.exec_id)
		entry_add_string(e, &used, "BOMBUS_EXEC_ID", context.exec_id);
	entry_add(e, &used, "BOMBUS_EVENT_JSON", json, json_len);
	return e;
}

static void journal_update_dropped(struct journal_output *o)
{
	o->output.dropped = o->dropped_full + atomic_load(&o->failed);
}

static int journal_emit(struct output *base, const struct event *ev, struct rendered_event *rendered)
{
	struct journal_output *o = (struct journal_output *)base;
	struct journal_entry *e = entry_new(ev, rendered->json, rendered->len);
	bool fits;

	if (!e) {
		o->dropped_full++;
		journal_update_dropped(o);
		return -ENOMEM;
	}
	pthread_mutex_lock(&o->lock);
	fits = o->queued_bytes + e->size <= o->max_bytes;
	if (fits) {
		if (o->tail)
			o->tail->next = e;
		else
			o->head = e;
		o->tail = e;
		o->queued_bytes += e->size;
		pthread_cond_signal(&o->wake);
	}
	pthread_mutex_unlock(&o->lock);
	if (!fits) {
		free(e);
		o->dropped_full++;
	}
	journal_update_dropped(o);
	return fits ? 0 : -ENOBUFS;
}

static void journal_flush(struct output *base)
{
	journal_update_dropped((struct journal_output *)base);
}

static bool journal_queue_empty(struct journal_output *o)
{
	bool empty;

	pthread_mutex_lock(&o->lock);
	empty = !o->head;
	pthread_mutex_unlock(&o->lock);
	return empty;
}

static void journal_free(struct output *base)
{
	struct journal_output *o = (struct journal_output *)base;
	struct timespec deadline;

	/* Give the writer up to a second for what is queued, and another to
	 * stop; then cancel it, in case journald does not read at all. */
	for (int i = 0; i < 100 && !journal_queue_empty(o); i++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	pthread_mutex_lock(&o->lock);
	o->stopping = true;
	pthread_cond_signal(&o->wake);
	pthread_mutex_unlock(&o->lock);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 1;
	if (pthread_timedjoin_np(o->thread, NULL, &deadline) != 0) {
		pthread_cancel(o->thread);
		pthread_join(o->thread, NULL);
	}
	for (struct journal_entry *e = o->head, *next; e; e = next) {
		next = e->next;
		free(e);
	}
	pthread_mutex_destroy(&o->lock);
	pthread_cond_destroy(&o->wake);
	free(o);
}

static const struct output_ops journal_ops = {
	.name = "journal",
	.emit = journal_emit,
	.flush = journal_flush,
	.free = journal_free,
};

void output_journal_set_max_queue(struct output *base, size_t max_queue)
{
	struct journal_output *o = (struct journal_output *)base;

	pthread_mutex_lock(&o->lock);
	o->max_bytes = max_queue;
	pthread_mutex_unlock(&o->lock);
}

int output_journal_new(uint32_t categories, size_t max_queue, struct output **ret)
{
	struct journal_output *o = calloc(1, sizeof(*o));
	sigset_t all, saved;
	int r;

	if (!o)
		return -ENOMEM;
	o->output.ops = &journal_ops;
	o->output.categories = categories;
	o->output.iouring_opcodes = OPCODE_SET_ALL;
	o->max_bytes = max_queue;
	atomic_init(&o->failed, 0);
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->wake, NULL);
	/* The writer takes no signals: the main loop handles them (signalfd). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &saved);
	r = -pthread_create(&o->thread, NULL, journal_writer, o);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (r < 0) {
		pthread_mutex_destroy(&o->lock);
		pthread_cond_destroy(&o->wake);
		free(o);
		return r;
	}
	*ret = &o->output;
	return 0;
}
