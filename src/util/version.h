/* version — fitchat's version, one string for `fitchat --version` and the
 * server's GET /api/version (ollama's shape: {"version": "..."}). */
#ifndef FC_VERSION_H
#define FC_VERSION_H

#define FC_VERSION "0.1.0"

#endif
