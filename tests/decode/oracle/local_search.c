// MWPM decoding of one shot: local searches from each event, clusters, exact blossom per
// cluster. See local_search.h for the algorithm and why it is exact.
#include "tests/decode/oracle/local_search.h"

#include <stdlib.h>
#include <string.h>

#include "tests/decode/oracle/blossom.h"
#include "workers/decode/min_heap.h"
#include "workers/util/alloc.h"

typedef struct {
    uint32_t u, v;   // event indices (into the shot's event list), u < v
    uint32_t from;   // the event whose search found the path (u or v)
    int64_t dist;
    uint64_t obs;
} candidate;

typedef struct {
    int64_t key;   // distance from the sort landmark (QP_MG_INF last)
    uint32_t event;
} keyed;

// Per-detector scratch of the searches; dist/obs are valid where seen == the search's generation.
typedef struct {
    int64_t dist;       // tentative distance of the current search
    uint64_t obs;       // observable mask along that path
    uint32_t seen;      // search generation that set dist
    uint32_t target;    // generation of the search that must settle this detector
    uint32_t event_of;  // event index + 1 in this shot, 0 = not an event
    uint32_t parent;    // previous detector on the path (trace_path only)
} node_state;

typedef struct {
    uint32_t node;      // neighbouring detector
    uint32_t weight;    // integer weight (<= QP_MG_WEIGHT_RANGE)
} packed_edge;

struct qp_local_search {
    const qp_matching_graph *g;
    node_state *ns;          // (num_detectors) per-detector search scratch
    packed_edge *adj;        // (num_adj) g's adjacency, packed for the search loop
    uint32_t gen;
    qp_min_heap heap;
    // Landmark lower bounds: d(u,v) >= |lm[l][u] - lm[l][v]| (triangle inequality).
    int num_landmarks;
    int64_t *lm;             // (num_landmarks, num_detectors) distance from landmark l
    int64_t *ev_lm;    size_t ev_lm_cap;        // (k, num_landmarks) landmark distances per event
    // Sort key per detector: offset of its connected component + distance from one end of the
    // component (double-sweep Dijkstra). |key(u) - key(v)| <= d(u,v) inside a component;
    // components are spaced more than 4 * max boundary distance apart.
    int64_t *sort_key;       // (num_detectors)
    int64_t *comp_base;      // (num_detectors) key offset of the detector's component
    int64_t *comp_span;      // (num_detectors) key range of the detector's component
    keyed *by_key; size_t by_key_cap;           // (k) events sorted by their sort-landmark distance
    // Per-shot scratch.
    uint32_t *events;  size_t events_cap;       // (k) detector ids (b8 entry point)
    int64_t *bdist;    size_t bdist_cap;        // (k) boundary distance per event
    candidate *cand;   size_t cand_len, cand_cap;
    uint32_t *uf;      size_t uf_cap;           // (k) union-find parents
    uint32_t *order;   size_t order_cap;        // (k) events grouped by cluster
    uint32_t *local;   size_t local_cap;        // (k) index of an event inside its cluster
    uint32_t *cstart;  size_t cstart_cap;       // (k+1) cluster start offsets into order
    int32_t *eu, *ev;  int64_t *ew; size_t e_cap;  // blossom edge arrays
    int32_t *mate;     size_t mate_cap;
    size_t *cand_start; size_t cand_start_cap;  // (clusters+1) candidate ranges per cluster
    uint32_t *pairs;   size_t pairs_len, pairs_cap;   // (num_pairs, 2) matched detector pairs
    uint32_t *pair_from; size_t pair_from_cap;        // (num_pairs) search source detector, or QP_MG_BOUNDARY
    uint32_t *corr;    size_t corr_len, corr_cap;     // (num_edges, 2) correction edges
    qp_blossom *blossom;
    // Boundary paths in use: g's, or those of the lowered graph after a lowered decode.
    const int64_t *bd_dist;      // (num_detectors) distance to the boundary
    const uint64_t *bd_obs;      // (num_detectors) observable mask along that path
    const uint32_t *bd_next;     // (num_detectors) next detector on it (QP_MG_BOUNDARY: own edge)
    // Lowered weights (qp_local_search_decode_events_lowered); kept until the next decode so that
    // qp_local_search_last_correction reports the lowered decode's paths.
    int64_t slack;               // total weight removed: lower bounds are reduced by this
    // Lowered edge ends sorted by sort key, with prefix sums of the weight removed (an edge
    // counts once per end), for the per-event slack (event_slack).
    keyed *low_ends;   size_t low_ends_len, low_ends_cap;   // (num_ends) .key = sort key, .event = weight removed
    int64_t *low_cut;  size_t low_cut_cap;                  // (num_ends + 1) prefix sums
    int64_t *low_bdist;          // (num_detectors) boundary paths of the lowered graph; equal
    uint64_t *low_bobs;          // (num_detectors)  to g's except at the touched detectors
    uint32_t *low_bnext;         // (num_detectors)
    uint32_t *touched; size_t touched_len, touched_cap;  // detectors whose low_* differ from g's
    uint32_t *saved_slot;  uint32_t *saved_w;  size_t saved_len, saved_cap;  // adj slots to restore
};

