// Exactness of the test oracle, the local-search exact matcher (tests/decode/oracle/): on thousands of random small graphs (with and without a
// boundary, with many tied weights) the matching weight equals the minimum found by brute
// force (Dijkstra distances between events + enumeration of all pairings with a boundary
// option, memoised over subsets). Also checks the blossom solver alone against brute force,
// the returned pairs, observable masks when weights are tie-free, and p > 0.5 edges.
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/decode/oracle/blossom.h"
#include "workers/decode/matching_graph.h"
#include "tests/decode/oracle/local_search.h"
#include "workers/util/rng.h"

#define MAXE 14

// ---- oracle ------------------------------------------------------------------------------

// Dijkstra (O(n^2), tiny graphs) from src over the integer graph; dist/obs per detector.
static void oracle_dijkstra(const qp_matching_graph *g, uint32_t src, int64_t *dist, uint64_t *obs) {
    uint32_t n = g->num_detectors;
    char *done = calloc(n, 1);
    for (uint32_t v = 0; v < n; v++) dist[v] = QP_MG_INF;
    dist[src] = 0;
    obs[src] = 0;
    for (;;) {
        uint32_t best = UINT32_MAX;
        for (uint32_t v = 0; v < n; v++)
            if (!done[v] && dist[v] != QP_MG_INF && (best == UINT32_MAX || dist[v] < dist[best])) best = v;
        if (best == UINT32_MAX) break;
        done[best] = 1;
        for (uint32_t k = g->adj_start[best]; k < g->adj_start[best + 1]; k++) {
            uint32_t y = g->adj_node[k];
            if (dist[best] + g->adj_weight[k] < dist[y]) {
                dist[y] = dist[best] + g->adj_weight[k];
                obs[y] = obs[best] ^ g->adj_obs[k];
            }
        }
    }
    free(done);
}

typedef struct {
    int k;
    int64_t d[MAXE][MAXE];
    uint64_t dobs[MAXE][MAXE];
    int64_t b[MAXE];
    uint64_t bobs[MAXE];
    int64_t memo[1 << MAXE];
    uint64_t memo_obs[1 << MAXE];
} oracle;

static int64_t sat_add(int64_t a, int64_t b) { return (a == QP_MG_INF || b == QP_MG_INF) ? QP_MG_INF : a + b; }

// Minimum cost of matching the events not in `used`; memo_obs gets one optimal mask.
static int64_t best_pairing(oracle *o, uint32_t used) {
    if (used == (1u << o->k) - 1) return 0;
    if (o->memo[used] >= -1) return o->memo[used] == -1 ? QP_MG_INF : o->memo[used];
    int i = __builtin_ctz(~used);
    int64_t best = QP_MG_INF;
    uint64_t best_obs = 0;
    int64_t rest = best_pairing(o, used | (1u << i));
    int64_t c = sat_add(o->b[i], rest);
    if (c < best) {
        best = c;
        best_obs = o->bobs[i] ^ o->memo_obs[used | (1u << i)];
    }
    for (int j = i + 1; j < o->k; j++) {
        if (used & (1u << j)) continue;
        uint32_t nu = used | (1u << i) | (1u << j);
        c = sat_add(o->d[i][j], best_pairing(o, nu));
        if (c < best) {
            best = c;
            best_obs = o->dobs[i][j] ^ (nu == (1u << o->k) - 1 ? 0 : o->memo_obs[nu]);
        }
    }
    o->memo[used] = best == QP_MG_INF ? -1 : best;
    o->memo_obs[used] = best_obs;
    return best;
}

static int64_t oracle_solve(oracle *o, const qp_matching_graph *g, const uint32_t *ev, int k, uint64_t *obs) {
    int64_t *dist = malloc(g->num_detectors * sizeof *dist);
    uint64_t *dobs = malloc(g->num_detectors * sizeof *dobs);
    o->k = k;
    for (int i = 0; i < k; i++) {
        oracle_dijkstra(g, ev[i], dist, dobs);
        for (int j = 0; j < k; j++) {
            o->d[i][j] = dist[ev[j]];
            o->dobs[i][j] = dobs[ev[j]];
        }
        o->b[i] = g->boundary_dist[ev[i]];
        o->bobs[i] = g->boundary_dist_obs[ev[i]];
    }
    for (uint32_t s = 0; s < (1u << k); s++) o->memo[s] = -2;
    o->memo_obs[(1u << k) - 1] = 0;
    int64_t r = best_pairing(o, 0);
    *obs = k ? o->memo_obs[0] : 0;
    free(dist);
    free(dobs);
    return r;
}

