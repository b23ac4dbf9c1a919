// Edmonds' weighted blossom algorithm (primal-dual, O(n^3)), maximum-cardinality variant,
// used for exact minimum-cost perfect matching on small event clusters.
//
// Notation: vertices 0..n-1; blossoms n..2n-1. Edge k has endpoints endpoint[2k] and
// endpoint[2k+1]; an "endpoint index" p names one end, p^1 the other. Labels: 0 free,
// 1 = S (outer), 2 = T (inner). Dual variables are doubled (slack = y_i + y_j - 2 w_k) so
// that with integer weights every quantity stays integral.
#include "tests/decode/oracle/blossom.h"

#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

typedef struct {
    int32_t *v;
    int32_t len, cap;  // len < 0: "not set" (for best-edge lists)
} ilist;

struct qp_blossom {
    int n, m, cap_n, cap_m;
    int32_t *endpoint;     // (2m) vertex at endpoint index p
    int32_t *nb_start;     // (n+1) CSR of remote endpoint indices per vertex
    int32_t *nb;           // (2m)
    int64_t *w;            // (m) weight to maximise
    int32_t *mate;         // (n) remote endpoint index of the matched edge, -1
    int32_t *label;        // (2n)
    int32_t *labelend;     // (2n)
    int32_t *inblossom;    // (n) top-level blossom containing the vertex
    int32_t *bparent;      // (2n)
    int32_t *bbase;        // (2n)
    int32_t *bestedge;     // (2n)
    int32_t *bestedgeto;   // (2n) scratch for add_blossom
    int64_t *dual;         // (2n)
    uint8_t *allowedge;    // (m)
    int32_t *queue;        // (qcap) stack of S vertices to scan
    int qlen, qcap;
    int32_t *unused;       // (n) free blossom ids
    int nunused;
    ilist *childs;         // (2n) sub-blossoms of a blossom, in cycle order starting at the base
    ilist *endps;          // (2n) endpoint indices linking consecutive children
    ilist *bbest;          // (2n) least-slack edges to other S blossoms
    int32_t *tmp;          // (2n) scratch for rotations
};

qp_blossom *qp_blossom_create(void) { return qp_calloc(1, sizeof(qp_blossom)); }

static void ilist_free_all(ilist *l, int count) {
    if (!l) return;
    for (int i = 0; i < count; i++) free(l[i].v);
    free(l);
}

void qp_blossom_free(qp_blossom *b) {
    if (!b) return;
    free(b->endpoint);
    free(b->nb_start);
    free(b->nb);
    free(b->w);
    free(b->mate);
    free(b->label);
    free(b->labelend);
    free(b->inblossom);
    free(b->bparent);
    free(b->bbase);
    free(b->bestedge);
    free(b->bestedgeto);
    free(b->dual);
    free(b->allowedge);
    free(b->queue);
    free(b->unused);
    ilist_free_all(b->childs, 2 * b->cap_n);
    ilist_free_all(b->endps, 2 * b->cap_n);
    ilist_free_all(b->bbest, 2 * b->cap_n);
    free(b->tmp);
    free(b);
}

