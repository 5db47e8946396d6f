/* jinja — a Jinja2-subset interpreter for the chat templates that models ship.
 *
 * jinja_parse turns template text into an immutable AST (lexer -> parser); jinja_render
 * evaluates it against variables and writes the prompt text. It renders byte for byte what
 * Python's jinja2 renders with Hugging Face's set-up: ImmutableSandboxedEnvironment(
 * trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]), tojson = json.dumps
 * (ensure_ascii=False, no HTML escaping), globals raise_exception, strftime_now, namespace,
 * range. CRLF and CR read as LF and one trailing newline of the template is dropped, as
 * jinja2's lexer does.
 *
 * Supported: text, {{ }}, {% %}, {# #}, whitespace control (-, +), if/elif/else, for (tuple
 * targets, else, filtered loops, loop.*), break/continue, set (tuple, namespace attribute,
 * block set), macro/call/caller, filter blocks, transformers' {% generation %} (renders its
 * body); literals, arithmetic, comparisons, in,
 * and/or/not, inline if, ~, attributes, subscripts, slices; the filters, tests and str/dict
 * methods listed in jinja_lib.c. Anything else is a one-line FC_EINPUT error naming the
 * template line and the construct ("line 12: unknown filter 'wordwrap'").
 *
 * Message text stays text: every string value carries a per-byte mask "came from outside"
 * (the variables passed as `data`) through concatenation, slicing and filters, and
 * jinja_render returns that mask with the output, so that the tokenizer can parse special
 * tokens only in the template's own text (tok_encode_masked).
 *
 * Safe against hostile templates (a GGUF is outside data): no I/O, no global state, bounded
 * nesting while parsing, bounded macro recursion, evaluation steps, output size and memory;
 * every failure is an error, never a crash or a hang. A parsed template is read-only and may
 * be rendered from several threads at once.
 */
#ifndef FC_JINJA_H
#define FC_JINJA_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "../util/err.h"

typedef struct jinja_tmpl jinja_tmpl;

/* Parses src[0..len) (need not be NUL-terminated). name labels error messages (borrowed
 * only during the call). Returns NULL with err (FC_EINPUT: "NAME line N: ...") on failure. */
jinja_tmpl *jinja_parse(const char *src, size_t len, const char *name, fc_err *err);
void jinja_free(jinja_tmpl *t); /* NULL ok */

/* The variables of one rendering. Both objects may be NULL. Every member of data becomes a
 * variable whose strings are outside text (literal mask 1): messages, tools, documents.
 * Members of own are the template's own text (mask 0): bos_token, eos_token,
 * add_generation_prompt. A name in both takes own's value. */
typedef struct jinja_vars {
    const cJSON *data;
    const cJSON *own;
    time_t now; /* the time strftime_now formats (UTC) */
} jinja_vars;

/* Renders t. On success *out is the malloc'd, NUL-terminated text of *len bytes and
 * *literal (if literal is not NULL) a malloc'd mask of *len bytes, 1 where the byte came
 * from data (caller frees both). raise_exception("msg") fails with FC_EINPUT and the
 * message "NAME line N: msg". */
int jinja_render(const jinja_tmpl *t, const jinja_vars *vars, char **out, unsigned char **literal,
                 size_t *len, fc_err *err);

#endif
