/* The accounts file loader: the input is written as the file and opened
 * (the loader reads a path, and also clears stale temporaries beside it). */
#include <stdint.h>
#include <stdlib.h>

#include "auth/accounts.h"
#include "fuzz_agent.h"
#include "util/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[256];
	struct accounts *a = NULL;
	struct account_info *list = NULL;
	struct role_info *roles = NULL;
	size_t n = 0;
	char err[512];

	if (!path[0])
		snprintf(path, sizeof(path), "%s", fuzz_scratch_file("accounts.json"));
	if (file_write_atomic(path, data, size, 0600))
		abort();
	if (accounts_open(path, 1000, &a, err, sizeof(err)))
		return 0;
	if (accounts_list(a, &list, &n) == 0)
		free(list);
	if (accounts_roles_list(a, &roles, &n) == 0)
		free(roles);
	accounts_free(a);
	return 0;
}