static void ensure(qp_blossom *s, int n, int m) {
    if (n > s->cap_n) {
        int old = s->cap_n, cap = n < 16 ? 16 : n;
        if (cap < 2 * old) cap = 2 * old;
        size_t c2 = 2 * (size_t)cap;
        s->nb_start = qp_realloc(s->nb_start, ((size_t)cap + 1) * sizeof(int32_t));
        s->mate = qp_realloc(s->mate, cap * sizeof(int32_t));
        s->label = qp_realloc(s->label, c2 * sizeof(int32_t));
        s->labelend = qp_realloc(s->labelend, c2 * sizeof(int32_t));
        s->inblossom = qp_realloc(s->inblossom, cap * sizeof(int32_t));
        s->bparent = qp_realloc(s->bparent, c2 * sizeof(int32_t));
        s->bbase = qp_realloc(s->bbase, c2 * sizeof(int32_t));
        s->bestedge = qp_realloc(s->bestedge, c2 * sizeof(int32_t));
        s->bestedgeto = qp_realloc(s->bestedgeto, c2 * sizeof(int32_t));
        s->dual = qp_realloc(s->dual, c2 * sizeof(int64_t));
        s->unused = qp_realloc(s->unused, cap * sizeof(int32_t));
        s->tmp = qp_realloc(s->tmp, c2 * sizeof(int32_t));
        ilist **ls[3] = {&s->childs, &s->endps, &s->bbest};
        for (int i = 0; i < 3; i++) {
            *ls[i] = qp_realloc(*ls[i], c2 * sizeof(ilist));
            memset(*ls[i] + 2 * old, 0, (c2 - 2 * (size_t)old) * sizeof(ilist));
        }
        s->cap_n = cap;
    }
    if (m > s->cap_m) {
        int cap = m < 16 ? 16 : m;
        if (cap < 2 * s->cap_m) cap = 2 * s->cap_m;
        s->endpoint = qp_realloc(s->endpoint, 2 * (size_t)cap * sizeof(int32_t));
        s->nb = qp_realloc(s->nb, 2 * (size_t)cap * sizeof(int32_t));
        s->w = qp_realloc(s->w, cap * sizeof(int64_t));
        s->allowedge = qp_realloc(s->allowedge, cap);
        s->cap_m = cap;
    }
}

static void ilist_push(ilist *l, int32_t x) {
    if (l->len < 0) l->len = 0;
    qp_grow(l->v, l->cap, l->len + 1);
    l->v[l->len++] = x;
}

static void qpush(qp_blossom *s, int32_t v) {
    qp_grow(s->queue, s->qcap, s->qlen + 1);
    s->queue[s->qlen++] = v;
}

static inline int wrap(int j, int len) { return ((j % len) + len) % len; }

static inline int64_t slack(const qp_blossom *s, int k) {
    return s->dual[s->endpoint[2 * k]] + s->dual[s->endpoint[2 * k + 1]] - 2 * s->w[k];
}

// Pushes every leaf vertex of blossom b onto the scan queue.
static void queue_leaves(qp_blossom *s, int b) {
    if (b < s->n) {
        qpush(s, b);
        return;
    }
    for (int i = 0; i < s->childs[b].len; i++) queue_leaves(s, s->childs[b].v[i]);
}

static void set_inblossom(qp_blossom *s, int b, int top) {
    if (b < s->n) {
        s->inblossom[b] = top;
        return;
    }
    for (int i = 0; i < s->childs[b].len; i++) set_inblossom(s, s->childs[b].v[i], top);
}

// add_blossom helper: T-labelled leaves of the new blossom join the queue; all leaves move in.
static void absorb_leaves(qp_blossom *s, int b, int top) {
    if (b < s->n) {
        if (s->label[s->inblossom[b]] == 2) qpush(s, b);
        s->inblossom[b] = top;
        return;
    }
    for (int i = 0; i < s->childs[b].len; i++) absorb_leaves(s, s->childs[b].v[i], top);
}

// Least-slack edges from the leaves of b to S blossoms other than `top`.
static void scan_best_leaves(qp_blossom *s, int b, int top) {
    if (b >= s->n) {
        for (int i = 0; i < s->childs[b].len; i++) scan_best_leaves(s, s->childs[b].v[i], top);
        return;
    }
    for (int q = s->nb_start[b]; q < s->nb_start[b + 1]; q++) {
        int k = s->nb[q] / 2;
        int j = s->endpoint[s->nb[q]];
        int bj = s->inblossom[j];
        if (bj != top && s->label[bj] == 1 && (s->bestedgeto[bj] == -1 || slack(s, k) < slack(s, s->bestedgeto[bj])))
            s->bestedgeto[bj] = k;
    }
}

static int first_labelled_leaf(const qp_blossom *s, int b) {
    if (b < s->n) return s->label[b] != 0 ? b : -1;
    for (int i = 0; i < s->childs[b].len; i++) {
        int v = first_labelled_leaf(s, s->childs[b].v[i]);
        if (v >= 0) return v;
    }
    return -1;
}

