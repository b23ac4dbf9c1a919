// Backward error-sensitivity propagation from a circuit to its detector error model; see
// error_analysis.h for what it promises. Layout of this file:
//   error classes     hash table key (targets with `^`) -> probability, Stim's merge rule
//   decomposition     within one channel (its own Pauli parts), then model-wide at flush
//   the walk          gates, noise, measurements, resets, annotations, REPEAT (folded or not)
//   unreversal        the model is built back to front; finally turned around
#define _GNU_SOURCE  // qsort_r
// Probabilities must round exactly as Stim's (built without FMA) do, so that the written
// digits agree: no fused multiply-adds in this file.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#include "workers/dem/error_analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/dem/xor_set.h"
#include "workers/util/alloc.h"
#include "workers/util/rng.h"

#define SEP QP_DEM_SEPARATOR
#define OBS QP_DEM_OBS
#define IS_DET(t) (((t) & (OBS | SEP)) == 0)

// ---------------------------------------------------------------------------------------
// Error classes: key -> probability.
typedef struct {
    uint64_t off;     // key at pool[off .. off+len)
    uint32_t len;
    double p;
    const char *tag;  // the noise instruction's tag (borrowed from the circuit), or NULL
} eclass;

static int tag_cmp(const char *a, const char *b) {
    if (!a || !b) return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static uint64_t tag_hash(const char *t) {
    uint64_t h = 0;
    for (; t && *t; t++) h = qp_mix64(h ^ (unsigned char)*t);
    return h;
}

typedef struct {
    eclass *items;
    size_t n, cap;
    uint64_t *pool;
    size_t pool_n, pool_cap;
    uint32_t *slots;  // (nslots,) 0 = empty, else item index + 1
    size_t nslots;
} etable;

static uint64_t hash_key(const uint64_t *k, size_t n) {
    uint64_t h = n;
    for (size_t i = 0; i < n; i++) h = qp_mix64(h ^ k[i]);
    return h;
}

static void et_free(etable *t) {
    free(t->items);
    free(t->pool);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static void et_clear(etable *t) {
    t->n = 0;
    t->pool_n = 0;
    if (t->slots) memset(t->slots, 0, t->nslots * sizeof *t->slots);
}

static void et_rehash(etable *t) {
    size_t ns = t->nslots ? t->nslots * 2 : 1024;
    free(t->slots);
    t->slots = qp_calloc(ns, sizeof *t->slots);
    t->nslots = ns;
    for (size_t i = 0; i < t->n; i++) {
        size_t s = (hash_key(t->pool + t->items[i].off, t->items[i].len) ^ tag_hash(t->items[i].tag)) & (ns - 1);
        while (t->slots[s]) s = (s + 1) & (ns - 1);
        t->slots[s] = (uint32_t)(i + 1);
    }
}

// Adds probability p to the class (key, tag), creating it if new (p combined as independent).
static void et_add(etable *t, const uint64_t *key, size_t n, const char *tag, double p) {
    if (n == 0 || p == 0) return;
    if (tag && !*tag) tag = NULL;
    if ((t->n + 1) * 2 > t->nslots) et_rehash(t);
    uint64_t h = hash_key(key, n) ^ tag_hash(tag);
    size_t s = h & (t->nslots - 1);
    while (t->slots[s]) {
        eclass *e = &t->items[t->slots[s] - 1];
        if (e->len == n && memcmp(t->pool + e->off, key, n * sizeof *key) == 0 && tag_cmp(e->tag, tag) == 0) {
            e->p = e->p * (1 - p) + (1 - e->p) * p;
            return;
        }
        s = (s + 1) & (t->nslots - 1);
    }
    int inside = t->pool && key >= t->pool && key < t->pool + t->pool_n;
    size_t key_off = inside ? (size_t)(key - t->pool) : 0;
    qp_grow(t->pool, t->pool_cap, t->pool_n + n);
    if (inside) key = t->pool + key_off;
    memcpy(t->pool + t->pool_n, key, n * sizeof *key);
    qp_grow(t->items, t->cap, t->n + 1);
    t->items[t->n] = (eclass){t->pool_n, (uint32_t)n, p, tag};
    t->pool_n += n;
    t->n++;
    t->slots[s] = (uint32_t)t->n;
}

static int key_cmp(const uint64_t *a, size_t na, const uint64_t *b, size_t nb) {
    size_t n = na < nb ? na : nb;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return na < nb ? -1 : na > nb;
}

static int cmp_class(const void *x, const void *y, void *ctx) {
    const etable *t = ctx;
    const eclass *a = &t->items[*(const size_t *)x], *b = &t->items[*(const size_t *)y];
    int c = key_cmp(t->pool + a->off, a->len, t->pool + b->off, b->len);
    return c ? c : tag_cmp(a->tag, b->tag);
}

// Indices of live classes (p != 0), sorted by key. Caller frees.
static size_t *sorted_live(const etable *t, size_t *count) {
    size_t *idx = qp_malloc((t->n ? t->n : 1) * sizeof *idx), m = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->items[i].p != 0) idx[m++] = i;
    qsort_r(idx, m, sizeof *idx, cmp_class, (void *)t);
    *count = m;
    return idx;
}

// ---------------------------------------------------------------------------------------
// Known graphlike components: (d1, d2) or (d1, NONE) -> component targets (pool range).
#define NONE UINT64_MAX
typedef struct {
    uint64_t d1, d2, off;
    uint32_t len, used;
} known_entry;

typedef struct {
    known_entry *e;
    size_t n;  // power of two
} known_map;

static known_entry *known_slot(known_map *m, uint64_t d1, uint64_t d2) {
    size_t s = qp_mix64(d1 * 31 + qp_mix64(d2)) & (m->n - 1);
    while (m->e[s].used && (m->e[s].d1 != d1 || m->e[s].d2 != d2)) s = (s + 1) & (m->n - 1);
    return &m->e[s];
}

static const known_entry *known_find(known_map *m, uint64_t d1, uint64_t d2) {
    known_entry *k = known_slot(m, d1, d2);
    return k->used ? k : NULL;
}

// ---------------------------------------------------------------------------------------
// The analyzer state.
typedef struct {
    const qp_circuit *c;
    int decompose, fold, accumulate, emit, strict;
    uint32_t nq;
    qp_xor_set *xs;        // (nq,) xs[q]: targets flipped by an X error on q at this point
    qp_xor_set *zs;        // (nq,) zs[q]: targets flipped by a Z error on q
    qp_xor_set *ring;      // (ring_len,) ring[i % ring_len]: targets using measurement i (unsorted)
    uint64_t ring_len;
    uint64_t meas_remaining;  // measurements before the current point (forward count)
    uint64_t det_total, det_used;
    etable classes;
    qp_dem_block *rev;     // reversed model being built (NULL when not emitting)
    uint64_t *tmp;         // merge scratch
    size_t tmp_cap;
    uint64_t *cb;          // channel combination scratch
    size_t cb_cap;
    qp_err *err;
} analyzer;

static uint64_t *scratch(analyzer *a, size_t n) {
    qp_grow(a->tmp, a->tmp_cap, n + 1);
    return a->tmp;
}

static void set_xor(analyzer *a, qp_xor_set *s, const uint64_t *v, size_t n) {
    if (!n) return;
    uint64_t *t = scratch(a, s->n + n);
    qp_xor_set_xor(s, v, n, t);
}

static int cmp_u64(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void canonical_set(qp_xor_set *s) {
    if (s->n < 2) return;
    qsort(s->v, s->n, sizeof *s->v, cmp_u64);
    uint32_t w = 0;
    for (uint32_t i = 0; i < s->n;) {
        uint32_t j = i;
        while (j < s->n && s->v[j] == s->v[i]) j++;
        if ((j - i) & 1) s->v[w++] = s->v[i];
        i = j;
    }
    s->n = w;
}

static void add_error(analyzer *a, double p, const uint64_t *key, size_t n, const char *tag) {
    if (a->accumulate) et_add(&a->classes, key, n, tag, p);
}

static int detector_coords(const qp_circuit *c, uint64_t id, double *coords, int max_coords);

// ---------------------------------------------------------------------------------------
// Gauge (determinism) check.
static int gauge_fail(analyzer *a, const uint64_t *v, size_t n, const char *what, uint32_t q,
                      const qp_instr *in) {
    if (n == 0) return 0;
    uint64_t t = v[0];
    for (size_t i = 0; i < n; i++)
        if (!IS_DET(v[i])) t = v[i];  // name an observable first: it is the worse news
    char where[96];
    if (in && in->line) snprintf(where, sizeof where, " (circuit line %u)", in->line);
    else where[0] = 0;
    if (!IS_DET(t))
        return qp_fail(a->err,
                       "observable L%llu is not deterministic: it anticommutes with %s on qubit %u%s",
                       (unsigned long long)(t & ~OBS), what, q, where);
    double coords[16];
    int nc = detector_coords(a->c, t, coords, 16);
    char cs[256] = "";
    if (nc > 0) {
        size_t w = (size_t)snprintf(cs, sizeof cs, " at coords (");
        for (int i = 0; i < nc && i < 16 && w < sizeof cs; i++)
            w += (size_t)snprintf(cs + w, sizeof cs - w, "%s%g", i ? ", " : "", coords[i]);
        if (w < sizeof cs) snprintf(cs + w, sizeof cs - w, ")");
    }
    return qp_fail(a->err,
                   "detector D%llu%s is not deterministic: it anticommutes with %s on qubit %u%s",
                   (unsigned long long)t, cs, what, q, where);
}

static int gauge_xor_fail(analyzer *a, uint32_t q, const char *what, const qp_instr *in) {
    qp_xor_set *x = &a->xs[q], *z = &a->zs[q];
    if (qp_xor_set_eq(x, z)) return 0;
    uint64_t *t = scratch(a, x->n + z->n);
    size_t n = qp_xor_merge(x->v, x->n, z->v, z->n, t);
    uint64_t *copy = qp_malloc(n * sizeof *copy);
    if (n) memcpy(copy, t, n * sizeof *copy);
    int rc = gauge_fail(a, copy, n, what, q, in);
    free(copy);
    return rc;
}

// ---------------------------------------------------------------------------------------
// Noise channels made of s basis errors (e.g. X and Z): all 2^s - 1 combinations.
static int decompose_combinations(analyzer *a, int s, const uint64_t *mask, size_t *off,
                                  size_t *len) {
    int K = 1 << s;
    int cnt[16];
    uint64_t solved = 0, single_union = 0;
    for (int k = 0; k < K; k++) cnt[k] = __builtin_popcountll(mask[k]);
    for (int k = 1; k < K; k++)
        if (cnt[k] == 1) single_union |= mask[k], solved |= 1ull << k;
    int pairs[16], np = 0;
    for (int k = 1; k < K; k++)
        if (cnt[k] == 2 && (mask[k] & ~single_union)) pairs[np++] = k, solved |= 1ull << k;
    for (int k = 1; k < K; k++) {
        if (!cnt[k] || ((solved >> k) & 1)) continue;
        size_t start = 0;
        for (int j = 0; j < K; j++)
            if (off[j] + len[j] > start) start = off[j] + len[j];
        size_t w = start;
#define APPEND(j)                                                                   \
    do {                                                                            \
        if (len[j]) memcpy(a->cb + w, a->cb + off[j], len[j] * sizeof *a->cb);      \
        w += len[j];                                                                \
        a->cb[w++] = SEP;                                                           \
    } while (0)
        uint64_t goal = mask[k], rem;
        if ((goal & ~single_union) == 0) {
            rem = goal;
        } else {
            int found = 0;
            for (int i = 0; i < np && !found; i++) {
                uint64_t m = mask[pairs[i]];
                if ((goal & m) == m && (goal & ~(single_union | m)) == 0) {
                    APPEND(pairs[i]);
                    rem = goal & ~m;
                    found = 1;
                }
            }
            for (int i1 = 0; i1 < np && !found; i1++) {
                for (int i2 = i1 + 1; i2 < np && !found; i2++) {
                    int k1 = pairs[i1], k2 = pairs[i2];
                    uint64_t m1 = mask[k1], m2 = mask[k2];
                    if ((m1 & m2) == 0 && (goal & m1) == m1 && (goal & m2) == m2 &&
                        (goal & ~(single_union | m1 | m2)) == 0) {
                        if (key_cmp(a->cb + off[k2], len[k2], a->cb + off[k1], len[k1]) < 0) {
                            int t = k1;
                            k1 = k2;
                            k2 = t;
                        }
                        APPEND(k1);
                        APPEND(k2);
                        rem = goal & ~(m1 | m2);
                        found = 1;
                    }
                }
            }
            if (!found) {
                APPEND(k);
                rem = 0;
            }
        }
        for (int k2 = 0; rem && k2 < K; k2++) {
            if (cnt[k2] == 1 && (mask[k2] & ~rem) == 0) {
                rem &= ~mask[k2];
                APPEND(k2);
            }
        }
#undef APPEND
        if (w > start) w--;  // final separator
        off[k] = start;
        len[k] = w - start;
    }
    return 0;
}

// probs[k] is the probability of combination k (bit j: basis error j present). With
// `disjoint`, probs are exclusive-case probabilities used as independent ones (an
// approximation); cases that differ by an invisible combination are merged first.
static int add_combinations(analyzer *a, int s, const double *probs_in, const qp_xor_set *const *basis,
                            int disjoint, const qp_instr *in) {
    double probs[16];
    memcpy(probs, probs_in, sizeof(double) << s);
    int K = 1 << s;
    size_t total = 0;
    for (int k = 0; k < s; k++) total += basis[k]->n;
    qp_grow(a->cb, a->cb_cap, (size_t)K * (3 * total + 8) + 16);
    size_t off[16] = {0}, len[16] = {0}, w = 0;
    uint64_t mask[16] = {0};
    uint64_t involved[64];
    int ni = 0;
    for (int k = 0; k < s; k++) {
        off[1 << k] = w;
        len[1 << k] = basis[k]->n;
        if (basis[k]->n) memcpy(a->cb + w, basis[k]->v, basis[k]->n * sizeof *a->cb);
        w += basis[k]->n;
        if (!a->decompose) continue;
        for (uint32_t i = 0; i < basis[k]->n; i++) {
            uint64_t id = basis[k]->v[i];
            if (!IS_DET(id)) continue;
            int r = 0;
            while (r < ni && involved[r] != id) r++;
            if (r == ni) {
                if (ni == 64)
                    return qp_fail(a->err, "circuit line %u: a noise channel touches more than 64 detectors",
                                   in->line);
                involved[ni++] = id;
            }
            mask[1 << k] ^= 1ull << r;
        }
    }
    for (int k = 3; k < K; k++) {
        int c1 = k & (k - 1), c2 = k ^ c1;
        if (!c1) continue;
        off[k] = w;
        len[k] = qp_xor_merge(a->cb + off[c1], len[c1], a->cb + off[c2], len[c2], a->cb + w);
        w += len[k];
        mask[k] = mask[c1] ^ mask[c2];
    }
    if (a->decompose && decompose_combinations(a, s, mask, off, len) < 0) return -1;
    if (disjoint) {
        for (int k = 1; k < K; k++) {
            if (len[k]) continue;
            for (int dst = 0; dst < K; dst++) {
                int src = dst ^ k;
                if (src > dst) {
                    probs[dst] += probs[src];
                    probs[src] = 0;
                }
            }
        }
    }
    for (int k = 1; k < K; k++) add_error(a, probs[k], a->cb + off[k], len[k], in->tag);
    return 0;
}

// ---------------------------------------------------------------------------------------
// Model-wide decomposition of what the channels could not split themselves.
static int is_graphlike(const uint64_t *k, size_t n) {
    int c = 0;
    for (size_t i = 0; i < n; i++) {
        if (k[i] == SEP) c = 0;
        else if (IS_DET(k[i]) && ++c > 2) return 0;
    }
    return 1;
}

static uint64_t obs_mask(const uint64_t *k, size_t n) {
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (k[i] != SEP && !IS_DET(k[i])) m ^= 1ull << ((k[i] & ~OBS) & 63);
    return m;
}

// The search is exponential in the worst case (errors flipping dozens of detectors); past
// this many steps it gives up and the remnant-edge fallback takes over.
#define BRUTE_FORCE_BUDGET 200000

typedef struct {
    known_map *known;
    const uint64_t *pool;
    const known_entry *stack[64];
    int depth;
    long budget;
} bf_ctx;

static int brute_force(bf_ctx *x, const uint64_t *prob, int n, int start, uint64_t used,
                       uint64_t obs_rem) {
    if (--x->budget < 0) return 0;
    while (start < n && ((used >> start) & 1)) start++;
    if (start >= n) return obs_rem == 0;
    used |= 1ull << start;
    for (int k = start + 1; k <= n; k++) {
        const known_entry *m;
        if (k < n) {
            if ((used >> k) & 1) continue;
            used ^= 1ull << k;
            m = known_find(x->known, prob[start], prob[k]);
        } else {
            m = known_find(x->known, prob[start], NONE);
        }
        if (m) {
            x->stack[x->depth++] = m;
            if (brute_force(x, prob, n, start + 1, used, obs_rem ^ obs_mask(x->pool + m->off, m->len)))
                return 1;
            x->depth--;
        }
        if (k < n) used ^= 1ull << k;
    }
    return 0;
}

// Appends the decomposition of one component (prob[0..n)) to out (with trailing `^`).
static int decompose_component(analyzer *a, known_map *known, const uint64_t *pool,
                               const uint64_t *prob, int n, uint64_t **out, size_t *out_n,
                               size_t *out_cap) {
    if (n >= 64) return qp_fail(a->err, "cannot decompose an error with 64 or more targets");
    for (int i = 0; i < n; i++)
        if (!IS_DET(prob[i]) && (prob[i] & ~OBS) >= 64)
            return qp_fail(a->err, "cannot decompose errors flipping observables L64 and above");
    uint64_t used = 0;
    int ndet = 0;
    for (int i = 0; i < n; i++) {
        if (!IS_DET(prob[i])) used |= 1ull << i;
        else ndet++;
    }
    bf_ctx x = {known, pool, {0}, 0, BRUTE_FORCE_BUDGET};
    if (ndet > 0 && brute_force(&x, prob, n, 0, used, obs_mask(prob, (size_t)n))) {
        for (int i = 0; i < x.depth; i++) {
            qp_grow(*out, *out_cap, *out_n + x.stack[i]->len + 1);
            if (x.stack[i]->len) memcpy(*out + *out_n, pool + x.stack[i]->off, x.stack[i]->len * sizeof **out);
            *out_n += x.stack[i]->len;
            (*out)[(*out_n)++] = SEP;
        }
        return 0;
    }
    if (ndet <= 2) {
        qp_grow(*out, *out_cap, *out_n + (size_t)n + 1);
        if (n) memcpy(*out + *out_n, prob, (size_t)n * sizeof **out);
        *out_n += (size_t)n;
        (*out)[(*out_n)++] = SEP;
        return 0;
    }
    // Remnant edges: pair up what is known, leave at most two detectors as a new edge.
    size_t rollback = *out_n;
    qp_xor_set sparse = {0};
    qp_xor_set_assign(&sparse, prob, (size_t)n);
    uint64_t done = used;
    for (int k = 0; k < n; k++) {
        if ((done >> k) & 1) continue;
        for (int k2 = k + 1; k2 < n; k2++) {
            if ((done >> k2) & 1) continue;
            const known_entry *m = known_find(known, prob[k], prob[k2]);
            if (m) {
                done |= (1ull << k) | (1ull << k2);
                qp_grow(*out, *out_cap, *out_n + m->len + 1);
                if (m->len) memcpy(*out + *out_n, pool + m->off, m->len * sizeof **out);
                *out_n += m->len;
                (*out)[(*out_n)++] = SEP;
                set_xor(a, &sparse, pool + m->off, m->len);
                break;
            }
        }
    }
    int missed = 0;
    for (int k = 0; k < n; k++) {
        if (!((done >> k) & 1)) {
            const known_entry *m = known_find(known, prob[k], NONE);
            if (m) {
                done |= 1ull << k;
                qp_grow(*out, *out_cap, *out_n + m->len + 1);
                if (m->len) memcpy(*out + *out_n, pool + m->off, m->len * sizeof **out);
                *out_n += m->len;
                (*out)[(*out_n)++] = SEP;
                set_xor(a, &sparse, pool + m->off, m->len);
            }
        }
        missed += !((done >> k) & 1);
    }
    if (missed <= 2) {
        if (sparse.n) {
            qp_grow(*out, *out_cap, *out_n + sparse.n + 1);
            memcpy(*out + *out_n, sparse.v, sparse.n * sizeof **out);
            *out_n += sparse.n;
            (*out)[(*out_n)++] = SEP;
        }
        free(sparse.v);
        return 0;
    }
    free(sparse.v);
    *out_n = rollback;
    char buf[256];
    size_t w = 0;
    for (int i = 0; i < n && w + 24 < sizeof buf; i++)
        w += (size_t)snprintf(buf + w, sizeof buf - w, IS_DET(prob[i]) ? " D%llu" : " L%llu",
                              (unsigned long long)(prob[i] & ~OBS));
    return qp_fail(a->err, "failed to decompose error%s into graphlike components", buf);
}

static int global_decomposition(analyzer *a) {
    etable *t = &a->classes;
    size_t m;
    size_t *idx = sorted_live(t, &m);
    int any = 0;
    for (size_t i = 0; i < m && !any; i++)
        any = !is_graphlike(t->pool + t->items[idx[i]].off, t->items[idx[i]].len);
    if (!any) {
        free(idx);
        return 0;
    }
    known_map known = {0};
    known.n = 1024;
    while (known.n < 4 * t->n + 16) known.n *= 2;
    known.e = qp_calloc(known.n, sizeof *known.e);
    for (size_t i = 0; i < m; i++) {
        const eclass *e = &t->items[idx[i]];
        const uint64_t *k = t->pool + e->off;
        size_t start = 0;
        uint64_t d[3];
        int nd = 0, wide_obs = 0;
        for (size_t j = 0; j <= e->len; j++) {
            if (j == e->len || k[j] == SEP) {
                if ((nd == 1 || nd == 2) && !wide_obs) {
                    known_entry *s = known_slot(&known, d[0], nd == 2 ? d[1] : NONE);
                    *s = (known_entry){d[0], nd == 2 ? d[1] : NONE, e->off + start,
                                       (uint32_t)(j - start), 1};
                }
                nd = 0;
                wide_obs = 0;
                start = j + 1;
            } else if (IS_DET(k[j])) {
                if (nd < 3) d[nd] = k[j];
                nd++;
            } else if ((k[j] & ~OBS) >= 64) {
                wide_obs = 1;  // observable masks below are 64-bit
            }
        }
    }
    // Rewrites: (class index, key in rw).
    uint64_t *rw = NULL;
    size_t rw_n = 0, rw_cap = 0;
    size_t *rw_class = qp_malloc((m ? m : 1) * sizeof *rw_class);
    size_t *rw_off = qp_malloc((m ? m : 1) * sizeof *rw_off);
    size_t *rw_len = qp_malloc((m ? m : 1) * sizeof *rw_len);
    size_t nrw = 0;
    int rc = 0;
    for (size_t i = 0; i < m && rc == 0; i++) {
        const eclass *e = &t->items[idx[i]];
        const uint64_t *k = t->pool + e->off;
        if (is_graphlike(k, e->len)) continue;
        size_t begin = rw_n, start = 0;
        for (size_t j = 0; j <= e->len && rc == 0; j++) {
            if (j == e->len || k[j] == SEP) {
                rc = decompose_component(a, &known, t->pool, k + start, (int)(j - start), &rw,
                                         &rw_n, &rw_cap);
                start = j + 1;
            }
        }
        if (rw_n > begin) rw_n--;
        rw_class[nrw] = idx[i];
        rw_off[nrw] = begin;
        rw_len[nrw] = rw_n - begin;
        nrw++;
    }
    if (rc == 0) {
        for (size_t r = 0; r < nrw; r++) {
            double p = t->items[rw_class[r]].p;
            const char *tag = t->items[rw_class[r]].tag;
            t->items[rw_class[r]].p = 0;
            et_add(t, rw + rw_off[r], rw_len[r], tag, p);
        }
    }
    free(rw);
    free(rw_class);
    free(rw_off);
    free(rw_len);
    free(known.e);
    free(idx);
    return rc;
}

// Writes the accumulated errors into the reversed model (descending, so ascending once
// turned around) and empties the table.
static int flush(analyzer *a) {
    if (!a->emit) {
        et_clear(&a->classes);
        return 0;
    }
    if (a->decompose && global_decomposition(a) < 0) return -1;
    size_t m;
    size_t *idx = sorted_live(&a->classes, &m);
    for (size_t i = m; i-- > 0;) {
        const eclass *e = &a->classes.items[idx[i]];
        qp_dem_instr *out = qp_dem_block_append(a->rev, QP_DEM_ERROR, &e->p, 1, a->classes.pool + e->off, e->len);
        if (e->tag) out->tag = qp_strdup(e->tag);
    }
    free(idx);
    et_clear(&a->classes);
    return 0;
}

// ---------------------------------------------------------------------------------------
// The backward walk.
static int run_block(analyzer *a, const qp_block *b);

static int measure(analyzer *a, uint32_t q, char basis, double p, const qp_instr *in,
                   const char *what) {
    uint64_t i = --a->meas_remaining;
    qp_xor_set *d = &a->ring[i % a->ring_len];
    canonical_set(d);
    if (p > 0) add_error(a, p, d->v, d->n, in->tag);
    int rc = 0;
    if (basis == 'Z') {
        set_xor(a, &a->xs[q], d->v, d->n);
        rc = gauge_fail(a, a->zs[q].v, a->zs[q].n, what, q, in);
    } else if (basis == 'X') {
        set_xor(a, &a->zs[q], d->v, d->n);
        rc = gauge_fail(a, a->xs[q].v, a->xs[q].n, what, q, in);
    } else {
        set_xor(a, &a->xs[q], d->v, d->n);
        set_xor(a, &a->zs[q], d->v, d->n);
        rc = gauge_xor_fail(a, q, what, in);
    }
    d->n = 0;
    return rc;
}

static int reset(analyzer *a, uint32_t q, char basis, const qp_instr *in, const char *what) {
    int rc;
    if (basis == 'Z') rc = gauge_fail(a, a->zs[q].v, a->zs[q].n, what, q, in);
    else if (basis == 'X') rc = gauge_fail(a, a->xs[q].v, a->xs[q].n, what, q, in);
    else rc = gauge_xor_fail(a, q, what, in);
    a->xs[q].n = 0;
    a->zs[q].n = 0;
    return rc;
}

static void xor_into(analyzer *a, qp_xor_set *dst, const qp_xor_set *src) {
    if (dst == src) {
        dst->n = 0;
        return;
    }
    set_xor(a, dst, src->v, src->n);
}

// Independent X, Y, Z probabilities (ix, iy, iz) whose combined effect has the exclusive
// probabilities (x, y, z), when such exist (Stim's conversion for PAULI_CHANNEL_1). Solved in
// closed form: with s_uv = sqrt(1 - 2u - 2v), ix = 1/2 - 1/2 s_xz s_xy / s_yz and cyclically.
// When identity is not the most likely case the channel is first multiplied by the most
// likely Pauli P, which swaps I<->P and the other two, and P's independent part becomes 1 - it.
// Returns -1 when no independent form exists.
static int disjoint_to_independent_xyz(double x, double y, double z, double *ix, double *iy,
                                       double *iz) {
    if (x < 0 || y < 0 || z < 0 || x + y + z > 1) return -1;
    double i = 1.0 - x - y - z;
    if (i < 0) i = 0;
    if (i < x) {
        if (disjoint_to_independent_xyz(i, z, y, ix, iy, iz) < 0) return -1;
        *ix = 1 - *ix;
        return 0;
    }
    if (i < y) {
        if (disjoint_to_independent_xyz(z, i, x, ix, iy, iz) < 0) return -1;
        *iy = 1 - *iy;
        return 0;
    }
    if (i < z) {
        if (disjoint_to_independent_xyz(y, x, i, ix, iy, iz) < 0) return -1;
        *iz = 1 - *iz;
        return 0;
    }
    if (!(x + z < 0.5 && x + y < 0.5 && y + z < 0.5)) return -1;
    double s_xz = sqrt(1 - 2 * x - 2 * z), s_xy = sqrt(1 - 2 * x - 2 * y), s_yz = sqrt(1 - 2 * y - 2 * z);
    double a = 0.5 - 0.5 * s_xz * s_xy / s_yz;
    double b = 0.5 - 0.5 * s_xy * s_yz / s_xz;
    double c = 0.5 - 0.5 * s_xz * s_yz / s_xy;
    if (!(a >= 0 && b >= 0 && c >= 0)) return -1;
    *ix = a, *iy = b, *iz = c;
    return 0;
}

// ---------------------------------------------------------------------------------------
// The whole gate set beyond the surface-code gates: frame actions, Pauli products, heralds.

static uint32_t term_pauli(uint32_t t, uint32_t pauli) { return pauli ? pauli : (t & QP_TARGET_PAULI); }

// dst ^= the targets flipped by Pauli `pauli` (QP_TARGET_PAULI_X/Z bits) on q.
static void xor_pauli_sens(analyzer *a, qp_xor_set *dst, uint32_t q, uint32_t pauli) {
    if (pauli & QP_TARGET_PAULI_X) set_xor(a, dst, a->xs[q].v, a->xs[q].n);
    if (pauli & QP_TARGET_PAULI_Z) set_xor(a, dst, a->zs[q].v, a->zs[q].n);
}

static void undo_feedback(analyzer *a, const qp_instr *in, uint32_t bit, uint32_t q, int bit_first);

// Any unitary of the table from its frame action, undone: the sensitivity of generator k
// before the gate is the XOR of the sensitivities (after it) of the generators in its image.
static void undo_unitary(analyzer *a, const qp_instr *in) {
    qp_gate_frame f;
    if (qp_gate_frame_of(in->gate, &f) < 0) return;
    int group = qp_gate_table[in->gate].num_qubits_per_target_group, ng = 2 * group;
    const uint32_t bits = QP_TARGET_REC | QP_TARGET_SWEEP;
    for (uint32_t k = in->num_targets; k >= (uint32_t)group; k -= (uint32_t)group) {
        uint32_t ta = in->targets[k - group], tb = in->targets[k - 1];
        if ((ta | tb) & bits) {  // classically controlled (XCZ 0 rec[-1], YCZ ...): not a qubit pair
            if (group == 2 && !((ta & bits) && (tb & bits)))
                undo_feedback(a, in, (ta & bits) ? ta : tb, ((ta & bits) ? tb : ta) & QP_TARGET_VALUE_MASK,
                              (ta & bits) != 0);
            continue;
        }
        uint32_t qa = ta & QP_TARGET_VALUE_MASK, qb = tb & QP_TARGET_VALUE_MASK;
        qp_xor_set *old[4] = {&a->xs[qa], &a->zs[qa], &a->xs[qb], &a->zs[qb]};
        qp_xor_set nw[4] = {{0}};
        for (int j = 0; j < ng; j++)
            for (int i = 0; i < ng; i++)
                if ((f.img[j] >> i) & 1) set_xor(a, &nw[j], old[i]->v, old[i]->n);
        for (int j = 0; j < ng; j++) {
            free(old[j]->v);
            *old[j] = nw[j];
        }
    }
}

// Feedback `CX rec[-k] q` (and CY CZ XCZ YCZ with the bit on the control side): the Pauli
// lands where the measurement flipped, so the measurement gains the Pauli's sensitivity.
static void undo_feedback(analyzer *a, const qp_instr *in, uint32_t bit, uint32_t q, int bit_first) {
    if (!(bit & QP_TARGET_REC)) return;  // sweep bits are 0
    uint8_t img = qp_gate_feedback_pauli(in->gate, bit_first);
    qp_xor_set *r = &a->ring[(a->meas_remaining - (bit & QP_TARGET_VALUE_MASK)) % a->ring_len];
    canonical_set(r);
    xor_pauli_sens(a, r, q, (img & 1 ? QP_TARGET_PAULI_X : 0) | (img & 2 ? QP_TARGET_PAULI_Z : 0));
}

// out ^= the targets flipped by the product as an error (the ones anticommuting with it).
static void product_sens(analyzer *a, const uint32_t *terms, uint32_t n, uint32_t pauli, qp_xor_set *out) {
    for (uint32_t k = 0; k < n; k++)
        if (!(terms[k] & QP_TARGET_COMBINER)) xor_pauli_sens(a, out, terms[k] & QP_TARGET_VALUE_MASK, term_pauli(terms[k], pauli));
}

// Multiplies the sensitivity of the targets v[0..nv) by the product: every error that
// anticommutes with the product now also flips them.
static void multiply_sens(analyzer *a, const uint32_t *terms, uint32_t n, uint32_t pauli, const uint64_t *v, size_t nv) {
    for (uint32_t k = 0; k < n; k++) {
        if (terms[k] & QP_TARGET_COMBINER) continue;
        uint32_t q = terms[k] & QP_TARGET_VALUE_MASK, p = term_pauli(terms[k], pauli);
        if (p & QP_TARGET_PAULI_Z) set_xor(a, &a->xs[q], v, nv);
        if (p & QP_TARGET_PAULI_X) set_xor(a, &a->zs[q], v, nv);
    }
}

// A product measurement, undone: its detectors become sensitive to every error that
// anticommutes with the product; any detector whose own Pauli anticommutes with the product
// would be random (gauge).
static int undo_product_measurement(analyzer *a, const qp_instr *in, const uint32_t *terms, uint32_t n,
                                    uint32_t pauli) {
    uint64_t i = --a->meas_remaining;
    qp_xor_set *d = &a->ring[i % a->ring_len];
    canonical_set(d);
    if (in->num_args && in->args[0] > 0) add_error(a, in->args[0], d->v, d->n, in->tag);
    multiply_sens(a, terms, n, pauli, d->v, d->n);
    qp_xor_set gauge = {0};
    product_sens(a, terms, n, pauli, &gauge);
    const char *what = in->gate == QP_GATE_MPP ? "a Pauli product measurement (MPP)"
                       : in->gate == QP_GATE_MXX ? "an X-basis pair measurement (MXX)"
                       : in->gate == QP_GATE_MYY ? "a Y-basis pair measurement (MYY)"
                                                 : "a Z-basis pair measurement (MZZ)";
    int rc = gauge_fail(a, gauge.v, gauge.n, what, terms[0] & QP_TARGET_VALUE_MASK, in);
    free(gauge.v);
    d->n = 0;
    return rc;
}

// SPP / SPP_DAG, undone: an error anticommuting with P becomes itself times P.
static int undo_spp(analyzer *a, const qp_instr *in, const uint32_t *terms, uint32_t n, uint32_t pauli) {
    (void)in;
    qp_xor_set t = {0};
    product_sens(a, terms, n, pauli, &t);
    multiply_sens(a, terms, n, pauli, t.v, t.n);
    free(t.v);
    return 0;
}

// Calls fn on the products of an MPP/SPP/MXX... instruction, last product first.
typedef int (*product_fn)(analyzer *a, const qp_instr *in, const uint32_t *terms, uint32_t n, uint32_t pauli);

static int for_each_product_reversed(analyzer *a, const qp_instr *in, product_fn fn) {
    qp_product *pr = qp_malloc((in->num_targets + 1) * sizeof *pr);
    int rc = 0;
    for (uint32_t k = qp_instr_products(in, pr); k-- > 0 && rc == 0;)
        rc = fn(a, in, in->targets + pr[k].start, pr[k].end - pr[k].start, pr[k].pauli);
    free(pr);
    return rc;
}

static int needs_disjoint(analyzer *a, const qp_instr *in) {
    return qp_fail(a->err, "circuit line %u: %s has disjoint cases without an exact independent form; "
                   "analysing it needs --approximate-disjoint-errors (as Stim's --approximate_disjoint_errors)",
                   in->line, qp_gate_table[in->gate].name);
}

static int nonzero_args(const qp_instr *in) {
    int n = 0;
    for (uint32_t k = 0; k < in->num_args; k++) n += in->args[k] > 0;
    return n;
}

// HERALDED_ERASE / HERALDED_PAULI_CHANNEL_1: per target the herald with I, X, Y or Z, as
// disjoint cases (Stim's combination order: Z-flip set, X-flip set, herald).
static int undo_heralded(analyzer *a, const qp_instr *in) {
    int erase = in->gate == QP_GATE_HERALDED_ERASE;
    if (a->strict && (erase || nonzero_args(in) > 1)) return needs_disjoint(a, in);
    double probs[8] = {0};
    if (erase) {
        double p = in->args[0] * 0.25;
        probs[4] = probs[5] = probs[6] = probs[7] = p;
    } else {
        probs[4] = in->args[0], probs[5] = in->args[3], probs[6] = in->args[1], probs[7] = in->args[2];
    }
    for (uint32_t k = in->num_targets; k-- > 0;) {
        uint32_t q = in->targets[k] & QP_TARGET_VALUE_MASK;
        uint64_t i = --a->meas_remaining;
        qp_xor_set *d = &a->ring[i % a->ring_len];
        canonical_set(d);
        const qp_xor_set *basis[3] = {&a->zs[q], &a->xs[q], d};
        if (a->accumulate && add_combinations(a, 3, probs, basis, 1, in) < 0) return -1;
        d->n = 0;
    }
    return 0;
}

static int undo_mpad(analyzer *a, const qp_instr *in) {
    for (uint32_t k = in->num_targets; k-- > 0;) {
        uint64_t i = --a->meas_remaining;
        qp_xor_set *d = &a->ring[i % a->ring_len];
        canonical_set(d);
        if (in->num_args && in->args[0] > 0) add_error(a, in->args[0], d->v, d->n, in->tag);
        d->n = 0;
    }
    return 0;
}

// E / ELSE_CORRELATED_ERROR at blk->instrs[i]: its probability given that no earlier link of
// its chain fired, p_i prod_{j<i}(1 - p_j), as an independent error (Stim's approximation).
static int undo_correlated(analyzer *a, const qp_block *blk, size_t i) {
    const qp_instr *in = &blk->instrs[i];
    size_t j = i;
    while (j > 0 && blk->instrs[j].gate == QP_GATE_ELSE_CORRELATED_ERROR) j--;
    if (blk->instrs[j].gate != QP_GATE_E)
        return qp_fail(a->err, "circuit line %u: ELSE_CORRELATED_ERROR wasn't preceded by ELSE_CORRELATED_ERROR or CORRELATED_ERROR (E)",
                       in->line);
    int chained = i > j || (i + 1 < blk->num_instrs && blk->instrs[i + 1].gate == QP_GATE_ELSE_CORRELATED_ERROR);
    if (chained && a->strict) return needs_disjoint(a, in);
    if (!a->accumulate) return 0;
    double remaining = 1;
    for (size_t k = j; k < i; k++) remaining *= 1 - blk->instrs[k].args[0];
    qp_xor_set e = {0};
    for (uint32_t k = 0; k < in->num_targets; k++)
        xor_pauli_sens(a, &e, in->targets[k] & QP_TARGET_VALUE_MASK, in->targets[k] & QP_TARGET_PAULI);
    add_error(a, in->args[0] * remaining, e.v, e.n, in->tag);
    free(e.v);
    return 0;
}

static int run_instr(analyzer *a, const qp_instr *in) {
    const uint32_t *t = in->targets;
    uint32_t n = in->num_targets;
    double p0 = in->num_args ? in->args[0] : 0;
    const qp_gate_info *gi = &qp_gate_table[in->gate];
    for (uint32_t k = 0; k < n && !gi->is_annotation && in->gate != QP_GATE_MPAD; k++)
        if (!(t[k] & (QP_TARGET_REC | QP_TARGET_SWEEP | QP_TARGET_COMBINER)) && (t[k] & QP_TARGET_VALUE_MASK) >= a->nq)
            return qp_fail(a->err, "circuit line %u: qubit out of range", in->line);
#define Q(k) (t[k] & QP_TARGET_VALUE_MASK)
    switch (in->gate) {
    case QP_GATE_R:
    case QP_GATE_RX:
    case QP_GATE_RY: {
        char b = in->gate == QP_GATE_R ? 'Z' : in->gate == QP_GATE_RX ? 'X' : 'Y';
        const char *w = b == 'Z' ? "a Z-basis reset (R)" : b == 'X' ? "an X-basis reset (RX)" : "a Y-basis reset (RY)";
        for (uint32_t k = n; k-- > 0;)
            if (reset(a, Q(k), b, in, w) < 0) return -1;
        break;
    }
    case QP_GATE_M:
    case QP_GATE_MX:
    case QP_GATE_MY: {
        char b = in->gate == QP_GATE_M ? 'Z' : in->gate == QP_GATE_MX ? 'X' : 'Y';
        const char *w = b == 'Z' ? "a Z-basis measurement (M)" : b == 'X' ? "an X-basis measurement (MX)" : "a Y-basis measurement (MY)";
        for (uint32_t k = n; k-- > 0;)
            if (measure(a, Q(k), b, p0, in, w) < 0) return -1;
        break;
    }
    case QP_GATE_MR:
    case QP_GATE_MRX:
    case QP_GATE_MRY: {
        char b = in->gate == QP_GATE_MR ? 'Z' : in->gate == QP_GATE_MRX ? 'X' : 'Y';
        const char *w = b == 'Z' ? "a Z-basis demolition measurement (MR)" : b == 'X' ? "an X-basis demolition measurement (MRX)" : "a Y-basis demolition measurement (MRY)";
        for (uint32_t k = n; k-- > 0;) {
            if (reset(a, Q(k), b, in, w) < 0) return -1;
            if (measure(a, Q(k), b, p0, in, w) < 0) return -1;
        }
        break;
    }
    case QP_GATE_TICK:
    case QP_GATE_QUBIT_COORDS:
    case QP_GATE_I_ERROR:
    case QP_GATE_II_ERROR:
        break;
    case QP_GATE_MPP:
    case QP_GATE_MXX:
    case QP_GATE_MYY:
    case QP_GATE_MZZ:
        return for_each_product_reversed(a, in, undo_product_measurement);
    case QP_GATE_SPP:
    case QP_GATE_SPP_DAG:
        return for_each_product_reversed(a, in, undo_spp);
    case QP_GATE_MPAD:
        return undo_mpad(a, in);
    case QP_GATE_HERALDED_ERASE:
    case QP_GATE_HERALDED_PAULI_CHANNEL_1:
        return undo_heralded(a, in);
    case QP_GATE_H:
        for (uint32_t k = n; k-- > 0;) {
            qp_xor_set s = a->xs[Q(k)];
            a->xs[Q(k)] = a->zs[Q(k)];
            a->zs[Q(k)] = s;
        }
        break;
    case QP_GATE_S:
    case QP_GATE_S_DAG:
        for (uint32_t k = n; k-- > 0;) xor_into(a, &a->xs[Q(k)], &a->zs[Q(k)]);
        break;
    case QP_GATE_SQRT_X:
    case QP_GATE_SQRT_X_DAG:
        for (uint32_t k = n; k-- > 0;) xor_into(a, &a->zs[Q(k)], &a->xs[Q(k)]);
        break;
    case QP_GATE_CX:
    case QP_GATE_CY:
    case QP_GATE_CZ:
        if (n % 2) return qp_fail(a->err, "circuit line %u: odd number of targets", in->line);
        for (uint32_t k = n; k >= 2; k -= 2) {
            const uint32_t bits = QP_TARGET_REC | QP_TARGET_SWEEP;
            if ((t[k - 2] | t[k - 1]) & bits) {
                if (!((t[k - 2] & bits) && (t[k - 1] & bits)))
                    undo_feedback(a, in, (t[k - 2] & bits) ? t[k - 2] : t[k - 1],
                                  Q((t[k - 2] & bits) ? k - 1 : k - 2), (t[k - 2] & bits) != 0);
                continue;
            }
            uint32_t c = Q(k - 2), u = Q(k - 1);
            if (c == u) return qp_fail(a->err, "circuit line %u: two-qubit gate on one qubit", in->line);
            if (in->gate == QP_GATE_CX) {
                xor_into(a, &a->xs[c], &a->xs[u]);
                xor_into(a, &a->zs[u], &a->zs[c]);
            } else if (in->gate == QP_GATE_CZ) {
                xor_into(a, &a->xs[c], &a->zs[u]);
                xor_into(a, &a->xs[u], &a->zs[c]);
            } else {
                xor_into(a, &a->xs[c], &a->xs[u]);
                xor_into(a, &a->xs[c], &a->zs[u]);
                xor_into(a, &a->zs[u], &a->zs[c]);
                xor_into(a, &a->xs[u], &a->zs[c]);
            }
        }
        break;
    case QP_GATE_X_ERROR:
        for (uint32_t k = 0; k < n; k++) add_error(a, p0, a->xs[Q(k)].v, a->xs[Q(k)].n, in->tag);
        break;
    case QP_GATE_Z_ERROR:
        for (uint32_t k = 0; k < n; k++) add_error(a, p0, a->zs[Q(k)].v, a->zs[Q(k)].n, in->tag);
        break;
    case QP_GATE_Y_ERROR:
        for (uint32_t k = 0; k < n; k++) {
            const qp_xor_set *x = &a->xs[Q(k)], *z = &a->zs[Q(k)];
            uint64_t *s = scratch(a, x->n + z->n);
            size_t m = qp_xor_merge(x->v, x->n, z->v, z->n, s);
            add_error(a, p0, s, m, in->tag);
        }
        break;
    case QP_GATE_DEPOLARIZE1: {
        if (p0 > 0.75) return qp_fail(a->err, "circuit line %u: can't analyze over-mixing DEPOLARIZE1 (p > 3/4)", in->line);
        if (!a->accumulate || p0 == 0) break;
        double q = 0.5 - 0.5 * sqrt(1 - (4 * p0) / 3);
        double probs[4] = {0, q, q, q};
        int disjoint = 0;
        for (uint32_t k = 0; k < n; k++) {
            const qp_xor_set *basis[2] = {&a->zs[Q(k)], &a->xs[Q(k)]};
            if (add_combinations(a, 2, probs, basis, disjoint, in) < 0) return -1;
        }
        break;
    }
    case QP_GATE_DEPOLARIZE2: {
        if (p0 > 15.0 / 16.0) return qp_fail(a->err, "circuit line %u: can't analyze over-mixing DEPOLARIZE2 (p > 15/16)", in->line);
        if (n % 2) return qp_fail(a->err, "circuit line %u: odd number of targets", in->line);
        if (!a->accumulate || p0 == 0) break;
        double q = 0.5 - 0.5 * pow(1 - (16 * p0) / 15, 0.125);
        double probs[16];
        for (int k = 0; k < 16; k++) probs[k] = k ? q : 0;
        int disjoint = 0;
        for (uint32_t k = 0; k < n; k += 2) {
            const qp_xor_set *basis[4] = {&a->zs[Q(k)], &a->xs[Q(k)], &a->zs[Q(k + 1)], &a->xs[Q(k + 1)]};
            if (add_combinations(a, 4, probs, basis, disjoint, in) < 0) return -1;
        }
        break;
    }
    case QP_GATE_PAULI_CHANNEL_1: {
        if (!a->accumulate) break;
        if (in->num_args != 3) return qp_fail(a->err, "circuit line %u: PAULI_CHANNEL_1 needs 3 probabilities", in->line);
        // Combination bit 0: X part, bit 1: Z part.  X=1, Y=3, Z=2.
        double ix, iy, iz;
        int disjoint = 0;
        if (disjoint_to_independent_xyz(in->args[0], in->args[1], in->args[2], &ix, &iy, &iz) < 0) {
            if (a->strict && nonzero_args(in) > 1) return needs_disjoint(a, in);
            if (!(in->args[0] + in->args[1] + in->args[2] <= 1))
                return qp_fail(a->err, "circuit line %u: PAULI_CHANNEL_1 probabilities sum past 1", in->line);
            ix = in->args[0], iy = in->args[1], iz = in->args[2];
            disjoint = 1;
        }
        double probs[4] = {0, ix, iz, iy};
        for (uint32_t k = 0; k < n; k++) {
            const qp_xor_set *basis[2] = {&a->xs[Q(k)], &a->zs[Q(k)]};
            if (add_combinations(a, 2, probs, basis, disjoint, in) < 0) return -1;
        }
        break;
    }
    case QP_GATE_PAULI_CHANNEL_2: {
        if (!a->accumulate) break;
        if (in->num_args != 15) return qp_fail(a->err, "circuit line %u: PAULI_CHANNEL_2 needs 15 probabilities", in->line);
        if (n % 2) return qp_fail(a->err, "circuit line %u: odd number of targets", in->line);
        if (a->strict && nonzero_args(in) > 1) return needs_disjoint(a, in);
        // Arguments are IX IY IZ XI ... ZZ: (k+1) = 4*first + second, Pauli codes I0 X1 Y2 Z3.
        // Combination bits: 0 X on second, 1 Z on second, 2 X on first, 3 Z on first.
        static const int xz[4] = {0, 1, 3, 2};
        double probs[16] = {0};
        int disjoint = 1;
        for (int k = 0; k < 15; k++) {
            int code = k + 1;
            probs[xz[code & 3] | (xz[(code >> 2) & 3] << 2)] = in->args[k];
        }
        for (uint32_t k = 0; k < n; k += 2) {
            const qp_xor_set *basis[4] = {&a->xs[Q(k + 1)], &a->zs[Q(k + 1)], &a->xs[Q(k)], &a->zs[Q(k)]};
            if (add_combinations(a, 4, probs, basis, disjoint, in) < 0) return -1;
        }
        break;
    }
    case QP_GATE_DETECTOR:
    case QP_GATE_OBSERVABLE_INCLUDE: {
        uint64_t id;
        if (in->gate == QP_GATE_DETECTOR) {
            if (a->det_used >= a->det_total) return qp_fail(a->err, "detector count mismatch");
            id = a->det_total - ++a->det_used;
        } else {
            if (in->num_args < 1) return qp_fail(a->err, "circuit line %u: OBSERVABLE_INCLUDE needs an index", in->line);
            id = OBS | (uint64_t)in->args[0];
        }
        for (uint32_t k = 0; k < n; k++) {
            if (t[k] & QP_TARGET_PAULI) {  // OBSERVABLE_INCLUDE X0: flipped by errors anticommuting
                uint32_t q = Q(k);
                if (t[k] & QP_TARGET_PAULI_Z) set_xor(a, &a->xs[q], &id, 1);
                if (t[k] & QP_TARGET_PAULI_X) set_xor(a, &a->zs[q], &id, 1);
                continue;
            }
            if (!(t[k] & QP_TARGET_REC))
                return qp_fail(a->err, "circuit line %u: only rec[-k] targets are supported here", in->line);
            uint64_t back = t[k] & QP_TARGET_VALUE_MASK;
            if (back == 0 || back > a->meas_remaining || back > a->ring_len)
                return qp_fail(a->err, "circuit line %u: rec[-%llu] out of range", in->line, (unsigned long long)back);
            qp_xor_set *s = &a->ring[(a->meas_remaining - back) % a->ring_len];
            qp_grow(s->v, s->cap, s->n + 1);
            s->v[s->n++] = id;
        }
        if (a->emit) {
            qp_dem_instr *out;
            if (in->gate == QP_GATE_DETECTOR)
                out = qp_dem_block_append(a->rev, QP_DEM_DETECTOR, in->args, in->num_args, &id, 1);
            else
                out = qp_dem_block_append(a->rev, QP_DEM_LOGICAL_OBSERVABLE, NULL, 0, &id, 1);
            if (in->tag && *in->tag) out->tag = qp_strdup(in->tag);
        }
        break;
    }
    case QP_GATE_SHIFT_COORDS:
        if (a->emit) {
            uint64_t zero = 0;
            qp_dem_instr *out = qp_dem_block_append(a->rev, QP_DEM_SHIFT_DETECTORS, in->args, in->num_args, &zero, 1);
            if (in->tag && *in->tag) out->tag = qp_strdup(in->tag);
        }
        break;
    case QP_GATE_REPEAT:
        break;  // handled by run_block
    default:
        if (gi->flags & QP_GF_UNITARY) {
            undo_unitary(a, in);
            break;
        }
        return qp_fail(a->err, "circuit line %u: gate %s is not supported by error analysis", in->line,
                       in->gate < QP_GATE_COUNT ? qp_gate_table[in->gate].name : "?");
    }
#undef Q
    return 0;
}

// Detectors and measurements in one pass of a block (repeats multiplied).
static void block_counts(const qp_block *b, uint64_t *dets, uint64_t *meas) {
    uint64_t d = 0, m = 0;
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) {
            uint64_t bd, bm;
            block_counts(in->body, &bd, &bm);
            d += bd * in->repeat_count;
            m += bm * in->repeat_count;
        } else if (in->gate == QP_GATE_DETECTOR) {
            d++;
        } else {
            m += qp_instr_num_results(in);
        }
    }
    *dets = d;
    *meas = m;
}

