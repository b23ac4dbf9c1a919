// MWPM by sparse blossom: see mwpm.h for the algorithm and its promises.
//
// Layers, top to bottom in this file: small vectors and the event heap (tracker); node
// bookkeeping and the per-node "look at" that finds a node's next event (flooder); Edmonds'
// steps on regions (matcher); the decode loop and blossom expansion (driver); path search for
// the correction (search).
#include "workers/decode/mwpm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

#define NONE (-1)
#define BOUNDARY_MATCH (-2)
#define REGION_FLAG 0x80000000u
#define MAX_POPS_PER_EVENT (1u << 18)  // runaway guard (an internal error), per detection event

// ---- small vectors and the event heap (tracker) ---------------------------------------------

typedef struct {
    int32_t *a;
    size_t n, cap;
} ivec;

static void ivec_push(ivec *v, int32_t x) {
    qp_grow(v->a, v->cap, v->n + 1);
    v->a[v->n++] = x;
}

// A compressed edge between two regions: source events at either end and the observable mask
// of the fill path between them (b = QP_MG_BOUNDARY for the boundary).
typedef struct {
    uint32_t a, b;
    uint64_t obs;
} cedge;

static cedge cedge_rev(cedge e) {
    cedge r = {e.b, e.a, e.obs};
    return r;
}

// One entry of a blossom's odd cycle: the child and the edge from it to the next child.
typedef struct {
    int32_t region;
    cedge next;  // .a in this child, .b in the next one
} cycle_entry;

typedef struct {
    int64_t t;
    uint32_t id;   // node id, or REGION_FLAG | region id
    uint32_t ver;  // version of the node / region when scheduled
} heap_item;

typedef struct {
    int32_t parent;     // enclosing blossom, NONE at top level
    int32_t source;     // the detection event of a trivial region, NONE for a blossom
    int64_t r0, t0;     // radius(t) = r0 + slope * (t - t0)
    int slope;          // +1 outer tree node, -1 inner tree node, 0 matched / in a blossom
    int alive;
    int32_t match;      // matched region, NONE (tree root) or BOUNDARY_MATCH
    cedge match_edge;   // .a in this region, .b in the partner (QP_MG_BOUNDARY for boundary)
    int32_t tree_parent;  // inner regions: the outer parent (outer regions: parent = match)
    cedge parent_edge;    // .a in this region, .b in tree_parent
    ivec children;        // outer regions: inner tree children
    ivec shell;           // nodes this region reached while top-level, in arrival order
    cycle_entry *cycle;   // blossoms: odd cycle of children
    size_t cycle_n, cycle_cap;
    uint32_t ver;
    uint32_t stamp;
} region;

struct qp_mwpm {
    const qp_matching_graph *g;
    uint32_t n;
    // Per node (num_detectors): -1 / 0 when untouched.
    int32_t *top;       // top-level region occupying the node, NONE if empty
    uint8_t *is_touched;  // node is in `touched`
    uint32_t *source;   // detection event the fill came from
    int64_t *wrapped;   // local radius = wrapped + radius(top)
    uint64_t *obs;      // observables along the fill path from source
    uint32_t *ver;      // node event version
    int64_t *pending;   // time of the node's live heap entry, -1 if none
    uint32_t *due_edge; // adjacency index of the edge that entry is for (UINT32_MAX: boundary)
    int32_t *trivial;   // trivial region of a detection event, NONE otherwise
    ivec touched;       // nodes to reset after the shot
    // Regions of the current shot.
    region *reg;
    size_t num_reg, reg_cap;
    uint32_t stamp;
    // Event heap.
    heap_item *heap;
    size_t heap_n, heap_cap;
    int64_t now;
    // Scratch.
    ivec stack, list, path1, path2;
    // Results of the last decode.
    uint32_t *pairs;
    uint64_t *pair_obs;
    size_t num_pairs, pairs_cap, pair_obs_cap;
    uint32_t *corr;
    size_t corr_n, corr_cap;
    uint32_t *events_buf;
    // Dijkstra scratch (correction only).
    int64_t *dist;
    uint32_t *pred;
    heap_item *dheap;
    size_t dheap_cap;
};

static void heap_push(heap_item **h, size_t *n, size_t *cap, heap_item it) {
    qp_grow(*h, *cap, *n + 1);
    heap_item *a = *h;
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (a[p].t <= it.t) break;
        a[i] = a[p];
        i = p;
    }
    a[i] = it;
}

