// Weighted union-find + peeling decoder; see union_find.h for what it promises.
//
// Layout: nodes 0..n-1 are detectors, node n is the boundary. Edges are numbered once at
// create (internal edges, then boundary edges); each detector has an incidence list,
// lightest edge first.
// Growth is event-driven with radii instead of per-edge counters: a cluster root has a radius
// that grows at rate 1 while the cluster is odd (radius0 at time t0), and each vertex's own
// radius is its root's minus an offset fixed when it joined (re-based when its cluster is
// merged into a larger one), so an edge (a, b) is fully grown once radius(a) + radius(b)
// reaches its weight (the boundary's radius is 0). Each vertex of a growing cluster has one
// entry in a min-heap: the earliest fill time over its edges. Stale entries (next_t differs)
// and entries of clusters that stopped growing are skipped; an entry that turns out early
// (a neighbour stopped) is rescheduled. So a cluster that stops growing costs O(1), and only a
// cluster that starts growing rescans its vertex list; vertices with no live edge drop out.
// A scan also records the edge expected to fill and the runner-up (cand_edge, second_*): the
// popped entry checks that one edge in O(1) and, after absorbing a fresh vertex, reuses the
// runner-up; any mismatch falls back to a full scan.
#include "workers/decode/union_find.h"

#include <stdlib.h>
#include <string.h>

#include "workers/decode/min_heap.h"
#include "workers/util/alloc.h"

#define NONE UINT32_MAX
#define UNSCHEDULED INT64_MIN
#define UNKNOWN INT64_MAX  // "not known: scan to find out"

// One edge: fixed fields and its per-shot flags together (one cache line per edge visit).
typedef struct {
    int64_t w;        // integer weight >= 0
    uint64_t obs;     // observable mask
    uint32_t a, b;    // endpoints; b = n for a boundary edge
} uf_edge;

// One incidence of a detector, with what growth reads, so a scan of a vertex's edges is one
// sequential read plus small per-node arrays.
typedef struct {
    int64_t w;        // the edge's weight
    uint32_t other;   // the other endpoint (n = boundary)
    uint32_t edge;    // edge id
} uf_incidence;

struct qp_uf {
    const qp_matching_graph *g;
    uint32_t n;  // detectors; node n is the boundary
    // ---- edges (fixed after create)
    size_t num_edges;
    uf_edge *edges;             // (num_edges)
    uint32_t *inc_start;        // (n + 1) incidences of detector v: inc[inc_start[v] ..)
    uf_incidence *inc;          // (sum of degrees)
    uint32_t *events;           // (n) one b8 record's detection events
    // ---- per-edge scratch (num_edges), 0 outside the touched edges
    uint8_t *edge_dead;         // fully grown, or found inside one cluster: never grown again
    uint8_t *edge_touched;      // in touched_edges
    // ---- per-node scratch (n + 1), in reset state outside the touched nodes
    uint32_t *parent, *size;         // union-find forest
    uint8_t *odd, *at_boundary;      // valid at roots: parity, touches the boundary
    uint8_t *growing;                // valid at roots: odd && !at_boundary
    uint8_t *syn;                    // residual syndrome (peeling)
    uint8_t *node_touched, *visited;
    uint32_t *list_head, *list_tail; // at roots: the cluster's vertices that may still grow
    uint32_t *list_next;             // per vertex: next in its cluster's list
    uint32_t *tree_head;             // first tree-edge slot at the node (peeling)
    uint32_t *parent_tree_edge;      // index into tree_edges of the edge to the DFS parent
    int64_t *next_t;                 // the vertex's heap entry time, or UNSCHEDULED
    // With next_t, from the scan that set it: the edge expected to fill at next_t, and the
    // earliest fill over v's other edges (second_t, UNSCHEDULED if none, UNKNOWN once used)
    // with its edge. A neighbour that starts growing has its own earlier entry, one that
    // stops makes these early; so they are checked when used, and a mismatch rescans.
    uint32_t *cand_edge, *second_edge;
    int64_t *second_t;
    int64_t *radius0, *t0;           // at roots: radius at time t0 (grows at 1 while growing)
    int64_t *offset;                 // per vertex: its own radius = root radius - offset
    // ---- per-shot lists
    uint32_t *touched_nodes; size_t num_touched_nodes, cap_touched_nodes;
    uint32_t *touched_edges; size_t num_touched_edges, cap_touched_edges;
    uint32_t *tree_edges; size_t num_tree_edges, cap_tree_edges;   // edge ids
    uint32_t *tree_next; size_t cap_tree_next;                       // (2 * num_tree_edges) slots
    uint32_t *stack; size_t cap_stack;
    uint32_t *order; size_t cap_order;
    uint32_t *correction; size_t num_correction, cap_correction;   // (2 * edges) endpoints
    qp_min_heap heap;  // (fill time, vertex): one live entry per growing vertex
    uint32_t num_growing;
};

