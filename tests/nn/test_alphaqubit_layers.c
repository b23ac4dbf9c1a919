// The opt-in AlphaQubit layers in the float build as shipped: forward known answers with
// hand-set weights (the expected values worked out by hand or by a direct double loop
// written here, not through the layer code), the layout's grid, types and readout lines
// against the circuit's own observable, and one model's parameters running at d=3 and d=5.
// (Backward passes: tests/nn/test_grad_fd.c.)
#include <criterion/criterion.h>
#include <math.h>

#include "tests/nn/nn_test_data.h"
#include "workers/nn/nn_conv2d.h"
#include "workers/nn/nn_gated.h"
#include "workers/nn/nn_geom_bias.h"
#include "workers/nn/nn_layout.h"
#include "workers/nn/nn_model.h"
#include "workers/nn/nn_readout.h"

static double gelu_ref(double x) { return 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))); }

// Three stabilizers in a row, one channel, the centre tap 1 and the tap to the right 10:
// out[s] = inp[s] + 10 * inp[right neighbour at distance dil] (+ bias 0.5).
Test(nn_layers_known, conv2d_by_hand) {
    int row[3] = {0, 0, 0}, col[3] = {0, 1, 2}, nbr[27];
    float w[9] = {0, 0, 0, 0, 1, 10, 0, 0, 0}, b = 0.5f, inp[3] = {1, 2, 3}, out[3], colbuf[27];
    nn_conv2d_neighbours(nbr, row, col, 3, 1);
    nn_conv2d_forward(out, colbuf, inp, nbr, w, &b, 1, 3, 1);
    cr_expect(out[0] == 21.5f && out[1] == 32.5f && out[2] == 3.5f, "dil 1: %g %g %g", out[0], out[1], out[2]);
    nn_conv2d_neighbours(nbr, row, col, 3, 2);
    nn_conv2d_forward(out, colbuf, inp, nbr, w, &b, 1, 3, 1);
    cr_expect(out[0] == 31.5f && out[1] == 2.5f && out[2] == 3.5f, "dil 2: %g %g %g", out[0], out[1], out[2]);
}

// A d=3-like checkerboard patch, 2 channels in and out, every tap weighted: the float layer
// against a direct double loop that looks the neighbours up on the grid itself.
Test(nn_layers_known, conv2d_against_direct_loop) {
    enum { S = 8, C = 2 };
    int row[S] = {0, 1, 1, 1, 2, 2, 2, 3}, col[S] = {1, 0, 1, 2, 1, 2, 3, 2}, nbr[9 * S];
    float w[C * 9 * C], b[C] = {0.25f, -0.5f}, inp[2 * S * C], out[2 * S * C], colbuf[2 * S * 9 * C];
    for (int o = 0; o < C; o++)
        for (int k = 0; k < 9; k++)
            for (int c = 0; c < C; c++) w[(o * 9 + k) * C + c] = 0.1f * (float)(o + 1) * (float)(k - 4) + 0.01f * (float)c;
    for (int i = 0; i < 2 * S * C; i++) inp[i] = (float)((i * 7) % 5) - 2.0f;
    for (int dil = 1; dil <= 2; dil++) {
        nn_conv2d_neighbours(nbr, row, col, S, dil);
        nn_conv2d_forward(out, colbuf, inp, nbr, w, b, 2, S, C);
        for (int bb = 0; bb < 2; bb++)
            for (int s = 0; s < S; s++)
                for (int o = 0; o < C; o++) {
                    double want = b[o];
                    for (int dr = -1; dr <= 1; dr++)
                        for (int dc = -1; dc <= 1; dc++)
                            for (int t = 0; t < S; t++)
                                if (row[t] == row[s] + dr * dil && col[t] == col[s] + dc * dil)
                                    for (int c = 0; c < C; c++)
                                        want += (double)w[(o * 9 + (dr + 1) * 3 + dc + 1) * C + c] *
                                                inp[(bb * S + t) * C + c];
                    float got = out[(bb * S + s) * C + o];
                    cr_expect(fabs(got - want) < 1e-5 * (1 + fabs(want)), "dil %d shot %d stab %d out %d: %g vs %g",
                              dil, bb, s, o, got, want);
                }
    }
}

