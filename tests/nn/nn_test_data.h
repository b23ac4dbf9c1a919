// Test helpers for tests/nn: detector coordinates read from a Stim circuit file (only
// DETECTOR, SHIFT_COORDS and REPEAT matter; tests/nn links only the nn library, so it
// cannot use workers/circuit), and the reference shot files as an nn_shot_set.
#ifndef QP_TEST_NN_DATA_H
#define QP_TEST_NN_DATA_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/nn/nn_batch.h"
#include "workers/nn/nn_layout.h"

typedef struct {
    double *coords;  // (num_dets,3)
    int num_dets, cap;
} nn_test_coords;

// Walks lines[*i..] until a closing brace or the end, appending detector coordinates.
static void nn_test_walk(char **lines, int *i, int n, double shift[3], nn_test_coords *c) {
    while (*i < n) {
        char *s = lines[(*i)++];
        while (isspace((unsigned char)*s)) s++;
        if (*s == '}') return;
        int reps;
        if (sscanf(s, "REPEAT %d {", &reps) == 1) {
            int body = *i;
            for (int r = 0; r < reps; r++) {
                *i = body;
                nn_test_walk(lines, i, n, shift, c);
            }
            continue;
        }
        double v[3] = {0, 0, 0};
        if (!strncmp(s, "SHIFT_COORDS(", 13)) {
            sscanf(s + 13, "%lf, %lf, %lf", &v[0], &v[1], &v[2]);
            for (int k = 0; k < 3; k++) shift[k] += v[k];
        } else if (!strncmp(s, "DETECTOR(", 9)) {
            sscanf(s + 9, "%lf, %lf, %lf", &v[0], &v[1], &v[2]);
            if (c->num_dets == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 64;
                c->coords = realloc(c->coords, sizeof(double) * 3 * c->cap);
            }
            for (int k = 0; k < 3; k++) c->coords[3 * c->num_dets + k] = v[k] + shift[k];
            c->num_dets++;
        }
    }
}

// Detector coordinates of a Stim circuit file; returns 0 or -1 if unreadable.
static int nn_test_circuit_coords(const char *path, nn_test_coords *c) {
    memset(c, 0, sizeof *c);
    char *text = qp_test_read_file(path, NULL);
    if (!text) return -1;
    int n = 0, cap = 256;
    char **lines = malloc(sizeof(char *) * cap);
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (n == cap) lines = realloc(lines, sizeof(char *) * (cap *= 2));
        lines[n++] = l;
    }
    double shift[3] = {0, 0, 0};
    int i = 0;
    nn_test_walk(lines, &i, n, shift, c);
    free(lines);
    free(text);
    return 0;
}

// A reference case NAME (e.g. "surface_x_d3_r3_p0.005"): circuit, layout and shots.
typedef struct {
    nn_test_coords coords;
    nn_layout layout;
    uint8_t *dets, *obs;
    nn_shot_set set;
} nn_test_case;

// Loads NAME from the shared vectors or tests/data; returns -1 (with a notice) if absent.
static int nn_test_case_load(nn_test_case *tc, const char *name) {
    char path[1024], file[256];
    memset(tc, 0, sizeof *tc);
    snprintf(file, sizeof file, "%s.stim", name);
    if (qp_test_find(file, path, sizeof path) || nn_test_circuit_coords(path, &tc->coords)) {
        fprintf(stderr, "NOTICE: %s not found\n", file);
        return -1;
    }
    qp_err err;
    if (nn_layout_build(&tc->layout, tc->coords.coords, tc->coords.num_dets, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    size_t nd = 0, no = 0;
    snprintf(file, sizeof file, "%s.dets.b8", name);
    if (!qp_test_find(file, path, sizeof path)) tc->dets = (uint8_t *)qp_test_read_file(path, &nd);
    snprintf(file, sizeof file, "%s.obs.b8", name);
    if (!qp_test_find(file, path, sizeof path)) tc->obs = (uint8_t *)qp_test_read_file(path, &no);
    if (!tc->dets || !tc->obs) return -1;
    size_t det_bytes = ((size_t)tc->coords.num_dets + 7) / 8;
    tc->set = (nn_shot_set){&tc->layout, tc->dets, tc->obs, (int)(nd / det_bytes), 1};
    if (nd % det_bytes || no != nd / det_bytes) return -1;
    return 0;
}

static void nn_test_case_free(nn_test_case *tc) {
    free(tc->coords.coords);
    nn_layout_free(&tc->layout);
    free(tc->dets);
    free(tc->obs);
}

#endif
