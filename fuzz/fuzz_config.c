// libFuzzer target for the YAML job config loader (pipeline/config): any byte string must either
// load or fail with one error line, without crashes, leaks or undefined behaviour. A loaded
// config must also reload from its own stored text to the same experiments.
//   CC=clang cmake -S . -B build-fuzz-config -DQECPIPE_FUZZ=ON && make -C build-fuzz-config fuzz_config
//   build-fuzz-config/fuzz/fuzz_config -max_total_time=60 fuzz/seeds/config
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;  // the loader takes NUL-terminated text: bytes after a NUL are ignored
    qp_config cfg;
    qp_err err;
    if (qp_config_load_text(text, "dir/fuzz.yaml", &cfg, &err) == 0) {
        qp_config again;
        if (qp_config_load_text(cfg.text, cfg.source, &again, &err) != 0) abort();
        if (again.num_experiments != cfg.num_experiments) abort();
        if (cfg.num_experiments > 0 &&
            memcmp(again.experiments, cfg.experiments, sizeof(qp_experiment) * (size_t)cfg.num_experiments))
            abort();
        qp_config_free(&again);
        qp_config_free(&cfg);
    } else {
        if (!memchr(err.msg, 0, sizeof err.msg) || strchr(err.msg, '\n')) abort();  // one line, terminated
    }
    free(text);
    return 0;
}
