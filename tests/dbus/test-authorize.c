// SPDX-License-Identifier: GPL-2.0-only
/* The authorizer without a system bus (bombusd --stdout), and its quotas
 * against a polkit of our own at the other end of a socket pair: a direct
 * D-Bus connection, no bus daemon. */
#include <errno.h>
#include <sys/socket.h>

#include "../unit/unit.h"
#include "authorize.h"

struct answer {
	bool done;
	int allowed;
	int64_t uid;
	char reason[256];
};

static void on_done(int allowed, int64_t uid, const char *denied_action, const char *reason, void *userdata)
{
	struct answer *a = userdata;

	*a = (struct answer){ .done = true, .allowed = allowed, .uid = uid };
	snprintf(a->reason, sizeof(a->reason), "%s", reason ?: "");
}

static void run_until_done(sd_event *e, const struct answer *a)
{
	for (int i = 0; i < 100 && !a->done; i++)
		sd_event_run(e, 100 * 1000);
}

static const char *const actions[] = { "org.bombus.monitor.status" };

static struct polkit_subject process_of(uint32_t uid)
{
	return (struct polkit_subject){
		.kind = POLKIT_SUBJECT_UNIX_PROCESS, .pid = 4242, .start_time = 123456789, .uid = uid
	};
}

static void test_without_bus(void)
{
	const struct polkit_subject root = process_of(0), user = process_of(1000);
	const struct polkit_subject unknown_name = { .kind = POLKIT_SUBJECT_BUS_NAME,
						     .bus_name = ":1.7",
						     .uid = -1 };
	const struct polkit_subject unknown_process = { .kind = POLKIT_SUBJECT_UNIX_PROCESS, .uid = -1 };
	_cleanup_(authorizer_freep) struct authorizer *az = NULL;
	struct authorization *a, *cancelled;
	struct answer answer = {}, never = {};
	sd_event *e = NULL;

	CHECK_INT(sd_event_new(&e), 0);
	CHECK_INT(authorizer_new(e, &az), 0);

	CHECK_INT(authorize(az, &root, false, actions, 1, on_done, &answer, &a), 0);
	CHECK(!answer.done); /* never from within */
	run_until_done(e, &answer);
	CHECK_INT(answer.allowed, 1);
	CHECK_INT(answer.uid, 0);

	for (size_t i = 0; i < 2; i++) {
		answer = (struct answer){};
		CHECK_INT(authorize(az, i ? &unknown_name : &user, true, actions, 1, on_done, &answer, &a),
			  0);
		CHECK(!answer.done);
		run_until_done(e, &answer);
		CHECK_INT(answer.allowed, -ENOTCONN);
		CHECK_STR(answer.reason, "bombusd runs without a system bus, polkit cannot be asked");
		CHECK_INT(authorizer_pending(az), 0);
	}

	/* cancelled: never answered */
	answer = (struct answer){};
	CHECK_INT(authorize(az, &user, false, actions, 1, on_done, &never, &cancelled), 0);
	CHECK_INT(authorize(az, &root, false, actions, 1, on_done, &answer, &a), 0);
	authorization_cancel(cancelled);
	run_until_done(e, &answer);
	CHECK(!never.done);

	CHECK_INT(authorize(az, &unknown_process, false, actions, 1, on_done, &answer, &a), -EINVAL);
	CHECK_INT(authorize(az, &root, false, actions, 0, on_done, &answer, &a), -EINVAL);
	authorizer_free(az);
	az = NULL;
	sd_event_unref(e);
}

/* Our polkit: holds the checks, unanswered, and counts cancellations. */
struct fake_polkit {
	unsigned checks, cancels;
	char subject[128];
	sd_bus_message *held[128];
};

static int on_polkit_call(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct fake_polkit *p = userdata;
	const char *kind, *pid_key, *start_key, *uid_key;
	uint32_t pid;
	uint64_t start;
	int32_t uid;

	if (sd_bus_message_is_method_call(m, "org.freedesktop.PolicyKit1.Authority",
					  "CancelCheckAuthorization")) {
		p->cancels++;
		return 0;
	}
	if (!sd_bus_message_is_method_call(m, "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization"))
		return 0;
	if (sd_bus_message_read(m, "(sa{sv})", &kind, 3, &pid_key, "u", &pid, &start_key, "t", &start,
				&uid_key, "i", &uid) >= 0)
		snprintf(p->subject, sizeof(p->subject), "%s %s %u %s %llu %s %d", kind, pid_key, pid,
			 start_key, (unsigned long long)start, uid_key, uid);
	if (p->checks < ELEMENTSOF(p->held))
		p->held[p->checks] = sd_bus_message_ref(m);
	p->checks++;
	return 1;
}

