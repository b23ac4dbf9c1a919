// Training shots from an archive in Google's layout (see archive_shots.h).
#include "pipeline/train/archive_shots.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/formats/archive_walk.h"
#include "pipeline/formats/shot_reader.h"
#include "pipeline/train/train_circuit.h"
#include "workers/circuit/circuit.h"
#include "workers/util/alloc.h"
#include "workers/util/read_file.h"
#include "workers/util/rng.h"
#include "workers/util/sha256.h"

static char *join(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = qp_malloc(n);
    snprintf(s, n, "%s/%s", a, b);
    return s;
}

static int is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}


// The detectors' coordinates of a circuit file: (num_dets, 3) and the counts.
static int circuit_facts(const char *path, const char *text, uint64_t *num_dets, uint64_t *num_obs, double **coords,
                         qp_err *err) {
    qp_circuit c;
    qp_circuit_init(&c);
    int rc = qp_circuit_parse(&c, text, path, err);
    if (rc == 0) {
        *num_dets = c.num_detectors;
        *num_obs = c.num_observables;
        rc = qp_train_detector_coords(&c, coords, err);
        if (rc) qp_fail_prefix(err, "%s", path);
    }
    qp_circuit_free(&c);
    return rc;
}

static int open_folder(qp_archive_shots *a, qp_archive_folder *f, const double *first_coords, double **coords_out,
                       qp_err *err) {
    char *dir = strcmp(f->rel, ".") == 0 ? qp_strdup(a->root) : join(a->root, f->rel);
    f->circuit_path = join(dir, "circuit_noisy.stim");
    if (!is_file(f->circuit_path)) {
        free(f->circuit_path);
        f->circuit_path = join(dir, "circuit_ideal.stim");
    }
    f->dets_path = join(dir, "detection_events.b8");
    f->obs_path = join(dir, "obs_flips_actual.01");
    f->obs_format = QP_FORMAT_01;
    if (!is_file(f->obs_path)) {
        free(f->obs_path);
        f->obs_path = join(dir, "obs_flips_actual.b8");
        f->obs_format = QP_FORMAT_B8;
    }
    int rc = 0;
    if (!is_file(f->circuit_path)) rc = qp_fail(err, "%s: no circuit_noisy.stim or circuit_ideal.stim", dir);
    else if (!is_file(f->obs_path)) rc = qp_fail(err, "%s: no obs_flips_actual.01 or obs_flips_actual.b8", dir);
    free(dir);
    if (rc) return -1;

    char *text = qp_read_file(f->circuit_path, NULL, err);
    if (!text) return -1;
    uint64_t D, O;
    double *coords = NULL;
    rc = circuit_facts(f->circuit_path, text, &D, &O, &coords, err);
    if (rc == 0 && O < 1) rc = qp_fail(err, "%s: the circuit has no observable", f->circuit_path);
    if (rc == 0 && !first_coords) {
        a->circuit_text = text, text = NULL;
        a->num_dets = D, a->num_obs = O;
        a->det_bytes = (D + 7) / 8, a->obs_bytes = (O + 7) / 8;
        *coords_out = coords, coords = NULL;
    } else if (rc == 0) {
        const qp_archive_folder *f0 = &a->folders[0];
        if (D != a->num_dets || O != a->num_obs)
            rc = qp_fail(err, "%s has %llu detectors and %llu observables, %s %llu and %llu: the folders of an "
                              "archive a model trains on must share one detector layout (point train.archive at "
                              "a folder that holds only those)",
                         f->circuit_path, (unsigned long long)D, (unsigned long long)O, f0->circuit_path,
                         (unsigned long long)a->num_dets, (unsigned long long)a->num_obs);
        for (uint64_t i = 0; rc == 0 && i < 3 * D; i++)
            if (fabs(coords[i] - first_coords[i]) > 1e-9)
                rc = qp_fail(err, "%s: detector D%llu has other coordinates than in %s: the folders of an archive a "
                                  "model trains on must share one detector layout",
                             f->circuit_path, (unsigned long long)(i / 3), f0->circuit_path);
    }
    free(text);
    free(coords);
    if (rc) return -1;

    uint64_t obs_shots = 0;
    if (qp_shot_file_count_records(f->dets_path, QP_FORMAT_B8, a->num_dets, 0, &f->shots, err) != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return qp_fail(err, "%s (the circuit has %llu detectors)", msg, (unsigned long long)a->num_dets);
    }
    if (qp_shot_file_count_records(f->obs_path, f->obs_format, 0, a->num_obs, &obs_shots, err) != 0) return -1;
    if (obs_shots != f->shots)
        return qp_fail(err, "%s holds %llu shots but %s holds %llu", f->dets_path, (unsigned long long)f->shots,
                       f->obs_path, (unsigned long long)obs_shots);
    if (qp_sha256_file(f->dets_path, f->dets_sha256, err) || qp_sha256_file(f->obs_path, f->obs_sha256, err)) return -1;
    return 0;
}