// Full Dijkstra from src into out (QP_MG_INF where unreachable).
static void full_dijkstra(const qp_matching_graph *g, uint32_t src, int64_t *out, qp_min_heap *heap) {
    for (uint32_t v = 0; v < g->num_detectors; v++) out[v] = QP_MG_INF;
    out[src] = 0;
    heap->len = 0;
    qp_heap_push(heap, 0, src);
    while (heap->len) {
        qp_heap_item it = qp_heap_pop(heap);
        if (it.dist != out[it.node]) continue;
        for (uint32_t k = g->adj_start[it.node]; k < g->adj_start[it.node + 1]; k++) {
            int64_t nd = it.dist + g->adj_weight[k];
            if (nd < out[g->adj_node[k]]) {
                out[g->adj_node[k]] = nd;
                qp_heap_push(heap, nd, g->adj_node[k]);
            }
        }
    }
}

// Dijkstra from src over its component; `out` must be QP_MG_INF on entry for that component.
// Lists the reached detectors in `touched` and returns their count.
static uint32_t component_dijkstra(const qp_matching_graph *g, uint32_t src, int64_t *out, qp_min_heap *heap,
                                   uint32_t *touched) {
    uint32_t nt = 0;
    out[src] = 0;
    touched[nt++] = src;
    heap->len = 0;
    qp_heap_push(heap, 0, src);
    while (heap->len) {
        qp_heap_item it = qp_heap_pop(heap);
        if (it.dist != out[it.node]) continue;
        for (uint32_t k = g->adj_start[it.node]; k < g->adj_start[it.node + 1]; k++) {
            uint32_t y = g->adj_node[k];
            int64_t nd = it.dist + g->adj_weight[k];
            if (nd < out[y]) {
                if (out[y] == QP_MG_INF) touched[nt++] = y;
                out[y] = nd;
                qp_heap_push(heap, nd, y);
            }
        }
    }
    return nt;
}

// Farthest-point landmarks (QP_MWPM_LANDMARKS of them, fewer for tiny graphs); the boundary
// distance is landmark 0. Costs a few Dijkstras per graph, once.
#define QP_MWPM_LANDMARKS 9
static void choose_landmarks(qp_local_search *m) {
    const qp_matching_graph *g = m->g;
    uint32_t n = g->num_detectors;
    int want = n < 64 ? 1 : QP_MWPM_LANDMARKS;
    m->lm = qp_malloc((size_t)want * (n ? n : 1) * sizeof *m->lm);
    memcpy(m->lm, g->boundary_dist, (size_t)n * sizeof *m->lm);
    m->num_landmarks = 1;
    int64_t *mind = qp_malloc((n ? n : 1) * sizeof *mind);  // distance to nearest landmark
    for (uint32_t v = 0; v < n; v++) mind[v] = g->boundary_dist[v];
    uint32_t next = 0;
    while (m->num_landmarks < want) {
        // Farthest node from the landmarks so far (unreachable ones first).
        int64_t best = -1;
        for (uint32_t v = 0; v < n; v++)
            if (mind[v] > best) {
                best = mind[v];
                next = v;
            }
        if (best <= 0) break;
        int64_t *row = m->lm + (size_t)m->num_landmarks * n;
        full_dijkstra(g, next, row, &m->heap);
        for (uint32_t v = 0; v < n; v++)
            if (row[v] < mind[v]) mind[v] = row[v];
        m->num_landmarks++;
    }
    // Sort keys: per component, Dijkstra from any node, then from the farthest node found.
    m->sort_key = qp_malloc((n ? n : 1) * sizeof *m->sort_key);
    m->comp_base = qp_malloc((n ? n : 1) * sizeof *m->comp_base);
    m->comp_span = qp_malloc((n ? n : 1) * sizeof *m->comp_span);
    int64_t *tmp = qp_malloc((n ? n : 1) * sizeof *tmp);
    int64_t max_b = 0;
    for (uint32_t v = 0; v < n; v++) {
        m->sort_key[v] = -1;
        if (g->boundary_dist[v] != QP_MG_INF && g->boundary_dist[v] > max_b) max_b = g->boundary_dist[v];
    }
    // Searches touch only their component and reset only what they touched, so many small
    // components (or detectors without edges) cost O(N log N) in total.
    for (uint32_t v = 0; v < n; v++) tmp[v] = QP_MG_INF;
    uint32_t *touched = qp_malloc((n ? n : 1) * sizeof *touched);
    int64_t base = 0;
    for (uint32_t s = 0; s < n; s++) {
        if (m->sort_key[s] >= 0) continue;
        uint32_t far = s, nt = 0;
        for (int sweep = 0; sweep < 2; sweep++) {
            for (uint32_t t = 0; t < nt; t++) tmp[touched[t]] = QP_MG_INF;
            nt = component_dijkstra(g, far, tmp, &m->heap, touched);
            if (sweep == 0)
                for (uint32_t t = 0; t < nt; t++)
                    if (tmp[touched[t]] > tmp[far]) far = touched[t];
        }
        int64_t span = 0;
        for (uint32_t t = 0; t < nt; t++)
            if (tmp[touched[t]] > span) span = tmp[touched[t]];
        for (uint32_t t = 0; t < nt; t++) {
            uint32_t v = touched[t];
            m->sort_key[v] = base + tmp[v];
            m->comp_base[v] = base;
            m->comp_span[v] = span;
            tmp[v] = QP_MG_INF;
        }
        base += span + 4 * max_b + 2;
    }
    free(touched);
    free(tmp);
    free(mind);
}

