// SPDX-License-Identifier: BSD-2-Clause
/*
 * privdrop-caps-none.c - privdrop_have_capabilities() where there are no
 * capabilities (macOS): a process that is not root holds none.
 */
#include <stdbool.h>

#include "privdrop.h"

bool
privdrop_have_capabilities(void)
{
	return false;
}