static heap_item heap_pop(heap_item *a, size_t *n) {
    heap_item top = a[0], last = a[--(*n)];
    size_t i = 0, m = *n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m) break;
        if (c + 1 < m && a[c + 1].t < a[c].t) c++;
        if (a[c].t >= last.t) break;
        a[i] = a[c];
        i = c;
    }
    if (m) a[i] = last;
    return top;
}

// ---- regions and nodes (flooder) ----------------------------------------------------------------

static int64_t radius(const qp_mwpm *s, int32_t r) {
    const region *R = &s->reg[r];
    return R->r0 + R->slope * (s->now - R->t0);
}

static void set_slope(qp_mwpm *s, int32_t r, int slope) {
    region *R = &s->reg[r];
    R->r0 = radius(s, r);
    R->t0 = s->now;
    R->slope = slope;
    R->ver++;
}

static int32_t new_region(qp_mwpm *s) {
    if (s->num_reg == s->reg_cap) {
        size_t old = s->reg_cap;
        qp_grow(s->reg, s->reg_cap, s->num_reg + 1);
        memset(&s->reg[old], 0, (s->reg_cap - old) * sizeof *s->reg);
    }
    region *R = &s->reg[s->num_reg];
    ivec ch = R->children, sh = R->shell;
    cycle_entry *cy = R->cycle;
    size_t cyc = R->cycle_cap;
    memset(R, 0, sizeof *R);
    R->children = ch;
    R->children.n = 0;
    R->shell = sh;
    R->shell.n = 0;
    R->cycle = cy;
    R->cycle_cap = cyc;
    R->parent = NONE;
    R->source = NONE;
    R->match = NONE;
    R->tree_parent = NONE;
    R->alive = 1;
    return (int32_t)s->num_reg++;
}

static int64_t local_radius(const qp_mwpm *s, uint32_t v) {
    return s->wrapped[v] + radius(s, s->top[v]);
}

// Collects every node in region r's area (its shell and, for a blossom, its children's areas)
// into s->list (cleared first).
static void collect_area(qp_mwpm *s, int32_t r) {
    s->list.n = 0;
    s->stack.n = 0;
    ivec_push(&s->stack, r);
    while (s->stack.n) {
        region *R = &s->reg[s->stack.a[--s->stack.n]];
        for (size_t i = 0; i < R->shell.n; i++) ivec_push(&s->list, R->shell.a[i]);
        for (size_t i = 0; i < R->cycle_n; i++) ivec_push(&s->stack, R->cycle[i].region);
    }
}

// The next event of node v (occupied): the earliest time any of its edges becomes tight or
// the fill reaches an empty neighbour or the boundary. Pushes it on the heap.
static void look_at_node(qp_mwpm *s, uint32_t v) {
    const qp_matching_graph *g = s->g;
    int32_t R = s->top[v];
    if (R == NONE) {
        s->ver[v]++;
        s->pending[v] = -1;
        return;
    }
    int slope = s->reg[R].slope;
    int64_t lr = local_radius(s, v), best = INT64_MAX;
    uint32_t best_k = UINT32_MAX;
    if (slope > 0 && g->boundary_weight[v] != QP_MG_INF) best = s->now + g->boundary_weight[v] - lr;
    // A shrinking node has no edge events: a neighbour's rate is at most +1.
    uint32_t k_end = slope < 0 ? g->adj_start[v] : g->adj_start[v + 1];
    for (uint32_t k = g->adj_start[v]; k < k_end; k++) {
        uint32_t y = g->adj_node[k];
        int32_t Ry = s->top[y];
        int64_t t;
        if (Ry == NONE) {
            if (slope <= 0) continue;
            t = s->now + g->adj_weight[k] - lr;
        } else {
            if (Ry == R) continue;
            int rate = slope + s->reg[Ry].slope;
            if (rate <= 0) continue;
            // Exact: weights are even and every moving region's local radii have the parity
            // of the time, so a gap between two growing regions is even.
            int64_t gap = g->adj_weight[k] - lr - local_radius(s, y);
            t = s->now + (rate == 2 ? gap / 2 : gap);
        }
        if (t < best) best = t, best_k = k;
    }
    s->due_edge[v] = best_k;
#ifdef SB_DEBUG
    if (best < s->now) fprintf(stderr, "overlap at node %u: event %lld < now %lld\n", v, (long long)best, (long long)s->now);
#endif
    if (best < s->now) best = s->now;
    if (best == s->pending[v]) return;  // the live entry already says this
    s->ver[v]++;
    s->pending[v] = -1;
    if (best == INT64_MAX) return;
    s->pending[v] = best;
    heap_item it = {best, v, s->ver[v]};
    heap_push(&s->heap, &s->heap_n, &s->heap_cap, it);
}