// ---- random graphs -------------------------------------------------------------------------

// A random graph on n detectors: a random spanning path plus extra edges; boundary edges on
// a random subset (or none). Probabilities from a small set (ties) or continuous.
static void random_graph(qp_rng *rng, qp_matching_graph *g, uint32_t n, int with_boundary, int continuous) {
    static const double ps[4] = {0.01, 0.05, 0.1, 0.2};
    size_t cap = 4 * n + 8, ne = 0;
    qp_mg_edge *e = calloc(cap, sizeof *e);
    uint32_t extra = n + (uint32_t)(qp_rng_u64(rng) % (n + 1));
    for (uint32_t i = 0; i + 1 < n + extra && ne < cap; i++) {
        uint32_t a, b;
        if (i + 1 < n) {
            a = i;
            b = i + 1;
        } else {
            a = (uint32_t)(qp_rng_u64(rng) % n);
            b = (uint32_t)(qp_rng_u64(rng) % n);
        }
        e[ne].a = a;
        e[ne].b = b;
        e[ne].p = continuous ? 0.001 + 0.3 * qp_rng_uniform(rng) : ps[qp_rng_u64(rng) % 4];
        e[ne].obs = qp_rng_u64(rng) & 3;
        ne++;
    }
    if (with_boundary)
        for (uint32_t v = 0; v < n && ne < cap; v++)
            if (qp_rng_u64(rng) % 3 == 0) {
                e[ne].a = v;
                e[ne].b = QP_MG_BOUNDARY;
                e[ne].p = continuous ? 0.001 + 0.3 * qp_rng_uniform(rng) : ps[qp_rng_u64(rng) % 4];
                e[ne].obs = qp_rng_u64(rng) & 3;
                ne++;
            }
    qp_err err;
    cr_assert_eq(qp_matching_graph_from_edges(g, n, 2, e, ne, &err), 0, "%s", err.msg);
    free(e);
}

// A 3D lattice (X x Y x T, nearest neighbours plus some diagonals) with boundary edges on
// the x = 0 and x = X-1 faces (or none), optionally two disjoint copies: large enough (>= 64
// detectors) for the decoder's landmark bounds and sort-key windows to be in play.
static uint32_t lattice_graph(qp_rng *rng, qp_matching_graph *g, int with_boundary, int continuous) {
    static const double ps[4] = {0.01, 0.05, 0.1, 0.2};
    uint32_t X = 3 + (uint32_t)(qp_rng_u64(rng) % 3), Y = 3 + (uint32_t)(qp_rng_u64(rng) % 3);
    uint32_t T = 4 + (uint32_t)(qp_rng_u64(rng) % 4), copies = 1 + (uint32_t)(qp_rng_u64(rng) % 2);
    uint32_t per = X * Y * T, n = per * copies;
    size_t cap = (size_t)n * 6 + 8, ne = 0;
    qp_mg_edge *e = calloc(cap, sizeof *e);
    for (uint32_t c = 0; c < copies; c++)
        for (uint32_t t = 0; t < T; t++)
            for (uint32_t y = 0; y < Y; y++)
                for (uint32_t x = 0; x < X; x++) {
                    uint32_t v = c * per + (t * Y + y) * X + x;
                    uint32_t nb[4];
                    int nn = 0;
                    if (x + 1 < X) nb[nn++] = v + 1;
                    if (y + 1 < Y) nb[nn++] = v + X;
                    if (t + 1 < T) nb[nn++] = v + X * Y;
                    if (t + 1 < T && x + 1 < X && qp_rng_u64(rng) % 2) nb[nn++] = v + X * Y + 1;
                    for (int i = 0; i < nn; i++) {
                        e[ne].a = v;
                        e[ne].b = nb[i];
                        e[ne].p = continuous ? 0.001 + 0.3 * qp_rng_uniform(rng) : ps[qp_rng_u64(rng) % 4];
                        e[ne].obs = (x == 0 && nb[i] == v + 1) ? 1 : 0;
                        ne++;
                    }
                    if (with_boundary && (x == 0 || x + 1 == X)) {
                        e[ne].a = v;
                        e[ne].b = QP_MG_BOUNDARY;
                        e[ne].p = continuous ? 0.001 + 0.3 * qp_rng_uniform(rng) : ps[qp_rng_u64(rng) % 4];
                        e[ne].obs = x == 0 ? 1 : 2;
                        ne++;
                    }
                }
    qp_err err;
    cr_assert_eq(qp_matching_graph_from_edges(g, n, 2, e, ne, &err), 0, "%s", err.msg);
    free(e);
    return n;
}

