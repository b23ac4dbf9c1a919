// Soft detection events (soft_events.h): one pass over the measurements, multiplying each
// measurement's factor into its detectors' products.
#include "workers/circuit/soft_events.h"

void qp_soft_events(const qp_measurement_map *map, const uint8_t *dets_b8, const float *p1, const float *pleak,
                    float *event, float *leak, double *scratch) {
    uint32_t D = map->num_detectors;
    for (int pass = 0; pass < 2; pass++) {
        float *out = pass == 0 ? event : leak;
        if (!out) continue;
        if (pass == 1 && !pleak) {
            for (uint32_t d = 0; d < D; d++) out[d] = 0;
            continue;
        }
        for (uint32_t d = 0; d < D; d++) scratch[d] = 1;
        for (uint32_t m = 0; m < map->num_measurements; m++) {
            double f;
            if (pass == 0) {
                double e = p1[m] < 0.5f ? p1[m] : 1.0 - p1[m];
                f = 1 - 2 * e;
            } else {
                f = 1 - (double)pleak[m];
            }
            if (f == 1) continue;
            for (uint32_t k = map->det_start[m]; k < map->det_start[m + 1]; k++) scratch[map->det[k]] *= f;
        }
        for (uint32_t d = 0; d < D; d++) {
            if (pass == 1) {
                out[d] = (float)(1 - scratch[d]);
                continue;
            }
            double wrong = (1 - scratch[d]) / 2;
            int hard = (dets_b8[d >> 3] >> (d & 7)) & 1;
            out[d] = (float)(hard ? 1 - wrong : wrong);
        }
    }
}