// ---------------------------------------------------------------------------------------
// create / free

// Orders incidences by weight, then edge id.
static int cmp_incidence(const void *pa, const void *pb) {
    const uf_incidence *a = pa, *b = pb;
    if (a->w != b->w) return a->w < b->w ? -1 : 1;
    return (a->edge > b->edge) - (a->edge < b->edge);
}

qp_uf *qp_uf_create(const qp_matching_graph *g) {
    qp_uf *u = qp_calloc(1, sizeof *u);
    u->g = g;
    uint32_t n = g->num_detectors;
    u->n = n;
    size_t num_internal = 0, num_boundary = 0;
    for (uint32_t v = 0; v < n; v++) {
        for (uint32_t k = g->adj_start[v]; k < g->adj_start[v + 1]; k++)
            if (v < g->adj_node[k]) num_internal++;
        if (g->boundary_weight[v] != QP_MG_INF) num_boundary++;
    }
    size_t m = num_internal + num_boundary;
    u->num_edges = m;
    u->edges = qp_calloc(m + 1, sizeof *u->edges);
    u->edge_dead = qp_calloc(m + 1, 1);
    u->edge_touched = qp_calloc(m + 1, 1);
    size_t e = 0;
    for (uint32_t v = 0; v < n; v++)
        for (uint32_t k = g->adj_start[v]; k < g->adj_start[v + 1]; k++)
            if (v < g->adj_node[k]) {
                u->edges[e].a = v;
                u->edges[e].b = g->adj_node[k];
                u->edges[e].w = g->adj_weight[k];
                u->edges[e].obs = g->adj_obs[k];
                e++;
            }
    for (uint32_t v = 0; v < n; v++)
        if (g->boundary_weight[v] != QP_MG_INF) {
            u->edges[e].a = v;
            u->edges[e].b = n;
            u->edges[e].w = g->boundary_weight[v];
            u->edges[e].obs = g->boundary_obs[v];
            e++;
        }
    // Incidence lists (counting sort by endpoint).
    u->inc_start = qp_calloc((size_t)n + 2, sizeof *u->inc_start);
    for (size_t i = 0; i < m; i++) {
        u->inc_start[u->edges[i].a + 1]++;
        if (u->edges[i].b != n) u->inc_start[u->edges[i].b + 1]++;
    }
    for (uint32_t v = 0; v < n; v++) u->inc_start[v + 1] += u->inc_start[v];
    size_t num_inc = u->inc_start[n];
    u->inc = qp_malloc((num_inc + 1) * sizeof *u->inc);
    uint32_t *fill = qp_malloc(((size_t)n + 1) * sizeof *fill);
    memcpy(fill, u->inc_start, ((size_t)n + 1) * sizeof *fill);
    for (size_t i = 0; i < m; i++) {
        const uf_edge *ed = &u->edges[i];
        u->inc[fill[ed->a]++] = (uf_incidence){ed->w, ed->b, (uint32_t)i};
        if (ed->b != n) u->inc[fill[ed->b]++] = (uf_incidence){ed->w, ed->a, (uint32_t)i};
    }
    free(fill);
    for (uint32_t v = 0; v < n; v++)  // lightest first: a scan at t = 0 may stop early
        qsort(u->inc + u->inc_start[v], u->inc_start[v + 1] - u->inc_start[v], sizeof *u->inc,
              cmp_incidence);
    u->events = qp_malloc(((size_t)n + 1) * sizeof *u->events);
    // Node scratch, in reset state.
    size_t nn = (size_t)n + 1;
    u->parent = qp_malloc(nn * sizeof *u->parent);
    u->size = qp_malloc(nn * sizeof *u->size);
    u->odd = qp_calloc(nn, 1);
    u->at_boundary = qp_calloc(nn, 1);
    u->growing = qp_calloc(nn, 1);
    u->syn = qp_calloc(nn, 1);
    u->node_touched = qp_calloc(nn, 1);
    u->visited = qp_calloc(nn, 1);
    u->list_head = qp_malloc(nn * sizeof *u->list_head);
    u->list_tail = qp_malloc(nn * sizeof *u->list_tail);
    u->list_next = qp_malloc(nn * sizeof *u->list_next);
    u->tree_head = qp_malloc(nn * sizeof *u->tree_head);
    u->parent_tree_edge = qp_malloc(nn * sizeof *u->parent_tree_edge);
    u->next_t = qp_malloc(nn * sizeof *u->next_t);
    u->cand_edge = qp_calloc(nn, sizeof *u->cand_edge);
    u->second_edge = qp_calloc(nn, sizeof *u->second_edge);
    u->second_t = qp_calloc(nn, sizeof *u->second_t);
    u->radius0 = qp_calloc(nn, sizeof *u->radius0);
    u->t0 = qp_calloc(nn, sizeof *u->t0);
    u->offset = qp_calloc(nn, sizeof *u->offset);
    for (uint32_t v = 0; v <= n; v++) {
        u->parent[v] = v;
        u->size[v] = 1;
        u->list_head[v] = u->list_tail[v] = v;
        u->list_next[v] = NONE;
        u->tree_head[v] = NONE;
        u->parent_tree_edge[v] = NONE;
        u->next_t[v] = UNSCHEDULED;
    }
    u->at_boundary[n] = 1;
    u->list_head[n] = u->list_tail[n] = NONE;
    return u;
}

