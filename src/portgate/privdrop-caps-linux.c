// SPDX-License-Identifier: BSD-2-Clause
/*
 * privdrop-caps-linux.c - privdrop_have_capabilities() on Linux: capget(2).
 */
#include <linux/capability.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "privdrop.h"

bool
privdrop_have_capabilities(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &hdr, data) < 0)
		return true; /* cannot tell: assume the worst */
	for (size_t i = 0; i < nitems(data); i++)
		if (data[i].effective != 0 || data[i].permitted != 0)
			return true;
	return false;
}
