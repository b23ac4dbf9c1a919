// Ties on an equal-weight model: why mwpm and the exact oracle (tests/decode/oracle/) can
// disagree on predictions while both are exact. On the folded repetition model of
// rep_model.h with every probability equal (p = 0.01, 300 rounds), ties between minimum-weight
// matchings of different observable value are everywhere; e.g. events on D0 in round r and
// D1 in round r+1 pair at weight 2w (two shortest paths, observable 0) or go to the boundary
// at 2w (one way, observable 1). Checked:
//   - on 2,000 sampled shots, mwpm's weight equals the oracle's on every shot, and each
//     decoder's correction is a valid matching (its edges' boundary is the shot's events, their
//     summed weight the reported weight, their XORed masks the prediction): every disagreement
//     is a tie between optimal matchings, not a sub-optimal one;
//   - the exact maximum-likelihood decoder (ml) on a 5-round version of the model prefers the
//     pairing (observable 0) in the diagonal configuration by the degeneracy factor ~2
//     (log-likelihood margin ln 2 within 0.1), so which optimal matching a tie-break picks
//     changes the logical error rate without either decoder being wrong: mwpm sends both events
//     to the boundary there; the oracle pairs them (fewer mistakes on this model).
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/decode/oracle/local_search.h"
#include "workers/decode/decoder.h"
#include "workers/decode/matching_graph.h"
#include "workers/decode/mwpm.h"
#include "workers/dem/dem.h"
#include "workers/dem/dem_flatten.h"

// rep_model.h's model with every probability p, `rounds` rounds.
static void equal_model(qp_dem *d, double p, int rounds) {
    char text[2048];
    snprintf(text, sizeof text,
             "error(%g) D0 L0\nerror(%g) D0 D1\nerror(%g) D1\n"
             "repeat %d {\n  error(%g) D0 D2\n  error(%g) D1 D3\n  error(%g) D2 L0\n  error(%g) D2 D3\n"
             "  error(%g) D3\n  shift_detectors 2\n}\nerror(%g) D0 D2\nerror(%g) D1 D3\n",
             p, p, p, rounds - 1, p, p, p, p, p, p, p);
    qp_err err = {{0}};
    qp_dem_init(d);
    cr_assert_eq(qp_dem_parse(d, text, "equal.dem", &err), 0, "%s", err.msg);
}

// Samples the model's mechanisms (each independently with probability p) into events and the
// observable, flipping the detectors of each fired error of the flattened model.
static void sample(const qp_dem *d, double p, uint64_t seed, size_t n, uint8_t *dets, size_t bytes, uint8_t *obs) {
    qp_dem_flat f;
    qp_err err = {{0}};
    cr_assert_eq(qp_dem_flatten(d, &f, 0, &err), 0, "%s", err.msg);
    uint64_t s = seed;
    memset(dets, 0, n * bytes);
    for (size_t k = 0; k < n; k++) {
        obs[k] = 0;
        for (size_t e = 0; e < f.num_mechs; e++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            if ((s >> 11) * 0x1.0p-53 >= p) continue;
            const qp_dem_mechanism *m = &f.mechs[e];
            obs[k] ^= (uint8_t)(m->observables & 1);
            for (uint32_t t = 0; t < m->num_dets; t++) {
                uint64_t x = f.dets[m->first_det + t];
                dets[k * bytes + (x >> 3)] ^= (uint8_t)(1u << (x & 7));
            }
        }
    }
    qp_dem_flat_free(&f);
}

// The correction's boundary equals the record's events; its weight and mask from g's edges.
static int valid_correction(const qp_matching_graph *g, const uint32_t *edges, size_t ne, const uint8_t *rec,
                            int64_t *weight, uint64_t *mask) {
    uint8_t *par = calloc(g->num_detectors + 1, 1);
    int ok = 1;
    *weight = 0, *mask = 0;
    for (size_t e = 0; e < ne && ok; e++) {
        uint32_t a = edges[2 * e], b = edges[2 * e + 1];
        par[a] ^= 1;
        if (b == QP_MG_BOUNDARY) {
            *weight += g->boundary_weight[a], *mask ^= g->boundary_obs[a];
            continue;
        }
        par[b] ^= 1;
        ok = 0;
        for (uint32_t k = g->adj_start[a]; k < g->adj_start[a + 1]; k++)
            if (g->adj_node[k] == b) {
                *weight += g->adj_weight[k], *mask ^= g->adj_obs[k], ok = 1;
                break;
            }
    }
    for (uint32_t v = 0; v < g->num_detectors && ok; v++) ok = par[v] == ((rec[v >> 3] >> (v & 7)) & 1);
    free(par);
    return ok;
}

