// Exactness of the MWPM decoder, sparse blossom (workers/decode/mwpm.h):
//  - on thousands of random small graphs (<= 14 events; with and without boundary; tied and
//    continuous weights) and random 3D lattices, the matching weight equals the brute-force
//    minimum (our own oracle: Dijkstra distances + memoised enumeration of pairings with a
//    boundary option) and the exact decoder qp_local_search's; the returned pairs cover each event
//    once and their distances add up to the weight; the correction's edges flip exactly the
//    events with that weight; the mask is that of SOME minimum-weight matching along shortest
//    paths (the oracle enumerates the set of all such masks, so ties are checked exactly);
//  - on the reference vectors (tests/data, and ../shared/vectors when present) the weight
//    equals qp_local_search's on every compared shot, predictions agree with PyMatching's on >= 99.5 %
//    of shots, and mistakes vs NAME.obs.b8 are within 3 sd of pymatching_mistakes.
#include <criterion/criterion.h>
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/decode/matching_graph.h"
#include "tests/decode/oracle/local_search.h"
#include "workers/decode/mwpm.h"
#include "workers/dem/dem.h"
#include "workers/util/rng.h"

#define MAXE 14

// ---- oracle ------------------------------------------------------------------------------------

// Masks are 2 bits here, so a set of masks is a 4-bit set (bit m = mask m achievable).
static uint32_t shift_set(uint32_t set, uint64_t obs) {
    uint32_t out = 0;
    for (uint32_t m = 0; m < 4; m++)
        if (set >> m & 1) out |= 1u << ((m ^ (uint32_t)obs) & 3);
    return out;
}

static uint32_t xor_sets(uint32_t a, uint32_t b) {
    uint32_t out = 0;
    for (uint32_t m = 0; m < 4; m++)
        if (a >> m & 1) out |= shift_set(b, m);
    return out;
}

// Dijkstra (O(n^2), tiny graphs) from src; dist per detector and, per detector, the set of
// masks of all shortest paths (all weights here are positive). *bdist / *bset: distance to
// the boundary and the masks of all shortest boundary paths.
static void dijkstra_all(const qp_matching_graph *g, uint32_t src, int64_t *dist, uint32_t *set,
                         int64_t *bdist, uint32_t *bset) {
    uint32_t n = g->num_detectors;
    char *done = calloc(n, 1);
    uint32_t *order = malloc(n * sizeof *order), no = 0;
    for (uint32_t v = 0; v < n; v++) dist[v] = QP_MG_INF, set[v] = 0;
    dist[src] = 0;
    set[src] = 1;
    for (;;) {
        uint32_t u = UINT32_MAX;
        for (uint32_t v = 0; v < n; v++)
            if (!done[v] && dist[v] != QP_MG_INF && (u == UINT32_MAX || dist[v] < dist[u])) u = v;
        if (u == UINT32_MAX) break;
        done[u] = 1;
        order[no++] = u;
        for (uint32_t k = g->adj_start[u]; k < g->adj_start[u + 1]; k++) {
            uint32_t y = g->adj_node[k];
            if (dist[u] + g->adj_weight[k] < dist[y]) dist[y] = dist[u] + g->adj_weight[k];
        }
    }
    for (uint32_t i = 1; i < no; i++) {
        uint32_t y = order[i];
        for (uint32_t k = g->adj_start[y]; k < g->adj_start[y + 1]; k++) {
            uint32_t u = g->adj_node[k];
            if (dist[u] != QP_MG_INF && dist[u] + g->adj_weight[k] == dist[y]) set[y] |= shift_set(set[u], g->adj_obs[k]);
        }
    }
    *bdist = QP_MG_INF;
    *bset = 0;
    for (uint32_t i = 0; i < no; i++) {
        uint32_t u = order[i];
        if (g->boundary_weight[u] == QP_MG_INF) continue;
        int64_t c = dist[u] + g->boundary_weight[u];
        if (c < *bdist) *bdist = c, *bset = 0;
        if (c == *bdist) *bset |= shift_set(set[u], g->boundary_obs[u]);
    }
    free(order);
    free(done);
}

typedef struct {
    int k;
    int64_t d[MAXE][MAXE], b[MAXE];
    uint32_t dset[MAXE][MAXE], bset[MAXE];
    int64_t cost[1 << MAXE];  // min cost of matching the events NOT in the subset
    uint32_t sets[1 << MAXE]; // masks of all optimal completions
} brute;

