// The gnuplot plots of `qecpipe report` (see report.h: qp_report_plots), drawn the way sinter
// users read them: one panel per decoder and noise model, a colour and marker per distance (or
// per p) that is the same in every panel, 95 % Wilson intervals as error bars, shared axes.
// Each plot is PREFIX_<name>.dat (the numbers, one gnuplot data block per series) and
// PREFIX_<name>.gp (the script, kept so a plot can be restyled), rendered to PNG and SVG.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pipeline/job/report.h"
#include "workers/util/alloc.h"
#include "workers/util/stats.h"

// sinter's (matplotlib's) colours, and gnuplot's filled markers: circle, square, triangles,
// diamond, pentagon.
static const char *const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
static const int markers[] = {7, 5, 9, 11, 13, 15};
#define NUM_COLOURS 10
#define NUM_MARKERS 6
#define PANEL_W 560
#define PANEL_H 430

// One point: a row's rate (per shot, or per round) with its 95 % interval.
typedef struct {
    double x, y, lo, hi;
} point;

static point row_point(const qp_report_row *r, int per_round) {
    point pt;
    pt.y = (double)r->errors / r->shots;
    qp_wilson_interval(r->errors, r->shots, 1.96, &pt.lo, &pt.hi);
    if (per_round) {
        uint64_t rounds = r->rounds ? r->rounds : 1;
        pt.y = qp_ler_per_round(pt.y, rounds);  // NaN when saturated: such rows are not drawn
        pt.lo = qp_ler_per_round(pt.lo, rounds);
        pt.hi = qp_ler_per_round(pt.hi, rounds);
        if (isnan(pt.hi)) pt.hi = 0.5;  // the interval reaches saturation: its top is 0.5
    }
    pt.x = per_round ? (double)r->distance : r->p;
    return pt;
}

static int plottable(const qp_report_row *r) { return r->shots && r->distance && r->p > 0; }

// A row's point is drawn: it has errors (log scale) and, per round, is not saturated.
static int drawn(const qp_report_row *r, int per_round) {
    return r->errors && !(per_round && isnan(row_point(r, 1).y));
}

// Row orders along a plot's x axis (names sort d11 before d3).
static int cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }
static int cmp_dbl(double a, double b) { return (a > b) - (a < b); }
static int by_p(const void *a, const void *b) {
    const qp_report_row *x = *(const qp_report_row *const *)a, *y = *(const qp_report_row *const *)b;
    int c = cmp_dbl(x->p, y->p);
    return c ? c : cmp_u64(x->distance, y->distance);
}
static int by_distance(const void *a, const void *b) {
    const qp_report_row *x = *(const qp_report_row *const *)a, *y = *(const qp_report_row *const *)b;
    int c = cmp_u64(x->distance, y->distance);
    return c ? c : cmp_dbl(x->p, y->p);
}

// Adds v to the sorted distinct values vals[0..*n) unless present (or the array is full).
static void sorted_insert(double *vals, int *n, int cap, double v) {
    int i = 0;
    while (i < *n && vals[i] < v) i++;
    if ((i < *n && vals[i] == v) || *n == cap) return;
    memmove(vals + i + 1, vals + i, (*n - i) * sizeof *vals);
    vals[i] = v;
    (*n)++;
}

// What was run, for the titles: "rotated surface-code memory X, rounds = d".
static void describe_run(const qp_report_row *rows, size_t n, char *buf, size_t cap) {
    int x = 0, z = 0, other_code = 0;
    long ratio = -1;  // rounds = ratio * d for every row, 0 when that does not hold
    uint64_t rounds_all = 0;  // the rounds of every row when they are all equal, else UINT64_MAX
    for (size_t i = 0; i < n; i++) {
        const qp_report_row *r = &rows[i];
        if (!plottable(r)) continue;
        x |= strcmp(r->basis, "x") == 0;
        z |= strcmp(r->basis, "z") == 0;
        other_code |= strcmp(r->code, "surface") != 0;
        long k = r->rounds % r->distance == 0 ? (long)(r->rounds / r->distance) : 0;
        ratio = ratio < 0 ? k : (ratio == k ? k : 0);
        rounds_all = !rounds_all || rounds_all == r->rounds ? r->rounds : UINT64_MAX;
    }
    char rounds[32] = "rounds vary";
    if (ratio == 1) snprintf(rounds, sizeof rounds, "rounds = d");
    else if (ratio > 1) snprintf(rounds, sizeof rounds, "rounds = %ldd", ratio);
    else if (rounds_all && rounds_all != UINT64_MAX)
        snprintf(rounds, sizeof rounds, "%llu rounds", (unsigned long long)rounds_all);
    snprintf(buf, cap, "%s memory %s, %s", other_code ? "code" : "rotated surface-code",
             x && z ? "X and Z" : (z ? "Z" : "X"), rounds);
}

