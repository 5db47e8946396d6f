/* fuzz_chat — libFuzzer target for the conversation format of /load
 * (chat_from_json: a {"messages": [...]} object or a bare array, roles,
 * UTF-8, NUL escapes). What loads must survive a round trip: saved with
 * chat_to_json and loaded again, it gives the same messages. A refusal must
 * be one line naming the file. Seeds: fuzz/corpus-chat/. Build and run:
 * make fuzz-chat. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/app/chat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *json = malloc(size + 1);
    if (!json) return 0;
    memcpy(json, data, size);
    json[size] = '\0';
    fc_chat c, c2;
    memset(&c, 0, sizeof c);
    memset(&c2, 0, sizeof c2);
    c.tmpl = c2.tmpl = TMPL_CHATML;
    fc_err err = {0};
    if (chat_from_json(&c, json, "fuzz.json", &err)) {
        if (err.code != FC_EINPUT && err.code != FC_EFAIL) abort();
        if (strncmp(err.msg, "fuzz.json", 9) != 0 && strcmp(err.msg, "out of memory") != 0) {
            fprintf(stderr, "message does not name the file: %s\n", err.msg);
            abort();
        }
        if (strchr(err.msg, '\n')) abort();
    } else {
        char *again = chat_to_json(&c);
        if (!again) abort();
        if (chat_from_json(&c2, again, "again", &err)) abort();
        if (c2.n_msgs != c.n_msgs) abort();
        for (int i = 0; i < c.n_msgs; i++)
            if (c.msgs[i].role != c2.msgs[i].role || strcmp(c.msgs[i].content, c2.msgs[i].content) != 0) abort();
        free(again);
    }
    chat_free(&c);
    chat_free(&c2);
    free(json);
    return 0;
}
