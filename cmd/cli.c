/* The command-line checks the commands share (see cli.h): each runs before any long
 * work, so a wrong name fails at once instead of after minutes of reading. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cqe_cli_check_inputs(char *const *paths, int n, struct cqe_err *err)
{
    for (int i = 0; i < n; i++) {
        if (!strcmp(paths[i], "-"))
            continue;
        /* opened, not access()ed: the answer is the one the read will get; O_NONBLOCK so
         * a named pipe nobody writes to yet does not hang the check */
        struct stat st;
        int fd = open(paths[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        int e = fd < 0 ? errno : fstat(fd, &st) ? errno : 0;
        if (fd >= 0)
            close(fd);
        if (!e && S_ISDIR(st.st_mode))
            e = EISDIR;
        if (e)
            return cqe_err_set(err, CQE_EIO, "cannot read %s: %s", paths[i], strerror(e));
        if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
            return cqe_err_set(err, CQE_EIO, "cannot read %s: not a regular file or a pipe", paths[i]);
    }
    return 0;
}

int cqe_cli_out_dir(const char *dir, struct cqe_err *err)
{
    char path[4096];
    size_t n = strlen(dir);
    if (!n || n >= sizeof path - 32)
        return cqe_err_set(err, CQE_EINVAL, "cannot write '%s': a directory name of 1 to %zu bytes, please",
                           dir, sizeof path - 33);
    memcpy(path, dir, n + 1);
    /* mkdir -p: each prefix that ends before a '/', then the whole name */
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        int e = mkdir(path, 0755) == 0 ? 0 : errno;
        path[i] = i < n ? '/' : '\0';
        if (e && e != EEXIST)
            return cqe_err_set(err, CQE_EIO, "cannot create %.*s: %s", (int)i, dir, strerror(e));
    }
    /* a file made and removed: the only proof the reports can be written there */
    snprintf(path, sizeof path, "%s/.cloudqe-probe-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0)
        return cqe_err_set(err, CQE_EIO, "cannot write %s: %s", dir, strerror(errno));
    close(fd);
    unlink(path);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cqe_cli_check_target(const struct cqe_view *v, const char *target, struct cqe_err *err)
{
    if (!target || !strcmp(target, "platform") ||
        cqe_strmap_find(&v->providers, target, strlen(target)) != SIZE_MAX)
        return 0;
    char **names = malloc((v->providers.n ? v->providers.n : 1) * sizeof *names);
    if (!names)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    if (v->providers.n)
        memcpy(names, v->providers.keys, v->providers.n * sizeof *names);
    qsort(names, v->providers.n, sizeof *names, by_name);
    char known[384] = "platform";
    size_t used = strlen(known);
    for (size_t i = 0; i < v->providers.n && used < sizeof known; i++)
        used += (size_t)snprintf(known + used, sizeof known - used, ", %s", names[i]);
    free(names);
    return cqe_err_set(err, CQE_EINVAL, "--target %s: no such target; the known targets are %s%s", target,
                       known, used < sizeof known ? "" : "...");
}
