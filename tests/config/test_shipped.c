// Tests of finding the files shipped with qecpipe (pipeline/config/shipped.h): the share
// directory of an installed tree from the binary's path (a fake PREFIX built here), names with
// and without extension, the sorted list, and how a command argument is resolved. The test
// binary itself lives in a build tree, so it finds the source tree's configs/.
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/config/shipped.h"

static char prefix[PATH_MAX];

static void touch(const char *rel) {
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", prefix, rel);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f, "cannot create %s", p);
    fclose(f);
}

// PREFIX/bin, PREFIX/share/qecpipe/{configs,models} with a few files.
static void make_prefix(void) {
    char tmpl[] = "/tmp/qecpipe-shipped-XXXXXX", p[PATH_MAX + 64];
    cr_assert_not_null(mkdtemp(tmpl));
    snprintf(prefix, sizeof prefix, "%s", tmpl);
    const char *dirs[] = {"bin", "share", "share/qecpipe", "share/qecpipe/configs", "share/qecpipe/models"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", prefix, dirs[i]);
        cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s", p);
    }
    touch("share/qecpipe/configs/threshold.yaml");
    touch("share/qecpipe/configs/alpha.yaml");
    touch("share/qecpipe/configs/notes.txt");  // not a config
    touch("share/qecpipe/models/d3_z.h5");
}

static void remove_prefix(void) {
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", prefix);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(shipped, .init = make_prefix, .fini = remove_prefix);

Test(shipped, share_dir_is_found_from_the_binary_path) {
    char exe[PATH_MAX + 32], dir[PATH_MAX + 32], want[PATH_MAX + 32];
    snprintf(exe, sizeof exe, "%s/bin/qecpipe", prefix);
    snprintf(want, sizeof want, "%s/share/qecpipe", prefix);
    cr_assert_eq(qp_shipped_dir_for(exe, dir, sizeof dir), 0);
    cr_assert_str_eq(dir, want);
    // A path through a symlinked or dotted bin directory gives the same, normalised directory.
    snprintf(exe, sizeof exe, "%s/bin/../bin/qecpipe", prefix);
    cr_assert_eq(qp_shipped_dir_for(exe, dir, sizeof dir), 0);
    cr_assert_str_eq(dir, want);
}

Test(shipped, without_share_the_source_tree_is_used) {
    char dir[PATH_MAX + 32], probe[PATH_MAX + 64];
    cr_assert_eq(qp_shipped_dir_for("/no/such/bin/qecpipe", dir, sizeof dir), 0);
    snprintf(probe, sizeof probe, "%s/configs/quickstart.yaml", dir);
    cr_assert_eq(access(probe, R_OK), 0, "source tree fallback %s has no configs/quickstart.yaml", dir);
}

Test(shipped, lookup_with_and_without_extension) {
    char dir[PATH_MAX + 32], path[PATH_MAX + 64], want[PATH_MAX + 64];
    snprintf(dir, sizeof dir, "%s/share/qecpipe", prefix);
    snprintf(want, sizeof want, "%s/configs/threshold.yaml", dir);
    cr_assert_eq(qp_shipped_lookup(dir, QP_SHIPPED_CONFIG, "threshold", path, sizeof path), 1);
    cr_assert_str_eq(path, want);
    cr_assert_eq(qp_shipped_lookup(dir, QP_SHIPPED_CONFIG, "threshold.yaml", path, sizeof path), 1);
    cr_assert_str_eq(path, want);
    snprintf(want, sizeof want, "%s/models/d3_z.h5", dir);
    cr_assert_eq(qp_shipped_lookup(dir, QP_SHIPPED_MODEL, "d3_z", path, sizeof path), 1);
    cr_assert_str_eq(path, want);
    strcpy(path, "unchanged");
    cr_assert_eq(qp_shipped_lookup(dir, QP_SHIPPED_CONFIG, "d3_z", path, sizeof path), 0);  // a model
    cr_assert_eq(qp_shipped_lookup(dir, QP_SHIPPED_CONFIG, "notes.txt", path, sizeof path), 0);
    cr_assert_eq(qp_shipped_lookup(dir, QP_SHIPPED_CONFIG, "configs/threshold", path, sizeof path), 0);
    cr_assert_str_eq(path, "unchanged", "a failed lookup leaves buf alone");
}

Test(shipped, list_is_sorted_without_extensions) {
    char dir[PATH_MAX + 32], names[256];
    snprintf(dir, sizeof dir, "%s/share/qecpipe", prefix);
    qp_shipped_list(dir, QP_SHIPPED_CONFIG, names, sizeof names);
    cr_assert_str_eq(names, "alpha threshold");
    qp_shipped_list(dir, QP_SHIPPED_MODEL, names, sizeof names);
    cr_assert_str_eq(names, "d3_z");
}

Test(shipped, find_prefers_files_and_names_shipped_configs) {
    char path[PATH_MAX + 64];
    qp_err err = {{0}};
    char here[PATH_MAX + 64];
    snprintf(here, sizeof here, "%s/share/qecpipe/configs/alpha.yaml", prefix);
    // An existing path is kept as written, even when it is also a shipped name.
    cr_assert_eq(qp_shipped_find(QP_SHIPPED_CONFIG, here, path, sizeof path, &err), 0);
    cr_assert_str_eq(path, here);
    // A path with a '/' that does not exist is kept too: loading it reports the missing file.
    cr_assert_eq(qp_shipped_find(QP_SHIPPED_CONFIG, "no/such.yaml", path, sizeof path, &err), 0);
    cr_assert_str_eq(path, "no/such.yaml");
    // This test binary is in a build tree: bare names come from the source tree's configs/.
    cr_assert_eq(qp_shipped_find(QP_SHIPPED_CONFIG, "quickstart", path, sizeof path, &err), 0, "%s", err.msg);
    const char *tail = "/configs/quickstart.yaml";
    cr_assert(strlen(path) > strlen(tail) && strcmp(path + strlen(path) - strlen(tail), tail) == 0, "%s", path);
    // An unknown bare name: one line that lists what is shipped.
    cr_assert_eq(qp_shipped_find(QP_SHIPPED_CONFIG, "no_such_config", path, sizeof path, &err), -1);
    cr_assert_not_null(strstr(err.msg, "no_such_config: no such file here, nor a shipped config in "), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "quickstart"), "%s", err.msg);
    cr_assert_null(strchr(err.msg, '\n'));
}