static void analyzer_free(analyzer *a) {
    for (uint32_t q = 0; q < a->nq; q++) {
        free(a->xs[q].v);
        free(a->zs[q].v);
    }
    for (uint64_t i = 0; i < a->ring_len; i++) free(a->ring[i].v);
    free(a->xs);
    free(a->zs);
    free(a->ring);
    free(a->tmp);
    free(a->cb);
    et_free(&a->classes);
}

static void copy_set(qp_xor_set *dst, const qp_xor_set *src) {
    memset(dst, 0, sizeof *dst);
    qp_xor_set_assign(dst, src->v, src->n);
}

// A state-only copy (no errors, no model output) used to look ahead for a loop's period.
static void analyzer_clone(analyzer *h, const analyzer *a, qp_err *err) {
    memset(h, 0, sizeof *h);
    h->c = a->c;
    h->nq = a->nq;
    h->ring_len = a->ring_len;
    h->meas_remaining = a->meas_remaining;
    h->det_total = a->det_total;
    h->det_used = a->det_used;
    h->err = err;
    h->xs = qp_malloc(a->nq * sizeof *h->xs);
    h->zs = qp_malloc(a->nq * sizeof *h->zs);
    h->ring = qp_malloc(a->ring_len * sizeof *h->ring);
    for (uint32_t q = 0; q < a->nq; q++) {
        copy_set(&h->xs[q], &a->xs[q]);
        copy_set(&h->zs[q], &a->zs[q]);
    }
    for (uint64_t i = 0; i < a->ring_len; i++) copy_set(&h->ring[i], &a->ring[i]);
}

