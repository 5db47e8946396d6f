/* fuzz_config — libFuzzer target for the settings parser: the input is a
 * modelconf.json's text, read by config_load_text (comments and trailing
 * commas allowed, every key validated), then printed as --print-config
 * does. A refusal must be one line naming the file; anything else is a
 * finding. Seeds: fuzz/corpus-config/. Build and run: make fuzz-config. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/app/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fc_config cfg;
    fc_err err = {0};
    if (config_init(&cfg, &err)) abort();
    if (config_load_text(&cfg, "fuzz.json", (const char *)data, size, &err)) {
        if (err.code != FC_EINPUT && err.code != FC_EFAIL) abort();
        if (strncmp(err.msg, "fuzz.json", 9) != 0 || strchr(err.msg, '\n')) abort();
    } else {
        for (int i = 0; i < cfg.n_warnings; i++)
            if (strchr(cfg.warnings[i], '\n') || strchr(cfg.warnings[i], '\x1b')) abort(); /* one printable line */
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            config_print(null, &cfg);
            fclose(null);
        }
    }
    config_free(&cfg);
    return 0;
}
