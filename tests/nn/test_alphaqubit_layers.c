// The opt-in AlphaQubit layers in the float build as shipped: forward known answers with
// hand-set weights (the expected values worked out by hand or by a direct double loop
// written here, not through the layer code), the layout's grid, types and readout lines
// against the circuit's own observable, one model's parameters running at d=3 and d=5, and
// the whole model (original and with every layer) against a double-precision forward
// written out in this file.
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

// ---- the whole model against a direct double-precision forward written out here ----
// Tiny sizes; every parameter set by a formula (p[i] = 0.4 sin(1.3 i + 0.2), the input
// weights 8x that), none random.
// The reference follows nn_model.h's definition step by step with plain loops over
// (stabilizer, channel); it shares no code with the layers.
// Float model and double reference agree to ~2e-8 here; the test allows 1e-6, and the two
// shots' logits differ by more than 1e-3, so a misrouted input or a wrong layer would show.
enum { KS = 5, KH = 4, KNH = 2, KFH = 3, KRH = 3, KR = 3, KB = 2 };
static const int k_row[KS] = {0, 0, 1, 1, 2}, k_col[KS] = {0, 1, 0, 1, 1}, k_type[KS] = {1, 0, 1, 0, 1};
static const int k_line[KS] = {0, 0, 1, 1, 2};

static void ref_ln(double *y, const double *x, const float *w, const float *b) {
    double m = 0, v = 0;
    for (int c = 0; c < KH; c++) m += x[c] / KH;
    for (int c = 0; c < KH; c++) v += (x[c] - m) * (x[c] - m) / KH;
    for (int c = 0; c < KH; c++) y[c] = (x[c] - m) / sqrt(v + 1e-5) * w[c] + b[c];
}

// One shot: inputs (R,S), F = 1, O = 1; returns the logit.
static double ref_model(const nn_config *c, const nn_params *p, const float *inp) {
    double st[KS][KH] = {{0}}, t[KS][KH], y[KS][KH];
    int W = 2 * c->geom_radius + 1;
    for (int r = 0; r < KR; r++) {
        int kind = r == KR - 1;
        for (int s = 0; s < KS; s++)
            for (int h = 0; h < KH; h++) {
                double e = (c->stab_emb_by_type ? p->stab_emb[k_type[s] * KH + h] : p->stab_emb[s * KH + h]) +
                           p->in_w[kind * KH + h] * inp[r * KS + s] + p->in_b[kind * KH + h];
                st[s][h] = (st[s][h] + e) * c->state_scale;
            }
        for (int l = 0; l < c->num_layers; l++) {
            double q[KS][KH], k[KS][KH], v[KS][KH], o[KS][KH];
            for (int s = 0; s < KS; s++) {
                ref_ln(y[s], st[s], p->ln1w + l * KH, p->ln1b + l * KH);
                for (int j = 0; j < 3 * KH; j++) {
                    double a = p->qkvb[l * 3 * KH + j];
                    for (int h = 0; h < KH; h++) a += p->qkvw[(l * 3 * KH + j) * KH + h] * y[s][h];
                    (j < KH ? q[s] : j < 2 * KH ? k[s] : v[s])[j % KH] = a;
                }
            }
            int hs = KH / KNH;
            for (int hd = 0; hd < KNH; hd++)
                for (int i = 0; i < KS; i++) {
                    double sc[KS], mx = -1e300, sum = 0;
                    for (int j = 0; j < KS; j++) {
                        double bias;
                        if (c->attn_bias_geometric) {
                            int K = c->geom_radius, dr = k_row[j] - k_row[i], dc = k_col[j] - k_col[i];
                            dr = dr < -K ? -K : dr > K ? K : dr;
                            dc = dc < -K ? -K : dc > K ? K : dc;
                            int e = ((k_type[i] * 2 + k_type[j]) * W + dr + K) * W + dc + K;
                            bias = p->geo_bias[(l * KNH + hd) * 4 * W * W + e];
                        } else {
                            bias = p->attn_bias[((l * KNH + hd) * KS + i) * KS + j];
                        }
                        sc[j] = bias;
                        for (int d = 0; d < hs; d++) sc[j] += q[i][hd * hs + d] * k[j][hd * hs + d] / sqrt((double)hs);
                        mx = fmax(mx, sc[j]);
                    }
                    for (int j = 0; j < KS; j++) sum += (sc[j] = exp(sc[j] - mx));
                    for (int d = 0; d < hs; d++) {
                        o[i][hd * hs + d] = 0;
                        for (int j = 0; j < KS; j++) o[i][hd * hs + d] += sc[j] / sum * v[j][hd * hs + d];
                    }
                }
            for (int s = 0; s < KS; s++)
                for (int h = 0; h < KH; h++) {
                    double a = p->projb[l * KH + h];
                    for (int g = 0; g < KH; g++) a += p->projw[(l * KH + h) * KH + g] * o[s][g];
                    st[s][h] += a;
                }
            int FH1 = c->ffn_gated ? 2 * KFH : KFH;
            for (int s = 0; s < KS; s++) {
                double u[2 * KFH], hg[KFH];
                ref_ln(y[s], st[s], p->ln2w + l * KH, p->ln2b + l * KH);
                for (int f = 0; f < FH1; f++) {
                    u[f] = p->fc1b[l * FH1 + f];
                    for (int h = 0; h < KH; h++) u[f] += p->fc1w[(l * FH1 + f) * KH + h] * y[s][h];
                }
                for (int f = 0; f < KFH; f++) hg[f] = c->ffn_gated ? gelu_ref(u[f]) * u[KFH + f] : gelu_ref(u[f]);
                for (int h = 0; h < KH; h++) {
                    double a = p->fc2b[l * KH + h];
                    for (int f = 0; f < KFH; f++) a += p->fc2w[(l * KH + h) * KFH + f] * hg[f];
                    t[s][h] = a;
                }
            }
            for (int s = 0; s < KS; s++)
                for (int h = 0; h < KH; h++) st[s][h] += t[s][h];
            for (int j = 0; j < c->num_dilations; j++) {
                int lj = l * c->num_dilations + j, dil = c->dilations[j];
                for (int s = 0; s < KS; s++) {
                    ref_ln(y[s], st[s], p->convlnw + lj * KH, p->convlnb + lj * KH);
                    for (int h = 0; h < KH; h++) y[s][h] = gelu_ref(y[s][h]);
                }
                for (int s = 0; s < KS; s++)
                    for (int oc = 0; oc < KH; oc++) {
                        double a = p->convb[lj * KH + oc];
                        for (int dr = -1; dr <= 1; dr++)
                            for (int dc = -1; dc <= 1; dc++)
                                for (int u = 0; u < KS; u++)
                                    if (k_row[u] == k_row[s] + dr * dil && k_col[u] == k_col[s] + dc * dil)
                                        for (int ic = 0; ic < KH; ic++)
                                            a += p->convw[((lj * KH + oc) * 9 + (dr + 1) * 3 + dc + 1) * KH + ic] *
                                                 y[u][ic];
                        t[s][oc] = a;
                    }
                for (int s = 0; s < KS; s++)
                    for (int h = 0; h < KH; h++) st[s][h] += t[s][h];
            }
        }
    }
    for (int s = 0; s < KS; s++) ref_ln(y[s], st[s], p->lnfw, p->lnfb);
    // Readout: groups of stabilizers (the lines, or the one group of the final-round ones).
    int nl = c->readout_lines ? 3 : 1;
    double logit = 0;
    for (int g = 0; g < nl; g++) {
        double pool[KH] = {0}, n = 0, hid[KRH];
        for (int s = 0; s < KS; s++)
            if (c->readout_lines ? k_line[s] == g : k_type[s] == 1) {
                n++;
                for (int h = 0; h < KH; h++) pool[h] += y[s][h];
            }
        double z = p->ro2b[0];
        for (int j = 0; j < KRH; j++) {
            hid[j] = p->ro1b[j];
            for (int h = 0; h < KH; h++) hid[j] += p->ro1w[j * KH + h] * pool[h] / n;
            z += p->ro2w[j] * gelu_ref(hid[j]);
        }
        logit += z / nl;
    }
    return logit;
}