static int shifted_equal(const qp_xor_set *a, const qp_xor_set *b, int64_t shift) {
    if (a->n != b->n) return 0;
    for (uint32_t i = 0; i < a->n; i++) {
        uint64_t v = a->v[i];
        if (IS_DET(v)) v = (uint64_t)((int64_t)v + shift);
        if (v != b->v[i]) return 0;
    }
    return 1;
}

static int colliding(analyzer *a, analyzer *h, int64_t dshift) {
    for (uint32_t q = 0; q < a->nq; q++)
        if (!shifted_equal(&a->xs[q], &h->xs[q], dshift) || !shifted_equal(&a->zs[q], &h->zs[q], dshift))
            return 0;
    for (uint64_t j = 1; j <= a->ring_len; j++) {
        qp_xor_set empty = {0};
        qp_xor_set *ta = j <= a->meas_remaining ? &a->ring[(a->meas_remaining - j) % a->ring_len] : &empty;
        qp_xor_set *th = j <= h->meas_remaining ? &h->ring[(h->meas_remaining - j) % h->ring_len] : &empty;
        canonical_set(ta);
        canonical_set(th);
        if (!shifted_equal(ta, th, dshift)) return 0;
    }
    return 1;
}

static void shift_set(qp_xor_set *s, int64_t shift) {
    for (uint32_t i = 0; i < s->n; i++)
        if (IS_DET(s->v[i])) s->v[i] = (uint64_t)((int64_t)s->v[i] + shift);
}