int qp_archive_shots_open(qp_archive_shots *a, const char *root, qp_err *err) {
    memset(a, 0, sizeof *a);
    a->root = qp_strdup(root);
    char **rels = NULL, **skipped = NULL;
    size_t n = 0, num_skipped = 0;
    if (qp_archive_list(root, &rels, &n, &skipped, &num_skipped, err) != 0) return qp_fail_prefix(err, "train.archive");
    qp_archive_list_free(skipped, num_skipped);
    if (n == 0) {
        qp_archive_list_free(rels, n);
        return qp_fail(err, "train.archive %s: no experiment folder (a folder holding detection_events.b8, "
                            "circuit_noisy.stim and obs_flips_actual.01)", root);
    }
    a->folders = qp_calloc(n, sizeof *a->folders);
    a->num_folders = n;
    for (size_t i = 0; i < n; i++) a->folders[i].rel = rels[i];
    free(rels);
    double *coords = NULL;
    for (size_t i = 0; i < n; i++) {
        if (open_folder(a, &a->folders[i], coords, i == 0 ? &coords : NULL, err) != 0) {
            free(coords);
            return -1;
        }
        a->num_shots += a->folders[i].shots;
    }
    free(coords);
    return 0;
}

static int finish_split(qp_archive_shots *a, qp_err *err) {
    a->num_heldout = 0;
    for (size_t i = 0; i < a->num_folders; i++) a->num_heldout += a->folders[i].holdout;
    a->num_train = a->num_shots - a->num_heldout;
    if (a->num_heldout == 0)
        return qp_fail(err, "train.archive %s: the split holds out no shot (%llu in the archive); raise "
                            "train.holdout_fraction or train.holdout_shots", a->root, (unsigned long long)a->num_shots);
    if (a->num_train == 0)
        return qp_fail(err, "train.archive %s: the split holds out all %llu shots; nothing is left to train on",
                       a->root, (unsigned long long)a->num_shots);
    return 0;
}

int qp_archive_shots_split(qp_archive_shots *a, double fraction, uint64_t count, qp_err *err) {
    if (count > 0) {
        if (count >= a->num_shots)
            return qp_fail(err, "train.holdout_shots %llu: the archive %s holds %llu shots; nothing would be left "
                                "to train on", (unsigned long long)count, a->root, (unsigned long long)a->num_shots);
        uint64_t given = 0;
        for (size_t i = 0; i < a->num_folders; i++) {
            qp_archive_folder *f = &a->folders[i];
            f->holdout = (uint64_t)((unsigned __int128)count * f->shots / a->num_shots);
            given += f->holdout;
        }
        for (size_t i = 0; given < count; i = (i + 1) % a->num_folders)  // the remainder, one each
            if (a->folders[i].holdout < a->folders[i].shots) a->folders[i].holdout++, given++;
    } else {
        for (size_t i = 0; i < a->num_folders; i++)
            a->folders[i].holdout = (uint64_t)llround(fraction * (double)a->folders[i].shots);
    }
    return finish_split(a, err);
}

