// Union-find decoder (workers/decode/union_find.h):
//   - hand-checked graphs: a repetition-code line with a boundary at both ends, a graph where
//     weighted growth picks the right correction (unweighted growth would reach the heavy
//     boundary edge first), no events, observable masks XOR along the correction, detectors
//     without edges (one-line error, decoder still usable afterwards);
//   - every correction is valid: the XOR of its edges' detector sets equals the syndrome, each
//     edge exists in the graph, and the reported mask and weight are the XOR / sum over them
//     (checked shot by shot on the hand graphs and on 300 shots of every reference case);
//   - on the reference vectors UF's mistakes against NAME.obs.b8 are compared with exact
//     matching's on the same shots: our MWPM (decoder.h, kind "mwpm") on the shipped subset
//     tests/data, PyMatching's predictions NAME.pymatching.01 on ../shared/vectors (when
//     present; this keeps the test to seconds). Tolerance:
//     uf <= 1.3 * mwpm + 3 * sqrt(max(mwpm, 1)) per case (1.3x plus three Poisson standard
//     deviations of the MWPM count, which matters at small counts), and pooled over all cases
//     uf <= 1.3 * mwpm + 3 * sqrt(mwpm). Both counts are printed. The 24,000-detector case
//     decodes its first 1,000 shots.
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/decode/decoder.h"
#include "workers/decode/matching_graph.h"
#include "tests/decode/oracle/local_search.h"
#include "workers/decode/union_find.h"
#include "workers/dem/dem.h"

#define B QP_MG_BOUNDARY

// Looks up edge (a, b) in g; returns 0 and its weight / mask, or -1 if absent.
static int graph_edge(const qp_matching_graph *g, uint32_t a, uint32_t b, int64_t *w, uint64_t *obs) {
    if (b == B) {
        if (g->boundary_weight[a] == QP_MG_INF) return -1;
        *w = g->boundary_weight[a];
        *obs = g->boundary_obs[a];
        return 0;
    }
    for (uint32_t k = g->adj_start[a]; k < g->adj_start[a + 1]; k++)
        if (g->adj_node[k] == b) {
            *w = g->adj_weight[k];
            *obs = g->adj_obs[k];
            return 0;
        }
    return -1;
}

// Asserts the last correction of u explains `events` in g and matches obs and weight.
static void check_correction(const qp_matching_graph *g, const qp_uf *u, const uint32_t *events,
                             size_t num_events, uint64_t obs, int64_t weight, const char *what) {
    uint8_t *parity = calloc(g->num_detectors + 1, 1);
    for (size_t i = 0; i < num_events; i++) parity[events[i]] ^= 1;
    const uint32_t *ends;
    size_t m = qp_uf_last_correction(u, &ends);
    uint64_t obs_sum = 0;
    int64_t w_sum = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t a = ends[2 * i], b = ends[2 * i + 1];
        int64_t w;
        uint64_t o;
        cr_assert_eq(graph_edge(g, a, b, &w, &o), 0, "%s: correction edge (%u, %d) is not in the graph", what, a,
                     b == B ? -1 : (int)b);
        parity[a] ^= 1;
        if (b != B) parity[b] ^= 1;
        obs_sum ^= o;
        w_sum += w;
    }
    for (uint32_t v = 0; v < g->num_detectors; v++)
        cr_assert_eq(parity[v], 0, "%s: correction does not explain the syndrome at D%u", what, v);
    cr_assert_eq(obs_sum, obs, "%s: mask %llu but the correction's edges XOR to %llu", what,
                 (unsigned long long)obs, (unsigned long long)obs_sum);
    cr_assert_eq(w_sum, weight, "%s: weight %lld but the edges sum to %lld", what, (long long)weight,
                 (long long)w_sum);
    free(parity);
}

