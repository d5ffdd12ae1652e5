/* Placeholder for cloudqe replay until its owner lands it. */
#include <stdio.h>
#include "commands.h"
int cqe_cmd_replay(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "not yet\n");
    return 2;
}
