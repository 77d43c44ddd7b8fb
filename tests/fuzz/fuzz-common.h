/* Shared by the libFuzzer targets of tests/fuzz (docs/fuzzing.md).
 *
 * Each target is one LLVMFuzzerTestOneInput() that hands its bytes to the
 * real parser. What counts as a failure, besides the sanitizers' reports:
 * a GLib critical (a g_return_if_fail() tripped by input, or GLib/json-glib
 * misuse) aborts, because no input from outside may reach one. Warnings
 * and messages are expected (they are how bad input is reported) and are
 * swallowed, so they neither slow the fuzzer down nor flood its output.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Installs the log writer described above. Call from LLVMFuzzerInitialize. */
void fuzz_init_logging (void);

/* The first @size bytes as a NUL-terminated string, cut at the first NUL
 * (the parsers all take C strings). */
char *fuzz_strndup (const uint8_t *data, size_t size);

/* Spins the default main context until @done(@user_data) or @timeout_ms;
 * returns the last value of @done. */
gboolean fuzz_iterate_until (gboolean (*done) (gpointer), gpointer user_data,
                             guint timeout_ms);