static uint64_t dem_block_shift(const qp_dem_block *b) {
    uint64_t s = 0;
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_dem_instr *in = &b->instrs[i];
        if (in->kind == QP_DEM_SHIFT_DETECTORS) s += in->targets[0];
        else if (in->kind == QP_DEM_REPEAT) s += in->repeat_count * dem_block_shift(in->body);
    }
    return s;
}

// line: the circuit's REPEAT line, kept by the folded `repeat` (qp_dem_finalize's errors name it).
static int run_loop(analyzer *a, const qp_block *body, uint64_t iterations, uint32_t line) {
    if (!a->fold || !a->emit) {
        for (uint64_t k = 0; k < iterations; k++)
            if (run_block(a, body) < 0) return -1;
        return 0;
    }
    uint64_t loop_dets, loop_meas;
    block_counts(body, &loop_dets, &loop_meas);
    uint64_t hare_iter = 0, tortoise_iter = 0;
    qp_err hare_err;
    analyzer hare;
    analyzer_clone(&hare, a, &hare_err);
    while (hare_iter < iterations) {
        if (run_block(&hare, body) < 0) {
            hare_iter = iterations;
            break;
        }
        hare_iter++;
        if (colliding(a, &hare, -(int64_t)((hare_iter - tortoise_iter) * loop_dets))) break;
        if (hare_iter % 2 == 0) {
            if (run_block(a, body) < 0) {
                analyzer_free(&hare);
                return -1;
            }
            tortoise_iter++;
            if (colliding(a, &hare, -(int64_t)((hare_iter - tortoise_iter) * loop_dets))) break;
        }
    }
    analyzer_free(&hare);
    if (hare_iter < iterations) {
        uint64_t period = hare_iter - tortoise_iter;
        uint64_t period_iterations = (iterations - tortoise_iter) / period;
        if (period_iterations > 1) {
            if (flush(a) < 0) return -1;
            uint64_t shift_per_iteration = period * loop_dets;
            uint64_t det_shift = (period_iterations - 1) * shift_per_iteration;
            uint64_t meas_shift = (period_iterations - 1) * period * loop_meas;
            for (uint32_t q = 0; q < a->nq; q++) {
                shift_set(&a->xs[q], -(int64_t)det_shift);
                shift_set(&a->zs[q], -(int64_t)det_shift);
            }
            // Move pending measurement sensitivities to their new measurement indices.
            qp_xor_set *old = qp_malloc(a->ring_len * sizeof *old);
            memcpy(old, a->ring, a->ring_len * sizeof *old);
            uint64_t m_old = a->meas_remaining, m_new = m_old - meas_shift, L = a->ring_len;
            for (uint64_t j = 1; j <= L; j++) {
                qp_xor_set s = old[(m_old % L + L - j % L) % L];
                shift_set(&s, -(int64_t)det_shift);
                a->ring[(m_new % L + L - j % L) % L] = s;
            }
            free(old);
            a->meas_remaining = m_new;
            a->det_used += det_shift;
            tortoise_iter += (period_iterations - 1) * period;

            qp_dem_block *saved = a->rev;
            qp_dem_instr *rep = qp_dem_block_append(saved, QP_DEM_REPEAT, NULL, 0, NULL, 0);
            rep->repeat_count = period_iterations;
            rep->line = line;
            qp_dem_block *bodyblk = rep->body;
            a->rev = bodyblk;
            for (uint64_t k = 0; k < period; k++) {
                if (run_block(a, body) < 0) {
                    a->rev = saved;
                    return -1;
                }
                tortoise_iter++;
            }
            if (flush(a) < 0) {
                a->rev = saved;
                return -1;
            }
            a->rev = saved;
            uint64_t lower = dem_block_shift(bodyblk);
            uint64_t remaining = shift_per_iteration - lower;
            if (remaining > 0) {
                if (bodyblk->num_instrs == 0 || bodyblk->instrs[0].kind != QP_DEM_SHIFT_DETECTORS) {
                    qp_dem_block_append(bodyblk, QP_DEM_SHIFT_DETECTORS, NULL, 0, &remaining, 1);
                    qp_dem_instr last = bodyblk->instrs[bodyblk->num_instrs - 1];
                    memmove(bodyblk->instrs + 1, bodyblk->instrs,
                            (bodyblk->num_instrs - 1) * sizeof *bodyblk->instrs);
                    bodyblk->instrs[0] = last;
                } else {
                    bodyblk->instrs[0].targets[0] += remaining;
                }
            }
        }
    }
    while (tortoise_iter < iterations) {
        if (run_block(a, body) < 0) return -1;
        tortoise_iter++;
    }
    return 0;
}

