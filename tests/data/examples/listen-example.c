/*
 * listen-example.c - the example of portgate_listen_fds(3), built by
 * t0500-install.sh against the installed header, library and pkg-config file.
 */
#include <portgate.h>
#include <stdio.h>

int
main(void)
{
	char **names = NULL;
	int n = portgate_listen_fds(1, &names);

	if (n < 0)
		return 1;
	for (int i = 0; i < n; i++)
		printf("fd %d is %s\n", PORTGATE_LISTEN_FDS_START + i, names[i]);
	portgate_free_names(names);
	return 0;
}