// The next event of a shrinking region: its last-reached node leaves, or it reaches radius 0.
static void look_at_region(qp_mwpm *s, int32_t r) {
    region *R = &s->reg[r];
    R->ver++;
    if (R->slope >= 0 || R->parent != NONE || !R->alive) return;
    size_t keep = R->source != NONE ? 1 : 0;
    int64_t t;
    if (R->shell.n > keep) {
        t = s->now + local_radius(s, (uint32_t)R->shell.a[R->shell.n - 1]);
    } else {
        t = s->now + radius(s, r);
    }
    heap_item it = {t < s->now ? s->now : t, REGION_FLAG | (uint32_t)r, R->ver};
    heap_push(&s->heap, &s->heap_n, &s->heap_cap, it);
}

// After region r's slope changed. Only a slope increase can make an event earlier; after a
// decrease every node keeps its (now possibly early) entry, which is re-examined when popped.
static void reschedule_area(qp_mwpm *s, int32_t r) {
    collect_area(s, r);
    for (size_t i = 0; i < s->list.n; i++) look_at_node(s, (uint32_t)s->list.a[i]);
    look_at_region(s, r);
}

static void occupy(qp_mwpm *s, uint32_t y, int32_t r, uint32_t src, uint64_t obs) {
    if (!s->is_touched[y]) {
        s->is_touched[y] = 1;
        ivec_push(&s->touched, (int32_t)y);
    }
    s->top[y] = r;
    s->source[y] = src;
    s->obs[y] = obs;
    s->wrapped[y] = -radius(s, r);
    ivec_push(&s->reg[r].shell, (int32_t)y);
}

// ---- Edmonds' steps (matcher) ---------------------------------------------------------------------

// The tree parent of region r (inner: tree_parent; outer: its match, NONE at the root).
static int32_t tree_up(const qp_mwpm *s, int32_t r) {
    const region *R = &s->reg[r];
    return R->slope < 0 ? R->tree_parent : R->match;
}

// Edge from r to its tree parent (.a in r).
static cedge up_edge(const qp_mwpm *s, int32_t r) {
    const region *R = &s->reg[r];
    return R->slope < 0 ? R->parent_edge : R->match_edge;
}

static int32_t tree_root(const qp_mwpm *s, int32_t r) {
    for (int32_t u = tree_up(s, r); u != NONE; u = tree_up(s, r)) r = u;
    return r;
}

// Appends every region of the tree rooted at root to s->list (cleared first).
static void collect_tree(qp_mwpm *s, int32_t root, int clear) {
    if (clear) s->list.n = 0;
    size_t start = s->list.n;
    ivec_push(&s->list, root);
    for (size_t i = start; i < s->list.n; i++) {
        region *R = &s->reg[s->list.a[i]];
        if (R->slope > 0) {
            for (size_t c = 0; c < R->children.n; c++) ivec_push(&s->list, R->children.a[c]);
        } else {
            ivec_push(&s->list, R->match);
        }
    }
}

static void set_match(qp_mwpm *s, int32_t r, cedge e, int32_t partner) {
    s->reg[r].match = partner;
    s->reg[r].match_edge = e;
    if (partner >= 0) {
        s->reg[partner].match = r;
        s->reg[partner].match_edge = cedge_rev(e);
    }
}

// Flips the alternating path from outer region r to its tree root (r's own match is then
// free for the caller to set).
static void augment_path(qp_mwpm *s, int32_t r) {
    int32_t m = s->reg[r].match;
    while (m != NONE) {
        int32_t p = s->reg[m].tree_parent;
        int32_t next = s->reg[p].match;
        set_match(s, m, s->reg[m].parent_edge, p);
        m = next;
    }
}

