/* The register script's C side: the text of reg_register.lua, which the Makefile embeds
 * at build time as reg_register_lua.h (under build/gen, seen only by sinks/state). */
#include "state_redis_int.h"

#include "reg_register_lua.h"

void cqe_reg_script_load(struct cqe_rargs *a)
{
    cqe_rargs_cstr(a, "SCRIPT");
    cqe_rargs_cstr(a, "LOAD");
    cqe_rargs_ref(a, reg_register_lua, sizeof reg_register_lua - 1);
}