static int run_cases_on(int num_cases, int with_boundary, int continuous, uint64_t seed, int lattice);

// The correction's edges flip exactly the events, and their weights and masks add up to what
// the decode reported.
static void check_correction(qp_local_search *m, const qp_matching_graph *g, const uint32_t *ev, int k, int64_t weight,
                             uint64_t obs, int c) {
    const uint32_t *edges;
    size_t ne = qp_local_search_last_correction(m, &edges);
    uint8_t *parity = calloc(g->num_detectors, 1);
    int64_t w = 0;
    uint64_t o = 0;
    for (size_t e = 0; e < ne; e++) {
        uint32_t a = edges[2 * e], b = edges[2 * e + 1];
        parity[a] ^= 1;
        if (b == QP_MG_BOUNDARY) {
            cr_assert_neq(g->boundary_weight[a], QP_MG_INF, "case %d: no boundary edge at D%u", c, a);
            w += g->boundary_weight[a];
            o ^= g->boundary_obs[a];
            continue;
        }
        parity[b] ^= 1;
        long found = -1;
        for (uint32_t q = g->adj_start[a]; q < g->adj_start[a + 1]; q++)
            if (g->adj_node[q] == b) found = q;
        cr_assert(found >= 0, "case %d: D%u-D%u is not an edge", c, a, b);
        w += g->adj_weight[found];
        o ^= g->adj_obs[found];
    }
    for (int i = 0; i < k; i++) parity[ev[i]] ^= 1;
    for (uint32_t v = 0; v < g->num_detectors; v++) cr_assert_eq(parity[v], 0, "case %d: correction leaves D%u flipped", c, v);
    cr_assert_eq(w, weight, "case %d: correction weight %lld != %lld", c, (long long)w, (long long)weight);
    cr_assert_eq(o, obs, "case %d: correction mask %llx != %llx", c, (unsigned long long)o, (unsigned long long)obs);
    free(parity);
}

static int run_cases(int num_cases, int with_boundary, int continuous, uint64_t seed) {
    return run_cases_on(num_cases, with_boundary, continuous, seed, 0);
}