// Freezes every region listed in s->list, clearing tree links, and reschedules them.
static void dissolve_listed(qp_mwpm *s) {
    size_t n = s->list.n;
    // Copy: reschedule_area reuses s->list.
    s->path1.n = 0;
    for (size_t i = 0; i < n; i++) ivec_push(&s->path1, s->list.a[i]);
    size_t inner = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t r = s->path1.a[i];
        if (s->reg[r].slope < 0) s->path1.a[inner++] = r;  // outer ones only slow down
        set_slope(s, r, 0);
        s->reg[r].tree_parent = NONE;
        s->reg[r].children.n = 0;
    }
    for (size_t i = 0; i < inner; i++) reschedule_area(s, s->path1.a[i]);
}

static void wrap_area(qp_mwpm *s, int32_t child, int32_t blossom, int64_t delta) {
    collect_area(s, child);
    for (size_t i = 0; i < s->list.n; i++) {
        uint32_t v = (uint32_t)s->list.a[i];
        s->wrapped[v] += delta;
        s->top[v] = blossom;
    }
}

// Two outer regions r1, r2 of the same tree touch along e (.a in r1): the cycle through their
// lowest common ancestor becomes a new outer blossom.
static void form_blossom(qp_mwpm *s, int32_t r1, int32_t r2, cedge e) {
    uint32_t st = ++s->stamp;
    s->path1.n = s->path2.n = 0;
    for (int32_t u = r1; u != NONE; u = tree_up(s, u)) {
        ivec_push(&s->path1, u);
        s->reg[u].stamp = st;
    }
    for (int32_t u = r2;; u = tree_up(s, u)) {
        ivec_push(&s->path2, u);
        if (s->reg[u].stamp == st) break;
    }
    int32_t lca = s->path2.a[s->path2.n - 1];
    size_t k1 = 0;
    while (s->path1.a[k1] != lca) k1++;
    size_t k2 = s->path2.n - 1;
    int32_t b = new_region(s);
    region *B = &s->reg[b];
    B->cycle_n = 0;
    qp_grow(B->cycle, B->cycle_cap, k1 + k2 + 1);
    for (size_t i = k1; i >= 1; i--) {
        cycle_entry ce = {s->path1.a[i], cedge_rev(up_edge(s, s->path1.a[i - 1]))};
        B->cycle[B->cycle_n++] = ce;
    }
    cycle_entry ce1 = {r1, e};
    B->cycle[B->cycle_n++] = ce1;
    for (size_t i = 0; i < k2; i++) {
        cycle_entry ce = {s->path2.a[i], up_edge(s, s->path2.a[i])};
        B->cycle[B->cycle_n++] = ce;
    }
    // Tree position and match of the lca pass to the blossom.
    region *L = &s->reg[lca];
    B->match = L->match;
    B->match_edge = L->match_edge;
    if (L->match != NONE) s->reg[L->match].match = b;
    B->slope = 1;
    B->r0 = 0;
    B->t0 = s->now;
    uint32_t cst = ++s->stamp;
    for (size_t i = 0; i < B->cycle_n; i++) s->reg[B->cycle[i].region].stamp = cst;
    for (size_t i = 0; i < B->cycle_n; i++) {
        region *C = &s->reg[B->cycle[i].region];
        if (C->slope > 0)
            for (size_t c = 0; c < C->children.n; c++) {
                int32_t x = C->children.a[c];
                if (s->reg[x].stamp == cst) continue;
                s->reg[x].tree_parent = b;
                ivec_push(&s->reg[b].children, x);
            }
    }
    for (size_t i = 0; i < s->reg[b].cycle_n; i++) {
        int32_t c = s->reg[b].cycle[i].region;
        int was_inner = s->reg[c].slope < 0;
        set_slope(s, c, 0);
        region *C = &s->reg[c];
        C->parent = b;
        C->children.n = 0;
        C->tree_parent = NONE;
        wrap_area(s, c, b, C->r0);
        // Outer children keep their rate (+1) towards every other region: no earlier events.
        if (was_inner)
            for (size_t q = 0; q < s->list.n; q++) look_at_node(s, (uint32_t)s->list.a[q]);
    }
}

// Inner blossom b reached radius 0: its children return to the top level, the even path
// between its tree parent's and its child's entry points stays in the tree, the rest pair up.
static int32_t child_containing(const qp_mwpm *s, int32_t b, uint32_t src) {
    int32_t r = s->trivial[src];
    while (s->reg[r].parent != b) r = s->reg[r].parent;
    return r;
}

