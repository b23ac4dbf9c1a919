// The gnuplot plots of `qecpipe report` (see report.h: qp_report_plots).
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pipeline/job/report.h"
#include "workers/util/alloc.h"
#include "workers/util/stats.h"

static int cmp_plot_order(const void *a, const void *b) {
    const qp_report_row *x = a, *y = b;
    int c = strcmp(x->decoder, y->decoder);
    if (!c) c = strcmp(x->basis, y->basis);
    if (!c) c = (x->distance > y->distance) - (x->distance < y->distance);
    if (!c) c = (x->p > y->p) - (x->p < y->p);
    return c;
}

// One gnuplot data block per series; series keys are (decoder, basis, key) where key is the
// distance (ler vs p) or p (ler per round vs d).
static int write_plot(const qp_report_row *sorted, size_t n, const char *prefix, int per_round,
                      qp_err *err) {
    char data_path[1100], script_path[1100];
    snprintf(data_path, sizeof data_path, "%s_%s.dat", prefix, per_round ? "ler_per_round" : "ler_vs_p");
    snprintf(script_path, sizeof script_path, "%s_%s.gp", prefix, per_round ? "ler_per_round" : "ler_vs_p");
    FILE *dat = fopen(data_path, "w");
    if (!dat) return qp_fail(err, "cannot write %s", data_path);
    char titles[256][96];
    int series = 0;
    char last[96] = "";
    // For per-round plots, group by p: reorder by (decoder, basis, p, d).
    qp_report_row *rows = qp_malloc((n ? n : 1) * sizeof *rows);
    memcpy(rows, sorted, n * sizeof *rows);
    if (per_round) {
        for (size_t i = 0; i < n; i++) {  // swap roles so the same sort groups by p
            double p = rows[i].p;
            rows[i].p = (double)rows[i].distance;
            rows[i].distance = (uint64_t)llround(p * 1e12);
        }
        qsort(rows, n, sizeof *rows, cmp_plot_order);
    }
    for (size_t i = 0; i < n && series < 256; i++) {
        const qp_report_row *r = &rows[i];
        if (!r->shots || !r->distance || r->p <= 0) continue;
        char key[96];
        if (per_round)
            snprintf(key, sizeof key, "%s %s p=%g", r->decoder, r->basis, r->distance / 1e12);
        else
            snprintf(key, sizeof key, "%s %s d=%llu", r->decoder, r->basis, (unsigned long long)r->distance);
        if (strcmp(key, last) != 0) {
            if (series) fprintf(dat, "\n\n");
            snprintf(titles[series++], sizeof titles[0], "%s", key);
            snprintf(last, sizeof last, "%s", key);
        }
        double lo, hi, ler = (double)r->errors / r->shots;
        qp_wilson_interval(r->errors, r->shots, 1.96, &lo, &hi);
        if (per_round) {
            uint64_t rounds = r->rounds ? r->rounds : 1;
            fprintf(dat, "%g %.6e %.6e %.6e\n", r->p, qp_ler_per_round(ler, rounds),
                    qp_ler_per_round(lo, rounds), qp_ler_per_round(hi, rounds));
        } else {
            fprintf(dat, "%.6e %.6e %.6e %.6e\n", r->p, ler, lo, hi);
        }
    }
    fclose(dat);
    free(rows);
    FILE *gp = fopen(script_path, "w");
    if (!gp) return qp_fail(err, "cannot write %s", script_path);
    const char *terms[2][2] = {{"pngcairo size 900,650", "png"}, {"svg size 900,650", "svg"}};
    for (int t = 0; t < 2; t++) {
        fprintf(gp, "set terminal %s\nset output '%s_%s.%s'\n", terms[t][0], prefix,
                per_round ? "ler_per_round" : "ler_vs_p", terms[t][1]);
        fprintf(gp, "set logscale y\nset grid\nset key outside right\nset format y '%%.0e'\n");
        fprintf(gp, "set offsets graph 0.05, graph 0.05, 0, 0\n");
        if (per_round)
            fprintf(gp, "set xtics 2\nset xlabel 'code distance d'\nset ylabel 'logical error rate per round'\n");
        else
            fprintf(gp, "set logscale x\nset xlabel 'physical error rate p'\nset ylabel 'logical error rate (per shot)'\n");
        fprintf(gp, "set title 'qecpipe: %s'\n", per_round ? "LER per round vs distance" : "LER vs p");
        if (series == 0) fprintf(gp, "set label 'no data' at graph 0.5,0.5\nplot 1/0 notitle\n");
        for (int s = 0; s < series; s++)
            fprintf(gp, "%s '%s' index %d using 1:2:3:4 with yerrorlines title '%s'%s", s ? "    " : "plot ",
                    data_path, s, titles[s], s + 1 < series ? ", \\\n" : "\n");
        fprintf(gp, "unset output\n");
    }
    fclose(gp);
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' > '%s.log' 2>&1", script_path, script_path);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return qp_fail(err, "gnuplot failed on %s, see %s.log (gnuplot comes from the Debian package gnuplot-nox)",
                       script_path, script_path);
    return 0;
}

int qp_report_plots(const qp_report_row *rows, size_t n, const char *prefix, qp_err *err) {
    qp_report_row *sorted = qp_malloc((n ? n : 1) * sizeof *sorted);
    memcpy(sorted, rows, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_plot_order);
    int rc = write_plot(sorted, n, prefix, 0, err);
    if (rc == 0) rc = write_plot(sorted, n, prefix, 1, err);
    free(sorted);
    return rc;
}