static int basis_count(const qp_report_row *rows, size_t n) {
    int x = 0, z = 0;
    for (size_t i = 0; i < n; i++) x |= rows[i].basis[0] == 'x', z |= rows[i].basis[0] == 'z';
    return x + z;
}

// Panels: the distinct (decoder, noise) pairs of plottable rows, in name order.
typedef struct {
    char decoder[32], noise[32];
} panel;

static int panel_cmp(const void *a, const void *b) {
    const panel *x = a, *y = b;
    int c = strcmp(x->decoder, y->decoder);
    return c ? c : strcmp(x->noise, y->noise);
}

static int collect_panels(const qp_report_row *rows, size_t n, panel *panels, int cap) {
    int np = 0;
    for (size_t i = 0; i < n; i++) {
        if (!plottable(&rows[i])) continue;
        panel p;
        snprintf(p.decoder, sizeof p.decoder, "%s", rows[i].decoder);
        snprintf(p.noise, sizeof p.noise, "%s", rows[i].noise[0] ? rows[i].noise : "?");
        int seen = 0;
        for (int k = 0; k < np && !seen; k++) seen = panel_cmp(&panels[k], &p) == 0;
        if (!seen && np < cap) panels[np++] = p;
    }
    qsort(panels, np, sizeof *panels, panel_cmp);
    return np;
}

static int in_panel(const qp_report_row *r, const panel *p) {
    return plottable(r) && strcmp(r->decoder, p->decoder) == 0 &&
           strcmp(r->noise[0] ? r->noise : "?", p->noise) == 0;
}

static void gp_quote(FILE *f, const char *s) {  // a gnuplot single-quoted string
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputc('\'', f);  // '' is a quote inside '...'
        fputc(*s, f);
    }
    fputc('\'', f);
}

// Writes the script: the same body rendered to PNG, then to SVG; runs gnuplot on it.
static int render(const char *prefix, const char *name, const char *body, int width, int height, qp_err *err) {
    char script[1100], cmd[2400];
    snprintf(script, sizeof script, "%s_%s.gp", prefix, name);
    FILE *gp = fopen(script, "w");
    if (!gp) return qp_fail(err, "cannot write %s", script);
    fprintf(gp, "set terminal pngcairo size %d,%d font 'Sans,10'\nset output '%s_%s.png'\n%s", width, height,
            prefix, name, body);
    fprintf(gp, "set terminal svg size %d,%d dynamic font 'Sans,10'\nset output '%s_%s.svg'\n%sunset output\n",
            width, height, prefix, name, body);
    if (fclose(gp) != 0) return qp_fail(err, "writing %s failed", script);
    snprintf(cmd, sizeof cmd, "gnuplot '%s' > '%s.log' 2>&1", script, script);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return qp_fail(err, "gnuplot failed on %s, see %s.log (gnuplot comes from the Debian package gnuplot-nox)",
                       script, script);
    return 0;
}

static void grid_of(int panels, int *rows, int *cols) {
    *cols = panels <= 1 ? 1 : (panels <= 4 ? 2 : 3);
    *rows = panels ? (panels + *cols - 1) / *cols : 1;
}