static void shatter(qp_mwpm *s, int32_t b) {
    region *B = &s->reg[b];
    int32_t P = B->tree_parent, C = B->match;
    cedge pe = B->parent_edge, me = B->match_edge;
    int32_t cin = child_containing(s, b, pe.a), cout = child_containing(s, b, me.a);
    size_t L = B->cycle_n, iin = 0, iout = 0;
    for (size_t i = 0; i < L; i++) {
        int32_t c = B->cycle[i].region;
        if (c == cin) iin = i;
        if (c == cout) iout = i;
    }
    for (size_t i = 0; i < L; i++) {
        int32_t c = s->reg[b].cycle[i].region;
        s->reg[c].parent = NONE;
        wrap_area(s, c, c, -s->reg[c].r0);
        s->reg[c].t0 = s->now;
    }
    B = &s->reg[b];
    region *Pr = &s->reg[P];
    for (size_t i = 0; i < Pr->children.n; i++)
        if (Pr->children.a[i] == b) Pr->children.a[i] = cin;
    size_t k = (iout + L - iin) % L;
    int dir = k % 2 == 0 ? 1 : -1;
    size_t m = dir == 1 ? k : L - k;
    // Edge between cycle positions i and i+dir, seen from i.
#define STEP(i) ((dir == 1) ? B->cycle[i].next : cedge_rev(B->cycle[((i) + L - 1) % L].next))
    s->reg[cin].tree_parent = P;
    s->reg[cin].parent_edge = pe;
    s->reg[cin].slope = -1;
    size_t i = iin;
    for (size_t step = 0; step < m; step++) {
        size_t j = (i + L + (size_t)(dir == 1 ? 1 : L - 1)) % L;
        int32_t ra = B->cycle[i].region, rb = B->cycle[j].region;
        cedge e = STEP(i);
        if (step % 2 == 0) {
            set_match(s, ra, e, rb);
            s->reg[rb].slope = 1;
        } else {
            s->reg[rb].tree_parent = ra;
            s->reg[rb].parent_edge = cedge_rev(e);
            s->reg[rb].slope = -1;
            s->reg[ra].children.n = 0;
            ivec_push(&s->reg[ra].children, rb);
        }
        i = j;
    }
    set_match(s, cout, me, C);
    // The other arc pairs up.
    i = (iout + L + (size_t)(dir == 1 ? 1 : L - 1)) % L;
    for (size_t q = 0; q < (L - m - 1) / 2; q++) {
        size_t j = (i + L + (size_t)(dir == 1 ? 1 : L - 1)) % L;
        int32_t ra = B->cycle[i].region, rb = B->cycle[j].region;
        set_match(s, ra, STEP(i), rb);
        s->reg[ra].slope = s->reg[rb].slope = 0;
        i = (j + L + (size_t)(dir == 1 ? 1 : L - 1)) % L;
    }
#undef STEP
    B->alive = 0;
    B->ver++;
    size_t n = B->cycle_n;
    for (size_t q = 0; q < n; q++) reschedule_area(s, s->reg[b].cycle[q].region);
}

// Outer region r1 (its source-side edge end e.a) touches region r2 (e.b).
static void collide(qp_mwpm *s, int32_t r1, int32_t r2, cedge e) {
    if (s->reg[r1].slope <= 0) {
        int32_t t = r1;
        r1 = r2;
        r2 = t;
        e = cedge_rev(e);
    }
    region *R2 = &s->reg[r2];
    if (R2->slope > 0) {
        int32_t a = tree_root(s, r1), b = tree_root(s, r2);
        if (a == b) {
            form_blossom(s, r1, r2, e);
            return;
        }
        collect_tree(s, a, 1);
        collect_tree(s, b, 0);
        augment_path(s, r1);
        augment_path(s, r2);
        set_match(s, r1, e, r2);
        dissolve_listed(s);
    } else if (R2->match == BOUNDARY_MATCH) {
        collect_tree(s, tree_root(s, r1), 1);
        augment_path(s, r1);
        set_match(s, r1, e, r2);
        dissolve_listed(s);
    } else {
        int32_t m = R2->match;
        R2->tree_parent = r1;
        R2->parent_edge = cedge_rev(e);
        s->reg[m].children.n = 0;
        ivec_push(&s->reg[r1].children, r2);
        set_slope(s, r2, -1);
        set_slope(s, m, 1);
        look_at_region(s, r2);  // r2 only slows down: its nodes keep their entries
        reschedule_area(s, m);
    }
}

