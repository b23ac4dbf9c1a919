// Matching graph construction: DEM components → merged edges → discretised CSR graph.
// See matching_graph.h for the rules (merging, negative weights, discretisation).
#include "workers/decode/matching_graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/decode/min_heap.h"
#include "workers/util/alloc.h"

// ---------------------------------------------------------------------------------------
// DEM → edge list

typedef struct {
    qp_mg_edge *edges;
    size_t len, cap;
    uint32_t *error_of;    // (len) index of the DEM error (in unrolled order) of each edge
    size_t error_of_cap;
    uint32_t num_errors;   // DEM errors walked so far
} edge_list;

static int add_component(edge_list *out, uint64_t *dets, uint32_t nd, uint64_t obs, double p,
                         uint32_t line, uint64_t num_detectors, qp_err *err) {
    // Cancel repeated detectors in pairs (sort, then drop equal neighbours).
    for (uint32_t i = 1; i < nd; i++)
        for (uint32_t j = i; j > 0 && dets[j - 1] > dets[j]; j--) {
            uint64_t t = dets[j];
            dets[j] = dets[j - 1];
            dets[j - 1] = t;
        }
    uint32_t k = 0;
    for (uint32_t i = 0; i < nd;) {
        if (i + 1 < nd && dets[i] == dets[i + 1]) {
            i += 2;
            continue;
        }
        dets[k++] = dets[i++];
    }
    if (k > 2)
        return qp_fail(err, "line %u: error mechanism is not graphlike: a component has %u detectors "
                       "(D%llu D%llu D%llu...); decompose it with '^' (stim --decompose_errors)",
                       line, k, (unsigned long long)dets[0], (unsigned long long)dets[1],
                       (unsigned long long)dets[2]);
    if (k == 0) return 0;  // undetectable: matching cannot see it
    for (uint32_t i = 0; i < k; i++)
        if (dets[i] >= num_detectors || dets[i] >= UINT32_MAX)
            return qp_fail(err, "line %u: detector id %llu out of range", line, (unsigned long long)dets[i]);
    qp_grow(out->edges, out->cap, out->len + 1);
    qp_grow(out->error_of, out->error_of_cap, out->len + 1);
    out->error_of[out->len] = out->num_errors;
    qp_mg_edge *e = &out->edges[out->len++];
    e->a = (uint32_t)dets[0];
    e->b = k == 2 ? (uint32_t)dets[1] : QP_MG_BOUNDARY;
    e->p = p;
    e->obs = obs;
    return 0;
}

static int walk_block(const qp_dem_block *b, uint64_t *shift, edge_list *out,
                      uint64_t **scratch, size_t *scratch_cap, uint64_t num_detectors, qp_err *err) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_dem_instr *in = &b->instrs[i];
        if (in->kind == QP_DEM_SHIFT_DETECTORS) {
            *shift += in->num_targets ? in->targets[0] : 0;
        } else if (in->kind == QP_DEM_REPEAT) {  // unrolled: bounded by qp_dem_unroll_limit (dem.h)
            for (uint64_t r = 0; r < in->repeat_count; r++)
                if (walk_block(in->body, shift, out, scratch, scratch_cap, num_detectors, err)) return -1;
        } else if (in->kind == QP_DEM_ERROR) {
            double p = in->num_args ? in->args[0] : 0;
            qp_grow(*scratch, *scratch_cap, in->num_targets + 1);
            uint32_t nd = 0;
            uint64_t obs = 0;
            for (uint32_t k = 0; k <= in->num_targets; k++) {
                uint64_t t = k < in->num_targets ? in->targets[k] : QP_DEM_SEPARATOR;
                if (t == QP_DEM_SEPARATOR) {
                    if (add_component(out, *scratch, nd, obs, p, in->line, num_detectors, err)) return -1;
                    nd = 0;
                    obs = 0;
                } else if (t & QP_DEM_OBS) {
                    uint64_t id = t & ~QP_DEM_OBS;
                    if (id >= 64) return qp_fail(err, "line %u: observable L%llu: at most 64 observables are supported",
                                                 in->line, (unsigned long long)id);
                    obs ^= 1ull << id;
                } else {
                    (*scratch)[nd++] = t + *shift;
                }
            }
            out->num_errors++;
        }
    }
    return 0;
}

int qp_matching_graph_dem_components(const qp_dem *dem, qp_mg_edge **edges, uint32_t **error_of,
                                     size_t *num_edges, qp_err *err) {
    edge_list out = {0};
    uint64_t shift = 0, *scratch = NULL;
    size_t scratch_cap = 0;
    int rc = walk_block(&dem->top, &shift, &out, &scratch, &scratch_cap, dem->num_detectors, err);
    free(scratch);
    if (rc) {
        free(out.edges);
        free(out.error_of);
        return -1;
    }
    *edges = out.edges;
    *num_edges = out.len;
    if (error_of) *error_of = out.error_of;
    else free(out.error_of);
    return 0;
}