static int run_cases_on(int num_cases, int with_boundary, int continuous, uint64_t seed, int lattice) {
    qp_rng rng;
    qp_rng_stream(&rng, seed, 1, 2);
    oracle *o = malloc(sizeof *o);
    int checked = 0;
    for (int c = 0; c < num_cases; c++) {
        qp_matching_graph g;
        uint32_t n;
        if (lattice) {
            n = lattice_graph(&rng, &g, with_boundary, continuous);
        } else {
            n = 4 + (uint32_t)(qp_rng_u64(&rng) % 24);
            random_graph(&rng, &g, n, with_boundary, continuous);
        }
        int k = (int)(qp_rng_u64(&rng) % (MAXE + 1));
        if (k > (int)n) k = (int)n;
        if (!with_boundary) k &= ~1;  // even; with two components the oracle may find none
        uint32_t ev[MAXE];
        uint32_t *perm = malloc(n * sizeof *perm);
        for (uint32_t v = 0; v < n; v++) perm[v] = v;
        for (uint32_t v = 0; v < n; v++) {
            uint32_t j = v + (uint32_t)(qp_rng_u64(&rng) % (n - v));
            uint32_t t = perm[v];
            perm[v] = perm[j];
            perm[j] = t;
        }
        for (int i = 0; i < k; i++) ev[i] = perm[i];
        free(perm);
        uint64_t want_obs = 0, got_obs = 0;
        int64_t want = oracle_solve(o, &g, ev, k, &want_obs), got = -1;
        qp_local_search *m = qp_local_search_create(&g);
        qp_err err;
        int rc = qp_local_search_decode_events(m, ev, (size_t)k, &got_obs, &got, &err);
        if (want == QP_MG_INF) {
            cr_assert_eq(rc, -1, "case %d: expected no perfect matching", c);
        } else {
            cr_assert_eq(rc, 0, "case %d: %s", c, err.msg);
            cr_assert_eq(got, want, "case %d (n=%u k=%d boundary=%d): weight %lld, brute force %lld", c, n, k,
                         with_boundary, (long long)got, (long long)want);
            // The pairs cover every event once and their distances add up to the weight.
            const uint32_t *pairs;
            size_t np = qp_local_search_last_pairs(m, &pairs);
            int seen[MAXE] = {0};
            int64_t sum = 0;
            for (size_t q = 0; q < np; q++) {
                int ia = -1, ib = -1;
                for (int i = 0; i < k; i++) {
                    if (ev[i] == pairs[2 * q]) ia = i;
                    if (ev[i] == pairs[2 * q + 1]) ib = i;
                }
                cr_assert(ia >= 0);
                seen[ia]++;
                if (pairs[2 * q + 1] == QP_MG_BOUNDARY) {
                    sum += o->b[ia];
                } else {
                    cr_assert(ib >= 0);
                    seen[ib]++;
                    sum += o->d[ia][ib];
                }
            }
            for (int i = 0; i < k; i++) cr_assert_eq(seen[i], 1, "case %d: event %d matched %d times", c, i, seen[i]);
            cr_assert_eq(sum, want, "case %d: pair distances %lld != weight %lld", c, (long long)sum, (long long)want);
            check_correction(m, &g, ev, k, got, got_obs, c);
            if (continuous) cr_assert_eq(got_obs, want_obs, "case %d: obs %llx, brute force %llx", c,
                                         (unsigned long long)got_obs, (unsigned long long)want_obs);
            checked++;
        }
        qp_local_search_free(m);
        qp_matching_graph_free(&g);
    }
    free(o);
    return checked;
}

Test(local_search, random_graphs_with_boundary_tied_weights) {
    int checked = run_cases(3000, 1, 0, 11);
    cr_assert_gt(checked, 2500);
}

Test(local_search, random_graphs_without_boundary_tied_weights) {
    int checked = run_cases(2000, 0, 0, 12);
    cr_assert_gt(checked, 1900);
}

Test(local_search, random_graphs_continuous_weights_observables) {
    int checked = run_cases(2000, 1, 1, 13);
    cr_assert_gt(checked, 1500);
}

Test(local_search, lattices_with_boundary) {
    int checked = run_cases_on(800, 1, 0, 21, 1);
    cr_assert_gt(checked, 700);
}

Test(local_search, lattices_without_boundary) {
    int checked = run_cases_on(500, 0, 0, 22, 1);
    cr_assert_gt(checked, 100);
}

Test(local_search, lattices_continuous_weights_observables) {
    int checked = run_cases_on(500, 1, 1, 23, 1);
    cr_assert_gt(checked, 400);
}

// ---- blossom alone against enumeration on random (non-metric) graphs ----------------------

static int64_t brute_perfect(int n, const int64_t w[16][16], uint32_t used) {
    if (used == (1u << n) - 1) return 0;
    int i = __builtin_ctz(~used);
    int64_t best = QP_MG_INF;
    for (int j = i + 1; j < n; j++) {
        if ((used & (1u << j)) || w[i][j] < 0) continue;
        int64_t r = brute_perfect(n, w, used | (1u << i) | (1u << j));
        if (r != QP_MG_INF && r + w[i][j] < best) best = r + w[i][j];
    }
    return best;
}

