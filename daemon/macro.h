/* SPDX-License-Identifier: GPL-2.0-only */
/* Small helpers used everywhere: scope-bound cleanup, array sizes. */
#pragma once

#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Defines NAMEp(T **) that calls NAME(T *) when the pointer is set. */
#define DEFINE_POINTER_CLEANUP(type, func)   \
	static inline void func##p(type **p) \
	{                                    \
		if (*p)                      \
			func(*p);            \
	}

/* The value of pointer @p, which is set to NULL: ownership handed on. */
#define TAKE_PTR(p)                           \
	({                                    \
		__typeof__(p) _taken_ = (p);  \
		(p) = NULL;                   \
		_taken_;                      \
	})
