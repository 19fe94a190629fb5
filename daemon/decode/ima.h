/* SPDX-License-Identifier: GPL-2.0-only */
/* IMA digests as events show them: "ALGO:HEX" ("sha256:0148f5..."). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The string of the digest of @algo (the kernel's enum hash_algo, as
 * bpf_ima_file_hash returns it) in the first bytes of @digest (@size bytes
 * available). Returns a new string, or NULL for an algorithm this file does
 * not know or a digest longer than @size (errno EINVAL) or no memory. */
char *ima_hash_to_string(unsigned algo, const uint8_t *digest, size_t size);

/* Whether the running kernel has IMA: false only when securityfs is mounted
 * and has no ima directory; without securityfs the kernel is not asked. */
bool ima_present(const char *securityfs);