char *qp_archive_split_text(const qp_archive_shots *a) {
    size_t cap = 256 + strlen(a->root), len = 0;
    for (size_t i = 0; i < a->num_folders; i++) cap += strlen(a->folders[i].rel) + 200;
    char *s = qp_malloc(cap);
    len += (size_t)snprintf(s + len, cap - len,
                            "# qecpipe archive split: the last HELD_OUT shots of each folder are held out\n"
                            "# archive %s\n# FOLDER\tSHOTS\tHELD_OUT\tSHA256_DETECTION_EVENTS\tSHA256_OBSERVABLES\n",
                            a->root);
    for (size_t i = 0; i < a->num_folders; i++) {
        const qp_archive_folder *f = &a->folders[i];
        len += (size_t)snprintf(s + len, cap - len, "%s\t%llu\t%llu\t%s\t%s\n", f->rel, (unsigned long long)f->shots,
                                (unsigned long long)f->holdout, f->dets_sha256, f->obs_sha256);
    }
    return s;
}

// The data lines of a split text (comment lines skipped), one malloc'd string each.
static size_t split_lines(const char *text, char ***out) {
    size_t n = 0, cap = 0;
    char **lines = NULL;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len && p[0] != '#') {
            qp_grow(lines, cap, n + 1);
            lines[n] = qp_malloc(len + 1);
            memcpy(lines[n], p, len);
            lines[n++][len] = 0;
        }
        p += len + (e ? 1 : 0);
    }
    *out = lines;
    return n;
}

typedef struct {
    char rel[1024];
    unsigned long long shots, holdout;
    char dets[65], obs[65];
} split_line;

static int parse_line(const char *line, split_line *l) {
    const char *tab = strchr(line, '\t');
    if (!tab || (size_t)(tab - line) >= sizeof l->rel) return -1;
    memcpy(l->rel, line, (size_t)(tab - line));
    l->rel[tab - line] = 0;
    return sscanf(tab + 1, "%llu\t%llu\t%64[0-9a-f]\t%64[0-9a-f]", &l->shots, &l->holdout, l->dets, l->obs) == 4 ? 0
                                                                                                                : -1;
}

static void free_lines(char **lines, size_t n) {
    for (size_t i = 0; i < n; i++) free(lines[i]);
    free(lines);
}

int qp_archive_split_check(const qp_archive_shots *a, const char *recorded, const char *what, qp_err *err) {
    char **lines;
    size_t n = split_lines(recorded, &lines);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n && i < a->num_folders; i++) {
        const qp_archive_folder *f = &a->folders[i];
        split_line l;
        if (parse_line(lines[i], &l) != 0)
            rc = qp_fail(err, "%s: /archive_split line %zu is malformed: %s", what, i + 1, lines[i]);
        else if (strcmp(l.rel, f->rel) != 0)
            rc = qp_fail(err, "the archive %s changed since %s: folder %zu is %s there, %s now", a->root, what, i + 1,
                         l.rel, f->rel);
        else if (l.shots != f->shots)
            rc = qp_fail(err, "the archive %s changed since %s: %s held %llu shots, now %llu", a->root, what, f->dets_path,
                         l.shots, (unsigned long long)f->shots);
        else if (strcmp(l.dets, f->dets_sha256) != 0 || strcmp(l.obs, f->obs_sha256) != 0)
            rc = qp_fail(err, "the archive %s changed since %s: %s has another SHA-256", a->root, what,
                         strcmp(l.dets, f->dets_sha256) != 0 ? f->dets_path : f->obs_path);
        else if (l.holdout != f->holdout)
            rc = qp_fail(err, "%s holds out the last %llu shots of %s, the config %llu: a resumed run keeps its split "
                              "(restore train.holdout_fraction / train.holdout_shots, or start a new run)",
                         what, l.holdout, f->rel, (unsigned long long)f->holdout);
    }
    if (rc == 0 && n != a->num_folders)
        rc = qp_fail(err, "the archive %s changed since %s: %zu experiment folders there, %zu now", a->root, what, n,
                     a->num_folders);
    free_lines(lines, n);
    return rc;
}

int qp_archive_split_apply(qp_archive_shots *a, const char *recorded, qp_err *err) {
    char **lines;
    size_t n = split_lines(recorded, &lines);
    int rc = n == a->num_folders ? 0 : qp_fail(err, "the recorded split has %zu folders, the archive %zu", n, a->num_folders);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        split_line l;
        if (parse_line(lines[i], &l) != 0 || l.holdout > l.shots || l.shots != a->folders[i].shots)
            rc = qp_fail(err, "the recorded split's line %zu does not fit the archive: %s", i + 1, lines[i]);
        else a->folders[i].holdout = l.holdout;
    }
    free_lines(lines, n);
    return rc ? -1 : finish_split(a, err);
}

