/* Runs every registered unit test and prints "ok NAME" / "FAIL NAME", then the
 * closing "N passed, N failed" line. */
#include "unit.h"

#include <string.h>

static struct cqe_unit *all_tests;

void cqe_unit_register(struct cqe_unit *u)
{
    u->next = all_tests;
    all_tests = u;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (struct cqe_unit *u = all_tests; u; u = u->next) {
        if (argc > 1 && !strstr(u->name, argv[1]))
            continue;
        int bad = 0;
        u->fn(&bad);
        printf("%s %s\n", bad ? "FAIL" : "ok", u->name);
        if (bad)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
