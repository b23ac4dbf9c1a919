// Matching graph construction from DEMs: components split at `^`, repeat blocks and
// shift_detectors unrolled, parallel edges merged as independent errors, p > 0.5 folded into
// the base flip, discretised weights even and proportional to log((1-p)/p), boundary
// distances, detectors without edges, and the error for non-graphlike components.
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "workers/decode/matching_graph.h"
#include "workers/dem/dem.h"

static void build(qp_matching_graph *g, const char *text) {
    qp_dem dem;
    qp_err err;
    qp_dem_init(&dem);
    cr_assert_eq(qp_dem_parse(&dem, text, "t.dem", &err), 0, "%s", err.msg);
    cr_assert_eq(qp_matching_graph_from_dem(g, &dem, &err), 0, "%s", err.msg);
    qp_dem_free(&dem);
}

// Index of the adjacency entry a -> b, or -1.
static long find_edge(const qp_matching_graph *g, uint32_t a, uint32_t b) {
    for (uint32_t k = g->adj_start[a]; k < g->adj_start[a + 1]; k++)
        if (g->adj_node[k] == b) return k;
    return -1;
}

static double weight_of(const qp_matching_graph *g, int64_t iw) { return (double)iw / g->scale; }

Test(matching_graph, components_repeat_shift_and_merging) {
    qp_matching_graph g;
    build(&g,
          "error(0.1) D0 D1 ^ D2 L0\n"      // edges D0-D1 (p .1) and D2-boundary (p .1, L0)
          "error(0.2) D0 D1\n"              // parallel to D0-D1, same mask: merged
          "repeat 2 {\n"
          "  error(0.05) D3 D4\n"           // D3-D4, then D4-D5 after the shift
          "  shift_detectors 1\n"
          "}\n"
          "detector D7\n");                 // D9 after the shifts; D6..D9 have no edges
    cr_assert_eq(g.num_detectors, 10);
    cr_assert_eq(g.num_observables, 1);
    long e01 = find_edge(&g, 0, 1), e34 = find_edge(&g, 3, 4), e45 = find_edge(&g, 4, 5);
    cr_assert(e01 >= 0 && e34 >= 0 && e45 >= 0);
    cr_assert_eq(find_edge(&g, 1, 0) >= 0, 1, "edges are stored both ways");
    double p01 = 0.1 * 0.8 + 0.2 * 0.9;
    cr_assert_float_eq(weight_of(&g, g.adj_weight[e01]), log((1 - p01) / p01), 1e-5);
    cr_assert_float_eq(weight_of(&g, g.adj_weight[e34]), log(0.95 / 0.05), 1e-5);
    cr_assert_eq(g.adj_obs[e01], 0);
    cr_assert_eq(g.boundary_obs[2], 1);
    cr_assert_float_eq(weight_of(&g, g.boundary_weight[2]), log(0.9 / 0.1), 1e-5);
    cr_assert_eq(g.boundary_weight[0], QP_MG_INF);
    cr_assert_eq(g.boundary_dist[0], QP_MG_INF, "D0 cannot reach the boundary");
    for (uint32_t v = 6; v < 10; v++) cr_assert_eq(g.adj_start[v + 1] - g.adj_start[v], 0);
    // Discretisation: even integers, the largest weight maps to QP_MG_WEIGHT_RANGE.
    int64_t mx = 0;
    for (uint32_t k = 0; k < g.adj_start[g.num_detectors]; k++) {
        cr_assert_eq(g.adj_weight[k] % 2, 0);
        if (g.adj_weight[k] > mx) mx = g.adj_weight[k];
    }
    cr_assert_eq(mx, QP_MG_WEIGHT_RANGE);
    cr_assert(!g.has_base_flip);
    qp_matching_graph_free(&g);
}

Test(matching_graph, boundary_distance_and_mask_follow_shortest_path) {
    qp_matching_graph g;
    // D0 - D1 - boundary (cheap, L0) and D0 - boundary (expensive, no mask).
    build(&g, "error(0.1) D0 D1\nerror(0.1) D1 L0\nerror(0.001) D0\n");
    cr_assert_eq(g.boundary_dist[0], g.adj_weight[find_edge(&g, 0, 1)] + g.boundary_weight[1]);
    cr_assert_eq(g.boundary_dist_obs[0], 1);
    qp_matching_graph_free(&g);
}

Test(matching_graph, probability_above_half_folds_into_base) {
    qp_matching_graph g;
    build(&g, "error(0.7) D0 D1 L0\nerror(0.1) D1\n");
    cr_assert(g.has_base_flip);
    cr_assert_eq(g.base_detector_flip[0], 1);
    cr_assert_eq(g.base_detector_flip[1], 1);
    cr_assert_eq(g.base_obs, 1);
    cr_assert_float_eq(g.base_weight, log(0.3 / 0.7), 1e-9);
    long e = find_edge(&g, 0, 1);
    cr_assert_float_eq(weight_of(&g, g.adj_weight[e]), log(0.7 / 0.3), 1e-5);
    qp_matching_graph_free(&g);
}

Test(matching_graph, non_graphlike_component_names_line) {
    qp_dem dem;
    qp_err err;
    qp_matching_graph g;
    qp_dem_init(&dem);
    cr_assert_eq(qp_dem_parse(&dem, "error(0.1) D0 D1\n\nerror(0.1) D0 D1 D2 ^ D3\n", "t.dem", &err), 0);
    cr_assert_eq(qp_matching_graph_from_dem(&g, &dem, &err), -1);
    cr_assert(strstr(err.msg, "line 3") && strstr(err.msg, "3 detectors"), "%s", err.msg);
    qp_dem_free(&dem);
    // Repeated detectors cancel: D0 D0 D1 is the boundary edge D1.
    qp_dem_init(&dem);
    cr_assert_eq(qp_dem_parse(&dem, "error(0.1) D0 D0 D1\n", "t.dem", &err), 0);
    cr_assert_eq(qp_matching_graph_from_dem(&g, &dem, &err), 0, "%s", err.msg);
    cr_assert_neq(g.boundary_weight[1], QP_MG_INF);
    cr_assert_eq(g.boundary_weight[0], QP_MG_INF);
    qp_matching_graph_free(&g);
    qp_dem_free(&dem);
}