Test(local_search, blossom_matches_enumeration) {
    qp_rng rng;
    qp_rng_stream(&rng, 5, 0, 0);
    qp_blossom *b = qp_blossom_create();
    int feasible = 0;
    for (int c = 0; c < 3000; c++) {
        int n = 2 * (1 + (int)(qp_rng_u64(&rng) % 6));
        int64_t w[16][16];
        int32_t eu[80], ev[80], mate[16];
        int64_t ew[80];
        int m = 0;
        int density = 30 + (int)(qp_rng_u64(&rng) % 70);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) w[i][j] = -1;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if ((int)(qp_rng_u64(&rng) % 100) < density) {
                    w[i][j] = w[j][i] = 2 * (int64_t)(qp_rng_u64(&rng) % 8);
                    eu[m] = i;
                    ev[m] = j;
                    ew[m] = w[i][j];
                    m++;
                }
        int64_t want = brute_perfect(n, w, 0);
        int rc = qp_blossom_min_perfect(b, n, m, eu, ev, ew, mate);
        if (want == QP_MG_INF) {
            cr_assert_eq(rc, -1, "case %d: no perfect matching exists", c);
            continue;
        }
        cr_assert_eq(rc, 0, "case %d", c);
        int64_t sum = 0;
        for (int i = 0; i < n; i++) {
            cr_assert_eq(mate[mate[i]], i);
            cr_assert_geq(w[i][mate[i]], 0, "case %d: matched a non-edge", c);
            if (i < mate[i]) sum += w[i][mate[i]];
        }
        cr_assert_eq(sum, want, "case %d: blossom %lld, enumeration %lld", c, (long long)sum, (long long)want);
        feasible++;
    }
    cr_assert_gt(feasible, 1000);
    qp_blossom_free(b);
}

// ---- p > 0.5 edges fold into a base flip ---------------------------------------------------

