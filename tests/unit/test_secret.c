/* Unit tests of core/secret.c: a secret read from an environment variable, and a call
 * that names neither a file nor a variable refused instead of reading through NULL. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "secret.h"
#include "unit.h"

CQE_TEST(secret_from_env_and_neither)
{
    char buf[CQE_SECRET_MAX + 1];
    size_t n = 99;
    struct cqe_err err = {0};
    CHECK(setenv("CQE_UNIT_SECRET", "s3cret\r\n", 1) == 0);
    CHECK(cqe_secret_read("unit.secret", NULL, "CQE_UNIT_SECRET", buf, sizeof buf, &n, &err) == 0);
    CHECK(n == 6 && !strcmp(buf, "s3cret"));
    unsetenv("CQE_UNIT_SECRET");
    CHECK(cqe_secret_read("unit.secret", NULL, NULL, buf, sizeof buf, &n, &err) == CQE_EINVAL);
    CHECK(n == 0 && strstr(err.msg, "unit.secret: neither a secret file nor a variable") == err.msg);
    cqe_secret_wipe(buf, sizeof buf);
}
