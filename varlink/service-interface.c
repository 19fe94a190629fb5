// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "service-interface.h"

/* As varlink.org defines the interface; clients read it to learn the
 * standard errors' parameters. */
static const char description[] =
	"# Provided by every Varlink service: what the service is, and which\n"
	"# interfaces it implements.\n"
	"interface org.varlink.service\n"
	"\n"
	"# The service's implementation, and the interfaces it provides.\n"
	"method GetInfo() -> (\n"
	"  vendor: string,\n"
	"  product: string,\n"
	"  version: string,\n"
	"  url: string,\n"
	"  interfaces: []string\n"
	")\n"
	"\n"
	"# The definition text of one of the interfaces the service provides.\n"
	"method GetInterfaceDescription(interface: string) -> (description: string)\n"
	"\n"
	"# No interface of that name is provided.\n"
	"error InterfaceNotFound (interface: string)\n"
	"\n"
	"# The interface has no method of that name.\n"
	"error MethodNotFound (method: string)\n"
	"\n"
	"# The interface defines the method, but the service does not implement it.\n"
	"error MethodNotImplemented (method: string)\n"
	"\n"
	"# A parameter of the call is not valid.\n"
	"error InvalidParameter (parameter: string)\n"
	"\n"
	"# The caller is not allowed to make the call.\n"
	"error PermissionDenied ()\n"
	"\n"
	"# The method must be called with \"more\" set to true.\n"
	"error ExpectedMore ()\n";

static int get_info(struct varlink_call *call, struct json_object *parameters, void *userdata)
{
	const struct varlink_server *s = userdata;
	const char *vendor, *product, *version, *url;
	struct json_object *reply = json_object_new_object(), *interfaces = json_object_new_array();
	int r = reply && interfaces ? 0 : -ENOMEM;

	varlink_server_get_info(s, &vendor, &product, &version, &url);
	for (size_t i = 0; r == 0 && i < varlink_server_n_interfaces(s); i++) {
		struct json_object *name = json_object_new_string(varlink_server_interface(s, i)->name);

		if (!name || json_object_array_add(interfaces, name) < 0) {
			json_object_put(name);
			r = -ENOMEM;
		}
	}
	if (r == 0)
		r = varlink_json_add(reply, "vendor", json_object_new_string(vendor));
	if (r == 0)
		r = varlink_json_add(reply, "product", json_object_new_string(product));
	if (r == 0)
		r = varlink_json_add(reply, "version", json_object_new_string(version));
	if (r == 0)
		r = varlink_json_add(reply, "url", json_object_new_string(url));
	if (r == 0) {
		r = varlink_json_add(reply, "interfaces", interfaces);
		interfaces = NULL;
	}
	json_object_put(interfaces);
	if (r < 0) {
		json_object_put(reply);
		return r;
	}
	return varlink_reply(call, reply, false);
}

static int get_interface_description(struct varlink_call *call, struct json_object *parameters,
				     void *userdata)
{
	const struct varlink_server *s = userdata;
	const struct varlink_interface *iface;
	struct json_object *name, *reply;
	const char *text;

	if (!json_object_object_get_ex(parameters, "interface", &name) ||
	    !json_object_is_type(name, json_type_string))
		return varlink_error_invalid_parameter(call, "interface");
	iface = varlink_server_find_interface(s, json_object_get_string(name),
					      json_object_get_string_len(name));
	if (!iface) {
		reply = json_object_new_object();
		if (!reply || varlink_json_add(reply, "interface", json_object_get(name)) < 0) {
			json_object_put(reply);
			return -ENOMEM;
		}
		return varlink_error(call, VARLINK_ERROR_INTERFACE_NOT_FOUND, reply);
	}
	text = iface->description ?: "";
	reply = json_object_new_object();
	if (!reply || varlink_json_add(reply, "description", json_object_new_string(text)) < 0) {
		json_object_put(reply);
		return -ENOMEM;
	}
	return varlink_reply(call, reply, false);
}

static const struct varlink_method methods[] = {
	{ "GetInfo", get_info },
	{ "GetInterfaceDescription", get_interface_description },
};

const struct varlink_interface varlink_service_interface = {
	.name = VARLINK_SERVICE_INTERFACE,
	.description = description,
	.methods = methods,
	.n_methods = ELEMENTSOF(methods),
};
