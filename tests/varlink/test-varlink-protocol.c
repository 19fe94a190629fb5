// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <regex.h>

#include "protocol.h"
#include "service-interface.h"
#include "unit.h"

#define AREA(s) s, sizeof(s) - 1

/* varlink.org's grammar as regular expressions: a second opinion on the
 * hand-written checks of protocol.c. */
#define RE_INTERFACE "^[A-Za-z](-*[A-Za-z0-9])*(\\.[A-Za-z0-9](-*[A-Za-z0-9])*)+$"
#define RE_MEMBER    "^[A-Z][A-Za-z0-9]*$"
#define RE_FIELD     "^[A-Za-z](_?[A-Za-z0-9])*$"

static bool matches(const char *re, const char *s)
{
	regex_t r;
	bool m;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		abort();
	m = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

static void names(void)
{
	static const char *const interfaces[] = {
		"org.varlink.service",
		"io.systemd.Manager",
		"a.b",
		"a1.b-c",
		"x--y.z",
		"A.B",
		/* invalid */
		"",
		"org",
		".org.x",
		"org.x.",
		"org..x",
		"1org.x",
		"org.-x",
		"org.x-",
		"org.x_y",
		"org.x y",
		"-a.b",
	};
	static const char *const members[] = { "GetInfo", "X",	      "A1b",	  "",
					       "getInfo", "Get_Info", "Get-Info", "1A" };

	for (size_t i = 0; i < ELEMENTSOF(interfaces); i++) {
		bool valid = varlink_interface_name_is_valid(interfaces[i], strlen(interfaces[i]));

		if (valid != matches(RE_INTERFACE, interfaces[i])) {
			fprintf(stderr, "interface name \"%s\": %d\n", interfaces[i], valid);
			unit_failures++;
		}
	}
	CHECK(varlink_interface_name_is_valid("org.varlink.service", 19));
	CHECK(!varlink_interface_name_is_valid("org.varlink.", 12));
	/* the length bounds it: "org.x" of "org.x.y" */
	CHECK(varlink_interface_name_is_valid("org.x.y", 5));

	for (size_t i = 0; i < ELEMENTSOF(members); i++)
		CHECK_INT(varlink_member_name_is_valid(members[i], strlen(members[i])),
			  matches(RE_MEMBER, members[i]));

	CHECK(varlink_qualified_name_is_valid("org.varlink.service.GetInfo"));
	CHECK(varlink_qualified_name_is_valid("a.b.C"));
	CHECK(!varlink_qualified_name_is_valid("a.C"));
	CHECK(!varlink_qualified_name_is_valid("GetInfo"));
	CHECK(!varlink_qualified_name_is_valid("org.varlink.service.getInfo"));
	CHECK(!varlink_qualified_name_is_valid("org.varlink.service."));
	CHECK(!varlink_qualified_name_is_valid(""));
}

/* Feeds @len bytes in reads of at most @chunk, as the server does. */
static void feed(struct varlink_input *in, const char *bytes, size_t len, size_t chunk)
{
	while (len > 0) {
		char *p;
		int room = varlink_input_reserve(in, chunk, &p);

		CHECK(room > 0);
		if (room <= 0)
			return;
		if ((size_t)room > len)
			room = (int)len;
		memcpy(p, bytes, room);
		varlink_input_advance(in, room);
		bytes += room;
		len -= room;
	}
}

/* The next message as a new string, "(none)", or "(error N)". */
static char *next_text(struct varlink_input *in)
{
	const char *text;
	size_t len;
	char *s;
	int r = varlink_input_next(in, &text, &len);

	if (r <= 0) {
		if (asprintf(&s, r == 0 ? "(none)" : "(error %d)", -r) < 0)
			abort();
		return s;
	}
	CHECK(text[len] == '\0');
	return strndup(text, len);
}

static void framing_partial_reads(void)
{
	struct varlink_input in;
	static const char two[] = "{\"method\":\"a.b.C\"}\0{}\0";

	/* a byte at a time: nothing until the NUL */
	varlink_input_init(&in, 1024);
	for (size_t i = 0; i < 18; i++) {
		feed(&in, two + i, 1, 1);
		CHECK(!varlink_input_ready(&in));
		CHECK_STR_FREE(next_text(&in), "(none)");
	}
	feed(&in, two + 18, 1, 1);
	CHECK(varlink_input_ready(&in));
	CHECK_STR_FREE(next_text(&in), "{\"method\":\"a.b.C\"}");
	CHECK_STR_FREE(next_text(&in), "(none)");
	feed(&in, two + 19, 3, 1);
	CHECK_STR_FREE(next_text(&in), "{}");
	CHECK_STR_FREE(next_text(&in), "(none)");
	varlink_input_done(&in);

	/* several in one read, the last one partial */
	varlink_input_init(&in, 1024);
	feed(&in, AREA("{}\0{\"a\":1}\0\0{\"b\""), 4096);
	CHECK_STR_FREE(next_text(&in), "{}");
	CHECK_STR_FREE(next_text(&in), "{\"a\":1}");
	CHECK_STR_FREE(next_text(&in), ""); /* an empty message is framed; the parser refuses it */
	CHECK_STR_FREE(next_text(&in), "(none)");
	feed(&in, AREA(":2}\0"), 4096);
	CHECK_STR_FREE(next_text(&in), "{\"b\":2}");
	varlink_input_done(&in);

	/* a read ending right before the NUL, the next starting with it */
	varlink_input_init(&in, 1024);
	feed(&in, AREA("{\"x\":[1,2]}"), 4096);
	CHECK_STR_FREE(next_text(&in), "(none)");
	feed(&in, AREA("\0{}"), 4096);
	CHECK_STR_FREE(next_text(&in), "{\"x\":[1,2]}");
	feed(&in, AREA("\0"), 4096);
	CHECK_STR_FREE(next_text(&in), "{}");
	varlink_input_done(&in);
}

static void framing_limits(void)
{
	struct varlink_input in;
	char msg[40];
	char *p;

	/* exactly the limit (16 bytes and the NUL): taken */
	varlink_input_init(&in, 16);
	memcpy(msg, "{\"k\":\"12345678\"}", 17); /* 16 + NUL */
	feed(&in, msg, 17, 5);
	CHECK_STR_FREE(next_text(&in), "{\"k\":\"12345678\"}");
	varlink_input_done(&in);

	/* one byte over, NUL following: refused as soon as 17 bytes are in */
	varlink_input_init(&in, 16);
	memcpy(msg, "{\"k\":\"123456789\"}", 18);
	feed(&in, msg, 16, 100);
	CHECK_STR_FREE(next_text(&in), "(none)");
	/* never more room than the message may need: 16 + its NUL */
	CHECK_INT(varlink_input_reserve(&in, 100, &p), 1);
	feed(&in, msg + 16, 1, 100);
	CHECK_STR_FREE(next_text(&in), "(error 90)"); /* EMSGSIZE */
	CHECK(varlink_input_ready(&in));
	CHECK(in.len <= 17);
	varlink_input_done(&in);

	/* a message at the limit after another: the bound is per message */
	varlink_input_init(&in, 16);
	feed(&in, AREA("{}\0"), 100);
	feed(&in, AREA("{\"k\":\"12345678\"}\0"), 100);
	CHECK_STR_FREE(next_text(&in), "{}");
	CHECK_STR_FREE(next_text(&in), "{\"k\":\"12345678\"}");
	varlink_input_done(&in);
}

/* Parses @text: the field it blames, "BADMSG", or "ok". */
static const char *parse_verdict(const char *text, size_t len)
{
	struct varlink_message m;
	const char *bad = NULL;
	int r = varlink_message_parse(text, len, &m, &bad);

	if (r == -EBADMSG)
		return "BADMSG";
	if (r == -EINVAL)
		return bad;
	if (r < 0)
		return "error";
	varlink_message_done(&m);
	return "ok";
}

#define VERDICT(s) parse_verdict(s, strlen(s))

static void message_parse(void)
{
	struct varlink_message m;
	const char *bad;

	CHECK_INT(varlink_message_parse(AREA("{\"method\":\"org.varlink.service.GetInfo\"}"), &m, &bad), 0);
	CHECK_STR(m.method, "org.varlink.service.GetInfo");
	CHECK(json_object_is_type(m.parameters, json_type_object));
	CHECK_INT(json_object_object_length(m.parameters), 0);
	CHECK(!m.more && !m.oneway && !m.upgrade);
	varlink_message_done(&m);

	CHECK_INT(varlink_message_parse(AREA(" {\"parameters\":{\"a\":[1]},\"more\":true,\"x-unknown\":1,"
					     "\"method\":\"io.example.Do\"} \n"),
					&m, &bad),
		  0);
	CHECK(m.more && !m.oneway);
	CHECK_STR(json_object_to_json_string_ext(m.parameters, JSON_C_TO_STRING_PLAIN), "{\"a\":[1]}");
	varlink_message_done(&m);

	CHECK_STR(VERDICT("{\"method\":\"a.b.C\",\"oneway\":true}"), "ok");
	CHECK_STR(VERDICT("{\"method\":\"a.b.C\",\"more\":false,\"oneway\":false,\"upgrade\":true}"), "ok");

	/* not JSON objects */
	CHECK_STR(parse_verdict("", 0), "BADMSG");
	CHECK_STR(VERDICT("{"), "BADMSG");
	CHECK_STR(VERDICT("nonsense"), "BADMSG");
	CHECK_STR(VERDICT("[\"method\"]"), "BADMSG");
	CHECK_STR(VERDICT("\"a.b.C\""), "BADMSG");
	CHECK_STR(VERDICT("{\"method\":\"a.b.C\"} {}"), "BADMSG");
	CHECK_STR(VERDICT("{\"method\":\"a.b.C\"}x"), "BADMSG");
	CHECK_STR(VERDICT("{'method':'a.b.C'}"), "BADMSG");
	CHECK_STR(VERDICT("{\"method\":\"a.b.C\",\"parameters\":{\"s\":\"\xff\"}}"), "BADMSG");
	/* a NUL in the length given: framing would never pass one, the parser refuses it too */
	CHECK_STR(parse_verdict(AREA("{\"method\":\"a.b.C\"}\0")), "BADMSG");

	/* wrong fields */
	CHECK_STR(VERDICT("{}"), "method");
	CHECK_STR(VERDICT("{\"method\":1}"), "method");
	CHECK_STR(VERDICT("{\"method\":null}"), "method");
	CHECK_STR(VERDICT("{\"method\":\"GetInfo\"}"), "method");
	CHECK_STR(VERDICT("{\"method\":\"org.varlink.service.getInfo\"}"), "method");
	CHECK_STR(VERDICT("{\"method\":\"org.varlink.service.\"}"), "method");
	CHECK_STR(VERDICT("{\"method\":\"org..x.Get\"}"), "method");
	CHECK_STR(VERDICT("{\"method\":\"a.b.C\",\"parameters\":[]}"), "parameters");
	CHECK_STR(VERDICT("{\"method\":\"a.b.C\",\"parameters\":null}"), "parameters");
	CHECK_STR(VERDICT("{\"method\":\"a.b.C\",\"parameters\":\"{}\"}"), "parameters");
	CHECK_STR(VERDICT("{\"method\":\"a.b.C\",\"more\":1}"), "more");
	CHECK_STR(VERDICT("{\"method\":\"a.b.C\",\"more\":\"true\"}"), "more");
	CHECK_STR(VERDICT("{\"method\":\"a.b.C\",\"oneway\":null}"), "oneway");
	CHECK_STR(VERDICT("{\"method\":\"a.b.C\",\"more\":true,\"oneway\":true}"), "oneway");
	CHECK_STR(VERDICT("{\"method\":\"a.b.C\",\"upgrade\":0}"), "upgrade");
}

/* The output's pending bytes, NULs shown as '|'. */
static char *pending_text(const struct varlink_output *out)
{
	char *s = malloc(out->len + 1);

	memcpy(s, out->buf + out->start, out->len);
	s[out->len] = '\0';
	for (size_t i = 0; i < out->len; i++)
		if (s[i] == '\0')
			s[i] = '|';
	return s;
}

static void output_serialise(void)
{
	struct varlink_output out = {};

	CHECK_INT(varlink_output_append_reply(&out, AREA("{\"a\":1}"), false), 0);
	CHECK_INT(varlink_output_append_reply(&out, AREA("{\"e\":{}}"), true), 0);
	CHECK_INT(varlink_output_append_reply(&out, NULL, 0, false), 0);
	CHECK_INT(varlink_output_append_error(&out, VARLINK_ERROR_INVALID_PARAMETER,
					      AREA("{\"parameter\":\"x\"}")),
		  0);
	CHECK_INT(varlink_output_append_error(&out, VARLINK_ERROR_EXPECTED_MORE, NULL, 0), 0);
	CHECK_STR_FREE(
		pending_text(&out),
		"{\"parameters\":{\"a\":1}}|"
		"{\"parameters\":{\"e\":{}},\"continues\":true}|"
		"{\"parameters\":{}}|"
		"{\"error\":\"org.varlink.service.InvalidParameter\",\"parameters\":{\"parameter\":\"x\"}}|"
		"{\"error\":\"org.varlink.service.ExpectedMore\",\"parameters\":{}}|");

	/* written in part: the rest stays, appends go after it */
	varlink_output_advance(&out, 23);
	CHECK_STR_FREE(
		pending_text(&out),
		"{\"parameters\":{\"e\":{}},\"continues\":true}|"
		"{\"parameters\":{}}|"
		"{\"error\":\"org.varlink.service.InvalidParameter\",\"parameters\":{\"parameter\":\"x\"}}|"
		"{\"error\":\"org.varlink.service.ExpectedMore\",\"parameters\":{}}|");
	varlink_output_advance(&out, out.len);
	CHECK_INT(out.len, 0);
	CHECK_INT(out.start, 0);
	varlink_output_done(&out);
}

static void output_grows_and_compacts(void)
{
	struct varlink_output out = {};
	char big[1000], expected[1100];
	size_t written = 0, appended = 0;

	memset(big, 'x', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	/* a writer behind the appends, by less than it appends: the pending
	 * bytes stay whole and in order through moves and growth */
	for (int i = 0; i < 2000; i++) {
		CHECK_INT(varlink_output_append_reply(&out, big, sizeof(big), true), 0);
		appended += sizeof(big) + 33;
		if (out.len > 3000) {
			written += 2000;
			varlink_output_advance(&out, 2000);
		}
		CHECK_INT(out.len, appended - written);
		CHECK(out.start + out.len <= out.cap);
	}
	/* bounded by what is pending, not by all that went through */
	CHECK(out.cap <= 16384);
	snprintf(expected, sizeof(expected), "{\"parameters\":%.*s,\"continues\":true}", (int)sizeof(big),
		 big);
	CHECK(memcmp(out.buf + out.start + out.len - sizeof(big) - 33, expected, sizeof(big) + 32) == 0);

	/* emptied: a buffer a stream refills (its window) is kept, a larger
	 * one is let go */
	while (out.len < (1u << 20))
		CHECK_INT(varlink_output_append_reply(&out, big, sizeof(big), true), 0);
	varlink_output_advance(&out, out.len);
	CHECK(out.buf != NULL && out.cap >= (1u << 20));
	while (out.len < (5u << 20))
		CHECK_INT(varlink_output_append_reply(&out, big, sizeof(big), true), 0);
	varlink_output_advance(&out, out.len);
	CHECK(out.buf == NULL && out.cap == 0);
	varlink_output_done(&out);

	/* a name too long for an error */
	{
		char name[300];

		memset(name, 'a', sizeof(name));
		memcpy(name, "a.b.", 4);
		name[4] = 'E';
		name[sizeof(name) - 1] = '\0';
		CHECK_INT(varlink_output_append_error(&out, name, NULL, 0), -EINVAL);
		CHECK_INT(out.len, 0);
	}
}

/* A checker of varlink.org's interface definition grammar: comments,
 * "interface NAME", then methods, errors and types, whose fields have types
 * of bool, int, float, string, object, a type name, an anonymous struct or
 * enum, arrays "[]T", maps "[string]T", and the optional "?T". */
struct idl {
	const char *p;
	char members[32][64];
	size_t n_members;
};

static void idl_skip(struct idl *x)
{
	for (;;) {
		while (isspace((unsigned char)*x->p))
			x->p++;
		if (*x->p != '#')
			return;
		while (*x->p && *x->p != '\n')
			x->p++;
	}
}

static bool idl_literal(struct idl *x, const char *s)
{
	idl_skip(x);
	if (strncmp(x->p, s, strlen(s)) != 0)
		return false;
	x->p += strlen(s);
	return true;
}

/* A keyword: the literal followed by whitespace. */
static bool idl_keyword(struct idl *x, const char *s)
{
	const char *start = x->p;

	if (idl_literal(x, s) && isspace((unsigned char)*x->p))
		return true;
	x->p = start;
	return false;
}

static bool idl_word(struct idl *x, char *buf, size_t size)
{
	size_t n = 0;

	idl_skip(x);
	while (isalnum((unsigned char)x->p[n]) || x->p[n] == '_' || x->p[n] == '.' || x->p[n] == '-')
		n++;
	if (n == 0 || n >= size)
		return false;
	memcpy(buf, x->p, n);
	buf[n] = '\0';
	x->p += n;
	return true;
}

static bool idl_type(struct idl *x);

/* "(" fields or enum values ")"; @fields_only: a method's or an error's. */
static bool idl_struct(struct idl *x, bool fields_only)
{
	int fields = 0, values = 0;
	char name[64];

	if (!idl_literal(x, "("))
		return false;
	if (idl_literal(x, ")"))
		return true;
	do {
		if (!idl_word(x, name, sizeof(name)) || !matches(RE_FIELD, name))
			return false;
		if (idl_literal(x, ":")) {
			if (!idl_type(x))
				return false;
			fields++;
		} else
			values++;
	} while (idl_literal(x, ","));
	if ((fields && values) || (fields_only && values))
		return false;
	return idl_literal(x, ")");
}

static bool idl_type(struct idl *x)
{
	static const char *const builtin[] = { "bool", "int", "float", "string", "object" };
	char name[64];
	const char *start;

	idl_literal(x, "?");
	if (idl_literal(x, "[]") || idl_literal(x, "[string]"))
		return idl_type(x);
	idl_skip(x);
	if (*x->p == '(')
		return idl_struct(x, false);
	start = x->p;
	if (!idl_word(x, name, sizeof(name)))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(builtin); i++)
		if (strcmp(name, builtin[i]) == 0)
			return true;
	x->p = start;
	return idl_word(x, name, sizeof(name)) && matches(RE_MEMBER, name);
}

static bool idl_member_name(struct idl *x)
{
	char *name = x->members[x->n_members];

	if (x->n_members == ELEMENTSOF(x->members) || !idl_word(x, name, sizeof(x->members[0])) ||
	    !matches(RE_MEMBER, name))
		return false;
	for (size_t i = 0; i < x->n_members; i++)
		if (strcmp(x->members[i], name) == 0)
			return false;
	x->n_members++;
	return true;
}

/* Whether @text is a well-formed interface definition named @name. */
static bool idl_valid(const char *text, const char *name, struct idl *x)
{
	char iface[256];

	*x = (struct idl){ .p = text };
	if (!idl_keyword(x, "interface") || !idl_word(x, iface, sizeof(iface)) ||
	    !matches(RE_INTERFACE, iface) || strcmp(iface, name) != 0)
		return false;
	for (;;) {
		idl_skip(x);
		if (!*x->p)
			return x->n_members > 0;
		if (idl_keyword(x, "method")) {
			if (!idl_member_name(x) || !idl_struct(x, true) || !idl_literal(x, "->") ||
			    !idl_struct(x, true))
				return false;
		} else if (idl_keyword(x, "error")) {
			if (!idl_member_name(x) || !idl_struct(x, true))
				return false;
		} else if (idl_keyword(x, "type")) {
			if (!idl_member_name(x) || !idl_struct(x, false))
				return false;
		} else
			return false;
	}
}

static bool has_member(const struct idl *x, const char *name)
{
	for (size_t i = 0; i < x->n_members; i++)
		if (strcmp(x->members[i], name) == 0)
			return true;
	return false;
}

static void service_description_well_formed(void)
{
	static const char *const members[] = {
		"GetInfo",
		"GetInterfaceDescription",
		"InterfaceNotFound",
		"MethodNotFound",
		"MethodNotImplemented",
		"InvalidParameter",
		"PermissionDenied",
		"ExpectedMore",
	};
	struct idl x;

	CHECK(idl_valid(varlink_service_interface.description, "org.varlink.service", &x));
	CHECK_INT(x.n_members, ELEMENTSOF(members));
	for (size_t i = 0; i < ELEMENTSOF(members); i++)
		CHECK(has_member(&x, members[i]));
	/* every method it dispatches is declared */
	for (size_t i = 0; i < varlink_service_interface.n_methods; i++)
		CHECK(has_member(&x, varlink_service_interface.methods[i].name));

	/* the checker knows a bad text when it sees one */
	CHECK(idl_valid(
		"# c\ninterface a.b\ntype T (x: ?[]string, y: [string]T, z: (a, b))\nmethod M(t: T) -> ()\n",
		"a.b", &x));
	CHECK(!idl_valid("interface a.b\n", "a.b", &x));
	CHECK(!idl_valid("interface a.b\nmethod M() ()\n", "a.b", &x));
	CHECK(!idl_valid("interface a.b\nmethod m() -> ()\n", "a.b", &x));
	CHECK(!idl_valid("interface a.b\nmethod M(x: strin) -> ()\n", "a.b", &x));
	CHECK(!idl_valid("interface a.b\nerror E (a, b)\n", "a.b", &x));
	CHECK(!idl_valid("interface a.b\nerror E ()\nerror E ()\n", "a.b", &x));
	CHECK(!idl_valid("interface a\nerror E ()\n", "a", &x));
	CHECK(!idl_valid("interface a.b\nerror E (x: int\n", "a.b", &x));
}

UNIT_MAIN(T(names), T(framing_partial_reads), T(framing_limits), T(message_parse), T(output_serialise),
	  T(output_grows_and_compacts), T(service_description_well_formed))