static void assign_label(qp_blossom *s, int w, int t, int p) {
    for (;;) {
        int b = s->inblossom[w];
        s->label[w] = s->label[b] = t;
        s->labelend[w] = s->labelend[b] = p;
        s->bestedge[w] = s->bestedge[b] = -1;
        if (t == 1) {
            queue_leaves(s, b);
            return;
        }
        int base = s->bbase[b];
        w = s->endpoint[s->mate[base]];
        t = 1;
        p = s->mate[base] ^ 1;
    }
}

// Traces back from v and w to find a common base (new blossom) or -1 (augmenting path).
static int scan_blossom(qp_blossom *s, int v, int w) {
    int path_len = 0, base = -1;
    int32_t *path = s->tmp;
    while (v != -1 || w != -1) {
        int b = s->inblossom[v];
        if (s->label[b] & 4) {
            base = s->bbase[b];
            break;
        }
        path[path_len++] = b;
        s->label[b] = 5;
        if (s->labelend[b] == -1) {
            v = -1;
        } else {
            v = s->endpoint[s->labelend[b]];
            b = s->inblossom[v];
            v = s->endpoint[s->labelend[b]];
        }
        if (w != -1) {
            int t = v;
            v = w;
            w = t;
        }
    }
    for (int i = 0; i < path_len; i++) s->label[path[i]] = 1;
    return base;
}

static void add_blossom(qp_blossom *s, int base, int k) {
    int n = s->n;
    int v = s->endpoint[2 * k], w = s->endpoint[2 * k + 1];
    int bb = s->inblossom[base], bv = s->inblossom[v], bw = s->inblossom[w];
    int b = s->unused[--s->nunused];
    s->bbase[b] = base;
    s->bparent[b] = -1;
    s->bparent[bb] = b;
    ilist *path = &s->childs[b], *endps = &s->endps[b];
    path->len = 0;
    endps->len = 0;
    while (bv != bb) {
        s->bparent[bv] = b;
        ilist_push(path, bv);
        ilist_push(endps, s->labelend[bv]);
        v = s->endpoint[s->labelend[bv]];
        bv = s->inblossom[v];
    }
    ilist_push(path, bb);
    for (int i = 0, j = path->len - 1; i < j; i++, j--) {
        int32_t t = path->v[i];
        path->v[i] = path->v[j];
        path->v[j] = t;
    }
    for (int i = 0, j = endps->len - 1; i < j; i++, j--) {
        int32_t t = endps->v[i];
        endps->v[i] = endps->v[j];
        endps->v[j] = t;
    }
    ilist_push(endps, 2 * k);
    while (bw != bb) {
        s->bparent[bw] = b;
        ilist_push(path, bw);
        ilist_push(endps, s->labelend[bw] ^ 1);
        w = s->endpoint[s->labelend[bw]];
        bw = s->inblossom[w];
    }
    s->label[b] = 1;
    s->labelend[b] = s->labelend[bb];
    s->dual[b] = 0;
    absorb_leaves(s, b, b);
    for (int i = 0; i < 2 * n; i++) s->bestedgeto[i] = -1;
    for (int c = 0; c < path->len; c++) {
        int child = path->v[c];
        if (s->bbest[child].len < 0) {
            scan_best_leaves(s, child, b);
        } else {
            for (int q = 0; q < s->bbest[child].len; q++) {
                int kk = s->bbest[child].v[q];
                int i = s->endpoint[2 * kk], j = s->endpoint[2 * kk + 1];
                if (s->inblossom[j] == b) {
                    int t = i;
                    i = j;
                    j = t;
                }
                (void)i;
                int bj = s->inblossom[j];
                if (bj != b && s->label[bj] == 1 &&
                    (s->bestedgeto[bj] == -1 || slack(s, kk) < slack(s, s->bestedgeto[bj])))
                    s->bestedgeto[bj] = kk;
            }
        }
        s->bbest[child].len = -1;
        s->bestedge[child] = -1;
    }
    s->bbest[b].len = 0;
    s->bestedge[b] = -1;
    for (int i = 0; i < 2 * n; i++) {
        int kk = s->bestedgeto[i];
        if (kk == -1) continue;
        ilist_push(&s->bbest[b], kk);
        if (s->bestedge[b] == -1 || slack(s, kk) < slack(s, s->bestedge[b])) s->bestedge[b] = kk;
    }
}