void qp_uf_free(qp_uf *u) {
    if (!u) return;
    void *bufs[] = {u->edges, u->edge_dead, u->edge_touched, u->inc_start, u->inc,
                    u->events, u->parent, u->size, u->odd, u->at_boundary, u->growing, u->syn,
                    u->node_touched, u->visited, u->list_head, u->list_tail, u->list_next,
                    u->tree_head, u->parent_tree_edge, u->next_t, u->cand_edge, u->second_edge,
                    u->second_t, u->radius0, u->t0, u->offset,
                    u->touched_nodes, u->touched_edges, u->tree_edges,
                    u->tree_next, u->stack, u->order, u->correction, u->heap.items};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(u);
}

// ---------------------------------------------------------------------------------------
// union-find and scratch bookkeeping

static inline uint32_t find_root(uint32_t *parent, uint32_t v) {
    while (parent[v] != v) {
        parent[v] = parent[parent[v]];  // path halving
        v = parent[v];
    }
    return v;
}

static inline void touch_node(qp_uf *u, uint32_t v) {
    if (u->node_touched[v]) return;
    u->node_touched[v] = 1;
    qp_grow(u->touched_nodes, u->cap_touched_nodes, u->num_touched_nodes + 1);
    u->touched_nodes[u->num_touched_nodes++] = v;
}