// LER vs p (log-log; series = distance x basis, colour and marker by distance), or LER per
// round vs distance (log y; series = p x basis, colour and marker by p).
static int write_ler_plot(const qp_report_row *rows, size_t n, const char *prefix, int per_round,
                          qp_err *err) {
    const char *name = per_round ? "ler_per_round" : "ler_vs_p";
    char data_path[1100], what[160];
    snprintf(data_path, sizeof data_path, "%s_%s.dat", prefix, name);
    FILE *dat = fopen(data_path, "w");
    if (!dat) return qp_fail(err, "cannot write %s", data_path);
    describe_run(rows, n, what, sizeof what);
    int bases = basis_count(rows, n);

    // Colour keys (distance, or p) over all panels, so one colour means one thing everywhere.
    double keys[NUM_COLOURS * NUM_MARKERS];
    int num_keys = 0;
    double xs[16], xmin = INFINITY, xmax = 0, ymin = INFINITY, ymax = 0;
    int num_xs = 0;
    for (size_t i = 0; i < n; i++) {
        if (!plottable(&rows[i])) continue;
        sorted_insert(keys, &num_keys, NUM_COLOURS * NUM_MARKERS, per_round ? rows[i].p : (double)rows[i].distance);
        point pt = row_point(&rows[i], per_round);
        sorted_insert(xs, &num_xs, 16, pt.x);
        xmin = fmin(xmin, pt.x), xmax = fmax(xmax, pt.x);
        if (drawn(&rows[i], per_round)) ymin = fmin(ymin, pt.lo), ymax = fmax(ymax, pt.hi);
    }

    const qp_report_row **order = qp_malloc((n ? n : 1) * sizeof *order);  // along x
    for (size_t i = 0; i < n; i++) order[i] = &rows[i];
    qsort(order, n, sizeof *order, per_round ? by_distance : by_p);
    panel panels[64];
    int np = collect_panels(rows, n, panels, 64), grid_r, grid_c, block = 0;
    grid_of(np, &grid_r, &grid_c);
    char *body = NULL;
    size_t body_len = 0;
    FILE *b = open_memstream(&body, &body_len);
    fprintf(b, "set multiplot layout %d,%d title \"%s: logical error rate %s\\n%s; 95%% Wilson intervals\" "
               "font ',12'\n", grid_r, grid_c, strrchr(prefix, '/') ? strrchr(prefix, '/') + 1 : prefix,
            per_round ? "per round vs code distance" : "vs physical error rate", what);
    // The key goes where the curves are not: rates rise with p and fall with d.
    fprintf(b, "set grid\nset key top %s reverse Left font ',9'\nset format y '10^{%%L}'\nset logscale y\n",
            per_round ? "right" : "left");
    if (per_round) {
        fprintf(b, "unset logscale x\nset format x '%%g'\nset xlabel 'code distance d'\n"
                   "set ylabel 'logical error rate per round'\n");
        if (xmax > 0) fprintf(b, "set xrange [%g:%g]\n", xmin - 1, xmax + 1);
    } else {
        fprintf(b, "set logscale x\nset format x '%%g'\nset xlabel 'physical error rate p'\n"
                   "set ylabel 'logical error rate per shot'\n");
        if (xmax > 0) fprintf(b, "set xrange [%g:%g]\n", xmin / 1.25, xmax * 1.25);
    }
    if (ymax > 0) fprintf(b, "set yrange [%g:%g]\n", ymin / 2, fmin(1, ymax * 2));
    if (num_xs > 0 && num_xs < 16) {  // a tic at every distance or p that was run
        fprintf(b, "set xtics (");
        for (int i = 0; i < num_xs; i++) fprintf(b, "%s%g", i ? ", " : "", xs[i]);
        fprintf(b, ")\n");
    }
    if (np == 0) fprintf(b, "set label 1 'no experiments with a distance and p to plot' at graph 0.5,0.5 center\n"
                            "set yrange [1e-3:1]\nplot 1/0 notitle\nunset label 1\n");

    for (int k = 0; k < np; k++) {
        int hidden = 0, saturated = 0, first = 1;
        for (size_t i = 0; i < n; i++) {
            if (!in_panel(&rows[i], &panels[k]) || drawn(&rows[i], per_round)) continue;
            if (rows[i].errors) saturated++;
            else hidden++;
        }
        fprintf(b, "set title 'decoder %s, %s noise'\n", panels[k].decoder, panels[k].noise);
        // Log scale: a rate of 0 has no place, nor has a saturated experiment a per-round rate;
        // the panel says how many points it leaves out.
        if (hidden || saturated) {
            char note[160];
            int len = 0;
            if (hidden) len = snprintf(note, sizeof note, "%d point%s with 0 errors", hidden, hidden > 1 ? "s" : "");
            if (saturated)
                snprintf(note + len, sizeof note - len, "%s%d saturated (LER >= 0.5)", hidden ? ", " : "", saturated);
            fprintf(b, "set label 1 '%s not shown' at graph 0.98,0.04 right font ',8'\n", note);
        }
        // Series: rows of this panel grouped by (colour key, basis), in x order.
        for (int key = 0; key < num_keys; key++)
            for (int basis = 0; basis < 2; basis++) {
                int any = 0;
                for (size_t i = 0; i < n; i++) {
                    const qp_report_row *r = order[i];
                    double rk = per_round ? r->p : (double)r->distance;
                    if (!in_panel(r, &panels[k]) || !drawn(r, per_round) || rk != keys[key] ||
                        (r->basis[0] == 'z') != basis)
                        continue;
                    point pt = row_point(r, per_round);
                    fprintf(dat, "%.9g %.6e %.6e %.6e\n", pt.x, pt.y, pt.lo, pt.hi);
                    any = 1;
                }
                if (!any) continue;
                fprintf(dat, "\n\n");
                char title[64];
                int len = per_round ? snprintf(title, sizeof title, "p = %g", keys[key])
                                    : snprintf(title, sizeof title, "d = %g", keys[key]);
                if (bases > 1) snprintf(title + len, sizeof title - len, ", memory %s", basis ? "Z" : "X");
                fprintf(b, "%s '%s' index %d using 1:2:3:4 with yerrorlines lw 1.5 lc rgb '%s' pt %d ps 1.1 dt %d title ",
                        first ? "plot" : ", \\\n    ", data_path, block++, colours[key % NUM_COLOURS],
                        markers[key % NUM_MARKERS], basis ? 2 : 1);
                gp_quote(b, title);
                first = 0;
            }
        fprintf(b, first ? "plot 1/0 notitle\nunset label 1\n" : "\nunset label 1\n");
    }
    fprintf(b, "unset multiplot\n");
    fclose(b);
    fclose(dat);
    int rc = render(prefix, name, body, grid_c * PANEL_W, grid_r * PANEL_H + 40, err);
    free(body);
    free(order);
    return rc;
}

