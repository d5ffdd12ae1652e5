/* What the commands share on their command line (docs/cli.md): the exit codes, and the
 * checks made before any long work starts: input files, the output directory, --target. */
#ifndef CQE_CLI_H
#define CQE_CLI_H

#include "err.h"
#include "view.h"

/* Exit codes of every command; the test hooks' 77 and produce's 130 are in docs/cli.md. */
enum cqe_exit {
    CQE_EXIT_OK = 0,      /* done */
    CQE_EXIT_FAILURE = 1, /* a runtime failure: a file, a service, the data */
    CQE_EXIT_USAGE = 2,   /* the command line is wrong: an option, an argument, a value */
};

/* Checks that each of the n paths (borrowed) can be read before any of them is: it
 * exists, the process may read it, and it is a regular file or a pipe ("-" is stdin).
 * Returns 0, or CQE_EIO with err naming the first bad file and the system's reason. */
int cqe_cli_check_inputs(char *const *paths, int n, struct cqe_err *err);

/* Creates dir and every missing directory above it (mkdir -p), then proves it writable
 * by creating and removing a file in it. Returns 0, or CQE_EIO with err naming the
 * directory and the system's reason. */
int cqe_cli_out_dir(const char *dir, struct cqe_err *err);

/* Checks that target (NULL: every target, fine) is "platform" or a provider of v.
 * Returns 0, or CQE_EINVAL with err listing the known targets. */
int cqe_cli_check_target(const struct cqe_view *v, const char *target, struct cqe_err *err);

#endif