// The bias of a pair is the table entry of its clamped offset and types; pairs with the same
// offset and types share it; offsets beyond K share the edge entry.
Test(nn_layers_known, geom_bias_entries) {
    enum { S = 4, K = 2, NH = 2 };
    int row[S] = {0, 0, 1, 0}, col[S] = {0, 1, 1, 7}, type[S] = {1, 0, 1, 0}, idx[S * S];
    int E = nn_geom_bias_entries(K), W = 2 * K + 1;
    cr_assert_eq(E, 4 * 25);
    float *table = malloc(sizeof(float) * NH * E), bias[NH * S * S];
    for (int i = 0; i < NH * E; i++) table[i] = (float)i;  // entry value = its own index
    nn_geom_bias_index(idx, row, col, type, S, K);
    nn_geom_bias_forward(bias, table, idx, NH, S, E);
    for (int h = 0; h < NH; h++)
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++) {
                int dr = row[j] - row[i], dc = col[j] - col[i];
                dr = dr < -K ? -K : dr > K ? K : dr;
                dc = dc < -K ? -K : dc > K ? K : dc;
                int e = ((type[i] * 2 + type[j]) * W + dr + K) * W + dc + K;
                cr_expect(bias[(h * S + i) * S + j] == (float)(h * E + e), "h %d pair (%d,%d)", h, i, j);
            }
    // Stabilizer 0 -> 3 (7 columns right) and 0 -> a type-0 stabilizer 2 columns right share.
    int col2[S] = {0, 2, 1, 7};
    int idx2[S * S];
    nn_geom_bias_index(idx2, row, col2, type, S, K);
    cr_expect(idx[0 * S + 3] == idx2[0 * S + 1]);
    free(table);
}

// hg = gelu(a) * g with a = x0, g = x1 (identity fc1), out = [hg, 2 hg + 0.5].
Test(nn_layers_known, gated_by_hand) {
    float w1[4] = {1, 0, 0, 1}, b1[2] = {0, 0}, w2[2] = {1, 2}, b2[2] = {0, 0.5f};
    float inp[6] = {1.5f, -2, -0.3f, 4, 0, 7}, out[6], fch[6], hg[3];
    nn_gated_forward(out, fch, hg, inp, w1, b1, w2, b2, 3, 2, 1);
    for (int n = 0; n < 3; n++) {
        double h = gelu_ref(inp[2 * n]) * inp[2 * n + 1];
        cr_expect(fabs(out[2 * n] - h) < 1e-5 && fabs(out[2 * n + 1] - (2 * h + 0.5)) < 1e-5, "row %d: %g %g vs %g", n,
                  out[2 * n], out[2 * n + 1], h);
    }
}

// H = RH = O = 1 and unit weights: logit = mean over lines of gelu(mean of the line's states).
Test(nn_layers_known, readout_lines_by_hand) {
    enum { S = 5 };
    int line[S] = {0, 0, 1, 2, -1};  // stabilizer 4 is in no line
    float line_w[S] = {0.5f, 0.5f, 1, 1, 0}, inp[2 * S] = {1, 3, -1, 0.5f, 100, 2, 2, 2, -4, -100};
    float one = 1, zero = 0, logits[2], ll[6], pooled[6], hid[6], hidg[6];
    nn_readout_lines_forward(logits, ll, pooled, hid, hidg, inp, line, line_w, 3, &one, &zero, &one, &zero, 2, S, 1, 1, 1);
    for (int b = 0; b < 2; b++) {
        const float *x = inp + b * S;
        double want = (gelu_ref((x[0] + x[1]) / 2) + gelu_ref(x[2]) + gelu_ref(x[3])) / 3;
        cr_expect(fabs(logits[b] - want) < 1e-5, "shot %d: %g vs %g", b, logits[b], want);
    }
}