static void test_quotas(void)
{
	_cleanup_(authorizer_freep) struct authorizer *az = NULL;
	struct authorization *pending[AUTHORIZE_MAX_POLKIT_CALLS];
	struct answer answers[AUTHORIZE_MAX_POLKIT_CALLS] = {}, full = {}, root_answer = {};
	struct fake_polkit polkit = {};
	sd_bus *client = NULL, *server = NULL;
	struct authorization *a;
	sd_id128_t id;
	sd_event *e = NULL;
	size_t n = 0;
	int fds[2];

	CHECK_INT(sd_event_new(&e), 0);
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	CHECK_INT(sd_id128_randomize(&id), 0);
	CHECK_INT(sd_bus_new(&server), 0);
	CHECK_INT(sd_bus_set_fd(server, fds[1], fds[1]), 0);
	CHECK_INT(sd_bus_set_server(server, 1, id), 0);
	CHECK_INT(sd_bus_add_filter(server, NULL, on_polkit_call, &polkit), 0);
	CHECK_INT(sd_bus_start(server), 0);
	CHECK_INT(sd_bus_attach_event(server, e, 0), 0);
	CHECK_INT(sd_bus_new(&client), 0);
	CHECK_INT(sd_bus_set_fd(client, fds[0], fds[0]), 0);
	CHECK_INT(sd_bus_start(client), 0);
	CHECK_INT(sd_bus_attach_event(client, e, 0), 0);
	CHECK_INT(authorizer_new(e, &az), 0);
	authorizer_set_bus(az, client);

	/* AUTHORIZE_MAX_PER_UID checks for each of four uids fill the polkit
	 * calls of all; one more of the first uid is over its own quota. */
	for (uint32_t uid = 1000; uid < 1004; uid++)
		for (unsigned i = 0; i < AUTHORIZE_MAX_PER_UID; i++, n++) {
			const struct polkit_subject s = process_of(uid);

			CHECK_INT(authorize(az, &s, false, actions, 1, on_done, &answers[n], &pending[n]), 0);
		}
	for (int i = 0; i < 200 && polkit.checks < AUTHORIZE_MAX_POLKIT_CALLS; i++)
		sd_event_run(e, 100 * 1000);
	CHECK_INT(polkit.checks, AUTHORIZE_MAX_POLKIT_CALLS);
	CHECK_INT(authorizer_pending(az), AUTHORIZE_MAX_POLKIT_CALLS);
	/* the last one polkit got: any of the four uids */
	CHECK(strncmp(polkit.subject, "unix-process pid 4242 start-time 123456789 uid 100", 50) == 0);

	{
		const struct polkit_subject s = process_of(1000);

		CHECK_INT(authorize(az, &s, false, actions, 1, on_done, &full, &a), 0);
		run_until_done(e, &full);
		CHECK_INT(full.allowed, -EDQUOT);
	}
	{
		const struct polkit_subject s = process_of(1004);

		full = (struct answer){};
		CHECK_INT(authorize(az, &s, false, actions, 1, on_done, &full, &a), 0);
		run_until_done(e, &full);
		CHECK_INT(full.allowed, -EUSERS);
	}
	{
		const struct polkit_subject s = process_of(0);

		CHECK_INT(authorize(az, &s, false, actions, 1, on_done, &root_answer, &a), 0);
		run_until_done(e, &root_answer);
		CHECK_INT(root_answer.allowed, 1);
	}

	/* Cancelled, each tells polkit. */
	for (size_t i = 0; i < n; i++)
		authorization_cancel(pending[i]);
	CHECK_INT(authorizer_pending(az), 0);
	for (int i = 0; i < 200 && polkit.cancels < n; i++)
		sd_event_run(e, 100 * 1000);
	CHECK_INT(polkit.cancels, n);
	for (size_t i = 0; i < n; i++)
		CHECK(!answers[i].done);

	authorizer_set_bus(az, NULL);
	for (size_t i = 0; i < ELEMENTSOF(polkit.held); i++)
		sd_bus_message_unref(polkit.held[i]);
	sd_bus_flush_close_unref(client);
	sd_bus_flush_close_unref(server);
	authorizer_free(az);
	az = NULL;
	sd_event_unref(e);
}

UNIT_MAIN(T(test_without_bus), T(test_quotas))
