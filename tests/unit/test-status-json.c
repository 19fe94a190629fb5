// SPDX-License-Identifier: GPL-2.0-only
/* The JSON status (the Varlink GetStatus): the walk of a daemon without
 * monitors, and a synthetic walk of the containers it lacks, parsed back. */
#include <errno.h>
#include <json-c/json.h>

#include "category.h"
#include "configuration.h"
#include "daemon.h"
#include "status-json.h"
#include "subscribe/filter.h"
#include "unit.h"

static void output_free_nothing(struct output *o)
{
}

static struct json_object *member(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type)) {
		fprintf(stderr, "\"%s\" is missing or not a %s\n", key, json_type_to_name(type));
		unit_failures++;
		return NULL;
	}
	return v;
}

/* One subscription, as an API's output lists its own. */
static int test_subscriptions(struct output *o, struct status_sink *s)
{
	struct subscription_filter f = { .categories = CATEGORY_PROCESS | CATEGORY_IO_URING,
					 .types = 1u,
					 .batch = true };
	int r = s->ops->begin_dict(s, NULL, "a{sv}");

	if (r >= 0)
		r = s->ops->string(s, "client", "test \"client\"");
	if (r >= 0)
		r = subscription_status(s, "test", &f, 5, 6, 7);
	return r < 0 ? r : s->ops->end_dict(s);
}

static const struct output_ops test_output_ops = {
	.name = "test",
	.free = output_free_nothing,
	.status_subscriptions = test_subscriptions,
};

static void daemon_status_is_an_object(void)
{
	static struct output out = { .ops = &test_output_ops,
				     .categories = CATEGORY_PRIVILEGE,
				     .dropped = 7 };
	_cleanup_(daemon_freep) struct daemon *d = NULL;
	struct status_json_sink sink;
	struct json_writer w;
	struct json_object *status, *v;
	struct config config;

	config_init_defaults(&config);
	CHECK_INT(daemon_new(&config, &d), 0);
	if (!d)
		return;
	CHECK_INT(daemon_add_output(d, &out), 0);
	d->n_subscriptions = 1;
	json_writer_init(&w, 1 << 20);
	status_json_sink_init(&sink, &w);
	CHECK_INT(daemon_status(d, 3, &sink.sink), 0);
	json_raw(&w, "", 1);
	status = json_tokener_parse(w.buf);
	CHECK(status && json_object_is_type(status, json_type_object));
	if (!status) {
		fprintf(stderr, "not JSON: %s\n", w.buf);
		json_writer_free(&w);
		return;
	}
	CHECK(member(status, "version", json_type_string));
	CHECK(member(status, "kernel_release", json_type_string));
	CHECK(member(status, "uptime_usec", json_type_int));
	CHECK(member(status, "events_emitted", json_type_int));
	CHECK(member(status, "longest_loop_iteration_cpu_usec", json_type_int));
	CHECK(member(status, "bpf_stats_enabled", json_type_boolean));
	v = member(status, "subscribers", json_type_int);
	CHECK_INT(json_object_get_int(v), 1);
	v = member(status, "authorizations_pending", json_type_int);
	CHECK_INT(json_object_get_int(v), 3);
	/* a{st}: an object of numbers */
	v = member(status, "counters", json_type_object);
	CHECK_INT(v ? json_object_object_length(v) : 0, DAEMON_LOSS_COUNTERS);
	CHECK(v && member(v, "process_state_lost", json_type_int));
	CHECK(member(status, "hook_stats", json_type_array));
	CHECK(member(status, "monitors", json_type_array));
	v = member(status, "wanted_categories", json_type_array);
	CHECK_STR(v ? json_object_get_string(json_object_array_get_idx(v, 0)) : NULL, "privilege");
	v = member(status, "outputs", json_type_array);
	CHECK_INT(v ? json_object_array_length(v) : 0, 1);
	if (v) {
		struct json_object *o = json_object_array_get_idx(v, 0);

		CHECK_STR(json_object_get_string(member(o, "name", json_type_string)), "test");
		CHECK_INT(json_object_get_int(member(o, "dropped", json_type_int)), 7);
		CHECK(member(o, "categories", json_type_array));
	}
	v = member(status, "subscriptions", json_type_array);
	if (v) {
		struct json_object *sub = json_object_array_get_idx(v, 0);
		struct json_object *categories = member(sub, "categories", json_type_array);

		CHECK_STR(json_object_get_string(member(sub, "client", json_type_string)), "test \"client\"");
		CHECK_INT(categories ? json_object_array_length(categories) : 0, 2);
		CHECK_STR(json_object_get_string(
				  json_object_array_get_idx(member(sub, "types", json_type_array), 0)),
			  all_event_types[0].name);
		CHECK(member(sub, "batch", json_type_boolean));
		CHECK_INT(json_object_get_int(member(sub, "backlog_events", json_type_int)), 7);
		CHECK_STR(json_object_get_string(member(sub, "api", json_type_string)), "test");
	}
	json_object_put(status);
	json_writer_free(&w);
}

/* Tuples become objects with their members' names; u64 stays exact. */
static void tuples_are_objects(void)
{
	struct status_json_sink sink;
	struct status_sink *s = &sink.sink;
	struct json_writer w;

	json_writer_init(&w, 4096);
	status_json_sink_init(&sink, &w);
	CHECK_INT(s->ops->begin_dict(s, NULL, "a{sv}"), 0);
	s->ops->begin_array(s, "hook_stats", "a(sstt)");
	for (int i = 0; i < 2; i++) {
		s->ops->begin_tuple(s, NULL, "(sstt)");
		s->ops->string(s, "monitor", "procmon");
		s->ops->string(s, "hook", i ? "exit" : "exec");
		s->ops->u64(s, "run_time_ns", UINT64_MAX);
		s->ops->u64(s, "run_count", (uint64_t)i);
		s->ops->end_tuple(s);
	}
	s->ops->end_array(s);
	s->ops->begin_dict(s, "empty", "a{st}");
	s->ops->end_dict(s);
	s->ops->u32(s, "n", UINT32_MAX);
	CHECK_INT(s->ops->end_dict(s), 0);
	json_raw(&w, "", 1);
	CHECK_STR(w.buf, "{\"hook_stats\":[{\"monitor\":\"procmon\",\"hook\":\"exec\",\"run_time_ns\":"
			 "18446744073709551615,"
			 "\"run_count\":0},{\"monitor\":\"procmon\",\"hook\":\"exit\",\"run_time_ns\":"
			 "18446744073709551615,"
			 "\"run_count\":1}],\"empty\":{},\"n\":4294967295}");
	json_writer_free(&w);
}

static void too_deep_is_refused(void)
{
	struct status_json_sink sink;
	struct json_writer w;
	int r = 0;

	json_writer_init(&w, 4096);
	status_json_sink_init(&sink, &w);
	for (int i = 0; r >= 0 && i <= STATUS_MAX_DEPTH; i++)
		r = sink.sink.ops->begin_array(&sink.sink, NULL, "aas");
	CHECK_INT(r, -E2BIG);
	json_writer_free(&w);
}

UNIT_MAIN(T(daemon_status_is_an_object), T(tuples_are_objects), T(too_deep_is_refused))