static int has_edge(const qp_uf *u, uint32_t a, uint32_t b) {
    const uint32_t *ends;
    size_t m = qp_uf_last_correction(u, &ends);
    for (size_t i = 0; i < m; i++)
        if ((ends[2 * i] == a && ends[2 * i + 1] == b) || (ends[2 * i] == b && ends[2 * i + 1] == a)) return 1;
    return 0;
}

static size_t correction_size(const qp_uf *u) {
    const uint32_t *ends;
    return qp_uf_last_correction(u, &ends);
}

static void build(qp_matching_graph *g, uint32_t nd, uint32_t no, const qp_mg_edge *edges, size_t ne) {
    qp_err err;
    cr_assert_eq(qp_matching_graph_from_edges(g, nd, no, edges, ne, &err), 0, "%s", err.msg);
}

static void decode_checked(const qp_matching_graph *g, qp_uf *u, const uint32_t *ev, size_t n, uint64_t *obs,
                           int64_t *w, const char *what) {
    qp_err err;
    cr_assert_eq(qp_uf_decode_events(u, ev, n, obs, w, &err), 0, "%s: %s", what, err.msg);
    check_correction(g, u, ev, n, *obs, *w, what);
}

// ---- hand-checked graphs --------------------------------------------------------------------

// B -0- D0 -1- D1 -2- D2 -3- D3 -4- D4 -5- B, all p = 0.1; the left boundary edge flips L0.
static const qp_mg_edge line_edges[] = {{0, B, 0.1, 1}, {0, 1, 0.1, 0}, {1, 2, 0.1, 0},
                                        {2, 3, 0.1, 0}, {3, 4, 0.1, 0}, {4, B, 0.1, 0}};

Test(union_find, repetition_line_single_event_goes_to_nearer_boundary) {
    qp_matching_graph g;
    build(&g, 5, 1, line_edges, 6);
    qp_uf *u = qp_uf_create(&g);
    uint64_t obs;
    int64_t w;
    uint32_t ev1[] = {1};
    decode_checked(&g, u, ev1, 1, &obs, &w, "D1");
    cr_assert_eq(correction_size(u), 2);
    cr_assert(has_edge(u, 0, 1) && has_edge(u, 0, B), "D1 should go left via D0");
    cr_assert_eq(obs, 1);
    uint32_t ev3[] = {3};
    decode_checked(&g, u, ev3, 1, &obs, &w, "D3");
    cr_assert_eq(correction_size(u), 2);
    cr_assert(has_edge(u, 3, 4) && has_edge(u, 4, B), "D3 should go right via D4");
    cr_assert_eq(obs, 0);
    uint32_t ev0[] = {0};
    decode_checked(&g, u, ev0, 1, &obs, &w, "D0");
    cr_assert_eq(correction_size(u), 1);
    cr_assert(has_edge(u, 0, B));
    cr_assert_eq(obs, 1);
    qp_uf_free(u);
    qp_matching_graph_free(&g);
}

Test(union_find, repetition_line_adjacent_events_take_the_edge_between) {
    qp_matching_graph g;
    build(&g, 5, 1, line_edges, 6);
    qp_uf *u = qp_uf_create(&g);
    uint64_t obs;
    int64_t w;
    uint32_t ev[] = {3, 2};
    decode_checked(&g, u, ev, 2, &obs, &w, "D2 D3");
    cr_assert_eq(correction_size(u), 1);
    cr_assert(has_edge(u, 2, 3));
    cr_assert_eq(obs, 0);
    cr_assert_eq(w, g.adj_weight[g.adj_start[2]]);  // one edge of weight log(0.9/0.1)
    // Same pair at the left end: still the edge between them, not two boundary edges.
    uint32_t ev01[] = {0, 1};
    decode_checked(&g, u, ev01, 2, &obs, &w, "D0 D1");
    cr_assert_eq(correction_size(u), 1);
    cr_assert(has_edge(u, 0, 1));
    cr_assert_eq(obs, 0);
    // Through the b8 entry point: weight in log-likelihood units.
    uint8_t dets[1] = {0x0c};  // D2, D3
    double wd;
    qp_err err;
    cr_assert_eq(qp_uf_decode_b8(u, dets, &obs, &wd, &err), 0, "%s", err.msg);
    cr_assert_eq(obs, 0);
    cr_assert_float_eq(wd, log(0.9 / 0.1), 1e-4);
    qp_uf_free(u);
    qp_matching_graph_free(&g);
}