static inline void touch_edge(qp_uf *u, uint32_t e) {
    if (u->edge_touched[e]) return;
    u->edge_touched[e] = 1;
    qp_grow(u->touched_edges, u->cap_touched_edges, u->num_touched_edges + 1);
    u->touched_edges[u->num_touched_edges++] = e;
}

static inline int is_growing(const qp_uf *u, uint32_t root) {
    return u->growing[root];
}

// Returns every touched node and edge to the reset state.
static void reset_scratch(qp_uf *u) {
    uint32_t n = u->n;
    for (size_t i = 0; i < u->num_touched_nodes; i++) {
        uint32_t v = u->touched_nodes[i];
        u->parent[v] = v;
        u->size[v] = 1;
        u->odd[v] = 0;
        u->growing[v] = 0;
        u->at_boundary[v] = v == n;
        u->syn[v] = 0;
        u->node_touched[v] = 0;
        u->visited[v] = 0;
        u->list_head[v] = u->list_tail[v] = v == n ? NONE : v;
        u->list_next[v] = NONE;
        u->tree_head[v] = NONE;
        u->parent_tree_edge[v] = NONE;
        u->next_t[v] = UNSCHEDULED;
        u->radius0[v] = u->t0[v] = u->offset[v] = 0;
    }
    u->num_touched_nodes = 0;
    for (size_t i = 0; i < u->num_touched_edges; i++) {
        uint32_t e = u->touched_edges[i];
        u->edge_dead[e] = 0;
        u->edge_touched[e] = 0;
    }
    u->num_touched_edges = 0;
    u->num_tree_edges = 0;
    u->heap.len = 0;
    u->num_growing = 0;
}

// ---------------------------------------------------------------------------------------
// growth

static inline int64_t root_radius(const qp_uf *u, uint32_t root, int64_t t) {
    return u->radius0[root] + (is_growing(u, root) ? t - u->t0[root] : 0);
}

static inline void kill_edge(qp_uf *u, uint32_t e) {
    u->edge_dead[e] = 1;
    touch_edge(u, e);
}

// Scans the edges of v (whose cluster has root rv) at time t: edges found inside the cluster
// die; returns the earliest time at which a live edge fills (its two endpoints' radii sum to
// its weight; a half unit left over by two growing sides rounds up), or UNSCHEDULED if none
// is growing. *best_edge gets that edge; *live whether any edge is still live; *second the
// earliest fill time over the other live edges (UNSCHEDULED if none), *second_edge its edge.
static int64_t next_fill(qp_uf *u, uint32_t v, uint32_t rv, int64_t t, uint32_t *best_edge,
                         int *live, int64_t *second, uint32_t *second_edge) {
    int64_t best = UNSCHEDULED, next = UNSCHEDULED;
    uint32_t best_e = NONE, next_e = NONE;
    int any_live = 0;
    int64_t rad_v = root_radius(u, rv, t) - u->offset[v];
    int gv = is_growing(u, rv);
    // Locals: byte stores (kill_edge, path halving) could alias u's fields for the compiler.
    const uint8_t *touched = u->node_touched, *dead = u->edge_dead;
    const uf_incidence *in = u->inc + u->inc_start[v], *in_end = u->inc + u->inc_start[v + 1];
    for (; in < in_end; in++) {
        // At t = 0 every radius is 0, so an edge of weight w fills no earlier than ceil(w/2);
        // incidences are sorted by weight: once that exceeds the runner-up, none can place.
        if (t == 0 && next != UNSCHEDULED && ((in->w + 1) >> 1) > next) break;
        uint32_t e = in->edge;
        uint32_t o = in->other;
        int64_t ft;
        if (gv && !touched[o]) {
            // Not touched this shot: a lone even detector (or the untouched boundary) at radius
            // 0, so the edge is live (edges die only between touched nodes) and only v grows it.
            any_live = 1;
            int64_t left = in->w - rad_v;
            ft = left <= 0 ? t : t + left;
        } else {
            if (dead[e]) continue;
            uint32_t ro = find_root(u->parent, o);
            if (ro == rv) {
                kill_edge(u, e);
                continue;
            }
            any_live = 1;
            int rate = gv + is_growing(u, ro);
            int64_t rad_o = o == u->n ? 0 : root_radius(u, ro, t) - u->offset[o];  // boundary: 0
            int64_t left = in->w - rad_v - rad_o;
            if (left <= 0) ft = t;
            else if (rate == 0) continue;  // live, but nothing grows it now
            else ft = t + (rate == 1 ? left : (left + 1) >> 1);
        }
        if (best == UNSCHEDULED || ft < best) {
            next = best;
            next_e = best_e;
            best = ft;
            best_e = e;
        } else if (next == UNSCHEDULED || ft < next) {
            next = ft;
            next_e = e;
        }
    }
    *live = any_live;
    if (best != UNSCHEDULED) *best_edge = best_e;
    if (next != UNSCHEDULED) *second_edge = next_e;
    *second = next;
    return best;
}

