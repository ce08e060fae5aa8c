#!/usr/bin/env bash
# Creates a SoftHSM2 token in a directory of its own: softhsm-token.sh <dir> <label> <so-pin> <pin>
# Writes <dir>/softhsm2.conf (point SOFTHSM2_CONF at it) and <dir>/tokens/.
set -euo pipefail
dir=$1 label=$2 so_pin=$3 pin=$4
mkdir -p "$dir/tokens"
cat > "$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
export SOFTHSM2_CONF="$dir/softhsm2.conf"
softhsm2-util --init-token --free --label "$label" --so-pin "$so_pin" --pin "$pin" >/dev/null
softhsm2-util --show-slots | awk '/^Slot [0-9]+/{slot=$2} /Label:/ && $2=="'"$label"'"{print slot; exit}'
