#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "commands.h"

#define DEFAULT_MODEL "SmolLM2-135M-Instruct.Q4_1.gguf"

const char *default_model_path(char *buf, unsigned cap, char *why, unsigned why_cap) {
    const char *cache = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (cache && *cache) snprintf(buf, cap, "%s/fitchat/models/" DEFAULT_MODEL, cache);
    else snprintf(buf, cap, "%s/.cache/fitchat/models/" DEFAULT_MODEL, home ? home : ".");
    if (access(buf, R_OK) == 0) return buf;
    if (why) snprintf(why, why_cap, "the default model is not at %s; run 'make models' to fetch it, or pass -m MODEL", buf);
    return NULL;
}
