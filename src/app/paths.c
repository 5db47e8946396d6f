#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"

#define DEFAULT_MODEL "SmolLM2-135M-Instruct.Q4_1.gguf"

/* "SECONDS.NANOSECONDS" (a .verified record's mtime) as "2026-12-03 16:21:17.656 UTC" */
static const char *when(const char *stamp, char *buf, size_t cap) {
    char *end = NULL;
    const long long sec = strtoll(stamp, &end, 10);
    struct tm tm;
    const time_t t = (time_t)sec;
    if (end == stamp || (*end && *end != '.') || !gmtime_r(&t, &tm)) return stamp;
    char day[40];
    strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf, cap, "%s%.4s UTC", day, *end ? end : "");
    return buf;
}

int model_check_record(const char *path, bool required, char *why, unsigned why_cap) {
    char rec[4096];
    if ((size_t)snprintf(rec, sizeof rec, "%s.verified", path) >= sizeof rec) {
        if (why) snprintf(why, why_cap, "%s: path too long", path);
        return -1;
    }
    FILE *f = fopen(rec, "r");
    if (!f) {
        if (!required && errno == ENOENT) return 0;
        if (why)
            snprintf(why, why_cap, "%s: its sha256 was never checked (no %s); run 'make models' to verify it", path,
                     rec);
        return -1;
    }
    char sha[80] = "", mtime[40] = "";
    unsigned long long size = 0;
    int n = fscanf(f, "%79s %llu %39s", sha, &size, mtime);
    fclose(f);
    struct stat st;
    if (stat(path, &st) != 0) {
        if (why) snprintf(why, why_cap, "%s: cannot stat: %s", path, strerror(errno));
        return -1;
    }
    char now[40];
    snprintf(now, sizeof now, "%lld.%09ld", (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    if (n != 3 || size != (unsigned long long)st.st_size || strcmp(mtime, now) != 0) {
        char was[64], is[64];
        if (why)
            snprintf(why, why_cap,
                     "%s: changed since its sha256 was checked (%s says %llu bytes, modified %s; the file has %lld bytes, "
                     "modified %s); run 'make models' to check or fetch it again",
                     path, rec, size, when(mtime, was, sizeof was), (long long)st.st_size, when(now, is, sizeof is));
        return -1;
    }
    return 0;
}

const char *default_model_path(char *buf, unsigned cap, char *why, unsigned why_cap) {
    const char *cache = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (cache && *cache) snprintf(buf, cap, "%s/fitchat/models/" DEFAULT_MODEL, cache);
    else snprintf(buf, cap, "%s/.cache/fitchat/models/" DEFAULT_MODEL, home ? home : ".");
    if (access(buf, R_OK) != 0) {
        if (why) snprintf(why, why_cap, "the default model is not at %s; run 'make models' to fetch it, or pass -m MODEL", buf);
        return NULL;
    }
    if (model_check_record(buf, true, why, why_cap)) return NULL;
    return buf;
}