// Lower bound on d(u,v) from the landmark rows of two events (QP_MG_INF: not connected).
static inline int64_t landmark_bound(const int64_t *a, const int64_t *b, int L) {
    int64_t lb = 0;
    for (int l = 0; l < L; l++) {
        int64_t x = a[l], y = b[l];
        if (x == QP_MG_INF || y == QP_MG_INF) {
            if (x != y && l > 0) return QP_MG_INF;  // one reaches the landmark, the other not
            continue;
        }
        int64_t d = x > y ? x - y : y - x;
        if (d > lb) lb = d;
    }
    return lb;
}

qp_local_search *qp_local_search_create(const qp_matching_graph *g) {
    qp_local_search *m = qp_calloc(1, sizeof *m);
    size_t n = g->num_detectors ? g->num_detectors : 1;
    m->g = g;
    m->ns = qp_calloc(n, sizeof *m->ns);
    size_t num_adj = g->adj_start[g->num_detectors];
    m->adj = qp_malloc((num_adj ? num_adj : 1) * sizeof *m->adj);
    for (size_t k = 0; k < num_adj; k++) {
        m->adj[k].node = g->adj_node[k];
        m->adj[k].weight = (uint32_t)g->adj_weight[k];
    }
    m->blossom = qp_blossom_create();
    m->bd_dist = g->boundary_dist;
    m->bd_obs = g->boundary_dist_obs;
    m->bd_next = g->boundary_next;
    choose_landmarks(m);
    return m;
}

void qp_local_search_free(qp_local_search *m) {
    if (!m) return;
    free(m->ns);
    free(m->adj);
    free(m->lm);
    free(m->ev_lm);
    free(m->by_key);
    free(m->sort_key);
    free(m->comp_base);
    free(m->comp_span);
    free(m->heap.items);
    free(m->events);
    free(m->bdist);
    free(m->cand);
    free(m->uf);
    free(m->order);
    free(m->local);
    free(m->cstart);
    free(m->eu);
    free(m->ev);
    free(m->ew);
    free(m->mate);
    free(m->cand_start);
    free(m->pairs);
    free(m->pair_from);
    free(m->corr);
    free(m->low_bdist);
    free(m->low_bobs);
    free(m->low_bnext);
    free(m->touched);
    free(m->low_ends);
    free(m->low_cut);
    free(m->saved_slot);
    free(m->saved_w);
    qp_blossom_free(m->blossom);
    free(m);
}

static uint32_t uf_find(uint32_t *uf, uint32_t x) {
    while (uf[x] != x) {
        uf[x] = uf[uf[x]];
        x = uf[x];
    }
    return x;
}

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->event < y->event ? -1 : x->event > y->event;
}

static int cmp_cand(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->u != y->u) return x->u < y->u ? -1 : 1;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return x->dist < y->dist ? -1 : x->dist > y->dist;
}

static inline int64_t add_inf(int64_t a, int64_t b) {
    return (a == QP_MG_INF || b == QP_MG_INF) ? QP_MG_INF : a + b;
}

static void next_generation(qp_local_search *m) {
    if (++m->gen == 0) {
        for (uint32_t v = 0; v < m->g->num_detectors; v++) m->ns[v].seen = m->ns[v].target = 0;
        m->gen = 1;
    }
}