// The observable's direction from the circuit itself: QUBIT_COORDS of the data qubits its
// OBSERVABLE_INCLUDE reads out (the last M / MX line). Returns 1 if it runs along x.
static int observable_along_x(const char *name) {
    char file[256], path[1024];
    snprintf(file, sizeof file, "%s.stim", name);
    cr_assert(qp_test_find(file, path, sizeof path) == 0);
    char *text = qp_test_read_file(path, NULL);
    cr_assert(text);
    static double qx[4096], qy[4096];
    int targets[1024], nt = 0, obs[64], no = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        double x, y;
        int q;
        if (sscanf(l, "QUBIT_COORDS(%lf, %lf) %d", &x, &y, &q) == 3 && q < 4096) qx[q] = x, qy[q] = y;
        if (!strncmp(l, "M ", 2) || !strncmp(l, "MX ", 3)) {
            nt = 0;
            for (char *p = strchr(l, ' '); p && *p && nt < 1024;) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p) break;
                targets[nt++] = (int)v;
                p = end;
            }
        }
        if (!strncmp(l, "OBSERVABLE_INCLUDE(0)", 21))
            for (char *p = strstr(l, "rec[-"); p && no < 64; p = strstr(p + 1, "rec[-")) obs[no++] = atoi(p + 5);
    }
    cr_assert(nt > 0 && no > 0);
    double lo[2] = {1e9, 1e9}, hi[2] = {-1e9, -1e9};
    for (int i = 0; i < no; i++) {
        int q = targets[nt - obs[i]];
        double v[2] = {qx[q], qy[q]};
        for (int k = 0; k < 2; k++) lo[k] = fmin(lo[k], v[k]), hi[k] = fmax(hi[k], v[k]);
    }
    free(text);
    return hi[0] - lo[0] > hi[1] - lo[1];
}

Test(nn_layers_known, layout_grid_and_lines) {
    const char *names[] = {"surface_x_d3_r3_p0.003", "surface_z_d3_r3_p0.003", "surface_x_d5_r5_p0.003"};
    int dist[] = {3, 3, 5};
    for (int c = 0; c < 3; c++) {
        nn_test_case tc;
        if (nn_test_case_load(&tc, names[c])) cr_skip_test("test data absent");
        const nn_layout *lay = &tc.layout;
        int S = lay->num_stabs, d = dist[c];
        cr_expect_eq(S, d * d - 1);
        // Cells are distinct, inside the (d+1) x (d+1) grid, and typed by the final round.
        for (int s = 0; s < S; s++) {
            for (int t = 0; t < s; t++)
                cr_expect(lay->stab_row[s] != lay->stab_row[t] || lay->stab_col[s] != lay->stab_col[t]);
            cr_expect(lay->stab_type[s] == (lay->pool_w[s] != 0));
            cr_expect(lay->stab_row[s] >= 0 && lay->stab_row[s] <= d && lay->stab_col[s] >= 0 && lay->stab_col[s] <= d);
        }
        for (int s = 1; s < S; s++)  // the same gap as the coordinates
            cr_expect(fabs((lay->stab_xy[2 * s] - lay->stab_xy[0]) - 2.0 * (lay->stab_col[s] - lay->stab_col[0])) < 1e-9);
        int along_x = observable_along_x(names[c]);
        cr_expect_eq(lay->lines_along_x, along_x, "%s", names[c]);
        cr_expect_eq(lay->num_lines, d + 1, "%s", names[c]);
        for (int s = 0; s < S; s++)
            cr_expect_eq(lay->stab_line[s], along_x ? lay->stab_row[s] : lay->stab_col[s]);
        nn_test_case_free(&tc);
    }
}