static int run_block(analyzer *a, const qp_block *b) {
    for (size_t i = b->num_instrs; i-- > 0;) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) {
            if (run_loop(a, in->body, in->repeat_count, in->line) < 0) return -1;
        } else if (in->gate == QP_GATE_E || in->gate == QP_GATE_ELSE_CORRELATED_ERROR) {
            if (undo_correlated(a, b, i) < 0) return -1;
        } else if (run_instr(a, in) < 0) {
            return -1;
        }
    }
    return 0;
}

// ---------------------------------------------------------------------------------------
// Turning the reversed model around.
typedef struct {
    uint64_t *v;
    size_t n;  // power of two; UINT64_MAX marks empty (never a target: it is SEP|OBS|...)
} seen_set;

static int seen_has(const seen_set *s, uint64_t t) {
    size_t i = qp_mix64(t) & (s->n - 1);
    while (s->v[i] != UINT64_MAX) {
        if (s->v[i] == t) return 1;
        i = (i + 1) & (s->n - 1);
    }
    return 0;
}

static void seen_add(seen_set *s, uint64_t t, size_t *count) {
    if ((*count + 1) * 2 > s->n) {
        seen_set bigger = {qp_malloc(s->n * 2 * sizeof *s->v), s->n * 2};
        for (size_t i = 0; i < bigger.n; i++) bigger.v[i] = UINT64_MAX;
        for (size_t i = 0; i < s->n; i++)
            if (s->v[i] != UINT64_MAX) {
                size_t j = qp_mix64(s->v[i]) & (bigger.n - 1);
                while (bigger.v[j] != UINT64_MAX) j = (j + 1) & (bigger.n - 1);
                bigger.v[j] = s->v[i];
            }
        free(s->v);
        *s = bigger;
    }
    size_t i = qp_mix64(t) & (s->n - 1);
    while (s->v[i] != UINT64_MAX) {
        if (s->v[i] == t) return;
        i = (i + 1) & (s->n - 1);
    }
    s->v[i] = t;
    (*count)++;
}