// Dijkstra from event i (detector src) until every detector marked as this search's target
// (m->target == m->gen) is settled or the radius is passed; records every event it settles.
static void search_from(qp_local_search *m, uint32_t i, uint32_t src, int64_t radius, uint32_t pending) {
    const qp_matching_graph *g = m->g;
    node_state *ns = m->ns;
    const packed_edge *adj = m->adj;
    uint32_t gen = m->gen;
    m->heap.len = 0;
    ns[src].seen = gen;
    ns[src].dist = 0;
    ns[src].obs = 0;
    qp_heap_push(&m->heap, 0, src);
    int64_t bi = m->bdist[i];
    while (m->heap.len) {
        qp_heap_item it = qp_heap_pop(&m->heap);
        uint32_t x = it.node;
        node_state *nx = &ns[x];
        if (it.dist != nx->dist) continue;
        if (it.dist > radius) break;
        if (nx->event_of && x != src) {
            uint32_t j = nx->event_of - 1;
            if (it.dist <= add_inf(bi, m->bdist[j])) {
                qp_grow(m->cand, m->cand_cap, m->cand_len + 1);
                candidate *c = &m->cand[m->cand_len++];
                c->u = i < j ? i : j;
                c->v = i < j ? j : i;
                c->from = i;
                c->dist = it.dist;
                c->obs = nx->obs;
            }
            if (nx->target == gen && --pending == 0) break;
        }
        uint64_t xobs = nx->obs;
        for (uint32_t k = g->adj_start[x], end = g->adj_start[x + 1]; k < end; k++) {
            uint32_t y = adj[k].node;
            int64_t nd = it.dist + adj[k].weight;
            node_state *ny = &ns[y];
            if (ny->seen != gen || nd < ny->dist) {
                ny->seen = gen;
                ny->dist = nd;
                ny->obs = xobs ^ g->adj_obs[k];
                qp_heap_push(&m->heap, nd, y);
            }
        }
    }
}

// Records a matched pair; `from` is the detector whose search found the path (boundary
// matches: QP_MG_BOUNDARY, the path is the precomputed boundary path).
static void add_pair(qp_local_search *m, uint32_t a, uint32_t b, uint32_t from) {
    qp_grow(m->pairs, m->pairs_cap, m->pairs_len + 2);
    qp_grow(m->pair_from, m->pair_from_cap, m->pairs_len / 2 + 1);
    m->pair_from[m->pairs_len / 2] = from;
    m->pairs[m->pairs_len++] = a;
    m->pairs[m->pairs_len++] = b;
}

static void add_corr(qp_local_search *m, uint32_t a, uint32_t b) {
    qp_grow(m->corr, m->corr_cap, m->corr_len + 2);
    m->corr[m->corr_len++] = a;
    m->corr[m->corr_len++] = b;
}

// Re-runs the search from src exactly as search_from relaxes (same pushes, same order), so
// the path it finds to dst is the one whose distance and mask the candidate recorded, and
// appends that path's edges.
static void trace_path(qp_local_search *m, uint32_t src, uint32_t dst) {
    const qp_matching_graph *g = m->g;
    node_state *ns = m->ns;
    next_generation(m);
    uint32_t gen = m->gen;
    m->heap.len = 0;
    ns[src].seen = gen;
    ns[src].dist = 0;
    ns[src].obs = 0;
    qp_heap_push(&m->heap, 0, src);
    while (m->heap.len) {
        qp_heap_item it = qp_heap_pop(&m->heap);
        uint32_t x = it.node;
        if (it.dist != ns[x].dist) continue;
        if (x == dst) break;
        for (uint32_t k = g->adj_start[x], end = g->adj_start[x + 1]; k < end; k++) {
            uint32_t y = m->adj[k].node;
            int64_t nd = it.dist + m->adj[k].weight;
            node_state *ny = &ns[y];
            if (ny->seen != gen || nd < ny->dist) {
                ny->seen = gen;
                ny->dist = nd;
                ny->obs = ns[x].obs ^ g->adj_obs[k];
                ny->parent = x;
                qp_heap_push(&m->heap, nd, y);
            }
        }
    }
    for (uint32_t x = dst; x != src; x = ns[x].parent) add_corr(m, ns[x].parent, x);
}

size_t qp_local_search_last_correction(qp_local_search *m, const uint32_t **edges) {
    m->corr_len = 0;
    for (size_t q = 0; q < m->pairs_len / 2; q++) {
        uint32_t a = m->pairs[2 * q], b = m->pairs[2 * q + 1], from = m->pair_from[q];
        if (b == QP_MG_BOUNDARY) {
            for (uint32_t x = a;;) {
                uint32_t next = m->bd_next[x];
                add_corr(m, x, next);
                if (next == QP_MG_BOUNDARY) break;
                x = next;
            }
        } else {
            trace_path(m, from, from == a ? b : a);
        }
    }
    *edges = m->corr;
    return m->corr_len / 2;
}

static void add_blossom_edge(qp_local_search *m, size_t *ne, int32_t a, int32_t b, int64_t w) {
    if (*ne + 1 > m->e_cap) {
        size_t cap = m->e_cap ? 2 * m->e_cap : 64;
        while (cap < *ne + 1) cap *= 2;
        m->eu = qp_realloc(m->eu, cap * sizeof *m->eu);
        m->ev = qp_realloc(m->ev, cap * sizeof *m->ev);
        m->ew = qp_realloc(m->ew, cap * sizeof *m->ew);
        m->e_cap = cap;
    }
    m->eu[*ne] = a;
    m->ev[*ne] = b;
    m->ew[*ne] = w;
    (*ne)++;
}