static void known_model(const nn_config *cfg) {
    nn_model m;
    qp_err err;
    float pool_w[KS] = {1.0f / 3, 0, 1.0f / 3, 0, 1.0f / 3};  // the final-round (type 1) stabilizers
    cr_assert(nn_model_create(&m, cfg, pool_w, KB, KR, &err) == 0, "%s", err.msg);
    nn_geometry geo = {k_row, k_col, k_type, k_line, 3};
    cr_assert(nn_model_set_geometry(&m, &geo, &err) == 0, "%s", err.msg);
    for (size_t i = 0; i < m.num_params; i++) m.params_memory[i] = (float)(0.4 * sin(1.3 * (double)i + 0.2));
    for (int i = 0; i < 2 * KH; i++) m.params.in_w[i] *= 8;  // so the inputs move the logit visibly
    float inputs[KB * KR * KS];
    for (int i = 0; i < KB * KR * KS; i++) inputs[i] = (float)((i * 5 + i / 7) % 3 == 0);
    float probs[KB];
    nn_model_forward(&m, inputs, NULL, NULL, KB, KR);
    float logits[KB] = {m.out.logits[0], m.out.logits[1]};
    nn_model_predict(&m, inputs, KB, KR, probs);
    for (int b = 0; b < KB; b++) {
        double want = ref_model(cfg, &m.params, inputs + b * KR * KS);
        cr_expect(fabs(logits[b] - want) < 1e-6 * (1 + fabs(want)), "shot %d: model %.7g, reference %.7g", b, logits[b], want);
        cr_expect(fabs(probs[b] - 1 / (1 + exp(-want))) < 1e-5, "shot %d: predict %.7g", b, probs[b]);
    }
    cr_expect(fabs(logits[0] - logits[1]) > 1e-3, "the two shots should differ: %.7g %.7g", logits[0], logits[1]);
    nn_model_free(&m);
}

Test(nn_layers_known, whole_model_original) {
    nn_config cfg = {.num_stabs = KS, .num_features = 1, .num_obs = 1, .hidden = KH, .num_layers = 2,
                     .num_heads = KNH, .ffn_hidden = KFH, .readout_hidden = KRH, .state_scale = 0.7071f};
    known_model(&cfg);
}

Test(nn_layers_known, whole_model_alphaqubit_layers) {
    nn_config cfg = {.num_stabs = KS, .num_features = 1, .num_obs = 1, .hidden = KH, .num_layers = 2,
                     .num_heads = KNH, .ffn_hidden = KFH, .readout_hidden = KRH, .state_scale = 0.7071f,
                     .attn_bias_geometric = 1, .geom_radius = 1, .stab_emb_by_type = 1, .num_dilations = 2,
                     .dilations = {1, 2}, .ffn_gated = 1, .readout_lines = 1};
    known_model(&cfg);
}