static void hit_boundary(qp_mwpm *s, int32_t r, cedge e) {
    collect_tree(s, tree_root(s, r), 1);
    augment_path(s, r);
    s->reg[r].match = BOUNDARY_MATCH;
    s->reg[r].match_edge = e;
    dissolve_listed(s);
}

// ---- driver -----------------------------------------------------------------------------------------

// Node v's entry is due: handles the edge it was for if that edge is still due now (an entry
// may be early: see reschedule_area), otherwise looks at v again.
static void handle_node_event(qp_mwpm *s, uint32_t v) {
    const qp_matching_graph *g = s->g;
    int32_t R = s->top[v];
    int slope = s->reg[R].slope;
    int64_t lr = local_radius(s, v);
    uint32_t k = s->due_edge[v];
    if (k == UINT32_MAX) {
        if (slope > 0 && g->boundary_weight[v] != QP_MG_INF && g->boundary_weight[v] - lr <= 0) {
            cedge e = {s->source[v], QP_MG_BOUNDARY, s->obs[v] ^ g->boundary_obs[v]};
            hit_boundary(s, R, e);
        }
        look_at_node(s, v);  // the entry was consumed; other edges may still be due
        return;
    }
    uint32_t y = g->adj_node[k];
    int32_t Ry = s->top[y];
    if (Ry == NONE) {
        if (slope > 0 && g->adj_weight[k] - lr <= 0) {
            occupy(s, y, R, s->source[v], s->obs[v] ^ g->adj_obs[k]);
            look_at_node(s, y);
        }
    } else if (Ry != R && slope + s->reg[Ry].slope > 0 && g->adj_weight[k] - lr - local_radius(s, y) <= 0) {
        cedge e = {s->source[v], s->source[y], s->obs[v] ^ g->adj_obs[k] ^ s->obs[y]};
        collide(s, R, Ry, e);
    }
    look_at_node(s, v);
}

static void vacate(qp_mwpm *s, int32_t r) {
    region *R = &s->reg[r];
    uint32_t v = (uint32_t)R->shell.a[--R->shell.n];
    s->top[v] = NONE;
    s->ver[v]++;
    s->pending[v] = -1;
    const qp_matching_graph *g = s->g;
    for (uint32_t k = g->adj_start[v]; k < g->adj_start[v + 1]; k++) {
        uint32_t y = g->adj_node[k];
        if (s->top[y] != NONE) look_at_node(s, y);
    }
}

static void handle_region_event(qp_mwpm *s, int32_t r) {
    region *R = &s->reg[r];
    size_t keep = R->source != NONE ? 1 : 0;
    if (R->shell.n > keep) {
        if (local_radius(s, (uint32_t)R->shell.a[R->shell.n - 1]) <= 0) vacate(s, r);
        look_at_region(s, r);
        return;
    }
    if (radius(s, r) > 0) {
        look_at_region(s, r);
        return;
    }
    if (R->source == NONE) {
        shatter(s, r);
    } else {
        // Degenerate: parent and child touch through this region's source node.
        int32_t P = R->tree_parent, C = R->match;
        cedge e = {R->match_edge.b, R->parent_edge.b, R->match_edge.obs ^ R->parent_edge.obs};
        form_blossom(s, C, P, e);
    }
}

static void reset_shot(qp_mwpm *s) {
    for (size_t i = 0; i < s->touched.n; i++) {
        uint32_t v = (uint32_t)s->touched.a[i];
        s->top[v] = NONE;
        s->is_touched[v] = 0;
        s->trivial[v] = NONE;
        s->pending[v] = -1;
    }
    s->touched.n = 0;
    s->num_reg = 0;
    s->stamp = 0;  // region stamps are zeroed with their regions
    s->heap_n = 0;
    s->now = 0;
}

static void add_pair(qp_mwpm *s, cedge e) {
    qp_grow(s->pairs, s->pairs_cap, 2 * s->num_pairs + 2);
    qp_grow(s->pair_obs, s->pair_obs_cap, s->num_pairs + 1);
    s->pairs[2 * s->num_pairs] = e.a;
    s->pairs[2 * s->num_pairs + 1] = e.b;
    s->pair_obs[s->num_pairs++] = e.obs;
}