// Gives v the heap entry (time ft, edge e), remembering the runner-up (second, e2).
static void set_entry(qp_uf *u, uint32_t v, int64_t ft, uint32_t e, int64_t second, uint32_t e2) {
    u->cand_edge[v] = e;
    u->second_t[v] = second;
    u->second_edge[v] = e2;
    if (ft == u->next_t[v]) return;  // an entry at that time is already in the heap
    u->next_t[v] = ft;
    qp_heap_push(&u->heap, ft, v);
}

// The time at which edge e of v (root rv, growing) fills, seen at time t: as in next_fill;
// UNSCHEDULED if e is dead or inside v's cluster.
static int64_t edge_fill_time(qp_uf *u, uint32_t v, uint32_t rv, uint32_t e, int64_t t) {
    if (u->edge_dead[e]) return UNSCHEDULED;
    const uf_edge *ed = &u->edges[e];
    uint32_t o = ed->a == v ? ed->b : ed->a;
    uint32_t ro = find_root(u->parent, o);
    if (ro == rv) return UNSCHEDULED;
    int64_t rad_v = root_radius(u, rv, t) - u->offset[v];
    int64_t rad_o = o == u->n ? 0 : root_radius(u, ro, t) - u->offset[o];
    int64_t left = ed->w - rad_v - rad_o;
    if (left <= 0) return t;
    return t + (is_growing(u, ro) ? (left + 1) >> 1 : left);
}

// Gives vertex v (root rv) one heap entry at its next fill time if its cluster grows.
// Returns 0 if v has no live edge left.
static int schedule_vertex(qp_uf *u, uint32_t v, uint32_t rv, int64_t t) {
    if (!is_growing(u, rv)) return 1;  // nothing to schedule; live edges are found when it grows
    uint32_t e = NONE, e2 = NONE;
    int live;
    int64_t second;
    int64_t best = next_fill(u, v, rv, t, &e, &live, &second, &e2);
    if (best != UNSCHEDULED) set_entry(u, v, best, e, second, e2);
    return live;
}

// Walks the list [*head ..] of a cluster (root rv) at time t: adds shift to each vertex's
// offset, reschedules each vertex if `reschedule`, and drops vertices with no live edge
// (only seen when rescheduling). Updates *head and *tail.
static void walk_list(qp_uf *u, uint32_t *head, uint32_t *tail, uint32_t rv, int64_t shift,
                      int reschedule, int64_t t) {
    uint32_t prev = NONE, v = *head;
    while (v != NONE) {
        u->offset[v] += shift;
        uint32_t next = u->list_next[v];
        if (reschedule && !schedule_vertex(u, v, rv, t)) {
            if (prev == NONE) *head = next;
            else u->list_next[prev] = next;
            u->list_next[v] = NONE;
        } else {
            prev = v;
        }
        v = next;
    }
    *tail = prev;
}