// Consumes rev's instruction payloads as it copies them (keeps peak memory near one model).
static void unreverse(qp_dem_block *rev, qp_dem_block *out, uint64_t *base, seen_set *seen,
                      size_t *seen_count) {
    uint64_t *buf = NULL;
    size_t cap = 0;
    for (size_t i = rev->num_instrs; i-- > 0;) {
        qp_dem_instr *in = &rev->instrs[i];
        if (in->kind == QP_DEM_REPEAT) {
            uint64_t before = *base;
            qp_dem_instr *rep = qp_dem_block_append(out, QP_DEM_REPEAT, NULL, 0, NULL, 0);
            rep->repeat_count = in->repeat_count;
            rep->line = in->line;
            unreverse(in->body, rep->body, base, seen, seen_count);
            *base += (*base - before) * (in->repeat_count - 1);
            continue;
        }
        if (in->kind == QP_DEM_SHIFT_DETECTORS) {
            *base += in->targets[0];
            qp_dem_instr *o = qp_dem_block_append(out, in->kind, in->args, in->num_args, in->targets, in->num_targets);
            if (in->tag) o->tag = qp_strdup(in->tag);
            continue;
        }
        if (in->kind == QP_DEM_ERROR) {
            for (uint32_t k = 0; k < in->num_targets; k++)
                if (in->targets[k] != SEP) seen_add(seen, in->targets[k], seen_count);
        } else if (in->num_args == 0 && !in->tag && seen_has(seen, in->targets[0])) {
            continue;
        }
        qp_grow(buf, cap, in->num_targets + 1);
        for (uint32_t k = 0; k < in->num_targets; k++)
            buf[k] = IS_DET(in->targets[k]) ? in->targets[k] - *base : in->targets[k];
        qp_dem_instr *o = qp_dem_block_append(out, in->kind, in->args, in->num_args, buf, in->num_targets);
        if (in->tag) o->tag = qp_strdup(in->tag);
        free(in->args);
        free(in->targets);
        in->args = NULL;
        in->targets = NULL;
        in->num_args = in->num_targets = 0;
    }
    free(buf);
}