// An experiment's label on the comparison plot's x axis: "d=5 p=0.003" (with the basis and
// noise when those vary), else the end of its name.
static void experiment_label(const qp_report_row *r, int bases, int noises, char *buf, size_t cap) {
    if (!r->distance || r->p <= 0) {
        size_t len = strlen(r->name);
        snprintf(buf, cap, "%s%.28s", len > 28 ? "…" : "", r->name + (len > 28 ? len - 28 : 0));
        return;
    }
    int w = snprintf(buf, cap, "d=%llu p=%g", (unsigned long long)r->distance, r->p);
    if (bases > 1) w += snprintf(buf + w, cap - w, " %s", r->basis[0] == 'z' ? "Z" : "X");
    if (noises > 1) snprintf(buf + w, cap - w, " %s", r->noise);
}

static int experiment_order(const void *a, const void *b) {
    const qp_report_row *x = *(const qp_report_row *const *)a, *y = *(const qp_report_row *const *)b;
    int c = strcmp(x->noise, y->noise);
    if (!c) c = strcmp(x->basis, y->basis);
    if (!c) c = by_distance(a, b);
    return c ? c : strcmp(x->name, y->name);
}

// Each decoder's LER divided by mwpm's on the same experiment, one x position per experiment
// with mwpm results, one colour per decoder. The bars combine both 95 % intervals
// (low: decoder low / mwpm high; high: decoder high / mwpm low), so they are conservative.
static int write_decoder_plot(const qp_report_row *rows, size_t n, const char *prefix, qp_err *err) {
    char data_path[1100];
    snprintf(data_path, sizeof data_path, "%s_decoders.dat", prefix);
    FILE *dat = fopen(data_path, "w");
    if (!dat) return qp_fail(err, "cannot write %s", data_path);
    // The baselines: mwpm rows with errors (a ratio to 0 is undefined), in plot order.
    const qp_report_row **base = qp_malloc((n ? n : 1) * sizeof *base);
    int nb = 0, noises = 0;  // noises: 1 if every baseline has the same noise model, else 2
    char first_noise[32] = "";
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].decoder, "mwpm") != 0 || !rows[i].shots || !rows[i].errors) continue;
        base[nb++] = &rows[i];
        if (nb == 1) snprintf(first_noise, sizeof first_noise, "%s", rows[i].noise);
        noises = nb == 1 ? 1 : (strcmp(first_noise, rows[i].noise) != 0 ? 2 : noises);
    }
    qsort(base, nb, sizeof *base, experiment_order);
    int bases = basis_count(rows, n);
    // The other decoders, in name order.
    char decoders[16][32];
    int nd = 0;
    for (size_t i = 0; i < n; i++) {
        int seen = strcmp(rows[i].decoder, "mwpm") == 0;
        for (int k = 0; k < nd && !seen; k++) seen = strcmp(decoders[k], rows[i].decoder) == 0;
        if (!seen && nd < 16) snprintf(decoders[nd++], sizeof decoders[0], "%s", rows[i].decoder);
    }
    qsort(decoders, nd, sizeof decoders[0], (int (*)(const void *, const void *))strcmp);

    char *body = NULL;
    size_t body_len = 0;
    FILE *b = open_memstream(&body, &body_len);
    char what[160];
    describe_run(rows, n, what, sizeof what);
    fprintf(b, "set title \"%s: each decoder's logical error rate relative to mwpm, per experiment\\n%s; bars "
               "combine both 95%% Wilson intervals\" font ',12'\n",
            strrchr(prefix, '/') ? strrchr(prefix, '/') + 1 : prefix, what);
    fprintf(b, "set grid ytics\nset logscale y\nset format y '%%g'\nset key outside right top Left reverse\n"
               "set ylabel 'LER(decoder) / LER(mwpm)'\nset xtics rotate by 50 right font ',9'\n"
               "set bmargin 10\nset lmargin 16\nset rmargin 20\n");
    fprintf(b, "set xrange [-0.7:%g]\n", nb - 0.3);
    fprintf(b, "set xtics (");
    for (int e = 0; e < nb; e++) {
        char label[128];
        experiment_label(base[e], bases, noises, label, sizeof label);
        fprintf(b, "%s", e ? ", " : "");
        gp_quote(b, label);
        fprintf(b, " %d", e);
    }
    fprintf(b, ")\n");
    int block = 0, plotted = 0;
    for (int k = 0; k < nd; k++) {
        int any = 0;
        double shift = nd > 1 ? 0.3 * ((double)k / (nd - 1) - 0.5) : 0;  // side by side within an experiment
        for (int e = 0; e < nb; e++)
            for (size_t i = 0; i < n; i++) {
                const qp_report_row *r = &rows[i];
                if (strcmp(r->decoder, decoders[k]) != 0 || strcmp(r->name, base[e]->name) != 0 || !r->shots ||
                    !r->errors)
                    continue;
                point d = row_point(r, 0), m = row_point(base[e], 0);
                fprintf(dat, "%g %.6e %.6e %.6e\n", e + shift, d.y / m.y, d.lo / m.hi, d.hi / m.lo);
                any = 1;
            }
        if (!any) continue;
        fprintf(dat, "\n\n");
        fprintf(b, "%s '%s' index %d using 1:2:3:4 with yerrorbars lw 1.5 lc rgb '%s' pt %d ps 1.2 title ",
                plotted ? ", \\\n    " : "plot 1 with lines lw 2 lc rgb 'black' dt 2 title 'mwpm', \\\n    ",
                data_path, block++, colours[(k + 1) % NUM_COLOURS], markers[(k + 1) % NUM_MARKERS]);
        gp_quote(b, decoders[k]);
        plotted = 1;
    }
    if (!plotted)
        fprintf(b, "set label 1 'no experiment has mwpm errors and another decoder to compare' at graph 0.5,0.5 "
                   "center\nset yrange [0.1:10]\nplot 1 with lines lc rgb 'black' dt 2 title 'mwpm'\nunset label 1");
    fprintf(b, "\n");
    fclose(b);
    fclose(dat);
    int width = nb * 40 + 300 < 1000 ? 1000 : (nb * 40 + 300 > 4000 ? 4000 : nb * 40 + 300);
    int rc = render(prefix, "decoders", body, width, 620, err);
    free(body);
    free(base);
    return rc;
}

int qp_report_plots(const qp_report_row *rows, size_t n, const char *prefix, qp_err *err) {
    if (write_ler_plot(rows, n, prefix, 0, err) != 0) return -1;
    if (write_ler_plot(rows, n, prefix, 1, err) != 0) return -1;
    return write_decoder_plot(rows, n, prefix, err);
}