// Merges the clusters of roots ra != rb joined by the fully grown edge e at time t. Only a
// side that starts growing is rescheduled; a side that stops needs nothing (its heap entries
// are skipped when popped, and neighbours' early entries are rescheduled when popped).
static void merge_clusters(qp_uf *u, uint32_t ra, uint32_t rb, uint32_t e, int64_t t) {
    touch_node(u, ra);
    touch_node(u, rb);
    qp_grow(u->tree_edges, u->cap_tree_edges, u->num_tree_edges + 1);
    u->tree_edges[u->num_tree_edges++] = e;
    if (u->size[ra] < u->size[rb]) {
        uint32_t s = ra;
        ra = rb;
        rb = s;
    }
    int ga = is_growing(u, ra), gb = is_growing(u, rb);
    int64_t rad_a = root_radius(u, ra, t), rad_b = root_radius(u, rb, t);
    uint32_t ha = u->list_head[ra], ta = u->list_tail[ra];
    uint32_t hb = u->list_head[rb], tb = u->list_tail[rb];
    u->parent[rb] = ra;
    u->size[ra] += u->size[rb];
    u->odd[ra] ^= u->odd[rb];
    u->at_boundary[ra] |= u->at_boundary[rb];
    u->growing[ra] = u->odd[ra] && !u->at_boundary[ra];
    u->radius0[ra] = rad_a;
    u->t0[ra] = t;
    int g = is_growing(u, ra);
    u->num_growing = u->num_growing + (uint32_t)g - (uint32_t)ga - (uint32_t)gb;
    // b's vertices keep their radii under a's root radius: offset += rad_a - rad_b.
    if (hb != NONE) walk_list(u, &hb, &tb, ra, rad_a - rad_b, g && !gb, t);
    if (ha != NONE && g && !ga) walk_list(u, &ha, &ta, ra, 0, 1, t);
    if (ha == NONE) {
        ha = hb;
        ta = tb;
    } else if (hb != NONE) {
        u->list_next[ta] = hb;
        ta = tb;
    }
    u->list_head[ra] = ha;
    u->list_tail[ra] = ta;
}

// Grows until no cluster is odd. Requires syn set and touched for the events.
static int grow_clusters(qp_uf *u, qp_err *err) {
    for (size_t i = 0; i < u->num_touched_nodes; i++) {
        uint32_t v = u->touched_nodes[i];
        if (u->syn[v]) {
            u->odd[v] = 1;
            u->growing[v] = 1;  // v != n: events are detectors
            u->num_growing++;
        }
    }
    size_t num_events = u->num_touched_nodes;
    for (size_t i = 0; i < num_events; i++) {
        uint32_t v = u->touched_nodes[i];
        if (u->odd[v]) walk_list(u, &u->list_head[v], &u->list_tail[v], v, 0, 1, 0);
    }
    while (u->num_growing > 0) {
        if (u->heap.len == 0) {
            for (size_t i = 0; i < u->num_touched_nodes; i++) {
                uint32_t v = u->touched_nodes[i];
                if (u->syn[v] && is_growing(u, find_root(u->parent, v)))
                    return qp_fail(err, "detection event at detector D%u cannot be matched: its cluster "
                                   "reaches neither the boundary nor an odd number of other events", v);
            }
            return qp_fail(err, "union-find: an odd cluster cannot grow (internal error)");
        }
        qp_heap_item it = qp_heap_pop(&u->heap);
        uint32_t v = it.node;
        if (u->next_t[v] != it.dist) continue;  // stale entry
        int64_t t = it.dist;
        u->next_t[v] = UNSCHEDULED;
        uint32_t rv = find_root(u->parent, v);
        if (!is_growing(u, rv)) continue;  // stopped since
        // The edge the entry was made for usually fills now: then no scan is needed.
        uint32_t e = u->cand_edge[v], e2 = u->second_edge[v];
        int64_t second = u->second_t[v];
        int64_t ft = edge_fill_time(u, v, rv, e, t);
        if (ft != t) {
            int live;
            e = e2 = NONE;
            ft = next_fill(u, v, rv, t, &e, &live, &second, &e2);
        }
        if (ft == t) {  // the entry is still right: e fills now
            kill_edge(u, e);
            uint32_t o = u->edges[e].a == v ? u->edges[e].b : u->edges[e].a;
            uint32_t ro = find_root(u->parent, o);
            // Absorbing a fresh vertex (a lone even detector) leaves the cluster growing at
            // the same rate and changes no other edge of v, so v's next fill time is the
            // runner-up of the last scan (checked when popped): no rescan.
            int fresh = u->size[ro] == 1 && !u->odd[ro] && !u->at_boundary[ro];
            merge_clusters(u, rv, ro, e, t);
            if (!fresh || second == UNKNOWN)
                schedule_vertex(u, v, find_root(u->parent, v), t);
            else if (second != UNSCHEDULED)
                set_entry(u, v, second, e2, UNKNOWN, NONE);
        } else if (ft != UNSCHEDULED) {  // early (a neighbour stopped): nothing changed, re-push
            set_entry(u, v, ft, e, second, e2);
        }
    }
    return 0;
}