static void expand_blossom(qp_blossom *s, int b, int endstage) {
    int n = s->n;
    ilist *ch = &s->childs[b];
    for (int i = 0; i < ch->len; i++) {
        int c = ch->v[i];
        s->bparent[c] = -1;
        if (c < n) s->inblossom[c] = c;
        else if (endstage && s->dual[c] == 0) expand_blossom(s, c, endstage);
        else set_inblossom(s, c, c);
    }
    if (!endstage && s->label[b] == 2) {
        int len = ch->len;
        int entrychild = s->inblossom[s->endpoint[s->labelend[b] ^ 1]];
        int j = 0;
        while (ch->v[j] != entrychild) j++;
        int jstep, endptrick;
        if (j & 1) {
            j -= len;
            jstep = 1;
            endptrick = 0;
        } else {
            jstep = -1;
            endptrick = 1;
        }
        int p = s->labelend[b];
        int32_t *ep = s->endps[b].v;
        while (j != 0) {
            s->label[s->endpoint[p ^ 1]] = 0;
            s->label[s->endpoint[ep[wrap(j - endptrick, len)] ^ endptrick ^ 1]] = 0;
            assign_label(s, s->endpoint[p ^ 1], 2, p);
            s->allowedge[ep[wrap(j - endptrick, len)] / 2] = 1;
            j += jstep;
            p = ep[wrap(j - endptrick, len)] ^ endptrick;
            s->allowedge[p / 2] = 1;
            j += jstep;
        }
        int bv = ch->v[wrap(j, len)];
        s->label[s->endpoint[p ^ 1]] = s->label[bv] = 2;
        s->labelend[s->endpoint[p ^ 1]] = s->labelend[bv] = p;
        s->bestedge[bv] = -1;
        j += jstep;
        while (ch->v[wrap(j, len)] != entrychild) {
            bv = ch->v[wrap(j, len)];
            if (s->label[bv] == 1) {
                j += jstep;
                continue;
            }
            int v = first_labelled_leaf(s, bv);
            if (v >= 0) {
                s->label[v] = 0;
                s->label[s->endpoint[s->mate[s->bbase[bv]]]] = 0;
                assign_label(s, v, 2, s->labelend[v]);
            }
            j += jstep;
        }
    }
    s->label[b] = s->labelend[b] = -1;
    ch->len = 0;
    s->endps[b].len = 0;
    s->bbase[b] = -1;
    s->bbest[b].len = -1;
    s->bestedge[b] = -1;
    s->unused[s->nunused++] = b;
}

static void augment_blossom(qp_blossom *s, int b, int v) {
    int n = s->n;
    int t = v;
    while (s->bparent[t] != b) t = s->bparent[t];
    if (t >= n) augment_blossom(s, t, v);
    ilist *ch = &s->childs[b];
    int len = ch->len;
    int i = 0;
    while (ch->v[i] != t) i++;
    int j = i, jstep, endptrick;
    if (i & 1) {
        j -= len;
        jstep = 1;
        endptrick = 0;
    } else {
        jstep = -1;
        endptrick = 1;
    }
    int32_t *ep = s->endps[b].v;
    while (j != 0) {
        j += jstep;
        t = ch->v[wrap(j, len)];
        int p = ep[wrap(j - endptrick, len)] ^ endptrick;
        if (t >= n) augment_blossom(s, t, s->endpoint[p]);
        j += jstep;
        t = ch->v[wrap(j, len)];
        if (t >= n) augment_blossom(s, t, s->endpoint[p ^ 1]);
        s->mate[s->endpoint[p]] = p ^ 1;
        s->mate[s->endpoint[p ^ 1]] = p;
    }
    // Rotate so that the child containing v is first (the new base).
    for (int q = 0; q < len; q++) s->tmp[q] = ch->v[(i + q) % len];
    memcpy(ch->v, s->tmp, len * sizeof(int32_t));
    for (int q = 0; q < len; q++) s->tmp[q] = ep[(i + q) % len];
    memcpy(ep, s->tmp, len * sizeof(int32_t));
    s->bbase[b] = s->bbase[ch->v[0]];
}

