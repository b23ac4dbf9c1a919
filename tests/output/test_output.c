// Claims on outputs (pipeline/output): one writer per PATH across processes and inside one,
// the holder named in the refusal, a dead holder blocking nobody, atomic commit of regular
// files (through symlinks), special files written in place and never renamed over, "-" as
// standard output.
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipeline/output/output.h"

static char dir[256];

static void make_dir(void) {
    snprintf(dir, sizeof dir, "/tmp/qp_output_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(output, .init = make_dir, .fini = remove_dir);

static int exists(const char *p) {
    struct stat st;
    return lstat(p, &st) == 0;
}

static char *read_text(const char *p) {
    static char buf[4096];
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static void write_text(const char *p, const char *text) {
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

Test(output, atomic_file_appears_only_at_commit) {
    char path[400], partial[420], lock[440];
    snprintf(path, sizeof path, "%s/r.txt", dir);
    snprintf(partial, sizeof partial, "%s.partial", path);
    snprintf(lock, sizeof lock, "%s.partial.lock", path);
    write_text(path, "old\n");
    qp_output *o;
    qp_err err = {{0}};
    cr_assert_eq(qp_output_claim(path, &o, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_output_kind_of(o), QP_OUTPUT_ATOMIC);
    cr_assert_str_eq(qp_output_write_path(o), partial);
    char *holder = read_text(lock);
    cr_assert_not_null(holder, "the claim made %s", lock);
    char pid[64];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    cr_assert(strstr(holder, pid) && strstr(holder, "host "), "lock file names the holder: %s", holder);
    FILE *f = qp_output_fopen(o, &err);
    cr_assert_not_null(f, "%s", err.msg);
    fputs("new\n", f);
    fflush(f);
    cr_assert_str_eq(read_text(path), "old\n", "the earlier file stays until commit");
    cr_assert_eq(qp_output_finish(o, f, &err), 0, "%s", err.msg);
    cr_assert_str_eq(read_text(path), "new\n");
    cr_assert(!exists(partial) && !exists(lock), "finish leaves only the output");
}

Test(output, second_claim_in_the_same_process_is_refused) {
    char path[400];
    snprintf(path, sizeof path, "%s/same.h5", dir);
    qp_output *a, *b;
    qp_err err = {{0}};
    cr_assert_eq(qp_output_claim(path, &a, &err), 0, "%s", err.msg);
    cr_assert_neq(qp_output_claim(path, &b, &err), 0);
    cr_assert(strstr(err.msg, "being written by another job") && strstr(err.msg, "pid "), "%s", err.msg);
    qp_output_release(a);
    cr_assert_eq(qp_output_claim(path, &b, &err), 0, "released: %s", err.msg);
    qp_output_release(b);
}

// A child process claims PATH and waits; returns its pid once the claim is held.
static pid_t child_holding(const char *path) {
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        qp_output *o;
        qp_err err;
        char ok = qp_output_claim(path, &o, &err) == 0 ? 'y' : 'n';
        if (write(ready[1], &ok, 1) != 1) _exit(2);
        pause();  // until killed
        _exit(0);
    }
    char ok = 0;
    cr_assert_eq(read(ready[0], &ok, 1), 1);
    cr_assert_eq(ok, 'y');
    close(ready[0]);
    close(ready[1]);
    return pid;
}

Test(output, other_process_refused_naming_holder_until_it_dies) {
    char path[400], lock[440];
    snprintf(path, sizeof path, "%s/job.h5", dir);
    snprintf(lock, sizeof lock, "%s.partial.lock", path);
    setenv("SLURM_JOB_ID", "4242", 1);
    pid_t holder = child_holding(path);
    unsetenv("SLURM_JOB_ID");
    qp_output *o;
    qp_err err = {{0}};
    cr_assert_neq(qp_output_claim(path, &o, &err), 0);
    char pid[64];
    snprintf(pid, sizeof pid, "pid %ld, Slurm job 4242", (long)holder);
    cr_assert(strstr(err.msg, pid) && strstr(err.msg, "job.h5.partial.lock"), "names the holder: %s", err.msg);
    // The holder dies without releasing: the kernel drops its lock; the stale file stays.
    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    cr_assert(exists(lock), "a killed holder leaves its lock file");
    cr_assert_eq(qp_output_claim(path, &o, &err), 0, "a dead holder blocks nobody: %s", err.msg);
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    cr_assert(strstr(read_text(lock), pid), "the new holder is recorded");
    qp_output_release(o);
    cr_assert(!exists(lock));
}

Test(output, device_node_is_written_in_place) {
    char path[400];
    snprintf(path, sizeof path, "%s/null", dir);
    if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) != 0) {
        cr_skip_test("mknod not permitted here (needs root): device-node case not run");
    }
    qp_output *o;
    qp_err err = {{0}};
    cr_assert_eq(qp_output_claim(path, &o, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_output_kind_of(o), QP_OUTPUT_IN_PLACE);
    cr_assert_str_eq(qp_output_write_path(o), path);
    FILE *f = qp_output_fopen(o, &err);
    cr_assert_not_null(f, "%s", err.msg);
    fputs("discarded\n", f);
    cr_assert_eq(qp_output_finish(o, f, &err), 0, "%s", err.msg);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert(S_ISCHR(st.st_mode), "still a character device");
    char partial[420];
    snprintf(partial, sizeof partial, "%s.partial", path);
    cr_assert(!exists(partial));
    // A FIFO too: never renamed over.
    snprintf(path, sizeof path, "%s/fifo", dir);
    cr_assert_eq(mkfifo(path, 0600), 0);
    cr_assert_eq(qp_output_claim(path, &o, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_output_kind_of(o), QP_OUTPUT_IN_PLACE);
    qp_output_release(o);
}

Test(output, dash_and_our_stdout_mean_stdout) {
    qp_output *o;
    qp_err err = {{0}};
    cr_assert_eq(qp_output_claim("-", &o, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_output_kind_of(o), QP_OUTPUT_STDOUT);
    cr_assert_eq(qp_output_fopen(o, &err), stdout);
    qp_output_release(o);
    // stdout redirected to a regular file: naming that file (or /dev/stdout) writes through
    // stdout, not by renaming over the file the shell opened.
    char path[400];
    snprintf(path, sizeof path, "%s/stdout.txt", dir);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    int rc1 = qp_output_claim(path, &o, &err);
    qp_output_kind k1 = rc1 == 0 ? qp_output_kind_of(o) : QP_OUTPUT_ATOMIC;
    if (rc1 == 0) qp_output_release(o);
    int rc2 = qp_output_claim("/dev/stdout", &o, &err);
    qp_output_kind k2 = rc2 == 0 ? qp_output_kind_of(o) : QP_OUTPUT_ATOMIC;
    if (rc2 == 0) qp_output_release(o);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fd);
    cr_assert(rc1 == 0 && k1 == QP_OUTPUT_STDOUT, "the file stdout goes to");
    cr_assert(rc2 == 0 && k2 == QP_OUTPUT_STDOUT, "/dev/stdout");
}

Test(output, symlink_to_file_commits_to_target_and_stays_a_link) {
    char target[400], link[400];
    snprintf(target, sizeof target, "%s/v3.txt", dir);
    snprintf(link, sizeof link, "%s/latest.txt", dir);
    write_text(target, "v3\n");
    cr_assert_eq(symlink(target, link), 0);
    qp_output *o;
    qp_err err = {{0}};
    cr_assert_eq(qp_output_claim(link, &o, &err), 0, "%s", err.msg);
    FILE *f = qp_output_fopen(o, &err);
    fputs("v4\n", f);
    cr_assert_eq(qp_output_finish(o, f, &err), 0, "%s", err.msg);
    struct stat st;
    cr_assert_eq(lstat(link, &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "the link stays a link");
    cr_assert_str_eq(read_text(target), "v4\n");
}

Test(output, abandon_removes_partial_and_keeps_old_file) {
    char path[400], partial[420];
    snprintf(path, sizeof path, "%s/keep.txt", dir);
    snprintf(partial, sizeof partial, "%s.partial", path);
    write_text(path, "keep\n");
    qp_output *o;
    qp_err err = {{0}};
    cr_assert_eq(qp_output_claim(path, &o, &err), 0, "%s", err.msg);
    FILE *f = qp_output_fopen(o, &err);
    fputs("half", f);
    qp_output_abandon(o, f);
    cr_assert(!exists(partial));
    cr_assert_str_eq(read_text(path), "keep\n");
    cr_assert_neq(qp_output_claim(dir, &o, &err), 0);
    cr_assert(strstr(err.msg, "is a directory"), "%s", err.msg);
}