// ---------------------------------------------------------------------------------------
// peeling

// Peels the spanning forest (tree_edges) into the correction; fills obs and weight.
static int peel_forest(qp_uf *u, uint64_t *obs_out, int64_t *weight_out, qp_err *err) {
    uint32_t n = u->n;
    size_t m = u->num_tree_edges;
    qp_grow(u->tree_next, u->cap_tree_next, 2 * m + 1);
    for (size_t i = 0; i < m; i++) {
        uint32_t e = u->tree_edges[i];
        uint32_t a = u->edges[e].a, b = u->edges[e].b;
        u->tree_next[2 * i] = u->tree_head[a];
        u->tree_head[a] = (uint32_t)(2 * i);
        u->tree_next[2 * i + 1] = u->tree_head[b];
        u->tree_head[b] = (uint32_t)(2 * i + 1);
    }
    // Preorder of every tree (boundary tree first) by an explicit stack.
    size_t num_order = 0, num_stack = 0;
    touch_node(u, n);
    // Every tree node is touched and enters the stack and the order once.
    qp_grow(u->stack, u->cap_stack, u->num_touched_nodes);
    qp_grow(u->order, u->cap_order, u->num_touched_nodes);
    for (size_t i = 0; i <= u->num_touched_nodes; i++) {
        uint32_t root = i == 0 ? n : u->touched_nodes[i - 1];
        if (u->visited[root] || u->tree_head[root] == NONE) continue;
        u->visited[root] = 1;
        u->stack[num_stack++] = root;
        while (num_stack) {
            uint32_t v = u->stack[--num_stack];
            u->order[num_order++] = v;
            for (uint32_t s = u->tree_head[v]; s != NONE; s = u->tree_next[s]) {
                uint32_t e = u->tree_edges[s >> 1];
                uint32_t o = (s & 1) ? u->edges[e].a : u->edges[e].b;
                if (u->visited[o]) continue;
                u->visited[o] = 1;
                u->parent_tree_edge[o] = s >> 1;
                u->stack[num_stack++] = o;
            }
        }
    }
    // Leaves first: pass odd residual syndromes up to the parent.
    uint64_t obs = 0;
    int64_t weight = 0;
    u->num_correction = 0;
    for (size_t i = num_order; i-- > 0;) {
        uint32_t v = u->order[i];
        if (!u->syn[v]) continue;
        uint32_t te = u->parent_tree_edge[v];
        if (te == NONE) {
            if (v == n) continue;  // the boundary absorbs any parity
            return qp_fail(err, "union-find: tree rooted at D%u has odd parity (internal error)", v);
        }
        uint32_t e = u->tree_edges[te];
        uint32_t p = u->edges[e].a == v ? u->edges[e].b : u->edges[e].a;
        u->syn[v] = 0;
        u->syn[p] ^= 1;
        obs ^= u->edges[e].obs;
        weight += u->edges[e].w;
        qp_grow(u->correction, u->cap_correction, u->num_correction + 2);
        u->correction[u->num_correction++] = u->edges[e].a;
        u->correction[u->num_correction++] = u->edges[e].b == n ? QP_MG_BOUNDARY : u->edges[e].b;
    }
    for (size_t i = 0; i < u->num_touched_nodes; i++) {  // events outside every tree
        uint32_t v = u->touched_nodes[i];
        if (u->syn[v] && v != n)
            return qp_fail(err, "union-find: event D%u left unpeeled (internal error)", v);
    }
    u->num_correction /= 2;
    *obs_out = obs;
    *weight_out = weight;
    return 0;
}