static int unmatchable(qp_err *err, uint32_t det) {
    return qp_fail(err, "detection event at D%u can reach neither the boundary nor another event: no perfect matching", det);
}

// Undoes the weights of the last lowered decode (no-op otherwise).
static void restore_weights(qp_local_search *m) {
    for (size_t i = m->saved_len; i-- > 0;)  // backwards: a slot lowered twice was saved twice
        m->adj[m->saved_slot[i]].weight = m->saved_w[i];
    m->saved_len = 0;
    m->slack = 0;
    m->low_ends_len = 0;
    const qp_matching_graph *g = m->g;
    for (size_t i = 0; i < m->touched_len; i++) {
        uint32_t v = m->touched[i];
        m->low_bdist[v] = g->boundary_dist[v];
        m->low_bobs[v] = g->boundary_dist_obs[v];
        m->low_bnext[v] = g->boundary_next[v];
    }
    m->touched_len = 0;
    m->bd_dist = m->g->boundary_dist;
    m->bd_obs = m->g->boundary_dist_obs;
    m->bd_next = m->g->boundary_next;
}

// Lower bounds (landmarks, sort keys) hold for g's distances. After lowering, a path of the
// lowered graph is shorter than in g by at most the weight removed from the lowered edges on
// it. For the search from an event at key ku with boundary distance b, only paths of length
// <= 2b matter; the first lowered edge on such a path is within g-distance 2b, hence within
// key distance 2b; the next within 2b + (what the first removed); and so on: the slack is the
// fixed point of "weight removed by lowered edge ends within key distance 2b + slack" (an
// over-estimate is safe). Infinite b: the global total.
static int64_t event_slack(const qp_local_search *m, int64_t ku, int64_t b) {
    size_t n = m->low_ends_len;
    if (n == 0) return 0;
    if (b == QP_MG_INF) return m->slack;
    int64_t slack = 0;
    for (;;) {
        int64_t lo_key = ku - 2 * b - slack, hi_key = ku + 2 * b + slack;
        size_t a = 0, z = n;
        while (a < z) {
            size_t mid = (a + z) / 2;
            if (m->low_ends[mid].key < lo_key) a = mid + 1;
            else z = mid;
        }
        size_t lo = a;
        z = n;
        while (a < z) {
            size_t mid = (a + z) / 2;
            if (m->low_ends[mid].key <= hi_key) a = mid + 1;
            else z = mid;
        }
        int64_t next = m->low_cut[a] - m->low_cut[lo];
        if (next <= slack) return slack;
        slack = next;
    }
}

static void add_low_end(qp_local_search *m, uint32_t v, int64_t removed) {
    qp_grow(m->low_ends, m->low_ends_cap, m->low_ends_len + 1);
    m->low_ends[m->low_ends_len].key = m->sort_key[v];
    m->low_ends[m->low_ends_len].event = (uint32_t)(removed > UINT32_MAX ? UINT32_MAX : removed);
    m->low_ends_len++;
}