int qp_archive_shots_load(qp_archive_shots *a, qp_err *err) {
    size_t db = a->det_bytes, ob = a->obs_bytes;
    a->train_dets = qp_malloc(a->num_train * db + 1);
    a->train_obs = qp_malloc(a->num_train * ob + 1);
    a->held_dets = qp_malloc(a->num_heldout * db + 1);
    a->held_obs = qp_malloc(a->num_heldout * ob + 1);
    uint64_t at_train = 0, at_held = 0;
    for (size_t i = 0; i < a->num_folders; i++) {
        const qp_archive_folder *f = &a->folders[i];
        uint8_t *dets = NULL, *obs = NULL;
        uint64_t nd = 0, no = 0;
        if (qp_shot_file_read_all(f->dets_path, QP_FORMAT_B8, a->num_dets, 0, &dets, &nd, err) != 0) return -1;
        if (qp_shot_file_read_all(f->obs_path, f->obs_format, 0, a->num_obs, &obs, &no, err) != 0) {
            free(dets);
            return -1;
        }
        if (nd != f->shots || no != f->shots) {
            free(dets);
            free(obs);
            return qp_fail(err, "%s: %llu shots read, %llu expected (the file changed while it was read?)",
                           nd != f->shots ? f->dets_path : f->obs_path,
                           (unsigned long long)(nd != f->shots ? nd : no), (unsigned long long)f->shots);
        }
        uint64_t nt = f->shots - f->holdout;
        memcpy(a->train_dets + at_train * db, dets, nt * db);
        memcpy(a->train_obs + at_train * ob, obs, nt * ob);
        memcpy(a->held_dets + at_held * db, dets + nt * db, f->holdout * db);
        memcpy(a->held_obs + at_held * ob, obs + nt * ob, f->holdout * ob);
        at_train += nt;
        at_held += f->holdout;
        free(dets);
        free(obs);
    }
    return 0;
}

// Fisher-Yates over the training shots, from (seed, stream, epoch).
static void make_perm(qp_archive_shots *a, uint64_t seed, uint64_t stream, uint64_t epoch) {
    if (!a->perm) a->perm = qp_malloc(a->num_train * sizeof *a->perm);
    for (uint64_t i = 0; i < a->num_train; i++) a->perm[i] = i;
    qp_rng rng;
    qp_rng_stream(&rng, seed, stream, epoch);
    for (uint64_t i = a->num_train - 1; i > 0; i--) {
        uint64_t j = (uint64_t)(((unsigned __int128)qp_rng_u64(&rng) * (i + 1)) >> 64);
        uint64_t t = a->perm[i];
        a->perm[i] = a->perm[j];
        a->perm[j] = t;
    }
    a->perm_epoch = epoch;
    a->have_perm = 1;
}

void qp_archive_shots_batch(qp_archive_shots *a, uint64_t seed, uint64_t stream, uint64_t first, uint64_t n,
                            uint8_t *dets, uint8_t *obs) {
    size_t db = a->det_bytes, ob = a->obs_bytes;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t sample = first + k, epoch = sample / a->num_train;
        if (!a->have_perm || a->perm_epoch != epoch) make_perm(a, seed, stream, epoch);
        uint64_t s = a->perm[sample % a->num_train];
        memcpy(dets + k * db, a->train_dets + s * db, db);
        memcpy(obs + k * ob, a->train_obs + s * ob, ob);
    }
}

// ---- exporting the held-out shots ----

static int copy_file(const char *from, const char *to, qp_err *err) {
    FILE *in = fopen(from, "rb");
    if (!in) return qp_fail(err, "%s: cannot open (%s)", from, strerror(errno));
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return qp_fail(err, "%s: cannot create (%s)", to, strerror(errno));
    }
    static unsigned char buf[1 << 16];
    size_t got;
    int bad = 0;
    while (!bad && (got = fread(buf, 1, sizeof buf, in)) > 0) bad = fwrite(buf, 1, got, out) != got;
    bad |= ferror(in);
    fclose(in);
    if (fclose(out) != 0) bad = 1;
    return bad ? qp_fail(err, "%s: write error copying %s", to, from) : 0;
}

