/* The prefix of messages on stderr (see log.h). */
#include "log.h"

static const char *log_name = "cloudqe";

void cqe_log_set_name(const char *name)
{
    log_name = name;
}

const char *cqe_log_name(void)
{
    return log_name;
}