static int decode_events(qp_local_search *m, const uint32_t *events, size_t k, uint64_t *obs_out,
                         int64_t *weight_out, qp_err *err) {
    const qp_matching_graph *g = m->g;
    uint64_t obs = 0;
    int64_t weight = 0;
    m->pairs_len = 0;
    *obs_out = 0;
    *weight_out = 0;
    if (k == 0) return 0;
    qp_grow(m->bdist, m->bdist_cap, k);
    for (size_t i = 0; i < k; i++) {
        m->ns[events[i]].event_of = (uint32_t)i + 1;
        m->bdist[i] = m->bd_dist[events[i]];
    }
    int L = m->num_landmarks;
    qp_grow(m->ev_lm, m->ev_lm_cap, k * (size_t)L);
    for (size_t i = 0; i < k; i++)
        for (int l = 0; l < L; l++) m->ev_lm[i * L + l] = m->lm[(size_t)l * g->num_detectors + events[i]];
    // 1-2. Candidate pairs from targeted local searches. The pair (u, v) is the job of the
    // search from the endpoint with the larger b (ties: the larger index); it is needed only
    // if d(u,v) <= b(u) + b(v), so it is skipped when the landmark bound already exceeds that.
    m->cand_len = 0;
    qp_grow(m->by_key, m->by_key_cap, k);
    for (size_t i = 0; i < k; i++) {
        m->by_key[i].key = m->sort_key[events[i]];
        m->by_key[i].event = (uint32_t)i;
    }
    qsort(m->by_key, k, sizeof *m->by_key, cmp_keyed);
    for (size_t i = 0; i < k; i++) {
        int64_t bi = m->bdist[i], radius = -1;
        uint32_t pending = 0;
        next_generation(m);
        // Targets satisfy |key(u) - key(v)| <= d(u,v) <= b(u) + b(v) <= 2 b(u): scan that window
        // of the events sorted by key (the whole component when b(u) is infinite).
        int64_t ku = m->sort_key[events[i]], kmin, kmax;
        int64_t slack = event_slack(m, ku, bi);
        if (bi != QP_MG_INF) {
            kmin = ku - 2 * bi - slack;
            kmax = ku + 2 * bi + slack;
        } else {
            kmin = m->comp_base[events[i]];
            kmax = kmin + m->comp_span[events[i]];
        }
        size_t lo, hi, a = 0, b = k;
        while (a < b) {
            size_t mid = (a + b) / 2;
            if (m->by_key[mid].key < kmin) a = mid + 1;
            else b = mid;
        }
        lo = a;
        b = k;
        while (a < b) {
            size_t mid = (a + b) / 2;
            if (m->by_key[mid].key <= kmax) a = mid + 1;
            else b = mid;
        }
        hi = a;
        if (slack > 0 && bi != QP_MG_INF) {
            // Near lowered edges the bounds are loose: rather than target (nearly) every event
            // of the window, search the whole ball of radius 2 b(u), which holds every pair
            // this event is responsible for (b(v) <= b(u)).
            if (hi - lo > 1) search_from(m, (uint32_t)i, events[i], 2 * bi, UINT32_MAX);
            continue;
        }
        for (size_t q = lo; q < hi; q++) {
            size_t j = m->by_key[q].event;
            int64_t bj = m->bdist[j];
            if (j == i || bj > bi || (bj == bi && j > i)) continue;
            int64_t bound = add_inf(bi, bj);
            int64_t lb = landmark_bound(m->ev_lm + i * L, m->ev_lm + j * L, L);
            if (lb != QP_MG_INF) lb -= slack;
            if (lb > bound) continue;
            m->ns[events[j]].target = m->gen;
            pending++;
            if (bound > radius) radius = bound;
        }
        if (pending) search_from(m, (uint32_t)i, events[i], radius, pending);
    }
    for (size_t i = 0; i < k; i++) m->ns[events[i]].event_of = 0;
    // Deduplicate (keep the shortest of each pair).
    if (m->cand_len > 1) qsort(m->cand, m->cand_len, sizeof *m->cand, cmp_cand);
    size_t nc = 0;
    for (size_t c = 0; c < m->cand_len; c++) {
        if (nc && m->cand[nc - 1].u == m->cand[c].u && m->cand[nc - 1].v == m->cand[c].v) continue;
        m->cand[nc++] = m->cand[c];
    }
    m->cand_len = nc;
    // 3. Clusters.
    qp_grow(m->uf, m->uf_cap, k);
    for (size_t i = 0; i < k; i++) m->uf[i] = (uint32_t)i;
    for (size_t c = 0; c < nc; c++) {
        uint32_t a = uf_find(m->uf, m->cand[c].u), b = uf_find(m->uf, m->cand[c].v);
        if (a != b) m->uf[a < b ? b : a] = a < b ? a : b;
    }
    // Group events by cluster root (counting sort over roots).
    qp_grow(m->cstart, m->cstart_cap, k + 1);
    qp_grow(m->order, m->order_cap, k);
    qp_grow(m->local, m->local_cap, k);
    memset(m->cstart, 0, (k + 1) * sizeof *m->cstart);
    for (size_t i = 0; i < k; i++) m->cstart[uf_find(m->uf, (uint32_t)i) + 1]++;
    for (size_t r = 0; r < k; r++) m->cstart[r + 1] += m->cstart[r];
    // Scatter with cstart[r] as the cursor, then shift it back into start offsets.
    for (size_t i = 0; i < k; i++) {
        uint32_t r = uf_find(m->uf, (uint32_t)i);
        m->order[m->cstart[r]++] = (uint32_t)i;
    }
    for (size_t r = k; r > 0; r--) m->cstart[r] = m->cstart[r - 1];
    m->cstart[0] = 0;
    // Group candidates by cluster root (stable counting sort) so each cluster's are contiguous.
    qp_grow(m->cand_start, m->cand_start_cap, k + 1);
    memset(m->cand_start, 0, (k + 1) * sizeof *m->cand_start);
    for (size_t c = 0; c < nc; c++) m->cand_start[uf_find(m->uf, m->cand[c].u) + 1]++;
    for (size_t r = 0; r < k; r++) m->cand_start[r + 1] += m->cand_start[r];
    // (scatter into a temporary array, then copy back)
    candidate *sorted = NULL;
    if (nc) {
        sorted = qp_malloc(nc * sizeof *sorted);
        size_t *pos = qp_malloc((k + 1) * sizeof *pos);
        memcpy(pos, m->cand_start, (k + 1) * sizeof *pos);
        for (size_t c = 0; c < nc; c++) sorted[pos[uf_find(m->uf, m->cand[c].u)]++] = m->cand[c];
        memcpy(m->cand, sorted, nc * sizeof *sorted);
        free(pos);
        free(sorted);
    }
    // 4. Solve each cluster.
    for (size_t r = 0; r < k; r++) {
        uint32_t c0 = m->cstart[r], c1 = m->cstart[r + 1];
        if (c0 == c1) continue;
        uint32_t size = c1 - c0;
        size_t q0 = m->cand_start[r], q1 = m->cand_start[r + 1];
        if (size == 1) {
            uint32_t i = m->order[c0];
            if (m->bdist[i] == QP_MG_INF) return unmatchable(err, events[i]);
            weight += m->bdist[i];
            obs ^= m->bd_obs[events[i]];
            add_pair(m, events[i], QP_MG_BOUNDARY, QP_MG_BOUNDARY);
            continue;
        }
        if (size == 2 && q1 - q0 == 1) {
            const candidate *c = &m->cand[q0];
            int64_t both = add_inf(m->bdist[c->u], m->bdist[c->v]);
            if (c->dist <= both) {
                weight += c->dist;
                obs ^= c->obs;
                add_pair(m, events[c->u], events[c->v], events[c->from]);
            } else {
                weight += both;
                obs ^= m->bd_obs[events[c->u]] ^ m->bd_obs[events[c->v]];
                add_pair(m, events[c->u], QP_MG_BOUNDARY, QP_MG_BOUNDARY);
                add_pair(m, events[c->v], QP_MG_BOUNDARY, QP_MG_BOUNDARY);
            }
            continue;
        }
        // General cluster: events 0..size-1, boundary copies size..2size-1.
        for (uint32_t a = c0; a < c1; a++) m->local[m->order[a]] = a - c0;
        size_t ne = 0;
        for (size_t q = q0; q < q1; q++)
            add_blossom_edge(m, &ne, (int32_t)m->local[m->cand[q].u], (int32_t)m->local[m->cand[q].v], m->cand[q].dist);
        for (uint32_t a = 0; a < size; a++) {
            int64_t b = m->bdist[m->order[c0 + a]];
            if (b != QP_MG_INF) add_blossom_edge(m, &ne, (int32_t)a, (int32_t)(size + a), b);
        }
        // Boundary copies pair up exactly when their events pair up: mirror the candidates.
        for (size_t q = q0; q < q1; q++)
            add_blossom_edge(m, &ne, (int32_t)(size + m->local[m->cand[q].u]),
                             (int32_t)(size + m->local[m->cand[q].v]), 0);
        qp_grow(m->mate, m->mate_cap, 2 * (size_t)size);
        if (qp_blossom_min_perfect(m->blossom, (int)(2 * size), (int)ne, m->eu, m->ev, m->ew, m->mate))
            return unmatchable(err, events[m->order[c0]]);
        for (uint32_t a = 0; a < size; a++) {
            uint32_t i = m->order[c0 + a];
            if ((uint32_t)m->mate[a] == size + a) {
                weight += m->bdist[i];
                obs ^= m->bd_obs[events[i]];
                add_pair(m, events[i], QP_MG_BOUNDARY, QP_MG_BOUNDARY);
            }
        }
        for (size_t q = q0; q < q1; q++) {  // candidates are unique per pair
            const candidate *c = &m->cand[q];
            if ((uint32_t)m->mate[m->local[c->u]] != m->local[c->v]) continue;
            weight += c->dist;
            obs ^= c->obs;
            add_pair(m, events[c->u], events[c->v], events[c->from]);
        }
    }
    *obs_out = obs;
    *weight_out = weight;
    return 0;
}