// ---------------------------------------------------------------------------------------
// entry points

static void toggle_event(qp_uf *u, uint32_t v) {
    u->syn[v] ^= 1;
    touch_node(u, v);
}

static int decode_touched(qp_uf *u, uint64_t *obs_out, int64_t *weight_out, qp_err *err) {
    int rc = grow_clusters(u, err);
    if (rc == 0) rc = peel_forest(u, obs_out, weight_out, err);
    reset_scratch(u);
    return rc;
}

int qp_uf_decode_events(qp_uf *u, const uint32_t *events, size_t num_events, uint64_t *obs_out,
                        int64_t *weight_out, qp_err *err) {
    for (size_t i = 0; i < num_events; i++) {
        if (events[i] >= u->n) {
            reset_scratch(u);
            return qp_fail(err, "event %zu: detector D%u out of range (the graph has %u detectors)", i,
                           events[i], u->n);
        }
        toggle_event(u, events[i]);
    }
    return decode_touched(u, obs_out, weight_out, err);
}

int qp_uf_decode_b8(qp_uf *u, const uint8_t *dets, uint64_t *obs_out, double *weight_out,
                    qp_err *err) {
    const qp_matching_graph *g = u->g;
    size_t k = qp_matching_graph_events_b8(g, dets, u->events);
    for (size_t i = 0; i < k; i++) toggle_event(u, u->events[i]);
    uint64_t obs = 0;
    int64_t w = 0;
    if (decode_touched(u, &obs, &w, err)) return -1;
    *obs_out = obs ^ g->base_obs;
    *weight_out = (double)w / g->scale + g->base_weight;
    return 0;
}

int qp_uf_decode_batch_b8(qp_uf *u, const uint8_t *dets_b8, size_t num_shots,
                          size_t bytes_per_shot, uint8_t *obs_pred_b8_out, double *weights_out,
                          qp_err *err) {
    size_t want = ((size_t)u->n + 7) / 8;
    if (bytes_per_shot != want)
        return qp_fail(err, "detector records have %zu bytes per shot but the model has %u detectors (%zu bytes per shot)",
                       bytes_per_shot, u->n, want);
    size_t obs_bytes = ((size_t)u->g->num_observables + 7) / 8;
    for (size_t s = 0; s < num_shots; s++) {
        uint64_t obs;
        double w;
        if (qp_uf_decode_b8(u, dets_b8 + s * bytes_per_shot, &obs, &w, err))
            return qp_fail_prefix(err, "shot %zu", s);
        uint8_t *out = obs_pred_b8_out + s * obs_bytes;
        for (size_t b = 0; b < obs_bytes; b++) out[b] = (uint8_t)(obs >> (8 * b));
        if (weights_out) weights_out[s] = w;
    }
    return 0;
}

size_t qp_uf_last_correction(const qp_uf *u, const uint32_t **ends) {
    *ends = u->correction;
    return u->num_correction;
}
