#include "pipeline/job/experiment.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/formats/shot_reader.h"
#include "pipeline/job/decoder_open.h"
#include "pipeline/store/store_name.h"
#include "scheduler/collectives.h"
#include "workers/circuit/circuit_shape.h"
#include "workers/circuit/repetition_code.h"
#include "workers/circuit/surface_code.h"
#include "workers/dem/error_analysis.h"
#include "workers/sim/reference_sample.h"
#include "workers/util/alloc.h"
#include "workers/util/read_file.h"
#include "workers/util/rng.h"


static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int qp_job_experiment_circuit_text(const qp_experiment *exp, char **text, qp_err *err) {
    *text = NULL;
    qp_circuit c;
    qp_circuit_init(&c);
    int rc;
    if (exp->code == QP_CODE_CIRCUIT) {
        rc = qp_circuit_parse_file(&c, exp->circuit, err);
    } else if (exp->code == QP_CODE_REPETITION) {
        qp_repetition_params params = qp_repetition_params_uniform((uint32_t)exp->distance, (uint64_t)exp->rounds, exp->p);
        rc = qp_repetition_code_generate(&c, &params, err);
    } else {
        char basis = exp->basis == QP_BASIS_X ? 'x' : 'z';
        uint32_t d = (uint32_t)exp->distance;
        uint64_t r = (uint64_t)exp->rounds;
        qp_surface_params params = exp->noise == QP_NOISE_SI1000
                                       ? qp_surface_params_si1000(basis, d, r, exp->p)
                                       : qp_surface_params_uniform(basis, d, r, exp->p);
        rc = qp_surface_code_generate(&c, &params, err);
    }
    if (rc == 0 && exp->readout_snr > 0) {  // soft readout: the hard-equivalent circuit
        qp_readout_model m;
        rc = qp_readout_model_init(&m, exp->readout_snr, exp->readout_t1, err);
        if (rc == 0) qp_soft_readout_hard_equivalent(&c, m.flip);
        if (rc == 0) rc = qp_circuit_finalize(&c, err);
    }
    if (rc == 0) {
        *text = qp_circuit_to_text(&c, err);
        if (!*text) rc = -1;
    }
    qp_circuit_free(&c);
    if (rc != 0) qp_fail_prefix(err, "experiment %s", exp->name);
    return rc;
}

// Rank 0: the decomposed DEM of a circuit text, with periodic REPEAT blocks kept as `repeat`
// (a 100,000-round model stays kilobytes; nothing downstream unrolls a windowed model).
static char *derive_dem_text(const char *circuit_text, const char *name, qp_err *err) {
    qp_circuit c;
    qp_circuit_init(&c);
    qp_dem d;
    qp_dem_init(&d);
    char *text = NULL;
    int rc = qp_circuit_parse(&c, circuit_text, name, err);
    if (rc == 0) {
        qp_error_analysis_options opt = {.decompose_errors = 1, .fold_loops = 1};
        rc = qp_error_analysis(&c, &opt, &d, err);
        if (rc != 0) qp_fail_prefix(err, "%s: detector error model", name);
    }
    if (rc == 0) text = qp_dem_to_string(&d, err);
    qp_dem_free(&d);
    qp_circuit_free(&c);
    return text;
}