// Expands region r, matched externally at source src, into event pairs.
static void expand(qp_mwpm *s, int32_t r, uint32_t src) {
    region *R = &s->reg[r];
    if (R->source != NONE) return;
    int32_t c = child_containing(s, r, src);
    size_t L = R->cycle_n, i0 = 0;
    while (R->cycle[i0].region != c) i0++;
    expand(s, c, src);
    for (size_t q = 1; q + 1 <= L - 1; q += 2) {
        R = &s->reg[r];
        cycle_entry ce = R->cycle[(i0 + q) % L];
        int32_t next = R->cycle[(i0 + q + 1) % L].region;
        add_pair(s, ce.next);
        expand(s, ce.region, ce.next.a);
        expand(s, next, ce.next.b);
    }
}

qp_mwpm *qp_mwpm_create(const qp_matching_graph *g) {
    qp_mwpm *s = qp_calloc(1, sizeof *s);
    uint32_t n = g->num_detectors;
    s->g = g;
    s->n = n;
    size_t nn = n ? n : 1;
    s->top = qp_malloc(nn * sizeof *s->top);
    s->is_touched = qp_calloc(nn, sizeof *s->is_touched);
    s->trivial = qp_malloc(nn * sizeof *s->trivial);
    for (uint32_t v = 0; v < n; v++) s->top[v] = s->trivial[v] = NONE;
    s->source = qp_calloc(nn, sizeof *s->source);
    s->wrapped = qp_calloc(nn, sizeof *s->wrapped);
    s->obs = qp_calloc(nn, sizeof *s->obs);
    s->ver = qp_calloc(nn, sizeof *s->ver);
    s->pending = qp_malloc(nn * sizeof *s->pending);
    s->due_edge = qp_calloc(nn, sizeof *s->due_edge);
    for (uint32_t v = 0; v < n; v++) s->pending[v] = -1;
    s->dist = qp_malloc(nn * sizeof *s->dist);
    for (uint32_t v = 0; v < n; v++) s->dist[v] = QP_MG_INF;
    s->pred = qp_calloc(nn, sizeof *s->pred);
    s->events_buf = qp_malloc(nn * sizeof *s->events_buf);
    return s;
}

void qp_mwpm_free(qp_mwpm *s) {
    if (!s) return;
    for (size_t i = 0; i < s->reg_cap; i++) {
        free(s->reg[i].children.a);
        free(s->reg[i].shell.a);
        free(s->reg[i].cycle);
    }
    free(s->reg);
    free(s->top);
    free(s->is_touched);
    free(s->trivial);
    free(s->source);
    free(s->wrapped);
    free(s->obs);
    free(s->ver);
    free(s->pending);
    free(s->due_edge);
    free(s->dist);
    free(s->pred);
    free(s->events_buf);
    free(s->touched.a);
    free(s->heap);
    free(s->dheap);
    free(s->stack.a);
    free(s->list.a);
    free(s->path1.a);
    free(s->path2.a);
    free(s->pairs);
    free(s->pair_obs);
    free(s->corr);
    free(s);
}

int qp_mwpm_decode_events(qp_mwpm *s, const uint32_t *events, size_t num_events,
                                    uint64_t *obs_out, int64_t *weight_out, qp_err *err) {
    reset_shot(s);
    s->num_pairs = 0;
    *obs_out = 0;
    *weight_out = 0;
    for (size_t i = 0; i < num_events; i++) {
        uint32_t v = events[i];
        if (v >= s->n) return qp_fail(err, "mwpm: event D%u out of range (%u detectors)", v, s->n);
        int32_t r = new_region(s);
        s->reg[r].source = (int32_t)v;
        s->reg[r].slope = 1;
        occupy(s, v, r, v, 0);
        s->trivial[v] = r;
    }
    for (size_t i = 0; i < num_events; i++) look_at_node(s, events[i]);
    size_t guard = (num_events + 1) * (size_t)MAX_POPS_PER_EVENT;
    while (s->heap_n) {
        if (!guard--) {
            reset_shot(s);
            return qp_fail(err, "mwpm: event limit exceeded (internal error)");
        }
        heap_item it = heap_pop(s->heap, &s->heap_n);
        if (it.id & REGION_FLAG) {
            int32_t r = (int32_t)(it.id & ~REGION_FLAG);
            if (s->reg[r].ver != it.ver) continue;
            s->now = it.t;
            handle_region_event(s, r);
        } else {
            if (s->ver[it.id] != it.ver) continue;
            s->pending[it.id] = -1;
            s->now = it.t;
            handle_node_event(s, it.id);
        }
    }
    // Every top-level region must be matched; expand them into pairs.
    int64_t weight = 0;
    for (size_t r = 0; r < s->num_reg; r++) {
        region *R = &s->reg[r];
        if (!R->alive) continue;
        weight += radius(s, (int32_t)r);
        if (R->parent != NONE) continue;
        if (R->match == NONE) {
            uint32_t src = R->source != NONE ? (uint32_t)R->source : 0;
            if (R->source == NONE) {
                collect_area(s, (int32_t)r);
                src = s->source[s->list.a[0]];
            }
            reset_shot(s);
            s->num_pairs = 0;
            return qp_fail(err, "mwpm: detection event D%u can reach neither the boundary nor another event", src);
        }
        if (R->match == BOUNDARY_MATCH || (int32_t)r < R->match) {
            add_pair(s, R->match_edge);
            expand(s, (int32_t)r, R->match_edge.a);
            if (R->match != BOUNDARY_MATCH) expand(s, R->match, R->match_edge.b);
        }
    }
    uint64_t obs = 0;
    for (size_t i = 0; i < s->num_pairs; i++) obs ^= s->pair_obs[i];
    *obs_out = obs;
    *weight_out = weight;
    reset_shot(s);
    return 0;
}