int qp_local_search_decode_events(qp_local_search *m, const uint32_t *events, size_t k, uint64_t *obs_out,
                          int64_t *weight_out, qp_err *err) {
    restore_weights(m);
    return decode_events(m, events, k, obs_out, weight_out, err);
}

// Boundary paths after lowering: g's paths are upper bounds on the lowered graph; detectors
// next to a lowered edge are seeded with the path through it, and a Dijkstra wave carries
// every improvement outwards (weights only decrease, so this is exact).
static void seed_boundary(qp_local_search *m, uint32_t v, int64_t dist, uint64_t obs, uint32_t next) {
    if (dist >= m->low_bdist[v]) return;
    qp_grow(m->touched, m->touched_cap, m->touched_len + 1);
    m->touched[m->touched_len++] = v;
    m->low_bdist[v] = dist;
    m->low_bobs[v] = obs;
    m->low_bnext[v] = next;
    qp_heap_push(&m->heap, dist, v);
}

static void lowered_boundary_paths(qp_local_search *m) {
    const qp_matching_graph *g = m->g;
    while (m->heap.len) {
        qp_heap_item it = qp_heap_pop(&m->heap);
        uint32_t v = it.node;
        if (it.dist != m->low_bdist[v]) continue;
        for (uint32_t k = g->adj_start[v]; k < g->adj_start[v + 1]; k++)
            seed_boundary(m, m->adj[k].node, it.dist + m->adj[k].weight, m->low_bobs[v] ^ g->adj_obs[k], v);
    }
}

