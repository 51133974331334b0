/* seccomp_data.S - Docker 20.10.24's default seccomp profile (spec/data/seccomp-default.json,
 * Apache-2.0, see NOTICE), embedded as read-only bytes so the installed binary needs no data
 * file. The file is found through the include path meson passes (spec/data). No NUL is
 * appended: the length is end - start. The data never changes, so no rebuild dependency on it
 * is declared. */
    .section .rodata
    .globl spec_seccomp_default_json
    .type spec_seccomp_default_json, @object
spec_seccomp_default_json:
    .incbin "seccomp-default.json"
    .globl spec_seccomp_default_json_end
    .type spec_seccomp_default_json_end, @object
spec_seccomp_default_json_end:
    .size spec_seccomp_default_json, spec_seccomp_default_json_end - spec_seccomp_default_json

    .section .note.GNU-stack,"",@progbits
