/* SPDX-License-Identifier: GPL-2.0-only */
/* _cleanup_(json_object_putp) for bombusctl's json-c objects. */
#pragma once

#include <json-c/json.h>

#include "macro.h"

DEFINE_POINTER_CLEANUP(struct json_object, json_object_put)
