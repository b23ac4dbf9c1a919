// Test helper: compares two detector error models as sets of mechanisms (Stim-vector style).
// Mechanisms are keyed by what they flip (sorted detectors + observable mask); duplicates
// within one model are combined as independent errors. Also counts how many mechanisms carry
// the same `^` decomposition (as a multiset of components) and checks detector coordinates.
#ifndef QP_TESTS_DEM_COMPARE_H
#define QP_TESTS_DEM_COMPARE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers/dem/dem.h"
#include "workers/dem/dem_flatten.h"
#include "workers/util/rng.h"

typedef struct {
    const qp_dem_flat *f;
    size_t m;  // mechanism index
} cmp_ref;

static int cmp_mech_symptom(const qp_dem_flat *fa, size_t a, const qp_dem_flat *fb, size_t b) {
    const qp_dem_mechanism *x = &fa->mechs[a], *y = &fb->mechs[b];
    size_t n = x->num_dets < y->num_dets ? x->num_dets : y->num_dets;
    for (size_t i = 0; i < n; i++) {
        uint64_t u = fa->dets[x->first_det + i], v = fb->dets[y->first_det + i];
        if (u != v) return u < v ? -1 : 1;
    }
    if (x->num_dets != y->num_dets) return x->num_dets < y->num_dets ? -1 : 1;
    if (x->observables != y->observables) return x->observables < y->observables ? -1 : 1;
    return 0;
}

static int cmp_ref_fn(const void *p, const void *q) {
    const cmp_ref *a = p, *b = q;
    int c = cmp_mech_symptom(a->f, a->m, b->f, b->m);
    if (c) return c;
    return a->m < b->m ? -1 : a->m > b->m;
}

// Sorted component list of a mechanism as text ("D1 D4 L0|D5|"), for multiset comparison.
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *components_text(const qp_dem_flat *f, size_t m) {
    const qp_dem_mechanism *x = &f->mechs[m];
    char **parts = malloc(x->num_comps * sizeof *parts);
    size_t total = 1;
    for (uint32_t c = 0; c < x->num_comps; c++) {
        const qp_dem_component *k = &f->comps[x->first_comp + c];
        char *s = malloc(32 * (k->num_dets + 66) + 2);
        size_t w = 0;
        for (uint32_t d = 0; d < k->num_dets; d++)
            w += (size_t)sprintf(s + w, "D%llu ", (unsigned long long)f->comp_dets[k->first_det + d]);
        for (int o = 0; o < 64; o++)
            if ((k->observables >> o) & 1) w += (size_t)sprintf(s + w, "L%d ", o);
        s[w++] = '|';
        s[w] = 0;
        parts[c] = s;
        total += w;
    }
    qsort(parts, x->num_comps, sizeof *parts, cmp_str);
    char *out = malloc(total);
    out[0] = 0;
    for (uint32_t c = 0; c < x->num_comps; c++) {
        strcat(out, parts[c]);
        free(parts[c]);
    }
    free(parts);
    return out;
}

// Order-independent hash of a mechanism's component multiset (sum of per-component hashes).
static uint64_t components_hash(const qp_dem_flat *f, size_t m) {
    const qp_dem_mechanism *x = &f->mechs[m];
    uint64_t sum = 0;
    for (uint32_t c = 0; c < x->num_comps; c++) {
        const qp_dem_component *k = &f->comps[x->first_comp + c];
        uint64_t h = qp_mix64(k->observables ^ 0x5bd1e995u);
        for (uint32_t d = 0; d < k->num_dets; d++) h = qp_mix64(h ^ f->comp_dets[k->first_det + d]);
        sum += h;
    }
    return sum;
}

typedef struct {
    size_t ours, theirs;         // distinct symptoms in each
    size_t missing, extra;       // symptoms only in theirs / only in ours
    size_t prob_mismatch;        // same symptom, |p - q| > 1e-9 * q
    size_t decomp_same;          // same symptom and same component multiset
    size_t decomp_compared;      // theirs' mechanisms with a counterpart in ours
    size_t coord_mismatch;       // detectors whose coordinates differ
    double max_rel_err;
    char first_problem[512];
} dem_diff;