// Every rank: parse the broadcast texts and build the decoders; all ranks agree on failure.
static int finish_setup(qp_job_experiment *je, uint32_t decoder_mask, MPI_Comm comm, qp_err *err) {
    qp_bcast_string(comm, &je->circuit_text);
    qp_bcast_string(comm, &je->dem_text);
    qp_bcast_string(comm, &je->dem_odd_text);
    MPI_Bcast(&je->info, sizeof je->info, MPI_BYTE, 0, comm);
    MPI_Bcast(&je->files, sizeof je->files, MPI_BYTE, 0, comm);

    const char *name = je->info.name;
    int rc = qp_circuit_parse(&je->circuit, je->circuit_text, name, err);
    if (rc == 0) rc = qp_dem_parse(&je->dem, je->dem_text, name, err);
    qp_dem dem_odd;
    qp_dem_init(&dem_odd);
    if (rc == 0 && je->dem_odd_text) rc = qp_dem_parse(&dem_odd, je->dem_odd_text, name, err);
    je->num_detectors = je->circuit.num_detectors;
    je->num_observables = je->circuit.num_observables;
    if (rc == 0 && je->info.readout_snr > 0) {
        je->reference = qp_calloc(je->circuit.num_measurements / 8 + 1, 1);
        je->readout = qp_calloc(1, sizeof *je->readout);
        rc = qp_reference_sample(&je->circuit, je->reference, err);
        if (rc == 0)
            rc = qp_soft_readout_init(je->readout, je->info.readout_snr, je->info.readout_t1, je->reference, err);
        if (rc != 0) qp_fail_prefix(err, "experiment %s: soft readout", name);
    }
    qp_job_window_choice(&je->info.window, &je->info.commit, je->info.distance, je->dem.num_detectors);
    qp_window_options wo = {.window = je->info.window, .commit = je->info.commit};
    for (int k = 0; rc == 0 && k < QP_NUM_DECODERS; k++) {
        if (!(decoder_mask & QP_DECODER_BIT(k))) continue;
        const char *kind = qp_decoder_name((qp_decoder_id)k);
        int i = je->num_decoders;
        je->decoder_ids[i] = (qp_decoder_id)k;
        qp_decoder_inputs in = {&je->dem, &je->circuit, je->info.model, &wo};
        rc = qp_decoder_open((qp_decoder_id)k, &in, &je->decoders[i], err);
        if (rc == 0 && je->dem_odd_text && !qp_decoder_kind_of((qp_decoder_id)k)->needs_model) {
            in.dem = &dem_odd;
            rc = qp_decoder_open((qp_decoder_id)k, &in, &je->decoders_odd[i], err);
        }
        if (je->decoders[i]) je->num_decoders++;
        if (rc != 0) qp_fail_prefix(err, "experiment %s: decoder %s", name, kind);
    }
    qp_dem_free(&dem_odd);
    return qp_agree_status(comm, rc, err);  // the lowest failing rank's message wins
}

static void init_empty(qp_job_experiment *je) {
    memset(je, 0, sizeof *je);
    qp_circuit_init(&je->circuit);
    qp_dem_init(&je->dem);
}

int qp_job_experiment_setup(qp_job_experiment *je, const qp_experiment *exp, MPI_Comm comm,
                            qp_err *err) {
    init_empty(je);
    qp_experiment_info *in = &je->info;
    snprintf(in->name, sizeof in->name, "%s", exp->name);
    qp_job_group_name(exp->name, in->group, sizeof in->group);
    snprintf(in->code, sizeof in->code, "%s", qp_code_name(exp->code));
    snprintf(in->basis, sizeof in->basis, "%s", exp->code != QP_CODE_CIRCUIT ? qp_basis_name(exp->basis) : "");
    snprintf(in->noise, sizeof in->noise, "%s", exp->code != QP_CODE_CIRCUIT ? qp_noise_name(exp->noise) : "");
    snprintf(in->source_path, sizeof in->source_path, "%s", exp->circuit[0] ? exp->circuit : "generated");
    in->distance = (uint64_t)exp->distance;
    in->rounds = (uint64_t)exp->rounds;
    in->p = exp->p;
    in->leak_p = exp->leak_p;
    in->leak_mean_rounds = exp->leak_mean_rounds;
    in->stream = exp->stream;
    in->max_shots = exp->max_shots;
    in->max_errors = exp->max_errors == UINT64_MAX ? 0 : exp->max_errors;
    in->window = exp->window;
    in->commit = exp->commit;
    snprintf(in->model, sizeof in->model, "%s", exp->model);
    in->readout_snr = exp->readout_snr;
    in->readout_t1 = exp->readout_t1;

    int rank;
    MPI_Comm_rank(comm, &rank);
    int rc = 0;
    if (rank == 0) {
        rc = qp_job_experiment_circuit_text(exp, &je->circuit_text, err);
        if (rc == 0) {
            je->dem_text = derive_dem_text(je->circuit_text, exp->name, err);
            if (!je->dem_text) rc = -1;
        }
    }
    if (qp_bcast_status(comm, rc, err) != 0 || finish_setup(je, exp->decoders, comm, err) != 0) {
        qp_job_experiment_free(je);
        return -1;
    }
    return 0;
}