Test(mwpm_ties, disagreements_are_ties_between_optimal_matchings) {
    qp_dem d;
    equal_model(&d, 0.01, 300);
    qp_err err = {{0}};
    qp_matching_graph g;
    cr_assert_eq(qp_matching_graph_from_dem(&g, &d, &err), 0, "%s", err.msg);
    size_t n = 2000, bytes = (g.num_detectors + 7) / 8;
    uint8_t *dets = malloc(n * bytes), *obs = malloc(n);
    sample(&d, 0.01, 3, n, dets, bytes, obs);
    qp_mwpm *mw = qp_mwpm_create(&g);
    qp_local_search *ls = qp_local_search_create(&g);
    size_t differ = 0, mw_mistakes = 0, ls_mistakes = 0;
    for (size_t k = 0; k < n; k++) {
        const uint8_t *rec = dets + k * bytes;
        uint64_t pm, pl, mm, ml;
        double wm, wl;
        int64_t cm, cl;
        cr_assert_eq(qp_mwpm_decode_b8(mw, rec, &pm, &wm, &err), 0, "%s", err.msg);
        const uint32_t *edges;
        size_t ne = qp_mwpm_last_correction(mw, &edges);
        cr_assert(valid_correction(&g, edges, ne, rec, &cm, &mm) && mm == pm, "shot %zu: mwpm's correction is invalid", k);
        cr_assert_eq(qp_local_search_decode_b8(ls, rec, &pl, &wl, &err), 0, "%s", err.msg);
        ne = qp_local_search_last_correction(ls, &edges);
        cr_assert(valid_correction(&g, edges, ne, rec, &cl, &ml) && ml == pl, "shot %zu: the oracle's correction is invalid", k);
        cr_assert(wm == wl && cm == cl, "shot %zu: mwpm weight %.9g (%lld), oracle %.9g (%lld): not a tie", k, wm,
                  (long long)cm, wl, (long long)cl);
        differ += pm != pl;
        mw_mistakes += (pm & 1) != obs[k];
        ls_mistakes += (pl & 1) != obs[k];
    }
    fprintf(stderr, "equal-weight repetition model: %zu of %zu shots decoded differently, all ties; mistakes mwpm %zu, oracle %zu\n",
            differ, n, mw_mistakes, ls_mistakes);
    cr_expect_gt(differ, 0, "no tie changed a prediction: the model no longer shows what this test is about");
    qp_mwpm_free(mw);
    qp_local_search_free(ls);
    qp_matching_graph_free(&g);
    qp_dem_free(&d);
    free(dets), free(obs);
}

Test(mwpm_ties, likelihood_prefers_the_degenerate_pairing) {
    qp_dem d;
    equal_model(&d, 0.01, 5);
    qp_err err = {{0}};
    qp_decoder *ml = qp_decoder_create("ml", &d, &err);
    cr_assert(ml, "%s", err.msg);
    qp_decoder *mw = qp_decoder_create("mwpm", &d, &err);
    cr_assert(mw, "%s", err.msg);
    size_t bytes = (d.num_detectors + 7) / 8;
    // (D0 round r, D1 round r+1) and (D1 round r, D0 round r+1): detectors 2r, 2r+3 and 2r+1, 2r+2.
    const uint32_t cases[][2] = {{2, 5}, {3, 4}, {4, 7}};
    for (size_t c = 0; c < 3; c++) {
        uint8_t rec[8] = {0}, pred_ml, pred_mw;
        double margin, weight;
        for (int i = 0; i < 2; i++) rec[cases[c][i] >> 3] |= (uint8_t)(1u << (cases[c][i] & 7));
        cr_assert_eq(qp_decoder_decode_batch(ml, rec, 1, bytes, &pred_ml, &margin, &err), 0, "%s", err.msg);
        cr_assert_eq(qp_decoder_decode_batch(mw, rec, 1, bytes, &pred_mw, &weight, &err), 0, "%s", err.msg);
        cr_expect_eq(pred_ml, 0, "D%u D%u: maximum likelihood pairs them (observable 0), not %u", cases[c][0], cases[c][1],
                     pred_ml);
        cr_expect(fabs(margin - log(2)) < 0.1, "D%u D%u: margin %.4f, the degeneracy ratio 2 gives ln 2", cases[c][0],
                  cases[c][1], margin);
        fprintf(stderr, "D%u D%u: ml %u (margin %.3f), mwpm %u (tie-break)\n", cases[c][0], cases[c][1], pred_ml, margin,
                pred_mw);
    }
    qp_decoder_free(ml);
    qp_decoder_free(mw);
    qp_dem_free(&d);
}