static void note_problem(dem_diff *d, const char *fmt, const char *a, double p, double q) {
    if (d->first_problem[0] || !a) return;
    snprintf(d->first_problem, sizeof d->first_problem, fmt, a, p, q);
}

static void dem_compare(const qp_dem_flat *ours, const qp_dem_flat *theirs, dem_diff *d) {
    memset(d, 0, sizeof *d);
    cmp_ref *ra = malloc((ours->num_mechs + 1) * sizeof *ra), *rb = malloc((theirs->num_mechs + 1) * sizeof *rb);
    for (size_t i = 0; i < ours->num_mechs; i++) ra[i] = (cmp_ref){ours, i};
    for (size_t i = 0; i < theirs->num_mechs; i++) rb[i] = (cmp_ref){theirs, i};
    qsort(ra, ours->num_mechs, sizeof *ra, cmp_ref_fn);
    qsort(rb, theirs->num_mechs, sizeof *rb, cmp_ref_fn);
    size_t i = 0, j = 0;
    while (i < ours->num_mechs || j < theirs->num_mechs) {
        // Group equal symptoms on each side.
        size_t i2 = i, j2 = j;
        int c;
        if (i >= ours->num_mechs) c = 1;
        else if (j >= theirs->num_mechs) c = -1;
        else c = cmp_mech_symptom(ours, ra[i].m, theirs, rb[j].m);
        double p = 0, q = 0;
        if (c <= 0) {
            while (i2 < ours->num_mechs && cmp_mech_symptom(ours, ra[i2].m, ours, ra[i].m) == 0) {
                double x = ours->mechs[ra[i2].m].probability;
                p = p * (1 - x) + (1 - p) * x;
                i2++;
            }
            d->ours++;
        }
        if (c >= 0) {
            while (j2 < theirs->num_mechs && cmp_mech_symptom(theirs, rb[j2].m, theirs, rb[j].m) == 0) {
                double x = theirs->mechs[rb[j2].m].probability;
                q = q * (1 - x) + (1 - q) * x;
                j2++;
            }
            d->theirs++;
        }
        char *text = NULL;
        if (!d->first_problem[0]) text = components_text(c <= 0 ? ours : theirs, c <= 0 ? ra[i].m : rb[j].m);
        if (c < 0) {
            d->extra++;
            note_problem(d, "only in ours: %s p=%g (%g)", text, p, 0);
        } else if (c > 0) {
            d->missing++;
            note_problem(d, "only in theirs: %s p=%g (%g)", text, q, 0);
        } else {
            double rel = fabs(p - q) / q;
            if (rel > d->max_rel_err) d->max_rel_err = rel;
            if (rel > 1e-9) {
                d->prob_mismatch++;
                note_problem(d, "probability differs for %s: ours %.17g theirs %.17g", text, p, q);
            }
            // Decomposition: compare each of theirs with the first of ours (usually one each).
            for (size_t k = j; k < j2; k++) {
                uint64_t t = components_hash(theirs, rb[k].m);
                int same = 0;
                for (size_t l = i; l < i2 && !same; l++) same = components_hash(ours, ra[l].m) == t;
                d->decomp_compared++;
                d->decomp_same += same;
            }
        }
        free(text);
        i = i2;
        j = j2;
    }
    free(ra);
    free(rb);
    uint64_t nd = ours->num_detectors < theirs->num_detectors ? ours->num_detectors : theirs->num_detectors;
    if (ours->num_detectors != theirs->num_detectors) d->coord_mismatch++;
    for (uint64_t k = 0; k < nd; k++) {
        uint64_t na = ours->coord_start[k + 1] - ours->coord_start[k];
        uint64_t nb = theirs->coord_start[k + 1] - theirs->coord_start[k];
        int bad = na != nb;
        for (uint64_t c = 0; !bad && c < na; c++)
            bad = fabs(ours->coords[ours->coord_start[k] + c] - theirs->coords[theirs->coord_start[k] + c]) > 1e-12;
        d->coord_mismatch += bad;
    }
}

// Every component has at most two detectors.
static inline size_t count_non_graphlike(const qp_dem_flat *f) {
    size_t bad = 0;
    for (size_t c = 0; c < f->num_comps; c++) bad += f->comps[c].num_dets > 2;
    return bad;
}

#endif