int qp_matching_graph_dem_edges(const qp_dem *dem, qp_mg_edge **edges, size_t *num_edges,
                                qp_err *err) {
    return qp_matching_graph_dem_components(dem, edges, NULL, num_edges, err);
}

int qp_matching_graph_from_dem(qp_matching_graph *g, const qp_dem *dem, qp_err *err) {
    if (qp_dem_check_dense(dem, "the matching graph", err)) return -1;
    if (dem->num_observables > 64) return qp_fail(err, "%u observables: at most 64 are supported", dem->num_observables);
    qp_mg_edge *edges = NULL;
    size_t n = 0;
    if (qp_matching_graph_dem_edges(dem, &edges, &n, err)) return -1;
    int rc = qp_matching_graph_from_edges(g, (uint32_t)dem->num_detectors, dem->num_observables, edges, n, err);
    free(edges);
    return rc;
}

// ---------------------------------------------------------------------------------------
// Edge list → merged, discretised CSR graph

static int cmp_edge(const void *x, const void *y) {
    const qp_mg_edge *a = x, *b = y;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    if (a->b != b->b) return a->b < b->b ? -1 : 1;
    return 0;
}

static void boundary_distances(qp_matching_graph *g) {
    uint32_t n = g->num_detectors;
    qp_min_heap heap = {0};
    uint8_t *done = qp_calloc(n ? n : 1, 1);
    for (uint32_t v = 0; v < n; v++) {
        g->boundary_dist[v] = g->boundary_weight[v];
        g->boundary_dist_obs[v] = g->boundary_obs[v];
        g->boundary_next[v] = QP_MG_BOUNDARY;
        if (g->boundary_weight[v] != QP_MG_INF) qp_heap_push(&heap, g->boundary_weight[v], v);
    }
    while (heap.len) {
        qp_heap_item it = qp_heap_pop(&heap);
        uint32_t v = it.node;
        if (done[v] || it.dist != g->boundary_dist[v]) continue;
        done[v] = 1;
        for (uint32_t k = g->adj_start[v]; k < g->adj_start[v + 1]; k++) {
            uint32_t u = g->adj_node[k];
            int64_t nd = it.dist + g->adj_weight[k];
            if (nd < g->boundary_dist[u]) {
                g->boundary_dist[u] = nd;
                g->boundary_dist_obs[u] = g->boundary_dist_obs[v] ^ g->adj_obs[k];
                g->boundary_next[u] = v;
                qp_heap_push(&heap, nd, u);
            }
        }
    }
    free(heap.items);
    free(done);
}