void qp_job_window_choice(uint64_t *window, uint64_t *commit, uint64_t distance, uint64_t num_detectors) {
    if (*window) {  // configured
        if (!*commit) *commit = *window / 2;
        return;
    }
    *commit = 0;
    if (num_detectors <= QP_JOB_GLOBAL_MAX_DETECTORS) return;
    if (!distance) {
        *window = 100, *commit = 50;
        return;
    }
    *window = 10 * distance;
    *commit = *window - 2 * distance;  // a buffer of 2 d rounds
}

void qp_job_group_name(const char *name, char *buf, size_t cap) {
    char *escaped = qp_store_name_escape(name);
    snprintf(buf, cap, "%s", escaped);
    free(escaped);
}

// The shortest %g text that reads back as the same double (0.005, not 0.0050000000000000001).
static const char *shortest_double(double x, char *buf, size_t cap) {
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
    return buf;
}

void qp_job_json_metadata(const qp_experiment_info *in, char *buf, size_t cap) {
    size_t j = 0;
    j += snprintf(buf + j, cap - j, "{\"name\":\"");
    // JSON string escapes: quote, backslash and control characters (a tab in a folder name
    // is \t, not dropped); UTF-8 passes through as it is.
    for (const unsigned char *s = (const unsigned char *)in->name; *s && j + 8 < cap; s++) {
        const char *esc = *s == '"' ? "\\\"" : *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n"
                          : *s == '\r' ? "\\r" : NULL;
        if (esc) j += (size_t)snprintf(buf + j, cap - j, "%s", esc);
        else if (*s < 0x20 || *s == 0x7f) j += (size_t)snprintf(buf + j, cap - j, "\\u%04x", *s);
        else buf[j++] = (char)*s;
    }
    char num[40];
    j += snprintf(buf + j, cap > j ? cap - j : 0, "\",\"code\":\"%s\"", in->code);
    if (in->basis[0] && j < cap) j += snprintf(buf + j, cap - j, ",\"b\":\"%s\"", in->basis);
    if (in->distance && j < cap) j += snprintf(buf + j, cap - j, ",\"d\":%llu", (unsigned long long)in->distance);
    if (in->rounds && j < cap) j += snprintf(buf + j, cap - j, ",\"r\":%llu", (unsigned long long)in->rounds);
    if (in->p > 0 && j < cap) j += snprintf(buf + j, cap - j, ",\"p\":%s", shortest_double(in->p, num, sizeof num));
    if (in->noise[0] && j < cap) j += snprintf(buf + j, cap - j, ",\"noise\":\"%s\"", in->noise);
    if (in->leak_p > 0 && j < cap) j += snprintf(buf + j, cap - j, ",\"leakage_p\":%s", shortest_double(in->leak_p, num, sizeof num));
    if (in->leak_p > 0 && j < cap)
        j += snprintf(buf + j, cap - j, ",\"leakage_mean_rounds\":%s", shortest_double(in->leak_mean_rounds, num, sizeof num));
    if (in->readout_snr > 0 && j < cap) {
        j += snprintf(buf + j, cap - j, ",\"readout_snr\":%s", shortest_double(in->readout_snr, num, sizeof num));
        if (j < cap)
            j += isinf(in->readout_t1) ? snprintf(buf + j, cap - j, ",\"readout_t1_over_tint\":\"inf\"")
                                       : snprintf(buf + j, cap - j, ",\"readout_t1_over_tint\":%s",
                                                  shortest_double(in->readout_t1, num, sizeof num));
    }
    if (j < cap) snprintf(buf + j, cap - j, "}");
}