int qp_mwpm_decode_b8(qp_mwpm *s, const uint8_t *dets, uint64_t *obs_out,
                                double *weight_out, qp_err *err) {
    const qp_matching_graph *g = s->g;
    size_t k = qp_matching_graph_events_b8(g, dets, s->events_buf);
    uint64_t obs;
    int64_t w;
    if (qp_mwpm_decode_events(s, s->events_buf, k, &obs, &w, err)) return -1;
    *obs_out = obs ^ g->base_obs;
    *weight_out = (double)w / g->scale + g->base_weight;
    return 0;
}

size_t qp_mwpm_last_pairs(const qp_mwpm *s, const uint32_t **pairs) {
    *pairs = s->pairs;
    return s->num_pairs;
}

// ---- path search for the correction (search) ----------------------------------------------------

static void corr_push(qp_mwpm *s, uint32_t a, uint32_t b) {
    qp_grow(s->corr, s->corr_cap, 2 * s->corr_n + 2);
    s->corr[2 * s->corr_n] = a;
    s->corr[2 * s->corr_n + 1] = b;
    s->corr_n++;
}

size_t qp_mwpm_last_correction(qp_mwpm *s, const uint32_t **edges) {
    const qp_matching_graph *g = s->g;
    s->corr_n = 0;
    for (size_t p = 0; p < s->num_pairs; p++) {
        uint32_t a = s->pairs[2 * p], b = s->pairs[2 * p + 1];
        if (b == QP_MG_BOUNDARY) {
            for (uint32_t v = a;;) {
                uint32_t nx = g->boundary_next[v];
                corr_push(s, v, nx);
                if (nx == QP_MG_BOUNDARY) break;
                v = nx;
            }
            continue;
        }
        // Dijkstra from a until b is settled.
        s->list.n = 0;
        size_t hn = 0;
        s->dist[a] = 0;
        ivec_push(&s->list, (int32_t)a);
        heap_item st = {0, a, 0};
        heap_push(&s->dheap, &hn, &s->dheap_cap, st);
        while (hn) {
            heap_item it = heap_pop(s->dheap, &hn);
            if (it.t != s->dist[it.id]) continue;
            if (it.id == b) break;
            for (uint32_t k = g->adj_start[it.id]; k < g->adj_start[it.id + 1]; k++) {
                uint32_t y = g->adj_node[k];
                int64_t nd = it.t + g->adj_weight[k];
                if (nd < s->dist[y]) {
                    if (s->dist[y] == QP_MG_INF) ivec_push(&s->list, (int32_t)y);
                    s->dist[y] = nd;
                    s->pred[y] = it.id;
                    heap_item ni = {nd, y, 0};
                    heap_push(&s->dheap, &hn, &s->dheap_cap, ni);
                }
            }
        }
        for (uint32_t v = b; v != a; v = s->pred[v]) corr_push(s, s->pred[v], v);
        for (size_t i = 0; i < s->list.n; i++) s->dist[s->list.a[i]] = QP_MG_INF;
    }
    *edges = s->corr;
    return s->corr_n;
}
