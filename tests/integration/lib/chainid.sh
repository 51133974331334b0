# chain_ids: diff IDs (base first) on stdin -> their ChainIDs (base first), computed with
# sha256sum from the rule alone (doc §2), as an independent check of bundlefs.
chain_ids() {
    local prev="" d
    while read -r d; do
        if [ -z "$prev" ]; then prev=$d; else
            prev="sha256:$(printf '%s %s' "$prev" "$d" | sha256sum | cut -c1-64)"
        fi
        echo "$prev"
    done
}