// A model of the distance-portable layers built for d=3 runs d=5 shots with the same
// parameters: equal parameter layout, finite probabilities in (0,1). A model with the free
// bias table or per-stabilizer embedding does not have that property (sizes differ).
Test(nn_layers_known, distance_portable_model) {
    nn_test_case t3, t5;
    if (nn_test_case_load(&t3, "surface_x_d3_r3_p0.003") || nn_test_case_load(&t5, "surface_x_d5_r5_p0.003"))
        cr_skip_test("test data absent");
    nn_config c3 = {.num_stabs = t3.layout.num_stabs, .num_features = 1, .num_obs = 1, .hidden = 8, .num_layers = 2,
                    .num_heads = 2, .ffn_hidden = 16, .readout_hidden = 8, .state_scale = 0.7071f,
                    .aux_weight = 0.5f, .attn_bias_geometric = 1, .geom_radius = 3, .stab_emb_by_type = 1,
                    .num_dilations = 2, .dilations = {1, 2}, .ffn_gated = 1, .readout_lines = 1};
    nn_config c5 = c3;
    c5.num_stabs = t5.layout.num_stabs;
    cr_assert(nn_config_distance_portable(&c3));
    size_t z3[NN_NUM_PARAM_TENSORS], z5[NN_NUM_PARAM_TENSORS];
    cr_assert_eq(nn_param_sizes(z3, &c3), nn_param_sizes(z5, &c5));
    for (int t = 0; t < NN_NUM_PARAM_TENSORS; t++) cr_expect_eq(z3[t], z5[t], "%s", nn_param_names[t]);
    nn_config n3 = c3, n5 = c5;  // the free table is not portable
    n3.attn_bias_geometric = n5.attn_bias_geometric = 0;
    cr_expect(!nn_config_distance_portable(&n3) && nn_param_sizes(z3, &n3) != nn_param_sizes(z5, &n5));

    int B = 64, R3 = t3.layout.num_rounds, R5 = t5.layout.num_rounds;
    nn_model m3, m5;
    qp_err err;
    nn_geometry g3 = nn_layout_geometry(&t3.layout), g5 = nn_layout_geometry(&t5.layout);
    cr_assert(nn_model_create(&m3, &c3, t3.layout.pool_w, B, 1, &err) == 0, "%s", err.msg);
    cr_assert(nn_model_create(&m5, &c5, t5.layout.pool_w, B, 1, &err) == 0, "%s", err.msg);
    cr_assert(nn_model_set_geometry(&m3, &g3, &err) == 0 && nn_model_set_geometry(&m5, &g5, &err) == 0);
    nn_model_init_params(&m3, 7);
    memcpy(m5.params_memory, m3.params_memory, m3.num_params * sizeof(float));
    float *in3 = malloc(sizeof(float) * B * R3 * t3.layout.num_stabs), *in5 = malloc(sizeof(float) * B * R5 * t5.layout.num_stabs);
    float p3[64], p5[64];
    nn_layout_inputs_from_b8(&t3.layout, t3.dets, NULL, B, 1, in3);
    nn_layout_inputs_from_b8(&t5.layout, t5.dets, NULL, B, 1, in5);
    nn_model_predict(&m3, in3, B, R3, p3);
    nn_model_predict(&m5, in5, B, R5, p5);
    int differ = 0;
    for (int b = 0; b < B; b++) {
        cr_expect(isfinite(p3[b]) && p3[b] > 0 && p3[b] < 1 && isfinite(p5[b]) && p5[b] > 0 && p5[b] < 1, "%g %g", p3[b], p5[b]);
        differ += b && p5[b] != p5[0];
    }
    cr_expect(differ > 0, "d=5 predictions do not depend on the shot");
    // Without the geometry the model refuses to run (NaN), rather than running another model.
    nn_model m;
    cr_assert(nn_model_create(&m, &c3, t3.layout.pool_w, B, 1, &err) == 0);
    nn_model_predict(&m, in3, B, R3, p3);
    cr_expect(isnan(p3[0]));
    cr_expect(nn_model_set_geometry(&m, NULL, &err) == -1);
    nn_model_free(&m);
    free(in3); free(in5);
    nn_model_free(&m3); nn_model_free(&m5);
    nn_test_case_free(&t3); nn_test_case_free(&t5);
}
