// Training shots from an archive (pipeline/train/archive_shots.h), single process, on a
// two-folder archive written here whose shot i carries i in its detection events (24 bits)
// and i mod 2 as its observable, so every row says where it came from:
//  - the split: a fraction per folder (rounded), or a count shared in proportion; no shot or
//    all shots held out is refused;
//  - the held-out shots are exactly the last ones of each folder;
//  - an epoch of training batches visits every training shot exactly once and no held-out
//    shot, rows and observables staying paired; the next epoch is another order of the same
//    set; a batch straddling two epochs is the end of one and the start of the next;
//  - the split text round-trips (check passes, apply restores the counts), and another
//    held-out count or another file content is named in the error.
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/train/archive_shots.h"
#include "workers/circuit/surface_code.h"

static char root[256];

static void write_folder(const char *name, uint64_t first, uint64_t n, const char *circuit_text) {
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    cr_assert_eq(mkdir(dir, 0777), 0);
    snprintf(path, sizeof path, "%s/circuit_noisy.stim", dir);
    FILE *f = fopen(path, "w");
    fputs(circuit_text, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/detection_events.b8", dir);
    f = fopen(path, "wb");
    for (uint64_t i = first; i < first + n; i++) {
        unsigned char b[3] = {(unsigned char)i, (unsigned char)(i >> 8), (unsigned char)(i >> 16)};
        fwrite(b, 1, 3, f);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/obs_flips_actual.01", dir);
    f = fopen(path, "w");
    for (uint64_t i = first; i < first + n; i++) fputs(i % 2 ? "1\n" : "0\n", f);
    fclose(f);
}

// Two folders: shots 0..999 and 1000..1499 (d=3 memory Z: 24 detectors, 3 bytes).
static void make_archive(void) {
    snprintf(root, sizeof root, "/tmp/qp_test_archive_shots.%d", (int)getpid());
    cr_assert_eq(mkdir(root, 0777), 0);
    qp_circuit c;
    qp_surface_params sp = qp_surface_params_si1000('z', 3, 3, 0.003);
    qp_err err;
    cr_assert_eq(qp_surface_code_generate(&c, &sp, &err), 0);
    char *text = qp_circuit_to_text(&c, &err);
    qp_circuit_free(&c);
    write_folder("a", 0, 1000, text);
    write_folder("b", 1000, 500, text);
    free(text);
}

static void remove_archive(void) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    cr_assert_eq(system(cmd), 0);
}

static uint64_t row_index(const uint8_t *r) { return r[0] | (uint64_t)r[1] << 8 | (uint64_t)r[2] << 16; }

static int held_out_index(uint64_t i, uint64_t ha, uint64_t hb) {
    return (i < 1000 && i >= 1000 - ha) || (i >= 1500 - hb);
}

Test(archive_shots, split_epochs_and_recorded_split, .init = make_archive, .fini = remove_archive) {
    qp_archive_shots a;
    qp_err err;
    cr_assert_eq(qp_archive_shots_open(&a, root, &err), 0, "%s", err.msg);
    cr_assert_eq(a.num_folders, 2);
    cr_assert_eq(a.num_dets, 24);
    cr_assert_eq(a.num_shots, 1500);

    cr_assert_eq(qp_archive_shots_split(&a, 0, 151, &err), 0, "%s", err.msg);
    cr_assert_eq(a.folders[0].holdout, 101);  // 100 + the remainder's one
    cr_assert_eq(a.folders[1].holdout, 50);
    cr_assert_neq(qp_archive_shots_split(&a, 0, 1500, &err), 0);
    cr_assert_neq(qp_archive_shots_split(&a, 1e-9, 0, &err), 0, "no shot held out is refused");
    cr_assert_eq(qp_archive_shots_split(&a, 0.1, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(a.folders[0].holdout, 100);
    cr_assert_eq(a.folders[1].holdout, 50);
    cr_assert_eq(a.num_train, 1350);

    cr_assert_eq(qp_archive_shots_load(&a, &err), 0, "%s", err.msg);
    for (uint64_t h = 0; h < a.num_heldout; h++) {
        uint64_t i = row_index(a.held_dets + 3 * h);
        cr_assert_eq(i, h < 100 ? 900 + h : 1450 + (h - 100), "held-out row %llu is shot %llu", (unsigned long long)h,
                     (unsigned long long)i);
        cr_assert_eq(a.held_obs[h], i % 2);
    }

    // Two epochs in batches of 97 (not a divisor of 1350): each a permutation of the training set.
    uint64_t n = 2 * a.num_train;
    uint8_t *dets = malloc(n * 3), *obs = malloc(n);
    for (uint64_t first = 0; first < n; first += 97) {
        uint64_t k = n - first < 97 ? n - first : 97;
        qp_archive_shots_batch(&a, 11, 22, first, k, dets + first * 3, obs + first);
    }
    for (int e = 0; e < 2; e++) {
        uint8_t seen[1500] = {0};
        for (uint64_t k = e * a.num_train; k < (e + 1) * a.num_train; k++) {
            uint64_t i = row_index(dets + 3 * k);
            cr_assert_lt(i, 1500);
            cr_assert(!held_out_index(i, 100, 50), "held-out shot %llu in a training batch", (unsigned long long)i);
            cr_assert_eq(obs[k], i % 2, "row and observable stay paired");
            cr_assert_eq(seen[i], 0, "shot %llu twice in epoch %d", (unsigned long long)i, e);
            seen[i] = 1;
        }
    }
    cr_assert_neq(memcmp(dets, dets + 3 * a.num_train, 3 * a.num_train), 0, "epochs in different orders");
    // Deterministic: the same samples again, asked for in other pieces.
    uint8_t again[3 * 10], obs_again[10];
    qp_archive_shots_batch(&a, 11, 22, a.num_train - 5, 10, again, obs_again);
    cr_assert_eq(memcmp(again, dets + 3 * (a.num_train - 5), 30), 0);

    // The recorded split.
    char *text = qp_archive_split_text(&a);
    cr_assert_eq(qp_archive_split_check(&a, text, "checkpoint T", &err), 0, "%s", err.msg);
    a.folders[1].holdout = 60;
    cr_assert_neq(qp_archive_split_check(&a, text, "checkpoint T", &err), 0);
    cr_assert(strstr(err.msg, "holds out the last 50 shots of b, the config 60"), "%s", err.msg);
    cr_assert_eq(qp_archive_split_apply(&a, text, &err), 0, "%s", err.msg);
    cr_assert_eq(a.folders[1].holdout, 50);
    strcpy(a.folders[0].obs_sha256, "00");
    cr_assert_neq(qp_archive_split_check(&a, text, "checkpoint T", &err), 0);
    cr_assert(strstr(err.msg, "changed since checkpoint T") && strstr(err.msg, "obs_flips_actual.01"), "%s", err.msg);
    free(text);
    free(dets);
    free(obs);
    qp_archive_shots_free(&a);
}