static int mkdirs(const char *path, qp_err *err) {
    char *p = qp_strdup(path);
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) rc = qp_fail(err, "%s: cannot create directory (%s)", p, strerror(errno));
            *s = c;
            if (rc || c == 0) break;
        }
    }
    free(p);
    return rc;
}

static int write_bytes(const char *path, const uint8_t *data, size_t len, qp_err *err) {
    FILE *f = fopen(path, "wb");
    if (!f) return qp_fail(err, "%s: cannot create (%s)", path, strerror(errno));
    int bad = len && fwrite(data, 1, len, f) != len;
    if (fclose(f) != 0) bad = 1;
    return bad ? qp_fail(err, "%s: write error", path) : 0;
}

// b8 rows of O bits -> the 01 format ('0'/'1' per observable, a newline per shot).
static int write_01(const char *path, const uint8_t *rows, uint64_t n, uint64_t O, size_t ob, qp_err *err) {
    FILE *f = fopen(path, "wb");
    if (!f) return qp_fail(err, "%s: cannot create (%s)", path, strerror(errno));
    int bad = 0;
    for (uint64_t s = 0; s < n && !bad; s++) {
        for (uint64_t o = 0; o < O; o++) bad |= fputc((rows[s * ob + o / 8] >> (o % 8)) & 1 ? '1' : '0', f) == EOF;
        bad |= fputc('\n', f) == EOF;
    }
    if (fclose(f) != 0) bad = 1;
    return bad ? qp_fail(err, "%s: write error", path) : 0;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int qp_archive_shots_export_holdout(const qp_archive_shots *a, const char *dest, qp_err *err) {
    uint64_t at = 0;
    size_t db = a->det_bytes, ob = a->obs_bytes;
    for (size_t i = 0; i < a->num_folders; i++) {
        const qp_archive_folder *f = &a->folders[i];
        char *dir = strcmp(f->rel, ".") == 0 ? qp_strdup(dest) : join(dest, f->rel);
        char *dets = join(dir, "detection_events.b8");
        char *obs = join(dir, f->obs_format == QP_FORMAT_01 ? "obs_flips_actual.01" : "obs_flips_actual.b8");
        int rc = mkdirs(dir, err);
        if (rc == 0 && (is_file(dets) || is_file(obs)))
            rc = qp_fail(err, "%s: holds shots already; not overwritten", dir);
        // The folder's circuits and DEMs, so redecode decodes the held-out shots as the original.
        char *src = strcmp(f->rel, ".") == 0 ? qp_strdup(a->root) : join(a->root, f->rel);
        DIR *d = rc == 0 ? opendir(src) : NULL;
        if (rc == 0 && !d) rc = qp_fail(err, "%s: cannot open directory", src);
        struct dirent *e;
        while (rc == 0 && (e = readdir(d)) != NULL) {
            if (!ends_with(e->d_name, ".stim") && !ends_with(e->d_name, ".dem")) continue;
            char *from = join(src, e->d_name), *to = join(dir, e->d_name);
            if (is_file(from)) rc = copy_file(from, to, err);
            free(from);
            free(to);
        }
        if (d) closedir(d);
        free(src);
        if (rc == 0) rc = write_bytes(dets, a->held_dets + at * db, f->holdout * db, err);
        if (rc == 0)
            rc = f->obs_format == QP_FORMAT_01 ? write_01(obs, a->held_obs + at * ob, f->holdout, a->num_obs, ob, err)
                                               : write_bytes(obs, a->held_obs + at * ob, f->holdout * ob, err);
        at += f->holdout;
        free(dir);
        free(dets);
        free(obs);
        if (rc) return -1;
    }
    return 0;
}

void qp_archive_shots_free(qp_archive_shots *a) {
    for (size_t i = 0; i < a->num_folders; i++) {
        qp_archive_folder *f = &a->folders[i];
        free(f->rel);
        free(f->circuit_path);
        free(f->dets_path);
        free(f->obs_path);
    }
    free(a->folders);
    free(a->root);
    free(a->circuit_text);
    free(a->train_dets);
    free(a->train_obs);
    free(a->held_dets);
    free(a->held_obs);
    free(a->perm);
    memset(a, 0, sizeof *a);
}
