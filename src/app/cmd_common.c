/* cmd_common — what every subcommand does the same way (commands.h). */
#include <stdio.h>

#include "commands.h"

int cmd_load_settings(const char *cmd, fc_config *cfg, int argc, char **argv, config_extra_fn extra, void *ctx) {
    fc_err err = {0};
    if (config_load(cfg, argc, argv, extra, ctx, &err)) {
        fprintf(stderr, "fitchat %s: %s\n", cmd, err.msg);
        return err.code == FC_EINPUT ? 2 : 1;
    }
    for (int i = 0; i < cfg->n_warnings; i++) fprintf(stderr, "fitchat %s: warning: %s\n", cmd, cfg->warnings[i]);
    return 0;
}