static int64_t add_inf(int64_t a, int64_t b) { return (a == QP_MG_INF || b == QP_MG_INF) ? QP_MG_INF : a + b; }

// Minimum matching weight; *mask_set: the observable masks of ALL minimum-weight matchings
// over all shortest paths (so a decoder's mask is checked exactly, ties included).
static int64_t brute_solve(brute *o, const qp_matching_graph *g, const uint32_t *ev, int k, uint32_t *mask_set) {
    int64_t *dist = malloc(g->num_detectors * sizeof *dist);
    uint32_t *set = malloc(g->num_detectors * sizeof *set);
    o->k = k;
    for (int i = 0; i < k; i++) {
        dijkstra_all(g, ev[i], dist, set, &o->b[i], &o->bset[i]);
        cr_assert_eq(o->b[i], g->boundary_dist[ev[i]]);
        for (int j = 0; j < k; j++) {
            o->d[i][j] = dist[ev[j]];
            o->dset[i][j] = set[ev[j]];
        }
    }
    uint32_t full = (1u << k) - 1;
    o->cost[full] = 0;
    o->sets[full] = 1;
    for (int64_t u = (int64_t)full - 1; u >= 0; u--) {
        uint32_t used = (uint32_t)u;
        int i = __builtin_ctz(~used);
        int64_t best = add_inf(o->b[i], o->cost[used | (1u << i)]);
        uint32_t bs = xor_sets(o->bset[i], o->sets[used | (1u << i)]);
        for (int j = i + 1; j < k; j++) {
            if (used & (1u << j)) continue;
            uint32_t nu = used | (1u << i) | (1u << j);
            int64_t c = add_inf(o->d[i][j], o->cost[nu]);
            if (c == QP_MG_INF || c > best) continue;
            if (c < best) best = c, bs = 0;
            bs |= xor_sets(o->dset[i][j], o->sets[nu]);
        }
        o->cost[used] = best;
        o->sets[used] = best == QP_MG_INF ? 0 : bs;
    }
    *mask_set = o->sets[0];
    free(dist);
    free(set);
    return o->cost[0];
}

// ---- random graphs ---------------------------------------------------------------------------------

static double draw_p(qp_rng *rng, int continuous) {
    static const double ps[4] = {0.01, 0.05, 0.1, 0.2};
    return continuous ? 0.001 + 0.3 * qp_rng_uniform(rng) : ps[qp_rng_u64(rng) % 4];
}

// n detectors: a spanning path plus n..2n random extra edges; boundary edges on ~1/3 of nodes.
static void random_graph(qp_rng *rng, qp_matching_graph *g, uint32_t n, int with_boundary, int continuous) {
    size_t cap = 4 * (size_t)n + 8, ne = 0;
    qp_mg_edge *e = calloc(cap, sizeof *e);
    uint32_t extra = n + (uint32_t)(qp_rng_u64(rng) % (n + 1));
    for (uint32_t i = 0; i + 1 < n + extra && ne < cap; i++) {
        e[ne].a = i + 1 < n ? i : (uint32_t)(qp_rng_u64(rng) % n);
        e[ne].b = i + 1 < n ? i + 1 : (uint32_t)(qp_rng_u64(rng) % n);
        e[ne].p = draw_p(rng, continuous);
        e[ne].obs = qp_rng_u64(rng) & 3;
        ne++;
    }
    if (with_boundary)
        for (uint32_t v = 0; v < n && ne < cap; v++)
            if (qp_rng_u64(rng) % 3 == 0) {
                e[ne].a = v;
                e[ne].b = QP_MG_BOUNDARY;
                e[ne].p = draw_p(rng, continuous);
                e[ne].obs = qp_rng_u64(rng) & 3;
                ne++;
            }
    qp_err err;
    cr_assert_eq(qp_matching_graph_from_edges(g, n, 2, e, ne, &err), 0, "%s", err.msg);
    free(e);
}