// D0 has a heavy boundary edge (p = 0.001, flips L0) one edge away, and a light path of two
// edges (p = 0.3 each) to the other boundary. Unweighted growth (one half-edge per step)
// reaches the heavy boundary edge after 2 half-steps and the light path's end after 4, so it
// would predict L0; weighted growth fills the light path first (2 x 0.85 < 6.9).
Test(union_find, weighted_growth_prefers_the_light_path) {
    const qp_mg_edge edges[] = {{0, B, 0.001, 1}, {0, 1, 0.3, 0}, {1, B, 0.3, 0}};
    qp_matching_graph g;
    build(&g, 2, 1, edges, 3);
    qp_uf *u = qp_uf_create(&g);
    uint64_t obs;
    int64_t w;
    uint32_t ev[] = {0};
    decode_checked(&g, u, ev, 1, &obs, &w, "D0");
    cr_assert_eq(obs, 0, "weighted UF took the heavy edge");
    cr_assert_eq(correction_size(u), 2);
    cr_assert(has_edge(u, 0, 1) && has_edge(u, 1, B));
    cr_assert(!has_edge(u, 0, B));
    // MWPM agrees.
    qp_local_search *m = qp_local_search_create(&g);
    uint64_t mobs;
    int64_t mw;
    qp_err err;
    cr_assert_eq(qp_local_search_decode_events(m, ev, 1, &mobs, &mw, &err), 0, "%s", err.msg);
    cr_assert_eq(mobs, obs);
    cr_assert_eq(mw, w);
    qp_local_search_free(m);
    qp_uf_free(u);
    qp_matching_graph_free(&g);
    // Unweighted growth is this decoder on equal weights: then the one-edge way out wins.
    const qp_mg_edge flat[] = {{0, B, 0.1, 1}, {0, 1, 0.1, 0}, {1, B, 0.1, 0}};
    build(&g, 2, 1, flat, 3);
    u = qp_uf_create(&g);
    decode_checked(&g, u, ev, 1, &obs, &w, "D0, equal weights");
    cr_assert_eq(obs, 1);
    cr_assert_eq(correction_size(u), 1);
    cr_assert(has_edge(u, 0, B));
    qp_uf_free(u);
    qp_matching_graph_free(&g);
}

// D0's lightest edge (p = 0.4) leads to D1, a dead end; its next lightest (p = 0.1) to D2 and
// on to the other event D3; both events have heavy boundary edges (p = 0.001, D0's flips L0).
// After D0 absorbs the fresh D1, it continues from the runner-up of its first scan without
// rescanning (union_find.c): the correction must still be D0-D2-D3, the minimum weight.
Test(union_find, growth_past_a_dead_end_continues_with_the_runner_up_edge) {
    const qp_mg_edge edges[] = {{0, 1, 0.4, 0}, {0, 2, 0.1, 0}, {2, 3, 0.1, 0},
                                {0, B, 0.001, 1}, {3, B, 0.001, 0}};
    qp_matching_graph g;
    build(&g, 4, 1, edges, 5);
    qp_uf *u = qp_uf_create(&g);
    uint64_t obs;
    int64_t w;
    uint32_t ev[] = {0, 3};
    decode_checked(&g, u, ev, 2, &obs, &w, "D0 D3");
    cr_assert_eq(correction_size(u), 2);
    cr_assert(has_edge(u, 0, 2) && has_edge(u, 2, 3), "expected D0-D2-D3");
    cr_assert(!has_edge(u, 0, 1), "the dead end D1 is not in the correction");
    cr_assert_eq(obs, 0);
    qp_local_search *m = qp_local_search_create(&g);
    uint64_t mobs;
    int64_t mw;
    qp_err err;
    cr_assert_eq(qp_local_search_decode_events(m, ev, 2, &mobs, &mw, &err), 0, "%s", err.msg);
    cr_assert_eq(mw, w, "UF weight %lld, MWPM %lld", (long long)w, (long long)mw);
    // The same graph again (scratch reset between shots): a lone D1 goes through D0 to the
    // boundary, the runner-up of D0 being irrelevant now.
    uint32_t ev1[] = {1};
    decode_checked(&g, u, ev1, 1, &obs, &w, "D1");
    cr_assert_eq(correction_size(u), 2);
    cr_assert(has_edge(u, 0, 1) && has_edge(u, 0, B));
    cr_assert_eq(obs, 1);
    qp_local_search_free(m);
    qp_uf_free(u);
    qp_matching_graph_free(&g);
}