// Metadata from a Google-layout path: "..._bX_d5_r05_..." or "d5_at_q4_7/X/r05".
static void parse_path_metadata(const char *rel, qp_experiment_info *in) {
    for (const char *s = rel; *s; s++) {
        int boundary = s == rel || !isalnum((unsigned char)s[-1]);
        if (!boundary) continue;
        if ((s[0] == 'd' || s[0] == 'r') && isdigit((unsigned char)s[1])) {
            uint64_t v = strtoull(s + 1, NULL, 10);
            if (s[0] == 'd') in->distance = v;
            else in->rounds = v;
        } else if (s[0] == 'b' && (s[1] == 'X' || s[1] == 'Z') && !isalnum((unsigned char)s[2])) {
            in->basis[0] = (char)tolower((unsigned char)s[1]);
        } else if ((s[0] == 'X' || s[0] == 'Z') && !isalnum((unsigned char)s[1])) {
            in->basis[0] = (char)tolower((unsigned char)s[0]);
        }
    }
}

// Distance, rounds and basis from the circuit (circuit_shape.h), which the data follow;
// the folder name's are kept only where the circuit says nothing, and a folder name that
// contradicts the circuit gets a warning.
static void take_circuit_shape(qp_experiment_info *in, const qp_circuit_shape *shape, const char *dir) {
    char named[96] = "", found[96] = "";
    size_t a = 0, b = 0;
    if (shape->distance && in->distance && in->distance != shape->distance) {
        a += (size_t)snprintf(named + a, sizeof named - a, " d=%llu", (unsigned long long)in->distance);
        b += (size_t)snprintf(found + b, sizeof found - b, " d=%llu", (unsigned long long)shape->distance);
    }
    if (shape->rounds && in->rounds && in->rounds != shape->rounds) {
        a += (size_t)snprintf(named + a, sizeof named - a, " r=%llu", (unsigned long long)in->rounds);
        b += (size_t)snprintf(found + b, sizeof found - b, " r=%llu", (unsigned long long)shape->rounds);
    }
    if (shape->basis && in->basis[0] && in->basis[0] != shape->basis) {
        snprintf(named + a, sizeof named - a, " basis %c", in->basis[0]);
        snprintf(found + b, sizeof found - b, " basis %c", shape->basis);
    }
    if (named[0])
        fprintf(stderr, "qecpipe redecode: warning: %s: the folder name says%s but the circuit has%s; using the "
                        "circuit's\n", dir, named, found);
    if (shape->distance) in->distance = shape->distance;
    if (shape->rounds) in->rounds = shape->rounds;
    if (shape->basis) in->basis[0] = shape->basis, in->basis[1] = 0;
}

