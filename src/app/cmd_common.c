/* cmd_common — what every subcommand does the same way (commands.h). */
#include <stdio.h>

#include "commands.h"

int cmd_load_settings(const char *cmd, fc_config *cfg, int argc, char **argv, config_extra_fn extra, void *ctx) {
    return cmd_load_settings_ex(cmd, cfg, argc, argv, extra, ctx, 0);
}

int cmd_load_settings_ex(const char *cmd, fc_config *cfg, int argc, char **argv, config_extra_fn extra, void *ctx,
                         unsigned flags) {
    fc_err err = {0};
    if (config_load_ex(cfg, argc, argv, extra, ctx, flags, &err)) {
        fprintf(stderr, "fitchat %s: %s\n", cmd, err.msg);
        return err.code == FC_EINPUT ? 2 : 1;
    }
    for (int i = 0; i < cfg->n_warnings; i++) fprintf(stderr, "fitchat %s: warning: %s\n", cmd, cfg->warnings[i]);
    return 0;
}