Test(union_find, no_events_gives_empty_correction) {
    qp_matching_graph g;
    build(&g, 5, 1, line_edges, 6);
    qp_uf *u = qp_uf_create(&g);
    uint64_t obs = 99;
    int64_t w = 99;
    qp_err err;
    cr_assert_eq(qp_uf_decode_events(u, NULL, 0, &obs, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(obs, 0);
    cr_assert_eq(w, 0);
    cr_assert_eq(correction_size(u), 0);
    // A repeated event cancels.
    uint32_t ev[] = {2, 2};
    cr_assert_eq(qp_uf_decode_events(u, ev, 2, &obs, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(obs, 0);
    cr_assert_eq(correction_size(u), 0);
    qp_uf_free(u);
    qp_matching_graph_free(&g);
}

// B -(L0)- D0 -(L1)- D1 -(L2)- D2 -(L0,L2)- B with D1's cheapest way out to the left.
Test(union_find, observable_masks_xor_along_the_correction) {
    const qp_mg_edge edges[] = {{0, B, 0.2, 1}, {0, 1, 0.2, 2}, {1, 2, 0.01, 4}, {2, B, 0.01, 5}};
    qp_matching_graph g;
    build(&g, 3, 3, edges, 4);
    qp_uf *u = qp_uf_create(&g);
    uint64_t obs;
    int64_t w;
    uint32_t ev1[] = {1};
    decode_checked(&g, u, ev1, 1, &obs, &w, "D1");
    cr_assert_eq(obs, 1 ^ 2, "expected L0^L1 = 3, got %llu", (unsigned long long)obs);
    uint32_t ev2[] = {2};
    decode_checked(&g, u, ev2, 1, &obs, &w, "D2");
    cr_assert_eq(obs, 5);
    uint32_t ev02[] = {0, 2};  // 0-1-2 (0.2, 0.01 ...) vs both to boundary: check consistency only
    decode_checked(&g, u, ev02, 2, &obs, &w, "D0 D2");
    qp_uf_free(u);
    qp_matching_graph_free(&g);
}

// An edge with p > 0.5 is folded into the graph's base flip (matching_graph.h); the b8 entry
// point must apply it like MWPM's. On this two-detector graph UF is exact, so both decoders
// agree on every syndrome, mask and weight.
Test(union_find, base_flip_of_likely_edges_matches_mwpm) {
    const qp_mg_edge edges[] = {{0, B, 0.9, 1}, {0, 1, 0.2, 0}, {1, B, 0.05, 2}};
    qp_matching_graph g;
    build(&g, 2, 2, edges, 3);
    cr_assert(g.has_base_flip);
    qp_uf *u = qp_uf_create(&g);
    qp_local_search *m = qp_local_search_create(&g);
    for (uint8_t syndrome = 0; syndrome < 4; syndrome++) {
        uint64_t obs, mobs;
        double w, mw;
        qp_err err;
        cr_assert_eq(qp_uf_decode_b8(u, &syndrome, &obs, &w, &err), 0, "%s", err.msg);
        cr_assert_eq(qp_local_search_decode_b8(m, &syndrome, &mobs, &mw, &err), 0, "%s", err.msg);
        cr_assert_eq(obs, mobs, "syndrome %u: UF %llu, MWPM %llu", syndrome, (unsigned long long)obs,
                     (unsigned long long)mobs);
        cr_assert_float_eq(w, mw, 1e-9, "syndrome %u: weight %g vs %g", syndrome, w, mw);
    }
    // No events: nothing fired (weight 0). Event at D0: the likely edge fired, predicting L0,
    // weight log(0.1/0.9) < 0.
    uint8_t none = 0, d0 = 1;
    uint64_t obs;
    double w;
    qp_err err;
    cr_assert_eq(qp_uf_decode_b8(u, &none, &obs, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(obs, 0);
    cr_assert_float_eq(w, 0.0, 1e-4);
    cr_assert_eq(qp_uf_decode_b8(u, &d0, &obs, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(obs, 1);
    cr_assert_float_eq(w, log(0.1 / 0.9), 1e-4);
    qp_local_search_free(m);
    qp_uf_free(u);
    qp_matching_graph_free(&g);
}

Test(union_find, detector_without_edges_is_a_one_line_error) {
    const qp_mg_edge edges[] = {{0, 1, 0.1, 0}, {1, B, 0.1, 1}};
    qp_matching_graph g;
    build(&g, 4, 1, edges, 2);  // D2, D3 have no edges
    qp_uf *u = qp_uf_create(&g);
    uint64_t obs;
    int64_t w;
    qp_err err;
    uint32_t bad[] = {0, 2};
    cr_assert_eq(qp_uf_decode_events(u, bad, 2, &obs, &w, &err), -1);
    cr_assert(strstr(err.msg, "D2") != NULL, "message does not name D2: %s", err.msg);
    cr_assert(strchr(err.msg, '\n') == NULL);
    uint32_t oob[] = {7};
    cr_assert_eq(qp_uf_decode_events(u, oob, 1, &obs, &w, &err), -1);
    cr_assert(strstr(err.msg, "out of range") != NULL, "%s", err.msg);
    // The decoder is clean afterwards.
    uint32_t ok[] = {0};
    decode_checked(&g, u, ok, 1, &obs, &w, "D0 after error");
    cr_assert_eq(obs, 1);
    cr_assert_eq(correction_size(u), 2);
    qp_uf_free(u);
    qp_matching_graph_free(&g);
}

// A 2-D grid with random weights and random events: every correction valid, and never
// better than the exact MWPM weight (UF is a feasible solution of the same problem).
Test(union_find, random_grids_valid_and_not_below_mwpm) {
    enum { W = 7, H = 6, N = W * H };
    qp_mg_edge edges[4 * N];
    size_t ne = 0;
    uint64_t x = 12345;
#define NEXT() (x = x * 6364136223846793005ull + 1442695040888963407ull, (double)(x >> 11) / 9007199254740992.0)
    for (uint32_t r = 0; r < H; r++)
        for (uint32_t c = 0; c < W; c++) {
            uint32_t v = r * W + c;
            if (c + 1 < W) edges[ne++] = (qp_mg_edge){v, v + 1, 0.01 + 0.3 * NEXT(), (uint64_t)(c == 2)};
            if (r + 1 < H) edges[ne++] = (qp_mg_edge){v, v + W, 0.01 + 0.3 * NEXT(), 0};
            if (c == 0) edges[ne++] = (qp_mg_edge){v, B, 0.01 + 0.3 * NEXT(), 1};
            if (c == W - 1) edges[ne++] = (qp_mg_edge){v, B, 0.01 + 0.3 * NEXT(), 0};
        }
    qp_matching_graph g;
    build(&g, N, 1, edges, ne);
    qp_uf *u = qp_uf_create(&g);
    qp_local_search *m = qp_local_search_create(&g);
    uint64_t agree = 0, same_weight = 0;
    for (int shot = 0; shot < 500; shot++) {
        uint32_t ev[N];
        size_t k = 0;
        double rate = 0.05 + 0.25 * NEXT();
        for (uint32_t v = 0; v < N; v++)
            if (NEXT() < rate) ev[k++] = v;
        uint64_t obs, mobs;
        int64_t w, mw;
        char what[32];
        snprintf(what, sizeof what, "shot %d", shot);
        decode_checked(&g, u, ev, k, &obs, &w, what);
        qp_err err;
        cr_assert_eq(qp_local_search_decode_events(m, ev, k, &mobs, &mw, &err), 0, "%s", err.msg);
        cr_assert_geq(w, mw, "%s: UF weight %lld below the minimum %lld", what, (long long)w, (long long)mw);
        agree += obs == mobs;
        same_weight += w == mw;
    }
#undef NEXT
    fprintf(stderr, "random grids: UF agrees with MWPM on %llu / 500 shots, has the minimum weight on %llu\n",
            (unsigned long long)agree, (unsigned long long)same_weight);
    cr_assert_geq(agree, 350);  // sanity: an approximation, not a random guess
    qp_local_search_free(m);
    qp_uf_free(u);
    qp_matching_graph_free(&g);
}

// ---- reference vectors ----------------------------------------------------------------------

typedef qp_test_vector_case vector_case;  // tests/test_support.h

typedef struct {
    uint64_t uf, mwpm, shots;
} tally;

static double allowed(uint64_t mwpm) {
    return 1.3 * (double)mwpm + 3.0 * sqrt(mwpm > 1 ? (double)mwpm : 1.0);
}

static void check_case(const char *dir, const vector_case *c, int use_pymatching, tally *total) {
    char path[4096];
    qp_err err;
    qp_dem dem;
    qp_dem_init(&dem);
    snprintf(path, sizeof path, "%.3900s/%.127s.dem", dir, c->name);
    cr_assert_eq(qp_dem_parse_file(&dem, path, &err), 0, "%s", err.msg);
    qp_matching_graph g;
    cr_assert_eq(qp_matching_graph_from_dem(&g, &dem, &err), 0, "%s: %s", c->name, err.msg);
    qp_decoder *mwpm = NULL;
    if (!use_pymatching) {
        mwpm = qp_decoder_create("mwpm", &dem, &err);
        cr_assert(mwpm, "%s: %s", c->name, err.msg);
    }
    qp_dem_free(&dem);
    cr_assert_eq(g.num_detectors, c->detectors);
    size_t len_dets, len_obs;
    snprintf(path, sizeof path, "%.3900s/%.127s.dets.b8", dir, c->name);
    uint8_t *dets = (uint8_t *)qp_test_read_file(path, &len_dets);
    snprintf(path, sizeof path, "%.3900s/%.127s.obs.b8", dir, c->name);
    uint8_t *obs = (uint8_t *)qp_test_read_file(path, &len_obs);
    cr_assert(dets && obs, "%s: missing files", c->name);
    size_t bps = (c->detectors + 7) / 8;
    cr_assert_eq(len_dets, c->shots * bps);
    uint64_t shots = c->shots;
    if (c->detectors > 5000 && shots > 1000) shots = 1000;
    if (getenv("QECPIPE_TEST_QUICK") && shots > 5000) shots = 5000;
    qp_uf *u = qp_uf_create(&g);
    uint8_t *pred_uf = malloc(shots), *pred_mwpm = malloc(shots);
    cr_assert_eq(qp_uf_decode_batch_b8(u, dets, shots, bps, pred_uf, NULL, &err), 0, "%s: %s", c->name, err.msg);
    if (use_pymatching) {  // "0\n" or "1\n" per shot (one observable)
        size_t len_pm;
        snprintf(path, sizeof path, "%.3900s/%.127s.pymatching.01", dir, c->name);
        char *pm = qp_test_read_file(path, &len_pm);
        cr_assert(pm, "%s: missing %s", c->name, path);
        cr_assert_eq(len_pm, c->shots * 2);
        for (uint64_t s = 0; s < shots; s++) pred_mwpm[s] = pm[2 * s] == '1';
        free(pm);
    } else {
        cr_assert_eq(qp_decoder_decode_batch(mwpm, dets, shots, bps, pred_mwpm, NULL, &err), 0, "%s: %s", c->name,
                     err.msg);
    }
    uint64_t uf_mistakes = 0, mwpm_mistakes = 0;
    for (uint64_t s = 0; s < shots; s++) {
        uf_mistakes += (pred_uf[s] ^ obs[s]) & 1;
        mwpm_mistakes += (pred_mwpm[s] ^ obs[s]) & 1;
    }
    // Validity, shot by shot, on the first 300 shots (syndrome in the positive-weight graph).
    uint32_t *events = malloc((g.num_detectors + 1) * sizeof *events);
    for (uint64_t s = 0; s < shots && s < 300; s++) {
        size_t k = 0;
        for (uint32_t v = 0; v < g.num_detectors; v++) {
            int on = (dets[s * bps + v / 8] >> (v % 8)) & 1;
            if (g.has_base_flip) on ^= g.base_detector_flip[v];
            if (on) events[k++] = v;
        }
        uint64_t o;
        int64_t w;
        char what[160];
        snprintf(what, sizeof what, "%.127s shot %llu", c->name, (unsigned long long)s);
        decode_checked(&g, u, events, k, &o, &w, what);
        cr_assert_eq((uint8_t)(o ^ g.base_obs) & 1, pred_uf[s] & 1, "%s: events and b8 paths disagree", what);
    }
    fprintf(stderr, "%-28s shots=%-6llu uf_mistakes=%-5llu %s_mistakes=%-5llu allowed=%.1f\n", c->name,
            (unsigned long long)shots, (unsigned long long)uf_mistakes, use_pymatching ? "pymatching" : "mwpm",
            (unsigned long long)mwpm_mistakes, allowed(mwpm_mistakes));
    cr_assert_leq((double)uf_mistakes, allowed(mwpm_mistakes), "%s: UF %llu mistakes vs exact matching %llu", c->name,
                  (unsigned long long)uf_mistakes, (unsigned long long)mwpm_mistakes);
    total->uf += uf_mistakes;
    total->mwpm += mwpm_mistakes;
    total->shots += shots;
    free(events);
    free(pred_uf);
    free(pred_mwpm);
    free(dets);
    free(obs);
    qp_uf_free(u);
    qp_decoder_free(mwpm);
    qp_matching_graph_free(&g);
}

static void check_dir(const char *dir, int use_pymatching) {
    vector_case cases[64];
    int read = qp_test_read_manifest(dir, cases, 64);
    cr_assert(read >= 0, "cannot read %s/MANIFEST.txt", dir);
    size_t n = (size_t)read;
    cr_assert_gt(n, 0);
    tally total = {0};
    for (size_t i = 0; i < n; i++) check_case(dir, &cases[i], use_pymatching, &total);
    double bound = 1.3 * (double)total.mwpm + 3.0 * sqrt((double)total.mwpm);
    fprintf(stderr, "pooled: shots=%llu uf_mistakes=%llu %s_mistakes=%llu ratio=%.3f allowed=%.1f\n",
            (unsigned long long)total.shots, (unsigned long long)total.uf, use_pymatching ? "pymatching" : "mwpm",
            (unsigned long long)total.mwpm,
            total.mwpm ? (double)total.uf / (double)total.mwpm : 0.0, bound);
    cr_assert_gt(total.mwpm, 0);
    cr_assert_leq((double)total.uf, bound);
}

Test(union_find, shipped_subset_vs_mwpm) { check_dir(qp_test_data_dir(), 0); }

Test(union_find, shared_vectors_vs_pymatching, .timeout = 600) {
    QP_TEST_NEED_VECTORS(dir);
    check_dir(dir, 1);
}