static void lower_slot(qp_local_search *m, uint32_t k, int64_t w) {
    if (w >= (int64_t)m->adj[k].weight) return;
    qp_grow(m->saved_slot, m->saved_cap, m->saved_len + 1);
    m->saved_w = qp_realloc(m->saved_w, m->saved_cap * sizeof *m->saved_w);
    m->saved_slot[m->saved_len] = k;
    m->saved_w[m->saved_len++] = m->adj[k].weight;
    m->adj[k].weight = (uint32_t)w;
}

int qp_local_search_decode_events_lowered(qp_local_search *m, const uint32_t *events, size_t k,
                                  const qp_local_search_lowered *lowered, size_t num_lowered,
                                  uint64_t *obs_out, int64_t *weight_out, qp_err *err) {
    const qp_matching_graph *g = m->g;
    restore_weights(m);
    if (num_lowered == 0) return decode_events(m, events, k, obs_out, weight_out, err);
    uint32_t n = g->num_detectors;
    if (!m->low_bdist) {
        m->low_bdist = qp_malloc((n ? n : 1) * sizeof *m->low_bdist);
        m->low_bobs = qp_malloc((n ? n : 1) * sizeof *m->low_bobs);
        m->low_bnext = qp_malloc((n ? n : 1) * sizeof *m->low_bnext);
        memcpy(m->low_bdist, g->boundary_dist, (size_t)n * sizeof *m->low_bdist);
        memcpy(m->low_bobs, g->boundary_dist_obs, (size_t)n * sizeof *m->low_bobs);
        memcpy(m->low_bnext, g->boundary_next, (size_t)n * sizeof *m->low_bnext);
    }
    int64_t slack = 0;
    m->heap.len = 0;
    for (size_t i = 0; i < num_lowered; i++) {
        const qp_local_search_lowered *l = &lowered[i];
        int64_t w = l->weight < 0 ? 0 : l->weight;
        if (l->a >= n) continue;
        if (l->b == QP_MG_BOUNDARY) {
            // The boundary edge itself is only read through the boundary paths.
            int64_t old = g->boundary_weight[l->a];
            if (old == QP_MG_INF || w >= old) continue;
            slack += old - w;  // (counted once per listing: an over-estimate is still valid)
            add_low_end(m, l->a, old - w);
            seed_boundary(m, l->a, w, g->boundary_obs[l->a], QP_MG_BOUNDARY);
            continue;
        }
        if (l->b >= n) continue;
        for (uint32_t s = 0; s < 2; s++) {
            uint32_t x = s ? l->b : l->a, y = s ? l->a : l->b;
            for (uint32_t q = g->adj_start[x]; q < g->adj_start[x + 1]; q++)
                if (m->adj[q].node == y) {
                    if (w >= (int64_t)m->adj[q].weight) break;
                    if (s == 0) slack += (int64_t)m->adj[q].weight - w;
                    add_low_end(m, x, (int64_t)m->adj[q].weight - w);
                    lower_slot(m, q, w);
                    if (g->boundary_dist[y] != QP_MG_INF)
                        seed_boundary(m, x, w + g->boundary_dist[y], g->boundary_dist_obs[y] ^ g->adj_obs[q], y);
                    break;
                }
        }
    }
    lowered_boundary_paths(m);
    m->bd_dist = m->low_bdist;
    m->bd_obs = m->low_bobs;
    m->bd_next = m->low_bnext;
    m->slack = slack;
    // Ends by key, prefix sums of the weight removed.
    if (m->low_ends_len > 1) qsort(m->low_ends, m->low_ends_len, sizeof *m->low_ends, cmp_keyed);
    qp_grow(m->low_cut, m->low_cut_cap, m->low_ends_len + 1);
    m->low_cut[0] = 0;
    for (size_t i = 0; i < m->low_ends_len; i++) m->low_cut[i + 1] = m->low_cut[i] + m->low_ends[i].event;
    return decode_events(m, events, k, obs_out, weight_out, err);
}

int qp_local_search_decode_b8(qp_local_search *m, const uint8_t *dets, uint64_t *obs_out, double *weight_out,
                      qp_err *err) {
    const qp_matching_graph *g = m->g;
    qp_grow(m->events, m->events_cap, (size_t)g->num_detectors + 1);
    size_t k = qp_matching_graph_events_b8(g, dets, m->events);
    int64_t w = 0;
    uint64_t obs = 0;
    if (qp_local_search_decode_events(m, m->events, k, &obs, &w, err)) return -1;
    *obs_out = obs ^ g->base_obs;
    *weight_out = (double)w / g->scale + g->base_weight;
    return 0;
}

size_t qp_local_search_last_pairs(const qp_local_search *m, const uint32_t **pairs) {
    *pairs = m->pairs;
    return m->pairs_len / 2;
}
