#include "pipeline/cli/args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Usage errors come before MPI_Init, so under mpirun / srun every rank finds the same one:
// only the first rank (by the launcher's environment) prints it.
static int launched_as_other_rank(void) {
    const char *vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && v[0]) return atol(v) != 0;
    }
    return 0;
}

int qp_usage_error(const char *command, const char *fmt, ...) {
    if (launched_as_other_rank()) return QP_ARGS_USAGE_ERROR;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "qecpipe %s: ", command);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see qecpipe %s --help)\n", command);
    va_end(ap);
    return QP_ARGS_USAGE_ERROR;
}

static void print_help(const char *command, const char *summary, const char *usage,
                       const qp_opt *opts, int num_opts) {
    printf("Usage: qecpipe %s %s\n\n%s\n\nOptions:\n", command, usage, summary);
    for (int i = 0; i < num_opts; i++) {
        char left[64];
        if (opts[i].kind == QP_OPT_FLAG)
            snprintf(left, sizeof left, "--%s", opts[i].name);
        else
            snprintf(left, sizeof left, "--%s %s", opts[i].name, opts[i].metavar ? opts[i].metavar : "X");
        printf("  %-28s %s\n", left, opts[i].help);
    }
    printf("  %-28s %s\n", "--help", "show this help and exit");
}

static int set_value(const char *command, const qp_opt *o, const char *v) {
    char *end = NULL;
    errno = 0;
    switch (o->kind) {
    case QP_OPT_STR:
        *(const char **)o->dest = v;
        return 0;
    case QP_OPT_U64:
    case QP_OPT_SIZE: {
        if (*v == '-' || *v == '\0') break;
        unsigned long long x = strtoull(v, &end, 10);
        if (errno || *end) break;
        if (o->kind == QP_OPT_SIZE && x > QP_OPT_SIZE_MAX) {
            qp_usage_error(command, "--%s %s is too large (at most %llu)", o->name, v,
                           (unsigned long long)QP_OPT_SIZE_MAX);
            return -1;
        }
        *(uint64_t *)o->dest = x;
        return 0;
    }
    case QP_OPT_INT: {
        long x = strtol(v, &end, 10);
        if (errno || *end || *v == '\0' || x < -2147483647L || x > 2147483647L) break;
        *(int *)o->dest = (int)x;
        return 0;
    }
    case QP_OPT_DOUBLE: {
        double x = strtod(v, &end);
        if (errno || *end || *v == '\0') break;
        *(double *)o->dest = x;
        return 0;
    }
    case QP_OPT_FLAG:
        break;
    }
    qp_usage_error(command, "invalid value '%s' for --%s", v, o->name);
    return -1;
}

int qp_args_parse(int argc, char **argv, const char *command, const char *summary,
                  const char *usage, const qp_opt *opts, int num_opts,
                  const char **positional, int max_positional, int *num_positional) {
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(command, summary, usage, opts, num_opts);
            return QP_ARGS_HELP;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (npos >= max_positional)
                return qp_usage_error(command, "unexpected argument '%s'", a);
            positional[npos++] = a;
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const qp_opt *o = NULL;
        for (int k = 0; k < num_opts; k++)
            if (strlen(opts[k].name) == nlen && strncmp(opts[k].name, name, nlen) == 0) o = &opts[k];
        if (!o) return qp_usage_error(command, "unknown option '--%.*s'", (int)nlen, name);
        if (o->kind == QP_OPT_FLAG) {
            if (eq) return qp_usage_error(command, "option '--%s' takes no value", o->name);
            *(int *)o->dest = 1;
            continue;
        }
        const char *v;
        if (eq) {
            v = eq + 1;
        } else {
            if (i + 1 >= argc) return qp_usage_error(command, "option '--%s' needs a value", o->name);
            v = argv[++i];
        }
        if (set_value(command, o, v) != 0) return QP_ARGS_USAGE_ERROR;
    }
    if (num_positional) *num_positional = npos;
    return QP_ARGS_OK;
}