// X x Y x T lattice (with random diagonals), boundary on the x faces (or none), 1-2 copies.
static uint32_t lattice_graph(qp_rng *rng, qp_matching_graph *g, int with_boundary, int continuous) {
    uint32_t X = 3 + (uint32_t)(qp_rng_u64(rng) % 3), Y = 3 + (uint32_t)(qp_rng_u64(rng) % 3);
    uint32_t T = 3 + (uint32_t)(qp_rng_u64(rng) % 4), copies = 1 + (uint32_t)(qp_rng_u64(rng) % 2);
    uint32_t per = X * Y * T, n = per * copies;
    size_t cap = (size_t)n * 6 + 8, ne = 0;
    qp_mg_edge *e = calloc(cap, sizeof *e);
    for (uint32_t c = 0; c < copies; c++)
        for (uint32_t t = 0; t < T; t++)
            for (uint32_t y = 0; y < Y; y++)
                for (uint32_t x = 0; x < X; x++) {
                    uint32_t v = c * per + (t * Y + y) * X + x, nb[4];
                    int nn = 0;
                    if (x + 1 < X) nb[nn++] = v + 1;
                    if (y + 1 < Y) nb[nn++] = v + X;
                    if (t + 1 < T) nb[nn++] = v + X * Y;
                    if (t + 1 < T && x + 1 < X && qp_rng_u64(rng) % 2) nb[nn++] = v + X * Y + 1;
                    for (int i = 0; i < nn; i++) {
                        e[ne].a = v;
                        e[ne].b = nb[i];
                        e[ne].p = draw_p(rng, continuous);
                        e[ne].obs = (x == 0 && nb[i] == v + 1) ? 1 : 0;
                        ne++;
                    }
                    if (with_boundary && (x == 0 || x + 1 == X)) {
                        e[ne].a = v;
                        e[ne].b = QP_MG_BOUNDARY;
                        e[ne].p = draw_p(rng, continuous);
                        e[ne].obs = x == 0 ? 1 : 2;
                        ne++;
                    }
                }
    qp_err err;
    cr_assert_eq(qp_matching_graph_from_edges(g, n, 2, e, ne, &err), 0, "%s", err.msg);
    free(e);
    return n;
}

// The correction flips exactly the events and its edge weights add up to `weight`.
static void check_correction(qp_mwpm *s, const qp_matching_graph *g, const uint32_t *ev, int k,
                             int64_t weight, int c) {
    const uint32_t *edges;
    size_t ne = qp_mwpm_last_correction(s, &edges);
    uint8_t *parity = calloc(g->num_detectors, 1);
    int64_t w = 0;
    for (size_t e = 0; e < ne; e++) {
        uint32_t a = edges[2 * e], b = edges[2 * e + 1];
        parity[a] ^= 1;
        if (b == QP_MG_BOUNDARY) {
            cr_assert_neq(g->boundary_weight[a], QP_MG_INF, "case %d: no boundary edge at D%u", c, a);
            w += g->boundary_weight[a];
            continue;
        }
        parity[b] ^= 1;
        int64_t best = QP_MG_INF;
        for (uint32_t q = g->adj_start[a]; q < g->adj_start[a + 1]; q++)
            if (g->adj_node[q] == b && g->adj_weight[q] < best) best = g->adj_weight[q];
        cr_assert_neq(best, QP_MG_INF, "case %d: D%u-D%u is not an edge", c, a, b);
        w += best;
    }
    for (int i = 0; i < k; i++) parity[ev[i]] ^= 1;
    for (uint32_t v = 0; v < g->num_detectors; v++) cr_assert_eq(parity[v], 0, "case %d: correction leaves D%u", c, v);
    cr_assert_eq(w, weight, "case %d: correction weight %lld != %lld", c, (long long)w, (long long)weight);
    free(parity);
}