static void augment_matching(qp_blossom *s, int k) {
    int n = s->n;
    int ends[2][2] = {{s->endpoint[2 * k], 2 * k + 1}, {s->endpoint[2 * k + 1], 2 * k}};
    for (int e = 0; e < 2; e++) {
        int sv = ends[e][0], p = ends[e][1];
        for (;;) {
            int bs = s->inblossom[sv];
            if (bs >= n) augment_blossom(s, bs, sv);
            s->mate[sv] = p;
            if (s->labelend[bs] == -1) break;
            int t = s->endpoint[s->labelend[bs]];
            int bt = s->inblossom[t];
            sv = s->endpoint[s->labelend[bt]];
            int j = s->endpoint[s->labelend[bt] ^ 1];
            if (bt >= n) augment_blossom(s, bt, j);
            s->mate[j] = s->labelend[bt];
            p = s->labelend[bt] ^ 1;
        }
    }
}

int qp_blossom_min_perfect(qp_blossom *s, int n, int m, const int32_t *eu, const int32_t *ev,
                           const int64_t *ew, int32_t *mate_out) {
    if (n == 0) return 0;
    if (n & 1) return -1;
    ensure(s, n, m);
    s->n = n;
    s->m = m;
    int64_t maxcost = 0;
    for (int k = 0; k < m; k++)
        if (ew[k] > maxcost) maxcost = ew[k];
    int64_t maxweight = 0;
    for (int k = 0; k < m; k++) {
        s->endpoint[2 * k] = eu[k];
        s->endpoint[2 * k + 1] = ev[k];
        s->w[k] = maxcost + 1 - ew[k];
        if (s->w[k] > maxweight) maxweight = s->w[k];
    }
    for (int v = 0; v <= n; v++) s->nb_start[v] = 0;
    for (int k = 0; k < m; k++) {
        if (eu[k] == ev[k]) continue;
        s->nb_start[eu[k] + 1]++;
        s->nb_start[ev[k] + 1]++;
    }
    for (int v = 0; v < n; v++) s->nb_start[v + 1] += s->nb_start[v];
    for (int v = 0; v < n; v++) s->tmp[v] = s->nb_start[v];
    for (int k = 0; k < m; k++) {
        if (eu[k] == ev[k]) continue;
        s->nb[s->tmp[eu[k]]++] = 2 * k + 1;
        s->nb[s->tmp[ev[k]]++] = 2 * k;
    }
    for (int v = 0; v < n; v++) {
        s->mate[v] = -1;
        s->inblossom[v] = v;
        s->dual[v] = maxweight;
    }
    for (int b = 0; b < 2 * n; b++) {
        s->label[b] = 0;
        s->labelend[b] = -1;
        s->bparent[b] = -1;
        s->bbase[b] = b < n ? b : -1;
        s->bestedge[b] = -1;
        s->childs[b].len = 0;
        s->endps[b].len = 0;
        s->bbest[b].len = -1;
        if (b >= n) s->dual[b] = 0;
    }
    s->nunused = 0;
    for (int b = 2 * n - 1; b >= n; b--) s->unused[s->nunused++] = b;

    for (int stage = 0; stage < n; stage++) {
        for (int b = 0; b < 2 * n; b++) {
            s->label[b] = 0;
            s->bestedge[b] = -1;
            if (b >= n) s->bbest[b].len = -1;
        }
        memset(s->allowedge, 0, m);
        s->qlen = 0;
        for (int v = 0; v < n; v++)
            if (s->mate[v] == -1 && s->label[s->inblossom[v]] == 0) assign_label(s, v, 1, -1);
        int augmented = 0;
        for (;;) {
            while (s->qlen && !augmented) {
                int v = s->queue[--s->qlen];
                for (int q = s->nb_start[v]; q < s->nb_start[v + 1]; q++) {
                    int p = s->nb[q];
                    int k = p / 2;
                    int w = s->endpoint[p];
                    if (s->inblossom[v] == s->inblossom[w]) continue;
                    int64_t kslack = 0;
                    if (!s->allowedge[k]) {
                        kslack = slack(s, k);
                        if (kslack <= 0) s->allowedge[k] = 1;
                    }
                    if (s->allowedge[k]) {
                        if (s->label[s->inblossom[w]] == 0) {
                            assign_label(s, w, 2, p ^ 1);
                        } else if (s->label[s->inblossom[w]] == 1) {
                            int base = scan_blossom(s, v, w);
                            if (base >= 0) {
                                add_blossom(s, base, k);
                            } else {
                                augment_matching(s, k);
                                augmented = 1;
                                break;
                            }
                        } else if (s->label[w] == 0) {
                            s->label[w] = 2;
                            s->labelend[w] = p ^ 1;
                        }
                    } else if (s->label[s->inblossom[w]] == 1) {
                        int b = s->inblossom[v];
                        if (s->bestedge[b] == -1 || kslack < slack(s, s->bestedge[b])) s->bestedge[b] = k;
                    } else if (s->label[w] == 0) {
                        if (s->bestedge[w] == -1 || kslack < slack(s, s->bestedge[w])) s->bestedge[w] = k;
                    }
                }
            }
            if (augmented) break;
            int deltatype = -1, deltaedge = -1, deltablossom = -1;
            int64_t delta = 0;
            for (int v = 0; v < n; v++)
                if (s->label[s->inblossom[v]] == 0 && s->bestedge[v] != -1) {
                    int64_t d = slack(s, s->bestedge[v]);
                    if (deltatype == -1 || d < delta) {
                        delta = d;
                        deltatype = 2;
                        deltaedge = s->bestedge[v];
                    }
                }
            for (int b = 0; b < 2 * n; b++)
                if (s->bparent[b] == -1 && s->label[b] == 1 && s->bestedge[b] != -1 && (b < n || s->bbase[b] >= 0)) {
                    int64_t d = slack(s, s->bestedge[b]) / 2;
                    if (deltatype == -1 || d < delta) {
                        delta = d;
                        deltatype = 3;
                        deltaedge = s->bestedge[b];
                    }
                }
            for (int b = n; b < 2 * n; b++)
                if (s->bbase[b] >= 0 && s->bparent[b] == -1 && s->label[b] == 2 &&
                    (deltatype == -1 || s->dual[b] < delta)) {
                    delta = s->dual[b];
                    deltatype = 4;
                    deltablossom = b;
                }
            if (deltatype == -1) {
                deltatype = 1;
                delta = INT64_MAX;
                for (int v = 0; v < n; v++)
                    if (s->dual[v] < delta) delta = s->dual[v];
                if (delta < 0) delta = 0;
            }
            for (int v = 0; v < n; v++) {
                int l = s->label[s->inblossom[v]];
                if (l == 1) s->dual[v] -= delta;
                else if (l == 2) s->dual[v] += delta;
            }
            for (int b = n; b < 2 * n; b++)
                if (s->bbase[b] >= 0 && s->bparent[b] == -1) {
                    if (s->label[b] == 1) s->dual[b] += delta;
                    else if (s->label[b] == 2) s->dual[b] -= delta;
                }
            if (deltatype == 1) break;
            if (deltatype == 2) {
                s->allowedge[deltaedge] = 1;
                int i = s->endpoint[2 * deltaedge], j = s->endpoint[2 * deltaedge + 1];
                if (s->label[s->inblossom[i]] == 0) i = j;
                qpush(s, i);
            } else if (deltatype == 3) {
                s->allowedge[deltaedge] = 1;
                qpush(s, s->endpoint[2 * deltaedge]);
            } else {
                expand_blossom(s, deltablossom, 0);
            }
        }
        if (!augmented) break;
        for (int b = n; b < 2 * n; b++)
            if (s->bparent[b] == -1 && s->bbase[b] >= 0 && s->label[b] == 1 && s->dual[b] == 0)
                expand_blossom(s, b, 1);
    }
    for (int v = 0; v < n; v++) {
        if (s->mate[v] < 0) return -1;
        mate_out[v] = s->endpoint[s->mate[v]];
    }
    return 0;
}
