/* The flush script's C side: the text of flush_partition.lua, which the Makefile embeds
 * at build time as flush_partition_lua.h (under build/gen, seen only by sinks/state). */
#include "state_redis_int.h"

#include "flush_partition_lua.h"

void cqe_flush_script_load(struct cqe_rargs *a)
{
    cqe_rargs_cstr(a, "SCRIPT");
    cqe_rargs_cstr(a, "LOAD");
    cqe_rargs_ref(a, flush_partition_lua, sizeof flush_partition_lua - 1);
}