static int run_cases(int num_cases, int with_boundary, int continuous, uint64_t seed, int lattice) {
    qp_rng rng;
    qp_rng_stream(&rng, seed, 3, 4);
    brute *o = malloc(sizeof *o);
    int checked = 0;
    for (int c = 0; c < num_cases; c++) {
        qp_matching_graph g;
        uint32_t n;
        if (lattice) {
            n = lattice_graph(&rng, &g, with_boundary, continuous);
        } else {
            n = 2 + (uint32_t)(qp_rng_u64(&rng) % 26);
            random_graph(&rng, &g, n, with_boundary, continuous);
        }
        int k = (int)(qp_rng_u64(&rng) % (MAXE + 1));
        if (k > (int)n) k = (int)n;
        if (!with_boundary) k &= ~1;
        uint32_t ev[MAXE], *perm = malloc(n * sizeof *perm);
        for (uint32_t v = 0; v < n; v++) perm[v] = v;
        for (uint32_t v = 0; v < n; v++) {
            uint32_t j = v + (uint32_t)(qp_rng_u64(&rng) % (n - v)), t = perm[v];
            perm[v] = perm[j];
            perm[j] = t;
        }
        for (int i = 0; i < k; i++) ev[i] = perm[i];
        free(perm);
        uint64_t got_obs = 0, ex_obs = 0;
        uint32_t want_set = 0;
        int64_t want = brute_solve(o, &g, ev, k, &want_set), got = -1, ex = -1;
        qp_mwpm *s = qp_mwpm_create(&g);
        qp_local_search *m = qp_local_search_create(&g);
        qp_err err;
        int rc = qp_mwpm_decode_events(s, ev, (size_t)k, &got_obs, &got, &err);
        int rc_ex = qp_local_search_decode_events(m, ev, (size_t)k, &ex_obs, &ex, &err);
        if (want == QP_MG_INF) {
            cr_assert_eq(rc, -1, "case %d: expected no perfect matching", c);
            cr_assert_eq(rc_ex, -1);
        } else {
            cr_assert_eq(rc, 0, "case %d (n=%u k=%d): %s", c, n, k, err.msg);
            cr_assert_eq(got, want, "case %d (n=%u k=%d boundary=%d lattice=%d): weight %lld, brute force %lld", c, n,
                         k, with_boundary, lattice, (long long)got, (long long)want);
            cr_assert_eq(rc_ex, 0);
            cr_assert_eq(got, ex, "case %d: sparse %lld, qp_local_search %lld", c, (long long)got, (long long)ex);
            const uint32_t *pairs;
            size_t np = qp_mwpm_last_pairs(s, &pairs);
            int seen[MAXE] = {0};
            int64_t sum = 0;
            for (size_t q = 0; q < np; q++) {
                int ia = -1, ib = -1;
                for (int i = 0; i < k; i++) {
                    if (ev[i] == pairs[2 * q]) ia = i;
                    if (ev[i] == pairs[2 * q + 1]) ib = i;
                }
                cr_assert(ia >= 0, "case %d: pair names a non-event D%u", c, pairs[2 * q]);
                seen[ia]++;
                if (pairs[2 * q + 1] == QP_MG_BOUNDARY) {
                    sum = add_inf(sum, o->b[ia]);
                } else {
                    cr_assert(ib >= 0, "case %d: pair names a non-event D%u", c, pairs[2 * q + 1]);
                    seen[ib]++;
                    sum = add_inf(sum, o->d[ia][ib]);
                }
            }
            for (int i = 0; i < k; i++) cr_assert_eq(seen[i], 1, "case %d: event %d matched %d times", c, i, seen[i]);
            cr_assert_eq(sum, want, "case %d: pair distances %lld != weight %lld", c, (long long)sum, (long long)want);
            check_correction(s, &g, ev, k, got, c);
            cr_assert(got_obs < 4 && (want_set >> got_obs & 1),
                      "case %d: obs %llx is not the mask of any minimum-weight matching (set %x)", c,
                      (unsigned long long)got_obs, want_set);
            checked++;
        }
        qp_mwpm_free(s);
        qp_local_search_free(m);
        qp_matching_graph_free(&g);
    }
    free(o);
    return checked;
}

Test(mwpm, random_graphs_with_boundary_tied_weights) { cr_assert_gt(run_cases(3000, 1, 0, 31, 0), 2500); }
Test(mwpm, random_graphs_without_boundary_tied_weights) { cr_assert_gt(run_cases(2000, 0, 0, 32, 0), 1800); }
Test(mwpm, random_graphs_continuous_weights_observables) { cr_assert_gt(run_cases(2000, 1, 1, 33, 0), 1500); }
Test(mwpm, lattices_with_boundary) { cr_assert_gt(run_cases(800, 1, 0, 41, 1), 700); }
Test(mwpm, lattices_without_boundary) { cr_assert_gt(run_cases(500, 0, 0, 42, 1), 100); }
Test(mwpm, lattices_continuous_weights_observables) { cr_assert_gt(run_cases(500, 1, 1, 43, 1), 400); }

// ---- reference vectors ----------------------------------------------------------------------------

typedef qp_test_vector_case vector_case;  // tests/test_support.h