int qp_matching_graph_from_edges(qp_matching_graph *g, uint32_t num_detectors,
                                 uint32_t num_observables, const qp_mg_edge *edges,
                                 size_t num_edges, qp_err *err) {
    memset(g, 0, sizeof *g);
    for (size_t i = 0; i < num_edges; i++) {
        const qp_mg_edge *e = &edges[i];
        if (e->a >= num_detectors || (e->b != QP_MG_BOUNDARY && e->b >= num_detectors))
            return qp_fail(err, "edge %zu: detector id out of range (%u detectors)", i, num_detectors);
        if (!(e->p >= 0 && e->p <= 1)) return qp_fail(err, "edge %zu: probability %g outside [0, 1]", i, e->p);
    }
    // Normalise (a < b, boundary last), sort, merge parallel edges.
    qp_mg_edge *m = qp_malloc((num_edges ? num_edges : 1) * sizeof *m);
    size_t nm = 0;
    for (size_t i = 0; i < num_edges; i++) {
        qp_mg_edge e = edges[i];
        if (e.a == e.b) continue;  // a self-loop flips nothing
        if (e.b != QP_MG_BOUNDARY && e.a > e.b) {
            uint32_t t = e.a;
            e.a = e.b;
            e.b = t;
        }
        m[nm++] = e;
    }
    qsort(m, nm, sizeof *m, cmp_edge);
    size_t nu = 0;
    for (size_t i = 0; i < nm; i++) {
        if (nu && m[nu - 1].a == m[i].a && m[nu - 1].b == m[i].b) {
            qp_mg_edge *u = &m[nu - 1];
            if (u->obs == m[i].obs)
                u->p = u->p * (1 - m[i].p) + m[i].p * (1 - u->p);
            else if (m[i].p > u->p)
                *u = m[i];
            continue;
        }
        m[nu++] = m[i];
    }
    g->num_detectors = num_detectors;
    g->num_observables = num_observables;
    g->base_detector_flip = qp_calloc(num_detectors ? num_detectors : 1, 1);
    // Log-likelihood weights; fold p > 0.5 into the base; drop p == 0 (and p == 1 after folding).
    double *w = qp_malloc((nu ? nu : 1) * sizeof *w);
    double max_w = 0;
    size_t nk = 0;
    for (size_t i = 0; i < nu; i++) {
        qp_mg_edge e = m[i];
        if (e.p > 0.5) {
            g->base_detector_flip[e.a] ^= 1;
            if (e.b != QP_MG_BOUNDARY) g->base_detector_flip[e.b] ^= 1;
            g->base_obs ^= e.obs;
            g->base_weight += e.p >= 1 ? 0 : log((1 - e.p) / e.p);  // p = 1: certain, weight -inf dropped
            e.p = 1 - e.p;
        }
        if (e.p <= 0) continue;
        m[nk] = e;
        w[nk] = log((1 - e.p) / e.p);
        if (w[nk] > max_w) max_w = w[nk];
        nk++;
    }
    for (uint32_t v = 0; v < num_detectors; v++) g->has_base_flip |= g->base_detector_flip[v];
    g->scale = max_w > 0 ? (double)QP_MG_WEIGHT_RANGE / max_w : 1.0;
    g->num_edges = nk;
    // CSR.
    g->adj_start = qp_calloc((size_t)num_detectors + 1, sizeof *g->adj_start);
    g->boundary_weight = qp_malloc((num_detectors ? num_detectors : 1) * sizeof *g->boundary_weight);
    g->boundary_obs = qp_calloc(num_detectors ? num_detectors : 1, sizeof *g->boundary_obs);
    g->boundary_dist = qp_malloc((num_detectors ? num_detectors : 1) * sizeof *g->boundary_dist);
    g->boundary_dist_obs = qp_calloc(num_detectors ? num_detectors : 1, sizeof *g->boundary_dist_obs);
    g->boundary_next = qp_calloc(num_detectors ? num_detectors : 1, sizeof *g->boundary_next);
    for (uint32_t v = 0; v < num_detectors; v++) g->boundary_weight[v] = QP_MG_INF;
    size_t num_adj = 0;
    for (size_t i = 0; i < nk; i++)
        if (m[i].b != QP_MG_BOUNDARY) {
            g->adj_start[m[i].a + 1]++;
            g->adj_start[m[i].b + 1]++;
            num_adj += 2;
        }
    for (uint32_t v = 0; v < num_detectors; v++) g->adj_start[v + 1] += g->adj_start[v];
    g->adj_node = qp_malloc((num_adj ? num_adj : 1) * sizeof *g->adj_node);
    g->adj_weight = qp_malloc((num_adj ? num_adj : 1) * sizeof *g->adj_weight);
    g->adj_obs = qp_malloc((num_adj ? num_adj : 1) * sizeof *g->adj_obs);
    uint32_t *fill = qp_malloc(((size_t)num_detectors + 1) * sizeof *fill);
    memcpy(fill, g->adj_start, ((size_t)num_detectors + 1) * sizeof *fill);
    for (size_t i = 0; i < nk; i++) {
        int64_t iw = 2 * (int64_t)llround(w[i] * g->scale / 2);
        if (iw < 0) iw = 0;
        if (m[i].b == QP_MG_BOUNDARY) {
            g->boundary_weight[m[i].a] = iw;
            g->boundary_obs[m[i].a] = m[i].obs;
            continue;
        }
        uint32_t ends[2] = {m[i].a, m[i].b};
        for (int s = 0; s < 2; s++) {
            uint32_t k = fill[ends[s]]++;
            g->adj_node[k] = ends[1 - s];
            g->adj_weight[k] = iw;
            g->adj_obs[k] = m[i].obs;
        }
    }
    free(fill);
    free(w);
    free(m);
    boundary_distances(g);
    return 0;
}

size_t qp_matching_graph_events_b8(const qp_matching_graph *g, const uint8_t *dets, uint32_t *events) {
    size_t k = 0;
    uint32_t n = g->num_detectors, nbytes = (n + 7) / 8;
    for (uint32_t byte = 0; byte < nbytes; byte++) {
        unsigned bits = dets[byte];
        if (g->has_base_flip)
            for (uint32_t j = 0; j < 8 && 8 * byte + j < n; j++) bits ^= (unsigned)g->base_detector_flip[8 * byte + j] << j;
        if (byte + 1 == nbytes && n % 8) bits &= (1u << (n % 8)) - 1;
        for (; bits; bits &= bits - 1) events[k++] = 8 * byte + (uint32_t)__builtin_ctz(bits);
    }
    return k;
}

long qp_matching_graph_adj_index(const qp_matching_graph *g, uint32_t u, uint32_t v) {
    for (uint32_t k = g->adj_start[u]; k < g->adj_start[u + 1]; k++)
        if (g->adj_node[k] == v) return (long)k;
    return -1;
}

void qp_matching_graph_free(qp_matching_graph *g) {
    free(g->adj_start);
    free(g->adj_node);
    free(g->adj_weight);
    free(g->adj_obs);
    free(g->boundary_weight);
    free(g->boundary_obs);
    free(g->boundary_dist);
    free(g->boundary_dist_obs);
    free(g->boundary_next);
    free(g->base_detector_flip);
    memset(g, 0, sizeof *g);
}