// ---------------------------------------------------------------------------------------
int qp_error_analysis(const qp_circuit *c, const qp_error_analysis_options *opt, qp_dem *out,
                      qp_err *err) {
    qp_dem_init(out);
    analyzer a = {0};
    a.c = c;
    a.decompose = opt && opt->decompose_errors;
    a.fold = opt && opt->fold_loops;
    a.strict = opt && opt->strict_disjoint;
    a.accumulate = 1;
    a.emit = 1;
    a.nq = c->num_qubits;
    a.xs = qp_calloc(a.nq ? a.nq : 1, sizeof *a.xs);
    a.zs = qp_calloc(a.nq ? a.nq : 1, sizeof *a.zs);
    a.ring_len = c->max_lookback ? c->max_lookback : 1;
    a.ring = qp_calloc(a.ring_len, sizeof *a.ring);
    a.meas_remaining = c->num_measurements;
    a.det_total = c->num_detectors;
    a.err = err;
    qp_dem_block rev = {0};
    a.rev = &rev;
    int rc = run_block(&a, &c->top);
    for (uint32_t q = 0; rc == 0 && q < a.nq; q++)
        rc = gauge_fail(&a, a.zs[q].v, a.zs[q].n, "the initialization into |0> at the start of the circuit", q, NULL);
    if (rc == 0) rc = flush(&a);
    et_free(&a.classes);
    if (rc == 0) {
        seen_set seen = {qp_malloc(1024 * sizeof(uint64_t)), 1024};
        for (size_t i = 0; i < seen.n; i++) seen.v[i] = UINT64_MAX;
        size_t seen_count = 0;
        uint64_t base = 0;
        unreverse(&rev, &out->top, &base, &seen, &seen_count);
        free(seen.v);
        rc = qp_dem_finalize(out, err);
        // Declared totals follow the circuit even when the last detectors see no error.
        if (rc == 0 && out->num_detectors < c->num_detectors) out->num_detectors = c->num_detectors;
        if (rc == 0 && out->num_observables < c->num_observables) out->num_observables = c->num_observables;
    }
    qp_dem tmp = {rev, 0, 0};
    qp_dem_free(&tmp);
    analyzer_free(&a);
    if (rc < 0) qp_dem_free(out);
    return rc;
}

// ---------------------------------------------------------------------------------------
typedef struct {
    uint64_t next;     // id of the next detector met
    double shift[16];  // accumulated SHIFT_COORDS
} coord_walk;

static int find_coords(const qp_block *b, coord_walk *w, uint64_t id, double *coords, int max) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_SHIFT_COORDS) {
            for (uint32_t k = 0; k < in->num_args && k < 16; k++) w->shift[k] += in->args[k];
        } else if (in->gate == QP_GATE_DETECTOR) {
            if (w->next++ == id) {
                int n = (int)in->num_args;
                for (int k = 0; k < n && k < max; k++) coords[k] = in->args[k] + (k < 16 ? w->shift[k] : 0);
                return n;
            }
        } else if (in->gate == QP_GATE_REPEAT) {
            for (uint64_t r = 0; r < in->repeat_count; r++) {
                int got = find_coords(in->body, w, id, coords, max);
                if (got >= 0) return got;
            }
        }
    }
    return -1;
}

static int detector_coords(const qp_circuit *c, uint64_t id, double *coords, int max_coords) {
    coord_walk w = {0};
    return find_coords(&c->top, &w, id, coords, max_coords);
}