// Rank 0: everything about an archived folder, checked before any decoding.
static int archive_on_root(qp_job_experiment *je, const char *archive, const char *rel,
                           const qp_archive_options *opt, qp_err *err) {
    qp_experiment_info *in = &je->info;
    char dir[QP_CONFIG_PATH_MAX - 64], path[QP_CONFIG_PATH_MAX + 64];
    snprintf(dir, sizeof dir, "%s/%s", archive, rel);
    snprintf(in->source_path, sizeof in->source_path, "%s", dir);

    snprintf(path, sizeof path, "%s/circuit_noisy.stim", dir);
    if (!file_exists(path)) snprintf(path, sizeof path, "%s/circuit_ideal.stim", dir);
    if (!file_exists(path))
        return qp_fail(err, "%s: no circuit_noisy.stim or circuit_ideal.stim", dir);
    if (!(je->circuit_text = qp_read_file(path, NULL, err))) return -1;
    qp_circuit c;
    qp_circuit_init(&c);
    int rc = qp_circuit_parse(&c, je->circuit_text, path, err);
    uint64_t num_dets = c.num_detectors, num_obs = c.num_observables;
    qp_circuit_shape shape;
    if (rc == 0) rc = qp_circuit_shape_of(&c, &shape, err);
    qp_circuit_free(&c);
    if (rc != 0) return -1;
    take_circuit_shape(in, &shape, dir);
    char circuit_file[64];
    snprintf(circuit_file, sizeof circuit_file, "%s", strrchr(path, '/') + 1);

    // DEMs.
    if (opt->dem_by_parity) {
        snprintf(path, sizeof path, "%s/pij_from_odd_for_even.dem", dir);
        if (!(je->dem_text = qp_read_file(path, NULL, err))) return -1;
        snprintf(path, sizeof path, "%s/pij_from_even_for_odd.dem", dir);
        if (!(je->dem_odd_text = qp_read_file(path, NULL, err))) return -1;
    } else {
        const char *name = opt->dem_name ? opt->dem_name : "circuit_detector_error_model.dem";
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (file_exists(path)) {
            if (!(je->dem_text = qp_read_file(path, NULL, err))) return -1;
        } else if (opt->dem_name) {
            return qp_fail(err, "%s: no such DEM file (--dem-name %s)", path, opt->dem_name);
        } else if (!(je->dem_text = derive_dem_text(je->circuit_text, rel, err))) {
            return -1;
        } else if (!strstr(je->dem_text, "error(")) {  // sparse blossom would fail on it later
            return qp_fail(err, "%s: %s has no noise, so the detector error model derived from it is empty and "
                                "nothing can be decoded; %s needs a DEM: put it in the folder as "
                                "circuit_detector_error_model.dem (or name it with --dem-name)",
                           dir, circuit_file, strcmp(circuit_file, "circuit_ideal.stim") == 0
                                                  ? "an ideal circuit" : "a circuit without noise");
        }
    }

    // Shots: the detection events decide the count; the observables must match it.
    snprintf(je->files.dets_path, sizeof je->files.dets_path, "%s/detection_events.b8", dir);
    uint64_t shots = 0, obs_shots = 0;
    if (qp_shot_file_count_records(je->files.dets_path, QP_FORMAT_B8, num_dets, 0, &shots, err) != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return qp_fail(err, "%s (the circuit has %llu detectors)", msg, (unsigned long long)num_dets);
    }
    snprintf(je->files.obs_path, sizeof je->files.obs_path, "%s/obs_flips_actual.01", dir);
    je->files.obs_format = QP_FORMAT_01;
    if (!file_exists(je->files.obs_path)) {
        snprintf(je->files.obs_path, sizeof je->files.obs_path, "%s/obs_flips_actual.b8", dir);
        je->files.obs_format = QP_FORMAT_B8;
    }
    if (!file_exists(je->files.obs_path))
        return qp_fail(err, "%s: no obs_flips_actual.01 or obs_flips_actual.b8", dir);
    if (qp_shot_file_count_records(je->files.obs_path, je->files.obs_format, 0, num_obs, &obs_shots, err) != 0)
        return -1;
    if (obs_shots != shots)
        return qp_fail(err, "%s holds %llu shots but %s holds %llu", je->files.dets_path,
                       (unsigned long long)shots, je->files.obs_path, (unsigned long long)obs_shots);
    in->max_shots = shots;
    return 0;
}

int qp_job_archive_setup(qp_job_experiment *je, const char *archive, const char *rel,
                         const qp_archive_options *opt, MPI_Comm comm, qp_err *err) {
    init_empty(je);
    je->archived = 1;
    qp_experiment_info *in = &je->info;
    snprintf(in->name, sizeof in->name, "%s", rel);
    qp_job_group_name(rel, in->group, sizeof in->group);
    snprintf(in->code, sizeof in->code, "archive");
    snprintf(in->model, sizeof in->model, "%s", opt->model ? opt->model : "");
    parse_path_metadata(rel, in);
    int rank;
    MPI_Comm_rank(comm, &rank);
    int rc = rank == 0 ? archive_on_root(je, archive, rel, opt, err) : 0;
    if (qp_bcast_status(comm, rc, err) != 0 || finish_setup(je, opt->decoders, comm, err) != 0) {
        qp_job_experiment_free(je);
        return -1;
    }
    return 0;
}

void qp_job_experiment_free(qp_job_experiment *je) {
    for (int k = 0; k < je->num_decoders; k++) {
        if (je->decoders[k]) qp_decoder_free(je->decoders[k]);
        if (je->decoders_odd[k]) qp_decoder_free(je->decoders_odd[k]);
    }
    je->num_decoders = 0;
    qp_circuit_free(&je->circuit);
    qp_dem_free(&je->dem);
    free(je->circuit_text);
    free(je->dem_text);
    free(je->dem_odd_text);
    je->circuit_text = je->dem_text = je->dem_odd_text = NULL;
    free(je->readout);
    free(je->reference);
    je->readout = NULL;
    je->reference = NULL;
}