// Decodes the case with sparse blossom; compares weights with qp_local_search on the first
// `exact_shots` shots, predictions and mistakes with PyMatching on `shots` shots.
static void check_vector_case(const char *dir, const vector_case *c, uint64_t shots, uint64_t exact_shots) {
    char path[4096];
    qp_err err;
    qp_dem dem;
    qp_dem_init(&dem);
    snprintf(path, sizeof path, "%s/%s.dem", dir, c->name);
    cr_assert_eq(qp_dem_parse_file(&dem, path, &err), 0, "%s", err.msg);
    qp_matching_graph g;
    cr_assert_eq(qp_matching_graph_from_dem(&g, &dem, &err), 0, "%s: %s", c->name, err.msg);
    qp_dem_free(&dem);
    cr_assert_eq(g.num_detectors, c->detectors);
    size_t len_dets, len_obs, len_pm;
    snprintf(path, sizeof path, "%s/%s.dets.b8", dir, c->name);
    uint8_t *dets = (uint8_t *)qp_test_read_file(path, &len_dets);
    snprintf(path, sizeof path, "%s/%s.obs.b8", dir, c->name);
    uint8_t *obs = (uint8_t *)qp_test_read_file(path, &len_obs);
    snprintf(path, sizeof path, "%s/%s.pymatching.01", dir, c->name);
    char *pm = qp_test_read_file(path, &len_pm);
    cr_assert(dets && obs && pm, "%s: missing files", c->name);
    size_t bps = (c->detectors + 7) / 8;
    cr_assert_eq(len_dets, c->shots * bps);
    if (shots > c->shots) shots = c->shots;
    if (exact_shots > shots) exact_shots = shots;
    qp_mwpm *s = qp_mwpm_create(&g);
    qp_local_search *m = qp_local_search_create(&g);
    uint64_t agree = 0, ours = 0, pm_mistakes = 0;
    for (uint64_t k = 0; k < shots; k++) {
        uint64_t pred, pred_ex;
        double w, w_ex;
        cr_assert_eq(qp_mwpm_decode_b8(s, dets + k * bps, &pred, &w, &err), 0, "%s shot %llu: %s", c->name,
                     (unsigned long long)k, err.msg);
        if (k < exact_shots) {
            cr_assert_eq(qp_local_search_decode_b8(m, dets + k * bps, &pred_ex, &w_ex, &err), 0, "%s", err.msg);
            cr_assert_eq(w, w_ex, "%s shot %llu: weight %.9g, qp_local_search %.9g", c->name, (unsigned long long)k, w, w_ex);
        }
        int theirs = pm[2 * k] == '1';
        agree += (int)(pred & 1) == theirs;
        ours += (pred & 1) != (obs[k] & 1);
        pm_mistakes += theirs != (obs[k] & 1);
    }
    double agreement = (double)agree / (double)shots;
    double sd = sqrt((double)(ours > pm_mistakes ? ours : pm_mistakes));
    if (sd < 1) sd = 1;
    fprintf(stderr, "%-28s shots=%-6llu exact-compared=%-6llu agree=%.5f mistakes=%llu pymatching=%llu\n", c->name,
            (unsigned long long)shots, (unsigned long long)exact_shots, agreement, (unsigned long long)ours,
            (unsigned long long)pm_mistakes);
    cr_assert_geq(agreement, 0.995, "%s: agreement %.4f < 0.995", c->name, agreement);
    cr_assert_leq(fabs((double)ours - (double)pm_mistakes), 3 * sd, "%s: %llu mistakes vs PyMatching %llu", c->name,
                  (unsigned long long)ours, (unsigned long long)pm_mistakes);
    if (shots == c->shots) cr_assert_eq(pm_mistakes, c->pm_mistakes, "%s: MANIFEST count differs", c->name);
    qp_mwpm_free(s);
    qp_local_search_free(m);
    qp_matching_graph_free(&g);
    free(dets);
    free(obs);
    free(pm);
}

static void check_vector_dir(const char *dir, uint64_t exact_shots) {
    vector_case cases[64];
    int read = qp_test_read_manifest(dir, cases, 64);
    cr_assert(read >= 0, "cannot read %s/MANIFEST.txt", dir);
    size_t n = (size_t)read;
    cr_assert_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        int huge = cases[i].detectors > 5000;
        uint64_t shots = huge ? 1000 : cases[i].shots;
        uint64_t ex = huge ? exact_shots / 20 : exact_shots;
        if (cases[i].detectors > 1000) ex /= 4;  // qp_local_search is slow on the d >= 9 graphs
        check_vector_case(dir, &cases[i], shots, ex);
    }
}

Test(mwpm, reference_vectors_shipped_subset) { check_vector_dir(qp_test_data_dir(), 20000); }

Test(mwpm, reference_vectors_shared, .timeout = 900) {
    QP_TEST_NEED_VECTORS(dir);
    check_vector_dir(dir, qp_test_quick() ? 500 : 2000);
}