Test(local_search, negative_weight_edge_base_flip) {
    qp_mg_edge e[3] = {{0, 1, 0.9, 1}, {0, QP_MG_BOUNDARY, 0.01, 0}, {1, QP_MG_BOUNDARY, 0.01, 0}};
    qp_matching_graph g;
    qp_err err;
    cr_assert_eq(qp_matching_graph_from_edges(&g, 2, 1, e, 3, &err), 0, "%s", err.msg);
    cr_assert(g.has_base_flip);
    cr_assert_eq(g.base_obs, 1);
    qp_local_search *m = qp_local_search_create(&g);
    uint8_t none = 0, both = 3, one = 1;
    uint64_t obs;
    double w;
    double w01 = log(0.9 / 0.1), wb = log(0.99 / 0.01);
    // No events: the likeliest explanation is "nothing fired" (weight 0, no flip).
    cr_assert_eq(qp_local_search_decode_b8(m, &none, &obs, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(obs, 0);
    cr_assert_float_eq(w, 0.0, 1e-4);
    // Both events: the p=0.9 edge fired (weight -log(9), L0 flipped).
    cr_assert_eq(qp_local_search_decode_b8(m, &both, &obs, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(obs, 1);
    cr_assert_float_eq(w, -w01, 1e-4);
    // One event at D0: either D0's boundary edge alone (wb), or the 0.9 edge plus D1's
    // boundary edge (-w01 + wb) — the latter is lighter and flips L0.
    cr_assert_eq(qp_local_search_decode_b8(m, &one, &obs, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(obs, 1);
    cr_assert_float_eq(w, wb - w01, 1e-4);
    qp_local_search_free(m);
    qp_matching_graph_free(&g);
}

// ---- detectors without edges ----------------------------------------------------------------

Test(local_search, many_detectors_without_edges) {
    // 200,000 detectors, only D0-D1 and D1-boundary have edges (graph setup must stay
    // near-linear in the detector count); an event on an isolated detector is an error.
    qp_mg_edge e[2] = {{0, 1, 0.1, 1}, {1, QP_MG_BOUNDARY, 0.1, 2}};
    qp_matching_graph g;
    qp_err err;
    cr_assert_eq(qp_matching_graph_from_edges(&g, 200000, 2, e, 2, &err), 0, "%s", err.msg);
    qp_local_search *m = qp_local_search_create(&g);
    uint32_t ev[2] = {0, 1};
    uint64_t obs;
    int64_t w;
    cr_assert_eq(qp_local_search_decode_events(m, ev, 2, &obs, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(obs, 1);
    cr_assert_eq(w, g.adj_weight[0]);
    uint32_t ev0[1] = {0};
    cr_assert_eq(qp_local_search_decode_events(m, ev0, 1, &obs, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(obs, 3, "D0 goes to the boundary through D1");
    uint32_t lonely[1] = {123456};
    cr_assert_eq(qp_local_search_decode_events(m, lonely, 1, &obs, &w, &err), -1);
    cr_assert(strstr(err.msg, "D123456") != NULL, "%s", err.msg);
    qp_local_search_free(m);
    qp_matching_graph_free(&g);
}

// ---- the lowered decode is exact: brute force ------------------------------------------------

// qp_local_search_decode_events_lowered against brute force on small random graphs: all-pairs shortest
// paths (Floyd-Warshall, boundary as node n) on the LOWERED integer weights, then the minimum
// over all ways to pair the events or send them to the boundary (DP over subsets). The weights
// must be equal; the reported correction must flip exactly the events and sum to that weight on
// the lowered weights. A plain decode afterwards must be back on the original weights.
#define ORACLE_N 14
static int64_t oracle_min(const int64_t dist[ORACLE_N + 1][ORACLE_N + 1], const uint32_t *ev, int k) {
    int64_t best[1 << 10];
    int full = (1 << k) - 1;
    for (int mask = full; mask >= 0; mask--) {
        if (mask == full) {
            best[mask] = 0;
            continue;
        }
        int i = __builtin_ctz((unsigned)~mask);
        int64_t b = INT64_MAX;
        int64_t rest = best[mask | (1 << i)];
        int64_t db = dist[ev[i]][ORACLE_N];
        if (rest != INT64_MAX && db != INT64_MAX) b = rest + db;
        for (int j = i + 1; j < k; j++) {
            if (mask & (1 << j)) continue;
            int64_t r = best[mask | (1 << i) | (1 << j)], d = dist[ev[i]][ev[j]];
            if (r != INT64_MAX && d != INT64_MAX && r + d < b) b = r + d;
        }
        best[mask] = b;
    }
    return best[0];
}

Test(local_search, lowered_decode_matches_brute_force) {
    qp_rng rng;
    qp_rng_stream(&rng, 606, 1, 2);
    int checked = 0;
    for (int trial = 0; trial < 400; trial++) {
        uint32_t n = 4 + (uint32_t)(qp_rng_u64(&rng) % (ORACLE_N - 3));
        qp_mg_edge e[4 * ORACLE_N + 8];
        size_t ne = 0;
        for (uint32_t i = 0; i + 1 < n; i++)
            e[ne++] = (qp_mg_edge){i, i + 1, 0.001 + 0.3 * qp_rng_uniform(&rng), qp_rng_u64(&rng) & 1};
        for (uint32_t x = 0; x < n; x++) {
            uint32_t a = (uint32_t)(qp_rng_u64(&rng) % n), b = (uint32_t)(qp_rng_u64(&rng) % n);
            e[ne++] = (qp_mg_edge){a, b, 0.001 + 0.3 * qp_rng_uniform(&rng), qp_rng_u64(&rng) & 1};
            if (qp_rng_u64(&rng) % 3 == 0)
                e[ne++] = (qp_mg_edge){x, QP_MG_BOUNDARY, 0.001 + 0.3 * qp_rng_uniform(&rng), qp_rng_u64(&rng) & 1};
        }
        qp_matching_graph g;
        qp_err err;
        cr_assert_eq(qp_matching_graph_from_edges(&g, n, 1, e, ne, &err), 0, "%s", err.msg);
        // Lowered edges: a random third of the graph's edges, to a random even weight below.
        qp_local_search_lowered low[4 * ORACLE_N + 8];
        size_t nl = 0;
        int64_t dist[ORACLE_N + 1][ORACLE_N + 1];
        for (uint32_t a = 0; a <= ORACLE_N; a++)
            for (uint32_t b = 0; b <= ORACLE_N; b++) dist[a][b] = a == b ? 0 : INT64_MAX;
        for (uint32_t v = 0; v < n; v++) {
            for (uint32_t q = g.adj_start[v]; q < g.adj_start[v + 1]; q++) {
                uint32_t u = g.adj_node[q];
                if (u < v) continue;
                int64_t w = g.adj_weight[q];
                if (qp_rng_u64(&rng) % 3 == 0) {
                    w = 2 * (int64_t)(qp_rng_u64(&rng) % (uint64_t)(w / 2 + 1));
                    low[nl++] = (qp_local_search_lowered){v, u, w};
                }
                if (w < dist[v][u]) dist[v][u] = dist[u][v] = w;
            }
            if (g.boundary_weight[v] != QP_MG_INF) {
                int64_t w = g.boundary_weight[v];
                if (qp_rng_u64(&rng) % 3 == 0) {
                    w = 2 * (int64_t)(qp_rng_u64(&rng) % (uint64_t)(w / 2 + 1));
                    low[nl++] = (qp_local_search_lowered){v, QP_MG_BOUNDARY, w};
                }
                dist[v][ORACLE_N] = dist[ORACLE_N][v] = w;
            }
        }
        uint32_t nodes[ORACLE_N + 1];
        for (uint32_t v = 0; v < n; v++) nodes[v] = v;
        nodes[n] = ORACLE_N;
        for (uint32_t z = 0; z <= n; z++)
            for (uint32_t x = 0; x <= n; x++)
                for (uint32_t y = 0; y <= n; y++) {
                    int64_t a = dist[nodes[x]][nodes[z]], b = dist[nodes[z]][nodes[y]];
                    if (a != INT64_MAX && b != INT64_MAX && a + b < dist[nodes[x]][nodes[y]])
                        dist[nodes[x]][nodes[y]] = a + b;
                }
        // Events: a random subset of up to 10 detectors.
        uint32_t ev[10];
        int k = 0;
        for (uint32_t v = 0; v < n && k < 10; v++)
            if (qp_rng_u64(&rng) % 2) ev[k++] = v;
        int64_t want = oracle_min((const int64_t(*)[ORACLE_N + 1])dist, ev, k);
        qp_local_search *m = qp_local_search_create(&g);
        uint64_t obs;
        int64_t got;
        int rc = qp_local_search_decode_events_lowered(m, ev, (size_t)k, low, nl, &obs, &got, &err);
        if (want == INT64_MAX) {
            cr_assert_eq(rc, -1, "trial %d: no matching exists but the decode succeeded", trial);
        } else {
            cr_assert_eq(rc, 0, "trial %d: %s", trial, err.msg);
            cr_assert_eq(got, want, "trial %d: lowered decode weight %lld, brute force %lld", trial, (long long)got,
                         (long long)want);
            // The correction flips exactly the events, and its lowered weight is the decode's.
            const uint32_t *ce;
            size_t nce = qp_local_search_last_correction(m, &ce);
            uint8_t flip[ORACLE_N] = {0};
            int64_t sum = 0;
            for (size_t i = 0; i < nce; i++) {
                uint32_t a = ce[2 * i], b = ce[2 * i + 1];
                flip[a] ^= 1;
                if (b != QP_MG_BOUNDARY) flip[b] ^= 1;
                int64_t w = b == QP_MG_BOUNDARY ? g.boundary_weight[a] : INT64_MAX;
                if (b != QP_MG_BOUNDARY)
                    for (uint32_t q = g.adj_start[a]; q < g.adj_start[a + 1]; q++)
                        if (g.adj_node[q] == b) w = g.adj_weight[q];
                for (size_t l = 0; l < nl; l++)
                    if (((low[l].a == a && low[l].b == b) || (low[l].a == b && low[l].b == a)) && low[l].weight < w)
                        w = low[l].weight;
                sum += w;
            }
            for (int i = 0; i < k; i++) flip[ev[i]] ^= 1;
            for (uint32_t v = 0; v < n; v++) cr_assert_eq(flip[v], 0, "trial %d: correction misses D%u", trial, v);
            cr_assert_eq(sum, got, "trial %d: correction weighs %lld, decode %lld", trial, (long long)sum, (long long)got);
            checked++;
        }
        // Back to the original weights: same as a fresh decoder.
        qp_local_search *fresh = qp_local_search_create(&g);
        uint64_t o1, o2;
        int64_t w1, w2;
        int r1 = qp_local_search_decode_events(m, ev, (size_t)k, &o1, &w1, &err);
        int r2 = qp_local_search_decode_events(fresh, ev, (size_t)k, &o2, &w2, &err);
        cr_assert_eq(r1, r2);
        if (r1 == 0) {
            cr_assert_eq(w1, w2, "trial %d: weights not restored", trial);
            cr_assert_eq(o1, o2, "trial %d", trial);
        }
        qp_local_search_free(fresh);
        qp_local_search_free(m);
        qp_matching_graph_free(&g);
    }
    cr_assert_gt(checked, 200);
}
