/* Placeholder for cloudqe check_config until its owner lands it. */
#include <stdio.h>
#include "commands.h"
int cqe_cmd_check_config(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "not yet\n");
    return 2;
}
